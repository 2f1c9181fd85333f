// gst-ascii core, internal to symbol_fit.cpp: the per-cell arithmetic of the symbol fitter, as
// inline functions the kernels (portable, AVX2, AVX-512) compile each for their instruction set.
// All of it is integer arithmetic, so every kernel gives the same bytes.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <algorithm>
#include <cstdint>
#include <cmath>
#include <cstring>

#include "symbol_cell.h"
#include "symbol_fit.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define GSTASCII_FIT_INLINE inline __attribute__((always_inline))

namespace gstascii::fit {

inline constexpr int kFineCols = 4, kFineRows = 8;
inline constexpr int kFine = kFineCols * kFineRows;  // samples a cell on the fine grid
inline constexpr int kWeights[3] = {2, 4, 1};        // R, G, B
// At most this error (an RMS difference of about 2 levels a sample), a cell is drawn flat.
inline constexpr std::int64_t kFlatEnough = std::int64_t(kFine) * 16 * 4 * (2 + 4 + 1);

// A glyph or an edge is looked for only where the best mosaic of the style leaves more than a
// flat cell may (kFlatEnough): below that no shape could draw the cell visibly better, and most of
// a picture's cells (its smooth parts) are there. In the units of Gain (n x the error removed,
// weighted, without the 16 of fit_cover()'s units): n x kFlatEnough / 16.
inline constexpr std::int64_t kSettledResidual = std::int64_t(kFine) * kFlatEnough / 16;
inline constexpr unsigned kMosaicStyles = kStyleHalf | kStyleBlocks | kStyleSextant | kStyleOctant;

// The mosaic sets in the order ties are settled, with their style bits.
struct MosaicFamily {
  SymbolSet set;
  unsigned bit;
};
inline constexpr MosaicFamily kFamilies[] = {
    {kHalf, kStyleHalf}, {kQuadrant, kStyleBlocks}, {kSextant, kStyleSextant}, {kOctant, kStyleOctant}};

// Glyphs and edges are chosen by lightness alone: fitting every one exactly (three dot products
// and a gain in 64-bit integers) costs too much, so the shape whose ink best explains the cell's
// lightness is chosen, and only it is fitted in colour and weighed against the flat cell and the
// mosaics. Lightness is 2R + 4G + B scaled to a byte; a shape's score is its least-squares gain
// on it, (n CL - C L)^2 / (n CC - C^2), in float: each step is one IEEE operation on exact
// operands (|n CL - C L| < 2^21), so all kernels agree. The highest score wins, ties to the
// lower index. (bench-quality: glyphs chosen so score higher than the exact colour fit of the 6
// whose ink best matched the light/dark pattern, at well under half the cost.)
// The tables: per shape 1 / (n CC - C^2) (0 where it never scores: no ink, or all ink), and each
// sample's n c - C (so the dot product with the lightness is n CL - C L: within -128..124, as
// C <= 128 and C >= 4 where a c is 4); and those transposed for VNNI: group of 16 shapes, 4
// samples, then 16 shapes x those 4 samples.
template <int Count>
struct ShapeScoring {
  static constexpr int kGroups = (Count + 15) / 16;
  alignas(64) float inv_den[kGroups * 16];
  alignas(64) std::int8_t centred[Count][kFine];
  alignas(64) std::int8_t quads[kGroups][kFine / 4][64];
};

// Edges are searched coarse to fine, on the same scores: first every 4th angle (8 of the 32, all
// 8 offsets), then the 3 angles either side of the best of those. 112 shapes are scored, not 256;
// a score falls off smoothly as the angle turns, so the edge chosen is the best of all 256 on
// nearly every cell (bench-quality: the styles with edges score the same SSIM to the third
// decimal; test_symbols: a cell painted as any edge finds a shape that fits it as well, which
// turning 2 angles either side misses at the corners).
inline constexpr int kEdgeOffsets = 8, kEdgeAngles = kEdgeCount / kEdgeOffsets, kEdgeCoarseStep = 4;
inline constexpr int kEdgeCoarseAngles = kEdgeAngles / kEdgeCoarseStep;
inline constexpr int kEdgeNear = 3;  // angles turned either side of the coarse winner
struct EdgeSearch {
  ShapeScoring<kEdgeCoarseAngles * kEdgeOffsets> coarse;
  std::uint8_t coarse_code[kEdgeCoarseAngles * kEdgeOffsets];
  // For each coarse angle, the angles near it (turning past the last angle comes back to the
  // first: an edge turned by half a turn is the same split of the cell, the sides swapped).
  ShapeScoring<2 * kEdgeNear * kEdgeOffsets> near[kEdgeCoarseAngles];
  std::uint8_t near_code[kEdgeCoarseAngles][2 * kEdgeNear * kEdgeOffsets];
};

// How the 8 x 16 pixels of a cell fall on the fine samples (2 x 2 pixels each): for each glyph
// and each mosaic sub-cell, how many of a sample's 4 pixels it covers.
struct FineTables {
  alignas(64) std::uint8_t glyph_cover[kGlyphCount][kFine];
  std::int32_t glyph_c_sum[kGlyphCount];  // sum of the cover, and of its squares
  std::int32_t glyph_cc_sum[kGlyphCount];
  ShapeScoring<kGlyphCount> glyph_scoring;  // the space never scores: it is the flat cell
  // Each glyph's and edge's cover a row (4 samples) at a time, for gathering one per cell.
  alignas(64) std::int32_t glyph_cover_rows[kGlyphCount][kFineRows];
  alignas(64) std::int32_t edge_cover_rows[kEdgeCount][kFineRows];
  alignas(64) std::uint8_t edge_cover[kEdgeCount][kFine];
  EdgeSearch edge_search;
  std::int32_t edge_c_sum[kEdgeCount];
  std::int32_t edge_cc_sum[kEdgeCount];
  int subcells[kSymbolSets];
  std::uint8_t subcell_cover[kSymbolSets][8][kFine];
  std::int64_t subcell_pixels[kSymbolSets][8];       // pixels of the 8 x 16 cell in each sub-cell
  std::int32_t subcell_light_scale[kSymbolSets][8];  // their least common multiple / pixels
  bool subcell_same_size[kSymbolSets];
  // For each mosaic (the sub-cells in the foreground as bits), its cover's sum and sum of squares.
  std::int32_t mosaic_c_sum[kSymbolSets][256];
  std::int32_t mosaic_cc_sum[kSymbolSets][256];
};
const FineTables& fine_tables();

// One cell's samples as R, G, B planes, and their sums.
struct CellSamples {
  alignas(32) std::uint8_t x[3][kFine];
  std::int32_t x_sum[3];
  std::int64_t xx_sum[3];
  std::uint8_t mean[3];
};

// What the fitter does for one grid: the style and its sample grid.
struct FitJob {
  unsigned style_bits;
  SymbolSet own_set;  // a single mosaic set read at its own sub-cells, else kGlyph (the fine grid)
  SubcellGrid samples;
};

// Samples as three planes, R, G and B, |stride| bytes a row (what AreaAverager::run_planar gives).
struct Planes {
  const std::uint8_t* ch[3];
  std::size_t stride;
};

template <int N, int Cols>
GSTASCII_FIT_INLINE void gather(const Planes& p, std::size_t at, CellSamples* s) {
#if defined(__SSE2__)
  if constexpr (N == kFine && Cols == kFineCols) {
    // The 8 rows of 4 put together in registers and stored whole: stored as 8 small pieces and
    // read back whole, they would stall the read (no store forwarding) on every cell.
    for (int ch = 0; ch < 3; ch++) {
      const std::uint8_t* plane = p.ch[ch] + at;
      __m128i half[2];
      for (int h = 0; h < 2; h++) {
        std::int32_t row[4];
        for (int r = 0; r < 4; r++) std::memcpy(&row[r], plane + (4 * h + r) * p.stride, 4);
        const __m128i low = _mm_unpacklo_epi32(_mm_cvtsi32_si128(row[0]), _mm_cvtsi32_si128(row[1]));
        const __m128i high = _mm_unpacklo_epi32(_mm_cvtsi32_si128(row[2]), _mm_cvtsi32_si128(row[3]));
        half[h] = _mm_unpacklo_epi64(low, high);
      }
      // One store of 32 where the kernel has 32-byte registers (two of 16 in SSE2, read as two).
      using Int64x2 = long long __attribute__((vector_size(16)));
      using Int64x4 = long long __attribute__((vector_size(32)));
      const Int64x4 whole = __builtin_shufflevector(Int64x2(half[0]), Int64x2(half[1]), 0, 1, 2, 3);
      std::memcpy(s->x[ch], &whole, sizeof whole);
    }
  } else
#endif
  {
    for (int ch = 0; ch < 3; ch++) {
      const std::uint8_t* plane = p.ch[ch] + at;
      for (int row = 0; row < N / Cols; row++) std::memcpy(&s->x[ch][row * Cols], plane + row * p.stride, Cols);
    }
  }
  for (int ch = 0; ch < 3; ch++) {
    std::int32_t sum = 0, squares = 0;
    for (int i = 0; i < N; i++) {
      sum += s->x[ch][i];
      squares += s->x[ch][i] * s->x[ch][i];
    }
    s->x_sum[ch] = sum;
    s->xx_sum[ch] = squares;
    s->mean[ch] = std::uint8_t((sum + N / 2) / N);
  }
}

GSTASCII_FIT_INLINE std::int32_t dot(const std::uint8_t* __restrict a, const std::uint8_t* __restrict b) {
  std::int32_t sum = 0;
  for (int i = 0; i < kFine; i++) sum += a[i] * b[i];
  return sum;
}

// Rounded a / b (b > 0), clamped to a colour. A double division gives the exact result: |a| and b
// are below 2^50, and floor() of a quotient within 256 of zero moves only if it lies within 2^-44
// of an integer without being one, while a non-integer quotient is at least 1/b from one.
GSTASCII_FIT_INLINE std::uint8_t colour_of(std::int64_t a, std::int64_t b) {
  const double q = std::floor(double(2 * a + b) / double(2 * b));
  return std::uint8_t(std::clamp(q, 0.0, 255.0));
}

struct Fitted {
  std::uint8_t fg[3], bg[3];
  std::int64_t error;
};

// Least-squares colours for a shape, and the error they leave, from sums over the cell's fine
// samples: with ink coverage c (0..4 pixels of a sample's 4) the drawn sample is
// (fg * c + bg * (4 - c)) / 4, so the best pair is a straight-line fit of the samples against c,
// and the error (in units of (4 x difference)^2) follows from the sums.
GSTASCII_FIT_INLINE Fitted fit_cover(const CellSamples& s, std::int64_t c_sum, std::int64_t cc_sum,
                                     const std::int64_t cx[3]) {
  constexpr std::int64_t n = kFine;
  const std::int64_t den = n * cc_sum - c_sum * c_sum;
  Fitted f;
  f.error = 0;
  for (int ch = 0; ch < 3; ch++) {
    const std::int64_t x_sum = s.x_sum[ch];
    if (den == 0) {
      f.fg[ch] = f.bg[ch] = s.mean[ch];
    } else {
      // slope = num / den per unit of cover; bg = (X - slope C) / n; fg = bg + 4 slope.
      const std::int64_t num = n * cx[ch] - c_sum * x_sum;
      const std::int64_t base = x_sum * den - c_sum * num;
      f.bg[ch] = colour_of(base, n * den);
      f.fg[ch] = colour_of(base + 4 * n * num, n * den);
    }
    const std::int64_t bg = f.bg[ch], d = std::int64_t(f.fg[ch]) - bg;
    const std::int64_t xr = 4 * bg * x_sum + d * cx[ch];
    const std::int64_t rr = 16 * bg * bg * n + 8 * bg * d * c_sum + d * d * cc_sum;
    f.error += kWeights[ch] * (16 * s.xx_sum[ch] - 8 * xr + rr);
  }
  return f;
}

// Splits |k_count| groups of samples (sums |sum|, |pixels| pixels each) into a foreground and a
// background colour. Minimising the squared error around the two means is maximising
// sum(w * S^2 / n) over the two parts (S: a part's sum, n: its pixels). Only the splits that cut
// the groups sorted by lightness are tried (k_count - 1 of them, where trying every split would be
// 2^(k_count - 1)): nearly always the best one, at a fraction of the work. Returns the foreground
// bits with group 0 in the background; 0 when one colour is best.
GSTASCII_FIT_INLINE int best_split(int k_count, const std::int64_t (*sum)[3], const std::int64_t* pixels) {
  int order[8];
  std::int64_t light[8];
  std::int64_t total[3] = {0, 0, 0}, total_pixels = 0;
  for (int k = 0; k < k_count; k++) {
    light[k] = kWeights[0] * sum[k][0] + kWeights[1] * sum[k][1] + kWeights[2] * sum[k][2];
    total_pixels += pixels[k];
    for (int ch = 0; ch < 3; ch++) total[ch] += sum[k][ch];
    // Insertion by light / pixels, ascending; equal keys keep group order.
    int at = k;
    while (at > 0 && light[order[at - 1]] * pixels[k] > light[k] * pixels[order[at - 1]]) {
      order[at] = order[at - 1];
      at--;
    }
    order[at] = k;
  }
  // One colour: S^2 / n of the whole cell.
  std::int64_t best_num = 0, best_den = total_pixels;
  for (int ch = 0; ch < 3; ch++) best_num += kWeights[ch] * total[ch] * total[ch];
  int best = 0, fg_bits = 0;
  std::int64_t s_fg[3] = {0, 0, 0}, n_fg = 0;
  for (int j = k_count - 1; j > 0; j--) {  // the lightest groups move to the foreground one by one
    const int k = order[j];
    fg_bits |= 1 << k;
    n_fg += pixels[k];
    for (int ch = 0; ch < 3; ch++) s_fg[ch] += sum[k][ch];
    const std::int64_t n_bg = total_pixels - n_fg;
    std::int64_t num = 0;
    for (int ch = 0; ch < 3; ch++) {
      const std::int64_t s_bg = total[ch] - s_fg[ch];
      num += kWeights[ch] * (s_fg[ch] * s_fg[ch] * n_bg + s_bg * s_bg * n_fg);
    }
    const std::int64_t den = n_fg * n_bg;
    if (num * best_den > best_num * den) {
      best_num = num;
      best_den = den;
      best = fg_bits;
    }
  }
  // A split and its complement are the same cell: keep group 0 in the background.
  if (best & 1) best ^= (1 << k_count) - 1;
  return best;
}

// A quadrant pattern that is an upper or lower half is drawn as a half block, which every
// terminal font has; a cell whose two colours are equal is the flat cell.
GSTASCII_FIT_INLINE SymbolCell canonical(SymbolCell cell) {
  if (cell.fg[0] == cell.bg[0] && cell.fg[1] == cell.bg[1] && cell.fg[2] == cell.bg[2])
    return flat_symbol_cell(cell.bg);
  if (cell.set == kQuadrant && (cell.code == 0x3 || cell.code == 0xC)) {
    cell.set = kHalf;
    cell.code = cell.code == 0x3 ? 0x1 : 0x2;
  }
  return cell;
}

GSTASCII_FIT_INLINE SymbolCell make_cell(std::uint8_t set, std::uint8_t code, const Fitted& f) {
  return SymbolCell{set, code, {f.fg[0], f.fg[1], f.fg[2]}, {f.bg[0], f.bg[1], f.bg[2]}};
}

// How much a shape's least-squares colour pair lowers the error below a flat cell's, as a
// fraction gain / den: per channel, fitting the samples against the cover removes
// (n CX - C X)^2 / (n (n CC - C^2)) of the squared error (n dropped: common to every shape).
// Comparing these needs no division, and no colours are worked out for shapes that lose.
struct Gain {
  std::int64_t num = 0;
  std::int64_t den = 1;
  bool beats(const Gain& o) const { return num * o.den > o.num * den; }
};

GSTASCII_FIT_INLINE Gain gain_of(const CellSamples& s, std::int64_t c_sum, std::int64_t cc_sum,
                                 const std::int64_t cx[3]) {
  constexpr std::int64_t n = kFine;
  Gain g;
  g.den = n * cc_sum - c_sum * c_sum;
  if (g.den <= 0) return Gain{};
  for (int ch = 0; ch < 3; ch++) {
    const std::int64_t num = n * cx[ch] - c_sum * s.x_sum[ch];
    g.num += kWeights[ch] * num * num;
  }
  return g;
}

// Whether |best| (a mosaic's gain) leaves the cell within kSettledResidual of its least-squares
// fit: n x its weighted squared error around its mean, less the gain, is that small. Exact in 64
// bits: n x the error is below 2^29 and den below 2^15.
GSTASCII_FIT_INLINE bool settled_by(const CellSamples& s, const Gain& best) {
  std::int64_t spread = 0;
  for (int ch = 0; ch < 3; ch++)
    spread += kWeights[ch] * (std::int64_t(kFine) * s.xx_sum[ch] - std::int64_t(s.x_sum[ch]) * s.x_sum[ch]);
  return spread * best.den - best.num <= kSettledResidual * best.den;
}

// A cell's lightness bytes (ShapeScoring).
struct CellLightness {
  alignas(32) std::uint8_t l[kFine];
};

// 2R + 4G + B (at most 1785) / 7, rounded.
GSTASCII_FIT_INLINE std::uint8_t lightness_byte(std::uint32_t v) {
  return std::uint8_t((v * 9363 + 32768) >> 16);
}

GSTASCII_FIT_INLINE CellLightness lightness_bytes(const CellSamples& s) {
  CellLightness c;
  for (int i = 0; i < kFine; i++) {
    const std::uint32_t v = kWeights[0] * s.x[0][i] + kWeights[1] * s.x[1][i] + kWeights[2] * s.x[2][i];
    c.l[i] = lightness_byte(v);
  }
  return c;
}

// The scalar reference: the shape of |shapes| that scores above |*best| by most, if any, into
// |*chosen| (its index) and |*best|.
template <int Count>
GSTASCII_FIT_INLINE void score_shapes(const ShapeScoring<Count>& shapes, const CellLightness& c, float* best,
                                      int* chosen) {
  for (int g = 0; g < Count; g++) {
    std::int32_t centred = 0;
    for (int i = 0; i < kFine; i++) centred += c.l[i] * shapes.centred[g][i];
    const float d = float(centred);
    const float score = d * d * shapes.inv_den[g];
    if (score > *best) {
      *best = score;
      *chosen = g;
    }
  }
}

// Returns the shape's index, -1 when none scores.
template <int Count>
GSTASCII_FIT_INLINE int best_shape_reference(const ShapeScoring<Count>& shapes, const CellLightness& c) {
  float best = 0;
  int chosen = -1;
  score_shapes(shapes, c, &best, &chosen);
  return chosen;
}

// Returns the edge's code, -1 when none scores (then no edge near one scores either: only a
// cell of one lightness has no coarse score, and it has none at all).
GSTASCII_FIT_INLINE int best_edge_reference(const EdgeSearch& edges, const CellLightness& c) {
  float best = 0;
  int coarse = -1, near = -1;
  score_shapes(edges.coarse, c, &best, &coarse);
  if (coarse < 0) return -1;
  const int angle = edges.coarse_code[coarse] / kEdgeOffsets / kEdgeCoarseStep;
  score_shapes(edges.near[angle], c, &best, &near);
  return near < 0 ? edges.coarse_code[coarse] : edges.near_code[angle][near];
}

#if defined(__x86_64__)
#define GSTASCII_TARGET_SHAPES __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

// The same with AVX-512 VNNI: 16 shapes a vector, one vpdpbusd for 4 samples of 16 shapes, then
// the highest score (positive floats order as their bits do) and the lowest shape that has it.
// |light|: the cell's lightness, a row of 4 bytes broadcast to each vector. (The zero-masked
// forms of the intrinsics: GCC 12 takes the plain forms' deliberately undefined lanes for
// uninitialised variables, and its pragmas do not silence that in a function that is not inlined.)
struct TopShape {
  std::uint32_t score;  // its bits; 0: no shape scores
  int index;
};
template <int Count>
inline GSTASCII_TARGET_SHAPES __attribute__((always_inline)) TopShape top_shape_vnni(const ShapeScoring<Count>& shapes,
                                                                                     const __m512i* light) {
  constexpr int kGroups = ShapeScoring<Count>::kGroups;
  __m512i centred[kGroups];
  for (int grp = 0; grp < kGroups; grp++) centred[grp] = _mm512_setzero_si512();
  for (int q = 0; q < kFine / 4; q++) {
    for (int grp = 0; grp < kGroups; grp++) {
      centred[grp] = _mm512_dpbusd_epi32(centred[grp], light[q], _mm512_load_si512(shapes.quads[grp][q]));
    }
  }
  constexpr __mmask16 kAll = 0xFFFF;
  __m512i score[kGroups];
  __m512i top = _mm512_setzero_si512();
  for (int grp = 0; grp < kGroups; grp++) {
    const __m512 d = _mm512_maskz_cvtepi32_ps(kAll, centred[grp]);
    score[grp] = _mm512_castps_si512(_mm512_mul_ps(_mm512_mul_ps(d, d), _mm512_load_ps(shapes.inv_den + 16 * grp)));
    top = _mm512_maskz_max_epu32(kAll, top, score[grp]);
  }
  top = _mm512_maskz_max_epu32(kAll, top, _mm512_maskz_shuffle_i32x4(kAll, top, top, _MM_SHUFFLE(1, 0, 3, 2)));
  top = _mm512_maskz_max_epu32(kAll, top, _mm512_maskz_shuffle_i32x4(kAll, top, top, _MM_SHUFFLE(2, 3, 0, 1)));
  top = _mm512_maskz_max_epu32(kAll, top, _mm512_maskz_shuffle_epi32(kAll, top, _MM_PERM_BADC));
  top = _mm512_maskz_max_epu32(kAll, top, _mm512_maskz_shuffle_epi32(kAll, top, _MM_PERM_CDAB));
  const std::uint32_t best = std::uint32_t(_mm512_cvtsi512_si32(top));
  if (best == 0) return {0, -1};
  const __m512i wanted = _mm512_set1_epi32(std::int32_t(best));
  for (int grp = 0;; grp++) {
    const __mmask16 hit = _mm512_cmpeq_epi32_mask(score[grp], wanted);
    if (hit != 0) return {best, 16 * grp + __builtin_ctz(hit)};
  }
}

// |light|: the cell's lightness bytes, 4 samples (a row) at a time, |stride| bytes apart.
inline GSTASCII_TARGET_SHAPES void broadcast_rows(const std::uint8_t* light, std::size_t stride, __m512i* rows) {
  for (int q = 0; q < kFine / 4; q++) {
    std::int32_t four;
    std::memcpy(&four, light + q * stride, 4);
    rows[q] = _mm512_set1_epi32(four);
  }
}

// best_shape_reference() and best_edge_reference() with VNNI, for one cell.
template <int Count>
inline GSTASCII_TARGET_SHAPES __attribute__((always_inline)) int choose_vnni(const ShapeScoring<Count>& shapes,
                                                                             const std::uint8_t* light,
                                                                             std::size_t stride) {
  __m512i rows[kFine / 4];
  broadcast_rows(light, stride, rows);
  return top_shape_vnni(shapes, rows).index;
}

inline GSTASCII_TARGET_SHAPES __attribute__((always_inline)) int choose_vnni(const EdgeSearch& edges,
                                                                             const std::uint8_t* light,
                                                                             std::size_t stride) {
  __m512i rows[kFine / 4];
  broadcast_rows(light, stride, rows);
  const TopShape coarse = top_shape_vnni(edges.coarse, rows);
  if (coarse.index < 0) return -1;
  const int angle = edges.coarse_code[coarse.index] / kEdgeOffsets / kEdgeCoarseStep;
  const TopShape near = top_shape_vnni(edges.near[angle], rows);
  return near.score > coarse.score ? edges.near_code[angle][near.index] : edges.coarse_code[coarse.index];
}

// Calls, never inlined: the kernels' inline functions carry no target of their own, and GCC
// inlines a function with a wider target only into one that has it; and inlined into the batch
// fitter (which has that target) the search crowds out the registers holding the samples.
template <typename Search>
inline GSTASCII_TARGET_SHAPES __attribute__((noinline)) int best_shape_vnni(const Search& search,
                                                                            const std::uint8_t* light,
                                                                            std::size_t stride) {
  return choose_vnni(search, light, stride);
}

// The choice of each cell in |lanes| of a batch whose lightness is |light| (a row of 4 samples
// of 16 cells in each 64 bytes) into chosen[lane] (0 where none); returns the lanes with one.
// One call a batch, not one a cell: each call costs the caller its vector registers.
template <typename Search>
inline GSTASCII_TARGET_SHAPES __attribute__((noinline)) unsigned best_shapes_vnni(const Search& search,
                                                                                  const std::uint8_t (*light)[64],
                                                                                  unsigned lanes,
                                                                                  std::int32_t* chosen) {
  unsigned found = 0;
  for (; lanes != 0; lanes &= lanes - 1) {
    const int lane = __builtin_ctz(lanes);
    const int i = choose_vnni(search, &light[0][4 * lane], 64);
    chosen[lane] = i < 0 ? 0 : i;
    if (i >= 0) found |= 1u << lane;
  }
  return found;
}
#undef GSTASCII_TARGET_SHAPES
#endif

template <bool kVnni, int Count>
GSTASCII_FIT_INLINE int best_shape(const ShapeScoring<Count>& shapes, const CellLightness& c) {
#if defined(__x86_64__)
  if constexpr (kVnni) return best_shape_vnni(shapes, c.l, 4);
#endif
  return best_shape_reference(shapes, c);
}

template <bool kVnni>
GSTASCII_FIT_INLINE int best_edge(const EdgeSearch& edges, const CellLightness& c) {
#if defined(__x86_64__)
  if constexpr (kVnni) return best_shape_vnni(edges, c.l, 4);
#endif
  return best_edge_reference(edges, c);
}

// A cell on the fine grid: a flat cell, the best split of each mosaic set of the style and the
// edge and glyph chosen by lightness (ShapeScoring), compared by how much their least-squares
// colours lower the error; ties go to the earlier. Only the winner's colours are worked out
// (rounded, so it may end up flat).
template <bool kVnni>
GSTASCII_FIT_INLINE SymbolCell fit_fine(const FineTables& t, unsigned style_bits, const CellSamples& s) {
  const std::int64_t no_cover[3] = {0, 0, 0};
  const SymbolCell flat = flat_symbol_cell(s.mean);
  if (fit_cover(s, 0, 0, no_cover).error <= kFlatEnough) return flat;
  Gain best_gain;
  std::uint8_t best_set = kGlyph, best_code = ' ';
  std::int64_t best_c = 0, best_cc = 0, best_cx[3] = {0, 0, 0};

  // Half blocks, quadrants and octants lie on whole fine samples (each fully covered, 4 of its 4
  // pixels): their sums are 4 x the sums of 2 x 2 blocks of samples, added up, where a dot
  // product per sub-cell and channel would cost far more. Sextants cut samples: dot products.
  std::int64_t octant_sum[8][3] = {};
  if (style_bits & (kStyleHalf | kStyleBlocks | kStyleOctant)) {
    for (int ch = 0; ch < 3; ch++) {
      const std::uint8_t* x = s.x[ch];
      for (int k = 0; k < 8; k++) {
        const int at = (k / 2) * 2 * kFineCols + (k % 2) * 2;
        octant_sum[k][ch] = 4 * (x[at] + x[at + 1] + x[at + kFineCols] + x[at + kFineCols + 1]);
      }
    }
  }
  for (const MosaicFamily& family : kFamilies) {
    if (!(style_bits & family.bit)) continue;
    const int k_count = t.subcells[family.set];
    std::int64_t sum[8][3] = {};
    for (int k = 0; k < k_count; k++) {
      for (int ch = 0; ch < 3; ch++) {
        switch (family.set) {
          case kOctant: sum[k][ch] = octant_sum[k][ch]; break;
          case kQuadrant:
            sum[k][ch] = octant_sum[(k / 2) * 4 + k % 2][ch] + octant_sum[(k / 2) * 4 + k % 2 + 2][ch];
            break;
          case kHalf:
            sum[k][ch] = octant_sum[4 * k][ch] + octant_sum[4 * k + 1][ch] + octant_sum[4 * k + 2][ch] +
                         octant_sum[4 * k + 3][ch];
            break;
          default: sum[k][ch] = dot(t.subcell_cover[family.set][k], s.x[ch]); break;
        }
      }
    }
    const int code = best_split(k_count, sum, t.subcell_pixels[family.set]);
    if (code == 0) continue;
    std::int64_t cx[3] = {0, 0, 0};
    for (int k = 0; k < k_count; k++) {
      if (!((code >> k) & 1)) continue;
      for (int ch = 0; ch < 3; ch++) cx[ch] += sum[k][ch];
    }
    const std::int64_t c_sum = t.mosaic_c_sum[family.set][code], cc_sum = t.mosaic_cc_sum[family.set][code];
    const Gain gain = gain_of(s, c_sum, cc_sum, cx);
    if (gain.beats(best_gain)) {
      best_gain = gain;
      best_set = family.set;
      best_code = std::uint8_t(code);
      best_c = c_sum;
      best_cc = cc_sum;
      std::copy(cx, cx + 3, best_cx);
    }
  }

  const bool settled = (style_bits & kMosaicStyles) && settled_by(s, best_gain);
  // The edge and the glyph chosen by lightness, then their exact gains.
  auto try_shape = [&](std::uint8_t set, int i, const std::uint8_t(*covers)[kFine], const std::int32_t* c_sums,
                       const std::int32_t* cc_sums, int first_code) {
    const std::uint8_t* cover = covers[i];
    const std::int64_t cx[3] = {dot(cover, s.x[0]), dot(cover, s.x[1]), dot(cover, s.x[2])};
    const Gain gain = gain_of(s, c_sums[i], cc_sums[i], cx);
    if (gain.beats(best_gain)) {
      best_gain = gain;
      best_set = set;
      best_code = std::uint8_t(first_code + i);
      best_c = c_sums[i];
      best_cc = cc_sums[i];
      std::copy(cx, cx + 3, best_cx);
    }
  };
  if ((style_bits & (kStyleEdge | kStyleAscii)) && !settled) {
    const CellLightness light = lightness_bytes(s);
    if (style_bits & kStyleEdge) {
      const int edge = best_edge<kVnni>(t.edge_search, light);
      if (edge >= 0) try_shape(kEdge, edge, t.edge_cover, t.edge_c_sum, t.edge_cc_sum, 0);
    }
    if (style_bits & kStyleAscii) {
      const int glyph = best_shape<kVnni>(t.glyph_scoring, light);
      if (glyph >= 0) try_shape(kGlyph, glyph, t.glyph_cover, t.glyph_c_sum, t.glyph_cc_sum, kFirstGlyph);
    }
  }
  if (best_gain.num == 0) return flat;
  return canonical(make_cell(best_set, best_code, fit_cover(s, best_c, best_cc, best_cx)));
}

// A single mosaic set read at its own sub-cells (|n| of them, one sample each).
GSTASCII_FIT_INLINE SymbolCell fit_own_grid(SymbolSet set, int n, const CellSamples& s) {
  std::int64_t sum[8][3] = {}, pixels[8] = {};
  for (int k = 0; k < n; k++) {
    pixels[k] = 1;
    for (int ch = 0; ch < 3; ch++) sum[k][ch] = s.x[ch][k];
  }
  const int code = best_split(n, sum, pixels);
  if (code == 0) return flat_symbol_cell(s.mean);
  int n_fg = 0, fg[3] = {0, 0, 0}, bg[3] = {0, 0, 0};
  for (int k = 0; k < n; k++) {
    int* group = (code >> k) & 1 ? fg : bg;
    n_fg += (code >> k) & 1;
    for (int ch = 0; ch < 3; ch++) group[ch] += s.x[ch][k];
  }
  const int n_bg = n - n_fg;
  // Rounded means of at most 8 samples: (v + n / 2) / n as a multiplication, exact for these sizes.
  constexpr std::uint32_t kReciprocal[9] = {0, 65536, 32768, 21846, 16384, 13108, 10923, 9363, 8192};
  SymbolCell cell{set, std::uint8_t(code), {}, {}};
  for (int ch = 0; ch < 3; ch++) {
    cell.fg[ch] = std::uint8_t((std::uint32_t(fg[ch] + n_fg / 2) * kReciprocal[n_fg]) >> 16);
    cell.bg[ch] = std::uint8_t((std::uint32_t(bg[ch] + n_bg / 2) * kReciprocal[n_bg]) >> 16);
  }
  return canonical(cell);
}

// One cell from its samples at offset |at| of the planes.
template <bool kVnni = false>
GSTASCII_FIT_INLINE SymbolCell fit_one(const FineTables& t, const FitJob& job, const Planes& p, std::size_t at,
                                       std::uint8_t* mean_bgr) {
  CellSamples s;
  SymbolCell cell;
  if (job.own_set == kGlyph) {
    gather<kFine, kFineCols>(p, at, &s);
    cell = fit_fine<kVnni>(t, job.style_bits, s);
  } else {
    const int n = job.samples.cols * job.samples.rows;
    switch (n) {
      case 2: gather<2, 1>(p, at, &s); break;
      case 4: gather<4, 2>(p, at, &s); break;
      case 6: gather<6, 2>(p, at, &s); break;
      default: gather<8, 2>(p, at, &s); break;
    }
    cell = fit_own_grid(job.own_set, n, s);
  }
  if (mean_bgr) {
    mean_bgr[0] = s.mean[2];
    mean_bgr[1] = s.mean[1];
    mean_bgr[2] = s.mean[0];
  }
  return cell;
}

// Rows [first, last) of a grid of |cols| cells.
template <bool kVnni = false>
GSTASCII_FIT_INLINE void fit_rows(const FitJob& job, const Planes& p, int cols, int first, int last, SymbolCell* out,
                                  std::uint8_t* mean_bgr) {
  const FineTables& t = fine_tables();
  for (int y = first; y < last; y++) {
    const std::size_t band = std::size_t(y) * job.samples.rows * p.stride;
    for (int x = 0; x < cols; x++) {
      const std::size_t i = std::size_t(y) * cols + x;
      out[i] =
          fit_one<kVnni>(t, job, p, band + std::size_t(x) * job.samples.cols, mean_bgr ? mean_bgr + 3 * i : nullptr);
    }
  }
}

}  // namespace gstascii::fit
