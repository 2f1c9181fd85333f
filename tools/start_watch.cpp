// SPDX-License-Identifier: LGPL-2.1-or-later
#include "start_watch.h"

StartWatch::StartWatch(GstElement* pipeline, guint seconds, std::function<void()> on_stuck)
    : pipeline_(pipeline), on_stuck_(std::move(on_stuck)) {
  // Not g_timeout_add_seconds(), which may fire up to a second early: the error says how long it waited.
  const guint ms = seconds > G_MAXUINT / 1000 ? G_MAXUINT : seconds * 1000;
  if (seconds > 0) timer_ = g_timeout_add(ms, on_timeout, this);
}

StartWatch::~StartWatch() {
  if (timer_) g_source_remove(timer_);
}

gboolean StartWatch::on_timeout(gpointer data) {
  auto* self = static_cast<StartWatch*>(data);
  self->timer_ = 0;
  GstState state = GST_STATE_VOID_PENDING;
  // Not waiting: a state change still in progress is what is being watched for.
  gst_element_get_state(self->pipeline_, &state, nullptr, 0);
  if (state < GST_STATE_PAUSED) self->on_stuck_();
  return G_SOURCE_REMOVE;
}

std::string not_started_reason(guint seconds) {
  return "nothing could be played from it in " + std::to_string(seconds) +
         " s, and GStreamer gave no reason (a damaged or cut-short file, or a server that sends nothing)";
}
