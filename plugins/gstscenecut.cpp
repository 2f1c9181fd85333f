// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-scenecut
 * @title: scenecut
 *
 * Passes video through untouched and picks the pictures worth keeping: scene cuts, screen
 * changes (a new slide, a page of text), and one at least every #GstSceneCut:max-interval. For
 * each picture it picks it posts an element message named `scenecut` and attaches a
 * `GstSceneCutMeta` custom meta to the buffer, both with:
 *
 * - `reason` (string): `first`, `scene`, `change` or `interval`;
 * - `score` (double): the scene score, on the same 0..1 scale as ffmpeg's `select='gt(scene,X)'`;
 * - `changed` (double): the fraction of pixels whose brightness changed;
 * - `histogram` (double): how far the brightness histogram moved (0..1);
 * - `running-time`, `stream-time`, `timestamp` (guint64 ns): the buffer's times (the message);
 * - `frame` (guint64): the picture's number since the stream started.
 *
 * A picture is a cut (`scene`) when its scene score reaches #GstSceneCut:threshold, or its
 * histogram change reaches #GstSceneCut:histogram-threshold (which also sees cuts out of noise);
 * a screen change (`change`) when its changed-pixel fraction reaches
 * #GstSceneCut:change-threshold. In each case the measure must also jump to
 * #GstSceneCut:jump-ratio times its average over the five pictures before: steady motion and
 * noise keep the measures high on every picture, a cut is a jump. Cuts closer than
 * #GstSceneCut:min-gap to the last picked picture are dropped. Only the luma plane is read (any
 * 8-bit YUV or GRAY8 format), so it costs about a millisecond a 1080p picture.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m uridecodebin uri=file:///talk.mp4 ! videoconvert ! scenecut max-interval=30000000000 ! \
 *     fakesink | grep scenecut
 * ]| Prints one message per picked picture.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstscenecut.h"

#include <algorithm>
#include <memory>
#include <new>

#include "scene_detector.h"

GST_DEBUG_CATEGORY_STATIC(gst_scene_cut_debug);
#define GST_CAT_DEFAULT gst_scene_cut_debug

enum {
  PROP_0,
  PROP_THRESHOLD,
  PROP_CHANGE_THRESHOLD,
  PROP_PIXEL_DELTA,
  PROP_JUMP_RATIO,
  PROP_HISTOGRAM_THRESHOLD,
  PROP_MIN_GAP,
  PROP_MAX_INTERVAL,
  PROP_FRAMES_SELECTED,
};

#define DEFAULT_THRESHOLD 0.3
#define DEFAULT_CHANGE_THRESHOLD 0.02
#define DEFAULT_PIXEL_DELTA 16
#define DEFAULT_JUMP_RATIO 2.0
#define DEFAULT_HISTOGRAM_THRESHOLD 0.2
#define DEFAULT_MIN_GAP (GST_SECOND / 2)
#define DEFAULT_MAX_INTERVAL 0

#define SCENECUT_FORMATS "{ I420, YV12, NV12, NV21, Y42B, Y444, Y41B, GRAY8 }"

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(SCENECUT_FORMATS)));
static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(GST_VIDEO_CAPS_MAKE(SCENECUT_FORMATS)));

namespace {

struct Settings {
  double threshold = DEFAULT_THRESHOLD;
  double change_threshold = DEFAULT_CHANGE_THRESHOLD;
  int pixel_delta = DEFAULT_PIXEL_DELTA;
  double jump_ratio = DEFAULT_JUMP_RATIO;
  double histogram_threshold = DEFAULT_HISTOGRAM_THRESHOLD;
  GstClockTime min_gap = DEFAULT_MIN_GAP;
  GstClockTime max_interval = DEFAULT_MAX_INTERVAL;

  gstascii::SceneConfig config() const {
    gstascii::SceneConfig c;
    c.threshold = threshold;
    c.change_threshold = change_threshold;
    c.pixel_delta = pixel_delta;
    c.jump_ratio = jump_ratio;
    c.histogram_threshold = histogram_threshold;
    c.min_gap = gst_guint64_to_gdouble(min_gap) / GST_SECOND;
    c.max_interval = gst_guint64_to_gdouble(max_interval) / GST_SECOND;
    return c;
  }
};

struct Impl {
  Settings settings;     // under the object lock
  guint generation = 0;  // bumped on each change, so the streaming thread picks it up
  // Streaming thread:
  std::unique_ptr<gstascii::SceneDetector> detector;
  guint detector_generation = 0;
  guint64 frames = 0;
  guint64 selected = 0;  // read by the property under the object lock
};

const GstMetaInfo* scene_cut_meta_info() {
  static const GstMetaInfo* info = nullptr;
  if (g_once_init_enter(&info)) {
    static const gchar* tags[] = {nullptr};
    g_once_init_leave(&info, gst_meta_register_custom("GstSceneCutMeta", tags, nullptr, nullptr, nullptr));
  }
  return info;
}

}  // namespace

struct _GstSceneCut {
  GstVideoFilter parent;
  Impl impl;
};

