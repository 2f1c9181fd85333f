// Unit tests of the core library's two-colour mosaic cells (gst/mosaic.h): the split chosen for
// edges, checkerboards and flat cells, and that it is the best of every split on random cells.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "mosaic.h"

using namespace gstascii;

namespace {

struct Rgb {
  std::uint8_t r, g, b;
};
constexpr Rgb kBlack{0, 0, 0}, kWhite{255, 255, 255}, kRed{200, 30, 20}, kBlue{10, 40, 220};

// One cell's samples (B,G,R, row-major) from R,G,B colours.
std::vector<std::uint8_t> cell_of(const std::vector<Rgb>& colours) {
  std::vector<std::uint8_t> bgr;
  for (const Rgb& c : colours) bgr.insert(bgr.end(), {c.b, c.g, c.r});
  return bgr;
}

MosaicCell fit(Mosaic m, const std::vector<Rgb>& colours) {
  const auto bgr = cell_of(colours);
  return fit_mosaic_cell(m, bgr.data(), std::size_t(mosaic_shape(m).cols) * 3);
}

void expect_colour(const std::uint8_t* got, Rgb want, const char* what) {
  fail_unless(got[0] == want.r && got[1] == want.g && got[2] == want.b, "%s is %u,%u,%u, expected %u,%u,%u", what,
              got[0], got[1], got[2], want.r, want.g, want.b);
}

// The exact weighted squared error of splitting |samples| by |pattern| around each group's mean.
double split_error(Mosaic m, const std::vector<std::uint8_t>& bgr, unsigned pattern) {
  const int n = mosaic_shape(m).count();
  double error = 0;
  for (int c = 0; c < 3; c++) {
    double sum[2] = {0, 0}, squares = 0;
    int count[2] = {0, 0};
    for (int i = 0; i < n; i++) {
      const double v = bgr[i * 3 + 2 - c];
      const int group = (pattern >> i) & 1;
      sum[group] += v;
      count[group]++;
      squares += v * v;
    }
    double explained = 0;
    for (int g = 0; g < 2; g++)
      if (count[g]) explained += sum[g] * sum[g] / count[g];
    error += kMosaicWeights[c] * (squares - explained);
  }
  return error;
}

}  // namespace

GST_START_TEST(test_shapes) {
  fail_unless_equals_int(mosaic_shape(Mosaic::kHalf).count(), 2);
  fail_unless_equals_int(mosaic_shape(Mosaic::kQuadrant).count(), 4);
  fail_unless_equals_int(mosaic_shape(Mosaic::kSextant).count(), 6);
  fail_unless_equals_int(mosaic_shape(Mosaic::kOctant).count(), 8);
  fail_unless_equals_int(mosaic_shape(Mosaic::kSextant).cols, 2);
}
GST_END_TEST;

// A cell of one colour is flat: no pattern, both colours the same.
GST_START_TEST(test_flat_cell) {
  for (Mosaic m : {Mosaic::kHalf, Mosaic::kQuadrant, Mosaic::kSextant, Mosaic::kOctant}) {
    const MosaicCell cell = fit(m, std::vector<Rgb>(mosaic_shape(m).count(), kRed));
    fail_unless_equals_int(cell.pattern, 0);
    expect_colour(cell.bg, kRed, "background");
    expect_colour(cell.fg, kRed, "foreground");
  }
}
GST_END_TEST;

// Edges and a checkerboard pick the split that follows them, with the exact colours.
GST_START_TEST(test_edges_and_checkerboard) {
  // Upper and lower half: red over blue.
  MosaicCell half = fit(Mosaic::kHalf, {kRed, kBlue});
  fail_unless_equals_int(half.pattern, 0b10);
  expect_colour(half.bg, kRed, "upper");
  expect_colour(half.fg, kBlue, "lower");
  // A vertical edge: black left, white right (sub-cells 1 and 3).
  MosaicCell vertical = fit(Mosaic::kQuadrant, {kBlack, kWhite, kBlack, kWhite});
  fail_unless_equals_int(vertical.pattern, 0b1010);
  expect_colour(vertical.bg, kBlack, "left");
  expect_colour(vertical.fg, kWhite, "right");
  // A horizontal edge: white over black.
  MosaicCell horizontal = fit(Mosaic::kQuadrant, {kWhite, kWhite, kBlack, kBlack});
  fail_unless_equals_int(horizontal.pattern, 0b1100);
  expect_colour(horizontal.fg, kBlack, "bottom");
  // A checkerboard: the diagonal pair.
  MosaicCell checker = fit(Mosaic::kQuadrant, {kBlack, kWhite, kWhite, kBlack});
  fail_unless_equals_int(checker.pattern, 0b0110);
  // A sextant's lower third and an octant's lower quarter.
  MosaicCell sextant = fit(Mosaic::kSextant, {kWhite, kWhite, kWhite, kWhite, kBlue, kBlue});
  fail_unless_equals_int(sextant.pattern, 0b110000);
  expect_colour(sextant.fg, kBlue, "sextant foreground");
  MosaicCell octant = fit(Mosaic::kOctant, {kRed, kRed, kRed, kRed, kRed, kRed, kBlack, kWhite});
  // Three colours: white is furthest from red (weighted), so it is set apart and black, nearer,
  // stays with the reds.
  fail_unless_equals_int(octant.pattern, 0b10000000);
  expect_colour(octant.fg, kWhite, "octant foreground");
}
GST_END_TEST;

