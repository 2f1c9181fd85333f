// Time-shift over the WebSocket: websocketsink reads asciihlssink's store for each viewer that
// pauses or seeks, at that viewer's own pace, while the others keep the broadcast; a file can be
// served on demand (every viewer from its start). Real pipelines, a real server on 127.0.0.1 and
// real libsoup WebSocket clients.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "adts_listener.h"
#include "ws_client.h"

namespace {

constexpr int kFps = 15;

// A live stream of symbol cells at 15 fps, stored by asciihlssink and served by websocketsink on
// one server.
struct Stream {
  GstElement* pipeline = nullptr;
  guint port = 0;

  explicit Stream(const std::string& websocketsink_options, const char* source = nullptr, bool sound = false,
                  const std::string& hlssink_options = "") {
    port = free_port();
    const std::string p = std::to_string(port);
    const std::string src = source ? source : "videotestsrc is-live=true pattern=ball";
    const std::string launch =
        src +
        " ! video/x-raw,width=160,height=96,framerate=15/1 ! asciimap cols=40 rows=12 style=blocks ! "
        "ascilinepay codec=adaptive ! tee name=t ! queue ! hls.video asciihlssink name=hls port=" +
        p + " " + hlssink_options + " t. ! queue ! websocketsink name=ws port=" + p + " store-path=/hls/ " +
        websocketsink_options +
        (sound ? " audiotestsrc is-live=true freq=440 ! audio/x-raw,rate=48000,channels=2 ! avenc_aac ! aacparse ! "
                 "tee name=a ! queue ! hls.audio a. ! queue ! adtsmux-out port=" +
                     p + " store-path=/hls/"
               : "");
    GError* error = nullptr;
    pipeline = gst_parse_launch(launch.c_str(), &error);
    fail_unless(pipeline != nullptr, "%s", error ? error->message : "?");
    gst_element_set_state(pipeline, GST_STATE_PLAYING);
    fail_unless(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) != GST_STATE_CHANGE_FAILURE);
  }
  ~Stream() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(pipeline);
  }
  std::string url(const std::string& query) const { return "ws://127.0.0.1:" + std::to_string(port) + "/ws" + query; }
};

void send_json(WsClient* c, const std::string& json) {
  soup_websocket_connection_send_text(c->conn, json.c_str());
}

// Binary frames received from message |from| on.
std::vector<const WsMessage*> frames_from(const WsClient* c, std::size_t from) {
  std::vector<const WsMessage*> out;
  for (std::size_t i = from; i < c->messages.size(); i++) {
    if (!c->messages[i].text) out.push_back(&c->messages[i]);
  }
  return out;
}

// Where in |c|'s messages the first TEXT message starting with |prefix| is, from |from| on.
std::size_t find_text(const WsClient* c, const std::string& prefix, std::size_t from = 0) {
  for (std::size_t i = from; i < c->messages.size(); i++) {
    if (c->messages[i].text && c->messages[i].str().compare(0, prefix.size(), prefix) == 0) return i;
  }
  return std::string::npos;
}

// The INIT's fields ("INIT", fps, mode, cols, rows, cells, queue, duration, start, live[, sync id,
// pixel codec]).
std::vector<std::string> init_fields(const WsMessage& m) {
  std::vector<std::string> out;
  g_auto(GStrv) split = g_strsplit(m.str().c_str(), ":", -1);
  for (int i = 0; split[i]; i++) out.push_back(split[i]);
  return out;
}

}  // namespace

