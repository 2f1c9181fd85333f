// The recorder's live ASCII preview: the decoded pictures (the same decode that feeds scene
// detection) through asciimap and ascilinepay's adaptive codec to websocketsink, so a browser
// watches the incoming stream as character-cell art at http://HOST:PORT/ with the web player.
// Viewers come and go without touching the recording: pictures reach the preview through a leaky
// two-picture queue, and when it falls behind it loses pictures, never holding the recorder back.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <mutex>
#include <string>

class AsciiPreview {
 public:
  AsciiPreview() = default;
  ~AsciiPreview();
  AsciiPreview(const AsciiPreview&) = delete;
  AsciiPreview& operator=(const AsciiPreview&) = delete;

  // Serves on |server| (a GstAsciiServer, started: the recorder's events share it) the picture's
  // shape within 200 x 84 cells, mode 3, at most 30 fps; false with |error| set when it cannot.
  // The thread-default main context must be running.
  bool start(GstObject* server, std::string* error);
  // Any thread: one decoded picture. Never blocks.
  void push(GstSample* sample);

 private:
  GstElement* pipeline_ = nullptr;
  GstElement* src_ = nullptr;
  guint watch_ = 0;  // its bus, read on the thread-default main context
  std::mutex mutex_;
  GstCaps* caps_ = nullptr;  // the caps last given to src_
};
