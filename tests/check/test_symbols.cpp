// Unit tests of symbol cells (gst/symbol_cell.h, symbol_fit.h, symbol_unicode.h): the style names,
// the symbol and colours chosen for edges, checkerboards, text and flat cells, the drawing
// geometry, and the Unicode characters of each symbol.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "glyph_font.h"
#include "mosaic.h"
#include "symbol_cell.h"
#include "symbol_fit.h"
#include "symbol_unicode.h"

using namespace gstascii;

namespace {

struct Rgb {
  std::uint8_t r, g, b;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};
constexpr Rgb kBlack{0, 0, 0}, kWhite{255, 255, 255}, kRed{200, 30, 20}, kBlue{10, 40, 220};

// A cell's 8 x 16 pixels, painted by |paint(x, y)|, box-averaged to the |grid| samples the fitter
// reads (B, G, R, row-major).
template <typename Paint>
std::vector<std::uint8_t> samples_of(SubcellGrid grid, Paint paint) {
  std::vector<std::uint8_t> bgr;
  const int sw = kGlyphWidth / grid.cols, sh = kGlyphHeight / grid.rows;
  for (int sy = 0; sy < grid.rows; sy++) {
    for (int sx = 0; sx < grid.cols; sx++) {
      int sum[3] = {0, 0, 0};
      for (int y = sy * sh; y < (sy + 1) * sh; y++) {
        for (int x = sx * sw; x < (sx + 1) * sw; x++) {
          const Rgb c = paint(x, y);
          sum[0] += c.b;
          sum[1] += c.g;
          sum[2] += c.r;
        }
      }
      for (int c = 0; c < 3; c++) bgr.push_back(std::uint8_t((sum[c] + sw * sh / 2) / (sw * sh)));
    }
  }
  return bgr;
}

template <typename Paint>
SymbolCell fit(const char* style_name, Paint paint) {
  const auto style = parse_cell_style(style_name);
  fail_unless(style.has_value(), "style %s", style_name);
  SymbolFitter fitter(*style);
  const SubcellGrid grid = fitter.samples();
  const auto bgr = samples_of(grid, paint);
  std::uint8_t mean[3];
  return fitter.fit_cell(bgr.data(), std::size_t(grid.cols) * 3, mean);
}

Rgb fg_of(const SymbolCell& c) {
  return {c.fg[0], c.fg[1], c.fg[2]};
}
Rgb bg_of(const SymbolCell& c) {
  return {c.bg[0], c.bg[1], c.bg[2]};
}

std::string describe(const SymbolCell& c) {
  char text[96];
  std::snprintf(text, sizeof text, "set %u code 0x%02x fg %u,%u,%u bg %u,%u,%u", c.set, c.code, c.fg[0], c.fg[1],
                c.fg[2], c.bg[0], c.bg[1], c.bg[2]);
  return text;
}

}  // namespace

GST_START_TEST(test_style_names) {
  std::string error;
  fail_unless(parse_cell_style("asciline")->is_asciline());
  const auto combo = parse_cell_style("octant+ascii");
  fail_unless(combo && combo->bits == (kStyleAscii | kStyleOctant));
  const std::string combo_name = format_cell_style(*combo);
  fail_unless_equals_string(combo_name.c_str(), "ascii+octant");
  for (const char* name : {"ascii", "half", "blocks", "sextant", "octant", "edge", "ascii+blocks+sextant"}) {
    const std::string formatted = format_cell_style(*parse_cell_style(name));
    fail_unless_equals_string(formatted.c_str(), name);
  }
  for (const char* bad : {"", "ascii+", "+octant", "Octant", "ascii+braille", "asciline+ascii"}) {
    fail_unless(!parse_cell_style(bad, &error), "\"%s\" accepted", bad);
    fail_unless(!error.empty());
  }
  fail_unless(error.find("asciline+ascii") == std::string::npos || error.find("unknown") != std::string::npos);
  // Sample grids: a single mosaic reads its own sub-cells; glyphs and combinations read 4 x 8.
  fail_unless_equals_int(style_sample_grid(*parse_cell_style("octant")).rows, 4);
  fail_unless_equals_int(style_sample_grid(*parse_cell_style("sextant")).rows, 3);
  fail_unless_equals_int(style_sample_grid(*parse_cell_style("ascii")).cols, 4);
  fail_unless_equals_int(style_sample_grid(*parse_cell_style("blocks+octant")).rows, 8);
}
GST_END_TEST;

