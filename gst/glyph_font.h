// gst-ascii core: the bitmaps of the printable ASCII characters, 8 x 16 pixels each, one byte a
// row with the leftmost pixel in the top bit. Generated at build time from a console font (see
// make_glyph_font.py), so the fitter, asciirender and the web player all draw the same glyphs.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>

namespace gstascii {

inline constexpr int kGlyphWidth = 8;
inline constexpr int kGlyphHeight = 16;
inline constexpr int kFirstGlyph = 32;  // ' '
inline constexpr int kGlyphCount = 95;  // ' ' to '~'

// The kGlyphCount x kGlyphHeight rows of the font, ' ' first. (A function, not a global: the
// core is linked into both the plugin and ascii-launch, which may load the plugin too.)
const std::uint8_t* glyph_font();
inline constexpr std::size_t kGlyphFontBytes = std::size_t(kGlyphCount) * kGlyphHeight;

// The rows of printable ASCII |ch| (which must be one).
inline const std::uint8_t* glyph_rows(std::uint8_t ch) {
  return glyph_font() + std::size_t(ch - kFirstGlyph) * kGlyphHeight;
}

// Whether pixel (x, y) of printable ASCII |ch| is ink; false for anything else.
inline bool glyph_ink(std::uint8_t ch, int x, int y) {
  if (ch < kFirstGlyph || ch >= kFirstGlyph + kGlyphCount) return false;
  return (glyph_rows(ch)[y] >> (7 - x)) & 1;
}

}  // namespace gstascii