GST_START_TEST(test_pause_seek_live) {
  Stream stream("");
  ClientLoop loop;
  WsClient* viewer = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  WsClient* other = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  // Three seconds of stream: two segments are stored.
  fail_unless(loop.run_until([&] { return viewer->frames() > 0 && viewer->last_index >= 3 * kFps; }, 15000));

  // A viewer who joins late: its INIT's start field (8) is the time of the first frame it gets
  // (ASCILINE's clients run their clock from it), not the stream's start.
  WsClient* late = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  fail_unless(loop.run_until([&] { return late->frames() >= 2; }, 5000));
  const auto late_init = init_fields(late->messages[find_text(late, "INIT:")]);
  fail_unless(late_init.size() >= 10);
  const double start = g_ascii_strtod(late_init[8].c_str(), nullptr);
  fail_unless(std::abs(start - double(frames_from(late, 0).front()->index()) / kFps) < 1e-6 && start > 2,
              "start %s, first frame %u", late_init[8].c_str(), frames_from(late, 0).front()->index());

  // A seek to 1 s: SEEKED first, then the INIT and the frame at 1 s; the rest on the viewer's
  // clock, far behind the broadcast.
  const std::size_t before_seek = viewer->messages.size();
  send_json(viewer, R"({"type":"seek","time":1.0,"requestId":7})");
  fail_unless(loop.run_until([&] { return frames_from(viewer, before_seek).size() >= 8; }, 5000));
  const std::size_t seeked = find_text(viewer, "SEEKED:", before_seek);
  fail_unless(seeked != std::string::npos);
  fail_unless(viewer->messages[seeked].str() == "SEEKED:7:1.000000000", "%s", viewer->messages[seeked].str().c_str());
  const std::size_t init = find_text(viewer, "INIT:", seeked);
  fail_unless(init == seeked + 1, "the INIT follows SEEKED");
  // The viewer's timeline starts exactly at 1 s: the INIT says so (field 8), and its first frame
  // is frame 15 as a sync frame (made from the segment's sync frame and the DELTAs up to it).
  g_auto(GStrv) fields = g_strsplit(viewer->messages[init].str().c_str(), ":", -1);
  fail_unless(g_strv_length(fields) >= 10 && g_strcmp0(fields[8], "1.0") == 0, "INIT %s",
              viewer->messages[init].str().c_str());
  const auto after = frames_from(viewer, init);
  fail_unless(after.front()->bytes[4] != 2, "a sync frame first, not a DELTA");
  fail_unless_equals_int(after.front()->index(), kFps);
  for (std::size_t i = 1; i < after.size(); i++) fail_unless(after[i]->index() > after[i - 1]->index());

  // It plays on at its own pace: a second later it is near 2 s (clock plus half a second's
  // lead), while the other viewer is at the live edge.
  const gint64 seek_time = viewer->messages[seeked].arrival;
  fail_unless(loop.run_until([&] { return g_get_monotonic_time() > seek_time + G_TIME_SPAN_SECOND; }, 3000));
  const std::uint32_t own = viewer->last_index;
  fail_unless(own >= 2 * kFps - 3 && own <= 2 * kFps + kFps / 2 + 3, "at frame %u a second after seeking to 1 s", own);
  fail_unless(other->last_index >= 4 * kFps, "the other viewer is live, at %u", other->last_index);

  // Paused: nothing more comes, however long it waits; resumed: the very next frames.
  send_json(viewer, R"({"type":"pause","paused":true})");
  loop.run_until([] { return false; }, 300);  // the pause arrives; what was in flight lands
  const std::size_t paused_count = viewer->frames();
  const std::uint32_t paused_at = viewer->last_index;
  loop.run_until([] { return false; }, 1200);
  fail_unless_equals_int(viewer->frames(), paused_count);
  send_json(viewer, R"({"type":"pause","paused":false})");
  fail_unless(loop.run_until([&] { return viewer->frames() > paused_count + 3; }, 3000));
  const auto resumed = frames_from(viewer, 0);
  fail_unless(resumed[paused_count]->index() > paused_at && resumed[paused_count]->index() <= paused_at + 2,
              "resumed at %u after %u", resumed[paused_count]->index(), paused_at);

  // Back to live: the INIT again, then frames at the broadcast's edge.
  const std::size_t before_live = viewer->messages.size();
  send_json(viewer, R"({"type":"live"})");
  // (The burst since the last sync frame may still be arriving: wait for it, within a deadline.)
  const bool at_edge = loop.run_until(
      [&] { return frames_from(viewer, before_live).size() >= 3 && viewer->last_index + 3 >= other->last_index; },
      5000);
  fail_unless(find_text(viewer, "INIT:", before_live) != std::string::npos);
  fail_unless(at_edge, "live at %u, broadcast at %u", viewer->last_index, other->last_index);

  // A seek sent as soon as a viewer joins, while its join burst (the frames since the last sync
  // frame) is still on its way: after SEEKED only the new timeline comes, from the time sought.
  WsClient* hasty = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  fail_unless(loop.run_until([&] { return hasty->conn != nullptr; }, 5000));
  send_json(hasty, R"({"type":"seek","time":0.5,"requestId":9})");
  fail_unless(loop.run_until(
      [&] {
        const std::size_t at = find_text(hasty, "SEEKED:9:");
        return at != std::string::npos && frames_from(hasty, at).size() >= 5;
      },
      5000));
  const std::size_t hasty_seeked = find_text(hasty, "SEEKED:9:");
  fail_unless(hasty->messages[hasty_seeked + 1].text && hasty->messages[hasty_seeked + 1].str().rfind("INIT:", 0) == 0,
              "the INIT follows SEEKED");
  const auto timeline = frames_from(hasty, hasty_seeked);
  fail_unless_equals_int(timeline.front()->index(), 7);  // on screen at 0.5 s: 7 / 15
  fail_unless(timeline.front()->bytes[4] != 2, "a sync frame first, not a DELTA");
  for (std::size_t i = 1; i < timeline.size(); i++)
    fail_unless_equals_int(timeline[i]->index(), timeline[i - 1]->index() + 1);

  // A bad seek is refused, and the viewer stays.
  send_json(viewer, R"({"type":"seek","time":"soon"})");
  const std::size_t count = viewer->frames();
  fail_unless(loop.run_until([&] { return viewer->frames() > count + 3; }, 3000));
  fail_if(viewer->closed);
}
GST_END_TEST;

