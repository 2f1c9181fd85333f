// Unit tests of the core library (gst/): palettes, tone table, mapping kernels, wire format and
// area averaging. Plain C++ under the Check runner that gst-check embeds.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "adts.h"
#include "area_average.h"
#include "asciline_wire.h"
#include "cell_mapper.h"
#include "grid_fit.h"
#include "palette.h"

using namespace gstascii;

// Check's fail_unless_equals_string keeps the pointer past the full expression, so a temporary
// std::string's c_str() would dangle: compare std::strings.
#define assert_str_eq(a, b)                                                                     \
  do {                                                                                          \
    const std::string got_ = (a), want_ = (b);                                                  \
    fail_unless(got_ == want_, "'%s' is '%s', expected '%s'", #a, got_.c_str(), want_.c_str()); \
  } while (0)

GST_START_TEST(test_default_palette) {
  fail_unless_equals_int(kDefaultPalette.size(), 92);
  fail_unless(kDefaultPalette.front() == ' ');
  fail_unless(kDefaultPalette.back() == '@');
  fail_unless(validate_palette(kDefaultPalette).empty());
}
GST_END_TEST;

GST_START_TEST(test_validate_palette) {
  fail_unless(validate_palette(" #").empty());
  fail_if(validate_palette("#").empty());
  fail_if(validate_palette("").empty());
  fail_if(validate_palette(std::string(96, 'a')).empty());
  std::string all;
  for (char c = 0x20; c <= 0x7e; ++c) all += c;
  fail_unless(validate_palette(all).empty());  // all 95 printable characters
  fail_if(validate_palette("ab\tc").empty());
  fail_if(validate_palette("ab\x7f").empty());
  fail_if(validate_palette("ab\xc3\xa9").empty());  // UTF-8 is not ASCII
}
GST_END_TEST;

GST_START_TEST(test_seed_luma) {
  // Hand-checked: (9798 R + 19235 G + 3735 B + 16384) >> 15.
  fail_unless_equals_int(seed_luma(0, 0, 0), 0);
  fail_unless_equals_int(seed_luma(255, 255, 255), 255);
  fail_unless_equals_int(seed_luma(255, 0, 0), 76);     // 2514874 >> 15
  fail_unless_equals_int(seed_luma(0, 255, 0), 150);    // 4921309 >> 15
  fail_unless_equals_int(seed_luma(0, 0, 255), 29);     // 968809 >> 15
  fail_unless_equals_int(seed_luma(10, 200, 30), 124);  // 4073414 >> 15
}
GST_END_TEST;

GST_START_TEST(test_seed_mapping) {
  const CharTable t = build_char_table(kDefaultPalette, Mapping::kSeed, Tone{});
  for (unsigned g = 0; g < 256; ++g) {
    const std::size_t expected = std::min<std::size_t>(g / 2, 91);  // 256 // 92 == 2
    fail_unless_equals_int(t[g], kDefaultPalette[expected]);
  }
  // The known flaw: everything from 182 up is the last character.
  fail_unless_equals_int(t[182], '@');
  fail_unless(t[181] != '@');
  // Palettes larger than 128: the step becomes 1 and the index clips.
  fail_unless_equals_int(palette_index(200, 95, Mapping::kSeed), 94);
  fail_unless_equals_int(palette_index(200, 3, Mapping::kSeed), 2);  // 200 // 85
}
GST_END_TEST;

GST_START_TEST(test_linear_mapping) {
  for (std::size_t n : {2u, 10u, 92u, 95u}) {
    std::set<std::size_t> used;
    for (unsigned g = 0; g < 256; ++g) {
      const std::size_t i = palette_index(g, n, Mapping::kLinear);
      fail_unless(i < n);
      if (g > 0) fail_unless(i >= palette_index(g - 1, n, Mapping::kLinear));
      used.insert(i);
    }
    fail_unless_equals_int(used.size(), n);
  }
}
GST_END_TEST;

GST_START_TEST(test_tone) {
  const std::string pal = " .:-=+*#%@";
  const CharTable plain = build_char_table(pal, Mapping::kLinear, Tone{});
  Tone inv;
  inv.invert = true;
  const CharTable inverted = build_char_table(pal, Mapping::kLinear, inv);
  fail_unless_equals_int(inverted[0], '@');
  fail_unless_equals_int(inverted[255], ' ');
  fail_unless_equals_int(inverted[100], plain[155]);

  Tone bright;
  bright.brightness = 0.5;
  const CharTable b = build_char_table(pal, Mapping::kLinear, bright);
  fail_unless_equals_int(b[200], '@');
  fail_unless(pal.find(char(b[60])) > pal.find(char(plain[60])));

  Tone flat;
  flat.contrast = 0.0;  // everything becomes mid-gray
  const CharTable f = build_char_table(pal, Mapping::kLinear, flat);
  fail_unless_equals_int(f[0], f[255]);

  Tone gamma;
  gamma.gamma = 2.2;  // brightens mid-tones, keeps the ends
  const CharTable g = build_char_table(pal, Mapping::kLinear, gamma);
  fail_unless_equals_int(g[0], plain[0]);
  fail_unless_equals_int(g[255], plain[255]);
  fail_unless(pal.find(char(g[100])) > pal.find(char(plain[100])));
}
GST_END_TEST;

GST_START_TEST(test_mode_quantisation) {
  fail_unless_equals_int(quant_bits_for_mode(2), 5);
  fail_unless_equals_int(quant_bits_for_mode(3), 3);
  fail_unless_equals_int(quant_bits_for_mode(4), 2);
  fail_unless_equals_int(quant_bits_for_mode(5), 0);
  fail_unless_equals_int(quant_bits_for_mode(6), 0);
  fail_unless_equals_int(colour_mask_for_mode(3), 0xf8);
  fail_unless_equals_int(colour_mask_for_mode(6), 0xff);
}
GST_END_TEST;

// Every kernel this CPU has gives the scalar kernel's bytes, for every length (tails included),
// table and mask; and writes nothing past the end.
GST_START_TEST(test_kernels_agree) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<MapKernel> kernels = {MapKernel::kScalar};
  for (MapKernel k : {MapKernel::kAvx2, MapKernel::kAvx512Vbmi})
    if (map_kernel_supported(k)) kernels.push_back(k);
  GST_INFO("kernels under test: %zu, best: %s", kernels.size(), map_kernel_name(best_map_kernel()));
  for (int round = 0; round < 40; ++round) {
    CharTable table;
    for (auto& c : table) c = std::uint8_t(byte(rng));
    const std::uint8_t mask = colour_mask_for_mode(1 + round % 6);
    const std::size_t n = round < 35 ? std::size_t(round) : std::size_t(1000 + byte(rng));
    std::vector<std::uint8_t> bgr(n * 3);
    for (auto& v : bgr) v = std::uint8_t(byte(rng));
    std::vector<std::uint8_t> want(n * 4 + 64, 0xaa);
    map_bgr_to_cells(MapKernel::kScalar, bgr.data(), n, table, mask, want.data());
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint8_t b = bgr[3 * i], g = bgr[3 * i + 1], r = bgr[3 * i + 2];
      fail_unless_equals_int(want[4 * i], table[seed_luma(r, g, b)]);
      fail_unless_equals_int(want[4 * i + 1], r & mask);
      fail_unless_equals_int(want[4 * i + 3], b & mask);
    }
    for (MapKernel k : kernels) {
      std::vector<std::uint8_t> got(n * 4 + 64, 0xaa);
      map_bgr_to_cells(k, bgr.data(), n, table, mask, got.data());
      fail_unless(got == want, "kernel %s differs at length %zu", map_kernel_name(k), n);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_init_seed_form) {
  InitMessage m;
  m.fps = 30.0;
  m.mode = 3;
  m.cols = 200;
  m.rows = 84;
  assert_str_eq(format_init(m, InitForm::kSeed), "INIT:30.0:3:200:84:0");
  m.is_live = true;
  assert_str_eq(format_init(m, InitForm::kFull), "INIT:30.0:3:200:84:0:0:0.000:0:1");
  m.fps = 30000.0 / 1001.0;
  m.is_live = false;
  m.duration = 12.3456;
  m.start = 2.5;
  m.pixel = true;
  assert_str_eq(format_init(m, InitForm::kFull), "INIT:29.97002997002997:3:200:84:1:0:12.346:2.5:0");
  m.sync_id = "abc";
  m.pixel_codec = "raw";
  assert_str_eq(format_init(m, InitForm::kFull), "INIT:29.97002997002997:3:200:84:1:0:12.346:2.5:0:abc:raw");
  assert_str_eq(format_python_float(25.0), "25.0");
  assert_str_eq(format_python_float(0.1), "0.1");
}
GST_END_TEST;

GST_START_TEST(test_init_parse) {
  auto m = parse_init("INIT:30.0:3:200:84:0");
  fail_unless(m.has_value());
  fail_unless_equals_float(m->fps, 30.0);
  fail_unless_equals_int(m->mode, 3);
  fail_unless_equals_int(m->cols, 200);
  fail_unless_equals_int(m->rows, 84);
  fail_if(m->pixel);
  m = parse_init("INIT:29.97002997002997:6:80:24:1:2:10.500:3.25:1:s1:raw");
  fail_unless(m.has_value());
  fail_unless_equals_float(m->fps, 30000.0 / 1001.0);
  fail_unless(m->pixel && m->is_live);
  fail_unless_equals_int(m->queue_index, 2);
  fail_unless_equals_float(m->duration, 10.5);
  assert_str_eq(m->sync_id->c_str(), "s1");
  fail_unless(parse_init("INIT:30.0:3:200:84").has_value());  // prefix with rows
  // Field 5 = 2: symbol cells (the extension); written back the same way.
  m = parse_init("INIT:30.0:3:200:84:2:0:0.000:0:1");
  fail_unless(m && m->symbols && !m->pixel && m->is_live);
  assert_str_eq(format_init(*m, InitForm::kFull), "INIT:30.0:3:200:84:2:0:0.000:0:1");
  for (const char* bad : {"", "INIT", "INIT:30.0:3:200", "HELLO:30.0:3:200:84:0", "INIT:x:3:200:84:0",
                          "INIT:30.0:9:200:84:0", "INIT:30.0:3:0:84:0", "INIT:30.0:3:200:99999:0", "INIT:-1:3:200:84:0",
                          "INIT:30.0:3:200:84:3", "INIT:30.0:3:200:84:-1", "INIT:30.0:3:2 0:84:0"}) {
    fail_if(parse_init(bad).has_value(), "accepted %s", bad);
  }
}
GST_END_TEST;

static CellGrid random_grid(int cols, int rows, std::mt19937& rng) {
  CellGrid g(cols, rows);
  std::uniform_int_distribution<int> byte(0, 255), ch(0x20, 0x7e);
  for (std::size_t i = 0; i < g.size(); ++i) {
    g.data()[i] =
        Cell{std::uint8_t(ch(rng)), std::uint8_t(byte(rng)), std::uint8_t(byte(rng)), std::uint8_t(byte(rng))};
  }
  return g;
}

GST_START_TEST(test_raw_frame_round_trip) {
  std::mt19937 rng(7);
  const CellGrid g = random_grid(13, 5, rng);
  std::vector<std::uint8_t> msg(raw_frame_bytes(g.size()));
  encode_raw_frame(0x01020304, g.data(), g.size(), msg.data());
  fail_unless_equals_int(msg[0], 1);
  fail_unless_equals_int(msg[3], 4);
  fail_unless_equals_int(msg[4], g.data()[0].ch);
  fail_unless_equals_int(msg[5], g.data()[0].r);
  auto f = decode_raw_frame(msg.data(), msg.size(), 13, 5);
  fail_unless(f.has_value());
  fail_unless_equals_int(f->index, 0x01020304);
  fail_unless(f->grid == g);
  fail_if(decode_raw_frame(msg.data(), msg.size() - 1, 13, 5).has_value());
  fail_if(decode_raw_frame(msg.data(), msg.size(), 12, 5).has_value());
  fail_if(decode_raw_frame(msg.data(), 3, 1, 1).has_value());
}
GST_END_TEST;

GST_START_TEST(test_pixel_frame_round_trip) {
  std::mt19937 rng(8);
  CellGrid g = random_grid(7, 3, rng);
  std::vector<std::uint8_t> msg(pixel_frame_bytes(g.size()));
  encode_pixel_frame(42, g.data(), g.size(), msg.data());
  fail_unless_equals_int(msg.size(), 4 + 7 * 3 * 3);
  fail_unless_equals_int(msg[4], g.data()[0].b);
  fail_unless_equals_int(msg[6], g.data()[0].r);
  auto f = decode_pixel_frame(msg.data(), msg.size(), 7, 3);
  fail_unless(f.has_value());
  fail_unless_equals_int(f->index, 42);
  for (std::size_t i = 0; i < g.size(); ++i) g.data()[i].ch = 0;
  fail_unless(f->grid == g);
  fail_if(decode_pixel_frame(msg.data(), msg.size() + 1, 7, 3).has_value());
}
GST_END_TEST;

GST_START_TEST(test_text_frame) {
  CellGrid g(2, 2);
  g.at(0, 0).ch = 'a';
  g.at(1, 0).ch = 'b';
  g.at(0, 1).ch = 'c';
  g.at(1, 1).ch = 'd';
  const std::string s = encode_text_frame(7, g);
  assert_str_eq(s, "7\nab\ncd");
  auto f = decode_text_frame(s, 2, 2);
  fail_unless(f.has_value());
  fail_unless_equals_int(f->index, 7);
  fail_unless(f->grid == g);
  for (const char* bad : {"7\nab\ncd\n", "7\nabc\nd", "x\nab\ncd", "7ab\ncd", "7\nab\nc\x01"}) {
    fail_if(decode_text_frame(bad, 2, 2).has_value(), "accepted %s", bad);
  }
}
GST_END_TEST;

// A packed layout with |bpp| bytes a pixel and R, G, B at the given offsets.
static FrameLayout packed_layout(int w, int h, int bpp, int r, int g, int b) {
  FrameLayout l;
  l.model = ColourModel::kRgb;
  const int offsets[3] = {r, g, b};
  for (int c = 0; c < 3; ++c) l.comp[c] = ComponentLayout{0, offsets[c], bpp, w, h};
  return l;
}

GST_START_TEST(test_area_average_checker) {
  // 8x8 pixels of a 1-pixel black/white checkerboard into 2x2 cells: every cell is mid-gray,
  // where point sampling would give pure black or white.
  const int w = 8, h = 8;
  std::vector<std::uint8_t> img(w * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) std::memset(&img[(y * w + x) * 3], ((x + y) & 1) ? 255 : 0, 3);
  AreaAverager avg;
  fail_unless(avg.configure(packed_layout(w, h, 3, 2, 1, 0), 2, 2).empty());
  PlaneView plane{img.data(), std::size_t(w * 3)};
  std::vector<std::uint8_t> out(2 * 2 * 3);
  avg.run(&plane, out.data());
  for (std::uint8_t v : out) fail_unless_equals_int(v, 128);  // 127.5 rounds up
}
GST_END_TEST;

GST_START_TEST(test_area_average_regions) {
  // Random picture, uneven division (37x23 into 5x4): each cell is the exact rounded mean of its
  // [c*W/cols, (c+1)*W/cols) x [r*H/rows, ...) block, in an xRGB-like layout with row padding.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> byte(0, 255);
  const int w = 37, h = 23, cols = 5, rows = 4, stride = w * 4 + 12;
  std::vector<std::uint8_t> img(stride * h);
  for (auto& v : img) v = std::uint8_t(byte(rng));
  AreaAverager avg;
  fail_unless(avg.configure(packed_layout(w, h, 4, 1, 2, 3), cols, rows).empty());
  PlaneView plane{img.data(), std::size_t(stride)};
  std::vector<std::uint8_t> out(cols * rows * 3);
  avg.run(&plane, out.data());
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const int x0 = c * w / cols, x1 = (c + 1) * w / cols, y0 = r * h / rows, y1 = (r + 1) * h / rows;
      for (int ch = 0; ch < 3; ++ch) {
        long sum = 0;
        for (int y = y0; y < y1; ++y)
          for (int x = x0; x < x1; ++x) sum += img[y * stride + x * 4 + 1 + ch];  // R, G, B
        const long n = long(x1 - x0) * (y1 - y0);
        const int want = int((sum + n / 2) / n);
        fail_unless_equals_int(out[(r * cols + c) * 3 + (2 - ch)], want);  // out is B, G, R
      }
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_area_average_i420) {
  // Flat BT.601 limited-range I420: Y=81, U=90, V=240 is pure red (255, 0, 0) within rounding.
  const int w = 16, h = 8;
  std::vector<std::uint8_t> y(w * h, 81), u(w / 2 * h / 2, 90), v(w / 2 * h / 2, 240);
  FrameLayout l;
  l.model = ColourModel::kYuv;
  l.comp[0] = ComponentLayout{0, 0, 1, w, h};
  l.comp[1] = ComponentLayout{1, 0, 1, w / 2, h / 2};
  l.comp[2] = ComponentLayout{2, 0, 1, w / 2, h / 2};
  AreaAverager avg;
  fail_unless(avg.configure(l, 4, 2).empty());
  PlaneView planes[3] = {{y.data(), std::size_t(w)}, {u.data(), std::size_t(w / 2)}, {v.data(), std::size_t(w / 2)}};
  std::vector<std::uint8_t> out(4 * 2 * 3);
  avg.run(planes, out.data());
  for (int i = 0; i < 8; ++i) {
    fail_unless(out[i * 3 + 2] >= 252, "R %d", out[i * 3 + 2]);
    fail_unless(out[i * 3 + 1] <= 3, "G %d", out[i * 3 + 1]);
    fail_unless(out[i * 3 + 0] <= 3, "B %d", out[i * 3 + 0]);
  }
}
GST_END_TEST;

GST_START_TEST(test_area_average_upscale_and_limits) {
  // A 2x1 picture on a 4x3 grid: every cell takes the pixel under it.
  std::vector<std::uint8_t> img = {10, 20, 30, 40, 50, 60};
  AreaAverager avg;
  fail_unless(avg.configure(packed_layout(2, 1, 3, 2, 1, 0), 4, 3).empty());
  PlaneView plane{img.data(), 6};
  std::vector<std::uint8_t> out(4 * 3 * 3);
  avg.run(&plane, out.data());
  for (int r = 0; r < 3; ++r) {
    fail_unless_equals_int(out[(r * 4 + 0) * 3], 10);
    fail_unless_equals_int(out[(r * 4 + 1) * 3], 10);
    fail_unless_equals_int(out[(r * 4 + 2) * 3], 40);
    fail_unless_equals_int(out[(r * 4 + 3) * 3], 40);
  }
  fail_if(avg.configure(packed_layout(2, 1, 3, 2, 1, 0), 0, 3).empty());
  fail_if(avg.configure(packed_layout(2, 1, 3, 2, 1, 0), 5000, 3).empty());
  fail_if(avg.configure(packed_layout(0, 1, 3, 2, 1, 0), 1, 1).empty());
}
GST_END_TEST;

GST_START_TEST(test_area_average_tall_cells) {
  // 1 x 600 rows into one cell: more than 257 rows takes the 32-bit accumulator path.
  std::vector<std::uint8_t> img(600 * 3);
  for (int y = 0; y < 600; ++y) std::memset(&img[y * 3], y < 300 ? 255 : 1, 3);
  AreaAverager avg;
  fail_unless(avg.configure(packed_layout(1, 600, 3, 2, 1, 0), 1, 1).empty());
  PlaneView plane{img.data(), 3};
  std::uint8_t out[3];
  avg.run(&plane, out);
  fail_unless_equals_int(out[0], 128);
}
GST_END_TEST;

GST_START_TEST(test_area_average_kernels) {
  // Every build of the averager (portable, AVX2, AVX-512 with its permutations and 16-bit
  // division) gives the same bytes, packed and planar, for I420, NV12 and xRGB at grids finer and coarser than the
  // picture; and planar I420 luma is the exact rounded mean of each cell's block.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(0, 255);
  struct Case {
    int w, h, cols, rows;
  };
  const Case cases[] = {{1920, 1080, 800, 672}, {1920, 1080, 400, 336}, {1280, 720, 200, 84},  {642, 362, 800, 672},
                        {333, 211, 100, 59},    {64, 48, 129, 97},      {2000, 1000, 400, 200}};
  // Each case twice: random bytes, then only 0 and 255 (sums at the top of the 16-bit division).
  for (std::size_t pass = 0; pass < 2 * std::size(cases); ++pass) {
    const Case& k = cases[pass % std::size(cases)];
    const bool extremes = pass >= std::size(cases);
    std::vector<std::uint8_t> frame(std::size_t(k.w) * k.h * 4);
    for (auto& v : frame) v = std::uint8_t(extremes ? 255 * (byte(rng) & 1) : byte(rng));
    const int cw = (k.w + 1) / 2, ch = (k.h + 1) / 2;
    FrameLayout i420, nv12, xrgb = packed_layout(k.w, k.h, 4, 1, 2, 3);
    i420.model = nv12.model = ColourModel::kYuv;
    i420.comp[0] = nv12.comp[0] = ComponentLayout{0, 0, 1, k.w, k.h};
    i420.comp[1] = ComponentLayout{1, 0, 1, cw, ch};
    i420.comp[2] = ComponentLayout{2, 0, 1, cw, ch};
    nv12.comp[1] = ComponentLayout{1, 0, 2, cw, ch};
    nv12.comp[2] = ComponentLayout{1, 1, 2, cw, ch};
    const std::uint8_t* y = frame.data();
    const std::uint8_t* chroma = y + std::size_t(k.w) * k.h;
    const PlaneView i420_planes[3] = {
        {y, std::size_t(k.w)}, {chroma, std::size_t(cw)}, {chroma + std::size_t(cw) * ch, std::size_t(cw)}};
    const PlaneView nv12_planes[2] = {{y, std::size_t(k.w)}, {chroma, std::size_t(2 * cw)}};
    const PlaneView xrgb_plane{y, std::size_t(k.w) * 4};
    const std::pair<const FrameLayout*, const PlaneView*> layouts[] = {
        {&i420, i420_planes}, {&nv12, nv12_planes}, {&xrgb, &xrgb_plane}};
    const std::size_t n = std::size_t(k.cols) * k.rows;
    for (const auto& [layout, planes] : layouts) {
      std::vector<std::uint8_t> want(n * 3), want_planar(n * 3);
      AreaAverager portable;
      fail_unless(portable.configure(*layout, k.cols, k.rows, SimdLevel::kPortable).empty());
      portable.run(planes, want.data());
      portable.run_planar(planes, want_planar.data(), want_planar.data() + n, want_planar.data() + 2 * n);
      std::size_t packed_vs_planar = 0;
      for (std::size_t i = 0; i < n; ++i) {
        packed_vs_planar += want[3 * i] != want_planar[2 * n + i] || want[3 * i + 1] != want_planar[n + i] ||
                            want[3 * i + 2] != want_planar[i];
      }
      fail_unless_equals_int(packed_vs_planar, 0);
      for (SimdLevel level : {SimdLevel::kAvx2, SimdLevel::kAvx512}) {
        if (!simd_level_supported(level)) continue;
        AreaAverager fast;
        fail_unless(fast.configure(*layout, k.cols, k.rows, level).empty());
        std::vector<std::uint8_t> got(n * 3), got_planar(n * 3);
        fast.run(planes, got.data());
        fast.run_planar(planes, got_planar.data(), got_planar.data() + n, got_planar.data() + 2 * n);
        fail_unless(got == want, "%dx%d -> %dx%d, %s: packed differs", k.w, k.h, k.cols, k.rows,
                    simd_level_name(level));
        fail_unless(got_planar == want_planar, "%dx%d -> %dx%d, %s: planar differs", k.w, k.h, k.cols, k.rows,
                    simd_level_name(level));
      }
    }
    // Gray I420 (U = V = 128, full range) gives the luma means themselves.
    FrameLayout gray_yuv = i420;
    gray_yuv.full_range = true;
    std::vector<std::uint8_t> gray_frame(frame.begin(), frame.begin() + std::size_t(k.w) * k.h);
    gray_frame.resize(gray_frame.size() + 2 * std::size_t(cw) * ch, 128);
    const PlaneView gray_planes[3] = {
        {gray_frame.data(), std::size_t(k.w)},
        {gray_frame.data() + std::size_t(k.w) * k.h, std::size_t(cw)},
        {gray_frame.data() + std::size_t(k.w) * k.h + std::size_t(cw) * ch, std::size_t(cw)}};
    AreaAverager best;
    fail_unless(best.configure(gray_yuv, k.cols, k.rows).empty());
    std::vector<std::uint8_t> planar(n * 3);
    best.run_planar(gray_planes, planar.data(), planar.data() + n, planar.data() + 2 * n);
    long wrong = 0;
    for (int r = 0; r < k.rows; ++r) {
      for (int c = 0; c < k.cols; ++c) {
        int x0 = int(std::int64_t(c) * k.w / k.cols), x1 = int(std::int64_t(c + 1) * k.w / k.cols);
        int y0 = int(std::int64_t(r) * k.h / k.rows), y1 = int(std::int64_t(r + 1) * k.h / k.rows);
        x0 = std::min(x0, k.w - 1), y0 = std::min(y0, k.h - 1);
        x1 = std::max(x1, x0 + 1), y1 = std::max(y1, y0 + 1);
        long sum = 0;
        for (int yy = y0; yy < y1; ++yy)
          for (int xx = x0; xx < x1; ++xx) sum += gray_frame[std::size_t(yy) * k.w + xx];
        const long count = long(x1 - x0) * (y1 - y0);
        const std::size_t i = std::size_t(r) * k.cols + c;
        wrong += planar[i] != (sum + count / 2) / count || planar[n + i] != planar[i];
      }
    }
    fail_unless(wrong == 0, "%dx%d -> %dx%d: %ld cells are not the mean of their block", k.w, k.h, k.cols, k.rows,
                wrong);
  }
}
GST_END_TEST;

// ---- ADTS ----------------------------------------------------------------------------------

GST_START_TEST(test_adts_header_round_trip) {
  adts::Header config;
  config.object_type = 2;
  config.sample_rate_index = 3;  // 48000
  config.channel_config = 2;
  uint8_t h[adts::kHeaderSize];
  fail_unless(adts::write_header(config, 300, h));
  // Known bytes of an AAC-LC 48 kHz stereo header for a 307-byte frame (as ffmpeg writes it).
  const uint8_t want[] = {0xFF, 0xF1, 0x4C, 0x80, 0x26, 0x7F, 0xFC};
  fail_unless(memcmp(h, want, sizeof want) == 0, "%02x %02x %02x %02x %02x %02x %02x", h[0], h[1], h[2], h[3], h[4],
              h[5], h[6]);
  adts::Header parsed;
  fail_unless(adts::parse_header(h, sizeof h, &parsed));
  fail_unless_equals_int(parsed.object_type, 2);
  fail_unless_equals_int(parsed.sample_rate_index, 3);
  fail_unless_equals_int(parsed.channel_config, 2);
  fail_unless_equals_int(parsed.frame_length, 307);
  fail_unless_equals_int(parsed.raw_blocks, 1);
  fail_unless(!parsed.has_crc);
  fail_unless_equals_int(adts::sample_rate_for_index(parsed.sample_rate_index), 48000);
  // 7 channels (config 7 sets the bit that straddles bytes 2 and 3), the longest frame, then too long.
  config.channel_config = 7;
  fail_unless(adts::write_header(config, 8 * 768, h));
  fail_unless(adts::parse_header(h, sizeof h, &parsed));
  fail_unless_equals_int(parsed.channel_config, 7);
  fail_unless_equals_int(parsed.frame_length, 8 * 768 + 7);
  fail_unless(adts::write_header(config, adts::kMaxFrameSize - adts::kHeaderSize, h));
  fail_unless(!adts::write_header(config, adts::kMaxFrameSize - adts::kHeaderSize + 1, h));
  // More than 6144 bits per channel cannot be a frame.
  config.channel_config = 1;
  fail_unless(adts::write_header(config, 769, h));
  fail_if(adts::parse_header(h, sizeof h, &parsed));
  // Not headers: no sync word, layer bits set, sample rate index 13, a length shorter than the header.
  const uint8_t bad[][7] = {{0xFF, 0xE1, 0x4C, 0x80, 0x26, 0x7F, 0xFC},
                            {0xFF, 0xF3, 0x4C, 0x80, 0x26, 0x7F, 0xFC},
                            {0xFF, 0xF1, 0x74, 0x80, 0x26, 0x7F, 0xFC},
                            {0xFF, 0xF1, 0x4C, 0x80, 0x00, 0xDF, 0xFC}};
  for (const auto& b : bad) fail_if(adts::parse_header(b, sizeof b, &parsed));
}
GST_END_TEST;

GST_START_TEST(test_adts_audio_specific_config) {
  adts::Header h;
  std::string why;
  const uint8_t lc_44k_stereo[] = {0x12, 0x10};
  fail_unless(adts::parse_audio_specific_config(lc_44k_stereo, 2, &h, &why), "%s", why.c_str());
  fail_unless_equals_int(h.object_type, 2);
  fail_unless_equals_int(h.sample_rate_index, 4);
  fail_unless_equals_int(h.channel_config, 2);
  // HE-AAC, explicit: SBR (5) at 24 kHz core, 48 kHz extension, then AAC-LC. ADTS carries the core.
  const uint8_t he_aac[] = {0x2B, 0x11, 0x8A, 0x00};
  fail_unless(adts::parse_audio_specific_config(he_aac, sizeof he_aac, &h, &why), "%s", why.c_str());
  fail_unless_equals_int(h.object_type, 2);
  fail_unless_equals_int(h.sample_rate_index, 6);
  fail_unless_equals_int(h.channel_config, 2);
  // Refused, each with a reason: AAC-ELD (39), an explicit rate, a PCE layout, too short.
  const std::vector<std::vector<uint8_t>> refused = {
      {0xF8, 0xE6, 0x20}, {0x17, 0x80, 0x00, 0x00, 0x00}, {0x12, 0x00}, {0x12}};
  for (const auto& c : refused) {
    why.clear();
    fail_if(adts::parse_audio_specific_config(c.data(), c.size(), &h, &why));
    fail_if(why.empty());
  }
}
GST_END_TEST;

GST_START_TEST(test_adts_framer) {
  adts::Header config;
  config.sample_rate_index = 4;
  config.channel_config = 1;
  // Three frames with distinct payloads after garbage holding a false sync word, and with the start
  // of a frame cut short (as a reconnecting sender leaves) between the first two; fed a few bytes
  // at a time.
  std::vector<std::vector<uint8_t>> frames;
  std::vector<uint8_t> stream = {0x00, 0xFF, 0xF1, 0x12};
  std::mt19937 rng(7);
  for (int i = 0; i < 3; i++) {
    std::vector<uint8_t> f(adts::kHeaderSize + 50 + i * 100);
    fail_unless(adts::write_header(config, f.size() - adts::kHeaderSize, f.data()));
    for (size_t k = adts::kHeaderSize; k < f.size(); k++) f[k] = static_cast<uint8_t>(rng() & 0x7F);
    frames.push_back(f);
    stream.insert(stream.end(), f.begin(), f.end());
    if (i == 0) stream.insert(stream.end(), f.begin(), f.begin() + 20);
  }
  adts::Framer framer;
  std::vector<std::vector<uint8_t>> got;
  std::vector<uint8_t> frame;
  adts::Header header;
  for (size_t pos = 0; pos < stream.size(); pos += 5) {
    framer.push(stream.data() + pos, std::min<size_t>(5, stream.size() - pos));
    while (framer.next(&frame, &header)) got.push_back(frame);
  }
  fail_unless_equals_int(got.size(), 3);
  for (int i = 0; i < 3; i++) fail_unless(got[i] == frames[i], "frame %d differs", i);
  fail_unless_equals_int(framer.skipped_bytes(), 4 + 20);
  fail_unless_equals_int(framer.buffered_bytes(), 0);
  // A truncated frame waits; reset() forgets it.
  framer.push(frames[1].data(), 20);
  fail_if(framer.next(&frame, &header));
  fail_unless_equals_int(framer.buffered_bytes(), 20);
  framer.reset();
  fail_unless_equals_int(framer.buffered_bytes(), 0);
}
GST_END_TEST;

// The issue's own numbers for the high box (200x84) with cells 3 wide by 4 high.
GST_START_TEST(test_fit_grid_keeps_display_aspect) {
  auto fit = [](int w, int h, int par_n = 1, int par_d = 1, GridRequest request = {}) {
    return fit_grid(PictureShape{w, h, par_n, par_d}, request);
  };
  auto expect = [](GridSize got, int cols, int rows, int tolerance, const char* what) {
    fail_unless(std::abs(got.cols - cols) <= tolerance && std::abs(got.rows - rows) <= tolerance,
                "%s: %dx%d, expected %dx%d", what, got.cols, got.rows, cols, rows);
  };
  expect(fit(1920, 1080), 200, 84, 1, "16:9");
  expect(fit(1280, 720), 200, 84, 1, "16:9 720p");
  expect(fit(640, 480), 149, 84, 1, "4:3");
  expect(fit(720, 528), 153, 84, 1, "720x528");
  expect(fit(720, 1280), 63, 84, 1, "portrait 9:16");
  // Anamorphic: 720x576 with 64:45 pixels is 16:9 on screen.
  expect(fit(720, 576, 64, 45), 200, 84, 1, "anamorphic 16:9");
  // 1440x1080 with 4:3 pixels (HDV) is 16:9 too.
  expect(fit(1440, 1080, 4, 3), 200, 84, 1, "HDV");
  // Small pictures: one pixel per cell when they fit the box, never more cells than pixels.
  expect(fit(80, 24), 80, 24, 0, "already grid-sized");
  expect(fit(100, 100), 100, 75, 1, "square, 100 pixels wide");
  expect(fit(300, 40), 200, 20, 1, "a wide strip");
  // One side given derives the other; both given is exact.
  expect(fit(1280, 720, 1, 1, {120, 0}), 120, 50, 1, "cols alone");
  expect(fit(1280, 720, 1, 1, {0, 42}), 100, 42, 1, "rows alone");
  expect(fit(720, 1280, 1, 1, {0, 84}), 63, 84, 1, "portrait, rows alone");
  expect(fit(1280, 720, 1, 1, {80, 24}), 80, 24, 0, "both");
  // Another box: the low preset.
  expect(fit(1920, 1080, 1, 1, {0, 0, 100, 42}), 100, 42, 1, "low box");
  expect(fit(640, 480, 1, 1, {0, 0, 100, 42}), 75, 42, 1, "4:3 in the low box");
}
GST_END_TEST;

GST_START_TEST(test_fit_grid_limits) {
  // Absurd shapes and values stay inside 1..kMax.
  GridSize g = fit_grid(PictureShape{10000, 1}, {});
  fail_unless(g.cols >= 1 && g.cols <= 200 && g.rows == 1, "%dx%d", g.cols, g.rows);
  g = fit_grid(PictureShape{1, 10000}, {});
  fail_unless(g.cols == 1 && g.rows >= 1 && g.rows <= 84, "%dx%d", g.cols, g.rows);
  g = fit_grid(PictureShape{0, 0}, {});
  fail_unless(g.cols == 200 && g.rows == 84, "unknown size: %dx%d", g.cols, g.rows);
  g = fit_grid(PictureShape{1280, 720, 0, 0}, {});  // a broken pixel aspect counts as square
  fail_unless(g.cols == 200 && g.rows == 84, "%dx%d", g.cols, g.rows);
  g = fit_grid(PictureShape{1, 10000}, {kMaxCols, 0});
  fail_unless(g.cols == kMaxCols && g.rows == kMaxRows, "%dx%d", g.cols, g.rows);
  g = fit_grid(PictureShape{1280, 720}, {0, 0, 100000, -5});
  fail_unless(g.cols >= 1 && g.rows == 1, "%dx%d", g.cols, g.rows);
}
GST_END_TEST;

GST_START_TEST(test_fit_in_terminal) {
  // 16:9 in a 160 x 50 pane of 1:2 cells: 50 rows need 178 columns, too many; 160 columns need 45.
  GridSize g = fit_in_terminal(PictureShape{1920, 1080}, 160, 50, 0.5);
  fail_unless(g.cols == 160 && g.rows == 45, "%dx%d", g.cols, g.rows);
  // A portrait phone video (9:16) in the same pane: the height decides.
  g = fit_in_terminal(PictureShape{1080, 1920}, 160, 50, 0.5);
  fail_unless(g.cols == 56 && g.rows == 50, "%dx%d", g.cols, g.rows);
  // Anamorphic pixels count: 720x576 at 64:45 is 16:9.
  g = fit_in_terminal(PictureShape{720, 576, 64, 45}, 160, 50, 0.5);
  fail_unless(g.cols == 160 && g.rows == 45, "%dx%d", g.cols, g.rows);
  // Square cells (a terminal that reports its pixels) and absurd values.
  g = fit_in_terminal(PictureShape{1000, 1000}, 80, 24, 1.0);
  fail_unless(g.cols == 24 && g.rows == 24, "%dx%d", g.cols, g.rows);
  g = fit_in_terminal(PictureShape{1000, 1000}, 0, -3, -1);
  fail_unless(g.cols == 1 && g.rows == 1, "%dx%d", g.cols, g.rows);
}
GST_END_TEST;

static Suite* core_suite(void) {
  Suite* s = suite_create("core");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_default_palette);
  tcase_add_test(tc, test_validate_palette);
  tcase_add_test(tc, test_seed_luma);
  tcase_add_test(tc, test_seed_mapping);
  tcase_add_test(tc, test_linear_mapping);
  tcase_add_test(tc, test_tone);
  tcase_add_test(tc, test_mode_quantisation);
  tcase_add_test(tc, test_kernels_agree);
  tcase_add_test(tc, test_init_seed_form);
  tcase_add_test(tc, test_init_parse);
  tcase_add_test(tc, test_raw_frame_round_trip);
  tcase_add_test(tc, test_pixel_frame_round_trip);
  tcase_add_test(tc, test_text_frame);
  tcase_add_test(tc, test_area_average_checker);
  tcase_add_test(tc, test_area_average_regions);
  tcase_add_test(tc, test_area_average_i420);
  tcase_add_test(tc, test_area_average_upscale_and_limits);
  tcase_add_test(tc, test_area_average_tall_cells);
  tcase_add_test(tc, test_area_average_kernels);
  tcase_add_test(tc, test_adts_header_round_trip);
  tcase_add_test(tc, test_adts_audio_specific_config);
  tcase_add_test(tc, test_adts_framer);
  tcase_add_test(tc, test_fit_grid_keeps_display_aspect);
  tcase_add_test(tc, test_fit_grid_limits);
  tcase_add_test(tc, test_fit_in_terminal);
  return s;
}

GST_CHECK_MAIN(core);
