// asciimap: negotiation in both graphs, every input format, area averaging, live property
// changes, reuse, invalid values, bad buffers and extreme grids. Real pipelines and GstHarness.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <glib/gstdio.h>
#include <gst/check/gstharness.h>

#include <cstdlib>
#include <random>
#include <string>

#include "palette.h"
#include "test_util.h"

static GstCaps* sink_caps_of(GstElement* pipeline, const char* name) {
  GstElement* e = gst_bin_get_by_name(GST_BIN(pipeline), name);
  GstPad* pad = gst_element_get_static_pad(e, "sink");
  GstCaps* caps = gst_pad_get_current_caps(pad);
  gst_object_unref(pad);
  gst_object_unref(e);
  return caps;
}

// Runs the pipeline to PAUSED (negotiated, first frame through) and returns asciimap's input caps.
static GstCaps* negotiated_input(const std::string& description, GstCaps** out_caps) {
  GstElement* pipeline = gst_parse_launch(description.c_str(), nullptr);
  fail_unless(pipeline != nullptr);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  GstCaps* in = sink_caps_of(pipeline, "map");
  *out_caps = sink_caps_of(pipeline, "out");
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return in;
}

GST_START_TEST(test_negotiation_scaled_upstream) {
  // The design's graph: videoscale follows the grid, so asciimap gets one pixel per cell.
  GstCaps* out = nullptr;
  GstCaps* in = negotiated_input(
      "videotestsrc num-buffers=1 ! video/x-raw,width=640,height=480 ! videoconvert ! videoscale ! videorate ! "
      "asciimap name=map cols=40 rows=20 ! fakesink name=out",
      &out);
  fail_unless_equals_int(caps_int(in, "width"), 40);
  fail_unless_equals_int(caps_int(in, "height"), 20);
  fail_unless_equals_int(caps_int(out, "cols"), 40);
  fail_unless_equals_int(caps_int(out, "rows"), 20);
  fail_unless_equals_int(caps_int(out, "mode"), 3);
  gst_caps_unref(in);
  gst_caps_unref(out);

  // With cols and rows left at 0, a picture that fits the default box is one pixel per cell.
  in = negotiated_input(
      "videotestsrc num-buffers=1 ! video/x-raw,width=64,height=48 ! asciimap name=map ! fakesink name=out", &out);
  fail_unless_equals_int(caps_int(out, "cols"), 64);
  fail_unless_equals_int(caps_int(out, "rows"), 48);
  gst_caps_unref(in);
  gst_caps_unref(out);
}
GST_END_TEST;

GST_START_TEST(test_negotiation_decoder_output) {
  // Straight on decoder-style output: 1280x720 I420 stays as it is and is area-averaged.
  GstCaps* out = nullptr;
  GstCaps* in = negotiated_input(
      "videotestsrc num-buffers=1 ! video/x-raw,format=I420,width=1280,height=720 ! "
      "asciimap name=map cols=200 rows=84 ! fakesink name=out",
      &out);
  fail_unless_equals_int(caps_int(in, "width"), 1280);
  fail_unless_equals_string(gst_structure_get_string(gst_caps_get_structure(in, 0), "format"), "I420");
  fail_unless_equals_int(caps_int(out, "cols"), 200);
  fail_unless_equals_int(caps_int(out, "rows"), 84);
  gst_caps_unref(in);
  gst_caps_unref(out);

  // cols and rows at 0 but fixed by downstream caps.
  in = negotiated_input(
      "videotestsrc num-buffers=1 ! video/x-raw,format=NV12,width=320,height=240 ! asciimap name=map ! "
      "application/x-ascii-cells,cols=32,rows=12 ! fakesink name=out",
      &out);
  fail_unless_equals_int(caps_int(in, "width"), 320);
  fail_unless_equals_int(caps_int(out, "cols"), 32);
  fail_unless_equals_int(caps_int(out, "rows"), 12);
  gst_caps_unref(in);
  gst_caps_unref(out);
}
GST_END_TEST;