GST_START_TEST(test_live_window) {
  // A live stream keeping 5 s: a seek outside the window is refused with an Error and the viewer
  // stays where it was; a viewer paused for 30 s gets nothing meanwhile and costs no memory, and
  // on resuming goes on from the oldest segment still kept.
  Stream stream("", nullptr, true, "window=5");
  ClientLoop loop;
  WsClient* viewer = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  WsClient* other = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  fail_unless(loop.run_until([&] { return viewer->last_index >= 3 * kFps; }, 15000));

  std::size_t before = viewer->messages.size();
  send_json(viewer, R"({"type":"seek","time":1000,"requestId":3})");
  fail_unless(loop.run_until([&] { return find_text(viewer, "Error:", before) != std::string::npos; }, 3000));
  const std::string refused = viewer->messages[find_text(viewer, "Error:", before)].str();
  fail_unless(refused.find("outside the live window") != std::string::npos, "%s", refused.c_str());
  fail_unless(find_text(viewer, "SEEKED:", before) == std::string::npos);
  std::size_t count = viewer->frames();
  fail_unless(loop.run_until([&] { return viewer->frames() > count + 5; }, 3000));
  fail_unless(viewer->last_index + 3 >= other->last_index, "still live: at %u, the edge at %u", viewer->last_index,
              other->last_index);

  // Paused at the edge, it gets the frame it paused at once that segment is listed (an INIT and a
  // sync frame), then nothing.
  before = viewer->messages.size();
  send_json(viewer, R"({"type":"pause","paused":true})");
  fail_unless(loop.run_until(
      [&] {
        const std::size_t init = find_text(viewer, "INIT:", before);
        return init != std::string::npos && !frames_from(viewer, init).empty();
      },
      5000));
  loop.run_until([] { return false; }, 300);
  const std::size_t paused_count = viewer->frames();
  const std::uint32_t paused_at = viewer->last_index;
  loop.run_until([] { return false; }, 4500);  // the window fills; allocations settle
  const gsize rss_before = resident_bytes();
  loop.run_until([] { return false; }, 25000);
  const double growth_mb = (double(resident_bytes()) - double(rss_before)) / (1 << 20);
  g_print("paused 30 s: rss growth %.2f MB\n", growth_mb);
  fail_unless_equals_int(viewer->frames(), paused_count);
  if (!UNDER_ASAN) fail_unless(growth_mb < 4, "memory grew %.1f MB", growth_mb);

  // Where it paused has left the window: a seek there is refused too.
  before = viewer->messages.size();
  send_json(viewer, R"({"type":"seek","time":1.0,"requestId":4})");
  fail_unless(loop.run_until([&] { return find_text(viewer, "Error:", before) != std::string::npos; }, 3000));
  send_json(viewer, R"({"type":"pause","paused":false})");
  fail_unless(loop.run_until([&] { return viewer->frames() > paused_count + 5; }, 5000));
  const std::uint32_t resumed = frames_from(viewer, 0)[paused_count]->index();
  fail_unless(resumed > paused_at + 20 * kFps && resumed + 8 * kFps >= other->last_index,
              "resumed at %u, paused at %u, the edge at %u", resumed, paused_at, other->last_index);
  fail_if(viewer->closed);
}
GST_END_TEST;

