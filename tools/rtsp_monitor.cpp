// SPDX-License-Identifier: LGPL-2.1-or-later
#include "rtsp_monitor.h"

#include <gst/app/gstappsrc.h>

RtspMonitor::~RtspMonitor() {
  if (source_) g_source_remove(source_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    gst_clear_object(&appsrc_);
  }
  if (server_) g_object_unref(server_);
}

bool RtspMonitor::start(const std::string& host, int port) {
  server_ = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server_, host.c_str());
  gst_rtsp_server_set_service(server_, std::to_string(port).c_str());
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  // One media for every viewer (the stream is live), fed from the recorder; rtph264pay repeats the
  // parameter sets so a viewer that joins mid-GOP can start at the next keyframe.
  gst_rtsp_media_factory_set_launch(factory,
                                    "( appsrc name=src is-live=true format=time max-bytes=4000000 "
                                    "leaky-type=downstream caps=video/x-h264,stream-format=byte-stream,alignment=au "
                                    "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 "
                                    "aggregate-mode=zero-latency )");
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  gst_rtsp_media_factory_set_latency(factory, 0);
  g_signal_connect(factory, "media-configure", G_CALLBACK(on_media_configure), this);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
  gst_rtsp_mount_points_add_factory(mounts, "/live", factory);
  g_object_unref(mounts);
  source_ = gst_rtsp_server_attach(server_, nullptr);
  return source_ != 0;
}

void RtspMonitor::on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer data) {
  auto* self = static_cast<RtspMonitor*>(data);
  GstElement* element = gst_rtsp_media_get_element(media);
  GstElement* src = gst_bin_get_by_name_recurse_up(GST_BIN(element), "src");
  gst_object_unref(element);
  std::lock_guard<std::mutex> lock(self->mutex_);
  gst_clear_object(&self->appsrc_);
  self->appsrc_ = src;
  self->offset_ = GST_CLOCK_TIME_NONE;
  g_signal_connect(media, "unprepared", G_CALLBACK(on_media_unprepared), self);
}

void RtspMonitor::on_media_unprepared(GstRTSPMedia*, gpointer data) {
  auto* self = static_cast<RtspMonitor*>(data);
  std::lock_guard<std::mutex> lock(self->mutex_);
  gst_clear_object(&self->appsrc_);
}

void RtspMonitor::push(GstSample* sample) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!appsrc_) return;  // nobody watching
  // Timestamps move onto the media's own running time, keeping their spacing (and any gap between
  // decode and presentation times).
  const GstClockTime now = gst_element_get_current_running_time(appsrc_);
  GstBuffer* in = gst_sample_get_buffer(sample);
  const GstClockTime pts = GST_BUFFER_PTS(in);
  if (!GST_CLOCK_TIME_IS_VALID(now) || !GST_CLOCK_TIME_IS_VALID(pts)) return;    // not playing yet
  if (!GST_CLOCK_TIME_IS_VALID(offset_)) offset_ = now + GST_SECOND / 10 - pts;  // may wrap: unsigned arithmetic
  GstBuffer* out = gst_buffer_copy(in);                                          // shares the memory
  GST_BUFFER_PTS(out) = pts + offset_;
  const GstClockTime dts = GST_BUFFER_DTS(in);
  GST_BUFFER_DTS(out) = GST_CLOCK_TIME_IS_VALID(dts) ? dts + offset_ : GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer(GST_APP_SRC(appsrc_), out);
}
