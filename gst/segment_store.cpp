// SPDX-License-Identifier: LGPL-2.1-or-later
#include "segment_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gstascii {

namespace {

void put_u32be(std::vector<std::uint8_t>& out, std::uint32_t v) {
  const std::uint8_t b[4] = {std::uint8_t(v >> 24), std::uint8_t(v >> 16), std::uint8_t(v >> 8), std::uint8_t(v)};
  out.insert(out.end(), b, b + 4);
}

bool make_dir(const std::string& path, std::string* error) {
  if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return true;
  *error = "cannot create folder " + path + ": " + std::strerror(errno);
  return false;
}

}  // namespace

std::vector<std::uint8_t> packed_audio_timestamp(std::int64_t time_ns) {
  static const char kOwner[] = "com.apple.streaming.transportStreamTimestamp";
  const std::uint64_t ts =
      std::uint64_t(std::max<std::int64_t>(time_ns, 0)) * 9 / 100000 & ((std::uint64_t(1) << 33) - 1);
  const std::uint32_t frame_size = sizeof kOwner + 8;  // owner with its NUL, then the timestamp
  const std::uint32_t tag_size = 10 + frame_size;
  std::vector<std::uint8_t> out = {'I', 'D', '3', 4, 0, 0};
  for (int shift : {21, 14, 7, 0}) out.push_back(std::uint8_t((tag_size >> shift) & 0x7F));  // syncsafe
  out.insert(out.end(), {'P', 'R', 'I', 'V'});
  for (int shift : {21, 14, 7, 0}) out.push_back(std::uint8_t((frame_size >> shift) & 0x7F));
  out.insert(out.end(), {0, 0});
  out.insert(out.end(), kOwner, kOwner + sizeof kOwner);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(std::uint8_t(ts >> shift));
  return out;
}

SegmentStore::SegmentStore(SegmentStoreConfig config, std::vector<TrackInfo> tracks) : config_(std::move(config)) {
  for (TrackInfo& info : tracks) {
    Track t;
    t.info = std::move(info);
    if (primary_ < 0 && t.info.kind == TrackKind::kPicture) primary_ = int(tracks_.size());
    tracks_.push_back(std::move(t));
  }
  if (primary_ < 0 && !tracks_.empty()) primary_ = 0;  // sound alone cuts on its own time
  if (!config_.directory.empty()) {
    bool ok = make_dir(config_.directory, &error_);
    for (const Track& t : tracks_) ok = ok && make_dir(config_.directory + "/" + t.info.name, &error_);
    if (!ok) tracks_.clear();
  }
}

int SegmentStore::find_track(const std::string& name) const {
  for (int i = 0; i < int(tracks_.size()); i++) {
    if (tracks_[i].info.name == name) return i;
  }
  return -1;
}

std::string SegmentStore::segment_path(int track, std::uint64_t sequence) const {
  char name[32];
  std::snprintf(name, sizeof name, "/%08llu.%s", static_cast<unsigned long long>(sequence),
                tracks_[track].info.kind == TrackKind::kPicture ? "asl" : "aac");
  return tracks_[track].info.name + name;
}

void SegmentStore::set_init(int track, const std::vector<std::uint8_t>& init) {
  Track& t = tracks_[track];
  if (t.init == init) return;
  t.init_changed = !t.init.empty() || t.open.has_value();
  t.init = init;
}

// The segment a message of a following track at |time_ns| belongs to: the last cut at or before
// it (the first segment for anything before the first cut).
std::uint64_t SegmentStore::sequence_for(std::int64_t time_ns) const {
  const auto after = std::upper_bound(cuts_.begin(), cuts_.end(), time_ns);
  const std::size_t index = after == cuts_.begin() ? 0 : std::size_t(after - cuts_.begin()) - 1;
  return first_cut_ + index;
}

void SegmentStore::start_segment(int track, std::uint64_t sequence, std::int64_t start_ns, std::int64_t wall_us) {
  Track& t = tracks_[track];
  t.open.emplace();
  Open& o = *t.open;
  o.sequence = sequence;
  o.start_ns = o.end_ns = start_ns;
  o.wall_start_us = wall_us;
  if (t.info.kind == TrackKind::kPicture) {
    put_u32be(o.data, std::uint32_t(t.init.size()));
    o.data.insert(o.data.end(), t.init.begin(), t.init.end());
  } else {
    o.data = packed_audio_timestamp(start_ns);
  }
  t.init_changed = false;
}