GST_START_TEST(test_raw_viewer_seeks) {
  // A viewer of raw ASCILINE frames (ASCILINE's older players) gets the stored frames decoded;
  // /health and /info answer as ASCILINE's server does.
  Stream stream("");
  ClientLoop loop;
  WsClient* viewer = loop.connect(stream.url(""));
  fail_unless(loop.run_until([&] { return viewer->last_index >= 3 * kFps; }, 15000));
  const std::size_t before = viewer->messages.size();
  send_json(viewer, R"({"type":"seek","time":0.5})");
  fail_unless(loop.run_until([&] { return frames_from(viewer, before).size() >= 5; }, 5000));
  fail_unless(find_text(viewer, "SEEKED:", before) == std::string::npos, "no SEEKED without a requestId");
  const std::size_t init = find_text(viewer, "INIT:", before);
  fail_unless(init != std::string::npos);
  for (const WsMessage* m : frames_from(viewer, init)) {
    fail_unless_equals_int(m->bytes.size(), 4 + 40 * 12 * 4);  // [index][cols x rows x (char, R, G, B)]
  }
  fail_unless_equals_int(frames_from(viewer, init).front()->index(), 7);  // on screen at 0.5 s: 7 / 15

  // ASCILINE's /health and /info beside the stream.
  std::string reply;
  fail_unless_equals_int(http_request(stream.port, get_request("/health"), &reply), 200);
  fail_unless(reply.find("\r\n\r\n{\"status\":\"ok\"}") != std::string::npos, "%s", reply.c_str());
  fail_unless_equals_int(http_request(stream.port, get_request("/info"), &reply), 200);
  fail_unless(reply.find("{\"queue_size\":1,\"current_index\":0,\"cols\":40,\"rows\":12,\"loop\":false,"
                         "\"debug\":false}") != std::string::npos,
              "%s", reply.c_str());
  fail_unless(reply.find("Content-Type: application/json") != std::string::npos, "%s", reply.c_str());
}
GST_END_TEST;

GST_START_TEST(test_on_demand_file) {
  // A "file" (a finite source) encoded as fast as it decodes: every viewer starts at its start
  // and plays at its own pace; after the end of the stream the viewers stay and can seek back.
  Stream stream("on-demand=true sync=false", "videotestsrc pattern=ball num-buffers=90");
  ClientLoop loop;
  WsClient* first = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  GstBus* bus = gst_element_get_bus(stream.pipeline);
  GstMessage* eos =
      gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(eos && GST_MESSAGE_TYPE(eos) == GST_MESSAGE_EOS, "the whole file is encoded");
  gst_message_unref(eos);
  gst_object_unref(bus);
  // Encoded in far less than its 6 s, yet the viewer plays it at 15 fps from frame 0.
  fail_unless(loop.run_until([&] { return first->frames() >= 10; }, 5000));
  const auto frames = frames_from(first, 0);
  fail_unless_equals_int(frames.front()->index(), 0);
  fail_unless(first->last_index < 2 * kFps, "paced, at %u", first->last_index);
  WsClient* late = loop.connect(stream.url("?codec=adaptive&cells=symbol"));
  fail_unless(loop.run_until([&] { return late->frames() >= 3; }, 5000));
  fail_unless_equals_int(frames_from(late, 0).front()->index(), 0);
  // A seek near the end, then it plays to the last frame and stays connected.
  send_json(late, R"({"type":"seek","time":5.5,"requestId":1})");
  fail_unless(loop.run_until([&] { return late->last_index == 89; }, 5000), "at %u", late->last_index);
  loop.run_until([] { return false; }, 300);
  fail_if(late->closed);
  fail_if(first->closed);
}
GST_END_TEST;

