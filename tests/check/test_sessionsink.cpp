// sessionsink in-process, as gst-launch and applications use it: files made with real encoders
// (openh264 here, libx264 with B-frames through ffmpeg), recorded through
// filesrc ! tsdemux ! h264parse ! sessionsink (and aacparse ! sessionsink.audio), then the element
// messages asserted one by one against the session folder they describe.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "http_listener.h"
#include "session_files.h"
#include "temp_dir.h"
#include "text_accuracy.h"
#include "transcription_server.h"

namespace {

// Encodes |patterns| (each |frames| pictures of |width| x |height| at 30 fps, one after the other),
// with a 440 Hz tone in AAC when |audio|, as H.264 in MPEG-TS at |path|, as fast as it goes.
void make_stream(const std::string& path, const std::vector<std::string>& patterns, int frames, bool audio,
                 int width = 320, int height = 180) {
  std::string description =
      "mpegtsmux name=mux ! filesink name=out "
      "concat name=c ! videoconvert ! openh264enc gop-size=15 ! h264parse ! mux. ";
  for (const auto& p : patterns) {
    description += "videotestsrc pattern=" + p + " num-buffers=" + std::to_string(frames) +
                   " ! video/x-raw,width=" + std::to_string(width) + ",height=" + std::to_string(height) +
                   ",framerate=30/1 ! c. ";
  }
  if (audio) {
    const int buffers = int(std::ceil(patterns.size() * frames / 30.0 * 48000 / 1024));
    description += "audiotestsrc freq=440 volume=0.5 samplesperbuffer=1024 num-buffers=" + std::to_string(buffers) +
                   " ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! avenc_aac ! aacparse ! queue ! mux. ";
  }
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr, "encoder: %s", error ? error->message : "");
  GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  g_object_set(out, "location", path.c_str(), nullptr);
  gst_object_unref(out);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "the test stream could not be made");
  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

// What recording a file gave: the element messages in order, and the sink's counters.
struct Recording {
  std::vector<GstStructure*> segments, frames;  // sessionsink-segment-closed, -frame-saved
  int picked = 0;                               // scenecut's messages: pictures it picked
  std::vector<std::string> warnings;
  std::string error;  // the first error, if any
  guint n_segments = 0, n_frames = 0, n_chunks = 0;
  guint64 dropped = 0;
  ~Recording() {
    for (auto* s : segments) gst_structure_free(s);
    for (auto* s : frames) gst_structure_free(s);
  }
};

