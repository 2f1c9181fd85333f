// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-asciimap
 * @title: asciimap
 *
 * Turns raw video into a grid of character cells (`application/x-ascii-cells`), for ascilinepay,
 * asciirender or any element that reads cells. #GstAsciiMap:style picks the look:
 *
 * - `asciline` (the default): ASCILINE's cells, a printable ASCII character chosen from the
 *   cell's luma through a dark-to-bright palette, drawn in the cell's colour on black;
 * - `ascii`: ASCII glyphs chosen by their shape, each cell with its own foreground and
 *   background colour (far closer to the picture);
 * - `half`, `blocks` (half and quadrant blocks), `sextant`, `octant`: two-colour mosaics of
 *   1 x 2, 2 x 2, 2 x 3 and 2 x 4 sub-cells;
 * - `edge`: a straight edge across the cell at any of 32 angles, two colours;
 * - combinations joined with `+` (`octant+edge`, the most faithful): each cell takes whichever
 *   fits it best.
 *
 * Symbol styles output `layout=symbol+crgb`: each cell's symbol and two colours, followed by the
 * same picture as ASCILINE cells, so one buffer serves viewers of either kind. Colours are
 * quantised for the ASCILINE render mode (#GstAsciiMap:mode) in both.
 *
 * The grid is set by #GstAsciiMap:cols and #GstAsciiMap:rows, or by downstream caps. Whatever is
 * left open keeps the picture's display shape (its pixel aspect ratio included) for cells drawn
 * 3 wide by 4 high, as the web player draws them:
 *
 * - cols and rows both set: exactly that grid (the picture is stretched to it);
 * - one of them set: the other follows from the picture's shape;
 * - neither: a picture no larger than #GstAsciiMap:max-cols x #GstAsciiMap:max-rows (200 x 84)
 *   is mapped one pixel per cell, as it was scaled for this grid upstream; a larger one gets the
 *   largest grid of its shape inside that box (a 16:9 picture 200 x 84, 4:3 149 x 84, portrait
 *   9:16 63 x 84), and never more cells than it has pixels.
 *
 * When the input is larger than the grid, each cell is the average of the pixels it covers (a
 * box filter), so the element can sit straight on decoder output with no videoscale or
 * videoconvert in front. It does not rotate: put `videoflip video-direction=auto` before it for
 * pictures with an orientation tag (phone videos).
 *
 * Every property may change while PLAYING; the change applies from the next frame.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc ! videoscale ! video/x-raw,width=200,height=84 ! asciimap ! ascilinepay ! fakesink
 * ]| Scaled upstream: one pixel per cell.
 * |[
 * gst-launch-1.0 uridecodebin uri=file:///clip.mp4 ! videoflip video-direction=auto ! asciimap ! ascilinepay ! fakesink
 * ]| Straight on decoder output: the grid fits the picture's shape inside 200 x 84, and each cell
 * averages its area of the full picture.
 * |[
 * gst-launch-1.0 uridecodebin uri=file:///clip.mp4 ! asciimap cols=120 mode=3 ! ascilinepay ! fakesink
 * ]| 120 cells across, as many rows as the picture's shape needs.
 * |[
 * gst-launch-1.0 -e uridecodebin uri=file:///clip.mp4 ! asciimap style=octant ! asciirender ! videoconvert ! x264enc !
 * mp4mux ! filesink location=art.mp4
 * ]| Octant mosaics, drawn as video and encoded.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciimap.h"

#include <gst/video/video.h>

#include <memory>
#include <new>
#include <string>
#include <vector>

#include "area_average.h"
#include "cell_grid.h"
#include "cell_mapper.h"
#include "gstasciicaps.h"
#include "grid_fit.h"
#include "gstasciiraii.h"
#include "gstasciivideo.h"
#include "palette.h"
#include "symbol_fit.h"

GST_DEBUG_CATEGORY_STATIC(gst_ascii_map_debug);
#define GST_CAT_DEFAULT gst_ascii_map_debug

using gstascii::Mapping;

enum {
  PROP_0,
  PROP_COLS,
  PROP_ROWS,
  PROP_PALETTE,
  PROP_MAPPING,
  PROP_BRIGHTNESS,
  PROP_CONTRAST,
  PROP_GAMMA,
  PROP_INVERT,
  PROP_MODE,
  PROP_MAX_COLS,
  PROP_MAX_ROWS,
  PROP_STYLE,
};

