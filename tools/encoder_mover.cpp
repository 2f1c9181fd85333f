// SPDX-License-Identifier: LGPL-2.1-or-later
#include "encoder_mover.h"

GST_DEBUG_CATEGORY_STATIC(encoder_mover_debug);
#define GST_CAT_DEFAULT encoder_mover_debug

namespace {

// While a keyframe is held, the store has caught up when its last picture is this close before it
// (videorate may hold one back), or when it has taken nothing for kQuietUs.
constexpr GstClockTime kCaughtUp = 100 * GST_MSECOND;
constexpr gint64 kQuietUs = 300 * G_TIME_SPAN_MILLISECOND;
// A held keyframe is let go (by the seek) after this long whatever the store says.
constexpr gint64 kMostHeldUs = 2 * G_TIME_SPAN_SECOND;
constexpr guint kDrainCheckMs = 20;
// Far less than a frame: see seek().
constexpr guint64 kSlack = GST_MSECOND;
// Frames let into the decoder after the keyframe a run is cut at: enough for the pictures before it
// to come out (frame threads, reordering) and for videorate to let the last of them go.
constexpr int kLetIn = 8;

// Whether a span from |start| to |stop| is worth a move (not a sliver left by rounding).
bool worth_moving(guint64 start, guint64 stop) {
  return stop == GST_CLOCK_TIME_NONE || stop > start + kSlack;
}

void init_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(encoder_mover_debug, "encodermover", 0,
                            "ascii-launch: moving the encoder at keyframes for the store");
    g_once_init_leave(&done, 1);
  }
}

// |buffer|'s PTS as stream time in |pad|'s segment, or GST_CLOCK_TIME_NONE.
guint64 stream_time_of(GstPad* pad, GstBuffer* buffer) {
  if (!GST_BUFFER_PTS_IS_VALID(buffer)) return GST_CLOCK_TIME_NONE;
  GstEvent* event = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (!event) return GST_CLOCK_TIME_NONE;
  const GstSegment* segment = nullptr;
  gst_event_parse_segment(event, &segment);
  const guint64 t = segment->format == GST_FORMAT_TIME
                        ? gst_segment_to_stream_time(segment, GST_FORMAT_TIME, GST_BUFFER_PTS(buffer))
                        : GST_CLOCK_TIME_NONE;
  gst_event_unref(event);
  return t;
}

}  // namespace

EncoderMover::~EncoderMover() {
  std::lock_guard<std::mutex> lock(lock_);
  if (drain_check_) g_source_remove(drain_check_);
  if (gate_pad_) {
    if (gate_probe_) gst_pad_remove_probe(gate_pad_, gate_probe_);
    if (flush_probe_) gst_pad_remove_probe(gate_pad_, flush_probe_);
    gst_object_unref(gate_pad_);
  }
  if (stored_pad_) {
    gst_pad_remove_probe(stored_pad_, stored_probe_);
    gst_object_unref(stored_pad_);
  }
  if (cut_pad_) {
    if (cut_probe_) gst_pad_remove_probe(cut_pad_, cut_probe_);
    gst_object_unref(cut_pad_);
  }
}

void EncoderMover::watch_decoder(GstElement* element) {
  init_debug();
  GstElementFactory* factory = gst_element_get_factory(element);
  if (!factory || !gst_element_factory_list_is_type(
                      factory, GST_ELEMENT_FACTORY_TYPE_DECODER | GST_ELEMENT_FACTORY_TYPE_MEDIA_VIDEO)) {
    return;
  }
  std::lock_guard<std::mutex> lock(lock_);
  if (gate_pad_) return;  // the first picture decoder: the one ascii-launch shows
  gate_pad_ = gst_element_get_static_pad(element, "sink");
  if (!gate_pad_) return;
  // A blocking probe that lets every buffer pass but the keyframe a move waits for.
  gate_probe_ = gst_pad_add_probe(gate_pad_, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BLOCK),
                                  on_decoder_input, this, nullptr);
  // After a flush, the next buffer starts a new run.
  flush_probe_ = gst_pad_add_probe(
      gate_pad_, GST_PAD_PROBE_TYPE_EVENT_FLUSH,
      [](GstPad*, GstPadProbeInfo* info, gpointer data) {
        auto* self = static_cast<EncoderMover*>(data);
        if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_FLUSH_STOP) {
          std::lock_guard<std::mutex> lock(self->lock_);
          self->run_start_ = GST_CLOCK_TIME_NONE;
        }
        return GST_PAD_PROBE_OK;
      },
      this, nullptr);
  GST_INFO_OBJECT(element, "moves wait for this decoder's keyframes");
}

