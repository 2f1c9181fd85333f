// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Two pipelines, so that a sender may come and go without ending the session:
//
//   ingest (one per connection):  tcpserversrc ! tsdemux ! h264parse ! appsink
//   session (one per run):        appsrc ! h264parse ! tee
//                                   tee. ! queue ! splitmuxsink (mpegtsmux, keyframe-aligned segments)
//                                   tee. ! queue ! avdec_h264 ! videoconvert ! scenecut ! appsink
//                                   tee. ! leaky queue ! appsink (the RTSP monitor, RtspMonitor)
//   the decoded pictures:         FrameSaver (JPEG and ASCII scene frames), AsciiPreview (optional)
//
// The ingest side rewrites timestamps onto the session's timeline (seconds since the session's
// first picture; a reconnection continues from the time it arrives), so segments, frames and the
// indexes all speak session time. Every JSON file is replaced atomically (temp file + rename).
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "record.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <atomic>
#include <memory>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "ascii_preview.h"
#include "frame_saver.h"
#include "gstasciiraii.h"
#include "rtsp_monitor.h"
#include "session_index.h"

namespace {

// Session time t is carried as running time kTimeBase + t: a decode timestamp may lie before its
// picture's presentation (B-frames), before session time 0, and running time cannot be negative.
constexpr GstClockTime kTimeBase = 10 * GST_SECOND;

struct RecordOptions {
  std::string host = "127.0.0.1";
  int port = 9000;
  std::string out = "sessions";
  double segment_seconds = 10;
  double scene_threshold = 0.3;
  double max_interval = 30;
  double min_gap = 1;
  double max_wait = 30;
  int ascii_cols = 120;
  int rtsp_port = 8554;  // 0: no monitor
  int preview_port = 0;  // 0: no ASCII preview
};

struct Session {
  RecordOptions opt;
  std::unique_ptr<SessionIndex> index;  // the session's folders and index files
  GMainLoop* loop = nullptr;
  GstElement* main = nullptr;      // the session pipeline
  GstElement* video_in = nullptr;  // its appsrc for the pictures
  GstElement* audio_in = nullptr;  // ... and for the sound (AAC)
  GstElement* ingest = nullptr;    // the current connection's pipeline, or null while waiting
  bool with_audio = false;         // the session records sound (decided by the first sender's streams)
  std::string scene_props;
  std::unique_ptr<RtspMonitor> monitor;
  std::unique_ptr<AsciiPreview> preview;
  guint wait_timer = 0;
  bool stopping = false;
  int exit_code = 0;

  // Timeline (ingest streaming thread, under |mutex|).
  std::mutex mutex;
  std::mutex build_mutex;  // making the session pipeline (a streaming thread) against its users
  std::atomic<bool> restart_pending{false};
  gint64 session_start_us = -1;                         // monotonic time of the session's first picture
  GstClockTime connection_offset = 0;                   // session time at this connection's first picture
  GstClockTime connection_first = GST_CLOCK_TIME_NONE;  // that picture's own timestamp
  GstClockTime last_out = GST_CLOCK_TIME_NONE;
  guint connections = 0;

