// asciihlssink: real pipelines (asciimap, ascilinepay, avenc_aac) into HLS in a folder and over
// HTTP; segments decode to the very frames the stream carried, ffmpeg plays the sound, caches are
// told the right things, and a folder that cannot be made is a clear error.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <fstream>
#include <sstream>

#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>

#include <map>
#include <string>
#include <vector>

#include "adaptive_codec.h"
#include "adts_listener.h"
#include "child_process.h"
#include "nginx.h"
#include "temp_dir.h"
#include "test_util.h"

using namespace gstascii;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> playlist_uris(const std::string& playlist) {
  std::vector<std::string> uris;
  std::istringstream lines(playlist);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') uris.push_back(line);
  }
  return uris;
}

std::vector<double> playlist_durations(const std::string& playlist) {
  std::vector<double> out;
  for (std::size_t at = playlist.find("#EXTINF:"); at != std::string::npos; at = playlist.find("#EXTINF:", at + 1)) {
    out.push_back(std::atof(playlist.c_str() + at + 8));
  }
  return out;
}

// The messages of a picture segment, [u32be length][message] ...
std::vector<std::string> split_picture(const std::string& data) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at + 4 <= data.size()) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(data.data() + at);
    const std::size_t n = std::size_t(p[0]) << 24 | std::size_t(p[1]) << 16 | std::size_t(p[2]) << 8 | p[3];
    fail_unless(at + 4 + n <= data.size(), "a message runs past its segment");
    out.push_back(data.substr(at + 4, n));
    at += 4 + n;
  }
  fail_unless_equals_int(at, data.size());
  return out;
}

// Frames by index, decoded from tagged messages (a decoder that starts afresh at |restarts|).
using Frames = std::map<std::uint32_t, std::vector<std::uint8_t>>;
void decode_into(adaptive::Decoder& decoder, const std::string& message, Frames* frames) {
  const auto result = decoder.decode(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
  fail_unless(result == adaptive::Decoder::Result::kFrame, "a message did not decode");
  (*frames)[decoder.index()] = decoder.frame();
}

const char* kVideo =
    "videotestsrc pattern=ball num-buffers=60 ! video/x-raw,width=160,height=96,framerate=10/1 ! "
    "asciimap cols=40 rows=12 ! ascilinepay codec=adaptive ! tee name=t ! queue ! hls.video "
    "t. ! queue ! appsink name=out ";
const char* kAudio =
    "audiotestsrc num-buffers=260 samplesperbuffer=1024 ! audio/x-raw,rate=44100 ! avenc_aac ! aacparse ! "
    "audio/mpeg,stream-format=adts ! hls.audio ";

struct Reply {
  guint status = 0;
  std::string body, type, cache, origin;
};

Reply http(const std::string& method, const std::string& url) {
  SoupSession* session = soup_session_new();
  SoupMessage* msg = soup_message_new(method.c_str(), url.c_str());
  GError* error = nullptr;
  GBytes* body = soup_session_send_and_read(session, msg, nullptr, &error);
  fail_unless(body != nullptr, "%s %s: %s", method.c_str(), url.c_str(), error ? error->message : "?");
  Reply r;
  r.status = soup_message_get_status(msg);
  gsize size = 0;
  const char* data = static_cast<const char*>(g_bytes_get_data(body, &size));
  r.body.assign(data ? data : "", size);
  SoupMessageHeaders* headers = soup_message_get_response_headers(msg);
  auto header = [&](const char* name) {
    const char* v = soup_message_headers_get_one(headers, name);
    return std::string(v ? v : "");
  };
  r.type = header("Content-Type");
  r.cache = header("Cache-Control");
  r.origin = header("Access-Control-Allow-Origin");
  g_bytes_unref(body);
  g_object_unref(msg);
  g_object_unref(session);
  return r;
}

}  // namespace

