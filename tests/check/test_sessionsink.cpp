// sessionsink in-process, as gst-launch and applications use it: files made with real encoders
// (openh264 here, libx264 with B-frames through ffmpeg), recorded through
// filesrc ! tsdemux ! h264parse ! sessionsink (and aacparse ! sessionsink.audio), then the element
// messages asserted one by one against the session folder they describe.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "child_process.h"
#include "session_files.h"
#include "session_recording.h"
#include "temp_dir.h"

namespace {

// The segments: messages and segments.json agree, one after another from 0, each plays alone;
// returns the time they cover.
double expect_segments(const Recording& r, const std::string& dir) {
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonArray* listed = load_array(dir + "/stream/segments.json", parser);
  fail_unless_equals_int(json_array_get_length(listed), r.segments.size());
  fail_unless_equals_int(r.n_segments, r.segments.size());
  double previous_end = 0.0;
  for (guint i = 0; i < r.segments.size(); i++) {
    const GstStructure* m = r.segments[i];
    JsonObject* seg = json_array_get_object_element(listed, i);
    char name[32];
    g_snprintf(name, sizeof name, "segment_%05u.ts", i + 1);
    fail_unless_equals_string(gst_structure_get_string(m, "name"), name);
    fail_unless_equals_string(json_object_get_string_member(seg, "name"), name);
    fail_unless_equals_string(json_object_get_string_member(seg, "path"), gst_structure_get_string(m, "location"));
    fail_unless(json_object_get_double_member(seg, "start") == dbl(m, "start"));
    fail_unless(json_object_get_double_member(seg, "end") == dbl(m, "end"));
    fail_unless(std::fabs(dbl(m, "start") - previous_end) < 1e-6, "segment %u starts at %.3f, the last ended at %.3f",
                i + 1, dbl(m, "start"), previous_end);
    fail_unless(dbl(m, "end") > dbl(m, "start"));
    previous_end = dbl(m, "end");
    fail_unless(decode_segment(gst_structure_get_string(m, "location")) > 0, "%s does not play alone", name);
  }
  return previous_end;
}

// The sound: one chunk a segment with exactly its bounds, as many samples, and the tone in it.
void expect_chunks(const Recording& r, const std::string& dir) {
  g_autoptr(JsonParser) parser = json_parser_new();
  fail_unless(json_parser_load_from_file(parser, (dir + "/transcript/audio.json").c_str(), nullptr));
  JsonObject* audio = json_node_get_object(json_parser_get_root(parser));
  fail_unless(json_object_get_boolean_member(audio, "has_audio"));
  fail_unless_equals_int(json_object_get_int_member(audio, "sample_rate"), 16000);
  JsonArray* chunks = json_object_get_array_member(audio, "chunks");
  fail_unless_equals_int(json_array_get_length(chunks), r.segments.size());
  fail_unless_equals_int(r.n_chunks, r.segments.size());
  for (guint i = 0; i < json_array_get_length(chunks); i++) {
    JsonObject* c = json_array_get_object_element(chunks, i);
    fail_unless(json_object_get_double_member(c, "start") == dbl(r.segments[i], "start"));
    fail_unless(json_object_get_double_member(c, "end") == dbl(r.segments[i], "end"));
    const double span = json_object_get_double_member(c, "end") - json_object_get_double_member(c, "start");
    const gint64 samples = json_object_get_int_member(c, "samples");
    fail_unless(std::llabs(samples - std::llround(span * 16000)) <= 1, "chunk %u: %" G_GINT64_FORMAT " samples", i,
                samples);
    g_autofree gchar* wav = nullptr;
    gsize size = 0;
    fail_unless(g_file_get_contents(json_object_get_string_member(c, "path"), &wav, &size, nullptr));
    fail_unless(size == 44 + gsize(samples) * 2 && memcmp(wav, "RIFF", 4) == 0 && memcmp(wav + 8, "WAVE", 4) == 0);
    // The tone is there (after the first chunk's start, where the decoder warms up).
    const auto* pcm = reinterpret_cast<const std::int16_t*>(wav + 44);
    double sum = 0;
    for (gint64 k = samples / 2; k < samples; k++) sum += double(pcm[k]) * pcm[k];
    const double rms = std::sqrt(sum / double(samples - samples / 2)) / 32768.0;
    fail_unless(rms > 0.1, "chunk %u is silent (RMS %.3f)", i, rms);
  }
}

// The frames: messages and index.json agree; each has its JPEG and its text |cols| wide.
void expect_frames(const Recording& r, const std::string& dir, int cols) {
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonArray* listed = load_array(dir + "/frames/index.json", parser);
  fail_unless_equals_int(json_array_get_length(listed), r.frames.size());
  fail_unless_equals_int(r.n_frames, r.frames.size());
  for (guint i = 0; i < r.frames.size(); i++) {
    const GstStructure* m = r.frames[i];
    JsonObject* f = json_array_get_object_element(listed, i);
    char id[16];
    g_snprintf(id, sizeof id, "F%04u", i + 1);
    fail_unless_equals_string(gst_structure_get_string(m, "id"), id);
    fail_unless_equals_string(json_object_get_string_member(f, "id"), id);
    fail_unless(json_object_get_double_member(f, "timestamp") == dbl(m, "timestamp"));
    fail_unless_equals_string(json_object_get_string_member(f, "reason"), gst_structure_get_string(m, "reason"));
    fail_unless(!json_object_get_boolean_member(f, "sent_to_agent"));
    fail_unless(g_file_test(gst_structure_get_string(m, "location"), G_FILE_TEST_IS_REGULAR), "%s.jpg", id);
    g_autofree gchar* text = nullptr;
    fail_unless(g_file_get_contents(gst_structure_get_string(m, "text-location"), &text, nullptr, nullptr));
    fail_unless_equals_int(strcspn(text, "\n"), cols);
  }
}

}  // namespace

