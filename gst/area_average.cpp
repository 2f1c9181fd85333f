// SPDX-License-Identifier: LGPL-2.1-or-later
#include "area_average.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "cell_grid.h"

namespace gstascii {

// The loops each build of the averager runs (the same code compiled per instruction set, except
// |chunks|, which only AVX-512 has).
struct AreaKernels {
  void (*sum16)(std::uint16_t* acc, const std::uint8_t* data, std::size_t stride, int begin, int end, int n);
  void (*sum32)(std::uint32_t* acc, const std::uint8_t* data, std::size_t stride, int begin, int end, int n);
  void (*yuv_to_rgb)(const std::uint8_t* y, const std::uint8_t* u, const std::uint8_t* v, int n, const YuvFixed& fixed,
                     std::uint8_t* r, std::uint8_t* g, std::uint8_t* b);
  // Cells of one row from the column sums of a band, or, where |rows| is not null, from the band's
  // |n_rows| rows of bytes themselves (a plane of one component: no sums stored and read back);
  // null where the CPU lacks AVX-512. |tall| is 1 for a plane's taller bands.
  void (*chunks)(const std::uint16_t* sums, const std::uint8_t* rows, std::size_t stride, int n_rows,
                 const AreaChunk* chunks, int n_chunks, int tall, std::uint8_t* out);
};

namespace {

#define GSTASCII_AVG_INLINE inline __attribute__((always_inline))

// Sums rows [begin, end) of a plane into the column accumulator: the first row widened, the rest
// added. The restrict pointers let the compiler vectorise the widening add.
template <typename Acc>
GSTASCII_AVG_INLINE void sum_band(Acc* __restrict acc, const std::uint8_t* data, std::size_t stride, int begin, int end,
                                  int n) {
  const std::uint8_t* __restrict first = data + std::size_t(begin) * stride;
  for (int i = 0; i < n; ++i) acc[i] = Acc(first[i]);
  for (int y = begin + 1; y < end; ++y) {
    const std::uint8_t* __restrict row = data + std::size_t(y) * stride;
    for (int i = 0; i < n; ++i) acc[i] = Acc(acc[i] + row[i]);
  }
}

constexpr int kFixedShift = 16;
GSTASCII_AVG_INLINE std::uint8_t clamp_fixed(std::int32_t v) {
  return std::uint8_t(std::clamp((v + (1 << (kFixedShift - 1))) >> kFixedShift, 0, 255));
}

// Y'CbCr to R'G'B' in 16.16 fixed point: integer arithmetic the compiler vectorises.
GSTASCII_AVG_INLINE void yuv_to_rgb(const std::uint8_t* __restrict y, const std::uint8_t* __restrict u,
                                    const std::uint8_t* __restrict v, int n, const YuvFixed& k,
                                    std::uint8_t* __restrict r, std::uint8_t* __restrict g,
                                    std::uint8_t* __restrict b) {
  for (int i = 0; i < n; ++i) {
    const std::int32_t luma = (std::int32_t(y[i]) - k.y_offset) * k.y_scale;
    const std::int32_t cb = std::int32_t(u[i]) - 128, cr = std::int32_t(v[i]) - 128;
    r[i] = clamp_fixed(luma + k.r_v * cr);
    g[i] = clamp_fixed(luma - k.g_u * cb - k.g_v * cr);
    b[i] = clamp_fixed(luma + k.b_u * cb);
  }
}

#define GSTASCII_AREA_KERNELS(suffix, attr)                                                                      \
  attr void sum16_##suffix(std::uint16_t* acc, const std::uint8_t* data, std::size_t stride, int begin, int end, \
                           int n) {                                                                              \
    sum_band(acc, data, stride, begin, end, n);                                                                  \
  }                                                                                                              \
  attr void sum32_##suffix(std::uint32_t* acc, const std::uint8_t* data, std::size_t stride, int begin, int end, \
                           int n) {                                                                              \
    sum_band(acc, data, stride, begin, end, n);                                                                  \
  }                                                                                                              \
  attr void yuv_##suffix(const std::uint8_t* y, const std::uint8_t* u, const std::uint8_t* v, int n,             \
                         const YuvFixed& fixed, std::uint8_t* r, std::uint8_t* g, std::uint8_t* b) {             \
    yuv_to_rgb(y, u, v, n, fixed, r, g, b);                                                                      \
  }

GSTASCII_AREA_KERNELS(portable, )
const AreaKernels kPortableKernels = {sum16_portable, sum32_portable, yuv_portable, nullptr};

#if defined(__x86_64__)
GSTASCII_AREA_KERNELS(avx2, GSTASCII_TARGET_AVX2)
const AreaKernels kAvx2Kernels = {sum16_avx2, sum32_avx2, yuv_avx2, nullptr};

