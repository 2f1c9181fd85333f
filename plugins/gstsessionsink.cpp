// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-sessionsink
 * @title: sessionsink
 *
 * Records a live talk, lesson or meeting as one session folder (#GstSessionSink:location) that
 * people and agents can read while it grows:
 *
 * - `stream/segment_00001.ts` ...: MPEG-TS segments of about #GstSessionSink:segment-duration,
 *   each starting on a keyframe so it plays alone, listed in `stream/segments.json` once closed;
 * - `frames/F0001.jpg` and `frames/F0001.txt`: the pictures scenecut picks (scene changes, and at
 *   least one every #GstSessionSink:max-interval), at their own size and as ASCII art
 *   #GstSessionSink:ascii-cols wide, listed in `frames/index.json`;
 * - `frames/F0001.ocr.txt`: the text on each of those pictures (a slide's words), read with
 *   Tesseract in #GstSessionSink:ocr-language, and in the frame's `ocr` entry of the index
 *   (`status`: `pending`, then `done` with `text` and `confidence`, Tesseract's mean word
 *   confidence 0..100, or `dropped` when newer frames pushed it out of the reader's short queue
 *   or the element stopped before it was read, or `failed`, with a `note`). The reader runs on a
 *   thread of its own at a lower priority, so it never holds the recording back; EOS waits (up to
 *   30 s) for the last frames' text, PAUSED to READY does not;
 * - `transcript/chunk_00001.wav` ...: the sound as 16 kHz mono WAV, one chunk per segment with
 *   exactly its bounds, listed in `transcript/audio.json` (which says so when there is no sound);
 * - `agent/`, for what agents add;
 * - `session.jsonl`: the session's events, one JSON object a line, appended as each happens (see
 *   below).
 *
 * Every time is in session seconds: 0 is the first picture or sound the element receives. Every
 * JSON file is replaced atomically (temporary file and rename), so a reader, a crash or a full
 * disk leaves the old version or the new one, never half of one. The scene frames are encoded and
 * written on a thread of their own behind a bounded queue (#GstSessionSink:max-pending-frames), so
 * that disk or encoder stalls never hold the recording back.
 *
 * The `video` pad takes H.264 (any stream-format: it is converted to byte-stream for MPEG-TS); the
 * `audio` request pad, AAC. Request the `audio` pad before the element starts. The `decoded`
 * request source pad gives the decoded pictures (I420, through a leaky queue: a slow consumer
 * loses pictures, never the recording), for a live preview without a second decoder.
 *
 * ## Events
 *
 * Each line of `session.jsonl` is an object with `seq` (1, 2, ...), `type`, `time` (session
 * seconds), `wall` (the UTC time it was written, ISO 8601) and the type's own members:
 * `session_started` (`location`), `segment_closed` (`name`, `path`, `start`, `end`), `frame_saved`
 * (`id`, `path`, `text_path`, `reason`, `score`, and `ocr` as in the index once its text is read;
 * `time` is the picture's), `session_ended`
 * (`segments`, `frames`, `audio_chunks`), and whatever the application adds with the
 * #GstSessionSink::add-event action signal (ascii-launch record adds `sender_connected` and
 * `sender_disconnected`). Each line is written whole, with one write, as its event happens: a
 * crash leaves every complete line valid. With #GstSessionSink:events-server set, the same events
 * are served as Server-Sent Events at #GstSessionSink:events-path on that #GstAsciiServer (an
 * agent follows with `curl -N http://HOST:PORT/events`, or EventSource in a page): a follower gets
 * the events so far (or those after the `Last-Event-ID` it reconnects with), then each new one; one
 * that stops reading never holds the recording or the other followers back.
 *
 * Element messages: `sessionsink-segment-closed` (`name`, `location`, `start`, `end`) and
 * `sessionsink-frame-saved` (`id`, `location`, `text-location`, `timestamp`, `reason`, `score`)
 * once each is on disk and listed; `sessionsink-frame-read` (`id`, `status`, `location`, `text`,
 * `confidence`) once a frame's slide text is settled. A file that cannot be written is posted as a warning naming it;
 * a segment that cannot be written (a full disk) stops the recording with an error, and what is
 * listed stays whole.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e filesrc location=talk.ts ! tsdemux name=d \
 *     d. ! h264parse ! sessionsink name=s location=sessions/talk \
 *     d. ! aacparse ! s.audio
 * ]| Live, with a preview: `... ! sessionsink name=s location=... s.decoded ! videoconvert !
 * asciimap ! ascilinepay ! websocketsink`.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstsessionsink.h"

#include <gst/app/gstappsink.h>

#include <atomic>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "gstasciiraii.h"
#include "gstasciiserver.h"
#include "gstsessionoutputs.h"

GST_DEBUG_CATEGORY_STATIC(gst_session_sink_debug);
#define GST_CAT_DEFAULT gst_session_sink_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_SEGMENT_DURATION,
  PROP_SCENE_THRESHOLD,
  PROP_MAX_INTERVAL,
  PROP_MIN_GAP,
  PROP_ASCII_COLS,
  PROP_MAX_PENDING_FRAMES,
  PROP_SEGMENTS,
  PROP_FRAMES,
  PROP_AUDIO_CHUNKS,
  PROP_FRAMES_DROPPED,
  PROP_EVENTS_SERVER,
  PROP_EVENTS_PATH,
  PROP_OCR_LANGUAGE,
  PROP_TRANSCRIBE,
  PROP_TRANSCRIBE_MODEL,
  PROP_TRANSCRIBE_LANGUAGE,
  PROP_TRANSCRIBE_TIMEOUT,
};

