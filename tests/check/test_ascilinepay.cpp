// ascilinepay: caps and streamheader, INIT in-band, text and binary messages, frame indices from
// running time, renegotiation, and bad input.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstharness.h>

#include <string>

#include "asciline_wire.h"
#include "test_util.h"

static const char* kCells30 = "application/x-ascii-cells,cols=3,rows=2,framerate=30/1,mode=3,layout=crgb";

static GstBuffer* cells_buffer(int n_cells, std::uint8_t ch, GstClockTime pts) {
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, gsize(n_cells) * 4, nullptr);
  {
    gstascii::MappedBuffer map(buf, GST_MAP_WRITE);
    for (int i = 0; i < n_cells; ++i) {
      map.info.data[4 * i] = ch;
      map.info.data[4 * i + 1] = std::uint8_t(i);
      map.info.data[4 * i + 2] = 2;
      map.info.data[4 * i + 3] = 3;
    }
  }
  GST_BUFFER_PTS(buf) = pts;
  return buf;
}

static std::string buffer_string(GstBuffer* buf) {
  std::string s(gst_buffer_get_size(buf), '\0');
  gst_buffer_extract(buf, 0, s.data(), s.size());
  return s;
}

static GstHarness* pay_harness(const char* caps) {
  GstHarness* h = gst_harness_new("ascilinepay");
  gst_harness_set_src_caps_str(h, caps);
  return h;
}

