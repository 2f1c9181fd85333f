// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ansi_encoder.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "symbol_unicode.h"

namespace gstascii {

namespace {

constexpr std::uint32_t kSpace = 0x20;
constexpr std::uint32_t kFullBlock = 0x2588;

// xterm's 16 standard colours.
constexpr std::uint8_t kStandard16[16][3] = {
    {0, 0, 0},     {205, 0, 0},     {0, 205, 0},     {205, 205, 0},   {0, 0, 238}, {205, 0, 205},
    {0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0},     {0, 255, 0}, {255, 255, 0},
    {92, 92, 255}, {255, 0, 255},   {0, 255, 255},   {255, 255, 255},
};
constexpr int kCubeLevels[6] = {0, 95, 135, 175, 215, 255};

int distance2(const std::uint8_t a[3], int r, int g, int b) {
  const int dr = a[0] - r, dg = a[1] - g, db = a[2] - b;
  return dr * dr + dg * dg + db * db;
}

// The xterm cube level (0-5) nearest each channel value, worked out once.
struct CubeLevels {
  std::uint8_t nearest[256];
  CubeLevels() {
    for (int v = 0; v < 256; v++) {
      int best = 0;
      for (int i = 1; i < 6; i++) {
        if (std::abs(kCubeLevels[i] - v) < std::abs(kCubeLevels[best] - v)) best = i;
      }
      nearest[v] = std::uint8_t(best);
    }
  }
};
const CubeLevels kNearestLevel;

int nearest_cube_level(int v) {
  return kNearestLevel.nearest[v];
}

std::uint32_t reduce(const std::uint8_t rgb[3], AnsiColors colors) {
  switch (colors) {
    case AnsiColors::k256: return std::uint32_t(ansi_256_index(rgb));
    case AnsiColors::k16: return std::uint32_t(ansi_16_index(rgb));
    case AnsiColors::kTrue: break;
  }
  return std::uint32_t(rgb[0]) << 16 | std::uint32_t(rgb[1]) << 8 | rgb[2];
}

// A shape on the 8 x 16 pixels of a cell, a bit a pixel (row-major).
struct CellShape {
  std::uint64_t bits[2] = {0, 0};
};

CellShape shape_of(const SymbolCell& cell) {
  CellShape shape;
  for (int y = 0; y < 16; y++) {
    for (int x = 0; x < 8; x++) {
      if (symbol_ink(cell, x, y, 8, 16)) shape.bits[y / 8] |= std::uint64_t(1) << ((y % 8) * 8 + x);
    }
  }
  return shape;
}

int mismatch(const CellShape& a, const CellShape& b) {
  return __builtin_popcountll(a.bits[0] ^ b.bits[0]) + __builtin_popcountll(a.bits[1] ^ b.bits[1]);
}

// The character of every symbol (set x code) for one level of font support: its own where the
// font has it, else the character whose shape differs from it in the fewest pixels.
class CodepointTable {
 public:
  explicit CodepointTable(AnsiSymbols symbols) {
    std::vector<std::pair<CellShape, std::uint32_t>> candidates;
    for (int q = 0; q < 16; q++) {
      const SymbolCell c{kQuadrant, std::uint8_t(q), {}, {}};
      candidates.emplace_back(shape_of(c), symbol_codepoint(Symbol{kQuadrant, std::uint8_t(q)}));
    }
    if (symbols != AnsiSymbols::kBlocks) {
      for (int p = 0; p < 64; p++) {
        const SymbolCell c{kSextant, std::uint8_t(p), {}, {}};
        candidates.emplace_back(shape_of(c), symbol_codepoint(Symbol{kSextant, std::uint8_t(p)}));
      }
    }
    if (symbols == AnsiSymbols::kOctant) {
      for (int p = 0; p < 256; p++) {
        const SymbolCell c{kOctant, std::uint8_t(p), {}, {}};
        candidates.emplace_back(shape_of(c), symbol_codepoint(Symbol{kOctant, std::uint8_t(p)}));
      }
    }
    for (int set = 0; set < kSymbolSets; set++) {
      for (int code = 0; code < 256; code++) {
        const SymbolCell cell{std::uint8_t(set), std::uint8_t(code), {}, {}};
        std::uint32_t& cp = table_[set][code];
        cp = kSpace;
        if (!symbol_is_known(cell)) continue;
        const bool native = set == kGlyph || set == kHalf || set == kQuadrant ||
                            (set == kSextant && symbols != AnsiSymbols::kBlocks) ||
                            (set == kOctant && symbols == AnsiSymbols::kOctant);
        cp = native ? symbol_codepoint(Symbol{cell.set, cell.code}) : 0;
        if (cp != 0) continue;
        const CellShape shape = shape_of(cell);
        int best = 1 << 30;
        for (const auto& [candidate, codepoint] : candidates) {
          const int d = mismatch(shape, candidate);
          if (d < best) {
            best = d;
            cp = codepoint;
          }
        }
      }
    }
  }
  std::uint32_t operator()(const SymbolCell& cell) const {
    return table_[cell.set < kSymbolSets ? cell.set : 0][cell.code];
  }

