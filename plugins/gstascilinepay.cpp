// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-ascilinepay
 * @title: ascilinepay
 *
 * Packs character cells from asciimap into ASCILINE messages, one message per buffer:
 *
 * - mode 1: a TEXT message, `"{frame_index}\n"` followed by the rows joined by `"\n"`;
 * - modes 2 to 6: a BINARY raw frame, `[u32be frame_index][cols * rows x (char, R, G, B)]`;
 * - with #GstAscilinePay:pixel-frames: a BINARY pixel frame, `[u32be frame_index][B, G, R ...]`;
 * - with #GstAscilinePay:codec=adaptive (modes 2 to 6): a BINARY tagged frame,
 *   `[u32be frame_index][u8 tag][payload]`, tags 0-3 of the ASCILINE adaptive codec, encoded once
 *   for every viewer. A DELTA (tag 2) is flagged GST_BUFFER_FLAG_DELTA_UNIT; every other frame can
 *   start a viewer. Each carries the same frame raw in a GstAscilineRawMeta, so websocketsink serves
 *   `?codec=raw` viewers from the same stream. A keyframe comes every 48 frame indices, after a
 *   discontinuity or flush, and when downstream asks (a force-key-unit event: at once, or, when it
 *   names a running time, on the first frame at or after it).
 *
 * frame_index is round(running time x fps), so indices stay right across dropped frames. They only
 * rise within one INIT: a frame whose index was already sent is dropped, and a new timeline (a
 * flushing seek, a segment whose running time starts earlier) is sent a new INIT first. With
 * #GstAscilinePay:stream-time the index is round(stream time x fps) instead: the frame's place in
 * the file, which a seek moves with it (a store filled out of order, as asciihlssink's with
 * fill-gaps, needs that; the caps say `timeline=stream`).
 *
 * The INIT message that starts a session is put in the output caps as `streamheader` (so a sink
 * can greet clients that join late) and is also pushed in-band, flagged HEADER, before the first
 * frame after each (re)negotiation. Buffers to send as TEXT carry GST_ASCILINE_BUFFER_FLAG_TEXT
 * (GST_BUFFER_FLAG_LAST); binary frames share the cell memory with the input (no copy).
 *
 * Symbol cells (`layout=symbol+crgb`, from asciimap's symbol styles): the messages above are made
 * from the ASCILINE cells the buffer carries after its symbol cells, and each message also carries
 * the same frame as symbol cells (gst-ascii's extension: `[u32be frame_index][cols * rows x 8
 * bytes]`, tagged by an encoder of its own when #GstAscilinePay:codec is adaptive, keyframes at
 * the same moments) in a GstAscilineSymbolMeta; the INIT announcing them (field 5 = 2) is in the
 * caps as `symbol-streamheader` and on the in-band INIT. websocketsink gives them to viewers that
 * ask for `?cells=symbol`.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc num-buffers=3 ! video/x-raw,width=80,height=24 ! asciimap mode=1 ! ascilinepay ! fdsink
 * ]| Prints the INIT line and three text frames of the test pattern.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstascilinepay.h"

#include <gst/video/video.h>

#include <atomic>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "adaptive_codec.h"
#include "asciline_wire.h"
#include "cell_grid.h"
#include "gstasciicaps.h"
#include "gstasciiraii.h"
#include "symbol_cell.h"
#include "gstascilinemeta.h"

GST_DEBUG_CATEGORY_STATIC(gst_asciline_pay_debug);
#define GST_CAT_DEFAULT gst_asciline_pay_debug

using gstascii::InitForm;

enum {
  PROP_0,
  PROP_INIT_FORM,
  PROP_PIXEL_FRAMES,
  PROP_CODEC,
  PROP_STREAM_TIME,
};

enum class Codec { kRaw, kAdaptive };

#define DEFAULT_INIT_FORM InitForm::kFull
#define DEFAULT_PIXEL_FRAMES FALSE
#define DEFAULT_CODEC Codec::kRaw
#define DEFAULT_STREAM_TIME FALSE

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_ASCII_CELLS_TEMPLATE_CAPS));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_ASCILINE_MEDIA_TYPE));

namespace {

struct Settings {
  InitForm init_form = DEFAULT_INIT_FORM;
  bool pixel_frames = DEFAULT_PIXEL_FRAMES;
  Codec codec = DEFAULT_CODEC;
  bool stream_time = DEFAULT_STREAM_TIME;
  guint generation = 1;  // bumped on every change, so the streaming thread re-announces INIT
};

struct StreamState {
  GstSegment segment;
  GstCaps* sink_caps = nullptr;  // last input caps, to re-derive output caps after a change
  gstascii::InitMessage init;
  gint fps_n = 0, fps_d = 1;
  bool pixel = false;
  bool stream_time = false;          // indices count the stream time, not the running time
  gsize crgb_offset = 0;             // symbol+crgb input: where its ASCILINE cells start
  GstBuffer* init_buffer = nullptr;  // the INIT text, as in the caps streamheader
  bool init_pending = false;         // push INIT in-band before the next frame
  guint settings_generation = 0;
  guint64 next_index = 0;  // for buffers without a timestamp
  // The last frame index sent since the INIT: indices never go back or repeat within one INIT (a
  // frame that maps to an index already sent, as two frames rounding to one slot, is dropped).
  gint64 last_index = -1;
  // codec=adaptive with character cells: the stream's one encoder.
  std::unique_ptr<gstascii::adaptive::Encoder> encoder;
  // Symbol cells in: their INIT and, with codec=adaptive, their encoder (the same frames in
  // gst-ascii's extension, carried on each message as a GstAscilineSymbolMeta).
  GstBuffer* symbol_init = nullptr;
  std::unique_ptr<gstascii::adaptive::Encoder> symbol_encoder;
  std::vector<guint8> message;

  void clear() {
    gst_clear_caps(&sink_caps);
    gst_clear_buffer(&init_buffer);
    gst_clear_buffer(&symbol_init);
    *this = StreamState();
    gst_segment_init(&segment, GST_FORMAT_TIME);
  }
};

struct Impl {
  Settings settings;
  StreamState state;
  std::atomic<bool> keyframe_requested{false};  // a force-key-unit event from downstream
  // A force-key-unit event for a running time (asciihlssink asks ahead for its next cut): the
  // first frame at or after it is a keyframe. GST_CLOCK_TIME_NONE: none asked for.
  std::atomic<guint64> keyframe_at{GST_CLOCK_TIME_NONE};
};

}  // namespace

struct _GstAscilinePay {
  GstElement parent;
  GstPad* sinkpad;
  GstPad* srcpad;
  Impl impl;  // constructed in instance_init, destroyed in finalize
};

G_DEFINE_TYPE(GstAscilinePay, gst_asciline_pay, GST_TYPE_ELEMENT);
GST_ELEMENT_REGISTER_DEFINE(ascilinepay, "ascilinepay", GST_RANK_NONE, GST_TYPE_ASCILINE_PAY);

GType gst_asciline_codec_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(Codec::kRaw), "Raw frames, as the seed sends them", "raw"},
      {int(Codec::kAdaptive), "Tagged frames (raw, zlib, delta, run-length): the adaptive codec", "adaptive"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstAscilineCodec", values));
  }
  return type;
}

GType gst_asciline_init_form_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {int(InitForm::kSeed), "INIT:{fps}:{mode}:{cols}:{rows}:0, as the seed server sends it", "seed"},
      {int(InitForm::kFull), "INIT with pixel, queue index, duration, start and live fields", "full"},
      {0, nullptr, nullptr},
  };
  if (g_once_init_enter(&type)) {
    g_once_init_leave(&type, g_enum_register_static("GstAscilineInitForm", values));
  }
  return type;
}

// Asks upstream how long the stream is and whether it is live, for the full INIT.
static void query_timeline(GstAscilinePay* self, gstascii::InitMessage* init) {
  gint64 duration = -1;
  init->duration = 0.0;
  init->is_live = false;
  g_autoptr(GstQuery) latency = gst_query_new_latency();
  if (gst_pad_peer_query(self->sinkpad, latency)) {
    gboolean live = FALSE;
    gst_query_parse_latency(latency, &live, nullptr, nullptr);
    init->is_live = live;
  }
  if (!init->is_live && gst_pad_peer_query_duration(self->sinkpad, GST_FORMAT_TIME, &duration) && duration > 0) {
    init->duration = double(duration) / GST_SECOND;
  }
}

static GstBuffer* init_text_buffer(const std::string& text) {
  GstBuffer* buffer = gst_buffer_new_memdup(text.data(), text.size());
  GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_HEADER);
  GST_BUFFER_FLAG_SET(buffer, GST_ASCILINE_BUFFER_FLAG_TEXT);
  return buffer;
}

// A caps streamheader: an array of one buffer.
static GValue header_array(GstBuffer* buffer) {
  GValue headers = G_VALUE_INIT, header = G_VALUE_INIT;
  gst_value_array_init(&headers, 1);
  g_value_init(&header, GST_TYPE_BUFFER);
  gst_value_set_buffer(&header, buffer);
  gst_value_array_append_and_take_value(&headers, &header);
  return headers;
}

// Derives the INIT and the output caps from the input caps and the settings, and sends the caps.
static bool negotiate(GstAscilinePay* self) {
  StreamState& st = self->impl.state;
  const GstStructure* s = gst_caps_get_structure(st.sink_caps, 0);
  gstascii::InitMessage init;
  if (!gst_structure_get_int(s, "cols", &init.cols) || !gst_structure_get_int(s, "rows", &init.rows) ||
      !gst_structure_get_int(s, "mode", &init.mode) ||
      !gst_structure_get_fraction(s, "framerate", &st.fps_n, &st.fps_d)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Incomplete cell caps"), ("%" GST_PTR_FORMAT, st.sink_caps));
    return false;
  }
  if (st.fps_n <= 0 || st.fps_d <= 0) {
    GST_ELEMENT_ERROR(
        self, CORE, NEGOTIATION, ("ASCILINE needs a fixed frame rate"),
        ("the input has framerate %d/%d; put videorate and a framerate caps filter in front", st.fps_n, st.fps_d));
    return false;
  }
  GST_OBJECT_LOCK(self);
  const InitForm form = self->impl.settings.init_form;
  const Codec codec = self->impl.settings.codec;
  st.pixel = self->impl.settings.pixel_frames;
  st.stream_time = self->impl.settings.stream_time;
  st.settings_generation = self->impl.settings.generation;
  GST_OBJECT_UNLOCK(self);

  init.fps = double(st.fps_n) / st.fps_d;
  init.pixel = st.pixel;
  // Symbol cells carry the same picture as ASCILINE cells after them: those are what go out.
  const bool symbols = g_strcmp0(gst_structure_get_string(s, "layout"), GST_ASCII_SYMBOL_CELLS_LAYOUT) == 0;
  st.crgb_offset = symbols ? gsize(init.cols) * init.rows * gstascii::kSymbolCellBytes : 0;
  query_timeline(self, &init);
  st.init = init;
  const std::string text = gstascii::format_init(init, form);
  GST_INFO_OBJECT(self, "INIT %s", text.c_str());

  gst_clear_buffer(&st.init_buffer);
  st.init_buffer = init_text_buffer(text);
  gst_clear_buffer(&st.symbol_init);
  if (symbols) {
    gstascii::InitMessage symbol_init = init;
    symbol_init.pixel = false;
    symbol_init.symbols = true;
    st.symbol_init = init_text_buffer(gstascii::format_init(symbol_init, InitForm::kFull));
    // The INIT in-band carries the symbol INIT too, as every frame carries its symbol form.
    gst_buffer_add_asciline_symbol_meta(st.init_buffer, st.symbol_init);
  }

  // Tagged frames are for character cells only (pixel and text frames are never tagged); a new
  // encoder means the first frame of the new INIT is a keyframe.
  const bool adaptive = codec == Codec::kAdaptive && !st.pixel && init.mode != 1;
  st.encoder.reset(adaptive ? new gstascii::adaptive::Encoder(gsize(init.cols) * init.rows, gstascii::kCellBytes)
                            : nullptr);
  // Symbol frames are always binary cells, so tagged whenever the codec is adaptive.
  st.symbol_encoder.reset(
      symbols && codec == Codec::kAdaptive
          ? new gstascii::adaptive::Encoder(gsize(init.cols) * init.rows, gstascii::kSymbolCellBytes)
          : nullptr);
  GValue headers = header_array(st.init_buffer);
  g_autoptr(GstCaps) caps =
      gst_caps_new_simple(GST_ASCILINE_MEDIA_TYPE, "framerate", GST_TYPE_FRACTION, st.fps_n, st.fps_d, "mode",
                          G_TYPE_INT, init.mode, "cols", G_TYPE_INT, init.cols, "rows", G_TYPE_INT, init.rows, "pixel",
                          G_TYPE_BOOLEAN, gboolean(st.pixel), "codec", G_TYPE_STRING, adaptive ? "adaptive" : "raw",
                          "timeline", G_TYPE_STRING, st.stream_time ? "stream" : "running", nullptr);
  gst_structure_take_value(gst_caps_get_structure(caps, 0), "streamheader", &headers);
  if (st.symbol_init) {
    GValue symbol_headers = header_array(st.symbol_init);
    gst_structure_take_value(gst_caps_get_structure(caps, 0), "symbol-streamheader", &symbol_headers);
  }
  if (!gst_pad_set_caps(self->srcpad, caps)) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("Downstream refused the ASCILINE caps"), ("%" GST_PTR_FORMAT, caps));
    return false;
  }
  st.init_pending = true;
  st.last_index = -1;
  return true;
}

// A time of the segment on the timeline frame indices count: running time, or stream time.
static GstClockTime index_time(const StreamState& st, GstClockTime position) {
  return st.stream_time ? gst_segment_to_stream_time(&st.segment, GST_FORMAT_TIME, position)
                        : gst_segment_to_running_time(&st.segment, GST_FORMAT_TIME, position);
}

static guint32 frame_index_for(StreamState& st, GstBuffer* buf) {
  guint64 index = st.next_index;
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (GST_CLOCK_TIME_IS_VALID(pts) && st.segment.format == GST_FORMAT_TIME) {
    const guint64 t = index_time(st, pts);
    if (GST_CLOCK_TIME_IS_VALID(t)) index = gst_util_uint64_scale_round(t, st.fps_n, GST_SECOND * guint64(st.fps_d));
  }
  st.next_index = index + 1;
  return guint32(index);  // the wire field is 32 bits: wraps after years at any sane rate
}

// The raw frame message of the cells in |cells|: a 4-byte header memory followed by the cell memory
// itself, shared, not copied.
static GstBuffer* raw_frame_message(GstBuffer* cells, guint32 index) {
  GstBuffer* out = gst_buffer_new_allocate(nullptr, gstascii::kFrameHeaderBytes, nullptr);
  {
    gstascii::MappedBuffer out_map(out, GST_MAP_WRITE);
    gstascii::write_u32be(out_map.info.data, index);
  }
  gst_buffer_copy_into(out, cells, GstBufferCopyFlags(GST_BUFFER_COPY_TIMESTAMPS | GST_BUFFER_COPY_MEMORY), 0, -1);
  return out;
}

// The tagged message for the cells of |in| from |encoder|, carrying |raw| (the raw frame,
// consumed) as its meta; |key|: a keyframe whatever the encoder's rhythm.
static GstBuffer* encode_adaptive(GstAscilinePay* self, gstascii::adaptive::Encoder& encoder, GstBuffer* in,
                                  guint32 index, GstBuffer* raw, bool key) {
  StreamState& st = self->impl.state;
  g_autoptr(GstBuffer) raw_frame = raw;
  gstascii::MappedBuffer map(in, GST_MAP_READ);
  if (!map.ok) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot read the cell buffer"), (nullptr));
    return nullptr;
  }
  const auto tag = encoder.encode(index, map.info.data, key, &st.message);
  GstBuffer* out = gst_buffer_new_memdup(st.message.data(), st.message.size());
  gst_buffer_copy_into(out, in, GstBufferCopyFlags(GST_BUFFER_COPY_TIMESTAMPS), 0, -1);
  if (!gstascii::adaptive::is_sync_tag(tag)) GST_BUFFER_FLAG_SET(out, GST_BUFFER_FLAG_DELTA_UNIT);
  gst_buffer_add_asciline_raw_meta(out, raw_frame);
  GST_LOG_OBJECT(self, "frame %u: tag %d, %zu bytes", index, tag, st.message.size());
  return out;
}

static GstFlowReturn gst_asciline_pay_chain(GstPad* pad, GstObject* parent, GstBuffer* inbuf) {
  (void)pad;
  GstAscilinePay* self = GST_ASCILINE_PAY(parent);
  StreamState& st = self->impl.state;
  g_autoptr(GstBuffer) in = inbuf;

  if (!st.sink_caps) {
    GST_ELEMENT_ERROR(self, CORE, NEGOTIATION, ("No caps before the first cell buffer"), (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GST_OBJECT_LOCK(self);
  const bool settings_changed = st.settings_generation != self->impl.settings.generation;
  GST_OBJECT_UNLOCK(self);
  if (settings_changed && !negotiate(self)) return GST_FLOW_NOT_NEGOTIATED;

  const int cols = st.init.cols, rows = st.init.rows;
  const gsize n_cells = gsize(cols) * rows;
  if (gst_buffer_get_size(in) != st.crgb_offset + n_cells * gstascii::kCellBytes) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("Cell buffer does not match the %dx%d grid", cols, rows),
                      ("%" G_GSIZE_FORMAT " bytes, expected %" G_GSIZE_FORMAT, gst_buffer_get_size(in),
                       st.crgb_offset + n_cells * gstascii::kCellBytes));
    return GST_FLOW_ERROR;
  }
  // The symbol cells and the ASCILINE cells of a symbol+crgb buffer, sharing its memory.
  g_autoptr(GstBuffer) symbols = nullptr;
  if (st.crgb_offset > 0) {
    symbols = gst_buffer_copy_region(in, GST_BUFFER_COPY_ALL, 0, st.crgb_offset);
    GstBuffer* crgb = gst_buffer_copy_region(in, GST_BUFFER_COPY_ALL, st.crgb_offset, n_cells * gstascii::kCellBytes);
    // (A region at an offset gets no timestamps, and the frame index comes from them.)
    GST_BUFFER_PTS(crgb) = GST_BUFFER_PTS(in);
    GST_BUFFER_DTS(crgb) = GST_BUFFER_DTS(in);
    GST_BUFFER_DURATION(crgb) = GST_BUFFER_DURATION(in);
    gst_buffer_unref(in);
    in = crgb;
  }

  if (st.init_pending) {
    GstBuffer* init = gst_buffer_copy(st.init_buffer);
    GST_BUFFER_PTS(init) = GST_BUFFER_PTS(in);
    GST_BUFFER_DTS(init) = GST_BUFFER_DTS(in);
    st.init_pending = false;
    const GstFlowReturn ret = gst_pad_push(self->srcpad, init);
    if (ret != GST_FLOW_OK) return ret;
  }

  const guint32 index = frame_index_for(st, in);
  if (gint64(index) <= st.last_index) {
    GST_DEBUG_OBJECT(self, "frame index %u after %" G_GINT64_FORMAT ": dropped", index, st.last_index);
    return GST_FLOW_OK;
  }
  st.last_index = index;
  // A discontinuity (dropped input, a seek) or a downstream request: every encoder starts again
  // from a keyframe.
  bool key = GST_BUFFER_FLAG_IS_SET(in, GST_BUFFER_FLAG_DISCONT) || self->impl.keyframe_requested.exchange(false);
  const guint64 key_at = self->impl.keyframe_at.load();
  if (key_at != GST_CLOCK_TIME_NONE &&
      gst_util_uint64_scale(index, GST_SECOND * guint64(st.fps_d), guint64(st.fps_n)) >= key_at) {
    guint64 expected = key_at;
    self->impl.keyframe_at.compare_exchange_strong(expected, GST_CLOCK_TIME_NONE);
    key = true;
  }
  GstBuffer* out = nullptr;
  if (st.pixel || st.init.mode == 1) {
    gstascii::MappedBuffer map(in, GST_MAP_READ);
    if (!map.ok) {
      GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot read the cell buffer"), (nullptr));
      return GST_FLOW_ERROR;
    }
    const auto* cells = reinterpret_cast<const gstascii::Cell*>(map.info.data);
    if (st.pixel) {
      out = gst_buffer_new_allocate(nullptr, gstascii::pixel_frame_bytes(n_cells), nullptr);
      gstascii::MappedBuffer out_map(out, GST_MAP_WRITE);
      gstascii::encode_pixel_frame(index, cells, n_cells, out_map.info.data);
    } else {
      const std::string text = gstascii::encode_text_frame(index, cells, cols, rows);
      out = gst_buffer_new_memdup(text.data(), text.size());
      GST_BUFFER_FLAG_SET(out, GST_ASCILINE_BUFFER_FLAG_TEXT);
    }
    gst_buffer_copy_into(out, in, GstBufferCopyFlags(GST_BUFFER_COPY_TIMESTAMPS), 0, -1);
  } else {
    out = raw_frame_message(in, index);
    if (st.encoder) out = encode_adaptive(self, *st.encoder, in, index, out, key);
    if (!out) return GST_FLOW_ERROR;
  }
  if (symbols) {
    GstBuffer* message = raw_frame_message(symbols, index);
    if (st.symbol_encoder) message = encode_adaptive(self, *st.symbol_encoder, symbols, index, message, key);
    if (!message) {
      gst_buffer_unref(out);
      return GST_FLOW_ERROR;
    }
    gst_buffer_add_asciline_symbol_meta(out, message);
    gst_buffer_unref(message);
  }
  if (GST_BUFFER_FLAG_IS_SET(in, GST_BUFFER_FLAG_DISCONT)) GST_BUFFER_FLAG_SET(out, GST_BUFFER_FLAG_DISCONT);
  GST_BUFFER_OFFSET(out) = index;
  return gst_pad_push(self->srcpad, out);
}

static gboolean gst_asciline_pay_sink_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstAscilinePay* self = GST_ASCILINE_PAY(parent);
  StreamState& st = self->impl.state;
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_CAPS: {
      GstCaps* caps = nullptr;
      gst_event_parse_caps(event, &caps);
      gst_caps_replace(&st.sink_caps, caps);
      gst_event_unref(event);
      return negotiate(self);
    }
    case GST_EVENT_SEGMENT: {
      gst_event_copy_segment(event, &st.segment);
      GST_DEBUG_OBJECT(self, "segment %" GST_SEGMENT_FORMAT, &st.segment);
      // A segment whose running (or stream) time starts before the last frame sent starts a new
      // timeline: a new INIT goes first, so indices never go back within one INIT.
      const guint64 start = index_time(st, st.segment.start);
      if (st.last_index >= 0 && st.fps_n > 0 && GST_CLOCK_TIME_IS_VALID(start) &&
          gst_util_uint64_scale_round(start, st.fps_n, GST_SECOND * guint64(st.fps_d)) <= guint64(st.last_index)) {
        st.init_pending = true;
        st.last_index = -1;
      }
      break;
    }
    case GST_EVENT_FLUSH_STOP:
      gst_segment_init(&st.segment, GST_FORMAT_TIME);
      if (st.encoder) st.encoder->reset();
      // A flushing seek starts the timeline again: a new INIT first.
      if (st.last_index >= 0) st.init_pending = true;
      st.last_index = -1;
      break;
    default: break;
  }
  return gst_pad_event_default(pad, parent, event);
}

// Downstream (a sink with a new viewer) may ask for a keyframe.
static gboolean gst_asciline_pay_src_event(GstPad* pad, GstObject* parent, GstEvent* event) {
  GstAscilinePay* self = GST_ASCILINE_PAY(parent);
  if (gst_video_event_is_force_key_unit(event)) {
    GstClockTime running_time = GST_CLOCK_TIME_NONE;
    gst_video_event_parse_upstream_force_key_unit(event, &running_time, nullptr, nullptr);
    if (GST_CLOCK_TIME_IS_VALID(running_time)) {
      GST_DEBUG_OBJECT(self, "keyframe requested downstream at %" GST_TIME_FORMAT, GST_TIME_ARGS(running_time));
      guint64 at = self->impl.keyframe_at.load();
      while ((at == GST_CLOCK_TIME_NONE || running_time < at) &&
             !self->impl.keyframe_at.compare_exchange_weak(at, running_time)) {
      }
    } else {
      GST_DEBUG_OBJECT(self, "keyframe requested downstream");
      self->impl.keyframe_requested = true;
    }
    gst_event_unref(event);
    return TRUE;
  }
  return gst_pad_event_default(pad, parent, event);
}

static GstStateChangeReturn gst_asciline_pay_change_state(GstElement* element, GstStateChange transition) {
  GstAscilinePay* self = GST_ASCILINE_PAY(element);
  const GstStateChangeReturn ret = GST_ELEMENT_CLASS(gst_asciline_pay_parent_class)->change_state(element, transition);
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY) self->impl.state.clear();
  return ret;
}

static void gst_asciline_pay_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  GstAscilinePay* self = GST_ASCILINE_PAY(object);
  Settings& s = self->impl.settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_INIT_FORM:
      s.init_form = InitForm(g_value_get_enum(value));
      s.generation++;
      break;
    case PROP_PIXEL_FRAMES:
      s.pixel_frames = g_value_get_boolean(value);
      s.generation++;
      break;
    case PROP_CODEC:
      s.codec = Codec(g_value_get_enum(value));
      s.generation++;
      break;
    case PROP_STREAM_TIME:
      s.stream_time = g_value_get_boolean(value);
      s.generation++;
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_asciline_pay_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  GstAscilinePay* self = GST_ASCILINE_PAY(object);
  const Settings& s = self->impl.settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_INIT_FORM: g_value_set_enum(value, int(s.init_form)); break;
    case PROP_PIXEL_FRAMES: g_value_set_boolean(value, s.pixel_frames); break;
    case PROP_CODEC: g_value_set_enum(value, int(s.codec)); break;
    case PROP_STREAM_TIME: g_value_set_boolean(value, s.stream_time); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_asciline_pay_finalize(GObject* object) {
  GstAscilinePay* self = GST_ASCILINE_PAY(object);
  self->impl.state.clear();
  self->impl.~Impl();
  G_OBJECT_CLASS(gst_asciline_pay_parent_class)->finalize(object);
}

static void gst_asciline_pay_init(GstAscilinePay* self) {
  new (&self->impl) Impl();
  self->impl.state.clear();
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_asciline_pay_chain));
  gst_pad_set_event_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_asciline_pay_sink_event));
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);
  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_event_function(self->srcpad, GST_DEBUG_FUNCPTR(gst_asciline_pay_src_event));
  gst_pad_use_fixed_caps(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);
}

static void gst_asciline_pay_class_init(GstAscilinePayClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);

  gobject_class->set_property = gst_asciline_pay_set_property;
  gobject_class->get_property = gst_asciline_pay_get_property;
  gobject_class->finalize = gst_asciline_pay_finalize;
  element_class->change_state = GST_DEBUG_FUNCPTR(gst_asciline_pay_change_state);

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_INIT_FORM,
      g_param_spec_enum("init-form", "INIT form",
                        "Which INIT message starts the stream: the seed's short form or the full form with "
                        "duration and live fields (both are understood by ASCILINE players)",
                        GST_TYPE_ASCILINE_INIT_FORM, int(DEFAULT_INIT_FORM), flags));
  g_object_class_install_property(
      gobject_class, PROP_PIXEL_FRAMES,
      g_param_spec_boolean("pixel-frames", "Pixel frames",
                           "Send pixel frames (B, G, R per cell, no character; INIT pixel field 1) instead of "
                           "character cells",
                           DEFAULT_PIXEL_FRAMES, flags));
  g_object_class_install_property(
      gobject_class, PROP_CODEC,
      g_param_spec_enum("codec", "Codec",
                        "How binary frames are coded: raw (the seed's frames) or adaptive (tags 0-3: zlib, "
                        "changed cells only, run-length; a fraction of the bytes, encoded once for all viewers, "
                        "who may still ask websocketsink for raw frames with ?codec=raw)",
                        GST_TYPE_ASCILINE_CODEC, int(DEFAULT_CODEC), flags));
  g_object_class_install_property(
      gobject_class, PROP_STREAM_TIME,
      g_param_spec_boolean("stream-time", "Stream time",
                           "Count frame indices from the stream time (the place in the file, which a seek moves "
                           "with it) instead of the running time (which restarts at every flushing seek and "
                           "keeps rising across --loop rounds)",
                           DEFAULT_STREAM_TIME, flags));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "ASCILINE payloader", "Codec/Payloader/Video",
                                        "Packs character cells into ASCILINE wire-format messages",
                                        "gst-ascii developers");
  gst_type_mark_as_plugin_api(GST_TYPE_ASCILINE_INIT_FORM, GstPluginAPIFlags(0));
  gst_type_mark_as_plugin_api(GST_TYPE_ASCILINE_CODEC, GstPluginAPIFlags(0));
  GST_DEBUG_CATEGORY_INIT(gst_asciline_pay_debug, "ascilinepay", 0, "ASCILINE payloader");
}
