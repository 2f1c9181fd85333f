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
      unavailable_(std::move(unavailable)) {
  GST_DEBUG_CATEGORY_INIT(frame_ocr_debug, "frameocr", 0, "sessionsink's slide text");
  thread_ = std::thread([this] { run(); });
}

FrameOcr::~FrameOcr() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FrameOcr::push(const FrameEntry& frame, std::vector<std::uint8_t> gray, int width, int height) {
  Job job{frame, std::move(gray), width, height};
  job.frame.ocr_status = "pending";
  std::deque<Job> pushed_out;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (jobs_.size() >= max_pending_) {
      pushed_out.push_back(std::move(jobs_.front()));
      jobs_.pop_front();
    }
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  for (Job& old : pushed_out) {
    GST_WARNING("%s: slide text dropped, %u newer frames waited", old.frame.id.c_str(), max_pending_);
    settle(old.frame, "dropped", "newer frames came while it waited to be read");
  }
}

void FrameOcr::drain(gint64 timeout_us) {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait_for(lock, std::chrono::microseconds(timeout_us), [this] { return jobs_.empty() && !busy_; });
}

void FrameOcr::run() {
  // This thread only (Linux gives each thread its own nice value); Tesseract's own threads, if it
  // makes any, inherit it.
  if (setpriority(PRIO_PROCESS, pid_t(syscall(SYS_gettid)), kNiceness) != 0) GST_DEBUG("cannot lower the priority");
  // The model takes a moment to load (more in a sanitizer build): frames wait for it in the queue.
  if (!reader_.open(language_, &unavailable_reason_) && unavailable_) unavailable_(unavailable_reason_);
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return quit_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // quitting with nothing left
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    read(job);
    lock.lock();
    busy_ = false;
    if (jobs_.empty()) idle_.notify_all();
  }
}

void FrameOcr::read(Job& job) {
  if (!unavailable_reason_.empty()) {
    settle(job.frame, "failed", unavailable_reason_);
    return;
  }
  const gint64 start = g_get_monotonic_time();
  const ReadText text = reader_.read(job.gray.data(), job.width, job.height, std::size_t(job.width));
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
