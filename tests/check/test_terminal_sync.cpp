// ascii-launch --terminal keeps the sound in step with the picture, measured: a file made by
// ffmpeg (H.264 and AAC) is black and silent but for a white flash and a beep at the same time,
// at 1, 2 ... 6 s. The player's sound goes to a PulseAudio server of the test's own, whose null
// sink's monitor is recorded by parec; its terminal bytes come through a pipe. Each read of
// either is stamped with the monotonic clock on arrival, so a beep is heard at (its read) -
// (the samples after it in the read) / rate, and a flash is seen when the frame that turns the
// screen white arrives. The two times of each pair differ by the A/V offset (parec's 5 ms of
// latency makes a beep seem up to 5 ms later than it was).
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "child_process.h"
#include "pulse_server.h"
#include "temp_dir.h"

namespace {

constexpr int kRate = 48000;
constexpr int kFlashes = 6;

// A program whose stdout is read as it comes, each read stamped with when it arrived.
class TimedOutput {
 public:
  struct Read {
    gint64 at;        // monotonic µs
    std::size_t end;  // bytes read so far, this read included
  };
  explicit TimedOutput(const std::vector<std::string>& args) {
    std::vector<gchar*> argv;
    for (auto& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
    argv.push_back(nullptr);
    GError* error = nullptr;
    fail_unless(g_spawn_async_with_pipes(
                    nullptr, argv.data(), nullptr,
                    GSpawnFlags(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL), nullptr,
                    nullptr, &pid_, nullptr, &fd_, nullptr, &error),
                "cannot start %s: %s", args[0].c_str(), error ? error->message : "");
    reader_ = g_thread_new("timed-output", read_all, this);
  }
  ~TimedOutput() {
    if (pid_ > 0) {
      stop();
      waitpid(pid_, nullptr, 0);
    }
    g_thread_join(reader_);
    close(fd_);
  }
  void stop() {
    if (pid_ > 0) kill(pid_, SIGTERM);  // never kill(-1): that is every process there is
  }
  // Waits for the program to end by itself; false if it did not within |timeout_ms|.
  bool wait_exit(int timeout_ms, int* status) {
    const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
    while (g_get_monotonic_time() < deadline) {
      if (waitpid(pid_, status, WNOHANG) == pid_) {
        pid_ = -1;
        return true;
      }
      g_usleep(20 * 1000);  // a poll interval, with the deadline above
    }
    return false;
  }
  // Waits until it has written |bytes|; false if it did not within |timeout_ms|.
  bool wait_for_bytes(std::size_t bytes, int timeout_ms) {
    const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
    while (data().size() < bytes) {
      if (g_get_monotonic_time() > deadline) return false;
      g_usleep(10 * 1000);  // a poll interval, with the deadline above
    }
    return true;
  }
  // What it wrote so far, and its reads.
  std::string data() {
    std::lock_guard<std::mutex> lock(mutex_);
    return data_;
  }
  std::vector<Read> reads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return reads_;
  }
  // When the read that brought byte |offset| arrived.
  gint64 arrival_of(std::size_t offset) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const Read& r : reads_) {
      if (offset < r.end) return r.at;
    }
    return -1;
  }

 private:
  static gpointer read_all(gpointer data) {
    auto* self = static_cast<TimedOutput*>(data);
    char buf[65536];
    for (;;) {
      const ssize_t n = read(self->fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      const gint64 now = g_get_monotonic_time();
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->data_.append(buf, std::size_t(n));
      self->reads_.push_back({now, self->data_.size()});
    }
    return nullptr;
  }

  GPid pid_ = -1;
  int fd_ = -1;
  GThread* reader_ = nullptr;
  std::mutex mutex_;
  std::string data_;
  std::vector<Read> reads_;
};

void make_clip(const std::string& path) {
  const std::string flashing = "gte(t,1)*lt(t,7)*lt(mod(t,1),0.1)";
  ChildProcess ffmpeg(
      {"ffmpeg",    "-loglevel",
       "error",     "-y",
       "-f",        "lavfi",
       "-i",        "color=c=black:s=320x180:r=30:d=8,format=yuv420p,drawbox=c=white:t=fill:enable='" + flashing + "'",
       "-f",        "lavfi",
       "-i",        "aevalsrc='if(" + flashing + ",0.5*sin(2*PI*1000*t),0)':s=48000:d=8",
       "-c:v",      "libx264",
       "-preset",   "veryfast",
       "-g",        "30",
       "-c:a",      "aac",
       "-b:a",      "128k",
       "-shortest", path});
  fail_unless_equals_int(ffmpeg.wait_exit(120000), 0);
}

