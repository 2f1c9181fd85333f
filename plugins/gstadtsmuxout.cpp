// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-adtsmux-out
 * @title: adtsmux-out
 *
 * Serves AAC audio to any number of HTTP listeners at `http://HOST:PORT/PATH` (default `/audio`),
 * each as one endless chunked response of ADTS frames (`Content-Type: audio/aac`), which browsers
 * play from an `<audio>` element or Media Source Extensions, and players such as ffplay or mpv
 * open directly. It takes ADTS (from aacparse) or raw AAC with codec_data, which it wraps in ADTS
 * headers itself.
 *
 * Every response starts on a frame boundary and is gapless, with the last #GstAdtsMuxOut:burst
 * milliseconds of sound (and at least 32 KiB) at once, so a browser starts playing without
 * buffering first. Its
 * `X-Audio-Start` header gives the running time, in seconds, of its first frame: the timeline
 * ascilinepay's frame indices count on
 * (frame `i` is at `i / fps` seconds), so a player that joins late knows which picture goes with
 * what it hears (audio time = `X-Audio-Start` + the time played so far).
 *
 * A listener that falls #GstAdtsMuxOut:client-buffer bytes behind, or reads nothing for
 * #GstAsciiServerSink:client-timeout, is cut off (its connection closes) rather than sent a stream
 * with a hole; it never stalls the pipeline or the other listeners. Connections are posted on the
 * bus as `adtsmux-out-client-connected` and `adtsmux-out-client-disconnected` (with `cut-off`)
 * element messages, and signalled as #GstAsciiServerSink::client-added and
 * #GstAsciiServerSink::client-removed; #GstAsciiServerSink::get-stats adds `queued-bytes`.
 *
 * With #GstAdtsMuxOut:store-path naming an asciihlssink on the same server, a request for
 * `/audio?start=SECONDS` gets the stored sound from that time on, paced at its own clock (how a
 * viewer who paused or sought hears what it sees); #GstAdtsMuxOut:on-demand serves every listener
 * so (a file). Such a response ends where the stored stream ends.
 *
 * In one pipeline with a websocketsink, both share one HTTP server (a #GstAsciiServer, port 0
 * included); so do sinks of different pipelines of the process with the same host and port
 * (either may start first). The web player finds the picture at /ws and the sound at /audio of
 * one address.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 audiotestsrc is-live=true ! audioconvert ! avenc_aac ! aacparse ! adtsmux-out port=8080
 * ]| Then `ffplay http://127.0.0.1:8080/audio`. Beside a picture:
 * |[
 * gst-launch-1.0 uridecodebin uri=file:///clip.mp4 name=d \
 *     d. ! queue ! videoconvert ! videorate ! video/x-raw,framerate=30/1 ! asciimap ! ascilinepay ! websocketsink \
 *     d. ! queue ! audioconvert ! audioresample ! avenc_aac ! aacparse ! adtsmux-out
 * ]| and open http://127.0.0.1:8080/ for both.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstadtsmuxout.h"

#include <memory>
#include <new>
#include <string>
#include <vector>

#include "adts.h"
#include "gstasciihttpstream.h"
#include "gstasciiraii.h"

GST_DEBUG_CATEGORY_STATIC(gst_adts_mux_out_debug);
#define GST_CAT_DEFAULT gst_adts_mux_out_debug

enum {
  PROP_0,
  PROP_PATH,
  PROP_CLIENT_BUFFER,
  PROP_CLIENTS_CUT,
  PROP_STORE_PATH,
  PROP_ON_DEMAND,
  PROP_BURST,
};

#define DEFAULT_PATH "/audio"
#define DEFAULT_CLIENT_BUFFER (64 * 1024)
#define DEFAULT_BURST 500

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("audio/mpeg, mpegversion = (int) { 2, 4 }, stream-format = (string) adts; "
                                            "audio/mpeg, mpegversion = (int) 4, stream-format = (string) raw"));

