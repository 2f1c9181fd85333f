// Benchmark: `ascii-launch record` on a 1080p30 H.264 + AAC stream sent over TCP in real time.
//
//   build/tests/bench/bench-record build/tools/ascii-launch [--seconds 30] [--part 5]
//   build/tests/bench/bench-record build/tools/ascii-launch --talk [--seconds 600] [--part 20]
//
// --talk: a synthetic talk instead of test patterns: a slide of text every --part seconds
// (ImageMagick, 1920x1080) and speech (espeak-ng reading each slide), recorded with the slide
// text (OCR) on; it then also prints the time from the sender sending each slide to its text
// being on disk (target: under 2 s), and how much of the text was read right.
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
#include "text_accuracy.h"

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

// Runs a command to its end; false when it fails.
bool run_command(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  g_autoptr(GError) error = nullptr;
  gint status = 0;
  if (!g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr, nullptr, &status,
                    &error) ||
      !g_spawn_check_wait_status(status, nullptr)) {
    fprintf(stderr, "bench-record: %s failed%s%s\n", argv[0], error ? ": " : "", error ? error->message : "");
    return false;
  }
  return true;
}

// The words on slide |k| of the talk: a title and three lines, each slide's its own.
std::vector<std::string> slide_lines(int k) {
  static const char* kTopics[] = {"Revenue", "Latency",  "Caching", "Encoding",
                                  "Hiring",  "Security", "Storage", "Testing"};
  static const char* kVerbs[] = {"grew", "fell", "held", "doubled"};
  const std::string topic = kTopics[k % G_N_ELEMENTS(kTopics)];
  return {"Part " + std::to_string(k + 1) + ": " + topic + " review",
          topic + " " + kVerbs[k % 4] + " by " + std::to_string(3 + 7 * k % 40) + " percent",
          "Owner: team " + std::to_string(100 + k) + ", due in week " + std::to_string(1 + k % 52),
          "Next step: measure it again on day " + std::to_string(2 * k + 1)};
}

// The talk: slides of text, |part| s each, with espeak-ng reading each one out, as H.264 + AAC in
// MPEG-TS at |path|.
bool make_talk(const std::string& dir, const std::string& path, int parts, int part) {
  // Speech: each slide read out, padded with silence to the slide's length, in one WAV.
  std::string pcm;
  const int rate = 22050;  // espeak-ng's
  for (int k = 0; k < parts; k++) {
    const std::vector<std::string> lines = slide_lines(k);
    const std::string png = dir + "/slide" + std::to_string(k) + ".png";
    std::vector<std::string> draw = {"convert",    "-size",    "1920x1080",        "xc:white",   "-fill",
                                     "black",      "-font",    "DejaVu-Sans-Bold", "-pointsize", "72",
                                     "-annotate",  "+120+200", lines[0],           "-font",      "DejaVu-Sans",
                                     "-pointsize", "54"};
    for (size_t i = 1; i < lines.size(); i++)
      draw.insert(draw.end(), {"-annotate", "+150+" + std::to_string(300 + 150 * i), lines[i]});
    draw.push_back(png);
    std::string said;
    for (const auto& l : lines) said += l + ". ";
    const std::string wav = dir + "/speech" + std::to_string(k) + ".wav";
    if (!run_command(draw) || !run_command({"espeak-ng", "-s", "150", "-w", wav, said})) return false;
    gchar* contents = nullptr;
    gsize size = 0;
    if (!g_file_get_contents(wav.c_str(), &contents, &size, nullptr)) return false;
    std::string samples(contents + std::min<gsize>(44, size), contents + size);
    g_free(contents);
    samples.resize(size_t(part) * rate * 2, '\0');
    pcm += samples;
  }
  std::string wav = "RIFF....WAVEfmt ";
  auto u32 = [&](uint32_t v) { wav.append(reinterpret_cast<const char*>(&v), 4); };
  auto u16 = [&](uint16_t v) { wav.append(reinterpret_cast<const char*>(&v), 2); };
  u32(16);
  u16(1);
  u16(1);
  u32(rate);
  u32(rate * 2);
  u16(2);
  u16(16);
  wav += "data";
  u32(uint32_t(pcm.size()));
  const uint32_t riff = uint32_t(wav.size() - 8 + pcm.size());
  memcpy(&wav[4], &riff, 4);
  wav += pcm;
  const std::string speech = dir + "/speech.wav";
  if (!g_file_set_contents(speech.c_str(), wav.data(), gssize(wav.size()), nullptr)) return false;
  // Each slide as 30 fps video for its part; the speech as AAC.
  std::string description = "mpegtsmux name=mux ! filesink location=\"" + path +
                            "\" concat name=c ! videoconvert ! x264enc speed-preset=ultrafast tune=stillimage "
                            "bitrate=2000 key-int-max=60 ! h264parse ! queue ! mux. ";
  for (int k = 0; k < parts; k++) {
    description += "filesrc location=\"" + dir + "/slide" + std::to_string(k) +
                   ".png\" ! pngdec ! videoconvert ! imagefreeze num-buffers=" + std::to_string(part * 30) +
                   " ! video/x-raw,format=I420,framerate=30/1 ! c. ";
  }
  description += "filesrc location=\"" + speech +
                 "\" ! wavparse ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! avenc_aac ! "
                 "aacparse ! queue ! mux.";
  return run_to_eos(description);
}

