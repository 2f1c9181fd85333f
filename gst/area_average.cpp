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

template <typename Acc>
void sum_band(Acc* acc, const PlaneView& view, int begin, int end, int row_bytes) {
  std::memset(acc, 0, sizeof(Acc) * row_bytes);
  for (int y = begin; y < end; ++y) add_row(acc, view.data + std::size_t(y) * view.stride, row_bytes);
}

std::uint8_t clamp_round(float v) {
  return std::uint8_t(std::clamp(v + 0.5f, 0.0f, 255.0f));
}

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
    averages_[c].assign(std::size_t(cols) * rows, 0);
  }
  for (PlaneWork& pw : planes_) {
    if (pw.components.empty()) continue;
    pw.bands = make_spans(pw.height, rows);
  }
  acc32_.assign(max_row_bytes, 0);
  acc16_.assign(max_row_bytes, 0);

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
  for (int c : pw.components) {
    const ComponentLayout& comp = layout_.comp[c];
    std::uint8_t* out = averages_[c].data() + std::size_t(row) * cols_;
    for (int col = 0; col < cols_; ++col) {
      const Span span = columns_[c][col];
      std::uint64_t sum = 0;
      std::size_t i = std::size_t(comp.offset) + std::size_t(span.begin) * comp.pixel_stride;
      for (int x = span.begin; x < span.end; ++x, i += comp.pixel_stride) sum += acc[i];
      const std::uint64_t count = std::uint64_t(span.end - span.begin) * band_rows;
      out[col] = std::uint8_t((sum + count / 2) / count);
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
      const std::uint8_t *u_avg = averages_[1].data(), *v_avg = averages_[2].data();
      for (std::size_t i = 0; i < n; ++i, out_bgr += 3) {
        const float y = (float(a0[i]) - yuv_.y_offset) * yuv_.y_scale;
        const float u = (float(u_avg[i]) - 128.0f) * yuv_.uv_scale;
        const float v = (float(v_avg[i]) - 128.0f) * yuv_.uv_scale;
        out_bgr[0] = clamp_round(y + yuv_.b_u * u);
        out_bgr[1] = clamp_round(y - yuv_.g_u * u - yuv_.g_v * v);
        out_bgr[2] = clamp_round(y + yuv_.r_v * v);
      }
      break;
    }
  }
}

}  // namespace gstascii
