// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include "gstasciiserversink.h"

G_BEGIN_DECLS

#define GST_TYPE_ASCII_TTY_SINK (gst_ascii_tty_sink_get_type())
G_DECLARE_FINAL_TYPE(GstAsciiTtySink, gst_ascii_tty_sink, GST, ASCII_TTY_SINK, GstAsciiServerSink)

GST_ELEMENT_REGISTER_DECLARE(asciittysink);

G_END_DECLS
