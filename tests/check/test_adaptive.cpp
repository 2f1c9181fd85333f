// The adaptive codec served: ascilinepay codec=adaptive (tags, DELTA flags, the raw meta, keyframes
// on request) and websocketsink giving each viewer the codec it asked for from one pipeline:
// adaptive viewers decode to exactly the cells raw viewers get, join at once from the frames since
// the last sync frame, and after falling behind resume at a sync frame, never applying a DELTA to
// the wrong picture.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "adaptive_codec.h"
#include "gstascilinemeta.h"
#include "ws_server.h"

using gstascii::adaptive::Decoder;

namespace {

constexpr std::size_t kCells = 200 * 84;
const char* kAdaptiveSource =
    "videotestsrc is-live=true pattern=ball motion=sweep ! "
    "video/x-raw,format=BGR,width=400,height=168,framerate=30/1 ! asciimap cols=200 rows=84 mode=3 ! "
    "ascilinepay codec=adaptive";

// The plugin registers the meta; a program that loads the plugin finds its API type by name.
GstAscilineRawMeta* raw_meta_of(GstBuffer* buffer) {
  const GType api = g_type_from_name("GstAscilineRawMetaAPI");
  return api ? reinterpret_cast<GstAscilineRawMeta*>(gst_buffer_get_meta(buffer, api)) : nullptr;
}

std::vector<std::uint8_t> bytes_of(GstBuffer* buffer) {
  gstascii::MappedBuffer map(buffer, GST_MAP_READ);
  return {map.info.data, map.info.data + map.info.size};
}

// Server-to-client WebSocket frames read by hand from a raw socket (unmasked, as servers send).
class RawWsReader {
 public:
  explicit RawWsReader(int fd) : fd_(fd) {}
  // The next whole message within |timeout_ms|, or false.
  bool next(WsMessage* out, int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
    while (true) {
      if (parse(out)) return true;
      int left = int((deadline - g_get_monotonic_time()) / 1000);
      if (left <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) return false;
      char buf[65536];
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      buf_.append(buf, n);
    }
  }

 private:
  bool parse(WsMessage* out) {
    if (buf_.size() < 2) return false;
    const auto* d = reinterpret_cast<const std::uint8_t*>(buf_.data());
    std::size_t len = d[1] & 0x7f, at = 2;
    if (len == 126) {
      if (buf_.size() < 4) return false;
      len = (d[2] << 8) | d[3];
      at = 4;
    } else if (len == 127) {
      if (buf_.size() < 10) return false;
      len = 0;
      for (int i = 0; i < 8; i++) len = (len << 8) | d[2 + i];
      at = 10;
    }
    if (buf_.size() < at + len) return false;
    out->text = (d[0] & 0x0f) == 1;
    out->bytes.assign(d + at, d + at + len);
    buf_.erase(0, at + len);
    return true;
  }
  int fd_;
  std::string buf_;
};

}  // namespace

