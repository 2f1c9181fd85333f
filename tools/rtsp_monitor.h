// The recorder's low-latency monitor: the incoming H.264, not re-encoded, served over RTSP by
// gst-rtsp-server at rtsp://HOST:PORT/live to any number of viewers, who come and go without
// touching the recording.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <mutex>
#include <string>

class RtspMonitor {
 public:
  RtspMonitor() = default;
  ~RtspMonitor();
  RtspMonitor(const RtspMonitor&) = delete;
  RtspMonitor& operator=(const RtspMonitor&) = delete;

  // Listens on |host|:|port| (the thread-default main context must be running). False when the
  // port cannot be bound.
  bool start(const std::string& host, int port);
  // Any thread: one H.264 access unit (byte-stream) for the viewers, if there are any. Never
  // blocks: a viewer that cannot keep up loses pictures.
  void push(GstSample* sample);

 private:
  static void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer data);
  static void on_media_unprepared(GstRTSPMedia*, gpointer data);

  GstRTSPServer* server_ = nullptr;
  guint source_ = 0;
  std::mutex mutex_;
  GstElement* appsrc_ = nullptr;               // the shared media's source while it is prepared (our reference)
  GstClockTime offset_ = GST_CLOCK_TIME_NONE;  // media running time - stream time, from its first picture
};
