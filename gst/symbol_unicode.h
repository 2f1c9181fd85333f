// gst-ascii core: symbol cells as Unicode characters, for terminals and for reading other tools'
// output: printable ASCII, the half and quadrant blocks (U+2580 block), the sextants (U+1FB00,
// Unicode 13) and the octants (U+1CD00, Unicode 16).
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>

#include "symbol_cell.h"

namespace gstascii {

struct Symbol {
  std::uint8_t set;
  std::uint8_t code;
};

// The character that draws |symbol| with its ink in the foreground colour; 0 when Unicode has
// none (edges). A mosaic pattern that is drawn by an older character (the octants of a quadrant
// pattern, say) gets that one. Fonts may lack the newer characters: the caller chooses which sets
// to trust.
std::uint32_t symbol_codepoint(Symbol symbol);

// The symbol a character draws; nothing for characters outside the sets above.
std::optional<Symbol> symbol_from_codepoint(std::uint32_t codepoint);

}  // namespace gstascii
