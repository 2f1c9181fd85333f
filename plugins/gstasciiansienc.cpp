// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-asciiansienc
 * @title: asciiansienc
 *
 * Draws character cells (from asciimap) on a terminal: its output is UTF-8 text with terminal
 * escape codes (`application/x-ansi-terminal`), ready for `fdsink` (this terminal) or
 * `tcpserversink` (any terminal, with `nc`).
 *
 * Each cell is one character in its two colours: 24-bit colour, or the nearest of the xterm 256
 * or 16 colours (#GstAsciiAnsiEnc:colors). ASCII letters, half and quadrant blocks, sextants and
 * (with `symbols=octant`, for Unicode 16 fonts) octants are drawn as themselves; a shape the font
 * has no character for (#GstAsciiAnsiEnc:symbols), an edge say, as the character nearest it;
 * ASCILINE's cells (`layout=crgb`) as their character in its colour on black.
 *
 * The first frame is a whole picture (after the screen is cleared), and so is one frame in every
 * #GstAsciiAnsiEnc:full-interval, one after a flush or a new grid, and the next after a
 * force-key-unit event (from upstream or downstream). Every other frame draws only the cells that
 * changed, with as few cursor moves and colour changes as it finds, and is flagged
 * %GST_BUFFER_FLAG_DELTA_UNIT, so `tcpserversink sync-method=next-keyframe
 * recover-policy=keyframe` starts each new viewer, and one that fell behind, at a whole picture.
 * A frame where nothing changed is not sent: a gap event takes its place. Frames are wrapped in synchronized-output
 * markers (DEC private mode 2026): terminals that know them never show half a frame.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 uridecodebin uri=file:///clip.mp4 ! videoconvert ! asciimap style=half cols=120 rows=40 !
 * asciiansienc ! fdsink sync=true
 * ]| The file on this terminal (120 x 40 cells of half blocks).
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! asciimap style=blocks cols=80 rows=24 ! asciiansienc ! tcpserversink
 * host=127.0.0.1 port=9001 sync-method=next-keyframe recover-policy=keyframe
 * ]| Served to terminals: `nc 127.0.0.1 9001` (a new viewer is asked a whole picture for).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciiansienc.h"

#include <gst/video/video.h>

#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "ansi_encoder.h"
#include "cell_grid.h"
#include "gstasciicaps.h"
#include "gstasciiraii.h"
#include "symbol_cell.h"

GST_DEBUG_CATEGORY_STATIC(gst_ascii_ansi_enc_debug);
#define GST_CAT_DEFAULT gst_ascii_ansi_enc_debug

enum {
  PROP_0,
  PROP_COLORS,
  PROP_SYMBOLS,
  PROP_SYNCHRONIZED,
  PROP_FULL_INTERVAL,
  PROP_TOP,
  PROP_LEFT,
  PROP_HIDE_CURSOR,
};

#define DEFAULT_COLORS gstascii::AnsiColors::kTrue
#define DEFAULT_SYMBOLS gstascii::AnsiSymbols::kSextant
#define DEFAULT_SYNCHRONIZED TRUE
#define DEFAULT_FULL_INTERVAL 150
#define DEFAULT_TOP 1
#define DEFAULT_LEFT 1
#define DEFAULT_HIDE_CURSOR TRUE

// What a terminal gets before its first picture: colours reset, the cursor hidden (when asked),
// the screen cleared.
static const char kClearScreen[] = "\x1b[0m\x1b[2J";
static const char kClearScreenHidingCursor[] = "\x1b[0m\x1b[?25l\x1b[2J";

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_ASCII_CELLS_TEMPLATE_CAPS));

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE(
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS(GST_ANSI_TERMINAL_MEDIA_TYPE ", cols = (int) [ 1, 4096 ], rows = (int) [ 1, 4096 ], "
                                                 "framerate = (fraction) [ 0/1, MAX ]"));

namespace {

struct Impl {
  // Properties, guarded by the object lock; |options_changed| tells the streaming thread.
  gstascii::AnsiOptions options;
  guint full_interval = DEFAULT_FULL_INTERVAL;
  bool hide_cursor = DEFAULT_HIDE_CURSOR;
  bool options_changed = false;
  // Set from any thread: the next frame is a whole picture.
  gint full_requested = 0;

