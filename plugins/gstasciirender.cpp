// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-asciirender
 * @title: asciirender
 *
 * Draws character cells (from asciimap) as RGBA video, exactly as the web player draws them:
 * each cell is #GstAsciiRender:cell-width x #GstAsciiRender:cell-height pixels; block, sextant
 * and octant symbols are drawn as exact geometry and ASCII glyphs from the same 8 x 16 font
 * the player uses, in the cell's foreground and background colours. Classic ASCILINE cells
 * (`layout=crgb`) are drawn as their character in the cell's colour on black (light grey in the
 * monochrome mode 1).
 *
 * Use it to export the art as a video file, to send it over RTSP, or to composite it into
 * another picture.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 -e uridecodebin uri=file:///clip.mp4 ! asciimap style=octant ! asciirender ! videoconvert ! x264enc !
 * mp4mux ! filesink location=art.mp4
 * ]| The art of a file as an H.264 video (200 x 84 cells of 8 x 16 pixels: 1600 x 1344).
 * |[
 * gst-launch-1.0 videotestsrc ! asciimap style=ascii cols=80 ! asciirender cell-width=10 cell-height=20 ! videoconvert
 * ! autovideosink
 * ]| The art in a window.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciirender.h"

#include <gst/video/video.h>

#include <new>
#include <vector>

#include "cell_grid.h"
#include "gstasciicaps.h"
#include "gstasciiraii.h"
#include "symbol_cell.h"

GST_DEBUG_CATEGORY_STATIC(gst_ascii_render_debug);
#define GST_CAT_DEFAULT gst_ascii_render_debug

enum {
  PROP_0,
  PROP_CELL_WIDTH,
  PROP_CELL_HEIGHT,
};

#define DEFAULT_CELL_WIDTH 8
#define DEFAULT_CELL_HEIGHT 16
#define MAX_CELL_SIZE 256

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_ASCII_CELLS_TEMPLATE_CAPS));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE("RGBA")));

namespace {

struct Impl {
  int cell_w = DEFAULT_CELL_WIDTH;  // guarded by the object lock
  int cell_h = DEFAULT_CELL_HEIGHT;
  // Streaming state, set in set_caps.
  int cols = 0, rows = 0, mode = 3;
  int out_cell_w = DEFAULT_CELL_WIDTH, out_cell_h = DEFAULT_CELL_HEIGHT;
  bool symbols = false;
  GstVideoInfo out_info;
  std::vector<gstascii::SymbolCell> scratch;  // classic cells as symbol cells
};

}  // namespace

struct _GstAsciiRender {
  GstBaseTransform parent;
  Impl impl;
};

G_DEFINE_TYPE(GstAsciiRender, gst_ascii_render, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(asciirender, "asciirender", GST_RANK_NONE, GST_TYPE_ASCII_RENDER);

static void gst_ascii_render_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  GstAsciiRender* self = GST_ASCII_RENDER(object);
  GST_OBJECT_LOCK(self);
  int& field = prop_id == PROP_CELL_WIDTH ? self->impl.cell_w : self->impl.cell_h;
  if (prop_id != PROP_CELL_WIDTH && prop_id != PROP_CELL_HEIGHT) {
    GST_OBJECT_UNLOCK(self);
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    return;
  }
  const bool changed = field != g_value_get_int(value);
  field = g_value_get_int(value);
  GST_OBJECT_UNLOCK(self);
  // The picture size is part of the output caps: renegotiate before the next frame.
  if (changed) gst_base_transform_reconfigure_src(GST_BASE_TRANSFORM(self));
}

