// GstAsciiServer and GstAsciiServerSink: one server shared through a GstContext (port 0 included),
// handed over by an application, the limits on unfinished requests, and the application API
// (client-added/-removed, get-stats, what is posted on the bus).
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "adts_listener.h"
#include "ws_client.h"
#include "ws_server.h"

namespace {

const char* kTone = "audiotestsrc is-live=true ! audioconvert ! avenc_aac ! aacparse ! ";

// The plugin's GstAsciiServer, as an application that does not link gst-ascii makes one.
GstObject* new_server(guint port) {
  gst_object_unref(gst_object_ref_sink(gst_element_factory_make("websocketsink", nullptr)));  // loads the plugin
  GType type = g_type_from_name("GstAsciiServer");
  fail_unless(type != 0, "the plugin registers GstAsciiServer");
  return GST_OBJECT(gst_object_ref_sink(g_object_new(type, "host", "127.0.0.1", "port", port, nullptr)));
}

GstContext* server_context(GstObject* server, gboolean force) {
  GstContext* context = gst_context_new("gst-ascii.http-server", TRUE);
  gst_structure_set(gst_context_writable_structure(context), "server", G_OBJECT_TYPE(server), server, "force",
                    G_TYPE_BOOLEAN, force, nullptr);
  return context;
}

guint uint_prop(gpointer object, const char* name) {
  guint v = 0;
  g_object_get(object, name, &v, nullptr);
  return v;
}

// Whether the peer has closed |fd| (a read sees the end) within |timeout_ms|.
bool closed_by_peer(int fd, int timeout_ms) {
  const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  char buf[4096];
  while (g_get_monotonic_time() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
  return false;
}

bool still_open(int fd) {
  char c;
  ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

// A picture and a sound sink with port 0 in one pipeline meet on one server: the first makes it and
// shares it in a have-context message, the bin hands it to the second.
GST_START_TEST(test_port_zero_shared_in_pipeline) {
  Server server(std::string("websocketsink name=ws port=0 ") + kTone + "adtsmux-out name=audio port=0",
                "videotestsrc is-live=true ! video/x-raw,width=40,height=20,framerate=10/1 ! asciimap ! ascilinepay");
  fail_if(server.start_result == GST_STATE_CHANGE_FAILURE);
  GstElement* audio = gst_bin_get_by_name(GST_BIN(server.pipeline), "audio");
  fail_unless(server.port != 0);
  fail_unless_equals_int(uint_prop(audio, "port"), server.port);
  GObject* ws_server = nullptr;
  GObject* audio_server = nullptr;
  g_object_get(server.sink, "server", &ws_server, nullptr);
  g_object_get(audio, "server", &audio_server, nullptr);
  fail_unless(ws_server != nullptr && ws_server == audio_server, "one server object for both sinks");
  g_object_unref(ws_server);
  g_object_unref(audio_server);

  int ws = raw_websocket(server.port);
  fail_unless(ws >= 0, "the picture is served");
  close(ws);
  Listener l(server.port);
  fail_unless(l.read_head(5000));
  fail_unless_equals_int(l.status(), 200);
  std::string page;
  fail_unless_equals_int(http_request(server.port, get_request("/"), &page), 200);
  fail_unless(page.find("<canvas") != std::string::npos, "and the player's files");
  gst_object_unref(audio);
  // The server the sinks made goes with the pipeline's run: the port is free again at NULL.
  gst_element_set_state(server.pipeline, GST_STATE_NULL);
  fail_if(port_accepts(server.port), "the shared server outlived the pipeline's run");
}
GST_END_TEST;

// An application's server, handed to the whole pipeline in a context: the sinks' own host and port
// (8080 by default) give way to it.
GST_START_TEST(test_application_server_in_context) {
  GstObject* app_server = new_server(0);
  GstElement* pipeline = gst_parse_launch(
      "videotestsrc is-live=true ! video/x-raw,width=40,height=20,framerate=10/1 ! asciimap ! ascilinepay ! "
      "websocketsink name=ws",
      nullptr);
  g_object_set(app_server, "request-timeout", 2 * GST_SECOND, nullptr);
  GstContext* context = server_context(app_server, TRUE);
  gst_element_set_context(pipeline, context);
  gst_context_unref(context);
  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "ws");
  const guint port = uint_prop(app_server, "port");
  fail_unless(port != 0 && port != 8080, "the server reads back its real port (%u)", port);
  fail_unless_equals_int(uint_prop(sink, "port"), port);
  int ws = raw_websocket(port);
  fail_unless(ws >= 0);
  close(ws);
  // The player's files were given to the application's server, which had none.
  fail_unless_equals_int(http_request(port, get_request("/")), 200);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  // The server outlives the pipeline: it is the application's, and the pipeline's next run serves
  // on it again.
  fail_unless(port_accepts(port), "the application's server still listens");
  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int(uint_prop(sink, "port"), port);
  int again = raw_websocket(port);
  fail_unless(again >= 0, "no viewer after a restart");
  close(again);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  gst_object_unref(app_server);
  // GStreamer may hold the pipeline (and its context) a moment longer on one of its threads.
  fail_unless(port_closes(port, 5000), "and stops with its last reference");
}
GST_END_TEST;

// The server property; and a shared (not forced) context whose host is not the sink's is left alone.
GST_START_TEST(test_server_property_and_unforced_context) {
  GstObject* app_server = new_server(0);
  GstElement* a = gst_element_factory_make("websocketsink", nullptr);
  g_object_set(a, "server", app_server, "path", "/a", nullptr);
  GstElement* b = gst_element_factory_make("websocketsink", nullptr);
  g_object_set(b, "host", "localhost", "port", 0, "path", "/b", nullptr);
  GstContext* context = server_context(app_server, FALSE);
  gst_element_set_context(b, context);
  gst_context_unref(context);
  fail_unless(gst_element_set_state(a, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS);
  fail_unless(gst_element_set_state(b, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS);
  fail_unless(gst_element_set_state(a, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  fail_unless(gst_element_set_state(b, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  const guint port = uint_prop(app_server, "port");
  fail_unless_equals_int(uint_prop(a, "port"), port);
  fail_if(uint_prop(b, "port") == port, "b made its own server for its own host");
  gst_element_set_state(a, GST_STATE_NULL);
  gst_element_set_state(b, GST_STATE_NULL);
  gst_object_unref(a);
  gst_object_unref(b);
  gst_object_unref(app_server);
}
GST_END_TEST;

// Requests whose headers never end are closed after request-timeout; past max-pending-requests the
// oldest are closed at once; a viewer who sends a whole request gets through all along.
GST_START_TEST(test_unfinished_requests_are_bounded) {
  GstObject* app_server = new_server(0);
  g_object_set(app_server, "request-timeout", 1 * GST_SECOND, "max-pending-requests", 20, nullptr);
  GstElement* pipeline = gst_parse_launch(
      "videotestsrc is-live=true ! video/x-raw,width=40,height=20,framerate=10/1 ! asciimap ! ascilinepay ! "
      "websocketsink name=ws",
      nullptr);
  GstContext* context = server_context(app_server, TRUE);
  gst_element_set_context(pipeline, context);
  gst_context_unref(context);
  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  const guint port = uint_prop(app_server, "port");

  // Connections that send nothing at all are bounded too.
  std::vector<int> idle;
  for (int i = 0; i < 5; i++) {
    int fd = tcp_connect(port);
    fail_unless(fd >= 0);
    idle.push_back(fd);
  }
  // Sixty connections that start a request and never finish it.
  std::vector<int> slow;
  const std::string partial = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  for (int i = 0; i < 60; i++) {
    int fd = tcp_connect(port);
    fail_unless(fd >= 0);
    fail_unless(send_all(fd, partial.data(), partial.size()));
    slow.push_back(fd);
  }
  // At most the cap stays open.
  auto count_open = [&] {
    int open = 0;
    for (int fd : slow) open += still_open(fd) ? 1 : 0;
    return open;
  };
  const gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
  while (count_open() > 20 && g_get_monotonic_time() < deadline) g_usleep(20000);
  fail_unless(count_open() <= 20, "%d unfinished requests still open with a cap of 20", count_open());
  // A real viewer still gets in and is served.
  {
    ClientLoop loop;
    WsClient* c = loop.connect("ws://127.0.0.1:" + std::to_string(port) + "/ws");
    fail_unless(loop.run_until([&] { return c->frames() >= 3; }, 10000), "a viewer gets through the flood");
  }
  // And after the timeout none of the slow or idle ones is left.
  for (int fd : idle) {
    fail_unless(closed_by_peer(fd, 5000), "a connection that sent nothing outlived request-timeout");
    close(fd);
  }
  for (int fd : slow) {
    fail_unless(closed_by_peer(fd, 5000), "an unfinished request outlived request-timeout");
    close(fd);
  }
  guint64 timed_out = 0;
  g_object_get(app_server, "requests-timed-out", &timed_out, nullptr);
  fail_unless(timed_out >= 60, "requests-timed-out %" G_GUINT64_FORMAT, timed_out);
  // A request that is whole is answered as before.
  fail_unless_equals_int(http_request(port, get_request("/")), 200);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  gst_object_unref(app_server);
}
GST_END_TEST;

// client-added / client-removed, get-stats, and what reaches the bus: control messages yes, the
// player's buffer reports no (they are in the viewer's statistics).
GST_START_TEST(test_application_api) {
  Server server("websocketsink name=ws port=0");
  struct Seen {
    std::atomic<guint64> added{0}, removed{0};
  } seen;
  g_signal_connect(server.sink, "client-added", G_CALLBACK(+[](GstElement*, guint64 id, const gchar* address, Seen* s) {
                     fail_unless(g_str_has_prefix(address, "127.0.0.1:"));
                     s->added = id;
                   }),
                   &seen);
  g_signal_connect(server.sink, "client-removed",
                   G_CALLBACK(+[](GstElement*, guint64 id, const gchar*, Seen* s) { s->removed = id; }), &seen);
  ClientLoop loop;
  WsClient* c = loop.connect(server.url());
  fail_unless(loop.run_until([&] { return c->frames() >= 5 && seen.added != 0; }, 10000));
  const guint64 id = seen.added;

  GstStructure* none = nullptr;
  g_signal_emit_by_name(server.sink, "get-stats", id + 1000, &none);
  fail_unless(none == nullptr, "no statistics for a client that does not exist");

  for (int i = 0; i < 5; i++) soup_websocket_connection_send_text(c->conn, "{\"type\":\"buffer\",\"depth\":3}");
  soup_websocket_connection_send_text(c->conn, "{\"type\":\"pause\",\"paused\":true}");
  GstStructure* pause = server.next_message("websocketsink-control", 5000);
  fail_unless(pause != nullptr);
  fail_unless_equals_string(gst_structure_get_string(pause, "type"), "pause");
  gst_structure_free(pause);
  // The reports came before the pause on one connection: they are in, and none was posted.
  GstStructure* stats = nullptr;
  g_signal_emit_by_name(server.sink, "get-stats", id, &stats);
  fail_unless(stats != nullptr);
  guint64 reports = 0, frames = 0, bytes = 0, stats_id = 0;
  gint64 depth = 0;
  fail_unless(gst_structure_get(stats, "client-id", G_TYPE_UINT64, &stats_id, "reports", G_TYPE_UINT64, &reports,
                                "buffer-depth", G_TYPE_INT64, &depth, "frames-sent", G_TYPE_UINT64, &frames,
                                "bytes-sent", G_TYPE_UINT64, &bytes, nullptr));
  fail_unless_equals_uint64(stats_id, id);
  fail_unless_equals_uint64(reports, 5);
  fail_unless_equals_int64(depth, 3);
  fail_unless(frames >= 5 && bytes > frames * 4, "frames %" G_GUINT64_FORMAT " bytes %" G_GUINT64_FORMAT, frames,
              bytes);
  fail_unless_equals_string(gst_structure_get_string(stats, "codec"), "raw");
  gst_structure_free(stats);
  fail_unless(server.next_message("websocketsink-control", 300) == nullptr, "a buffer report was posted");

  soup_websocket_connection_close(c->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  fail_unless(loop.run_until([&] { return seen.removed == id; }, 10000), "client-removed");
}
GST_END_TEST;

static Suite* server_suite() {
  Suite* s = suite_create("server");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_port_zero_shared_in_pipeline);
  tcase_add_test(tc, test_application_server_in_context);
  tcase_add_test(tc, test_server_property_and_unforced_context);
  tcase_add_test(tc, test_unfinished_requests_are_bounded);
  tcase_add_test(tc, test_application_api);
  return s;
}

GST_CHECK_MAIN(server);