GSTASCII_AREA_KERNELS(avx512, GSTASCII_TARGET_AVX512)

// A decoded frame comes from memory, not cache (the decoder wrote it long before, or around the
// cache): the loop's loads head long chains of work, so the CPU does not run far enough ahead for
// them by itself. Asking for the bytes 4 KiB on (two rows of 1080p luma) cut sampling a frame from
// memory to the 4 x 8 grid from 0.66 to 0.37 ms; prefetches past a plane's end do not fault.
constexpr int kPrefetchAhead = 4096;

// Up to 32 cells at a time: each tap is one permutation of a 64-sum window. The rounded mean
// floor(n / d), with n = sum + d / 2 < 256 d and d <= 256, is q = mulhi(n, floor(65535 / d))
// corrected once: the multiplier is at most 2^16 / d and more than 2^16 / d - 1, so
// n m / 2^16 lies in (n / d - 1, n / d] and q is floor(n / d) or one less; q + 1 when
// n - q d >= d. Everything stays in 16-bit lanes, 32 cells a vector, and no division runs.
// (GCC 12 takes the intrinsics' deliberately undefined lanes for uninitialised variables.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
GSTASCII_TARGET_AVX512 void chunks_avx512(const std::uint16_t* sums, const std::uint8_t* rows, std::size_t row_stride,
                                          int n_rows, const AreaChunk* chunks, int n_chunks, int tall,
                                          std::uint8_t* out) {
  const __m512i one = _mm512_set1_epi16(1);
  for (int j = 0; j < n_chunks; ++j) {
    const AreaChunk& c = chunks[j];
    __m512i lo, hi;
    if (rows) {
      // The window's column sums from the rows' bytes; the loads stop at the row's last sample.
      const std::uint8_t* at = rows + c.base;
      const __mmask32 lo_bytes = __mmask32(c.window_bytes), hi_bytes = __mmask32(c.window_bytes >> 32);
      _mm_prefetch(reinterpret_cast<const char*>(at + kPrefetchAhead), _MM_HINT_T0);
      lo = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(lo_bytes, at));
      hi = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(hi_bytes, at + 32));
      for (int r = 1; r < n_rows; ++r) {
        at += row_stride;
        _mm_prefetch(reinterpret_cast<const char*>(at + kPrefetchAhead), _MM_HINT_T0);
        lo = _mm512_add_epi16(lo, _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(lo_bytes, at)));
        hi = _mm512_add_epi16(hi, _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(hi_bytes, at + 32)));
      }
    } else {
      lo = _mm512_loadu_si512(sums + c.base);
      hi = _mm512_loadu_si512(sums + c.base + 32);
    }
    const __m512i stride = _mm512_set1_epi16(std::int16_t(c.stride));
    __m512i index = _mm512_loadu_si512(c.first);
    __m512i total = _mm512_maskz_permutex2var_epi16(c.mask[0], lo, index, hi);
    for (int t = 1; t < c.taps; ++t) {
      index = _mm512_add_epi16(index, stride);
      const __m512i picked = _mm512_permutex2var_epi16(lo, index, hi);
      total = _mm512_mask_add_epi16(total, c.mask[t], total, picked);
    }
    const __m512i count = _mm512_loadu_si512(c.count[tall]);
    const __m512i n = _mm512_add_epi16(total, _mm512_srli_epi16(count, 1));
    __m512i q = _mm512_mulhi_epu16(n, _mm512_loadu_si512(c.multiplier[tall]));
    const __m512i rest = _mm512_sub_epi16(n, _mm512_mullo_epi16(q, count));
    q = _mm512_mask_add_epi16(q, _mm512_cmpge_epu16_mask(rest, count), q, one);
    const __mmask32 lanes = c.lanes == 32 ? ~__mmask32(0) : __mmask32((1u << c.lanes) - 1);
    _mm512_mask_cvtepi16_storeu_epi8(out + c.first_col, lanes, q);
  }
}
#pragma GCC diagnostic pop
const AreaKernels kAvx512Kernels = {sum16_avx512, sum32_avx512, yuv_avx512, chunks_avx512};
#endif

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