enum { SIGNAL_ADD_EVENT, N_SIGNALS };
static guint signals[N_SIGNALS];

#define DEFAULT_SEGMENT_DURATION (10 * GST_SECOND)
#define DEFAULT_SCENE_THRESHOLD 0.3
#define DEFAULT_MAX_INTERVAL (30 * GST_SECOND)
#define DEFAULT_MIN_GAP (1 * GST_SECOND)
#define DEFAULT_ASCII_COLS 120
#define DEFAULT_MAX_PENDING_FRAMES 8
#define DEFAULT_EVENTS_PATH "/events"
#define DEFAULT_OCR_LANGUAGE "eng"
#define DEFAULT_TRANSCRIBE_MODEL "whisper-1"
#define DEFAULT_TRANSCRIBE_TIMEOUT 120

// How long EOS waits for the scene frames still queued to be written and their slide text read;
// a frame whose text is still unread after it is listed as dropped.
constexpr gint64 kDrainWait = 30 * G_TIME_SPAN_SECOND;

static GstStaticPadTemplate video_template =
    GST_STATIC_PAD_TEMPLATE("video", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS("video/x-h264"));
static GstStaticPadTemplate audio_template = GST_STATIC_PAD_TEMPLATE(
    "audio", GST_PAD_SINK, GST_PAD_REQUEST, GST_STATIC_CAPS("audio/mpeg, mpegversion = (int) { 2, 4 }"));
static GstStaticPadTemplate decoded_template = GST_STATIC_PAD_TEMPLATE(
    "decoded", GST_PAD_SRC, GST_PAD_REQUEST, GST_STATIC_CAPS("video/x-raw, format = (string) I420"));

namespace {

struct Settings {
  std::string location;
  guint64 segment_duration = DEFAULT_SEGMENT_DURATION;
  gint ascii_cols = DEFAULT_ASCII_COLS;
  guint max_pending = DEFAULT_MAX_PENDING_FRAMES;
  std::string events_path = DEFAULT_EVENTS_PATH;
  std::string ocr_language = DEFAULT_OCR_LANGUAGE;
  std::string transcribe;  // an endpoint's URL, "sphinx", or empty: no transcripts
  std::string transcribe_model = DEFAULT_TRANSCRIBE_MODEL;
  std::string transcribe_language;
  guint transcribe_timeout = DEFAULT_TRANSCRIBE_TIMEOUT;
};

struct Impl {
  Settings settings;                        // under the object lock
  GstAsciiServer* events_server = nullptr;  // under the object lock; our reference
  std::string missing;                      // an element that could not be made, said at start
  GstElement* mux = nullptr;                // splitmuxsink
  GstElement* scenecut = nullptr;           // for its tuning properties
  GstElement* decoded_tee = nullptr;
  GstPad* audio_pad = nullptr;  // the request pads, once asked for
  GstPad* decoded_pad = nullptr;
  std::vector<GstElement*> audio_branch;  // what the audio pad added (the bin's)
  GstElement* decoded_queue = nullptr;    // what the decoded pad added (the bin's)
  // From NULL to READY until the next start (its index stays readable): under the object lock.
  std::shared_ptr<gstascii::SessionOutputs> session;
  std::atomic<guint64> frames_dropped{0};
  // The running time of the first thing received: session time 0.
  std::atomic<GstClockTime> zero{GST_CLOCK_TIME_NONE};
  std::atomic<GstClockTime> newest{GST_CLOCK_TIME_NONE};  // the running time of the newest received
};

}  // namespace

struct _GstSessionSink {
  GstBin parent;
  Impl impl;  // constructed in instance_init, destroyed in finalize
};

