// A two-hour file through ascii-launch, as a user plays a film: made by ffmpeg (H.264 and AAC, small
// and at a low rate so that making and encoding it take a minute or two, not hours), served on
// demand, so the whole of it is decoded once into the store. A viewer seeks near its end at once:
// the encoder is moved there, and what it skipped is filled in after, each picture decoded once.
// Resident memory must not grow with the length of the file (the store is on disk). Under the sanitizers (every
// allocation unwound: some ten times slower here) the file is 20 minutes long, with the same checks.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <iostream>

#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>

#include <cstring>
#include <string>
#include <vector>

#include "child_process.h"
#include "media_player.h"
#include "ws_client.h"

namespace {

constexpr int kSeconds = UNDER_ASAN ? 20 * 60 : 2 * 3600;
constexpr int kFps = 5;

std::string media_dir;

void make_long_file() {
  if (!media_dir.empty()) return;
  g_autofree gchar* dir = g_dir_make_tmp("long-file-XXXXXX", nullptr);
  media_dir = dir;
  const std::string duration = std::to_string(kSeconds);
  ChildProcess ffmpeg({"ffmpeg",
                       "-hide_banner",
                       "-loglevel",
                       "error",
                       "-nostdin",
                       "-y",
                       "-f",
                       "lavfi",
                       "-i",
                       "testsrc2=size=192x108:rate=" + std::to_string(kFps) + ":duration=" + duration,
                       "-f",
                       "lavfi",
                       "-i",
                       "sine=frequency=440:sample_rate=16000:duration=" + duration,
                       "-c:v",
                       "libx264",
                       "-preset",
                       "ultrafast",
                       "-g",
                       "25",
                       "-pix_fmt",
                       "yuv420p",
                       "-c:a",
                       "aac",
                       "-ac",
                       "1",
                       "-b:a",
                       "24k",
                       media_dir + "/long.mp4"});
  const int status = ffmpeg.wait_exit(300000);
  fail_unless(status == 0, "ffmpeg could not make the file (exit %d): %s", status, ffmpeg.output().c_str());
}

void remove_long_file() {
  if (media_dir.empty()) return;
  g_remove((media_dir + "/long.mp4").c_str());
  g_rmdir(media_dir.c_str());
}

}  // namespace

GST_START_TEST(test_two_hours_on_demand) {
  const std::string file = media_dir + "/long.mp4";
  ChildProcess launcher(launch_args(file, {"--fps", std::to_string(kFps), "--cols", "40", "--rows", "12"}), true);
  fail_unless(launcher.wait_for_output("open http://", 20000), "not served: %s", launcher.output().c_str());
  ClientLoop loop;
  WsClient* viewer = loop.connect("ws://127.0.0.1:" + std::to_string(printed_port(launcher.output())) + "/ws");
  fail_unless(loop.run_until([&] { return viewer->conn != nullptr && viewer->frames() >= 1; }, 10000));

  // At once, a seek to a minute before the end: the encoder is moved there (it would take the
  // whole encode to get there by itself), and the first frame is that time's.
  const double target = kSeconds - 60;
  const gint64 sought_at = g_get_monotonic_time();
  soup_websocket_connection_send_text(
      viewer->conn, ("{\"type\":\"seek\",\"time\":" + std::to_string(target) + ",\"requestId\":7}").c_str());
  std::size_t seeked = 0;
  long first = -1;
  fail_unless(loop.run_until(
                  [&] {
                    for (std::size_t i = seeked; i < viewer->messages.size() && first < 0; i++) {
                      const WsMessage& m = viewer->messages[i];
                      if (m.text && m.str().rfind("SEEKED", 0) == 0) seeked = i + 1;
                      if (!m.text && seeked) first = long(m.index());
                    }
                    return first >= 0;
                  },
                  60000),
              "no frame within 60 s of the seek to %.0f s", target);
  const double first_after_s = (g_get_monotonic_time() - sought_at) / 1e6;
  const long expected = long(target * kFps);
  fail_unless(first == expected, "the first frame after the seek to %.0f s is %ld, not %ld", target, first, expected);
  g_print("seek to %.0f s before it was encoded: first frame %ld after %.2f s\n", target, first, first_after_s);
  fail_unless(first_after_s < (UNDER_ASAN ? 30 : 5), "the first frame came %.1f s after the seek", first_after_s);

  // The rest is filled in, each picture decoded once; resident memory sampled every 200 ms.
  struct Sample {
    gint64 at_us;
    gsize bytes;
  };
  std::vector<Sample> samples;
  const gint64 start = g_get_monotonic_time();
  gint64 next_sample = 0;
  const bool encoded = loop.run_until(
      [&] {
        const gint64 now = g_get_monotonic_time();
        if (now >= next_sample) {
          samples.push_back({now - start, resident_bytes(launcher.pid())});
          next_sample = now + 200 * G_TIME_SPAN_MILLISECOND;
        }
        return launcher.output().find("is encoded") != std::string::npos;
      },
      600000);
  fail_unless(encoded, "not encoded in 600 s: %s", launcher.output().c_str());
  const double encode_s = (g_get_monotonic_time() - start) / 1e6;
  const std::string said = launcher.output();
  const std::size_t at = said.find("is encoded (");
  const long decoded = at == std::string::npos ? -1 : atol(said.c_str() + at + strlen("is encoded ("));
  const double ratio = double(decoded) / (kSeconds * kFps);
  // Growth from a quarter of the way through to the end: a store (or index) that keeps each
  // frame in memory would grow by some 75 % of the file's worth.
  gsize at_quarter = 0, peak = 0;
  for (const Sample& sample : samples) {
    if (sample.at_us <= gint64(encode_s * 1e6 / 4)) at_quarter = sample.bytes;
    peak = std::max(peak, sample.bytes);
  }
  const double growth_mb = (double(peak) - double(at_quarter)) / 1e6;
  g_print(
      "%d s (%d pictures) encoded in %.1f s, %ld pictures decoded (%.3f of the file's); resident %.1f MB at a "
      "quarter, %.1f MB at most (+%.1f MB)\n",
      kSeconds, kSeconds * kFps, encode_s, decoded, ratio, at_quarter / 1e6, peak / 1e6, growth_mb);
  fail_unless(ratio >= 1.0 && ratio <= 1.1, "%ld pictures decoded for %d", decoded, kSeconds * kFps);
  fail_unless(at_quarter > 0 && samples.size() >= 8, "too few samples (%zu) to tell", samples.size());
  // (Under the sanitizers freed memory waits in ASan's quarantine, up to 256 MB: measured, not held.)
  if (!UNDER_ASAN) fail_unless(growth_mb < 16.0, "resident memory grew %.1f MB after a quarter", growth_mb);
  fail_unless(!viewer->closed, "the viewer was closed");
  fail_unless_equals_int(launcher.interrupt(), 0);
}
GST_END_TEST;

static Suite* long_file_suite(void) {
  Suite* s = suite_create("long_file");
  TCase* tc = tcase_create("two_hours");
  suite_add_tcase(s, tc);
  tcase_set_timeout(tc, 900);
  tcase_add_unchecked_fixture(tc, make_long_file, remove_long_file);
  tcase_add_test(tc, test_two_hours_on_demand);
  return s;
}

GST_CHECK_MAIN(long_file);