void SegmentStore::append(int track, std::int64_t time_ns, std::int64_t duration_ns, const std::uint8_t* data,
                          std::size_t size, bool sync) {
  Open& o = *tracks_[track].open;
  if (tracks_[track].info.kind == TrackKind::kPicture) {
    put_u32be(o.data, std::uint32_t(size));
    o.frames.push_back(Segment::Frame{time_ns, std::uint32_t(o.data.size()), sync});
  }
  o.data.insert(o.data.end(), data, data + size);
  o.end_ns = std::max(o.end_ns, time_ns + std::max<std::int64_t>(duration_ns, 0));
}

// Lists the open segment of |track|, ending at |end_ns|.
bool SegmentStore::close_segment(int track, std::int64_t end_ns) {
  Track& t = tracks_[track];
  if (!t.open) return true;
  Open& o = *t.open;
  Segment s;
  s.sequence = o.sequence;
  s.start_ns = o.start_ns;
  s.duration_ns = std::max<std::int64_t>(end_ns - o.start_ns, 0);
  s.wall_start_us = o.wall_start_us;
  s.bytes = o.data.size();
  s.frames = std::move(o.frames);
  bool ok = true;
  if (!config_.directory.empty()) {
    ok = write_file_atomically(config_.directory + "/" + segment_path(track, s.sequence), o.data.data(), o.data.size(),
                               &error_);
  }
  if (config_.directory.empty() || !ok) {
    s.data = std::make_shared<const std::vector<std::uint8_t>>(std::move(o.data));
    memory_bytes_ += s.bytes;
  }
  // In time order: a run that fills a span a move skipped lists its segments before later ones.
  const auto at = std::upper_bound(t.done.begin(), t.done.end(), s.start_ns,
                                   [](std::int64_t start, const Segment& d) { return start < d.start_ns; });
  t.done.insert(at, std::move(s));
  t.open.reset();
  trim();
  return ok;
}

bool SegmentStore::push(int track, std::int64_t time_ns, std::int64_t duration_ns, const std::uint8_t* data,
                        std::size_t size, bool sync, std::int64_t wall_us) {
  if (track < 0 || track >= int(tracks_.size()) || finished_) return false;
  Track& t = tracks_[track];
  // The first picture after a move: how far before the time sought the source's keyframe was.
  if (track == primary_ && moved_ && !run_seen_ && moving_to_) {
    run_seen_ = true;
    keyframe_gap_ns_ = std::max(keyframe_gap_ns_, moving_to_->start_ns - time_ns);
  }
  // After a move: what is stored already is not stored again, and a run that reaches the next
  // stored one stops there.
  if (moved_ && (stored_at(time_ns) || time_ns >= run_limit_ns_)) return true;
  if (track != primary_) {
    // A following track: placed once the first picture track has passed its time.
    t.pending.push_back(
        Track::Pending{time_ns, duration_ns, wall_us, std::vector<std::uint8_t>(data, data + size), sync});
    return place_pending(std::max(primary_time_, time_ns - config_.max_pending_ns), false);
  }
  bool ok = true;
  if (!t.open) {
    if (!sync) return true;  // a viewer could not start here: wait for a sync frame
    if (!run_) {
      // The run's first picture: it may go up to the next stored run.
      run_ = TimeSpan{time_ns, time_ns};
      const auto next = std::upper_bound(stored_.begin(), stored_.end(), time_ns,
                                         [](std::int64_t t, const TimeSpan& r) { return t < r.start_ns; });
      run_limit_ns_ = next == stored_.end() ? kToTheEnd : next->start_ns;
    }
    cuts_.push_back(time_ns);
    start_segment(track, first_cut_ + cuts_.size() - 1, time_ns, wall_us);
  } else if (sync && (t.init_changed || time_ns - t.open->start_ns >= config_.target_duration_ns)) {
    ok = close_segment(track, time_ns);
    cuts_.push_back(time_ns);
    start_segment(track, first_cut_ + cuts_.size() - 1, time_ns, wall_us);
  }
  append(track, time_ns, duration_ns, data, size, sync);
  run_->end_ns = std::max(run_->end_ns, time_ns + std::max<std::int64_t>(duration_ns, 0));
  primary_time_ = std::max(primary_time_, time_ns);
  return place_pending(primary_time_, false) && ok;
}

// Places the waiting messages of following tracks that are before |before_ns| (all of them when
// |all|).
bool SegmentStore::place_pending(std::int64_t before_ns, bool all) {
  bool ok = true;
  for (int i = 0; i < int(tracks_.size()); i++) {
    auto& pending = tracks_[i].pending;
    while (!pending.empty() && (all || pending.front().time_ns < before_ns)) {
      ok = place(i, pending.front()) && ok;
      pending.pop_front();
    }
  }
  return ok;
}

