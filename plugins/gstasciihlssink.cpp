// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-asciihlssink
 * @title: asciihlssink
 *
 * Cuts an ASCILINE stream (from ascilinepay) and its AAC sound into HLS segments of about
 * #GstAsciiHlsSink:target-duration seconds, each starting at a sync frame, and serves them with
 * their playlists at `http://HOST:PORT/hls/index.m3u8` (on the server the pipeline's other
 * gst-ascii sinks use), writes them to the folder #GstAsciiHlsSink:location, or both. Any HTTP
 * cache or CDN can then carry the stream to as many viewers as it likes.
 *
 * Request pads: `video` takes ascilinepay's messages (the adaptive codec's tagged frames; raw
 * frames are stored as tag 0) and `audio` takes AAC in ADTS (avenc_aac ! aacparse). A picture
 * segment is `[u32be length][ASCILINE message]` again and again: the INIT first, then a sync frame,
 * then DELTAs that need only the frames of the same segment. A stream with symbol cells (asciimap's
 * symbol styles) gets a second picture track of them. A sound segment is HLS packed audio (an ID3
 * timestamp, then ADTS frames), which ffmpeg, hls.js and Safari play. Every track is cut at the
 * same times: segment N covers the same span of the picture and the sound. When a segment starts,
 * a keyframe is asked of upstream for the running time the next one is due (ascilinepay honours
 * it), and again at once if it is due and has not come.
 *
 * Files in #GstAsciiHlsSink:location: `index.m3u8` (multivariant: each picture track with the
 * sound as its audio rendition), `cells.m3u8`, `symbols.m3u8`, `audio.m3u8`, and the segments in
 * `cells/`, `symbols/` and `audio/`. Every file is written to a temporary name and renamed into
 * place, and playlists after their segments, so a reader (or a restart after kill -9) never sees a
 * partial one. A live stream keeps #GstAsciiHlsSink:window seconds (0 keeps everything);
 * #GstAsciiHlsSink:playlist-type `file` marks the playlists EVENT, then VOD with EXT-X-ENDLIST at
 * the end of the stream.
 *
 * Over HTTP, segments are cached for a year (they never change), playlists of a stream still being
 * written for a second, and every response allows any origin.
 *
 * A file served on demand (#GstAsciiHlsSink:fill-gaps, with ascilinepay stream-time) can be
 * encoded out of order, so a viewer who seeks past what is encoded need not wait for the encoder
 * to get there. When a viewer of the store (websocketsink, adtsmux-out) waits for a time more
 * than 3 s beyond the encoder, the element posts an element message `ascii-store-needs` with
 * `start` and `stop` (guint64 stream times; stop GST_CLOCK_TIME_NONE: to the end) and
 * `run-ended` (TRUE when nothing is being decoded); the application answers with a flushing
 * seek of the pipeline to that span (to the keyframe before start: the store keeps what comes
 * before start too, where it lacks it). ascii-launch makes the seek when the run being decoded
 * reaches a keyframe, so runs meet at keyframes and no picture is decoded twice. Each run of
 * the file is stored beside the others; at the end of a run the element asks the same way for
 * the next span still missing, and once every span is stored it ends the playlists and posts
 * `ascii-store-complete`. Playlists list only what follows on from the start meanwhile.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc is-live=true num-buffers=300 ! video/x-raw,width=320,height=240,framerate=30/1 ! \
 *     asciimap ! ascilinepay codec=adaptive ! hls.video \
 *     audiotestsrc is-live=true ! avenc_aac ! aacparse ! audio/mpeg,stream-format=adts ! hls.audio \
 *     asciihlssink name=hls location=/tmp/hls serve=false
 * ]| Writes ten seconds of the test pattern and a tone as HLS to /tmp/hls.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciihlssink.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#include <cstring>
#include <memory>
#include <string>

#include "gstasciicaps.h"
#include "gstasciihlsroute.h"
#include "gstasciihlsruns.h"
#include "gstasciistorereader.h"
#include "gstasciiserver.h"
#include "gstascilinemeta.h"

