// SPDX-License-Identifier: LGPL-2.1-or-later
#include "symbol_fit.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "symbol_fit_vnni.h"
#include "symbol_fit_batch.h"

namespace gstascii {

using namespace fit;

namespace {

// Rows of cells fit_frame() samples at a time: 4 x 8 samples of 200 cells are 19 KB a row.
constexpr int kFitFrameBand = 2;

struct NamedStyle {
  const char* name;
  unsigned bit;
};
constexpr NamedStyle kStyleNames[] = {
    {"ascii", kStyleAscii},     {"half", kStyleHalf},     {"blocks", kStyleBlocks},
    {"sextant", kStyleSextant}, {"octant", kStyleOctant}, {"edge", kStyleEdge},
};

// The kernels: the same inline code (symbol_fit_cell.h) compiled for each instruction set.
// A single mosaic set goes a batch of cells at a time, and so does any other style with AVX-512
// VNNI; without it, a cell at a time.
template <bool kVnni = false>
GSTASCII_FIT_INLINE void fit_grid(const FitJob& job, const Planes& p, int cols, int rows, SymbolCell* out,
                                  std::uint8_t* mean_bgr) {
  switch (job.own_set == kGlyph ? 0 : job.samples.cols * job.samples.rows) {
    case 0:
#if defined(__x86_64__)
      if (kVnni) return fit_fine_rows(job, p, cols, 0, rows, out, mean_bgr);
#endif
      fit_rows<kVnni>(job, p, cols, 0, rows, out, mean_bgr);
      return;
    case 2: fit_own_rows<2, 1>(job, p, cols, 0, rows, out, mean_bgr); return;   // half: 1 x 2
    case 4: fit_own_rows<4, 2>(job, p, cols, 0, rows, out, mean_bgr); return;   // quadrants: 2 x 2
    case 6: fit_own_rows<6, 2>(job, p, cols, 0, rows, out, mean_bgr); return;   // sextants: 2 x 3
    default: fit_own_rows<8, 2>(job, p, cols, 0, rows, out, mean_bgr); return;  // octants: 2 x 4
  }
}

void fit_rows_portable(const FitJob& job, const Planes& p, int cols, int rows, SymbolCell* out,
                       std::uint8_t* mean_bgr) {
  fit_grid(job, p, cols, rows, out, mean_bgr);
}

#if defined(__x86_64__)
GSTASCII_TARGET_AVX2 void fit_rows_avx2(const FitJob& job, const Planes& p, int cols, int rows, SymbolCell* out,
                                        std::uint8_t* mean_bgr) {
  fit_grid(job, p, cols, rows, out, mean_bgr);
}

GSTASCII_TARGET_AVX512 void fit_rows_avx512(const FitJob& job, const Planes& p, int cols, int rows, SymbolCell* out,
                                            std::uint8_t* mean_bgr) {
  fit_grid<true>(job, p, cols, rows, out, mean_bgr);
}
#endif

// Packed B,G,R samples (|cols| x |rows| of them) as planes.
std::vector<std::uint8_t> planes_of(const std::uint8_t* bgr, std::size_t cols, std::size_t rows) {
  const std::size_t n = cols * rows;
  std::vector<std::uint8_t> planes(3 * n);
  for (std::size_t i = 0; i < n; i++) {
    for (int ch = 0; ch < 3; ch++) planes[ch * n + i] = bgr[3 * i + 2 - ch];
  }
  return planes;
}

}  // namespace

namespace fit {

namespace {

// Shape |i|'s entries in |scoring| (ShapeScoring) from its cover and the cover's sums.
template <int Count>
void add_shape(ShapeScoring<Count>* scoring, int i, const std::uint8_t* cover, std::int32_t c_sum,
               std::int32_t cc_sum) {
  for (int s = 0; s < kFine; s++) {
    scoring->centred[i][s] = std::int8_t(kFine * cover[s] - c_sum);
    scoring->quads[i / 16][s / 4][4 * (i % 16) + s % 4] = scoring->centred[i][s];
  }
  const std::int64_t den = std::int64_t(kFine) * cc_sum - std::int64_t(c_sum) * c_sum;
  scoring->inv_den[i] = den <= 0 ? 0.0f : 1.0f / float(den);
}

}  // namespace

const FineTables& fine_tables() {
  static const FineTables tables = [] {
    FineTables t{};
    for (int g = 0; g < kGlyphCount; g++) {
      for (int y = 0; y < kGlyphHeight; y++) {
        for (int x = 0; x < kGlyphWidth; x++) {
          if (glyph_ink(std::uint8_t(kFirstGlyph + g), x, y)) t.glyph_cover[g][(y / 2) * kFineCols + x / 2]++;
        }
      }
      for (int s = 0; s < kFine; s++) {
        const int c = t.glyph_cover[g][s];
        t.glyph_c_sum[g] += c;
        t.glyph_cc_sum[g] += c * c;
      }
      std::memcpy(t.glyph_cover_rows[g], t.glyph_cover[g], sizeof t.glyph_cover_rows[g]);
      // The space is the flat cell, never a glyph to choose.
      if (g != 0) add_shape(&t.glyph_scoring, g, t.glyph_cover[g], t.glyph_c_sum[g], t.glyph_cc_sum[g]);
    }
    for (int e = 0; e < kEdgeCount; e++) {
      const std::uint8_t* rows = edge_rows(std::uint8_t(e));
      for (int y = 0; y < kGlyphHeight; y++) {
        for (int x = 0; x < kGlyphWidth; x++) {
          if ((rows[y] >> (7 - x)) & 1) t.edge_cover[e][(y / 2) * kFineCols + x / 2]++;
        }
      }
      for (int s = 0; s < kFine; s++) {
        const int c = t.edge_cover[e][s];
        t.edge_c_sum[e] += c;
        t.edge_cc_sum[e] += c * c;
      }
      std::memcpy(t.edge_cover_rows[e], t.edge_cover[e], sizeof t.edge_cover_rows[e]);
    }
    // The coarse angles, then the angles near each (EdgeSearch).
    auto add_edge = [&t](auto* scoring, std::uint8_t* codes, int i, int angle) {
      for (int offset = 0; offset < kEdgeOffsets; offset++) {
        const int e = angle * kEdgeOffsets + offset;
        codes[i + offset] = std::uint8_t(e);
        add_shape(scoring, i + offset, t.edge_cover[e], t.edge_c_sum[e], t.edge_cc_sum[e]);
      }
    };
    EdgeSearch& edges = t.edge_search;
    for (int k = 0; k < kEdgeCoarseAngles; k++) {
      add_edge(&edges.coarse, edges.coarse_code, k * kEdgeOffsets, k * kEdgeCoarseStep);
      int i = 0;
      for (int turn = -kEdgeNear; turn <= kEdgeNear; turn++) {
        if (turn == 0) continue;
        add_edge(&edges.near[k], edges.near_code[k], i, (k * kEdgeCoarseStep + turn + kEdgeAngles) % kEdgeAngles);
        i += kEdgeOffsets;
      }
    }
    for (const MosaicFamily& f : kFamilies) {
      const SubcellGrid grid = symbol_subcells(f.set);
      t.subcells[f.set] = grid.cols * grid.rows;
      for (int y = 0; y < kGlyphHeight; y++) {
        for (int x = 0; x < kGlyphWidth; x++) {
          const int k = (y * grid.rows / kGlyphHeight) * grid.cols + x * grid.cols / kGlyphWidth;
          t.subcell_cover[f.set][k][(y / 2) * kFineCols + x / 2]++;
          t.subcell_pixels[f.set][k]++;
        }
      }
      std::int64_t lcm = 1;
      for (int k = 0; k < t.subcells[f.set]; k++) lcm = std::lcm(lcm, t.subcell_pixels[f.set][k]);
      t.subcell_same_size[f.set] = true;
      for (int k = 0; k < t.subcells[f.set]; k++) {
        t.subcell_light_scale[f.set][k] = std::int32_t(lcm / t.subcell_pixels[f.set][k]);
        t.subcell_same_size[f.set] &= t.subcell_pixels[f.set][k] == t.subcell_pixels[f.set][0];
      }
      for (int code = 0; code < 1 << t.subcells[f.set]; code++) {
        for (int i = 0; i < kFine; i++) {
          int c = 0;
          for (int k = 0; k < t.subcells[f.set]; k++) c += (code >> k) & 1 ? t.subcell_cover[f.set][k][i] : 0;
          t.mosaic_c_sum[f.set][code] += c;
          t.mosaic_cc_sum[f.set][code] += c * c;
        }
      }
    }
    return t;
  }();
  return tables;
}

}  // namespace fit

std::optional<CellStyle> parse_cell_style(std::string_view text, std::string* error) {
  if (text == "asciline") return CellStyle{};
  CellStyle style;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find('+', at), text.size());
    const std::string_view name = text.substr(at, end - at);
    const auto known = std::find_if(std::begin(kStyleNames), std::end(kStyleNames),
                                    [&](const NamedStyle& s) { return name == s.name; });
    if (known == std::end(kStyleNames)) {
      if (error) {
        *error = "unknown style \"" + std::string(name) +
                 "\" (styles: asciline, or ascii, half, blocks, sextant, octant, edge joined with '+')";
      }
      return std::nullopt;
    }
    style.bits |= known->bit;
    at = end + 1;
  }
  return style;
}

