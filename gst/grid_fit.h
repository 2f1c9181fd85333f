// gst-ascii core: choosing the cell grid for a picture so it keeps its display shape.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

namespace gstascii {

// A cell is drawn 3 wide by 4 high (the web player's cells; the seed's 200x84 grid is a 16:9
// picture in such cells).
inline constexpr int kCellWidthUnits = 3;
inline constexpr int kCellHeightUnits = 4;

// The box the default grid fits in: the `high` preset's grid.
inline constexpr int kDefaultBoxCols = 200;
inline constexpr int kDefaultBoxRows = 84;

// A picture as it will be shown: its size in pixels and the shape of one pixel (pixel aspect
// ratio par_n:par_d; 1:1 for square pixels). Rotation is applied before: a 1280x720 picture
// turned a quarter is 720x1280.
struct PictureShape {
  int width = 0;
  int height = 0;
  int par_n = 1;
  int par_d = 1;
  double display_aspect() const;  // width / height as displayed
};

// What the user asked for: 0 means "derive it".
struct GridRequest {
  int cols = 0;
  int rows = 0;
  int box_cols = kDefaultBoxCols;  // with neither given, the grid fits inside this box
  int box_rows = kDefaultBoxRows;
};

struct GridSize {
  int cols = 0;
  int rows = 0;
};

// The grid for |picture|:
// - cols and rows given: exactly that grid;
// - one given: the other follows from the display aspect;
// - neither: a picture that already fits the box is mapped one pixel per cell (it was scaled for
//   this grid upstream); a larger one gets the largest grid of its display aspect inside the box,
//   and never more cells than it has pixels either way.
// Every result is at least 1x1 and at most kMaxCols x kMaxRows. A picture of unknown size (0)
// gets the box.
GridSize fit_grid(const PictureShape& picture, const GridRequest& request);

// The largest grid of |picture|'s display shape inside a terminal of |cols| x |rows| cells, each
// |cell_aspect| as wide as it is high (about 0.5 in most fonts). At least 1 x 1.
GridSize fit_in_terminal(const PictureShape& picture, int cols, int rows, double cell_aspect);

}  // namespace gstascii
