// The listener side of adtsmux-out: one continuous HTTP response per listener on a path of an
// HttpServer, each a gapless run of the same frames, with a bound per listener so none can stall
// the others or grow memory.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <atomic>
#include <deque>
#include <memory>
#include <string>

#include "gstasciiresponsehub.h"

namespace gstascii {

struct HttpStreamConfig : ClientHubConfig {
  HttpStreamConfig() {
    path = "/audio";
    client_buffer = 64 * 1024;  // bytes queued for a listener before it is cut off
  }
  std::string content_type = "audio/aac";
  // The response header that carries the timestamp of the listener's first frame.
  std::string start_header = "X-Audio-Start";
  // The path of an asciihlssink on the same server ("/hls/") whose stored sound a request with
  // ?start=SECONDS reads from that time, at its own pace; empty: every listener gets the broadcast.
  std::string store_path;
  // Every listener reads the store (from ?start=, else from its start): a file encoded ahead of
  // real time.
  bool on_demand = false;
  // A new listener of the broadcast starts with this much of the most recent sound, at once, and
  // at least 32 KiB of it (a browser then starts playing without waiting to buffer); 0: from the
  // next frame.
  guint64 burst_ns = 500 * GST_MSECOND;
};

class HttpStreamHub : public EndlessResponseHub {
 public:
  // Starts answering GET and HEAD at config.path. Fails when another sink serves that path on
  // |server|.
  static std::shared_ptr<HttpStreamHub> start(std::shared_ptr<HttpServer> server, HttpStreamConfig config,
                                              HubCallbacks callbacks, GError** error);
  ~HttpStreamHub() override;

  // Streaming thread. Sends |frame| (a unit a listener may start on) to every listener; a new
  // listener's response begins with the next frame pushed, and its start header is |timestamp|
  // (seconds). Returns false when the server thread is far behind: the frame is lost for everyone
  // and, so that no response has a hole, every listener is cut off.
  bool push(GBytes* frame, double timestamp);
  // Streaming thread. The timeline starts again (a flushing seek): every listener's start header is
  // now wrong, so each is cut off and reconnects onto the new one.
  void discontinuity();
  // Streaming thread. Ends every response after the frames already queued.
  void end_of_stream();

  // Listeners cut off for being too slow (any thread).
  guint64 clients_cut() const { return responses_cut(); }

 private:
  struct Listener;
  HttpStreamHub(std::shared_ptr<HttpServer> server, HttpStreamConfig config, HubCallbacks callbacks);

  void handle_request(SoupServerMessage* msg) override;
  void pace(gint64 now) override;
  void begin_response(Listener& listener, double timestamp);

  // Server thread only from here on.
  void broadcast(GBytes* frame, double timestamp);

  const std::string content_type_;
  const std::string start_header_;
  const std::string store_path_;
  const bool on_demand_;
  std::atomic<int> pending_{0};
  std::atomic<bool> lost_frame_{false};
  bool ended_ = false;
  const guint64 burst_ns_;
  // The last burst_ns_ of frames and their timestamps (server thread), for new listeners.
  std::deque<std::pair<GBytes*, double>> recent_;
  gsize recent_bytes_ = 0;
  void forget_recent();
};

}  // namespace gstascii
