// sessionsink's transcripts: each WAV chunk of the session's sound, once written, sent to a speech
// engine, and what it heard written beside it (transcript/chunk_00001.json, with segments in
// session seconds) and appended to transcript/transcript.txt. The engines: an OpenAI-compatible
// /v1/audio/transcriptions endpoint (whisper.cpp's server, faster-whisper servers, hosted APIs),
// or PocketSphinx in a local pipeline. On a thread of its own at a lower priority: the recording
// never waits on it. A request that fails (no answer within the timeout, a server error, a reply
// that is not the JSON expected) is tried again after a backoff; a chunk that fails every time is
// recorded as failed, with why.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gstsessionindex.h"
#include "gstworkqueue.h"

namespace gstascii {

struct TranscriberConfig {
  // An endpoint's URL (http://HOST:PORT/v1/audio/transcriptions; a URL without a path gets that
  // one), or "sphinx" for PocketSphinx.
  std::string engine;
  std::string model = "whisper-1";               // the endpoint's model field
  std::string language;                          // ISO-639-1 ("en"), or empty to let the engine tell
  guint timeout_s = 120;                         // for one request
  guint attempts = 4;                            // tries of a chunk before it is recorded as failed
  gint64 first_backoff_us = G_TIME_SPAN_SECOND;  // before the second try; doubled each time
  unsigned max_pending = 64;                     // chunks waiting; past it the oldest is failed
};

struct TranscriptSegment {
  double start = 0, end = 0;  // session seconds
  std::string text;
};

struct ChunkTranscript {
  AudioChunk chunk;
  std::string json_path;
  std::string status;  // "done" or "failed"
  std::string error;   // why it failed (the last try's reason)
  guint attempts = 0;
  std::vector<TranscriptSegment> segments;

  // The segments' text, one space between them.
  std::string text() const {
    std::string all;
    for (const TranscriptSegment& s : segments) all += (all.empty() ? "" : " ") + s.text;
    return all;
  }
};

// The segments of an endpoint's reply (verbose_json: "segments" with start, end and text, or
// only "text"), shifted onto the session's timeline from |chunk|'s start; false with |error| set
// when the reply is not such JSON.
bool parse_transcription(const std::string& reply, const AudioChunk& chunk, std::vector<TranscriptSegment>* segments,
                         std::string* error);

class Transcriber {
 public:
  using Done = std::function<void(const ChunkTranscript& transcript)>;

  // |dir| is the session's transcript/ folder. Null, with |error| set, when the engine cannot be
  // used (a URL that is not http(s), PocketSphinx not installed).
  static std::unique_ptr<Transcriber> start(std::string dir, TranscriberConfig config, Done done, std::string* error);
  // Stops after the chunk being transcribed; those still waiting are recorded as failed.
  ~Transcriber();
  Transcriber(const Transcriber&) = delete;
  Transcriber& operator=(const Transcriber&) = delete;

  // Any thread, never blocks.
  void push(const AudioChunk& chunk);
  // Until nothing waits, or |timeout_us| has passed.
  void drain(gint64 timeout_us);

  class Engine;

 private:
  Transcriber(std::string dir, TranscriberConfig config, Done done);
  void run();
  void transcribe(const AudioChunk& chunk);
  void record(ChunkTranscript& t);
  void record_failed(const AudioChunk& chunk, const std::string& why);

  const std::string dir_;
  const TranscriberConfig config_;
  const Done done_;
  std::unique_ptr<Engine> engine_;  // the thread's
  GCancellable* cancel_ = nullptr;  // cancels the request under way when stopping
  WorkQueue<AudioChunk> queue_;
  std::thread thread_;
};

}  // namespace gstascii