  // Streaming state.
  int cols = 0, rows = 0, mode = 3;
  bool symbols = false;
  bool clear_next = true;  // the next whole picture clears the screen first (new grid)
  guint since_full = 0;    // frames since the last whole picture
  gstascii::AnsiEncoder encoder;
  std::vector<gstascii::SymbolCell> scratch;  // classic cells as symbol cells
  std::string out;
};

}  // namespace

struct _GstAsciiAnsiEnc {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Impl impl;
};

G_DEFINE_TYPE(GstAsciiAnsiEnc, gst_ascii_ansi_enc, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(asciiansienc, "asciiansienc", GST_RANK_NONE, GST_TYPE_ASCII_ANSI_ENC);

#define GST_TYPE_ASCII_ANSI_COLORS (gst_ascii_ansi_colors_get_type())
static GType gst_ascii_ansi_colors_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(gstascii::AnsiColors::kTrue), "24-bit colour (most terminals of today)", "truecolor"},
      {int(gstascii::AnsiColors::k256), "The xterm 256-colour palette", "256"},
      {int(gstascii::AnsiColors::k16), "The 16 standard colours (any colour terminal)", "16"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstAsciiAnsiColors", values));
  return type;
}

#define GST_TYPE_ASCII_ANSI_SYMBOLS (gst_ascii_ansi_symbols_get_type())
static GType gst_ascii_ansi_symbols_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(gstascii::AnsiSymbols::kBlocks), "Half and quadrant blocks: every font with box drawing", "blocks"},
      {int(gstascii::AnsiSymbols::kSextant), "Blocks and sextants (Unicode 13; most fonts of today)", "sextant"},
      {int(gstascii::AnsiSymbols::kOctant), "Blocks, sextants and octants (Unicode 16; few fonts yet)", "octant"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) g_once_init_leave(&type, g_enum_register_static("GstAsciiAnsiSymbols", values));
  return type;
}

static void gst_ascii_ansi_enc_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  GstAsciiAnsiEnc* self = GST_ASCII_ANSI_ENC(object);
  Impl& impl = self->impl;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_COLORS: impl.options.colors = gstascii::AnsiColors(g_value_get_enum(value)); break;
    case PROP_SYMBOLS: impl.options.symbols = gstascii::AnsiSymbols(g_value_get_enum(value)); break;
    case PROP_SYNCHRONIZED: impl.options.synchronized = g_value_get_boolean(value); break;
    case PROP_FULL_INTERVAL: impl.full_interval = g_value_get_uint(value); break;
    case PROP_TOP: impl.options.top = g_value_get_int(value); break;
    case PROP_LEFT: impl.options.left = g_value_get_int(value); break;
    case PROP_HIDE_CURSOR: impl.hide_cursor = g_value_get_boolean(value); break;
    default:
      GST_OBJECT_UNLOCK(self);
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      return;
  }
  impl.options_changed = true;
  GST_OBJECT_UNLOCK(self);
}

static void gst_ascii_ansi_enc_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  GstAsciiAnsiEnc* self = GST_ASCII_ANSI_ENC(object);
  const Impl& impl = self->impl;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_COLORS: g_value_set_enum(value, int(impl.options.colors)); break;
    case PROP_SYMBOLS: g_value_set_enum(value, int(impl.options.symbols)); break;
    case PROP_SYNCHRONIZED: g_value_set_boolean(value, impl.options.synchronized); break;
    case PROP_FULL_INTERVAL: g_value_set_uint(value, impl.full_interval); break;
    case PROP_TOP: g_value_set_int(value, impl.options.top); break;
    case PROP_LEFT: g_value_set_int(value, impl.options.left); break;
    case PROP_HIDE_CURSOR: g_value_set_boolean(value, impl.hide_cursor); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// The encoder for the current grid and properties; the next frame is a whole picture.