#define DEFAULT_COLS 0
#define DEFAULT_ROWS 0
#define DEFAULT_MAPPING Mapping::kLinear
#define DEFAULT_BRIGHTNESS 0.0
#define DEFAULT_CONTRAST 1.0
#define DEFAULT_GAMMA 1.0
#define DEFAULT_INVERT FALSE
#define DEFAULT_MODE 3
#define DEFAULT_MAX_COLS gstascii::kDefaultBoxCols
#define DEFAULT_MAX_ROWS gstascii::kDefaultBoxRows
#define DEFAULT_STYLE "asciline"

// 8-bit layouts the area averager reads directly. BGR comes first: at grid size it is mapped
// straight from the input, so a converter upstream should prefer it.
#define ASCII_MAP_VIDEO_FORMATS                                                          \
  "{ BGR, RGB, BGRx, RGBx, xRGB, xBGR, BGRA, RGBA, ARGB, ABGR, I420, YV12, NV12, NV21, " \
  "Y42B, Y444, YUY2, UYVY, YVYU, GRAY8 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(ASCII_MAP_VIDEO_FORMATS)));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_ASCII_CELLS_TEMPLATE_CAPS));

namespace {

// What the application asked for; guarded by the object lock.
struct Settings {
  int cols = DEFAULT_COLS;
  int rows = DEFAULT_ROWS;
  int max_cols = DEFAULT_MAX_COLS;
  int max_rows = DEFAULT_MAX_ROWS;
  std::string palette{gstascii::kDefaultPalette};
  Mapping mapping = DEFAULT_MAPPING;
  gstascii::Tone tone;
  int mode = DEFAULT_MODE;
  gstascii::CellStyle style;
  guint table_generation = 1;  // bumped whenever the char table must be rebuilt
};

// What the streaming thread works with; touched only there (and reset on stop).
struct StreamState {
  GstVideoInfo in_info;
  int cols = 0, rows = 0, mode = DEFAULT_MODE;
  bool direct_bgr = false;  // BGR at grid size: map rows straight from the input
  gstascii::AreaAverager averager;
  std::vector<std::uint8_t> bgr_scratch;
  // Symbol styles: sub-cell samples of a few rows of cells at a time, fitted into symbol cells.
  std::unique_ptr<gstascii::SymbolFitter> fitter;
  std::vector<std::uint8_t> sample_scratch;
  gstascii::CharTable table{};
  guint table_generation = 0;
};

struct Impl {
  Settings settings;
  StreamState state;
};

}  // namespace

struct _GstAsciiMap {
  GstBaseTransform parent;
  Impl impl;  // constructed in instance_init, destroyed in finalize
};

G_DEFINE_TYPE(GstAsciiMap, gst_ascii_map, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE(asciimap, "asciimap", GST_RANK_NONE, GST_TYPE_ASCII_MAP);

GType gst_ascii_mapping_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(Mapping::kSeed), "gray // max(1, 256 // n): bit-exact with the seed server (saturates bright areas)",
       "seed"},
      {int(Mapping::kLinear), "n equal bins over the gray range: every character is used", "linear"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstAsciiMapping", values));
  }
  return type;
}

static Impl& impl_of(gpointer self) {
  return GST_ASCII_MAP(self)->impl;
}

