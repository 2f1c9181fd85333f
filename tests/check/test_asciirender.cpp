// asciimap's symbol styles and asciirender: the caps and buffers of each style, the ASCILINE cells
// carried beside the symbols (and what ascilinepay makes of them), asciirender drawing exactly what
// the core renderer draws, and a real H.264 file (made by ffmpeg) turned into art video.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <cstring>
#include <string>
#include <vector>

#include "asciline_wire.h"
#include "cell_grid.h"
#include "child_process.h"
#include "symbol_cell.h"
#include "temp_dir.h"

using namespace gstascii;

namespace {

// Runs |description| (ending in an appsink named "out") to EOS and returns every buffer's bytes
// and the caps of the last one.
struct Run {
  std::vector<std::vector<std::uint8_t>> buffers;
  std::string caps;
};

Run run_pipeline(const std::string& description) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr && error == nullptr, "%s: %s", description.c_str(), error ? error->message : "");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  Run run;
  for (;;) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 20 * GST_SECOND);
    if (!sample) break;
    GstBuffer* buf = gst_sample_get_buffer(sample);
    GstMapInfo map;
    fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
    run.buffers.emplace_back(map.data, map.data + map.size);
    gst_buffer_unmap(buf, &map);
    gchar* caps = gst_caps_to_string(gst_sample_get_caps(sample));
    run.caps = caps;
    g_free(caps);
    gst_sample_unref(sample);
  }
  fail_unless(gst_app_sink_is_eos(GST_APP_SINK(sink)), "%s: no EOS", description.c_str());
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (msg) {
    GError* err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    fail("%s: %s", description.c_str(), err->message);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return run;
}

const char* kSource = "videotestsrc num-buffers=3 pattern=smpte ! video/x-raw,width=320,height=240,framerate=30/1";

}  // namespace

GST_START_TEST(test_style_caps_and_buffers) {
  for (const char* style : {"ascii", "half", "blocks", "sextant", "octant", "ascii+octant"}) {
    const Run run = run_pipeline(std::string(kSource) + " ! asciimap cols=40 rows=20 style=" + style +
                                 " ! appsink name=out sync=false");
    fail_unless_equals_int(run.buffers.size(), 3);
    fail_unless(run.caps.find("layout=(string)symbol+crgb") != std::string::npos, "%s", run.caps.c_str());
    fail_unless(run.caps.find(std::string("style=(string)") + style) != std::string::npos, "%s", run.caps.c_str());
    const std::size_t n = 40 * 20;
    fail_unless_equals_int(run.buffers[0].size(), n * (kSymbolCellBytes + kCellBytes));
    const auto* cells = reinterpret_cast<const SymbolCell*>(run.buffers[0].data());
    int known = 0, two_colour = 0;
    for (std::size_t i = 0; i < n; i++) {
      known += symbol_is_known(cells[i]);
      two_colour += cells[i].set != kGlyph || cells[i].code != ' ';
    }
    fail_unless_equals_int(known, n);
    // SMPTE bars have edges between bars: some cells straddle them.
    fail_unless(two_colour > 0, "%s: every cell flat", style);
  }
  // The default stays ASCILINE's cells.
  const Run classic = run_pipeline(std::string(kSource) + " ! asciimap cols=40 rows=20 ! appsink name=out sync=false");
  fail_unless(classic.caps.find("layout=(string)crgb") != std::string::npos, "%s", classic.caps.c_str());
  fail_unless_equals_int(classic.buffers[0].size(), 40 * 20 * kCellBytes);
}
GST_END_TEST;