GST_DEBUG_CATEGORY_STATIC(gst_ascii_hls_sink_debug);
#define GST_CAT_DEFAULT gst_ascii_hls_sink_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_TARGET_DURATION,
  PROP_WINDOW,
  PROP_MAX_BYTES,
  PROP_PLAYLIST_TYPE,
  PROP_SERVE,
  PROP_HOST,
  PROP_PORT,
  PROP_PATH,
  PROP_FILL_GAPS,
};

#define DEFAULT_TARGET_DURATION 1
#define DEFAULT_WINDOW 0
#define DEFAULT_MAX_BYTES (G_GUINT64_CONSTANT(256) * 1024 * 1024)
#define DEFAULT_SERVE TRUE
#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 8080
#define DEFAULT_PATH "/hls/"
#define DEFAULT_FILL_GAPS FALSE

#define GST_TYPE_ASCII_HLS_PLAYLIST_TYPE (gst_ascii_hls_playlist_type_get_type())
static GType gst_ascii_hls_playlist_type_get_type() {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(gstascii::HlsKind::kLive), "A live stream: no playlist type, a sliding window when one is set", "live"},
      {int(gstascii::HlsKind::kFile), "A file: EVENT while it is written, VOD when it ends", "file"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstAsciiHlsPlaylistType", values));
  return type;
}

static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE("video", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS(GST_ASCILINE_MEDIA_TYPE));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE(
    "audio", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS("audio/mpeg, mpegversion = (int) 4, stream-format = adts"));

namespace {

enum Track { kCells = 0, kSymbols = 1, kAudio = 2 };

struct Settings {
  std::string location;
  guint target_duration = DEFAULT_TARGET_DURATION;
  guint64 window = DEFAULT_WINDOW;
  guint64 max_bytes = DEFAULT_MAX_BYTES;
  gstascii::HlsKind kind = gstascii::HlsKind::kLive;
  bool serve = DEFAULT_SERVE;
  std::string host = DEFAULT_HOST;
  guint port = DEFAULT_PORT;
  std::string path = DEFAULT_PATH;
  bool fill_gaps = DEFAULT_FILL_GAPS;
};

// What the video pad learnt from its caps.
struct VideoFormat {
  gint fps_n = 0, fps_d = 1;
  bool tagged = false;       // the adaptive codec's frames (else raw frames, stored as tag 0)
  bool stream_time = false;  // frame indices count the stream time (ascilinepay stream-time)
};

struct Impl {
  std::mutex settings_lock;
  Settings settings;
  GstElement* video = nullptr;  // the appsinks behind the request pads
  GstElement* audio = nullptr;
  // Between READY and PAUSED and back.
  std::shared_ptr<gstascii::SharedSegmentStore> shared;
  Settings running;  // the settings the store was made with
  std::shared_ptr<gstascii::HttpServer> server;
  VideoFormat format;                              // streaming thread of the video pad
  std::string last_error;                          // under shared->lock: the last write error warned about
  std::uint64_t keyframe_asked_for = G_MAXUINT64;  // the segment a keyframe was asked for in
  gint64 keyframe_planned_for = -1;                // the segment start the next cut was asked for from
  bool pad_at_eos[gstascii::StoreRuns::kPads] = {false, false};  // under shared->lock
  gstascii::StoreRuns runs;                                      // under shared->lock
  bool playlists_stale = false;     // under shared->lock: segments listed since the folder's playlists
  gint64 playlists_written_at = 0;  // monotonic µs
};

}  // namespace

struct _GstAsciiHlsSink {
  GstBin parent;
  Impl* impl;
};