// filesrc ! tsdemux ! h264parse ! sessionsink (aacparse ! sessionsink.audio when |audio|), to EOS.
// |configure| sets the sink's properties; |ready| runs once the session is open (READY).
void record(const std::string& ts, const std::string& location, bool audio, Recording* r,
            const std::function<void(GstElement*)>& configure = {},
            const std::function<void(GstElement*)>& ready = {}) {
  GError* error = nullptr;
  GstElement* pipeline =
      gst_parse_launch(audio ? "filesrc name=in ! tsdemux name=d d. ! queue ! h264parse ! sessionsink name=s "
                               "d. ! queue ! aacparse ! s.audio"
                             : "filesrc name=in ! tsdemux name=d d. ! queue ! h264parse ! sessionsink name=s",
                       &error);
  fail_unless(pipeline != nullptr, "%s", error ? error->message : "");
  GstElement* in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "s");
  g_object_set(in, "location", ts.c_str(), nullptr);
  g_object_set(sink, "location", location.c_str(), nullptr);
  if (configure) configure(sink);
  GstBus* bus = gst_element_get_bus(pipeline);
  if (gst_element_set_state(pipeline, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE) {
    if (ready) ready(sink);
  }
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE) {
    for (;;) {
      GstMessage* msg = gst_bus_timed_pop(bus, 120 * GST_SECOND);
      fail_unless(msg != nullptr, "the recording did not end");
      const GstMessageType type = GST_MESSAGE_TYPE(msg);
      if (type == GST_MESSAGE_ELEMENT) {
        const GstStructure* s = gst_message_get_structure(msg);
        if (gst_structure_has_name(s, "sessionsink-segment-closed")) r->segments.push_back(gst_structure_copy(s));
        if (gst_structure_has_name(s, "sessionsink-frame-saved")) r->frames.push_back(gst_structure_copy(s));
        if (gst_structure_has_name(s, "scenecut")) r->picked++;
      } else if (type == GST_MESSAGE_WARNING) {
        GError* w = nullptr;
        gst_message_parse_warning(msg, &w, nullptr);
        r->warnings.push_back(w->message);
        g_error_free(w);
      }
      const bool done = type == GST_MESSAGE_EOS || type == GST_MESSAGE_ERROR;
      if (type == GST_MESSAGE_ERROR) {
        GError* e = nullptr;
        gst_message_parse_error(msg, &e, nullptr);
        r->error = e->message;
        g_error_free(e);
      }
      gst_message_unref(msg);
      if (done) break;
    }
  } else {
    GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (msg) {
      GError* e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      r->error = e->message;
      g_error_free(e);
      gst_message_unref(msg);
    }
    if (r->error.empty()) r->error = "(no error message)";
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  g_object_get(sink, "segments", &r->n_segments, "frames", &r->n_frames, "audio-chunks", &r->n_chunks, "frames-dropped",
               &r->dropped, nullptr);
  gst_object_unref(sink);
  gst_object_unref(in);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

double dbl(const GstStructure* s, const char* field) {
  double v = 0;
  fail_unless(gst_structure_get_double(s, field, &v), "no %s in %" GST_PTR_FORMAT, field, s);
  return v;
}

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

// |text| split at newlines, without them (a last line without one included).
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  for (size_t end; (end = text.find('\n', pos)) != std::string::npos; pos = end + 1)
    lines.push_back(text.substr(pos, end - pos));
  if (pos < text.size()) lines.push_back(text.substr(pos));
  return lines;
}

// The events of an SSE body (de-chunked): id -> data line.
std::vector<std::pair<guint64, std::string>> sse_events(const std::vector<uint8_t>& body) {
  std::vector<std::pair<guint64, std::string>> events;
  const std::string text(body.begin(), body.end());
  size_t pos = 0;
  for (size_t end; (end = text.find("\n\n", pos)) != std::string::npos; pos = end + 2) {
    guint64 id = 0;
    std::string data;
    for (const std::string& line : split_lines(text.substr(pos, end - pos))) {
      if (line.rfind("id: ", 0) == 0) id = g_ascii_strtoull(line.c_str() + 4, nullptr, 10);
      if (line.rfind("data: ", 0) == 0) data = line.substr(6);
    }
    if (!data.empty()) events.emplace_back(id, data);
  }
  return events;
}

