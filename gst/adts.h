// ADTS, the self-delimiting framing of AAC that browsers play from a plain HTTP stream: header
// parsing and writing, AudioSpecificConfig parsing (to wrap raw AAC), and a framer that splits a
// byte stream into whole frames. No GStreamer types.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gstascii::adts {

constexpr size_t kHeaderSize = 7;                 // without CRC
constexpr size_t kMaxFrameSize = 8191;            // the 13-bit frame_length field, header included
constexpr int kSamplesPerBlock = 1024;            // AAC-LC raw data block
constexpr size_t kMaxBlockBytesPerChannel = 768;  // 6144 bits

struct Header {
  bool mpeg2 = false;         // ID bit: MPEG-2 rather than MPEG-4 AAC
  bool has_crc = false;       // protection_absent == 0: two CRC bytes follow the header
  int object_type = 2;        // MPEG-4 audio object type, 1..4 (profile + 1); 2 = AAC-LC
  int sample_rate_index = 4;  // 0..12 (4 = 44100 Hz)
  int channel_config = 2;     // 0..7
  size_t frame_length = 0;    // bytes, header included
  int raw_blocks = 1;         // raw data blocks in the frame, 1..4

  size_t header_size() const { return has_crc ? kHeaderSize + 2 : kHeaderSize; }
  int samples() const { return raw_blocks * kSamplesPerBlock; }
};

// The sample rate in Hz of a sampling_frequency_index, 0 when the index is not 0..12.
int sample_rate_for_index(int index);

// Parses the ADTS header at |data| (at least kHeaderSize bytes). False unless it is a plausible
// header: sync word, layer 0, a known sample rate, and a frame_length that holds the header and
// no more than the channels can carry.
bool parse_header(const uint8_t* data, size_t size, Header* out);

// Writes a 7-byte header (no CRC) for a frame carrying |payload_size| bytes of raw AAC.
// False when the frame would be longer than kMaxFrameSize.
bool write_header(const Header& config, size_t payload_size, uint8_t out[kHeaderSize]);

// The fields of an MPEG-4 AudioSpecificConfig (the codec_data of raw AAC) that an ADTS header
// carries. HE-AAC (explicit SBR/PS signalling) gives its core AAC-LC layer, as ADTS requires.
// False with |why| set when ADTS cannot carry the stream (an object type above 4, an explicit
// sample rate, or a channel layout given only by a program config element).
bool parse_audio_specific_config(const uint8_t* data, size_t size, Header* out, std::string* why);

// Splits a byte stream into whole ADTS frames, skipping anything between frames that is not one
// (garbage, a truncated frame cut by a reconnect). A frame is given out once its last byte is in
// and the bytes after it, if any are in yet, start another frame.
class Framer {
 public:
  void push(const uint8_t* data, size_t size);
  // The next whole frame, copied into |frame|; false when none is complete yet.
  bool next(std::vector<uint8_t>* frame, Header* header);
  // Drops what is buffered (a discontinuity).
  void reset();

  size_t skipped_bytes() const { return skipped_; }
  size_t buffered_bytes() const { return buffer_.size() - start_; }

 private:
  std::vector<uint8_t> buffer_;
  size_t start_ = 0;    // first byte not yet given out or skipped
  size_t skipped_ = 0;  // bytes thrown away looking for a sync word
};

}  // namespace gstascii::adts
