// Benchmark: `ascii-launch record` on a 1080p30 H.264 + AAC stream sent over TCP in real time.
//
//   build/tests/bench/bench-record build/tools/ascii-launch [--seconds 30] [--part 5]
//
// It makes the stream first (test patterns that change every --part seconds, so the cuts are at
// known times; H.264 at 8 Mbit/s with openh264enc, AAC with avenc_aac, in MPEG-TS), then prints:
// - the recorder's CPU while the stream arrives (segments, scene detection on every decoded
//   picture, the JPEG and ASCII frames, the 16 kHz WAV chunks), as a share of one core;
// - a baseline timed in the same run: gst-launch-1.0 decoding the same stream's pictures and sound
//   (the least any recorder that looks at every picture must spend), and the ratio of the two;
// - the recorder's resident memory at the end;
// - for each cut, the time from the sender sending it to its JPEG being on disk.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ftw.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "proc_stats.h"

namespace {

// Runs a launch description to EOS; false (with the reason on stderr) on an error.
bool run_to_eos(const std::string& description) {
  g_autoptr(GError) error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline) {
    fprintf(stderr, "bench-record: %s\n", error->message);
    return false;
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool ok = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  if (!ok) {
    g_autoptr(GError) err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    fprintf(stderr, "bench-record: %s\n", err->message);
  }
  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return ok;
}

// The test stream: |parts| unlike pictures (some moving), |part| seconds each, with a tone.
bool make_stream(const std::string& path, int parts, int part) {
  static const char* kPatterns[] = {"pattern=smpte horizontal-speed=4",
                                    "pattern=ball motion=wavy",
                                    "pattern=pinwheel",
                                    "pattern=zone-plate kt=2",
                                    "pattern=checkers-8",
                                    "pattern=spokes",
                                    "pattern=circular",
                                    "pattern=gradient"};
  std::string description =
      "mpegtsmux name=mux ! filesink location=\"" + path +
      "\" concat name=c ! videoconvert ! openh264enc bitrate=8000000 rate-control=bitrate complexity=low "
      "gop-size=60 ! h264parse ! queue ! mux. ";
  for (int i = 0; i < parts; i++) {
    description += "videotestsrc " + std::string(kPatterns[i % G_N_ELEMENTS(kPatterns)]) +
                   " num-buffers=" + std::to_string(part * 30) +
                   " ! video/x-raw,width=1920,height=1080,framerate=30/1 ! c. ";
  }
  description += "audiotestsrc freq=440 samplesperbuffer=1600 num-buffers=" + std::to_string(parts * part * 30) +
                 " ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! avenc_aac ! aacparse ! queue ! mux.";
  return run_to_eos(description);
}

// A command's CPU seconds, run to its end (wait4's accounting).
double command_cpu_s(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fprintf(stderr, "bench-record: %s failed\n", argv[0]);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

guint free_port() {
  g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
  g_socket_bind(socket, any, FALSE, nullptr);
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, nullptr);
  return g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
}

struct SenderClock {
  gint64 first_real_us = 0;  // wall-clock time the first byte went out
  gint64 first_mono_us = 0;
};

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc < 2) {
    fprintf(stderr, "usage: bench-record ASCII-LAUNCH [--seconds S] [--part S]\n");
    return 2;
  }
  const std::string launcher = argv[1];
  int seconds = 30, part = 5;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--seconds")) seconds = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--part")) part = atoi(argv[i + 1]);
  }
  const int parts = std::max(1, seconds / std::max(1, part));
  seconds = parts * part;

  g_autofree gchar* tmp = g_dir_make_tmp("bench-record-XXXXXX", nullptr);
  const std::string dir = tmp;
  const std::string clip = dir + "/clip.ts";
  printf("bench-record: making %d s of 1080p30 H.264 (8 Mbit/s) + AAC, a new picture every %d s ...\n", seconds, part);
  fflush(stdout);
  if (!make_stream(clip, parts, part)) return 1;

  // Baseline: decoding the same pictures and sound, nothing else.
  const double decode_cpu = command_cpu_s({"gst-launch-1.0",
                                           "-q",
                                           "filesrc",
                                           "location=" + clip,
                                           "!",
                                           "tsdemux",
                                           "name=d",
                                           "d.",
                                           "!",
                                           "queue",
                                           "!",
                                           "h264parse",
                                           "!",
                                           "avdec_h264",
                                           "!",
                                           "fakesink",
                                           "d.",
                                           "!",
                                           "queue",
                                           "!",
                                           "aacparse",
                                           "!",
                                           "avdec_aac",
                                           "!",
                                           "fakesink"});

  // The recorder, its output in a file.
  const guint port = free_port();
  const std::string log = dir + "/recorder.log";
  pid_t recorder = fork();
  if (recorder == 0) {
    FILE* out = freopen(log.c_str(), "w", stdout);
    if (out) dup2(STDOUT_FILENO, STDERR_FILENO);
    execl(launcher.c_str(), launcher.c_str(), "record", "--listen", ("127.0.0.1:" + std::to_string(port)).c_str(),
          "--out", (dir + "/sessions").c_str(), "--rtsp-port", "0", "--max-interval", "0", nullptr);
    _exit(127);
  }
  for (int i = 0; i < 200; i++) {
    g_autofree gchar* said = nullptr;
    if (g_file_get_contents(log.c_str(), &said, nullptr, nullptr) && strstr(said, "waiting for MPEG-TS")) break;
    g_usleep(50 * 1000);  // a poll for the recorder's start, with a 10 s deadline
  }

  // The sender: the stream as it was muxed, paced by its own clock references.
  const std::string send =
      "filesrc location=\"" + clip +
      "\" ! tsparse set-timestamps=true ! tcpclientsink name=out sync=true host=127.0.0.1 port=" + std::to_string(port);
  g_autoptr(GError) error = nullptr;
  GstElement* sender = gst_parse_launch(send.c_str(), &error);
  SenderClock clock;
  GstElement* out = gst_bin_get_by_name(GST_BIN(sender), "out");
  GstPad* out_pad = gst_element_get_static_pad(out, "sink");
  gst_pad_add_probe(
      out_pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad*, GstPadProbeInfo*, gpointer data) {
        auto* c = static_cast<SenderClock*>(data);
        c->first_real_us = g_get_real_time();
        c->first_mono_us = g_get_monotonic_time();
        return GST_PAD_PROBE_REMOVE;
      },
      &clock, nullptr);
  gst_object_unref(out_pad);
  gst_object_unref(out);
  const double cpu_before = process_cpu_s(recorder);
  gst_element_set_state(sender, GST_STATE_PLAYING);
  g_autoptr(GstBus) bus = gst_element_get_bus(sender);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool sent = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  gst_message_unref(msg);
  const double wall = (g_get_monotonic_time() - clock.first_mono_us) / 1e6;
  const double cpu = process_cpu_s(recorder) - cpu_before;
  const long rss_kb = process_rss_kb(recorder);
  gst_element_set_state(sender, GST_STATE_NULL);
  gst_object_unref(sender);
  kill(recorder, SIGINT);
  int status = 0;
  waitpid(recorder, &status, 0);
  if (!sent) fprintf(stderr, "bench-record: the sender failed (see %s)\n", log.c_str());

  printf("\nrecorder CPU while %.1f s of stream arrived: %.2f s, %.1f %% of one core (target: under 100 %%)\n", wall,
         cpu, 100.0 * cpu / wall);
  printf("baseline, gst-launch-1.0 decoding the same pictures and sound: %.2f s, %.1f %% of one core\n", decode_cpu,
         100.0 * decode_cpu / seconds);
  printf("recorder / decode alone: %.2f\n", cpu / decode_cpu);
  printf("recorder RSS at the end: %.1f MB\n", rss_kb / 1024.0);

  // Cut to JPEG on disk, from the index: the sender sent cut k at k * part seconds after its first byte.
  GDir* sessions = g_dir_open((dir + "/sessions").c_str(), 0, nullptr);
  const char* name = sessions ? g_dir_read_name(sessions) : nullptr;
  const std::string session = dir + "/sessions/" + (name ? name : "");
  if (sessions) g_dir_close(sessions);
  g_autoptr(JsonParser) parser = json_parser_new();
  int found = 0;
  double worst = 0, sum = 0;
  if (json_parser_load_from_file(parser, (session + "/frames/index.json").c_str(), nullptr)) {
    JsonArray* frames = json_node_get_array(json_parser_get_root(parser));
    for (guint i = 0; i < json_array_get_length(frames); i++) {
      JsonObject* f = json_array_get_object_element(frames, i);
      if (g_strcmp0(json_object_get_string_member(f, "reason"), "first") == 0) continue;
      const double t = json_object_get_double_member(f, "timestamp");
      const int cut = int(std::lround(t / part));
      GStatBuf st;
      if (g_stat(json_object_get_string_member(f, "path"), &st) != 0) continue;
      const double on_disk = double(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
      const double latency = on_disk - (clock.first_real_us / 1e6 + double(cut * part));
      printf("cut at %5.2f s (%s, score %.2f): on disk %.0f ms after it was sent\n", t,
             json_object_get_string_member(f, "reason"), json_object_get_double_member(f, "score"), latency * 1000);
      if (std::fabs(t - cut * part) < 0.1) {
        found++;
        worst = std::max(worst, latency);
        sum += latency;
      }
    }
  }
  printf("cuts found: %d of %d; cut to frame on disk: mean %.0f ms, worst %.0f ms (target: under 1000 ms)\n", found,
         parts - 1, found ? sum / found * 1000 : 0.0, worst * 1000);
  nftw(
      dir.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS);
  return sent && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
