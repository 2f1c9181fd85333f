// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mosaic.h"

namespace gstascii {

namespace {

constexpr int kMaxSubcells = 8;
// 840 is divisible by every group size 1..8: S^2 / n becomes the integer S^2 * (840 / n).
constexpr std::int64_t kCommonMultiple = 840;

std::uint8_t rounded_mean(int sum, int n) {
  return std::uint8_t((sum + n / 2) / n);
}

}  // namespace

MosaicShape mosaic_shape(Mosaic mosaic) {
  switch (mosaic) {
    case Mosaic::kHalf: return {1, 2};
    case Mosaic::kQuadrant: return {2, 2};
    case Mosaic::kSextant: return {2, 3};
    case Mosaic::kOctant: return {2, 4};
  }
  return {1, 2};
}

// Minimising the squared error of two groups around their means is maximising
// sum over groups and channels of w * S^2 / n (S: the group's sum), since the total of squares is
// fixed. Group sums for every pattern come from the pattern without its lowest bit plus one sample.
MosaicCell fit_mosaic_cell(Mosaic mosaic, const std::uint8_t* bgr, std::size_t row_stride) {
  const MosaicShape shape = mosaic_shape(mosaic);
  const int n = shape.count();
  int sample[kMaxSubcells][3];  // R, G, B
  int total[3] = {0, 0, 0};
  for (int y = 0, i = 0; y < shape.rows; y++) {
    const std::uint8_t* row = bgr + std::size_t(y) * row_stride;
    for (int x = 0; x < shape.cols; x++, i++) {
      for (int c = 0; c < 3; c++) {
        sample[i][c] = row[x * 3 + 2 - c];
        total[c] += sample[i][c];
      }
    }
  }
  // Patterns keep sub-cell 0 in the background: bits 1..n-1 are free.
  const int patterns = 1 << (n - 1);
  int sums[1 << (kMaxSubcells - 1)][3];  // the foreground group's sums
  int counts[1 << (kMaxSubcells - 1)];
  sums[0][0] = sums[0][1] = sums[0][2] = 0;
  counts[0] = 0;
  std::int64_t best_score = -1;
  int best = 0;
  for (int p = 0; p < patterns; p++) {
    if (p > 0) {
      const int low = p & -p;
      const int bit = __builtin_ctz(low);
      const int rest = p ^ low;
      for (int c = 0; c < 3; c++) sums[p][c] = sums[rest][c] + sample[bit + 1][c];
      counts[p] = counts[rest] + 1;
    }
    const int n_fg = counts[p], n_bg = n - n_fg;
    std::int64_t score = 0;
    for (int c = 0; c < 3; c++) {
      const std::int64_t s_fg = sums[p][c], s_bg = total[c] - sums[p][c];
      std::int64_t channel = s_bg * s_bg * (kCommonMultiple / n_bg);
      if (n_fg > 0) channel += s_fg * s_fg * (kCommonMultiple / n_fg);
      score += kMosaicWeights[c] * channel;
    }
    if (score > best_score) {
      best_score = score;
      best = p;
    }
  }
  MosaicCell cell;
  cell.pattern = std::uint8_t(best << 1);
  const int n_fg = counts[best], n_bg = n - n_fg;
  for (int c = 0; c < 3; c++) {
    cell.bg[c] = rounded_mean(total[c] - sums[best][c], n_bg);
    cell.fg[c] = n_fg > 0 ? rounded_mean(sums[best][c], n_fg) : cell.bg[c];
  }
  return cell;
}

void fit_mosaic(Mosaic mosaic, const std::uint8_t* bgr, int cols, int rows, MosaicCell* out) {
  const MosaicShape shape = mosaic_shape(mosaic);
  const std::size_t row_stride = std::size_t(cols) * shape.cols * 3;
  for (int y = 0; y < rows; y++) {
    const std::uint8_t* band = bgr + std::size_t(y) * shape.rows * row_stride;
    for (int x = 0; x < cols; x++) {
      out[std::size_t(y) * cols + x] = fit_mosaic_cell(mosaic, band + std::size_t(x) * shape.cols * 3, row_stride);
    }
  }
}

std::uint64_t mosaic_error(Mosaic mosaic, const MosaicCell& cell, const std::uint8_t* bgr, std::size_t row_stride) {
  const MosaicShape shape = mosaic_shape(mosaic);
  std::uint64_t error = 0;
  for (int y = 0, i = 0; y < shape.rows; y++) {
    const std::uint8_t* row = bgr + std::size_t(y) * row_stride;
    for (int x = 0; x < shape.cols; x++, i++) {
      const std::uint8_t* colour = (cell.pattern >> i) & 1 ? cell.fg : cell.bg;
      for (int c = 0; c < 3; c++) {
        const int d = int(row[x * 3 + 2 - c]) - colour[c];
        error += std::uint64_t(kMosaicWeights[c] * d * d);
      }
    }
  }
  return error;
}

}  // namespace gstascii