// Every tagged frame decodes to exactly the raw frame it carries, DELTAs are flagged, keyframes come
// every 48 indices and when downstream asks.
GST_START_TEST(test_payloader_adaptive) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch((std::string(kAdaptiveSource) + " ! appsink name=out").c_str(), &error);
  fail_unless(pipeline != nullptr);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  Decoder decoder(kCells, 4);
  int frames = 0, deltas = 0, requested_at = -1;
  bool keyframe_after_request = false;
  std::uint32_t request_index = 0;
  while (frames < 110) {
    GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 5 * GST_SECOND);
    fail_unless(sample != nullptr, "no frame");
    GstBuffer* buf = gst_sample_get_buffer(sample);
    if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER)) {
      gst_sample_unref(sample);
      continue;
    }
    const GstStructure* caps = gst_caps_get_structure(gst_sample_get_caps(sample), 0);
    fail_unless(g_strcmp0(gst_structure_get_string(caps, "codec"), "adaptive") == 0);
    auto message = bytes_of(buf);
    GstAscilineRawMeta* meta = raw_meta_of(buf);
    fail_unless(meta && meta->raw, "frame %d has no raw meta", frames);
    auto raw = bytes_of(meta->raw);
    fail_unless_equals_int(raw.size(), 4 + kCells * 4);
    const std::uint8_t tag = message[4];
    fail_unless(decoder.decode(message.data(), message.size()) == Decoder::Result::kFrame, "frame %d", frames);
    fail_unless(std::equal(raw.begin() + 4, raw.end(), decoder.frame().begin()), "frame %d decodes to other cells",
                frames);
    fail_unless(std::equal(raw.begin(), raw.begin() + 4, message.begin()), "same index in both forms");
    const bool delta_flag = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    fail_unless(delta_flag == (tag == gstascii::adaptive::kDelta), "frame %d: tag %d, delta flag %d", frames, tag,
                delta_flag);
    if (frames == 0 || decoder.index() % 48 == 0)
      fail_unless(!delta_flag, "frame %u is not a keyframe", decoder.index());
    deltas += delta_flag;
    if (requested_at >= 0 && !delta_flag && decoder.index() % 48 != 0 && decoder.index() > request_index) {
      keyframe_after_request = frames - requested_at <= 3;
      requested_at = -1;
    }
    if (frames == 20) {
      // A sink asking for a keyframe (as websocketsink does for a viewer that joins).
      request_index = decoder.index();
      requested_at = frames;
      gst_element_send_event(sink, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
    }
    frames++;
    gst_sample_unref(sample);
  }
  fail_unless(deltas > 80, "%d deltas in 110 frames of a moving ball", deltas);
  fail_unless(keyframe_after_request, "no keyframe soon after the request");
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
}
GST_END_TEST;

// Raw and adaptive viewers of one pipeline: each gets its codec, and the adaptive ones decode to
// exactly the raw cells, at a fraction of the bytes.
GST_START_TEST(test_both_codecs_from_one_pipeline) {
  Server server("websocketsink name=ws port=0", kAdaptiveSource);
  ClientLoop loop;
  std::vector<WsClient*> raw, adaptive;
  for (int i = 0; i < 3; i++) raw.push_back(loop.connect(server.url()));
  for (int i = 0; i < 3; i++) adaptive.push_back(loop.connect(server.url("/ws?codec=adaptive")));
  raw.push_back(loop.connect(server.url("/ws?codec=legacy")));
  fail_unless(loop.run_until([&] { return all_connected(loop); }, kConnectDeadlineMs));
  fail_unless(loop.run_until(
      [&] {
        for (auto& c : loop.clients())
          if (c->frames() < 60) return false;
        return true;
      },
      20000));
  std::map<std::uint32_t, std::vector<std::uint8_t>> raw_frames;
  std::size_t raw_bytes = 0, adaptive_bytes = 0;
  for (WsClient* c : raw) {
    fail_if(c->failed);
    for (auto& m : c->messages) {
      if (m.text) continue;
      fail_unless_equals_int(m.bytes.size(), 4 + kCells * 4);
      raw_frames[m.index()] = m.bytes;
      raw_bytes += m.bytes.size();
    }
  }
  std::size_t compared = 0;
  for (WsClient* c : adaptive) {
    fail_if(c->failed);
    Decoder decoder(kCells, 4);
    bool first = true;
    for (auto& m : c->messages) {
      if (m.text) continue;
      if (first) fail_unless(gstascii::adaptive::is_sync_tag(m.bytes[4]), "starts on tag %d", m.bytes[4]);
      first = false;
      fail_unless(decoder.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame);
      adaptive_bytes += m.bytes.size();
      auto it = raw_frames.find(decoder.index());
      if (it == raw_frames.end()) continue;
      fail_unless(std::equal(it->second.begin() + 4, it->second.end(), decoder.frame().begin()),
                  "frame %u differs between codecs", decoder.index());
      compared++;
    }
  }
  fail_unless(compared > 150, "%zu frames compared", compared);
  g_print("both codecs: adaptive viewers got %.2f %% of the raw bytes\n", 100.0 * adaptive_bytes / raw_bytes * 4 / 3);
  fail_unless(adaptive_bytes * 4 < raw_bytes * 3 / 10, "adaptive %zu bytes against raw %zu", adaptive_bytes, raw_bytes);
  GstStructure* s = server.next_message("websocketsink-client-connected", 2000);
  fail_unless(s != nullptr && gst_structure_get_string(s, "codec") != nullptr);
  gst_structure_free(s);
}
GST_END_TEST;