void EncoderMover::watch_rate_output(GstPad* pad) {
  init_debug();
  std::lock_guard<std::mutex> lock(lock_);
  if (cut_pad_) return;
  cut_pad_ = GST_PAD(gst_object_ref(pad));
  cut_probe_ = gst_pad_add_probe(pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BLOCK),
                                 on_rate_output, this, nullptr);
}

void EncoderMover::watch_stored(GstPad* pad) {
  init_debug();
  std::lock_guard<std::mutex> lock(lock_);
  if (stored_pad_) return;
  stored_pad_ = GST_PAD(gst_object_ref(pad));
  stored_probe_ = gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_stored, this, nullptr);
}

GstPadProbeReturn EncoderMover::on_stored(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<EncoderMover*>(data);
  const guint64 t = stream_time_of(pad, GST_PAD_PROBE_INFO_BUFFER(info));
  if (t != GST_CLOCK_TIME_NONE) self->stored_until_.store(t);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn EncoderMover::on_decoder_input(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<EncoderMover*>(data);
  GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  std::lock_guard<std::mutex> lock(self->lock_);
  if (self->stopped_) return GST_PAD_PROBE_PASS;
  if (self->cutting_) {
    // Held here (the pad blocks) after a few more, until the seek's flush lets it go.
    if (self->let_in_ == 0) return GST_PAD_PROBE_OK;
    self->let_in_--;
    return GST_PAD_PROBE_PASS;
  }
  if (self->run_start_ == GST_CLOCK_TIME_NONE) self->run_start_ = stream_time_of(pad, buffer);
  if (!self->armed_ || GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT)) return GST_PAD_PROBE_PASS;
  const guint64 at = stream_time_of(pad, buffer);
  if (at == GST_CLOCK_TIME_NONE) return GST_PAD_PROBE_PASS;
  self->armed_ = false;
  // This run covers the span's start and goes on into it.
  if (self->run_start_ != GST_CLOCK_TIME_NONE && self->run_start_ <= self->start_ && self->start_ <= at &&
      (self->stop_ == GST_CLOCK_TIME_NONE || at < self->stop_)) {
    GST_INFO("the run reached %" GST_TIME_FORMAT " by itself: no move", GST_TIME_ARGS(self->start_));
    return GST_PAD_PROBE_PASS;
  }
  GST_INFO("cutting the run at the keyframe at %" GST_TIME_FORMAT, GST_TIME_ARGS(at));
  self->cutting_ = true;
  self->let_in_ = kLetIn;
  self->keyframe_at_ = at;
  self->held_since_us_ = self->last_progress_us_ = g_get_monotonic_time();
  self->seen_stored_ = self->stored_until_.load();
  self->drain_check_ = g_timeout_add(kDrainCheckMs, on_drain_check, self);
  return GST_PAD_PROBE_PASS;
}

GstPadProbeReturn EncoderMover::on_rate_output(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* self = static_cast<EncoderMover*>(data);
  std::lock_guard<std::mutex> lock(self->lock_);
  if (!self->cutting_ || self->stopped_) return GST_PAD_PROBE_PASS;
  if (self->holding_) return GST_PAD_PROBE_OK;
  const guint64 at = stream_time_of(pad, GST_PAD_PROBE_INFO_BUFFER(info));
  if (at == GST_CLOCK_TIME_NONE || at + kCaughtUp / 4 < self->keyframe_at_) return GST_PAD_PROBE_PASS;
  // Everything before the keyframe has gone on to the store: held here until the seek.
  GST_DEBUG("holding the picture at %" GST_TIME_FORMAT, GST_TIME_ARGS(at));
  self->holding_ = true;
  return GST_PAD_PROBE_OK;
}