GST_START_TEST(test_sound_from_the_store) {
  // /audio?start=1 gets the stored sound from 1 s on, paced like the viewer's picture.
  Stream stream("", nullptr, true);
  ClientLoop loop;
  WsClient* viewer = loop.connect(stream.url("?codec=adaptive"));
  fail_unless(loop.run_until([&] { return viewer->last_index >= 3 * kFps; }, 15000));
  Listener stored(stream.port, "/audio?start=1.0");
  fail_unless(stored.read_head(5000));
  fail_unless_equals_int(stored.status(), 200);
  const double frame_s = 1024.0 / 48000;
  fail_unless(stored.start() <= 1.0 && stored.start() > 1.0 - frame_s - 0.001, "starts at %f", stored.start());
  stored.read_for(1000);
  const auto body = stored.body();
  const auto frames = adts_frames(body, "stored sound", 48000, 2);
  const double seconds = frames.size() * frame_s;
  // A second of reading: about 1.5 s of sound (its clock plus half a second's lead), not all 2+ s
  // stored after 1 s.
  fail_unless(seconds > 1.2 && seconds < 1.8, "%.3f s of sound in a second", seconds);
  const auto decoded = decode_adts(body);
  fail_unless(decoded.first > 0 && decoded.second > 0.05, "it decodes to a tone");
}
GST_END_TEST;

GST_START_TEST(test_sync_handshake) {
  // ASCILINE's sync=1: the INIT carries the sync id, 4 frames come, then nothing until
  // playback-ready with that id; a seek's requestId becomes the sync id; the last of two quick
  // seeks wins; playback-ready is ignored while paused, and play re-arms the preroll.
  Stream stream("on-demand=true sync=false", "videotestsrc pattern=ball num-buffers=150");
  ClientLoop loop;
  WsClient* viewer = loop.connect(stream.url("?codec=adaptive&sync=1"));
  fail_unless(loop.run_until([&] { return viewer->frames() >= 4; }, 10000));
  loop.run_until([] { return false; }, 800);
  fail_unless_equals_int(viewer->frames(), 4);
  auto init = init_fields(viewer->messages[find_text(viewer, "INIT:")]);
  fail_unless(init.size() == 12 && init[8] == "0" && init[10] == "0" && init[11] == "raw", "INIT %s",
              viewer->messages[0].str().c_str());
  send_json(viewer, R"({"type":"playback-ready","requestId":5,"time":0.1})");
  loop.run_until([] { return false; }, 500);
  fail_unless_equals_int(viewer->frames(), 4);  // not the current sync id
  send_json(viewer, R"({"type":"playback-ready","requestId":0,"time":0.2})");
  const gint64 ready_at = g_get_monotonic_time();
  fail_unless(loop.run_until([&] { return g_get_monotonic_time() - ready_at > G_TIME_SPAN_SECOND; }, 3000));
  // From 0.2 s, a second on, half a second ahead: about frame 25.
  fail_unless(viewer->last_index >= 20 && viewer->last_index <= 30, "at frame %u", viewer->last_index);

  // Two seeks within 50 ms: both answered, the INIT that follows carries the last one's id and time.
  const std::size_t before = viewer->messages.size();
  send_json(viewer, R"({"type":"seek","time":2.0,"requestId":10})");
  send_json(viewer, R"({"type":"seek","time":3.0,"requestId":11})");
  fail_unless(loop.run_until([&] { return find_text(viewer, "SEEKED:11:", before) != std::string::npos; }, 5000));
  fail_unless(
      loop.run_until([&] { return frames_from(viewer, find_text(viewer, "SEEKED:11:", before)).size() >= 4; }, 5000));
  const std::size_t seeked = find_text(viewer, "SEEKED:11:", before);
  fail_unless(viewer->messages[seeked].str() == "SEEKED:11:3.000000000", "%s", viewer->messages[seeked].str().c_str());
  const std::size_t init_at = find_text(viewer, "INIT:", seeked);
  init = init_fields(viewer->messages[init_at]);
  fail_unless(init.size() == 12 && init[8] == "3.0" && init[10] == "11", "INIT %s",
              viewer->messages[init_at].str().c_str());
  loop.run_until([] { return false; }, 600);
  auto frames = frames_from(viewer, init_at);
  fail_unless_equals_int(frames.size(), 4);
  fail_unless_equals_int(frames.front()->index(), 45);
  fail_unless(frames.front()->bytes[4] != 2, "a sync frame first");

  // Paused: playback-ready is ignored; play: the preroll again, then the wait.
  send_json(viewer, R"({"type":"pause","paused":true})");
  send_json(viewer, R"({"type":"playback-ready","requestId":11,"time":3.0})");
  loop.run_until([] { return false; }, 600);
  fail_unless_equals_int(frames_from(viewer, init_at).size(), 4);
  send_json(viewer, R"({"type":"pause","paused":false})");
  loop.run_until([] { return false; }, 600);
  fail_unless_equals_int(frames_from(viewer, init_at).size(), 8);
  send_json(viewer, R"({"type":"playback-ready","requestId":11,"time":3.0})");
  fail_unless(loop.run_until([&] { return frames_from(viewer, init_at).size() > 12; }, 3000));
  frames = frames_from(viewer, init_at);
  for (std::size_t i = 1; i < frames.size(); i++)
    fail_unless_equals_int(frames[i]->index(), frames[i - 1]->index() + 1);
}
GST_END_TEST;

