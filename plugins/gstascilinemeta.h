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

/* GstAscilineSymbolMeta: on an ASCILINE message made from symbol cells (asciimap's symbol styles),
 * the same message in gst-ascii's symbol-cell extension (README, "Symbol cells"): the frame as
 * symbol cells, tagged and flagged like the ASCILINE frame's codec (with its own raw meta when
 * tagged), or, on an INIT, the INIT that announces symbol cells. */
typedef struct {
  GstMeta meta;
  GstBuffer* message;
} GstAscilineSymbolMeta;

GType gst_asciline_symbol_meta_api_get_type(void);
#define GST_ASCILINE_SYMBOL_META_API_TYPE (gst_asciline_symbol_meta_api_get_type())

/* Attaches |message| (a reference is taken) to |buffer|. */
GstAscilineSymbolMeta* gst_buffer_add_asciline_symbol_meta(GstBuffer* buffer, GstBuffer* message);
#define gst_buffer_get_asciline_symbol_meta(b) \
  ((GstAscilineSymbolMeta*)gst_buffer_get_meta((b), GST_ASCILINE_SYMBOL_META_API_TYPE))

G_END_DECLS

#ifdef __cplusplus
/* The forms of a frame that a sink serves to viewers of either codec, made once per frame. */
/* The raw message of a tagged frame, from its GstAscilineRawMeta (sharing its memory); NULL when
 * the buffer has no such meta. */
GBytes* gst_asciline_raw_form(GstBuffer* tagged);
/* A raw frame message as an adaptive RAW (tag 0) message; NULL when it is too short. */
GBytes* gst_asciline_tagged_form(GBytes* raw);
#endif
