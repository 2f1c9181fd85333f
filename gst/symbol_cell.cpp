// SPDX-License-Identifier: LGPL-2.1-or-later
#include "symbol_cell.h"

#include <cmath>
#include <cstring>
#include <vector>

namespace gstascii {

SubcellGrid symbol_subcells(SymbolSet set) {
  switch (set) {
    case kHalf: return {1, 2};
    case kQuadrant: return {2, 2};
    case kSextant: return {2, 3};
    case kOctant: return {2, 4};
    case kGlyph:
    case kEdge: break;
  }
  return {1, 1};
}

bool symbol_is_known(const SymbolCell& cell) {
  switch (cell.set) {
    case kGlyph: return cell.code >= kFirstGlyph && cell.code < kFirstGlyph + kGlyphCount;
    case kHalf: return cell.code < 4;
    case kQuadrant: return cell.code < 16;
    case kSextant: return cell.code < 64;
    case kOctant:
    case kEdge: return true;
  }
  return false;
}

const std::uint8_t* edge_shapes() {
  // Pixel centres in pixels from the cell's centre; a pixel is ink when its distance along the
  // edge's normal passes the offset, which steps through the cell's extent along that normal.
  static const std::vector<std::uint8_t> shapes = [] {
    std::vector<std::uint8_t> rows(std::size_t(kEdgeCount) * kGlyphHeight, 0);
    const double pi = 3.14159265358979323846;
    for (int code = 0; code < kEdgeCount; code++) {
      const double angle = (code / 8) * pi / 32, c = std::cos(angle), s = std::sin(angle);
      const double extent = 4 * std::fabs(c) + 8 * std::fabs(s);
      const double offset = extent * ((code % 8) - 3.5) / 4.5;
      for (int y = 0; y < kGlyphHeight; y++) {
        for (int x = 0; x < kGlyphWidth; x++) {
          const double along = (x + 0.5 - 4) * c + (y + 0.5 - 8) * s;
          if (along > offset) rows[std::size_t(code) * kGlyphHeight + y] |= std::uint8_t(0x80 >> x);
        }
      }
    }
    return rows;
  }();
  return shapes.data();
}

const std::uint8_t* edge_rows(std::uint8_t code) {
  return edge_shapes() + std::size_t(code) * kGlyphHeight;
}

bool symbol_ink(const SymbolCell& cell, int x, int y, int w, int h) {
  if (cell.set == kGlyph) return glyph_ink(cell.code, x * kGlyphWidth / w, y * kGlyphHeight / h);
  if (cell.set == kEdge) return (edge_rows(cell.code)[y * kGlyphHeight / h] >> (7 - x * kGlyphWidth / w)) & 1;
  if (!symbol_is_known(cell)) return false;
  const SubcellGrid grid = symbol_subcells(SymbolSet(cell.set));
  const int bit = (y * grid.rows / h) * grid.cols + x * grid.cols / w;
  return (cell.code >> bit) & 1;
}

void quantise_symbol_cells(SymbolCell* cells, std::size_t count, std::uint8_t colour_mask, bool gray) {
  for (std::size_t i = 0; i < count; i++) {
    for (std::uint8_t* rgb : {cells[i].fg, cells[i].bg}) {
      if (gray) {
        // BT.601 luma, as the seed computes gray.
        const auto y = std::uint8_t((9798 * rgb[0] + 19235 * rgb[1] + 3735 * rgb[2] + 16384) >> 15);
        rgb[0] = rgb[1] = rgb[2] = y;
      } else {
        for (int c = 0; c < 3; c++) rgb[c] &= colour_mask;
      }
    }
  }
}

void render_symbol_cells(const SymbolCell* cells, int cols, int rows, int cell_w, int cell_h, std::uint8_t* rgba,
                         std::size_t stride) {
  // Where each pixel of a cell falls, worked out once: its glyph pixel, and its sub-cell of each
  // mosaic set (what symbol_ink computes per pixel).
  std::vector<std::uint8_t> glyph_x(cell_w), glyph_y(cell_h);
  std::vector<std::uint8_t> bit_x[kSymbolSets], bit_y[kSymbolSets];
  for (int x = 0; x < cell_w; x++) glyph_x[x] = std::uint8_t(x * kGlyphWidth / cell_w);
  for (int y = 0; y < cell_h; y++) glyph_y[y] = std::uint8_t(y * kGlyphHeight / cell_h);
  for (int set = kHalf; set <= kOctant; set++) {
    const SubcellGrid grid = symbol_subcells(SymbolSet(set));
    bit_x[set].resize(cell_w);
    bit_y[set].resize(cell_h);
    for (int x = 0; x < cell_w; x++) bit_x[set][x] = std::uint8_t(x * grid.cols / cell_w);
    for (int y = 0; y < cell_h; y++) bit_y[set][y] = std::uint8_t((y * grid.rows / cell_h) * grid.cols);
  }
  for (int row = 0; row < rows; row++) {
    for (int col = 0; col < cols; col++) {
      const SymbolCell& cell = cells[std::size_t(row) * cols + col];
      const std::uint8_t fg[4] = {cell.fg[0], cell.fg[1], cell.fg[2], 255};
      const std::uint8_t bg[4] = {cell.bg[0], cell.bg[1], cell.bg[2], 255};
      const bool known = symbol_is_known(cell);
      for (int y = 0; y < cell_h; y++) {
        std::uint8_t* out = rgba + (std::size_t(row) * cell_h + y) * stride + std::size_t(col) * cell_w * 4;
        if (!known) {
          for (int x = 0; x < cell_w; x++) std::memcpy(out + 4 * x, bg, 4);
        } else if (cell.set == kGlyph || cell.set == kEdge) {
          const std::uint8_t bits = (cell.set == kGlyph ? glyph_rows(cell.code) : edge_rows(cell.code))[glyph_y[y]];
          for (int x = 0; x < cell_w; x++) std::memcpy(out + 4 * x, (bits >> (7 - glyph_x[x])) & 1 ? fg : bg, 4);
        } else {
          const std::uint8_t* bx = bit_x[cell.set].data();
          const int by = bit_y[cell.set][y];
          for (int x = 0; x < cell_w; x++) std::memcpy(out + 4 * x, (cell.code >> (by + bx[x])) & 1 ? fg : bg, 4);
        }
      }
    }
  }
}

void symbol_cells_from_classic(const Cell* cells, std::size_t count, int mode, SymbolCell* out) {
  for (std::size_t i = 0; i < count; i++) {
    const Cell& c = cells[i];
    const bool grey = mode == 1;
    out[i] = SymbolCell{kGlyph,
                        c.ch,
                        {grey ? kMonochromeGrey : c.r, grey ? kMonochromeGrey : c.g, grey ? kMonochromeGrey : c.b},
                        {0, 0, 0}};
  }
}

}  // namespace gstascii