GST_START_TEST(test_backlog_resync) {
  // A viewer that reports more than 15 undecoded frames twice in a row is moved on: adaptive, to
  // the next sync frame (asked for at once); raw, past 0.3 s of frames. One such report is not
  // enough.
  Stream stream("");
  GstElement* ws = gst_bin_get_by_name(GST_BIN(stream.pipeline), "ws");
  ClientLoop loop;
  WsClient* adaptive = loop.connect(stream.url("?codec=adaptive"));
  WsClient* raw = loop.connect(stream.url(""));
  fail_unless(loop.run_until([&] { return adaptive->frames() > 10 && raw->frames() > 10; }, 10000));
  send_json(adaptive, R"({"type":"buffer","depth":40})");
  send_json(adaptive, R"({"type":"buffer","depth":3})");
  send_json(adaptive, R"({"type":"buffer","depth":40})");
  loop.run_until([] { return false; }, 300);
  guint64 resyncs = 0;
  g_object_get(ws, "resyncs", &resyncs, nullptr);
  fail_unless_equals_int(resyncs, 0);

  const std::size_t before = adaptive->messages.size();
  send_json(adaptive, R"({"type":"buffer","depth":40})");
  send_json(adaptive, R"({"type":"buffer","depth":41})");
  send_json(raw, R"({"type":"buffer","depth":30})");
  send_json(raw, R"({"type":"buffer","depth":30})");
  fail_unless(loop.run_until([&] { return frames_from(adaptive, before).size() > 5 && raw->frames() > 30; }, 5000));
  g_object_get(ws, "resyncs", &resyncs, nullptr);
  fail_unless_equals_int(resyncs, 2);
  // The adaptive viewer: after those in flight, a sync frame (asked for at once), where the
  // stream's own come a second apart.
  const auto after = frames_from(adaptive, before);
  bool synced = false;
  for (std::size_t i = 0; i < after.size() && i < 6; i++) synced = synced || after[i]->bytes[4] != 2;
  fail_unless(synced, "no sync frame among the 6 frames after the reports");
  // The raw viewer: a gap of 0.3 s (5 frames at 15 fps) somewhere since the reports.
  const auto raw_frames = frames_from(raw, 0);
  std::uint32_t largest_gap = 0;
  for (std::size_t i = 1; i < raw_frames.size(); i++)
    largest_gap = std::max(largest_gap, raw_frames[i]->index() - raw_frames[i - 1]->index());
  fail_unless(largest_gap >= 5, "the raw viewer skipped %u frames at most", largest_gap - 1);
  gst_object_unref(ws);
}
GST_END_TEST;

static Suite* timeshift_suite() {
  Suite* s = suite_create("timeshift");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_pause_seek_live);
  tcase_add_test(tc, test_live_window);
  tcase_add_test(tc, test_raw_viewer_seeks);
  tcase_add_test(tc, test_on_demand_file);
  tcase_add_test(tc, test_sound_from_the_store);
  tcase_add_test(tc, test_sync_handshake);
  tcase_add_test(tc, test_backlog_resync);
  return s;
}

GST_CHECK_MAIN(timeshift);
