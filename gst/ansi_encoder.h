// gst-ascii core: symbol cells as a stream of terminal escape codes (UTF-8), for any terminal.
//
// Each cell becomes one character (symbol_codepoint(): ASCII letters, half and quadrant blocks,
// sextants, octants; a symbol the terminal's font has no character for, an edge or an octant
// without Unicode 16, is drawn as the mosaic character nearest its shape) in its two colours: 24-bit (SGR 38;2 / 48;2),
// the xterm 256-colour palette (38;5 / 48;5), or the 16 standard colours. A frame is either a full picture (every cell,
// from the top left) or only the cells that changed since the frame before, written with as few cursor moves and colour
// changes as it finds; both leave the screen the same. Each frame is wrapped in synchronized-output markers (DEC
// private mode 2026) when asked, so terminals that know them never show half a frame, and ends with the colours reset.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "symbol_cell.h"

namespace gstascii {

enum class AnsiColors { kTrue, k256, k16 };
// The mosaic characters the terminal's font is trusted to have: half and quadrant blocks (every
// font with box drawing); those and the sextants (Unicode 13, "Symbols for Legacy Computing"); or
// those and the octants too (Unicode 16, "Symbols for Legacy Computing Supplement").
enum class AnsiSymbols { kBlocks, kSextant, kOctant };

struct AnsiOptions {
  AnsiColors colors = AnsiColors::kTrue;
  AnsiSymbols symbols = AnsiSymbols::kSextant;
  bool synchronized = true;  // DEC mode 2026 around each frame
  // Screen row and column (1-based) of the picture's top left cell.
  int top = 1;
  int left = 1;
};

// One cell as a terminal shows it: a character and the two colours after reduction to the
// terminal's palette (|fg| and |bg| are 0xRRGGBB, or a palette index with k256 / k16).
struct AnsiCell {
  std::uint32_t codepoint = 0x20;
  std::uint32_t fg = 0;
  std::uint32_t bg = 0;
  bool operator==(const AnsiCell& o) const { return codepoint == o.codepoint && fg == o.fg && bg == o.bg; }
  bool operator!=(const AnsiCell& o) const { return !(*this == o); }
};

// The character and colours |cell| is drawn with under |colors|, with the characters of |symbols|.
AnsiCell ansi_cell(const SymbolCell& cell, AnsiColors colors, AnsiSymbols symbols = AnsiSymbols::kSextant);

// The xterm 256-colour index nearest |rgb| (the 6 x 6 x 6 cube or the 24 greys), and the index of
// the 16 standard colours (0-7 normal, 8-15 bright, xterm's values) nearest it.
int ansi_256_index(const std::uint8_t rgb[3]);
int ansi_16_index(const std::uint8_t rgb[3]);

class AnsiEncoder {
 public:
  // A grid of |cols| x |rows|; the next frame is a full picture.
  void configure(int cols, int rows, const AnsiOptions& options);
  int cols() const { return cols_; }
  int rows() const { return rows_; }

  // Appends to |out| the bytes that draw |cells| (cols x rows, row-major): only what changed since
  // the last frame encoded, or every cell when |full| (or when nothing was encoded since
  // configure() or invalidate()). Returns whether it was a full picture.
  bool encode(const SymbolCell* cells, bool full, std::string* out);
  // The terminal's screen is unknown (a new viewer, a resize, a request): the next frame is full.
  void invalidate() { have_previous_ = false; }

 private:
  void draw_cell(const AnsiCell& cell, std::string* out);
  void move_to(int row, int col, std::string* out);

  int cols_ = 0, rows_ = 0;
  AnsiOptions options_;
  std::vector<AnsiCell> previous_, current_;
  bool have_previous_ = false;
  // The terminal's state while a frame is written: cursor (0-based in the grid; -1 unknown) and
  // colours (-1: the terminal's default after a reset).
  int cursor_row_ = -1, cursor_col_ = -1;
  std::int64_t pen_fg_ = -1, pen_bg_ = -1;
};

}  // namespace gstascii
