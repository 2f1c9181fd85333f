// SPDX-License-Identifier: LGPL-2.1-or-later
#include "frame_saver.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

#include "gstasciiraii.h"
#include "session_index.h"

FrameSaver::~FrameSaver() {
  if (!ascii_) return;
  gst_element_set_state(ascii_, GST_STATE_NULL);
  gst_object_unref(ascii_);
}

bool FrameSaver::start(std::string* error) {
  const std::string description =
      "appsrc name=in format=time ! videoconvert ! asciimap name=map cols=" + std::to_string(ascii_cols_) +
      " mode=1 ! ascilinepay ! appsink name=out sync=false";
  g_autoptr(GError) err = nullptr;
  ascii_ = gst_parse_launch(description.c_str(), &err);
  if (!ascii_) {
    *error = err->message;
    return false;
  }
  gst_element_set_state(ascii_, GST_STATE_PLAYING);
  return true;
}

// The picture as ASCII art (|ascii_cols_| columns, as many rows as its shape needs for cells 3
// wide and 4 high), as text.
std::string FrameSaver::ascii_of(GstSample* sample) {
  GstBuffer* buf = gst_sample_get_buffer(sample);
  g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(ascii_), "in");
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(ascii_), "out");
  // ascilinepay wants a frame rate, which a stream without timing info does not give. asciimap
  // derives the rows from the picture's shape (pixel aspect ratio included).
  g_autoptr(GstCaps) caps = gst_caps_copy(gst_sample_get_caps(sample));
  gst_caps_set_simple(caps, "framerate", GST_TYPE_FRACTION, 1, 1, nullptr);
  gst_app_src_set_caps(GST_APP_SRC(src), caps);
  GstBuffer* copy = gst_buffer_copy(buf);
  GST_BUFFER_PTS(copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer(GST_APP_SRC(src), copy);
  std::string text;
  // The INIT comes first (flagged HEADER), then the frame: "index\n" and the rows.
  while (GstSample* out = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 5 * GST_SECOND)) {
    GstBuffer* ob = gst_sample_get_buffer(out);
    const bool header = GST_BUFFER_FLAG_IS_SET(ob, GST_BUFFER_FLAG_HEADER);
    if (!header) {
      gstascii::MappedBuffer frame_map(ob, GST_MAP_READ);
      std::string frame(reinterpret_cast<const char*>(frame_map.info.data), frame_map.info.size);
      const size_t nl = frame.find('\n');
      text = nl == std::string::npos ? frame : frame.substr(nl + 1);
    }
    gst_sample_unref(out);
    if (!header) break;
  }
  return text + "\n";
}

void FrameSaver::save(GstSample* sample, double timestamp) {
  GstBuffer* buf = gst_sample_get_buffer(sample);
  GstCustomMeta* meta = gst_buffer_get_custom_meta(buf, "GstSceneCutMeta");
  if (!meta) return;
  const GstStructure* m = gst_custom_meta_get_structure(meta);
  FrameEntry f = index_->next_frame();
  f.reason = gst_structure_get_string(m, "reason");
  gst_structure_get_double(m, "score", &f.score);
  f.timestamp = timestamp;
  // JPEG at the picture's own size.
  g_autoptr(GstCaps) jpeg = gst_caps_new_empty_simple("image/jpeg");
  g_autoptr(GError) error = nullptr;
  g_autoptr(GstSample) encoded = gst_video_convert_sample(sample, jpeg, 5 * GST_SECOND, &error);
  if (!encoded) {
    g_printerr("ascii-launch record: cannot encode %s: %s\n", f.id.c_str(), error ? error->message : "?");
    return;
  }
  gstascii::MappedBuffer map(gst_sample_get_buffer(encoded), GST_MAP_READ);
  if (!g_file_set_contents(f.path.c_str(), reinterpret_cast<const gchar*>(map.info.data), gssize(map.info.size),
                           &error)) {
    g_printerr("ascii-launch record: cannot write %s: %s\n", f.path.c_str(), error->message);
    return;
  }
  const std::string text = ascii_of(sample);
  if (!g_file_set_contents(f.text_path.c_str(), text.data(), gssize(text.size()), &error)) {
    g_printerr("ascii-launch record: cannot write %s: %s\n", f.text_path.c_str(), error->message);
    return;
  }
  index_->add_frame(f);
  g_print("ascii-launch record: %s at %.3f s (%s, score %.3f)\n", f.id.c_str(), f.timestamp, f.reason.c_str(), f.score);
}
