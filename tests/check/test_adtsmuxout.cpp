// adtsmux-out: real pipelines with a real AAC encoder, served to raw-socket HTTP listeners on
// 127.0.0.1 (ephemeral ports): valid ADTS that decodes, late joiners on the same timeline, slow
// listeners cut off without harm to others, a server shared with websocketsink, bad requests.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "adts.h"
#include "adts_listener.h"
#include "test_util.h"
#include "ws_client.h"

namespace {

using gstascii::adts::Header;

constexpr int kRate = 48000;
const std::string kTone =
    "audiotestsrc is-live=true freq=440 volume=0.5 ! audio/x-raw,rate=48000,channels=2 ! "
    "audioconvert ! avenc_aac bitrate=128000 ! aacparse ! audio/mpeg,stream-format=adts ! ";

// A running pipeline with an adtsmux-out named "audio".
class Server {
 public:
  explicit Server(const std::string& description) {
    GError* error = nullptr;
    pipeline = gst_parse_launch(description.c_str(), &error);
    fail_unless(pipeline != nullptr, "launch: %s", error ? error->message : "");
    sink = gst_bin_get_by_name(GST_BIN(pipeline), "audio");
    bus = gst_element_get_bus(pipeline);
    fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
    g_object_get(sink, "port", &port, nullptr);
  }
  ~Server() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(bus);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
  }
  guint64 u64(const char* prop) const {
    guint64 v = 0;
    g_object_get(sink, prop, &v, nullptr);
    return v;
  }
  guint clients() const {
    guint v = 0;
    g_object_get(sink, "clients", &v, nullptr);
    return v;
  }
  // The first element message named |name| within |timeout_ms|, or nullptr.
  GstStructure* wait_element_message(const char* name, int timeout_ms) {
    return next_element_message(bus, name, timeout_ms);
  }
  // The first error on the bus within |timeout_ms|, or "".
  std::string wait_error(int timeout_ms) {
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, gint64(timeout_ms) * GST_MSECOND, GST_MESSAGE_ERROR);
    if (!msg) return "";
    GError* err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    std::string text = err->message;
    g_error_free(err);
    gst_message_unref(msg);
    return text;
  }

  GstElement* pipeline = nullptr;
  GstElement* sink = nullptr;
  GstBus* bus = nullptr;
  guint port = 0;
};

// Splits |body| into ADTS frames of the 48 kHz stereo tone; fails the test unless it is nothing
// but whole, valid frames.
std::vector<std::vector<uint8_t>> adts_frames(const std::vector<uint8_t>& body, const char* who) {
  return ::adts_frames(body, who, kRate, 2);
}

}  // namespace

GST_START_TEST(test_serves_valid_adts_that_decodes) {
  Server server(kTone + "adtsmux-out name=audio port=0");
  fail_unless(server.port > 0);
  Listener l(server.port);
  fail_unless(l.read_head(5000));
  fail_unless_equals_int(l.status(), 200);
  fail_unless(l.header("Content-Type") == "audio/aac", "%s", l.header("Content-Type").c_str());
  fail_unless(l.header("Transfer-Encoding") == "chunked");
  fail_unless(l.start() >= 0.0 && l.start() < 10.0, "X-Audio-Start %s", l.header("X-Audio-Start").c_str());
  l.read_for(2000);
  auto body = l.body();
  auto frames = adts_frames(body, "listener");
  // 2 s at 48 kHz is 94 frames of 1024 samples; allow for the start-up.
  fail_unless(frames.size() >= 80 && frames.size() <= 110, "%zu frames in 2 s", frames.size());
  auto [samples, rms] = decode_adts(body);
  fail_unless(std::llabs(long(samples) - long(frames.size() * 1024)) <= 2048, "%zu samples from %zu frames", samples,
              frames.size());
  // A sine at half scale has an RMS of 0.35; the first frame decodes without its predecessor.
  fail_unless(rms > 0.25 && rms < 0.45, "RMS %.3f", rms);
  fail_unless(server.u64("frames-sent") >= frames.size());
  fail_unless_equals_int(server.clients(), 1);
}
GST_END_TEST;

