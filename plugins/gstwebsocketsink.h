// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include "gstasciiserversink.h"

G_BEGIN_DECLS

#define GST_TYPE_WEB_SOCKET_SINK (gst_web_socket_sink_get_type())
G_DECLARE_FINAL_TYPE(GstWebSocketSink, gst_web_socket_sink, GST, WEB_SOCKET_SINK, GstAsciiServerSink)

GST_ELEMENT_REGISTER_DECLARE(websocketsink);

G_END_DECLS