// The grid keeps the picture's display shape when nothing fixes it (cells 3 wide by 4 high).
GST_START_TEST(test_default_grid_keeps_the_shape) {
  struct Case {
    const char* video;
    const char* map;
    int cols, rows;
  } cases[] = {
      // The design's graph: videoscale passes the picture through; asciimap fits it to 200x84.
      {"width=1280,height=720", "videoscale ! videorate ! asciimap name=map", 200, 84},
      {"width=640,height=480", "asciimap name=map", 149, 84},
      {"width=720,height=528", "asciimap name=map", 153, 84},
      {"width=720,height=1280", "asciimap name=map", 63, 84},
      {"width=720,height=576,pixel-aspect-ratio=64/45", "asciimap name=map", 200, 84},
      {"width=1280,height=720", "asciimap name=map max-cols=100 max-rows=42", 100, 42},
      {"width=1280,height=720", "asciimap name=map cols=120", 120, 51},
      {"width=720,height=1280", "asciimap name=map rows=42", 32, 42},
      {"width=1280,height=720", "asciimap name=map cols=80 rows=24", 80, 24},
      // Already at grid size (scaled upstream): one pixel per cell.
      {"width=80,height=24", "asciimap name=map mode=1", 80, 24},
      // Downstream fixes the columns: the rows follow the shape.
      {"width=1280,height=720", "asciimap name=map ! application/x-ascii-cells,cols=[1,100]", 100, 42},
  };
  for (const Case& c : cases) {
    GstCaps* out = nullptr;
    GstCaps* in = negotiated_input(std::string("videotestsrc num-buffers=1 ! video/x-raw,") + c.video + " ! " + c.map +
                                       " ! fakesink name=out",
                                   &out);
    fail_unless(std::abs(caps_int(out, "cols") - c.cols) <= 1 && std::abs(caps_int(out, "rows") - c.rows) <= 1,
                "%s ! %s: %dx%d, expected %dx%d", c.video, c.map, caps_int(out, "cols"), caps_int(out, "rows"), c.cols,
                c.rows);
    gst_caps_unref(in);
    gst_caps_unref(out);
  }
}
GST_END_TEST;

// A 320x240 BGR picture of flat 8x8 blocks in random colours: each block is one cell of a 40x30
// grid, and every 2x2 chroma site lies inside one block, so YUV formats lose nothing but rounding.
static std::vector<std::uint8_t> block_picture(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::uint8_t> img(320 * 240 * 3);
  for (int by = 0; by < 30; ++by)
    for (int bx = 0; bx < 40; ++bx) {
      const std::uint8_t b = byte(rng), g = byte(rng), r = byte(rng);
      for (int y = by * 8; y < by * 8 + 8; ++y)
        for (int x = bx * 8; x < bx * 8 + 8; ++x) {
          std::uint8_t* p = &img[(y * 320 + x) * 3];
          p[0] = b;
          p[1] = g;
          p[2] = r;
        }
    }
  return img;
}

static RunResult map_picture(const std::vector<std::uint8_t>& bgr, const char* format) {
  const std::string description =
      "appsrc name=in format=time caps=video/x-raw,format=BGR,width=320,height=240,framerate=30/1 ! videoconvert ! "
      "video/x-raw,format=" +
      std::string(format) + " ! asciimap cols=40 rows=30 mode=6 ! appsink name=out";
  return run_launch(description, [&](GstElement* p) { push_frames(p, {bgr}); });
}

