// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ascii_preview.h"

#include <gst/app/gstappsrc.h>

AsciiPreview::~AsciiPreview() {
  if (watch_) g_source_remove(watch_);
  if (pipeline_) {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_object_unref(src_);
    gst_object_unref(pipeline_);
  }
  gst_clear_caps(&caps_);
}

bool AsciiPreview::start(GstObject* server, std::string* error) {
  // videorate drop-only: a sender faster than 30 fps is thinned, a slower one passes as it is (frame
  // indices follow the timestamps either way).
  const char* description =
      "appsrc name=src is-live=true format=time leaky-type=downstream max-buffers=2 ! "
      "videorate drop-only=true max-rate=30 ! asciimap mode=3 ! ascilinepay codec=adaptive ! "
      "websocketsink name=sink sync=false";
  g_autoptr(GError) err = nullptr;
  pipeline_ = gst_parse_launch(description, &err);
  if (!pipeline_) {
    *error = err->message;
    return false;
  }
  // Values are set, never spliced into the description.
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline_), "sink");
  g_object_set(sink, "server", server, nullptr);
  src_ = gst_bin_get_by_name(GST_BIN(pipeline_), "src");
  // The bus carries a message for each viewer that comes and goes and for each control message a
  // player sends (pause, seek): read them all, so none pile up, and say what went wrong.
  g_autoptr(GstBus) watched = gst_element_get_bus(pipeline_);
  watch_ = gst_bus_add_watch(
      watched,
      [](GstBus*, GstMessage* msg, gpointer) -> gboolean {
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
          g_autoptr(GError) err = nullptr;
          gst_message_parse_error(msg, &err, nullptr);
          g_printerr("ascii-launch record: the preview: %s\n", err->message);
        }
        return G_SOURCE_CONTINUE;
      },
      nullptr);
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // websocketsink names the reason (a port in use) in its error message.
    g_autoptr(GstBus) bus = gst_element_get_bus(pipeline_);
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) why = nullptr;
    if (msg) gst_message_parse_error(msg, &why, nullptr);
    *error = why ? why->message : "the preview could not start";
    return false;
  }
  return true;
}

void AsciiPreview::push(GstSample* sample) {
  std::lock_guard<std::mutex> lock(mutex_);
  GstCaps* caps = gst_sample_get_caps(sample);
  if (!caps) return;
  if (!caps_ || !gst_caps_is_equal(caps, caps_)) {
    gst_caps_replace(&caps_, caps);
    // ascilinepay needs a frame rate; a stream without timing info has none (0/1).
    g_autoptr(GstCaps) fixed = gst_caps_copy(caps);
    gint num = 0, den = 1;
    if (!gst_structure_get_fraction(gst_caps_get_structure(fixed, 0), "framerate", &num, &den) || num <= 0)
      gst_caps_set_simple(fixed, "framerate", GST_TYPE_FRACTION, 30, 1, nullptr);
    gst_app_src_set_caps(GST_APP_SRC(src_), fixed);
  }
  gst_app_src_push_buffer(GST_APP_SRC(src_), gst_buffer_ref(gst_sample_get_buffer(sample)));
}