static void gst_ascii_render_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  GstAsciiRender* self = GST_ASCII_RENDER(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_CELL_WIDTH: g_value_set_int(value, self->impl.cell_w); break;
    case PROP_CELL_HEIGHT: g_value_set_int(value, self->impl.cell_h); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// |field| of |dst| is |src|'s |src_field| scaled by |factor| (toward the video) or divided by it
// (toward the cells; a size that does not divide is refused); a range stays a range.
static bool scale_dimension(GstStructure* dst, const char* field, const GstStructure* src, const char* src_field,
                            int factor, bool to_video) {
  const GValue* v = gst_structure_get_value(src, src_field);
  if (v && G_VALUE_HOLDS_INT(v)) {
    const int n = g_value_get_int(v);
    if (to_video) {
      gst_structure_set(dst, field, G_TYPE_INT, n * factor, nullptr);
      return true;
    }
    if (n % factor != 0) return false;
    gst_structure_set(dst, field, G_TYPE_INT, n / factor, nullptr);
    return true;
  }
  if (to_video) {
    gst_structure_set(dst, field, GST_TYPE_INT_RANGE, factor, 4096 * factor, nullptr);
  } else {
    gst_structure_set(dst, field, GST_TYPE_INT_RANGE, 1, 4096, nullptr);
  }
  return true;
}

static GstCaps* gst_ascii_render_transform_caps(GstBaseTransform* trans, GstPadDirection direction, GstCaps* caps,
                                                GstCaps* filter) {
  GstAsciiRender* self = GST_ASCII_RENDER(trans);
  GST_OBJECT_LOCK(self);
  const int cw = self->impl.cell_w, ch = self->impl.cell_h;
  GST_OBJECT_UNLOCK(self);
  const bool to_video = direction == GST_PAD_SINK;

  GstCaps* result = gst_caps_new_empty();
  for (guint i = 0; i < gst_caps_get_size(caps); i++) {
    const GstStructure* in = gst_caps_get_structure(caps, i);
    GstStructure* out;
    if (to_video) {
      out = gst_structure_new("video/x-raw", "format", G_TYPE_STRING, "RGBA", "pixel-aspect-ratio", GST_TYPE_FRACTION,
                              1, 1, nullptr);
    } else {
      out = gst_structure_new_empty(GST_ASCII_CELLS_MEDIA_TYPE);
    }
    if (const GValue* fr = gst_structure_get_value(in, "framerate")) gst_structure_set_value(out, "framerate", fr);
    const bool ok = scale_dimension(out, to_video ? "width" : "cols", in, to_video ? "cols" : "width", cw, to_video) &&
                    scale_dimension(out, to_video ? "height" : "rows", in, to_video ? "rows" : "height", ch, to_video);
    if (ok) {
      result = gst_caps_merge_structure(result, out);
    } else {
      gst_structure_free(out);
    }
  }
  if (filter) {
    GstCaps* filtered = gst_caps_intersect_full(filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(result);
    result = filtered;
  }
  GST_DEBUG_OBJECT(trans, "%s: %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT, to_video ? "cells->video" : "video->cells",
                   caps, result);
  return result;
}

static gboolean gst_ascii_render_set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps* outcaps) {
  Impl& impl = GST_ASCII_RENDER(trans)->impl;
  const GstStructure* s = gst_caps_get_structure(incaps, 0);
  if (!gst_structure_get_int(s, "cols", &impl.cols) || !gst_structure_get_int(s, "rows", &impl.rows) ||
      !gst_structure_get_int(s, "mode", &impl.mode) || !gst_video_info_from_caps(&impl.out_info, outcaps)) {
    GST_ERROR_OBJECT(trans, "cannot draw %" GST_PTR_FORMAT " as %" GST_PTR_FORMAT, incaps, outcaps);
    return FALSE;
  }
  impl.symbols = g_strcmp0(gst_structure_get_string(s, "layout"), GST_ASCII_SYMBOL_CELLS_LAYOUT) == 0;
  impl.out_cell_w = GST_VIDEO_INFO_WIDTH(&impl.out_info) / impl.cols;
  impl.out_cell_h = GST_VIDEO_INFO_HEIGHT(&impl.out_info) / impl.rows;
  impl.scratch.resize(impl.symbols ? 0 : std::size_t(impl.cols) * impl.rows);
  GST_INFO_OBJECT(trans, "%dx%d %s cells -> %dx%d RGBA (%dx%d a cell)", impl.cols, impl.rows,
                  impl.symbols ? "symbol" : "ASCILINE", GST_VIDEO_INFO_WIDTH(&impl.out_info),
                  GST_VIDEO_INFO_HEIGHT(&impl.out_info), impl.out_cell_w, impl.out_cell_h);
  return TRUE;
}

static GstFlowReturn gst_ascii_render_transform(GstBaseTransform* trans, GstBuffer* inbuf, GstBuffer* outbuf) {
  GstAsciiRender* self = GST_ASCII_RENDER(trans);
  Impl& impl = self->impl;
  const std::size_t n = std::size_t(impl.cols) * impl.rows;
  const std::size_t need = n * (gstascii::kCellBytes + (impl.symbols ? gstascii::kSymbolCellBytes : 0));
  gstascii::MappedBuffer in(inbuf, GST_MAP_READ);
  if (!in.ok || in.info.size != need) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Cell buffer does not match the %dx%d grid", impl.cols, impl.rows),
                      ("%" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT, gst_buffer_get_size(inbuf), need));
    return GST_FLOW_ERROR;
  }
  const gstascii::SymbolCell* cells;
  if (impl.symbols) {
    cells = reinterpret_cast<const gstascii::SymbolCell*>(in.info.data);
  } else {
    gstascii::symbol_cells_from_classic(reinterpret_cast<const gstascii::Cell*>(in.info.data), n, impl.mode,
                                        impl.scratch.data());
    cells = impl.scratch.data();
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &impl.out_info, outbuf, GST_MAP_WRITE)) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Cannot write the output picture"), (nullptr));
    return GST_FLOW_ERROR;
  }
  gstascii::render_symbol_cells(cells, impl.cols, impl.rows, impl.out_cell_w, impl.out_cell_h,
                                static_cast<std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0)),
                                GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0));
  gst_video_frame_unmap(&frame);
  return GST_FLOW_OK;
}

