// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstsessionevents.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include <algorithm>
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

}  // namespace gstascii
