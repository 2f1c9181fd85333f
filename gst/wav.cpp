// SPDX-License-Identifier: LGPL-2.1-or-later
#include "wav.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace gstascii {

namespace {

void put_u32le(std::string* s, std::uint32_t v) {
  for (int i = 0; i < 4; i++) s->push_back(char((v >> (8 * i)) & 0xff));
}
void put_u16le(std::string* s, std::uint16_t v) {
  s->push_back(char(v & 0xff));
  s->push_back(char(v >> 8));
}

}  // namespace

std::string wav_file(const std::int16_t* samples, std::size_t count, int sample_rate, int channels) {
  const std::uint32_t data_bytes = std::uint32_t(count * 2);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  put_u32le(&out, 36 + data_bytes);
  out += "WAVEfmt ";
  put_u32le(&out, 16);
  put_u16le(&out, 1);  // PCM
  put_u16le(&out, std::uint16_t(channels));
  put_u32le(&out, std::uint32_t(sample_rate));
  put_u32le(&out, std::uint32_t(sample_rate * channels * 2));
  put_u16le(&out, std::uint16_t(channels * 2));
  put_u16le(&out, 16);
  out += "data";
  put_u32le(&out, data_bytes);
  for (std::size_t i = 0; i < count; i++) put_u16le(&out, std::uint16_t(samples[i]));
  return out;
}

void PcmTimeline::add(double time, const std::int16_t* samples, std::size_t count) {
  std::int64_t at = std::llround(time * rate_);
  if (held_.empty() && first_ == 0) first_ = at;
  const std::int64_t end = first_ + std::int64_t(held_.size());
  if (at < end) {  // overlap (or before what was taken already): drop those samples
    const std::int64_t skip = std::min<std::int64_t>(end - at, std::int64_t(count));
    samples += skip;
    count -= std::size_t(skip);
    at += skip;
  }
  if (count == 0) return;
  if (at > end) held_.insert(held_.end(), std::size_t(at - end), 0);  // a gap: silence
  held_.insert(held_.end(), samples, samples + count);
}

std::vector<std::int16_t> PcmTimeline::take(double start, double end) {
  const std::int64_t a = std::llround(start * rate_), b = std::llround(end * rate_);
  std::vector<std::int16_t> out(std::size_t(std::max<std::int64_t>(0, b - a)), 0);
  for (std::int64_t i = std::max(a, first_); i < std::min(b, first_ + std::int64_t(held_.size())); i++) {
    out[std::size_t(i - a)] = held_[std::size_t(i - first_)];
  }
  // Forget everything before |end|.
  const std::int64_t drop = std::clamp<std::int64_t>(b - first_, 0, std::int64_t(held_.size()));
  held_.erase(held_.begin(), held_.begin() + drop);
  first_ += drop;
  return out;
}

}  // namespace gstascii