  std::unique_ptr<FrameSaver> frames;  // the scene frames' files
};

// Session seconds of a running time.
double seconds(GstClockTime t) {
  return GST_CLOCK_TIME_IS_VALID(t) ? (double(t) - double(kTimeBase)) / GST_SECOND : 0.0;
}

GstFlowReturn on_pcm(GstAppSink* sink, gpointer data) {
  auto* s = static_cast<Session*>(data);
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  gstascii::MappedBuffer map(buf, GST_MAP_READ);
  if (!map.ok || !GST_BUFFER_PTS_IS_VALID(buf)) return GST_FLOW_OK;
  s->index->add_sound(seconds(GST_BUFFER_PTS(buf)), reinterpret_cast<const std::int16_t*>(map.info.data),
                      map.info.size / 2);
  return GST_FLOW_OK;
}

// ---- frames -------------------------------------------------------------------------------------

GstFlowReturn on_frame(GstAppSink* sink, gpointer data) {
  auto* s = static_cast<Session*>(data);
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  s->frames->save(sample, seconds(GST_BUFFER_PTS(gst_sample_get_buffer(sample))));
  if (s->preview) s->preview->push(sample);
  return GST_FLOW_OK;
}

// ---- ingest ---------------------------------------------------------------------------------------

void start_ingest(Session* s);

// A picture or sound from the sender, onto the session's timeline, into |target|.
GstFlowReturn forward_sample(Session* s, GstAppSink* sink, GstElement* const& target) {
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  if (!target) return GST_FLOW_OK;  // no session yet, or it records no sound
  GstBuffer* in = gst_sample_get_buffer(sample);
  GstBuffer* out = gst_buffer_copy(in);  // shares the memory
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    const gint64 now = g_get_monotonic_time();
    if (s->session_start_us < 0) s->session_start_us = now;
    const GstClockTime pts = GST_BUFFER_PTS(in);
    // The connection's timeline starts at its first timestamp, picture or sound.
    if (!GST_CLOCK_TIME_IS_VALID(s->connection_first) && GST_CLOCK_TIME_IS_VALID(pts)) {
      // Presentation time of the connection's first picture is its session time: 0 for the first
      // connection; for a later one the time it arrives (the pause shows on the timeline), never
      // before what was already recorded.
      s->connection_first = pts;
      GstClockTime arrival = kTimeBase + GstClockTime(now - s->session_start_us) * GST_USECOND;
      if (GST_CLOCK_TIME_IS_VALID(s->last_out) && arrival <= s->last_out + GST_SECOND / 10) {
        arrival = s->last_out + GST_SECOND / 10;
      }
      s->connection_offset = s->connections <= 1 ? kTimeBase : arrival;
    }
    auto map_time = [&](GstClockTime t) -> GstClockTime {
      if (!GST_CLOCK_TIME_IS_VALID(t) || !GST_CLOCK_TIME_IS_VALID(s->connection_first)) return GST_CLOCK_TIME_NONE;
      const gint64 shifted = gint64(s->connection_offset) + (gint64(t) - gint64(s->connection_first));
      return shifted >= 0 ? GstClockTime(shifted) : 0;
    };
    GST_BUFFER_PTS(out) = map_time(pts);
    GST_BUFFER_DTS(out) = map_time(GST_BUFFER_DTS(in));
    const GstClockTime t = GST_BUFFER_PTS(out);
    if (GST_CLOCK_TIME_IS_VALID(t) && (!GST_CLOCK_TIME_IS_VALID(s->last_out) || t > s->last_out)) s->last_out = t;
  }
  if (target == s->audio_in) {
    g_autoptr(GstCaps) caps = gst_app_src_get_caps(GST_APP_SRC(target));
    if (!caps) gst_app_src_set_caps(GST_APP_SRC(target), gst_sample_get_caps(sample));
  }
  return gst_app_src_push_buffer(GST_APP_SRC(target), out);
}

GstFlowReturn on_ingest_video(GstAppSink* sink, gpointer data) {
  auto* s = static_cast<Session*>(data);
  return forward_sample(s, sink, s->video_in);
}

GstFlowReturn on_ingest_audio(GstAppSink* sink, gpointer data) {
  auto* s = static_cast<Session*>(data);
  return forward_sample(s, sink, s->audio_in);
}

// Links the first H.264 and the first AAC stream tsdemux finds; anything else is named and left.
void on_demux_pad(GstElement*, GstPad* pad, gpointer data) {
  auto* s = static_cast<Session*>(data);
  g_autoptr(GstCaps) caps = gst_pad_query_caps(pad, nullptr);
  const GstStructure* st = gst_caps_get_structure(caps, 0);
  const char* parser = nullptr;
  gint mpegversion = 0;
  gst_structure_get_int(st, "mpegversion", &mpegversion);
  if (gst_structure_has_name(st, "video/x-h264")) {
    parser = "vparse";
  } else if (gst_structure_has_name(st, "audio/mpeg") && (mpegversion == 2 || mpegversion == 4)) {
    if (s->main && !s->with_audio) {
      g_print("ascii-launch record: this sender has audio, but the session began without it; not recorded\n");
      return;
    }
    parser = "aparse";
  } else {
    g_autofree gchar* desc = gst_caps_to_string(caps);
    g_printerr("ascii-launch record: %s is not supported (H.264 video and AAC audio are); not recorded\n", desc);
    return;
  }
  g_autoptr(GstElement) parse = gst_bin_get_by_name(GST_BIN(s->ingest), parser);
  g_autoptr(GstPad) sink = gst_element_get_static_pad(parse, "sink");
  if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
}

