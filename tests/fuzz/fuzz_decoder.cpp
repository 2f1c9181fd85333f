// libFuzzer target for the adaptive codec's decoder (gst/adaptive_codec.h), built with clang
// (-fsanitize=fuzzer,address,undefined) by tests/fuzz/meson.build and run by `meson test` for a
// short while from the corpus in tests/fuzz/corpus/.
//
// Input: [cols u8][rows u8][flags u8] then messages, each [u16le length][bytes]. The decoder gets
// them in order, as a viewer would. With flags bit 0 set, the bytes after the header are instead
// cut into frames, encoded and decoded again, which must give back exactly the same cells.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "adaptive_codec.h"

using namespace gstascii::adaptive;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  const std::size_t cols = data[0] % 64 + 1, rows = data[1] % 32 + 1;
  const std::size_t cell_bytes = (data[2] & 2) ? 3 : 4;
  const std::size_t cells = cols * rows, frame_size = cells * cell_bytes;
  data += 3;
  size -= 3;
  if (data[-1] & 1) {
    // Round trip: every frame encoded must decode to itself.
    Encoder encoder(cells, cell_bytes);
    Decoder decoder(cells, cell_bytes);
    std::vector<std::uint8_t> message;
    std::vector<std::uint8_t> frame(frame_size);
    std::uint32_t index = 0;
    for (std::size_t at = 0; at < size; at += frame_size / 4 + 1, index++) {
      // Each step changes a slice of the frame, so deltas of every size appear.
      const std::size_t n = std::min(frame_size / 4 + 1, size - at);
      memcpy(frame.data() + (index * 7) % (frame_size - n + 1), data + at, n);
      encoder.encode(index, frame.data(), false, &message);
      if (decoder.decode(message.data(), message.size()) != Decoder::Result::kFrame) abort();
      if (decoder.frame() != frame) abort();
    }
    return 0;
  }
  Decoder decoder(cells, cell_bytes);
  while (size >= 2) {
    const std::size_t length = std::min<std::size_t>(data[0] | (data[1] << 8), size - 2);
    decoder.decode(data + 2, length);
    if (decoder.has_frame() && decoder.frame().size() != frame_size) abort();
    data += 2 + length;
    size -= 2 + length;
  }
  return 0;
}