static void gst_ascii_map_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  GstAsciiMap* self = GST_ASCII_MAP(object);
  Settings& s = impl_of(self).settings;
  bool reconfigure_src = false, reconfigure_sink = false;

  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_COLS:
    case PROP_ROWS:
    case PROP_MAX_COLS:
    case PROP_MAX_ROWS: {
      int& field = prop_id == PROP_COLS       ? s.cols
                   : prop_id == PROP_ROWS     ? s.rows
                   : prop_id == PROP_MAX_COLS ? s.max_cols
                                              : s.max_rows;
      const int v = g_value_get_int(value);
      reconfigure_src = reconfigure_sink = field != v;
      field = v;
      break;
    }
    case PROP_PALETTE: {
      const char* p = g_value_get_string(value);
      const std::string palette = p ? p : "";
      const std::string problem = gstascii::validate_palette(palette);
      if (!problem.empty()) {
        GST_OBJECT_UNLOCK(self);
        g_warning("asciimap: palette \"%s\" refused, keeping the previous one: %s", palette.c_str(), problem.c_str());
        return;
      }
      s.palette = palette;
      s.table_generation++;
      break;
    }
    case PROP_MAPPING:
      s.mapping = Mapping(g_value_get_enum(value));
      s.table_generation++;
      break;
    case PROP_BRIGHTNESS:
      s.tone.brightness = g_value_get_double(value);
      s.table_generation++;
      break;
    case PROP_CONTRAST:
      s.tone.contrast = g_value_get_double(value);
      s.table_generation++;
      break;
    case PROP_GAMMA:
      s.tone.gamma = g_value_get_double(value);
      s.table_generation++;
      break;
    case PROP_INVERT:
      s.tone.invert = g_value_get_boolean(value);
      s.table_generation++;
      break;
    case PROP_MODE: {
      const int v = g_value_get_int(value);
      reconfigure_src = s.mode != v;
      s.mode = v;
      break;
    }
    case PROP_STYLE: {
      const char* text = g_value_get_string(value);
      std::string problem;
      const auto style = gstascii::parse_cell_style(text ? text : "", &problem);
      if (!style) {
        GST_OBJECT_UNLOCK(self);
        g_warning("asciimap: style \"%s\" refused, keeping the previous one: %s", text ? text : "", problem.c_str());
        return;
      }
      reconfigure_src = s.style != *style;
      s.style = *style;
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);

  // The grid and the mode are part of the output caps: renegotiate before the next frame. A new
  // grid also asks upstream to renegotiate, so a videoscale in front can follow it.
  if (reconfigure_src) gst_base_transform_reconfigure_src(GST_BASE_TRANSFORM(self));
  if (reconfigure_sink) gst_base_transform_reconfigure_sink(GST_BASE_TRANSFORM(self));
}

