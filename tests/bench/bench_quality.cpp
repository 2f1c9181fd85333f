// Picture quality and speed of the cell styles, against chafa (libchafa, a benchmark-only
// dependency) in the same run.
//
// Quality: each picture (real photos and frames of real video, made by quality-media.sh) is cut
// into 200 x 84 cells by every style and by chafa (same grid, work factor 5, truecolour), drawn
// back by the core renderer that asciirender uses (8 x 16 pixels a cell; chafa's characters are
// drawn as the same symbols), and compared with the picture: SSIM on luma after a 2 x 2 box-down
// (the headline), and mean CIEDE2000 colour difference at the same size.
// Speed: a 1080p I420 frame of real video to 200 x 84 cells, sampling included, one core;
// chafa is given the same frame as RGBA (its conversion not timed).
// End to end: the CPU time of decoding 10 s of 1080p H.264 (ffmpeg's libx264) through asciimap
// to a fakesink, for each style, against the plain decode, in the same run.
//
//   bench-quality MEDIA_DIR [--speed]   (tests/bench/quality-media.sh MEDIA_DIR makes it;
//                                        --speed: the speed part only)
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <chafa.h>
#include <gst/gst.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "area_average.h"
#include "gstasciielements.h"
#include "cell_mapper.h"
#include "palette.h"
#include "symbol_cell.h"
#include "symbol_fit.h"
#include "symbol_unicode.h"

using namespace gstascii;

