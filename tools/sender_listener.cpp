// SPDX-License-Identifier: LGPL-2.1-or-later
#include "sender_listener.h"

#include <gst/app/gstappsrc.h>

#include <utility>

SenderListener::SenderListener(IngestAddress address, Callbacks callbacks)
    : address_(std::move(address)), callbacks_(std::move(callbacks)) {}

SenderListener::~SenderListener() {
  stop();
  // A restart still queued points at us.
  while (g_idle_remove_by_data(this)) {
  }
}

void SenderListener::stop() {
  stopped_ = true;
  close_connection();
}

void SenderListener::close_connection() {
  if (!pipeline_) return;
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline_);
  gst_bus_remove_watch(bus);
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  gst_object_unref(pipeline_);
  pipeline_ = nullptr;
}

void SenderListener::start() {
  // The topology is fixed; the values (host, port, passphrase) are set on the elements.
  g_autoptr(GError) error = nullptr;
  pipeline_ = gst_parse_launch(
      "tsdemux name=demux latency=0 "
      "h264parse name=vparse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au ! "
      "appsink name=vout sync=false async=false "
      "aacparse name=aparse ! audio/mpeg,stream-format=adts ! appsink name=aout sync=false async=false",
      &error);
  if (!pipeline_) {
    callbacks_.failed(error->message);
    return;
  }
  // The source: the connection's end comes as EOS from either (srtsrc without keep-listening).
  GstElement* src = gst_element_factory_make(address_.srt ? "srtsrc" : "tcpserversrc", "src");
  if (!src) {
    close_connection();
    callbacks_.failed(address_.srt ? "SRT needs the srtsrc element (gstreamer1.0-plugins-bad)"
                                   : "the tcpserversrc element is missing (gstreamer1.0-plugins-base)");
    return;
  }
  if (address_.srt) {
    g_object_set(src, "mode", 2 /* listener */, "localaddress", address_.host.c_str(), "localport",
                 guint(address_.port), nullptr);
    if (!address_.passphrase.empty()) g_object_set(src, "passphrase", address_.passphrase.c_str(), nullptr);
  } else {
    g_object_set(src, "host", address_.host.c_str(), "port", address_.port, nullptr);
  }
  gst_bin_add(GST_BIN(pipeline_), src);
  g_autoptr(GstElement) demux = gst_bin_get_by_name(GST_BIN(pipeline_), "demux");
  gst_element_link(src, demux);
  g_signal_connect(demux, "pad-added", G_CALLBACK(on_pad), this);
  g_signal_connect(demux, "no-more-pads", G_CALLBACK(on_no_more_pads), this);
  const std::pair<const char*, GstFlowReturn (*)(GstAppSink*, gpointer)> outs[] = {{"vout", on_video},
                                                                                   {"aout", on_audio}};
  for (const auto& [name, fn] : outs) {
    g_autoptr(GstElement) out = gst_bin_get_by_name(GST_BIN(pipeline_), name);
    GstAppSinkCallbacks callbacks = {};
    callbacks.new_sample = fn;
    gst_app_sink_set_callbacks(GST_APP_SINK(out), &callbacks, this, nullptr);
  }
  g_autoptr(GstPad) src_pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(src_pad, GST_PAD_PROBE_TYPE_BUFFER, on_first_bytes, this, nullptr);
  gst_pad_add_probe(src_pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_eos, this, nullptr);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline_);
  gst_bus_add_watch(bus, on_bus, this);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    close_connection();
    callbacks_.failed("cannot listen on " + address_.url() + " (in use?)");
  }
}

// A picture or sound from the sender, onto the session's timeline.
GstFlowReturn SenderListener::forward(GstAppSink* sink, bool audio) {
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  const int sound = sound_.load();
  if (sound == kUndecided || (audio && sound == kWithoutSound)) return GST_FLOW_OK;
  GstBuffer* in = gst_sample_get_buffer(sample);
  GstBuffer* out = gst_buffer_copy(in);  // shares the memory
  const auto stamp = clock_.map(GST_BUFFER_PTS(in), GST_BUFFER_DTS(in), g_get_monotonic_time());
  GST_BUFFER_PTS(out) = stamp.pts;
  GST_BUFFER_DTS(out) = stamp.dts;
  const GstFlowReturn ret = callbacks_.media(out, gst_sample_get_caps(sample), audio);
  gst_buffer_unref(out);
  return ret;
}

GstFlowReturn SenderListener::on_video(GstAppSink* sink, gpointer data) {
  return static_cast<SenderListener*>(data)->forward(sink, false);
}

