// gst-ascii core: character palettes, mapping formulas and the tone table.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gstascii {

// The published ASCILINE palette, dark to bright, 92 characters, first a space.
inline constexpr std::string_view kDefaultPalette =
    " `.-':_,^=;><+!rc*/z?sLTv)J7(|Fi{C}fI31tlu[neoZ5Yxjya]2ESwqkP6h9d4VpOGbUAKXHm8RD#$Bg0MNWQ%&@";
static_assert(kDefaultPalette.size() == 92, "the default palette has 92 characters");

inline constexpr std::size_t kMinPaletteSize = 2;
inline constexpr std::size_t kMaxPaletteSize = 95;  // every printable ASCII character once

// How a 0..255 gray level picks a palette index.
enum class Mapping {
  // gray // max(1, 256 // n), clipped to n - 1: bit-exact with the seed server. With the default
  // palette every gray >= 182 lands on the last character.
  kSeed,
  // (gray * n) >> 8: n equal bins over 0..255, so every character is used.
  kLinear,
};

// Returns an empty string when |palette| is usable (2..95 printable ASCII characters, dark to
// bright), otherwise a sentence saying what is wrong.
std::string validate_palette(std::string_view palette);

// Picture adjustments applied to the gray level before it picks a character.
struct Tone {
  double brightness = 0.0;  // added, in units of full scale: -1..1
  double contrast = 1.0;    // multiplies the distance from mid-gray: 0..10
  double gamma = 1.0;       // output = input^(1/gamma): 0.01..10
  bool invert = false;      // bright becomes dark (for dark text on a light background)
};

inline constexpr double kMinBrightness = -1.0, kMaxBrightness = 1.0;
inline constexpr double kMinContrast = 0.0, kMaxContrast = 10.0;
inline constexpr double kMinGamma = 0.01, kMaxGamma = 10.0;

// gray (0..255) -> character byte: palette, mapping and tone folded into one table, so the per-cell
// cost is a single lookup whatever the settings.
using CharTable = std::array<std::uint8_t, 256>;

// |palette| must be valid (see validate_palette). With the default Tone the tone step is the
// identity, so kSeed stays bit-exact with the seed.
CharTable build_char_table(std::string_view palette, Mapping mapping, const Tone& tone);

// The palette index a gray level maps to, before the tone step.
std::size_t palette_index(unsigned gray, std::size_t palette_size, Mapping mapping);

// BT.601 luma of an 8-bit pixel exactly as OpenCV's cvtColor(BGR2GRAY) computes it.
constexpr std::uint8_t seed_luma(unsigned r, unsigned g, unsigned b) {
  return static_cast<std::uint8_t>((9798u * r + 19235u * g + 3735u * b + 16384u) >> 15);
}

// Render modes 1..6 and their colour quantisation (seed table; mode 6 is 16 M colours).
inline constexpr int kMinMode = 1, kMaxMode = 6;
// Bits truncated from each colour channel: v = (v >> qb) << qb.
int quant_bits_for_mode(int mode);
// The same as an AND mask: v & mask.
std::uint8_t colour_mask_for_mode(int mode);

}  // namespace gstascii
