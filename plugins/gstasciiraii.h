// Small RAII holders for GStreamer mappings used by the gst-ascii elements and tools.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>
#include <gst/video/video.h>

#include <memory>

namespace gstascii {

// A buffer mapped for as long as the object lives; check |ok| before using |info|.
class MappedBuffer {
 public:
  MappedBuffer(GstBuffer* buffer, GstMapFlags flags) : buffer_(buffer) { ok = gst_buffer_map(buffer, &info, flags); }
  ~MappedBuffer() {
    if (ok) gst_buffer_unmap(buffer_, &info);
  }
  MappedBuffer(const MappedBuffer&) = delete;
  MappedBuffer& operator=(const MappedBuffer&) = delete;

  GstMapInfo info{};
  bool ok = false;

 private:
  GstBuffer* buffer_;
};

// A video frame mapped for reading; |ok| is false when the buffer does not hold a whole frame.
class MappedVideoFrame {
 public:
  MappedVideoFrame(GstVideoInfo* video_info, GstBuffer* buffer) {
    ok = gst_video_frame_map(&frame, video_info, buffer, GST_MAP_READ);
  }
  ~MappedVideoFrame() {
    if (ok) gst_video_frame_unmap(&frame);
  }
  MappedVideoFrame(const MappedVideoFrame&) = delete;
  MappedVideoFrame& operator=(const MappedVideoFrame&) = delete;

  GstVideoFrame frame{};
  bool ok = false;
};

// A buffer's bytes as a GBytes that keeps the buffer mapped for as long as it lives: every client's
// message shares the buffer's memory. nullptr when the buffer cannot be mapped.
inline GBytes* bytes_from_buffer(GstBuffer* buffer) {
  struct Held {
    GstBuffer* buffer;
    GstMapInfo map;
  };
  auto held = std::make_unique<Held>();
  if (!gst_buffer_map(buffer, &held->map, GST_MAP_READ)) return nullptr;
  held->buffer = gst_buffer_ref(buffer);
  GBytes* bytes = g_bytes_new_with_free_func(
      held->map.data, held->map.size,
      [](gpointer p) {
        std::unique_ptr<Held> h(static_cast<Held*>(p));
        gst_buffer_unmap(h->buffer, &h->map);
        gst_buffer_unref(h->buffer);
      },
      held.get());
  held.release();
  return bytes;
}

}  // namespace gstascii
