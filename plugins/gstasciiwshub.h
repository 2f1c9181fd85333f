// The WebSocket side of websocketsink: accepts viewers on one path of an HttpServer and sends each
// of them the same messages, with a bound per viewer so no viewer can stall the others.
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

struct WsHubConfig {
  std::string path = "/ws";
  // Empty: the page's own host and localhost; "*": any origin; otherwise these exact origins.
  std::vector<std::string> allowed_origins;
  guint max_clients = 1000;
  guint client_buffer = 256 * 1024;          // bytes in the kernel per viewer before it skips frames
  guint64 client_timeout = 10 * GST_SECOND;  // unwritable this long: disconnected (0 = never)
  guint max_message_size = 64 * 1024;        // largest message a viewer may send
};

// One frame for every viewer, in the forms viewers may ask for. A form left null was not made
// (no viewer wanted it when the frame was rendered): a viewer that wants it skips this frame.
struct WsFrame {
  GBytes* raw = nullptr;       // for ?codec=raw viewers (and everyone, for TEXT and pixel frames)
  GBytes* adaptive = nullptr;  // for ?codec=adaptive viewers
  bool raw_only = false;       // a stream that is never tagged (text, pixel frames): all get |raw|
  bool text = false;
  bool sync = true;        // false: an adaptive DELTA, which needs every frame since the last sync frame
  bool after_gap = false;  // set by push(): frames before this one were dropped, unseen by the viewers
};

struct WsHubStats {
  ClientCount clients;
  std::atomic<guint64> frames_sent{0};     // frame messages handed to viewers, summed over viewers
  std::atomic<guint64> frames_dropped{0};  // frame messages a viewer skipped, summed over viewers
  std::atomic<guint64> bytes_sent{0};
  std::atomic<guint> adaptive_clients{0};  // viewers that asked for ?codec=adaptive
  std::atomic<guint64> join_bursts{0};     // adaptive viewers started with the frames since a sync frame
  std::atomic<guint64> keyframe_requests{0};
};

class WsHub : public std::enable_shared_from_this<WsHub> {
 public:
  // Starts accepting viewers at config.path. |owner| receives the bus messages. Fails when another
  // element already serves that path on |server|.
  static std::shared_ptr<WsHub> start(GstElement* owner, std::shared_ptr<HttpServer> server, WsHubConfig config,
                                      GError** error);
  ~WsHub();

  // Streaming thread. Sends |frame| to every viewer (as TEXT or BINARY), in the form each asked for;
  // returns false when the server thread is this far behind and the frame was dropped for everyone.
  bool push(const WsFrame& frame);
  // Streaming thread. The INIT every viewer gets first, and again when it changes.
  void set_init(GBytes* init);
  // Streaming thread. Closes every viewer with code 1000 after the messages already queued.
  void end_of_stream();
  // Any thread but the server's: disconnects every viewer and stops accepting. Waits (briefly) until
  // their sockets are closed, so nothing outlives the element.
  void stop();

  const WsHubStats& stats() const { return stats_; }

 private:
  struct Client;
  WsHub(GstElement* owner, std::shared_ptr<HttpServer> server, WsHubConfig config);

  static void on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data);
  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path, SoupWebsocketConnection* conn,
                           gpointer data);
  static void on_message(SoupWebsocketConnection* conn, gint type, GBytes* message, gpointer data);
  static void on_closed(SoupWebsocketConnection* conn, gpointer data);
  static gboolean on_tick(gpointer data);

  // Server thread only from here on.
  void broadcast(const WsFrame& frame);
  void send_init(Client& client);
  bool send(Client& client, SoupWebsocketDataType type, GBytes* message);
  void remember_for_joiners(const WsFrame& frame);
  void forget_gap();
  void forget_kept_frames(bool complete);
  void start_adaptive(Client& client);
  void request_keyframe();
  bool client_writable(Client& client, gint64 now);
  void handle_control(Client& client, GBytes* message);
  void strike(Client& client, const char* why);
  void disconnect(Client& client, gushort code, const char* reason, bool now);
  void forget(guint64 id);
  void post(GstStructure* s);

  GstElement* owner_;
  std::shared_ptr<HttpServer> server_;
  const WsHubConfig config_;
  WsHubStats stats_;
  std::atomic<int> pending_{0};
  std::atomic<bool> dropped_since_push_{false};  // push() dropped a frame; the next one it passes is after a gap

  std::map<guint64, std::unique_ptr<Client>> clients_;
  guint64 next_id_ = 1;
  GBytes* init_ = nullptr;
  guint init_generation_ = 0;
  // The adaptive frames since the last sync frame, so a new adaptive viewer can start at once.
  std::vector<GBytes*> since_sync_;
  gsize since_sync_bytes_ = 0;
  bool since_sync_complete_ = false;  // false until a sync frame, or after the cap was reached
  gint64 last_keyframe_request_ = 0;
  GSource* tick_ = nullptr;
  bool stopped_ = false;
};

}  // namespace gstascii
