// Tests of asciittysink: 200 curl viewers of one encode, one that joins late and one that stalls;
// every curl's bytes, played into a virtual terminal, end on the last frame's picture; the stalled
// one skips ahead instead of holding anyone back; sizes by query, and bad requests.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gio/gio.h>
#include <sys/socket.h>
#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>

#include <memory>
#include <string>
#include <vector>

#include "ansi_encoder.h"
#include "child_process.h"
#include "symbol_cell.h"
#include "temp_dir.h"
#include "virtual_terminal.h"

using namespace gstascii;

namespace {

constexpr int kCols = 40, kRows = 12;
constexpr int kViewers = 200;

std::string run_curl(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"curl", "-s", "--max-time", "10"};
  all.insert(all.end(), args.begin(), args.end());
  ChildProcess curl(all);
  curl.wait_exit(15000);
  return curl.output();
}

template <class F>
bool poll_until(F done, int timeout_ms = 30000) {
  const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  while (!done()) {
    if (g_get_monotonic_time() > deadline) return false;
    g_usleep(20000);
  }
  return true;
}

VirtualTerminal whole_redraw(GstBuffer* cells) {
  GstMapInfo map;
  fail_unless(gst_buffer_map(cells, &map, GST_MAP_READ));
  AnsiEncoder encoder;
  encoder.configure(kCols, kRows, AnsiOptions{});
  std::string bytes;
  encoder.encode(reinterpret_cast<const SymbolCell*>(map.data), true, &bytes);
  gst_buffer_unmap(cells, &map);
  VirtualTerminal screen(kCols, kRows);
  fail_unless(screen.play(bytes), "%s", screen.error().c_str());
  return screen;
}

}  // namespace

GST_START_TEST(test_many_curl_viewers) {
  TempDir dir("ttysink-XXXXXX");
  // Six seconds of a moving ball, live; each curl's response ends with the stream.
  GstElement* pipeline = gst_parse_launch(
      "videotestsrc is-live=true pattern=ball num-buffers=180 ! video/x-raw,width=160,height=96,framerate=30/1 ! "
      "asciimap style=half mode=6 cols=40 rows=12 ! tee name=t ! queue ! appsink name=cells sync=false "
      "max-buffers=1 drop=true t. ! queue ! asciiansienc full-interval=0 ! asciittysink name=tty port=0 "
      "client-buffer=16384 async=false",
      nullptr);
  fail_unless(pipeline != nullptr);
  GstElement* tty = gst_bin_get_by_name(GST_BIN(pipeline), "tty");
  GstElement* cells = gst_bin_get_by_name(GST_BIN(pipeline), "cells");
  g_object_set(cells, "wait-on-eos", FALSE, nullptr);
  // Paused, a live source sends nothing yet: every viewer is connected before the first frame.
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE);
  guint port = 0;
  const gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (port == 0 && g_get_monotonic_time() < deadline) {
    g_object_get(tty, "port", &port, nullptr);
    if (port == 0) g_usleep(20000);
  }
  fail_unless(port != 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/tty";

  // Requests that are not a viewer.
  fail_unless(run_curl({url + "?size=9x9"}).find("No such size: 9x9") != std::string::npos);
  fail_unless(run_curl({"-I", url}).find("text/plain; charset=utf-8") != std::string::npos);
  fail_unless(run_curl({"-X", "POST", "-i", url}).find("405") != std::string::npos);

  // One viewer that never reads, with a tiny receive window.
  GError* error = nullptr;
  GSocket* stalled = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  fail_unless(stalled != nullptr);
  g_socket_set_option(stalled, SOL_SOCKET, SO_RCVBUF, 4096, nullptr);
  GInetAddress* loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress* address = g_inet_socket_address_new(loopback, port);
  fail_unless(g_socket_connect(stalled, address, nullptr, &error), "%s", error ? error->message : "");
  const std::string request = "GET /tty HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  fail_unless(g_socket_send(stalled, request.data(), request.size(), nullptr, nullptr) == gssize(request.size()));

  std::vector<std::unique_ptr<ChildProcess>> viewers;
  for (int i = 0; i < kViewers; i++) {
    viewers.push_back(std::make_unique<ChildProcess>(
        std::vector<std::string>{"curl", "-sN", "--max-time", "60", "-o", dir.path() + "/v" + std::to_string(i), url}));
  }
  guint connected = 0;
  fail_unless(poll_until([&] {
    g_object_get(tty, "clients", &connected, nullptr);
    return connected == kViewers + 1;
  }),
              "%u of %d viewers connected", connected, kViewers + 1);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  // One more joins a second later.
  g_usleep(G_USEC_PER_SEC);
  viewers.push_back(std::make_unique<ChildProcess>(
      std::vector<std::string>{"curl", "-sN", "--max-time", "60", "-o", dir.path() + "/late", url}));

  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);
  for (auto& v : viewers) fail_unless_equals_int(v->wait_exit(30000), 0);

  GstSample* last = gst_app_sink_try_pull_sample(GST_APP_SINK(cells), 0);
  fail_unless(last != nullptr);
  const VirtualTerminal expected = whole_redraw(gst_sample_get_buffer(last));
  for (int i = 0; i <= kViewers; i++) {
    const std::string path = dir.path() + (i == kViewers ? "/late" : "/v" + std::to_string(i));
    gchar* bytes = nullptr;
    gsize size = 0;
    fail_unless(g_file_get_contents(path.c_str(), &bytes, &size, nullptr), "viewer %d got nothing", i);
    const std::string text(bytes, size);
    g_free(bytes);
    // The header first (clear the screen), then a whole picture.
    fail_unless(text.rfind("\x1b[0m\x1b[?25l\x1b[2J", 0) == 0, "viewer %d starts with something else (%zu bytes): %s",
                i, text.size(), g_strescape(text.substr(0, 60).c_str(), nullptr));
    VirtualTerminal screen(kCols, kRows);
    fail_unless(screen.play(text), "viewer %d: %s", i, screen.error().c_str());
    fail_unless(screen.same_as(expected), "viewer %d does not end on the last picture", i);
    fail_unless(screen.cursor_shown(), "viewer %d: the end of the stream gives the cursor back", i);
  }
  // The stalled viewer fell behind and skipped; it held nobody back (all the above finished).
  guint64 skips = 0;
  g_object_get(tty, "skips", &skips, nullptr);
  fail_unless(skips >= 1, "the stalled viewer never skipped");
  g_object_unref(stalled);
  g_object_unref(address);
  g_object_unref(loopback);
  gst_sample_unref(last);
  gst_object_unref(bus);
  gst_object_unref(tty);
  gst_object_unref(cells);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite* ttysink_suite(void) {
  Suite* s = suite_create("asciittysink");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_many_curl_viewers);
  return s;
}

GST_CHECK_MAIN(ttysink);