G_DEFINE_TYPE(GstAsciiHlsSink, gst_ascii_hls_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(asciihlssink, "asciihlssink", GST_RANK_NONE, GST_TYPE_ASCII_HLS_SINK,
                                      GST_DEBUG_CATEGORY_INIT(gst_ascii_hls_sink_debug, "asciihlssink", 0,
                                                              "HLS segments of an ASCILINE stream"));

static gint64 wall_now_us() {
  return g_get_real_time();
}

// After a push or the end: the playlists in the folder when a segment was listed, and a warning
// when a write failed. Called with the store locked.
static std::size_t listed_count(const gstascii::SegmentStore& store) {
  std::size_t n = 0;
  for (int t = 0; t < store.track_count(); t++) n += store.segments(t).size();
  return n;
}

// After a push or the end: the playlists in the folder when a segment was listed, and a warning
// when a write failed. Called with the store locked.
static void after_change(GstAsciiHlsSink* self, gstascii::SegmentStore& store, std::size_t listed_before,
                         bool write_ok) {
  Impl& impl = *self->impl;
  if (listed_count(store) != listed_before || store.finished()) impl.playlists_stale = true;
  // At most once a second (checked at every message, so a live stream's are written when due): a
  // file encoded many times faster than real time would otherwise rewrite its ever longer
  // playlists for every segment.
  const gint64 now = g_get_monotonic_time();
  if (!impl.running.location.empty() && impl.playlists_stale &&
      (store.finished() || now - impl.playlists_written_at >= G_TIME_SPAN_SECOND)) {
    impl.playlists_stale = false;
    impl.playlists_written_at = now;
    std::string error;
    if (!gstascii::write_hls_playlists(store, impl.shared->kind, &error) && error != impl.last_error) {
      impl.last_error = error;
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", error.c_str()), ("playlists are still served over HTTP"));
    }
  }
  if (!write_ok && store.error() != impl.last_error) {
    impl.last_error = store.error();
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", store.error().c_str()),
                        ("the segment is kept in memory and still listed"));
  }
}

// The INIT (first streamheader buffer) of |field|, as bytes; empty when there is none.
static std::vector<std::uint8_t> header_of(const GstStructure* s, const char* field) {
  const GValue* array = gst_structure_get_value(s, field);
  if (!array || !GST_VALUE_HOLDS_ARRAY(array) || gst_value_array_get_size(array) == 0) return {};
  GstBuffer* buffer = gst_value_get_buffer(gst_value_array_get_value(array, 0));
  GstMapInfo map;
  if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) return {};
  std::vector<std::uint8_t> bytes(map.data, map.data + map.size);
  gst_buffer_unmap(buffer, &map);
  return bytes;
}

// The frame index a message starts with: u32be for binary frames, decimal digits for text ones.
static bool frame_index_of(const std::uint8_t* data, gsize size, bool text, guint64* index) {
  if (!text) {
    if (size < 4) return false;
    *index = guint64(data[0]) << 24 | guint64(data[1]) << 16 | guint64(data[2]) << 8 | data[3];
    return true;
  }
  gsize n = 0;
  guint64 v = 0;
  for (; n < size && n < 10 && g_ascii_isdigit(data[n]); n++) v = v * 10 + guint64(data[n] - '0');
  *index = v;
  return n > 0;
}