  static const CodepointTable& for_symbols(AnsiSymbols symbols) {
    static const CodepointTable blocks(AnsiSymbols::kBlocks), sextants(AnsiSymbols::kSextant),
        octants(AnsiSymbols::kOctant);
    return symbols == AnsiSymbols::kBlocks ? blocks : symbols == AnsiSymbols::kSextant ? sextants : octants;
  }

 private:
  std::uint32_t table_[kSymbolSets][256];
};

void append_utf8(std::uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(char(cp));
  } else if (cp < 0x800) {
    out->push_back(char(0xC0 | (cp >> 6)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(char(0xE0 | (cp >> 12)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(char(0xF0 | (cp >> 18)));
    out->push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(char(0x80 | (cp & 0x3F)));
  }
}

int utf8_length(std::uint32_t cp) {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

void append_number(unsigned n, std::string* out) {
  char digits[12];
  int len = 0;
  do {
    digits[len++] = char('0' + n % 10);
    n /= 10;
  } while (n);
  while (len) out->push_back(digits[--len]);
}

// One SGR colour parameter list for the foreground (|background| false) or background.
void append_colour(std::uint32_t colour, bool background, AnsiColors colors, std::string* out) {
  switch (colors) {
    case AnsiColors::kTrue:
      out->append(background ? "48;2;" : "38;2;");
      append_number(colour >> 16, out);
      out->push_back(';');
      append_number((colour >> 8) & 0xFF, out);
      out->push_back(';');
      append_number(colour & 0xFF, out);
      break;
    case AnsiColors::k256:
      out->append(background ? "48;5;" : "38;5;");
      append_number(colour, out);
      break;
    case AnsiColors::k16:
      append_number(colour < 8 ? (background ? 40 : 30) + colour : (background ? 100 : 90) + colour - 8, out);
      break;
  }
}

// Bytes a colour change costs, roughly (for choosing between redrawing and moving).
int colour_cost(AnsiColors colors) {
  return colors == AnsiColors::kTrue ? 19 : colors == AnsiColors::k256 ? 11 : 5;
}

bool needs_fg(const AnsiCell& c) {
  return c.codepoint != kSpace;
}
bool needs_bg(const AnsiCell& c) {
  return c.codepoint != kFullBlock;
}

AnsiCell make_cell(const SymbolCell& cell, AnsiColors colors, const CodepointTable& table) {
  AnsiCell out;
  out.fg = reduce(cell.fg, colors);
  out.bg = reduce(cell.bg, colors);
  // An unknown set or code is a blank cell (symbol_is_known() is false for it in the table).
  out.codepoint = cell.set < kSymbolSets ? table(cell) : kSpace;
  // A colour nobody sees does not make the cell differ from the one before.
  if (out.codepoint == kSpace) out.fg = out.bg;
  if (out.codepoint == kFullBlock) out.bg = out.fg;
  if (out.fg == out.bg && out.codepoint != kSpace && out.codepoint != kFullBlock) out.codepoint = kSpace;
  return out;
}

}  // namespace

int ansi_256_index(const std::uint8_t rgb[3]) {
  const int r = nearest_cube_level(rgb[0]), g = nearest_cube_level(rgb[1]), b = nearest_cube_level(rgb[2]);
  const int cube = 16 + 36 * r + 6 * g + b;
  const int cube_d = distance2(rgb, kCubeLevels[r], kCubeLevels[g], kCubeLevels[b]);
  const int mean = (rgb[0] + rgb[1] + rgb[2]) / 3;
  const int grey = std::clamp((mean - 8 + 5) / 10, 0, 23);
  const int level = 8 + 10 * grey;
  return distance2(rgb, level, level, level) < cube_d ? 232 + grey : cube;
}

int ansi_16_index(const std::uint8_t rgb[3]) {
  int best = 0, best_d = distance2(rgb, kStandard16[0][0], kStandard16[0][1], kStandard16[0][2]);
  for (int i = 1; i < 16; i++) {
    const int d = distance2(rgb, kStandard16[i][0], kStandard16[i][1], kStandard16[i][2]);
    if (d < best_d) {
      best = i;
      best_d = d;
    }
  }
  return best;
}

AnsiCell ansi_cell(const SymbolCell& cell, AnsiColors colors, AnsiSymbols symbols) {
  return make_cell(cell, colors, CodepointTable::for_symbols(symbols));
}

void AnsiEncoder::configure(int cols, int rows, const AnsiOptions& options) {
  cols_ = cols;
  rows_ = rows;
  options_ = options;
  previous_.assign(std::size_t(cols) * rows, AnsiCell{});
  current_.assign(std::size_t(cols) * rows, AnsiCell{});
  have_previous_ = false;
  cursor_row_ = cursor_col_ = -1;
}

void AnsiEncoder::move_to(int row, int col, std::string* out) {
  if (row == cursor_row_ && col == cursor_col_) return;
  if (row == cursor_row_ && col > cursor_col_ && cursor_col_ >= 0) {
    out->append("\x1b[");
    if (col - cursor_col_ > 1) append_number(unsigned(col - cursor_col_), out);
    out->push_back('C');
  } else {
    out->append("\x1b[");
    append_number(unsigned(options_.top + row), out);
    out->push_back(';');
    append_number(unsigned(options_.left + col), out);
    out->push_back('H');
  }
  cursor_row_ = row;
  cursor_col_ = col;
}

void AnsiEncoder::draw_cell(const AnsiCell& cell, std::string* out) {
  const bool set_fg = needs_fg(cell) && pen_fg_ != std::int64_t(cell.fg);
  const bool set_bg = needs_bg(cell) && pen_bg_ != std::int64_t(cell.bg);
  if (set_fg || set_bg) {
    out->append("\x1b[");
    if (set_fg) append_colour(cell.fg, false, options_.colors, out);
    if (set_fg && set_bg) out->push_back(';');
    if (set_bg) append_colour(cell.bg, true, options_.colors, out);
    out->push_back('m');
    if (set_fg) pen_fg_ = cell.fg;
    if (set_bg) pen_bg_ = cell.bg;
  }
  append_utf8(cell.codepoint, out);
  cursor_col_++;
}

bool AnsiEncoder::encode(const SymbolCell* cells, bool full, std::string* out) {
  const std::size_t n = current_.size();
  const CodepointTable& table = CodepointTable::for_symbols(options_.symbols);
  for (std::size_t i = 0; i < n; i++) current_[i] = make_cell(cells[i], options_.colors, table);
  full = full || !have_previous_;
  if (!full && current_ == previous_) return false;  // nothing to draw: no bytes at all

  if (options_.synchronized) out->append("\x1b[?2026h");
  // Colours from the terminal's default (the last frame ended with a reset; a full picture may
  // follow anything).
  if (full) {
    out->append("\x1b[0m");
    cursor_row_ = cursor_col_ = -1;
  }
  pen_fg_ = pen_bg_ = -1;
  for (int r = 0; r < rows_; r++) {
    const AnsiCell* now = &current_[std::size_t(r) * cols_];
    const AnsiCell* before = &previous_[std::size_t(r) * cols_];
    int c = 0;
    while (c < cols_) {
      if (!full && now[c] == before[c]) {
        c++;
        continue;
      }
      move_to(r, c, out);
      draw_cell(now[c], out);
      c++;
      if (full) continue;
      // The next changed cell in this row: redraw the unchanged ones between when that is shorter
      // than moving over them.
      int next = c;
      while (next < cols_ && now[next] == before[next]) next++;
      if (next == cols_ || next == c) continue;
      int redraw = 0;
      std::int64_t fg = pen_fg_, bg = pen_bg_;
      for (int k = c; k < next; k++) {
        redraw += utf8_length(now[k].codepoint);
        if (needs_fg(now[k]) && fg != std::int64_t(now[k].fg)) {
          redraw += colour_cost(options_.colors);
          fg = now[k].fg;
        }
        if (needs_bg(now[k]) && bg != std::int64_t(now[k].bg)) {
          redraw += colour_cost(options_.colors);
          bg = now[k].bg;
        }
      }
      const int gap = next - c;
      const int move = 3 + (gap > 1 ? (gap > 9 ? 2 : 1) : 0);
      if (redraw <= move) {
        for (; c < next; c++) draw_cell(now[c], out);
      } else {
        c = next;
      }
    }
  }
  out->append("\x1b[0m");
  if (options_.synchronized) out->append("\x1b[?2026l");
  previous_.swap(current_);
  have_previous_ = true;
  return full;
}

}  // namespace gstascii
