// The ASCILINE adaptive codec (tags 0-3): each frame message is [u32be frame_index][u8 tag][payload],
// where the payload is the cells raw (0), zlib-compressed (1), a zlib-compressed list of changed
// cells against the previous frame (2, DELTA), or zlib-compressed runs (3, RLE_FULL). Encoded once
// per stream; a viewer can start decoding at any frame that is not a DELTA. No GStreamer types.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

struct libdeflate_compressor;
struct libdeflate_decompressor;

namespace gstascii::adaptive {

enum Tag : std::uint8_t {
  kRaw = 0,      // the N x C cell bytes
  kZlib = 1,     // zlib (RFC 1950) of the cell bytes
  kDelta = 2,    // zlib of k u32le ascending cell indices, then k values of C bytes
  kRleFull = 3,  // zlib of runs [u16le count][C bytes], counts summing to N
};

inline constexpr std::size_t kHeaderBytes = 5;  // u32be frame_index, u8 tag
// The reference encoder's keyframe rule: a frame whose index is a multiple of this is never a DELTA.
inline constexpr std::uint32_t kKeyframeInterval = 48;

// Whether a message with |tag| can be decoded without the frame before it.
constexpr bool is_sync_tag(std::uint8_t tag) {
  return tag == kRaw || tag == kZlib || tag == kRleFull;
}

struct EncoderStats {
  std::uint64_t frames = 0;
  std::uint64_t by_tag[4] = {0, 0, 0, 0};
  std::uint64_t bytes_in = 0;   // raw payload bytes the frames would have taken
  std::uint64_t bytes_out = 0;  // payload bytes sent
};

// Follows the reference encoder's rules: a keyframe (the smallest of ZLIB and RLE_FULL, RAW when
// both are larger) on the first frame, when index % 48 == 0, and when asked (seek, re-init,
// filter change); otherwise DELTA when under 60 % of the cells changed, a full encoding when at
// least 10 % did, whichever is smallest, RAW when that is smaller still.
class Encoder {
 public:
  // |cells| cells of |cell_bytes| (4: char, R, G, B; 3: B, G, R) each.
  Encoder(std::size_t cells, std::size_t cell_bytes);

  // Encodes one frame of cells * cell_bytes bytes into |out| (replaced). Returns the tag used.
  Tag encode(std::uint32_t index, const std::uint8_t* frame, bool force_keyframe, std::vector<std::uint8_t>* out);
  // The next frame is a keyframe.
  void reset() { have_previous_ = false; }

  const EncoderStats& stats() const { return stats_; }

 private:
  // zlib of |size| bytes at |data|, appended to |out|; false when it would not fit in |limit| bytes
  // of payload (then |out| is left as it was).
  bool deflate_into(const std::uint8_t* data, std::size_t size, std::size_t limit, std::vector<std::uint8_t>* out);
  void full_candidates(const std::uint8_t* frame, std::vector<std::uint8_t>* best, Tag* best_tag);

  const std::size_t cells_;
  const std::size_t cell_bytes_;
  std::vector<std::uint8_t> previous_;
  bool have_previous_ = false;
  std::vector<std::uint8_t> scratch_;    // pre-deflate bytes of a DELTA or RLE_FULL
  std::vector<std::uint8_t> candidate_;  // a compressed candidate being built
  // Kept for the stream: allocating one per frame costs more than encoding.
  std::unique_ptr<libdeflate_compressor, void (*)(libdeflate_compressor*)> compressor_;
  EncoderStats stats_;
};

// Decodes messages in arrival order, keeping the last frame for DELTAs.
class Decoder {
 public:
  enum class Result {
    kFrame,    // frame() holds the new frame
    kUnknown,  // an unknown tag: the previous frame is kept (as the wire format says)
    kError,    // malformed, or a DELTA with no frame before it; the state is unchanged
  };

  Decoder(std::size_t cells, std::size_t cell_bytes);

  Result decode(const std::uint8_t* message, std::size_t size);
  // Forget the previous frame (a new INIT): a DELTA is then an error until a sync frame comes.
  void reset() { have_frame_ = false; }

  bool has_frame() const { return have_frame_; }
  std::uint32_t index() const { return index_; }
  const std::vector<std::uint8_t>& frame() const { return frame_; }

 private:
  bool inflate(const std::uint8_t* data, std::size_t size, std::size_t max_out);

  const std::size_t cells_;
  const std::size_t cell_bytes_;
  std::vector<std::uint8_t> frame_;
  std::vector<std::uint8_t> next_;  // decoded into here, swapped in on success
  std::vector<std::uint8_t> inflated_;
  std::unique_ptr<libdeflate_decompressor, void (*)(libdeflate_decompressor*)> decompressor_;
  bool have_frame_ = false;
  std::uint32_t index_ = 0;
};

// A raw frame message ([u32be index][cells]) as an adaptive RAW message ([u32be index][0][cells]),
// written to |out| (replaced): how a stream that is not tagged reaches ?codec=adaptive viewers.
// False when |size| is too short to be a frame.
bool tag_raw_frame(const std::uint8_t* raw, std::size_t size, std::vector<std::uint8_t>* out);

}  // namespace gstascii::adaptive