// Five unlike parts, 2 s each, with sound: a still picture, steady motion (a moving ball), noise
// (snow), then two still pictures. Cuts at 2, 4, 6 and 8 s, none inside the motion or the noise.
GST_START_TEST(test_scene_frames_segments_and_sound) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/talk.ts", dir = tmp.path() + "/sessions/talk";
  const std::vector<std::string> parts = {"pinwheel", "ball", "snow", "checkers-8", "zone-plate"};
  make_stream(ts, parts, 60, true);
  Recording r;
  record(ts, dir, true, &r, [](GstElement* sink) {
    g_object_set(sink, "segment-duration", 2 * GST_SECOND, "max-interval", 60 * GST_SECOND, "min-gap", GST_SECOND,
                 nullptr);
  });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  for (const char* sub : {"stream", "frames", "transcript", "agent"})
    fail_unless(g_file_test((dir + "/" + sub).c_str(), G_FILE_TEST_IS_DIR), "no %s/", sub);

  fail_unless_equals_int(r.frames.size(), parts.size());
  fail_unless_equals_string(gst_structure_get_string(r.frames[0], "reason"), "first");
  fail_unless(dbl(r.frames[0], "timestamp") == 0.0);
  for (size_t i = 1; i < r.frames.size(); i++) {
    fail_unless_equals_string(gst_structure_get_string(r.frames[i], "reason"), "scene");
    const double t = dbl(r.frames[i], "timestamp");
    fail_unless(std::fabs(t - 2.0 * i) <= 1.0 / 30 + 1e-6, "cut %zu at %.3f s, made at %.3f s", i, t, 2.0 * i);
  }
  expect_frames(r, dir, 120);
  const double covered = expect_segments(r, dir);
  fail_unless(r.segments.size() >= 3, "%zu segments", r.segments.size());
  // 10 s sent; the last segment ends with the last picture's start (within one GOP, 0.5 s).
  fail_unless(std::fabs(covered - 10.0) <= 0.5, "segments cover %.3f s of 10", covered);
  expect_chunks(r, dir);
  fail_unless(r.warnings.empty(), "warning: %s", r.warnings.empty() ? "" : r.warnings[0].c_str());
}
GST_END_TEST;