// A viewer joining mid-stream starts at once: the frames since the last sync frame come as a burst,
// first a sync frame, and all decode.
// Symbol cells (asciimap style=...) and ASCILINE cells from one pipeline: viewers that ask for
// ?cells=symbol get an INIT announcing them (field 5 = 2) and 8-byte cells, raw or adaptive, both
// codecs decoding to the same frames; every other viewer gets ASCILINE's INIT and 4-byte cells.
GST_START_TEST(test_symbol_and_asciline_viewers) {
  const char* source =
      "videotestsrc is-live=true pattern=ball motion=sweep ! "
      "video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! asciimap cols=200 rows=84 mode=3 "
      "style=ascii+octant ! ascilinepay codec=adaptive";
  Server server("websocketsink name=ws port=0", source);
  ClientLoop loop;
  WsClient* symbol_raw = loop.connect(server.url("/ws?cells=symbol&codec=raw"));
  WsClient* symbol_adaptive = loop.connect(server.url("/ws?codec=adaptive&cells=symbol"));
  WsClient* classic_raw = loop.connect(server.url("/ws"));
  WsClient* classic_adaptive = loop.connect(server.url("/ws?codec=adaptive&cells=braille"));
  fail_unless(loop.run_until([&] { return all_connected(loop); }, kConnectDeadlineMs));
  fail_unless(loop.run_until(
      [&] {
        for (auto& c : loop.clients())
          if (c->frames() < 40) return false;
        return true;
      },
      20000));
  auto init_of = [](WsClient* c) {
    fail_unless(!c->messages.empty() && c->messages[0].text);
    return c->messages[0].str();
  };
  fail_unless(init_of(symbol_raw).rfind("INIT:30.0:3:200:84:2:", 0) == 0, "%s", init_of(symbol_raw).c_str());
  fail_unless(init_of(symbol_adaptive).rfind("INIT:30.0:3:200:84:2:", 0) == 0);
  fail_unless(init_of(classic_raw).rfind("INIT:30.0:3:200:84:0:", 0) == 0, "%s", init_of(classic_raw).c_str());
  fail_unless(init_of(classic_adaptive).rfind("INIT:30.0:3:200:84:0:", 0) == 0);

  std::map<std::uint32_t, std::vector<std::uint8_t>> symbol_frames;
  for (auto& m : symbol_raw->messages) {
    if (m.text) continue;
    fail_unless_equals_int(m.bytes.size(), 4 + kCells * 8);
    symbol_frames[m.index()] = m.bytes;
  }
  for (auto& m : classic_raw->messages) {
    if (!m.text) fail_unless_equals_int(m.bytes.size(), 4 + kCells * 4);
  }
  Decoder symbols(kCells, 8), classic(kCells, 4);
  std::size_t compared = 0;
  for (auto& m : symbol_adaptive->messages) {
    if (m.text) continue;
    fail_unless(symbols.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame);
    auto it = symbol_frames.find(symbols.index());
    if (it == symbol_frames.end()) continue;
    fail_unless(std::equal(it->second.begin() + 4, it->second.end(), symbols.frame().begin()),
                "symbol frame %u differs between codecs", symbols.index());
    compared++;
  }
  fail_unless(compared >= 30, "%zu symbol frames compared", compared);
  for (auto& m : classic_adaptive->messages) {
    if (!m.text) fail_unless(classic.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame);
  }

  // A symbol viewer joining mid-stream starts at once too, from a sync frame of symbol cells.
  WsClient* late = loop.connect(server.url("/ws?codec=adaptive&cells=symbol"));
  fail_unless(loop.run_until([&] { return late->frames() >= 10; }, 10000));
  Decoder late_decoder(kCells, 8);
  for (auto& m : late->messages) {
    if (!m.text) fail_unless(late_decoder.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame);
  }
}
GST_END_TEST;