GST_START_TEST(test_vertical_edge_picks_half_block) {
  // Dark left half, bright right half: quadrants (blocks) with the right column in the foreground,
  // whichever style reads it, and the two colours exactly.
  auto edge = [](int x, int) { return x < 4 ? kBlue : kWhite; };
  for (const char* style : {"blocks", "ascii+blocks", "blocks+octant", "octant", "sextant"}) {
    const SymbolCell c = fit(style, edge);
    const bool right_column = (c.set == kQuadrant && c.code == 0xA) || (c.set == kSextant && c.code == 0x2A) ||
                              (c.set == kOctant && c.code == 0xAA);
    fail_unless(right_column, "%s: %s", style, describe(c).c_str());
    fail_unless(fg_of(c) == kWhite && bg_of(c) == kBlue, "%s: %s", style, describe(c).c_str());
  }
  // A horizontal edge is a half block (drawn by every terminal font), from quadrants too.
  auto horizon = [](int, int y) { return y < 8 ? kWhite : kRed; };
  for (const char* style : {"half", "blocks", "ascii+blocks"}) {
    const SymbolCell c = fit(style, horizon);
    fail_unless(c.set == kHalf && c.code == 0x2, "%s: %s", style, describe(c).c_str());
    fail_unless(fg_of(c) == kRed && bg_of(c) == kWhite, "%s: %s", style, describe(c).c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_checkerboard_picks_quadrants) {
  auto checker = [](int x, int y) { return (x < 4) != (y < 8) ? kRed : kBlack; };
  for (const char* style : {"blocks", "ascii+blocks"}) {
    const SymbolCell c = fit(style, checker);
    fail_unless(c.set == kQuadrant && c.code == 0x6, "%s: %s", style, describe(c).c_str());
    fail_unless(fg_of(c) == kRed && bg_of(c) == kBlack, "%s: %s", style, describe(c).c_str());
  }
  // An octant pattern is found exactly.
  const std::uint8_t pattern = 0x96;  // bits 1, 2, 4, 7
  const SymbolCell c =
      fit("octant", [&](int x, int y) { return (pattern >> ((y / 4) * 2 + x / 4)) & 1 ? kBlue : kWhite; });
  fail_unless(c.set == kOctant && c.code == pattern && fg_of(c) == kBlue && bg_of(c) == kWhite, "%s",
              describe(c).c_str());
}
GST_END_TEST;

GST_START_TEST(test_diagonal_picks_edge) {
  // A slanted boundary (not along the sub-cell grid) is an edge shape when edges are allowed, and
  // leaves less error than the best octant; every edge bitmap inks some pixels and not others.
  auto slope = [](int x, int y) { return x * 3 + y > 18 ? kWhite : kBlue; };
  const SymbolCell octant = fit("octant+ascii", slope);
  const SymbolCell edge = fit("octant+edge", slope);
  fail_unless(edge.set == kEdge, "%s", describe(edge).c_str());
  const auto bgr = samples_of({4, 8}, slope);
  fail_unless(symbol_cell_error(edge, bgr.data(), 12) < symbol_cell_error(octant, bgr.data(), 12));
  for (int code = 0; code < kEdgeCount; code++) {
    int ink = 0;
    for (int y = 0; y < 16; y++)
      for (int x = 0; x < 8; x++) ink += symbol_ink({kEdge, std::uint8_t(code), {}, {}}, x, y, 8, 16);
    fail_unless(ink > 0 && ink < 128, "edge %d inks %d pixels", code, ink);
  }
}
GST_END_TEST;

GST_START_TEST(test_every_edge_is_found) {
  // The edge search tries a quarter of the angles, then turns near the best: a cell painted as
  // any of the 256 edges, in two colours, comes back as a shape that fits it as well. (Not edge
  // 1: on the 4 x 8 samples edge 0's cover is 2 + half of edge 1's, so the two score the same on
  // lightness and the lower wins, as with every shape searched, all 256 or not.)
  for (int code = 0; code < kEdgeCount; code++) {
    if (code == 1) continue;
    const SymbolCell exact{kEdge, std::uint8_t(code), {255, 255, 255}, {kBlue.r, kBlue.g, kBlue.b}};
    auto paint = [&](int x, int y) { return symbol_ink(exact, x, y, 8, 16) ? kWhite : kBlue; };
    const SymbolCell found = fit("edge", paint);
    const auto bgr = samples_of({4, 8}, paint);
    fail_unless(found.set == kEdge, "edge %d: %s", code, describe(found).c_str());
    fail_unless(symbol_cell_error(found, bgr.data(), 12) <= symbol_cell_error(exact, bgr.data(), 12),
                "edge %d: found %s", code, describe(found).c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_text_picks_letters) {
  // Letters drawn with the font, in any two colours, come back as themselves (or, where two glyphs
  // look alike at 4 x 8 samples, as one that draws them as exactly).
  int exact = 0, total = 0;
  for (int ch = '!'; ch <= '~'; ch++) {
    auto letter = [&](int x, int y) { return glyph_ink(std::uint8_t(ch), x, y) ? kWhite : kBlue; };
    const SymbolCell c = fit("ascii", letter);
    total++;
    if (c.set == kGlyph && c.code == ch) {
      exact++;
      // Thin strokes cover samples partly: the least-squares colours may round a level off.
      for (int i = 0; i < 3; i++) {
        fail_unless(std::abs(c.fg[i] - (&kWhite.r)[i]) <= 2 && std::abs(c.bg[i] - (&kBlue.r)[i]) <= 2, "'%c': %s", ch,
                    describe(c).c_str());
      }
    }
  }
  fail_unless(exact * 10 >= total * 9, "only %d of %d letters recognised", exact, total);
  // Letters win over blocks when both are allowed.
  const SymbolCell a = fit("ascii+blocks", [](int x, int y) { return glyph_ink('A', x, y) ? kWhite : kBlack; });
  fail_unless(a.set == kGlyph && a.code == 'A', "%s", describe(a).c_str());
}
GST_END_TEST;

GST_START_TEST(test_flat_cells_are_canonical) {
  // One colour gives the same bytes whatever the style: a space with both colours equal.
  for (const char* style : {"ascii", "half", "blocks", "sextant", "octant", "ascii+octant"}) {
    const SymbolCell c = fit(style, [](int, int) { return kRed; });
    fail_unless(c == flat_symbol_cell(&kRed.r), "%s: %s", style, describe(c).c_str());
  }
  // Noise of a level or two is flat too.
  const SymbolCell n = fit("ascii+octant", [](int x, int y) { return Rgb{std::uint8_t(100 + (x + y) % 2), 50, 50}; });
  fail_unless(n.set == kGlyph && n.code == ' ', "%s", describe(n).c_str());
}
GST_END_TEST;

GST_START_TEST(test_fit_beats_flat_on_random_cells) {
  // On random cells the chosen symbol never leaves more error than a flat cell, and adding a
  // style never does worse.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255);
  const SymbolFitter fine(*parse_cell_style("ascii+octant")), ascii(*parse_cell_style("ascii")),
      more(*parse_cell_style("ascii+blocks+sextant+octant"));
  for (int i = 0; i < 2000; i++) {
    std::vector<std::uint8_t> bgr(32 * 3);
    for (auto& v : bgr) v = std::uint8_t(byte(rng));
    std::uint8_t mean[3];
    const SymbolCell both = fine.fit_cell(bgr.data(), 12, mean);
    const std::uint8_t rgb_mean[3] = {mean[2], mean[1], mean[0]};
    const std::uint64_t e_both = symbol_cell_error(both, bgr.data(), 12);
    fail_unless(e_both <= symbol_cell_error(flat_symbol_cell(rgb_mean), bgr.data(), 12));
    fail_unless(e_both <= symbol_cell_error(ascii.fit_cell(bgr.data(), 12, mean), bgr.data(), 12));
    fail_unless(symbol_cell_error(more.fit_cell(bgr.data(), 12, mean), bgr.data(), 12) <= e_both);
  }
}
GST_END_TEST;

GST_START_TEST(test_kernels_match_portable) {
  // Every build of the fitter this CPU runs gives the portable build's bytes, for every style, on
  // random samples, on smooth ones (gradients with a little noise, where ties are likely) and on
  // samples of only 0 and 255 (the largest sums and products the integer bounds allow for).
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255), noise(-2, 2);
  const int cols = 61, rows = 23;
  int kernels = 0;
  for (const char* name : {"ascii", "half", "blocks", "sextant", "octant", "edge", "ascii+blocks", "ascii+octant",
                           "half+sextant+octant+edge", "ascii+half+blocks+sextant+octant+edge"}) {
    const SymbolFitter fitter(*parse_cell_style(name));
    const SubcellGrid g = fitter.samples();
    const int w = cols * g.cols, h = rows * g.rows;
    for (int picture = 0; picture < 3; picture++) {
      std::vector<std::uint8_t> bgr(std::size_t(w) * h * 3);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          for (int c = 0; c < 3; c++) {
            const int smooth = (x * 255 / w + y * 255 / h) / 2 + (c - 1) * 40 + noise(rng);
            const int value = picture == 0      ? byte(rng)
                              : picture == 1    ? std::clamp(smooth, 0, 255)
                              : byte(rng) & 128 ? 255
                                                : 0;
            bgr[(std::size_t(y) * w + x) * 3 + c] = std::uint8_t(value);
          }
        }
      }
      std::vector<SymbolCell> want(std::size_t(cols) * rows), got(want.size());
      std::vector<std::uint8_t> want_mean(want.size() * 3), got_mean(want.size() * 3);
      fitter.fit(SimdLevel::kPortable, bgr.data(), cols, rows, want.data(), want_mean.data());
      // The grid fitter (mosaics a row of cells at a time) agrees with the one-cell fitter.
      const std::size_t row_stride = std::size_t(w) * 3;
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          std::uint8_t mean[3];
          const std::size_t i = std::size_t(r) * cols + c;
          const SymbolCell one = fitter.fit_cell(
              bgr.data() + std::size_t(r) * g.rows * row_stride + std::size_t(c) * g.cols * 3, row_stride, mean);
          fail_unless(one == want[i], "%s, cell %zu: alone %s, in the grid %s", name, i, describe(one).c_str(),
                      describe(want[i]).c_str());
          fail_unless(std::equal(mean, mean + 3, &want_mean[3 * i]), "%s, cell %zu: means differ", name, i);
        }
      }
      for (SimdLevel k : {SimdLevel::kAvx2, SimdLevel::kAvx512}) {
        if (!simd_level_supported(k)) continue;
        kernels++;
        fitter.fit(k, bgr.data(), cols, rows, got.data(), got_mean.data());
        for (std::size_t i = 0; i < want.size(); i++) {
          fail_unless(got[i] == want[i], "%s, %s kernel, cell %zu: %s, portable %s", name, simd_level_name(k), i,
                      describe(got[i]).c_str(), describe(want[i]).c_str());
        }
        fail_unless(got_mean == want_mean, "%s, %s kernel: cell means differ", name, simd_level_name(k));
      }
    }
  }
  g_print("symbol fitter: %d kernel runs matched the portable build (best here: %s)\n", kernels,
          simd_level_name(best_simd_level()));
}
GST_END_TEST;