static gboolean gst_ascii_render_transform_size(GstBaseTransform* trans, GstPadDirection direction, GstCaps* caps,
                                                gsize size, GstCaps* othercaps, gsize* othersize) {
  (void)trans;
  (void)caps;
  (void)size;
  if (direction != GST_PAD_SINK) return FALSE;
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, othercaps)) return FALSE;
  *othersize = GST_VIDEO_INFO_SIZE(&info);
  return TRUE;
}

static gboolean gst_ascii_render_stop(GstBaseTransform* trans) {
  // PAUSED -> READY: forget the negotiated stream (the properties stay).
  Impl& impl = GST_ASCII_RENDER(trans)->impl;
  impl.cols = impl.rows = 0;
  impl.scratch.clear();
  impl.scratch.shrink_to_fit();
  gst_video_info_init(&impl.out_info);
  return TRUE;
}

static void gst_ascii_render_finalize(GObject* object) {
  GST_ASCII_RENDER(object)->impl.~Impl();
  G_OBJECT_CLASS(gst_ascii_render_parent_class)->finalize(object);
}

static void gst_ascii_render_init(GstAsciiRender* self) {
  new (&self->impl) Impl();
  gst_video_info_init(&self->impl.out_info);
}

static void gst_ascii_render_class_init(GstAsciiRenderClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  gobject_class->set_property = gst_ascii_render_set_property;
  gobject_class->get_property = gst_ascii_render_get_property;
  gobject_class->finalize = gst_ascii_render_finalize;

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_CELL_WIDTH,
      g_param_spec_int("cell-width", "Cell width",
                       "Pixels across one cell (the picture is cols x cell-width wide); glyphs are drawn from an "
                       "8x16 font, so multiples of 8 keep them sharp",
                       1, MAX_CELL_SIZE, DEFAULT_CELL_WIDTH, flags));
  g_object_class_install_property(
      gobject_class, PROP_CELL_HEIGHT,
      g_param_spec_int("cell-height", "Cell height",
                       "Pixels down one cell (the picture is rows x cell-height high); multiples of 16 keep "
                       "glyphs sharp",
                       1, MAX_CELL_SIZE, DEFAULT_CELL_HEIGHT, flags));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "ASCII art renderer", "Filter/Converter/Video",
                                        "Draws character cells as video, as the web player draws them",
                                        "gst-ascii developers");

  trans_class->transform_caps = GST_DEBUG_FUNCPTR(gst_ascii_render_transform_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_ascii_render_set_caps);
  trans_class->transform_size = GST_DEBUG_FUNCPTR(gst_ascii_render_transform_size);
  trans_class->transform = GST_DEBUG_FUNCPTR(gst_ascii_render_transform);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_ascii_render_stop);
  trans_class->passthrough_on_same_caps = FALSE;

  GST_DEBUG_CATEGORY_INIT(gst_ascii_render_debug, "asciirender", 0, "character cells to video");
}
