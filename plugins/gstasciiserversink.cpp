// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:gstasciiserversink
 * @title: GstAsciiServerSink
 *
 * The base of websocketsink and adtsmux-out. Each serves one URL path (#GstWebSocketSink:path,
 * #GstAdtsMuxOut:path) of a #GstAsciiServer to any number of clients, each bounded so that no
 * client can stall the pipeline or the others.
 *
 * The server: the #GstAsciiServerSink:server property if set; else one handed over in a GstContext
 * of type `gst-ascii.http-server`; else the sink makes one for #GstAsciiServerSink:host and
 * #GstAsciiServerSink:port and shares it with the rest of the pipeline through that context (so
 * two sinks with port 0 meet on one server). See #GstAsciiServer.
 *
 * For the application, as multisocketsink offers: #GstAsciiServerSink::client-added and
 * #GstAsciiServerSink::client-removed (emitted from the server's thread), the action signal
 * #GstAsciiServerSink::get-stats for one client's statistics, the `clients`, `frames-sent` and
 * `bytes-sent` totals, and element messages on the bus: `PREFIX-client-connected`,
 * `PREFIX-client-disconnected` and, for messages a client sends that an application may act on,
 * `PREFIX-control` (PREFIX is the element's name: websocketsink, adtsmux-out).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciiserversink.h"

#include <gst/video/video.h>

#include <new>
#include <string>

#include "gstasciihttpserver.h"

GST_DEBUG_CATEGORY_STATIC(gst_ascii_server_sink_debug);
#define GST_CAT_DEFAULT gst_ascii_server_sink_debug

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_SERVER,
  PROP_MAX_CLIENTS,
  PROP_ALLOWED_ORIGINS,
  PROP_CLIENT_TIMEOUT,
  PROP_CLIENTS,
  PROP_FRAMES_SENT,
  PROP_BYTES_SENT,
};

enum { SIGNAL_CLIENT_ADDED, SIGNAL_CLIENT_REMOVED, SIGNAL_GET_STATS, N_SIGNALS };
static guint signals[N_SIGNALS];

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 8080

namespace {

struct Settings {
  std::string host = DEFAULT_HOST;
  guint port = DEFAULT_PORT;
  gstascii::ClientHubConfig hub;
  GstAsciiServer* server = nullptr;  // the server property (ours)
};

struct Impl {
  Settings settings;  // under the object lock
  // Between start and stop.
  GstAsciiServer* serving = nullptr;
  std::shared_ptr<gstascii::ClientHub> hub;

  ~Impl() {
    if (settings.server) gst_object_unref(settings.server);
    if (serving) gst_object_unref(serving);
  }
};

struct GstAsciiServerSinkPrivate {
  Impl impl;
};

}  // namespace

G_DEFINE_ABSTRACT_TYPE_WITH_CODE(GstAsciiServerSink, gst_ascii_server_sink, GST_TYPE_BASE_SINK,
                                 G_ADD_PRIVATE(GstAsciiServerSink);
                                 GST_DEBUG_CATEGORY_INIT(gst_ascii_server_sink_debug, "asciiserversink", 0,
                                                         "Base of the gst-ascii network sinks"));

static Impl& impl_of(GstAsciiServerSink* self) {
  return static_cast<GstAsciiServerSinkPrivate*>(gst_ascii_server_sink_get_instance_private(self))->impl;
}

gstascii::ClientHubConfig& gst_ascii_server_sink_config(GstAsciiServerSink* sink) {
  return impl_of(sink).settings.hub;
}

void gst_ascii_server_sink_set_path(GstAsciiServerSink* sink, const gchar* path) {
  if (!gstascii::valid_url_path(path)) {
    GST_WARNING_OBJECT(sink, "a path must start with '/' and have no query (\"%s\" refused)", GST_STR_NULL(path));
    return;
  }
  GST_OBJECT_LOCK(sink);
  impl_of(sink).settings.hub.path = path;
  GST_OBJECT_UNLOCK(sink);
}

