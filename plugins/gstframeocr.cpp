// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstframeocr.h"

#include <gst/gst.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <utility>

GST_DEBUG_CATEGORY_STATIC(frame_ocr_debug);
#define GST_CAT_DEFAULT frame_ocr_debug

namespace gstascii {

namespace {

// How much lower than the recording the reader runs (a nice value): reading a slide takes about a
// second of CPU, which must never be the recording's.
constexpr int kNiceness = 10;

}  // namespace

FrameOcr::FrameOcr(std::shared_ptr<SessionIndex> index, std::string language, unsigned max_pending, Done done,
                   Unavailable unavailable)
    : index_(std::move(index)),
      language_(std::move(language)),
      max_pending_(std::max(max_pending, 1u)),
      done_(std::move(done)),
      unavailable_(std::move(unavailable)),
      queue_(max_pending_, WorkQueue<Job>::WhenFull::kPushOutOldest) {
  GST_DEBUG_CATEGORY_INIT(frame_ocr_debug, "frameocr", 0, "sessionsink's slide text");
  thread_ = std::thread([this] { run(); });
}

FrameOcr::~FrameOcr() {
  // What waits now waited its turn (drain() first for the text of the last frames): the read
  // under way stops, and each frame left is listed as dropped.
  cancel();
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

void FrameOcr::push(const FrameEntry& frame, std::vector<std::uint8_t> gray, int width, int height) {
  Job job{frame, std::move(gray), width, height};
  job.frame.ocr_status = "pending";
  for (Job& old : queue_.push(std::move(job))) {
    GST_WARNING("%s: slide text dropped, %u newer frames waited", old.frame.id.c_str(), max_pending_);
    settle(old.frame, "dropped", "newer frames came while it waited to be read");
  }
}

void FrameOcr::drain(gint64 timeout_us) {
  queue_.drain(timeout_us);
}

void FrameOcr::run() {
  // The model takes a moment to load (more in a sanitizer build): frames wait for it in the queue.
  // It loads at the session's own priority, once, as the session opens: at a lower one, a busy
  // machine could leave it loading long after the session has ended.
  if (!reader_.open(language_, &unavailable_reason_) && unavailable_) unavailable_(unavailable_reason_);
  // This thread only (Linux gives each thread its own nice value); Tesseract's own threads, if it
  // makes any, inherit it.
  if (setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), kNiceness) != 0) GST_DEBUG("cannot lower the priority");
  while (std::optional<Job> job = queue_.take(true)) {
    read(*job);
    queue_.finished();
  }
}

void FrameOcr::read(Job& job) {
  if (!unavailable_reason_.empty()) {
    settle(job.frame, "failed", unavailable_reason_);
    return;
  }
  const gint64 start = g_get_monotonic_time();
  const ReadText text = cancel_
                            ? ReadText{{}, 0.0, true}
                            : reader_.read(job.gray.data(), job.width, job.height, std::size_t(job.width), &cancel_);
  if (text.cancelled) {
    settle(job.frame, "dropped", "the recording stopped before its text was read");
    return;
  }
  g_autoptr(GError) error = nullptr;
  if (!g_file_set_contents(job.frame.ocr_path.c_str(), text.text.data(), gssize(text.text.size()), &error)) {
    settle(job.frame, "failed", std::string("cannot write the text: ") + error->message);
    return;
  }
  job.frame.ocr_text = text.text;
  job.frame.ocr_confidence = text.confidence;
  GST_DEBUG("%s read in %.0f ms: %zu bytes of text, confidence %.0f", job.frame.id.c_str(),
            (g_get_monotonic_time() - start) / 1000.0, text.text.size(), text.confidence);
  settle(job.frame, "done", "");
}

void FrameOcr::settle(FrameEntry& frame, const char* status, const std::string& note) {
  frame.ocr_status = status;
  frame.ocr_note = note;
  index_->update_frame(frame);
  if (done_) done_(frame);
}

}  // namespace gstascii
