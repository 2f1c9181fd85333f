// Unit tests of the ANSI encoder (gst/ansi_encoder.h): its bytes are played into a virtual terminal
// written here (cursor moves, SGR colours, UTF-8 characters, the synchronized-output markers), and
// a stream of frames drawn as deltas must leave the same screen as each frame drawn whole.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "ansi_encoder.h"
#include "virtual_terminal.h"
#include "symbol_unicode.h"

using namespace gstascii;

namespace {

// A random cell from every set, in colours from a small palette (so that neighbours often share).
SymbolCell random_cell(std::mt19937& rng) {
  static const std::uint8_t palette[6][3] = {{0, 0, 0},     {255, 255, 255}, {200, 30, 20},
                                             {10, 40, 220}, {90, 180, 60},   {128, 128, 128}};
  SymbolCell cell{};
  cell.set = std::uint8_t(rng() % kSymbolSets);
  switch (cell.set) {
    case kGlyph: cell.code = std::uint8_t(33 + rng() % 94); break;
    case kHalf: cell.code = std::uint8_t(rng() % 4); break;
    case kQuadrant: cell.code = std::uint8_t(rng() % 16); break;
    case kSextant: cell.code = std::uint8_t(rng() % 64); break;
    default: cell.code = std::uint8_t(rng() % 256); break;
  }
  const auto& fg = palette[rng() % 6];
  const auto& bg = palette[rng() % 6];
  for (int k = 0; k < 3; k++) {
    cell.fg[k] = fg[k];
    cell.bg[k] = bg[k];
  }
  return cell;
}

}  // namespace

GST_START_TEST(test_deltas_leave_the_full_picture) {
  // 30 frames of 40 x 12, each changing a tenth of the cells of the one before: drawn as deltas on
  // one terminal, and each whole on another, the two screens agree after every frame.
  // Every palette, and every set of characters (octants are 4 bytes of UTF-8).
  for (int variant = 0; variant < 9; variant++) {
    const AnsiColors colors = AnsiColors(variant % 3);
    const AnsiSymbols symbols = AnsiSymbols(variant / 3);
    const int cols = 40, rows = 12;
    std::mt19937 rng(7);
    std::vector<SymbolCell> frame(cols * rows);
    for (auto& c : frame) c = random_cell(rng);
    AnsiEncoder deltas, whole;
    AnsiOptions options;
    options.colors = colors;
    options.symbols = symbols;
    deltas.configure(cols, rows, options);
    whole.configure(cols, rows, options);
    VirtualTerminal streamed(cols, rows);
    std::size_t delta_bytes = 0, full_bytes = 0;
    for (int f = 0; f < 30; f++) {
      if (f > 0) {
        for (int k = 0; k < cols * rows / 10; k++) frame[rng() % frame.size()] = random_cell(rng);
      }
      std::string delta, full;
      const bool was_full = deltas.encode(frame.data(), false, &delta);
      fail_unless(was_full == (f == 0), "frame %d: full %d", f, was_full);
      whole.encode(frame.data(), true, &full);
      fail_unless(streamed.play(delta), "frame %d: %s", f, streamed.error().c_str());
      fail_if(streamed.synchronized(), "a frame left synchronized output on");
      VirtualTerminal fresh(cols, rows);
      fail_unless(fresh.play(full), "%s", fresh.error().c_str());
      fail_unless(streamed.same_as(fresh), "colours %d, symbols %d, frame %d: the deltas differ from the whole picture",
                  int(colors), int(symbols), f);
      // And the screen shows each cell's own character.
      for (int i = 0; i < cols * rows; i++) {
        fail_unless(fresh.seen(i / cols, i % cols).codepoint == ansi_cell(frame[i], colors, symbols).codepoint);
      }
      if (f > 0) {
        delta_bytes += delta.size();
        full_bytes += full.size();
      }
    }
    g_print("colours %d, symbols %d: deltas of a tenth of the cells: %.0f %% of a full picture's bytes\n", int(colors),
            int(symbols), 100.0 * double(delta_bytes) / double(full_bytes));
    fail_unless(delta_bytes * 2 < full_bytes, "deltas %zu bytes, full pictures %zu", delta_bytes, full_bytes);
  }
}
GST_END_TEST;

GST_START_TEST(test_frame_shapes) {
  const int cols = 20, rows = 5;
  std::vector<SymbolCell> frame(cols * rows);
  const std::uint8_t grey[3] = {100, 100, 100};
  for (auto& c : frame) c = flat_symbol_cell(grey);
  AnsiEncoder encoder;
  AnsiOptions options;
  options.top = 3;
  options.left = 5;
  encoder.configure(cols, rows, options);
  std::string first;
  fail_unless(encoder.encode(frame.data(), false, &first));
  fail_unless(first.rfind("\x1b[?2026h", 0) == 0, "starts with the synchronized-output marker");
  fail_unless(first.size() > 8 && first.compare(first.size() - 8, 8, "\x1b[?2026l") == 0, "ends with it");
  fail_unless(first.find("\x1b[3;5H") != std::string::npos, "the picture starts at row 3, column 5");
  // Nothing changed: no bytes at all.
  std::string none;
  fail_if(encoder.encode(frame.data(), false, &none));
  fail_unless(none.empty(), "%zu bytes for an unchanged frame", none.size());
  // One cell changed: the markers, one move, one colour change, one character, the reset.
  frame[2 * cols + 7].set = kHalf;
  frame[2 * cols + 7].code = 1;
  frame[2 * cols + 7].fg[0] = 255;
  std::string one;
  fail_if(encoder.encode(frame.data(), false, &one));
  fail_unless(one.size() <= 66, "%zu bytes for one cell: %s", one.size(), one.c_str() + 1);
  fail_unless(one.find("\x1b[5;12H") != std::string::npos, "moved to row 5, column 12");
  fail_unless(one.find("\xe2\x96\x80") != std::string::npos, "the upper half block");
  // invalidate(): the next frame is whole.
  encoder.invalidate();
  std::string again;
  fail_unless(encoder.encode(frame.data(), false, &again));
  fail_unless(again.find("\x1b[3;5H") != std::string::npos && again.size() > std::size_t(cols * rows),
              "a whole picture again");
  // Without the markers.
  options.synchronized = false;
  encoder.configure(cols, rows, options);
  std::string plain;
  encoder.encode(frame.data(), false, &plain);
  fail_unless(plain.find("2026") == std::string::npos);
}
GST_END_TEST;