std::shared_ptr<gstascii::ClientHub> gst_ascii_server_sink_get_hub(GstAsciiServerSink* sink) {
  GST_OBJECT_LOCK(sink);
  auto hub = impl_of(sink).hub;
  GST_OBJECT_UNLOCK(sink);
  return hub;
}

static void gst_ascii_server_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_ASCII_SERVER_SINK(object);
  Settings& s = impl_of(self).settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_HOST: s.host = g_value_get_string(value) ? g_value_get_string(value) : DEFAULT_HOST; break;
    case PROP_PORT: s.port = g_value_get_uint(value); break;
    case PROP_SERVER:
      gst_clear_object(&s.server);
      s.server = GST_ASCII_SERVER(g_value_dup_object(value));
      break;
    case PROP_MAX_CLIENTS: s.hub.max_clients = g_value_get_uint(value); break;
    case PROP_ALLOWED_ORIGINS: s.hub.allowed_origins = gstascii::split_origins(g_value_get_string(value)); break;
    case PROP_CLIENT_TIMEOUT: s.hub.client_timeout = g_value_get_uint64(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_ascii_server_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_ASCII_SERVER_SINK(object);
  Impl& impl = impl_of(self);
  const Settings& s = impl.settings;
  GST_OBJECT_LOCK(self);
  const gstascii::HubTotals* totals = impl.hub ? &impl.hub->totals() : nullptr;
  switch (prop_id) {
    case PROP_HOST: g_value_set_string(value, s.host.c_str()); break;
    case PROP_PORT: g_value_set_uint(value, impl.hub ? impl.hub->server_port() : s.port); break;
    case PROP_SERVER: g_value_set_object(value, impl.serving ? impl.serving : s.server); break;
    case PROP_MAX_CLIENTS: g_value_set_uint(value, s.hub.max_clients); break;
    case PROP_ALLOWED_ORIGINS: g_value_set_string(value, gstascii::join_origins(s.hub.allowed_origins).c_str()); break;
    case PROP_CLIENT_TIMEOUT: g_value_set_uint64(value, s.hub.client_timeout); break;
    case PROP_CLIENTS: g_value_set_uint(value, totals ? totals->clients.get() : 0); break;
    case PROP_FRAMES_SENT: g_value_set_uint64(value, totals ? totals->frames_sent.load() : 0); break;
    case PROP_BYTES_SENT: g_value_set_uint64(value, totals ? totals->bytes_sent.load() : 0); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void post_client_message(GstAsciiServerSink* self, const char* event, GstStructure* details) {
  const std::string name = std::string(GST_ASCII_SERVER_SINK_GET_CLASS(self)->message_prefix) + "-" + event;
  gst_structure_set_name(details, name.c_str());
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), details));
}

