// gst-ascii core: a store of an encoded stream cut into segments that start at a sync frame and
// last 1-2 s, with an index by time: what viewers seek in, and what HLS playlists list. Plain C++,
// no GStreamer types, not thread-safe (its owner locks).
//
// A store has tracks: picture tracks (ASCILINE messages; a segment is `[u32be length][message]`
// again and again, the track's INIT first, then a sync frame, DELTAs only within the segment) and
// sound tracks (ADTS AAC frames; a segment is an ID3 timestamp tag, then the frames: HLS packed
// audio). The first picture track (or, without one, the first track) decides where segments are cut; the other tracks
// cut at the same times, so segment number N covers the same span in every track (a message of a following track waits
// until the first picture track has passed its time, so a cut that is still to come is not missed). A segment is listed
// when its track moves past its end, or the stream ends.
//
// Kept in memory (up to a bound in bytes, the oldest dropped first) or in a folder, written
// atomically (a temporary file renamed into place, so after kill -9 every listed segment is whole).
// Live streams keep a window of time behind the newest segment; a file keeps everything.
//
// A file may be stored out of order: when its encoder is moved (a seek upstream, for a viewer who
// sought past what is encoded) the store is told (begin_run()), and each run of messages without a
// move is stored beside the others, segments listed in time order. With fill_gaps, the spans a
// move skipped are awaited: readers wait at them, move_for() says where the encoder should go next,
// and the store finishes only once every span of the file is stored.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gstascii {

inline constexpr std::int64_t kNsPerSecond = 1000000000;

enum class TrackKind { kPicture, kSound };

struct SegmentStoreConfig {
  std::int64_t target_duration_ns = kNsPerSecond;  // a segment ends at the first sync frame after this
  std::int64_t window_ns = 0;                      // time kept behind the newest segment; 0 = everything
  std::size_t max_bytes = 0;                       // bytes kept in memory; 0 = no bound
  std::string directory;                           // when set, segments are written here, not kept in memory
  // Messages of a following track wait at most this far ahead of the first picture track for its
  // cuts (a picture that stalls must not hold a live stream's sound forever; a file encoded faster
  // than real time may run its sound far ahead of a slower picture).
  std::int64_t max_pending_ns = 10 * kNsPerSecond;
  // A file whose encoder is moved: the spans skipped are encoded later (see move_for()).
  bool fill_gaps = false;
};

// A span of stream time; |end_ns| is kToTheEnd when it runs to the stream's end.
struct TimeSpan {
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
};
inline constexpr std::int64_t kToTheEnd = INT64_MAX;
// Runs that meet within this much are one: a move's first frame lands within a frame of the time sought.
inline constexpr std::int64_t kRunJoinNs = kNsPerSecond / 4;

// One finished segment of one track.
struct Segment {
  std::uint64_t sequence = 0;
  std::int64_t start_ns = 0;       // stream time of its first message (the cut, for tracks that follow)
  std::int64_t duration_ns = 0;    // to the next segment's start (to its last message's end at the stream's end)
  std::int64_t wall_start_us = 0;  // wall-clock time of its start (µs since 1970), for EXT-X-PROGRAM-DATE-TIME
  std::size_t bytes = 0;
  std::shared_ptr<const std::vector<std::uint8_t>> data;  // null when it lives only in the folder
  // Picture tracks: where each frame message starts in |data| (after its length), and its time.
  struct Frame {
    std::int64_t time_ns;
    std::uint32_t offset;
    bool sync;
  };
  std::vector<Frame> frames;
};

struct TrackInfo {
  std::string name;  // "cells", "symbols", "audio": the playlist and folder name
  TrackKind kind;
};

class SegmentStore {
 public:
  // Fails (an empty store with error() set) when the folder cannot be made.
  SegmentStore(SegmentStoreConfig config, std::vector<TrackInfo> tracks);

  const std::string& error() const { return error_; }
  const SegmentStoreConfig& config() const { return config_; }
  int track_count() const { return int(tracks_.size()); }
  const TrackInfo& track_info(int track) const { return tracks_[track].info; }
  int find_track(const std::string& name) const;

  // The INIT message each picture segment of |track| starts with from now on. A changed INIT ends
  // the open segment at the next sync frame, however short.
  void set_init(int track, const std::vector<std::uint8_t>& init);
  // Appends one message (a frame, or an ADTS frame) at stream time |time_ns| lasting
  // |duration_ns|; |sync| says a viewer can start decoding there (every sound frame can).
  // |wall_us| is the wall-clock time now. Returns false with error() set when a segment could not
  // be written to the folder (it is then kept in memory, and listed).
  bool push(int track, std::int64_t time_ns, std::int64_t duration_ns, const std::uint8_t* data, std::size_t size,
            bool sync, std::int64_t wall_us);
  // The stream ended: every open segment is finished and listed, and the playlists say so.
  bool finish();
  bool finished() const { return finished_; }