std::string format_cell_style(CellStyle style) {
  if (style.is_asciline()) return "asciline";
  std::string out;
  for (const NamedStyle& s : kStyleNames) {
    if (style.bits & s.bit) out += (out.empty() ? "" : "+") + std::string(s.name);
  }
  return out;
}

SubcellGrid style_sample_grid(CellStyle style) {
  for (const MosaicFamily& f : kFamilies) {
    if (style.bits == f.bit) return symbol_subcells(f.set);
  }
  return {kFineCols, kFineRows};
}

SymbolFitter::SymbolFitter(CellStyle style)
    : style_(style), samples_(style_sample_grid(style)), kernel_(best_simd_level()) {
  for (const MosaicFamily& f : kFamilies) {
    if (style.bits == f.bit) own_set_ = f.set;
  }
  fine_tables();  // built once, before any streaming thread needs them
}

SymbolCell SymbolFitter::fit_cell(const std::uint8_t* bgr, std::size_t row_stride, std::uint8_t mean_bgr[3]) const {
  std::vector<std::uint8_t> packed(std::size_t(samples_.cols) * samples_.rows * 3);
  for (int y = 0; y < samples_.rows; y++) {
    std::copy_n(bgr + std::size_t(y) * row_stride, std::size_t(samples_.cols) * 3,
                &packed[std::size_t(y) * samples_.cols * 3]);
  }
  const std::vector<std::uint8_t> planes = planes_of(packed.data(), samples_.cols, samples_.rows);
  const std::size_t n = std::size_t(samples_.cols) * samples_.rows;
  const Planes p{{planes.data(), planes.data() + n, planes.data() + 2 * n}, std::size_t(samples_.cols)};
  std::uint8_t mean[3];
  const SymbolCell cell = fit_one(fine_tables(), FitJob{style_.bits, own_set_, samples_}, p, 0, mean);
  if (mean_bgr) std::copy(mean, mean + 3, mean_bgr);
  return cell;
}

