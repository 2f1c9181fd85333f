// gst-ascii core: a picture as plain ASCII text, as asciimap draws it in mode 1 (the default
// palette, no colour): the recorder's scene frames for agents that read only text.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "area_average.h"
#include "cell_grid.h"
#include "grid_fit.h"
#include "palette.h"

namespace gstascii {

class TextPicture {
 public:
  TextPicture();

  // For pictures of |shape| laid out as |layout|: |cols| columns and the rows its shape needs for
  // cells 3 wide and 4 high. Returns an empty string on success, otherwise what is wrong.
  std::string configure(const FrameLayout& layout, const PictureShape& shape, int cols);
  int cols() const { return cols_; }
  int rows() const { return rows_; }

  // The picture as |rows()| lines of |cols()| characters, each ended by '\n'.
  std::string render(const PlaneView* planes);

 private:
  AreaAverager averager_;
  CharTable table_;
  int cols_ = 0, rows_ = 0;
  std::vector<std::uint8_t> bgr_;
  std::vector<Cell> cells_;
};

}  // namespace gstascii
