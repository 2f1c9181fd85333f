// bench-timeshift: viewers who seek at random through a file served on demand, against one decode.
//
// Makes a 1080p30 H.264 + AAC file with ffmpeg (2 minutes unless told), times a plain decode of it
// (gst-launch-1.0 ... avdec_h264 ! fakesink sync=false, the baseline), then starts ascii-launch on
// it and connects N WebSocket viewers (libsoup, as a browser's player: ?codec=adaptive&cells=symbol)
// that each seek to a random time every 2-4 s while the file is being encoded and for a while after.
// Prints: pictures decoded against the file's frames (each span decoded once: <= 1.1 is the
// target), how long the encode took, ascii-launch's CPU against the plain decode, the time from a
// seek to its first frame (p50, p90, max), and ascii-launch's resident memory (largest sample).
//
// usage: bench-timeshift ASCII_LAUNCH [--seconds 120] [--viewers 10] [--after 10] [--keyint FRAMES]
// (--keyint: frames between the file's keyframes; x264's default, 250, without it)
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <glib.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "proc_stats.h"

namespace {

struct Viewer {
  SoupWebsocketConnection* conn = nullptr;
  int pending = -1;           // the seek not answered yet
  bool after_seeked = false;  // SEEKED came: the next frame is the seek's first
  gint64 sent_at = 0;
  gint64 next_seek = 0;
  int request = 0;
  std::vector<double> latencies_ms;
  std::size_t frames = 0;
  ~Viewer() {
    if (conn) {
      g_signal_handlers_disconnect_by_data(conn, this);
      g_object_unref(conn);
    }
  }
};

void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
  auto* v = static_cast<Viewer*>(data);
  if (type == SOUP_WEBSOCKET_DATA_TEXT) {
    gsize size = 0;
    const char* text = static_cast<const char*>(g_bytes_get_data(message, &size));
    const std::string s(text, size);
    if (s.rfind("SEEKED:", 0) == 0 && atoi(s.c_str() + 7) == v->pending) {
      v->pending = -1;
      v->after_seeked = true;
    }
    return;
  }
  v->frames++;
  if (v->after_seeked) {
    v->after_seeked = false;
    v->latencies_ms.push_back(double(g_get_monotonic_time() - v->sent_at) / 1000);
  }
}