// 30 s of one still picture: the max-interval rule gives a frame every 5 s, the first included.
GST_START_TEST(test_max_interval_on_a_still_picture) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/still.ts", dir = tmp.path() + "/still";
  make_stream(ts, {"pinwheel"}, 30 * 30, false);
  Recording r;
  record(ts, dir, false, &r, [](GstElement* sink) { g_object_set(sink, "max-interval", 5 * GST_SECOND, nullptr); });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  fail_unless_equals_int(r.frames.size(), 6);
  for (guint i = 0; i < 6; i++) {
    const double t = dbl(r.frames[i], "timestamp");
    fail_unless(std::fabs(t - 5.0 * i) <= 1.0 / 30 + 1e-6, "frame %u at %.3f s", i + 1, t);
    fail_unless_equals_string(gst_structure_get_string(r.frames[i], "reason"), i == 0 ? "first" : "interval");
  }
  expect_frames(r, dir, 120);
  expect_segments(r, dir);
  // No sound pad: audio.json says there was none, once the session is over.
  g_autoptr(JsonParser) audio_parser = json_parser_new();
  fail_unless(json_parser_load_from_file(audio_parser, (dir + "/transcript/audio.json").c_str(), nullptr));
  JsonObject* audio = json_node_get_object(json_parser_get_root(audio_parser));
  fail_if(json_object_get_boolean_member(audio, "has_audio"));
  fail_unless_equals_string(json_object_get_string_member(audio, "note"), "the stream had no audio");
}
GST_END_TEST;

// What ffmpeg makes by default: libx264 with B-frames (pictures shown in another order than sent)
// and AAC. Session time 0 is the first thing received; segments and chunks still line up.
GST_START_TEST(test_ffmpeg_file_with_b_frames) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/phone.ts", dir = tmp.path() + "/phone";
  ChildProcess ffmpeg({"ffmpeg",    "-hide_banner",
                       "-loglevel", "error",
                       "-nostdin",  "-y",
                       "-f",        "lavfi",
                       "-i",        "testsrc2=size=640x360:rate=30",
                       "-f",        "lavfi",
                       "-i",        "sine=frequency=440:sample_rate=48000",
                       "-t",        "6",
                       "-af",       "volume=4",
                       "-c:v",      "libx264",
                       "-bf",       "2",
                       "-g",        "30",
                       "-pix_fmt",  "yuv420p",
                       "-c:a",      "aac",
                       "-f",        "mpegts",
                       ts});
  const int status = ffmpeg.wait_exit(120000);
  fail_unless(status == 0, "ffmpeg could not make the file (exit %d): %s", status, ffmpeg.output().c_str());
  Recording r;
  record(ts, dir, true, &r,
         [](GstElement* sink) { g_object_set(sink, "segment-duration", 2 * GST_SECOND, "ascii-cols", 80, nullptr); });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  fail_unless(r.frames.size() >= 1);
  fail_unless(std::fabs(dbl(r.frames[0], "timestamp")) < 0.2, "the first frame at %.3f s",
              dbl(r.frames[0], "timestamp"));
  expect_frames(r, dir, 80);
  const double covered = expect_segments(r, dir);
  fail_unless(r.segments.size() >= 2);
  fail_unless(std::fabs(covered - 6.0) <= 0.5, "segments cover %.3f s of 6", covered);
  expect_chunks(r, dir);
}
GST_END_TEST;

