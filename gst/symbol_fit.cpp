// SPDX-License-Identifier: LGPL-2.1-or-later
#include "symbol_fit.h"

#include <algorithm>
#include <cmath>

namespace gstascii {

namespace {

constexpr int kFineCols = 4, kFineRows = 8;
constexpr int kFine = kFineCols * kFineRows;  // samples a cell on the fine grid
constexpr int kShortlist = 6;                 // glyphs whose exact error is worked out per cell
constexpr int kWeights[3] = {2, 4, 1};        // R, G, B
// At most this error (an RMS difference of about 2 levels a sample), a cell is drawn flat.
constexpr std::int64_t kFlatEnough = std::int64_t(kFine) * 16 * 4 * (2 + 4 + 1);

struct NamedStyle {
  const char* name;
  unsigned bit;
};
constexpr NamedStyle kStyleNames[] = {
    {"ascii", kStyleAscii},     {"half", kStyleHalf},     {"blocks", kStyleBlocks},
    {"sextant", kStyleSextant}, {"octant", kStyleOctant},
};

// The mosaic sets in the order ties are settled, with their style bits.
struct MosaicFamily {
  SymbolSet set;
  unsigned bit;
};
constexpr MosaicFamily kFamilies[] = {
    {kHalf, kStyleHalf}, {kQuadrant, kStyleBlocks}, {kSextant, kStyleSextant}, {kOctant, kStyleOctant}};

// How the 8 x 16 pixels of a cell fall on the fine samples (2 x 2 pixels each): for each glyph
// and each mosaic sub-cell, how many of a sample's 4 pixels it covers.
struct FineTables {
  std::uint8_t glyph_cover[kGlyphCount][kFine];
  std::uint32_t glyph_bits[kGlyphCount];  // samples at least half covered
  int glyph_c_sum[kGlyphCount];           // sum of the cover, and of its squares
  int glyph_cc_sum[kGlyphCount];
  int subcells[kSymbolSets];
  std::uint8_t subcell_cover[kSymbolSets][8][kFine];
};

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
        if (c >= 2) t.glyph_bits[g] |= 1u << s;
        t.glyph_c_sum[g] += c;
        t.glyph_cc_sum[g] += c * c;
      }
    }
    for (const MosaicFamily& f : kFamilies) {
      const SubcellGrid grid = symbol_subcells(f.set);
      t.subcells[f.set] = grid.cols * grid.rows;
      for (int y = 0; y < kGlyphHeight; y++) {
        for (int x = 0; x < kGlyphWidth; x++) {
          const int k = (y * grid.rows / kGlyphHeight) * grid.cols + x * grid.cols / kGlyphWidth;
          t.subcell_cover[f.set][k][(y / 2) * kFineCols + x / 2]++;
        }
      }
    }
    return t;
  }();
  return tables;
}

std::uint8_t clamp_round(double v) {
  return std::uint8_t(std::clamp(std::lround(v), 0L, 255L));
}

// A quadrant pattern that is an upper or lower half is drawn as a half block, which every
// terminal font has.
SymbolCell canonical(SymbolCell cell) {
  if (cell.fg[0] == cell.bg[0] && cell.fg[1] == cell.bg[1] && cell.fg[2] == cell.bg[2])
    return flat_symbol_cell(cell.bg);
  if (cell.set == kQuadrant && (cell.code == 0x3 || cell.code == 0xC)) {
    cell.set = kHalf;
    cell.code = cell.code == 0x3 ? 0x1 : 0x2;
  }
  return cell;
}

}  // namespace

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
                 "\" (styles: asciline, or ascii, half, blocks, sextant, octant joined with '+')";
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

SymbolFitter::SymbolFitter(CellStyle style) : style_(style), samples_(style_sample_grid(style)) {
  for (const MosaicFamily& f : kFamilies) {
    if (style.bits == f.bit) {
      own_grid_ = true;
      own_set_ = f.set;
    }
  }
  fine_tables();  // built once, before any streaming thread needs them
}

