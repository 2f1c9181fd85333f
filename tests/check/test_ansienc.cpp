// Tests of asciiansienc: symbol and ASCILINE cells in, terminal escape codes out, played into a
// virtual terminal; whole pictures where a viewer may start, deltas between; a request for a whole
// picture; bad input.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>
#include <gst/app/gstappsink.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <string>
#include <vector>

#include "ansi_encoder.h"
#include "cell_grid.h"
#include "symbol_cell.h"
#include "virtual_terminal.h"

using namespace gstascii;

namespace {

constexpr int kCols = 24, kRows = 8;

GstCaps* cells_caps(bool symbols, int cols = kCols, int rows = kRows) {
  return gst_caps_new_simple("application/x-ascii-cells", "cols", G_TYPE_INT, cols, "rows", G_TYPE_INT, rows,
                             "framerate", GST_TYPE_FRACTION, 30, 1, "mode", G_TYPE_INT, 6, "layout", G_TYPE_STRING,
                             symbols ? "symbol+crgb" : "crgb", nullptr);
}

// A frame of symbol cells where cell |moving| differs from the rest, followed by its crgb copy
// (as asciimap lays out symbol+crgb).
GstBuffer* symbol_frame(int moving, int frame_index) {
  const std::size_t n = std::size_t(kCols) * kRows;
  std::vector<std::uint8_t> bytes(n * (kSymbolCellBytes + kCellBytes));
  auto* cells = reinterpret_cast<SymbolCell*>(bytes.data());
  for (std::size_t i = 0; i < n; i++) {
    cells[i] = SymbolCell{kHalf, std::uint8_t(i % 4), {std::uint8_t(i * 7), 80, 200}, {10, std::uint8_t(i), 30}};
  }
  cells[moving % n] = SymbolCell{kGlyph, std::uint8_t('A' + frame_index % 26), {255, 255, 255}, {200, 0, 0}};
  GstBuffer* buf = gst_buffer_new_memdup(bytes.data(), bytes.size());
  GST_BUFFER_PTS(buf) = frame_index * GST_SECOND / 30;
  GST_BUFFER_DURATION(buf) = GST_SECOND / 30;
  return buf;
}

std::string buffer_text(GstBuffer* buf) {
  GstMapInfo map;
  fail_unless(gst_buffer_map(buf, &map, GST_MAP_READ));
  std::string text(reinterpret_cast<const char*>(map.data), map.size);
  gst_buffer_unmap(buf, &map);
  return text;
}

bool is_delta(GstBuffer* buf) {
  return GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
}

// What |frame|'s symbol cells look like drawn whole on a fresh screen.
VirtualTerminal drawn_whole(GstBuffer* frame, AnsiSymbols symbols = AnsiSymbols::kSextant) {
  GstMapInfo map;
  fail_unless(gst_buffer_map(frame, &map, GST_MAP_READ));
  AnsiEncoder encoder;
  AnsiOptions options;
  options.symbols = symbols;
  encoder.configure(kCols, kRows, options);
  std::string bytes;
  encoder.encode(reinterpret_cast<const SymbolCell*>(map.data), true, &bytes);
  gst_buffer_unmap(frame, &map);
  VirtualTerminal screen(kCols, kRows);
  fail_unless(screen.play(bytes), "%s", screen.error().c_str());
  return screen;
}

GstHarness* new_encoder(bool symbols, guint full_interval) {
  GstHarness* h = gst_harness_new("asciiansienc");
  g_object_set(h->element, "full-interval", full_interval, nullptr);
  gst_harness_set_src_caps(h, cells_caps(symbols));
  return h;
}

}  // namespace