G_DEFINE_TYPE(GstSessionSink, gst_session_sink, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(sessionsink, "sessionsink", GST_RANK_NONE, GST_TYPE_SESSION_SINK,
                                      GST_DEBUG_CATEGORY_INIT(gst_session_sink_debug, "sessionsink", 0,
                                                              "Records a session folder"));

// The session's outputs (null before the first start), any thread.
static std::shared_ptr<gstascii::SessionOutputs> session_of(GstSessionSink* self) {
  GST_OBJECT_LOCK(self);
  auto session = self->impl.session;
  GST_OBJECT_UNLOCK(self);
  return session;
}

// Session seconds of a running time.
static double session_seconds(GstSessionSink* self, GstClockTime running_time) {
  const GstClockTime zero = self->impl.zero.load();
  if (!GST_CLOCK_TIME_IS_VALID(running_time) || !GST_CLOCK_TIME_IS_VALID(zero)) return 0.0;
  return (gst_guint64_to_gdouble(running_time) - gst_guint64_to_gdouble(zero)) / GST_SECOND;
}

static GstClockTime sample_running_time(GstSample* sample) {
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  GstSegment* segment = gst_sample_get_segment(sample);
  if (!buffer || !segment || !GST_BUFFER_PTS_IS_VALID(buffer)) return GST_CLOCK_TIME_NONE;
  return gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
}

// The first picture or sound to arrive sets session time 0.
// Every picture and sound as it arrives: the first sets session time 0; the newest is "now" for
// the application's events.
static GstPadProbeReturn on_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = GST_SESSION_SINK(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  g_autoptr(GstEvent) event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (!event || !GST_BUFFER_PTS_IS_VALID(buffer)) return GST_PAD_PROBE_OK;
  const GstSegment* segment = nullptr;
  gst_event_parse_segment(event, &segment);
  const GstClockTime rt = gst_segment_to_running_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer));
  if (!GST_CLOCK_TIME_IS_VALID(rt)) return GST_PAD_PROBE_OK;
  GstClockTime newest = self->impl.newest.load();
  while ((!GST_CLOCK_TIME_IS_VALID(newest) || rt > newest) && !self->impl.newest.compare_exchange_weak(newest, rt)) {
  }
  GstClockTime none = GST_CLOCK_TIME_NONE;
  if (self->impl.zero.compare_exchange_strong(none, rt)) {
    GST_INFO_OBJECT(self, "session time 0 is running time %" GST_TIME_FORMAT, GST_TIME_ARGS(rt));
    if (auto session = session_of(self)) session->session_started();
  }
  // Kept for the next run of the element: each start sets session time 0 again.
  return GST_PAD_PROBE_OK;
}

static void post_missing(GstSessionSink* self) {
  GST_ELEMENT_ERROR(self, CORE, MISSING_PLUGIN,
                    ("sessionsink needs the %s element, which is not installed", self->impl.missing.c_str()),
                    ("install gstreamer1.0-libav and gstreamer1.0-plugins-good/-bad"));
}

static GstElement* make(GstSessionSink* self, const char* factory) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  if (!e) {
    if (self->impl.missing.empty()) self->impl.missing = factory;
    return nullptr;
  }
  gst_bin_add(GST_BIN(self), e);
  return e;
}

// Links |elements| in a row; false (and nothing more) when one is missing.
static bool link_row(std::initializer_list<GstElement*> elements) {
  GstElement* previous = nullptr;
  for (GstElement* e : elements) {
    if (!e) return false;
    if (previous && !gst_element_link(previous, e)) return false;
    previous = e;
  }
  return true;
}

static GstElement* make_queue(GstSessionSink* self, guint max_bytes) {
  GstElement* q = make(self, "queue");
  if (q)
    g_object_set(q, "max-size-buffers", 0, "max-size-bytes", max_bytes, "max-size-time", G_GUINT64_CONSTANT(0),
                 nullptr);
  return q;
}

// ---- callbacks of the internal sinks (streaming threads) ------------------------------------------

static GstFlowReturn on_picture(GstAppSink* sink, gpointer data) {
  auto* self = GST_SESSION_SINK(data);
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  auto session = session_of(self);
  if (session && !session->push_picture(sample, session_seconds(self, sample_running_time(sample)))) {
    self->impl.frames_dropped++;
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                        ("A scene frame was dropped: the ones before it are still being written"),
                        ("more than %u frames waiting", self->impl.settings.max_pending));
  }
  return GST_FLOW_OK;
}

// EOS reaching the pictures' appsink: the frames still queued are written (and read) before the
// element says it is done. Waited for in a probe, ahead of the appsink, which would hold its
// preroll lock through its own EOS callback and so keep PLAYING to PAUSED waiting on the wait.
static GstPadProbeReturn on_pictures_end(GstPad*, GstPadProbeInfo* info, gpointer data) {
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
  if (auto session = session_of(GST_SESSION_SINK(data))) session->drain_pictures(kDrainWait);
  return GST_PAD_PROBE_OK;
}

static GstFlowReturn on_sound(GstAppSink* sink, gpointer data) {
  auto* self = GST_SESSION_SINK(data);
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  gstascii::MappedBuffer map(gst_sample_get_buffer(sample), GST_MAP_READ);
  const GstClockTime rt = sample_running_time(sample);
  auto session = session_of(self);
  if (!map.ok || !GST_CLOCK_TIME_IS_VALID(rt) || !session) return GST_FLOW_OK;
  session->index().add_sound(session_seconds(self, rt), reinterpret_cast<const std::int16_t*>(map.info.data),
                             map.info.size / 2);
  return GST_FLOW_OK;
}

// ---- the graph -------------------------------------------------------------------------------------