namespace {

// Least-squares colours for a shape, and the error they leave, from sums over the cell's samples:
// with ink coverage c (0..4 pixels of a sample's 4) the drawn sample is (fg * c + bg * (4 - c)) / 4,
// so the best pair is a straight-line fit of the samples against c, and the error (in units of
// (4 x difference)^2) follows from the sums without another pass over the samples.
struct Fitted {
  std::uint8_t fg[3], bg[3];
  std::int64_t error;
};

Fitted fit_from_sums(const SymbolFitter::Sums& s, std::int64_t c_sum, std::int64_t cc_sum, const std::int64_t cx[3]) {
  const std::int64_t n = s.n;
  const std::int64_t den = n * cc_sum - c_sum * c_sum;
  Fitted f{};
  f.error = 0;
  for (int ch = 0; ch < 3; ch++) {
    if (den == 0) {
      f.fg[ch] = f.bg[ch] = s.mean[ch];
    } else {
      const double slope = double(n * cx[ch] - c_sum * s.x_sum[ch]) / double(den);  // per unit of cover
      const double bg = (double(s.x_sum[ch]) - slope * double(c_sum)) / double(n);
      f.bg[ch] = clamp_round(bg);
      f.fg[ch] = clamp_round(bg + 4 * slope);
    }
    const std::int64_t bg = f.bg[ch], d = std::int64_t(f.fg[ch]) - bg;
    const std::int64_t xr = 4 * bg * s.x_sum[ch] + d * cx[ch];
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
int best_split(int k_count, const std::int64_t (*sum)[3], const std::int64_t* pixels) {
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

}  // namespace

SymbolCell SymbolFitter::fit_fine(const Sums& s) const {
  const FineTables& t = fine_tables();
  SymbolCell best = flat_symbol_cell(s.mean);
  const std::int64_t no_cover[3] = {0, 0, 0};
  std::int64_t best_error = fit_from_sums(s, 0, 0, no_cover).error;
  // A cell this close to one colour is drawn as one: nothing else would look different.
  if (best_error <= kFlatEnough) return best;

  for (const MosaicFamily& family : kFamilies) {
    if (!(style_.bits & family.bit)) continue;
    const int k_count = t.subcells[family.set];
    std::int64_t sum[8][3] = {}, pixels[8] = {};
    for (int k = 0; k < k_count; k++) {
      for (int i = 0; i < kFine; i++) {
        const int w = t.subcell_cover[family.set][k][i];
        if (w == 0) continue;
        pixels[k] += w;
        for (int ch = 0; ch < 3; ch++) sum[k][ch] += w * s.x[i][ch];
      }
    }
    const int code = best_split(k_count, sum, pixels);
    if (code == 0) continue;
    std::int64_t c_sum = 0, cc_sum = 0, cx[3] = {0, 0, 0};
    std::uint8_t cover[kFine] = {};
    for (int k = 0; k < k_count; k++) {
      if (!((code >> k) & 1)) continue;
      for (int i = 0; i < kFine; i++) cover[i] += t.subcell_cover[family.set][k][i];
      for (int ch = 0; ch < 3; ch++) cx[ch] += sum[k][ch];
    }
    for (int i = 0; i < kFine; i++) {
      c_sum += cover[i];
      cc_sum += cover[i] * cover[i];
    }
    const Fitted f = fit_from_sums(s, c_sum, cc_sum, cx);
    if (f.error < best_error) {
      best_error = f.error;
      best = SymbolCell{family.set, std::uint8_t(code), {f.fg[0], f.fg[1], f.fg[2]}, {f.bg[0], f.bg[1], f.bg[2]}};
    }
  }

  if (style_.bits & kStyleAscii) {
    // The cell's light/dark pattern: samples lighter than the cell's mean lightness.
    int light[kFine];
    int light_sum = 0;
    for (int i = 0; i < kFine; i++) {
      light[i] = kWeights[0] * s.x[i][0] + kWeights[1] * s.x[i][1] + kWeights[2] * s.x[i][2];
      light_sum += light[i];
    }
    std::uint32_t pattern = 0;
    for (int i = 0; i < kFine; i++) {
      if (light[i] * kFine > light_sum) pattern |= 1u << i;
    }
    // Shortlist by how many samples disagree with a glyph's ink (either way round: the glyph may
    // be drawn dark on light).
    int list[kShortlist];
    int list_distance[kShortlist];
    int listed = 0;
    for (int g = 1; g < kGlyphCount; g++) {
      const int d = __builtin_popcount(pattern ^ t.glyph_bits[g]);
      const int distance = std::min(d, kFine - d);
      if (listed == kShortlist && distance >= list_distance[kShortlist - 1]) continue;
      int at = listed < kShortlist ? listed++ : kShortlist - 1;
      while (at > 0 && list_distance[at - 1] > distance) {
        list[at] = list[at - 1];
        list_distance[at] = list_distance[at - 1];
        at--;
      }
      list[at] = g;
      list_distance[at] = distance;
    }
    // The shortlist in glyph order, so that equal errors go to the lower glyph.
    for (int i = 1; i < listed; i++) {
      for (int j = i; j > 0 && list[j - 1] > list[j]; j--) std::swap(list[j - 1], list[j]);
    }
    for (int i = 0; i < listed; i++) {
      const std::uint8_t* cover = t.glyph_cover[list[i]];
      std::int64_t cx[3] = {0, 0, 0};
      for (int j = 0; j < kFine; j++) {
        for (int ch = 0; ch < 3; ch++) cx[ch] += cover[j] * s.x[j][ch];
      }
      const Fitted f = fit_from_sums(s, t.glyph_c_sum[list[i]], t.glyph_cc_sum[list[i]], cx);
      if (f.error < best_error) {
        best_error = f.error;
        best = SymbolCell{
            kGlyph, std::uint8_t(kFirstGlyph + list[i]), {f.fg[0], f.fg[1], f.fg[2]}, {f.bg[0], f.bg[1], f.bg[2]}};
      }
    }
  }
  return canonical(best);
}

// A single mosaic set read at its own sub-cells: each sample is one sub-cell.
SymbolCell SymbolFitter::fit_own_grid(const Sums& s) const {
  std::int64_t sum[8][3] = {}, pixels[8] = {};
  for (int k = 0; k < s.n; k++) {
    pixels[k] = 1;
    for (int ch = 0; ch < 3; ch++) sum[k][ch] = s.x[k][ch];
  }
  const int code = best_split(s.n, sum, pixels);
  if (code == 0) return flat_symbol_cell(s.mean);
  int n_fg = 0, fg[3] = {0, 0, 0}, bg[3] = {0, 0, 0};
  for (int k = 0; k < s.n; k++) {
    int* group = (code >> k) & 1 ? fg : bg;
    n_fg += (code >> k) & 1;
    for (int ch = 0; ch < 3; ch++) group[ch] += s.x[k][ch];
  }
  const int n_bg = s.n - n_fg;
  SymbolCell cell{own_set_, std::uint8_t(code), {}, {}};
  for (int ch = 0; ch < 3; ch++) {
    cell.fg[ch] = std::uint8_t((fg[ch] + n_fg / 2) / n_fg);
    cell.bg[ch] = std::uint8_t((bg[ch] + n_bg / 2) / n_bg);
  }
  return canonical(cell);
}

SymbolCell SymbolFitter::fit_cell(const std::uint8_t* bgr, std::size_t row_stride, std::uint8_t mean_bgr[3]) const {
  Sums s;
  s.n = samples_.cols * samples_.rows;
  for (int y = 0, i = 0; y < samples_.rows; y++) {
    const std::uint8_t* row = bgr + std::size_t(y) * row_stride;
    for (int x = 0; x < samples_.cols; x++, i++) {
      for (int ch = 0; ch < 3; ch++) {
        const int v = row[x * 3 + 2 - ch];
        s.x[i][ch] = v;
        s.x_sum[ch] += v;
        s.xx_sum[ch] += v * v;
      }
    }
  }
  for (int ch = 0; ch < 3; ch++) {
    s.mean[ch] = std::uint8_t((s.x_sum[ch] + s.n / 2) / s.n);
    if (mean_bgr) mean_bgr[2 - ch] = s.mean[ch];
  }
  return own_grid_ ? fit_own_grid(s) : fit_fine(s);
}

void SymbolFitter::fit(const std::uint8_t* bgr, int cols, int rows, SymbolCell* out, std::uint8_t* mean_bgr) const {
  const std::size_t row_stride = std::size_t(cols) * samples_.cols * 3;
  for (int y = 0; y < rows; y++) {
    const std::uint8_t* band = bgr + std::size_t(y) * samples_.rows * row_stride;
    for (int x = 0; x < cols; x++) {
      const std::size_t i = std::size_t(y) * cols + x;
      out[i] = fit_cell(band + std::size_t(x) * samples_.cols * 3, row_stride, mean_bgr ? mean_bgr + 3 * i : nullptr);
    }
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