namespace {

constexpr int kCols = 200, kRows = 84, kCellW = 8, kCellH = 16;
constexpr int kW = kCols * kCellW, kH = kRows * kCellH;  // 1600 x 1344
constexpr int kEndToEndRounds = 5;                       // the end-to-end runs take about 10 s a round

struct Image {
  int w = 0, h = 0;
  std::vector<float> v;  // one channel
  float at(int x, int y) const { return v[std::size_t(y) * w + x]; }
};

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// RGB(A) pixels -> the R, G, B planes box-averaged 2 x 2.
std::vector<Image> half_size(const std::uint8_t* px, int w, int h, int bytes_per_pixel) {
  std::vector<Image> out(3);
  for (auto& im : out) {
    im.w = w / 2;
    im.h = h / 2;
    im.v.resize(std::size_t(im.w) * im.h);
  }
  for (int y = 0; y < h / 2; y++) {
    for (int x = 0; x < w / 2; x++) {
      for (int c = 0; c < 3; c++) {
        float s = 0;
        for (int dy = 0; dy < 2; dy++)
          for (int dx = 0; dx < 2; dx++) s += px[(std::size_t(2 * y + dy) * w + 2 * x + dx) * bytes_per_pixel + c];
        out[c].v[std::size_t(y) * out[c].w + x] = s / 4;
      }
    }
  }
  return out;
}

Image luma(const std::vector<Image>& rgb) {
  Image y{rgb[0].w, rgb[0].h, std::vector<float>(rgb[0].v.size())};
  for (std::size_t i = 0; i < y.v.size(); i++)
    y.v[i] = 0.299f * rgb[0].v[i] + 0.587f * rgb[1].v[i] + 0.114f * rgb[2].v[i];
  return y;
}

// Gaussian-window SSIM (11 x 11, sigma 1.5), as Wang et al.
Image blur(const Image& in) {
  float k[11], sum = 0;
  for (int i = 0; i < 11; i++) sum += k[i] = std::exp(-float((i - 5) * (i - 5)) / (2 * 1.5f * 1.5f));
  for (float& v : k) v /= sum;
  Image tmp = in, out = in;
  for (int y = 0; y < in.h; y++)
    for (int x = 0; x < in.w; x++) {
      float s = 0;
      for (int i = 0; i < 11; i++) s += k[i] * in.at(std::clamp(x + i - 5, 0, in.w - 1), y);
      tmp.v[std::size_t(y) * in.w + x] = s;
    }
  for (int y = 0; y < in.h; y++)
    for (int x = 0; x < in.w; x++) {
      float s = 0;
      for (int i = 0; i < 11; i++) s += k[i] * tmp.at(x, std::clamp(y + i - 5, 0, in.h - 1));
      out.v[std::size_t(y) * in.w + x] = s;
    }
  return out;
}

Image product(const Image& a, const Image& b) {
  Image p = a;
  for (std::size_t i = 0; i < p.v.size(); i++) p.v[i] = a.v[i] * b.v[i];
  return p;
}

double ssim(const Image& a, const Image& b) {
  const float c1 = (0.01f * 255) * (0.01f * 255), c2 = (0.03f * 255) * (0.03f * 255);
  const Image ma = blur(a), mb = blur(b), maa = blur(product(a, a)), mbb = blur(product(b, b)),
              mab = blur(product(a, b));
  double total = 0;
  for (std::size_t i = 0; i < a.v.size(); i++) {
    const float va = maa.v[i] - ma.v[i] * ma.v[i], vb = mbb.v[i] - mb.v[i] * mb.v[i],
                cov = mab.v[i] - ma.v[i] * mb.v[i];
    total += ((2 * ma.v[i] * mb.v[i] + c1) * (2 * cov + c2)) /
             ((ma.v[i] * ma.v[i] + mb.v[i] * mb.v[i] + c1) * (va + vb + c2));
  }
  return total / double(a.v.size());
}

// sRGB (0..255) -> CIE L*a*b* (D65).
void to_lab(float r, float g, float b, double lab[3]) {
  auto lin = [](float c) {
    const double v = c / 255.0;
    return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
  };
  const double R = lin(r), G = lin(g), B = lin(b);
  double X = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047, Y = 0.2126 * R + 0.7152 * G + 0.0722 * B,
         Z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  auto f = [](double t) { return t > 216.0 / 24389 ? std::cbrt(t) : (24389.0 / 27 * t + 16) / 116; };
  X = f(X);
  Y = f(Y);
  Z = f(Z);
  lab[0] = 116 * Y - 16;
  lab[1] = 500 * (X - Y);
  lab[2] = 200 * (Y - Z);
}

// CIEDE2000 (Sharma, Wu, Dalal 2005).
double ciede2000(const double l1[3], const double l2[3]) {
  const double pi = 3.14159265358979323846;
  const double c1 = std::hypot(l1[1], l1[2]), c2 = std::hypot(l2[1], l2[2]), cm = (c1 + c2) / 2;
  const double g = 0.5 * (1 - std::sqrt(std::pow(cm, 7) / (std::pow(cm, 7) + std::pow(25.0, 7))));
  const double a1 = (1 + g) * l1[1], a2 = (1 + g) * l2[1];
  const double cp1 = std::hypot(a1, l1[2]), cp2 = std::hypot(a2, l2[2]);
  auto hue = [&](double b, double a) {
    if (a == 0 && b == 0) return 0.0;
    double h = std::atan2(b, a) * 180 / pi;
    return h < 0 ? h + 360 : h;
  };
  const double h1 = hue(l1[2], a1), h2 = hue(l2[2], a2);
  const double dl = l2[0] - l1[0], dc = cp2 - cp1;
  double dh = 0;
  if (cp1 * cp2 != 0) {
    dh = h2 - h1;
    if (dh > 180) dh -= 360;
    if (dh < -180) dh += 360;
  }
  const double dH = 2 * std::sqrt(cp1 * cp2) * std::sin(dh / 2 * pi / 180);
  const double lm = (l1[0] + l2[0]) / 2, cpm = (cp1 + cp2) / 2;
  double hm = h1 + h2;
  if (cp1 * cp2 != 0) {
    if (std::fabs(h1 - h2) > 180) hm += (h1 + h2 < 360) ? 360 : -360;
    hm /= 2;
  }
  const double t = 1 - 0.17 * std::cos((hm - 30) * pi / 180) + 0.24 * std::cos(2 * hm * pi / 180) +
                   0.32 * std::cos((3 * hm + 6) * pi / 180) - 0.20 * std::cos((4 * hm - 63) * pi / 180);
  const double sl = 1 + 0.015 * (lm - 50) * (lm - 50) / std::sqrt(20 + (lm - 50) * (lm - 50));
  const double sc = 1 + 0.045 * cpm, sh = 1 + 0.015 * cpm * t;
  const double dtheta = 30 * std::exp(-((hm - 275) / 25) * ((hm - 275) / 25));
  const double rc = 2 * std::sqrt(std::pow(cpm, 7) / (std::pow(cpm, 7) + std::pow(25.0, 7)));
  const double rt = -std::sin(2 * dtheta * pi / 180) * rc;
  return std::sqrt((dl / sl) * (dl / sl) + (dc / sc) * (dc / sc) + (dH / sh) * (dH / sh) + rt * (dc / sc) * (dH / sh));
}

struct Score {
  double ssim = 0, de = 0;
};

struct Reference {
  std::vector<Image> rgb;  // at half size
  Image y;
};

Score compare(const Reference& ref, const std::vector<SymbolCell>& cells) {
  std::vector<std::uint8_t> rgba(std::size_t(kW) * kH * 4);
  render_symbol_cells(cells.data(), kCols, kRows, kCellW, kCellH, rgba.data(), std::size_t(kW) * 4);
  const std::vector<Image> rgb = half_size(rgba.data(), kW, kH, 4);
  Score s;
  s.ssim = ssim(ref.y, luma(rgb));
  double de = 0;
  for (std::size_t i = 0; i < rgb[0].v.size(); i += 3) {  // every third pixel: enough for a mean
    double a[3], b[3];
    to_lab(ref.rgb[0].v[i], ref.rgb[1].v[i], ref.rgb[2].v[i], a);
    to_lab(rgb[0].v[i], rgb[1].v[i], rgb[2].v[i], b);
    de += ciede2000(a, b);
  }
  s.de = de / double((rgb[0].v.size() + 2) / 3);
  return s;
}

// ---- contestants ------------------------------------------------------------------------------

FrameLayout rgb_layout(int w, int h) {
  FrameLayout l;
  l.model = ColourModel::kRgb;
  for (int c = 0; c < 3; c++) l.comp[c] = {0, c, 3, w, h};
  return l;
}

FrameLayout i420_layout(int w, int h) {
  FrameLayout l;
  l.model = ColourModel::kYuv;
  l.kr = 0.299;
  l.kb = 0.114;
  l.comp[0] = {0, 0, 1, w, h};
  l.comp[1] = {1, 0, 1, w / 2, h / 2};
  l.comp[2] = {2, 0, 1, w / 2, h / 2};
  return l;
}

std::vector<SymbolCell> run_style(CellStyle style, const std::uint8_t* rgb) {
  SymbolFitter fitter(style);
  const SubcellGrid g = fitter.samples();
  AreaAverager averager;
  if (!averager.configure(rgb_layout(kW, kH), kCols * g.cols, kRows * g.rows).empty()) std::abort();
  std::vector<std::uint8_t> samples(std::size_t(kCols) * g.cols * kRows * g.rows * 3);
  PlaneView plane{rgb, std::size_t(kW) * 3};
  averager.run(&plane, samples.data());
  std::vector<SymbolCell> cells(std::size_t(kCols) * kRows);
  fitter.fit(samples.data(), kCols, kRows, cells.data());
  return cells;
}

// Today's ASCILINE cells (mode 5, full colour): a glyph in the cell's colour on black.
std::vector<SymbolCell> run_asciline(const std::uint8_t* rgb) {
  AreaAverager averager;
  if (!averager.configure(rgb_layout(kW, kH), kCols, kRows).empty()) std::abort();
  std::vector<std::uint8_t> bgr(std::size_t(kCols) * kRows * 3);
  PlaneView plane{rgb, std::size_t(kW) * 3};
  averager.run(&plane, bgr.data());
  std::vector<std::uint8_t> classic(bgr.size() / 3 * 4);
  const CharTable table = build_char_table(kDefaultPalette, Mapping::kLinear, Tone{});
  map_bgr_to_cells(bgr.data(), bgr.size() / 3, table, colour_mask_for_mode(5), classic.data());
  std::vector<SymbolCell> cells(bgr.size() / 3);
  for (std::size_t i = 0; i < cells.size(); i++) {
    const std::uint8_t* c = &classic[4 * i];
    cells[i] = SymbolCell{kGlyph, c[0], {c[1], c[2], c[3]}, {0, 0, 0}};
  }
  return cells;
}

struct Chafa {
  const char* name;
  unsigned tags;
};
const Chafa kChafas[] = {
    {"chafa ascii", CHAFA_SYMBOL_TAG_ASCII},
    {"chafa half", CHAFA_SYMBOL_TAG_HALF | CHAFA_SYMBOL_TAG_SPACE | CHAFA_SYMBOL_TAG_SOLID},
    {"chafa quadrants",
     CHAFA_SYMBOL_TAG_QUAD | CHAFA_SYMBOL_TAG_HALF | CHAFA_SYMBOL_TAG_SPACE | CHAFA_SYMBOL_TAG_SOLID},
    {"chafa sextants",
     CHAFA_SYMBOL_TAG_SEXTANT | CHAFA_SYMBOL_TAG_HALF | CHAFA_SYMBOL_TAG_SPACE | CHAFA_SYMBOL_TAG_SOLID},
};

class ChafaRun {
 public:
  explicit ChafaRun(unsigned tags) {
    ChafaSymbolMap* map = chafa_symbol_map_new();
    chafa_symbol_map_add_by_tags(map, ChafaSymbolTags(tags));
    config_ = chafa_canvas_config_new();
    chafa_canvas_config_set_geometry(config_, kCols, kRows);
    chafa_canvas_config_set_cell_geometry(config_, kCellW, kCellH);
    chafa_canvas_config_set_canvas_mode(config_, CHAFA_CANVAS_MODE_TRUECOLOR);
    chafa_canvas_config_set_symbol_map(config_, map);
    chafa_canvas_config_set_work_factor(config_, 0.5f);  // the command line's --work 5
    chafa_symbol_map_unref(map);
    canvas_ = chafa_canvas_new(config_);
  }
  ~ChafaRun() {
    chafa_canvas_unref(canvas_);
    chafa_canvas_config_unref(config_);
  }
  void draw(const std::uint8_t* rgba, int w, int h) {
    chafa_canvas_draw_all_pixels(canvas_, CHAFA_PIXEL_RGBA8_UNASSOCIATED, rgba, w, h, w * 4);
  }
  std::vector<SymbolCell> cells() {
    std::vector<SymbolCell> out(std::size_t(kCols) * kRows);
    for (int y = 0; y < kRows; y++) {
      for (int x = 0; x < kCols; x++) {
        const gunichar ch = chafa_canvas_get_char_at(canvas_, x, y);
        gint fg = 0, bg = 0;
        chafa_canvas_get_colors_at(canvas_, x, y, &fg, &bg);
        SymbolCell cell{kGlyph,
                        ' ',
                        {std::uint8_t(fg >> 16), std::uint8_t(fg >> 8), std::uint8_t(fg)},
                        {std::uint8_t(bg >> 16), std::uint8_t(bg >> 8), std::uint8_t(bg)}};
        if (ch == 0x2588) {
          cell = flat_symbol_cell(cell.fg);
        } else if (auto symbol = symbol_from_codepoint(ch)) {
          cell.set = symbol->set;
          cell.code = symbol->code;
        } else if (ch == 0x2580 || ch == 0x2584) {
          cell.set = kHalf;
          cell.code = ch == 0x2580 ? 1 : 2;
        } else if (ch != ' ') {
          unknown++;
        }
        out[std::size_t(y) * kCols + x] = cell;
      }
    }
    return out;
  }
  int unknown = 0;