// Every picture is picked (max-interval 1 ns, 640 x 360 noise, faster than real time); with room
// for one frame in the queue, frames are dropped (and said) rather than holding the recording
// back: every pick is either written and listed or counted as dropped, and the segments still
// cover the whole stream.
GST_START_TEST(test_frame_queue_is_bounded) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/snow.ts", dir = tmp.path() + "/snow";
  make_stream(ts, {"snow"}, 120, false, 640, 360);
  Recording r;
  record(ts, dir, false, &r, [](GstElement* sink) {
    g_object_set(sink, "max-interval", G_GUINT64_CONSTANT(1), "min-gap", G_GUINT64_CONSTANT(0), "max-pending-frames", 1,
                 "segment-duration", 2 * GST_SECOND, nullptr);
  });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  g_print("sessionsink: %d pictures picked, %u written, %" G_GUINT64_FORMAT " dropped\n", r.picked, r.n_frames,
          r.dropped);
  fail_unless(r.picked >= 100, "only %d pictures picked", r.picked);
  fail_unless_equals_int(guint64(r.n_frames) + r.dropped, r.picked);
  fail_unless(r.dropped > 0, "nothing was dropped: the queue never filled");
  fail_unless(!r.warnings.empty(), "a dropped frame is said");
  expect_frames(r, dir, 120);
  const double covered = expect_segments(r, dir);
  fail_unless(std::fabs(covered - 4.0) <= 0.5, "segments cover %.3f s of 4", covered);
}
GST_END_TEST;

// The decoded pictures for a preview, from the recorder's own decoder.
GST_START_TEST(test_decoded_pad) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/ball.ts";
  make_stream(ts, {"ball"}, 45, false);
  GstElement* pipeline = gst_parse_launch(
      "filesrc name=in ! tsdemux ! h264parse ! sessionsink name=s s.decoded ! appsink name=preview sync=false",
      nullptr);
  GstElement* in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "s");
  GstElement* preview = gst_bin_get_by_name(GST_BIN(pipeline), "preview");
  g_object_set(in, "location", ts.c_str(), nullptr);
  g_object_set(sink, "location", (tmp.path() + "/s").c_str(), nullptr);
  g_object_set(preview, "max-buffers", 0, nullptr);
  int pictures = 0;
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = [](GstAppSink* s, gpointer data) -> GstFlowReturn {
    GstSample* sample = gst_app_sink_pull_sample(s);
    const GstStructure* caps = gst_caps_get_structure(gst_sample_get_caps(sample), 0);
    fail_unless_equals_string(gst_structure_get_string(caps, "format"), "I420");
    (*static_cast<int*>(data))++;
    gst_sample_unref(sample);
    return GST_FLOW_OK;
  };
  gst_app_sink_set_callbacks(GST_APP_SINK(preview), &callbacks, &pictures, nullptr);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  // The queue is leaky: a slow consumer loses pictures; this one keeps up with most.
  fail_unless(pictures >= 20, "%d decoded pictures", pictures);
  for (GstElement* e : {in, sink, preview, pipeline}) gst_object_unref(e);
  gst_object_unref(bus);
}
GST_END_TEST;

// No location, and one that cannot be made: a clear error at start, nothing half made.
GST_START_TEST(test_bad_locations) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/x.ts";
  make_stream(ts, {"ball"}, 10, false);
  Recording none;
  record(ts, "", false, &none);
  fail_unless(none.error.find("set the location property") != std::string::npos, "%s", none.error.c_str());
  // A folder inside a file cannot be made.
  Recording inside_file;
  record(ts, ts + "/session", false, &inside_file);
  fail_unless(inside_file.error.find("cannot create") != std::string::npos, "%s", inside_file.error.c_str());
  fail_unless_equals_int(inside_file.n_segments, 0);
}
GST_END_TEST;

