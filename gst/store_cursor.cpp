// SPDX-License-Identifier: LGPL-2.1-or-later
#include "store_cursor.h"

#include <algorithm>

#include "adts.h"

namespace gstascii {

namespace {

std::uint32_t read_u32be(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

// Bytes of the ID3 tag a packed-audio segment starts with (0 when it has none).
std::size_t id3_size(const std::vector<std::uint8_t>& b) {
  if (b.size() < 10 || b[0] != 'I' || b[1] != 'D' || b[2] != '3') return 0;
  const std::size_t body = std::size_t(b[6] & 0x7F) << 21 | std::size_t(b[7] & 0x7F) << 14 |
                           std::size_t(b[8] & 0x7F) << 7 | std::size_t(b[9] & 0x7F);
  return std::min(b.size(), 10 + body);
}

}  // namespace

bool StoreCursor::seek(const SegmentStore& store, std::int64_t time_ns) {
  started_ = false;
  seek_to_ns_ = std::max<std::int64_t>(time_ns, 0);
  last_init_.clear();  // a viewer who seeks starts a new timeline: INIT first
  position_ns_ = -1;
  const Segment* segment = holding(store);
  return segment && open(store, *segment);
}

// The listed segment that holds (or follows) the time sought; none while that time is past every
// listed segment of a store still being written.
const Segment* StoreCursor::holding(const SegmentStore& store) const {
  const std::int64_t at = std::max<std::int64_t>(seek_to_ns_, 0);
  const Segment* segment = store.find(track_, at);
  if (segment && !store.finished() && at >= segment->start_ns + segment->duration_ns) return nullptr;
  // Between runs of a file stored out of order, where the encoder is yet to go.
  if (segment && at < segment->start_ns && store.awaits(at, segment->start_ns)) return nullptr;
  return segment;
}

bool StoreCursor::available(const SegmentStore& store) const {
  return started_ || holding(store) != nullptr;
}

bool StoreCursor::open(const SegmentStore& store, const Segment& segment) {
  auto bytes = store.read(track_, segment);
  sequence_ = segment.sequence;
  segment_start_ns_ = segment.start_ns;
  segment_end_ns_ = segment.start_ns + segment.duration_ns;
  started_ = true;
  if (!bytes) {  // gone from the folder since it was listed: read as empty
    bytes_ = std::make_shared<const std::vector<std::uint8_t>>();
    frames_.clear();
    next_frame_ = 0;
    init_due_ = false;
    return true;
  }
  bytes_ = std::move(bytes);
  if (store.track_info(track_).kind == TrackKind::kPicture) {
    frames_ = segment.frames;
    next_frame_ = 0;
    // The INIT the segment starts with, where it differs from the one the reader has.
    const std::uint32_t size = bytes_->size() >= 4 ? read_u32be(bytes_->data()) : 0;
    init_due_ = size > 0 && 4 + std::size_t(size) <= bytes_->size() &&
                !std::equal(bytes_->begin() + 4, bytes_->begin() + 4 + size, last_init_.begin(), last_init_.end());
  } else {
    frames_.clear();
    next_frame_ = id3_size(*bytes_);
    sound_time_ns_ = segment.start_ns;
  }
  if (position_ns_ < 0) position_ns_ = segment.start_ns;
  return true;
}

bool StoreCursor::open_next(const SegmentStore& store) {
  const auto& done = store.segments(track_);
  // The next segment in time (segments are listed in time order).
  const auto after = std::upper_bound(done.begin(), done.end(), segment_start_ns_,
                                      [](std::int64_t t, const Segment& s) { return t < s.start_ns; });
  if (after == done.end()) return false;
  // A span of a file stored out of order that is still to come: wait for it rather than skip it.
  if (after->start_ns > segment_end_ns_ + kRunJoinNs && store.awaits(segment_end_ns_, after->start_ns)) return false;
  // Sequences of a track skip only where the store dropped segments (a window, the memory bound).
  if (after == done.begin() && after->sequence > sequence_ + 1) skipped_ += after->sequence - sequence_ - 1;
  return open(store, *after);
}

std::optional<StoredMessage> StoreCursor::next_picture(std::int64_t until_ns) {
  const std::int64_t first_time = frames_.empty() ? segment_start_ns_ : frames_.front().time_ns;
  if (init_due_) {
    // Not before its frames are due: a changed INIT starts the viewer's picture afresh.
    if (first_time > until_ns && !last_init_.empty()) return std::nullopt;
    const std::uint32_t size = read_u32be(bytes_->data());
    init_due_ = false;
    last_init_.assign(bytes_->begin() + 4, bytes_->begin() + 4 + size);
    return StoredMessage{bytes_, 4, size, first_time, true};
  }
  if (next_frame_ >= frames_.size()) return std::nullopt;
  const Segment::Frame& f = frames_[next_frame_];
  position_ns_ = f.time_ns;
  if (f.time_ns > until_ns || f.offset < 4 || f.offset > bytes_->size()) {
    if (f.time_ns <= until_ns) next_frame_ = frames_.size();  // a damaged index: skip the segment
    return std::nullopt;
  }
  const std::size_t size = std::min<std::size_t>(read_u32be(bytes_->data() + f.offset - 4), bytes_->size() - f.offset);
  next_frame_++;
  return StoredMessage{bytes_, f.offset, size, f.time_ns, false};
}

// The sound's ADTS frames that are due, as one span (they lie back to back in the segment).
std::optional<StoredMessage> StoreCursor::next_sound(std::int64_t until_ns) {
  const std::vector<std::uint8_t>& b = *bytes_;
  std::size_t begin = next_frame_, end = next_frame_;
  std::int64_t begin_time = sound_time_ns_;
  while (end + adts::kHeaderSize <= b.size()) {
    adts::Header h;
    if (!adts::parse_header(b.data() + end, b.size() - end, &h) || end + h.frame_length > b.size()) {
      next_frame_ = b.size();  // not ADTS from here on: skip the rest of the segment
      break;
    }
    const std::int64_t duration =
        std::int64_t(h.samples()) * kNsPerSecond / std::max(adts::sample_rate_for_index(h.sample_rate_index), 1);
    if (sound_time_ns_ + duration <= seek_to_ns_) {  // before the time sought: skipped
      end += h.frame_length;
      begin = end;
      sound_time_ns_ += duration;
      begin_time = sound_time_ns_;
      next_frame_ = end;
      continue;
    }
    if (sound_time_ns_ > until_ns) break;
    end += h.frame_length;
    sound_time_ns_ += duration;
    next_frame_ = end;
  }
  if (end + adts::kHeaderSize > b.size()) next_frame_ = b.size();  // a stub after the last frame: done
  position_ns_ = sound_time_ns_;
  if (end == begin) return std::nullopt;
  seek_to_ns_ = -1;
  return StoredMessage{bytes_, begin, end - begin, begin_time, false};
}

std::optional<StoredMessage> StoreCursor::next(const SegmentStore& store, std::int64_t until_ns) {
  if (!started_) {
    const Segment* segment = holding(store);
    if (!segment || !open(store, *segment)) return std::nullopt;
  } else if (const auto& done = store.segments(track_); !done.empty() && done.front().start_ns > segment_start_ns_) {
    // The window slid past the segment this reader still holds (it was paused): what is left of
    // it is outside the window too, so on from the oldest segment kept.
    skipped_ += done.front().sequence > sequence_ ? done.front().sequence - sequence_ : 1;
    open(store, done.front());
  }
  const bool picture = store.track_info(track_).kind == TrackKind::kPicture;
  for (;;) {
    auto message = picture ? next_picture(until_ns) : next_sound(until_ns);
    if (message) return message;
    const bool segment_done = picture ? !init_due_ && next_frame_ >= frames_.size() : next_frame_ >= bytes_->size();
    if (!segment_done || !open_next(store)) return std::nullopt;
  }
}

std::int64_t StoreCursor::awaited(const SegmentStore& store) const {
  if (store.finished()) return -1;
  if (!started_) return holding(store) ? -1 : std::max<std::int64_t>(seek_to_ns_, 0);
  const bool picture = store.track_info(track_).kind == TrackKind::kPicture;
  const bool segment_done = picture ? !init_due_ && next_frame_ >= frames_.size() : next_frame_ >= bytes_->size();
  if (!segment_done) return -1;
  const auto& done = store.segments(track_);
  const auto after = std::upper_bound(done.begin(), done.end(), segment_start_ns_,
                                      [](std::int64_t t, const Segment& s) { return t < s.start_ns; });
  const bool next_listed = after != done.end() && (after->start_ns <= segment_end_ns_ + kRunJoinNs ||
                                                   !store.awaits(segment_end_ns_, after->start_ns));
  return next_listed ? -1 : segment_end_ns_;
}

bool StoreCursor::ended(const SegmentStore& store) const {
  if (!store.finished()) return false;
  const auto& done = store.segments(track_);
  if (!started_) return done.empty();
  const bool picture = store.track_info(track_).kind == TrackKind::kPicture;
  const bool segment_done = picture ? !init_due_ && next_frame_ >= frames_.size() : next_frame_ >= bytes_->size();
  return segment_done && (done.empty() || done.back().start_ns <= segment_start_ns_);
}

}  // namespace gstascii