GST_START_TEST(test_burst_for_new_listeners) {
  // A listener who joins a running stream gets its last half second at once (burst=500), so a
  // browser starts at once; with burst=0 it gets the next frame first.
  Server server(kTone + "adtsmux-out name=audio port=0");
  Listener first(server.port);
  fail_unless(first.read_head(5000));
  first.read_for(1500);
  Listener joiner(server.port);
  const gint64 asked = g_get_monotonic_time();
  fail_unless(joiner.read_head(5000));
  joiner.read_for(100);
  const double got_in_ms = double(g_get_monotonic_time() - asked) / 1000;
  const auto frames = adts_frames(joiner.body(), "joiner");
  const double seconds = frames.size() * 1024.0 / kRate;
  fail_unless(seconds >= 0.45, "%.3f s of sound %.0f ms after asking", seconds, got_in_ms);
  fail_unless(joiner.start() < first.start() + 1.5 - 0.3, "starts at %.3f", joiner.start());
  fail_unless(joiner.body().size() >= 32 * 1024 || joiner.start() <= first.start() + 0.05,
              "a burst of at least 32 KiB (%zu bytes), or all there is", joiner.body().size());
  // ?burst=0 asks for none (ascii-launch view, whose picture is live).
  Listener now(server.port, "/audio?burst=0");
  fail_unless(now.read_head(5000));
  now.read_for(100);
  const double now_seconds = adts_frames(now.body(), "burst=0").size() * 1024.0 / kRate;
  fail_unless(now_seconds < 0.3, "%.3f s of sound at once with ?burst=0", now_seconds);

  Server plain(kTone + "adtsmux-out name=audio port=0 burst=0");
  Listener warm(plain.port);
  fail_unless(warm.read_head(5000));
  warm.read_for(1000);
  Listener next(plain.port);
  fail_unless(next.read_head(5000));
  next.read_for(100);
  const double next_seconds = adts_frames(next.body(), "next").size() * 1024.0 / kRate;
  fail_unless(next_seconds < 0.3, "%.3f s of sound at once without a burst", next_seconds);
}
GST_END_TEST;

GST_START_TEST(test_late_joiner_same_timeline) {
  Server server(kTone + "adtsmux-out name=audio port=0");
  Listener first(server.port);
  fail_unless(first.read_head(5000));
  first.read_for(1000);
  Listener second(server.port);
  fail_unless(second.read_head(5000));
  gint64 until = g_get_monotonic_time() + 1500 * 1000;
  while (g_get_monotonic_time() < until) {
    first.read_for(20);
    second.read_for(20);
  }
  auto a = adts_frames(first.body(), "first");
  auto b = adts_frames(second.body(), "second");
  fail_unless(b.size() > 40, "second listener got %zu frames", b.size());
  // The second starts later on the same timeline, on the frame the first got at that time.
  const double frame_s = 1024.0 / kRate;
  const double gap = second.start() - first.start();
  // (It joined a second later, and starts with a burst of the most recent sound.)
  fail_unless(gap >= 0 && gap < 1.5, "starts %.3f and %.3f", first.start(), second.start());
  const double k = gap / frame_s;
  const size_t offset = size_t(std::lround(k));
  fail_unless(std::fabs(k - offset) < 0.01, "start gap %.6f s is not a whole number of frames", gap);
  fail_unless(offset + b.size() <= a.size() + 3);
  size_t compared = 0;
  for (size_t i = 0; i < b.size() && offset + i < a.size(); i++, compared++) {
    fail_unless(a[offset + i] == b[i], "frame %zu of the second listener is not frame %zu of the first", i, offset + i);
  }
  fail_unless(compared > 40);
}
GST_END_TEST;

