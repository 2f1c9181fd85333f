// Benchmark: terminal output (asciiansienc's encoder and asciittysink's fan-out).
//
// 1. Bytes per frame of the deltas against a whole redraw of every frame, and encode time per
//    200 x 84 frame of half blocks in 24-bit and 256 colours, on: the demo (ascii-launch's moving
//    colour bars), a real clip (10 s of an animated film, 1080p H.264), a real street scene from a
//    fixed camera, and a still photo. Cells are made by asciimap from the decoded video, as ascii-launch makes them.
// 2. Fan-out: N terminal viewers of one 80 x 24 stream of the moving demo at 30 fps, over HTTP
//    (asciittysink, as `curl -N .../tty`) and raw TCP (tcpserversink, as `nc`), read by one thread
//    here with poll(): frames each got, and the delay from the sink taking a frame to a viewer
//    having all of it (p50, p99, max).
//
//   bench-ansi MEDIA_DIR [N ...]   (MEDIA_DIR from quality-media.sh; N: viewers, default 100 500 1000)
//   meson test -C build --benchmark ansi --verbose
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "ansi_encoder.h"
#include "gstasciielements.h"
#include "symbol_cell.h"

using namespace gstascii;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kCols = 200, kRows = 84;
constexpr guint kFullInterval = 150;  // asciiansienc's default

using Frame = std::vector<SymbolCell>;

// The symbol cells asciimap makes of |source| (a bin description of our own, no outside values),
// up to |max_frames|.
std::vector<Frame> cells_of(GstElement* source, int max_frames) {
  std::vector<Frame> frames;
  GstElement* pipeline = gst_pipeline_new("cells");
  GstElement* convert = gst_element_factory_make("videoconvert", nullptr);
  GstElement* map = gst_element_factory_make("asciimap", nullptr);
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  g_object_set(map, "style", "half", "mode", 6, "cols", kCols, "rows", kRows, nullptr);
  g_object_set(sink, "sync", FALSE, "max-buffers", 0, "wait-on-eos", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), source, convert, map, sink, nullptr);
  gst_element_link_many(convert, map, sink, nullptr);
  g_signal_connect(source, "pad-added", G_CALLBACK(+[](GstElement*, GstPad* pad, gpointer convert_element) {
                     GstPad* sink_pad = gst_element_get_static_pad(GST_ELEMENT(convert_element), "sink");
                     if (!gst_pad_is_linked(sink_pad)) gst_pad_link(pad, sink_pad);
                     gst_object_unref(sink_pad);
                   }),
                   convert);
  gst_element_link(source, convert);  // sources with a static pad
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  while (int(frames.size()) < max_frames) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 30 * GST_SECOND);
    if (!sample) break;
    GstMapInfo info;
    GstBuffer* buf = gst_sample_get_buffer(sample);
    if (gst_buffer_map(buf, &info, GST_MAP_READ)) {
      const auto* cells = reinterpret_cast<const SymbolCell*>(info.data);
      frames.emplace_back(cells, cells + kCols * kRows);
      gst_buffer_unmap(buf, &info);
    }
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return frames;
}

GstElement* demo(bool moving, int frames) {
  GstElement* bin = gst_bin_new(nullptr);
  GstElement* src = gst_element_factory_make("videotestsrc", nullptr);
  GstElement* filter = gst_element_factory_make("capsfilter", nullptr);
  gst_util_set_object_arg(G_OBJECT(src), "pattern", "smpte");
  g_object_set(src, "horizontal-speed", moving ? 4 : 0, "num-buffers", frames, nullptr);
  GstCaps* caps = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, 640, "height", G_TYPE_INT, 360, "framerate",
                                      GST_TYPE_FRACTION, 30, 1, nullptr);
  g_object_set(filter, "caps", caps, nullptr);
  gst_caps_unref(caps);
  gst_bin_add_many(GST_BIN(bin), src, filter, nullptr);
  gst_element_link(src, filter);
  GstPad* pad = gst_element_get_static_pad(filter, "src");
  gst_element_add_pad(bin, gst_ghost_pad_new("src", pad));
  gst_object_unref(pad);
  return bin;
}

// A photo repeated: a picture that does not change at all.
GstElement* photo(const std::string& path, int frames) {
  GstElement* bin = gst_bin_new(nullptr);
  GstElement* src = gst_element_factory_make("filesrc", nullptr);
  GstElement* dec = gst_element_factory_make("pngdec", nullptr);
  GstElement* freeze = gst_element_factory_make("imagefreeze", nullptr);
  g_object_set(src, "location", path.c_str(), nullptr);
  g_object_set(freeze, "num-buffers", frames, nullptr);
  gst_bin_add_many(GST_BIN(bin), src, dec, freeze, nullptr);
  gst_element_link_many(src, dec, freeze, nullptr);
  GstPad* pad = gst_element_get_static_pad(freeze, "src");
  gst_element_add_pad(bin, gst_ghost_pad_new("src", pad));
  gst_object_unref(pad);
  return bin;
}