GST_START_TEST(test_asciline_cells_beside_symbols) {
  // The ASCILINE cells after the symbols show the same picture as style=asciline (the cell means
  // come from the sub-cell samples, so a colour may land one quantisation step away).
  const std::string grid = " ! asciimap cols=40 rows=20 mode=5 ";
  const Run symbols = run_pipeline(std::string(kSource) + grid + "style=octant ! appsink name=out sync=false");
  const Run classic = run_pipeline(std::string(kSource) + grid + "! appsink name=out sync=false");
  const std::size_t n = 40 * 20;
  const std::uint8_t* a = symbols.buffers[0].data() + n * kSymbolCellBytes;
  const std::uint8_t* b = classic.buffers[0].data();
  int far = 0;
  for (std::size_t i = 0; i < n * kCellBytes; i++) far += std::abs(int(a[i]) - int(b[i])) > 3;
  fail_unless(far * 50 < int(n), "%d of %zu bytes differ", far, n * kCellBytes);

  // ascilinepay sends those ASCILINE cells: raw frames of the classic layout.
  const Run pay =
      run_pipeline(std::string(kSource) + grid + "style=octant ! ascilinepay ! appsink name=out sync=false");
  fail_unless_equals_int(pay.buffers.size(), 4);  // INIT, then three frames
  fail_unless(std::string(pay.buffers[0].begin(), pay.buffers[0].end()).rfind("INIT:30.0:5:40:20:0", 0) == 0);
  fail_unless_equals_int(pay.buffers[1].size(), raw_frame_bytes(n));
  fail_unless(std::memcmp(pay.buffers[1].data() + kFrameHeaderBytes, a, n * kCellBytes) == 0);
}
GST_END_TEST;

GST_START_TEST(test_render_matches_core) {
  // Cells pushed into asciirender come out drawn exactly as render_symbol_cells draws them, at the
  // cell size asked for.
  GstHarness* h = gst_harness_new_parse("asciirender cell-width=10 cell-height=20");
  gst_harness_set_src_caps_str(h, "application/x-ascii-cells,cols=3,rows=2,framerate=30/1,mode=5,layout=symbol+crgb");
  const SymbolCell cells[6] = {
      {kGlyph, 'A', {255, 255, 0}, {0, 0, 128}},   {kHalf, 1, {10, 20, 30}, {200, 100, 50}},
      {kQuadrant, 9, {1, 2, 3}, {4, 5, 6}},        {kSextant, 0x2D, {255, 0, 0}, {0, 255, 0}},
      {kOctant, 0xA5, {9, 9, 9}, {250, 250, 250}}, {kGlyph, ' ', {7, 7, 7}, {7, 7, 7}},
  };
  std::vector<std::uint8_t> bytes(6 * (kSymbolCellBytes + kCellBytes));
  std::memcpy(bytes.data(), cells, sizeof cells);
  GstBuffer* in = gst_buffer_new_memdup(bytes.data(), bytes.size());
  GST_BUFFER_PTS(in) = 0;
  GstBuffer* out = gst_harness_push_and_pull(h, in);
  fail_unless(out != nullptr);
  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  GstStructure* s = gst_caps_get_structure(caps, 0);
  int w = 0, hgt = 0;
  fail_unless(gst_structure_get_int(s, "width", &w) && gst_structure_get_int(s, "height", &hgt));
  fail_unless_equals_int(w, 30);
  fail_unless_equals_int(hgt, 40);
  fail_unless_equals_string(gst_structure_get_string(s, "format"), "RGBA");
  gst_caps_unref(caps);
  std::vector<std::uint8_t> want(30 * 40 * 4);
  render_symbol_cells(cells, 3, 2, 10, 20, want.data(), 30 * 4);
  GstMapInfo map;
  fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
  fail_unless_equals_int(map.size, want.size());
  fail_unless(std::memcmp(map.data, want.data(), want.size()) == 0);
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
  gst_harness_teardown(h);

  // Classic cells: the character in its colour on black.
  h = gst_harness_new_parse("asciirender");
  gst_harness_set_src_caps_str(h, "application/x-ascii-cells,cols=1,rows=1,framerate=30/1,mode=3,layout=crgb");
  const std::uint8_t classic[4] = {'#', 200, 100, 50};
  out = gst_harness_push_and_pull(h, gst_buffer_new_memdup(classic, 4));
  fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
  fail_unless_equals_int(map.size, 8 * 16 * 4);
  for (int y = 0; y < 16; y++) {
    for (int x = 0; x < 8; x++) {
      const std::uint8_t* px = map.data + (y * 8 + x) * 4;
      const bool ink = glyph_ink('#', x, y);
      fail_unless(px[0] == (ink ? 200 : 0) && px[1] == (ink ? 100 : 0) && px[2] == (ink ? 50 : 0) && px[3] == 255);
    }
  }
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);

  // A buffer of the wrong size is an error, not a read past its end.
  gst_harness_play(h);
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_memdup(classic, 3)), GST_FLOW_ERROR);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_style_changes_while_playing) {
  // A new style applies from a following frame: the caps change layout, and back.
  GstElement* pipeline = gst_parse_launch(
      "videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! asciimap name=map cols=40 "
      "rows=20 ! appsink name=out sync=false",
      nullptr);
  GstElement* map = gst_bin_get_by_name(GST_BIN(pipeline), "map");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  // Pulls until a sample arrives whose caps name |layout|, within a deadline.
  auto wait_for_layout = [&](const char* layout, gsize size) {
    const gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
    while (g_get_monotonic_time() < deadline) {
      GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND);
      if (!sample) continue;
      const gchar* got = gst_structure_get_string(gst_caps_get_structure(gst_sample_get_caps(sample), 0), "layout");
      const bool match = g_strcmp0(got, layout) == 0 && gst_buffer_get_size(gst_sample_get_buffer(sample)) == size;
      gst_sample_unref(sample);
      if (match) return true;
    }
    return false;
  };
  const gsize n = 40 * 20;
  fail_unless(wait_for_layout("crgb", n * kCellBytes));
  g_object_set(map, "style", "octant+edge", nullptr);
  fail_unless(wait_for_layout("symbol+crgb", n * (kSymbolCellBytes + kCellBytes)), "the style never applied");
  g_object_set(map, "style", "asciline", nullptr);
  fail_unless(wait_for_layout("crgb", n * kCellBytes), "asciline never came back");
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(map);
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(test_bad_style_is_refused) {
  GstElement* map = gst_element_factory_make("asciimap", nullptr);
  g_object_set(map, "style", "sextant+ascii", nullptr);
  ASSERT_WARNING(g_object_set(map, "style", "braille", nullptr));
  ASSERT_WARNING(g_object_set(map, "style", "ascii+", nullptr));
  gchar* style = nullptr;
  g_object_get(map, "style", &style, nullptr);
  fail_unless_equals_string(style, "ascii+sextant");
  g_free(style);
  gst_object_unref(map);
}
GST_END_TEST;

