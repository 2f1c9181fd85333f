// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstsessionevents.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace gstascii {

SessionEvents::SessionEvents(std::string path, WriteError on_write_error)
    : path_(std::move(path)), on_write_error_(std::move(on_write_error)) {}

SessionEvents::~SessionEvents() {
  if (fd_ >= 0) ::close(fd_);
}

bool SessionEvents::open(std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    *error = "cannot create " + path_ + ": " + g_strerror(errno);
    return false;
  }
  seq_ = 0;
  latest_time_ = 0;
  written_ = 0;
  write_failed_ = false;
  return true;
}

void SessionEvents::set_listener(Listener listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listener_ = std::move(listener);
}

guint64 SessionEvents::count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seq_;
}

double SessionEvents::latest_time() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return latest_time_;
}

void SessionEvents::add(const char* type, double time, const Fields& fields) {
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree gchar* wall = g_date_time_format_iso8601(now);
  std::unique_lock<std::mutex> lock(mutex_);
  const guint64 seq = ++seq_;
  latest_time_ = std::max(latest_time_, time);
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_member(b, "seq", gint64(seq));
  json_member(b, "type", std::string(type));
  json_member(b, "time", time);
  json_member(b, "wall", std::string(wall));
  if (fields) fields(b);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree gchar* text = json_to_string(root, FALSE);
  const std::string json = text;
  // One write() a line: whatever stops the process, a line on disk is whole or absent (O_APPEND
  // puts it at the end even after a short write was retried).
  const std::string line = json + "\n";
  const char* why = nullptr;
  if (fd_ >= 0) {
    gsize done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        why = g_strerror(n < 0 ? errno : ENOSPC);
        break;
      }
      done += gsize(n);
    }
  }
  if (why) {
    // No half line stays to run into the next one.
    const int truncated = ftruncate(fd_, off_t(written_));
    (void)truncated;  // nothing more to do when even that fails
  } else if (fd_ >= 0) {
    written_ += line.size();
  }
  const bool report = why && !write_failed_;
  if (why) write_failed_ = true;
  if (listener_) listener_(seq, json);
  lock.unlock();
  if (report && on_write_error_) on_write_error_(path_, why);
}

void SessionEvents::add_frame_saved(const FrameEntry& f) {
  add("frame_saved", f.timestamp, [&](JsonBuilder* b) {
    json_member(b, "id", f.id);
    json_member(b, "path", f.path);
    json_member(b, "text_path", f.text_path);
    json_member(b, "reason", f.reason);
    json_member(b, "score", f.score);
    json_ocr_member(b, f);
  });
}

void SessionEvents::add_segment_closed(const SegmentEntry& seg) {
  add("segment_closed", seg.end, [&](JsonBuilder* b) {
    json_member(b, "name", seg.name);
    json_member(b, "path", seg.path);
    json_member(b, "start", seg.start);
    json_member(b, "end", seg.end);
  });
}

void SessionEvents::add_transcript(const ChunkTranscript& t) {
  if (t.status != "done") {
    add("transcript_failed", t.chunk.end, [&](JsonBuilder* b) {
      json_member(b, "chunk", t.chunk.name);
      json_member(b, "path", t.json_path);
      json_member(b, "error", t.error);
      json_member(b, "attempts", gint64(t.attempts));
    });
    return;
  }
  for (const TranscriptSegment& seg : t.segments) {
    add("transcript_segment", seg.start, [&](JsonBuilder* b) {
      json_member(b, "chunk", t.chunk.name);
      json_member(b, "start", seg.start);
      json_member(b, "end", seg.end);
      json_member(b, "text", seg.text);
    });
  }
}

namespace {

gboolean add_field(GQuark field, const GValue* value, gpointer data) {
  auto* b = static_cast<JsonBuilder*>(data);
  const char* name = g_quark_to_string(field);
  for (const char* reserved : {"seq", "type", "time", "wall"}) {
    if (g_strcmp0(name, reserved) == 0) return TRUE;
  }
  switch (G_VALUE_TYPE(value)) {
    case G_TYPE_STRING: json_member(b, name, std::string(GST_STR_NULL(g_value_get_string(value)))); break;
    case G_TYPE_BOOLEAN: json_member(b, name, bool(g_value_get_boolean(value))); break;
    case G_TYPE_INT: json_member(b, name, gint64(g_value_get_int(value))); break;
    case G_TYPE_UINT: json_member(b, name, gint64(g_value_get_uint(value))); break;
    case G_TYPE_INT64: json_member(b, name, gint64(g_value_get_int64(value))); break;
    case G_TYPE_UINT64: json_member(b, name, gint64(g_value_get_uint64(value))); break;
    case G_TYPE_DOUBLE: json_member(b, name, g_value_get_double(value)); break;
    case G_TYPE_FLOAT: json_member(b, name, double(g_value_get_float(value))); break;
    default: {
      g_autofree gchar* text = gst_value_serialize(value);
      json_member(b, name, std::string(GST_STR_NULL(text)));
      break;
    }
  }
  return TRUE;
}

}  // namespace

void SessionEvents::add_structure(const char* type, double time, const GstStructure* fields) {
  add(type, time, [fields](JsonBuilder* b) {
    if (fields) gst_structure_foreach(fields, add_field, b);
  });
}

}  // namespace gstascii
