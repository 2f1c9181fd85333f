// WAV (RIFF, 16-bit PCM) files for the recorder's transcript chunks. No GStreamer types.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gstascii {

// A whole WAV file: the 44-byte header, then |samples| (interleaved, 16-bit little-endian).
std::string wav_file(const std::int16_t* samples, std::size_t count, int sample_rate, int channels);

// Mono 16-bit samples on a timeline (sample n of the stream at n / rate seconds), kept until they
// are cut into chunks: take(start, end) gives the samples in [start, end) seconds and forgets
// everything before |end|. Missing stretches (no audio arrived) come out as silence, so every
// chunk has exactly the length of its time span.
class PcmTimeline {
 public:
  explicit PcmTimeline(int sample_rate) : rate_(sample_rate) {}

  // Samples starting at |time| seconds. Overlaps with what is held already are dropped.
  void add(double time, const std::int16_t* samples, std::size_t count);
  std::vector<std::int16_t> take(double start, double end);

  bool empty() const { return held_.empty(); }
  // Seconds up to which samples have arrived (0 before any).
  double end_time() const { return double(first_ + std::int64_t(held_.size())) / rate_; }
  int rate() const { return rate_; }

 private:
  const int rate_;
  std::int64_t first_ = 0;  // stream sample index of held_[0]
  std::vector<std::int16_t> held_;
};

}  // namespace gstascii