static void configure_encoder(GstAsciiAnsiEnc* self) {
  Impl& impl = self->impl;
  GST_OBJECT_LOCK(self);
  const gstascii::AnsiOptions options = impl.options;
  impl.options_changed = false;
  GST_OBJECT_UNLOCK(self);
  impl.encoder.configure(impl.cols, impl.rows, options);
  impl.clear_next = true;
}

static const char* clear_screen(GstAsciiAnsiEnc* self) {
  GST_OBJECT_LOCK(self);
  const bool hide = self->impl.hide_cursor;
  GST_OBJECT_UNLOCK(self);
  return hide ? kClearScreenHidingCursor : kClearScreen;
}

static gboolean set_sink_caps(GstAsciiAnsiEnc* self, GstCaps* caps) {
  Impl& impl = self->impl;
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  int cols = 0, rows = 0, mode = 3;
  if (!gst_structure_get_int(s, "cols", &cols) || !gst_structure_get_int(s, "rows", &rows) ||
      !gst_structure_get_int(s, "mode", &mode)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Cells without a grid"), ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  impl.symbols = g_strcmp0(gst_structure_get_string(s, "layout"), GST_ASCII_SYMBOL_CELLS_LAYOUT) == 0;
  impl.mode = mode;
  // Classic cells are turned into symbol cells here first.
  impl.scratch.resize(impl.symbols ? 0 : std::size_t(cols) * rows);
  if (cols != impl.cols || rows != impl.rows) {
    impl.cols = cols;
    impl.rows = rows;
    configure_encoder(self);
  }
  gint fps_n = 0, fps_d = 1;
  gst_structure_get_fraction(s, "framerate", &fps_n, &fps_d);

  // A terminal that joins (tcpserversink sends this first) starts on a clear screen.
  const char* clear = clear_screen(self);
  GstBuffer* header = gst_buffer_new_memdup(clear, strlen(clear));
  GST_BUFFER_FLAG_SET(header, GST_BUFFER_FLAG_HEADER);
  GValue array = G_VALUE_INIT, item = G_VALUE_INIT;
  g_value_init(&array, GST_TYPE_ARRAY);
  g_value_init(&item, GST_TYPE_BUFFER);
  gst_value_set_buffer(&item, header);
  gst_value_array_append_and_take_value(&array, &item);
  gst_buffer_unref(header);
  GstCaps* out = gst_caps_new_simple(GST_ANSI_TERMINAL_MEDIA_TYPE, "cols", G_TYPE_INT, cols, "rows", G_TYPE_INT, rows,
                                     "framerate", GST_TYPE_FRACTION, fps_n, fps_d, nullptr);
  gst_caps_set_value(out, "streamheader", &array);
  g_value_unset(&array);
  GST_INFO_OBJECT(self, "%dx%d %s cells", cols, rows, impl.symbols ? "symbol" : "ASCILINE");
  const gboolean ok = gst_pad_set_caps(self->srcpad, out);
  gst_caps_unref(out);
  return ok;
}

static GstFlowReturn gst_ascii_ansi_enc_chain(GstPad* pad, GstObject* parent, GstBuffer* inbuf) {
  (void)pad;
  GstAsciiAnsiEnc* self = GST_ASCII_ANSI_ENC(parent);
  Impl& impl = self->impl;
  if (impl.cols == 0) {
    gst_buffer_unref(inbuf);
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Cells arrived before their caps"), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  const std::size_t n = std::size_t(impl.cols) * impl.rows;
  const std::size_t need = n * (gstascii::kCellBytes + (impl.symbols ? gstascii::kSymbolCellBytes : 0));
  GST_OBJECT_LOCK(self);
  const bool reconfigure = impl.options_changed;
  const guint interval = impl.full_interval;
  GST_OBJECT_UNLOCK(self);
  if (reconfigure) configure_encoder(self);
  const bool full =
      g_atomic_int_exchange(&impl.full_requested, 0) != 0 || (interval > 0 && impl.since_full + 1 >= interval);

  impl.out.clear();
  bool drew_full = false;
  bool fits = false;
  {
    gstascii::MappedBuffer in(inbuf, GST_MAP_READ);
    fits = in.ok && in.info.size == need;
    if (fits) {
      const gstascii::SymbolCell* cells;
      if (impl.symbols) {
        cells = reinterpret_cast<const gstascii::SymbolCell*>(in.info.data);
      } else {
        gstascii::symbol_cells_from_classic(reinterpret_cast<const gstascii::Cell*>(in.info.data), n, impl.mode,
                                            impl.scratch.data());
        cells = impl.scratch.data();
      }
      // After a clear, the screen holds nothing to build on.
      if (impl.clear_next) impl.out.append(clear_screen(self));
      drew_full = impl.encoder.encode(cells, full || impl.clear_next, &impl.out);
    }
  }
  if (!fits) {
    const gsize size = gst_buffer_get_size(inbuf);
    gst_buffer_unref(inbuf);
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Cell buffer does not match the %dx%d grid", impl.cols, impl.rows),
                      ("%" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT, size, need));
    return GST_FLOW_ERROR;
  }
  impl.clear_next = false;
  impl.since_full = drew_full ? 0 : impl.since_full + 1;
  if (impl.out.empty()) {
    // Nothing changed: no bytes, but a gap, so a synchronised sink still keeps time (a still
    // picture lasts as long as it should).
    const GstClockTime pts = GST_BUFFER_PTS(inbuf), duration = GST_BUFFER_DURATION(inbuf);
    gst_buffer_unref(inbuf);
    if (GST_CLOCK_TIME_IS_VALID(pts)) gst_pad_push_event(self->srcpad, gst_event_new_gap(pts, duration));
    return GST_FLOW_OK;
  }
  GstBuffer* outbuf = gst_buffer_new_memdup(impl.out.data(), impl.out.size());
  gst_buffer_copy_into(outbuf, inbuf, GST_BUFFER_COPY_TIMESTAMPS, 0, -1);
  if (drew_full) {
    GST_BUFFER_FLAG_UNSET(outbuf, GST_BUFFER_FLAG_DELTA_UNIT);
  } else {
    GST_BUFFER_FLAG_SET(outbuf, GST_BUFFER_FLAG_DELTA_UNIT);
  }
  gst_buffer_unref(inbuf);
  return gst_pad_push(self->srcpad, outbuf);
}

// Whether |event| asks for a whole picture next (a force-key-unit from either side).
static bool asks_for_full(GstEvent* event) {
  return gst_video_event_is_force_key_unit(event);
}

static gboolean gst_ascii_ansi_enc_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstAsciiAnsiEnc* self = GST_ASCII_ANSI_ENC(parent);
  Impl& impl = self->impl;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(event, &caps);
      const gboolean ok = set_sink_caps(self, caps);
      gst_event_unref(event);
      return ok;
    }
    case GST_EVENT_FLUSH_STOP:
      // Frames flushed downstream never reached the terminal: what it shows is unknown.
      impl.encoder.invalidate();
      break;
    case GST_EVENT_EOS: {
      // Leave the terminal usable: colours reset, cursor shown, on the line below the picture.
      if (impl.cols > 0) {
        std::string tail = "\x1b[0m\x1b[?25h\x1b[";
        GST_OBJECT_LOCK(self);
        tail += std::to_string(impl.options.top + impl.rows - 1) + ";1H\r\n";
        GST_OBJECT_UNLOCK(self);
        GstBuffer* buf = gst_buffer_new_memdup(tail.data(), tail.size());
        GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
        gst_pad_push(self->srcpad, buf);
      }
      break;
    }
    default:
      if (asks_for_full(event)) g_atomic_int_set(&impl.full_requested, 1);
      break;
  }
  return gst_pad_event_default(pad, parent, event);
}

