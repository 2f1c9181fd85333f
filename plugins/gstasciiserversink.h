// GstAsciiServerSink: the abstract base of the gst-ascii network sinks (websocketsink,
// adtsmux-out), as GstMultiHandleSink is of multisocketsink: the server they serve on, the
// properties, statistics and signals about clients they share, and their hub's lifetime.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

#include <memory>

#include "gstasciiclienthub.h"
#include "gstasciiserver.h"

G_BEGIN_DECLS

#define GST_TYPE_ASCII_SERVER_SINK (gst_ascii_server_sink_get_type())
G_DECLARE_DERIVABLE_TYPE(GstAsciiServerSink, gst_ascii_server_sink, GST, ASCII_SERVER_SINK, GstBaseSink)

struct _GstAsciiServerSinkClass {
  GstBaseSinkClass parent_class;

  // Names the bus messages: PREFIX-client-connected, PREFIX-client-disconnected, PREFIX-control.
  const char* message_prefix;
  // Starts the sink's hub on |server| with the shared settings |config| and |callbacks|; nullptr
  // with |error| set when it cannot (its path is taken).
  std::shared_ptr<gstascii::ClientHub> (*start_hub)(GstAsciiServerSink* sink,
                                                    std::shared_ptr<gstascii::HttpServer> server,
                                                    const gstascii::ClientHubConfig& config,
                                                    gstascii::HubCallbacks callbacks, GError** error);
  // Optional: sets up |server| before the hub starts; |created| is TRUE when this sink made it.
  void (*prepare_server)(GstAsciiServerSink* sink, GstAsciiServer* server, gboolean created);
  // Optional: the sink's state after stop (PAUSED to READY).
  void (*reset)(GstAsciiServerSink* sink);
};

G_END_DECLS

// The settings the base keeps for every kind (host, port, path, origins, limits). The subclass
// reads and writes the fields it owns (path, client_buffer) under the object lock.
gstascii::ClientHubConfig& gst_ascii_server_sink_config(GstAsciiServerSink* sink);
// Sets the hub's URL path (the subclass's "path" property) when it is one ("/ws": a leading '/',
// no query); otherwise keeps the old one and logs why.
void gst_ascii_server_sink_set_path(GstAsciiServerSink* sink, const gchar* path);
// The running hub, or null outside start..stop (any thread).
std::shared_ptr<gstascii::ClientHub> gst_ascii_server_sink_get_hub(GstAsciiServerSink* sink);
