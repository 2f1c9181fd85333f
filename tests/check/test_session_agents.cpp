// What sessionsink gives agents, in-process: the event timeline (session.jsonl and its followers
// at /events), slide text read from the scene frames, and transcripts of the sound chunks from an
// OpenAI-compatible endpoint (a libsoup server of the test's own) or PocketSphinx. The streams are
// made with real encoders (openh264, libx264 through ffmpeg, espeak-ng's speech).
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "http_listener.h"
#include "session_files.h"
#include "session_recording.h"
#include "temp_dir.h"
#include "text_accuracy.h"
#include "transcription_server.h"

namespace {

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

// A frame's slide text as the index lists it.
struct SlideText {
  std::string status, note;
};

// A burst of scene cuts (|patterns|, 6 pictures each at 1280x720, recorded as fast as they
// decode, slide text on), stopped without EOS once |stop_after_frames| frames are saved (0: to the
// end). Each frame's text must be settled (read, its file written, or dropped with a note) and
// the frame on the timeline once, and the session ended.
std::vector<SlideText> record_burst(const std::vector<std::string>& patterns, std::size_t stop_after_frames = 0) {
  TempDir tmp("sessionsink-XXXXXX");
  const std::string ts = tmp.path() + "/burst.ts", dir = tmp.path() + "/burst";
  make_stream(ts, patterns, 6, false, 1280, 720);
  Recording r;
  record(
      ts, dir, false, &r,
      [](GstElement* sink) {
        g_object_set(sink, "max-interval", 60 * GST_SECOND, "min-gap", G_GUINT64_CONSTANT(0), nullptr);
      },
      {}, stop_after_frames);
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonArray* frames = load_array(dir + "/frames/index.json", parser);
  std::vector<SlideText> texts;
  for (guint i = 0; i < json_array_get_length(frames); i++) {
    JsonObject* ocr = json_object_get_object_member(json_array_get_object_element(frames, i), "ocr");
    fail_unless(ocr != nullptr, "frame %u has no ocr entry", i + 1);
    SlideText t{json_object_get_string_member(ocr, "status"),
                json_object_has_member(ocr, "note") ? json_object_get_string_member(ocr, "note") : ""};
    fail_unless(t.status == "done" || t.status == "dropped", "frame %u: %s", i + 1, t.status.c_str());
    if (t.status == "dropped") fail_unless(!t.note.empty(), "frame %u was dropped without a note", i + 1);
    if (t.status == "done")
      fail_unless(g_file_test(json_object_get_string_member(ocr, "path"), G_FILE_TEST_IS_REGULAR));
    texts.push_back(t);
  }
  std::map<std::string, int> events = expect_valid_events(dir);
  fail_unless_equals_int(events["frame_saved"], texts.size());
  fail_unless_equals_int(events["session_ended"], 1);
  return texts;
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
  const std::vector<SlideText> texts =
      record_burst({"snow", "checkers-8", "zone-plate", "smpte", "snow", "circular", "spokes", "checkers-4"});
  fail_unless(texts.size() >= 4, "%zu frames", texts.size());
  const auto dropped =
      std::count_if(texts.begin(), texts.end(), [](const SlideText& t) { return t.status == "dropped"; });
  fail_unless(dropped >= 1, "no frame waited long enough to be dropped (%zu frames)", texts.size());
  fail_unless(texts.back().status == "done", "the newest frame's text was not read");
}
GST_END_TEST;

// A recording stopped (READY, no EOS) while frames wait for their text: the read under way is given
// up and the frames waiting are listed as dropped, with why, rather than read while the pipeline
// waits; none is left pending, and each reaches the timeline once.
GST_START_TEST(test_slide_text_stop) {
  const std::vector<SlideText> texts =
      record_burst({"snow", "checkers-8", "zone-plate", "smpte", "snow", "circular"}, 3);
  fail_unless(texts.size() >= 3, "%zu frames", texts.size());
  const auto given_up = std::count_if(texts.begin(), texts.end(), [](const SlideText& t) {
    return t.status == "dropped" && t.note == "the recording stopped before its text was read";
  });
  fail_unless(given_up >= 1, "every one of %zu frames was read after the recording stopped", texts.size());
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

static Suite* session_agents_suite() {
  Suite* s = suite_create("session_agents");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 180);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_event_timeline);
  tcase_add_test(tc, test_slide_text_backlog);
  tcase_add_test(tc, test_slide_text_stop);
  tcase_add_test(tc, test_slide_text_without_a_model);
  tcase_add_test(tc, test_transcripts_through_an_endpoint);
  tcase_add_test(tc, test_transcripts_with_pocketsphinx);
  return s;
}

GST_CHECK_MAIN(session_agents);
