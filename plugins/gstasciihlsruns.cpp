// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciihlsruns.h"

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC(ascii_hls_runs_debug);
#define GST_CAT_DEFAULT ascii_hls_runs_debug

namespace gstascii {

namespace {

// A reader wants a time this far beyond the run being encoded: the encoder moves there rather
// than get there by itself (it goes several times faster than real time, so 3 s of a file take it
// well under the half second a seek may take).
constexpr std::int64_t kMoveAheadNs = 3 * kNsPerSecond;
// Each move costs a decode from the keyframe before the time sought, and may decode again the
// frames between that keyframe and a run already stored: viewers who seek all the time move the
// encoder at most this often (the others wait for it).
constexpr gint64 kMoveIntervalUs = 4 * G_TIME_SPAN_SECOND;

void init_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(ascii_hls_runs_debug, "asciihlsruns", 0,
                            "asciihlssink's runs of a file stored out of order");
    g_once_init_leave(&done, 1);
  }
}

}  // namespace

void StoreRuns::flushed(Pad pad) {
  pad_runs_[pad]++;
}

bool StoreRuns::admit(Pad pad, SegmentStore& store) {
  if (pad_runs_[pad] < store_run_) return false;
  if (pad_runs_[pad] > store_run_) {
    init_debug();
    store_run_ = pad_runs_[pad];
    asked_start_ = -1;
    store.begin_run();
    GST_DEBUG("a new run (%u)", store_run_);
  }
  return true;
}

GstMessage* StoreRuns::request(GstObject* src, const TimeSpan& span, bool run_ended) {
  init_debug();
  if (span.start_ns == asked_start_) return nullptr;
  asked_start_ = span.start_ns;
  const GstClockTime stop = span.end_ns == kToTheEnd ? GST_CLOCK_TIME_NONE : GstClockTime(span.end_ns);
  GST_INFO_OBJECT(src, "asking for %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT, GST_TIME_ARGS(span.start_ns),
                  GST_TIME_ARGS(stop));
  return gst_message_new_element(src,
                                 gst_structure_new(kStoreNeedsMessage, "start", G_TYPE_UINT64, guint64(span.start_ns),
                                                   "stop", G_TYPE_UINT64, stop, "run-ended", G_TYPE_BOOLEAN, run_ended,
                                                   nullptr));
}

GstMessage* StoreRuns::move_request(GstObject* src, SharedSegmentStore& shared) {
  if (shared.wanted_ns < 0 || !shared.store->config().fill_gaps) return nullptr;
  const gint64 now = g_get_monotonic_time();
  if (moved_at_us_ != 0 && now - moved_at_us_ < kMoveIntervalUs) return nullptr;
  const auto move = shared.store->move_for(shared.wanted_ns, kMoveAheadNs);
  shared.wanted_ns = -1;
  GstMessage* ask = move ? request(src, *move, false) : nullptr;
  if (ask) moved_at_us_ = now;
  return ask;
}

GstMessage* StoreRuns::end(GstObject* src, SharedSegmentStore& shared, bool finished) {
  if (!shared.store->config().fill_gaps) return nullptr;
  if (finished) return gst_message_new_element(src, gst_structure_new_empty(kStoreCompleteMessage));
  const auto move = shared.store->move_for(shared.wanted_ns, kMoveAheadNs);
  shared.wanted_ns = -1;
  asked_start_ = -1;  // a run ended: asked again, even for the same place
  return move ? request(src, *move, true) : nullptr;
}

}  // namespace gstascii