// The AVX-512 plan of component |c|'s cells: chunks of up to 32 cells (as many as fit) whose
// samples all lie in a window of 64 column sums, each cell spanning at most kTaps samples and at
// most 256 in all (so a rounded sum fits 16 bits), the plane's bands of two heights at most. Left
// empty (the portable loop does the rows) otherwise.
void AreaAverager::plan_chunks(int c) {
  chunks_[c].clear();
  if (!kernels_->chunks) return;
  const ComponentLayout& comp = layout_.comp[c];
  const PlaneWork& pw = planes_[comp.plane];
  const std::vector<std::int32_t>& first = first_sample_[c];
  const std::vector<std::int32_t>& width = span_width_[c];
  int widest = 0, tallest = 0;
  for (int w : width) widest = std::max(widest, w);
  for (const Span& s : pw.bands) {
    tallest = std::max(tallest, s.end - s.begin);
    if (s.end - s.begin - pw.short_band > 1) return;
  }
  if (widest > AreaChunk::kTaps || widest * tallest > 256) return;
  std::vector<AreaChunk> chunks;
  for (int col = 0; col < cols_;) {
    int lanes = AreaChunk::kLanes;
    auto window = [&](int n) {
      int last = 0;
      for (int i = col; i < std::min(col + n, cols_); ++i)
        last = std::max(last, first[i] + (width[i] - 1) * comp.pixel_stride);
      return last - first[col] + 1;
    };
    while (lanes > 1 && window(lanes) > 64) --lanes;
    if (window(lanes) > 64) return;
    AreaChunk chunk;
    std::memset(&chunk, 0, sizeof chunk);
    chunk.base = first[col];
    chunk.first_col = col;
    chunk.lanes = std::min(lanes, cols_ - col);
    chunk.stride = comp.pixel_stride;
    for (int i = 0; i < 64; ++i) {
      if (chunk.base + i < pw.row_bytes) chunk.window_bytes |= std::uint64_t(1) << i;
    }
    for (int lane = 0; lane < AreaChunk::kLanes; ++lane) {
      const int w = lane < chunk.lanes ? width[col + lane] : 0;
      if (w > 0) chunk.first[lane] = std::uint16_t(first[col + lane] - chunk.base);
      for (int tall = 0; tall < 2; ++tall) {
        const int count = std::max(w * (pw.short_band + tall), 1);
        chunk.count[tall][lane] = std::uint16_t(count);
        chunk.multiplier[tall][lane] = std::uint16_t(65535 / count);
      }
      chunk.taps = std::max(chunk.taps, w);
      for (int t = 0; t < w; ++t) chunk.mask[t] |= 1u << lane;
    }
    chunks.push_back(chunk);
    col += chunk.lanes;
  }
  chunks_[c] = std::move(chunks);
}

std::string AreaAverager::configure(const FrameLayout& layout, int cols, int rows, SimdLevel level) {
  if (cols < 1 || rows < 1 || cols > kMaxCols || rows > kMaxRows) return "grid size out of range";
  if (layout.n_components != 1 && layout.n_components != 3) return "unsupported component count";
  if ((layout.model == ColourModel::kGray) != (layout.n_components == 1)) return "inconsistent layout";
  if (!simd_level_supported(level)) return std::string("this CPU lacks ") + simd_level_name(level);
  layout_ = layout;
  cols_ = cols;
  rows_ = rows;
  last_row_ = -1;
  kernels_ = &kPortableKernels;
#if defined(__x86_64__)
  if (level == SimdLevel::kAvx2) kernels_ = &kAvx2Kernels;
  if (level == SimdLevel::kAvx512) kernels_ = &kAvx512Kernels;
#endif
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
    averages_[c].assign(std::size_t(cols), 0);
  }
  for (PlaneWork& pw : planes_) {
    if (pw.components.empty()) continue;
    pw.bands = make_spans(pw.height, rows);
    pw.short_band = pw.height;
    for (const Span& s : pw.bands) pw.short_band = std::min(pw.short_band, s.end - s.begin);
  }
  for (int c = 0; c < layout.n_components; ++c) plan_chunks(c);
  acc32_.assign(max_row_bytes, 0);
  acc16_.assign(max_row_bytes + 64, 0);  // the AVX-512 window may read 64 sums past a row's last cell
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
    const double kr = layout.kr, kb = layout.kb, kg = 1.0 - kr - kb;
    const double y_scale = layout.full_range ? 1.0 : 255.0 / 219.0;
    const double uv_scale = layout.full_range ? 1.0 : 255.0 / 224.0;
    auto fixed = [](double v) { return std::int32_t(std::lround(v * (1 << kFixedShift))); };
    yuv_.y_scale = fixed(y_scale);
    yuv_.y_offset = layout.full_range ? 0 : 16;
    yuv_.r_v = fixed(2.0 * (1.0 - kr) * uv_scale);
    yuv_.g_u = fixed(2.0 * kb * (1.0 - kb) / kg * uv_scale);
    yuv_.g_v = fixed(2.0 * kr * (1.0 - kr) / kg * uv_scale);
    yuv_.b_u = fixed(2.0 * (1.0 - kb) * uv_scale);
  }
  return {};
}