gboolean on_wait_timeout(gpointer data);
bool build_session(Session* s, bool with_audio);

// The first sender's streams are known: the session pipeline can be made to match.
void on_demux_no_more_pads(GstElement*, gpointer data) {
  auto* s = static_cast<Session*>(data);
  g_autoptr(GstElement) vparse = gst_bin_get_by_name(GST_BIN(s->ingest), "vparse");
  g_autoptr(GstElement) aparse = gst_bin_get_by_name(GST_BIN(s->ingest), "aparse");
  g_autoptr(GstPad) vsink = gst_element_get_static_pad(vparse, "sink");
  g_autoptr(GstPad) asink = gst_element_get_static_pad(aparse, "sink");
  const bool video = gst_pad_is_linked(vsink), audio = gst_pad_is_linked(asink);
  if (!video) {
    g_printerr("ascii-launch record: the sender's stream has no H.264 video; nothing is recorded from it\n");
    return;
  }
  std::lock_guard<std::mutex> lock(s->build_mutex);
  if (s->main) return;
  if (!audio) g_print("ascii-launch record: the stream has no AAC audio; transcript/audio.json says so\n");
  if (!build_session(s, audio)) {
    s->exit_code = 1;
    g_main_loop_quit(s->loop);
  }
}

// Tears this connection down and listens again, from the main loop (never inside a callback of
// the pipeline being destroyed). Once per connection, whether its end came as EOS or an error.
void restart_ingest(Session* s) {
  if (s->restart_pending.exchange(true)) return;
  g_idle_add(
      [](gpointer d) -> gboolean {
        auto* sess = static_cast<Session*>(d);
        if (sess->ingest) {
          g_autoptr(GstBus) bus = gst_element_get_bus(sess->ingest);
          gst_bus_remove_watch(bus);
          gst_element_set_state(sess->ingest, GST_STATE_NULL);
          gst_object_unref(sess->ingest);
          sess->ingest = nullptr;
        }
        sess->restart_pending = false;
        if (sess->stopping) return G_SOURCE_REMOVE;
        start_ingest(sess);
        if (sess->ingest)
          g_print("ascii-launch record: waiting for MPEG-TS on tcp://%s:%d\n", sess->opt.host.c_str(), sess->opt.port);
        // Before any recording began (garbage, a stream without video) the wait has no end.
        if (!sess->wait_timer && sess->opt.max_wait > 0 && sess->main)
          sess->wait_timer = g_timeout_add(guint(sess->opt.max_wait * 1000), on_wait_timeout, sess);
        return G_SOURCE_REMOVE;
      },
      s);
}

gboolean on_ingest_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* s = static_cast<Session*>(data);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    g_printerr("ascii-launch record: the sender's stream: %s\n", err->message);
    restart_ingest(s);
  }
  return G_SOURCE_CONTINUE;
}

// The sender closed the connection (tcpserversrc sends EOS). Seen on its pad, since the pipeline's
// own EOS needs every sink, and one for a stream this sender lacks never gets any.
GstPadProbeReturn on_sender_eos(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* s = static_cast<Session*>(data);
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
  g_print("ascii-launch record: the sender disconnected; waiting up to %.0f s for it to return\n", s->opt.max_wait);
  restart_ingest(s);
  return GST_PAD_PROBE_OK;
}

// A connection's first bytes: the sender is back, the wait is over.
GstPadProbeReturn on_connected(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* s = static_cast<Session*>(data);
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->connections++;
    s->connection_first = GST_CLOCK_TIME_NONE;
  }
  g_idle_add(
      [](gpointer d) -> gboolean {
        auto* sess = static_cast<Session*>(d);
        if (sess->wait_timer) g_source_remove(sess->wait_timer);
        sess->wait_timer = 0;
        g_print("ascii-launch record: a sender connected (connection %u)\n", sess->connections);
        return G_SOURCE_REMOVE;
      },
      s);
  return GST_PAD_PROBE_REMOVE;
}