// Reads |l| on a thread of its own until the response or the connection ends (at most |ms|).
std::thread follow(Listener* l, int ms) {
  return std::thread([l, ms] {
    const gint64 deadline = g_get_monotonic_time() + gint64(ms) * 1000;
    bool complete = false;
    while (!l->closed && !complete && g_get_monotonic_time() < deadline) {
      l->read_for(200);
      l->body(&complete);
    }
  });
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

// The event timeline: session.jsonl has one valid line for each thing that happened (the session's
// start, each segment and frame, 2000 events of the application's, the end), numbered in order; two
// followers of /events get exactly those lines while a third, which never reads, holds no one back
// and is bounded; a follower that returns with Last-Event-ID gets what came after it, and one
// whose id is from an earlier session gets them all.
GST_START_TEST(test_event_timeline) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/talk.ts", dir = tmp.path() + "/talk";
  make_stream(ts, {"pinwheel", "ball", "snow"}, 60, true);
  // The plugin's GstAsciiServer, as an application that does not link gst-ascii makes one; the
  // sink starts it.
  gst_object_unref(gst_object_ref_sink(gst_element_factory_make("sessionsink", nullptr)));  // loads the plugin
  const GType server_type = g_type_from_name("GstAsciiServer");
  fail_unless(server_type != 0);
  GstObject* server =
      GST_OBJECT(gst_object_ref_sink(g_object_new(server_type, "host", "127.0.0.1", "port", 0, nullptr)));
  constexpr int kAppEvents = 2000;
  std::unique_ptr<Listener> a, b, stalled, returning, stale;
  std::vector<std::thread> readers;
  Recording r;
  record(
      ts, dir, true, &r,
      [&](GstElement* sink) {
        g_object_set(sink, "segment-duration", 2 * GST_SECOND, "events-server", server, nullptr);
      },
      [&](GstElement* sink) {
        guint port = 0;
        g_object_get(server, "port", &port, nullptr);
        fail_unless(port != 0, "the sink did not start the events server");
        a = std::make_unique<Listener>(port, "/events");
        b = std::make_unique<Listener>(port, "/events");
        // A page left open since an earlier session, whose last id this one has not reached.
        stale = std::make_unique<Listener>(port, "/events", "Last-Event-ID: 99999\r\n");
        stalled = std::make_unique<Listener>(port, "/events", "", 4096);
        const std::string pad(1000, 'x');
        for (int i = 0; i < kAppEvents; i++) {
          GstStructure* fields = gst_structure_new("fields", "i", G_TYPE_INT, i, "pad", G_TYPE_STRING, pad.c_str(),
                                                   "ok", G_TYPE_BOOLEAN, TRUE, nullptr);
          gboolean added = FALSE;
          g_signal_emit_by_name(sink, "add-event", "app", fields, &added);
          gst_structure_free(fields);
          fail_unless(added);
        }
        returning = std::make_unique<Listener>(port, "/events", "Last-Event-ID: 1990\r\n");
        for (Listener* l : {a.get(), b.get(), stale.get(), returning.get()}) readers.push_back(follow(l, 60000));
      });
  for (auto& t : readers) t.join();
  fail_unless(r.error.empty(), "%s", r.error.c_str());

  // The file: every line parses, numbered 1, 2, ... in order.
  g_autofree gchar* text = nullptr;
  fail_unless(g_file_get_contents((dir + "/session.jsonl").c_str(), &text, nullptr, nullptr));
  const std::vector<std::string> lines = split_lines(text);
  std::map<std::string, int> types;
  for (size_t i = 0; i < lines.size(); i++) {
    g_autoptr(JsonParser) parser = json_parser_new();
    fail_unless(json_parser_load_from_data(parser, lines[i].c_str(), -1, nullptr), "line %zu: %s", i + 1,
                lines[i].c_str());
    JsonObject* e = json_node_get_object(json_parser_get_root(parser));
    fail_unless_equals_int(json_object_get_int_member(e, "seq"), i + 1);
    const std::string type = json_object_get_string_member(e, "type");
    types[type]++;
    if (type == "app") {
      fail_unless_equals_int(json_object_get_int_member(e, "i"), types[type] - 1);
      fail_unless(json_object_get_boolean_member(e, "ok"));
    }
    if (type == "frame_saved") {
      fail_unless(g_file_test(json_object_get_string_member(e, "path"), G_FILE_TEST_IS_REGULAR));
      fail_unless(g_file_test(json_object_get_string_member(e, "text_path"), G_FILE_TEST_IS_REGULAR));
    }
    if (type == "session_ended") {
      fail_unless(i + 1 == lines.size(), "session_ended is not the last line");
      fail_unless_equals_int(json_object_get_int_member(e, "segments"), r.segments.size());
      fail_unless_equals_int(json_object_get_int_member(e, "frames"), r.frames.size());
    }
  }
  fail_unless_equals_int(types["session_started"], 1);
  fail_unless_equals_int(types["segment_closed"], r.segments.size());
  fail_unless_equals_int(types["frame_saved"], r.frames.size());
  fail_unless_equals_int(types["app"], kAppEvents);
  fail_unless_equals_int(types["session_ended"], 1);
  fail_unless(r.segments.size() >= 2 && r.frames.size() >= 2);

  // The followers who read: exactly the file's lines, each once, then the end of the response.
  for (Listener* l : {a.get(), b.get(), stale.get()}) {
    fail_unless_equals_int(l->status(), 200);
    const std::string content_type = l->header("Content-Type");
    fail_unless_equals_string(content_type.c_str(), "text/event-stream");
    bool complete = false;
    const auto events = sse_events(l->body(&complete));
    fail_unless(complete, "the response did not end with the session");
    fail_unless_equals_int(events.size(), lines.size());
    for (size_t i = 0; i < events.size(); i++) {
      fail_unless_equals_int(events[i].first, i + 1);
      fail_unless(events[i].second == lines[i], "event %zu differs from line %zu", i + 1, i + 1);
    }
  }
  const auto after = sse_events(returning->body());
  fail_unless(!after.empty() && after.front().first == 1991, "a returning follower starts at %" G_GUINT64_FORMAT,
              after.empty() ? 0 : after.front().first);
  fail_unless_equals_int(after.size(), lines.size() - 1990);
  // The one who never read was cut off at the end, having been sent a bounded part.
  stalled->read_for(5000);
  while (!stalled->closed && stalled->read_for(1000)) {
  }
  fail_unless(stalled->closed, "the stalled follower's connection is still open");
  fail_unless(stalled->raw.size() < gsize(kAppEvents) * 1000 / 2, "the stalled follower was sent %zu bytes",
              stalled->raw.size());
  gst_object_unref(server);
}
GST_END_TEST;

