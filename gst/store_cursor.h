// gst-ascii core: one reader's own place in a SegmentStore, for a viewer who pauses and seeks on
// their own while one encode fills the store. A picture cursor gives a track's messages from a
// time on: the INIT and the sync frame of the segment that holds that time, the frames after it,
// then the next segments' frames (their INIT only where it changes), each once the reader's clock
// allows. A sound cursor gives the ADTS frames from a time on.
//
// Plain C++, no GStreamer types, not thread-safe: the store's owner locks around each call. A
// cursor holds the bytes of the segment it reads, so the store may drop or trim it meanwhile; a
// reader left behind by a window that slid past it moves to the oldest segment kept.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "segment_store.h"

namespace gstascii {

// A span of bytes inside a segment, and the stream time it starts at.
struct StoredMessage {
  std::shared_ptr<const std::vector<std::uint8_t>> segment;
  std::size_t offset = 0;
  std::size_t size = 0;
  std::int64_t time_ns = 0;  // a frame's time; an INIT has the time of the frame after it
  bool init = false;

  const std::uint8_t* data() const { return segment->data() + offset; }
};

class StoreCursor {
 public:
  // |track| of the store this cursor reads (picture or sound, as the store says).
  explicit StoreCursor(int track) : track_(track) {}

  int track() const { return track_; }

  // Moves to |time_ns|: reading starts at the segment that holds it (for pictures, its INIT and
  // sync frame, and the frames up to |time_ns|, which are due at once; for sound, the first ADTS
  // frame that ends after |time_ns|). Returns false when that is not listed yet: the cursor then
  // starts there once it is (the first segment listed, for a time before every one).
  bool seek(const SegmentStore& store, std::int64_t time_ns);

  // The next message whose time is at or before |until_ns|, or nothing when the next one is later
  // or not listed yet (ended() tells when there will be no more).
  std::optional<StoredMessage> next(const SegmentStore& store, std::int64_t until_ns);

  // The store is finished and every segment it lists has been read.
  bool ended(const SegmentStore& store) const;
  // Whether next() has a segment to read from: one is open, or the time sought is listed (or the
  // store is finished). False while it waits for the time sought to be stored.
  bool available(const SegmentStore& store) const;
  // The time this cursor waits for, when it waits for the store (the time sought is not stored,
  // or it has read all it can of what is listed): where the encoder should be. -1 otherwise.
  std::int64_t awaited(const SegmentStore& store) const;
  // Where the cursor stands: the time of the next message, or of the last one given when none is
  // listed yet; -1 before anything is listed.
  std::int64_t position_ns() const { return position_ns_; }
  // Segments the store dropped before this cursor read them (a live window that slid past a
  // paused reader): the cursor skipped to the oldest kept.
  std::uint64_t segments_skipped() const { return skipped_; }

 private:
  bool open(const SegmentStore& store, const Segment& segment);
  const Segment* holding(const SegmentStore& store) const;
  bool open_next(const SegmentStore& store);
  std::optional<StoredMessage> next_picture(std::int64_t until_ns);
  std::optional<StoredMessage> next_sound(std::int64_t until_ns);

  const int track_;
  bool started_ = false;  // a segment has been opened since the last seek
  std::uint64_t sequence_ = 0;
  std::int64_t segment_start_ns_ = 0;
  std::int64_t segment_end_ns_ = 0;
  std::shared_ptr<const std::vector<std::uint8_t>> bytes_;  // the open segment
  std::vector<Segment::Frame> frames_;
  std::size_t next_frame_ = 0;  // pictures: the index into frames_; sound: the byte offset
  std::int64_t sound_time_ns_ = 0;
  std::int64_t seek_to_ns_ = -1;  // sound: frames ending before this are skipped
  bool init_due_ = false;         // pictures: the segment's INIT goes first
  std::vector<std::uint8_t> last_init_;
  std::int64_t position_ns_ = -1;
  std::uint64_t skipped_ = 0;
};

}  // namespace gstascii
