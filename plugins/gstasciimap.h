// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

G_BEGIN_DECLS

#define GST_TYPE_ASCII_MAP (gst_ascii_map_get_type())
G_DECLARE_FINAL_TYPE(GstAsciiMap, gst_ascii_map, GST, ASCII_MAP, GstBaseTransform)

#define GST_TYPE_ASCII_MAPPING (gst_ascii_mapping_get_type())
GType gst_ascii_mapping_get_type(void);

GST_ELEMENT_REGISTER_DECLARE(asciimap);

G_END_DECLS