GST_START_TEST(test_real_file_to_art_video) {
  // An H.264 MP4 from ffmpeg, decoded and drawn: the art has the grid's size in pixels, changes
  // from frame to frame and has colour.
  TempDir dir("art-XXXXXX");
  const std::string clip = dir.path() + "/clip.mp4";
  ChildProcess ffmpeg({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
                       "testsrc2=size=1280x720:rate=30:duration=1", "-c:v", "libx264", "-preset", "ultrafast",
                       "-pix_fmt", "yuv420p", clip});
  fail_unless_equals_int(ffmpeg.wait_exit(60000), 0);
  const Run run = run_pipeline("filesrc location=" + clip +
                               " ! qtdemux ! h264parse ! avdec_h264 ! asciimap style=ascii+octant ! asciirender ! "
                               "appsink name=out sync=false");
  fail_unless_equals_int(run.buffers.size(), 30);
  fail_unless(
      run.caps.find("width=(int)1600") != std::string::npos && run.caps.find("height=(int)1344") != std::string::npos,
      "%s", run.caps.c_str());
  fail_unless(run.buffers[0] != run.buffers[29], "the art does not move");
  int coloured = 0;
  const auto& px = run.buffers[15];
  for (std::size_t i = 0; i < px.size(); i += 4 * 97) coloured += px[i] != px[i + 1] || px[i + 1] != px[i + 2];
  fail_unless(coloured > 1000, "only %d coloured pixels sampled", coloured);
}
GST_END_TEST;