// h264parse ! byte-stream ! tee ! queue ! splitmuxsink
//                               tee ! queue ! avdec_h264 ! videoconvert ! I420 ! scenecut ! tee ! queue ! appsink
static void build_video(GstSessionSink* self) {
  Impl& impl = self->impl;
  GstElement* parse = make(self, "h264parse");
  GstElement* bytestream = make(self, "capsfilter");
  GstElement* tee = make(self, "tee");
  GstElement* rec_queue = make_queue(self, 64 << 20);
  impl.mux = make(self, "splitmuxsink");
  GstElement* dec_queue = make_queue(self, 64 << 20);
  GstElement* decoder = make(self, "avdec_h264");
  GstElement* convert = make(self, "videoconvert");
  GstElement* i420 = make(self, "capsfilter");
  impl.scenecut = make(self, "scenecut");
  impl.decoded_tee = make(self, "tee");
  GstElement* pictures_queue = make_queue(self, 64 << 20);
  GstElement* pictures = make(self, "appsink");
  if (!impl.missing.empty()) return;

  g_object_set(parse, "config-interval", -1, nullptr);
  g_autoptr(GstCaps) bytestream_caps = gst_caps_from_string("video/x-h264,stream-format=byte-stream,alignment=au");
  g_object_set(bytestream, "caps", bytestream_caps, nullptr);
  g_object_set(impl.mux, "muxer-factory", "mpegtsmux", "start-index", 1, "max-size-time", DEFAULT_SEGMENT_DURATION,
               nullptr);
  g_autoptr(GstCaps) i420_caps = gst_caps_from_string("video/x-raw,format=I420");
  g_object_set(i420, "caps", i420_caps, nullptr);
  g_object_set(impl.scenecut, "threshold", DEFAULT_SCENE_THRESHOLD, "max-interval", DEFAULT_MAX_INTERVAL, "min-gap",
               DEFAULT_MIN_GAP, nullptr);
  g_object_set(pictures, "sync", FALSE, nullptr);
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = on_picture;
  gst_app_sink_set_callbacks(GST_APP_SINK(pictures), &callbacks, self, nullptr);
  g_autoptr(GstPad) pictures_in = gst_element_get_static_pad(pictures, "sink");
  gst_pad_add_probe(pictures_in, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_pictures_end, self, nullptr);

  link_row({parse, bytestream, tee, rec_queue});
  gst_element_link_pads(rec_queue, "src", impl.mux, "video");
  link_row({tee, dec_queue, decoder, convert, i420, impl.scenecut, impl.decoded_tee, pictures_queue, pictures});

  g_autoptr(GstPad) target = gst_element_get_static_pad(parse, "sink");
  gst_pad_add_probe(target, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, self, nullptr);
  GstPad* ghost =
      gst_ghost_pad_new_from_template("video", target, gst_element_get_pad_template(GST_ELEMENT(self), "video"));
  gst_element_add_pad(GST_ELEMENT(self), ghost);
}

// aacparse ! tee ! queue ! splitmuxsink.audio_0
//                  tee ! queue ! avdec_aac ! audioconvert ! audioresample ! S16LE 16 kHz mono ! appsink
static GstPad* build_audio(GstSessionSink* self, GstPadTemplate* templ) {
  Impl& impl = self->impl;
  GstElement* parse = make(self, "aacparse");
  GstElement* tee = make(self, "tee");
  GstElement* rec_queue = make_queue(self, 16 << 20);
  GstElement* dec_queue = make_queue(self, 16 << 20);
  GstElement* decoder = make(self, "avdec_aac");
  GstElement* convert = make(self, "audioconvert");
  GstElement* resample = make(self, "audioresample");
  GstElement* pcm_caps = make(self, "capsfilter");
  GstElement* pcm = make(self, "appsink");
  if (!impl.missing.empty() || !impl.mux) {
    // Nothing half made stays in the bin (an appsink left alone would never preroll).
    for (GstElement* e : {parse, tee, rec_queue, dec_queue, decoder, convert, resample, pcm_caps, pcm}) {
      if (e) gst_bin_remove(GST_BIN(self), e);
    }
    post_missing(self);
    return nullptr;
  }
  g_autoptr(GstCaps) caps = gst_caps_from_string("audio/x-raw,format=S16LE,rate=16000,channels=1");
  g_object_set(pcm_caps, "caps", caps, nullptr);
  g_object_set(pcm, "sync", FALSE, nullptr);
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = on_sound;
  gst_app_sink_set_callbacks(GST_APP_SINK(pcm), &callbacks, self, nullptr);
  link_row({parse, tee, rec_queue});
  gst_element_link_pads(rec_queue, "src", impl.mux, "audio_%u");
  link_row({tee, dec_queue, decoder, convert, resample, pcm_caps, pcm});
  impl.audio_branch = {parse, tee, rec_queue, dec_queue, decoder, convert, resample, pcm_caps, pcm};
  for (GstElement* e : impl.audio_branch) gst_element_sync_state_with_parent(e);
  g_autoptr(GstPad) target = gst_element_get_static_pad(parse, "sink");
  gst_pad_add_probe(target, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, self, nullptr);
  GstPad* ghost = gst_ghost_pad_new_from_template("audio", target, templ);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(GST_ELEMENT(self), ghost);
  return ghost;
}

// tee ! queue leaky ! (ghost "decoded")
static GstPad* build_decoded(GstSessionSink* self, GstPadTemplate* templ) {
  GstElement* queue = make(self, "queue");
  if (!queue || !self->impl.decoded_tee) return nullptr;
  g_object_set(queue, "leaky", 2 /* downstream */, "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time",
               G_GUINT64_CONSTANT(0), nullptr);
  gst_element_link(self->impl.decoded_tee, queue);
  gst_element_sync_state_with_parent(queue);
  self->impl.decoded_queue = queue;
  g_autoptr(GstPad) target = gst_element_get_static_pad(queue, "src");
  GstPad* ghost = gst_ghost_pad_new_from_template("decoded", target, templ);
  gst_pad_set_active(ghost, TRUE);
  gst_element_add_pad(GST_ELEMENT(self), ghost);
  return ghost;
}