  // The encoder was moved: the messages from now on are a new run, starting where its first sync
  // frame is. What the current run has is listed. Messages at times already stored are dropped.
  bool begin_run();
  // The encoder reached the end of its run (end of stream): the stream's end, or where the next
  // stored run begins. Finishes the store when nothing is missing (or fill_gaps is off); false
  // when spans are still to be encoded (move_for() says which), or a write failed (error()).
  bool end_run(bool* finished);
  // Where the encoder should go now, when it should move: the span holding |wanted_ns| (a reader
  // waits there; -1 for none) when that is not stored and behind the current run or more than
  // |ahead_ns| beyond it (more when moves show the source's keyframes farther apart); after
  // end_run(), that span or else the first one missing. Nothing when
  // the encoder should go on as it is. The store remembers the span: a run there that brings
  // nothing (a span of the file with no pictures) gives it up rather than ask for it again.
  std::optional<TimeSpan> move_for(std::int64_t wanted_ns, std::int64_t ahead_ns);
  // Whether any of [from_ns, to_ns) is still to come from an encoder that will be moved there (a
  // move left it, or the run being encoded is in it): readers wait rather than skip it.
  bool awaits(std::int64_t from_ns, std::int64_t to_ns) const;
  // After a move: where the stored run holding |time_ns| ends (the encoder's messages are dropped
  // until then; the first one there must be a sync frame to start a segment), or -1 when that
  // time is not stored.
  std::int64_t stored_until(std::int64_t time_ns) const;
  // How many of |track|'s listed segments follow one another from the first without a span still
  // to come: what an HLS playlist may list (it only ever grows at its end).
  std::size_t listable(int track) const;

  // Listed segments of |track|, oldest first.
  const std::deque<Segment>& segments(int track) const { return tracks_[track].done; }
  // The listed segment of |track| whose span holds |time_ns| (the first after it when it falls
  // between, the last when after every one), or nothing when none is listed.
  const Segment* find(int track, std::int64_t time_ns) const;
  const Segment* by_sequence(int track, std::uint64_t sequence) const;
  // A segment's bytes, from memory or from the folder; null when gone.
  std::shared_ptr<const std::vector<std::uint8_t>> read(int track, const Segment& segment) const;

  // The segment's file name relative to the folder or playlist: "cells/00000012.seg".
  std::string segment_path(int track, std::uint64_t sequence) const;
  // Where the open segment of |track| starts; -1 when none is open.
  std::int64_t open_start_ns(int track) const { return tracks_[track].open ? tracks_[track].open->start_ns : -1; }
  // The sequence number the open segment of |track| has, or (none open) the next one will have.
  std::uint64_t open_sequence(int track) const;
  // The bytes of |track|'s open segment from |from| on, appended to |out|, when that segment is
  // |sequence| (a reader that follows a segment while it is written: low-latency HLS); false when
  // it is not open now (listed already, not begun, or never to be).
  bool open_bytes(int track, std::uint64_t sequence, std::size_t from, std::vector<std::uint8_t>* out) const;
  // Bytes of segments held in memory, over all tracks.
  std::size_t memory_bytes() const { return memory_bytes_; }

 private:
  struct Open {
    std::uint64_t sequence = 0;
    std::int64_t start_ns = 0;
    std::int64_t end_ns = 0;  // end of its last message
    std::int64_t wall_start_us = 0;
    std::vector<std::uint8_t> data;
    std::vector<Segment::Frame> frames;
  };
  struct Track {
    TrackInfo info;
    std::vector<std::uint8_t> init;
    bool init_changed = false;
    std::optional<Open> open;
    std::deque<Segment> done;
    // Messages of a following track not yet placed (the first picture track has not reached them).
    struct Pending {
      std::int64_t time_ns, duration_ns, wall_us;
      std::vector<std::uint8_t> bytes;
      bool sync;
    };
    std::deque<Pending> pending;
  };

  void start_segment(int track, std::uint64_t sequence, std::int64_t start_ns, std::int64_t wall_us);
  bool close_segment(int track, std::int64_t end_ns);
  void append(int track, std::int64_t time_ns, std::int64_t duration_ns, const std::uint8_t* data, std::size_t size,
              bool sync);
  bool place(int track, const Track::Pending& message);
  bool place_pending(std::int64_t before_ns, bool all);
  std::uint64_t sequence_for(std::int64_t time_ns) const;
  void trim();
  bool close_run(bool ended);
  bool stored_at(std::int64_t time_ns) const;
  std::vector<TimeSpan> missing() const;

  SegmentStoreConfig config_;
  std::vector<Track> tracks_;
  int primary_ = -1;                // the track that decides the cuts
  std::int64_t primary_time_ = -1;  // the time of its newest message
  // Where the first picture track cut: cuts_[i] is the start of segment first_cut_ + i.
  std::deque<std::int64_t> cuts_;
  std::uint64_t first_cut_ = 0;
  std::size_t memory_bytes_ = 0;
  bool finished_ = false;
  std::string error_;
  // Runs (see begin_run()): the spans of the first picture track's time closed runs stored, joined
  // and in order; the current run's span so far; and where the next stored run begins.
  std::vector<TimeSpan> stored_;
  std::optional<TimeSpan> run_;
  bool run_going_ = true;     // an encoder is filling the current run (false after end_run())
  bool moved_ = false;        // begin_run() was called: spans may be missing
  std::int64_t end_ns_ = -1;  // where the stream ends, once a run reached it
  std::int64_t run_limit_ns_ = kToTheEnd;
  std::optional<TimeSpan> moving_to_;  // what move_for() last said
  bool run_seen_ = false;              // the current run's first picture came
  std::int64_t keyframe_gap_ns_ = 0;   // the most a move landed before the time it was sent to
};

// Writes |size| bytes to a temporary file beside |path| and renames it into place, so a reader (or
// a restart after kill -9) sees the whole file or none. False with |error| set when it could not.
bool write_file_atomically(const std::string& path, const std::uint8_t* data, std::size_t size, std::string* error);
// The |size| bytes of the file at |path|; null when it is gone or not that long.
std::shared_ptr<const std::vector<std::uint8_t>> read_whole_file(const std::string& path, std::size_t size);

// The 10-byte ID3v2 header and PRIV frame an HLS packed-audio segment starts with: the
// "com.apple.streaming.transportStreamTimestamp" of its first sample (90 kHz, 33 bits).
std::vector<std::uint8_t> packed_audio_timestamp(std::int64_t time_ns);

}  // namespace gstascii