GST_START_TEST(test_folder_matches_stream) {
  // Six seconds at 10 fps (a keyframe every 48 frames, so the sink must ask for the ones it cuts
  // at) with sound, into a folder as a file: segments of about a second, each decodable on its own,
  // decode to exactly the frames the stream carried; ffmpeg plays the sound for its length.
  TempDir dir("gst-ascii-hls-XXXXXX");
  const std::string hls = dir.path() + "/hls";
  const RunResult r =
      run_launch(std::string(kVideo) + kAudio + "asciihlssink name=hls serve=false playlist-type=file location=" + hls);
  fail_unless(r.eos, "%s", r.error.c_str());

  Frames streamed;
  adaptive::Decoder stream_decoder(12 * 40, 4);
  for (const Received& b : r.buffers) {
    if (b.header) continue;
    decode_into(stream_decoder, std::string(b.bytes.begin(), b.bytes.end()), &streamed);
  }
  fail_unless_equals_int(streamed.size(), 60);

  const std::string playlist = read_text(hls + "/cells.m3u8");
  fail_unless(playlist.find("#EXT-X-PLAYLIST-TYPE:VOD\n") != std::string::npos, "%s", playlist.c_str());
  fail_unless(playlist.find("#EXT-X-ENDLIST\n") != std::string::npos);
  const auto durations = playlist_durations(playlist);
  fail_unless(durations.size() >= 4, "%s", playlist.c_str());
  for (std::size_t i = 0; i + 1 < durations.size(); i++) {
    fail_unless(durations[i] >= 1.0 && durations[i] <= 1.2, "segment %zu lasts %.3f s", i, durations[i]);
  }
  Frames stored;
  for (const std::string& uri : playlist_uris(playlist)) {
    const auto messages = split_picture(read_text(hls + "/" + uri));
    fail_unless(messages.size() >= 2);
    fail_unless(messages[0].compare(0, 5, "INIT:") == 0, "%s does not start with INIT", uri.c_str());
    adaptive::Decoder decoder(12 * 40, 4);  // each segment on its own
    fail_unless(adaptive::is_sync_tag(std::uint8_t(messages[1][4])), "%s does not start with a sync frame",
                uri.c_str());
    for (std::size_t m = 1; m < messages.size(); m++) decode_into(decoder, messages[m], &stored);
  }
  fail_unless(stored == streamed, "the segments hold %zu frames, the stream %zu", stored.size(), streamed.size());

  const std::string index = read_text(hls + "/index.m3u8");
  fail_unless(index.find("URI=\"audio.m3u8\"") != std::string::npos, "%s", index.c_str());
  fail_unless(index.find("cells.m3u8") != std::string::npos);
  fail_unless(index.find("symbols.m3u8") == std::string::npos, "no symbol cells, no symbols variant");
  ChildProcess probe(
      {"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", hls + "/audio.m3u8"});
  fail_unless_equals_int(probe.wait_exit(60000), 0);
  const double seconds = std::atof(probe.output().c_str());
  fail_unless(seconds > 5.8 && seconds < 6.4, "ffprobe: %s", probe.output().c_str());
  // No temporary file is left behind.
  fail_if(g_file_test((hls + "/cells.m3u8.tmp").c_str(), G_FILE_TEST_EXISTS));
}
GST_END_TEST;

// A live 15 fps stream of blocks into asciihlssink served on an ephemeral port; |frames| 0: no end.
struct LiveHls {
  GstElement* pipeline = nullptr;
  GstElement* hls = nullptr;
  guint port = 0;
  explicit LiveHls(int frames) {
    const std::string count = frames > 0 ? " num-buffers=" + std::to_string(frames) : "";
    const std::string launch = "videotestsrc is-live=true pattern=ball" + count +
                               " ! video/x-raw,width=160,height=96,framerate=15/1 ! asciimap cols=40 rows=12 "
                               "style=blocks ! ascilinepay codec=adaptive ! hls.video asciihlssink name=hls port=0";
    GError* error = nullptr;
    pipeline = gst_parse_launch(launch.c_str(), &error);
    fail_unless(pipeline != nullptr, "%s", error ? error->message : "?");
    hls = gst_bin_get_by_name(GST_BIN(pipeline), "hls");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    fail_unless(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) != GST_STATE_CHANGE_FAILURE);
    g_object_get(hls, "port", &port, nullptr);
    fail_unless(port != 0);
  }
  ~LiveHls() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(hls);
    gst_object_unref(pipeline);
  }
};