GST_START_TEST(test_fit_frame_matches_whole_frame) {
  // fit_frame() samples and fits a few rows of cells at a time; it gives what sampling the whole
  // frame and then fitting it gives, for frames one after another, with rows of cells (23) that
  // its bands do not divide and chroma rows that two cell rows share.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255);
  const int w = 642, h = 362, cw = (w + 1) / 2, ch = (h + 1) / 2, cols = 61, rows = 23;
  FrameLayout i420;
  i420.model = ColourModel::kYuv;
  i420.comp[0] = ComponentLayout{0, 0, 1, w, h};
  i420.comp[1] = ComponentLayout{1, 0, 1, cw, ch};
  i420.comp[2] = ComponentLayout{2, 0, 1, cw, ch};
  for (const char* name : {"ascii+octant+edge", "octant"}) {
    const SymbolFitter fitter(*parse_cell_style(name));
    const SubcellGrid g = fitter.samples();
    AreaAverager whole, banded;
    fail_unless(whole.configure(i420, cols * g.cols, rows * g.rows).empty());
    fail_unless(banded.configure(i420, cols * g.cols, rows * g.rows).empty());
    std::vector<std::uint8_t> scratch;
    for (int frame = 0; frame < 2; frame++) {
      std::vector<std::uint8_t> yuv(std::size_t(w) * h + 2 * std::size_t(cw) * ch);
      for (auto& v : yuv) v = std::uint8_t(byte(rng));
      const PlaneView planes[3] = {{yuv.data(), std::size_t(w)},
                                   {yuv.data() + std::size_t(w) * h, std::size_t(cw)},
                                   {yuv.data() + std::size_t(w) * h + std::size_t(cw) * ch, std::size_t(cw)}};
      const std::size_t n = std::size_t(cols) * g.cols * rows * g.rows;
      std::vector<std::uint8_t> samples(3 * n);
      whole.run_planar(planes, samples.data(), samples.data() + n, samples.data() + 2 * n);
      std::vector<SymbolCell> want(std::size_t(cols) * rows), got(want.size());
      std::vector<std::uint8_t> want_mean(3 * want.size()), got_mean(want_mean.size());
      fitter.fit(samples.data(), samples.data() + n, samples.data() + 2 * n, cols, rows, want.data(), want_mean.data());
      fail_unless(fitter.fit_frame(banded, planes, cols, rows, &scratch, got.data(), got_mean.data()));
      fail_unless(std::memcmp(want.data(), got.data(), want.size() * sizeof(SymbolCell)) == 0,
                  "%s, frame %d: the cells differ", name, frame);
      fail_unless(want_mean == got_mean, "%s, frame %d: the mean colours differ", name, frame);
    }
    // An averager for another grid is refused, not overrun.
    fail_if(fitter.fit_frame(whole, nullptr, cols + 1, rows, &scratch, nullptr, nullptr));
  }
}
GST_END_TEST;

