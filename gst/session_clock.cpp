// SPDX-License-Identifier: LGPL-2.1-or-later
#include "session_clock.h"

namespace gstascii {

void SessionClock::new_connection() {
  std::lock_guard<std::mutex> lock(mutex_);
  connections_++;
  connection_first_ = kNone;
}

unsigned SessionClock::connections() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return connections_;
}

double SessionClock::seconds(std::uint64_t t) const {
  return t == kNone ? 0.0 : (double(t) - double(base_)) / 1e9;
}

SessionClock::Stamp SessionClock::map(std::uint64_t pts, std::uint64_t dts, std::int64_t now_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (session_start_us_ < 0) session_start_us_ = now_us;
  if (connection_first_ == kNone && pts != kNone) {
    connection_first_ = pts;
    std::uint64_t arrival = base_ + std::uint64_t(now_us - session_start_us_) * 1000;
    if (last_out_ != kNone && arrival <= last_out_ + kReconnectGap) arrival = last_out_ + kReconnectGap;
    connection_offset_ = connections_ <= 1 ? base_ : arrival;
  }
  auto map_time = [&](std::uint64_t t) -> std::uint64_t {
    if (t == kNone || connection_first_ == kNone) return kNone;
    const std::int64_t shifted = std::int64_t(connection_offset_) + (std::int64_t(t) - std::int64_t(connection_first_));
    return shifted >= 0 ? std::uint64_t(shifted) : 0;
  };
  Stamp out{map_time(pts), map_time(dts)};
  if (out.pts != kNone && (last_out_ == kNone || out.pts > last_out_)) last_out_ = out.pts;
  return out;
}

}  // namespace gstascii
