// SPDX-License-Identifier: LGPL-2.1-or-later
#include "adaptive_codec.h"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>

namespace gstascii::adaptive {

namespace {

// Fast compression: the encoder runs once a frame on the streaming thread. libdeflate at level 1
// compresses a full-motion 200 x 84 frame in well under half the time zlib's fastest level takes,
// to a similar size (bench-codec), and it writes plain zlib streams any inflater reads.
constexpr int kLevel = 1;

void put_u32le(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
  p[2] = static_cast<std::uint8_t>(v >> 16);
  p[3] = static_cast<std::uint8_t>(v >> 24);
}

std::uint32_t get_u32le(const std::uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

void write_header(std::uint32_t index, Tag tag, std::uint8_t* out) {
  out[0] = static_cast<std::uint8_t>(index >> 24);
  out[1] = static_cast<std::uint8_t>(index >> 16);
  out[2] = static_cast<std::uint8_t>(index >> 8);
  out[3] = static_cast<std::uint8_t>(index);
  out[4] = tag;
}

bool cell_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t bytes) {
  if (bytes == 4) {
    std::uint32_t x, y;
    memcpy(&x, a, 4);
    memcpy(&y, b, 4);
    return x == y;
  }
  return memcmp(a, b, bytes) == 0;
}

}  // namespace

Encoder::Encoder(std::size_t cells, std::size_t cell_bytes)
    : cells_(cells),
      cell_bytes_(cell_bytes),
      previous_(cells * cell_bytes),
      compressor_(libdeflate_alloc_compressor(kLevel), libdeflate_free_compressor) {}

bool Encoder::deflate_into(const std::uint8_t* data, std::size_t size, std::size_t limit,
                           std::vector<std::uint8_t>* out) {
  if (!compressor_) return false;
  const std::size_t start = out->size();
  // Room for |limit| bytes only: libdeflate gives up (returns 0) on a candidate that would be larger.
  out->resize(start + limit);
  const std::size_t written = libdeflate_zlib_compress(compressor_.get(), data, size, out->data() + start, limit);
  out->resize(start + written);
  return written > 0;
}

// The best self-contained encoding of |frame| into |best| (which holds a candidate of
// best->size() - kHeaderBytes payload bytes already, or is empty). The reference tries both ZLIB and
// RLE_FULL; we deflate only the one whose input is smaller, since run-length input under half the
// frame always won in bench-codec and deflating twice doubled the encode time.
void Encoder::full_candidates(const std::uint8_t* frame, std::vector<std::uint8_t>* best, Tag* best_tag) {
  const std::size_t size = cells_ * cell_bytes_;
  const std::size_t limit = best->empty() ? size : best->size() - kHeaderBytes;
  // Runs of equal cells: [u16le count][cell].
  scratch_.clear();
  const std::size_t run_bytes = 2 + cell_bytes_;
  for (std::size_t i = 0; i < cells_ && scratch_.size() < size / 2;) {
    std::size_t j = i + 1;
    const std::uint8_t* cell = frame + i * cell_bytes_;
    while (j < cells_ && j - i < 65535 && cell_equal(cell, frame + j * cell_bytes_, cell_bytes_)) j++;
    const std::size_t at = scratch_.size();
    scratch_.resize(at + run_bytes);
    scratch_[at] = static_cast<std::uint8_t>(j - i);
    scratch_[at + 1] = static_cast<std::uint8_t>((j - i) >> 8);
    memcpy(&scratch_[at + 2], cell, cell_bytes_);
    i = j;
  }
  const bool runs = scratch_.size() < size / 2;
  candidate_.assign(kHeaderBytes, 0);
  if (runs ? deflate_into(scratch_.data(), scratch_.size(), limit, &candidate_)
           : deflate_into(frame, size, limit, &candidate_)) {
    best->swap(candidate_);
    *best_tag = runs ? kRleFull : kZlib;
  }
}

Tag Encoder::encode(std::uint32_t index, const std::uint8_t* frame, bool force_keyframe,
                    std::vector<std::uint8_t>* out) {
  const std::size_t size = cells_ * cell_bytes_;
  out->clear();
  Tag tag = kRaw;
  const bool keyframe = force_keyframe || !have_previous_ || index % kKeyframeInterval == 0;
  if (keyframe) {
    full_candidates(frame, out, &tag);
  } else {
    // The changed cells, as the DELTA payload: k u32le indices, then k cells. Past 60 % changed no
    // DELTA is offered, so the scan stops there.
    const std::size_t delta_limit = (cells_ * 6 + 9) / 10;
    scratch_.resize(cells_ * (4 + cell_bytes_));
    std::size_t changed = 0;
    for (std::size_t i = 0; i < cells_ && changed < delta_limit; i++) {
      if (!cell_equal(frame + i * cell_bytes_, &previous_[i * cell_bytes_], cell_bytes_)) {
        put_u32le(&scratch_[changed * 4], static_cast<std::uint32_t>(i));
        changed++;
      }
    }
    if (changed < delta_limit) {
      std::uint8_t* v = &scratch_[changed * 4];
      for (std::size_t n = 0; n < changed; n++, v += cell_bytes_) {
        memcpy(v, frame + get_u32le(&scratch_[n * 4]) * cell_bytes_, cell_bytes_);
      }
      out->assign(kHeaderBytes, 0);
      if (deflate_into(scratch_.data(), changed * (4 + cell_bytes_), size, out)) {
        tag = kDelta;
      } else {
        out->clear();
      }
    }
    if (changed * 10 >= cells_) full_candidates(frame, out, &tag);
  }
  if (out->empty()) {
    tag = kRaw;
    out->resize(kHeaderBytes + size);
    memcpy(out->data() + kHeaderBytes, frame, size);
  }
  write_header(index, tag, out->data());
  memcpy(previous_.data(), frame, size);
  have_previous_ = true;
  stats_.frames++;
  stats_.by_tag[tag]++;
  stats_.bytes_in += size;
  stats_.bytes_out += out->size() - kHeaderBytes;
  return tag;
}

Decoder::Decoder(std::size_t cells, std::size_t cell_bytes)
    : cells_(cells),
      cell_bytes_(cell_bytes),
      frame_(cells * cell_bytes),
      next_(cells * cell_bytes),
      decompressor_(libdeflate_alloc_decompressor(), libdeflate_free_decompressor) {}

// Inflates a whole zlib stream into inflated_; false unless it ends within |max_out| bytes and
// uses all of |data|.
bool Decoder::inflate(const std::uint8_t* data, std::size_t size, std::size_t max_out) {
  if (!decompressor_) return false;
  inflated_.resize(max_out);
  std::size_t used = 0, produced = 0;
  const libdeflate_result rc =
      libdeflate_zlib_decompress_ex(decompressor_.get(), data, size, inflated_.data(), max_out, &used, &produced);
  const bool ok = rc == LIBDEFLATE_SUCCESS && used == size;
  inflated_.resize(ok ? produced : 0);
  return ok;
}

Decoder::Result Decoder::decode(const std::uint8_t* message, std::size_t size) {
  if (size < kHeaderBytes) return Result::kError;
  const std::uint32_t index =
      (static_cast<std::uint32_t>(message[0]) << 24) | (message[1] << 16) | (message[2] << 8) | message[3];
  const std::uint8_t tag = message[4];
  const std::uint8_t* payload = message + kHeaderBytes;
  const std::size_t payload_size = size - kHeaderBytes;
  const std::size_t frame_size = cells_ * cell_bytes_;
  switch (tag) {
    case kRaw:
      if (payload_size != frame_size) return Result::kError;
      memcpy(next_.data(), payload, frame_size);
      break;
    case kZlib:
      if (!inflate(payload, payload_size, frame_size) || inflated_.size() != frame_size) return Result::kError;
      memcpy(next_.data(), inflated_.data(), frame_size);
      break;
    case kRleFull: {
      const std::size_t run_bytes = 2 + cell_bytes_;
      if (!inflate(payload, payload_size, cells_ * run_bytes) || inflated_.size() % run_bytes != 0) {
        return Result::kError;
      }
      std::size_t at = 0;
      for (std::size_t r = 0; r < inflated_.size(); r += run_bytes) {
        const std::size_t count = inflated_[r] | (inflated_[r + 1] << 8);
        if (count > cells_ - at) return Result::kError;
        for (std::size_t n = 0; n < count; n++, at++) {
          memcpy(&next_[at * cell_bytes_], &inflated_[r + 2], cell_bytes_);
        }
      }
      if (at != cells_) return Result::kError;
      break;
    }
    case kDelta: {
      if (!have_frame_) return Result::kError;
      const std::size_t entry = 4 + cell_bytes_;
      if (!inflate(payload, payload_size, cells_ * entry) || inflated_.size() % entry != 0) return Result::kError;
      const std::size_t k = inflated_.size() / entry;
      // Check every index before touching the frame, so a bad DELTA changes nothing.
      std::uint32_t last = 0;
      for (std::size_t n = 0; n < k; n++) {
        const std::uint32_t i = get_u32le(&inflated_[n * 4]);
        if (i >= cells_ || (n > 0 && i <= last)) return Result::kError;
        last = i;
      }
      const std::uint8_t* v = &inflated_[k * 4];
      for (std::size_t n = 0; n < k; n++, v += cell_bytes_) {
        memcpy(&frame_[get_u32le(&inflated_[n * 4]) * cell_bytes_], v, cell_bytes_);
      }
      index_ = index;
      return Result::kFrame;
    }
    default: return Result::kUnknown;
  }
  frame_.swap(next_);
  have_frame_ = true;
  index_ = index;
  return Result::kFrame;
}

bool tag_raw_frame(const std::uint8_t* raw, std::size_t size, std::vector<std::uint8_t>* out) {
  constexpr std::size_t kIndexBytes = kHeaderBytes - 1;
  if (size < kIndexBytes) return false;
  out->resize(size + 1);
  std::memcpy(out->data(), raw, kIndexBytes);
  (*out)[kIndexBytes] = kRaw;
  std::memcpy(out->data() + kHeaderBytes, raw + kIndexBytes, size - kIndexBytes);
  return true;
}

}  // namespace gstascii::adaptive