static GstPad* gst_session_sink_request_new_pad(GstElement* element, GstPadTemplate* templ, const gchar*,
                                                const GstCaps*) {
  auto* self = GST_SESSION_SINK(element);
  Impl& impl = self->impl;
  const char* name = GST_PAD_TEMPLATE_NAME_TEMPLATE(templ);
  if (g_strcmp0(name, "audio") == 0) {
    if (impl.audio_pad) return nullptr;  // one sound stream
    if (GST_STATE(element) > GST_STATE_READY) {
      GST_WARNING_OBJECT(self, "the audio pad must be requested before the element starts");
      return nullptr;
    }
    impl.audio_pad = build_audio(self, templ);
    return impl.audio_pad;
  }
  if (g_strcmp0(name, "decoded") == 0 && !impl.decoded_pad) {
    impl.decoded_pad = build_decoded(self, templ);
    return impl.decoded_pad;
  }
  return nullptr;
}

// Takes |element| out of the bin, giving back the request pad its sink or source pad holds on
// |owner| (a tee, the muxer) first.
static void remove_element(GstSessionSink* self, GstElement* element, GstElement* owner, const char* pad_name) {
  if (owner) {
    g_autoptr(GstPad) own = gst_element_get_static_pad(element, pad_name);
    g_autoptr(GstPad) peer = own ? gst_pad_get_peer(own) : nullptr;
    if (peer && GST_OBJECT_PARENT(peer) == GST_OBJECT(owner)) {
      gst_pad_unlink(GST_PAD_IS_SRC(own) ? own : peer, GST_PAD_IS_SRC(own) ? peer : own);
      gst_element_release_request_pad(owner, peer);
    }
  }
  gst_element_set_state(element, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(self), element);
}

static void gst_session_sink_release_pad(GstElement* element, GstPad* pad) {
  auto* self = GST_SESSION_SINK(element);
  Impl& impl = self->impl;
  if (pad == impl.audio_pad) {
    for (GstElement* e : impl.audio_branch) {
      const bool to_mux = e == impl.audio_branch[2];  // the recording queue feeds the muxer
      remove_element(self, e, to_mux ? impl.mux : nullptr, "src");
    }
    impl.audio_branch.clear();
    impl.audio_pad = nullptr;
  } else if (pad == impl.decoded_pad) {
    if (impl.decoded_queue) remove_element(self, impl.decoded_queue, impl.decoded_tee, "sink");
    impl.decoded_queue = nullptr;
    impl.decoded_pad = nullptr;
  }
  gst_element_remove_pad(element, pad);
}

// ---- messages, state ---------------------------------------------------------------------------------

static void gst_session_sink_handle_message(GstBin* bin, GstMessage* message) {
  auto* self = GST_SESSION_SINK(bin);
  Impl& impl = self->impl;
  auto session = session_of(self);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ELEMENT && GST_MESSAGE_SRC(message) == GST_OBJECT(impl.mux) && session) {
    const GstStructure* s = gst_message_get_structure(message);
    GstClockTime rt = GST_CLOCK_TIME_NONE;
    gst_structure_get_uint64(s, "running-time", &rt);
    if (gst_structure_has_name(s, "splitmuxsink-fragment-opened")) {
      session->index().segment_opened(session_seconds(self, rt));
    } else if (gst_structure_has_name(s, "splitmuxsink-fragment-closed")) {
      const char* location = gst_structure_get_string(s, "location");
      const gstascii::SegmentEntry seg =
          session->index().segment_closed(location ? location : "", session_seconds(self, rt));
      GST_INFO_OBJECT(self, "%s closed (%.3f to %.3f s)", seg.name.c_str(), seg.start, seg.end);
      session->segment_closed(seg);
      gst_element_post_message(
          GST_ELEMENT(self),
          gst_message_new_element(
              GST_OBJECT(self), gst_structure_new("sessionsink-segment-closed", "name", G_TYPE_STRING, seg.name.c_str(),
                                                  "location", G_TYPE_STRING, seg.path.c_str(), "start", G_TYPE_DOUBLE,
                                                  seg.start, "end", G_TYPE_DOUBLE, seg.end, nullptr)));
    }
  }
  GST_BIN_CLASS(gst_session_sink_parent_class)->handle_message(bin, message);
}

