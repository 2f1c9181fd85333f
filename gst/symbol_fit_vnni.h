// gst-ascii core, internal to symbol_fit.cpp: styles on the fine grid (`ascii`, `ascii+octant`,
// `octant+edge`, `half+sextant` ...) with AVX-512 VNNI, 16 cells of a row at a time. It gives
// exactly what fit_fine() gives (test_symbols checks every kernel against the portable one), with
// the per-cell work fit_fine() does in scalar code done across the 16 cells in vector lanes:
//   - a sample row of 16 cells is 64 bytes, one cell's 4 samples in each 32-bit lane, so one
//     vpdpbusd adds up a row of every cell: sums, sums of squares, sub-cell sums, and the dot
//     products with each cell's glyph cover (gathered);
//   - lightness bytes come out in the same layout, which is what the shape searches broadcast;
//   - the flat test, each mosaic set's split (a sorting network, then the splits along it, as
//     best_split()), the gains and the colours (the same double divisions as colour_of()).
// Only the glyph and edge searches (best_shapes_vnni) run a cell at a time.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#if defined(__x86_64__)

#include <immintrin.h>

#include "symbol_fit_batch.h"
#include "symbol_fit_cell.h"

namespace gstascii::fit {

#define GSTASCII_TARGET_VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

// GCC 12 takes the intrinsics' deliberately undefined lanes for uninitialised variables.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

GSTASCII_TARGET_VNNI inline VecI vec(__m512i v) {
  return (VecI)v;
}
GSTASCII_TARGET_VNNI inline __m512i m512(VecI v) {
  return (__m512i)v;
}
GSTASCII_TARGET_VNNI inline __mmask16 equal(VecI a, VecI b) {
  return _mm512_cmpeq_epi32_mask(m512(a), m512(b));
}
GSTASCII_TARGET_VNNI inline VecI select(__mmask16 m, VecI yes, VecI no) {
  return vec(_mm512_mask_blend_epi32(m, m512(no), m512(yes)));
}

// 16 lanes of 64-bit integers or doubles, as two registers of 8; comparisons give one mask of 16.
struct Longs {
  __m512i lo, hi;
};
GSTASCII_TARGET_VNNI inline Longs longs(VecI v) {
  return {_mm512_cvtepi32_epi64(_mm512_castsi512_si256(m512(v))),
          _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(m512(v), 1))};
}
GSTASCII_TARGET_VNNI inline Longs operator+(Longs a, Longs b) {
  return {_mm512_add_epi64(a.lo, b.lo), _mm512_add_epi64(a.hi, b.hi)};
}
GSTASCII_TARGET_VNNI inline Longs operator*(Longs a, Longs b) {
  return {_mm512_mullo_epi64(a.lo, b.lo), _mm512_mullo_epi64(a.hi, b.hi)};
}
GSTASCII_TARGET_VNNI inline __mmask16 greater(Longs a, Longs b) {
  return _mm512_kunpackb(_mm512_cmpgt_epi64_mask(a.hi, b.hi), _mm512_cmpgt_epi64_mask(a.lo, b.lo));
}
GSTASCII_TARGET_VNNI inline Longs select(__mmask16 m, Longs yes, Longs no) {
  return {_mm512_mask_blend_epi64(__mmask8(m), no.lo, yes.lo),
          _mm512_mask_blend_epi64(__mmask8(m >> 8), no.hi, yes.hi)};
}