bool SegmentStore::place(int track, const Track::Pending& m) {
  Track& t = tracks_[track];
  const std::uint64_t sequence = sequence_for(m.time_ns);
  bool ok = true;
  // A picture track that follows cuts only at a sync frame (its keyframes come at the same times
  // as the first one's); sound cuts at any frame.
  const bool can_start = t.info.kind == TrackKind::kSound || m.sync;
  if (t.open && sequence > t.open->sequence && can_start) ok = close_segment(track, m.time_ns);
  if (!t.open) {
    if (!can_start) return ok;
    start_segment(track, sequence, m.time_ns, m.wall_us);
  }
  append(track, m.time_ns, m.duration_ns, m.bytes.data(), m.bytes.size(), m.sync);
  return ok;
}

// Lists what the current run has (the messages still waiting for a cut included) and adds its
// span to the stored ones. A run that |ended| with nothing gives up the span it was sent to.
bool SegmentStore::close_run(bool ended) {
  bool ok = place_pending(0, true);
  for (int i = 0; i < int(tracks_.size()); i++) {
    if (tracks_[i].open) ok = close_segment(i, tracks_[i].open->end_ns) && ok;
  }
  std::optional<TimeSpan> span = run_;
  // The first run starts the stream (a file whose first picture is a little after 0 misses nothing).
  if (span && !moved_) span->start_ns = std::min<std::int64_t>(span->start_ns, 0);
  if (!span && ended && moved_ && moving_to_) {
    span = moving_to_;  // the run sent there brought nothing: given up
    moving_to_.reset();
  }
  if (span) {
    if (span->end_ns >= run_limit_ns_ - kRunJoinNs) span->end_ns = run_limit_ns_;
    stored_.push_back(*span);
    std::sort(stored_.begin(), stored_.end(),
              [](const TimeSpan& a, const TimeSpan& b) { return a.start_ns < b.start_ns; });
    std::vector<TimeSpan> joined;
    for (const TimeSpan& r : stored_) {
      if (!joined.empty() && r.start_ns <= joined.back().end_ns + kRunJoinNs) {
        joined.back().end_ns = std::max(joined.back().end_ns, r.end_ns);
      } else {
        joined.push_back(r);
      }
    }
    stored_ = std::move(joined);
  }
  run_.reset();
  run_limit_ns_ = kToTheEnd;
  // The next run cuts on its own: its segments take the next sequence numbers.
  first_cut_ += cuts_.size();
  cuts_.clear();
  primary_time_ = -1;
  return ok;
}

bool SegmentStore::begin_run() {
  if (finished_) return true;
  const bool ok = close_run(false);
  moved_ = true;
  run_going_ = true;
  run_seen_ = false;
  return ok;
}

bool SegmentStore::end_run(bool* finished) {
  *finished = finished_;
  if (finished_) return true;
  // Ended short of the next stored run (pictures missing from the file): that span is given up.
  const bool reached_end = run_ && run_limit_ns_ == kToTheEnd;
  if (run_ && run_limit_ns_ != kToTheEnd) run_->end_ns = run_limit_ns_;
  if (reached_end) end_ns_ = run_->end_ns;
  run_going_ = false;
  bool ok = close_run(true);
  if (!moved_ || !config_.fill_gaps || missing().empty()) {
    ok = finish() && ok;
    *finished = true;
  }
  return ok;
}

// Spans of the stream not stored and not being encoded: between stored runs, and after the last
// one up to the stream's end (to the end, while that is not known).
std::vector<TimeSpan> SegmentStore::missing() const {
  std::vector<TimeSpan> out;
  std::int64_t at = 0;
  auto through = [&](const TimeSpan& r) {
    if (r.start_ns > at + kRunJoinNs) out.push_back(TimeSpan{at, r.start_ns});
    at = std::max(at, r.end_ns);
  };
  std::vector<TimeSpan> spans = stored_;
  if (run_ && run_going_) {
    // The run being encoded covers what it will reach.
    spans.push_back(TimeSpan{run_->start_ns, run_limit_ns_});
    std::sort(spans.begin(), spans.end(), [](const TimeSpan& a, const TimeSpan& b) { return a.start_ns < b.start_ns; });
  }
  for (const TimeSpan& r : spans) through(r);
  if (at != kToTheEnd && (end_ns_ < 0 || end_ns_ > at + kRunJoinNs))
    out.push_back(TimeSpan{at, end_ns_ < 0 ? kToTheEnd : end_ns_});
  return out;
}