namespace {

// What the streaming thread knows about the input.
struct InputState {
  bool raw = false;                              // raw AAC: each buffer is one frame to wrap in a header
  gstascii::adts::Header raw_header;             // for raw input, from codec_data
  int rate = 0;                                  // Hz, for the duration of frames without their own timestamp
  gstascii::adts::Framer framer;                 // for ADTS input, which need not come one frame per buffer
  GstClockTime next_time = GST_CLOCK_TIME_NONE;  // running time of the next frame
  guint64 frames_in = 0;
};

struct Impl {
  InputState input;        // streaming thread
  std::string store_path;  // under the object lock; empty: no time-shift
  bool on_demand = false;
  guint burst_ms = DEFAULT_BURST;
};

}  // namespace

struct _GstAdtsMuxOut {
  GstAsciiServerSink parent;
  Impl impl;  // constructed in instance_init, destroyed in finalize
};

G_DEFINE_TYPE(GstAdtsMuxOut, gst_adts_mux_out, GST_TYPE_ASCII_SERVER_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(adtsmux_out, "adtsmux-out", GST_RANK_NONE, GST_TYPE_ADTS_MUX_OUT,
                                      GST_DEBUG_CATEGORY_INIT(gst_adts_mux_out_debug, "adtsmux-out", 0,
                                                              "Serves AAC as ADTS over HTTP"));

static std::shared_ptr<gstascii::HttpStreamHub> hub_of(GstAdtsMuxOut* self) {
  return std::static_pointer_cast<gstascii::HttpStreamHub>(gst_ascii_server_sink_get_hub(GST_ASCII_SERVER_SINK(self)));
}

static void gst_adts_mux_out_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_ADTS_MUX_OUT(object);
  gstascii::ClientHubConfig& hub = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  if (prop_id == PROP_PATH) {
    gst_ascii_server_sink_set_path(GST_ASCII_SERVER_SINK(self), g_value_get_string(value));
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_CLIENT_BUFFER: hub.client_buffer = g_value_get_uint(value); break;
    case PROP_STORE_PATH: self->impl.store_path = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_ON_DEMAND: self->impl.on_demand = g_value_get_boolean(value); break;
    case PROP_BURST: self->impl.burst_ms = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_adts_mux_out_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_ADTS_MUX_OUT(object);
  const gstascii::ClientHubConfig& hub_config = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  auto hub = hub_of(self);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_PATH: g_value_set_string(value, hub_config.path.c_str()); break;
    case PROP_CLIENT_BUFFER: g_value_set_uint(value, hub_config.client_buffer); break;
    case PROP_CLIENTS_CUT: g_value_set_uint64(value, hub ? hub->clients_cut() : 0); break;
    case PROP_STORE_PATH:
      g_value_set_string(value, self->impl.store_path.empty() ? nullptr : self->impl.store_path.c_str());
      break;
    case PROP_ON_DEMAND: g_value_set_boolean(value, self->impl.on_demand); break;
    case PROP_BURST: g_value_set_uint(value, self->impl.burst_ms); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static std::shared_ptr<gstascii::ClientHub> gst_adts_mux_out_start_hub(GstAsciiServerSink* sink,
                                                                       std::shared_ptr<gstascii::HttpServer> server,
                                                                       const gstascii::ClientHubConfig& config,
                                                                       gstascii::HubCallbacks callbacks,
                                                                       GError** error) {
  GST_ADTS_MUX_OUT(sink)->impl.input = InputState();
  gstascii::HttpStreamConfig stream;
  static_cast<gstascii::ClientHubConfig&>(stream) = config;
  GST_OBJECT_LOCK(sink);
  stream.store_path = GST_ADTS_MUX_OUT(sink)->impl.store_path;
  stream.on_demand = GST_ADTS_MUX_OUT(sink)->impl.on_demand;
  stream.burst_ns = guint64(GST_ADTS_MUX_OUT(sink)->impl.burst_ms) * GST_MSECOND;
  GST_OBJECT_UNLOCK(sink);
  return gstascii::HttpStreamHub::start(std::move(server), stream, std::move(callbacks), error);
}

static void gst_adts_mux_out_reset(GstAsciiServerSink* sink) {
  GST_ADTS_MUX_OUT(sink)->impl.input = InputState();
}

static gboolean gst_adts_mux_out_set_caps(GstBaseSink* sink, GstCaps* caps) {
  auto* self = GST_ADTS_MUX_OUT(sink);
  InputState& in = self->impl.input;
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const gchar* format = gst_structure_get_string(s, "stream-format");
  in.raw = g_strcmp0(format, "raw") == 0;
  gst_structure_get_int(s, "rate", &in.rate);
  if (in.raw) {
    const GValue* v = gst_structure_get_value(s, "codec_data");
    GstBuffer* codec_data = v ? gst_value_get_buffer(v) : nullptr;
    std::string why = "there is no codec_data";
    bool ok = false;
    if (codec_data) {
      gstascii::MappedBuffer map(codec_data, GST_MAP_READ);
      ok = map.ok && gstascii::adts::parse_audio_specific_config(map.info.data, map.info.size, &in.raw_header, &why);
    }
    if (!ok) {
      GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Cannot serve this AAC stream as ADTS: %s", why.c_str()),
                        ("caps %" GST_PTR_FORMAT, caps));
      return FALSE;
    }
    if (in.rate <= 0) in.rate = gstascii::adts::sample_rate_for_index(in.raw_header.sample_rate_index);
  }
  GST_INFO_OBJECT(self, "input: %s AAC at %d Hz", in.raw ? "raw" : "ADTS", in.rate);
  return TRUE;
}

// Sends one whole ADTS frame stamped with the running time it starts at.
static void send_frame(GstAdtsMuxOut* self, gstascii::HttpStreamHub& hub, GBytes* frame, int samples) {
  InputState& in = self->impl.input;
  const GstClockTime time = GST_CLOCK_TIME_IS_VALID(in.next_time) ? in.next_time : 0;
  if (!hub.push(frame, gst_guint64_to_gdouble(time) / GST_SECOND)) {
    GST_WARNING_OBJECT(self, "the server thread is behind: lost a frame, listeners will reconnect");
  }
  in.frames_in++;
  if (in.rate > 0) in.next_time = time + gst_util_uint64_scale_int(samples, GST_SECOND, in.rate);
}

static GstFlowReturn gst_adts_mux_out_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto* self = GST_ADTS_MUX_OUT(sink);
  InputState& in = self->impl.input;
  auto hub = hub_of(self);
  if (!hub) return GST_FLOW_FLUSHING;
  gstascii::MappedBuffer map(buffer, GST_MAP_READ);
  if (!map.ok) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map a buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  // The timestamp of the first frame that starts in this buffer.
  const GstClockTime pts = GST_BUFFER_PTS(buffer);
  const bool frame_starts_here = in.raw || in.framer.buffered_bytes() == 0;
  if (GST_CLOCK_TIME_IS_VALID(pts) && frame_starts_here) {
    const GstClockTime rt = gst_segment_to_running_time(&sink->segment, GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID(rt)) in.next_time = rt;
  }

  if (in.raw) {
    if (map.info.size == 0) return GST_FLOW_OK;
    std::vector<uint8_t> frame(gstascii::adts::kHeaderSize + map.info.size);
    if (!gstascii::adts::write_header(in.raw_header, map.info.size, frame.data())) {
      GST_ELEMENT_WARNING(self, STREAM, FORMAT, ("Skipped an AAC frame of %zu bytes: too long for ADTS", map.info.size),
                          (nullptr));
      return GST_FLOW_OK;
    }
    memcpy(frame.data() + gstascii::adts::kHeaderSize, map.info.data, map.info.size);
    g_autoptr(GBytes) bytes = g_bytes_new(frame.data(), frame.size());
    send_frame(self, *hub, bytes, gstascii::adts::kSamplesPerBlock);
    return GST_FLOW_OK;
  }

  const size_t skipped_before = in.framer.skipped_bytes();
  in.framer.push(map.info.data, map.info.size);
  std::vector<uint8_t> frame;
  gstascii::adts::Header header;
  while (in.framer.next(&frame, &header)) {
    if (in.rate <= 0) in.rate = gstascii::adts::sample_rate_for_index(header.sample_rate_index);
    g_autoptr(GBytes) bytes = g_bytes_new(frame.data(), frame.size());
    send_frame(self, *hub, bytes, header.samples());
  }
  if (in.framer.skipped_bytes() != skipped_before) {
    GST_WARNING_OBJECT(self, "skipped %zu bytes that were not ADTS frames", in.framer.skipped_bytes() - skipped_before);
  }
  return GST_FLOW_OK;
}

