// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "tty_channel.h"

#include <cstdio>

#include "play_branches.h"

GST_DEBUG_CATEGORY_STATIC(tty_channel_debug);
#define GST_CAT_DEFAULT tty_channel_debug

namespace {

// How often, while the channel plays, it looks whether anyone still watches; it stops after two
// looks in a row find nobody.
constexpr guint kCheckSeconds = 1;

}  // namespace

TtyChannel::~TtyChannel() {
  // The sinks first: then no viewer comes or goes, and nothing more is queued for the main loop.
  for (GstElement* sink : sinks_) g_signal_handlers_disconnect_by_data(sink, this);
  if (pipeline_) {
    if (bus_watch_) {
      g_autoptr(GstBus) bus = gst_element_get_bus(pipeline_);
      gst_bus_remove_watch(bus);
    }
    gst_element_set_state(pipeline_, GST_STATE_NULL);
  }
  // The check timer and an update still queued (whose id the server's thread may not have stored
  // yet, so none is kept) both carry |this|.
  while (g_source_remove_by_user_data(this)) {
  }
  for (GstElement* sink : sinks_) gst_object_unref(sink);
  if (pipeline_) gst_object_unref(pipeline_);
}

bool TtyChannel::build(const PlayOptions& opt, GstAsciiServer* server, std::string* problem) {
  GST_DEBUG_CATEGORY_INIT(tty_channel_debug, "ttychannel", 0, "ascii-launch: a file's terminals");
  opt_ = &opt;
  pipeline_ = gst_pipeline_new("ascii-launch-terminals");
  gst_object_ref_sink(pipeline_);
  // The main pipeline's server: /tty is on the same port as everything else.
  g_autoptr(GstContext) context = gst_ascii_server_context_new(server, TRUE);
  gst_element_set_context(pipeline_, context);
  GstElement* decoder = make_element("uridecodebin", "tty-source", problem);
  video_ = decoder ? make_tty_channel_video(opt, problem) : nullptr;
  if (!video_) {
    if (decoder) gst_object_unref(gst_object_ref_sink(decoder));
    return false;
  }
  g_object_set(decoder, "uri", opt.uri.c_str(), "expose-all-streams", FALSE, nullptr);
  decoder_ = decoder;
  gst_bin_add_many(GST_BIN(pipeline_), decoder, video_, nullptr);
  if (!add_tty_branches(video_, opt.tty_port, opt.host, problem)) return false;
  g_signal_connect(decoder, "pad-added", G_CALLBACK(on_pad_added), this);
  // What viewers connect to: every /tty size, and the raw TCP port.
  GstIterator* it = gst_bin_iterate_sinks(GST_BIN(video_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto* sink = GST_ELEMENT(g_value_get_object(&item));
    const gchar* factory = GST_OBJECT_NAME(gst_element_get_factory(sink));
    if (g_strcmp0(factory, "asciittysink") == 0 || g_strcmp0(factory, "tcpserversink") == 0) watch_clients(sink);
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline_);
  bus_watch_ = gst_bus_add_watch(bus, on_bus, this);
  return true;
}

void TtyChannel::start() {
  // A failure (--tty-port's port in use, say) is said by the error on the bus.
  gst_element_set_state(pipeline_, GST_STATE_PAUSED);
}

void TtyChannel::watch_clients(GstElement* sink) {
  sinks_.push_back(GST_ELEMENT(gst_object_ref(sink)));
  // The signals' arguments differ (ours, tcpserversink's); none is needed.
  g_signal_connect_swapped(sink, "client-added", G_CALLBACK(on_client_change), this);
  g_signal_connect_swapped(sink, "client-removed", G_CALLBACK(on_client_change), this);
}

guint TtyChannel::viewers() const {
  guint total = 0;
  for (GstElement* sink : sinks_) {
    guint n = 0;
    g_object_get(sink, g_object_class_find_property(G_OBJECT_GET_CLASS(sink), "clients") ? "clients" : "num-handles",
                 &n, nullptr);
    total += n;
  }
  return total;
}

// A stream of the file: the picture to the /tty sizes (through imagefreeze for a still), the sound
// to /tty/audio; anything else to a fakesink.
void TtyChannel::on_pad_added(GstElement* decoder, GstPad* pad, gpointer data) {
  auto* self = static_cast<TtyChannel*>(data);
  const DecodedStream kind = decoded_stream(pad);
  GstElement* target = nullptr;
  std::string missing;
  if (is_picture(kind) && !self->video_linked_.exchange(true)) {
    target = self->video_;
    // (Without imagefreeze the main pipeline has said so already.)
    if (kind == DecodedStream::kStillPicture) target = add_freeze_before(self->pipeline_, self->video_, &missing);
  } else if (kind == DecodedStream::kSound && self->opt_->audio && !self->audio_linked_.exchange(true)) {
    SoundServed served;
    served.listeners = false;
    target = make_audio_branch(served, &missing);
    if (target) {
      gst_bin_add(GST_BIN(self->pipeline_), target);
      gst_element_sync_state_with_parent(target);
    } else {
      GST_WARNING("%s: the terminals get no sound", missing.c_str());
    }
  }
  if (!target) return discard_stream(self->pipeline_, pad);
  g_autoptr(GstPad) sink = gst_element_get_static_pad(target, "sink");
  if (GST_PAD_LINK_FAILED(gst_pad_link(pad, sink)))
    GST_ELEMENT_ERROR(decoder, CORE, NEGOTIATION, ("Cannot link a decoded stream for the terminals"), (nullptr));
}

void TtyChannel::on_client_change(gpointer data) {
  auto* self = static_cast<TtyChannel*>(data);
  // From the server's thread: looked at on the main loop.
  if (!self->update_queued_.exchange(true)) g_idle_add(update, self);
}

// Plays while a terminal watches.
gboolean TtyChannel::update(gpointer data) {
  auto* self = static_cast<TtyChannel*>(data);
  self->update_queued_ = false;
  if (self->broken_ || self->playing_ || self->viewers() == 0) return G_SOURCE_REMOVE;
  GST_INFO("a terminal watches: playing");
  gst_element_set_state(self->pipeline_, GST_STATE_PLAYING);
  self->playing_ = true;
  self->idle_checks_ = 0;
  self->check_timer_ = g_timeout_add_seconds(kCheckSeconds, check_viewers, self);
  return G_SOURCE_REMOVE;
}

// Nobody has watched for two looks: stop, and go back to the start for the next one.
gboolean TtyChannel::check_viewers(gpointer data) {
  auto* self = static_cast<TtyChannel*>(data);
  if (self->viewers() > 0) {
    self->idle_checks_ = 0;
    return G_SOURCE_CONTINUE;
  }
  if (++self->idle_checks_ < 2) return G_SOURCE_CONTINUE;
  GST_INFO("no terminal watches: stopped, back at the start");
  self->check_timer_ = 0;
  self->playing_ = false;
  gst_element_set_state(self->pipeline_, GST_STATE_PAUSED);
  self->rewind(GST_SEEK_FLAG_FLUSH);
  return G_SOURCE_REMOVE;
}

void TtyChannel::rewind(GstSeekFlags flags) {
  if (segmented_) flags = GstSeekFlags(flags | GST_SEEK_FLAG_SEGMENT);
  if (!gst_element_seek(pipeline_, 1.0, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET, 0, GST_SEEK_TYPE_NONE, -1))
    GST_WARNING("cannot go back to the start of the file");
}

gboolean TtyChannel::on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<TtyChannel*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ASYNC_DONE:
      // Once prerolled the first time, the file is played as a segment, so that its end is a
      // SEGMENT_DONE that starts it again without a flush.
      if (!self->segmented_ && GST_MESSAGE_SRC(msg) == GST_OBJECT(self->pipeline_)) {
        self->segmented_ = true;
        self->rewind(GST_SEEK_FLAG_FLUSH);
      }
      break;
    case GST_MESSAGE_SEGMENT_DONE: self->rewind(GST_SEEK_FLAG_NONE); break;
    case GST_MESSAGE_EOS:
      // A file that would not play as a segment: back to its start, from the top.
      self->rewind(GST_SEEK_FLAG_FLUSH);
      break;
    case GST_MESSAGE_ERROR: {
      g_autoptr(GError) error = nullptr;
      g_autofree gchar* debug = nullptr;
      gst_message_parse_error(msg, &error, &debug);
      // What is wrong with the file the main pipeline says too: one line, not two.
      const bool from_file = GST_MESSAGE_SRC(msg) == GST_OBJECT(self->decoder_) ||
                             gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(self->decoder_));
      if (!from_file) g_printerr("ascii-launch: terminals (/tty): %s\n", error->message);
      GST_WARNING("%s (%s)", error->message, GST_STR_NULL(debug));
      self->broken_ = true;
      self->playing_ = false;
      if (self->check_timer_) g_source_remove(self->check_timer_);
      self->check_timer_ = 0;
      gst_element_set_state(self->pipeline_, GST_STATE_NULL);
      break;
    }
    default: break;
  }
  return G_SOURCE_CONTINUE;
}