// One message of a picture track: tagged as the adaptive codec's (raw frames become tag 0).
static void push_picture(GstAsciiHlsSink* self, gstascii::SegmentStore& store, int track, GstBuffer* message,
                         bool tagged, bool* ok) {
  Impl& impl = *self->impl;
  const bool text = GST_BUFFER_FLAG_IS_SET(message, GST_ASCILINE_BUFFER_FLAG_TEXT);
  GstMapInfo map;
  if (!gst_buffer_map(message, &map, GST_MAP_READ)) return;
  guint64 index = 0;
  if (impl.format.fps_n > 0 && frame_index_of(map.data, map.size, text, &index)) {
    const gint64 frame_ns = gint64(gst_util_uint64_scale_int(GST_SECOND, impl.format.fps_d, impl.format.fps_n));
    const gint64 time_ns =
        gint64(gst_util_uint64_scale(index, GST_SECOND * guint64(impl.format.fps_d), impl.format.fps_n));
    const bool sync = text || !tagged || !GST_BUFFER_FLAG_IS_SET(message, GST_BUFFER_FLAG_DELTA_UNIT);
    // A run that starts (at the keyframe before where it was sent) in a span stored already: its
    // messages are dropped up to that span's end, where a sync frame is asked for, so the run
    // starts exactly there.
    if (const gint64 resume = store.stored_until(time_ns);
        track == kCells && resume >= 0 && resume != impl.keyframe_planned_for) {
      impl.keyframe_planned_for = resume;
      g_autoptr(GstPad) pad = gst_element_get_static_pad(impl.video, "sink");
      gst_pad_push_event(pad, gst_video_event_new_upstream_force_key_unit(GstClockTime(resume), FALSE, 0));
    }
    if (!text && !tagged) {
      g_autoptr(GBytes) raw = g_bytes_new_static(map.data, map.size);
      g_autoptr(GBytes) tag0 = gst_asciline_tagged_form(raw);
      if (tag0) {
        gsize size = 0;
        const auto* bytes = static_cast<const std::uint8_t*>(g_bytes_get_data(tag0, &size));
        *ok = store.push(track, time_ns, frame_ns, bytes, size, true, wall_now_us()) && *ok;
      }
    } else {
      *ok = store.push(track, time_ns, frame_ns, map.data, map.size, sync, wall_now_us()) && *ok;
    }
    // A new segment: ask now for a keyframe where the next one is due, so the request is upstream
    // long before the frame (queues in between hold frames already made).
    const gint64 open_start = store.open_start_ns(kCells);
    if (track == kCells && open_start >= 0 && open_start != impl.keyframe_planned_for) {
      impl.keyframe_planned_for = open_start;
      const GstClockTime due = GstClockTime(open_start) + GstClockTime(impl.running.target_duration) * GST_SECOND;
      g_autoptr(GstPad) pad = gst_element_get_static_pad(impl.video, "sink");
      gst_pad_push_event(pad, gst_video_event_new_upstream_force_key_unit(due, FALSE, 0));
    }
    // Due, and still no sync frame (an upstream that ignores the time): ask once for one at once.
    if (track == kCells && !sync) {
      const std::uint64_t open = store.open_sequence(kCells);
      if (open_start >= 0 && time_ns - open_start >= gint64(impl.running.target_duration) * GST_SECOND &&
          impl.keyframe_asked_for != open) {
        impl.keyframe_asked_for = open;
        g_autoptr(GstPad) pad = gst_element_get_static_pad(impl.video, "sink");
        gst_pad_push_event(pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
      }
    }
  }
  gst_buffer_unmap(message, &map);
}

static GstFlowReturn on_video_sample(GstAppSink* sink, gpointer data) {
  auto* self = GST_ASCII_HLS_SINK(data);
  Impl& impl = *self->impl;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  const GstStructure* s =
      gst_sample_get_caps(sample) ? gst_caps_get_structure(gst_sample_get_caps(sample), 0) : nullptr;
  std::unique_lock<std::mutex> hold(impl.shared->lock);
  gstascii::SegmentStore& store = *impl.shared->store;
  if (s) {
    gst_structure_get_fraction(s, "framerate", &impl.format.fps_n, &impl.format.fps_d);
    impl.format.tagged = g_strcmp0(gst_structure_get_string(s, "codec"), "adaptive") == 0;
    impl.format.stream_time = g_strcmp0(gst_structure_get_string(s, "timeline"), "stream") == 0;
    const auto init = header_of(s, "streamheader");
    if (!init.empty()) store.set_init(kCells, init);
    const auto symbol_init = header_of(s, "symbol-streamheader");
    if (!symbol_init.empty()) store.set_init(kSymbols, symbol_init);
  }
  if (!buffer || GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_HEADER)) return GST_FLOW_OK;  // the caps carry the INIT
  if (!impl.runs.admit(gstascii::StoreRuns::kVideo, store)) return GST_FLOW_OK;
  const std::size_t before = listed_count(store);
  bool ok = true;
  push_picture(self, store, kCells, buffer, impl.format.tagged, &ok);
  if (GstAscilineSymbolMeta* meta = gst_buffer_get_asciline_symbol_meta(buffer)) {
    push_picture(self, store, kSymbols, meta->message, impl.format.tagged, &ok);
  }
  after_change(self, store, before, ok);
  GstMessage* ask = impl.runs.move_request(GST_OBJECT(self), *impl.shared);
  hold.unlock();
  if (ask) gst_element_post_message(GST_ELEMENT(self), ask);
  return GST_FLOW_OK;
}

