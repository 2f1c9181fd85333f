// Media types shared by the gst-ascii elements.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/*
 * application/x-ascii-cells: one frame of a character-cell grid per buffer.
 *   cols, rows   (int)      the grid
 *   framerate    (fraction) as the video it came from
 *   mode         (int 1..6) ASCILINE render mode; colours are already quantised for it
 *   layout       (string)   "crgb": each cell is 4 bytes (char, R, G, B), row-major, rows packed
 *                           with no padding, so a buffer holds cols * rows * 4 bytes;
 *                           "symbol+crgb": cols * rows symbol cells of 8 bytes (set, code, fg R,
 *                           G, B, bg R, G, B: gst/symbol_cell.h), then the same picture as
 *                           cols * rows crgb cells, for ASCILINE viewers
 *   style        (string)   the asciimap style that made them ("asciline", "ascii+octant" ...)
 */
#define GST_ASCII_CELLS_MEDIA_TYPE "application/x-ascii-cells"
#define GST_ASCII_CELLS_LAYOUT "crgb"
#define GST_ASCII_SYMBOL_CELLS_LAYOUT "symbol+crgb"
/* Cells of either layout, any grid: the template of the elements that read or make cells. */
#define GST_ASCII_CELLS_TEMPLATE_CAPS                                \
  GST_ASCII_CELLS_MEDIA_TYPE                                         \
      ", cols = (int) [ 1, 4096 ], rows = (int) [ 1, 4096 ], "       \
      "framerate = (fraction) [ 0/1, MAX ], mode = (int) [ 1, 6 ], " \
      "layout = (string) { " GST_ASCII_CELLS_LAYOUT ", " GST_ASCII_SYMBOL_CELLS_LAYOUT " }"

/*
 * application/x-asciline: one ASCILINE message per buffer.
 *   framerate (fraction), mode (int), cols, rows (int), pixel (boolean),
 *   codec (string)  "raw", or "adaptive": binary frames are tagged (tags 0-3), flagged
 *                   GST_BUFFER_FLAG_DELTA_UNIT when they need the frame before them (DELTA), and
 *                   carry the same frame raw in a GstAscilineRawMeta (gstascilinemeta.h)
 *   streamheader (array of one buffer: the INIT text a sink sends to every client on connect)
 * Buffers carrying a TEXT message (INIT, mode-1 frames) have GST_ASCILINE_BUFFER_FLAG_TEXT set;
 * all others are BINARY messages.
 */
#define GST_ASCILINE_MEDIA_TYPE "application/x-asciline"

/* Set on buffers that must go out as WebSocket TEXT messages. */
#define GST_ASCILINE_BUFFER_FLAG_TEXT ((GstBufferFlags)GST_BUFFER_FLAG_LAST)

/*
 * application/x-ansi-terminal: UTF-8 text with terminal escape codes (asciiansienc), one frame of
 * a cols x rows picture per buffer. A buffer without GST_BUFFER_FLAG_DELTA_UNIT draws the whole
 * picture; one with it only what changed since the buffer before, so a terminal that joins or
 * skips ahead starts at a whole picture.
 *   cols, rows   (int)      the grid
 *   framerate    (fraction) as the cells
 *   streamheader (array of one buffer: what a terminal that joins gets first; hides the cursor
 *                and clears the screen)
 */
#define GST_ANSI_TERMINAL_MEDIA_TYPE "application/x-ansi-terminal"

G_END_DECLS