GST_START_TEST(test_colours_and_symbols) {
  const std::uint8_t red[3] = {255, 0, 0}, grey[3] = {128, 128, 128}, black[3] = {0, 0, 0}, white[3] = {255, 255, 255},
                     navy[3] = {0, 0, 230};
  fail_unless_equals_int(ansi_256_index(red), 196);
  fail_unless_equals_int(ansi_256_index(grey), 244);
  fail_unless_equals_int(ansi_256_index(black), 16);
  fail_unless_equals_int(ansi_16_index(black), 0);
  fail_unless_equals_int(ansi_16_index(white), 15);
  fail_unless_equals_int(ansi_16_index(navy), 4);
  // A letter in its two colours; a space or a full block carries only the colour it shows.
  SymbolCell letter{kGlyph, 'A', {255, 0, 0}, {0, 0, 230}};
  AnsiCell a = ansi_cell(letter, AnsiColors::kTrue);
  fail_unless(a.codepoint == 'A' && a.fg == 0xFF0000 && a.bg == 0x0000E6);
  SymbolCell full{kHalf, 3, {1, 2, 3}, {9, 9, 9}};
  a = ansi_cell(full, AnsiColors::kTrue);
  fail_unless(a.codepoint == 0x2588 && a.bg == a.fg);
  // Octants and edges have no character here: the block nearest their shape. The top two rows of
  // four octants are exactly the upper half block, whatever the font has.
  SymbolCell top_octants{kOctant, 0x0F, {255, 255, 255}, {0, 0, 0}};
  for (AnsiSymbols symbols : {AnsiSymbols::kBlocks, AnsiSymbols::kSextant}) {
    a = ansi_cell(top_octants, AnsiColors::kTrue, symbols);
    fail_unless(a.codepoint == 0x2580, "U+%04X", a.codepoint);
  }
  // With a Unicode 16 font, octants are their own characters; without, the nearest sextant.
  const SymbolCell stair{kOctant, 0x1E, {255, 255, 255}, {0, 0, 0}};  // octants 2, 3, 4 and 5
  a = ansi_cell(stair, AnsiColors::kTrue, AnsiSymbols::kOctant);
  fail_unless(a.codepoint == 0x1CD16, "U+%04X", a.codepoint);  // BLOCK OCTANT-2345
  a = ansi_cell(stair, AnsiColors::kTrue, AnsiSymbols::kSextant);
  fail_unless(symbol_from_codepoint(a.codepoint) && symbol_from_codepoint(a.codepoint)->set != kOctant, "U+%04X",
              a.codepoint);
  // A sextant with a font of blocks only: the left column is the left half block.
  a = ansi_cell(SymbolCell{kSextant, 0x15, {255, 255, 255}, {0, 0, 0}}, AnsiColors::kTrue, AnsiSymbols::kBlocks);
  fail_unless(a.codepoint == 0x258C, "U+%04X", a.codepoint);
  a = ansi_cell(SymbolCell{kSextant, 0x03, {255, 255, 255}, {0, 0, 0}}, AnsiColors::kTrue, AnsiSymbols::kSextant);
  fail_unless(a.codepoint == 0x1FB02, "U+%04X", a.codepoint);  // the top row of a sextant is its own character
  for (int code = 0; code < kEdgeCount; code += 17) {
    SymbolCell edge{kEdge, std::uint8_t(code), {255, 255, 255}, {0, 0, 0}};
    a = ansi_cell(edge, AnsiColors::k256, AnsiSymbols::kBlocks);
    const auto quadrant = symbol_from_codepoint(a.codepoint);
    fail_unless(a.codepoint == 0x20 || a.codepoint == 0x2588 || a.codepoint == 0x2580 || a.codepoint == 0x2584 ||
                    (quadrant && quadrant->set == kQuadrant),
                "edge %d: U+%04X", code, a.codepoint);
    a = ansi_cell(edge, AnsiColors::k256, AnsiSymbols::kSextant);
    fail_unless(a.codepoint == 0x20 || a.codepoint == 0x2588 || a.codepoint == 0x2580 || a.codepoint == 0x2584 ||
                    symbol_from_codepoint(a.codepoint),
                "edge %d: U+%04X", code, a.codepoint);
  }
}
GST_END_TEST;

static Suite* ansi_suite(void) {
  Suite* s = suite_create("ansi");
  TCase* tc = tcase_create("encoder");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_deltas_leave_the_full_picture);
  tcase_add_test(tc, test_frame_shapes);
  tcase_add_test(tc, test_colours_and_symbols);
  return s;
}

GST_CHECK_MAIN(ansi);