static gboolean gst_ascii_ansi_enc_src_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstAsciiAnsiEnc* self = GST_ASCII_ANSI_ENC(parent);
  if (asks_for_full(event)) {
    // Answered here: upstream's cells have no key units of their own.
    GST_DEBUG_OBJECT(self, "a whole picture is asked for");
    g_atomic_int_set(&self->impl.full_requested, 1);
    gst_event_unref(event);
    return TRUE;
  }
  return gst_pad_event_default(pad, parent, event);
}

static GstStateChangeReturn gst_ascii_ansi_enc_change_state(GstElement* element, GstStateChange transition) {
  GstAsciiAnsiEnc* self = GST_ASCII_ANSI_ENC(element);
  const GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(gst_ascii_ansi_enc_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) {
    // Forget the stream (the properties stay).
    Impl& impl = self->impl;
    impl.cols = impl.rows = 0;
    impl.since_full = 0;
    impl.clear_next = true;
    impl.full_requested = 0;
    impl.scratch = {};
    impl.out = {};
    impl.encoder = gstascii::AnsiEncoder();
  }
  return ret;
}

static void gst_ascii_ansi_enc_finalize(GObject* object) {
  GST_ASCII_ANSI_ENC(object)->impl.~Impl();
  G_OBJECT_CLASS(gst_ascii_ansi_enc_parent_class)->finalize(object);
}

