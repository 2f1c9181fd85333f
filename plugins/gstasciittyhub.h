// The viewer side of asciittysink: terminals that watch over plain HTTP (`curl -N URL`), each one
// endless chunked response of terminal escape codes. Every viewer starts at a whole picture (one is
// asked for when it joins) and, when it falls client-buffer bytes behind, skips to the next whole
// picture instead of stalling the others or growing memory.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <atomic>
#include <memory>
#include <string>

#include "gstasciiresponsehub.h"

namespace gstascii {

struct TtyHubConfig : ClientHubConfig {
  TtyHubConfig() {
    path = "/tty";
    client_buffer = 1024 * 1024;  // bytes queued for a viewer before it skips ahead
  }
  // The terminal size ("80x24") this stream is drawn for, as a viewer asks for it with ?size=;
  // empty: none in particular.
  std::string size;
};

class TtyHub : public EndlessResponseHub {
 public:
  // Starts answering GET and HEAD at config.path. A request with ?size=COLSxROWS other than
  // config.size is answered by the hub at config.path + "/COLSxROWS" on the same server (another
  // sink, another grid).
  static std::shared_ptr<TtyHub> start(std::shared_ptr<HttpServer> server, TtyHubConfig config, HubCallbacks callbacks,
                                       GError** error);
  ~TtyHub() override;

  // Streaming thread. What a viewer gets before its first picture (clear the screen, hide the
  // cursor); kept for the viewers that join later.
  void set_header(GBytes* header);
  // Streaming thread. One frame to every viewer; |whole| when it draws the whole picture, where a
  // viewer may start.
  void push(GBytes* frame, bool whole);
  // Streaming thread. Ends every response after what is queued.
  void end_of_stream();

  // Times a viewer skipped ahead to a whole picture for being too slow (any thread).
  guint64 skips() const { return skips_.load(); }

 private:
  struct Viewer;
  TtyHub(std::shared_ptr<HttpServer> server, TtyHubConfig config, HubCallbacks callbacks);

  void handle_request(SoupServerMessage* msg) override;

  // Server thread only from here on.
  void broadcast(GBytes* frame, bool whole);

  std::atomic<int> pending_{0};
  std::atomic<bool> lost_frame_{false};
  std::atomic<guint64> skips_{0};
  const std::string size_;
  GBytes* header_ = nullptr;  // server thread
  bool ended_ = false;
};

}  // namespace gstascii