 private:
  ChafaCanvasConfig* config_;
  ChafaCanvas* canvas_;
};

// Writes 64 MiB: what |f| reads afterwards comes from memory, as a decoded frame does in a pipeline.
void flush_caches() {
  static std::vector<std::uint8_t> big(std::size_t(64) << 20);
  for (std::size_t i = 0; i < big.size(); i += 64) big[i]++;
}

template <typename F>
double time_ms(F&& f, int min_runs, double min_ms, bool from_memory = false) {
  // The median run: on a shared machine the mean takes in whatever else ran meanwhile.
  using clock = std::chrono::steady_clock;
  f();  // warm
  std::vector<double> runs;
  double elapsed = 0;
  while (int(runs.size()) < min_runs || elapsed < min_ms) {
    if (from_memory) flush_caches();
    const auto start = clock::now();
    f();
    runs.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
    elapsed += runs.back();
  }
  std::nth_element(runs.begin(), runs.begin() + runs.size() / 2, runs.end());
  return runs[runs.size() / 2];
}

const std::pair<const char*, const char*> kStyles[] = {
    {"asciline (today)", "asciline"},
    {"ascii", "ascii"},
    {"half", "half"},
    {"blocks", "blocks"},
    {"sextant", "sextant"},
    {"octant", "octant"},
    {"ascii+blocks", "ascii+blocks"},
    {"ascii+octant", "ascii+octant"},
    {"octant+edge", "octant+edge"},
    {"ascii+octant+edge", "ascii+octant+edge"},
};

// ---- end to end -------------------------------------------------------------------------------

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void link_to_parser(GstElement*, GstPad* pad, gpointer parser) {
  GstPad* sink_pad = gst_element_get_static_pad(GST_ELEMENT(parser), "sink");
  if (!gst_pad_is_linked(sink_pad)) gst_pad_link(pad, sink_pad);
  gst_object_unref(sink_pad);
}

// filesrc ! qtdemux ! h264parse ! avdec_h264 ! [asciimap style=STYLE] ! fakesink, run to its end;
// returns the CPU seconds this process spent, or -1 when it failed.
double decode_cpu_seconds(const std::string& path, const char* style) {
  GstElement* pipeline = gst_pipeline_new(nullptr);
  GstElement* src = gst_element_factory_make("filesrc", nullptr);
  GstElement* demux = gst_element_factory_make("qtdemux", nullptr);
  GstElement* parse = gst_element_factory_make("h264parse", nullptr);
  GstElement* decode = gst_element_factory_make("avdec_h264", nullptr);
  GstElement* map = style ? gst_element_factory_make("asciimap", nullptr) : nullptr;
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  if (!src || !demux || !parse || !decode || (style && !map) || !sink) {
    std::fprintf(stderr, "end to end: an element is missing (gstreamer1.0-plugins-good, -bad, -libav)\n");
    return -1;
  }
  g_object_set(src, "location", path.c_str(), nullptr);
  g_object_set(sink, "sync", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), src, demux, parse, decode, sink, nullptr);
  gst_element_link(src, demux);
  gst_element_link(parse, decode);
  if (map) {
    g_object_set(map, "style", style, nullptr);
    gst_bin_add(GST_BIN(pipeline), map);
    gst_element_link_many(decode, map, sink, nullptr);
  } else {
    gst_element_link(decode, sink);
  }
  g_signal_connect(demux, "pad-added", G_CALLBACK(link_to_parser), parse);
  const double before = process_cpu_seconds();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool ok = msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  const double spent = process_cpu_seconds() - before;
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return ok ? spent : -1;
}