gboolean EncoderMover::on_drain_check(gpointer data) {
  auto* self = static_cast<EncoderMover*>(data);
  guint64 start = 0, stop = 0;
  {
    std::lock_guard<std::mutex> lock(self->lock_);
    const gint64 now = g_get_monotonic_time();
    const guint64 stored = self->stored_until_.load();
    if (stored != self->seen_stored_) {
      self->seen_stored_ = stored;
      self->last_progress_us_ = now;
    }
    // Caught up: the picture at the keyframe is held after videorate and the one before it stored.
    const bool caught_up = self->holding_ && stored + kCaughtUp >= self->keyframe_at_;
    if (!caught_up && now - self->last_progress_us_ < kQuietUs && now - self->held_since_us_ < kMostHeldUs) {
      return G_SOURCE_CONTINUE;
    }
    GST_INFO("stored until %" GST_TIME_FORMAT " after %" G_GINT64_FORMAT " ms: moving", GST_TIME_ARGS(stored),
             (now - self->held_since_us_) / 1000);
    self->drain_check_ = 0;
    self->cutting_ = self->holding_ = false;
    start = self->start_;
    stop = self->clipped_stop();
  }
  if (worth_moving(start, stop)) self->seek(start, stop);
  return G_SOURCE_REMOVE;
}

bool EncoderMover::handle(GstMessage* message) {
  init_debug();
  const GstStructure* s = gst_message_get_structure(message);
  guint64 start = 0, stop = GST_CLOCK_TIME_NONE;
  gboolean run_ended = FALSE;
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT || !s || !gst_structure_has_name(s, "ascii-store-needs") ||
      !gst_structure_get_uint64(s, "start", &start) || !gst_structure_get_uint64(s, "stop", &stop)) {
    return false;
  }
  gst_structure_get_boolean(s, "run-ended", &run_ended);
  {
    std::lock_guard<std::mutex> lock(lock_);
    if (stopped_) return true;
    start_ = start;
    stop_ = stop;
    GST_INFO("asked for %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT "%s", GST_TIME_ARGS(start), GST_TIME_ARGS(stop),
             run_ended ? " (the run ended)" : "");
    if (cutting_) return true;  // the seek, once the store has caught up, goes to the latest ask
    // Unless nothing is decoded any more (the run ended) or there is no keyframe to wait for.
    if (!run_ended && gate_pad_) {
      armed_ = true;
      return true;
    }
    armed_ = false;
    stop = clipped_stop();
  }
  if (worth_moving(start, stop)) seek(start, stop);
  return true;
}

// The ask's stop was reckoned while the run being cut went on: it ends where that run began, if
// that is sooner (the run is stored from there to its cut).
guint64 EncoderMover::clipped_stop() const {
  if (run_start_ != GST_CLOCK_TIME_NONE && start_ < run_start_ && run_start_ < stop_) return run_start_;
  return stop_;
}

// Without lock_: the flush stops streaming threads that may be waiting for it in a probe.
void EncoderMover::seek(guint64 start, guint64 stop) {
  GST_INFO("moving the encoder to %" GST_TIME_FORMAT " - %" GST_TIME_FORMAT, GST_TIME_ARGS(start), GST_TIME_ARGS(stop));
  // From the keyframe before |start|: frames decoded before the time sought are stored too, not
  // decoded to be dropped (the store drops only what it has). A span that starts where a run was
  // cut may end up a nanosecond before that keyframe (times rounded to frames): a millisecond's
  // slack keeps the seek from going back a whole group of pictures.
  const auto flags = GstSeekFlags(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT | GST_SEEK_FLAG_SNAP_BEFORE);
  if (!gst_element_seek(pipeline_, 1.0, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET, gint64(start + kSlack),
                        GST_SEEK_TYPE_SET, stop == GST_CLOCK_TIME_NONE ? -1 : gint64(stop))) {
    GST_WARNING("the seek to %" GST_TIME_FORMAT " failed", GST_TIME_ARGS(start));
  }
}

void EncoderMover::stop() {
  std::lock_guard<std::mutex> lock(lock_);
  stopped_ = true;
  armed_ = false;
  if (drain_check_) {
    g_source_remove(drain_check_);
    drain_check_ = 0;
  }
  // Removing the probes lets what they hold go on.
  if (gate_pad_ && gate_probe_) {
    gst_pad_remove_probe(gate_pad_, gate_probe_);
    gate_probe_ = 0;
  }
  if (cut_pad_ && cut_probe_) {
    gst_pad_remove_probe(cut_pad_, cut_probe_);
    cut_probe_ = 0;
  }
  cutting_ = false;
  holding_ = false;
}