// Sums one band of rows into |acc|, then each cell's columns of it, for every component of the
// plane, into averages_.
template <typename Acc>
void AreaAverager::average_band(const PlaneWork& pw, int row, const PlaneView& view, Acc* sums) {
  const Span band = pw.bands[row];
  if constexpr (sizeof(Acc) == 2) {
    kernels_->sum16(sums, view.data, view.stride, band.begin, band.end, pw.row_bytes);
  } else {
    kernels_->sum32(sums, view.data, view.stride, band.begin, band.end, pw.row_bytes);
  }
  const std::uint64_t band_rows = std::uint64_t(band.end - band.begin);
  const std::uint64_t* reciprocal = reciprocals_.empty() ? nullptr : reciprocals_.data();
  const int cols = cols_;
  for (int c : pw.components) {
    std::uint8_t* __restrict out = averages_[c].data();
    if constexpr (sizeof(Acc) == 2) {
      if (!chunks_[c].empty()) {
        kernels_->chunks(sums, nullptr, 0, 0, chunks_[c].data(), int(chunks_[c].size()), int(band_rows) - pw.short_band,
                         out);
        continue;
      }
    }
    const int stride = layout_.comp[c].pixel_stride;
    const std::int32_t* first = first_sample_[c].data();
    const std::int32_t* width = span_width_[c].data();
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

// One row of cells of every component into averages_.
void AreaAverager::average_row(int row, const PlaneView* planes) {
  for (int p = 0; p < int(planes_.size()); ++p) {
    const PlaneWork& pw = planes_[p];
    if (pw.components.empty()) continue;
    // A band the same as the last one (chroma rows when the grid is taller than the plane):
    // averages_ still hold its cells.
    if (row > 0 && row - 1 == last_row_ && pw.bands[row].begin == pw.bands[row - 1].begin &&
        pw.bands[row].end == pw.bands[row - 1].end) {
      continue;
    }
    // A plane of one component the AVX-512 loop does reads its rows directly.
    const Span band = pw.bands[row];
    if (pw.components.size() == 1 && !chunks_[pw.components[0]].empty()) {
      const int c = pw.components[0];
      kernels_->chunks(nullptr, planes[p].data + std::size_t(band.begin) * planes[p].stride, planes[p].stride,
                       band.end - band.begin, chunks_[c].data(), int(chunks_[c].size()),
                       band.end - band.begin - pw.short_band, averages_[c].data());
      continue;
    }
    // 16-bit column sums are twice as wide per vector op; they hold up to 257 rows of 255.
    if (band.end - band.begin <= 257) {
      average_band(pw, row, planes[p], acc16_.data());
    } else {
      average_band(pw, row, planes[p], acc32_.data());
    }
  }
  last_row_ = row;
}

// averages_ (one row) as R, G, B.
void AreaAverager::convert_row(std::uint8_t* r, std::uint8_t* g, std::uint8_t* b) {
  const std::size_t n = std::size_t(cols_);
  switch (layout_.model) {
    case ColourModel::kRgb:
      std::memcpy(r, averages_[0].data(), n);
      std::memcpy(g, averages_[1].data(), n);
      std::memcpy(b, averages_[2].data(), n);
      break;
    case ColourModel::kGray:
      std::memcpy(r, averages_[0].data(), n);
      std::memcpy(g, averages_[0].data(), n);
      std::memcpy(b, averages_[0].data(), n);
      break;
    case ColourModel::kYuv:
      kernels_->yuv_to_rgb(averages_[0].data(), averages_[1].data(), averages_[2].data(), cols_, yuv_, r, g, b);
      break;
  }
}

void AreaAverager::run_planar(const PlaneView* planes, std::uint8_t* out_r, std::uint8_t* out_g, std::uint8_t* out_b) {
  run_planar_rows(planes, 0, rows_, out_r, out_g, out_b);
}

void AreaAverager::run_planar_rows(const PlaneView* planes, int first, int last, std::uint8_t* out_r,
                                   std::uint8_t* out_g, std::uint8_t* out_b) {
  for (int row = std::max(first, 0); row < std::min(last, rows_); ++row) {
    average_row(row, planes);
    const std::size_t at = std::size_t(row - first) * cols_;
    convert_row(out_r + at, out_g + at, out_b + at);
  }
}

void AreaAverager::run(const PlaneView* planes, std::uint8_t* out_bgr) {
  std::uint8_t *r = rgb_row_[0].data(), *g = rgb_row_[1].data(), *b = rgb_row_[2].data();
  for (int row = 0; row < rows_; ++row) {
    average_row(row, planes);
    convert_row(r, g, b);
    for (int i = 0; i < cols_; ++i, out_bgr += 3) {
      out_bgr[0] = b[i];
      out_bgr[1] = g[i];
      out_bgr[2] = r[i];
    }
  }
}

}  // namespace gstascii
