// sessionsink's slide text: each saved scene frame read with Tesseract (gst/text_reader.h), its
// text written beside the JPEG (frames/F0001.ocr.txt) and listed in frames/index.json. On a thread
// of its own, at a lower priority than the recording, behind a queue of at most |max_pending|
// frames: a frame that finds the queue full pushes the oldest waiting one out (listed as
// dropped), so a backlog never delays anything.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gstsessionindex.h"
#include "gstworkqueue.h"
#include "text_reader.h"

namespace gstascii {

class FrameOcr {
 public:
  // A frame's slide text is settled: read ("done", its file written), "dropped" or "failed". On
  // the reader's thread (or the pushing one, for a frame dropped).
  using Done = std::function<void(const FrameEntry& frame)>;
  // The model of the language could not be loaded: every frame's text is then "failed".
  using Unavailable = std::function<void(const std::string& why)>;

  // Loads |language|'s model (Tesseract's names: "eng", "eng+deu") on the reader's thread, so
  // that starting never waits for it.
  FrameOcr(std::shared_ptr<SessionIndex> index, std::string language, unsigned max_pending, Done done,
           Unavailable unavailable);
  // Stops the read under way; every frame not read is listed as dropped.
  ~FrameOcr();
  FrameOcr(const FrameOcr&) = delete;
  FrameOcr& operator=(const FrameOcr&) = delete;

  // Queues |frame| (listed, its status "pending") with its grey picture. Never blocks.
  void push(const FrameEntry& frame, std::vector<std::uint8_t> gray, int width, int height);
  // Until nothing waits, or |timeout_us| has passed.
  void drain(gint64 timeout_us);
  // Stops the read under way; until resume(), each frame that waits is listed as dropped (the
  // recording is stopping: nobody waits for its text).
  void cancel() { cancel_ = true; }
  void resume() { cancel_ = false; }

 private:
  struct Job {
    FrameEntry frame;
    std::vector<std::uint8_t> gray;
    int width = 0, height = 0;
  };
  void run();
  void read(Job& job);
  void settle(FrameEntry& frame, const char* status, const std::string& note);

  const std::shared_ptr<SessionIndex> index_;
  const std::string language_;
  const unsigned max_pending_;
  const Done done_;
  const Unavailable unavailable_;
  TextReader reader_;               // the reader's thread only
  std::string unavailable_reason_;  // the reader's thread only: why no text can be read
  WorkQueue<Job> queue_;
  std::atomic<bool> cancel_{false};  // no more reading for now
  std::thread thread_;
};

}  // namespace gstascii
