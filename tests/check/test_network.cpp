// ascii-launch on sources as users pass them over a network, each served here on 127.0.0.1 by a
// real server: an http:// file (nginx, with byte ranges), an HLS stream (segments made by hlssink2,
// served by nginx), RTSP (gst-rtsp-server), live MPEG-TS over UDP and SRT (ffmpeg sending in real
// time). A live source that stops or drops, or a server that never answers, ends the launcher with
// one clear line. A camera is played when this machine has one; otherwise the launcher's error for
// a missing one is checked.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <glib/gstdio.h>

#include <memory>
#include <string>
#include <vector>

#include "media_player.h"
#include "nginx.h"
#include "temp_dir.h"

namespace {

std::string www;  // served by nginx: clip.mp4, clip.ts (and hls/ in test_hls)

// Runs |args| to the end; fails the test unless it succeeds.
void run_to_end(const std::vector<std::string>& args) {
  ChildProcess process(args);
  const int status = process.wait_exit(120000);
  fail_unless(status == 0, "%s failed (exit %d): %s", args[0].c_str(), status, process.output().c_str());
}

// HLS as hlssink2 writes it: the clip's H.264 and AAC, unchanged, in segments of about a second.
// Made in the test itself, not the suite's fixture: GStreamer's thread pool would not survive
// Check forking this process for each test.
void make_hls(const std::string& clip, const std::string& dir) {
  g_mkdir_with_parents(dir.c_str(), 0755);
  GError* error = nullptr;
  GstElement* pipeline =
      gst_parse_launch(("filesrc location=" + clip +
                        " ! qtdemux name=d d.video_0 ! h264parse ! queue ! h.video d.audio_0 ! aacparse ! "
                        "queue ! h.audio hlssink2 name=h target-duration=1 playlist-length=0 max-files=0 location=" +
                        dir + "/segment%05d.ts playlist-location=" + dir + "/index.m3u8")
                           .c_str(),
                       &error);
  fail_unless(pipeline != nullptr, "hlssink2 pipeline: %s", error ? error->message : "");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage* done = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipeline), 60 * GST_SECOND,
                                                GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(done && GST_MESSAGE_TYPE(done) == GST_MESSAGE_EOS, "hlssink2 did not finish the playlist");
  gst_message_unref(done);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}

void make_media() {
  if (!www.empty()) return;
  g_autofree gchar* dir = g_dir_make_tmp("network-XXXXXX", nullptr);
  www = dir;
  // 6 s of H.264 (a keyframe every second, so HLS can cut there) and AAC.
  run_to_end({"ffmpeg",
              "-hide_banner",
              "-loglevel",
              "error",
              "-nostdin",
              "-y",
              "-f",
              "lavfi",
              "-i",
              "testsrc2=size=640x360:rate=30:duration=6",
              "-f",
              "lavfi",
              "-i",
              "sine=frequency=440:duration=6",
              "-c:v",
              "libx264",
              "-preset",
              "ultrafast",
              "-pix_fmt",
              "yuv420p",
              "-g",
              "30",
              "-c:a",
              "aac",
              www + "/clip.mp4"});
  run_to_end({"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", www + "/clip.mp4", "-c", "copy",
              "-f", "mpegts", www + "/clip.ts"});
}

// Not a TempDir: each test runs in a child process forked from this one, which would remove the
// folder as it exits.
void remove_media() {
  if (!www.empty()) remove_tree(www);
}

// ffmpeg sending the clip over and over in real time, as a live encoder would, to |url|.
std::unique_ptr<ChildProcess> live_sender(const std::string& url) {
  return std::make_unique<ChildProcess>(std::vector<std::string>{"ffmpeg", "-hide_banner", "-loglevel", "error",
                                                                 "-nostdin", "-re", "-stream_loop", "-1", "-i",
                                                                 www + "/clip.ts", "-c", "copy", "-f", "mpegts", url});
}