GST_START_TEST(test_served_over_http) {
  // A live stream served on an ephemeral port: playlists cached for a second while it runs, a
  // year once it ended; segments for a year; any origin; 404 and 405 where due.
  LiveHls stream(45);
  GstElement* pipeline = stream.pipeline;
  const std::string base = "http://127.0.0.1:" + std::to_string(stream.port) + "/hls/";

  // While it runs: a segment is listed within a few seconds, the playlist has no end.
  Reply live;
  const gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
  do {
    live = http("GET", base + "cells.m3u8");
  } while ((live.status != 200 || playlist_uris(live.body).empty()) && g_get_monotonic_time() < deadline &&
           (g_usleep(20000), true));
  fail_unless_equals_int(live.status, 200);
  fail_unless(!playlist_uris(live.body).empty(), "%s", live.body.c_str());
  fail_unless(live.body.find("#EXT-X-ENDLIST") == std::string::npos);
  fail_unless(live.cache == "public, max-age=1", "%s", live.cache.c_str());
  fail_unless(live.type == "application/vnd.apple.mpegurl", "%s", live.type.c_str());
  fail_unless(live.origin == "*");

  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* eos =
      gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(eos && GST_MESSAGE_TYPE(eos) == GST_MESSAGE_EOS);
  gst_message_unref(eos);

  const Reply ended = http("GET", base + "cells.m3u8");
  fail_unless(ended.body.find("#EXT-X-ENDLIST") != std::string::npos, "%s", ended.body.c_str());
  fail_unless(ended.cache == "public, max-age=31536000, immutable", "%s", ended.cache.c_str());
  const Reply index = http("GET", base + "index.m3u8");
  fail_unless_equals_int(index.status, 200);
  fail_unless(index.body.find("#EXT-X-STREAM-INF:BANDWIDTH=") != std::string::npos, "%s", index.body.c_str());
  fail_unless(index.body.find("symbols.m3u8") != std::string::npos, "blocks are symbol cells: %s", index.body.c_str());
  const std::string first = playlist_uris(ended.body).front();
  const Reply segment = http("GET", base + first);
  fail_unless_equals_int(segment.status, 200);
  fail_unless(segment.cache == "public, max-age=31536000, immutable");
  const auto messages = split_picture(segment.body);
  fail_unless(messages.size() >= 2 && messages[0].compare(0, 5, "INIT:") == 0);
  const Reply symbols = http("GET", base + playlist_uris(http("GET", base + "symbols.m3u8").body).front());
  fail_unless_equals_int(symbols.status, 200);
  fail_unless(split_picture(symbols.body)[0].find(":2:") != std::string::npos, "symbol INIT: %s",
              split_picture(symbols.body)[0].c_str());

  fail_unless_equals_int(http("GET", base + "cells/99999999.asl").status, 404);
  fail_unless_equals_int(http("GET", base + "cells/0000000.asl").status, 404);
  fail_unless_equals_int(http("GET", base + "nothing.m3u8").status, 404);
  fail_unless_equals_int(http("POST", base + "index.m3u8").status, 405);
  gst_object_unref(bus);
}
GST_END_TEST;

GST_START_TEST(test_growing_segment) {
  // Low latency: the segment after the last one listed, asked for at once, arrives while it is
  // written (its first bytes long before it is listed) and ends as the listed segment does, byte
  // for byte; one further ahead is not waited for (404 at once).
  LiveHls stream(0);
  const guint port = stream.port;
  const std::string base = "http://127.0.0.1:" + std::to_string(port) + "/hls/";
  auto listed = [&] { return playlist_uris(http("GET", base + "cells.m3u8").body); };
  std::vector<std::string> uris;
  const gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
  while ((uris = listed()).empty() && g_get_monotonic_time() < deadline) g_usleep(20000);
  fail_unless(!uris.empty());
  const unsigned last = unsigned(std::atoi(uris.back().c_str() + 6));  // "cells/00000003.asl"
  char next[32], far[32];
  g_snprintf(next, sizeof next, "cells/%08u.asl", last + 1);
  g_snprintf(far, sizeof far, "cells/%08u.asl", last + 5);

  Listener growing(port, std::string("/hls/") + next);
  fail_unless(growing.read_head(3000), "the next segment's response starts while it is written");
  const gint64 head_at = g_get_monotonic_time();
  fail_unless_equals_int(growing.status(), 200);
  gint64 listed_at = 0;
  bool complete = false;
  while (g_get_monotonic_time() < head_at + 5 * G_TIME_SPAN_SECOND && (!complete || !listed_at)) {
    growing.read_for(50);
    growing.body(&complete);
    if (!listed_at && listed().back() == next) listed_at = g_get_monotonic_time();
  }
  fail_unless(complete && listed_at, "complete %d, listed %d", complete, listed_at != 0);
  fail_unless(listed_at - head_at > 300 * 1000, "its first bytes came %.0f ms before it was listed",
              double(listed_at - head_at) / 1000);
  const auto body = growing.body();
  const Reply whole = http("GET", base + next);
  fail_unless_equals_int(whole.status, 200);
  fail_unless(std::string(body.begin(), body.end()) == whole.body, "%zu bytes while growing, %zu listed", body.size(),
              whole.body.size());
  fail_unless(growing.header("Cache-Control") == "public, max-age=31536000, immutable");
  const gint64 asked_far = g_get_monotonic_time();
  fail_unless_equals_int(http("GET", base + far).status, 404);
  fail_unless(g_get_monotonic_time() - asked_far < G_TIME_SPAN_SECOND / 2);
}
GST_END_TEST;

