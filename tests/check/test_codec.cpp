// The adaptive codec (gst/adaptive_codec.h): hand-written messages for each tag on small grids,
// malformed ones, and round trips of synthetic video (motion, static scenes, cuts, noise) that must
// decode back to exactly the cells encoded, from the first frame or from any sync frame.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <cstring>
#include <random>
#include <vector>

#include "adaptive_codec.h"

using namespace gstascii::adaptive;
using Bytes = std::vector<std::uint8_t>;

namespace {

// A zlib stream written by hand: header, one stored (uncompressed) block, Adler-32. Independent of
// the encoder, so the decoder is checked against the format, not against itself.
Bytes stored_zlib(const Bytes& data) {
  Bytes z = {0x78,
             0x01,
             0x01,
             static_cast<std::uint8_t>(data.size()),
             static_cast<std::uint8_t>(data.size() >> 8),
             static_cast<std::uint8_t>(~data.size()),
             static_cast<std::uint8_t>(~data.size() >> 8)};
  z.insert(z.end(), data.begin(), data.end());
  std::uint32_t a = 1, b = 0;
  for (std::uint8_t c : data) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  const std::uint32_t adler = (b << 16) | a;
  for (int s = 24; s >= 0; s -= 8) z.push_back(static_cast<std::uint8_t>(adler >> s));
  return z;
}

Bytes message(std::uint32_t index, std::uint8_t tag, const Bytes& payload) {
  Bytes m = {static_cast<std::uint8_t>(index >> 24), static_cast<std::uint8_t>(index >> 16),
             static_cast<std::uint8_t>(index >> 8), static_cast<std::uint8_t>(index), tag};
  m.insert(m.end(), payload.begin(), payload.end());
  return m;
}

Decoder::Result decode(Decoder& d, const Bytes& m) {
  return d.decode(m.data(), m.size());
}

// 2 x 2 cells of (char, R, G, B).
const Bytes kA = {'a', 1, 2, 3}, kB = {'b', 4, 5, 6}, kC = {'c', 7, 8, 9}, kD = {'d', 10, 11, 12};
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

GST_START_TEST(test_raw_and_zlib_vectors) {
  Decoder d(4, 4);
  const Bytes frame = cat({kA, kB, kC, kD});
  fail_unless(decode(d, message(7, kRaw, frame)) == Decoder::Result::kFrame);
  fail_unless_equals_int(d.index(), 7);
  fail_unless(d.frame() == frame);
  // zlib with real compression, as zlib.compress(b"") writes it, cannot be a 16-byte frame.
  fail_unless(decode(d, message(8, kZlib, {0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})) ==
              Decoder::Result::kError);
  fail_unless_equals_int(d.index(), 7);
  const Bytes other = cat({kD, kC, kB, kA});
  fail_unless(decode(d, message(9, kZlib, stored_zlib(other))) == Decoder::Result::kFrame);
  fail_unless(d.frame() == other);
  fail_unless_equals_int(d.index(), 9);
}
GST_END_TEST;

GST_START_TEST(test_delta_and_rle_vectors) {
  Decoder d(4, 4);
  // A DELTA before any frame is an error.
  fail_unless(decode(d, message(1, kDelta, stored_zlib({}))) == Decoder::Result::kError);
  // RLE_FULL: three a's then one d.
  fail_unless(decode(d, message(2, kRleFull, stored_zlib(cat({{3, 0}, kA, {1, 0}, kD})))) == Decoder::Result::kFrame);
  fail_unless(d.frame() == cat({kA, kA, kA, kD}));
  // DELTA: cells 1 and 3 (u32le), then their new values.
  fail_unless(decode(d, message(3, kDelta, stored_zlib(cat({{1, 0, 0, 0}, {3, 0, 0, 0}, kB, kC})))) ==
              Decoder::Result::kFrame);
  fail_unless(d.frame() == cat({kA, kB, kA, kC}));
  // k = 0: no change.
  fail_unless(decode(d, message(4, kDelta, stored_zlib({}))) == Decoder::Result::kFrame);
  fail_unless(d.frame() == cat({kA, kB, kA, kC}));
  fail_unless_equals_int(d.index(), 4);
  // Unknown tag: the frame is kept.
  fail_unless(decode(d, message(5, 9, {1, 2, 3})) == Decoder::Result::kUnknown);
  fail_unless(d.frame() == cat({kA, kB, kA, kC}));
  // Pixel cells (3 bytes) work the same way.
  Decoder p(2, 3);
  fail_unless(decode(p, message(0, kRleFull, stored_zlib({2, 0, 9, 8, 7}))) == Decoder::Result::kFrame);
  fail_unless(p.frame() == Bytes({9, 8, 7, 9, 8, 7}));
}
GST_END_TEST;

GST_START_TEST(test_malformed_messages) {
  Decoder d(4, 4);
  const Bytes frame = cat({kA, kB, kC, kD});
  fail_unless(decode(d, message(1, kRaw, frame)) == Decoder::Result::kFrame);
  const Bytes zframe = stored_zlib(frame);
  const std::vector<Bytes> bad = {
      {0, 0, 0},                                                                   // shorter than the header
      message(2, kRaw, Bytes(15, 0)),                                              // raw of the wrong length
      message(2, kZlib, stored_zlib(Bytes(17, 0))),                                // inflates past the frame
      message(2, kZlib, Bytes(zframe.begin(), zframe.end() - 2)),                  // truncated
      cat({message(2, kZlib, stored_zlib(frame)), {0}}),                           // bytes after the stream
      message(2, kRleFull, stored_zlib(cat({{3, 0}, kA}))),                        // runs short of 4 cells
      message(2, kRleFull, stored_zlib(cat({{3, 0}, kA, {2, 0}, kB}))),            // runs past 4 cells
      message(2, kRleFull, stored_zlib({3, 0, 1})),                                // half a run
      message(2, kDelta, stored_zlib(cat({{4, 0, 0, 0}, kA}))),                    // index out of range
      message(2, kDelta, stored_zlib(cat({{2, 0, 0, 0}, {1, 0, 0, 0}, kA, kB}))),  // not ascending
      message(2, kDelta, stored_zlib(cat({{1, 0, 0, 0}, {1, 0, 0, 0}, kA, kB}))),  // repeated
      message(2, kDelta, stored_zlib({1, 0, 0})),                                  // half an entry
      message(2, kDelta, {0x78, 0x01, 0xff}),                                      // not zlib
  };
  for (std::size_t i = 0; i < bad.size(); i++) {
    fail_unless(decode(d, bad[i]) == Decoder::Result::kError, "bad message %zu was accepted", i);
    fail_unless(d.frame() == frame && d.index() == 1, "bad message %zu changed the frame", i);
  }
}
GST_END_TEST;

namespace {

constexpr int kCols = 200, kRows = 84;
constexpr std::size_t kCells = kCols * kRows;

// Frames of 200 x 84 cells: a static scene, a pattern moving a cell a frame, hard cuts between
// unrelated pictures, and noise.
std::vector<Bytes> synthetic_video(std::size_t cell_bytes) {
  std::mt19937 rng(42);
  std::vector<Bytes> frames;
  auto picture = [&](int seed, int shift) {
    Bytes f(kCells * cell_bytes);
    for (int r = 0; r < kRows; r++) {
      for (int c = 0; c < kCols; c++) {
        std::uint8_t* cell = &f[(r * kCols + c) * cell_bytes];
        const int v = ((c + shift) / 8 + r / 6 + seed) % 7;
        for (std::size_t b = 0; b < cell_bytes; b++) cell[b] = static_cast<std::uint8_t>(32 + v * 9 + b * 40);
      }
    }
    return f;
  };
  for (int i = 0; i < 60; i++) frames.push_back(picture(0, 0));  // static
  for (int i = 0; i < 60; i++) frames.push_back(picture(1, i));  // motion
  for (int i = 0; i < 10; i++) {                                 // cuts, each held 3 frames
    Bytes f = picture(2 + i, i * 37);
    for (int k = 0; k < 3; k++) frames.push_back(f);
  }
  for (int i = 0; i < 20; i++) {  // a small object moving on a still
    Bytes f = picture(3, 0);
    for (int r = 40; r < 44; r++) {
      for (int c = i * 5; c < i * 5 + 6; c++) f[(r * kCols + c) * cell_bytes] = '#';
    }
    frames.push_back(f);
  }
  for (int i = 0; i < 10; i++) {  // noise
    Bytes f(kCells * cell_bytes);
    for (auto& b : f) b = static_cast<std::uint8_t>(rng());
    frames.push_back(f);
  }
  return frames;
}

}  // namespace

GST_START_TEST(test_round_trip) {
  for (std::size_t cell_bytes : {4u, 3u}) {
    const auto frames = synthetic_video(cell_bytes);
    Encoder enc(kCells, cell_bytes);
    Decoder dec(kCells, cell_bytes);
    std::vector<Bytes> messages;
    Bytes msg;
    for (std::size_t i = 0; i < frames.size(); i++) {
      const std::uint32_t index = 1000 + static_cast<std::uint32_t>(i);
      const Tag tag = enc.encode(index, frames[i].data(), false, &msg);
      fail_unless_equals_int(msg[4], tag);
      if (index % kKeyframeInterval == 0 || i == 0) fail_unless(is_sync_tag(tag), "frame %zu: tag %d", i, tag);
      fail_unless(decode(dec, msg) == Decoder::Result::kFrame, "frame %zu (tag %d) did not decode", i, tag);
      fail_unless(dec.frame() == frames[i], "frame %zu (tag %d) decoded to other cells", i, tag);
      fail_unless_equals_int(dec.index(), index);
      messages.push_back(msg);
    }
    // A static frame costs a few bytes; a cut is never sent as a DELTA; noise goes RAW.
    fail_unless(messages[10].size() < 20, "static frame took %zu bytes", messages[10].size());
    fail_unless(is_sync_tag(messages[120][4]), "a cut was sent as tag %d", messages[120][4]);
    fail_unless_equals_int(messages.back()[4], kRaw);
    const EncoderStats& s = enc.stats();
    fail_unless(s.by_tag[kDelta] > 0 && s.by_tag[kZlib] + s.by_tag[kRleFull] > 0);
    // Starting at any sync frame and following the stream gives the same frames.
    for (std::size_t start = 0; start < messages.size(); start += 7) {
      if (!is_sync_tag(messages[start][4])) continue;
      Decoder late(kCells, cell_bytes);
      for (std::size_t i = start; i < messages.size(); i++) {
        fail_unless(decode(late, messages[i]) == Decoder::Result::kFrame);
        fail_unless(late.frame() == frames[i], "joined at %zu: frame %zu differs", start, i);
      }
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_forced_keyframe_and_reset) {
  const auto frames = synthetic_video(4);
  Encoder enc(kCells, 4);
  Bytes msg;
  enc.encode(1, frames[0].data(), false, &msg);
  fail_unless_equals_int(enc.encode(2, frames[0].data(), false, &msg), kDelta);
  fail_unless(is_sync_tag(enc.encode(3, frames[0].data(), true, &msg)));
  enc.reset();
  fail_unless(is_sync_tag(enc.encode(4, frames[0].data(), false, &msg)));
  fail_unless(is_sync_tag(enc.encode(48, frames[0].data(), false, &msg)));
  // A decoder reset (new INIT) refuses DELTAs until a sync frame.
  Decoder dec(kCells, 4);
  enc.encode(49, frames[1].data(), false, &msg);
  fail_unless(decode(dec, msg) == Decoder::Result::kError);
}
GST_END_TEST;

static Suite* codec_suite(void) {
  Suite* s = suite_create("codec");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_raw_and_zlib_vectors);
  tcase_add_test(tc, test_delta_and_rle_vectors);
  tcase_add_test(tc, test_malformed_messages);
  tcase_add_test(tc, test_round_trip);
  tcase_add_test(tc, test_forced_keyframe_and_reset);
  return s;
}

GST_CHECK_MAIN(codec);
