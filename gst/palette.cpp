// SPDX-License-Identifier: LGPL-2.1-or-later
#include "palette.h"

#include <algorithm>
#include <cmath>

namespace gstascii {

std::string validate_palette(std::string_view palette) {
  if (palette.size() < kMinPaletteSize || palette.size() > kMaxPaletteSize) {
    return "a palette needs " + std::to_string(kMinPaletteSize) + " to " + std::to_string(kMaxPaletteSize) +
           " characters, this one has " + std::to_string(palette.size());
  }
  for (std::size_t i = 0; i < palette.size(); ++i) {
    const auto c = static_cast<unsigned char>(palette[i]);
    if (c < 0x20 || c > 0x7e) {
      return "character " + std::to_string(i + 1) + " is not printable ASCII (only space to '~' can be sent)";
    }
  }
  return {};
}

std::size_t palette_index(unsigned gray, std::size_t n, Mapping mapping) {
  if (mapping == Mapping::kSeed) {
    const std::size_t step = std::max<std::size_t>(1, 256 / n);
    return std::min<std::size_t>(gray / step, n - 1);
  }
  return (gray * n) >> 8;
}

namespace {

// One gray level through brightness, contrast, gamma and invert. The default Tone returns |gray|
// unchanged (no floating-point detour), which keeps the seed mapping bit-exact.
unsigned apply_tone(unsigned gray, const Tone& tone) {
  const bool identity = tone.brightness == 0.0 && tone.contrast == 1.0 && tone.gamma == 1.0;
  if (identity) return tone.invert ? 255 - gray : gray;
  double v = gray / 255.0;
  v = (v - 0.5) * tone.contrast + 0.5 + tone.brightness;
  v = std::clamp(v, 0.0, 1.0);
  if (tone.gamma != 1.0) v = std::pow(v, 1.0 / tone.gamma);
  if (tone.invert) v = 1.0 - v;
  return static_cast<unsigned>(std::lround(v * 255.0));
}

}  // namespace

CharTable build_char_table(std::string_view palette, Mapping mapping, const Tone& tone) {
  CharTable table{};
  for (unsigned gray = 0; gray < 256; ++gray) {
    const unsigned adjusted = apply_tone(gray, tone);
    table[gray] = static_cast<std::uint8_t>(palette[palette_index(adjusted, palette.size(), mapping)]);
  }
  return table;
}

int quant_bits_for_mode(int mode) {
  switch (mode) {
    case 2: return 5;   // 512 colours ("Low")
    case 3: return 3;   // 32 K colours ("Med/High")
    case 4: return 2;   // 262 K colours
    default: return 0;  // 1 (colour unused), 5 and 6: 16 M colours
  }
}

std::uint8_t colour_mask_for_mode(int mode) {
  return static_cast<std::uint8_t>(0xffu << quant_bits_for_mode(mode));
}

}  // namespace gstascii