GST_START_TEST(test_window) {
  // A live window of 3 s over 20 s of stream: the playlist moves on and the folder keeps only
  // what it lists.
  TempDir dir("gst-ascii-hls-XXXXXX");
  const std::string hls = dir.path() + "/hls";
  const RunResult r = run_launch(
      "videotestsrc num-buffers=300 ! video/x-raw,width=80,height=48,framerate=15/1 ! asciimap cols=20 rows=6 ! "
      "ascilinepay codec=adaptive ! tee name=t ! queue ! hls.video t. ! queue ! appsink name=out "
      "asciihlssink name=hls serve=false window=3 location=" +
      hls);
  fail_unless(r.eos, "%s", r.error.c_str());
  const std::string playlist = read_text(hls + "/cells.m3u8");
  const auto uris = playlist_uris(playlist);
  fail_unless(uris.size() >= 3 && uris.size() <= 5, "%s", playlist.c_str());
  fail_unless(playlist.find("#EXT-X-MEDIA-SEQUENCE:0\n") == std::string::npos, "%s", playlist.c_str());
  g_autoptr(GDir) folder = g_dir_open((hls + "/cells").c_str(), 0, nullptr);
  fail_unless(folder != nullptr);
  guint files = 0;
  while (g_dir_read_name(folder)) files++;
  fail_unless_equals_int(files, uris.size());
}
GST_END_TEST;

GST_START_TEST(test_bad_location) {
  // A folder that cannot be made: the pipeline fails to start and says which and why.
  const RunResult r =
      run_launch(std::string(kVideo) + "asciihlssink name=hls serve=false location=/proc/gst-ascii-cannot-be-here/hls");
  fail_if(r.eos);
  fail_unless(r.error.find("cannot create folder /proc/gst-ascii-cannot-be-here") != std::string::npos, "%s",
              r.error.c_str());
}
GST_END_TEST;

GST_START_TEST(test_ascii_launch_hls_dir) {
  // What a user does: an H.264 + AAC file made by ffmpeg, played by ascii-launch with --hls-dir.
  // The folder holds the whole file as HLS (a VOD playlist), picture and sound; a bad --dvr
  // is refused with a clear message.
  TempDir dir("gst-ascii-hls-XXXXXX");
  const std::string clip = dir.path() + "/clip.mp4";
  {
    ChildProcess ffmpeg({"ffmpeg",
                         "-v",
                         "error",
                         "-f",
                         "lavfi",
                         "-i",
                         "testsrc2=size=640x360:rate=30",
                         "-f",
                         "lavfi",
                         "-i",
                         "sine=frequency=500",
                         "-t",
                         "4",
                         "-c:v",
                         "libx264",
                         "-pix_fmt",
                         "yuv420p",
                         "-c:a",
                         "aac",
                         clip});
    fail_unless_equals_int(ffmpeg.wait_exit(60000), 0);
  }
  const std::string hls = dir.path() + "/hls";
  ChildProcess launch({g_getenv("ASCII_LAUNCH"), "--port", "0", "--hls-dir", hls, clip}, true);
  fail_unless(launch.wait_for_output("/hls/index.m3u8, and in " + hls, 30000), "%s", launch.output().c_str());
  // A file is served on demand: once all of it is encoded the server stays for its viewers, until
  // Ctrl-C.
  fail_unless(launch.wait_for_output("is encoded", 60000), "%s", launch.output().c_str());
  fail_unless_equals_int(launch.interrupt(), 0);
  const std::string index = read_text(hls + "/index.m3u8");
  fail_unless(index.find("URI=\"audio.m3u8\"") != std::string::npos, "%s", index.c_str());
  fail_unless(index.find("cells.m3u8") != std::string::npos && index.find("symbols.m3u8") != std::string::npos, "%s",
              index.c_str());
  for (const char* track : {"cells", "symbols", "audio"}) {
    const std::string playlist = read_text(hls + "/" + track + ".m3u8");
    fail_unless(playlist.find("#EXT-X-PLAYLIST-TYPE:VOD\n") != std::string::npos, "%s: %s", track, playlist.c_str());
    double total = 0;
    for (double d : playlist_durations(playlist)) total += d;
    fail_unless(total > 3.7 && total < 4.4, "%s lasts %.3f s", track, total);
  }
  ChildProcess probe(
      {"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", hls + "/audio.m3u8"});
  fail_unless_equals_int(probe.wait_exit(60000), 0);
  const double seconds = std::atof(probe.output().c_str());
  fail_unless(seconds > 3.8 && seconds < 4.3, "ffprobe: %s", probe.output().c_str());

  ChildProcess bad({g_getenv("ASCII_LAUNCH"), "--port", "0", "--dvr", "ten minutes", clip}, true);
  fail_unless_equals_int(bad.wait_exit(30000), 2);
  fail_unless(bad.output().find("bad --dvr \"ten minutes\"") != std::string::npos, "%s", bad.output().c_str());
}
GST_END_TEST;

