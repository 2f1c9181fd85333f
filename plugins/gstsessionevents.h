// A recording session's event timeline for agents: session.jsonl in the session folder, one JSON
// object a line, appended and handed to the kernel as each event happens (one write() a line, so
// a crash or kill -9 leaves every complete line whole), and the same lines to a listener (the
// Server-Sent Events of /events). Thread-safe: events come from the main thread, the frame
// writer's thread and the application.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <functional>
#include <mutex>
#include <string>

#include "gstsessionindex.h"
#include "gsttranscriber.h"

namespace gstascii {

class SessionEvents {
 public:
  // A line that could not be written (a full disk): said once, the events go on to the listener.
  using WriteError = std::function<void(const std::string& path, const char* why)>;
  // An event as one line of JSON (no newline), and its number (1, 2, ...); called in order.
  using Listener = std::function<void(guint64 seq, const std::string& json)>;
  // Adds an event's own members to the object being built.
  using Fields = std::function<void(JsonBuilder* b)>;

  SessionEvents(std::string path, WriteError on_write_error);
  ~SessionEvents();
  SessionEvents(const SessionEvents&) = delete;
  SessionEvents& operator=(const SessionEvents&) = delete;

  // Creates (empties) the file; false with |error| set when it cannot.
  bool open(std::string* error);
  const std::string& path() const { return path_; }

  // Appends {"seq": N, "type": |type|, "time": |time| (session seconds), "wall": ISO 8601 UTC,
  // fields...}. The listener hears of it before the next event is added (it must not call add).
  void add(const char* type, double time, const Fields& fields = {});
  // The recorder's own events.
  void add_frame_saved(const FrameEntry& frame);  // at the picture's time, with its slide text if read
  void add_segment_closed(const SegmentEntry& segment);
  // transcript_segment for each segment heard, or transcript_failed.
  void add_transcript(const ChunkTranscript& transcript);
  // An application's event: |fields|' numbers, booleans and strings as JSON ones, anything else as
  // GStreamer's text for it (seq, type, time and wall are the timeline's own and are skipped).
  void add_structure(const char* type, double time, const GstStructure* fields);
  void set_listener(Listener listener);
  guint64 count() const;
  // The latest session time of any event so far.
  double latest_time() const;

 private:
  const std::string path_;
  const WriteError on_write_error_;
  mutable std::mutex mutex_;
  int fd_ = -1;
  bool write_failed_ = false;
  guint64 written_ = 0;  // bytes of whole lines in the file
  guint64 seq_ = 0;
  double latest_time_ = 0;
  Listener listener_;
};

}  // namespace gstascii