// On random cells the chosen split is the best of all of them (exact error), and the error of the
// drawn cell is what its split and rounded colours give.
GST_START_TEST(test_best_split_on_random_cells) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> byte(0, 255);
  for (Mosaic m : {Mosaic::kHalf, Mosaic::kQuadrant, Mosaic::kSextant, Mosaic::kOctant}) {
    const int n = mosaic_shape(m).count();
    for (int trial = 0; trial < 300; trial++) {
      std::vector<std::uint8_t> bgr(n * 3);
      // Some cells from two colours plus noise, some pure noise.
      for (auto& v : bgr) v = std::uint8_t(byte(rng));
      if (trial % 2) {
        for (int i = 0; i < n; i++)
          for (int c = 0; c < 3; c++) bgr[i * 3 + c] = std::uint8_t((i * 37 + trial) % 3 ? 20 + c : 230 - c);
      }
      const MosaicCell cell = fit_mosaic_cell(m, bgr.data(), std::size_t(mosaic_shape(m).cols) * 3);
      fail_unless_equals_int(cell.pattern & 1, 0);
      const double chosen = split_error(m, bgr, cell.pattern);
      for (unsigned p = 0; p < (1u << n); p++) {
        fail_unless(chosen <= split_error(m, bgr, p) + 1e-6, "mosaic %d trial %d: pattern %02x beats %02x", int(m),
                    trial, p, cell.pattern);
      }
    }
  }
}
GST_END_TEST;

// A grid is fitted cell by cell from the samples laid out as AreaAverager gives them.
GST_START_TEST(test_grid_layout) {
  // 3 x 2 cells of quadrants: 6 x 4 samples.
  const int cols = 3, rows = 2, sw = cols * 2, sh = rows * 2;
  std::vector<std::uint8_t> bgr(sw * sh * 3);
  std::mt19937 rng(3);
  for (auto& v : bgr) v = std::uint8_t(rng());
  std::vector<MosaicCell> cells(cols * rows);
  fit_mosaic(Mosaic::kQuadrant, bgr.data(), cols, rows, cells.data());
  for (int y = 0; y < rows; y++) {
    for (int x = 0; x < cols; x++) {
      std::vector<std::uint8_t> one;
      for (int sy = 0; sy < 2; sy++) {
        const std::uint8_t* p = bgr.data() + ((y * 2 + sy) * sw + x * 2) * 3;
        one.insert(one.end(), p, p + 6);
      }
      const MosaicCell want = fit_mosaic_cell(Mosaic::kQuadrant, one.data(), 6);
      const MosaicCell& got = cells[y * cols + x];
      fail_unless(got.pattern == want.pattern && memcmp(got.fg, want.fg, 3) == 0 && memcmp(got.bg, want.bg, 3) == 0,
                  "cell %d,%d", x, y);
      fail_unless_equals_uint64(mosaic_error(Mosaic::kQuadrant, got, one.data(), 6),
                                mosaic_error(Mosaic::kQuadrant, want, one.data(), 6));
    }
  }
}
GST_END_TEST;

static Suite* mosaic_suite() {
  Suite* s = suite_create("mosaic");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_shapes);
  tcase_add_test(tc, test_flat_cell);
  tcase_add_test(tc, test_edges_and_checkerboard);
  tcase_add_test(tc, test_best_split_on_random_cells);
  tcase_add_test(tc, test_grid_layout);
  return s;
}

GST_CHECK_MAIN(mosaic);