// One element, two sessions: each run starts its own session time at 0 and writes its frames.
GST_START_TEST(test_element_reused) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/still.ts";
  make_stream(ts, {"pinwheel"}, 90, false);
  // tsdemux makes new pads on each run: link them here, as an application does.
  GstElement* pipeline =
      gst_parse_launch("filesrc name=in ! tsdemux name=d h264parse name=p ! sessionsink name=s", nullptr);
  GstElement* in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "s");
  GstElement* demux = gst_bin_get_by_name(GST_BIN(pipeline), "d");
  GstElement* parse = gst_bin_get_by_name(GST_BIN(pipeline), "p");
  g_signal_connect(demux, "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, GstElement* p) {
                     GstPad* sinkpad = gst_element_get_static_pad(p, "sink");
                     if (!gst_pad_is_linked(sinkpad)) gst_pad_link(pad, sinkpad);
                     gst_object_unref(sinkpad);
                   }),
                   parse);
  g_object_set(in, "location", ts.c_str(), nullptr);
  g_object_set(sink, "max-interval", GST_SECOND, nullptr);
  GstBus* bus = gst_element_get_bus(pipeline);
  for (const char* name : {"first", "second"}) {
    const std::string dir = tmp.path() + "/" + name;
    g_object_set(sink, "location", dir.c_str(), nullptr);
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    GstMessage* msg =
        gst_bus_timed_pop_filtered(bus, 60 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    GError* error = nullptr;
    gchar* debug = nullptr;
    if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) gst_message_parse_error(msg, &error, &debug);
    fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "%s run did not end: %s (%s)", name,
                error ? error->message : "no message", debug ? debug : "");
    gst_message_unref(msg);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonArray* frames = load_array(dir + "/frames/index.json", parser);
    fail_unless_equals_int(json_array_get_length(frames), 3);  // 0, 1 and 2 s
    for (guint i = 0; i < 3; i++) {
      const double t = json_object_get_double_member(json_array_get_object_element(frames, i), "timestamp");
      fail_unless(std::fabs(t - i) <= 1.0 / 30 + 1e-6, "%s run: frame %u at %.3f s", name, i + 1, t);
    }
  }
  for (GstElement* e : {in, sink, demux, parse, pipeline}) gst_object_unref(e);
  gst_object_unref(bus);
}
GST_END_TEST;

// Request pads: the sound input and the decoded pictures, released cleanly with what they added.
GST_START_TEST(test_request_and_release_pads) {
  GstElement* sink = gst_element_factory_make("sessionsink", nullptr);
  fail_unless(sink != nullptr);
  const int children = int(GST_BIN_NUMCHILDREN(sink));
  GstPad* audio = gst_element_request_pad_simple(sink, "audio");
  fail_unless(audio != nullptr);
  GstPad* decoded = gst_element_request_pad_simple(sink, "decoded");
  fail_unless(decoded != nullptr);
  fail_unless(int(GST_BIN_NUMCHILDREN(sink)) > children);
  gst_element_release_request_pad(sink, audio);
  gst_element_release_request_pad(sink, decoded);
  gst_object_unref(audio);
  gst_object_unref(decoded);
  fail_unless_equals_int(GST_BIN_NUMCHILDREN(sink), children);
  fail_unless_equals_int(sink->numpads, 1);  // video
  // And asked for again.
  GstPad* again = gst_element_request_pad_simple(sink, "audio");
  fail_unless(again != nullptr);
  gst_object_unref(again);
  gst_object_unref(sink);
}
GST_END_TEST;

static Suite* sessionsink_suite() {
  Suite* s = suite_create("sessionsink");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 180);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_scene_frames_segments_and_sound);
  tcase_add_test(tc, test_max_interval_on_a_still_picture);
  tcase_add_test(tc, test_ffmpeg_file_with_b_frames);
  tcase_add_test(tc, test_frame_queue_is_bounded);
  tcase_add_test(tc, test_decoded_pad);
  tcase_add_test(tc, test_bad_locations);
  tcase_add_test(tc, test_request_and_release_pads);
  tcase_add_test(tc, test_element_reused);
  return s;
}

GST_CHECK_MAIN(sessionsink);