void start_ingest(Session* s) {
  const std::string description = "tcpserversrc name=src host=" + s->opt.host + " port=" + std::to_string(s->opt.port) +
                                  " ! tsdemux name=demux latency=0 "
                                  "h264parse name=vparse config-interval=-1 ! "
                                  "video/x-h264,stream-format=byte-stream,alignment=au ! "
                                  "appsink name=vout sync=false async=false "
                                  "aacparse name=aparse ! audio/mpeg,stream-format=adts ! "
                                  "appsink name=aout sync=false async=false";
  g_autoptr(GError) error = nullptr;
  s->ingest = gst_parse_launch(description.c_str(), &error);
  if (!s->ingest) {
    g_printerr("ascii-launch record: %s\n", error->message);
    s->exit_code = 1;
    g_main_loop_quit(s->loop);
    return;
  }
  g_autoptr(GstElement) demux = gst_bin_get_by_name(GST_BIN(s->ingest), "demux");
  g_signal_connect(demux, "pad-added", G_CALLBACK(on_demux_pad), s);
  g_signal_connect(demux, "no-more-pads", G_CALLBACK(on_demux_no_more_pads), s);
  g_autoptr(GstElement) vout = gst_bin_get_by_name(GST_BIN(s->ingest), "vout");
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = on_ingest_video;
  gst_app_sink_set_callbacks(GST_APP_SINK(vout), &callbacks, s, nullptr);
  g_autoptr(GstElement) aout = gst_bin_get_by_name(GST_BIN(s->ingest), "aout");
  GstAppSinkCallbacks audio_callbacks = {};
  audio_callbacks.new_sample = on_ingest_audio;
  gst_app_sink_set_callbacks(GST_APP_SINK(aout), &audio_callbacks, s, nullptr);
  g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(s->ingest), "src");
  g_autoptr(GstPad) src_pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(src_pad, GST_PAD_PROBE_TYPE_BUFFER, on_connected, s, nullptr);
  gst_pad_add_probe(src_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_sender_eos, s, nullptr);
  g_autoptr(GstBus) bus = gst_element_get_bus(s->ingest);
  gst_bus_add_watch(bus, on_ingest_bus, s);
  if (gst_element_set_state(s->ingest, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr("ascii-launch record: cannot listen on %s:%d (in use?)\n", s->opt.host.c_str(), s->opt.port);
    s->exit_code = 1;
    g_main_loop_quit(s->loop);
  }
}

// ---- the session ----------------------------------------------------------------------------------

void end_session(Session* s) {
  if (s->stopping) return;
  s->stopping = true;
  if (s->wait_timer) g_source_remove(s->wait_timer);
  s->wait_timer = 0;
  if (s->ingest) {
    gst_element_set_state(s->ingest, GST_STATE_NULL);
    gst_object_unref(s->ingest);
    s->ingest = nullptr;
  }
  // EOS finalises the last segment; the main bus then quits the loop. No sender ever: nothing to end.
  if (!s->main) {
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
      g_autofree gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      // A write that failed (a full disk, say) names its file; what was listed stays whole.
      g_autofree gchar* location = nullptr;
      GObject* source = G_OBJECT(GST_MESSAGE_SRC(msg));
      if (g_object_class_find_property(G_OBJECT_GET_CLASS(source), "location"))
        g_object_get(source, "location", &location, nullptr);
      g_printerr("ascii-launch record: recording stopped: %s%s%s\n", err->message, location ? " " : "",
                 location ? location : "");
      g_printerr("ascii-launch record: the %zu segments listed in %s/segments.json are complete\n",
                 s->index->segments(), s->index->stream_dir().c_str());
      s->exit_code = 1;
      g_main_loop_quit(s->loop);
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      const GstStructure* st = gst_message_get_structure(msg);
      GstClockTime rt = GST_CLOCK_TIME_NONE;
      if (gst_structure_has_name(st, "splitmuxsink-fragment-opened")) {
        gst_structure_get_uint64(st, "running-time", &rt);
        s->index->segment_opened(seconds(rt));
      } else if (gst_structure_has_name(st, "splitmuxsink-fragment-closed")) {
        gst_structure_get_uint64(st, "running-time", &rt);
        const char* location = gst_structure_get_string(st, "location");
        const SegmentEntry seg = s->index->segment_closed(location ? location : "", seconds(rt));
        g_print("ascii-launch record: %s closed (%.3f to %.3f s)\n", seg.name.c_str(), seg.start, seg.end);
      }
      break;
    }
    default: break;
  }
  return G_SOURCE_CONTINUE;
}