GstFlowReturn SenderListener::on_audio(GstAppSink* sink, gpointer data) {
  return static_cast<SenderListener*>(data)->forward(sink, true);
}

// Links the first H.264 and the first AAC stream tsdemux finds; anything else is named and left.
void SenderListener::on_pad(GstElement*, GstPad* pad, gpointer data) {
  auto* self = static_cast<SenderListener*>(data);
  g_autoptr(GstCaps) caps = gst_pad_query_caps(pad, nullptr);
  const GstStructure* st = gst_caps_get_structure(caps, 0);
  const char* parser = nullptr;
  gint mpegversion = 0;
  gst_structure_get_int(st, "mpegversion", &mpegversion);
  if (gst_structure_has_name(st, "video/x-h264")) {
    parser = "vparse";
  } else if (gst_structure_has_name(st, "audio/mpeg") && (mpegversion == 2 || mpegversion == 4)) {
    if (self->sound_ == kWithoutSound) {
      g_print("ascii-launch record: this sender has audio, but the session began without it; not recorded\n");
      return;
    }
    parser = "aparse";
  } else {
    g_autofree gchar* desc = gst_caps_to_string(caps);
    g_printerr("ascii-launch record: %s is not supported (H.264 video and AAC audio are); not recorded\n", desc);
    return;
  }
  g_autoptr(GstElement) parse = gst_bin_get_by_name(GST_BIN(self->pipeline_), parser);
  g_autoptr(GstPad) sink = gst_element_get_static_pad(parse, "sink");
  if (!gst_pad_is_linked(sink)) gst_pad_link(pad, sink);
}

// The first sender's streams are known: the owner starts the session to match.
void SenderListener::on_no_more_pads(GstElement*, gpointer data) {
  auto* self = static_cast<SenderListener*>(data);
  g_autoptr(GstElement) vparse = gst_bin_get_by_name(GST_BIN(self->pipeline_), "vparse");
  g_autoptr(GstElement) aparse = gst_bin_get_by_name(GST_BIN(self->pipeline_), "aparse");
  g_autoptr(GstPad) vsink = gst_element_get_static_pad(vparse, "sink");
  g_autoptr(GstPad) asink = gst_element_get_static_pad(aparse, "sink");
  const bool video = gst_pad_is_linked(vsink), audio = gst_pad_is_linked(asink);
  if (!video) {
    g_printerr("ascii-launch record: the sender's stream has no H.264 video; nothing is recorded from it\n");
    return;
  }
  if (self->sound_ != kUndecided) return;
  if (!audio) g_print("ascii-launch record: the stream has no AAC audio; transcript/audio.json says so\n");
  if (self->callbacks_.first_streams(audio)) self->sound_ = audio ? kWithSound : kWithoutSound;
}

// Tears this connection down and listens again, from the main loop (never inside a callback of
// the pipeline being destroyed). Once per connection, whether its end came as EOS or an error.
void SenderListener::restart() {
  if (restart_pending_.exchange(true)) return;
  g_idle_add(
      [](gpointer d) -> gboolean {
        auto* self = static_cast<SenderListener*>(d);
        self->close_connection();
        self->restart_pending_ = false;
        if (self->stopped_) return G_SOURCE_REMOVE;
        self->start();
        if (self->pipeline_) self->callbacks_.listening();
        return G_SOURCE_REMOVE;
      },
      this);
}

gboolean SenderListener::on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<SenderListener*>(data);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    g_printerr("ascii-launch record: the sender's stream: %s\n", err->message);
    self->restart();
  }
  return G_SOURCE_CONTINUE;
}

// The sender closed the connection (tcpserversrc sends EOS). Seen on its pad, since the pipeline's
// own EOS needs every sink, and one for a stream this sender lacks never gets any.
GstPadProbeReturn SenderListener::on_eos(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<SenderListener*>(data);
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) != GST_EVENT_EOS) return GST_PAD_PROBE_OK;
  self->callbacks_.disconnected();
  self->restart();
  return GST_PAD_PROBE_OK;
}

// A connection's first bytes: the sender is here.
GstPadProbeReturn SenderListener::on_first_bytes(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* self = static_cast<SenderListener*>(data);
  self->clock_.new_connection();
  g_idle_add(
      [](gpointer d) -> gboolean {
        auto* listener = static_cast<SenderListener*>(d);
        listener->callbacks_.connected(listener->clock_.connections());
        return G_SOURCE_REMOVE;
      },
      self);
  return GST_PAD_PROBE_REMOVE;
}