G_DEFINE_TYPE(GstSceneCut, gst_scene_cut, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(scenecut, "scenecut", GST_RANK_NONE, GST_TYPE_SCENE_CUT,
                                      GST_DEBUG_CATEGORY_INIT(gst_scene_cut_debug, "scenecut", 0,
                                                              "Picks scene cuts and screen changes"));

// The element is a passthrough: pictures are only read (no copy of a shared buffer); a picked one
// goes out as a new buffer sharing the same memory, so the meta can be attached.
static GstFlowReturn gst_scene_cut_prepare_output_buffer(GstBaseTransform* trans, GstBuffer* input,
                                                         GstBuffer** output) {
  auto* self = GST_SCENE_CUT(trans);
  Impl& impl = self->impl;
  GstVideoFilter* filter = GST_VIDEO_FILTER(trans);
  *output = input;
  if (!filter->negotiated) return GST_FLOW_NOT_NEGOTIATED;
  GstVideoFrame mapped;
  if (!gst_video_frame_map(&mapped, &filter->in_info, input, GST_MAP_READ)) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Cannot read a picture"), (nullptr));
    return GST_FLOW_ERROR;
  }
  GstVideoFrame* frame = &mapped;
  GST_OBJECT_LOCK(self);
  if (!impl.detector || impl.detector_generation != impl.generation) {
    const gstascii::SceneConfig config = impl.settings.config();
    if (impl.detector) {
      impl.detector->set_config(config);
    } else {
      impl.detector = std::make_unique<gstascii::SceneDetector>(config);
    }
    impl.detector_generation = impl.generation;
  }
  GST_OBJECT_UNLOCK(self);

  GstBuffer* buf = input;
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  const GstClockTime running = gst_segment_to_running_time(&trans->segment, GST_FORMAT_TIME, pts);
  const GstClockTime stream = gst_segment_to_stream_time(&trans->segment, GST_FORMAT_TIME, pts);
  if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DISCONT) && impl.frames > 0) impl.detector->reset();
  // Decisions run on running time, which keeps going up across segments and seeks.
  const double t = GST_CLOCK_TIME_IS_VALID(running) ? gst_guint64_to_gdouble(running) / GST_SECOND
                                                    : double(impl.frames) * GST_VIDEO_INFO_FPS_D(&frame->info) /
                                                          std::max(1, GST_VIDEO_INFO_FPS_N(&frame->info));
  const gstascii::SceneDecision d = impl.detector->push(
      static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0)), GST_VIDEO_FRAME_COMP_WIDTH(frame, 0),
      GST_VIDEO_FRAME_COMP_HEIGHT(frame, 0), GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0), t);
  gst_video_frame_unmap(&mapped);
  const guint64 number = impl.frames++;
  GST_LOG_OBJECT(self, "frame %" G_GUINT64_FORMAT ": score %.3f changed %.4f", number, d.score, d.changed);
  if (!d.selected) return GST_FLOW_OK;

  const char* reason = gstascii::scene_reason_name(d.reason);
  GST_DEBUG_OBJECT(self, "frame %" G_GUINT64_FORMAT " picked (%s): score %.3f changed %.4f", number, reason, d.score,
                   d.changed);
  GST_OBJECT_LOCK(self);
  impl.selected++;
  GST_OBJECT_UNLOCK(self);
  *output = gst_buffer_make_writable(gst_buffer_ref(input));  // shares the memory
  if (auto* meta = gst_buffer_add_custom_meta(*output, "GstSceneCutMeta")) {
    gst_structure_set(gst_custom_meta_get_structure(meta), "reason", G_TYPE_STRING, reason, "score", G_TYPE_DOUBLE,
                      d.score, "changed", G_TYPE_DOUBLE, d.changed, "histogram", G_TYPE_DOUBLE, d.histogram, "frame",
                      G_TYPE_UINT64, number, nullptr);
  }
  GstStructure* s = gst_structure_new("scenecut", "reason", G_TYPE_STRING, reason, "score", G_TYPE_DOUBLE, d.score,
                                      "changed", G_TYPE_DOUBLE, d.changed, "histogram", G_TYPE_DOUBLE, d.histogram,
                                      "frame", G_TYPE_UINT64, number, "timestamp", G_TYPE_UINT64, pts, "running-time",
                                      G_TYPE_UINT64, running, "stream-time", G_TYPE_UINT64, stream, nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  return GST_FLOW_OK;
}

static gboolean gst_scene_cut_stop(GstBaseTransform* trans) {
  auto* self = GST_SCENE_CUT(trans);
  self->impl.detector.reset();
  self->impl.frames = 0;
  return TRUE;
}