GST_START_TEST(test_caps_and_init) {
  GstHarness* h = pay_harness(kCells30);
  fail_unless_equals_int(gst_harness_push(h, cells_buffer(6, 'x', 0)), GST_FLOW_OK);

  GstCaps* caps = gst_pad_get_current_caps(h->sinkpad);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  fail_unless(gst_structure_has_name(s, "application/x-asciline"));
  fail_unless_equals_int(caps_int(caps, "cols"), 3);
  fail_unless_equals_int(caps_int(caps, "rows"), 2);
  fail_unless_equals_int(caps_int(caps, "mode"), 3);
  gint n = 0, d = 0;
  fail_unless(gst_structure_get_fraction(s, "framerate", &n, &d));
  fail_unless(n == 30 && d == 1);
  const GValue* headers = gst_structure_get_value(s, "streamheader");
  fail_unless(headers != nullptr && gst_value_array_get_size(headers) == 1);
  GstBuffer* header = gst_value_get_buffer(gst_value_array_get_value(headers, 0));
  fail_unless(GST_BUFFER_FLAG_IS_SET(header, GST_ASCILINE_BUFFER_FLAG_TEXT));
  // A harness source is live (its latency query answers so): the full INIT says live, no duration.
  const std::string init = buffer_string(header);
  fail_unless(init.rfind("INIT:30.0:3:3:2:0:0:", 0) == 0, "%s", init.c_str());
  fail_unless(gstascii::parse_init(init).has_value());
  gst_caps_unref(caps);

  // In-band: INIT first (HEADER + TEXT), then the frame (binary).
  GstBuffer* first = gst_harness_pull(h);
  fail_unless(GST_BUFFER_FLAG_IS_SET(first, GST_BUFFER_FLAG_HEADER));
  fail_unless(GST_BUFFER_FLAG_IS_SET(first, GST_ASCILINE_BUFFER_FLAG_TEXT));
  fail_unless(buffer_string(first) == init);
  gst_buffer_unref(first);
  GstBuffer* frame = gst_harness_pull(h);
  fail_if(GST_BUFFER_FLAG_IS_SET(frame, GST_ASCILINE_BUFFER_FLAG_TEXT));
  fail_if(GST_BUFFER_FLAG_IS_SET(frame, GST_BUFFER_FLAG_HEADER));
  const std::string bytes = buffer_string(frame);
  fail_unless_equals_int(bytes.size(), 4 + 6 * 4);
  fail_unless(bytes.substr(0, 4) == std::string("\0\0\0\0", 4));
  fail_unless_equals_int(bytes[4], 'x');
  fail_unless_equals_int(bytes[4 + 4 * 5 + 1], 5);
  gst_buffer_unref(frame);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_seed_init_form) {
  GstHarness* h = pay_harness("application/x-ascii-cells,cols=200,rows=84,framerate=30/1,mode=3,layout=crgb");
  g_object_set(h->element, "init-form", 0 /* seed */, nullptr);
  fail_unless_equals_int(gst_harness_push(h, cells_buffer(200 * 84, 'a', 0)), GST_FLOW_OK);
  GstBuffer* init = gst_harness_pull(h);
  fail_unless(buffer_string(init) == "INIT:30.0:3:200:84:0", "%s", buffer_string(init).c_str());
  gst_buffer_unref(init);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_text_frames) {
  GstHarness* h = pay_harness("application/x-ascii-cells,cols=3,rows=2,framerate=25/1,mode=1,layout=crgb");
  fail_unless_equals_int(gst_harness_push(h, cells_buffer(6, '#', 2 * GST_SECOND / 25)), GST_FLOW_OK);
  gst_buffer_unref(gst_harness_pull(h));  // INIT
  GstBuffer* frame = gst_harness_pull(h);
  fail_unless(GST_BUFFER_FLAG_IS_SET(frame, GST_ASCILINE_BUFFER_FLAG_TEXT));
  fail_unless(buffer_string(frame) == "2\n###\n###", "%s", buffer_string(frame).c_str());
  gst_buffer_unref(frame);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_pixel_frames) {
  GstHarness* h = pay_harness(kCells30);
  g_object_set(h->element, "pixel-frames", TRUE, nullptr);
  fail_unless_equals_int(gst_harness_push(h, cells_buffer(6, 'x', 0)), GST_FLOW_OK);
  GstBuffer* init = gst_harness_pull(h);
  fail_unless(buffer_string(init).rfind("INIT:30.0:3:3:2:1:", 0) == 0, "%s", buffer_string(init).c_str());
  gst_buffer_unref(init);
  GstBuffer* frame = gst_harness_pull(h);
  const std::string bytes = buffer_string(frame);
  fail_unless_equals_int(bytes.size(), 4 + 6 * 3);
  fail_unless_equals_int(bytes[4], 3);  // B
  fail_unless_equals_int(bytes[5], 2);  // G
  fail_unless_equals_int(bytes[6], 0);  // R of cell 0
  fail_if(GST_BUFFER_FLAG_IS_SET(frame, GST_ASCILINE_BUFFER_FLAG_TEXT));
  gst_buffer_unref(frame);
  gst_harness_teardown(h);
}
GST_END_TEST;

static guint32 pull_index(GstHarness* h) {
  GstBuffer* b = gst_harness_pull(h);
  std::uint8_t head[4];
  gst_buffer_extract(b, 0, head, 4);
  gst_buffer_unref(b);
  return gstascii::read_u32be(head);
}