static void gst_ascii_ansi_enc_init(GstAsciiAnsiEnc* self) {
  new (&self->impl) Impl();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_ascii_ansi_enc_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_ascii_ansi_enc_sink_event));
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_event_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_ascii_ansi_enc_src_event));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_ascii_ansi_enc_class_init(GstAsciiAnsiEncClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);

  gobject_class->set_property = gst_ascii_ansi_enc_set_property;
  gobject_class->get_property = gst_ascii_ansi_enc_get_property;
  gobject_class->finalize = gst_ascii_ansi_enc_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_ascii_ansi_enc_change_state);

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_COLORS,
      g_param_spec_enum("colors", "Colours",
                        "How colours are written: 24-bit, or the nearest of the xterm 256 or the 16 standard colours "
                        "for terminals that know no more",
                        GST_TYPE_ASCII_ANSI_COLORS, int(DEFAULT_COLORS), flags));
  g_object_class_install_property(
      gobject_class, PROP_SYMBOLS,
      g_param_spec_enum("symbols", "Symbols",
                        "The block characters the terminal's font has; a cell whose shape has none is drawn as the "
                        "nearest one it has",
                        GST_TYPE_ASCII_ANSI_SYMBOLS, int(DEFAULT_SYMBOLS), flags));
  g_object_class_install_property(
      gobject_class, PROP_SYNCHRONIZED,
      g_param_spec_boolean("synchronized", "Synchronized output",
                           "Wrap each frame in DEC mode 2026 markers, so terminals that know them show whole frames "
                           "only (others ignore them)",
                           DEFAULT_SYNCHRONIZED, flags));
  g_object_class_install_property(
      gobject_class, PROP_FULL_INTERVAL,
      g_param_spec_uint("full-interval", "Full picture interval",
                        "Draw the whole picture once in this many frames (a viewer who joins or falls behind "
                        "starts at one); 0: only the first, after a new grid, and when asked by a force-key-unit "
                        "event",
                        0, G_MAXINT, DEFAULT_FULL_INTERVAL, flags));
  g_object_class_install_property(
      gobject_class, PROP_TOP,
      g_param_spec_int("top", "Top", "Screen row of the picture's first row (1: the top of the screen)", 1, 10000,
                       DEFAULT_TOP, flags));
  g_object_class_install_property(
      gobject_class, PROP_HIDE_CURSOR,
      g_param_spec_boolean("hide-cursor", "Hide cursor",
                           "Hide the cursor while the picture plays (shown again at the end of the stream); off for "
                           "viewers that may be stopped without it, such as curl, whose terminal would keep it "
                           "hidden",
                           DEFAULT_HIDE_CURSOR, flags));
  g_object_class_install_property(
      gobject_class, PROP_LEFT,
      g_param_spec_int("left", "Left", "Screen column of the picture's first column (1: the left edge)", 1, 10000,
                       DEFAULT_LEFT, flags));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "ANSI terminal encoder", "Codec/Encoder/Text",
                                        "Draws character cells as terminal escape codes, only what changed each frame",
                                        "gst-ascii developers");
  gst_type_mark_as_plugin_api(GST_TYPE_ASCII_ANSI_COLORS, GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(GST_TYPE_ASCII_ANSI_SYMBOLS, GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_ascii_ansi_enc_debug, "asciiansienc", 0, "character cells to terminal escape codes");
}