bool SegmentStore::stored_at(std::int64_t time_ns) const {
  const auto after = std::upper_bound(stored_.begin(), stored_.end(), time_ns,
                                      [](std::int64_t t, const TimeSpan& r) { return t < r.start_ns; });
  return after != stored_.begin() && time_ns < (after - 1)->end_ns;
}

std::int64_t SegmentStore::stored_until(std::int64_t time_ns) const {
  if (!moved_) return -1;
  const auto after = std::upper_bound(stored_.begin(), stored_.end(), time_ns,
                                      [](std::int64_t t, const TimeSpan& r) { return t < r.start_ns; });
  return after != stored_.begin() && time_ns < (after - 1)->end_ns ? (after - 1)->end_ns : -1;
}

std::optional<TimeSpan> SegmentStore::move_for(std::int64_t wanted_ns, std::int64_t ahead_ns) {
  if (finished_ || !config_.fill_gaps) return std::nullopt;
  std::optional<TimeSpan> move;
  if (wanted_ns >= 0 && !stored_at(wanted_ns) && (end_ns_ < 0 || wanted_ns < end_ns_)) {
    // From the time wanted up to the next stored run (or the end).
    const auto next = std::upper_bound(stored_.begin(), stored_.end(), wanted_ns,
                                       [](std::int64_t t, const TimeSpan& r) { return t < r.start_ns; });
    move = TimeSpan{wanted_ns, next != stored_.end() ? next->start_ns : end_ns_ >= 0 ? end_ns_ : kToTheEnd};
    // Ahead of the run being encoded, but near: the encoder gets there soon enough as it is. Near
    // is farther for a source with keyframes far apart: a move there would start at the keyframe
    // before it, which may be behind the run.
    ahead_ns = std::max(ahead_ns, keyframe_gap_ns_ * 3 / 2);
    // (A run that starts a hair after the time wanted, times rounded to frames, covers it.)
    const bool near = run_going_ && (run_ ? wanted_ns + kRunJoinNs >= run_->start_ns && wanted_ns < run_limit_ns_ &&
                                                wanted_ns <= run_->end_ns + ahead_ns
                                          : !moved_ && wanted_ns <= ahead_ns);
    if (near) move.reset();
  }
  if (!move && !run_going_) {
    const std::vector<TimeSpan> gaps = missing();
    if (!gaps.empty()) move = gaps.front();
  }
  if (move) moving_to_ = move;
  return move;
}

bool SegmentStore::awaits(std::int64_t from_ns, std::int64_t to_ns) const {
  if (!moved_ || !config_.fill_gaps || finished_) return false;
  if (run_ && run_going_ && to_ns > run_->start_ns && from_ns < run_limit_ns_) return true;
  for (const TimeSpan& g : missing()) {
    if (to_ns > g.start_ns && from_ns < g.end_ns) return true;
  }
  return false;
}

std::size_t SegmentStore::listable(int track) const {
  const auto& done = tracks_[track].done;
  if (!moved_ || finished_) return done.size();
  std::size_t n = 0;
  for (; n < done.size(); n++) {
    if (n > 0) {
      const std::int64_t end = done[n - 1].start_ns + done[n - 1].duration_ns;
      if (done[n].start_ns > end + kRunJoinNs && awaits(end, done[n].start_ns)) break;
    }
  }
  return n;
}

bool SegmentStore::finish() {
  if (finished_) return true;
  bool ok = place_pending(0, true);
  for (int i = 0; i < int(tracks_.size()); i++) {
    if (tracks_[i].open) ok = close_segment(i, tracks_[i].open->end_ns) && ok;
  }
  finished_ = true;
  return ok;
}

