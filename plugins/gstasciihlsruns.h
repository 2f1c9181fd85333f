// asciihlssink's side of a file stored out of order (SegmentStore::begin_run()): which messages
// belong to the run being stored after a flushing seek, and the messages that ask the application
// to move the encoder where a viewer waits, or to the spans still missing once a run ends.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include "gstasciihlsroute.h"

namespace gstascii {

// The element message asking for a move: "ascii-store-needs", start and stop (GST_CLOCK_TIME_NONE:
// to the end) in stream time, for a flushing seek of the pipeline (to the keyframe before start);
// "run-ended" TRUE when the run stored before has ended (nothing is being decoded).
inline constexpr const char* kStoreNeedsMessage = "ascii-store-needs";
// The element message saying every span of the file is stored: "ascii-store-complete".
inline constexpr const char* kStoreCompleteMessage = "ascii-store-complete";

// All calls with the store's lock held.
class StoreRuns {
 public:
  enum Pad { kVideo = 0, kAudio = 1, kPads = 2 };

  // A flush went through |pad|: what it sends from now on is a new run.
  void flushed(Pad pad);
  // Whether a message from |pad| belongs to the run being stored (false: one from before the
  // flush, still on its way). The first message of a new run begins it in |store|.
  bool admit(Pad pad, SegmentStore& store);
  // After a message: a request to move the encoder where a reader waits, when it is far from the
  // run being stored (null when none is due, or that one was asked for already).
  GstMessage* move_request(GstObject* src, SharedSegmentStore& shared);
  // The end of a run: the request for the span the encoder should fill next, or the message that
  // the store is complete. Null when neither (the stream was not a file to fill).
  GstMessage* end(GstObject* src, SharedSegmentStore& shared, bool finished);
  void reset() { *this = StoreRuns(); }

 private:
  GstMessage* request(GstObject* src, const TimeSpan& span, bool run_ended);

  unsigned pad_runs_[kPads] = {0, 0};
  unsigned store_run_ = 0;
  std::int64_t asked_start_ = -1;  // the start of the last move asked for
  gint64 moved_at_us_ = 0;         // when a reader's wait last moved the encoder (monotonic)
};

}  // namespace gstascii