// Whole pictures at the start and every full-interval frames, deltas between; the stream played
// into a terminal always shows the last frame exactly as a whole redraw of it would.
GST_START_TEST(test_deltas_and_whole_pictures) {
  GstHarness* h = new_encoder(true, 10);
  VirtualTerminal screen(kCols, kRows);
  for (int i = 0; i < 30; i++) {
    GstBuffer* frame = symbol_frame(i * 5, i);
    gst_buffer_ref(frame);
    fail_unless_equals_int(gst_harness_push(h, frame), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    fail_unless(out != nullptr);
    const std::string text = buffer_text(out);
    fail_unless_equals_uint64(GST_BUFFER_PTS(out), GST_BUFFER_PTS(frame));
    fail_unless(is_delta(out) == (i % 10 != 0), "frame %d: delta %d", i, is_delta(out));
    // The first picture clears the screen and hides the cursor; no other clears.
    fail_unless((text.find("\x1b[2J") != std::string::npos) == (i == 0), "frame %d", i);
    fail_unless(screen.play(text), "frame %d: %s", i, screen.error().c_str());
    fail_unless(!screen.synchronized(), "frame %d leaves synchronized output on", i);
    fail_unless(screen.same_as(drawn_whole(frame)), "frame %d differs from a whole redraw", i);
    if (i > 0 && i % 10 != 0) fail_unless(text.size() < 200, "a delta of two cells took %zu bytes", text.size());
    gst_buffer_unref(out);
    gst_buffer_unref(frame);
  }
  fail_unless(!screen.cursor_shown());
  // The caps carry the header a joining terminal gets first.
  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  fail_unless(gst_structure_has_name(s, "application/x-ansi-terminal"));
  fail_unless(gst_structure_get_value(s, "streamheader") != nullptr);
  gst_caps_unref(caps);
  // End of stream: the cursor comes back, below the picture.
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  GstBuffer* tail = gst_harness_pull(h);
  fail_unless(tail != nullptr);
  fail_unless(screen.play(buffer_text(tail)), "%s", screen.error().c_str());
  fail_unless(screen.cursor_shown());
  gst_buffer_unref(tail);
  gst_harness_teardown(h);
}
GST_END_TEST;

// An unchanged frame sends nothing; a force-key-unit event from downstream (a new viewer) makes the
// next frame whole even when nothing changed.
GST_START_TEST(test_request_for_whole_picture) {
  GstHarness* h = new_encoder(true, 0);
  for (int i = 0; i < 3; i++) fail_unless_equals_int(gst_harness_push(h, symbol_frame(0, 0)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_received(h), 1);
  // The unchanged frames are gaps, so a synchronised sink keeps time.
  int gaps = 0;
  while (GstEvent* event = gst_harness_try_pull_event(h)) {
    gaps += GST_EVENT_TYPE(event) == GST_EVENT_GAP ? 1 : 0;
    gst_event_unref(event);
  }
  fail_unless_equals_int(gaps, 2);
  GstBuffer* first = gst_harness_pull(h);
  fail_unless(!is_delta(first));
  gst_buffer_unref(first);
  fail_unless(
      gst_harness_push_upstream_event(h, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0)));
  fail_unless_equals_int(gst_harness_push(h, symbol_frame(0, 0)), GST_FLOW_OK);
  GstBuffer* whole = gst_harness_pull(h);
  fail_unless(!is_delta(whole));
  // Whole, but no clear: the grid did not change.
  fail_unless(buffer_text(whole).find("\x1b[2J") == std::string::npos);
  gst_buffer_unref(whole);
  // With full-interval 0, nothing else is whole.
  fail_unless_equals_int(gst_harness_push(h, symbol_frame(3, 1)), GST_FLOW_OK);
  GstBuffer* delta = gst_harness_pull(h);
  fail_unless(is_delta(delta));
  gst_buffer_unref(delta);
  gst_harness_teardown(h);
}
GST_END_TEST;

// ASCILINE's cells: the character in its colour on black; in 256 colours; a new grid clears the
// screen and starts whole.
GST_START_TEST(test_asciline_cells_and_colours) {
  GstHarness* h = new_encoder(false, 0);
  gst_util_set_object_arg(G_OBJECT(h->element), "colors", "256");
  std::vector<Cell> cells(std::size_t(kCols) * kRows, Cell{'#', 255, 0, 0});
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_memdup(cells.data(), cells.size() * kCellBytes)),
                         GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  const std::string text = buffer_text(out);
  fail_unless(text.find("\x1b[38;5;196;48;5;16m#") != std::string::npos, "%s", text.substr(0, 80).c_str());
  VirtualTerminal screen(kCols, kRows);
  fail_unless(screen.play(text), "%s", screen.error().c_str());
  fail_unless(screen.seen(kRows - 1, kCols - 1).codepoint == '#');
  gst_buffer_unref(out);

  gst_harness_set_src_caps(h, cells_caps(false, 10, 4));
  std::vector<Cell> small(40, Cell{'@', 0, 255, 0});
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_new_memdup(small.data(), small.size() * kCellBytes)),
                         GST_FLOW_OK);
  out = gst_harness_pull(h);
  fail_unless(!is_delta(out));
  fail_unless(buffer_text(out).find("\x1b[2J") != std::string::npos);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