// Drops what the window and the memory bound do not keep, oldest first.
void SegmentStore::trim() {
  auto drop_front = [&](Track& t) {
    Segment& s = t.done.front();
    if (s.data) memory_bytes_ -= s.bytes;
    if (!config_.directory.empty())
      unlink((config_.directory + "/" + segment_path(int(&t - tracks_.data()), s.sequence)).c_str());
    t.done.pop_front();
  };
  if (config_.window_ns > 0) {
    std::int64_t newest_end = INT64_MIN;
    for (const Track& t : tracks_) {
      if (!t.done.empty()) newest_end = std::max(newest_end, t.done.back().start_ns + t.done.back().duration_ns);
    }
    for (Track& t : tracks_) {
      while (t.done.size() > 1 &&
             t.done.front().start_ns + t.done.front().duration_ns < newest_end - config_.window_ns) {
        drop_front(t);
      }
    }
  }
  while (config_.max_bytes > 0 && memory_bytes_ > config_.max_bytes) {
    // The oldest sequence still held in memory goes from every track.
    std::uint64_t oldest = UINT64_MAX;
    for (const Track& t : tracks_) {
      if (t.done.size() > 1 || (!t.done.empty() && t.open)) oldest = std::min(oldest, t.done.front().sequence);
    }
    if (oldest == UINT64_MAX) break;
    for (Track& t : tracks_) {
      while (!t.done.empty() && t.done.front().sequence <= oldest) drop_front(t);
    }
  }
  // Cuts older than every track's open segment are no longer needed.
  std::uint64_t needed = first_cut_ + cuts_.size();
  for (const Track& t : tracks_) {
    if (t.open) needed = std::min(needed, t.open->sequence);
    if (!t.pending.empty()) needed = std::min(needed, sequence_for(t.pending.front().time_ns));
  }
  while (cuts_.size() > 1 && first_cut_ < needed) {
    cuts_.pop_front();
    first_cut_++;
  }
}

std::uint64_t SegmentStore::open_sequence(int track) const {
  const Track& t = tracks_[track];
  if (t.open) return t.open->sequence;
  if (!t.done.empty()) return t.done.back().sequence + 1;
  // Nothing yet: the primary's next cut starts a new segment; a following track starts in the
  // primary's newest one.
  if (track != primary_ && !cuts_.empty()) return first_cut_ + cuts_.size() - 1;
  return first_cut_ + cuts_.size();
}

bool SegmentStore::open_bytes(int track, std::uint64_t sequence, std::size_t from,
                              std::vector<std::uint8_t>* out) const {
  const Track& t = tracks_[track];
  if (!t.open || t.open->sequence != sequence) return false;
  const std::vector<std::uint8_t>& data = t.open->data;
  if (from < data.size()) out->insert(out->end(), data.begin() + std::ptrdiff_t(from), data.end());
  return true;
}

const Segment* SegmentStore::find(int track, std::int64_t time_ns) const {
  const auto& done = tracks_[track].done;
  if (done.empty()) return nullptr;
  const auto after = std::upper_bound(done.begin(), done.end(), time_ns,
                                      [](std::int64_t t, const Segment& s) { return t < s.start_ns; });
  if (after == done.begin()) return &done.front();
  const Segment& s = *(after - 1);
  if (time_ns < s.start_ns + s.duration_ns || after == done.end()) return &s;
  return &*after;
}

const Segment* SegmentStore::by_sequence(int track, std::uint64_t sequence) const {
  const auto& done = tracks_[track].done;
  if (done.empty() || sequence < done.front().sequence) return nullptr;
  // Sequences of one track are consecutive except where a track started late or was trimmed.
  if (moved_) {
    // Runs list segments in time order, not in the order they were made.
    const auto at = std::find_if(done.begin(), done.end(), [&](const Segment& s) { return s.sequence == sequence; });
    return at != done.end() ? &*at : nullptr;
  }
  const auto at = std::lower_bound(done.begin(), done.end(), sequence,
                                   [](const Segment& s, std::uint64_t q) { return s.sequence < q; });
  return at != done.end() && at->sequence == sequence ? &*at : nullptr;
}

std::shared_ptr<const std::vector<std::uint8_t>> SegmentStore::read(int track, const Segment& segment) const {
  if (segment.data) return segment.data;
  return read_whole_file(config_.directory + "/" + segment_path(track, segment.sequence), segment.bytes);
}

std::shared_ptr<const std::vector<std::uint8_t>> read_whole_file(const std::string& path, std::size_t size) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return nullptr;
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(size);
  // Exactly |size| bytes, and nothing after them.
  const bool whole = std::fread(bytes->data(), 1, size, f) == size && std::fgetc(f) == EOF;
  std::fclose(f);
  return whole ? bytes : nullptr;
}

bool write_file_atomically(const std::string& path, const std::uint8_t* data, std::size_t size, std::string* error) {
  const std::string tmp = path + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0;
  for (std::size_t at = 0; ok && at < size;) {
    const ssize_t n = ::write(fd, data + at, size - at);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) at += std::size_t(n);
  }
  const int saved = ok ? 0 : (errno ? errno : EIO);
  if (fd >= 0 && close(fd) != 0 && ok) ok = false;
  if (ok && rename(tmp.c_str(), path.c_str()) == 0) return true;
  *error = "cannot write " + path + ": " + std::strerror(saved ? saved : errno);
  unlink(tmp.c_str());
  return false;
}

}  // namespace gstascii
