// gst-ascii core: area-averaging downscale of an 8-bit video frame to one B,G,R value per cell.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "simd.h"

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
// Internal to AreaAverager (its loops read them):
// Y'CbCr -> R'G'B' in 16.16 fixed point: R = ys (y - yo) + r_v v, G = ys (y - yo) - g_u u - g_v v,
// B = ys (y - yo) + b_u u (u, v centred on 0).
struct YuvFixed {
  std::int32_t y_scale = 1 << 16, y_offset = 0, r_v = 0, g_u = 0, g_v = 0, b_u = 0;
};
// Up to 32 cells of a row for the AVX-512 loop: each is the sum of up to kTaps samples of a window
// of 64 column sums from |base|, picked by a permutation per tap (tap t of a cell is t strides on
// from its first sample), then divided exactly in 16 bits (see chunks_avx512). A plane's bands
// are at most two heights, |short_band| and one more; the divisors are kept for both.
struct AreaChunk {
  static constexpr int kTaps = 16;
  static constexpr int kLanes = 32;
  std::int32_t base;                    // the window's first column sum
  std::int32_t first_col;               // the chunk's first cell
  std::int32_t lanes;                   // cells in the chunk (up to 32: as many as the window holds)
  std::int32_t taps;                    // samples its widest cell spans
  std::int32_t stride;                  // window positions from one tap to the next
  std::uint64_t window_bytes;           // the window's positions that lie in the row (read from rows)
  std::uint32_t mask[kTaps];            // lanes that take each tap
  std::uint16_t first[kLanes];          // window position of each cell's first sample
  std::uint16_t count[2][kLanes];       // samples in each cell (1 in unused lanes), per band height
  std::uint16_t multiplier[2][kLanes];  // floor(65535 / count)
};
struct AreaKernels;

class AreaAverager {
 public:
  // Returns an empty string on success, otherwise what is wrong with the layout or grid. |level|
  // picks the build of the loops (the tests compare them; every build gives the same bytes).
  std::string configure(const FrameLayout& layout, int cols, int rows, SimdLevel level = best_simd_level());
  // Writes cols * rows packed B,G,R values to |out_bgr|. |planes| is indexed by plane number.
  void run(const PlaneView* planes, std::uint8_t* out_bgr);
  // The same as three planes of cols * rows values, R, G and B (what the symbol fitter reads).
  void run_planar(const PlaneView* planes, std::uint8_t* out_r, std::uint8_t* out_g, std::uint8_t* out_b);
  // Rows [first, last) of that, row |first| at out_r[0]: a band at a time, for its user to read
  // while it is in cache. A frame's bands in order, from row 0 (a band may reuse the last's work).
  void run_planar_rows(const PlaneView* planes, int first, int last, std::uint8_t* out_r, std::uint8_t* out_g,
                       std::uint8_t* out_b);
  int cols() const { return cols_; }
  int rows() const { return rows_; }

 private:
  struct Span {
    int begin, end;  // [begin, end) in source samples
  };
  struct PlaneWork {
    int height = 0;
    int row_bytes = 0;
    int short_band = 0;           // the height of its shorter bands (the others are one taller)
    std::vector<Span> bands;      // one per cell row
    std::vector<int> components;  // indices into layout_.comp held in this plane
  };
  static std::vector<Span> make_spans(int size, int n);
  void plan_chunks(int c);
  void average_row(int row, const PlaneView* planes);
  template <typename Acc>
  void average_band(const PlaneWork& pw, int row, const PlaneView& view, Acc* acc);
  void convert_row(std::uint8_t* r, std::uint8_t* g, std::uint8_t* b);

  FrameLayout layout_;
  int cols_ = 0, rows_ = 0;
  const AreaKernels* kernels_ = nullptr;
  std::vector<PlaneWork> planes_;
  std::vector<Span> columns_[3];           // per component, one span per cell column
  std::vector<std::uint8_t> averages_[3];  // per component, one row of cells
  std::vector<std::uint32_t> acc32_;
  std::vector<std::uint16_t> acc16_;           // padded for the AVX-512 window
  std::vector<std::uint64_t> reciprocals_;     // by sample count; empty when a count is too large
  std::vector<std::int32_t> first_sample_[3];  // per component and cell column: its first sample's index in a row
  std::vector<std::int32_t> span_width_[3];    // and how many samples it spans
  std::vector<AreaChunk> chunks_[3];           // per component, when the AVX-512 loop can do its rows
  int taps_[3] = {0, 0, 0};
  int last_row_ = -1;                     // the row averages_ hold
  std::vector<std::uint8_t> rgb_row_[3];  // one row of converted R, G, B
  std::vector<std::uint32_t> prefix_;     // running totals of a band's column sums
  YuvFixed yuv_;
};

}  // namespace gstascii
