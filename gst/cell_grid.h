// gst-ascii core: the character-cell grid.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gstascii {

// One character cell, laid out as it travels in an ASCILINE raw frame: char byte, then R, G, B.
struct Cell {
  std::uint8_t ch;
  std::uint8_t r, g, b;
  bool operator==(const Cell& o) const { return ch == o.ch && r == o.r && g == o.g && b == o.b; }
  bool operator!=(const Cell& o) const { return !(*this == o); }
};
static_assert(sizeof(Cell) == 4, "a cell is 4 bytes on the wire");

inline constexpr std::size_t kCellBytes = sizeof(Cell);

// Largest grid the elements accept: beyond this a frame (64 MiB) is a mistake, not a picture.
inline constexpr int kMaxCols = 4096;
inline constexpr int kMaxRows = 4096;

// A cols x rows grid of cells, row-major (row 0 first, left to right).
class CellGrid {
 public:
  CellGrid() = default;
  CellGrid(int cols, int rows) : cols_(cols), rows_(rows), cells_(std::size_t(cols) * rows) {}

  int cols() const { return cols_; }
  int rows() const { return rows_; }
  std::size_t size() const { return cells_.size(); }
  Cell* data() { return cells_.data(); }
  const Cell* data() const { return cells_.data(); }
  Cell& at(int col, int row) { return cells_[std::size_t(row) * cols_ + col]; }
  const Cell& at(int col, int row) const { return cells_[std::size_t(row) * cols_ + col]; }
  bool operator==(const CellGrid& o) const { return cols_ == o.cols_ && rows_ == o.rows_ && cells_ == o.cells_; }

 private:
  int cols_ = 0;
  int rows_ = 0;
  std::vector<Cell> cells_;
};

}  // namespace gstascii
