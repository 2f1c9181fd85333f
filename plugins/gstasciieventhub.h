// A session's events as Server-Sent Events (text/event-stream) on a path of an HttpServer, for
// agents that follow a recording over HTTP: each follower gets the events kept so far (or those
// after the Last-Event-ID it reconnects with), then each new one as it happens. Each follower is
// fed from the kept events at its own pace, at most half of client-buffer bytes waiting for it:
// one that stops reading keeps its place without holding the others back or growing memory, and
// is cut off after client-timeout (it may reconnect with its Last-Event-ID).
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "gstasciiresponsehub.h"

namespace gstascii {

struct EventStreamConfig : ClientHubConfig {
  EventStreamConfig() {
    path = "/events";
    client_buffer = 256 * 1024;  // bytes waiting for a follower before it is cut off
  }
  // Events kept for followers who join (or return) later; the rest stay in session.jsonl.
  guint keep = 4096;
  // A comment line this often keeps an idle connection open through proxies.
  gint64 keepalive_us = 15 * G_TIME_SPAN_SECOND;
};

class EventStreamHub : public EndlessResponseHub {
 public:
  static std::shared_ptr<EventStreamHub> start(std::shared_ptr<HttpServer> server, EventStreamConfig config,
                                               HubCallbacks callbacks, GError** error);

  // Any thread: event |seq| (1, 2, ...; in order), one line of JSON.
  void push(guint64 seq, std::string json);
  // Any thread but the server's: every response ends after what is queued for it (new followers
  // get what is kept, then the end); waits up to |wait_us| for them to be written.
  void end(gint64 wait_us);

 private:
  struct Follower : Response {
    guint64 next = 1;       // the event it needs next
    gint64 last_write = 0;  // monotonic µs: for the keep-alive comments
  };
  EventStreamHub(std::shared_ptr<HttpServer> server, EventStreamConfig config, HubCallbacks callbacks);

  void handle_request(SoupServerMessage* msg) override;
  void check_clients(gint64 now) override;
  void pace(gint64 now) override;
  // Server thread only from here on.
  void send(Follower& f, const std::string& text);
  // Queues the kept events |f| needs, as far as its bound allows.
  void feed(Follower& f);
  void broadcast(guint64 seq, const std::string& json);

  const guint keep_;
  const gint64 keepalive_us_;
  std::deque<std::pair<guint64, std::string>> kept_;  // the last keep_ events, as SSE text
  bool ended_ = false;
  std::atomic<guint64> pushed_{0};  // the last event pushed (any thread), broadcast or not yet
};

}  // namespace gstascii
