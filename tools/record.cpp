// SPDX-License-Identifier: LGPL-2.1-or-later
//
// ascii-launch record: the sessionsink element (plugins/gstsessionsink.cpp) does the recording;
// this tool adds what needs a program: the TCP listener a sender connects to and reconnects to,
// one session clock across connections, the RTSP monitor and the live ASCII preview.
//
//   ingest (SenderListener):  one pipeline per connection, its times on the session's timeline
//   session (one per run):    appsrc ! tee ! sessionsink          (appsrc ! sessionsink.audio)
//                               tee. ! leaky queue ! appsink      (the RTSP monitor, RtspMonitor)
//                               sessionsink.decoded ! appsink     (the live preview, AsciiPreview)
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "record.h"

#include <glib-unix.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "ascii_preview.h"
#include "gstasciiserver.h"
#include "rtsp_monitor.h"
#include "sender_listener.h"

namespace {

struct RecordOptions {
  IngestAddress listen;  // its host is also where the monitor and the preview listen
  std::string out = "sessions";
  double segment_seconds = 10;
  double scene_threshold = 0.3;
  double max_interval = 30;
  double min_gap = 1;
  double max_wait = 30;
  int ascii_cols = 120;
  int rtsp_port = 8554;              // 0: no monitor
  int preview_port = 0;              // 0: no ASCII preview
  std::string ocr_language = "eng";  // empty: no slide text
  std::string transcribe;            // an endpoint's URL, "sphinx", or empty: no transcripts
  std::string transcribe_model = "whisper-1";
  std::string transcribe_language;
};

struct Session {
  RecordOptions opt;
  std::string dir;  // the session folder
  GMainLoop* loop = nullptr;
  GstElement* main = nullptr;      // the session pipeline (READY from the start: the folder exists)
  GstElement* recorder = nullptr;  // its sessionsink
  GstElement* video_in = nullptr;  // its appsrc for the pictures
  GstElement* audio_in = nullptr;  // ... and for the sound (AAC), when the first sender has it
  std::unique_ptr<SenderListener> listener;
  std::atomic<bool> recording{false};  // the session pipeline plays: the first sender's streams are known
  std::unique_ptr<RtspMonitor> monitor;
  std::unique_ptr<AsciiPreview> preview;
  GstAsciiServer* server = nullptr;  // the preview's, which also serves the events at /events
  guint wait_timer = 0;
  std::atomic<bool> stopping{false};
  int exit_code = 0;
  std::mutex build_mutex;  // starting the session pipeline (a streaming thread) against its users
};

void fail(Session* s) {
  s->exit_code = 1;
  g_main_loop_quit(s->loop);
}

// ---- the session ----------------------------------------------------------------------------------

void end_session(Session* s) {
  if (s->stopping) return;
  s->stopping = true;
  if (s->wait_timer) g_source_remove(s->wait_timer);
  s->wait_timer = 0;
  s->listener->stop();
  // EOS finalises the last segment; the main bus then quits the loop. No sender ever: nothing to end.
  std::lock_guard<std::mutex> lock(s->build_mutex);
  if (!s->recording) {
    g_main_loop_quit(s->loop);
    return;
  }
  gst_app_src_end_of_stream(GST_APP_SRC(s->video_in));
  if (s->audio_in) gst_app_src_end_of_stream(GST_APP_SRC(s->audio_in));
}

gboolean on_wait_timeout(gpointer data) {
  auto* s = static_cast<Session*>(data);
  s->wait_timer = 0;
  g_print("ascii-launch record: no sender for %.0f s; ending the session\n", s->opt.max_wait);
  end_session(s);
  return G_SOURCE_REMOVE;
}

gboolean on_signal(gpointer data) {
  auto* s = static_cast<Session*>(data);
  if (s->stopping) {
    g_main_loop_quit(s->loop);  // a second Ctrl-C: now
  } else {
    // The last segment is finalised and the last frames' text read first: a moment, usually.
    g_print("ascii-launch record: ending the session (Ctrl-C again to quit at once)\n");
    end_session(s);
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_main_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* s = static_cast<Session*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS: g_main_loop_quit(s->loop); break;
    case GST_MESSAGE_ERROR: {
      g_autoptr(GError) err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      // A write that failed (a full disk, say) names its file; what was listed stays whole.
      g_autofree gchar* location = nullptr;
      GObject* source = G_OBJECT(GST_MESSAGE_SRC(msg));
      if (g_object_class_find_property(G_OBJECT_GET_CLASS(source), "location"))
        g_object_get(source, "location", &location, nullptr);
      g_printerr("ascii-launch record: recording stopped: %s%s%s\n", err->message, location ? " " : "",
                 location ? location : "");
      guint segments = 0;
      g_object_get(s->recorder, "segments", &segments, nullptr);
      g_printerr("ascii-launch record: the %u segments listed in %s/stream/segments.json are complete\n", segments,
                 s->dir.c_str());
      fail(s);
      break;
    }
    case GST_MESSAGE_WARNING: {
      g_autoptr(GError) err = nullptr;
      gst_message_parse_warning(msg, &err, nullptr);
      g_printerr("ascii-launch record: %s\n", err->message);
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      const GstStructure* st = gst_message_get_structure(msg);
      double start = 0, end = 0, timestamp = 0, score = 0;
      if (gst_structure_has_name(st, "sessionsink-segment-closed") &&
          gst_structure_get(st, "start", G_TYPE_DOUBLE, &start, "end", G_TYPE_DOUBLE, &end, nullptr)) {
        g_print("ascii-launch record: %s closed (%.3f to %.3f s)\n", gst_structure_get_string(st, "name"), start, end);
      } else if (gst_structure_has_name(st, "sessionsink-frame-saved") &&
                 gst_structure_get(st, "timestamp", G_TYPE_DOUBLE, &timestamp, "score", G_TYPE_DOUBLE, &score,
                                   nullptr)) {
        g_print("ascii-launch record: %s at %.3f s (%s, score %.3f)\n", gst_structure_get_string(st, "id"), timestamp,
                gst_structure_get_string(st, "reason"), score);
      } else if (gst_structure_has_name(st, "sessionsink-transcript")) {
        if (g_strcmp0(gst_structure_get_string(st, "status"), "done") == 0) {
          g_print("ascii-launch record: %s transcribed: %s\n", gst_structure_get_string(st, "chunk"),
                  gst_structure_get_string(st, "text"));
        } else {
          g_printerr("ascii-launch record: %s not transcribed: %s\n", gst_structure_get_string(st, "chunk"),
                     gst_structure_get_string(st, "error"));
        }
      } else if (gst_structure_has_name(st, "sessionsink-frame-read") &&
                 gst_structure_get(st, "confidence", G_TYPE_DOUBLE, &score, nullptr)) {
        const char* status = gst_structure_get_string(st, "status");
        if (g_strcmp0(status, "done") == 0) {
          g_print("ascii-launch record: %s text read (%zu bytes, confidence %.0f)\n",
                  gst_structure_get_string(st, "id"), strlen(GST_STR_NULL(gst_structure_get_string(st, "text"))),
                  score);
        } else {
          g_print("ascii-launch record: %s text %s\n", gst_structure_get_string(st, "id"), status);
        }
      }
      break;
    }
    default: break;
  }
  return G_SOURCE_CONTINUE;
}

GstElement* add(GstElement* bin, const char* factory, const char* name) {
  GstElement* e = gst_element_factory_make(factory, name);
  if (e) gst_bin_add(GST_BIN(bin), e);
  return e;
}

// The session pipeline, READY (the session folder and its empty indexes exist) until the first
// sender's streams are known.
bool build_session(Session* s) {
  s->main = gst_pipeline_new("session");
  s->video_in = add(s->main, "appsrc", "video");
  GstElement* tee = add(s->main, "tee", nullptr);
  s->recorder = add(s->main, "sessionsink", "recorder");
  if (!s->video_in || !tee || !s->recorder) {
    g_printerr("ascii-launch record: cannot make the recorder (is the gst-ascii plugin whole?)\n");
    return false;
  }
  g_autoptr(GstCaps) h264 = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au");
  g_object_set(s->video_in, "is-live", TRUE, "format", GST_FORMAT_TIME, "max-bytes", G_GUINT64_CONSTANT(0), "caps",
               h264, nullptr);
  g_object_set(s->recorder, "location", s->dir.c_str(), "segment-duration",
               guint64(s->opt.segment_seconds * GST_SECOND), "scene-threshold", s->opt.scene_threshold, "max-interval",
               guint64(s->opt.max_interval * GST_SECOND), "min-gap", guint64(s->opt.min_gap * GST_SECOND), "ascii-cols",
               s->opt.ascii_cols, "ocr-language", s->opt.ocr_language.c_str(), nullptr);
  if (s->server) g_object_set(s->recorder, "events-server", s->server, nullptr);
  if (!s->opt.transcribe.empty()) {
    g_object_set(s->recorder, "transcribe", s->opt.transcribe.c_str(), "transcribe-model",
                 s->opt.transcribe_model.c_str(), "transcribe-language",
                 s->opt.transcribe_language.empty() ? nullptr : s->opt.transcribe_language.c_str(), nullptr);
  }
  gst_element_link_many(s->video_in, tee, s->recorder, nullptr);
  if (s->monitor) {
    // The RTSP monitor's copy: a leaky queue, so no viewer can hold the recording back.
    GstElement* queue = add(s->main, "queue", nullptr);
    GstElement* out = add(s->main, "appsink", nullptr);
    g_object_set(queue, "leaky", 2, "max-size-buffers", 30, "max-size-bytes", 0, "max-size-time", G_GUINT64_CONSTANT(0),
                 nullptr);
    g_object_set(out, "sync", FALSE, "async", FALSE, nullptr);
    gst_element_link_many(tee, queue, out, nullptr);
    GstAppSinkCallbacks callbacks = {};
    callbacks.new_sample = [](GstAppSink* sink, gpointer data) -> GstFlowReturn {
      g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
      if (sample) static_cast<Session*>(data)->monitor->push(sample);
      return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(out), &callbacks, s, nullptr);
  }
  if (s->preview) {
    // The recorder's own decoded pictures: no second decoder.
    GstElement* out = add(s->main, "appsink", nullptr);
    g_object_set(out, "sync", FALSE, "async", FALSE, nullptr);
    gst_element_link_pads(s->recorder, "decoded", out, "sink");
    GstAppSinkCallbacks callbacks = {};
    callbacks.new_sample = [](GstAppSink* sink, gpointer data) -> GstFlowReturn {
      g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
      if (sample) static_cast<Session*>(data)->preview->push(sample);
      return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(out), &callbacks, s, nullptr);
  }
  g_autoptr(GstBus) bus = gst_element_get_bus(s->main);
  gst_bus_add_watch(bus, on_main_bus, s);
  if (gst_element_set_state(s->main, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) why = nullptr;
    if (msg) gst_message_parse_error(msg, &why, nullptr);
    g_printerr("ascii-launch record: %s\n", why ? why->message : "the recorder could not start");
    return false;
  }
  return true;
}

// From a streaming thread: the first sender's streams are known.
bool start_recording(Session* s, bool with_audio) {
  std::lock_guard<std::mutex> lock(s->build_mutex);
  if (s->stopping) return false;
  if (with_audio) {
    s->audio_in = add(s->main, "appsrc", "audio");
    g_object_set(s->audio_in, "is-live", TRUE, "format", GST_FORMAT_TIME, "max-bytes", G_GUINT64_CONSTANT(0), nullptr);
    gst_element_set_state(s->audio_in, GST_STATE_READY);
    if (!gst_element_link_pads(s->audio_in, "src", s->recorder, "audio")) {
      g_printerr("ascii-launch record: the recorder took no sound input\n");
      return false;
    }
  }
  if (gst_element_set_state(s->main, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr("ascii-launch record: the recorder could not start\n");
    g_idle_add(
        [](gpointer d) -> gboolean {
          fail(static_cast<Session*>(d));
          return G_SOURCE_REMOVE;
        },
        s);
    return false;
  }
  s->recording = true;
  return true;
}

// An event of the sender's on the session's timeline (session.jsonl, /events).
void add_event(Session* s, const char* type, GstStructure* fields) {
  gboolean added = FALSE;
  if (s->recorder) g_signal_emit_by_name(s->recorder, "add-event", type, fields, &added);
  gst_structure_free(fields);
}

// What the listener tells the session.
SenderListener::Callbacks listener_callbacks(Session* s) {
  SenderListener::Callbacks callbacks;
  callbacks.first_streams = [s](bool with_audio) { return start_recording(s, with_audio); };
  callbacks.media = [s](GstBuffer* stamped, GstCaps* caps, bool audio) {
    GstElement* target = audio ? s->audio_in : s->video_in;
    if (!target || !s->recording) return GST_FLOW_OK;
    if (audio) {
      g_autoptr(GstCaps) have = gst_app_src_get_caps(GST_APP_SRC(target));
      if (!have) gst_app_src_set_caps(GST_APP_SRC(target), caps);
    }
    return gst_app_src_push_buffer(GST_APP_SRC(target), gst_buffer_ref(stamped));
  };
  callbacks.connected = [s](unsigned connection) {
    if (s->wait_timer) g_source_remove(s->wait_timer);
    s->wait_timer = 0;
    g_print("ascii-launch record: a sender connected (connection %u)\n", connection);
    add_event(s, "sender_connected", gst_structure_new("fields", "connection", G_TYPE_UINT, connection, nullptr));
  };
  callbacks.disconnected = [s] {
    g_print("ascii-launch record: the sender disconnected; waiting up to %.0f s for it to return\n", s->opt.max_wait);
    add_event(s, "sender_disconnected", gst_structure_new_empty("fields"));
  };
  callbacks.listening = [s] {
    g_print("ascii-launch record: waiting for MPEG-TS on %s\n", s->opt.listen.url().c_str());
    // Before any recording began (garbage, a stream without video) the wait has no end.
    if (!s->wait_timer && s->opt.max_wait > 0 && s->recording)
      s->wait_timer = g_timeout_add(guint(s->opt.max_wait * 1000), on_wait_timeout, s);
  };
  callbacks.failed = [s](const std::string& why) {
    g_printerr("ascii-launch record: %s\n", why.c_str());
    fail(s);
  };
  return callbacks;
}

// [tcp://|srt://]HOST:PORT
bool parse_listen(const char* text, IngestAddress* address) {
  std::string rest = text;
  address->srt = false;
  if (g_str_has_prefix(text, "srt://")) {
    address->srt = true;
    rest = rest.substr(6);
  } else if (g_str_has_prefix(text, "tcp://")) {
    rest = rest.substr(6);
  }
  const auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  char* end = nullptr;
  const long port = strtol(rest.c_str() + colon + 1, &end, 10);
  if (*end || port < 1 || port > 65535) return false;
  address->host = rest.substr(0, colon);
  address->port = int(port);
  return true;
}

}  // namespace

int run_record(int argc, char** argv) {
  RecordOptions opt;
  gchar* listen = nullptr;
  gchar* passphrase = nullptr;
  gchar* out = nullptr;
  gchar* ocr_language = nullptr;
  gchar* transcribe = nullptr;
  gchar* transcribe_model = nullptr;
  gchar* transcribe_language = nullptr;
  double segment = opt.segment_seconds, threshold = opt.scene_threshold, max_interval = opt.max_interval,
         min_gap = opt.min_gap, max_wait = opt.max_wait;
  int cols = opt.ascii_cols;
  int rtsp_port = opt.rtsp_port;
  int preview_port = opt.preview_port;
  GOptionEntry entries[] = {
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
       "Address to receive MPEG-TS on, over TCP or SRT (the sender calls; default 127.0.0.1:9000)",
       "[tcp://|srt://]HOST:PORT"},
      {"passphrase", 0, 0, G_OPTION_ARG_STRING, &passphrase,
       "SRT only: the passphrase the sender encrypts with (10 to 79 characters; default: none)", "WORDS"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Folder for sessions (default ./sessions)", "DIR"},
      {"segment-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &segment,
       "Length of a recorded segment; each starts on a keyframe (default 10)", "S"},
      {"scene-threshold", 0, 0, G_OPTION_ARG_DOUBLE, &threshold,
       "Scene score for a cut, 0..1 as ffmpeg's select 'scene' (default 0.3)", "X"},
      {"max-interval", 0, 0, G_OPTION_ARG_DOUBLE, &max_interval,
       "Save a frame at least this often, the first included; 0: cuts only (default 30)", "S"},
      {"min-gap", 0, 0, G_OPTION_ARG_DOUBLE, &min_gap, "Seconds between saved frames, at least (default 1)", "S"},
      {"max-wait", 0, 0, G_OPTION_ARG_DOUBLE, &max_wait,
       "After the sender disconnects, how long to wait for it before the session ends (default 30)", "S"},
      {"ascii-cols", 0, 0, G_OPTION_ARG_INT, &cols, "Columns of the ASCII version of each frame (default 120)", "N"},
      {"rtsp-port", 0, 0, G_OPTION_ARG_INT, &rtsp_port,
       "Port of the low-latency monitor, rtsp://HOST:PORT/live (default 8554; 0: none)", "N"},
      {"preview-port", 0, 0, G_OPTION_ARG_INT, &preview_port,
       "Serve a live ASCII preview to browsers at http://HOST:PORT/, and the session's events as Server-Sent Events "
       "at /events (default 0: none)",
       "N"},
      {"ocr-language", 0, 0, G_OPTION_ARG_STRING, &ocr_language,
       "Language of the text on the scene frames, read with Tesseract (eng, deu, eng+deu ...; default eng; none: "
       "do not read it)",
       "LANG"},
      {"transcribe", 0, 0, G_OPTION_ARG_STRING, &transcribe,
       "Transcribe the sound: the URL of an OpenAI-compatible /v1/audio/transcriptions endpoint (whisper.cpp's "
       "server, faster-whisper servers, hosted APIs with OPENAI_API_KEY), or sphinx for PocketSphinx here "
       "(default: none)",
       "URL|sphinx"},
      {"transcribe-model", 0, 0, G_OPTION_ARG_STRING, &transcribe_model, "The endpoint's model (default whisper-1)",
       "NAME"},
      {"transcribe-language", 0, 0, G_OPTION_ARG_STRING, &transcribe_language,
       "The language spoken, ISO-639-1 (default: the engine tells)", "LANG"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  // The usage line names the command as it is typed.
  g_set_prgname("ascii-launch record");
  g_autoptr(GOptionContext) ctx = g_option_context_new("- record a live MPEG-TS stream received over TCP");
  g_option_context_set_summary(
      ctx,
      "Waits for a sender (for example: ffmpeg -re -i clip.mp4 -c copy -f mpegts tcp://127.0.0.1:9000, or over SRT\n"
      "with --listen srt://127.0.0.1:9000 and ffmpeg ... 'srt://127.0.0.1:9000?mode=caller') and records\n"
      "one session into OUT/<YYYYmmdd_HHMMSS>/: stream/ (segments and segments.json), frames/ (scene frames,\n"
      "index.json and an ASCII version of each), transcript/, agent/ and session.jsonl (the session's events, one\n"
      "JSON object a line). Ctrl-C ends the session cleanly.");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("ascii-launch record: %s (see ascii-launch record --help)\n", error->message);
    return 2;
  }
  if (listen && !parse_listen(listen, &opt.listen)) {
    g_printerr(
        "ascii-launch record: --listen takes [tcp://|srt://]HOST:PORT, for example 127.0.0.1:9000 or "
        "srt://127.0.0.1:9000\n");
    return 2;
  }
  if (passphrase) {
    const size_t n = strlen(passphrase);
    if (!opt.listen.srt || n < 10 || n > 79) {
      g_printerr("ascii-launch record: --passphrase is for srt:// and takes 10 to 79 characters\n");
      g_free(passphrase);
      return 2;
    }
    opt.listen.passphrase = passphrase;
    g_free(passphrase);
  }
  if (out) opt.out = out;
  if (ocr_language) opt.ocr_language = g_strcmp0(ocr_language, "none") == 0 ? "" : ocr_language;
  g_free(listen);
  g_free(out);
  g_free(ocr_language);
  if (transcribe) opt.transcribe = transcribe;
  if (transcribe_model) opt.transcribe_model = transcribe_model;
  if (transcribe_language) opt.transcribe_language = transcribe_language;
  g_free(transcribe);
  g_free(transcribe_model);
  g_free(transcribe_language);
  if (segment < 1 || threshold < 0 || threshold > 1 || max_interval < 0 || min_gap < 0 || max_wait < 0 || cols < 8 ||
      cols > 1000) {
    g_printerr(
        "ascii-launch record: --segment-seconds >= 1, --scene-threshold 0..1, --ascii-cols 8..1000, "
        "times >= 0\n");
    return 2;
  }
  opt.segment_seconds = segment;
  opt.scene_threshold = threshold;
  opt.max_interval = max_interval;
  opt.min_gap = min_gap;
  opt.max_wait = max_wait;
  opt.ascii_cols = cols;
  if (rtsp_port < 0 || rtsp_port > 65535 || preview_port < 0 || preview_port > 65535) {
    g_printerr("ascii-launch record: --rtsp-port and --preview-port take 0..65535\n");
    return 2;
  }
  opt.rtsp_port = rtsp_port;
  opt.preview_port = preview_port;

  Session s;
  s.opt = opt;
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree gchar* id = g_date_time_format(now, "%Y%m%d_%H%M%S");
  s.dir = opt.out + "/" + id;
  std::string why;

  s.loop = g_main_loop_new(nullptr, FALSE);
  const guint sigint = g_unix_signal_add(SIGINT, on_signal, &s);
  const guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &s);
  if (opt.rtsp_port > 0) {
    s.monitor = std::make_unique<RtspMonitor>();
    if (s.monitor->start(opt.listen.host, opt.rtsp_port)) {
      g_print("ascii-launch record: monitor at rtsp://%s:%d/live\n", opt.listen.host.c_str(), opt.rtsp_port);
    } else {
      g_printerr("ascii-launch record: cannot serve the monitor on port %d (in use?); recording without it\n",
                 opt.rtsp_port);
      s.monitor.reset();
    }
  }
  if (opt.preview_port > 0) {
    // One server for the preview and the session's events.
    s.server = gst_ascii_server_new(opt.listen.host.c_str(), guint(opt.preview_port));
    g_autoptr(GError) error = nullptr;
    s.preview = std::make_unique<AsciiPreview>();
    if (!gst_ascii_server_start(s.server, &error)) {
      why = error->message;
    } else if (s.preview->start(GST_OBJECT(s.server), &why)) {
      why.clear();
      g_print("ascii-launch record: live ASCII preview at http://%s:%d/, events at http://%s:%d/events\n",
              opt.listen.host.c_str(), opt.preview_port, opt.listen.host.c_str(), opt.preview_port);
    }
    if (!why.empty()) {
      g_printerr("ascii-launch record: no preview: %s; recording without it\n", why.c_str());
      s.preview.reset();
      gst_clear_object(&s.server);
    }
  }
  s.listener = std::make_unique<SenderListener>(opt.listen, listener_callbacks(&s));
  if (!build_session(&s)) {
    s.exit_code = 1;
  } else {
    s.listener->start();
  }
  if (s.exit_code == 0) {
    g_print("ascii-launch record: session %s: waiting for MPEG-TS on %s (Ctrl-C to stop)\n", s.dir.c_str(),
            opt.listen.url().c_str());
    g_main_loop_run(s.loop);
  }
  s.listener.reset();
  guint segments = 0, frames = 0, chunks = 0;
  if (s.main) {
    // NULL puts the session away (audio.json's last word); its counts stay readable.
    gst_element_set_state(s.main, GST_STATE_NULL);
    g_autoptr(GstBus) bus = gst_element_get_bus(s.main);
    gst_bus_remove_watch(bus);
    if (s.recorder)
      g_object_get(s.recorder, "segments", &segments, "frames", &frames, "audio-chunks", &chunks, nullptr);
    gst_object_unref(s.main);
  }
  s.preview.reset();
  gst_clear_object(&s.server);
  g_main_loop_unref(s.loop);
  // Only now: a Ctrl-C while the session was being put away would otherwise kill the process.
  g_source_remove(sigint);
  g_source_remove(sigterm);
  g_print("ascii-launch record: session %s: %u segments, %u frames, %u audio chunks\n", s.dir.c_str(), segments, frames,
          chunks);
  return s.exit_code;
}