void run_end_to_end(const std::string& path) {
  std::printf("\nend to end: 10 s of 1080p30 H.264 (%s) decoded to a fakesink, CPU seconds, median of %d rounds\n",
              path.c_str(), kEndToEndRounds);
  // Rounds of the plain decode then every style, so that drift on this shared machine touches all
  // alike; the median of each against the plain decode's.
  const char* styles[] = {nullptr, "asciline", "ascii", "octant", "octant+edge", "ascii+octant+edge"};
  std::vector<std::vector<double>> cpu(std::size(styles));
  for (int round = 0; round < kEndToEndRounds; round++) {
    for (std::size_t i = 0; i < std::size(styles); i++) {
      const double spent = decode_cpu_seconds(path, styles[i]);
      if (spent < 0) {
        std::printf("  %s: the pipeline failed\n", styles[i] ? styles[i] : "plain decode");
        return;
      }
      cpu[i].push_back(spent);
    }
  }
  // The spread of each is printed too: one run here varies by 10 % and more.
  for (auto& runs : cpu) std::sort(runs.begin(), runs.end());
  const double plain = cpu[0][cpu[0].size() / 2];
  std::printf("  %-22s %6.2f s (%.2f-%.2f)\n", "plain decode", plain, cpu[0].front(), cpu[0].back());
  for (std::size_t i = 1; i < std::size(styles); i++) {
    const double spent = cpu[i][cpu[i].size() / 2];
    std::printf("  %-22s %6.2f s (%.2f-%.2f)  %.3fx the decode  %s\n", styles[i], spent, cpu[i].front(), cpu[i].back(),
                spent / plain, spent / plain <= 1.05 ? "MET" : "NOT MET (<= 1.05x)");
  }
}

