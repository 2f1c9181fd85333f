// Conformance with the seed server: with mapping=seed, grid-size BGR frames through
// asciimap ! ascilinepay give, frame for frame, exactly the bytes of the seed's _encode_frame.
// The reference below is a plain transcription of that Python function, independent of gst/.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <random>
#include <string>

#include "test_util.h"

// The seed's published palette, written out again here so the test does not trust gst/.
static const std::string kSeedPalette =
    " `.-':_,^=;><+!rc*/z?sLTv)J7(|Fi{C}fI31tlu[neoZ5Yxjya]2ESwqkP6h9d4VpOGbUAKXHm8RD#$Bg0MNWQ%&@";

// _encode_frame(raw, frame_index, cols, rows, char_byte_lut, n_chars, qb, send_buf), step by step:
//   gray = cv2.cvtColor(bgr, BGR2GRAY)              -> (9798 R + 19235 G + 3735 B + 16384) >> 15
//   indices = gray // max(1, 256 // n_chars), clipped to n_chars - 1
//   out[..., 0] = lut[indices]; out[..., 1:] = (rgb >> qb) << qb
//   struct.pack_into(">I", send_buf, 0, frame_index)
static std::vector<std::uint8_t> seed_encode_frame(const std::vector<std::uint8_t>& bgr, std::uint32_t frame_index,
                                                   int cols, int rows, int qb) {
  const int n_chars = int(kSeedPalette.size());
  const int step = std::max(1, 256 / n_chars);
  std::vector<std::uint8_t> out(4 + std::size_t(cols) * rows * 4);
  out[0] = std::uint8_t(frame_index >> 24);
  out[1] = std::uint8_t(frame_index >> 16);
  out[2] = std::uint8_t(frame_index >> 8);
  out[3] = std::uint8_t(frame_index);
  for (int i = 0; i < cols * rows; ++i) {
    const int b = bgr[3 * i], g = bgr[3 * i + 1], r = bgr[3 * i + 2];
    const int gray = (9798 * r + 19235 * g + 3735 * b + 16384) >> 15;
    const int index = std::min(gray / step, n_chars - 1);
    out[4 + 4 * i] = std::uint8_t(kSeedPalette[index]);
    out[4 + 4 * i + 1] = std::uint8_t((r >> qb) << qb);
    out[4 + 4 * i + 2] = std::uint8_t((g >> qb) << qb);
    out[4 + 4 * i + 3] = std::uint8_t((b >> qb) << qb);
  }
  return out;
}

static RunResult encode_through_pipeline(const std::vector<std::vector<std::uint8_t>>& frames, int cols, int rows,
                                         int mode) {
  const std::string description =
      "appsrc name=in format=time caps=video/x-raw,format=BGR,width=" + std::to_string(cols) +
      ",height=" + std::to_string(rows) + ",framerate=30/1 ! asciimap mapping=seed mode=" + std::to_string(mode) +
      " ! ascilinepay init-form=seed ! appsink name=out";
  return run_launch(description, [&](GstElement* p) { push_frames(p, frames); });
}

GST_START_TEST(test_random_frames_bit_exact) {
  const int cols = 200, rows = 84;
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<std::vector<std::uint8_t>> frames(12, std::vector<std::uint8_t>(cols * rows * 3));
  for (std::size_t f = 0; f < frames.size(); ++f) {
    for (std::size_t i = 0; i < frames[f].size(); ++i) {
      // Half the frames uniform noise, half smooth gradients (every gray level, many equal cells).
      frames[f][i] = f % 2 ? std::uint8_t(byte(rng)) : std::uint8_t((i / 3 % cols + f * 7 + (i % 3) * 40) & 255);
    }
  }
  // The seed's modes (qb 5, 3, 2, 0) and mode 6 (16 M colours, qb 0).
  const std::pair<int, int> modes[] = {{2, 5}, {3, 3}, {4, 2}, {5, 0}, {6, 0}};
  for (auto [mode, qb] : modes) {
    RunResult r = encode_through_pipeline(frames, cols, rows, mode);
    fail_unless(r.error.empty(), "%s", r.error.c_str());
    const auto out = r.frames();
    fail_unless_equals_int(out.size(), frames.size());
    for (std::size_t f = 0; f < frames.size(); ++f) {
      const auto want = seed_encode_frame(frames[f], std::uint32_t(f), cols, rows, qb);
      fail_unless(out[f]->bytes == want, "mode %d frame %zu differs from the seed encoder", mode, f);
      fail_if(out[f]->text);
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_hand_checked_cells) {
  // One row of eight pixels (24 bytes, so the row needs no stride padding), each checked by hand:
  // gray, palette index, quantised colour (mode 3).
  struct {
    std::uint8_t r, g, b;
    char ch;
    std::uint8_t qr, qg, qb;
  } cells[] = {
      {0, 0, 0, ' ', 0, 0, 0},              // gray 0
      {255, 255, 255, '@', 248, 248, 248},  // gray 255 -> index 127, clipped to 91
      {255, 0, 0, '1', 248, 0, 0},          // gray 76 -> index 38
      {0, 255, 0, 'H', 0, 248, 0},          // gray 150 -> index 75
      {0, 0, 255, '!', 0, 0, 248},          // gray 29 -> index 14
      {128, 128, 128, 'd', 128, 128, 128},  // gray 128 -> index 64
      {100, 150, 200, 'b', 96, 144, 200},   // gray 141 -> index 70
      {50, 50, 50, ')', 48, 48, 48},        // gray 50 -> index 25
  };
  std::vector<std::uint8_t> bgr;
  for (auto& c : cells) bgr.insert(bgr.end(), {c.b, c.g, c.r});
  RunResult r = encode_through_pipeline({bgr}, 8, 1, 3);
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  const auto& msg = r.frames().at(0)->bytes;
  fail_unless_equals_int(msg.size(), 4 + 8 * 4);
  for (int i = 0; i < 8; ++i) {
    fail_unless_equals_int(msg[4 + 4 * i], cells[i].ch);
    fail_unless_equals_int(msg[4 + 4 * i + 1], cells[i].qr);
    fail_unless_equals_int(msg[4 + 4 * i + 2], cells[i].qg);
    fail_unless_equals_int(msg[4 + 4 * i + 3], cells[i].qb);
  }
}
GST_END_TEST;

GST_START_TEST(test_seed_init_message) {
  std::vector<std::vector<std::uint8_t>> frames(1, std::vector<std::uint8_t>(200 * 84 * 3, 0));
  RunResult r = encode_through_pipeline(frames, 200, 84, 3);
  fail_unless(r.error.empty(), "%s", r.error.c_str());
  fail_unless(!r.buffers.empty() && r.buffers[0].header && r.buffers[0].text);
  fail_unless(r.buffers[0].str() == "INIT:30.0:3:200:84:0", "%s", r.buffers[0].str().c_str());
}
GST_END_TEST;

static Suite* conformance_suite(void) {
  Suite* s = suite_create("conformance");
  TCase* tc = tcase_create("seed");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_random_frames_bit_exact);
  tcase_add_test(tc, test_hand_checked_cells);
  tcase_add_test(tc, test_seed_init_message);
  return s;
}

GST_CHECK_MAIN(conformance);
