// gst-ascii core, internal to symbol_fit.cpp: the `ascii` style alone with AVX-512 VNNI, 16 cells
// of a row at a time. It gives exactly what fit_fine() gives for kStyleAscii (test_symbols checks
// every kernel against the portable one), with the per-cell work that fit_fine() does in scalar
// code done across the 16 cells in vector lanes:
//   - a sample row of 16 cells is 64 bytes, one cell's 4 samples in each 32-bit lane, so one
//     vpdpbusd adds up a row of every cell (sums, sums of squares, and the dot products with a
//     glyph's cover rows, gathered per cell);
//   - lightness bytes come out in the same layout, which is what the glyph search broadcasts;
//   - the flat test, the gain test and the colours (in double, as colour_of()) run in lanes.
// Only the glyph search (best_glyph_vnni) runs a cell at a time.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#if defined(__x86_64__)

#include <immintrin.h>

#include "symbol_fit_cell.h"

namespace gstascii::fit {

#define GSTASCII_TARGET_VNNI __attribute__((target("avx2,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")))

// GCC 12 takes the intrinsics' deliberately undefined lanes for uninitialised variables.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

// colour_of() for 16 lanes: rounded a / b clamped to 0..255, in double as it does (both halves of
// 8). |a| and |b| fit 32 bits here (see fit_ascii_batch), so 2a + b is exact in 32-bit lanes.
GSTASCII_TARGET_VNNI inline __m512i colours_of(__m512i a, __m512i b) {
  const __m512i num = _mm512_add_epi32(_mm512_slli_epi32(a, 1), b), den = _mm512_slli_epi32(b, 1);
  __m256i half[2];
  for (int h = 0; h < 2; h++) {
    const __m256i n = h ? _mm512_extracti64x4_epi64(num, 1) : _mm512_castsi512_si256(num);
    const __m256i d = h ? _mm512_extracti64x4_epi64(den, 1) : _mm512_castsi512_si256(den);
    __m512d q = _mm512_div_pd(_mm512_cvtepi32_pd(n), _mm512_cvtepi32_pd(d));
    q = _mm512_roundscale_pd(q, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    q = _mm512_min_pd(_mm512_max_pd(q, _mm512_setzero_pd()), _mm512_set1_pd(255.0));
    half[h] = _mm512_cvttpd_epi32(q);
  }
  return _mm512_inserti64x4(_mm512_castsi256_si512(half[0]), half[1], 1);
}

// Half |h| of 64 bytes as 32 16-bit lanes. (A function: lambdas do not take their caller's target.)
GSTASCII_TARGET_VNNI inline __m512i widen_half(__m512i v, int h) {
  return _mm512_cvtepu8_epi16(h ? _mm512_extracti64x4_epi64(v, 1) : _mm512_castsi512_si256(v));
}

// |count| (<= 16) cells of one row from |at|, the first cell's first sample.
GSTASCII_TARGET_VNNI inline void fit_ascii_batch(const FineTables& t, const Planes& p, std::size_t at, int count,
                                                 SymbolCell* out, std::uint8_t* mean_bgr) {
  const __mmask64 present = count >= 16 ? ~__mmask64(0) : (__mmask64(1) << (4 * count)) - 1;
  const __m512i ones = _mm512_set1_epi8(1), flip = _mm512_set1_epi8(char(0x80));
  __m512i x[3][kFineRows];
  __m512i x_sum[3], xx_sum[3];
  for (int ch = 0; ch < 3; ch++) {
    x_sum[ch] = xx_sum[ch] = _mm512_setzero_si512();
    for (int r = 0; r < kFineRows; r++) {
      x[ch][r] = _mm512_maskz_loadu_epi8(present, p.ch[ch] + at + std::size_t(r) * p.stride);
      x_sum[ch] = _mm512_dpbusd_epi32(x_sum[ch], x[ch][r], ones);
      // x^2 = x (x - 128) + 128 x, with x - 128 a signed byte.
      xx_sum[ch] = _mm512_dpbusd_epi32(xx_sum[ch], x[ch][r], _mm512_xor_si512(x[ch][r], flip));
    }
    xx_sum[ch] = _mm512_add_epi32(xx_sum[ch], _mm512_slli_epi32(x_sum[ch], 7));
  }
  __m512i mean[3];
  for (int ch = 0; ch < 3; ch++) mean[ch] = _mm512_srli_epi32(_mm512_add_epi32(x_sum[ch], _mm512_set1_epi32(16)), 5);

  // fit_cover() of the flat cell: sum over channels of w (16 xx - 32 m X + 16 n m^2), within 2^31.
  __m512i flat_error = _mm512_setzero_si512();
  for (int ch = 0; ch < 3; ch++) {
    const __m512i m = mean[ch];
    __m512i e = _mm512_slli_epi32(xx_sum[ch], 4);
    e = _mm512_sub_epi32(e, _mm512_slli_epi32(_mm512_mullo_epi32(m, x_sum[ch]), 5));
    e = _mm512_add_epi32(e, _mm512_slli_epi32(_mm512_mullo_epi32(m, m), 9));
    flat_error = _mm512_add_epi32(flat_error, _mm512_mullo_epi32(e, _mm512_set1_epi32(kWeights[ch])));
  }
  const __mmask16 shaped = _mm512_mask_cmpgt_epi32_mask(__mmask16((1u << count) - 1), flat_error,
                                                        _mm512_set1_epi32(std::int32_t(kFlatEnough)));

  // Lightness bytes, a row of 16 cells a vector: (v * 9363 + 32768) >> 16 as the high half of the
  // 16-bit product plus the carry of the rounding.
  alignas(64) std::uint8_t light[kFineRows][64];
  for (int r = 0; r < kFineRows; r++) {
    __m512i bytes[2];
    for (int h = 0; h < 2; h++) {
      const __m512i v = _mm512_add_epi16(
          _mm512_add_epi16(_mm512_slli_epi16(widen_half(x[0][r], h), 1), _mm512_slli_epi16(widen_half(x[1][r], h), 2)),
          widen_half(x[2][r], h));
      const __m512i k = _mm512_set1_epi16(9363);
      bytes[h] = _mm512_add_epi16(_mm512_mulhi_epu16(v, k), _mm512_srli_epi16(_mm512_mullo_epi16(v, k), 15));
    }
    // packus interleaves 128-bit lanes; put them back in order.
    const __m512i packed = _mm512_packus_epi16(bytes[0], bytes[1]);
    _mm512_store_si512(light[r], _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), packed));
  }

