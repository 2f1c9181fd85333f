// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ASCII_ANSI_ENC (gst_ascii_ansi_enc_get_type())
G_DECLARE_FINAL_TYPE(GstAsciiAnsiEnc, gst_ascii_ansi_enc, GST, ASCII_ANSI_ENC, GstElement)

GST_ELEMENT_REGISTER_DECLARE(asciiansienc);

G_END_DECLS