struct Doubles {
  __m512d lo, hi;
};
GSTASCII_TARGET_VNNI inline Doubles doubles(VecI v) {
  return {_mm512_cvtepi32_pd(_mm512_castsi512_si256(m512(v))),
          _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(m512(v), 1))};
}
GSTASCII_TARGET_VNNI inline Doubles operator+(Doubles a, Doubles b) {
  return {_mm512_add_pd(a.lo, b.lo), _mm512_add_pd(a.hi, b.hi)};
}
GSTASCII_TARGET_VNNI inline Doubles operator*(Doubles a, Doubles b) {
  return {_mm512_mul_pd(a.lo, b.lo), _mm512_mul_pd(a.hi, b.hi)};
}
GSTASCII_TARGET_VNNI inline __mmask16 greater(Doubles a, Doubles b) {
  return _mm512_kunpackb(_mm512_cmp_pd_mask(a.hi, b.hi, _CMP_GT_OQ), _mm512_cmp_pd_mask(a.lo, b.lo, _CMP_GT_OQ));
}
GSTASCII_TARGET_VNNI inline Doubles select(__mmask16 m, Doubles yes, Doubles no) {
  return {_mm512_mask_blend_pd(__mmask8(m), no.lo, yes.lo), _mm512_mask_blend_pd(__mmask8(m >> 8), no.hi, yes.hi)};
}

