// The recorder's scene frames on disk: for each picture scenecut picked, frames/F0001.jpg at the
// picture's own size, frames/F0001.txt (the same picture as ASCII art through asciimap, for
// text-only agents), then its entry in frames/index.json.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <string>

class SessionIndex;

class FrameSaver {
 public:
  // |ascii_cols|: columns of the ASCII version; its rows follow the picture's shape.
  FrameSaver(SessionIndex* index, int ascii_cols) : index_(index), ascii_cols_(ascii_cols) {}
  ~FrameSaver();
  FrameSaver(const FrameSaver&) = delete;
  FrameSaver& operator=(const FrameSaver&) = delete;

  // Makes the ASCII pipeline; false with |error| set when it cannot.
  bool start(std::string* error);
  // One streaming thread: saves |sample| if scenecut picked it (a GstSceneCutMeta), at
  // |timestamp| session seconds. A file that cannot be written is named on stderr and the frame
  // is not listed; the recording goes on.
  void save(GstSample* sample, double timestamp);

 private:
  std::string ascii_of(GstSample* sample);

  SessionIndex* index_;
  const int ascii_cols_;
  GstElement* ascii_ = nullptr;  // appsrc ! videoconvert ! asciimap ! ascilinepay ! appsink
};
