// The bounded queue between a streaming (or any) thread and one worker thread of sessionsink's:
// the frame writer, the slide text reader and the transcriber. Pushing never blocks: a full queue
// either refuses the new job or pushes the oldest out, as the owner chooses, and hands back what
// did not fit for the owner to account for.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace gstascii {

template <class Job>
class WorkQueue {
 public:
  enum class WhenFull {
    kRefuseNewest,   // the new job is handed back
    kPushOutOldest,  // the oldest waiting are handed back
  };
  WorkQueue(std::size_t max_waiting, WhenFull when_full)
      : max_(max_waiting > 0 ? max_waiting : 1), when_full_(when_full) {}

  // Any thread, never blocks. Returns the jobs that did not fit (none, usually); after close(),
  // the job itself.
  std::vector<Job> push(Job job) {
    std::vector<Job> left_out;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_ || (jobs_.size() >= max_ && when_full_ == WhenFull::kRefuseNewest)) {
        left_out.push_back(std::move(job));
        return left_out;
      }
      while (jobs_.size() >= max_) {
        left_out.push_back(std::move(jobs_.front()));
        jobs_.pop_front();
      }
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
    return left_out;
  }

  // The worker: the next job, waiting for one; nothing once closed and (|finish_waiting|) no job
  // is left, or (not |finish_waiting|) at once. Call finished() when done with it.
  std::optional<Job> take(bool finish_waiting) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [this] { return closed_ || !jobs_.empty(); });
    if (jobs_.empty() || (closed_ && !finish_waiting)) return std::nullopt;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    return job;
  }
  void finished() {
    std::lock_guard<std::mutex> lock(mutex_);
    busy_ = false;
    if (jobs_.empty()) idle_.notify_all();
  }
  // The jobs still waiting, taken out (the worker's, once closed).
  std::deque<Job> take_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::deque<Job> all;
    all.swap(jobs_);
    idle_.notify_all();
    return all;
  }

  // No more jobs: the worker's take() returns nothing once it should stop.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    wake_.notify_all();
  }
  bool closed() {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }
  // Until nothing waits and the worker is idle, or |timeout_us| has passed.
  void drain(gint64 timeout_us) {
    std::unique_lock<std::mutex> lock(mutex_);
    idle_.wait_for(lock, std::chrono::microseconds(timeout_us), [this] { return jobs_.empty() && !busy_; });
  }
  // The worker: sleeps |us| unless the queue is closed first; false when it is.
  bool sleep_unless_closed(gint64 us) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !wake_.wait_for(lock, std::chrono::microseconds(us), [this] { return closed_; });
  }

 private:
  const std::size_t max_;
  const WhenFull when_full_;
  std::mutex mutex_;
  std::condition_variable wake_;  // a job, or closed
  std::condition_variable idle_;  // the queue emptied
  std::deque<Job> jobs_;
  bool busy_ = false;
  bool closed_ = false;
};

}  // namespace gstascii