static GstFlowReturn on_audio_sample(GstAppSink* sink, gpointer data) {
  auto* self = GST_ASCII_HLS_SINK(data);
  Impl& impl = *self->impl;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  const GstSegment* segment = gst_sample_get_segment(sample);
  if (!buffer || !segment || !GST_BUFFER_PTS_IS_VALID(buffer)) return GST_FLOW_OK;
  const gint64 duration = GST_BUFFER_DURATION_IS_VALID(buffer) ? gint64(GST_BUFFER_DURATION(buffer)) : 0;
  std::unique_lock<std::mutex> hold(impl.shared->lock);
  // The picture's times: ascilinepay's frame_index is running time x fps, or stream time x fps.
  const GstClockTime time = impl.format.stream_time
                                ? gst_segment_to_stream_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer))
                                : gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  gstascii::SegmentStore& store = *impl.shared->store;
  GstMapInfo map;
  if (!GST_CLOCK_TIME_IS_VALID(time) || !impl.runs.admit(gstascii::StoreRuns::kAudio, store) ||
      !gst_buffer_map(buffer, &map, GST_MAP_READ)) {
    return GST_FLOW_OK;
  }
  const std::size_t before = listed_count(store);
  const bool ok = store.push(kAudio, gint64(time), duration, map.data, map.size, true, wall_now_us());
  gst_buffer_unmap(buffer, &map);
  after_change(self, store, before, ok);
  return GST_FLOW_OK;
}

// Every pad that was requested has ended: the open segments are listed and the playlists end
// (or, for a file with spans still missing, the application is asked to move the encoder there).
static void on_eos(GstAppSink* sink, gpointer data) {
  auto* self = GST_ASCII_HLS_SINK(data);
  Impl& impl = *self->impl;
  if (!impl.shared) return;
  std::unique_lock<std::mutex> hold(impl.shared->lock);
  impl.pad_at_eos[GST_ELEMENT(sink) == impl.video ? gstascii::StoreRuns::kVideo : gstascii::StoreRuns::kAudio] = true;
  if ((impl.video && !impl.pad_at_eos[gstascii::StoreRuns::kVideo]) ||
      (impl.audio && !impl.pad_at_eos[gstascii::StoreRuns::kAudio])) {
    return;
  }
  gstascii::SegmentStore& store = *impl.shared->store;
  const std::size_t before = listed_count(store);
  bool finished = false;
  const bool ok = store.end_run(&finished);
  after_change(self, store, before, ok);
  GST_INFO_OBJECT(self, "%s: %zu segments of picture", finished ? "stream ended" : "run ended",
                  store.segments(kCells).size());
  GstMessage* next = impl.runs.end(GST_OBJECT(self), *impl.shared, finished);
  hold.unlock();
  if (next) gst_element_post_message(GST_ELEMENT(self), next);
}

// A flushing seek upstream (an application moving the encoder): what the pad gets next is a new run.
static GstPadProbeReturn on_flush(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = GST_ASCII_HLS_SINK(data);
  Impl& impl = *self->impl;
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_FLUSH_STOP || !impl.shared) return GST_PAD_PROBE_OK;
  const auto which =
      GST_OBJECT_PARENT(pad) == GST_OBJECT(impl.video) ? gstascii::StoreRuns::kVideo : gstascii::StoreRuns::kAudio;
  std::lock_guard<std::mutex> hold(impl.shared->lock);
  impl.runs.flushed(which);
  impl.pad_at_eos[which] = false;
  return GST_PAD_PROBE_OK;
}

