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

// Octants (bit k: row k / 2, column k % 2, the Unicode numbering's octant k + 1). Unicode 16 gave
// 230 patterns characters of their own, U+1CD00 onwards in pattern order; the other 26 are
// characters from before: the quadrant patterns, and these.
constexpr std::uint32_t kFirstOctant = 0x1CD00;
constexpr int kOctantChars = 230;
struct OctantElsewhere {
  std::uint8_t pattern;
  std::uint32_t codepoint;
};
constexpr OctantElsewhere kOctantsElsewhere[] = {
    {0x01, 0x1CEA8},  // LEFT HALF UPPER ONE QUARTER BLOCK
    {0x02, 0x1CEAB},  // RIGHT HALF UPPER ONE QUARTER BLOCK
    {0x40, 0x1CEA3},  // LEFT HALF LOWER ONE QUARTER BLOCK
    {0x80, 0x1CEA0},  // RIGHT HALF LOWER ONE QUARTER BLOCK
    {0x03, 0x1FB82},  // UPPER ONE QUARTER BLOCK
    {0xC0, 0x2582},   // LOWER ONE QUARTER BLOCK
    {0x3F, 0x1FB85},  // UPPER THREE QUARTERS BLOCK
    {0xFC, 0x2586},   // LOWER THREE QUARTERS BLOCK
    {0x14, 0x1FBE6},  // MIDDLE LEFT ONE QUARTER BLOCK
    {0x28, 0x1FBE7},  // MIDDLE RIGHT ONE QUARTER BLOCK
};

// The quadrant an octant pattern is (each quadrant's two octants both set or both clear), or -1.
int octant_as_quadrant(int p) {
  int q = 0;
  for (int k = 0; k < 4; k++) {
    const int pair = (p >> ((k / 2) * 4 + k % 2)) & 0x5;  // the quadrant's octants, two rows apart
    if (pair == 0x5) {
      q |= 1 << k;
    } else if (pair != 0) {
      return -1;
    }
  }
  return q;
}

struct OctantTable {
  std::uint32_t codepoint[256];
  OctantTable() {
    std::uint32_t next = kFirstOctant;
    for (int p = 0; p < 256; p++) {
      std::uint32_t& cp = codepoint[p];
      cp = 0;
      const int q = octant_as_quadrant(p);
      if (q >= 0) cp = kQuadrantChars[q];
      for (const OctantElsewhere& e : kOctantsElsewhere) {
        if (e.pattern == p) cp = e.codepoint;
      }
      if (cp == 0) cp = next++;
    }
  }
};
const OctantTable& octant_table() {
  static const OctantTable table;
  return table;
}

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
    case kOctant: return octant_table().codepoint[symbol.code];
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
  if (cp >= kFirstOctant && cp < kFirstOctant + kOctantChars) {
    const OctantTable& table = octant_table();
    for (int p = 0; p < 256; p++) {
      if (table.codepoint[p] == cp) return Symbol{kOctant, std::uint8_t(p)};
    }
  }
  for (const OctantElsewhere& e : kOctantsElsewhere) {
    if (e.codepoint == cp) return Symbol{kOctant, e.pattern};
  }
  return std::nullopt;
}

}  // namespace gstascii