  // The glyph of each cell that is not flat (0: none).
  alignas(64) std::int32_t glyph[16] = {};
  for (unsigned left = shaped; left != 0; left &= left - 1) {
    const int lane = __builtin_ctz(left);
    glyph[lane] = best_glyph_vnni(t, &light[0][4 * lane], 64);
  }
  const __m512i g = _mm512_load_si512(glyph);

  // Its exact colour fit (fit_cover) and gain test (gain_of against nothing: num > 0), in lanes.
  // Bounds: X <= 8160, den <= 16384, |num| = |n CX - C X| <= 2^20, so base = X den - C num and
  // base + 4 n num stay within 2^29.
  const __m512i c_sum = _mm512_i32gather_epi32(g, t.glyph_c_sum, 4);
  const __m512i cc_sum = _mm512_i32gather_epi32(g, t.glyph_cc_sum, 4);
  const __m512i den = _mm512_sub_epi32(_mm512_slli_epi32(cc_sum, 5), _mm512_mullo_epi32(c_sum, c_sum));
  __m512i cx[3] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
  const __m512i row_index = _mm512_slli_epi32(g, 3);
  for (int r = 0; r < kFineRows; r++) {
    const __m512i cover =
        _mm512_i32gather_epi32(_mm512_add_epi32(row_index, _mm512_set1_epi32(r)), &t.glyph_cover_rows[0][0], 4);
    for (int ch = 0; ch < 3; ch++) cx[ch] = _mm512_dpbusd_epi32(cx[ch], x[ch][r], cover);
  }
  __mmask16 gains = 0;
  __m512i fg[3], bg[3];
  const __m512i n_den = _mm512_slli_epi32(den, 5);
  for (int ch = 0; ch < 3; ch++) {
    const __m512i num = _mm512_sub_epi32(_mm512_slli_epi32(cx[ch], 5), _mm512_mullo_epi32(c_sum, x_sum[ch]));
    gains |= _mm512_test_epi32_mask(num, num);
    const __m512i base = _mm512_sub_epi32(_mm512_mullo_epi32(x_sum[ch], den), _mm512_mullo_epi32(c_sum, num));
    const __m512i safe_den =
        _mm512_mask_blend_epi32(_mm512_cmpgt_epi32_mask(n_den, _mm512_setzero_si512()), _mm512_set1_epi32(1), n_den);
    bg[ch] = colours_of(base, safe_den);
    fg[ch] = colours_of(_mm512_add_epi32(base, _mm512_slli_epi32(num, 7)), safe_den);
  }
  gains &= shaped & _mm512_cmpgt_epi32_mask(den, _mm512_setzero_si512()) &
           _mm512_cmpneq_epi32_mask(g, _mm512_setzero_si512());

  alignas(64) std::int32_t lanes[10][16];
  _mm512_store_si512(lanes[0], g);
  for (int ch = 0; ch < 3; ch++) {
    _mm512_store_si512(lanes[1 + ch], mean[ch]);
    _mm512_store_si512(lanes[4 + ch], fg[ch]);
    _mm512_store_si512(lanes[7 + ch], bg[ch]);
  }
  for (int l = 0; l < count; l++) {
    const std::uint8_t m[3] = {std::uint8_t(lanes[1][l]), std::uint8_t(lanes[2][l]), std::uint8_t(lanes[3][l])};
    if ((gains >> l) & 1) {
      out[l] = canonical(SymbolCell{kGlyph,
                                    std::uint8_t(kFirstGlyph + lanes[0][l]),
                                    {std::uint8_t(lanes[4][l]), std::uint8_t(lanes[5][l]), std::uint8_t(lanes[6][l])},
                                    {std::uint8_t(lanes[7][l]), std::uint8_t(lanes[8][l]), std::uint8_t(lanes[9][l])}});
    } else {
      out[l] = flat_symbol_cell(m);
    }
    if (mean_bgr) {
      mean_bgr[3 * l] = m[2];
      mean_bgr[3 * l + 1] = m[1];
      mean_bgr[3 * l + 2] = m[0];
    }
  }
}

GSTASCII_TARGET_VNNI inline void fit_ascii_rows(const FitJob& job, const Planes& p, int cols, int first, int last,
                                                SymbolCell* out, std::uint8_t* mean_bgr) {
  const FineTables& t = fine_tables();
  for (int y = first; y < last; y++) {
    const std::size_t band = std::size_t(y) * job.samples.rows * p.stride;
    for (int x = 0; x < cols; x += 16) {
      const std::size_t i = std::size_t(y) * cols + x;
      fit_ascii_batch(t, p, band + std::size_t(x) * kFineCols, std::min(16, cols - x), out + i,
                      mean_bgr ? mean_bgr + 3 * i : nullptr);
    }
  }
}

#pragma GCC diagnostic pop
#undef GSTASCII_TARGET_VNNI

}  // namespace gstascii::fit

#endif
