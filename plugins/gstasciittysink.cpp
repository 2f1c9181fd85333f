// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-asciittysink
 * @title: asciittysink
 *
 * Serves a terminal stream (asciiansienc's escape codes) to any number of terminals over plain
 * HTTP: `curl -N http://HOST:PORT/tty` shows the picture in the terminal curl runs in, with
 * nothing installed. Each viewer gets one endless chunked response (`text/plain; charset=utf-8`).
 *
 * One encode serves every viewer. A viewer starts at a whole picture, after the stream's header
 * (clear the screen, hide the cursor): one is asked for upstream (a force-key-unit event, which
 * asciiansienc answers) as it joins. A viewer that falls #GstAsciiTtySink:client-buffer bytes
 * behind skips what it missed and goes on from the next whole picture, so memory per viewer stays
 * bounded and nobody waits for it; one that reads nothing for #GstAsciiServerSink:client-timeout
 * is cut off.
 *
 * Several sinks on one server offer several grids: a request for `/tty?size=120x40` is answered
 * by the sink whose #GstAsciiTtySink:path is `/tty/120x40` (unless the `/tty` sink's
 * #GstAsciiTtySink:size is `120x40`); an unknown size gets a 404 that lists those offered.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! asciimap style=half mode=6 cols=80 rows=22 ! asciiansienc !
 * asciittysink port=8080
 * ]| Then `curl -N http://127.0.0.1:8080/tty` in an 80 x 24 terminal.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciittysink.h"

#include <memory>

#include "gstasciicaps.h"
#include "gstasciiraii.h"
#include "gstasciittyhub.h"

GST_DEBUG_CATEGORY_STATIC(gst_ascii_tty_sink_debug);
#define GST_CAT_DEFAULT gst_ascii_tty_sink_debug

enum {
  PROP_0,
  PROP_PATH,
  PROP_CLIENT_BUFFER,
  PROP_SKIPS,
  PROP_SIZE,
};

#define DEFAULT_PATH "/tty"
#define DEFAULT_CLIENT_BUFFER (1024 * 1024)

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_ANSI_TERMINAL_MEDIA_TYPE));

struct _GstAsciiTtySink {
  GstAsciiServerSink parent;
  gchar* size;  // under the object lock
};