static GstPad* gst_ascii_hls_sink_request_new_pad(GstElement* element, GstPadTemplate* templ, const gchar*,
                                                  const GstCaps*) {
  auto* self = GST_ASCII_HLS_SINK(element);
  Impl& impl = *self->impl;
  const bool video = templ == gst_element_get_pad_template(element, "video");
  GstElement*& slot = video ? impl.video : impl.audio;
  if (slot) {
    GST_WARNING_OBJECT(self, "the %s pad is already requested", video ? "video" : "audio");
    return nullptr;
  }
  GstElement* sink = gst_element_factory_make("appsink", video ? "video-sink" : "audio-sink");
  if (!sink) return nullptr;
  // The store takes each message as it comes: no clock, no preroll wait, nothing queued.
  g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 1, "enable-last-sample", FALSE, nullptr);
  GstAppSinkCallbacks callbacks = {};
  callbacks.eos = on_eos;
  callbacks.new_sample = video ? on_video_sample : on_audio_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, self, nullptr);
  gst_bin_add(GST_BIN(self), sink);
  gst_element_sync_state_with_parent(sink);
  slot = GST_ELEMENT(gst_object_ref(sink));  // ours until the pad goes (the bin may drop it first)
  g_autoptr(GstPad) target = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(target, GST_PAD_PROBE_TYPE_EVENT_FLUSH, on_flush, self, nullptr);
  GstPad* ghost = gst_ghost_pad_new_from_template(video ? "video" : "audio", target, templ);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(element, ghost);
  return ghost;
}

static void gst_ascii_hls_sink_release_pad(GstElement* element, GstPad* pad) {
  auto* self = GST_ASCII_HLS_SINK(element);
  Impl& impl = *self->impl;
  const bool video = g_strcmp0(GST_PAD_NAME(pad), "video") == 0;
  GstElement*& slot = video ? impl.video : impl.audio;
  gst_element_remove_pad(element, pad);
  if (!slot) return;
  if (GST_OBJECT_PARENT(slot) == GST_OBJECT(self)) {
    gst_element_set_state(slot, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(self), slot);
  }
  gst_clear_object(&slot);
}

// READY to PAUSED: a new store, and its route on the server.
static bool start(GstAsciiHlsSink* self) {
  Impl& impl = *self->impl;
  {
    std::lock_guard<std::mutex> hold(impl.settings_lock);
    impl.running = impl.settings;
  }
  const Settings& s = impl.running;
  gstascii::SegmentStoreConfig config;
  config.target_duration_ns = gint64(s.target_duration) * GST_SECOND;
  config.window_ns = gint64(s.window) * GST_SECOND;
  config.max_bytes = s.location.empty() ? s.max_bytes : 0;
  config.directory = s.location;
  // A file may be encoded as fast as it decodes (sync=false), its sound racing ahead of a slower
  // picture: the sound waits longer for the picture's cuts.
  if (s.kind == gstascii::HlsKind::kFile) config.max_pending_ns = 120 * GST_SECOND;
  config.fill_gaps = s.fill_gaps && s.kind == gstascii::HlsKind::kFile;
  auto store = std::make_unique<gstascii::SegmentStore>(
      config, std::vector<gstascii::TrackInfo>{{"cells", gstascii::TrackKind::kPicture},
                                               {"symbols", gstascii::TrackKind::kPicture},
                                               {"audio", gstascii::TrackKind::kSound}});
  if (!store->error().empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("%s", store->error().c_str()), (nullptr));
    return false;
  }
  impl.shared = std::make_shared<gstascii::SharedSegmentStore>();
  impl.shared->store = std::move(store);
  impl.shared->kind = s.kind;
  impl.format = VideoFormat{};
  impl.last_error.clear();
  impl.keyframe_asked_for = G_MAXUINT64;
  impl.keyframe_planned_for = -1;
  impl.pad_at_eos[0] = impl.pad_at_eos[1] = false;
  impl.runs.reset();
  impl.playlists_stale = false;
  impl.playlists_written_at = 0;
  if (!s.serve) return true;

  gboolean created = FALSE;
  g_autoptr(GstAsciiServer) server =
      gst_ascii_server_find_for(GST_ELEMENT(self), nullptr, s.host.c_str(), s.port, &created);
  g_autoptr(GError) error = nullptr;
  if (!gst_ascii_server_start(server, &error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE,
                      ("Could not serve HLS on %s port %u: %s", s.host.c_str(), s.port, error->message), (nullptr));
    return false;
  }
  if (created) {
    GstContext* context = gst_ascii_server_context_new(server, FALSE);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_have_context(GST_OBJECT(self), context));
  }
  impl.server = gst_ascii_server_get_http(server);
  if (!gstascii::add_hls_route(impl.server, s.path, impl.shared, &error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, BUSY, ("%s", error->message), (nullptr));
    impl.server.reset();
    return false;
  }
  // websocketsink and adtsmux-out on the same server read it for viewers who pause and seek.
  gstascii::publish_shared_store(impl.server.get(), s.path, impl.shared);
  {
    // The port in use, for a port of 0.
    std::lock_guard<std::mutex> hold(impl.settings_lock);
    impl.settings.port = impl.server->port();
  }
  g_object_notify(G_OBJECT(self), "port");
  return true;
}

