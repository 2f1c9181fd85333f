// SPDX-License-Identifier: LGPL-2.1-or-later
#include "symbol_unicode.h"

namespace gstascii {

namespace {

// Quadrant bits: 0 upper left, 1 upper right, 2 lower left, 3 lower right.
constexpr std::uint32_t kQuadrantChars[16] = {
    0x20,   0x2598, 0x259D, 0x2580, 0x2596, 0x258C, 0x259E, 0x259B,
    0x2597, 0x259A, 0x2590, 0x259C, 0x2584, 0x2599, 0x259F, 0x2588,
};
constexpr std::uint32_t kHalfChars[4] = {0x20, 0x2580, 0x2584, 0x2588};

// Sextants 1..62 are U+1FB00 onwards in pattern order, except the two that are half blocks.
constexpr int kLeftHalfSextant = 0x15, kRightHalfSextant = 0x2A;
constexpr std::uint32_t kFirstSextant = 0x1FB00;

}  // namespace

std::uint32_t symbol_codepoint(Symbol symbol) {
  switch (symbol.set) {
    case kGlyph: return symbol.code >= kFirstGlyph && symbol.code < kFirstGlyph + kGlyphCount ? symbol.code : 0;
    case kHalf: return symbol.code < 4 ? kHalfChars[symbol.code] : 0;
    case kQuadrant: return symbol.code < 16 ? kQuadrantChars[symbol.code] : 0;
    case kSextant: {
      const int p = symbol.code;
      if (p >= 64) return 0;
      if (p == 0) return 0x20;
      if (p == 63) return 0x2588;
      if (p == kLeftHalfSextant) return 0x258C;
      if (p == kRightHalfSextant) return 0x2590;
      return kFirstSextant + std::uint32_t(p - 1 - (p > kLeftHalfSextant) - (p > kRightHalfSextant));
    }
    default: return 0;
  }
}

std::optional<Symbol> symbol_from_codepoint(std::uint32_t cp) {
  if (cp >= std::uint32_t(kFirstGlyph) && cp < std::uint32_t(kFirstGlyph + kGlyphCount))
    return Symbol{kGlyph, std::uint8_t(cp)};
  for (int q = 1; q < 16; q++) {
    if (kQuadrantChars[q] == cp) return Symbol{kQuadrant, std::uint8_t(q)};
  }
  if (cp >= kFirstSextant && cp < kFirstSextant + 60) {
    int p = int(cp - kFirstSextant) + 1;
    if (p >= kLeftHalfSextant) p++;
    if (p >= kRightHalfSextant) p++;
    return Symbol{kSextant, std::uint8_t(p)};
  }
  return std::nullopt;
}

}  // namespace gstascii