// What the hub tells this sink. The hub's stop(), called from ours, clears them before it returns,
// so |self| is alive whenever one runs.
static gstascii::HubCallbacks callbacks_for(GstAsciiServerSink* self) {
  gstascii::HubCallbacks callbacks;
  callbacks.client_added = [self](guint64 id, const std::string& address, GstStructure* details) {
    g_signal_emit(self, signals[SIGNAL_CLIENT_ADDED], 0, id, address.c_str());
    post_client_message(self, "client-connected", details);
  };
  callbacks.client_removed = [self](guint64 id, const std::string& address, GstStructure* details) {
    g_signal_emit(self, signals[SIGNAL_CLIENT_REMOVED], 0, id, address.c_str());
    post_client_message(self, "client-disconnected", details);
  };
  callbacks.client_message = [self](GstStructure* message) {
    post_client_message(self, gst_structure_get_name(message), message);
  };
  callbacks.keyframe_wanted = [self] {
    GST_DEBUG_OBJECT(self, "asking upstream for a keyframe");
    gst_pad_push_event(GST_BASE_SINK_PAD(self),
                       gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
  };
  return callbacks;
}

static gboolean gst_ascii_server_sink_start(GstBaseSink* sink) {
  auto* self = GST_ASCII_SERVER_SINK(sink);
  auto* klass = GST_ASCII_SERVER_SINK_GET_CLASS(self);
  Impl& impl = impl_of(self);
  GST_OBJECT_LOCK(self);
  Settings s = impl.settings;
  if (s.server) gst_object_ref(s.server);
  GST_OBJECT_UNLOCK(self);

  gboolean created = FALSE;
  GstAsciiServer* server = gst_ascii_server_find_for(GST_ELEMENT(self), s.server, s.host.c_str(), s.port, &created);
  if (s.server) gst_object_unref(s.server);
  s.server = nullptr;
  if (klass->prepare_server) klass->prepare_server(self, server, created);
  g_autoptr(GError) error = nullptr;
  if (!gst_ascii_server_start(server, &error)) {
    gchar* host = nullptr;
    guint port = 0;
    g_object_get(server, "host", &host, "port", &port, nullptr);
    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE,
                        ("Port %u on %s is already in use (choose another with the port property)", port, host),
                        ("%s", error->message));
    } else {
      GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE,
                        ("Could not listen on %s port %u: %s", host, port, error->message), (nullptr));
    }
    g_free(host);
    gst_object_unref(server);
    return FALSE;
  }
  if (created) {
    // The rest of the pipeline (another sink with port 0, say) may share it.
    GstContext* context = gst_ascii_server_context_new(server, FALSE);
    gst_element_post_message(GST_ELEMENT(self), gst_message_new_have_context(GST_OBJECT(self), context));
  }
  auto hub = klass->start_hub(self, gst_ascii_server_get_http(server), s.hub, callbacks_for(self), &error);
  if (!hub) {
    GST_ELEMENT_ERROR(self, RESOURCE, BUSY, ("%s", error->message), (nullptr));
    gst_object_unref(server);
    return FALSE;
  }
  GST_OBJECT_LOCK(self);
  impl.serving = server;
  impl.hub = hub;
  GST_OBJECT_UNLOCK(self);
  GST_INFO_OBJECT(self, "serving port %u%s", hub->server_port(), s.hub.path.c_str());
  g_object_notify(G_OBJECT(self), "port");
  return TRUE;
}

static gboolean gst_ascii_server_sink_stop(GstBaseSink* sink) {
  auto* self = GST_ASCII_SERVER_SINK(sink);
  Impl& impl = impl_of(self);
  GST_OBJECT_LOCK(self);
  auto hub = std::move(impl.hub);
  GstAsciiServer* server = impl.serving;
  impl.serving = nullptr;
  GST_OBJECT_UNLOCK(self);
  if (hub) hub->stop();
  hub.reset();
  // The server outlives us when someone else holds it; otherwise this stops its thread and
  // closes its socket.
  if (server) gst_object_unref(server);
  auto* klass = GST_ASCII_SERVER_SINK_GET_CLASS(self);
  if (klass->reset) klass->reset(self);
  return TRUE;
}

static GstStructure* gst_ascii_server_sink_get_stats(GstAsciiServerSink* self, guint64 client_id) {
  auto hub = gst_ascii_server_sink_get_hub(self);
  return hub ? hub->client_stats(client_id) : nullptr;
}

static void gst_ascii_server_sink_finalize(GObject* object) {
  Impl& impl = impl_of(GST_ASCII_SERVER_SINK(object));
  if (impl.hub) impl.hub->stop();
  impl.~Impl();
  G_OBJECT_CLASS(gst_ascii_server_sink_parent_class)->finalize(object);
}

static void gst_ascii_server_sink_init(GstAsciiServerSink* self) {
  new (&impl_of(self)) Impl();
}

