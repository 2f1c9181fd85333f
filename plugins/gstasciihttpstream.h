// The listener side of adtsmux-out: one continuous HTTP response per listener on a path of an
// HttpServer, each a gapless run of the same frames, with a bound per listener so none can stall
// the others or grow memory.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>
#include <libsoup/soup.h>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gstasciihttpserver.h"

namespace gstascii {

struct HttpStreamConfig {
  std::string path = "/audio";
  std::string content_type = "audio/aac";
  // The response header that carries the timestamp of the listener's first frame.
  std::string start_header = "X-Audio-Start";
  std::string message_prefix = "adtsmux-out";  // bus messages: PREFIX-client-connected/-disconnected
  std::vector<std::string> allowed_origins;    // as in origin_allowed()
  guint max_clients = 1000;
  guint client_buffer = 64 * 1024;           // bytes queued for a listener before it is cut off
  guint64 client_timeout = 10 * GST_SECOND;  // nothing written for this long: cut off (0 = never)
};

struct HttpStreamStats {
  ClientCount clients;
  std::atomic<guint64> frames_sent{0};  // summed over listeners
  std::atomic<guint64> bytes_sent{0};
  std::atomic<guint64> clients_cut{0};  // listeners cut off for being too slow
};

class HttpStreamHub : public std::enable_shared_from_this<HttpStreamHub> {
 public:
  // Starts answering GET and HEAD at config.path. |owner| receives the bus messages. Fails when
  // another element already serves that path on |server|.
  static std::shared_ptr<HttpStreamHub> start(GstElement* owner, std::shared_ptr<HttpServer> server,
                                              HttpStreamConfig config, GError** error);
  ~HttpStreamHub();

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
  // Any thread but the server's: cuts every listener off and stops answering. Waits (briefly) until
  // their connections are gone, so nothing outlives the element.
  void stop();

  const HttpStreamStats& stats() const { return stats_; }

 private:
  struct Listener;
  HttpStreamHub(GstElement* owner, std::shared_ptr<HttpServer> server, HttpStreamConfig config);

  static void on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data);
  static void on_wrote_body_data(SoupServerMessage* msg, guint size, gpointer data);
  static void on_finished(SoupServerMessage* msg, gpointer data);
  static gboolean on_tick(gpointer data);

  // Server thread only from here on.
  void broadcast(GBytes* frame, double timestamp);
  void cut_off(Listener& listener, const char* why);
  void post(GstStructure* s);

  GstElement* owner_;
  std::shared_ptr<HttpServer> server_;
  const HttpStreamConfig config_;
  HttpStreamStats stats_;
  std::atomic<int> pending_{0};
  std::atomic<bool> lost_frame_{false};

  std::map<guint64, std::unique_ptr<Listener>> listeners_;
  guint64 next_id_ = 1;
  GSource* tick_ = nullptr;
  bool stopped_ = false;
  bool ended_ = false;
};

}  // namespace gstascii