GST_START_TEST(test_stalled_listener_is_cut_off) {
  Server server(kTone + "adtsmux-out name=audio port=0 client-buffer=16384");
  Listener healthy(server.port);
  fail_unless(healthy.read_head(5000));
  // Never reads a byte, and offers the smallest window the kernel allows.
  Listener stalled(server.port, "/audio", "", 4096);
  const gsize rss_before = resident_bytes();
  bool cut = false;
  gint64 deadline = g_get_monotonic_time() + 15 * G_TIME_SPAN_SECOND;
  gint64 healthy_until = g_get_monotonic_time() + 4 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time() < healthy_until || (!cut && g_get_monotonic_time() < deadline)) {
    healthy.read_for(50);
    if (!cut) cut = server.u64("clients-cut") >= 1;
  }
  fail_unless(cut, "the stalled listener was not cut off");
  GstStructure* gone = server.wait_element_message("adtsmux-out-client-disconnected", 5000);
  bool saw_cut = false;
  while (gone) {
    gboolean was_cut = FALSE;
    gst_structure_get_boolean(gone, "cut-off", &was_cut);
    saw_cut |= was_cut;
    gst_structure_free(gone);
    gone = saw_cut ? nullptr : server.wait_element_message("adtsmux-out-client-disconnected", 1000);
  }
  fail_unless(saw_cut, "no disconnect message with cut-off=true");
  fail_unless(!healthy.closed, "the healthy listener was disconnected too");
  // The healthy one got a gapless stream the whole time: as many frames as the time it read.
  auto frames = adts_frames(healthy.body(), "healthy");
  const double seconds = frames.size() * 1024.0 / kRate;
  fail_unless(seconds > 3.5, "healthy listener has %.2f s of audio", seconds);
  fail_unless_equals_int(server.clients(), 1);
  if (!UNDER_ASAN) {
    const double growth_mb = (double(resident_bytes()) - double(rss_before)) / 1e6;
    fail_unless(growth_mb < 8.0, "RSS grew %.1f MB", growth_mb);
  }
}
GST_END_TEST;