GST_START_TEST(test_late_joiner_starts_at_once) {
  Server server("websocketsink name=ws port=0", kAdaptiveSource);
  ClientLoop loop;
  WsClient* early = loop.connect(server.url("/ws?codec=adaptive"));
  // Join well past a keyframe: index 48 + 20 or so.
  fail_unless(loop.run_until([&] { return early->frames() > 0 && early->last_index % 48 >= 20; }, 10000));
  const gint64 joined = g_get_monotonic_time();
  const std::uint32_t joined_index = early->last_index;
  WsClient* late = loop.connect(server.url("/ws?codec=adaptive"));
  fail_unless(loop.run_until([&] { return late->frames() >= 30; }, 10000));
  Decoder decoder(kCells, 4);
  std::size_t burst = 0;
  gint64 first_arrival = 0;
  for (auto& m : late->messages) {
    if (m.text) continue;
    if (!first_arrival) {
      first_arrival = m.arrival;
      fail_unless(gstascii::adaptive::is_sync_tag(m.bytes[4]), "the burst starts with tag %d", m.bytes[4]);
    }
    if (m.index() <= joined_index) burst++;  // made before it joined: only the burst has those
    fail_unless(decoder.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame);
  }
  fail_unless(burst >= 15, "only %zu frames from before joining", burst);
  fail_unless(server.u64("join-bursts") >= 1);
  g_print("late joiner: %zu frames in the burst, first frame %.1f ms after connecting\n", burst,
          (first_arrival - joined) / 1000.0);
}
GST_END_TEST;

// An adaptive viewer that stops reading falls behind, frames are skipped for it, and when it reads
// again it resumes at a sync frame: every message it got decodes, none is a DELTA on a wrong base.
GST_START_TEST(test_lagging_viewer_resumes_at_sync_frame) {
  Server server("websocketsink name=ws port=0 client-buffer=8192 client-timeout=60000000000", kAdaptiveSource);
  int fd = raw_websocket(server.port, "/ws?codec=adaptive");
  fail_unless(fd >= 0);
  int rcvbuf = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  RawWsReader reader(fd);
  Decoder decoder(kCells, 4);
  WsMessage m;
  int frames = 0;
  auto read_frames = [&](int ms) {
    gint64 until = g_get_monotonic_time() + gint64(ms) * 1000;
    while (g_get_monotonic_time() < until) {
      if (!reader.next(&m, 100) || m.text) continue;
      fail_unless(decoder.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame,
                  "message %d (frame %u, tag %d) did not decode", frames, m.index(), m.bytes[4]);
      frames++;
    }
  };
  read_frames(1000);
  const guint64 dropped_before = server.u64("frames-dropped");
  // Stop reading for 3 s: kernel buffers fill and frames are skipped for this viewer.
  gint64 until = g_get_monotonic_time() + 3 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time() < until) g_usleep(100 * 1000);  // the stall being tested, not a wait
  const guint64 skipped = server.u64("frames-dropped") - dropped_before;
  const int before_resume = frames;
  read_frames(4000);
  close(fd);
  fail_unless(skipped > 20, "only %" G_GUINT64_FORMAT " frames skipped while stalled", skipped);
  fail_unless(frames - before_resume > 60, "%d frames after resuming", frames - before_resume);
}
GST_END_TEST;