static void gst_ascii_map_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  GstAsciiMap* self = GST_ASCII_MAP(object);
  const Settings& s = impl_of(self).settings;

  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_COLS: g_value_set_int(value, s.cols); break;
    case PROP_ROWS: g_value_set_int(value, s.rows); break;
    case PROP_MAX_COLS: g_value_set_int(value, s.max_cols); break;
    case PROP_MAX_ROWS: g_value_set_int(value, s.max_rows); break;
    case PROP_PALETTE: g_value_set_string(value, s.palette.c_str()); break;
    case PROP_MAPPING: g_value_set_enum(value, int(s.mapping)); break;
    case PROP_BRIGHTNESS: g_value_set_double(value, s.tone.brightness); break;
    case PROP_CONTRAST: g_value_set_double(value, s.tone.contrast); break;
    case PROP_GAMMA: g_value_set_double(value, s.tone.gamma); break;
    case PROP_INVERT: g_value_set_boolean(value, s.tone.invert); break;
    case PROP_MODE: g_value_set_int(value, s.mode); break;
    case PROP_STYLE: g_value_set_string(value, gstascii::format_cell_style(s.style).c_str()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// Sets |field| of |dst| from |value| (a fixed int, a range or a list) limited to [1, max].
// Returns false when nothing in [1, max] remains.
static bool set_dimension(GstStructure* dst, const char* field, const GValue* value, int max) {
  GValue limit = G_VALUE_INIT;
  g_value_init(&limit, GST_TYPE_INT_RANGE);
  gst_value_set_int_range(&limit, 1, max);
  GValue result = G_VALUE_INIT;
  bool ok = true;
  if (!value) {
    gst_structure_set_value(dst, field, &limit);
  } else if (gst_value_intersect(&result, value, &limit)) {
    gst_structure_take_value(dst, field, &result);
  } else {
    ok = false;
  }
  g_value_unset(&limit);
  return ok;
}

static void copy_framerate(GstStructure* dst, const GstStructure* src) {
  if (const GValue* fr = gst_structure_get_value(src, "framerate")) gst_structure_set_value(dst, "framerate", fr);
}

// What the properties ask of the grid.
static gstascii::GridRequest grid_request(GstBaseTransform* trans) {
  const Settings& s = impl_of(trans).settings;
  GST_OBJECT_LOCK(trans);
  const gstascii::GridRequest request{s.cols, s.rows, s.max_cols, s.max_rows};
  GST_OBJECT_UNLOCK(trans);
  return request;
}

// The displayed shape of video caps whose size is fixed; false while it is not.
static bool picture_shape(const GstStructure* video, gstascii::PictureShape* shape) {
  if (!gst_structure_get_int(video, "width", &shape->width) || !gst_structure_get_int(video, "height", &shape->height))
    return false;
  if (!gst_structure_get_fraction(video, "pixel-aspect-ratio", &shape->par_n, &shape->par_d)) {
    shape->par_n = shape->par_d = 1;
  }
  return true;
}

static GstCaps* gst_ascii_map_transform_caps(GstBaseTransform* trans, GstPadDirection direction, GstCaps* caps,
                                             GstCaps* filter) {
  const gstascii::GridRequest request = grid_request(trans);
  GST_OBJECT_LOCK(trans);
  const int mode = impl_of(trans).settings.mode;
  const gstascii::CellStyle style = impl_of(trans).settings.style;
  GST_OBJECT_UNLOCK(trans);
  const char* layout = style.is_asciline() ? GST_ASCII_CELLS_LAYOUT : GST_ASCII_SYMBOL_CELLS_LAYOUT;
  const std::string style_name = gstascii::format_cell_style(style);

  GstCaps* result = gst_caps_new_empty();
  GValue want_w = G_VALUE_INIT, want_h = G_VALUE_INIT;
  g_value_init(&want_w, G_TYPE_INT);
  g_value_init(&want_h, G_TYPE_INT);
  g_autoptr(GstCaps) template_caps = gst_static_pad_template_get_caps(&sink_template);
  const GValue* formats = gst_structure_get_value(gst_caps_get_structure(template_caps, 0), "format");

  for (guint i = 0; i < gst_caps_get_size(caps); i++) {
    const GstStructure* in = gst_caps_get_structure(caps, i);
    const bool to_cells = direction == GST_PAD_SINK;
    const char* in_w = to_cells ? "width" : "cols";
    const char* in_h = to_cells ? "height" : "rows";
    const char* out_w = to_cells ? "cols" : "width";
    const char* out_h = to_cells ? "rows" : "height";
    const int max_w = to_cells ? gstascii::kMaxCols : G_MAXINT;
    const int max_h = to_cells ? gstascii::kMaxRows : G_MAXINT;

    // First choice toward the cells: the grid that keeps the picture's shape (fit_grid), once the
    // picture's size is known. Toward the video: one pixel per cell of the grid the properties
    // fix (so a videoscale in front can scale to it), else of the other side's grid. Second
    // choice: any size, which the area averager handles.
    GstStructure* exact =
        to_cells ? gst_structure_new(GST_ASCII_CELLS_MEDIA_TYPE, "mode", G_TYPE_INT, mode, "layout", G_TYPE_STRING,
                                     layout, "style", G_TYPE_STRING, style_name.c_str(), nullptr)
                 : gst_structure_new_empty("video/x-raw");
    if (!to_cells) gst_structure_set_value(exact, "format", formats);
    copy_framerate(exact, in);
    GstStructure* any = gst_structure_copy(exact);

    gstascii::PictureShape shape;
    const GValue* exact_w = gst_structure_get_value(in, in_w);
    const GValue* exact_h = gst_structure_get_value(in, in_h);
    if (to_cells && picture_shape(in, &shape)) {
      const gstascii::GridSize grid = gstascii::fit_grid(shape, request);
      g_value_set_int(&want_w, grid.cols);
      g_value_set_int(&want_h, grid.rows);
      exact_w = &want_w;
      exact_h = &want_h;
    } else {
      g_value_set_int(&want_w, request.cols);
      g_value_set_int(&want_h, request.rows);
      if (request.cols > 0) exact_w = &want_w;
      if (request.rows > 0) exact_h = &want_h;
    }
    const bool ok_w = set_dimension(exact, out_w, exact_w, max_w);
    const bool ok_h = set_dimension(exact, out_h, exact_h, max_h);
    if (ok_w && ok_h) {
      result = gst_caps_merge_structure(result, exact);
    } else {
      gst_structure_free(exact);
    }
    // Toward the cells, a grid fixed by the properties stays fixed; toward the video, any size.
    g_value_set_int(&want_w, request.cols);
    g_value_set_int(&want_h, request.rows);
    set_dimension(any, out_w, to_cells && request.cols > 0 ? &want_w : nullptr, max_w);
    set_dimension(any, out_h, to_cells && request.rows > 0 ? &want_h : nullptr, max_h);
    result = gst_caps_merge_structure(result, any);
  }
  g_value_unset(&want_w);
  g_value_unset(&want_h);

  if (filter) {
    GstCaps* filtered = gst_caps_intersect_full(filter, result, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(result);
    result = filtered;
  }
  GST_DEBUG_OBJECT(trans, "%s: %" GST_PTR_FORMAT " -> %" GST_PTR_FORMAT,
                   direction == GST_PAD_SINK ? "video->cells" : "cells->video", caps, result);
  return result;
}

static GstCaps* gst_ascii_map_fixate_caps(GstBaseTransform* trans, GstPadDirection direction, GstCaps* caps,
                                          GstCaps* othercaps) {
  if (gst_caps_is_empty(othercaps)) return othercaps;
  othercaps = gst_caps_make_writable(gst_caps_truncate(othercaps));
  GstStructure* out = gst_caps_get_structure(othercaps, 0);
  const GstStructure* in = gst_caps_get_structure(caps, 0);
  const bool to_cells = direction == GST_PAD_SINK;
  gstascii::PictureShape shape;
  if (to_cells && picture_shape(in, &shape)) {
    // Where downstream left a range, the grid nearest the one that keeps the picture's shape.
    const gstascii::GridRequest request = grid_request(trans);
    gstascii::GridSize grid = gstascii::fit_grid(shape, request);
    gst_structure_fixate_field_nearest_int(out, "cols", grid.cols);
    int cols = 0;
    // Downstream held the columns elsewhere: the rows follow them, unless asked for.
    if (gst_structure_get_int(out, "cols", &cols) && cols != grid.cols && request.rows == 0)
      grid = gstascii::fit_grid(shape, {cols, 0});
    gst_structure_fixate_field_nearest_int(out, "rows", grid.rows);
  } else {
    // Toward the video: the size of the grid (one pixel per cell).
    int w = 0, h = 0;
    if (gst_structure_get_int(in, to_cells ? "width" : "cols", &w))
      gst_structure_fixate_field_nearest_int(out, to_cells ? "cols" : "width", w);
    if (gst_structure_get_int(in, to_cells ? "height" : "rows", &h))
      gst_structure_fixate_field_nearest_int(out, to_cells ? "rows" : "height", h);
  }
  gint fps_n = 0, fps_d = 1;
  if (gst_structure_get_fraction(in, "framerate", &fps_n, &fps_d))
    gst_structure_fixate_field_nearest_fraction(out, "framerate", fps_n, fps_d);
  return gst_caps_fixate(othercaps);
}

static gboolean gst_ascii_map_set_caps(GstBaseTransform* trans, GstCaps* incaps, GstCaps* outcaps) {
  StreamState& st = impl_of(trans).state;
  if (!gst_video_info_from_caps(&st.in_info, incaps)) {
    GST_ERROR_OBJECT(trans, "cannot parse input caps %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
  const GstStructure* s = gst_caps_get_structure(outcaps, 0);
  if (!gst_structure_get_int(s, "cols", &st.cols) || !gst_structure_get_int(s, "rows", &st.rows) ||
      !gst_structure_get_int(s, "mode", &st.mode)) {
    GST_ERROR_OBJECT(trans, "output caps without a fixed grid: %" GST_PTR_FORMAT, outcaps);
    return FALSE;
  }
  const char* style_name = gst_structure_get_string(s, "style");
  const auto style = gstascii::parse_cell_style(style_name ? style_name : "asciline");
  if (!style) {
    GST_ERROR_OBJECT(trans, "output caps with an unknown style: %" GST_PTR_FORMAT, outcaps);
    return FALSE;
  }
  st.fitter.reset(style->is_asciline() ? nullptr : new gstascii::SymbolFitter(*style));
  if (st.fitter) {
    const gstascii::SubcellGrid g = st.fitter->samples();
    const std::string problem =
        st.averager.configure(gstascii::frame_layout_from_info(&st.in_info), st.cols * g.cols, st.rows * g.rows);
    if (!problem.empty()) {
      GST_ELEMENT_ERROR(trans, CORE, NEGOTIATION, ("Cannot map this video to %dx%d cells", st.cols, st.rows),
                        ("%s", problem.c_str()));
      return FALSE;
    }
    st.bgr_scratch.resize(std::size_t(st.cols) * st.rows * 3);
    st.direct_bgr = false;
    GST_INFO_OBJECT(trans, "%dx%d %s -> %dx%d cells, style %s (%dx%d samples a cell), mode %d",
                    GST_VIDEO_INFO_WIDTH(&st.in_info), GST_VIDEO_INFO_HEIGHT(&st.in_info),
                    GST_VIDEO_INFO_NAME(&st.in_info), st.cols, st.rows, style_name, g.cols, g.rows, st.mode);
    return TRUE;
  }
  st.direct_bgr = GST_VIDEO_INFO_FORMAT(&st.in_info) == GST_VIDEO_FORMAT_BGR &&
                  GST_VIDEO_INFO_WIDTH(&st.in_info) == st.cols && GST_VIDEO_INFO_HEIGHT(&st.in_info) == st.rows;
  if (!st.direct_bgr) {
    const std::string problem = st.averager.configure(gstascii::frame_layout_from_info(&st.in_info), st.cols, st.rows);
    if (!problem.empty()) {
      GST_ELEMENT_ERROR(trans, CORE, NEGOTIATION, ("Cannot map this video to %dx%d cells", st.cols, st.rows),
                        ("%s", problem.c_str()));
      return FALSE;
    }
    st.bgr_scratch.resize(std::size_t(st.cols) * st.rows * 3);
  }
  GST_INFO_OBJECT(trans, "%dx%d %s -> %dx%d cells, mode %d (%s, kernel %s)", GST_VIDEO_INFO_WIDTH(&st.in_info),
                  GST_VIDEO_INFO_HEIGHT(&st.in_info), GST_VIDEO_INFO_NAME(&st.in_info), st.cols, st.rows, st.mode,
                  st.direct_bgr ? "direct" : "area-averaged", gstascii::map_kernel_name(gstascii::best_map_kernel()));
  return TRUE;
}

static gboolean gst_ascii_map_transform_size(GstBaseTransform* trans, GstPadDirection direction, GstCaps* caps,
                                             gsize size, GstCaps* othercaps, gsize* othersize) {
  (void)trans;
  (void)caps;
  (void)size;
  if (direction != GST_PAD_SINK) return FALSE;  // the output size does not determine the input size
  const GstStructure* s = gst_caps_get_structure(othercaps, 0);
  int cols = 0, rows = 0;
  if (!gst_structure_get_int(s, "cols", &cols) || !gst_structure_get_int(s, "rows", &rows)) return FALSE;
  const bool symbols = g_strcmp0(gst_structure_get_string(s, "layout"), GST_ASCII_SYMBOL_CELLS_LAYOUT) == 0;
  *othersize = gsize(cols) * rows * (gstascii::kCellBytes + (symbols ? gstascii::kSymbolCellBytes : 0));
  return TRUE;
}

// Rebuilds the char table when a property changed since the last frame.
static void refresh_char_table(GstAsciiMap* self) {
  Impl& impl = self->impl;
  GST_OBJECT_LOCK(self);
  if (impl.state.table_generation != impl.settings.table_generation) {
    impl.state.table = gstascii::build_char_table(impl.settings.palette, impl.settings.mapping, impl.settings.tone);
    impl.state.table_generation = impl.settings.table_generation;
  }
  GST_OBJECT_UNLOCK(self);
}

static GstFlowReturn gst_ascii_map_transform(GstBaseTransform* trans, GstBuffer* inbuf, GstBuffer* outbuf) {
  GstAsciiMap* self = GST_ASCII_MAP(trans);
  StreamState& st = self->impl.state;
  refresh_char_table(self);

  gstascii::MappedVideoFrame in(&st.in_info, inbuf);
  if (!in.ok) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT,
                      ("Input buffer does not hold a whole %dx%d %s frame", GST_VIDEO_INFO_WIDTH(&st.in_info),
                       GST_VIDEO_INFO_HEIGHT(&st.in_info), GST_VIDEO_INFO_NAME(&st.in_info)),
                      ("buffer of %" G_GSIZE_FORMAT " bytes, the caps need %" G_GSIZE_FORMAT,
                       gst_buffer_get_size(inbuf), GST_VIDEO_INFO_SIZE(&st.in_info)));
    return GST_FLOW_ERROR;
  }
  const std::size_t n_cells = std::size_t(st.cols) * st.rows;
  const std::size_t symbol_bytes = st.fitter ? n_cells * gstascii::kSymbolCellBytes : 0;
  gstascii::MappedBuffer out(outbuf, GST_MAP_WRITE);
  if (!out.ok || out.info.size < symbol_bytes + n_cells * gstascii::kCellBytes) {
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE, ("Output buffer too small for %dx%d cells", st.cols, st.rows), (nullptr));
    return GST_FLOW_ERROR;
  }
  const std::uint8_t mask = gstascii::colour_mask_for_mode(st.mode);

  if (st.fitter) {
    // Symbol cells, then the same picture as ASCILINE cells from each cell's mean colour.
    gstascii::PlaneView planes[GST_VIDEO_MAX_PLANES];
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&in.frame); p++) {
      planes[p].data = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&in.frame, p));
      planes[p].stride = GST_VIDEO_FRAME_PLANE_STRIDE(&in.frame, p);
    }
    auto* symbols = reinterpret_cast<gstascii::SymbolCell*>(out.info.data);
    if (!st.fitter->fit_frame(st.averager, planes, st.cols, st.rows, &st.sample_scratch, symbols,
                              st.bgr_scratch.data())) {
      GST_ELEMENT_ERROR(self, CORE, FAILED, ("The sampler does not match the %dx%d grid", st.cols, st.rows), (nullptr));
      return GST_FLOW_ERROR;
    }
    gstascii::quantise_symbol_cells(symbols, n_cells, mask, st.mode == 1);
    gstascii::map_bgr_to_cells(st.bgr_scratch.data(), n_cells, st.table, mask, out.info.data + symbol_bytes);
  } else if (st.direct_bgr) {
    const auto* src = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&in.frame, 0));
    const std::size_t stride = GST_VIDEO_FRAME_PLANE_STRIDE(&in.frame, 0);
    for (int y = 0; y < st.rows; y++) {
      gstascii::map_bgr_to_cells(src + y * stride, st.cols, st.table, mask,
                                 out.info.data + std::size_t(y) * st.cols * gstascii::kCellBytes);
    }
  } else {
    gstascii::PlaneView planes[GST_VIDEO_MAX_PLANES];
    for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&in.frame); p++) {
      planes[p].data = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&in.frame, p));
      planes[p].stride = GST_VIDEO_FRAME_PLANE_STRIDE(&in.frame, p);
    }
    st.averager.run(planes, st.bgr_scratch.data());
    gstascii::map_bgr_to_cells(st.bgr_scratch.data(), n_cells, st.table, mask, out.info.data);
  }
  return GST_FLOW_OK;
}