static void gst_ascii_server_sink_class_init(GstAsciiServerSinkClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* basesink_class = GST_BASE_SINK_CLASS(klass);

  gobject_class->set_property = gst_ascii_server_sink_set_property;
  gobject_class->get_property = gst_ascii_server_sink_get_property;
  gobject_class->finalize = gst_ascii_server_sink_finalize;

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  constexpr auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_HOST,
      g_param_spec_string("host", "Host",
                          "Address to listen on (an IP address or a host name) when the sink makes its own server. "
                          "The default serves this machine only; 0.0.0.0 serves every network the machine is on",
                          DEFAULT_HOST, rw));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port",
                        "TCP port to listen on when the sink makes its own server; 0 picks a free one, shared "
                        "by the pipeline's other sinks with port 0. Once started, reads the port in use",
                        0, 65535, DEFAULT_PORT, rw));
  g_object_class_install_property(
      gobject_class, PROP_SERVER,
      g_param_spec_object("server", "Server",
                          "The GstAsciiServer to serve on (host and port are then the server's). Unset: one from a "
                          "gst-ascii.http-server context, or one the sink makes. Once started, reads the one in use",
                          GST_TYPE_ASCII_SERVER, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_CLIENTS,
      g_param_spec_uint("max-clients", "Max clients",
                        "Most clients at once; more are refused with HTTP 503 (keep it below what the machine "
                        "can feed, or everyone stutters)",
                        0, G_MAXINT, gstascii::kDefaultMaxClients, rw));
  g_object_class_install_property(
      gobject_class, PROP_ALLOWED_ORIGINS,
      g_param_spec_string("allowed-origins", "Allowed origins",
                          "Comma-separated web origins (\"http://example.com:8080\") whose pages may connect, or "
                          "\"*\" for any. Empty: pages from the server's own host name and from localhost",
                          "", rw));
  g_object_class_install_property(
      gobject_class, PROP_CLIENT_TIMEOUT,
      g_param_spec_uint64("client-timeout", "Client timeout",
                          "Disconnect a client that has read nothing for this long while data waits for it, in "
                          "nanoseconds (0 = never)",
                          0, G_MAXUINT64, gstascii::kDefaultClientTimeout, rw));
  g_object_class_install_property(
      gobject_class, PROP_CLIENTS,
      g_param_spec_uint("clients", "Clients", "Clients connected now", 0, G_MAXUINT, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_SENT,
      g_param_spec_uint64("frames-sent", "Frames sent", "Frames sent, counted once per client", 0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_BYTES_SENT,
      g_param_spec_uint64("bytes-sent", "Bytes sent", "Bytes sent to all clients", 0, G_MAXUINT64, 0, ro));

  /**
   * GstAsciiServerSink::client-added:
   * @sink: the sink
   * @client_id: the client's id, as in get-stats and the bus messages
   * @address: the client's "IP:port"
   *
   * A client connected. Emitted from the server's thread.
   */
  signals[SIGNAL_CLIENT_ADDED] = g_signal_new("client-added", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr,
                                              nullptr, nullptr, G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
  /**
   * GstAsciiServerSink::client-removed:
   * @sink: the sink
   * @client_id: the client's id
   * @address: the client's "IP:port"
   *
   * A client is gone (it left, was cut off, or the sink stopped). Emitted from the server's thread.
   */
  signals[SIGNAL_CLIENT_REMOVED] =
      g_signal_new("client-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
                   G_TYPE_NONE, 2, G_TYPE_UINT64, G_TYPE_STRING);
  /**
   * GstAsciiServerSink::get-stats:
   * @sink: the sink
   * @client_id: the client's id
   *
   * One client's statistics: "client-id", "address", "connected-time" (ns), "bytes-sent",
   * "frames-sent", "frames-dropped", and the kind's own fields; NULL when there is no such client.
   *
   * Returns: (transfer full) (nullable): a #GstStructure
   */
  signals[SIGNAL_GET_STATS] = g_signal_new_class_handler(
      "get-stats", G_TYPE_FROM_CLASS(klass), static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
      G_CALLBACK(gst_ascii_server_sink_get_stats), nullptr, nullptr, nullptr, GST_TYPE_STRUCTURE, 1, G_TYPE_UINT64);

  basesink_class->start = GST_DEBUG_FUNCPTR(gst_ascii_server_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR(gst_ascii_server_sink_stop);

  klass->message_prefix = "asciiserversink";
  gst_type_mark_as_plugin_api(GST_TYPE_ASCII_SERVER_SINK, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_ASCII_SERVER, static_cast<GstPluginAPIFlags>(0));
}