GST_START_TEST(test_sorted_splits_against_every_split) {
  // The fitter tries only the splits along the sub-cells sorted by lightness; the exhaustive
  // reference (mosaic.h) tries them all. On cells of a smooth picture with noise, and on random
  // cells, count how often the sorted split is as good, and how much worse it is when not.
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(0, 255), noise(-12, 12);
  const std::pair<const char*, Mosaic> sets[] = {
      {"blocks", Mosaic::kQuadrant}, {"sextant", Mosaic::kSextant}, {"octant", Mosaic::kOctant}};
  for (const auto& [name, mosaic] : sets) {
    const SymbolFitter fitter(*parse_cell_style(name));
    const SubcellGrid g = fitter.samples();
    for (int kind = 0; kind < 2; kind++) {
      int as_good = 0, cells = 4000;
      double worst = 1.0;
      for (int i = 0; i < cells; i++) {
        std::vector<std::uint8_t> bgr(std::size_t(g.cols) * g.rows * 3);
        const int base = byte(rng), slope = noise(rng) * 4;
        for (int k = 0; k < g.cols * g.rows; k++) {
          for (int c = 0; c < 3; c++) {
            const int smooth = base + slope * (k % g.cols + k / g.cols) + c * 20 + noise(rng);
            bgr[std::size_t(k) * 3 + c] = std::uint8_t(kind == 0 ? std::clamp(smooth, 0, 255) : byte(rng));
          }
        }
        std::uint8_t mean[3];
        const SymbolCell ours = fitter.fit_cell(bgr.data(), std::size_t(g.cols) * 3, mean);
        MosaicCell as_mosaic;
        if (ours.set == kGlyph) {  // flat
          as_mosaic.pattern = 0;
          std::copy(ours.bg, ours.bg + 3, as_mosaic.fg);
          std::copy(ours.bg, ours.bg + 3, as_mosaic.bg);
        } else {
          // A half block from quadrants is the quadrant pattern of its two cells.
          as_mosaic.pattern = ours.set == kHalf ? (ours.code == 1 ? 0x3 : 0xC) : ours.code;
          std::copy(ours.fg, ours.fg + 3, as_mosaic.fg);
          std::copy(ours.bg, ours.bg + 3, as_mosaic.bg);
        }
        const MosaicCell best = fit_mosaic_cell(mosaic, bgr.data(), std::size_t(g.cols) * 3);
        const double e_ours = double(mosaic_error(mosaic, as_mosaic, bgr.data(), std::size_t(g.cols) * 3));
        const double e_best = double(mosaic_error(mosaic, best, bgr.data(), std::size_t(g.cols) * 3));
        if (e_ours <= e_best) as_good++;
        if (e_best > 0) worst = std::max(worst, e_ours / e_best);
      }
      g_print("%s, %s cells: the sorted split as good as every split in %.1f %%, at worst %.2fx the error\n", name,
              kind == 0 ? "smooth" : "random", 100.0 * as_good / cells, worst);
      // Smooth cells are what pictures are made of: nearly always the same.
      if (kind == 0) fail_unless(as_good * 100 >= cells * 95, "%s: only %d of %d", name, as_good, cells);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_drawing_geometry) {
  // Half block: the upper 8 of 16 rows; at 10 x 20, the upper 10.
  const SymbolCell upper{kHalf, 0x1, {255, 0, 0}, {0, 0, 255}};
  for (int y = 0; y < 16; y++) fail_unless(symbol_ink(upper, 3, y, 8, 16) == (y < 8));
  for (int y = 0; y < 20; y++) fail_unless(symbol_ink(upper, 3, y, 10, 20) == (y < 10));
  // Sextant rows are 6, 5 and 5 pixels of 16.
  const SymbolCell middle{kSextant, 0x0C, {255, 0, 0}, {0, 0, 255}};
  for (int y = 0; y < 16; y++) fail_unless(symbol_ink(middle, 0, y, 8, 16) == (y >= 6 && y < 11), "row %d", y);
  // Octant bit 7 is the lower right 4 x 4.
  const SymbolCell corner{kOctant, 0x80, {255, 0, 0}, {0, 0, 255}};
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 8; x++) fail_unless(symbol_ink(corner, x, y, 8, 16) == (x >= 4 && y >= 12));
  // Glyphs come from the font; unknown symbols draw nothing.
  for (int y = 0; y < 16; y++)
    for (int x = 0; x < 8; x++) fail_unless(symbol_ink({kGlyph, 'A', {}, {}}, x, y, 8, 16) == glyph_ink('A', x, y));
  fail_unless(!symbol_is_known({kGlyph, 0x7f, {}, {}}) && !symbol_is_known({9, 1, {}, {}}) &&
              !symbol_is_known({kHalf, 4, {}, {}}));

  // The renderer paints exactly that.
  const SymbolCell cells[2] = {upper, {kGlyph, 'W', {1, 2, 3}, {4, 5, 6}}};
  std::vector<std::uint8_t> rgba(16 * 16 * 4);
  render_symbol_cells(cells, 2, 1, 8, 16, rgba.data(), 16 * 4);
  for (int y = 0; y < 16; y++) {
    for (int x = 0; x < 16; x++) {
      const SymbolCell& c = cells[x / 8];
      const std::uint8_t* want = symbol_ink(c, x % 8, y, 8, 16) ? c.fg : c.bg;
      const std::uint8_t* got = &rgba[(y * 16 + x) * 4];
      fail_unless(got[0] == want[0] && got[1] == want[1] && got[2] == want[2] && got[3] == 255, "pixel %d,%d", x, y);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_quantise) {
  SymbolCell c{kQuadrant, 5, {0xff, 0x81, 0x10}, {0x7f, 0x00, 0xee}};
  quantise_symbol_cells(&c, 1, 0xf8, false);
  fail_unless(c.fg[0] == 0xf8 && c.fg[1] == 0x80 && c.fg[2] == 0x10 && c.bg[0] == 0x78 && c.bg[2] == 0xe8);
  SymbolCell g{kQuadrant, 5, {255, 255, 255}, {0, 0, 255}};
  quantise_symbol_cells(&g, 1, 0xff, true);
  fail_unless(g.fg[0] == 255 && g.fg[1] == 255 && g.bg[0] == 29 && g.bg[1] == 29 && g.bg[2] == 29);
}
GST_END_TEST;

GST_START_TEST(test_unicode) {
  fail_unless_equals_int(symbol_codepoint({kGlyph, 'A'}), 'A');
  fail_unless_equals_int(symbol_codepoint({kHalf, 1}), 0x2580);
  fail_unless_equals_int(symbol_codepoint({kHalf, 2}), 0x2584);
  fail_unless_equals_int(symbol_codepoint({kQuadrant, 0x1}), 0x2598);  // upper left
  fail_unless_equals_int(symbol_codepoint({kQuadrant, 0x9}), 0x259A);  // upper left + lower right
  fail_unless_equals_int(symbol_codepoint({kSextant, 0x01}), 0x1FB00);
  fail_unless_equals_int(symbol_codepoint({kSextant, 0x3E}), 0x1FB3B);
  fail_unless_equals_int(symbol_codepoint({kSextant, 0x15}), 0x258C);  // the left column is a half block
  fail_unless_equals_int(symbol_codepoint({kSextant, 0x3F}), 0x2588);
  fail_unless_equals_int(symbol_codepoint({kGlyph, 0x7f}), 0);
  // Every quadrant and sextant character reads back as the pattern it draws.
  for (int q = 1; q < 16; q++) {
    const auto back = symbol_from_codepoint(symbol_codepoint({kQuadrant, std::uint8_t(q)}));
    fail_unless(back && back->set == kQuadrant && back->code == q, "quadrant %d", q);
  }
  for (int p = 1; p < 63; p++) {
    const std::uint32_t cp = symbol_codepoint({kSextant, std::uint8_t(p)});
    const auto back = symbol_from_codepoint(cp);
    fail_unless(back, "sextant %d (U+%X)", p, cp);
    // Drawn the same: compare the ink of the two at 8 x 15 (sextant rows of 5).
    for (int y = 0; y < 15; y++)
      for (int x = 0; x < 8; x++)
        fail_unless(symbol_ink({kSextant, std::uint8_t(p), {}, {}}, x, y, 8, 15) ==
                            symbol_ink({back->set, back->code, {}, {}}, x, y, 8, 15) ||
                        back->set == kQuadrant,
                    "sextant %d", p);
  }
  // Octants: Unicode 16's 230 characters (U+1CD00-U+1CDE5), each once, in pattern order, and
  // older characters for the other 26 patterns; each reads back as a symbol with the same ink.
  fail_unless_equals_int(symbol_codepoint({kOctant, 0x04}), 0x1CD00);  // BLOCK OCTANT-3
  fail_unless_equals_int(symbol_codepoint({kOctant, 0x06}), 0x1CD01);  // BLOCK OCTANT-23
  fail_unless_equals_int(symbol_codepoint({kOctant, 0xFE}), 0x1CDE5);  // BLOCK OCTANT-2345678
  fail_unless_equals_int(symbol_codepoint({kOctant, 0x0F}), 0x2580);
  fail_unless_equals_int(symbol_codepoint({kOctant, 0x14}), 0x1FBE6);  // MIDDLE LEFT ONE QUARTER BLOCK
  fail_unless_equals_int(symbol_codepoint({kOctant, 0xC0}), 0x2582);   // LOWER ONE QUARTER BLOCK
  int in_block = 0;
  std::uint32_t last = 0;
  for (int p = 0; p < 256; p++) {
    const std::uint32_t cp = symbol_codepoint({kOctant, std::uint8_t(p)});
    if (cp >= 0x1CD00 && cp <= 0x1CDE5) {
      fail_unless(cp > last, "octant %d: U+%X after U+%X", p, cp, last);
      last = cp;
      in_block++;
    }
    const auto back = symbol_from_codepoint(cp);
    fail_unless(back, "octant %d (U+%X)", p, cp);
    for (int y = 0; y < 16; y++)
      for (int x = 0; x < 8; x++)
        fail_unless(symbol_ink({kOctant, std::uint8_t(p), {}, {}}, x, y, 8, 16) ==
                        symbol_ink({back->set, back->code, {}, {}}, x, y, 8, 16),
                    "octant %d (U+%X)", p, cp);
  }
  fail_unless_equals_int(in_block, 230);
  fail_unless(!symbol_from_codepoint(0x4E00));
}
GST_END_TEST;

static Suite* symbols_suite(void) {
  Suite* s = suite_create("symbols");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_style_names);
  tcase_add_test(tc, test_vertical_edge_picks_half_block);
  tcase_add_test(tc, test_checkerboard_picks_quadrants);
  tcase_add_test(tc, test_diagonal_picks_edge);
  tcase_add_test(tc, test_every_edge_is_found);
  tcase_add_test(tc, test_text_picks_letters);
  tcase_add_test(tc, test_flat_cells_are_canonical);
  tcase_add_test(tc, test_fit_beats_flat_on_random_cells);
  tcase_add_test(tc, test_kernels_match_portable);
  tcase_add_test(tc, test_fit_frame_matches_whole_frame);
  tcase_add_test(tc, test_sorted_splits_against_every_split);
  tcase_add_test(tc, test_drawing_geometry);
  tcase_add_test(tc, test_quantise);
  tcase_add_test(tc, test_unicode);
  return s;
}

GST_CHECK_MAIN(symbols);