// NULL to READY: the session folder and its (empty) indexes.
static bool open_session(GstSessionSink* self) {
  Impl& impl = self->impl;
  if (!impl.missing.empty()) {
    post_missing(self);
    return false;
  }
  GST_OBJECT_LOCK(self);
  const Settings s = impl.settings;
  GST_OBJECT_UNLOCK(self);
  if (s.location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No session folder: set the location property"), (nullptr));
    return false;
  }
  gstascii::SessionConfig config;
  config.location = s.location;
  config.ascii_cols = s.ascii_cols;
  config.max_pending = s.max_pending;
  config.ocr_language = s.ocr_language;
  config.transcribe.engine = s.transcribe;
  config.transcribe.model = s.transcribe_model;
  config.transcribe.language = s.transcribe_language;
  config.transcribe.timeout_s = s.transcribe_timeout;
  config.events_path = s.events_path;
  GST_OBJECT_LOCK(self);
  g_autoptr(GstAsciiServer) server =
      impl.events_server ? GST_ASCII_SERVER(gst_object_ref(impl.events_server)) : nullptr;
  GST_OBJECT_UNLOCK(self);
  gstascii::SessionOutputs::Callbacks callbacks;
  callbacks.post = [self](GstStructure* structure) {
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), structure));
  };
  callbacks.warning = [self](GQuark domain, gint code, const std::string& text) {
    gst_element_message_full(GST_ELEMENT(self), GST_MESSAGE_WARNING, domain, code, g_strdup(text.c_str()), nullptr,
                             __FILE__, GST_FUNCTION, __LINE__);
  };
  std::string why;
  auto session = gstascii::SessionOutputs::open(config, server, callbacks, &why);
  if (!session) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("%s", why.c_str()), (nullptr));
    return false;
  }
  g_object_set(impl.mux, "location", (session->index().stream_dir() + "/segment_%05d.ts").c_str(), "max-size-time",
               s.segment_duration, nullptr);
  GST_OBJECT_LOCK(self);
  impl.session = session;
  GST_OBJECT_UNLOCK(self);
  impl.zero = GST_CLOCK_TIME_NONE;
  impl.newest = GST_CLOCK_TIME_NONE;
  impl.frames_dropped = 0;
  return true;
}

static GstStateChangeReturn gst_session_sink_change_state(GstElement* element, GstStateChange transition) {
  auto* self = GST_SESSION_SINK(element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY && !open_session(self)) return GST_STATE_CHANGE_FAILURE;
  auto session = session_of(self);
  if (transition == GST_STATE_CHANGE_READY_TO_PAUSED && session) session->start_writer();
  // An EOS may be waiting for the last frames' text in a streaming thread: let it go first.
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY && session) session->stop_reading();
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_session_sink_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY && session) {
    session->stop_writer();  // everything has stopped: the last frames are written
  } else if (transition == GST_STATE_CHANGE_READY_TO_NULL && session) {
    // The session is over (even one that never started): audio.json says so. The index stays
    // readable (the segments, frames and audio-chunks properties) until the next start.
    session->end();
  }
  return ret;
}

// ---- the add-event action signal ----------------------------------------------------------------------

static gboolean gst_session_sink_add_event(GstSessionSink* self, const gchar* type, const GstStructure* fields) {
  auto session = session_of(self);
  if (!session || !type || !*type) return FALSE;
  // "Now" is the newest picture or sound received (0 before the first): the session's timeline is
  // its media's, which need not follow the pipeline's clock (a sender's own timestamps).
  const double time = session_seconds(self, self->impl.newest.load());
  return session->add_event(type, time, fields);
}

// ---- properties ------------------------------------------------------------------------------------------