static gboolean gst_adts_mux_out_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = GST_ADTS_MUX_OUT(sink);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      if (auto hub = hub_of(self)) hub->end_of_stream();
      break;
    case GST_EVENT_FLUSH_STOP:
      self->impl.input.framer.reset();
      self->impl.input.next_time = GST_CLOCK_TIME_NONE;
      if (auto hub = hub_of(self)) hub->discontinuity();
      break;
    default: break;
  }
  return GST_BASE_SINK_CLASS(gst_adts_mux_out_parent_class)->event(sink, event);
}

static void gst_adts_mux_out_finalize(GObject* object) {
  GST_ADTS_MUX_OUT(object)->impl.~Impl();
  G_OBJECT_CLASS(gst_adts_mux_out_parent_class)->finalize(object);
}

static void gst_adts_mux_out_init(GstAdtsMuxOut* self) {
  new (&self->impl) Impl();
  gstascii::ClientHubConfig& hub = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  hub.path = DEFAULT_PATH;
  hub.client_buffer = DEFAULT_CLIENT_BUFFER;
  // Frames go out at their running time, in step with the picture; none is ever dropped as late,
  // since a hole would put every listener's audio out of step with its start timestamp.
  gst_base_sink_set_sync(GST_BASE_SINK(self), TRUE);
  gst_base_sink_set_max_lateness(GST_BASE_SINK(self), -1);
  gst_base_sink_set_qos_enabled(GST_BASE_SINK(self), FALSE);
}

