// SPDX-License-Identifier: LGPL-2.1-or-later
#include "text_picture.h"

#include "asciline_wire.h"
#include "cell_mapper.h"

namespace gstascii {

TextPicture::TextPicture() : table_(build_char_table(kDefaultPalette, Mapping::kSeed, Tone())) {}

std::string TextPicture::configure(const FrameLayout& layout, const PictureShape& shape, int cols) {
  const GridSize grid = fit_grid(shape, GridRequest{cols, 0});
  std::string why = averager_.configure(layout, grid.cols, grid.rows);
  if (!why.empty()) return why;
  cols_ = grid.cols;
  rows_ = grid.rows;
  bgr_.resize(std::size_t(cols_) * rows_ * 3);
  cells_.resize(std::size_t(cols_) * rows_);
  return {};
}

std::string TextPicture::render(const PlaneView* planes) {
  averager_.run(planes, bgr_.data());
  map_bgr_to_cells(bgr_.data(), cells_.size(), table_, colour_mask_for_mode(1),
                   reinterpret_cast<std::uint8_t*>(cells_.data()));
  // The text frame is "index\n" and the rows joined by '\n'.
  std::string frame = encode_text_frame(0, cells_.data(), cols_, rows_);
  std::string text = frame.substr(frame.find('\n') + 1);
  text += '\n';
  return text;
}

}  // namespace gstascii