GST_START_TEST(test_launcher_writes_art_video) {
  // ascii-launch --output on a file with sound, as a user runs it: an MP4 with H.264 art at the
  // grid's size in pixels and the sound as AAC, as long as the source.
  TempDir dir("output-XXXXXX");
  const std::string clip = dir.path() + "/talk.mp4", art = dir.path() + "/art.mp4";
  ChildProcess ffmpeg({"ffmpeg",    "-hide_banner",
                       "-loglevel", "error",
                       "-nostdin",  "-y",
                       "-f",        "lavfi",
                       "-i",        "testsrc2=size=1280x720:rate=25:duration=2",
                       "-f",        "lavfi",
                       "-i",        "sine=frequency=440:duration=2",
                       "-c:v",      "libx264",
                       "-preset",   "ultrafast",
                       "-pix_fmt",  "yuv420p",
                       "-c:a",      "aac",
                       "-shortest", clip});
  fail_unless_equals_int(ffmpeg.wait_exit(60000), 0);
  ChildProcess launcher({g_getenv("ASCII_LAUNCH"), "--output", art, "--style", "ascii+octant", clip});
  fail_unless_equals_int(launcher.wait_exit(120000), 0);
  fail_unless(launcher.output().find("wrote " + art) != std::string::npos, "%s", launcher.output().c_str());
  fail_unless(launcher.output().find("with sound") != std::string::npos, "%s", launcher.output().c_str());
  ChildProcess probe(
      {"ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height,duration", "-of", "csv=p=0", art});
  fail_unless_equals_int(probe.wait_exit(30000), 0);
  const std::string streams = probe.output();
  fail_unless(streams.find("h264,1600,1344,") != std::string::npos, "%s", streams.c_str());
  fail_unless(streams.find("aac,") != std::string::npos, "%s", streams.c_str());
  double video_seconds = 0;
  fail_unless(sscanf(streams.c_str() + streams.find("h264,1600,1344,") + 15, "%lf", &video_seconds) == 1);
  fail_unless(video_seconds > 1.8 && video_seconds < 2.2, "%s", streams.c_str());

  // Mistakes get one line and a non-zero exit, and write nothing (notes.mp4 is text, not media).
  fail_unless(g_file_set_contents((dir.path() + "/notes.mp4").c_str(), "not a video\n", -1, nullptr));
  struct Bad {
    std::vector<std::string> args;
    int status;
    const char* says;
  };
  const Bad bad[] = {
      {{"--output", dir.path() + "/art.avi", clip}, 2, "write .mp4, .mov or .mkv"},
      {{"--output", art}, 2, "--output needs a file or URI"},
      {{"--output", dir.path() + "/x.mp4", dir.path() + "/missing.mp4"}, 1, "no such file"},
      {{"--output", dir.path() + "/x.mp4", dir.path() + "/notes.mp4"}, 1, "cannot read file://"},
      {{"--output", art, "--style", "braille", clip}, 2, "unknown style"},
  };
  for (const Bad& b : bad) {
    std::vector<std::string> args = {g_getenv("ASCII_LAUNCH")};
    args.insert(args.end(), b.args.begin(), b.args.end());
    ChildProcess run(args);
    fail_unless_equals_int(run.wait_exit(30000), b.status);
    fail_unless(run.output().find(b.says) != std::string::npos, "%s", run.output().c_str());
  }
  fail_if(g_file_test((dir.path() + "/art.avi").c_str(), G_FILE_TEST_EXISTS));
  fail_if(g_file_test((dir.path() + "/x.mp4").c_str(), G_FILE_TEST_EXISTS), "a failed run left its output");
}
GST_END_TEST;

static Suite* asciirender_suite(void) {
  Suite* s = suite_create("asciirender");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_style_caps_and_buffers);
  tcase_add_test(tc, test_asciline_cells_beside_symbols);
  tcase_add_test(tc, test_render_matches_core);
  tcase_add_test(tc, test_style_changes_while_playing);
  tcase_add_test(tc, test_bad_style_is_refused);
  tcase_add_test(tc, test_real_file_to_art_video);
  tcase_add_test(tc, test_launcher_writes_art_video);
  return s;
}

GST_CHECK_MAIN(asciirender);
