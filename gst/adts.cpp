// SPDX-License-Identifier: LGPL-2.1-or-later
#include "adts.h"

#include <cstring>

namespace gstascii::adts {

namespace {

constexpr int kSampleRates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                22050, 16000, 12000, 11025, 8000,  7350};

// MSB-first bit reader over a byte array; reads past the end give zeros and set |overrun|.
class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t read(int bits) {
    uint32_t v = 0;
    for (int i = 0; i < bits; i++, pos_++) {
      const size_t byte = pos_ / 8;
      if (byte >= size_) {
        overrun = true;
        v <<= 1;
        continue;
      }
      v = (v << 1) | ((data_[byte] >> (7 - pos_ % 8)) & 1u);
    }
    return v;
  }
  bool overrun = false;

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

int read_object_type(BitReader& r) {
  int type = static_cast<int>(r.read(5));
  if (type == 31) type = 32 + static_cast<int>(r.read(6));
  return type;
}

}  // namespace

int sample_rate_for_index(int index) {
  return index >= 0 && index < 13 ? kSampleRates[index] : 0;
}

bool parse_header(const uint8_t* d, size_t size, Header* out) {
  if (size < kHeaderSize) return false;
  if (d[0] != 0xFF || (d[1] & 0xF0) != 0xF0) return false;  // sync word
  if ((d[1] & 0x06) != 0) return false;                     // layer is always 0
  Header h;
  h.mpeg2 = (d[1] & 0x08) != 0;
  h.has_crc = (d[1] & 0x01) == 0;
  h.object_type = ((d[2] >> 6) & 0x03) + 1;
  h.sample_rate_index = (d[2] >> 2) & 0x0F;
  if (sample_rate_for_index(h.sample_rate_index) == 0) return false;
  h.channel_config = ((d[2] & 0x01) << 2) | ((d[3] >> 6) & 0x03);
  h.frame_length = (static_cast<size_t>(d[3] & 0x03) << 11) | (static_cast<size_t>(d[4]) << 3) | (d[5] >> 5);
  h.raw_blocks = (d[6] & 0x03) + 1;
  if (h.frame_length <= h.header_size()) return false;
  // A raw data block holds at most 6144 bits per channel (the decoder's input buffer), so a longer
  // frame is a false sync word in other data, not a frame to wait for.
  static constexpr int kChannels[] = {0, 1, 2, 3, 4, 5, 6, 8};
  const size_t channels = kChannels[h.channel_config];
  if (channels > 0 && h.frame_length > h.header_size() + h.raw_blocks * channels * kMaxBlockBytesPerChannel)
    return false;
  *out = h;
  return true;
}

bool write_header(const Header& c, size_t payload_size, uint8_t out[kHeaderSize]) {
  const size_t length = payload_size + kHeaderSize;
  if (length > kMaxFrameSize || c.object_type < 1 || c.object_type > 4 ||
      sample_rate_for_index(c.sample_rate_index) == 0 || c.channel_config < 0 || c.channel_config > 7) {
    return false;
  }
  const int profile = c.object_type - 1;
  out[0] = 0xFF;
  out[1] = static_cast<uint8_t>(0xF0 | (c.mpeg2 ? 0x08 : 0) | 0x01);  // layer 0, no CRC
  out[2] = static_cast<uint8_t>((profile << 6) | (c.sample_rate_index << 2) | ((c.channel_config >> 2) & 0x01));
  out[3] = static_cast<uint8_t>(((c.channel_config & 0x03) << 6) | ((length >> 11) & 0x03));
  out[4] = static_cast<uint8_t>((length >> 3) & 0xFF);
  out[5] = static_cast<uint8_t>(((length & 0x07) << 5) | 0x1F);  // buffer fullness 0x7FF: variable rate
  out[6] = 0xFC;                                                 // ... and one raw data block
  return true;
}

bool parse_audio_specific_config(const uint8_t* data, size_t size, Header* out, std::string* why) {
  BitReader r(data, size);
  int type = read_object_type(r);
  int rate_index = static_cast<int>(r.read(4));
  if (rate_index == 15) {
    *why = "the sample rate is given explicitly, which ADTS cannot carry";
    return false;
  }
  int channels = static_cast<int>(r.read(4));
  // HE-AAC v1/v2 signalled explicitly: the extension rate, then the core object type. ADTS carries
  // the core layer; decoders find the SBR/PS data in it (implicit signalling).
  if (type == 5 || type == 29) {
    r.read(4);  // extension sampling frequency index
    type = read_object_type(r);
  }
  if (r.overrun) {
    *why = "the codec data is too short to be an AudioSpecificConfig";
    return false;
  }
  if (type < 1 || type > 4) {
    *why = "audio object type " + std::to_string(type) + " cannot be carried in ADTS (only AAC Main, LC, SSR, LTP)";
    return false;
  }
  if (sample_rate_for_index(rate_index) == 0) {
    *why = "unknown sampling frequency index " + std::to_string(rate_index);
    return false;
  }
  if (channels == 0) {
    *why = "the channel layout is given by a program config element, which this muxer does not write";
    return false;
  }
  out->object_type = type;
  out->sample_rate_index = rate_index;
  out->channel_config = channels;
  out->mpeg2 = false;
  out->has_crc = false;
  out->raw_blocks = 1;
  return true;
}

void Framer::push(const uint8_t* data, size_t size) {
  // Compact now and then so the buffer holds about one frame, not the whole stream.
  if (start_ > 0 && start_ >= buffer_.size() / 2) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), data, data + size);
}

bool Framer::next(std::vector<uint8_t>* frame, Header* header) {
  while (buffer_.size() - start_ >= kHeaderSize) {
    const uint8_t* p = buffer_.data() + start_;
    const size_t avail = buffer_.size() - start_;
    Header h;
    if (!parse_header(p, avail, &h)) {
      // Not a frame start: skip to the next candidate sync byte.
      const void* ff = memchr(p + 1, 0xFF, avail - 1);
      const size_t skip = ff ? static_cast<size_t>(static_cast<const uint8_t*>(ff) - p) : avail;
      start_ += skip;
      skipped_ += skip;
      continue;
    }
    if (avail < h.frame_length) return false;  // wait for the rest
    // A false sync word inside garbage is caught by what follows it, when that is here already.
    if (avail > h.frame_length && avail - h.frame_length >= 2 &&
        !(p[h.frame_length] == 0xFF && (p[h.frame_length + 1] & 0xF6) == 0xF0)) {
      start_ += 1;
      skipped_ += 1;
      continue;
    }
    frame->assign(p, p + h.frame_length);
    *header = h;
    start_ += h.frame_length;
    return true;
  }
  return false;
}

void Framer::reset() {
  buffer_.clear();
  start_ = 0;
}

}  // namespace gstascii::adts
