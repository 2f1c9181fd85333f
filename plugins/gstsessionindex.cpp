// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstsessionindex.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include <cerrno>
#include <utility>

namespace gstascii {

void json_member(JsonBuilder* b, const char* name, const std::string& value) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, value.c_str());
}
void json_member(JsonBuilder* b, const char* name, double value) {
  json_builder_set_member_name(b, name);
  json_builder_add_double_value(b, value);
}
void json_member(JsonBuilder* b, const char* name, gint64 value) {
  json_builder_set_member_name(b, name);
  json_builder_add_int_value(b, value);
}
void json_member(JsonBuilder* b, const char* name, bool value) {
  json_builder_set_member_name(b, name);
  json_builder_add_boolean_value(b, value);
}

void json_ocr_member(JsonBuilder* b, const FrameEntry& f) {
  if (f.ocr_status.empty()) return;
  json_builder_set_member_name(b, "ocr");
  json_builder_begin_object(b);
  json_member(b, "status", f.ocr_status);
  if (f.ocr_status == "done") {
    json_member(b, "path", f.ocr_path);
    json_member(b, "text", f.ocr_text);
    json_member(b, "confidence", f.ocr_confidence);
  }
  if (!f.ocr_note.empty()) json_member(b, "note", f.ocr_note);
  json_builder_end_object(b);
}

// Writes the builder's document to |path| atomically.
bool write_json_file(const std::string& path, JsonBuilder* b, std::string* error) {
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_root(gen, root);
  gsize length = 0;
  g_autofree gchar* text = json_generator_to_data(gen, &length);
  g_autoptr(GError) err = nullptr;
  if (!g_file_set_contents_full(path.c_str(), text, gssize(length),
                                GFileSetContentsFlags(G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE),
                                0644, &err)) {
    *error = err->message;
    return false;
  }
  return true;
}

void SessionIndex::write_json(const std::string& path, JsonBuilder* b) {
  std::string why;
  if (!write_json_file(path, b, &why)) write_failed(path, why.c_str());
}

SessionIndex::SessionIndex(std::string dir, WriteError on_write_error)
    : dir_(std::move(dir)), on_write_error_(std::move(on_write_error)) {}

// Holds the index for a change. The files that could not be written are reported once it is let
// go, so that the owner's handler may take its own locks (posting a GStreamer message does).
class SessionIndex::Change {
 public:
  explicit Change(SessionIndex& index) : index_(index), lock_(index.mutex_) {}
  ~Change() {
    std::vector<std::pair<std::string, std::string>> failed;
    failed.swap(index_.failed_);
    std::vector<AudioChunk> written;
    written.swap(index_.written_chunks_);
    const auto listener = index_.chunk_listener_;
    lock_.unlock();
    for (const auto& [path, why] : failed) {
      if (index_.on_write_error_) index_.on_write_error_(path, why.c_str());
    }
    for (const AudioChunk& chunk : written) {
      if (listener) listener(chunk);
    }
  }
  Change(const Change&) = delete;
  Change& operator=(const Change&) = delete;

 private:
  SessionIndex& index_;
  std::unique_lock<std::mutex> lock_;
};

void SessionIndex::write_failed(const std::string& path, const char* why) {
  failed_.emplace_back(path, why);
}

bool SessionIndex::create(std::string* error) {
  for (const char* sub : {"stream", "frames", "transcript", "agent"}) {
    const std::string path = dir_ + "/" + sub;
    if (g_mkdir_with_parents(path.c_str(), 0755) != 0) {
      *error = "cannot create " + path + ": " + g_strerror(errno);
      return false;
    }
  }
  Change change(*this);
  write_segments();
  write_frames();
  write_audio(false);
  return true;
}

FrameEntry SessionIndex::next_frame() {
  std::lock_guard<std::mutex> lock(mutex_);
  char id[16];
  g_snprintf(id, sizeof id, "F%04zu", frames_.size() + 1);
  FrameEntry f;
  f.id = id;
  f.path = dir_ + "/frames/" + f.id + ".jpg";
  f.text_path = dir_ + "/frames/" + f.id + ".txt";
  f.ocr_path = dir_ + "/frames/" + f.id + ".ocr.txt";
  return f;
}

void SessionIndex::add_frame(const FrameEntry& frame) {
  Change change(*this);
  frames_.push_back(frame);
  write_frames();
}

void SessionIndex::update_frame(const FrameEntry& frame) {
  Change change(*this);
  for (FrameEntry& f : frames_) {
    if (f.id == frame.id) f = frame;
  }
  write_frames();
}

