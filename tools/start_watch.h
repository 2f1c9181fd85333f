// A pipeline that never starts, with nothing on the bus to say why.
//
// decodebin (GStreamer 1.22) holds back the errors of an element it is still bringing to PAUSED,
// and drops them once that state change has succeeded. A demuxer that fails within that moment
// (qtdemux on an MP4 cut short before its index: its streaming thread gives up at once) is never
// heard of: the pipeline waits, prerolling, for ever. Seen here once in ten runs under load.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <functional>
#include <string>

// Calls |on_stuck| once, from the default main context, if |pipeline| has not reached PAUSED
// |seconds| from now (a live source reaches it at once). 0 seconds: never. The timer goes with
// the watch.
class StartWatch {
 public:
  StartWatch(GstElement* pipeline, guint seconds, std::function<void()> on_stuck);
  ~StartWatch();
  StartWatch(const StartWatch&) = delete;
  StartWatch& operator=(const StartWatch&) = delete;

 private:
  static gboolean on_timeout(gpointer data);

  GstElement* pipeline_;
  std::function<void()> on_stuck_;
  guint timer_ = 0;
};

// Why a source that never started cannot be played, for "cannot play SOURCE: ...".
std::string not_started_reason(guint seconds);