static void gst_adts_mux_out_class_init(GstAdtsMuxOutClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* basesink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_adts_mux_out_set_property;
  gobject_class->get_property = gst_adts_mux_out_get_property;
  gobject_class->finalize = gst_adts_mux_out_finalize;

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  constexpr auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_PATH, g_param_spec_string("path", "Path", "URL path of the audio stream", DEFAULT_PATH, rw));
  g_object_class_install_property(
      gobject_class, PROP_CLIENT_BUFFER,
      g_param_spec_uint("client-buffer", "Client buffer",
                        "Bytes that may wait for one listener (64 KiB is about 4 s of 128 kbit/s audio); a "
                        "listener further behind is cut off and has to reconnect",
                        4096, 64 * 1024 * 1024, DEFAULT_CLIENT_BUFFER, rw));
  g_object_class_install_property(
      gobject_class, PROP_CLIENTS_CUT,
      g_param_spec_uint64("clients-cut", "Clients cut off",
                          "Listeners disconnected because they fell too far behind or stopped reading", 0, G_MAXUINT64,
                          0, ro));

  g_object_class_install_property(
      gobject_class, PROP_STORE_PATH,
      g_param_spec_string("store-path", "Store path",
                          "Path of an asciihlssink on the same server (\"/hls/\") whose stored sound a request "
                          "with ?start=SECONDS gets from that time on, at its own pace (a viewer who paused or "
                          "sought). Unset: every listener gets the broadcast",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_ON_DEMAND,
      g_param_spec_boolean("on-demand", "On demand",
                           "With store-path: every listener gets the stored sound, from ?start= or else from its "
                           "start, on its own clock (a file encoded ahead of real time, with sync=false)",
                           FALSE, rw));

  g_object_class_install_property(
      gobject_class, PROP_BURST,
      g_param_spec_uint("burst", "Burst",
                        "Milliseconds of the most recent sound a new listener gets at once, and at least 32 KiB of "
                        "it (up to 10 s), so a browser starts playing at once instead of buffering for seconds (its "
                        "X-Audio-Start is that much earlier); 0: from the next frame",
                        0, 10000, DEFAULT_BURST, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "ADTS over HTTP", "Sink/Network/Audio",
                                        "Serves AAC audio as an endless ADTS stream to HTTP listeners",
                                        "gst-ascii developers");

  basesink_class->set_caps = GST_DEBUG_FUNCPTR(gst_adts_mux_out_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR(gst_adts_mux_out_render);
  basesink_class->event = GST_DEBUG_FUNCPTR(gst_adts_mux_out_event);
  auto* server_sink_class = GST_ASCII_SERVER_SINK_CLASS(klass);
  server_sink_class->message_prefix = "adtsmux-out";
  server_sink_class->start_hub = gst_adts_mux_out_start_hub;
  server_sink_class->reset = gst_adts_mux_out_reset;
}
