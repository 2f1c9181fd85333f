// SPDX-License-Identifier: LGPL-2.1-or-later
#include "grid_fit.h"

#include <algorithm>
#include <cmath>

#include "cell_grid.h"

namespace gstascii {

double PictureShape::display_aspect() const {
  if (width <= 0 || height <= 0)
    return double(kDefaultBoxCols * kCellWidthUnits) / (kDefaultBoxRows * kCellHeightUnits);
  const double par = par_n > 0 && par_d > 0 ? double(par_n) / par_d : 1.0;
  return double(width) * par / height;
}

namespace {

int clamp_dimension(double v, int max) {
  return std::clamp(int(std::lround(v)), 1, max);
}

// Rows that show |cols| cells of a picture |aspect| wide (per unit of height), and the reverse.
double rows_for(double cols, double aspect) {
  return cols * kCellWidthUnits / (kCellHeightUnits * aspect);
}
double cols_for(double rows, double aspect) {
  return rows * kCellHeightUnits * aspect / kCellWidthUnits;
}

}  // namespace

GridSize fit_grid(const PictureShape& picture, const GridRequest& request) {
  const double aspect = picture.display_aspect();
  if (request.cols > 0 && request.rows > 0) return {std::min(request.cols, kMaxCols), std::min(request.rows, kMaxRows)};
  if (request.cols > 0)
    return {std::min(request.cols, kMaxCols), clamp_dimension(rows_for(request.cols, aspect), kMaxRows)};
  if (request.rows > 0)
    return {clamp_dimension(cols_for(request.rows, aspect), kMaxCols), std::min(request.rows, kMaxRows)};

  const int box_cols = std::clamp(request.box_cols, 1, kMaxCols);
  const int box_rows = std::clamp(request.box_rows, 1, kMaxRows);
  const bool known = picture.width > 0 && picture.height > 0;
  if (known && picture.width <= box_cols && picture.height <= box_rows) return {picture.width, picture.height};

  double cols = box_cols;
  double rows = rows_for(cols, aspect);
  if (std::lround(rows) > box_rows) {  // compared as rounded, so 16:9 (84.4 rows) keeps 200 cols
    rows = box_rows;
    cols = cols_for(rows, aspect);
  }
  // Averaging never invents detail: shrink the grid, keeping its shape, to the picture's pixels.
  if (known) {
    const double shrink = std::min({1.0, picture.width / cols, picture.height / rows});
    cols *= shrink;
    rows *= shrink;
  }
  GridSize grid{clamp_dimension(cols, std::min(box_cols, known ? picture.width : kMaxCols)),
                clamp_dimension(rows, std::min(box_rows, known ? picture.height : kMaxRows))};
  return grid;
}

GridSize fit_in_terminal(const PictureShape& picture, int cols, int rows, double cell_aspect) {
  cols = std::clamp(cols, 1, kMaxCols);
  rows = std::clamp(rows, 1, kMaxRows);
  if (!(cell_aspect > 0.05 && cell_aspect < 20)) cell_aspect = 0.5;
  const double aspect = picture.display_aspect();
  // Cells across for the full height; if that is too wide, the full width decides instead.
  const double across = rows * aspect / cell_aspect;
  if (std::lround(across) <= cols) return {clamp_dimension(across, cols), rows};
  return {cols, clamp_dimension(cols * cell_aspect / aspect, rows)};
}

}  // namespace gstascii
