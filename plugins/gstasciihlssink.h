// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ASCII_HLS_SINK (gst_ascii_hls_sink_get_type())
G_DECLARE_FINAL_TYPE(GstAsciiHlsSink, gst_ascii_hls_sink, GST, ASCII_HLS_SINK, GstBin)

GST_ELEMENT_REGISTER_DECLARE(asciihlssink);

G_END_DECLS