// A buffer that does not match its grid is an error, not a crash.
GST_START_TEST(test_wrong_size_is_an_error) {
  GstHarness* h = new_encoder(true, 0);
  GstBuffer* short_buffer = gst_buffer_new_allocate(nullptr, 17, nullptr);
  fail_unless_equals_int(gst_harness_push(h, short_buffer), GST_FLOW_ERROR);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Real cells from asciimap (a moving ball: half blocks; octants drawn as themselves) through the
// element: every frame's bytes, played in order, leave the screen a whole redraw of the last
// frame's cells leaves.
static const struct {
  const char* style;
  const char* symbols;
} kFromAsciimap[] = {{"half", "sextant"}, {"octant", "octant"}};

GST_START_TEST(test_from_asciimap) {
  const auto& variant = kFromAsciimap[__i__];
  const std::string launch = std::string(
                                 "videotestsrc pattern=ball num-buffers=45 ! video/x-raw,width=96,height=64 ! "
                                 "asciimap mode=6 cols=24 rows=8 style=") +
                             variant.style +
                             " ! tee name=t ! queue ! appsink name=cells sync=false t. ! queue ! asciiansienc "
                             "full-interval=0 symbols=" +
                             variant.symbols + " ! appsink name=ansi sync=false";
  GstElement* pipeline = gst_parse_launch(launch.c_str(), nullptr);
  fail_unless(pipeline != nullptr);
  GstElement* cells = gst_bin_get_by_name(GST_BIN(pipeline), "cells");
  GstElement* ansi = gst_bin_get_by_name(GST_BIN(pipeline), "ansi");
  g_object_set(cells, "max-buffers", 0, "wait-on-eos", FALSE, nullptr);
  g_object_set(ansi, "max-buffers", 0, "wait-on-eos", FALSE, nullptr);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);

  VirtualTerminal screen(kCols, kRows);
  int frames = 0, whole = 0;
  while (GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(ansi), 0)) {
    GstBuffer* buf = gst_sample_get_buffer(sample);
    fail_unless(screen.play(buffer_text(buf)), "%s", screen.error().c_str());
    frames++;
    whole += is_delta(buf) ? 0 : 1;
    gst_sample_unref(sample);
  }
  GstSample* last = nullptr;
  while (GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(cells), 0)) {
    if (last) gst_sample_unref(last);
    last = sample;
  }
  fail_unless(last != nullptr);
  // The EOS tail moves the cursor; the picture stays.
  const AnsiSymbols symbols = std::string(variant.symbols) == "octant" ? AnsiSymbols::kOctant : AnsiSymbols::kSextant;
  fail_unless(screen.same_as(drawn_whole(gst_sample_get_buffer(last), symbols)));
  if (symbols == AnsiSymbols::kOctant) {
    int octants = 0;  // Unicode 16's own octant characters on the screen
    for (int i = 0; i < kCols * kRows; i++) {
      const std::uint32_t cp = screen.seen(i / kCols, i % kCols).codepoint;
      octants += cp >= 0x1CD00 && cp <= 0x1CDE5;
    }
    fail_unless(octants > 0, "no octant characters drawn");
  }
  fail_unless(frames > 30, "only %d frames", frames);
  fail_unless_equals_int(whole, 1);
  gst_sample_unref(last);
  gst_object_unref(bus);
  gst_object_unref(cells);
  gst_object_unref(ansi);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite* ansienc_suite(void) {
  Suite* s = suite_create("asciiansienc");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_deltas_and_whole_pictures);
  tcase_add_test(tc, test_request_for_whole_picture);
  tcase_add_test(tc, test_asciline_cells_and_colours);
  tcase_add_test(tc, test_wrong_size_is_an_error);
  tcase_add_loop_test(tc, test_from_asciimap, 0, G_N_ELEMENTS(kFromAsciimap));
  return s;
}

GST_CHECK_MAIN(ansienc);