static void stop(GstAsciiHlsSink* self) {
  Impl& impl = *self->impl;
  if (impl.shared) {
    // Nothing more will come: readers still on it (viewers who paused or sought) reach its end.
    std::lock_guard<std::mutex> hold(impl.shared->lock);
    if (impl.shared->store) impl.shared->store->finish();
  }
  if (impl.server) {
    const std::string path = impl.running.path;
    auto server = impl.server;
    server->run_sync([&] { server->remove_route(path); });
    impl.server.reset();
  }
  impl.shared.reset();
}

static GstStateChangeReturn gst_ascii_hls_sink_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_ASCII_HLS_SINK(element);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && !start(self)) return GST_STATE_CHANGE_FAILURE;
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_ascii_hls_sink_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) stop(self);
  return ret;
}

static void gst_ascii_hls_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  Impl& impl = *GST_ASCII_HLS_SINK(object)->impl;
  std::lock_guard<std::mutex> hold(impl.settings_lock);
  Settings& s = impl.settings;
  switch (prop_id) {
    case PROP_LOCATION: s.location = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_TARGET_DURATION: s.target_duration = g_value_get_uint(value); break;
    case PROP_WINDOW: s.window = g_value_get_uint64(value); break;
    case PROP_MAX_BYTES: s.max_bytes = g_value_get_uint64(value); break;
    case PROP_PLAYLIST_TYPE: s.kind = gstascii::HlsKind(g_value_get_enum(value)); break;
    case PROP_SERVE: s.serve = g_value_get_boolean(value); break;
    case PROP_HOST: s.host = g_value_get_string(value) ? g_value_get_string(value) : DEFAULT_HOST; break;
    case PROP_PORT: s.port = g_value_get_uint(value); break;
    case PROP_FILL_GAPS: s.fill_gaps = g_value_get_boolean(value); break;
    case PROP_PATH: {
      const gchar* path = g_value_get_string(value);
      if (path && path[0] == '/' && g_str_has_suffix(path, "/") && !strchr(path, '?')) {
        s.path = path;
      } else {
        GST_WARNING_OBJECT(object, "a path must start and end with '/' (\"%s\" refused)", GST_STR_NULL(path));
      }
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

static void gst_ascii_hls_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  Impl& impl = *GST_ASCII_HLS_SINK(object)->impl;
  std::lock_guard<std::mutex> hold(impl.settings_lock);
  const Settings& s = impl.settings;
  switch (prop_id) {
    case PROP_LOCATION: g_value_set_string(value, s.location.empty() ? nullptr : s.location.c_str()); break;
    case PROP_TARGET_DURATION: g_value_set_uint(value, s.target_duration); break;
    case PROP_WINDOW: g_value_set_uint64(value, s.window); break;
    case PROP_MAX_BYTES: g_value_set_uint64(value, s.max_bytes); break;
    case PROP_PLAYLIST_TYPE: g_value_set_enum(value, int(s.kind)); break;
    case PROP_SERVE: g_value_set_boolean(value, s.serve); break;
    case PROP_HOST: g_value_set_string(value, s.host.c_str()); break;
    case PROP_PORT: g_value_set_uint(value, s.port); break;
    case PROP_PATH: g_value_set_string(value, s.path.c_str()); break;
    case PROP_FILL_GAPS: g_value_set_boolean(value, s.fill_gaps); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

static void gst_ascii_hls_sink_finalize(GObject* object) {
  Impl* impl = GST_ASCII_HLS_SINK(object)->impl;
  gst_clear_object(&impl->video);
  gst_clear_object(&impl->audio);
  delete impl;
  G_OBJECT_CLASS(gst_ascii_hls_sink_parent_class)->finalize(object);
}

static void gst_ascii_hls_sink_init(GstAsciiHlsSink* self) {
  self->impl = new Impl();
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

static void gst_ascii_hls_sink_class_init(GstAsciiHlsSinkClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  gobject_class->set_property = gst_ascii_hls_sink_set_property;
  gobject_class->get_property = gst_ascii_hls_sink_get_property;
  gobject_class->finalize = gst_ascii_hls_sink_finalize;
  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "Folder to write the playlists and segments to (made if missing); unset: memory only",
                          nullptr, flags));
  g_object_class_install_property(
      gobject_class, PROP_TARGET_DURATION,
      g_param_spec_uint("target-duration", "Target duration",
                        "Seconds a segment lasts at least: it ends at the first sync frame after this (a keyframe is "
                        "asked for when one is due)",
                        1, 60, DEFAULT_TARGET_DURATION, flags));
  g_object_class_install_property(
      gobject_class, PROP_WINDOW,
      g_param_spec_uint64("window", "Window",
                          "Seconds of a live stream kept behind the newest segment, for viewers who go back (0: "
                          "everything)",
                          0, G_MAXUINT64 / GST_SECOND, DEFAULT_WINDOW, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_BYTES,
      g_param_spec_uint64("max-bytes", "Max bytes",
                          "Bytes of segments kept in memory when there is no location; the oldest go first (0: no "
                          "bound)",
                          0, G_MAXUINT64, DEFAULT_MAX_BYTES, flags));
  g_object_class_install_property(
      gobject_class, PROP_PLAYLIST_TYPE,
      g_param_spec_enum("playlist-type", "Playlist type", "What the playlists say the stream is",
                        GST_TYPE_ASCII_HLS_PLAYLIST_TYPE, int(gstascii::HlsKind::kLive), flags));
  g_object_class_install_property(
      gobject_class, PROP_SERVE,
      g_param_spec_boolean("serve", "Serve",
                           "Serve the playlists and segments over HTTP at path, on the server the pipeline's gst-ascii "
                           "sinks use (or one of its own on host and port)",
                           DEFAULT_SERVE, flags));
  g_object_class_install_property(
      gobject_class, PROP_HOST,
      g_param_spec_string("host", "Host", "Address to listen on when no other gst-ascii sink has a server",
                          DEFAULT_HOST, flags));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port", "Port to listen on when no other gst-ascii sink has a server (0: any free one)",
                        0, 65535, DEFAULT_PORT, flags));
  g_object_class_install_property(
      gobject_class, PROP_PATH,
      g_param_spec_string("path", "Path", "The folder of the server the playlists and segments are served under",
                          DEFAULT_PATH, flags));
  g_object_class_install_property(
      gobject_class, PROP_FILL_GAPS,
      g_param_spec_boolean("fill-gaps", "Fill gaps",
                           "For playlist-type file: when the application seeks the pipeline (to move the encoder "
                           "where a viewer sought, as ascii-launch does), store each run of the file beside the "
                           "others and ask, with ascii-store-needs messages, for the spans skipped; the playlists "
                           "end once every span is stored (needs ascilinepay stream-time)",
                           DEFAULT_FILL_GAPS, flags));

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  element_class->request_new_pad = gst_ascii_hls_sink_request_new_pad;
  element_class->release_pad = gst_ascii_hls_sink_release_pad;
  element_class->change_state = gst_ascii_hls_sink_change_state;
  gst_element_class_set_static_metadata(element_class, "ASCILINE HLS sink", "Sink/Network",
                                        "Cuts an ASCILINE stream and its sound into HLS segments, served over HTTP "
                                        "and written to a folder",
                                        "gst-ascii developers");
  gst_type_mark_as_plugin_api(GST_TYPE_ASCII_HLS_PLAYLIST_TYPE, GstPluginAPIFlags(0));
}
