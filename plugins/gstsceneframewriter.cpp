// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstsceneframewriter.h"

#include <gst/video/video.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <utility>

#include "gstasciiraii.h"
#include "gstasciivideo.h"
#include "text_picture.h"

GST_DEBUG_CATEGORY_STATIC(scene_frame_writer_debug);
#define GST_CAT_DEFAULT scene_frame_writer_debug

namespace gstascii {

struct SceneFrameWriter::Job {
  GstSample* sample = nullptr;
  double timestamp = 0;
  std::string reason;
  double score = 0;
  ~Job() {
    if (sample) gst_sample_unref(sample);
  }
};

SceneFrameWriter::SceneFrameWriter(std::shared_ptr<SessionIndex> index, int ascii_cols, unsigned max_pending,
                                   Callbacks callbacks, FrameOcr* ocr)
    : index_(std::move(index)),
      ascii_cols_(ascii_cols),
      max_pending_(max_pending),
      callbacks_(std::move(callbacks)),
      ocr_(ocr),
      queue_(max_pending, WorkQueue<std::unique_ptr<Job>>::WhenFull::kRefuseNewest) {
  GST_DEBUG_CATEGORY_INIT(scene_frame_writer_debug, "sceneframewriter", 0, "sessionsink's scene frame files");
  thread_ = std::thread([this] { run(); });
}

SceneFrameWriter::~SceneFrameWriter() {
  queue_.close();  // what waits is still written
  thread_.join();
}

bool SceneFrameWriter::push(GstSample* sample, double timestamp) {
  GstBuffer* buffer = gst_sample_get_buffer(sample);
  GstCustomMeta* meta = buffer ? gst_buffer_get_custom_meta(buffer, "GstSceneCutMeta") : nullptr;
  if (!meta) return true;
  auto job = std::make_unique<Job>();
  const GstStructure* s = gst_custom_meta_get_structure(meta);
  job->reason = GST_STR_NULL(gst_structure_get_string(s, "reason"));
  gst_structure_get_double(s, "score", &job->score);
  job->timestamp = timestamp;
  job->sample = gst_sample_ref(sample);
  if (!queue_.push(std::move(job)).empty()) {
    GST_WARNING("%u scene frames wait to be written: the one at %.3f s is dropped", max_pending_, timestamp);
    return false;
  }
  return true;
}

void SceneFrameWriter::drain(gint64 timeout_us) {
  const gint64 deadline = g_get_monotonic_time() + timeout_us;
  queue_.drain(timeout_us);
  if (ocr_) ocr_->drain(std::max<gint64>(deadline - g_get_monotonic_time(), 0));
}

void SceneFrameWriter::run() {
  while (std::optional<std::unique_ptr<Job>> job = queue_.take(true)) {
    write(**job);
    job.reset();
    queue_.finished();
  }
}

// JPEG at the picture's own size, then the text, then the listing: a frame is listed only when
// both its files are whole.
void SceneFrameWriter::write(Job& job) {
  FrameEntry f = index_->next_frame();
  f.reason = job.reason;
  f.score = job.score;
  f.timestamp = job.timestamp;
  g_autoptr(GstCaps) jpeg = gst_caps_new_empty_simple("image/jpeg");
  g_autoptr(GError) error = nullptr;
  g_autoptr(GstSample) encoded = gst_video_convert_sample(job.sample, jpeg, 10 * GST_SECOND, &error);
  if (!encoded) {
    callbacks_.failed(f.path, std::string("cannot encode it: ") + (error ? error->message : "no reason given"));
    return;
  }
  {
    MappedBuffer map(gst_sample_get_buffer(encoded), GST_MAP_READ);
    if (!map.ok || !g_file_set_contents(f.path.c_str(), reinterpret_cast<const gchar*>(map.info.data),
                                        gssize(map.info.size), &error)) {
      callbacks_.failed(f.path, error ? error->message : "cannot map the JPEG");
      return;
    }
  }
  GstVideoInfo info;
  if (!gst_video_info_from_caps(&info, gst_sample_get_caps(job.sample))) {
    callbacks_.failed(f.text_path, "the picture's caps are not raw video");
    return;
  }
  TextPicture text_picture;
  const std::string why =
      text_picture.configure(frame_layout_from_info(&info), picture_shape_from_info(&info), ascii_cols_);
  MappedVideoFrame frame(&info, gst_sample_get_buffer(job.sample));
  if (!why.empty() || !frame.ok) {
    callbacks_.failed(f.text_path, why.empty() ? "the picture is not a whole frame" : why);
    return;
  }
  PlaneView planes[GST_VIDEO_MAX_PLANES];
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(&frame.frame); p++) {
    planes[p].data = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&frame.frame, p));
    planes[p].stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame.frame, p);
  }
  const std::string text = text_picture.render(planes);
  if (!g_file_set_contents(f.text_path.c_str(), text.data(), gssize(text.size()), &error)) {
    callbacks_.failed(f.text_path, error->message);
    return;
  }
  // The slide text is read from the luma plane, a grey picture as it is.
  const bool readable = ocr_ && (GST_VIDEO_INFO_IS_YUV(&info) || GST_VIDEO_INFO_IS_GRAY(&info)) &&
                        GST_VIDEO_FRAME_COMP_PSTRIDE(&frame.frame, 0) == 1;
  if (readable) f.ocr_status = "pending";
  index_->add_frame(f);
  GST_DEBUG("%s at %.3f s (%s, score %.3f)", f.id.c_str(), f.timestamp, f.reason.c_str(), f.score);
  callbacks_.saved(f);
  if (readable) {
    const int width = GST_VIDEO_FRAME_COMP_WIDTH(&frame.frame, 0),
              height = GST_VIDEO_FRAME_COMP_HEIGHT(&frame.frame, 0);
    const auto* luma = static_cast<const std::uint8_t*>(GST_VIDEO_FRAME_COMP_DATA(&frame.frame, 0));
    const std::size_t stride = std::size_t(GST_VIDEO_FRAME_COMP_STRIDE(&frame.frame, 0));
    std::vector<std::uint8_t> gray(std::size_t(width) * height);
    for (int y = 0; y < height; y++)
      std::memcpy(gray.data() + std::size_t(y) * width, luma + std::size_t(y) * stride, std::size_t(width));
    ocr_->push(f, std::move(gray), width, height);
  }
}

}  // namespace gstascii
