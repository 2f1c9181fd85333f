// gst-ascii core: area-averaging downscale of an 8-bit video frame to one B,G,R value per cell.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gstascii {

// Where one 8-bit component (R, G, B or Y, U, V) of a frame lives.
struct ComponentLayout {
  int plane = 0;         // plane index
  int offset = 0;        // byte offset of the first sample in a row
  int pixel_stride = 1;  // bytes from one sample to the next in a row
  int width = 0;         // samples across (smaller than the frame for subsampled chroma)
  int height = 0;        // samples down
};

enum class ColourModel {
  kRgb,   // components are R, G, B
  kYuv,   // components are Y, U, V
  kGray,  // one component, full-range luma
};

struct FrameLayout {
  ColourModel model = ColourModel::kRgb;
  int n_components = 3;
  ComponentLayout comp[3];
  // Y'CbCr matrix (BT.601: 0.299 / 0.114, BT.709: 0.2126 / 0.0722) and range, for kYuv.
  double kr = 0.299;
  double kb = 0.114;
  bool full_range = false;
};

struct PlaneView {
  const std::uint8_t* data = nullptr;
  std::size_t stride = 0;  // bytes from one row to the next
};

// Averages every source sample that falls in a cell's area (a box filter): each source sample
// belongs to exactly one cell, so nothing aliases the way point sampling does. When the grid is
// larger than the source, a cell takes the sample under it.
class AreaAverager {
 public:
  // Returns an empty string on success, otherwise what is wrong with the layout or grid.
  std::string configure(const FrameLayout& layout, int cols, int rows);
  // Writes cols * rows packed B,G,R values to |out_bgr|. |planes| is indexed by plane number.
  void run(const PlaneView* planes, std::uint8_t* out_bgr);

 private:
  struct Span {
    int begin, end;  // [begin, end) in source samples
  };
  struct PlaneWork {
    int height = 0;
    int row_bytes = 0;
    std::vector<Span> bands;      // one per cell row
    std::vector<int> components;  // indices into layout_.comp held in this plane
  };

  static std::vector<Span> make_spans(int size, int n);
  void average_plane(int plane, const PlaneView& view);
  template <typename Acc>
  void average_band(const PlaneWork& pw, int row, const PlaneView& view, std::vector<Acc>& acc);

  FrameLayout layout_;
  int cols_ = 0, rows_ = 0;
  std::vector<PlaneWork> planes_;
  std::vector<Span> columns_[3];           // per component, one span per cell column
  std::vector<std::uint8_t> averages_[3];  // per component, one value per cell
  std::vector<std::uint32_t> acc32_;
  std::vector<std::uint16_t> acc16_;
  std::vector<std::uint64_t> reciprocals_;     // by sample count; empty when a count is too large
  std::vector<std::int32_t> first_sample_[3];  // per component and cell column: its first sample's index in a row
  std::vector<std::int32_t> span_width_[3];    // and how many samples it spans
  std::vector<std::uint8_t> rgb_row_[3];       // one row of converted B, G, R
  std::vector<std::uint32_t> prefix_;          // running totals of a band's column sums
  // Y'CbCr -> R'G'B' on the 0..255 scale: R = y + r_v*v, G = y - g_u*u - g_v*v, B = y + b_u*u.
  struct YuvToRgb {
    float y_scale = 1, y_offset = 0, uv_scale = 1;
    float r_v = 0, g_u = 0, g_v = 0, b_u = 0;
  } yuv_;
};

}  // namespace gstascii