GST_START_TEST(test_every_format_same_cells) {
  const auto picture = block_picture(11);
  RunResult ref = map_picture(picture, "BGR");
  fail_unless(ref.error.empty(), "%s", ref.error.c_str());
  fail_unless_equals_int(ref.frames().size(), 1);
  const auto& want = ref.frames()[0]->bytes;
  fail_unless_equals_int(want.size(), 40 * 30 * 4);
  const std::string palette(gstascii::kDefaultPalette);
  for (const char* format : {"RGB", "BGRx", "RGBx", "xRGB", "xBGR", "BGRA", "RGBA", "ARGB", "ABGR", "I420", "YV12",
                             "NV12", "NV21", "Y42B", "Y444", "YUY2", "UYVY"}) {
    RunResult r = map_picture(picture, format);
    fail_unless(r.error.empty(), "%s: %s", format, r.error.c_str());
    fail_unless_equals_int(r.frames().size(), 1);
    const auto& got = r.frames()[0]->bytes;
    fail_unless_equals_int(got.size(), want.size());
    const bool exact = format[0] != 'I' && format[0] != 'Y' && format[0] != 'N' && format[0] != 'U';
    for (std::size_t i = 0; i < want.size(); i += 4) {
      // RGB layouts: identical. YUV: the 8-bit Y'CbCr round trip moves colours a few levels.
      const int tolerance = exact ? 0 : 6;
      for (int c = 1; c < 4; ++c) {
        fail_unless(std::abs(int(got[i + c]) - int(want[i + c])) <= tolerance, "%s cell %zu channel %d: %d vs %d",
                    format, i / 4, c, got[i + c], want[i + c]);
      }
      const auto gi = palette.find(char(got[i])), wi = palette.find(char(want[i]));
      fail_unless(std::abs(int(gi) - int(wi)) <= (exact ? 0 : 3), "%s cell %zu char %c vs %c", format, i / 4, got[i],
                  want[i]);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_area_averaging_in_element) {
  // 1-pixel black/white checkerboard, 80x40 into 10x5 cells: every cell is mid-gray (128) with the
  // mid-gray character; point sampling would give only black or only white.
  std::vector<std::uint8_t> img(80 * 40 * 3);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 80; ++x) std::memset(&img[(y * 80 + x) * 3], ((x + y) & 1) ? 255 : 0, 3);
  RunResult r = run_launch(
      "appsrc name=in format=time caps=video/x-raw,format=BGR,width=80,height=40,framerate=30/1 ! "
      "asciimap cols=10 rows=5 mode=6 mapping=seed ! appsink name=out",
      [&](GstElement* p) { push_frames(p, {img}); });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  const auto& cells = r.frames().at(0)->bytes;
  const char mid = gstascii::kDefaultPalette[128 / 2];
  for (std::size_t i = 0; i < cells.size(); i += 4) {
    fail_unless_equals_int(cells[i], mid);
    fail_unless_equals_int(cells[i + 1], 128);
    fail_unless_equals_int(cells[i + 2], 128);
    fail_unless_equals_int(cells[i + 3], 128);
  }

  // Vertical stripes 3 px black, 1 px white, 8x4 picture into 2x1 cells: 25 % white -> 64.
  std::vector<std::uint8_t> stripes(8 * 4 * 3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) std::memset(&stripes[(y * 8 + x) * 3], x % 4 == 3 ? 255 : 0, 3);
  r = run_launch(
      "appsrc name=in format=time caps=video/x-raw,format=BGR,width=8,height=4,framerate=30/1 ! "
      "asciimap cols=2 rows=1 mode=6 ! appsink name=out",
      [&](GstElement* p) { push_frames(p, {stripes}); });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  fail_unless_equals_int(r.frames().at(0)->bytes[1], 64);
  fail_unless_equals_int(r.frames().at(0)->bytes[5], 64);
}
GST_END_TEST;

// Harness on asciimap with 4x2 BGR input (one pixel per cell).
static GstHarness* bgr_harness(int mode) {
  GstHarness* h = gst_harness_new("asciimap");
  g_object_set(h->element, "mode", mode, nullptr);
  gst_harness_set_src_caps_str(h, "video/x-raw,format=BGR,width=4,height=2,framerate=30/1");
  return h;
}

static GstBuffer* flat_bgr(int w, int h, std::uint8_t b, std::uint8_t g, std::uint8_t r) {
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, gsize(w) * h * 3, nullptr);
  gstascii::MappedBuffer map(buf, GST_MAP_WRITE);
  for (gsize i = 0; i < map.info.size; i += 3) {
    map.info.data[i] = b;
    map.info.data[i + 1] = g;
    map.info.data[i + 2] = r;
  }
  return buf;
}

static std::vector<std::uint8_t> pull_bytes(GstHarness* h) {
  GstBuffer* out = gst_harness_pull(h);
  fail_unless(out != nullptr);
  std::vector<std::uint8_t> v(gst_buffer_get_size(out));
  gst_buffer_extract(out, 0, v.data(), v.size());
  gst_buffer_unref(out);
  return v;
}

