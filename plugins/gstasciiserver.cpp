// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:gstasciiserver
 * @title: GstAsciiServer
 *
 * The HTTP server that websocketsink and adtsmux-out serve on: one libsoup server on a thread of
 * its own, on one host and port, with one route per sink path and the web player's files for
 * every other path. It limits connections that do not finish their request
 * (#GstAsciiServer:request-timeout, #GstAsciiServer:max-pending-requests).
 *
 * A sink finds its server in this order: its #GstAsciiServerSink:server property; a server handed
 * to it in a GstContext of type `gst-ascii.http-server` (the structure's "server" field; with
 * "force" FALSE only when the sink's host is the server's and its port is 0 or the server's);
 * otherwise it makes one for its host and port (joining a server of the process already on that
 * host and port) and posts it in a have-context message, so the other sinks of the pipeline share
 * it, port 0 included. An application that wants one server for everything:
 * |[
 * GstAsciiServer *server = gst_ascii_server_new ("127.0.0.1", 0);
 * gst_ascii_server_start (server, &error);
 * GstContext *context = gst_ascii_server_context_new (server, TRUE);
 * gst_element_set_context (pipeline, context);
 * g_object_get (server, "port", &port, NULL);
 * ]|
 * (From a language binding, or without linking gst-ascii: `g_object_new (g_type_from_name
 * ("GstAsciiServer"), ...)`, and a context whose structure has the "server" field.)
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciiserver.h"

#include <new>
#include <string>

#include "gstasciihttpserver.h"

GST_DEBUG_CATEGORY_STATIC(gst_ascii_server_debug);
#define GST_CAT_DEFAULT gst_ascii_server_debug

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_DOCUMENT_ROOT,
  PROP_WEBSOCKET_DEFLATE,
  PROP_REQUEST_TIMEOUT,
  PROP_MAX_PENDING_REQUESTS,
  PROP_REQUESTS_TIMED_OUT,
};

#define DEFAULT_HOST "127.0.0.1"
#define DEFAULT_PORT 8080
#define DEFAULT_WEBSOCKET_DEFLATE FALSE
#define DEFAULT_REQUEST_TIMEOUT (15 * GST_SECOND)
#define DEFAULT_MAX_PENDING_REQUESTS 1024

namespace {

struct Settings {
  std::string host = DEFAULT_HOST;
  guint port = DEFAULT_PORT;
  std::string document_root;
  bool deflate = DEFAULT_WEBSOCKET_DEFLATE;
  guint64 request_timeout = DEFAULT_REQUEST_TIMEOUT;
  guint max_pending = DEFAULT_MAX_PENDING_REQUESTS;
};

struct Impl {
  Settings settings;  // under the object lock
  std::shared_ptr<gstascii::HttpServer> http;
};

gstascii::RequestLimits limits_of(const Settings& s) {
  gstascii::RequestLimits limits;
  limits.request_timeout_us = static_cast<gint64>(s.request_timeout / GST_USECOND);
  limits.max_pending = s.max_pending;
  return limits;
}

}  // namespace

struct _GstAsciiServer {
  GstObject parent;
  Impl impl;  // constructed in instance_init, destroyed in finalize
};

G_DEFINE_TYPE_WITH_CODE(GstAsciiServer, gst_ascii_server, GST_TYPE_OBJECT,
                        GST_DEBUG_CATEGORY_INIT(gst_ascii_server_debug, "asciiserver", 0,
                                                "The gst-ascii sinks' HTTP server"));

// Applies what may change while the server runs. Called without the object lock.
static void apply_live_settings(GstAsciiServer* self) {
  GST_OBJECT_LOCK(self);
  auto http = self->impl.http;
  const Settings s = self->impl.settings;
  GST_OBJECT_UNLOCK(self);
  if (!http) return;
  http->run_sync([&] {
    http->set_request_limits(limits_of(s));
    http->set_websocket_deflate(s.deflate);
    if (!s.document_root.empty() && !http->serve_files(s.document_root)) {
      GST_WARNING_OBJECT(self, "port %u already serves %s; %s is not served", http->port(), http->file_root().c_str(),
                         s.document_root.c_str());
    }
  });
}

static void gst_ascii_server_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_ASCII_SERVER(object);
  Settings& s = self->impl.settings;
  GST_OBJECT_LOCK(self);
  const bool started = self->impl.http != nullptr;
  switch (prop_id) {
    case PROP_HOST:
      if (started) {
        GST_WARNING_OBJECT(self, "the host cannot change once the server listens");
      } else {
        s.host = g_value_get_string(value) ? g_value_get_string(value) : DEFAULT_HOST;
      }
      break;
    case PROP_PORT:
      if (started) {
        GST_WARNING_OBJECT(self, "the port cannot change once the server listens");
      } else {
        s.port = g_value_get_uint(value);
      }
      break;
    case PROP_DOCUMENT_ROOT: s.document_root = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_WEBSOCKET_DEFLATE: s.deflate = g_value_get_boolean(value); break;
    case PROP_REQUEST_TIMEOUT: s.request_timeout = g_value_get_uint64(value); break;
    case PROP_MAX_PENDING_REQUESTS: s.max_pending = g_value_get_uint(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
  apply_live_settings(self);
}

static void gst_ascii_server_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_ASCII_SERVER(object);
  const Settings& s = self->impl.settings;
  GST_OBJECT_LOCK(self);
  const auto& http = self->impl.http;
  switch (prop_id) {
    case PROP_HOST: g_value_set_string(value, s.host.c_str()); break;
    case PROP_PORT: g_value_set_uint(value, http ? http->port() : s.port); break;
    case PROP_DOCUMENT_ROOT:
      g_value_set_string(value, s.document_root.empty() ? nullptr : s.document_root.c_str());
      break;
    case PROP_WEBSOCKET_DEFLATE: g_value_set_boolean(value, s.deflate); break;
    case PROP_REQUEST_TIMEOUT: g_value_set_uint64(value, s.request_timeout); break;
    case PROP_MAX_PENDING_REQUESTS: g_value_set_uint(value, s.max_pending); break;
    case PROP_REQUESTS_TIMED_OUT: g_value_set_uint64(value, http ? http->requests_timed_out() : 0); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

GstAsciiServer* gst_ascii_server_new(const gchar* host, guint port) {
  return GST_ASCII_SERVER(gst_object_ref_sink(
      g_object_new(GST_TYPE_ASCII_SERVER, "host", host ? host : DEFAULT_HOST, "port", port, nullptr)));
}

gboolean gst_ascii_server_start(GstAsciiServer* server, GError** error) {
  g_return_val_if_fail(GST_IS_ASCII_SERVER(server), FALSE);
  GST_OBJECT_LOCK(server);
  const bool started = server->impl.http != nullptr;
  const Settings s = server->impl.settings;
  GST_OBJECT_UNLOCK(server);
  if (started) return TRUE;
  // Another server of the process on this host and port is joined, not fought.
  auto http = gstascii::HttpServer::acquire(s.host, s.port, error);
  if (!http) return FALSE;
  GST_OBJECT_LOCK(server);
  if (!server->impl.http) server->impl.http = http;
  GST_OBJECT_UNLOCK(server);
  apply_live_settings(server);
  GST_INFO_OBJECT(server, "listening on %s port %u", s.host.c_str(), http->port());
  g_object_notify(G_OBJECT(server), "port");
  return TRUE;
}

std::shared_ptr<gstascii::HttpServer> gst_ascii_server_get_http(GstAsciiServer* server) {
  GST_OBJECT_LOCK(server);
  auto http = server->impl.http;
  GST_OBJECT_UNLOCK(server);
  return http;
}

GstContext* gst_ascii_server_context_new(GstAsciiServer* server, gboolean force) {
  // An application's server (force) stays with the pipeline across restarts; one a sink made and
  // shared goes when the pipeline goes to NULL, so the port is free again.
  GstContext* context = gst_context_new(GST_ASCII_SERVER_CONTEXT_TYPE, force);
  gst_structure_set(gst_context_writable_structure(context), "server", GST_TYPE_ASCII_SERVER, server, "force",
                    G_TYPE_BOOLEAN, force, nullptr);
  return context;
}

GstAsciiServer* gst_ascii_server_from_context(const GstContext* context, gboolean* force) {
  if (!context || g_strcmp0(gst_context_get_context_type(context), GST_ASCII_SERVER_CONTEXT_TYPE) != 0) return nullptr;
  const GstStructure* s = gst_context_get_structure(context);
  GstAsciiServer* server = nullptr;
  if (!gst_structure_get(s, "server", GST_TYPE_ASCII_SERVER, &server, nullptr)) return nullptr;
  gboolean f = TRUE;
  gst_structure_get_boolean(s, "force", &f);
  if (force) *force = f;
  return server;
}

static void gst_ascii_server_finalize(GObject* object) {
  GST_ASCII_SERVER(object)->impl.~Impl();  // the last user of the HTTP server stops it
  G_OBJECT_CLASS(gst_ascii_server_parent_class)->finalize(object);
}

static void gst_ascii_server_init(GstAsciiServer* self) {
  new (&self->impl) Impl();
}

static void gst_ascii_server_class_init(GstAsciiServerClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  gobject_class->set_property = gst_ascii_server_set_property;
  gobject_class->get_property = gst_ascii_server_get_property;
  gobject_class->finalize = gst_ascii_server_finalize;

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  constexpr auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_HOST,
      g_param_spec_string("host", "Host",
                          "Address to listen on (an IP address or a host name). The default serves this machine "
                          "only; 0.0.0.0 serves every network the machine is on. Fixed once listening",
                          DEFAULT_HOST, rw));
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port",
                        "TCP port to listen on; 0 picks a free one. Once listening, reads the port in use", 0, 65535,
                        DEFAULT_PORT, rw));
  g_object_class_install_property(
      gobject_class, PROP_DOCUMENT_ROOT,
      g_param_spec_string("document-root", "Document root",
                          "Folder whose files are served at every path no sink owns (the web player). Unset: none, "
                          "until a websocketsink gives its own",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_WEBSOCKET_DEFLATE,
      g_param_spec_boolean("websocket-deflate", "WebSocket deflate",
                           "Offer permessage-deflate compression to WebSocket viewers. Off by default: it saves "
                           "bytes but adds lag and costs CPU per viewer",
                           DEFAULT_WEBSOCKET_DEFLATE, rw));
  g_object_class_install_property(
      gobject_class, PROP_REQUEST_TIMEOUT,
      g_param_spec_uint64("request-timeout", "Request timeout",
                          "Close a connection that has not sent a whole request (its headers) this long after it "
                          "opened or after its last response, in nanoseconds",
                          GST_SECOND / 10, G_MAXUINT64, DEFAULT_REQUEST_TIMEOUT, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_PENDING_REQUESTS,
      g_param_spec_uint("max-pending-requests", "Max pending requests",
                        "Most connections at once that have not sent a whole request; past it the oldest is "
                        "closed, so a flood of them cannot keep a real viewer out",
                        1, G_MAXINT, DEFAULT_MAX_PENDING_REQUESTS, rw));
  g_object_class_install_property(
      gobject_class, PROP_REQUESTS_TIMED_OUT,
      g_param_spec_uint64("requests-timed-out", "Requests timed out",
                          "Connections closed for not sending a whole request in time, or to make room", 0, G_MAXUINT64,
                          0, ro));
}

// The server of the context |element| was given (kept by GstElement: an application's across
// restarts, a shared one until the pipeline stops), if it may use it.
static GstAsciiServer* server_from_context(GstElement* element, const gchar* host, guint port) {
  g_autoptr(GstContext) context = gst_element_get_context(element, GST_ASCII_SERVER_CONTEXT_TYPE);
  gboolean force = TRUE;
  GstAsciiServer* server = gst_ascii_server_from_context(context, &force);
  if (!server || force) return server;
  g_autofree gchar* server_host = nullptr;
  guint server_port = 0;
  g_object_get(server, "host", &server_host, "port", &server_port, nullptr);
  if (g_strcmp0(host, server_host) != 0 || (port != 0 && port != server_port)) gst_clear_object(&server);
  return server;
}

GstAsciiServer* gst_ascii_server_find_for(GstElement* element, GstAsciiServer* given, const gchar* host, guint port,
                                          gboolean* created) {
  *created = FALSE;
  if (given) return GST_ASCII_SERVER(gst_object_ref(given));
  if (GstAsciiServer* server = server_from_context(element, host, port)) return server;
  // A bin that has seen another sink's server answers at once, through gst_element_set_context().
  gst_element_post_message(element, gst_message_new_need_context(GST_OBJECT(element), GST_ASCII_SERVER_CONTEXT_TYPE));
  if (GstAsciiServer* server = server_from_context(element, host, port)) return server;
  *created = TRUE;
  return gst_ascii_server_new(host, port);
}
