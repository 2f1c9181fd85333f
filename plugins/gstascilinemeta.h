// GstAscilineRawMeta: on an adaptive (tagged) ASCILINE frame, the same frame as a raw message, so a
// sink can serve viewers of either codec from one stream without decoding or encoding per viewer.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct {
  GstMeta meta;
  GstBuffer* raw; /* [u32be frame_index][cells]: shares the cell memory, no copy */
} GstAscilineRawMeta;

GType gst_asciline_raw_meta_api_get_type(void);
#define GST_ASCILINE_RAW_META_API_TYPE (gst_asciline_raw_meta_api_get_type())

/* Attaches |raw| (a reference is taken) to |buffer|. */
GstAscilineRawMeta* gst_buffer_add_asciline_raw_meta(GstBuffer* buffer, GstBuffer* raw);
#define gst_buffer_get_asciline_raw_meta(b) \
  ((GstAscilineRawMeta*)gst_buffer_get_meta((b), GST_ASCILINE_RAW_META_API_TYPE))

G_END_DECLS