// Scene frames faster than their text can be read (a file recorded as fast as it decodes, a cut
// every 0.2 s): the reader's queue pushes the oldest out, listed as dropped with a note, so the
// recording is never held back; the newest is read; every frame reaches the timeline once.
GST_START_TEST(test_slide_text_backlog) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/burst.ts", dir = tmp.path() + "/burst";
  const std::vector<std::string> parts = {"snow", "checkers-8", "zone-plate", "smpte",
                                          "snow", "circular",   "spokes",     "checkers-4"};
  make_stream(ts, parts, 6, false, 1280, 720);
  Recording r;
  record(ts, dir, false, &r, [](GstElement* sink) {
    g_object_set(sink, "max-interval", 60 * GST_SECOND, "min-gap", G_GUINT64_CONSTANT(0), nullptr);
  });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonArray* frames = load_array(dir + "/frames/index.json", parser);
  const guint n = json_array_get_length(frames);
  fail_unless(n >= 4, "%u frames", n);
  guint dropped = 0;
  for (guint i = 0; i < n; i++) {
    JsonObject* ocr = json_object_get_object_member(json_array_get_object_element(frames, i), "ocr");
    fail_unless(ocr != nullptr, "frame %u has no ocr entry", i + 1);
    const std::string status = json_object_get_string_member(ocr, "status");
    fail_unless(status == "done" || status == "dropped", "frame %u: %s", i + 1, status.c_str());
    if (status == "dropped") {
      dropped++;
      fail_unless(json_object_has_member(ocr, "note"));
    } else {
      fail_unless(g_file_test(json_object_get_string_member(ocr, "path"), G_FILE_TEST_IS_REGULAR));
    }
    if (i + 1 == n) fail_unless(status == "done", "the newest frame's text was not read");
  }
  fail_unless(dropped >= 1, "no frame waited long enough to be dropped (%u frames)", n);
  std::map<std::string, int> events = expect_valid_events(dir);
  fail_unless_equals_int(events["frame_saved"], n);
}
GST_END_TEST;

// A language Tesseract has no model for: said once, as a warning; the recording goes on, and each
// frame's text is listed as failed, with why.
GST_START_TEST(test_slide_text_without_a_model) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/talk.ts", dir = tmp.path() + "/talk";
  make_stream(ts, {"pinwheel", "checkers-8"}, 60, false);
  Recording r;
  record(ts, dir, false, &r, [](GstElement* sink) { g_object_set(sink, "ocr-language", "zzz", nullptr); });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  fail_unless_equals_int(r.warnings.size(), 1);
  fail_unless(r.warnings[0].find("slide text (OCR) is off") != std::string::npos, "%s", r.warnings[0].c_str());
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonArray* frames = load_array(dir + "/frames/index.json", parser);
  fail_unless_equals_int(json_array_get_length(frames), 2);
  for (guint i = 0; i < 2; i++) {
    JsonObject* ocr = json_object_get_object_member(json_array_get_object_element(frames, i), "ocr");
    fail_unless_equals_string(json_object_get_string_member(ocr, "status"), "failed");
    fail_unless(strstr(json_object_get_string_member(ocr, "note"), "zzz") != nullptr);
  }
  fail_unless_equals_int(expect_valid_events(dir)["frame_saved"], 2);
}
GST_END_TEST;

