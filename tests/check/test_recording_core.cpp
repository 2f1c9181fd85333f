// Unit tests of the core library's recording parts (gst/): the session clock that puts a sender's
// connections on one timeline, and the text picture of a scene frame. Plain C++ under the Check
// runner that gst-check embeds.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <cstdint>
#include <string>
#include <vector>

#include "session_clock.h"
#include "text_picture.h"

using namespace gstascii;

namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr std::uint64_t kBase = 10 * kSecond;
constexpr std::int64_t kSecondUs = 1'000'000;

}  // namespace

// The first connection starts at session time 0 (carried as the base), whatever the sender's
// own clock says; decode times before it stay on the timeline.
GST_START_TEST(test_first_connection_starts_at_zero) {
  SessionClock clock(kBase);
  clock.new_connection();
  const std::uint64_t sender = 3600 * kSecond;  // an encoder that has been up an hour
  auto a = clock.map(sender + kSecond / 15, sender, 5 * kSecondUs);
  fail_unless_equals_uint64(a.pts, kBase);
  fail_unless_equals_uint64(a.dts, kBase - kSecond / 15);
  auto b = clock.map(sender + kSecond / 30, sender + kSecond / 30, 5 * kSecondUs + 1000);
  fail_unless_equals_uint64(b.pts, kBase - kSecond / 30);  // a B-frame shown before the keyframe
  fail_unless(clock.seconds(b.pts) < 0 && clock.seconds(b.pts) > -0.04);
  auto c = clock.map(sender + 2 * kSecond, SessionClock::kNone, 7 * kSecondUs);
  fail_unless_equals_uint64(c.pts, kBase + 2 * kSecond - kSecond / 15);
  fail_unless_equals_uint64(c.dts, SessionClock::kNone);
  fail_unless_equals_int(clock.connections(), 1);
}
GST_END_TEST;

// A buffer without a timestamp does not start the timeline; the next one with one does.
GST_START_TEST(test_untimed_buffer_does_not_start) {
  SessionClock clock(kBase);
  clock.new_connection();
  auto none = clock.map(SessionClock::kNone, SessionClock::kNone, 0);
  fail_unless_equals_uint64(none.pts, SessionClock::kNone);
  auto started = clock.map(5 * kSecond, SessionClock::kNone, kSecondUs);
  fail_unless_equals_uint64(started.pts, kBase);
}
GST_END_TEST;

// A sender that returns after a pause continues at the wall time it arrives: the pause shows.
GST_START_TEST(test_reconnection_after_pause) {
  SessionClock clock(kBase);
  clock.new_connection();
  clock.map(0, 0, 0);
  clock.map(2 * kSecond, 2 * kSecond, 2 * kSecondUs);  // 2 s recorded
  clock.new_connection();
  // Back 5 s after the session began, with its own timestamps starting at 100 s.
  auto back = clock.map(100 * kSecond, 100 * kSecond, 5 * kSecondUs);
  fail_unless_equals_uint64(back.pts, kBase + 5 * kSecond);
  auto later = clock.map(101 * kSecond, 101 * kSecond, 6 * kSecondUs);
  fail_unless_equals_uint64(later.pts, kBase + 6 * kSecond);
  fail_unless(clock.seconds(later.pts) == 6.0);
  fail_unless_equals_int(clock.connections(), 2);
}
GST_END_TEST;

// A sender that returns at once (its stream ran ahead of the wall clock, sent faster than real
// time) is placed just after what was recorded, never over it.
GST_START_TEST(test_reconnection_never_overlaps) {
  SessionClock clock(kBase);
  clock.new_connection();
  clock.map(0, 0, 0);
  clock.map(30 * kSecond, 30 * kSecond, kSecondUs);  // 30 s of stream in 1 s of wall time
  clock.new_connection();
  auto back = clock.map(0, 0, 2 * kSecondUs);
  fail_unless_equals_uint64(back.pts, kBase + 30 * kSecond + SessionClock::kReconnectGap);
  // Before the connection's first timestamp (a B-frame): earlier on the timeline, not below 0.
  SessionClock early(0);
  early.new_connection();
  early.map(kSecond, kSecond, 0);
  fail_unless_equals_uint64(early.map(0, 0, 0).pts, 0);
}
GST_END_TEST;

// A picture as text: the default palette's darkest and brightest characters, the rows its shape
// needs, one line a row.
GST_START_TEST(test_text_picture) {
  // 64 x 48 gray: the left half black, the right half white.
  const int w = 64, h = 48;
  std::vector<std::uint8_t> gray(w * h);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) gray[y * w + x] = x < w / 2 ? 0 : 255;
  FrameLayout layout;
  layout.model = ColourModel::kGray;
  layout.n_components = 1;
  layout.comp[0] = ComponentLayout{0, 0, 1, w, h};
  TextPicture picture;
  fail_unless(picture.configure(layout, PictureShape{w, h, 1, 1}, 16).empty());
  fail_unless_equals_int(picture.cols(), 16);
  fail_unless_equals_int(picture.rows(), 9);  // 16 * (48/64) * (3/4) = 9
  PlaneView plane{gray.data(), std::size_t(w)};
  const std::string text = picture.render(&plane);
  fail_unless_equals_int(text.size(), 9 * 17);
  for (int r = 0; r < 9; r++) {
    const std::string row = text.substr(r * 17, 17);
    fail_unless(row[16] == '\n');
    fail_unless(row.substr(0, 8) == std::string(8, kDefaultPalette.front()), "row %d: %s", r, row.c_str());
    fail_unless(row.substr(8, 8) == std::string(8, kDefaultPalette.back()), "row %d: %s", r, row.c_str());
  }
  // A layout the averager cannot use is said, not drawn.
  FrameLayout broken = layout;
  broken.comp[0].width = 0;
  fail_if(picture.configure(broken, PictureShape{w, h, 1, 1}, 16).empty());
}
GST_END_TEST;

static Suite* recording_core_suite() {
  Suite* s = suite_create("recording-core");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_first_connection_starts_at_zero);
  tcase_add_test(tc, test_untimed_buffer_does_not_start);
  tcase_add_test(tc, test_reconnection_after_pause);
  tcase_add_test(tc, test_reconnection_never_overlaps);
  tcase_add_test(tc, test_text_picture);
  return s;
}

GST_CHECK_MAIN(recording_core);
