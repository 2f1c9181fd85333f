// One viewer's or listener's own playback of the stream an asciihlssink stores: a cursor in one
// track, and a clock that the viewer pauses, resumes and moves. What websocketsink (the picture)
// and adtsmux-out (the sound) use for those who seek or pause, while the one encode goes on
// filling the store. Also the registry through which they find the store on their server.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>

#include <memory>
#include <string>
#include <vector>

#include "gstasciihlsroute.h"
#include "store_cursor.h"

namespace gstascii {

class HttpServer;

// The store an asciihlssink serves at |path| of |server| while it runs; null when none does.
// Any thread.
std::shared_ptr<SharedSegmentStore> find_shared_store(const HttpServer* server, const std::string& path);
// asciihlssink's side: |shared| is the store at |path| of |server| (until it is released: the
// registry holds it weakly).
void publish_shared_store(const HttpServer* server, const std::string& path,
                          const std::shared_ptr<SharedSegmentStore>& shared);

class StoreReader {
 public:
  // Reads the track named |track| ("cells", "symbols", "audio"); null when the store has none.
  static std::unique_ptr<StoreReader> open(std::shared_ptr<SharedSegmentStore> shared, const std::string& track);

  // Moves to |time_ns| (clamped to what is kept) at monotonic time |now_us|. Returns the time
  // playback goes on from: that of the frame shown at |time_ns| (the last one at or before it), or
  // -1 when that is not stored yet (a file being encoded, a live stream's segment being written):
  // the viewer then waits for it. The next take() starts with the INIT, its start field set to
  // that time, and that frame as a sync frame (the segment's sync frame and the frames up to it,
  // decoded and encoded again as one keyframe), so the viewer's timeline starts exactly there.
  gint64 seek(gint64 time_ns, gint64 now_us);
  void pause(bool paused, gint64 now_us);
  // The viewer's clock reads |time_ns| at |now_us| (its own report of where it plays), without
  // moving the cursor: pacing follows the viewer, not the server's guess.
  void set_clock(gint64 time_ns, gint64 now_us);
  // ASCILINE's handshake: at most |frames| more frames, whatever the clock, then nothing until
  // release() says where the viewer's clock stands (once its sound plays).
  void hold(int frames);
  void release(gint64 time_ns, gint64 now_us);
  bool holding() const { return holding_; }
  bool paused() const { return paused_; }
  // The stream time the viewer's clock shows at |now_us|.
  gint64 clock_ns(gint64 now_us) const;

  // The messages due by the clock plus |lead_ns|, at most |max| of them (a paused reader gets
  // those up to where it stands).
  std::vector<StoredMessage> take(gint64 now_us, gint64 lead_ns, std::size_t max);
  // The store is finished and this reader has had all of it.
  bool ended() const;
  bool live() const { return shared_->kind == HlsKind::kLive; }
  // A live stream's window: the times a seek may reach, from the oldest kept segment to the
  // segment being written. False for a file, or before anything is listed.
  bool live_window(gint64* from_ns, gint64* to_ns) const;

 private:
  StoreReader(std::shared_ptr<SharedSegmentStore> shared, int track) : shared_(std::move(shared)), cursor_(track) {}
  std::vector<StoredMessage> compose_start(std::vector<StoredMessage> burst) const;
  void anchor(const SegmentStore& store);
  gint64 live_edge(const SegmentStore& store) const;

  std::shared_ptr<SharedSegmentStore> shared_;
  StoreCursor cursor_;
  bool paused_ = false;
  bool waiting_ = false;              // sought before anything was stored: the clock starts with the first segment
  bool compose_ = false;              // the next take() starts the viewer's timeline at origin_ns_ (compose_start)
  bool holding_ = false;              // hold(): the clock waits for release()
  int preroll_left_ = 0;              // frames still to send while holding
  std::uint64_t skips_followed_ = 0;  // the cursor's segments_skipped() the clock has moved for
  gint64 origin_ns_ = 0;              // the clock read origin_ns_ at origin_us_
  gint64 origin_us_ = 0;
};

}  // namespace gstascii