G_DEFINE_TYPE(GstAsciiTtySink, gst_ascii_tty_sink, GST_TYPE_ASCII_SERVER_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(asciittysink, "asciittysink", GST_RANK_NONE, GST_TYPE_ASCII_TTY_SINK,
                                      GST_DEBUG_CATEGORY_INIT(gst_ascii_tty_sink_debug, "asciittysink", 0,
                                                              "Serves terminal streams over HTTP"));

static std::shared_ptr<gstascii::TtyHub> hub_of(GstAsciiTtySink* self) {
  return std::static_pointer_cast<gstascii::TtyHub>(gst_ascii_server_sink_get_hub(GST_ASCII_SERVER_SINK(self)));
}

static void gst_ascii_tty_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_ASCII_TTY_SINK(object);
  gstascii::ClientHubConfig& hub = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  switch (prop_id) {
    case PROP_PATH: gst_ascii_server_sink_set_path(GST_ASCII_SERVER_SINK(self), g_value_get_string(value)); break;
    case PROP_CLIENT_BUFFER:
      GST_OBJECT_LOCK(self);
      hub.client_buffer = g_value_get_uint(value);
      GST_OBJECT_UNLOCK(self);
      break;
    case PROP_SIZE:
      GST_OBJECT_LOCK(self);
      g_free(self->size);
      self->size = g_value_dup_string(value);
      GST_OBJECT_UNLOCK(self);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

static void gst_ascii_tty_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_ASCII_TTY_SINK(object);
  const gstascii::ClientHubConfig& hub_config = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  auto hub = hub_of(self);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_PATH: g_value_set_string(value, hub_config.path.c_str()); break;
    case PROP_CLIENT_BUFFER: g_value_set_uint(value, hub_config.client_buffer); break;
    case PROP_SKIPS: g_value_set_uint64(value, hub ? hub->skips() : 0); break;
    case PROP_SIZE: g_value_set_string(value, self->size); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static std::shared_ptr<gstascii::ClientHub> gst_ascii_tty_sink_start_hub(GstAsciiServerSink* sink,
                                                                         std::shared_ptr<gstascii::HttpServer> server,
                                                                         const gstascii::ClientHubConfig& config,
                                                                         gstascii::HubCallbacks callbacks,
                                                                         GError** error) {
  gstascii::TtyHubConfig tty;
  static_cast<gstascii::ClientHubConfig&>(tty) = config;
  GST_OBJECT_LOCK(sink);
  tty.size = GST_ASCII_TTY_SINK(sink)->size ? GST_ASCII_TTY_SINK(sink)->size : "";
  GST_OBJECT_UNLOCK(sink);
  return gstascii::TtyHub::start(std::move(server), tty, std::move(callbacks), error);
}

static gboolean gst_ascii_tty_sink_set_caps(GstBaseSink* sink, GstCaps* caps) {
  auto* self = GST_ASCII_TTY_SINK(sink);
  auto hub = hub_of(self);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  const GValue* headers = gst_structure_get_value(s, "streamheader");
  if (hub && headers && GST_VALUE_HOLDS_ARRAY(headers) && gst_value_array_get_size(headers) > 0) {
    GstBuffer* header = gst_value_get_buffer(gst_value_array_get_value(headers, 0));
    g_autoptr(GBytes) bytes = header ? gstascii::bytes_from_buffer(header) : nullptr;
    if (bytes) hub->set_header(bytes);
  }
  return TRUE;
}

static GstFlowReturn gst_ascii_tty_sink_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto hub = hub_of(GST_ASCII_TTY_SINK(sink));
  if (!hub) return GST_FLOW_FLUSHING;
  g_autoptr(GBytes) bytes = gstascii::bytes_from_buffer(buffer);
  if (!bytes) {
    GST_ELEMENT_ERROR(sink, RESOURCE, READ, ("Could not map a buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  hub->push(bytes, !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT));
  return GST_FLOW_OK;
}

static gboolean gst_ascii_tty_sink_event(GstBaseSink* sink, GstEvent* event) {
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    if (auto hub = hub_of(GST_ASCII_TTY_SINK(sink))) hub->end_of_stream();
  }
  return GST_BASE_SINK_CLASS(gst_ascii_tty_sink_parent_class)->event(sink, event);
}

static void gst_ascii_tty_sink_finalize(GObject* object) {
  g_free(GST_ASCII_TTY_SINK(object)->size);
  G_OBJECT_CLASS(gst_ascii_tty_sink_parent_class)->finalize(object);
}

static void gst_ascii_tty_sink_init(GstAsciiTtySink* self) {
  gstascii::ClientHubConfig& hub = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  hub.path = DEFAULT_PATH;
  hub.client_buffer = DEFAULT_CLIENT_BUFFER;
  // Frames go out at their running time; none is dropped as late (a lost delta would garble every
  // screen until the next whole picture).
  gst_base_sink_set_sync(GST_BASE_SINK(self), TRUE);
  gst_base_sink_set_max_lateness(GST_BASE_SINK(self), -1);
  gst_base_sink_set_qos_enabled(GST_BASE_SINK(self), FALSE);
}

static void gst_ascii_tty_sink_class_init(GstAsciiTtySinkClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* basesink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_ascii_tty_sink_set_property;
  gobject_class->get_property = gst_ascii_tty_sink_get_property;
  gobject_class->finalize = gst_ascii_tty_sink_finalize;

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  constexpr auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_PATH,
      g_param_spec_string("path", "Path",
                          "URL path of the terminal stream; /tty/COLSxROWS also answers /tty?size=COLSxROWS when a "
                          "sink on the same server has the path /tty",
                          DEFAULT_PATH, rw));
  g_object_class_install_property(
      gobject_class, PROP_CLIENT_BUFFER,
      g_param_spec_uint("client-buffer", "Client buffer",
                        "Bytes that may wait for one terminal (a whole 200x84 picture in 24-bit colour is about "
                        "600 KB); a terminal further behind skips to the next whole picture",
                        4096, 64 * 1024 * 1024, DEFAULT_CLIENT_BUFFER, rw));
  g_object_class_install_property(
      gobject_class, PROP_SIZE,
      g_param_spec_string("size", "Size",
                          "The terminal size the picture is drawn for (COLSxROWS), which a viewer may name in "
                          "?size= to get this sink; other sizes go to PATH/COLSxROWS",
                          nullptr, rw));
  g_object_class_install_property(gobject_class, PROP_SKIPS,
                                  g_param_spec_uint64("skips", "Skips",
                                                      "Times a terminal fell behind and skipped to the next whole "
                                                      "picture",
                                                      0, G_MAXUINT64, 0, ro));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "Terminal stream over HTTP", "Sink/Network",
                                        "Serves terminal escape codes to terminals over plain HTTP (curl -N)",
                                        "gst-ascii developers");

  basesink_class->set_caps = GST_DEBUG_FUNCPTR(gst_ascii_tty_sink_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR(gst_ascii_tty_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR(gst_ascii_tty_sink_event);
  auto* server_sink_class = GST_ASCII_SERVER_SINK_CLASS(klass);
  server_sink_class->message_prefix = "asciittysink";
  server_sink_class->start_hub = gst_ascii_tty_sink_start_hub;
}