void SymbolFitter::fit(const std::uint8_t* bgr, int cols, int rows, SymbolCell* out, std::uint8_t* mean_bgr) const {
  fit(kernel_, bgr, cols, rows, out, mean_bgr);
}

void SymbolFitter::fit(SimdLevel kernel, const std::uint8_t* bgr, int cols, int rows, SymbolCell* out,
                       std::uint8_t* mean_bgr) const {
  const std::size_t across = std::size_t(cols) * samples_.cols, down = std::size_t(rows) * samples_.rows;
  const std::vector<std::uint8_t> planes = planes_of(bgr, across, down);
  const std::size_t n = across * down;
  fit(kernel, planes.data(), planes.data() + n, planes.data() + 2 * n, cols, rows, out, mean_bgr);
}

bool SymbolFitter::fit_frame(AreaAverager& averager, const PlaneView* planes, int cols, int rows,
                             std::vector<std::uint8_t>* scratch, SymbolCell* out, std::uint8_t* mean_bgr) const {
  if (averager.cols() != cols * samples_.cols || averager.rows() != rows * samples_.rows) return false;
  const std::size_t row_samples = std::size_t(cols) * samples_.cols * samples_.rows;  // a row of cells, a channel
  const std::size_t band = std::size_t(kFitFrameBand) * row_samples;
  scratch->resize(3 * band);
  std::uint8_t *r = scratch->data(), *g = r + band, *b = g + band;
  for (int y = 0; y < rows; y += kFitFrameBand) {
    const int n = std::min(kFitFrameBand, rows - y);
    averager.run_planar_rows(planes, y * samples_.rows, (y + n) * samples_.rows, r, g, b);
    fit(r, g, b, cols, n, out + std::size_t(y) * cols, mean_bgr ? mean_bgr + std::size_t(3) * y * cols : nullptr);
  }
  return true;
}

void SymbolFitter::fit(const std::uint8_t* r, const std::uint8_t* g, const std::uint8_t* b, int cols, int rows,
                       SymbolCell* out, std::uint8_t* mean_bgr) const {
  fit(kernel_, r, g, b, cols, rows, out, mean_bgr);
}

void SymbolFitter::fit(SimdLevel kernel, const std::uint8_t* r, const std::uint8_t* g, const std::uint8_t* b, int cols,
                       int rows, SymbolCell* out, std::uint8_t* mean_bgr) const {
  const FitJob job{style_.bits, own_set_, samples_};
  const Planes p{{r, g, b}, std::size_t(cols) * samples_.cols};
  switch (kernel) {
#if defined(__x86_64__)
    case SimdLevel::kAvx512: fit_rows_avx512(job, p, cols, rows, out, mean_bgr); return;
    case SimdLevel::kAvx2: fit_rows_avx2(job, p, cols, rows, out, mean_bgr); return;
#endif
    default: fit_rows_portable(job, p, cols, rows, out, mean_bgr); return;
  }
}

std::uint64_t symbol_cell_error(const SymbolCell& cell, const std::uint8_t* bgr, std::size_t row_stride) {
  std::uint8_t cover[kFine] = {};
  for (int y = 0; y < kGlyphHeight; y++) {
    for (int x = 0; x < kGlyphWidth; x++) {
      if (symbol_ink(cell, x, y, kGlyphWidth, kGlyphHeight)) cover[(y / 2) * kFineCols + x / 2]++;
    }
  }
  std::uint64_t error = 0;
  for (int s = 0; s < kFine; s++) {
    const std::uint8_t* px = bgr + std::size_t(s / kFineCols) * row_stride + (s % kFineCols) * 3;
    for (int ch = 0; ch < 3; ch++) {
      const int d = 4 * px[2 - ch] - (cell.fg[ch] * cover[s] + cell.bg[ch] * (4 - cover[s]));
      error += std::uint64_t(kWeights[ch]) * std::uint64_t(d * d);
    }
  }
  return error;
}

}  // namespace gstascii