GST_START_TEST(test_shares_server_with_websocketsink) {
  // Audio first, then the picture on the same port: one server, both paths, and the player's files.
  const guint port = free_port();
  const std::string p = std::to_string(port);
  auto audio = std::make_unique<Server>(kTone + "adtsmux-out name=audio port=" + p);
  fail_unless_equals_int(audio->port, port);
  GError* error = nullptr;
  GstElement* video = gst_parse_launch(
      ("videotestsrc is-live=true ! video/x-raw,width=40,height=20,framerate=10/1 ! asciimap ! ascilinepay ! "
       "websocketsink name=ws port=" +
       p)
          .c_str(),
      &error);
  fail_unless(video != nullptr);
  fail_if(gst_element_set_state(video, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  GstBus* vbus = gst_element_get_bus(video);
  GstMessage* verr = gst_bus_timed_pop_filtered(vbus, 300 * GST_MSECOND, GST_MESSAGE_ERROR);
  fail_unless(verr == nullptr, "websocketsink could not join the audio's server");

  std::string page;
  fail_unless_equals_int(http_request(port, get_request("/"), &page), 200);
  fail_unless(page.find("<canvas") != std::string::npos);
  // A file whose name starts with the audio path is still a file.
  fail_unless_equals_int(http_request(port, get_request("/audio.js")), 200);
  int ws = raw_websocket(port);
  fail_unless(ws >= 0, "no WebSocket on the shared port");
  close(ws);
  {
    Listener l(port);
    fail_unless(l.read_head(5000));
    fail_unless_equals_int(l.status(), 200);
    l.read_for(300);
    fail_unless(!adts_frames(l.body(), "shared").empty());
  }
  // The audio stops; the server lives on for the picture, and /audio is gone.
  audio.reset();
  int ws2 = raw_websocket(port);
  fail_unless(ws2 >= 0, "the server stopped with the audio element");
  close(ws2);
  fail_unless_equals_int(http_request(port, get_request("/audio")), 404);
  // And the audio comes back on the picture's server.
  audio = std::make_unique<Server>(kTone + "adtsmux-out name=audio port=" + p);
  Listener again(port);
  fail_unless(again.read_head(5000));
  fail_unless_equals_int(again.status(), 200);
  audio.reset();

  gst_element_set_state(video, GST_STATE_NULL);
  gst_object_unref(vbus);
  gst_object_unref(video);
  // Both gone: the port is free again.
  fail_unless(free_port() != 0);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  fail_unless(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0, "port %u still open", port);
  close(fd);
}
GST_END_TEST;

GST_START_TEST(test_raw_aac_with_codec_data) {
  // avenc_aac gives raw AAC with codec_data unless asked for ADTS; the element writes the headers.
  Server server(
      "audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! avenc_aac ! "
      "audio/mpeg,stream-format=raw ! adtsmux-out name=audio port=0");
  Listener l(server.port);
  fail_unless(l.read_head(5000));
  l.read_for(1000);
  auto body = l.body();
  auto frames = adts_frames(body, "raw input");
  fail_unless(frames.size() >= 35, "%zu frames", frames.size());
  auto [samples, rms] = decode_adts(body);
  fail_unless(samples >= (frames.size() - 2) * 1024, "%zu samples", samples);
  fail_unless(rms > 0.1, "RMS %.3f", rms);
}
GST_END_TEST;

GST_START_TEST(test_unservable_codec_data) {
  // AAC-ELD cannot be carried in ADTS: a clear error, no crash.
  Server server(
      "appsrc name=src caps=\"audio/mpeg,mpegversion=4,stream-format=raw,rate=48000,channels=2,"
      "codec_data=(buffer)f8e620\" ! adtsmux-out name=audio port=0");
  GstElement* src = gst_bin_get_by_name(GST_BIN(server.pipeline), "src");
  gst_app_src_push_buffer(GST_APP_SRC(src), gst_buffer_new_allocate(nullptr, 100, nullptr));
  gst_object_unref(src);
  std::string error = server.wait_error(5000);
  fail_unless(error.find("Cannot serve this AAC stream as ADTS") != std::string::npos, "error: '%s'", error.c_str());
}
GST_END_TEST;

GST_START_TEST(test_garbage_between_frames_and_eos) {
  // ADTS pushed in odd pieces with garbage between: only whole frames go out, and EOS ends the
  // response with the last chunk.
  Server server(
      "appsrc name=src is-live=true format=time caps=\"audio/mpeg,mpegversion=4,stream-format=adts,"
      "rate=48000,channels=2\" ! adtsmux-out name=audio port=0");
  Listener l(server.port);
  // The head waits for the first frame.
  Header config;
  config.sample_rate_index = 3;
  config.channel_config = 2;
  std::vector<uint8_t> stream;
  for (int i = 0; i < 20; i++) {
    std::vector<uint8_t> f(gstascii::adts::kHeaderSize + 100 + i);
    gstascii::adts::write_header(config, f.size() - gstascii::adts::kHeaderSize, f.data());
    for (size_t k = gstascii::adts::kHeaderSize; k < f.size(); k++) f[k] = uint8_t(k + i) & 0x7F;
    stream.insert(stream.end(), f.begin(), f.end());
    if (i % 5 == 4) stream.insert(stream.end(), {0x01, 0x02, 0xFF, 0x03});
  }
  GstElement* src = gst_bin_get_by_name(GST_BIN(server.pipeline), "src");
  for (size_t pos = 0; pos < stream.size(); pos += 333) {
    size_t n = std::min<size_t>(333, stream.size() - pos);
    GstBuffer* buf = gst_buffer_new_memdup(stream.data() + pos, n);
    gst_app_src_push_buffer(GST_APP_SRC(src), buf);
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_object_unref(src);
  fail_unless(l.read_head(5000));
  bool complete = false;
  gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
  while (!complete && l.read_for(50) && g_get_monotonic_time() < deadline) l.body(&complete);
  auto frames = adts_frames(l.body(&complete), "garbage");
  fail_unless(complete, "the response did not end with the last chunk");
  // Frames followed by garbage cannot be told from false sync words and are skipped; the rest pass.
  fail_unless(frames.size() >= 16 && frames.size() <= 20, "%zu frames", frames.size());
}
GST_END_TEST;

GST_START_TEST(test_bad_requests) {
  Server server(kTone + "adtsmux-out name=audio port=0 max-clients=1");
  std::string r;
  fail_unless_equals_int(
      http_request(server.port, "POST /audio HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                   &r),
      405);
  fail_unless_equals_int(http_request(server.port, get_request("/audio/more")), 404);
  fail_unless_equals_int(http_request(server.port, get_request("/audio", "Origin: http://evil.example\r\n")), 403);
  // HEAD: the type, no body.
  fail_unless_equals_int(
      http_request(server.port, "HEAD /audio HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", &r), 200);
  fail_unless(r.find("audio/aac") != std::string::npos);
  // A page from this host may listen, and may read the start header.
  Listener page(server.port, "/audio", "Origin: http://127.0.0.1:8080\r\n");
  fail_unless(page.read_head(5000));
  fail_unless_equals_int(page.status(), 200);
  fail_unless(page.header("Access-Control-Expose-Headers") == "X-Audio-Start");
  // One listener is the limit here.
  fail_unless_equals_int(http_request(server.port, get_request("/audio")), 503);
  // Garbage on the socket does not disturb the listener.
  int fd = tcp_connect(server.port);
  std::string junk(100000, '\x07');
  send_all(fd, junk.data(), junk.size());
  close(fd);
  page.read_for(500);
  fail_unless(!page.closed);
  fail_unless(adts_frames(page.body(), "page").size() > 10);
}
GST_END_TEST;

GST_START_TEST(test_restart_cycles) {
  // PLAYING -> NULL with listeners connected, four times: no thread or socket left behind.
  int fds = -1, threads = -1;
  for (int round = 0; round < 4; round++) {
    auto server = std::make_unique<Server>(kTone + "adtsmux-out name=audio port=0");
    Listener a(server->port), b(server->port, "/audio", "", 4096);
    fail_unless(a.read_head(5000));
    a.read_for(200);
    // Stopping cuts the listeners off at once, rather than waiting out stop()'s fallback of 2 s.
    const gint64 t0 = g_get_monotonic_time();
    server.reset();
    fail_unless(g_get_monotonic_time() - t0 < G_TIME_SPAN_SECOND * 3 / 2, "stopping took %.1f s",
                (g_get_monotonic_time() - t0) / 1e6);
    fail_if(a.read_for(2000), "the listener stayed connected after the pipeline stopped");
    if (round == 1) {
      fds = count_open_fds();
      threads = count_threads();
    } else if (round > 1) {
      fail_unless(count_open_fds() <= fds + 2, "fds %d then %d", fds, count_open_fds());
      fail_unless(count_threads() <= threads + 1, "threads %d then %d", threads, count_threads());
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_flushing_seek_restarts_listeners) {
  // A flushing seek starts running time again: a listener's start header would be wrong, so it is
  // cut off, and a new listener starts on the new timeline.
  Server server(
      "audiotestsrc ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! avenc_aac ! aacparse ! "
      "audio/mpeg,stream-format=adts ! adtsmux-out name=audio port=0");
  Listener before(server.port);
  fail_unless(before.read_head(5000));
  fail_unless(before.read_for(1500), "closed before the seek");
  const double start_before = before.start();
  fail_unless(gst_element_seek_simple(server.pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0));
  fail_if(before.read_for(3000), "the listener was not cut off by the flushing seek");
  fail_unless_equals_int(server.u64("clients-cut"), 1);
  Listener after(server.port);
  fail_unless(after.read_head(5000));
  fail_unless_equals_int(after.status(), 200);
  fail_unless(after.start() < start_before + 1.0, "start %.3f after the seek, %.3f before", after.start(),
              start_before);
}
GST_END_TEST;

static Suite* adtsmuxout_suite(void) {
  Suite* s = suite_create("adtsmux-out");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_serves_valid_adts_that_decodes);
  tcase_add_test(tc, test_late_joiner_same_timeline);
  tcase_add_test(tc, test_stalled_listener_is_cut_off);
  tcase_add_test(tc, test_shares_server_with_websocketsink);
  tcase_add_test(tc, test_raw_aac_with_codec_data);
  tcase_add_test(tc, test_unservable_codec_data);
  tcase_add_test(tc, test_garbage_between_frames_and_eos);
  tcase_add_test(tc, test_bad_requests);
  tcase_add_test(tc, test_restart_cycles);
  tcase_add_test(tc, test_burst_for_new_listeners);
  tcase_add_test(tc, test_flushing_seek_restarts_listeners);
  return s;
}

GST_CHECK_MAIN(adtsmuxout);