// Slide to text on disk: slide k was sent k * part s after the sender's first byte (|first_sent|,
// seconds since the epoch); its text file's time is when the text was on disk.
void print_slide_text(const std::string& session, int parts, int part, double first_sent) {
  std::vector<double> latencies;
  double accuracy_sum = 0;
  g_autoptr(JsonParser) index = json_parser_new();
  if (json_parser_load_from_file(index, (session + "/frames/index.json").c_str(), nullptr)) {
    JsonArray* frames = json_node_get_array(json_parser_get_root(index));
    for (guint i = 0; i < json_array_get_length(frames); i++) {
      JsonObject* f = json_array_get_object_element(frames, i);
      JsonObject* ocr = json_object_has_member(f, "ocr") ? json_object_get_object_member(f, "ocr") : nullptr;
      const double t = json_object_get_double_member(f, "timestamp");
      const int k = int(std::lround(t / part));
      const char* status = ocr ? json_object_get_string_member(ocr, "status") : "absent";
      GStatBuf st;
      if (g_strcmp0(status, "done") != 0 || g_stat(json_object_get_string_member(ocr, "path"), &st) != 0) {
        printf("slide %d at %.2f s: text %s\n", k + 1, t, status);
        continue;
      }
      const double on_disk = double(st.st_mtim.tv_sec) + st.st_mtim.tv_nsec / 1e9;
      std::string want;
      for (const auto& line : slide_lines(k)) want += line + "\n";
      latencies.push_back(on_disk - (first_sent + double(k * part)));
      accuracy_sum += character_accuracy(want, json_object_get_string_member(ocr, "text"));
    }
  }
  const size_t read = latencies.size();
  std::sort(latencies.begin(), latencies.end());
  printf("slides read: %zu of %d, %.1f %% of their characters right on average\n", read, parts,
         read ? 100 * accuracy_sum / double(read) : 0.0);
  printf("slide to its text on disk: median %.0f ms, worst %.0f ms (target: under 2000 ms)\n",
         read ? latencies[read / 2] * 1000 : 0.0, read ? latencies.back() * 1000 : 0.0);
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
    fprintf(stderr, "usage: bench-record ASCII-LAUNCH [--talk] [--seconds S] [--part S]\n");
    return 2;
  }
  const std::string launcher = argv[1];
  bool talk = false;
  int seconds = 0, part = 0;
  for (int i = 2; i < argc; i++) {
    if (!strcmp(argv[i], "--talk")) talk = true;
    if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atoi(argv[++i]);
    if (!strcmp(argv[i], "--part") && i + 1 < argc) part = atoi(argv[++i]);
  }
  if (seconds <= 0) seconds = talk ? 600 : 30;
  if (part <= 0) part = talk ? 20 : 5;
  const int parts = std::max(1, seconds / std::max(1, part));
  seconds = parts * part;

  g_autofree gchar* tmp = g_dir_make_tmp("bench-record-XXXXXX", nullptr);
  const std::string dir = tmp;
  const std::string clip = dir + "/clip.ts";
  if (talk) {
    printf(
        "bench-record: making a %d s talk: 1080p30 H.264 (x264, 2 Mbit/s) slides of text, a new one every %d s, and "
        "espeak-ng speech in AAC ...\n",
        seconds, part);
  } else {
    printf("bench-record: making %d s of 1080p30 H.264 (8 Mbit/s) + AAC, a new picture every %d s ...\n", seconds,
           part);
  }
  fflush(stdout);
  if (!(talk ? make_talk(dir, clip, parts, part) : make_stream(clip, parts, part))) return 1;

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
    // The slide text on for the talk (and its first slide saved too); the test patterns have none
    // to read.
    execl(launcher.c_str(), launcher.c_str(), "record", "--listen", ("127.0.0.1:" + std::to_string(port)).c_str(),
          "--out", (dir + "/sessions").c_str(), "--rtsp-port", "0", "--max-interval", talk ? "3600" : "0",
          "--ocr-language", talk ? "eng" : "none", nullptr);
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

  printf("\nrecorder CPU while %.1f s of stream arrived%s: %.2f s, %.1f %% of one core (target: under 100 %%)\n", wall,
         talk ? " (slide text on)" : "", cpu, 100.0 * cpu / wall);
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
  if (talk) print_slide_text(session, parts, part, clock.first_real_us / 1e6);
  nftw(
      dir.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return remove(path); }, 16,
      FTW_DEPTH | FTW_PHYS);
  return sent && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
