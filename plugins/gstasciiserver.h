// GstAsciiServer: the HTTP server the gst-ascii network sinks serve on, as an object an
// application can create, configure and hand to the sinks (shared through a GstContext).
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <memory>

G_BEGIN_DECLS

#define GST_TYPE_ASCII_SERVER (gst_ascii_server_get_type())
G_DECLARE_FINAL_TYPE(GstAsciiServer, gst_ascii_server, GST, ASCII_SERVER, GstObject)

// The GstContext type that carries a server: its structure holds "server" (GstAsciiServer) and
// "force" (boolean: use it whatever the sink's host and port say; absent means TRUE).
#define GST_ASCII_SERVER_CONTEXT_TYPE "gst-ascii.http-server"

GstAsciiServer* gst_ascii_server_new(const gchar* host, guint port);
// Binds and starts serving (once; later calls return TRUE). FALSE with |error| set when the address
// cannot be used (G_IO_ERROR_ADDRESS_IN_USE when another program has the port).
gboolean gst_ascii_server_start(GstAsciiServer* server, GError** error);

// |force|: the sinks use it whatever their host and port say, and it persists across restarts
// (what an application hands over); FALSE: shared by a sink, dropped when the pipeline stops.
GstContext* gst_ascii_server_context_new(GstAsciiServer* server, gboolean force);
// The server a context carries (a new reference), or NULL when it carries none.
GstAsciiServer* gst_ascii_server_from_context(const GstContext* context, gboolean* force);

// The server |element| is to serve on (a new reference): |given| (its server property) when set;
// else the one of a context it was given or that the pipeline answers a need-context message with,
// if that one's host is |host| and its port |port| (or |port| is 0), or a context that forces its
// server; else a new, unstarted server on |host|:|port| (|created| set TRUE: start it, and share
// it with a have-context message).
GstAsciiServer* gst_ascii_server_find_for(GstElement* element, GstAsciiServer* given, const gchar* host, guint port,
                                          gboolean* created);

G_END_DECLS

namespace gstascii {
class HttpServer;
}

// The running server behind |server| (null before gst_ascii_server_start()).
std::shared_ptr<gstascii::HttpServer> gst_ascii_server_get_http(GstAsciiServer* server);