void SessionIndex::segment_opened(double start) {
  std::lock_guard<std::mutex> lock(mutex_);
  segment_start_ = start;
}

SegmentEntry SessionIndex::segment_closed(const std::string& path, double end) {
  SegmentEntry seg;
  seg.path = path;
  g_autofree gchar* base = g_path_get_basename(path.c_str());
  seg.name = base;
  Change change(*this);
  seg.start = segment_start_;
  seg.end = end;
  segments_.push_back(seg);
  write_segments();
  waiting_chunks_.push_back(seg);
  write_ready_chunks(false);
  return seg;
}

void SessionIndex::add_sound(double time, const std::int16_t* samples, std::size_t count) {
  Change change(*this);
  if (!has_sound_) {
    has_sound_ = true;
    write_audio(false);
  }
  pcm_.add(time, samples, count);
  write_ready_chunks(false);
}

void SessionIndex::finish() {
  Change change(*this);
  write_ready_chunks(true);
  write_audio(true);
}

std::size_t SessionIndex::segments() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return segments_.size();
}
std::size_t SessionIndex::frames() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return frames_.size();
}
std::size_t SessionIndex::chunks() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return chunks_.size();
}

void SessionIndex::write_segments() {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto& seg : segments_) {
    json_builder_begin_object(b);
    json_member(b, "name", seg.name);
    json_member(b, "path", seg.path);
    json_member(b, "start", seg.start);
    json_member(b, "end", seg.end);
    json_member(b, "duration", seg.end - seg.start);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  write_json(dir_ + "/stream/segments.json", b);
}

void SessionIndex::write_frames() {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto& f : frames_) {
    json_builder_begin_object(b);
    json_member(b, "id", f.id);
    json_member(b, "timestamp", f.timestamp);
    json_member(b, "path", f.path);
    json_member(b, "text_path", f.text_path);
    json_member(b, "sent_to_agent", false);
    json_member(b, "score", f.score);
    json_member(b, "reason", f.reason);
    json_ocr_member(b, f);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  write_json(dir_ + "/frames/index.json", b);
}

void SessionIndex::write_audio(bool final) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_member(b, "has_audio", has_sound_);
  json_member(b, "sample_rate", gint64(pcm_.rate()));
  json_member(b, "channels", gint64(1));
  if (!has_sound_) json_member(b, "note", std::string(final ? "the stream had no audio" : "no audio has arrived yet"));
  json_builder_set_member_name(b, "chunks");
  json_builder_begin_array(b);
  for (const auto& c : chunks_) {
    json_builder_begin_object(b);
    json_member(b, "name", c.name);
    json_member(b, "path", c.path);
    json_member(b, "start", c.start);
    json_member(b, "end", c.end);
    json_member(b, "samples", gint64(c.samples));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  json_builder_end_object(b);
  write_json(dir_ + "/transcript/audio.json", b);
}

// A segment's sound is cut once it has all arrived: the sound is decoded beside the pictures and
// may run behind them (far behind, when a file is recorded faster than real time). A chunk waits
// for at most kMaxWaitingChunks segments, or until the session ends; what never came is silence.
void SessionIndex::write_ready_chunks(bool all) {
  while (!waiting_chunks_.empty() &&
         (all || waiting_chunks_.size() > kMaxWaitingChunks || pcm_.end_time() >= waiting_chunks_.front().end)) {
    write_chunk(waiting_chunks_.front());
    waiting_chunks_.erase(waiting_chunks_.begin());
  }
}

// The sound of |seg| as transcript/chunk_NNNNN.wav, when there is sound.
void SessionIndex::write_chunk(const SegmentEntry& seg) {
  if (!has_sound_) return;
  const std::vector<std::int16_t> samples = pcm_.take(seg.start, seg.end);
  AudioChunk c;
  c.name = seg.name.substr(0, seg.name.rfind('.')) + ".wav";
  c.name.replace(0, std::string("segment").size(), "chunk");
  c.path = dir_ + "/transcript/" + c.name;
  c.start = seg.start;
  c.end = seg.end;
  c.samples = samples.size();
  const std::string wav = wav_file(samples.data(), samples.size(), pcm_.rate(), 1);
  g_autoptr(GError) error = nullptr;
  if (!g_file_set_contents(c.path.c_str(), wav.data(), gssize(wav.size()), &error)) {
    write_failed(c.path, error->message);
    return;
  }
  chunks_.push_back(c);
  write_audio(false);
  written_chunks_.push_back(c);  // the listener hears of it once the lock is let go
}

}  // namespace gstascii
