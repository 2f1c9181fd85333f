// gst-ascii core: the recorder's session clock. A sender may disconnect and come back; each
// connection's timestamps start wherever its encoder likes, yet the session is one timeline, in
// seconds since its first picture, that segments, scene frames and sound all speak.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <mutex>

namespace gstascii {

class SessionClock {
 public:
  // Times are nanoseconds; kNone is "no timestamp" (GStreamer's GST_CLOCK_TIME_NONE).
  static constexpr std::uint64_t kNone = ~std::uint64_t(0);
  // How far after what was recorded a connection that returns at once is placed.
  static constexpr std::uint64_t kReconnectGap = 100'000'000;

  // Session time 0 is carried as |base| (a decode timestamp may lie before its picture's
  // presentation, before session time 0, and running time cannot be negative).
  explicit SessionClock(std::uint64_t base) : base_(base) {}

  // A sender connected: its first timestamp starts its part of the timeline.
  void new_connection();

  struct Stamp {
    std::uint64_t pts = kNone, dts = kNone;
  };
  // A picture or sound of the current connection, arriving at |now_us| (monotonic µs), onto the
  // session's timeline. The first connection starts at session time 0; a later one at the wall
  // time it arrives (the pause shows on the timeline), never before what was already recorded.
  // Thread-safe: pictures and sound arrive on two threads.
  Stamp map(std::uint64_t pts, std::uint64_t dts, std::int64_t now_us);

  unsigned connections() const;
  // Session seconds of a mapped time (negative before the first picture); 0 for kNone.
  double seconds(std::uint64_t t) const;

 private:
  const std::uint64_t base_;
  mutable std::mutex mutex_;
  std::int64_t session_start_us_ = -1;  // arrival of the session's first timestamp
  unsigned connections_ = 0;
  std::uint64_t connection_offset_ = 0;     // session time (as |base_| + t) of the connection's first timestamp
  std::uint64_t connection_first_ = kNone;  // that timestamp, as the sender stamped it
  std::uint64_t last_out_ = kNone;          // the latest mapped presentation time
};

}  // namespace gstascii