// Frames that reach the sink faster than its server thread sends them are dropped before the
// viewers see them (at most a few wait). An adaptive viewer must not apply the next DELTA over
// that gap: every frame it decodes equals the frame the pipeline made with that index. A queue
// held shut for 3 s and then opened sends 90 frames in a burst, unpaced (sync=false).
GST_START_TEST(test_frames_dropped_before_sending) {
  Server server(
      "tee name=t t. ! queue ! appsink name=out sync=false "
      "t. ! queue name=hold max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! websocketsink name=ws port=0 "
      "sync=false",
      kAdaptiveSource);
  ClientLoop loop;
  WsClient* viewer = loop.connect(server.url("/ws?codec=adaptive"));
  fail_unless(loop.run_until([&] { return viewer->frames() >= 10; }, 10000));
  g_autoptr(GstElement) hold = gst_bin_get_by_name(GST_BIN(server.pipeline), "hold");
  g_autoptr(GstPad) hold_src = gst_element_get_static_pad(hold, "src");
  const gulong probe = gst_pad_add_probe(
      hold_src, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
      [](GstPad*, GstPadProbeInfo*, gpointer) { return GST_PAD_PROBE_OK; }, nullptr, nullptr);
  const guint64 dropped_before = server.u64("frames-dropped");
  loop.run_until([] { return false; }, 3000);  // the hold being tested, with the viewer kept reading
  gst_pad_remove_probe(hold_src, probe);
  const std::size_t before = viewer->frames();
  fail_unless(loop.run_until([&] { return viewer->frames() >= before + 60; }, 20000));
  const guint64 dropped = server.u64("frames-dropped") - dropped_before;
  // The appsink's branch may not have stored the newest frames the viewer already has: wait for it.
  std::uint32_t newest = 0;
  for (auto& m : viewer->messages) {
    if (!m.text) newest = std::max(newest, m.index());
  }
  const gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(server.produced.mutex);
      if (!server.produced.frames.empty() && server.produced.frames.rbegin()->first >= newest) break;
    }
    fail_unless(g_get_monotonic_time() < deadline, "the appsink never saw frame %u", newest);
    g_usleep(10 * 1000);  // a poll interval, with the deadline above
  }

  // What the pipeline made, decoded in order with nothing missing.
  std::map<std::uint32_t, std::vector<std::uint8_t>> made;
  {
    std::lock_guard<std::mutex> lock(server.produced.mutex);
    Decoder all(kCells, 4);
    for (auto& [index, frame] : server.produced.frames) {
      fail_unless(all.decode(frame.second.data(), frame.second.size()) == Decoder::Result::kFrame);
      made[index] = all.frame();
    }
  }
  Decoder decoder(kCells, 4);
  std::size_t compared = 0;
  for (auto& m : viewer->messages) {
    if (m.text) continue;
    fail_unless(decoder.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame);
    auto it = made.find(decoder.index());
    fail_unless(it != made.end(), "frame %u was made", decoder.index());
    fail_unless(it->second == decoder.frame(), "frame %u decodes wrong (tag %d): a DELTA over a gap", decoder.index(),
                m.bytes[4]);
    compared++;
  }
  g_print("dropped before sending: %" G_GUINT64_FORMAT " frames skipped, %zu decoded right\n", dropped, compared);
  fail_unless(dropped > 0, "the burst was sent without a gap; nothing tested");
}
GST_END_TEST;

// A stream that is not tagged still serves adaptive viewers: raw frames as tag 0.
GST_START_TEST(test_raw_stream_adaptive_viewer) {
  Server server("websocketsink name=ws port=0");
  ClientLoop loop;
  WsClient* c = loop.connect(server.url("/ws?codec=adaptive"));
  fail_unless(loop.run_until([&] { return c->frames() >= 10; }, 10000));
  Decoder decoder(kCells, 4);
  for (auto& m : c->messages) {
    if (m.text) continue;
    fail_unless_equals_int(m.bytes.size(), 5 + kCells * 4);
    fail_unless_equals_int(m.bytes[4], gstascii::adaptive::kRaw);
    fail_unless(decoder.decode(m.bytes.data(), m.bytes.size()) == Decoder::Result::kFrame);
  }
}
GST_END_TEST;

static Suite* adaptive_suite(void) {
  Suite* s = suite_create("adaptive");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_payloader_adaptive);
  tcase_add_test(tc, test_both_codecs_from_one_pipeline);
  tcase_add_test(tc, test_symbol_and_asciline_viewers);
  tcase_add_test(tc, test_late_joiner_starts_at_once);
  tcase_add_test(tc, test_lagging_viewer_resumes_at_sync_frame);
  tcase_add_test(tc, test_raw_stream_adaptive_viewer);
  tcase_add_test(tc, test_frames_dropped_before_sending);
  return s;
}

GST_CHECK_MAIN(adaptive);
