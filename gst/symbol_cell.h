// gst-ascii core: cells with a symbol and two colours, and how they are drawn.
//
// A symbol cell is 8 bytes, as it travels on the wire (README, "Symbol cells"):
//   set, code, fg R, fg G, fg B, bg R, bg G, bg B
// where |set| says what |code| means:
//   kGlyph     code is a printable ASCII character, drawn from the 8 x 16 font (glyph_font.h)
//   kHalf      code bits 0-1: the upper and lower half             (1 x 2 sub-cells)
//   kQuadrant  code bits 0-3: quadrants, row-major from top left   (2 x 2)
//   kSextant   code bits 0-5: sextants                             (2 x 3)
//   kOctant    code bits 0-7: octants                              (2 x 4)
//   kEdge      code is one of 256 straight edges across the cell (edge_rows(): an 8 x 16 bitmap
//              each, made by a formula), ink on one side
// A set bit (or a glyph's ink) is drawn in the foreground colour, the rest in the background.
//
// Drawing is exact integer geometry, the same here, in asciirender and in the web player: in a
// cell of w x h pixels, pixel (x, y) is glyph pixel (x * 8 / w, y * 16 / h), or sub-cell
// (x * cols / w, y * rows / h) of a mosaic.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>

#include "cell_grid.h"
#include "glyph_font.h"

namespace gstascii {

enum SymbolSet : std::uint8_t {
  kGlyph = 0,
  kHalf = 1,
  kQuadrant = 2,
  kSextant = 3,
  kOctant = 4,
  kEdge = 5,
};
inline constexpr int kSymbolSets = 6;
inline constexpr int kEdgeCount = 256;

// The 8 x 16 bitmap of edge |code| (a byte a row, leftmost pixel in the top bit): the pixels on the
// far side of a line across the cell, at angle (code / 8) * 180 / 32 degrees and offset code % 8.
const std::uint8_t* edge_rows(std::uint8_t code);
// All kEdgeCount bitmaps in order (kEdgeCount * 16 bytes), as the web player receives them.
const std::uint8_t* edge_shapes();

struct SymbolCell {
  std::uint8_t set;
  std::uint8_t code;
  std::uint8_t fg[3];  // R, G, B
  std::uint8_t bg[3];
  bool operator==(const SymbolCell& o) const {
    return set == o.set && code == o.code && fg[0] == o.fg[0] && fg[1] == o.fg[1] && fg[2] == o.fg[2] &&
           bg[0] == o.bg[0] && bg[1] == o.bg[1] && bg[2] == o.bg[2];
  }
  bool operator!=(const SymbolCell& o) const { return !(*this == o); }
};
static_assert(sizeof(SymbolCell) == 8, "a symbol cell is 8 bytes on the wire");
inline constexpr std::size_t kSymbolCellBytes = sizeof(SymbolCell);

// Sub-cells across and down a mosaic set (1 x 1 for kGlyph, which is not a mosaic).
struct SubcellGrid {
  int cols = 1;
  int rows = 1;
};
SubcellGrid symbol_subcells(SymbolSet set);

// A cell of one colour: how every set writes a flat cell, so equal pictures give equal bytes.
inline SymbolCell flat_symbol_cell(const std::uint8_t rgb[3]) {
  return SymbolCell{kGlyph, ' ', {rgb[0], rgb[1], rgb[2]}, {rgb[0], rgb[1], rgb[2]}};
}

// Whether a cell's set and code are ones this version draws (anything else is drawn flat in its
// background colour).
bool symbol_is_known(const SymbolCell& cell);

// Whether pixel (x, y) of a |w| x |h| cell is drawn in the foreground colour.
bool symbol_ink(const SymbolCell& cell, int x, int y, int w, int h);

// Quantises both colours of |count| cells as an ASCILINE render mode does: each channel ANDed
// with |colour_mask|, or, for the monochrome mode (|gray|), replaced by the colour's luma.
void quantise_symbol_cells(SymbolCell* cells, std::size_t count, std::uint8_t colour_mask, bool gray);

// ASCILINE's |count| cells as symbol cells, drawn as ASCILINE's players draw them: the character in
// the cell's colour on black, or light grey (kMonochromeGrey) in the monochrome mode 1.
inline constexpr std::uint8_t kMonochromeGrey = 204;
void symbol_cells_from_classic(const Cell* cells, std::size_t count, int mode, SymbolCell* out);

// Draws |cols| x |rows| cells of |cell_w| x |cell_h| pixels as R, G, B, A bytes (A = 255) into
// |rgba|, |stride| bytes from one pixel row to the next.
void render_symbol_cells(const SymbolCell* cells, int cols, int rows, int cell_w, int cell_h, std::uint8_t* rgba,
                         std::size_t stride);

}  // namespace gstascii