// The session pipeline, made when the first sender's streams are known (tsdemux no-more-pads):
// with a sound branch only when that sender has AAC, since a muxer input that never gets data would
// stall the recording.
bool build_session(Session* s, bool with_audio) {
  g_autofree gchar* location = g_strescape((s->index->stream_dir() + "/segment_%05d.ts").c_str(), nullptr);
  const std::string description =
      "appsrc name=video is-live=true format=time max-bytes=0 caps=video/x-h264,stream-format=byte-stream,"
      "alignment=au ! h264parse config-interval=-1 ! tee name=t "
      "t. ! queue max-size-buffers=0 max-size-bytes=67108864 max-size-time=0 ! rec.video "
      "splitmuxsink name=rec muxer-factory=mpegtsmux start-index=1 max-size-time=" +
      std::to_string(guint64(s->opt.segment_seconds * GST_SECOND)) + " location=\"" + location +
      "\" "
      "t. ! queue max-size-buffers=0 max-size-bytes=67108864 max-size-time=0 ! avdec_h264 ! videoconvert ! "
      "video/x-raw,format=I420 ! scenecut " +
      s->scene_props + " ! appsink name=frames sync=false " +
      // The RTSP monitor's copy: a leaky queue, so no viewer can hold the recording back.
      (s->monitor ? "t. ! queue leaky=downstream max-size-buffers=30 max-size-bytes=0 max-size-time=0 ! "
                    "appsink name=monitor sync=false async=false "
                  : "") +
      (with_audio ? "appsrc name=audio is-live=true format=time max-bytes=0 ! aacparse ! tee name=at "
                    "at. ! queue max-size-buffers=0 max-size-bytes=16777216 max-size-time=0 ! rec.audio_0 "
                    "at. ! queue max-size-buffers=0 max-size-bytes=16777216 max-size-time=0 ! avdec_aac ! "
                    "audioconvert ! audioresample ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! "
                    "appsink name=pcm sync=false"
                  : "");
  g_autoptr(GError) error = nullptr;
  GstElement* main = gst_parse_launch(description.c_str(), &error);
  if (!main) {
    g_printerr("ascii-launch record: cannot build the recorder: %s\n", error->message);
    return false;
  }
  s->main = main;
  s->video_in = gst_bin_get_by_name(GST_BIN(s->main), "video");
  s->audio_in = gst_bin_get_by_name(GST_BIN(s->main), "audio");
  g_autoptr(GstElement) pcm = gst_bin_get_by_name(GST_BIN(s->main), "pcm");
  if (with_audio) {
    GstAppSinkCallbacks pcm_callbacks = {};
    pcm_callbacks.new_sample = on_pcm;
    gst_app_sink_set_callbacks(GST_APP_SINK(pcm), &pcm_callbacks, s, nullptr);
  }
  g_autoptr(GstElement) frames = gst_bin_get_by_name(GST_BIN(s->main), "frames");
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = on_frame;
  gst_app_sink_set_callbacks(GST_APP_SINK(frames), &callbacks, s, nullptr);

  if (s->monitor) {
    g_autoptr(GstElement) monitor = gst_bin_get_by_name(GST_BIN(s->main), "monitor");
    GstAppSinkCallbacks monitor_callbacks = {};
    monitor_callbacks.new_sample = [](GstAppSink* sink, gpointer data) -> GstFlowReturn {
      g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
      if (sample) static_cast<Session*>(data)->monitor->push(sample);
      return GST_FLOW_OK;
    };
    gst_app_sink_set_callbacks(GST_APP_SINK(monitor), &monitor_callbacks, s, nullptr);
  }
  g_autoptr(GstBus) bus = gst_element_get_bus(s->main);
  gst_bus_add_watch(bus, on_main_bus, s);
  s->with_audio = with_audio;
  if (gst_element_set_state(s->main, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr("ascii-launch record: the recorder could not start\n");
    return false;
  }
  return true;
}

bool parse_listen(const char* text, RecordOptions* opt) {
  const char* colon = strrchr(text, ':');
  if (!colon) return false;
  opt->host.assign(text, colon - text);
  char* end = nullptr;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 1 || port > 65535 || opt->host.empty()) return false;
  opt->port = int(port);
  return true;
}

}  // namespace