// Transcripts through a local server speaking the OpenAI endpoint: 5 chunks of 2 s, the second
// answered first with a server error, the third first too slowly (past the 1 s timeout), the
// fourth always with something that is not JSON. Each upload is a whole multipart form; the first
// three and the fifth are transcribed (segments on the session's timeline), the fourth is recorded
// as failed after 4 tries, with why; transcript.txt and the event timeline have them in order.
GST_START_TEST(test_transcripts_through_an_endpoint) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/talk.ts", dir = tmp.path() + "/talk";
  make_stream(ts, {"pinwheel", "ball", "snow", "checkers-8", "zone-plate"}, 60, true);
  TranscriptionServer server([](const std::string& chunk, int attempt) {
    TranscriptionServer::Reply r;
    r.body = "{\"text\":\" heard " + chunk +
             " \",\"segments\":[{\"id\":0,\"start\":0.25,\"end\":1.5,\"text\":\" heard " + chunk + " \"}]}";
    if (chunk == "chunk_00002.wav" && attempt == 1) r = {500, "{\"error\":\"overloaded\"}", 0};
    if (chunk == "chunk_00003.wav" && attempt == 1) r.delay_ms = 3000;
    if (chunk == "chunk_00004.wav") r.body = "<html>not json</html>";
    return r;
  });
  Recording r;
  record(ts, dir, true, &r, [&](GstElement* sink) {
    g_object_set(sink, "segment-duration", 2 * GST_SECOND, "transcribe", server.url().c_str(), "transcribe-model",
                 "test-model", "transcribe-language", "en", "transcribe-timeout", 1u, "ocr-language", "", nullptr);
  });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  for (const std::string& p : server.problems()) fail("%s", p.c_str());
  fail_unless_equals_int(r.n_chunks, 5);

  const std::vector<int> want_tries = {1, 2, 2, 4, 1};
  std::vector<std::string> heard;
  for (int i = 1; i <= 5; i++) {
    char name[32];
    g_snprintf(name, sizeof name, "chunk_%05d", i);
    const std::string wav = std::string(name) + ".wav";
    fail_unless_equals_int(server.tries(wav), want_tries[i - 1]);
    auto fields = server.fields(wav);
    fail_unless_equals_string(fields["model"].c_str(), "test-model");
    fail_unless_equals_string(fields["language"].c_str(), "en");
    GStatBuf st;
    fail_unless(g_stat((dir + "/transcript/" + wav).c_str(), &st) == 0);
    const std::string size = std::to_string(st.st_size);
    fail_unless_equals_string(fields["size"].c_str(), size.c_str());

    g_autoptr(JsonParser) parser = json_parser_new();
    fail_unless(json_parser_load_from_file(parser, (dir + "/transcript/" + name + ".json").c_str(), nullptr));
    JsonObject* t = json_node_get_object(json_parser_get_root(parser));
    fail_unless_equals_int(json_object_get_int_member(t, "attempts"), want_tries[i - 1]);
    JsonArray* segments = json_object_get_array_member(t, "segments");
    if (i == 4) {
      fail_unless_equals_string(json_object_get_string_member(t, "status"), "failed");
      fail_unless(strstr(json_object_get_string_member(t, "error"), "not JSON") != nullptr, "%s",
                  json_object_get_string_member(t, "error"));
      fail_unless_equals_int(json_array_get_length(segments), 0);
      continue;
    }
    fail_unless_equals_string(json_object_get_string_member(t, "status"), "done");
    fail_unless_equals_int(json_array_get_length(segments), 1);
    JsonObject* seg = json_array_get_object_element(segments, 0);
    const double start = json_object_get_double_member(t, "start");
    fail_unless(std::fabs(json_object_get_double_member(seg, "start") - (start + 0.25)) < 1e-6);
    fail_unless(std::fabs(json_object_get_double_member(seg, "end") - (start + 1.5)) < 1e-6);
    heard.push_back("heard " + wav);
    fail_unless_equals_string(json_object_get_string_member(seg, "text"), heard.back().c_str());
  }
  g_autofree gchar* text = nullptr;
  fail_unless(g_file_get_contents((dir + "/transcript/transcript.txt").c_str(), &text, nullptr, nullptr));
  const std::vector<std::string> lines = split_lines(text);
  fail_unless_equals_int(lines.size(), heard.size());
  for (size_t i = 0; i < lines.size(); i++) {
    fail_unless(lines[i].size() > heard[i].size() &&
                    lines[i].compare(lines[i].size() - heard[i].size(), heard[i].size(), heard[i]) == 0,
                "transcript line %zu: %s", i + 1, lines[i].c_str());
  }
  std::map<std::string, int> events = expect_valid_events(dir);
  fail_unless_equals_int(events["transcript_segment"], 4);
  fail_unless_equals_int(events["transcript_failed"], 1);
}
GST_END_TEST;

