// sessionsink's scene frames on disk: for each picture scenecut picked, frames/F0001.jpg at the
// picture's own size and frames/F0001.txt (the picture as ASCII art, for agents that read only
// text), then its entry in frames/index.json. On a thread of its own, behind a bounded queue, so
// that encoding and disk writes never hold the recording back.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "gstframeocr.h"
#include "gstsessionindex.h"
#include "gstworkqueue.h"

namespace gstascii {

class SceneFrameWriter {
 public:
  struct Callbacks {
    std::function<void(const FrameEntry& frame)> saved;  // its files are written and it is listed
    std::function<void(const std::string& path, const std::string& why)> failed;  // it is not listed
  };

  // |ascii_cols|: columns of the text version (its rows follow the picture's shape). At most
  // |max_pending| frames wait; more are dropped. Callbacks run on the writer's thread. With |ocr|
  // (which must outlive the writer), each frame written is then read for its slide text (its
  // ocr_status "pending" until then).
  SceneFrameWriter(std::shared_ptr<SessionIndex> index, int ascii_cols, unsigned max_pending, Callbacks callbacks,
                   FrameOcr* ocr = nullptr);
  // Writes what is queued, then stops.
  ~SceneFrameWriter();
  SceneFrameWriter(const SceneFrameWriter&) = delete;
  SceneFrameWriter& operator=(const SceneFrameWriter&) = delete;

  // Streaming thread: queues |sample| if scenecut picked it (it carries a GstSceneCutMeta), at
  // |timestamp| session seconds. Never blocks; false when the queue is full and it was dropped.
  bool push(GstSample* sample, double timestamp);
  // Until everything queued is written and read (EOS), or |timeout_us| has passed.
  void drain(gint64 timeout_us);

 private:
  struct Job;
  void run();
  void write(Job& job);

  const std::shared_ptr<SessionIndex> index_;
  const int ascii_cols_;
  const unsigned max_pending_;
  const Callbacks callbacks_;
  FrameOcr* const ocr_;
  WorkQueue<std::unique_ptr<Job>> queue_;
  std::thread thread_;
};

}  // namespace gstascii