// After its source went away, the launcher must end by itself with one line that says so.
void expect_clear_end(ChildProcess* launcher, const std::string& what) {
  const int status = launcher->wait_exit(30000);
  const std::string said = launcher->output();
  fail_unless(status == 1, "%s: exit status %d after the source went away: %s", what.c_str(), status, said.c_str());
  const auto lines = lines_of(said);
  // The player's URL, the HLS playlist's, then the one line about the end.
  fail_unless(lines.size() == 3 && lines[1].find("/hls/index.m3u8") != std::string::npos,
              "%s: expected the URLs and one line: %s", what.c_str(), said.c_str());
  fail_unless(lines[2].rfind("ascii-launch: ", 0) == 0, "%s: %s", what.c_str(), lines[2].c_str());
  Played ended;
  ended.what = what + " (source gone)";
  ended.outcome = "exit 1: " + lines[2];
  print_played(ended);
}

// gst-rtsp-server on its own thread and main context, serving a live H.264 test picture at /live.
class RtspServer {
 public:
  RtspServer() {
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    server_ = gst_rtsp_server_new();
    port_ = free_port();
    gst_rtsp_server_set_address(server_, "127.0.0.1");
    gst_rtsp_server_set_service(server_, std::to_string(port_).c_str());
    GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server_);
    GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(
        factory,
        "( videotestsrc is-live=true pattern=ball ! "
        "video/x-raw,width=640,height=360,framerate=30/1 ! videoconvert ! "
        "openh264enc gop-size=30 ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )");
    gst_rtsp_media_factory_set_shared(factory, TRUE);
    gst_rtsp_mount_points_add_factory(mounts, "/live", factory);
    g_object_unref(mounts);
    source_ = gst_rtsp_server_attach(server_, context_);
    fail_unless(source_ != 0, "the RTSP server cannot listen on %u", port_);
    thread_ = g_thread_new(
        "rtsp-server",
        [](gpointer data) -> gpointer {
          g_main_loop_run(static_cast<GMainLoop*>(data));
          return nullptr;
        },
        loop_);
  }
  ~RtspServer() { stop(); }

  std::string url() const { return "rtsp://127.0.0.1:" + std::to_string(port_) + "/live"; }

  // Drops every client and stops listening, as a server that goes away.
  void stop() {
    if (!thread_) return;
    gst_rtsp_server_client_filter(
        server_, [](GstRTSPServer*, GstRTSPClient*, gpointer) { return GST_RTSP_FILTER_REMOVE; }, nullptr);
    GSource* listening = g_main_context_find_source_by_id(context_, source_);
    if (listening) g_source_destroy(listening);
    g_main_loop_quit(loop_);
    g_thread_join(thread_);
    thread_ = nullptr;
    g_object_unref(server_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }

 private:
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  GstRTSPServer* server_ = nullptr;
  GThread* thread_ = nullptr;
  guint source_ = 0;
  guint port_ = 0;
};

}  // namespace

GST_START_TEST(test_http_file) {
  Nginx nginx(www);
  print_played(play_source("http:// MP4 (nginx)", nginx.url("/clip.mp4"), {200, 84, true}));
  // A file the server does not have: one clear line.
  print_played(play_source("http:// 404 (nginx)", nginx.url("/missing.mp4"), {0, 0, false, "cannot play"}));
}
GST_END_TEST;