// PocketSphinx, here, on a known script spoken by espeak-ng: the words it heard and its word
// error rate are printed (PocketSphinx's small model does poorly on synthetic speech; see README).
GST_START_TEST(test_transcripts_with_pocketsphinx) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string script =
      "welcome to the quarterly results review revenue grew by fourteen percent operating costs were flat our next "
      "step is to hire two engineers";
  const std::string wav = tmp.path() + "/speech.wav", ts = tmp.path() + "/talk.ts", dir = tmp.path() + "/talk";
  run_tool({"espeak-ng", "-s", "140", "-w", wav, script}, 60000);
  run_tool({"ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x180:rate=30",
            "-i",
            wav,
            "-shortest",
            "-c:v",
            "libx264",
            "-g",
            "30",
            "-c:a",
            "aac",
            "-f",
            "mpegts",
            ts});
  Recording r;
  record(ts, dir, true, &r, [](GstElement* sink) {
    g_object_set(sink, "segment-duration", 60 * GST_SECOND, "transcribe", "sphinx", "ocr-language", "", nullptr);
  });
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  g_autoptr(JsonParser) parser = json_parser_new();
  fail_unless(json_parser_load_from_file(parser, (dir + "/transcript/chunk_00001.json").c_str(), nullptr));
  JsonObject* t = json_node_get_object(json_parser_get_root(parser));
  fail_unless_equals_string(json_object_get_string_member(t, "status"), "done");
  fail_unless_equals_string(json_object_get_string_member(t, "engine"), "pocketsphinx");
  const std::string heard = json_object_get_string_member(t, "text");
  fail_unless(!heard.empty(), "PocketSphinx heard nothing");
  const double wer = word_error_rate(script, heard);
  g_print("pocketsphinx on espeak-ng: word error rate %.0f %%\n  said:  %s\n  heard: %s\n", 100 * wer, script.c_str(),
          heard.c_str());
  fail_unless(wer < 1.0, "not one word right");
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
  tcase_add_test(tc, test_event_timeline);
  tcase_add_test(tc, test_slide_text_backlog);
  tcase_add_test(tc, test_slide_text_without_a_model);
  tcase_add_test(tc, test_transcripts_through_an_endpoint);
  tcase_add_test(tc, test_transcripts_with_pocketsphinx);
  tcase_add_test(tc, test_frame_queue_is_bounded);
  tcase_add_test(tc, test_decoded_pad);
  tcase_add_test(tc, test_bad_locations);
  tcase_add_test(tc, test_request_and_release_pads);
  tcase_add_test(tc, test_element_reused);
  return s;
}

GST_CHECK_MAIN(sessionsink);