static void gst_session_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_SESSION_SINK(object);
  Impl& impl = self->impl;
  Settings& s = impl.settings;
  switch (prop_id) {
    case PROP_SCENE_THRESHOLD:
      if (impl.scenecut) g_object_set_property(G_OBJECT(impl.scenecut), "threshold", value);
      return;
    case PROP_MAX_INTERVAL:
      if (impl.scenecut) g_object_set_property(G_OBJECT(impl.scenecut), "max-interval", value);
      return;
    case PROP_MIN_GAP:
      if (impl.scenecut) g_object_set_property(G_OBJECT(impl.scenecut), "min-gap", value);
      return;
    default: break;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION: s.location = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_SEGMENT_DURATION: s.segment_duration = g_value_get_uint64(value); break;
    case PROP_ASCII_COLS: s.ascii_cols = g_value_get_int(value); break;
    case PROP_MAX_PENDING_FRAMES: s.max_pending = g_value_get_uint(value); break;
    case PROP_EVENTS_SERVER:
      gst_object_replace(reinterpret_cast<GstObject**>(&impl.events_server),
                         static_cast<GstObject*>(g_value_get_object(value)));
      break;
    case PROP_OCR_LANGUAGE: s.ocr_language = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_TRANSCRIBE: s.transcribe = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_TRANSCRIBE_MODEL:
      s.transcribe_model = g_value_get_string(value) ? g_value_get_string(value) : DEFAULT_TRANSCRIBE_MODEL;
      break;
    case PROP_TRANSCRIBE_LANGUAGE:
      s.transcribe_language = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_TRANSCRIBE_TIMEOUT: s.transcribe_timeout = g_value_get_uint(value); break;
    case PROP_EVENTS_PATH: {
      const gchar* path = g_value_get_string(value);
      if (gstascii::valid_url_path(path)) {
        s.events_path = path;
      } else {
        g_warning("sessionsink: events-path \"%s\" is not a URL path like /events; kept %s", GST_STR_NULL(path),
                  s.events_path.c_str());
      }
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_session_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_SESSION_SINK(object);
  Impl& impl = self->impl;
  const Settings& s = impl.settings;
  switch (prop_id) {
    case PROP_SCENE_THRESHOLD:
    case PROP_MAX_INTERVAL:
    case PROP_MIN_GAP: {
      const char* name = prop_id == PROP_SCENE_THRESHOLD ? "threshold" : g_param_spec_get_name(pspec);
      if (impl.scenecut) g_object_get_property(G_OBJECT(impl.scenecut), name, value);
      return;
    }
    default: break;
  }
  auto session = session_of(self);
  // The index has a lock of its own, taken while it reports to us: never take it under ours.
  switch (prop_id) {
    case PROP_SEGMENTS: g_value_set_uint(value, session ? guint(session->index().segments()) : 0); return;
    case PROP_FRAMES: g_value_set_uint(value, session ? guint(session->index().frames()) : 0); return;
    case PROP_AUDIO_CHUNKS: g_value_set_uint(value, session ? guint(session->index().chunks()) : 0); return;
    default: break;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION: g_value_set_string(value, s.location.empty() ? nullptr : s.location.c_str()); break;
    case PROP_SEGMENT_DURATION: g_value_set_uint64(value, s.segment_duration); break;
    case PROP_ASCII_COLS: g_value_set_int(value, s.ascii_cols); break;
    case PROP_MAX_PENDING_FRAMES: g_value_set_uint(value, s.max_pending); break;
    case PROP_FRAMES_DROPPED: g_value_set_uint64(value, impl.frames_dropped.load()); break;
    case PROP_EVENTS_SERVER: g_value_set_object(value, impl.events_server); break;
    case PROP_EVENTS_PATH: g_value_set_string(value, s.events_path.c_str()); break;
    case PROP_OCR_LANGUAGE: g_value_set_string(value, s.ocr_language.c_str()); break;
    case PROP_TRANSCRIBE: g_value_set_string(value, s.transcribe.empty() ? nullptr : s.transcribe.c_str()); break;
    case PROP_TRANSCRIBE_MODEL: g_value_set_string(value, s.transcribe_model.c_str()); break;
    case PROP_TRANSCRIBE_LANGUAGE:
      g_value_set_string(value, s.transcribe_language.empty() ? nullptr : s.transcribe_language.c_str());
      break;
    case PROP_TRANSCRIBE_TIMEOUT: g_value_set_uint(value, s.transcribe_timeout); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// The bin lets go of its children before the element releases its request pads: what a pad added
// is gone by then.
static void gst_session_sink_dispose(GObject* object) {
  Impl& impl = GST_SESSION_SINK(object)->impl;
  impl.audio_branch.clear();
  impl.decoded_queue = nullptr;
  impl.mux = nullptr;
  impl.scenecut = nullptr;
  impl.decoded_tee = nullptr;
  G_OBJECT_CLASS(gst_session_sink_parent_class)->dispose(object);
}

static void gst_session_sink_finalize(GObject* object) {
  Impl& impl = GST_SESSION_SINK(object)->impl;
  gst_clear_object(&impl.events_server);
  impl.~Impl();
  G_OBJECT_CLASS(gst_session_sink_parent_class)->finalize(object);
}

static void gst_session_sink_init(GstSessionSink* self) {
  new (&self->impl) Impl();
  build_video(self);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

static void gst_session_sink_class_init(GstSessionSinkClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* bin_class = GST_BIN_CLASS(klass);

  gobject_class->set_property = gst_session_sink_set_property;
  gobject_class->get_property = gst_session_sink_get_property;
  gobject_class->dispose = gst_session_sink_dispose;
  gobject_class->finalize = gst_session_sink_finalize;

  constexpr auto rw_null = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  constexpr auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "The session folder (made with its parents); stream/, frames/, transcript/ and agent/ are "
                          "made in it",
                          nullptr, rw_null));
  g_object_class_install_property(
      gobject_class, PROP_SEGMENT_DURATION,
      g_param_spec_uint64("segment-duration", "Segment duration",
                          "Length of a segment in nanoseconds; each starts on the first keyframe after it, so a "
                          "segment is at least this long",
                          GST_SECOND, G_MAXUINT64, DEFAULT_SEGMENT_DURATION, rw));
  g_object_class_install_property(
      gobject_class, PROP_SCENE_THRESHOLD,
      g_param_spec_double("scene-threshold", "Scene threshold",
                          "Scene score for a cut, 0..1, as ffmpeg's select 'scene' (scenecut's threshold)", 0.0, 1.0,
                          DEFAULT_SCENE_THRESHOLD, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_INTERVAL,
      g_param_spec_uint64("max-interval", "Max interval",
                          "Save a frame at least this often, the first included, in nanoseconds; 0: cuts only", 0,
                          G_MAXUINT64, DEFAULT_MAX_INTERVAL, rw));
  g_object_class_install_property(
      gobject_class, PROP_MIN_GAP,
      g_param_spec_uint64("min-gap", "Min gap", "Time between saved frames, at least, in nanoseconds", 0, G_MAXUINT64,
                          DEFAULT_MIN_GAP, rw));
  g_object_class_install_property(
      gobject_class, PROP_ASCII_COLS,
      g_param_spec_int("ascii-cols", "ASCII columns",
                       "Columns of each scene frame's ASCII version; its rows follow the picture's shape", 8, 1000,
                       DEFAULT_ASCII_COLS, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_PENDING_FRAMES,
      g_param_spec_uint("max-pending-frames", "Max pending frames",
                        "Scene frames that may wait to be encoded and written; past it one is dropped (and a "
                        "warning posted) rather than hold the recording back",
                        1, 1000, DEFAULT_MAX_PENDING_FRAMES, rw));
  g_object_class_install_property(
      gobject_class, PROP_SEGMENTS,
      g_param_spec_uint("segments", "Segments", "Segments closed and listed", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES,
      g_param_spec_uint("frames", "Frames", "Scene frames saved and listed", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_AUDIO_CHUNKS,
      g_param_spec_uint("audio-chunks", "Audio chunks", "WAV chunks written and listed", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_DROPPED,
      g_param_spec_uint64("frames-dropped", "Frames dropped",
                          "Scene frames dropped because too many waited to be written", 0, G_MAXUINT64, 0, ro));

  g_object_class_install_property(
      gobject_class, PROP_OCR_LANGUAGE,
      g_param_spec_string("ocr-language", "OCR language",
                          "Language of the text on the scene frames, in Tesseract's names (eng, deu, eng+deu; Debian's "
                          "tesseract-ocr-LANG has each); empty: do not read it",
                          DEFAULT_OCR_LANGUAGE, rw));
  g_object_class_install_property(
      gobject_class, PROP_TRANSCRIBE,
      g_param_spec_string("transcribe", "Transcribe",
                          "Where each chunk of sound is transcribed: the URL of an OpenAI-compatible "
                          "/v1/audio/transcriptions endpoint (whisper.cpp's server, faster-whisper servers, hosted "
                          "APIs; OPENAI_API_KEY is sent as the bearer token when set), or \"sphinx\" for "
                          "PocketSphinx here; unset: no transcripts",
                          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_TRANSCRIBE_MODEL,
                                  g_param_spec_string("transcribe-model", "Transcription model",
                                                      "The endpoint's model field", DEFAULT_TRANSCRIBE_MODEL, rw));
  g_object_class_install_property(
      gobject_class, PROP_TRANSCRIBE_LANGUAGE,
      g_param_spec_string("transcribe-language", "Transcription language",
                          "The language spoken, ISO-639-1 (en, de ...); unset: the engine tells", nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_TRANSCRIBE_TIMEOUT,
      g_param_spec_uint("transcribe-timeout", "Transcription timeout",
                        "Seconds one request may take; a chunk is tried 4 times, 1, 2 and 4 s apart, before it is "
                        "recorded as failed",
                        1, 3600, DEFAULT_TRANSCRIBE_TIMEOUT, rw));
  g_object_class_install_property(
      gobject_class, PROP_EVENTS_SERVER,
      g_param_spec_object("events-server", "Events server",
                          "A GstAsciiServer to serve the session's events on as Server-Sent Events (at events-path), "
                          "for agents that follow the session over HTTP; unset: session.jsonl only",
                          GST_TYPE_ASCII_SERVER, rw));
  g_object_class_install_property(
      gobject_class, PROP_EVENTS_PATH,
      g_param_spec_string("events-path", "Events path", "URL path of the Server-Sent Events on events-server",
                          DEFAULT_EVENTS_PATH, rw));

  /**
   * GstSessionSink::add-event:
   * @sink: the sessionsink
   * @type: the event's type, as `sender_connected`
   * @fields: (nullable): its members (numbers, booleans and strings become JSON ones)
   *
   * Adds an event of the application's to the session's timeline (session.jsonl and the
   * Server-Sent Events), at the session time of the newest picture or sound received (0 before the
   * first). Returns FALSE when no session is open.
   */
  signals[SIGNAL_ADD_EVENT] = g_signal_new_class_handler("add-event", G_TYPE_FROM_CLASS(klass),
                                                         GSignalFlags(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
                                                         G_CALLBACK(gst_session_sink_add_event), nullptr, nullptr,
                                                         nullptr, G_TYPE_BOOLEAN, 2, G_TYPE_STRING, GST_TYPE_STRUCTURE);

  gst_element_class_add_static_pad_template(element_class, &video_template);
  gst_element_class_add_static_pad_template(element_class, &audio_template);
  gst_element_class_add_static_pad_template(element_class, &decoded_template);
  gst_element_class_set_static_metadata(element_class, "Session recorder", "Sink/Video/Audio",
                                        "Records H.264 (and AAC) as a session folder: keyframe-aligned MPEG-TS "
                                        "segments, scene frames as JPEG and ASCII, 16 kHz WAV chunks, JSON indexes",
                                        "gst-ascii developers");
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_session_sink_change_state);
  element_class->request_new_pad = GST_DEBUG_FUNCPTR(gst_session_sink_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR(gst_session_sink_release_pad);
  bin_class->handle_message = GST_DEBUG_FUNCPTR(gst_session_sink_handle_message);
}