GstElement* file(const std::string& path) {
  GstElement* decode = gst_element_factory_make("uridecodebin", nullptr);
  gchar* uri = gst_filename_to_uri(path.c_str(), nullptr);
  g_object_set(decode, "uri", uri, nullptr);
  g_free(uri);
  return decode;
}

void bytes_and_time(const char* what, const std::vector<Frame>& frames, AnsiColors colors) {
  if (frames.empty()) {
    std::printf("%-28s no frames (is the media there?)\n", what);
    return;
  }
  AnsiOptions options;
  options.colors = colors;
  AnsiEncoder deltas, wholes;
  deltas.configure(kCols, kRows, options);
  wholes.configure(kCols, kRows, options);
  std::string out;
  double delta_bytes = 0, whole_bytes = 0;
  for (std::size_t i = 0; i < frames.size(); i++) {
    out.clear();
    deltas.encode(frames[i].data(), i % kFullInterval == 0, &out);
    delta_bytes += out.size();
    out.clear();
    wholes.encode(frames[i].data(), true, &out);
    whole_bytes += out.size();
  }
  // Encode time: the whole sequence as deltas, best of 5.
  double best = 1e30;
  for (int r = 0; r < 5; r++) {
    AnsiEncoder e;
    e.configure(kCols, kRows, options);
    const auto start = Clock::now();
    for (std::size_t i = 0; i < frames.size(); i++) {
      out.clear();
      e.encode(frames[i].data(), i % kFullInterval == 0, &out);
    }
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count() / frames.size());
  }
  std::printf("%-28s %4zu frames  %8.0f B/frame (whole %8.0f)  %5.1f %%  encode %.3f ms/frame\n", what, frames.size(),
              delta_bytes / frames.size(), whole_bytes / frames.size(), 100 * delta_bytes / whole_bytes, best);
}

// ---- fan-out -----------------------------------------------------------------------------------

struct FanOut {
  std::mutex lock;
  std::vector<gint64> pushed;  // monotonic µs each frame reached the sink
};

GstPadProbeReturn note_push(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* f = static_cast<FanOut*>(data);
  std::lock_guard<std::mutex> hold(f->lock);
  f->pushed.push_back(g_get_monotonic_time());
  return GST_PAD_PROBE_OK;
}

