// What one recording session writes, and the workers that write it: the folder and its indexes
// (SessionIndex), the event timeline (SessionEvents) and its Server-Sent Events (EventStreamHub),
// the scene frames (SceneFrameWriter, with the slide text reader FrameOcr) and the transcripts
// (Transcriber). sessionsink opens one at NULL to READY, starts the frame writer at READY to
// PAUSED, stops it at PAUSED to READY and ends the session at READY to NULL; it hears back through
// Callbacks (element messages and warnings), which may come on any thread.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "gstasciieventhub.h"
#include "gstasciiserver.h"
#include "gstsceneframewriter.h"
#include "gstsessionevents.h"
#include "gstsessionindex.h"
#include "gsttranscriber.h"

namespace gstascii {

struct SessionConfig {
  std::string location;                 // the session folder
  int ascii_cols = 120;                 // of each scene frame's text
  unsigned max_pending = 8;             // scene frames waiting to be written
  std::string ocr_language;             // the slide text's; empty: not read
  TranscriberConfig transcribe;         // engine empty: no transcripts
  std::string events_path = "/events";  // on the events server, when there is one
};

class SessionOutputs {
 public:
  struct Callbacks {
    // An element message's structure (the callee's).
    std::function<void(GstStructure* structure)> post;
    // A warning for the bus: its domain and code (GST_RESOURCE_ERROR_WRITE ...) and text.
    std::function<void(GQuark domain, gint code, const std::string& text)> warning;
  };

  // Makes the folder, its empty indexes and session.jsonl, and serves the events on
  // |events_server| when given. Null, with |error| set, when any of that fails. A transcriber that
  // cannot start is a warning.
  static std::shared_ptr<SessionOutputs> open(const SessionConfig& config, GstAsciiServer* events_server,
                                              Callbacks callbacks, std::string* error);
  ~SessionOutputs();
  SessionOutputs(const SessionOutputs&) = delete;
  SessionOutputs& operator=(const SessionOutputs&) = delete;

  SessionIndex& index() { return *index_; }
  const SessionConfig& config() const { return config_; }

  // READY to PAUSED, PAUSED to READY (the frames queued are written first).
  void start_writer();
  void stop_writer();
  // PAUSED to READY, before the streaming threads stop: the slide text being read is given up,
  // and so is that of the frames waiting (listed as dropped), so that nothing waits on Tesseract.
  void stop_reading();
  // Streaming threads, between the two: a picture scenecut may have picked, at |time| session
  // seconds; false when it was dropped (too many wait). And at EOS, until those queued are
  // written and read, or |timeout_us| has passed.
  bool push_picture(GstSample* sample, double time);
  void drain_pictures(gint64 timeout_us);

  // Events of the timeline, any thread; after end(), nothing more is added (false).
  void session_started();
  void segment_closed(const SegmentEntry& segment);
  bool add_event(const char* type, double time, const GstStructure* fields);

  // READY to NULL: the frame writer stopped, the last chunks written and (for a while)
  // transcribed, session_ended on the timeline, and the followers' streams ended. The index stays
  // readable.
  void end();

 private:
  SessionOutputs(SessionConfig config, Callbacks callbacks);
  bool serve_events(GstAsciiServer* server, std::string* error);
  void start_transcriber();
  void start_ocr();
  void frame_saved(const FrameEntry& frame);
  void frame_read(const FrameEntry& frame);
  void transcribed(const ChunkTranscript& transcript);

  const SessionConfig config_;
  const Callbacks callbacks_;
  std::shared_ptr<SessionIndex> index_;
  std::shared_ptr<SessionEvents> events_;
  std::shared_ptr<EventStreamHub> hub_;
  std::unique_ptr<FrameOcr> ocr_;             // until end(), when the slide text is on
  std::unique_ptr<SceneFrameWriter> writer_;  // between READY to PAUSED and PAUSED to READY
  std::unique_ptr<Transcriber> transcriber_;  // until end(), when asked for
  std::atomic<bool> ended_{false};
};

}  // namespace gstascii