GST_START_TEST(test_through_nginx) {
  // A real cache in front: ascii-launch's live demo behind nginx (proxy_cache, proxy_cache_lock:
  // README's configuration), 40 viewers following the playlist through nginx for 6 s (the load
  // generator bench-hls). Every viewer gets every segment after it joined, none fails, the
  // segments arrive within a few seconds of live, and no segment is fetched from the origin more
  // than twice, however many viewers asked.
  // (--hls-dir: the segments are read back from the folder for each request that reaches us.)
  TempDir dir("gst-ascii-hls-XXXXXX");
  ChildProcess launch({g_getenv("ASCII_LAUNCH"), "--port", "0", "--hls-dir", dir.path() + "/hls"}, true);
  fail_unless(launch.wait_for_output("/hls/index.m3u8", 30000), "%s", launch.output().c_str());
  const std::string said = launch.output();
  const std::size_t at = said.find("http://127.0.0.1:");
  fail_unless(at != std::string::npos, "%s", said.c_str());
  const guint origin = guint(std::atoi(said.c_str() + at + 17));
  auto nginx = Nginx::caching_proxy(origin);
  // A segment listed before the viewers come.
  const gint64 deadline = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
  while (playlist_uris(http("GET", nginx->url("/hls/cells.m3u8")).body).size() < 2) {
    fail_unless(g_get_monotonic_time() < deadline, "no segment listed: %s", launch.output().c_str());
    g_usleep(100000);  // a poll interval, with the deadline above
  }
  ChildProcess viewers({g_getenv("BENCH_HLS"), "--url", nginx->url("/hls/cells.m3u8"), "--viewers", "40", "--seconds",
                        "6", "--access-log", nginx->access_log_path()});
  fail_unless_equals_int(viewers.wait_exit(60000), 0);
  const std::string result = viewers.output();
  long got = -1, missed = -1, failed = -1, segments = -1;
  double p99 = -1, per_segment = -1;
  const std::size_t line = result.find("RESULT ");
  fail_unless(line != std::string::npos, "%s", result.c_str());
  fail_unless(sscanf(result.c_str() + line,
                     "RESULT viewers=%*d segments=%ld missed=%ld failed=%ld behind_p50=%*f behind_p99=%lf "
                     "behind_max=%*f origin_segments=%ld origin_per_segment_max=%lf",
                     &got, &missed, &failed, &p99, &segments, &per_segment) == 6,
              "%s", result.c_str());
  fail_unless(got >= 40 * 4, "%s", result.c_str());
  fail_unless_equals_int(missed, 0);
  fail_unless_equals_int(failed, 0);
  fail_unless(p99 < 4.0, "%s", result.c_str());
  fail_unless(segments >= 4, "%s", result.c_str());
  fail_unless(per_segment >= 1 && per_segment <= 2, "%s\n%s", result.c_str(), nginx->access_log().c_str());
  launch.interrupt();
}
GST_END_TEST;

static Suite* hlssink_suite() {
  Suite* s = suite_create("hlssink");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_folder_matches_stream);
  tcase_add_test(tc, test_served_over_http);
  tcase_add_test(tc, test_window);
  tcase_add_test(tc, test_growing_segment);
  tcase_add_test(tc, test_bad_location);
  tcase_add_test(tc, test_ascii_launch_hls_dir);
  tcase_add_test(tc, test_through_nginx);
  return s;
}

GST_CHECK_MAIN(hlssink);
