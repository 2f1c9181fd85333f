// What a recording session keeps on disk besides the media: stream/segments.json, frames/index.json,
// transcript/audio.json and the transcript's WAV chunks. Every JSON file is replaced atomically
// (temp file + rename), so a reader or a crash sees the old file or the new one, never half.
// Thread-safe: segments close on the main thread while frames and sound arrive on streaming ones.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <json-glib/json-glib.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "wav.h"

namespace gstascii {

struct FrameEntry {
  std::string id, path, text_path, reason;
  double timestamp = 0, score = 0;
  // The slide text (OCR), when it is on: "pending", then "done" (ocr_text in ocr_path),
  // "dropped" or "failed" (ocr_note says why).
  std::string ocr_status, ocr_path, ocr_text, ocr_note;
  double ocr_confidence = 0;
};

struct SegmentEntry {
  std::string name, path;
  double start = 0, end = 0;
};

// A WAV chunk of the session's sound, written and listed.
struct AudioChunk {
  std::string name, path;
  double start = 0, end = 0;
  std::size_t samples = 0;
};

// Members of a JSON object being built (the session's index files, its events).
void json_member(JsonBuilder* b, const char* name, const std::string& value);
void json_member(JsonBuilder* b, const char* name, double value);
void json_member(JsonBuilder* b, const char* name, gint64 value);
void json_member(JsonBuilder* b, const char* name, bool value);

// Writes the builder's document to |path| atomically (temporary file and rename, synced): a reader
// or a crash sees the old file or the new one. False with |error| set when it cannot.
bool write_json_file(const std::string& path, JsonBuilder* b, std::string* error);

// The "ocr" member of a frame's listing (and of its event), when its slide text is on.
void json_ocr_member(JsonBuilder* b, const FrameEntry& frame);

class SessionIndex {
 public:
  // A file that could not be written (the index then lists only what is on disk).
  using WriteError = std::function<void(const std::string& path, const char* why)>;

  // |dir| is the session's folder; stream/, frames/, transcript/ and agent/ are made in it.
  SessionIndex(std::string dir, WriteError on_write_error);
  // Told of each chunk once it is written and listed, outside the index's lock, on the thread that
  // wrote it.
  void set_chunk_listener(std::function<void(const AudioChunk& chunk)> listener) {
    std::lock_guard<std::mutex> lock(mutex_);
    chunk_listener_ = std::move(listener);
  }

  // Makes the folders and writes the (empty) indexes; false with |error| set when it cannot.
  bool create(std::string* error);
  const std::string& dir() const { return dir_; }
  std::string stream_dir() const { return dir_ + "/stream"; }

  // The id and file names of the next scene frame (F0001, frames/F0001.jpg, frames/F0001.txt).
  FrameEntry next_frame();
  // Lists a frame whose files are written.
  void add_frame(const FrameEntry& frame);
  // Its slide text is read (or will not be): the listing says so.
  void update_frame(const FrameEntry& frame);

  // A segment opened at |start| session seconds; closed at |end|: listed, and its sound cut into a
  // chunk of exactly the same bounds (once that sound has arrived).
  void segment_opened(double start);
  SegmentEntry segment_closed(const std::string& path, double end);

  // 16 kHz mono sound at |time| session seconds.
  void add_sound(double time, const std::int16_t* samples, std::size_t count);
  // The session is over: audio.json says whether there was sound.
  void finish();

  std::size_t segments() const;
  std::size_t frames() const;
  std::size_t chunks() const;

 private:
  class Change;
  // Under mutex_.
  void write_json(const std::string& path, JsonBuilder* b);
  void write_failed(const std::string& path, const char* why);
  void write_segments();
  void write_frames();
  void write_audio(bool final);
  void write_ready_chunks(bool all);
  void write_chunk(const SegmentEntry& segment);

  static constexpr std::size_t kMaxWaitingChunks = 8;

  const std::string dir_;
  const WriteError on_write_error_;
  std::vector<std::pair<std::string, std::string>> failed_;  // under mutex_: reported by Change
  mutable std::mutex mutex_;
  std::vector<SegmentEntry> segments_;
  double segment_start_ = 0;
  std::vector<FrameEntry> frames_;
  PcmTimeline pcm_{16000};
  bool has_sound_ = false;
  std::vector<AudioChunk> chunks_;
  std::function<void(const AudioChunk&)> chunk_listener_;
  std::vector<AudioChunk> written_chunks_;    // under mutex_: told to the listener by Change
  std::vector<SegmentEntry> waiting_chunks_;  // closed segments whose sound has not all arrived
};

}  // namespace gstascii