// A server that takes the connection and never answers: the request waits for ever and no element
// reports an error, so it is the launcher's own --timeout that must end the run, for playing and
// for --output alike. The socket listens and never accepts; the kernel completes each connection.
GST_START_TEST(test_silent_server) {
  g_autoptr(GError) error = nullptr;
  g_autoptr(GSocket) listener = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  fail_unless(listener != nullptr, "%s", error ? error->message : "");
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
  fail_unless(g_socket_bind(listener, any_port, FALSE, &error) && g_socket_listen(listener, &error), "%s",
              error ? error->message : "");
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(listener, &error);
  const guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/clip.mp4";

  const gint64 started = g_get_monotonic_time();
  print_played(play_source("http:// silent server", url,
                           {0, 0, false, "cannot play " + url + ": nothing could be played from it in 2 s"},
                           {"--timeout", "2"}));
  const double seconds = double(g_get_monotonic_time() - started) / G_USEC_PER_SEC;
  fail_unless(seconds < 10, "it took %.1f s to give up", seconds);

  TempDir out("silent-export-XXXXXX");
  const std::string art = out.path() + "/art.mp4";
  ChildProcess exporter({g_getenv("ASCII_LAUNCH"), "--timeout", "2", "--output", art, url}, true);
  const int status = exporter.wait_exit(20000);
  fail_unless(status == 1, "--output: exit status %d: %s", status, exporter.output().c_str());
  fail_unless(exporter.output().find("cannot read " + url + ": nothing could be played") != std::string::npos,
              "--output said: %s", exporter.output().c_str());
  fail_if(g_file_test(art.c_str(), G_FILE_TEST_EXISTS), "--output left %s behind", art.c_str());
}
GST_END_TEST;

GST_START_TEST(test_hls) {
  make_hls(www + "/clip.mp4", www + "/hls");
  Nginx nginx(www);
  print_played(play_source("HLS from hlssink2 (nginx)", nginx.url("/hls/index.m3u8"), {200, 84, true}));
}
GST_END_TEST;

GST_START_TEST(test_rtsp) {
  RtspServer server;
  std::unique_ptr<ChildProcess> launcher;
  print_played(play_source("RTSP (gst-rtsp-server)", server.url(), {200, 84, false}, {"--timeout", "3"}, &launcher));
  server.stop();
  expect_clear_end(launcher.get(), "RTSP");
}
GST_END_TEST;

GST_START_TEST(test_udp_mpegts) {
  const guint port = free_port();
  const std::string url = "udp://127.0.0.1:" + std::to_string(port);
  auto sender = live_sender(url + "?pkt_size=1316");
  std::unique_ptr<ChildProcess> launcher;
  print_played(play_source("MPEG-TS over UDP (ffmpeg -re)", url, {200, 84, true}, {"--timeout", "3"}, &launcher));
  sender.reset();  // the sender stops: nothing more arrives
  expect_clear_end(launcher.get(), "UDP");
}
GST_END_TEST;

GST_START_TEST(test_srt) {
  const std::string url = "srt://127.0.0.1:" + std::to_string(free_port());
  auto sender = live_sender(url + "?mode=listener");
  std::unique_ptr<ChildProcess> launcher;
  // The sender listens; the launcher calls it (srtsrc's default), as soon as it is up.
  print_played(play_source("MPEG-TS over SRT (ffmpeg -re)", url, {200, 84, true}, {"--timeout", "3"}, &launcher));
  sender.reset();
  expect_clear_end(launcher.get(), "SRT");
}
GST_END_TEST;

GST_START_TEST(test_camera) {
  if (g_file_test("/dev/video0", G_FILE_TEST_EXISTS)) {
    print_played(play_source("camera v4l2:///dev/video0", "v4l2:///dev/video0", {}, {"--no-audio"}));
    return;
  }
  // No camera on this machine: what a user without one gets is checked instead.
  fprintf(stderr, "camera: no /dev/video0 on this machine, so none is played; checking the error instead\n");
  print_played(play_source("camera /dev/video0 (none here)", "/dev/video0", {0, 0, false, "cannot play"}));
}
GST_END_TEST;

static Suite* network_suite(void) {
  Suite* s = suite_create("network");
  TCase* tc = tcase_create("sources");
  suite_add_tcase(s, tc);
  tcase_set_timeout(tc, 300);
  tcase_add_unchecked_fixture(tc, make_media, remove_media);
  tcase_add_test(tc, test_http_file);
  tcase_add_test(tc, test_silent_server);
  tcase_add_test(tc, test_hls);
  tcase_add_test(tc, test_rtsp);
  tcase_add_test(tc, test_udp_mpegts);
  tcase_add_test(tc, test_srt);
  tcase_add_test(tc, test_camera);
  return s;
}

GST_CHECK_MAIN(network);
