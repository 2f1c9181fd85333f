// gst-ascii core: two-colour mosaic cells, the best picture quality per CPU a character cell can
// carry (see ../shared quality notes: a background colour per cell matters more than glyph
// choice). A cell is split into a grid of sub-cells: half blocks 1x2, quadrants 2x2, sextants 2x3,
// octants 2x4. The fitter tries every split of the sub-cells into two groups and keeps the one
// whose two mean colours leave the least error; the cell is then drawn as its background colour
// with the pattern's sub-cells in its foreground colour.
//
// The error is squared RGB distance with the channels weighted 2:4:1 (R:G:B), close to how much
// each contributes to perceived lightness. All arithmetic is integer, so a fast path can match this
// scalar reference exactly; ties go to the lowest pattern.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>

namespace gstascii {

enum class Mosaic {
  kHalf,      // 1 x 2: upper and lower half
  kQuadrant,  // 2 x 2
  kSextant,   // 2 x 3
  kOctant,    // 2 x 4
};

// Sub-cells across and down one cell.
struct MosaicShape {
  int cols = 1;
  int rows = 2;
  int count() const { return cols * rows; }
};
MosaicShape mosaic_shape(Mosaic mosaic);

struct MosaicCell {
  // Bit i set: sub-cell i (row-major from the top left) is drawn in |fg|. Sub-cell 0 is always in
  // |bg| (a split and its complement are the same cell), so 0 is a flat cell of one colour.
  std::uint8_t pattern = 0;
  std::uint8_t fg[3] = {0, 0, 0};  // R, G, B
  std::uint8_t bg[3] = {0, 0, 0};
};

// The error weights of R, G and B.
inline constexpr int kMosaicWeights[3] = {2, 4, 1};

// Fits one cell from its sub-cell samples: packed B,G,R, mosaic_shape(mosaic).rows rows of
// .cols samples, |row_stride| bytes from one row to the next.
MosaicCell fit_mosaic_cell(Mosaic mosaic, const std::uint8_t* bgr, std::size_t row_stride);

// Fits a cols x rows grid from sub-cell samples: |bgr| holds (cols * shape.cols) x
// (rows * shape.rows) packed B,G,R samples, row after row (what AreaAverager gives at that size).
void fit_mosaic(Mosaic mosaic, const std::uint8_t* bgr, int cols, int rows, MosaicCell* out);

// The weighted squared error of drawing |cell| over its samples (as fit_mosaic_cell reads them).
std::uint64_t mosaic_error(Mosaic mosaic, const MosaicCell& cell, const std::uint8_t* bgr, std::size_t row_stride);

}  // namespace gstascii
