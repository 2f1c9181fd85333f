// SPDX-License-Identifier: LGPL-2.1-or-later
#include "area_average.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "cell_grid.h"

namespace gstascii {
namespace {

// Adds one source row into the column accumulator. The restrict pointers let the compiler
// vectorise the widening add.
template <typename Acc>
void add_row(Acc* __restrict acc, const std::uint8_t* __restrict row, int n) {
  for (int i = 0; i < n; ++i) acc[i] = Acc(acc[i] + row[i]);
}

// The first row is copied (widened) rather than added to zeros.
template <typename Acc>
void first_row(Acc* __restrict acc, const std::uint8_t* __restrict row, int n) {
  for (int i = 0; i < n; ++i) acc[i] = Acc(row[i]);
}

template <typename Acc>
void sum_band(Acc* acc, const PlaneView& view, int begin, int end, int row_bytes) {
  first_row(acc, view.data + std::size_t(begin) * view.stride, row_bytes);
  for (int y = begin + 1; y < end; ++y) add_row(acc, view.data + std::size_t(y) * view.stride, row_bytes);
}

// Y'CbCr to R'G'B' in 16.16 fixed point: integer arithmetic the compiler vectorises, where the
// float version ran a sample at a time.
constexpr int kFixedShift = 16;
std::int32_t fixed(float v) {
  return std::int32_t(std::lround(double(v) * (1 << kFixedShift)));
}
std::uint8_t clamp_fixed(std::int32_t v) {
  v = (v + (1 << (kFixedShift - 1))) >> kFixedShift;
  return std::uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Rounded division by a cell's sample count as a multiplication: with m = ceil(2^40 / c),
// floor(n * m / 2^40) == floor(n / c) whenever n * c < 2^40, which holds for n < 256 c (a sum of
// c samples, plus c / 2) while c < 65,536. A division per output sample cost more than the sums
// when cells are a few samples each (the symbol styles' sub-cell grids).
constexpr int kReciprocalShift = 40;
constexpr std::uint64_t kMaxReciprocalCount = 65535;

}  // namespace

// Cell i of n covers [i * size / n, (i + 1) * size / n); never empty, so an upscale picks the
// nearest sample.
std::vector<AreaAverager::Span> AreaAverager::make_spans(int size, int n) {
  std::vector<Span> spans(n);
  for (int i = 0; i < n; ++i) {
    int begin = int(std::int64_t(i) * size / n);
    int end = int(std::int64_t(i + 1) * size / n);
    begin = std::min(begin, size - 1);
    end = std::max(end, begin + 1);
    spans[i] = Span{begin, end};
  }
  return spans;
}

std::string AreaAverager::configure(const FrameLayout& layout, int cols, int rows) {
  if (cols < 1 || rows < 1 || cols > kMaxCols || rows > kMaxRows) return "grid size out of range";
  if (layout.n_components != 1 && layout.n_components != 3) return "unsupported component count";
  if ((layout.model == ColourModel::kGray) != (layout.n_components == 1)) return "inconsistent layout";
  layout_ = layout;
  cols_ = cols;
  rows_ = rows;
  planes_.clear();
  std::size_t max_row_bytes = 0;
  for (int c = 0; c < layout.n_components; ++c) {
    const ComponentLayout& comp = layout.comp[c];
    if (comp.width < 1 || comp.height < 1 || comp.pixel_stride < 1 || comp.offset < 0 || comp.plane < 0 ||
        comp.plane > 3) {
      return "invalid component layout";
    }
    if (int(planes_.size()) <= comp.plane) planes_.resize(comp.plane + 1);
    PlaneWork& pw = planes_[comp.plane];
    if (!pw.components.empty() && pw.height != comp.height) return "components of one plane differ in height";
    pw.height = comp.height;
    pw.row_bytes = std::max(pw.row_bytes, comp.offset + (comp.width - 1) * comp.pixel_stride + 1);
    pw.components.push_back(c);
    max_row_bytes = std::max<std::size_t>(max_row_bytes, pw.row_bytes);
    columns_[c] = make_spans(comp.width, cols);
    first_sample_[c].resize(cols);
    span_width_[c].resize(cols);
    for (int col = 0; col < cols; ++col) {
      first_sample_[c][col] = comp.offset + columns_[c][col].begin * comp.pixel_stride;
      span_width_[c][col] = columns_[c][col].end - columns_[c][col].begin;
    }
    averages_[c].assign(std::size_t(cols) * rows, 0);
  }
  for (PlaneWork& pw : planes_) {
    if (pw.components.empty()) continue;
    pw.bands = make_spans(pw.height, rows);
  }
  acc32_.assign(max_row_bytes, 0);
  acc16_.assign(max_row_bytes, 0);
  for (auto& row : rgb_row_) row.assign(std::size_t(cols), 0);
  prefix_.assign(max_row_bytes + 1, 0);
  // Reciprocals of every count a cell can have, when they are all small enough.
  std::uint64_t max_count = 0;
  for (int c = 0; c < layout.n_components; ++c) {
    int widest = 0, tallest = 0;
    for (const Span& s : columns_[c]) widest = std::max(widest, s.end - s.begin);
    for (const Span& s : planes_[layout.comp[c].plane].bands) tallest = std::max(tallest, s.end - s.begin);
    max_count = std::max(max_count, std::uint64_t(widest) * std::uint64_t(tallest));
  }
  reciprocals_.clear();
  if (max_count <= kMaxReciprocalCount) {
    reciprocals_.resize(max_count + 1);
    for (std::uint64_t c = 1; c <= max_count; ++c) {
      reciprocals_[c] = ((std::uint64_t(1) << kReciprocalShift) + c - 1) / c;
    }
  }

  if (layout.model == ColourModel::kYuv) {
    const float kr = float(layout.kr), kb = float(layout.kb), kg = 1.0f - kr - kb;
    yuv_.y_scale = layout.full_range ? 1.0f : 255.0f / 219.0f;
    yuv_.y_offset = layout.full_range ? 0.0f : 16.0f;
    yuv_.uv_scale = layout.full_range ? 1.0f : 255.0f / 224.0f;
    yuv_.r_v = 2.0f * (1.0f - kr);
    yuv_.g_u = 2.0f * kb * (1.0f - kb) / kg;
    yuv_.g_v = 2.0f * kr * (1.0f - kr) / kg;
    yuv_.b_u = 2.0f * (1.0f - kb);
  }
  return {};
}

// Sums one band of rows into |acc|, then each cell's columns of it, for every component of the
// plane.
template <typename Acc>
void AreaAverager::average_band(const PlaneWork& pw, int row, const PlaneView& view, std::vector<Acc>& acc) {
  const Span band = pw.bands[row];
  sum_band(acc.data(), view, band.begin, band.end, pw.row_bytes);
  const std::uint64_t band_rows = std::uint64_t(band.end - band.begin);
  const Acc* sums = acc.data();
  const std::uint64_t* reciprocal = reciprocals_.empty() ? nullptr : reciprocals_.data();
  const int cols = cols_;
  for (int c : pw.components) {
    const int stride = layout_.comp[c].pixel_stride;
    const std::int32_t* first = first_sample_[c].data();
    const std::int32_t* width = span_width_[c].data();
    std::uint8_t* __restrict out = averages_[c].data() + std::size_t(row) * cols;
    if (stride == 1 && reciprocal) {
      // A plane of one component (planar YUV, gray): a running total of the row, so each cell is
      // one subtraction, however many samples it spans. (A total of 65,535 samples of 255 each, at
      // most, fits in 32 bits.)
      const int n = pw.row_bytes;
      std::uint32_t* __restrict total = prefix_.data();
      std::uint32_t running = 0;
      total[0] = 0;
      for (int i = 0; i < n; ++i) total[i + 1] = running += sums[i];
      for (int col = 0; col < cols; ++col) {
        const std::uint64_t sum = total[first[col] + width[col]] - total[first[col]];
        const std::uint64_t count = std::uint64_t(width[col]) * band_rows;
        out[col] = std::uint8_t(((sum + count / 2) * reciprocal[count]) >> kReciprocalShift);
      }
      continue;
    }
    for (int col = 0; col < cols; ++col) {
      const Acc* at = sums + first[col];
      std::uint64_t sum = 0;
      if (stride == 1) {
        for (int x = 0; x < width[col]; ++x) sum += at[x];
      } else {
        for (int x = 0; x < width[col]; ++x) sum += at[x * stride];
      }
      const std::uint64_t count = std::uint64_t(width[col]) * band_rows;
      out[col] = reciprocal ? std::uint8_t(((sum + count / 2) * reciprocal[count]) >> kReciprocalShift)
                            : std::uint8_t((sum + count / 2) / count);
    }
  }
}

void AreaAverager::average_plane(int plane, const PlaneView& view) {
  const PlaneWork& pw = planes_[plane];
  for (int row = 0; row < rows_; ++row) {
    // 16-bit column sums are twice as wide per vector op; they hold up to 257 rows of 255.
    if (pw.bands[row].end - pw.bands[row].begin <= 257) {
      average_band(pw, row, view, acc16_);
    } else {
      average_band(pw, row, view, acc32_);
    }
  }
}

void AreaAverager::run(const PlaneView* planes, std::uint8_t* out_bgr) {
  for (int p = 0; p < int(planes_.size()); ++p) {
    if (!planes_[p].components.empty()) average_plane(p, planes[p]);
  }
  const std::size_t n = std::size_t(cols_) * rows_;
  const std::uint8_t* a0 = averages_[0].data();
  switch (layout_.model) {
    case ColourModel::kRgb: {
      const std::uint8_t *r = a0, *g = averages_[1].data(), *b = averages_[2].data();
      for (std::size_t i = 0; i < n; ++i, out_bgr += 3) {
        out_bgr[0] = b[i];
        out_bgr[1] = g[i];
        out_bgr[2] = r[i];
      }
      break;
    }
    case ColourModel::kGray:
      for (std::size_t i = 0; i < n; ++i, out_bgr += 3) out_bgr[0] = out_bgr[1] = out_bgr[2] = a0[i];
      break;
    case ColourModel::kYuv: {
      // Converted a row of planes at a time (a loop the compiler vectorises), then interleaved.
      const std::uint8_t *u_avg = averages_[1].data(), *v_avg = averages_[2].data();
      const std::int32_t y_scale = fixed(yuv_.y_scale), y_offset = std::int32_t(yuv_.y_offset);
      const std::int32_t r_v = fixed(yuv_.r_v * yuv_.uv_scale), g_u = fixed(yuv_.g_u * yuv_.uv_scale),
                         g_v = fixed(yuv_.g_v * yuv_.uv_scale), b_u = fixed(yuv_.b_u * yuv_.uv_scale);
      std::uint8_t* __restrict b = rgb_row_[0].data(), * __restrict g = rgb_row_[1].data(), * __restrict r = rgb_row_[2].data();
      for (std::size_t at = 0; at < n; at += std::size_t(cols_)) {
        const std::size_t len = std::size_t(cols_);
        for (std::size_t i = 0; i < len; ++i) {
          const std::int32_t y = (std::int32_t(a0[at + i]) - y_offset) * y_scale;
          const std::int32_t u = std::int32_t(u_avg[at + i]) - 128, v = std::int32_t(v_avg[at + i]) - 128;
          b[i] = clamp_fixed(y + b_u * u);
          g[i] = clamp_fixed(y - g_u * u - g_v * v);
          r[i] = clamp_fixed(y + r_v * v);
        }
        for (std::size_t i = 0; i < len; ++i, out_bgr += 3) {
          out_bgr[0] = b[i];
          out_bgr[1] = g[i];
          out_bgr[2] = r[i];
        }
      }
      break;
    }
  }
}

}  // namespace gstascii
