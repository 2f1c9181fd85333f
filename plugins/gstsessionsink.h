// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_SESSION_SINK (gst_session_sink_get_type())
G_DECLARE_FINAL_TYPE(GstSessionSink, gst_session_sink, GST, SESSION_SINK, GstBin)

GST_ELEMENT_REGISTER_DECLARE(sessionsink);

G_END_DECLS