// |tcp|: raw TCP viewers of tcpserversink (nc), else HTTP viewers of asciittysink (curl -N).
void fan_out(int viewers, double seconds, bool tcp) {
  GError* error = nullptr;
  const std::string source =
      "videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,width=640,height=360,framerate=30/1 ! "
      "videoconvert ! asciimap style=half mode=6 cols=80 rows=23 ! asciiansienc ! ";
  const std::string sink = tcp ? "tcpserversink name=tty host=127.0.0.1 port=0 sync-method=next-keyframe "
                                 "recover-policy=keyframe unit-format=bytes units-soft-max=1048576 "
                                 "units-max=4194304 async=false"
                               : "asciittysink name=tty port=0 async=false max-clients=100000";
  GstElement* pipeline = gst_parse_launch((source + sink).c_str(), &error);
  if (!pipeline) {
    std::printf("fan-out: %s\n", error->message);
    return;
  }
  GstElement* tty = gst_bin_get_by_name(GST_BIN(pipeline), "tty");
  FanOut stats;
  GstPad* pad = gst_element_get_static_pad(tty, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, note_push, &stats, nullptr);
  gst_object_unref(pad);
  gst_element_set_state(pipeline, GST_STATE_PAUSED);
  guint port = 0;
  for (int i = 0; i < 500 && port == 0; i++) {
    if (tcp) {
      gint current = 0;
      g_object_get(tty, "current-port", &current, nullptr);
      port = current > 0 ? guint(current) : 0;
    } else {
      g_object_get(tty, "port", &port, nullptr);
    }
    if (!port) g_usleep(10000);
  }
  struct Viewer {
    int fd = -1;
    std::string tail;            // the last bytes read, for a marker split between reads
    std::vector<gint64> frames;  // monotonic µs each frame's end arrived
  };
  std::vector<Viewer> v(viewers);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const std::string request = "GET /tty HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  for (auto& viewer : v) {
    viewer.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(viewer.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        (!tcp && write(viewer.fd, request.data(), request.size()) != ssize_t(request.size()))) {
      std::printf("fan-out: cannot connect viewer (%s)\n", strerror(errno));
      return;
    }
  }
  guint connected = 0;
  for (int i = 0; i < 1000 && connected < guint(viewers); i++) {
    g_object_get(tty, tcp ? "num-handles" : "clients", &connected, nullptr);
    if (connected < guint(viewers)) g_usleep(10000);
  }
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  const gint64 started = g_get_monotonic_time();
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  static const char kEnd[] = "\x1b[?2026l";
  const std::size_t end_len = sizeof(kEnd) - 1;
  std::vector<pollfd> fds(viewers);
  for (int i = 0; i < viewers; i++) fds[i] = {v[i].fd, POLLIN, 0};
  std::vector<char> buf(256 * 1024);
  while (g_get_monotonic_time() - started < gint64(seconds * G_USEC_PER_SEC)) {
    if (poll(fds.data(), fds.size(), 100) <= 0) continue;
    const gint64 now = g_get_monotonic_time();
    for (int i = 0; i < viewers; i++) {
      if (!(fds[i].revents & POLLIN)) continue;
      const ssize_t n = read(v[i].fd, buf.data(), buf.size());
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      std::string text = v[i].tail + std::string(buf.data(), std::size_t(n));
      for (std::size_t at = text.find(kEnd); at != std::string::npos; at = text.find(kEnd, at + end_len))
        v[i].frames.push_back(now);
      // Too short to hold a whole marker, so none is counted twice.
      v[i].tail = text.substr(text.size() > end_len - 1 ? text.size() - (end_len - 1) : 0);
    }
  }
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  guint64 skips = 0;
  if (!tcp) g_object_get(tty, "skips", &skips, nullptr);
  std::vector<double> delays;
  std::size_t fewest = SIZE_MAX;
  {
    std::lock_guard<std::mutex> hold(stats.lock);
    for (auto& viewer : v) {
      fewest = std::min(fewest, viewer.frames.size());
      for (std::size_t k = 0; k < viewer.frames.size() && k < stats.pushed.size(); k++)
        delays.push_back((viewer.frames[k] - stats.pushed[k]) / 1000.0);
      close(viewer.fd);
    }
  }
  std::sort(delays.begin(), delays.end());
  auto pct = [&](double p) {
    return delays.empty() ? 0.0 : delays[std::min(delays.size() - 1, std::size_t(p * delays.size()))];
  };
  const double cpu =
      (after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec - before.ru_stime.tv_sec) +
      (after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec - before.ru_stime.tv_usec) / 1e6;
  std::printf("%-4s %5d viewers: %zu frames sent, fewest a viewer got %zu (%.0f %%), skips %" G_GUINT64_FORMAT
              ", delay p50 %.1f ms p99 %.1f ms max %.1f ms, CPU %.0f %% of a core (server and readers)\n",
              tcp ? "TCP" : "HTTP", viewers, stats.pushed.size(), fewest,
              stats.pushed.empty() ? 0.0 : 100.0 * fewest / stats.pushed.size(), skips, pct(0.5), pct(0.99),
              delays.empty() ? 0.0 : delays.back(), 100 * cpu / seconds);
  gst_object_unref(tty);
  gst_object_unref(pipeline);
}

}  // namespace

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  gst_ascii_register_static();
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench-ansi MEDIA_DIR [VIEWERS ...]\n");
    return 2;
  }
  const std::string dir = argv[1];
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  std::printf("== ANSI bytes and encode time, 200x84 half blocks (deltas with a whole picture every %u frames)\n",
              kFullInterval);
  const auto moving = cells_of(demo(true, 300), 300);
  const auto clip = cells_of(file(dir + "/clip-1080p.mp4"), 300);
  const auto street = cells_of(file(dir + "/usr/share/doc/opencv-doc/examples/data/vtest.avi"), 300);
  const auto still = cells_of(photo(dir + "/usr/lib/python3/dist-packages/skimage/data/astronaut.png", 150), 150);
  for (AnsiColors colors : {AnsiColors::kTrue, AnsiColors::k256}) {
    const char* name = colors == AnsiColors::kTrue ? "24-bit" : "256";
    std::printf("-- %s colour\n", name);
    bytes_and_time("demo (moving bars)", moving, colors);
    bytes_and_time("clip (animated film, 1080p)", clip, colors);
    bytes_and_time("street (fixed camera)", street, colors);
    bytes_and_time("still photo", still, colors);
  }

  std::printf(
      "== Fan-out: terminal viewers of one 80x24 stream at 30 fps, over HTTP (asciittysink) and raw TCP "
      "(tcpserversink), 10 s each\n");
  std::vector<int> counts;
  for (int i = 2; i < argc; i++) counts.push_back(atoi(argv[i]));
  if (counts.empty()) counts = {100, 500, 1000};
  for (bool tcp : {false, true}) {
    for (int n : counts) fan_out(n, 10, tcp);
  }
  return 0;
}