int run_record(int argc, char** argv) {
  RecordOptions opt;
  gchar* listen = nullptr;
  gchar* out = nullptr;
  double segment = opt.segment_seconds, threshold = opt.scene_threshold, max_interval = opt.max_interval,
         min_gap = opt.min_gap, max_wait = opt.max_wait;
  int cols = opt.ascii_cols;
  int rtsp_port = opt.rtsp_port;
  int preview_port = opt.preview_port;
  GOptionEntry entries[] = {
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Address to receive MPEG-TS on (default 127.0.0.1:9000)",
       "HOST:PORT"},
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
       "Serve a live ASCII preview to browsers at http://HOST:PORT/ (default 0: none)", "N"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- record a live MPEG-TS stream received over TCP");
  g_option_context_set_summary(
      ctx,
      "Waits for a sender (for example: ffmpeg -re -i clip.mp4 -c copy -f mpegts tcp://127.0.0.1:9000) and records\n"
      "one session into OUT/<YYYYmmdd_HHMMSS>/: stream/ (segments and segments.json), frames/ (scene frames,\n"
      "index.json and an ASCII version of each), transcript/ and agent/. Ctrl-C ends the session cleanly.");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("ascii-launch record: %s (see ascii-launch record --help)\n", error->message);
    return 2;
  }
  if (listen && !parse_listen(listen, &opt)) {
    g_printerr("ascii-launch record: --listen takes HOST:PORT, for example 127.0.0.1:9000\n");
    return 2;
  }
  if (out) opt.out = out;
  g_free(listen);
  g_free(out);
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
  s.index = std::make_unique<SessionIndex>(opt.out + "/" + id);
  std::string why;
  if (!s.index->create(&why)) {
    g_printerr("ascii-launch record: %s\n", why.c_str());
    return 1;
  }

  char scene_props[256];
  g_snprintf(scene_props, sizeof scene_props,
             "threshold=%.6f max-interval=%" G_GUINT64_FORMAT " min-gap=%" G_GUINT64_FORMAT, opt.scene_threshold,
             guint64(opt.max_interval * GST_SECOND), guint64(opt.min_gap * GST_SECOND));
  s.scene_props = scene_props;
  s.frames = std::make_unique<FrameSaver>(s.index.get(), opt.ascii_cols);
  if (!s.frames->start(&why)) {
    g_printerr("ascii-launch record: %s\n", why.c_str());
    return 1;
  }

  s.loop = g_main_loop_new(nullptr, FALSE);
  const guint sigint = g_unix_signal_add(SIGINT, on_signal, &s);
  const guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &s);
  if (opt.rtsp_port > 0) {
    s.monitor = std::make_unique<RtspMonitor>();
    if (s.monitor->start(opt.host, opt.rtsp_port)) {
      g_print("ascii-launch record: monitor at rtsp://%s:%d/live\n", opt.host.c_str(), opt.rtsp_port);
    } else {
      g_printerr("ascii-launch record: cannot serve the monitor on port %d (in use?); recording without it\n",
                 opt.rtsp_port);
      s.monitor.reset();
    }
  }
  if (opt.preview_port > 0) {
    s.preview = std::make_unique<AsciiPreview>();
    if (s.preview->start(opt.host, opt.preview_port, &why)) {
      g_print("ascii-launch record: live ASCII preview at http://%s:%d/\n", opt.host.c_str(), opt.preview_port);
    } else {
      g_printerr("ascii-launch record: no preview: %s; recording without it\n", why.c_str());
      s.preview.reset();
    }
  }
  start_ingest(&s);
  if (s.exit_code == 0) {
    g_print("ascii-launch record: session %s: waiting for MPEG-TS on tcp://%s:%d (Ctrl-C to stop)\n",
            s.index->dir().c_str(), opt.host.c_str(), opt.port);
    g_main_loop_run(s.loop);
  }
  if (s.ingest) {
    gst_element_set_state(s.ingest, GST_STATE_NULL);
    gst_object_unref(s.ingest);
  }
  if (s.main) {
    gst_element_set_state(s.main, GST_STATE_NULL);
    g_autoptr(GstBus) bus = gst_element_get_bus(s.main);
    gst_bus_remove_watch(bus);
    gst_object_unref(s.video_in);
    if (s.audio_in) gst_object_unref(s.audio_in);
    gst_object_unref(s.main);
  }
  g_main_loop_unref(s.loop);
  s.index->finish();
  // Only now: a Ctrl-C while the session was being put away would otherwise kill the process.
  g_source_remove(sigint);
  g_source_remove(sigterm);
  g_print("ascii-launch record: session %s: %zu segments, %zu frames, %zu audio chunks\n", s.index->dir().c_str(),
          s.index->segments(), s.index->frames(), s.index->chunks());
  return s.exit_code;
}