static void gst_scene_cut_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_SCENE_CUT(object);
  Settings& s = self->impl.settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_THRESHOLD: s.threshold = g_value_get_double(value); break;
    case PROP_CHANGE_THRESHOLD: s.change_threshold = g_value_get_double(value); break;
    case PROP_PIXEL_DELTA: s.pixel_delta = g_value_get_int(value); break;
    case PROP_JUMP_RATIO: s.jump_ratio = g_value_get_double(value); break;
    case PROP_HISTOGRAM_THRESHOLD: s.histogram_threshold = g_value_get_double(value); break;
    case PROP_MIN_GAP: s.min_gap = g_value_get_uint64(value); break;
    case PROP_MAX_INTERVAL: s.max_interval = g_value_get_uint64(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  self->impl.generation++;
  GST_OBJECT_UNLOCK(self);
}

static void gst_scene_cut_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_SCENE_CUT(object);
  const Settings& s = self->impl.settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_THRESHOLD: g_value_set_double(value, s.threshold); break;
    case PROP_CHANGE_THRESHOLD: g_value_set_double(value, s.change_threshold); break;
    case PROP_PIXEL_DELTA: g_value_set_int(value, s.pixel_delta); break;
    case PROP_JUMP_RATIO: g_value_set_double(value, s.jump_ratio); break;
    case PROP_HISTOGRAM_THRESHOLD: g_value_set_double(value, s.histogram_threshold); break;
    case PROP_MIN_GAP: g_value_set_uint64(value, s.min_gap); break;
    case PROP_MAX_INTERVAL: g_value_set_uint64(value, s.max_interval); break;
    case PROP_FRAMES_SELECTED: g_value_set_uint64(value, self->impl.selected); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_scene_cut_finalize(GObject* object) {
  GST_SCENE_CUT(object)->impl.~Impl();
  G_OBJECT_CLASS(gst_scene_cut_parent_class)->finalize(object);
}

static void gst_scene_cut_init(GstSceneCut* self) {
  new (&self->impl) Impl();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_scene_cut_class_init(GstSceneCutClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  gobject_class->set_property = gst_scene_cut_set_property;
  gobject_class->get_property = gst_scene_cut_get_property;
  gobject_class->finalize = gst_scene_cut_finalize;

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_THRESHOLD,
      g_param_spec_double("threshold", "Threshold",
                          "Scene score for a cut, on ffmpeg's select 'scene' scale (0 = identical, 1 = "
                          "everything changed; 0.3 to 0.5 suit camera video)",
                          0.0, 1.0, DEFAULT_THRESHOLD, rw));
  g_object_class_install_property(
      gobject_class, PROP_CHANGE_THRESHOLD,
      g_param_spec_double("change-threshold", "Change threshold",
                          "Fraction of pixels that must change for a screen change (a new slide, a page of "
                          "text), which the scene score misses; 0 turns this measure off",
                          0.0, 1.0, DEFAULT_CHANGE_THRESHOLD, rw));
  g_object_class_install_property(
      gobject_class, PROP_PIXEL_DELTA,
      g_param_spec_int("pixel-delta", "Pixel delta",
                       "How much a pixel's brightness (0..255) must move to count as changed", 1, 255,
                       DEFAULT_PIXEL_DELTA, rw));
  g_object_class_install_property(
      gobject_class, PROP_JUMP_RATIO,
      g_param_spec_double("jump-ratio", "Jump ratio",
                          "A cut's measure must be this many times its average over the five pictures before, "
                          "so steady motion and noise (high on every picture) are not cuts; 0 turns this off",
                          0.0, 100.0, DEFAULT_JUMP_RATIO, rw));
  g_object_class_install_property(
      gobject_class, PROP_HISTOGRAM_THRESHOLD,
      g_param_spec_double("histogram-threshold", "Histogram threshold",
                          "Change of the brightness histogram (0..1) that makes a cut (when it also jumps), for cuts the "
                          "scene score cannot see (out of noise, between pictures of like structure); 0 turns "
                          "this off",
                          0.0, 1.0, DEFAULT_HISTOGRAM_THRESHOLD, rw));
  g_object_class_install_property(
      gobject_class, PROP_MIN_GAP,
      g_param_spec_uint64("min-gap", "Minimum gap",
                          "Cuts closer than this to the last picked picture are dropped, in nanoseconds", 0,
                          G_MAXUINT64, DEFAULT_MIN_GAP, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_INTERVAL,
      g_param_spec_uint64("max-interval", "Maximum interval",
                          "Pick a picture at least this often even without a cut, the stream's first included, in "
                          "nanoseconds (0 = only cuts)",
                          0, G_MAXUINT64, DEFAULT_MAX_INTERVAL, rw));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_SELECTED,
      g_param_spec_uint64("frames-selected", "Frames selected", "Pictures picked so far", 0, G_MAXUINT64, 0,
                          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(element_class, "Scene cut detector", "Filter/Analyzer/Video",
                                        "Picks scene cuts, screen changes and a picture every so often, and posts "
                                        "a message for each",
                                        "gst-ascii developers");
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_scene_cut_stop);
  trans_class->prepare_output_buffer = GST_DEBUG_FUNCPTR(gst_scene_cut_prepare_output_buffer);
  trans_class->transform_ip_on_passthrough = FALSE;
  scene_cut_meta_info();
}