GST_START_TEST(test_frame_index_from_running_time) {
  // 30000/1001 fps with gaps: the index is round(running time x fps), not a counter.
  GstHarness* h = pay_harness("application/x-ascii-cells,cols=3,rows=2,framerate=30000/1001,mode=3,layout=crgb");
  const guint64 frames[] = {0, 1, 2, 7, 8, 100};
  for (guint64 i : frames) {
    const GstClockTime pts = gst_util_uint64_scale(i, 1001 * GST_SECOND, 30000);
    fail_unless_equals_int(gst_harness_push(h, cells_buffer(6, 'a', pts)), GST_FLOW_OK);
  }
  gst_buffer_unref(gst_harness_pull(h));  // INIT
  for (guint64 i : frames) fail_unless_equals_int(pull_index(h), i);

  // A frame that rounds to an index already sent is dropped: indices only rise within an INIT.
  fail_unless_equals_int(
      gst_harness_push(h, cells_buffer(6, 'a', gst_util_uint64_scale(100, 1001 * GST_SECOND, 30000) + GST_MSECOND)),
      GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_in_queue(h), 0);

  // A segment that starts at 10 s: running time (not the timestamp) decides the index. Its running
  // time starts again below the last frame's: a new timeline, announced by a new INIT first.
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);
  segment.start = 10 * GST_SECOND;
  segment.time = 10 * GST_SECOND;
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&segment)));
  fail_unless_equals_int(gst_harness_push(h, cells_buffer(6, 'a', 10 * GST_SECOND + GST_SECOND)), GST_FLOW_OK);
  GstBuffer* init = gst_harness_pull(h);
  fail_unless(GST_BUFFER_FLAG_IS_SET(init, GST_BUFFER_FLAG_HEADER));
  gst_buffer_unref(init);
  fail_unless_equals_int(pull_index(h), 30);  // 1 s x 29.97 = 29.97 -> 30
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_renegotiation_sends_init) {
  GstHarness* h = pay_harness(kCells30);
  gst_harness_push(h, cells_buffer(6, 'a', 0));
  gst_buffer_unref(gst_harness_pull(h));
  gst_buffer_unref(gst_harness_pull(h));
  gst_harness_set_src_caps_str(h, "application/x-ascii-cells,cols=2,rows=2,framerate=30/1,mode=2,layout=crgb");
  gst_harness_push(h, cells_buffer(4, 'b', GST_SECOND / 30));
  GstBuffer* init = gst_harness_pull(h);
  fail_unless(GST_BUFFER_FLAG_IS_SET(init, GST_BUFFER_FLAG_HEADER));
  fail_unless(buffer_string(init).rfind("INIT:30.0:2:2:2:", 0) == 0, "%s", buffer_string(init).c_str());
  gst_buffer_unref(init);
  GstBuffer* frame = gst_harness_pull(h);
  fail_unless_equals_int(gst_buffer_get_size(frame), 4 + 4 * 4);
  gst_buffer_unref(frame);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_bad_input) {
  // A cell buffer that does not match the grid is an error, not a read past its end.
  GstHarness* h = pay_harness(kCells30);
  fail_unless_equals_int(gst_harness_push(h, cells_buffer(5, 'a', 0)), GST_FLOW_ERROR);
  gst_harness_teardown(h);

  // No frame rate: refused with an error that says what to do.
  RunResult r = run_launch(
      "videotestsrc num-buffers=1 ! video/x-raw,width=8,height=8,framerate=0/1 ! asciimap ! ascilinepay ! "
      "appsink name=out");
  fail_unless(r.error.find("fixed frame rate") != std::string::npos, "%s", r.error.c_str());
}
GST_END_TEST;

GST_START_TEST(test_binary_frames_share_cell_memory) {
  // The raw frame is the 4-byte header plus the cell memory itself: no copy of the payload.
  GstHarness* h = pay_harness(kCells30);
  GstBuffer* in = cells_buffer(6, 'z', 0);
  GstMemory* cells_mem = gst_buffer_peek_memory(in, 0);
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  gst_buffer_unref(gst_harness_pull(h));  // INIT
  GstBuffer* out = gst_harness_pull(h);
  fail_unless_equals_int(gst_buffer_n_memory(out), 2);
  fail_unless(gst_buffer_peek_memory(out, 1) == cells_mem);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

static Suite* ascilinepay_suite(void) {
  Suite* s = suite_create("ascilinepay");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_caps_and_init);
  tcase_add_test(tc, test_seed_init_form);
  tcase_add_test(tc, test_text_frames);
  tcase_add_test(tc, test_pixel_frames);
  tcase_add_test(tc, test_frame_index_from_running_time);
  tcase_add_test(tc, test_renegotiation_sends_init);
  tcase_add_test(tc, test_bad_input);
  tcase_add_test(tc, test_binary_frames_share_cell_memory);
  return s;
}

GST_CHECK_MAIN(ascilinepay);