int run(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double children_cpu_s() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

std::string read_file(const std::string& path) {
  gchar* text = nullptr;
  if (!g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) return {};
  std::string s(text);
  g_free(text);
  return s;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s ASCII_LAUNCH [--seconds 120] [--viewers 10] [--after 10] [--keyint FRAMES]\n",
                 argv[0]);
    return 2;
  }
  const std::string launcher = argv[1];
  int seconds = 120, viewers = 10, after = 10, keyint = 250;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--seconds")) seconds = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--viewers")) viewers = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--after")) after = atoi(argv[i + 1]);
    if (!strcmp(argv[i], "--keyint")) keyint = atoi(argv[i + 1]);
  }
  g_autofree gchar* dir = g_dir_make_tmp("bench-timeshift-XXXXXX", nullptr);
  const std::string clip = std::string(dir) + "/clip.mp4", out = std::string(dir) + "/launch.out";
  std::printf("making %d s of 1080p30 H.264 + AAC with ffmpeg, a keyframe every %d frames ...\n", seconds, keyint);
  std::fflush(stdout);
  if (run({"ffmpeg",
           "-v",
           "error",
           "-nostdin",
           "-y",
           "-f",
           "lavfi",
           "-i",
           "testsrc2=size=1920x1080:rate=30",
           "-f",
           "lavfi",
           "-i",
           "sine=frequency=500",
           "-t",
           std::to_string(seconds),
           "-c:v",
           "libx264",
           "-preset",
           "veryfast",
           "-g",
           std::to_string(keyint),
           "-pix_fmt",
           "yuv420p",
           "-c:a",
           "aac",
           clip}) != 0) {
    std::fprintf(stderr, "ffmpeg could not make the clip\n");
    return 1;
  }

  // The baseline: the same file decoded once, as fast as it goes.
  const double cpu0 = children_cpu_s();
  const gint64 t0 = g_get_monotonic_time();
  run({"gst-launch-1.0", "-q", "filesrc", "location=" + clip, "!", "qtdemux", "!", "h264parse", "!", "avdec_h264", "!",
       "fakesink", "sync=false"});
  const double decode_cpu = children_cpu_s() - cpu0, decode_wall = double(g_get_monotonic_time() - t0) / 1e6;

  const gint64 start = g_get_monotonic_time();
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(out.c_str(), "w", stdout);
    (void)f;
    execl(launcher.c_str(), launcher.c_str(), "--port", "0", clip.c_str(), nullptr);
    _exit(127);
  }
  int port = 0;
  while (!port && g_get_monotonic_time() - start < 30 * G_TIME_SPAN_SECOND) {
    const std::string said = read_file(out);
    const auto at = said.find("http://127.0.0.1:");
    if (at != std::string::npos) port = atoi(said.c_str() + at + 17);
    if (!port) g_usleep(20000);
  }
  if (!port) {
    std::fprintf(stderr, "ascii-launch printed no URL\n");
    kill(pid, SIGKILL);
    return 1;
  }

  GMainContext* context = g_main_context_new();
  g_main_context_push_thread_default(context);
  SoupSession* session = soup_session_new();
  std::vector<std::unique_ptr<Viewer>> all;
  const std::string url = "ws://127.0.0.1:" + std::to_string(port) + "/ws?codec=adaptive&cells=symbol";
  std::mt19937 random(12345);
  for (int i = 0; i < viewers; i++) {
    all.push_back(std::make_unique<Viewer>());
    SoupMessage* msg = soup_message_new("GET", url.c_str());
    soup_session_websocket_connect_async(
        session, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* result, gpointer data) {
          auto* v = static_cast<Viewer*>(data);
          v->conn = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, nullptr);
          if (!v->conn) return;
          soup_websocket_connection_set_max_incoming_payload_size(v->conn, 16 * 1024 * 1024);
          g_signal_connect(v->conn, "message", G_CALLBACK(on_message), v);
        },
        all.back().get());
    g_object_unref(msg);
    all.back()->next_seek = g_get_monotonic_time() + G_TIME_SPAN_SECOND + gint64(random() % 2000000);
  }

  long rss_max = 0;
  gint64 encoded_at = 0, next_sample = 0;
  int seeks = 0;
  std::string said;
  for (;;) {
    g_main_context_iteration(context, FALSE);
    const gint64 now = g_get_monotonic_time();
    if (now >= next_sample) {
      next_sample = now + G_TIME_SPAN_SECOND / 2;
      rss_max = std::max(rss_max, process_rss_kb(pid));
      said = read_file(out);
      if (!encoded_at && said.find("is encoded") != std::string::npos) encoded_at = now;
    }
    if (encoded_at && now - encoded_at > gint64(after) * G_TIME_SPAN_SECOND) break;
    if (now - start > gint64(seconds + 300) * G_TIME_SPAN_SECOND) {
      std::fprintf(stderr, "the file was not encoded in time\n");
      break;
    }
    for (auto& v : all) {
      if (!v->conn || now < v->next_seek) continue;
      const double to = std::uniform_real_distribution<double>(0, seconds - 1)(random);
      v->pending = ++v->request;
      v->after_seeked = false;
      v->sent_at = now;
      g_autofree gchar* json = g_strdup_printf("{\"type\":\"seek\",\"time\":%.3f,\"requestId\":%d}", to, v->pending);
      soup_websocket_connection_send_text(v->conn, json);
      v->next_seek = now + 2 * G_TIME_SPAN_SECOND + gint64(random() % 2000000);
      seeks++;
    }
    g_usleep(2000);
  }
  const double launch_cpu = process_cpu_s(pid);
  kill(pid, SIGINT);
  waitpid(pid, nullptr, 0);

  std::vector<double> latencies;
  std::size_t frames = 0;
  for (auto& v : all) {
    latencies.insert(latencies.end(), v->latencies_ms.begin(), v->latencies_ms.end());
    frames += v->frames;
  }
  int decoded = 0;
  double encode_s = 0;
  const auto at = said.find("is encoded (");
  if (at != std::string::npos)
    std::sscanf(said.c_str() + at, "is encoded (%d pictures decoded in %lf s)", &decoded, &encode_s);
  const int file_frames = seconds * 30;
  std::printf("\n%d s of 1080p30 (%d frames), %d viewers seeking every 2-4 s (%d seeks, %zu frames received)\n",
              seconds, file_frames, viewers, seeks, frames);
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| pictures decoded / file frames | %d / %d = %.3f (target <= 1.1) |\n", decoded, file_frames,
              double(decoded) / file_frames);
  std::printf("| file encoded in | %.1f s (%.1fx real time) |\n", encode_s, encode_s > 0 ? seconds / encode_s : 0);
  std::printf("| plain decode (baseline) | %.1f s CPU, %.1f s wall |\n", decode_cpu, decode_wall);
  std::printf("| ascii-launch, whole run | %.1f s CPU = %.2fx the plain decode |\n", launch_cpu,
              launch_cpu / decode_cpu);
  std::printf("| seek to first frame | p50 %.0f ms, p90 %.0f ms, max %.0f ms over %zu seeks (target 500) |\n",
              percentile(latencies, 0.5), percentile(latencies, 0.9), percentile(latencies, 1.0), latencies.size());
  std::printf("| ascii-launch resident memory | %.0f MB at most |\n", double(rss_max) / 1024);
  for (auto& v : all) v.reset();
  g_object_unref(session);
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
  remove(clip.c_str());
  remove(out.c_str());
  rmdir(dir);
  return 0;
}