// The quality table: every style and chafa on every picture, then the means against the targets.
void run_quality(const std::string& dir, const std::vector<std::string>& pictures) {
  std::vector<std::string> names;
  for (const auto& s : kStyles) names.push_back(s.first);
  for (const Chafa& c : kChafas) names.push_back(c.name);
  std::vector<Score> total(names.size());

  std::printf("quality: %d x %d cells drawn at %d x %d px; SSIM of luma after a 2x2 box-down / mean CIEDE2000\n", kCols,
              kRows, kCellW, kCellH);
  std::printf("%-22s", "picture");
  for (const auto& n : names) std::printf(" %16s", n.c_str());
  std::printf("\n");
  for (const std::string& picture : pictures) {
    const std::vector<std::uint8_t> rgb = read_file(dir + "/" + picture);
    if (rgb.size() != std::size_t(kW) * kH * 3) {
      std::fprintf(stderr, "%s: not %dx%d RGB\n", picture.c_str(), kW, kH);
      std::exit(1);
    }
    Reference ref;
    ref.rgb = half_size(rgb.data(), kW, kH, 3);
    ref.y = luma(ref.rgb);
    std::vector<Score> row;
    for (const auto& [label, name] : kStyles) {
      const CellStyle style = *parse_cell_style(name);
      row.push_back(compare(ref, style.is_asciline() ? run_asciline(rgb.data()) : run_style(style, rgb.data())));
    }
    std::vector<std::uint8_t> rgba(std::size_t(kW) * kH * 4, 255);
    for (std::size_t i = 0; i < std::size_t(kW) * kH; i++) std::memcpy(&rgba[4 * i], &rgb[3 * i], 3);
    for (const Chafa& c : kChafas) {
      ChafaRun chafa(c.tags);
      chafa.draw(rgba.data(), kW, kH);
      row.push_back(compare(ref, chafa.cells()));
      if (chafa.unknown)
        std::fprintf(stderr, "  (%s: %d cells with characters drawn as spaces)\n", c.name, chafa.unknown);
    }
    std::printf("%-22s", picture.substr(0, picture.size() - 4).c_str());
    for (std::size_t i = 0; i < row.size(); i++) {
      std::printf("     %.3f / %4.1f", row[i].ssim, row[i].de);
      total[i].ssim += row[i].ssim;
      total[i].de += row[i].de;
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::printf("%-22s", "mean");
  for (auto& t : total) {
    t.ssim /= double(pictures.size());
    t.de /= double(pictures.size());
    std::printf("     %.3f / %4.1f", t.ssim, t.de);
  }
  std::printf("\n");
  auto score_of = [&](const char* name) {
    return total[std::find(names.begin(), names.end(), name) - names.begin()].ssim;
  };
  double best = 0;
  const char* best_name = "";
  for (const auto& s : kStyles) {
    if (score_of(s.first) > best) {
      best = score_of(s.first);
      best_name = s.first;
    }
  }
  const double chafa_sextant = score_of("chafa sextants"), chafa_ascii = score_of("chafa ascii");
  std::printf("=> best style %s %.3f vs chafa sextants %.3f: %+.3f (target >= +0.03): %s\n", best_name, best,
              chafa_sextant, best - chafa_sextant, best - chafa_sextant >= 0.03 ? "MET" : "NOT MET");
  std::printf("=> ascii %.3f vs chafa ascii %.3f: %+.3f (target >= +0.03): %s\n", score_of("ascii"), chafa_ascii,
              score_of("ascii") - chafa_ascii, score_of("ascii") - chafa_ascii >= 0.03 ? "MET" : "NOT MET");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MEDIA_DIR [--speed] (made by tests/bench/quality-media.sh)\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  std::vector<std::string> pictures;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".rgb") == 0) pictures.push_back(name);
    }
    closedir(d);
  }
  std::sort(pictures.begin(), pictures.end());
  if (pictures.empty()) {
    std::fprintf(stderr, "%s: no pictures (run tests/bench/quality-media.sh %s)\n", dir.c_str(), dir.c_str());
    return 1;
  }

  // One core each: chafa would otherwise spread a frame over every core.
  chafa_set_n_threads(1);
  gst_init(&argc, &argv);
  gst_ascii_register_static();
  const bool speed_only = argc > 2 && std::strcmp(argv[2], "--speed") == 0;
  if (!speed_only) run_quality(dir, pictures);

  // ---- speed ----
  const std::vector<std::uint8_t> i420 = read_file(dir + "/frame-1080p.i420");
  const int fw = 1920, fh = 1080;
  if (i420.size() != std::size_t(fw) * fh * 3 / 2) {
    std::fprintf(stderr, "frame-1080p.i420: not a 1920x1080 I420 frame\n");
    return 1;
  }
  const PlaneView planes[3] = {{i420.data(), std::size_t(fw)},
                               {i420.data() + fw * fh, std::size_t(fw / 2)},
                               {i420.data() + fw * fh * 5 / 4, std::size_t(fw / 2)}};
  // The same frame as RGBA for chafa (BT.601 limited range, as the averager reads it).
  std::vector<std::uint8_t> rgba(std::size_t(fw) * fh * 4, 255);
  {
    AreaAverager full;
    if (!full.configure(i420_layout(fw, fh), fw, fh).empty()) std::abort();
    std::vector<std::uint8_t> bgr(std::size_t(fw) * fh * 3);
    full.run(planes, bgr.data());
    for (std::size_t i = 0; i < std::size_t(fw) * fh; i++) {
      rgba[4 * i] = bgr[3 * i + 2];
      rgba[4 * i + 1] = bgr[3 * i + 1];
      rgba[4 * i + 2] = bgr[3 * i];
    }
  }
  ChafaRun chafa_sextant_run(kChafas[3].tags);
  // --speed STYLE: that style alone, without chafa (for a profiler or callgrind).
  const char* only = speed_only && argc > 3 ? argv[3] : nullptr;
  const double chafa_ms = only ? 0 : time_ms([&] { chafa_sextant_run.draw(rgba.data(), fw, fh); }, 3, 300);
  std::printf("\nspeed: 1920x1080 I420 frame of real video -> %dx%d cells, one core (sampling included)\n", kCols,
              kRows);
  std::printf("  %-22s %8.2f ms/frame\n", "chafa sextants, work 5", chafa_ms);
  for (const auto& [label, name] : kStyles) {
    const CellStyle style = *parse_cell_style(name);
    if (style.is_asciline() || (only && std::strcmp(only, name) != 0)) continue;
    SymbolFitter fitter(style);
    const SubcellGrid g = fitter.samples();
    AreaAverager averager;
    if (!averager.configure(i420_layout(fw, fh), kCols * g.cols, kRows * g.rows).empty()) std::abort();
    std::vector<std::uint8_t> samples(std::size_t(kCols) * g.cols * kRows * g.rows * 3);
    std::vector<SymbolCell> cells(std::size_t(kCols) * kRows);
    std::vector<std::uint8_t> means(std::size_t(kCols) * kRows * 3);
    const std::size_t n = samples.size() / 3;
    std::uint8_t *red = samples.data(), *green = red + n, *blue = red + 2 * n;
    const double sample_ms = time_ms([&] { averager.run_planar(planes, red, green, blue); }, 5, 200);
    const double fit_ms =
        time_ms([&] { fitter.fit(red, green, blue, kCols, kRows, cells.data(), means.data()); }, 5, 200);
    const double ms = sample_ms + fit_ms;
    // A frame that is not in any cache, as the decoder's next frame is not, sampled and fitted as
    // asciimap does it (a few rows of cells at a time).
    std::vector<std::uint8_t> scratch;
    const double cold_ms = time_ms(
        [&] { fitter.fit_frame(averager, planes, kCols, kRows, &scratch, cells.data(), means.data()); }, 5, 50, true);
    std::printf(
        "  %-22s %8.2f ms/frame (sampling %.2f, fitting %.2f; a frame from memory, both %.2f)  %6.1fx faster than "
        "chafa  %s\n",
        label, ms, sample_ms, fit_ms, cold_ms, chafa_ms / ms,
        ms <= 1.0 && chafa_ms / ms >= 20 ? "MET" : "NOT MET (<= 1 ms, >= 20x)");
  }
  if (!only) run_end_to_end(dir + "/clip-1080p.mp4");
  return 0;
}