GST_START_TEST(test_property_changes_mid_stream) {
  GstHarness* h = bgr_harness(6);
  fail_unless_equals_int(gst_harness_push(h, flat_bgr(4, 2, 200, 100, 50)), GST_FLOW_OK);
  auto cells = pull_bytes(h);
  fail_unless_equals_int(cells.size(), 4 * 2 * 4);
  fail_unless_equals_int(cells[1], 50);  // R unquantised in mode 6
  const std::uint8_t first_char = cells[0];

  g_object_set(h->element, "palette", "ab", nullptr);
  gst_harness_push(h, flat_bgr(4, 2, 200, 100, 50));
  cells = pull_bytes(h);
  fail_unless(cells[0] == 'a' || cells[0] == 'b');
  fail_unless(cells[0] != first_char);

  g_object_set(h->element, "invert", TRUE, nullptr);
  gst_harness_push(h, flat_bgr(4, 2, 255, 255, 255));
  fail_unless_equals_int(pull_bytes(h)[0], 'a');  // white is darkest when inverted

  // A new mode renegotiates: the caps say mode 2 and colours are cut to 3 bits a channel.
  g_object_set(h->element, "mode", 2, nullptr);
  gst_harness_push(h, flat_bgr(4, 2, 200, 100, 50));
  cells = pull_bytes(h);
  fail_unless_equals_int(cells[1], 50 & 0xe0);
  fail_unless_equals_int(cells[2], 100 & 0xe0);
  fail_unless_equals_int(cells[3], 200 & 0xe0);
  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  fail_unless_equals_int(caps_int(caps, "mode"), 2);
  gst_caps_unref(caps);

  // A new grid renegotiates too; the 4x2 input is now averaged into 2x1 cells.
  g_object_set(h->element, "cols", 2, "rows", 1, nullptr);
  gst_harness_push(h, flat_bgr(4, 2, 200, 100, 50));
  fail_unless_equals_int(pull_bytes(h).size(), 2 * 1 * 4);
  caps = gst_pad_get_current_caps(h->sinkpad);
  fail_unless_equals_int(caps_int(caps, "cols"), 2);
  gst_caps_unref(caps);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_reuse_after_null) {
  GstElement* pipeline = gst_parse_launch(
      "videotestsrc num-buffers=5 pattern=ball ! video/x-raw,width=64,height=32 ! asciimap cols=16 rows=8 ! "
      "appsink name=out",
      nullptr);
  RunResult run1 = run_pipeline(pipeline);
  RunResult run2 = run_pipeline(pipeline);
  fail_unless(run1.error.empty() && run2.error.empty());
  fail_unless_equals_int(run1.frames().size(), 5);
  fail_unless_equals_int(run2.frames().size(), 5);
  for (int i = 0; i < 5; ++i) fail_unless(run1.frames()[i]->bytes == run2.frames()[i]->bytes);
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(test_invalid_properties) {
  GstElement* map = gst_element_factory_make("asciimap", nullptr);
  ASSERT_WARNING(g_object_set(map, "palette", "x", nullptr));
  ASSERT_WARNING(g_object_set(map, "palette", "ab\tcd", nullptr));
  ASSERT_WARNING(g_object_set(map, "cols", -3, nullptr));
  ASSERT_WARNING(g_object_set(map, "rows", 5000, nullptr));
  ASSERT_WARNING(g_object_set(map, "mode", 7, nullptr));
  ASSERT_WARNING(g_object_set(map, "gamma", 0.0, nullptr));
  gchar* palette = nullptr;
  gint cols = -1, rows = -1, mode = -1;
  gdouble gamma = 0;
  g_object_get(map, "palette", &palette, "cols", &cols, "rows", &rows, "mode", &mode, "gamma", &gamma, nullptr);
  fail_unless(std::string(palette) == gstascii::kDefaultPalette, "palette changed to %s", palette);
  fail_unless_equals_int(cols, 0);
  fail_unless_equals_int(rows, 0);
  fail_unless_equals_int(mode, 3);
  fail_unless_equals_float(gamma, 1.0);
  g_free(palette);
  gst_object_unref(map);
}
GST_END_TEST;

GST_START_TEST(test_wrong_size_buffer) {
  // 50 bytes where a 10x10 BGR frame needs 300: an element error, not a crash or a read past the end.
  RunResult r = run_launch(
      "appsrc name=in format=time caps=video/x-raw,format=BGR,width=10,height=10,framerate=30/1 ! "
      "asciimap ! appsink name=out",
      [](GstElement* p) { push_frames(p, {std::vector<std::uint8_t>(50, 7)}); });
  fail_if(r.error.empty(), "no error for a short buffer");
  fail_unless(r.error.find("does not hold a whole") != std::string::npos, "%s", r.error.c_str());
  fail_unless_equals_int(r.frames().size(), 0);
}
GST_END_TEST;

GST_START_TEST(test_extreme_grids) {
  RunResult r = run_launch(
      "videotestsrc num-buffers=2 ! video/x-raw,format=I420,width=320,height=240 ! asciimap cols=1 rows=1 ! "
      "appsink name=out");
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  fail_unless_equals_int(r.frames().size(), 2);
  fail_unless_equals_int(r.frames()[0]->bytes.size(), 4);

  r = run_launch(
      "videotestsrc num-buffers=2 ! video/x-raw,format=I420,width=640,height=360 ! asciimap cols=1000 rows=400 ! "
      "appsink name=out");
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  fail_unless_equals_int(r.frames().size(), 2);
  fail_unless_equals_int(r.frames()[0]->bytes.size(), 1000 * 400 * 4);
  for (std::size_t i = 0; i < r.frames()[0]->bytes.size(); i += 4) {
    const std::uint8_t c = r.frames()[0]->bytes[i];
    fail_unless(c >= 0x20 && c <= 0x7e);
  }
}
GST_END_TEST;

GST_START_TEST(test_both_graphs_on_a_decoded_file) {
  // A real file through a real decoder: 30 JPEG frames in AVI, made here, played by uridecodebin.
  gchar* dir = g_dir_make_tmp("asciimap-XXXXXX", nullptr);
  gchar* path = g_build_filename(dir, "clip.avi", nullptr);
  GstElement* writer =
      gst_parse_launch(("videotestsrc num-buffers=30 pattern=ball ! video/x-raw,width=320,height=240 ! "
                        "jpegenc ! avimux ! filesink location=\"" +
                        std::string(path) + "\"")
                           .c_str(),
                       nullptr);
  fail_unless(writer != nullptr);
  gst_element_set_state(writer, GST_STATE_PLAYING);
  GstMessage* done = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(writer), 20 * GST_SECOND,
                                                GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(done != nullptr && GST_MESSAGE_TYPE(done) == GST_MESSAGE_EOS, "could not write the test clip");
  gst_message_unref(done);
  gst_element_set_state(writer, GST_STATE_NULL);
  gst_object_unref(writer);
  gchar* uri = gst_filename_to_uri(path, nullptr);

  // The design's graph: scaled upstream to the grid, one pixel per cell.
  RunResult scaled =
      run_launch(std::string("uridecodebin uri=") + uri +
                 " ! videoconvert ! videoscale ! videorate ! video/x-raw,width=40,height=20,framerate=15/1 "
                 "! asciimap ! ascilinepay ! appsink name=out");
  fail_unless(scaled.error.empty(), "%s", scaled.error.c_str());
  fail_unless(scaled.frames().size() >= 14, "%zu frames", scaled.frames().size());
  fail_unless_equals_int(scaled.frames()[0]->bytes.size(), 4 + 40 * 20 * 4);
  fail_unless(scaled.buffers[0].header && scaled.buffers[0].str().rfind("INIT:15.0:3:40:20:", 0) == 0);

  // Straight on decoder output, averaged inside asciimap.
  RunResult direct = run_launch(std::string("uridecodebin uri=") + uri +
                                " ! asciimap cols=40 rows=20 ! ascilinepay ! appsink name=out");
  fail_unless(direct.error.empty(), "%s", direct.error.c_str());
  fail_unless_equals_int(direct.frames().size(), 30);
  fail_unless_equals_int(direct.frames()[0]->bytes.size(), 4 + 40 * 20 * 4);
  // The ball moves: frames differ.
  fail_if(direct.frames()[0]->bytes == direct.frames()[29]->bytes);

  g_unlink(path);
  g_rmdir(dir);
  g_free(uri);
  g_free(path);
  g_free(dir);
}
GST_END_TEST;

static Suite* asciimap_suite(void) {
  Suite* s = suite_create("asciimap");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_negotiation_scaled_upstream);
  tcase_add_test(tc, test_negotiation_decoder_output);
  tcase_add_test(tc, test_default_grid_keeps_the_shape);
  tcase_add_test(tc, test_every_format_same_cells);
  tcase_add_test(tc, test_area_averaging_in_element);
  tcase_add_test(tc, test_property_changes_mid_stream);
  tcase_add_test(tc, test_reuse_after_null);
  tcase_add_test(tc, test_invalid_properties);
  tcase_add_test(tc, test_wrong_size_buffer);
  tcase_add_test(tc, test_extreme_grids);
  tcase_add_test(tc, test_both_graphs_on_a_decoded_file);
  return s;
}

GST_CHECK_MAIN(asciimap);