static gboolean gst_ascii_map_stop(GstBaseTransform* trans) {
  // PAUSED -> READY: forget the negotiated stream so the element starts afresh.
  StreamState& st = impl_of(trans).state;
  st = StreamState();
  return TRUE;
}

static void gst_ascii_map_finalize(GObject* object) {
  GST_ASCII_MAP(object)->impl.~Impl();
  G_OBJECT_CLASS(gst_ascii_map_parent_class)->finalize(object);
}

static void gst_ascii_map_init(GstAsciiMap* self) {
  new (&self->impl) Impl();
  gst_video_info_init(&self->impl.state.in_info);
}

static void gst_ascii_map_class_init(GstAsciiMapClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  gobject_class->set_property = gst_ascii_map_set_property;
  gobject_class->get_property = gst_ascii_map_get_property;
  gobject_class->finalize = gst_ascii_map_finalize;

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_COLS,
      g_param_spec_int("cols", "Columns",
                       "Cells across. 0 = from downstream caps, or else from rows and the picture's shape, "
                       "or else fitted inside max-cols x max-rows (see the element's description)",
                       0, gstascii::kMaxCols, DEFAULT_COLS, flags));
  g_object_class_install_property(
      gobject_class, PROP_ROWS,
      g_param_spec_int("rows", "Rows",
                       "Cells down. 0 = from downstream caps, or else from cols and the picture's shape, "
                       "or else fitted inside max-cols x max-rows (see the element's description)",
                       0, gstascii::kMaxRows, DEFAULT_ROWS, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_COLS,
      g_param_spec_int("max-cols", "Most columns",
                       "With cols and rows both 0: the widest grid chosen for a picture larger than "
                       "max-cols x max-rows (the grid keeps the picture's shape inside that box)",
                       1, gstascii::kMaxCols, DEFAULT_MAX_COLS, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_ROWS,
      g_param_spec_int("max-rows", "Most rows",
                       "With cols and rows both 0: the tallest grid chosen for a picture larger than "
                       "max-cols x max-rows (the grid keeps the picture's shape inside that box)",
                       1, gstascii::kMaxRows, DEFAULT_MAX_ROWS, flags));
  g_object_class_install_property(
      gobject_class, PROP_PALETTE,
      g_param_spec_string("palette", "Palette",
                          "Characters from dark to bright, 2 to 95 printable ASCII characters (the default "
                          "is the 92-character ASCILINE palette, starting with a space)",
                          gstascii::kDefaultPalette.data(), flags));
  g_object_class_install_property(
      gobject_class, PROP_MAPPING,
      g_param_spec_enum("mapping", "Mapping", "How a cell's gray level picks a palette character",
                        GST_TYPE_ASCII_MAPPING, int(DEFAULT_MAPPING), flags));
  g_object_class_install_property(
      gobject_class, PROP_BRIGHTNESS,
      g_param_spec_double("brightness", "Brightness",
                          "Added to the gray level before it picks a character, as a fraction of full scale",
                          gstascii::kMinBrightness, gstascii::kMaxBrightness, DEFAULT_BRIGHTNESS, flags));
  g_object_class_install_property(
      gobject_class, PROP_CONTRAST,
      g_param_spec_double("contrast", "Contrast",
                          "Multiplies the gray level's distance from mid-gray (1 = unchanged, 0 = flat)",
                          gstascii::kMinContrast, gstascii::kMaxContrast, DEFAULT_CONTRAST, flags));
  g_object_class_install_property(
      gobject_class, PROP_GAMMA,
      g_param_spec_double("gamma", "Gamma",
                          "Gamma applied to the gray level: above 1 picks brighter characters for mid-tones",
                          gstascii::kMinGamma, gstascii::kMaxGamma, DEFAULT_GAMMA, flags));
  g_object_class_install_property(
      gobject_class, PROP_INVERT,
      g_param_spec_boolean("invert", "Invert", "Bright areas get dark characters (for dark text on a light background)",
                           DEFAULT_INVERT, flags));
  g_object_class_install_property(
      gobject_class, PROP_MODE,
      g_param_spec_int("mode", "Render mode",
                       "ASCILINE render mode: 1 = monochrome text, 2 = 512 colours, 3 = 32 K colours, "
                       "4 = 262 K colours, 5 and 6 = 16 M colours",
                       gstascii::kMinMode, gstascii::kMaxMode, DEFAULT_MODE, flags));
  g_object_class_install_property(
      gobject_class, PROP_STYLE,
      g_param_spec_string("style", "Style",
                          "How cells are drawn: asciline (a palette character in the cell's colour on black, "
                          "what ASCILINE clients show), or symbols with a foreground and background colour each: "
                          "ascii (letters chosen by shape), half (half blocks), blocks (half and quadrant blocks), "
                          "sextant (2x3 mosaics), octant (2x4 mosaics), edge (a straight edge at any of 32 "
                          "angles), or several joined with '+' (e.g. octant+edge: each cell takes the one "
                          "that fits it best)",
                          DEFAULT_STYLE, flags));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "ASCII art mapper", "Filter/Converter/Video",
                                        "Turns video into a grid of coloured ASCII character cells",
                                        "gst-ascii developers");

  trans_class->transform_caps = GST_DEBUG_FUNCPTR(gst_ascii_map_transform_caps);
  trans_class->fixate_caps = GST_DEBUG_FUNCPTR(gst_ascii_map_fixate_caps);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_ascii_map_set_caps);
  trans_class->transform_size = GST_DEBUG_FUNCPTR(gst_ascii_map_transform_size);
  trans_class->transform = GST_DEBUG_FUNCPTR(gst_ascii_map_transform);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_ascii_map_stop);
  trans_class->passthrough_on_same_caps = FALSE;

  gst_type_mark_as_plugin_api(GST_TYPE_ASCII_MAPPING, GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_ascii_map_debug, "asciimap", 0, "video to character cells");
}