// When each beep began: the first loud sample after at least 0.5 s of quiet, timed from the read
// that brought it (samples of signed 16-bit mono).
std::vector<gint64> beeps(TimedOutput& recorder) {
  const std::string pcm = recorder.data();
  const std::vector<TimedOutput::Read> reads = recorder.reads();
  std::vector<gint64> onsets;
  std::size_t quiet = 0, read = 0;
  for (std::size_t i = 0; i + 1 < pcm.size(); i += 2) {
    std::int16_t sample;
    std::memcpy(&sample, &pcm[i], 2);
    if (std::abs(int(sample)) < 3000) {
      quiet++;
      continue;
    }
    if (quiet >= kRate / 2) {
      while (reads[read].end <= i) read++;
      const std::size_t after = (reads[read].end - i) / 2;  // samples in the read from this one on
      onsets.push_back(reads[read].at - gint64(after) * G_USEC_PER_SEC / kRate);
    }
    quiet = 0;
  }
  return onsets;
}

// Whether a frame's colours (SGR 38;2;r;g;b / 48;2;r;g;b) are all bright (1), all dark (0), or
// either or none (-1).
int brightness(const std::string& frame) {
  bool bright = false, dark = false;
  for (std::size_t at = frame.find(";2;"); at != std::string::npos; at = frame.find(";2;", at + 3)) {
    int r = 0, g = 0, b = 0;
    if (std::sscanf(frame.c_str() + at + 3, "%d;%d;%d", &r, &g, &b) != 3) continue;
    if (r + g + b > 600) {
      bright = true;
    } else if (r + g + b < 150) {
      dark = true;
    }
  }
  return bright && !dark ? 1 : dark && !bright ? 0 : -1;
}

// When each flash was first seen: the arrival of a frame (ended by DEC 2026's end of synchronized
// output) that paints only bright colours, after one that painted dark ones.
std::vector<gint64> flashes(TimedOutput& player) {
  const std::string bytes = player.data();
  const std::string end = "\x1b[?2026l";
  std::vector<gint64> onsets;
  int last = 0;
  std::size_t from = 0;
  for (std::size_t at = bytes.find(end); at != std::string::npos; at = bytes.find(end, from)) {
    const int now = brightness(bytes.substr(from, at - from));
    if (now == 1 && last == 0) onsets.push_back(player.arrival_of(at + end.size() - 1));
    if (now >= 0) last = now;
    from = at + end.size();
  }
  return onsets;
}

}  // namespace

GST_START_TEST(test_sound_in_step_with_picture) {
  TempDir dir("terminal-sync-XXXXXX");
  const std::string clip = dir.path() + "/flashes.mp4";
  make_clip(clip);
  PulseServer pulse;
  const std::string server = "PULSE_SERVER=" + pulse.server();
  TimedOutput recorder({"env", server, "parec", "-d", "out.monitor", "--raw", "--format=s16le", "--rate=48000",
                        "--channels=1", "--latency-msec=5"});
  // The player starts once the recording runs: a recorder that joins as a stream starts changes
  // the null sink's latency under it, and the sink then holds that stream's clock for up to 2 s.
  fail_unless(recorder.wait_for_bytes(kRate / 5 * 2, 10000), "parec records nothing");
  TimedOutput player(
      {"env", server, "COLUMNS=80", "LINES=24", g_getenv("ASCII_LAUNCH"), "--terminal", "--colors", "truecolor", clip});
  int status = -1;
  fail_unless(player.wait_exit(60000, &status), "the player did not end");
  fail_unless(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the player failed (status %d)", status);
  recorder.stop();

  const std::vector<gint64> heard = beeps(recorder), seen = flashes(player);
  fail_unless_equals_int(int(seen.size()), kFlashes);
  fail_unless_equals_int(int(heard.size()), kFlashes);
  double sum = 0, worst = 0;
  for (int k = 0; k < kFlashes; k++) {
    const double offset_ms = double(seen[k] - heard[k]) / 1000.0;  // > 0: the picture is late
    g_print("flash %d: picture %+.1f ms from its sound\n", k + 1, offset_ms);
    sum += offset_ms;
    worst = std::max(worst, std::fabs(offset_ms));
  }
  g_print("A/V offset: mean %+.1f ms, worst %.1f ms (> 0: picture late)\n", sum / kFlashes, worst);
  // Lip sync is noticed past 45 ms of sound early or 125 ms late (ITU-R BT.1359): within 45 ms
  // either way.
  fail_unless(worst < 45, "A/V offset up to %.1f ms", worst);
}
GST_END_TEST;

static Suite* terminal_sync_suite(void) {
  Suite* s = suite_create("terminal_sync");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 180);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_sound_in_step_with_picture);
  return s;
}

GST_CHECK_MAIN(terminal_sync);