// colour_of() for 16 lanes: rounded a / b clamped to 0..255, in double as it does (both halves of
// 8). |a| and |b| fit 32 bits here (see fit_fine_batch), so 2a + b is exact in 32-bit lanes.
GSTASCII_TARGET_VNNI inline VecI colours_of(VecI a, VecI b) {
  const __m512i num = m512(2 * a + b), den = m512(2 * b);
  __m256i half[2];
  for (int h = 0; h < 2; h++) {
    const __m256i n = h ? _mm512_extracti64x4_epi64(num, 1) : _mm512_castsi512_si256(num);
    const __m256i d = h ? _mm512_extracti64x4_epi64(den, 1) : _mm512_castsi512_si256(den);
    __m512d q = _mm512_div_pd(_mm512_cvtepi32_pd(n), _mm512_cvtepi32_pd(d));
    q = _mm512_roundscale_pd(q, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    q = _mm512_min_pd(_mm512_max_pd(q, _mm512_setzero_pd()), _mm512_set1_pd(255.0));
    half[h] = _mm512_cvttpd_epi32(q);
  }
  return vec(_mm512_inserti64x4(_mm512_castsi256_si512(half[0]), half[1], 1));
}

// Half |h| of 64 bytes as 32 16-bit lanes. (A function: lambdas do not take their caller's target.)
GSTASCII_TARGET_VNNI inline __m512i widen_half(__m512i v, int h) {
  return _mm512_cvtepu8_epi16(h ? _mm512_extracti64x4_epi64(v, 1) : _mm512_castsi512_si256(v));
}

// The 16 cells' samples: x[ch][row], a cell's 4 samples of that row in each 32-bit lane.
struct BatchSamples {
  __m512i x[3][kFineRows];
  VecI x_sum[3];
};

// The shape winning so far in each lane (gain_of()'s num / den), and what fit_cover() needs of it.
struct BatchBest {
  Longs num = longs(VecI{}), den = longs(VecI{} + 1);
  VecI set = VecI{} + int(kGlyph), code = VecI{} + ' ';
  VecI c_sum{}, cc_sum{}, cx[3]{};
  VecI shaped{};  // where a shape beat the flat cell
};

// gain_of() in lanes, and the lanes where it beats |best|, which take the shape. |kOnly|: the only
// shape offered, which wins wherever its gain is above 0 (some channel's n CX - C X is not 0): no
// 64-bit arithmetic, and |best|'s gain is not kept.
template <bool kOnly = false>
GSTASCII_TARGET_VNNI inline void offer(BatchBest* best, const BatchSamples& s, VecI set, VecI code, VecI c_sum,
                                       VecI cc_sum, const VecI cx[3]) {
  const VecI den = kFine * cc_sum - c_sum * c_sum;
  const __mmask16 positive = _mm512_cmpgt_epi32_mask(m512(den), _mm512_setzero_si512());
  __mmask16 better;
  if constexpr (kOnly) {
    VecI moved{};
    for (int ch = 0; ch < 3; ch++) moved |= kFine * cx[ch] - c_sum * s.x_sum[ch];
    better = positive & _mm512_test_epi32_mask(m512(moved), m512(moved));
  } else {
    // Exact in 64 bits: num < 2^43 and den < 2^15, so the cross products are below 2^58.
    Longs num = longs(VecI{});
    for (int ch = 0; ch < 3; ch++) {
      const Longs d = longs(kFine * cx[ch] - c_sum * s.x_sum[ch]);
      num = num + longs(VecI{} + kWeights[ch]) * d * d;
    }
    num = select(positive, num, longs(VecI{}));
    const Longs safe_den = longs(select(positive, den, VecI{} + 1));
    better = greater(num * best->den, best->num * safe_den);
    best->num = select(better, num, best->num);
    best->den = select(better, safe_den, best->den);
  }
  best->shaped = select(better, VecI{} - 1, best->shaped);
  best->set = select(better, set, best->set);
  best->code = select(better, code, best->code);
  best->c_sum = select(better, c_sum, best->c_sum);
  best->cc_sum = select(better, cc_sum, best->cc_sum);
  for (int ch = 0; ch < 3; ch++) best->cx[ch] = select(better, cx[ch], best->cx[ch]);
}

// best_split() of one mosaic set in lanes (N sub-cells with |sum|s, |pixels| each), then offer().
// Sorting by lightness per pixel is sorting by lightness x subcell_light_scale (the pixels' least
// common multiple / pixels): integers, exact. Keys carry the sub-cell in their low 3 bits (ties
// by index, as the insertion sort keeps them); the R + G << 16 and B + pixels << 16 payloads go
// along.
template <int N>
GSTASCII_TARGET_VNNI inline void offer_mosaic(BatchBest* best, const FineTables& t, const BatchSamples& s,
                                              SymbolSet set, const VecI (&sum)[8][3]) {
  const std::int64_t* pixels = t.subcell_pixels[set];
  VecI key[N], rg[N], bp[N], total[3] = {};
  std::int32_t total_pixels = 0;
  for (int k = 0; k < N; k++) {
    const VecI light = kWeights[0] * sum[k][0] + kWeights[1] * sum[k][1] + kWeights[2] * sum[k][2];
    key[k] = light * t.subcell_light_scale[set][k] * 8 + k;
    rg[k] = sum[k][0] | sum[k][1] << 16;
    bp[k] = sum[k][2] | std::int32_t(pixels[k]) << 16;
    for (int ch = 0; ch < 3; ch++) total[ch] += sum[k][ch];
    total_pixels += std::int32_t(pixels[k]);
  }
  int exchanges = 0;
  const Exchange* network = sort_network<N>(&exchanges);
  // Unrolled, so that the vectors stay in registers rather than arrays indexed at run time.
#pragma GCC unroll 32
  for (int e = 0; e < exchanges; e++) {
    const int a = network[e].a, b = network[e].b;
    const VecI swap = key[a] > key[b];
    const VecI ka = key[a], kb = key[b], ra = rg[a], rb = rg[b], pa = bp[a], pb = bp[b];
    key[a] = swap ? kb : ka;
    key[b] = swap ? ka : kb;
    rg[a] = swap ? rb : ra;
    rg[b] = swap ? ra : rb;
    bp[a] = swap ? pb : pa;
    bp[b] = swap ? pa : pb;
  }
  // The scores in double, exactly: sums below 2^15, so num < 2^40, den <= 2^12 and the cross
  // products below 2^53. Where the sub-cells are all the same size (all sets but sextants), the
  // pixels on each side of a split are the same in every lane.
  const bool same_size = t.subcell_same_size[set];
  Doubles total_d[3], weight[3], best_num = doubles(VecI{});
  for (int ch = 0; ch < 3; ch++) {
    total_d[ch] = doubles(total[ch]);
    weight[ch] = doubles(VecI{} + kWeights[ch]);
    best_num = best_num + weight[ch] * total_d[ch] * total_d[ch];
  }
  Doubles best_den = doubles(VecI{} + total_pixels);
  VecI best_bits{}, bits{}, n_fg{}, fg[3]{}, best_fg[3]{};
#pragma GCC unroll 8
  for (int j = N - 1; j > 0; j--) {
    bits |= 1 << (key[j] & 7);
    n_fg += bp[j] >> 16;
    fg[0] += rg[j] & 0xFFFF;
    fg[1] += rg[j] >> 16;
    fg[2] += bp[j] & 0xFFFF;
    Doubles n_fg_d, n_bg_d;
    if (same_size) {
      const double n = double(pixels[0] * (N - j));
      n_fg_d = {_mm512_set1_pd(n), _mm512_set1_pd(n)};
      n_bg_d = {_mm512_set1_pd(total_pixels - n), _mm512_set1_pd(total_pixels - n)};
    } else {
      n_fg_d = doubles(n_fg);
      n_bg_d = doubles(total_pixels - n_fg);
    }
    Doubles num = doubles(VecI{});
    for (int ch = 0; ch < 3; ch++) {
      const Doubles f = doubles(fg[ch]);
      const Doubles b = {_mm512_sub_pd(total_d[ch].lo, f.lo), _mm512_sub_pd(total_d[ch].hi, f.hi)};
      num = num + weight[ch] * (f * f * n_bg_d + b * b * n_fg_d);
    }
    const Doubles den = n_fg_d * n_bg_d;
    const __mmask16 better = greater(num * best_den, best_num * den);
    best_num = select(better, num, best_num);
    best_den = select(better, den, best_den);
    best_bits = select(better, bits, best_bits);
    for (int ch = 0; ch < 3; ch++) best_fg[ch] = select(better, fg[ch], best_fg[ch]);
  }
  // Group 0 in the background: the complement, whose foreground sums are the rest.
  const VecI flip = (best_bits & 1) != 0;
  const VecI code = flip ? best_bits ^ ((1 << N) - 1) : best_bits;
  VecI cx[3];
  for (int ch = 0; ch < 3; ch++) cx[ch] = flip ? total[ch] - best_fg[ch] : best_fg[ch];
  const VecI c_sum = vec(_mm512_i32gather_epi32(m512(code), t.mosaic_c_sum[set], 4));
  const VecI cc_sum = vec(_mm512_i32gather_epi32(m512(code), t.mosaic_cc_sum[set], 4));
  // No split (code 0) is the flat cell: nothing to offer.
  const VecI none = code == 0;
  offer(best, s, VecI{} + int(set), code, none ? VecI{} : c_sum, none ? VecI{} : cc_sum, cx);
}

// Sextants cut samples: their sums are dot products with their covers, a row of 4 at a time.
GSTASCII_TARGET_VNNI inline void offer_sextants(BatchBest* best, const FineTables& t, const BatchSamples& s) {
  VecI sum[8][3] = {};
  for (int k = 0; k < 6; k++) {
    for (int r = 0; r < kFineRows; r++) {
      std::int32_t cover;
      std::memcpy(&cover, &t.subcell_cover[kSextant][k][r * kFineCols], 4);
      if (cover == 0) continue;
      for (int ch = 0; ch < 3; ch++) {
        sum[k][ch] = vec(_mm512_dpbusd_epi32(m512(sum[k][ch]), s.x[ch][r], _mm512_set1_epi32(cover)));
      }
    }
  }
  offer_mosaic<6>(best, t, s, kSextant, sum);
}

// Glyphs or edges: each cell's best by lightness (best_shapes_vnni, a cell at a time), then its
// exact colour fit from its cover rows, gathered per cell, offered. A cell with no shape (-1)
// offers shape 0 with no cover, which gains nothing.
template <bool kOnly, typename Search>
GSTASCII_TARGET_VNNI inline void offer_scored(BatchBest* best, const BatchSamples& s, __mmask16 shaped,
                                              const std::uint8_t (*light)[64], const Search& search,
                                              const std::int32_t (*cover_rows)[kFineRows], const std::int32_t* c_sums,
                                              const std::int32_t* cc_sums, SymbolSet set, int first_code) {
  alignas(64) std::int32_t chosen[kBatch] = {};
  const __mmask16 any = __mmask16(best_shapes_vnni(search, light, shaped, chosen));
  const __m512i index = _mm512_load_si512(chosen);
  const VecI c_sum = vec(_mm512_maskz_mov_epi32(any, _mm512_i32gather_epi32(index, c_sums, 4)));
  const VecI cc_sum = vec(_mm512_maskz_mov_epi32(any, _mm512_i32gather_epi32(index, cc_sums, 4)));
  __m512i cx[3] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
  const __m512i row_index = _mm512_slli_epi32(index, 3);
  for (int r = 0; r < kFineRows; r++) {
    const __m512i cover =
        _mm512_i32gather_epi32(_mm512_add_epi32(row_index, _mm512_set1_epi32(r)), &cover_rows[0][0], 4);
    for (int ch = 0; ch < 3; ch++) cx[ch] = _mm512_dpbusd_epi32(cx[ch], s.x[ch][r], cover);
  }
  const VecI shape_cx[3] = {vec(cx[0]), vec(cx[1]), vec(cx[2])};
  offer<kOnly>(best, s, VecI{} + int(set), vec(index) + first_code, c_sum, cc_sum, shape_cx);
}

// |count| (<= 16) cells of one row from |at|, the first cell's first sample. |kGlyphsOnly|: the
// style is `ascii` alone (the code for the rest, even unused, slows it by a third).
template <bool kGlyphsOnly>
GSTASCII_TARGET_VNNI inline void fit_fine_batch(const FineTables& t, unsigned style_bits, const Planes& p,
                                                std::size_t at, int count, SymbolCell* out, std::uint8_t* mean_bgr) {
  const __mmask64 present = count >= 16 ? ~__mmask64(0) : (__mmask64(1) << (4 * count)) - 1;
  const __m512i ones = _mm512_set1_epi8(1), flip = _mm512_set1_epi8(char(0x80));
  BatchSamples s;
  VecI xx_sum[3], mean[3];
  for (int ch = 0; ch < 3; ch++) {
    __m512i sum = _mm512_setzero_si512(), squares = _mm512_setzero_si512();
    for (int r = 0; r < kFineRows; r++) {
      const __m512i x = _mm512_maskz_loadu_epi8(present, p.ch[ch] + at + std::size_t(r) * p.stride);
      s.x[ch][r] = x;
      sum = _mm512_dpbusd_epi32(sum, x, ones);
      // x^2 = x (x - 128) + 128 x, with x - 128 a signed byte.
      squares = _mm512_dpbusd_epi32(squares, x, _mm512_xor_si512(x, flip));
    }
    s.x_sum[ch] = vec(sum);
    xx_sum[ch] = vec(squares) + 128 * s.x_sum[ch];
    mean[ch] = (s.x_sum[ch] + kFine / 2) >> 5;
  }
  static_assert(kFine == 32, "means and n x are shifts by 5");

  // fit_cover() of the flat cell: over the channels, w (16 xx - 32 m X + 16 n m^2); below 2^31.
  VecI flat_error{};
  for (int ch = 0; ch < 3; ch++) {
    const VecI m = mean[ch];
    flat_error += kWeights[ch] * (16 * xx_sum[ch] - 32 * m * s.x_sum[ch] + 16 * kFine * m * m);
  }
  const __mmask16 shaped = _mm512_mask_cmpgt_epi32_mask(__mmask16((1u << count) - 1), m512(flat_error),
                                                        _mm512_set1_epi32(std::int32_t(kFlatEnough)));
  BatchBest best;

  // Mosaics, coarse to fine. Half blocks, quadrants and octants from 2 x 2 blocks of samples (4
  // pixels each); sextants, which cut samples, from their covers, a row at a time.
  if (kGlyphsOnly) {
  } else if (style_bits & (kStyleHalf | kStyleBlocks | kStyleOctant)) {
    VecI octant[8][3];
    const __m512i left = _mm512_set1_epi32(0x0101), right = _mm512_set1_epi32(0x01010000);
    for (int ch = 0; ch < 3; ch++) {
      for (int k = 0; k < 8; k++) {
        const __m512i half = k % 2 ? right : left;
        const int row = (k / 2) * 2;
        octant[k][ch] = 4 * vec(_mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), s.x[ch][row], half),
                                                    s.x[ch][row + 1], half));
      }
    }
    VecI sum[8][3] = {};
    if (style_bits & kStyleHalf) {
      for (int k = 0; k < 2; k++) {
        for (int ch = 0; ch < 3; ch++) {
          sum[k][ch] = octant[4 * k][ch] + octant[4 * k + 1][ch] + octant[4 * k + 2][ch] + octant[4 * k + 3][ch];
        }
      }
      offer_mosaic<2>(&best, t, s, kHalf, sum);
    }
    if (style_bits & kStyleBlocks) {
      for (int k = 0; k < 4; k++) {
        for (int ch = 0; ch < 3; ch++)
          sum[k][ch] = octant[(k / 2) * 4 + k % 2][ch] + octant[(k / 2) * 4 + k % 2 + 2][ch];
      }
      offer_mosaic<4>(&best, t, s, kQuadrant, sum);
    }
    if (style_bits & kStyleSextant) {
      offer_sextants(&best, t, s);
    }
    if (style_bits & kStyleOctant) offer_mosaic<8>(&best, t, s, kOctant, octant);
  } else if (style_bits & kStyleSextant) {
    offer_sextants(&best, t, s);
  }

  // Cells the mosaics leave settled (settled_by()) look for no glyph or edge.
  __mmask16 search = shaped;
  if (!kGlyphsOnly && (style_bits & kMosaicStyles)) {
    VecI spread{};
    for (int ch = 0; ch < 3; ch++) spread += kWeights[ch] * (kFine * xx_sum[ch] - s.x_sum[ch] * s.x_sum[ch]);
    const Longs limit = best.num + longs(VecI{} + std::int32_t(kSettledResidual)) * best.den;
    search &= greater(longs(spread) * best.den, limit);
  }
  // (A batch with no cell to search has nothing to offer: flat or settled cells only.)
  if ((kGlyphsOnly || (style_bits & (kStyleEdge | kStyleAscii))) && search != 0) {
    // Lightness bytes, a row of 16 cells a vector: (v * 9363 + 32768) >> 16 as the high half of
    // the 16-bit product plus the carry of the rounding (lightness_byte()).
    alignas(64) std::uint8_t light[kFineRows][64];
    for (int r = 0; r < kFineRows; r++) {
      __m512i bytes[2];
      for (int h = 0; h < 2; h++) {
        const __m512i v = _mm512_add_epi16(_mm512_add_epi16(_mm512_slli_epi16(widen_half(s.x[0][r], h), 1),
                                                            _mm512_slli_epi16(widen_half(s.x[1][r], h), 2)),
                                           widen_half(s.x[2][r], h));
        const __m512i k = _mm512_set1_epi16(9363);
        bytes[h] = _mm512_add_epi16(_mm512_mulhi_epu16(v, k), _mm512_srli_epi16(_mm512_mullo_epi16(v, k), 15));
      }
      // packus interleaves 128-bit lanes; put them back in order.
      const __m512i packed = _mm512_packus_epi16(bytes[0], bytes[1]);
      _mm512_store_si512(light[r], _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), packed));
    }
    if (!kGlyphsOnly && (style_bits & kStyleEdge)) {
      offer_scored<false>(&best, s, search, light, t.edge_search, t.edge_cover_rows, t.edge_c_sum, t.edge_cc_sum, kEdge,
                          0);
    }
    if (kGlyphsOnly || (style_bits & kStyleAscii)) {
      offer_scored<kGlyphsOnly>(&best, s, search, light, t.glyph_scoring, t.glyph_cover_rows, t.glyph_c_sum,
                                t.glyph_cc_sum, kGlyph, kFirstGlyph);
    }
  }

  // fit_cover()'s colours for the winner. Bounds: X <= 8160, den <= 16384, |num| = |n CX - C X|
  // <= 2^20, so base = X den - C num and base + 4 n num stay within 2^29.
  const VecI den = kFine * best.cc_sum - best.c_sum * best.c_sum;
  const VecI n_den = den > 0 ? kFine * den : VecI{} + 1;
  VecI fg[3], bg[3];
  for (int ch = 0; ch < 3; ch++) {
    const VecI num = kFine * best.cx[ch] - best.c_sum * s.x_sum[ch];
    const VecI base = s.x_sum[ch] * den - best.c_sum * num;
    bg[ch] = colours_of(base, n_den);
    fg[ch] = colours_of(base + 4 * kFine * num, n_den);
  }
  // canonical() in lanes, and the flat cell in the mean colour where no shape won: no branch per
  // cell (the shapes of neighbouring cells follow no pattern a branch predictor could learn).
  const __mmask16 gains = shaped & _mm512_test_epi32_mask(m512(best.shaped), m512(best.shaped));
  const __mmask16 mean_flat = __mmask16(~gains),
                  flat = mean_flat | (equal(fg[0], bg[0]) & equal(fg[1], bg[1]) & equal(fg[2], bg[2]));
  for (int ch = 0; ch < 3; ch++) {
    bg[ch] = select(mean_flat, mean[ch], bg[ch]);
    fg[ch] = select(flat, bg[ch], fg[ch]);
  }
  VecI set = select(flat, VecI{} + int(kGlyph), best.set), code = select(flat, VecI{} + ' ', best.code);
  const __mmask16 quadrant = equal(set, VecI{} + int(kQuadrant));
  const __mmask16 upper = quadrant & equal(code, VecI{} + 0x3), lower = quadrant & equal(code, VecI{} + 0xC);
  set = select(upper | lower, VecI{} + int(kHalf), set);
  code = select(upper, VecI{} + 0x1, select(lower, VecI{} + 0x2, code));

  // Stored whole, then read a lane at a time (taking lanes out of registers one by one costs more).
  alignas(64) std::int32_t lanes[11][kBatch];
  const VecI fields[11] = {set, code, fg[0], fg[1], fg[2], bg[0], bg[1], bg[2], mean[2], mean[1], mean[0]};
  for (int f = 0; f < 11; f++) _mm512_store_si512(lanes[f], m512(fields[f]));
  for (int l = 0; l < count; l++) {
    SymbolCell& cell = out[l];
    cell.set = std::uint8_t(lanes[0][l]);
    cell.code = std::uint8_t(lanes[1][l]);
    for (int ch = 0; ch < 3; ch++) {
      cell.fg[ch] = std::uint8_t(lanes[2 + ch][l]);
      cell.bg[ch] = std::uint8_t(lanes[5 + ch][l]);
    }
  }
  if (mean_bgr) {
    for (int l = 0; l < count; l++) {
      for (int ch = 0; ch < 3; ch++) mean_bgr[3 * l + ch] = std::uint8_t(lanes[8 + ch][l]);
    }
  }
}

GSTASCII_TARGET_VNNI inline void fit_fine_rows(const FitJob& job, const Planes& p, int cols, int first, int last,
                                               SymbolCell* out, std::uint8_t* mean_bgr) {
  const FineTables& t = fine_tables();
  const bool glyphs_only = job.style_bits == kStyleAscii;
  for (int y = first; y < last; y++) {
    const std::size_t band = std::size_t(y) * job.samples.rows * p.stride;
    for (int x = 0; x < cols; x += kBatch) {
      const std::size_t i = std::size_t(y) * cols + x;
      const std::size_t at = band + std::size_t(x) * kFineCols;
      const int count = std::min(kBatch, cols - x);
      std::uint8_t* means = mean_bgr ? mean_bgr + 3 * i : nullptr;
      if (glyphs_only) {
        fit_fine_batch<true>(t, job.style_bits, p, at, count, out + i, means);
      } else {
        fit_fine_batch<false>(t, job.style_bits, p, at, count, out + i, means);
      }
    }
  }
}

#pragma GCC diagnostic pop
#undef GSTASCII_TARGET_VNNI

}  // namespace gstascii::fit

#endif
