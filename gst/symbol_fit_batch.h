// gst-ascii core, internal to symbol_fit.cpp: a single mosaic set read at its own sub-cells (half,
// blocks, sextant, octant alone), fitted 16 cells at a time. The loops run across the cells of a
// batch, so the compiler turns them into vector instructions of whatever width the kernel has; the
// arithmetic is 32-bit integer (the bounds are below), so every kernel gives the same bytes, and
// the same as fit_own_grid() one cell at a time.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstring>

#include "symbol_fit_cell.h"

// The vectors never cross a call (everything here is inlined), so their calling convention, which
// GCC warns differs between instruction sets, does not matter. (GCC reports it at the end of the
// file that includes this, so the warning stays off there.)
#pragma GCC diagnostic ignored "-Wpsabi"

namespace gstascii::fit {

inline constexpr int kBatch = 16;

// Sorting networks (compare-exchange pairs) for the sub-cells of each set, checked by the 0-1
// principle in test_symbols.
struct Exchange {
  std::uint8_t a, b;
};
inline constexpr Exchange kSort2[] = {{0, 1}};
inline constexpr Exchange kSort4[] = {{0, 1}, {2, 3}, {0, 2}, {1, 3}, {1, 2}};
inline constexpr Exchange kSort6[] = {{0, 5}, {1, 3}, {2, 4}, {1, 2}, {3, 4}, {0, 3},
                                      {2, 5}, {0, 1}, {2, 3}, {4, 5}, {1, 2}, {3, 4}};
inline constexpr Exchange kSort8[] = {{0, 2}, {1, 3}, {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}, {0, 1}, {2, 3},
                                      {4, 5}, {6, 7}, {2, 4}, {3, 5}, {1, 4}, {3, 6}, {1, 2}, {3, 4}, {5, 6}};
template <int N>
constexpr const Exchange* sort_network(int* count) {
  if constexpr (N == 2) return *count = 1, kSort2;
  if constexpr (N == 4) return *count = 5, kSort4;
  if constexpr (N == 6) return *count = 12, kSort6;
  return *count = 19, kSort8;
}

// 16 lanes of 32-bit integers or floats, one cell each: GCC's vector extensions, which each kernel
// compiles to its own instructions (two AVX2 or four SSE2 registers where AVX-512 has one).
using VecI = std::int32_t __attribute__((vector_size(4 * kBatch)));
using VecF = float __attribute__((vector_size(4 * kBatch)));
using Bytes16 = std::uint8_t __attribute__((vector_size(16)));
using Bytes32 = std::uint8_t __attribute__((vector_size(32)));

// Rounded v / n for 0 <= v < 2^11 and 1 <= n <= 8 by a float division: exact, since the quotient
// is within 1/n of the next integer or on it, far more than float rounding moves it.
GSTASCII_FIT_INLINE VecI rounded_mean(VecI v, VecI n) {
  return __builtin_convertvector(__builtin_convertvector(v + (n >> 1), VecF) / __builtin_convertvector(n, VecF), VecI);
}

// One sample row of 16 cells from |src|, cells SubCols (1 or 2) samples apart, as SubCols
// vectors of samples. |count| < 16 reads only that many cells (the rest are zero).
template <int SubCols>
GSTASCII_FIT_INLINE void load_row(const std::uint8_t* src, int count, VecI* out) {
  std::uint8_t padded[32] = {};
  if (count < kBatch) {
    std::memcpy(padded, src, std::size_t(count) * SubCols);
    src = padded;
  }
  if constexpr (SubCols == 1) {
    Bytes16 b;
    std::memcpy(&b, src, sizeof b);
    out[0] = __builtin_convertvector(b, VecI);
  } else {
    Bytes32 b;
    std::memcpy(&b, src, sizeof b);
    const Bytes16 even = __builtin_shufflevector(b, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const Bytes16 odd = __builtin_shufflevector(b, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    out[0] = __builtin_convertvector(even, VecI);
    out[1] = __builtin_convertvector(odd, VecI);
  }
}

// |count| (<= kBatch) cells of one row from |at|, the first cell's first sample; each cell is
// SubCols x N / SubCols samples, cells SubCols samples apart.
template <int N, int SubCols>
GSTASCII_FIT_INLINE void fit_own_batch(SymbolSet set, const Planes& p, std::size_t at, int count, SymbolCell* out,
                                       std::uint8_t* mean_bgr) {
  constexpr int kRows = N / SubCols;
  VecI x[3][N];
  for (int ch = 0; ch < 3; ch++) {
    for (int row = 0; row < kRows; row++) {
      load_row<SubCols>(p.ch[ch] + at + std::size_t(row) * p.stride, count, &x[ch][row * SubCols]);
    }
  }
  // Keys sort the sub-cells by lightness, ties by index (as fit_own_grid's insertion sort); the
  // payload carries the colour along. Lightness <= 7 * 255, so a key fits in 15 bits.
  VecI key[N], colour[N], total[3] = {};
  for (int k = 0; k < N; k++) {
    const VecI r = x[0][k], g = x[1][k], b = x[2][k];
    key[k] = (kWeights[0] * r + kWeights[1] * g + kWeights[2] * b) * 8 + k;
    colour[k] = r << 16 | g << 8 | b;
    total[0] += r;
    total[1] += g;
    total[2] += b;
  }
  int exchanges = 0;
  const Exchange* network = sort_network<N>(&exchanges);
  for (int e = 0; e < exchanges; e++) {
    const int a = network[e].a, b = network[e].b;
    const VecI swap = key[a] > key[b];
    const VecI ka = key[a], kb = key[b], ca = colour[a], cb = colour[b];
    key[a] = swap ? kb : ka;
    key[b] = swap ? ka : kb;
    colour[a] = swap ? cb : ca;
    colour[b] = swap ? ca : cb;
  }
  // The split search of best_split() with every group one sample: the lightest samples move to
  // the foreground one by one. Scores are sum(w * S^2 / n) over the parts as num / den: num <=
  // 7 * 255^2 * n_fg * n_bg * N < 2^26 and den <= 16, so the cross products fit 32 bits.
  VecI best_num =
      kWeights[0] * total[0] * total[0] + kWeights[1] * total[1] * total[1] + kWeights[2] * total[2] * total[2];
  VecI best_den = VecI{} + N, best_bits = {}, bits = {}, fg[3] = {};
  for (int j = N - 1; j > 0; j--) {
    const std::int32_t n_fg = N - j, n_bg = j, den = n_fg * n_bg;
    const VecI c = colour[j];
    bits |= 1 << (key[j] & 7);
    fg[0] += c >> 16;
    fg[1] += (c >> 8) & 0xFF;
    fg[2] += c & 0xFF;
    VecI num = {};
    for (int ch = 0; ch < 3; ch++) {
      const VecI s_bg = total[ch] - fg[ch];
      num += kWeights[ch] * (fg[ch] * fg[ch] * n_bg + s_bg * s_bg * n_fg);
    }
    const VecI better = num * best_den > best_num * den;
    best_num = better ? num : best_num;
    best_den = better ? den : best_den;
    best_bits = better ? bits : best_bits;
  }
  // The chosen split (group 0 in the background), its two colours, and the cells' means.
  const VecI code = (best_bits & 1) != 0 ? best_bits ^ ((1 << N) - 1) : best_bits;
  VecI n_fg = {}, s_fg[3] = {};
  for (int k = 0; k < N; k++) {
    const VecI in = -((code >> k) & 1);
    n_fg -= in;
    for (int ch = 0; ch < 3; ch++) s_fg[ch] += in & x[ch][k];
  }
  const VecI one = VecI{} + 1, n_bg = N - n_fg;
  const VecI fg_n = n_fg == 0 ? one : n_fg, bg_n = n_bg == 0 ? one : n_bg, all = VecI{} + N;
  VecI fg_colour[3], bg_colour[3], mean[3];
  for (int ch = 0; ch < 3; ch++) {
    fg_colour[ch] = rounded_mean(s_fg[ch], fg_n);
    bg_colour[ch] = rounded_mean(total[ch] - s_fg[ch], bg_n);
    mean[ch] = rounded_mean(total[ch], all);
  }
  for (int l = 0; l < count; l++) {
    const std::uint8_t m[3] = {std::uint8_t(mean[0][l]), std::uint8_t(mean[1][l]), std::uint8_t(mean[2][l])};
    if (code[l] == 0) {
      out[l] = flat_symbol_cell(m);
    } else {
      out[l] = canonical(
          SymbolCell{set,
                     std::uint8_t(code[l]),
                     {std::uint8_t(fg_colour[0][l]), std::uint8_t(fg_colour[1][l]), std::uint8_t(fg_colour[2][l])},
                     {std::uint8_t(bg_colour[0][l]), std::uint8_t(bg_colour[1][l]), std::uint8_t(bg_colour[2][l])}});
    }
    if (mean_bgr) {
      mean_bgr[3 * l] = m[2];
      mean_bgr[3 * l + 1] = m[1];
      mean_bgr[3 * l + 2] = m[0];
    }
  }
}

// Rows [first, last) of a grid of |cols| cells of a single mosaic set.
template <int N, int SubCols>
GSTASCII_FIT_INLINE void fit_own_rows(const FitJob& job, const Planes& p, int cols, int first, int last,
                                      SymbolCell* out, std::uint8_t* mean_bgr) {
  for (int y = first; y < last; y++) {
    const std::size_t band = std::size_t(y) * job.samples.rows * p.stride;
    for (int x = 0; x < cols; x += kBatch) {
      const std::size_t i = std::size_t(y) * cols + x;
      fit_own_batch<N, SubCols>(job.own_set, p, band + std::size_t(x) * SubCols, std::min(kBatch, cols - x), out + i,
                                mean_bgr ? mean_bgr + 3 * i : nullptr);
    }
  }
}

}  // namespace gstascii::fit
