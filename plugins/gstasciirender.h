// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ASCII_RENDER (gst_ascii_render_get_type())
G_DECLARE_FINAL_TYPE(GstAsciiRender, gst_ascii_render, GST, ASCII_RENDER, GstBaseTransform)

GST_ELEMENT_REGISTER_DECLARE(asciirender);

G_END_DECLS
