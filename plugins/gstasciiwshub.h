// The WebSocket side of websocketsink: accepts viewers on one path of an HttpServer and sends each
// of them the same messages, with a bound per viewer so no viewer can stall the others.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "gstasciiclienthub.h"

namespace gstascii {

struct WsHubConfig : ClientHubConfig {
  WsHubConfig() {
    path = "/ws";
    client_buffer = 256 * 1024;  // bytes in the kernel per viewer before it skips frames
  }
  guint max_message_size = 64 * 1024;  // largest message a viewer may send
  // The path of an asciihlssink on the same server ("/hls/") whose stored stream a viewer reads
  // at its own pace once it pauses or seeks; empty: every viewer sees the broadcast.
  std::string store_path;
  // Every viewer reads the store from its start, at its own pace, from the moment it connects (a
  // file encoded ahead of real time), rather than the broadcast.
  bool on_demand = false;
};

// The kinds of cells a viewer may get: ASCILINE's, or symbol cells (gst-ascii's extension, for
// viewers that ask with ?cells=symbol while the stream has them).
enum WsCells : int { kAscilineCells = 0, kSymbolCells = 1 };
inline constexpr int kCellKinds = 2;

// One frame of one kind of cells, in the forms viewers may ask for. A form left null was not made
// (no viewer wanted it when the frame was rendered): a viewer that wants it skips this frame.
struct WsForms {
  GBytes* raw = nullptr;       // for ?codec=raw viewers (and everyone, for TEXT and pixel frames)
  GBytes* adaptive = nullptr;  // for ?codec=adaptive viewers
  bool raw_only = false;       // a stream that is never tagged (text, pixel frames): all get |raw|
  bool text = false;
  bool sync = true;  // false: an adaptive DELTA, which needs every frame since the last sync frame
};

// One frame for every viewer.
struct WsFrame {
  WsForms cells[kCellKinds];  // [kSymbolCells] empty when the stream has no symbol cells
  bool after_gap = false;     // set by push(): frames before this one were dropped, unseen by the viewers
};

struct WsHubStats {
  std::atomic<guint64> frames_dropped{0};    // frame messages a viewer skipped, summed over viewers
  std::atomic<guint> adaptive_clients{0};    // viewers that asked for ?codec=adaptive
  std::atomic<guint> symbol_raw_clients{0};  // viewers that asked for ?cells=symbol without it
  std::atomic<guint64> join_bursts{0};       // adaptive viewers started with the frames since a sync frame
  std::atomic<guint64> keyframe_requests{0};
  std::atomic<guint64> resyncs{0};  // viewers whose reported backlog made them skip ahead
};

class WsHub : public ClientHub {
 public:
  // Starts accepting viewers at config.path. Fails when another sink serves that path on |server|.
  static std::shared_ptr<WsHub> start(std::shared_ptr<HttpServer> server, WsHubConfig config, HubCallbacks callbacks,
                                      GError** error);
  ~WsHub() override;

  // Streaming thread. Sends |frame| to every viewer (as TEXT or BINARY), in the form each asked for;
  // returns false when the server thread is this far behind and the frame was dropped for everyone.
  bool push(const WsFrame& frame);
  // Streaming thread. The INIT every viewer of |kind| gets first, and again when it changes; null
  // for symbol cells when the stream has none (their viewers then get ASCILINE's).
  void set_init(WsCells kind, GBytes* init);
  // Streaming thread. Closes every viewer of the broadcast with code 1000 after the messages
  // already queued (viewers of the store stay: they may still seek in it).
  void end_of_stream();

  const WsHubStats& stats() const { return stats_; }

 private:
  struct Viewer;
  WsHub(std::shared_ptr<HttpServer> server, WsHubConfig config, HubCallbacks callbacks);

  void handle_request(SoupServerMessage* msg) override;
  bool takes_websockets() const override { return true; }
  void handle_websocket(SoupServerMessage* msg, SoupWebsocketConnection* conn) override;
  void close_client(Client& client) override;
  void check_clients(gint64 now) override;
  void add_stats(const Client& client, GstStructure* stats) const override;

  static void on_message(SoupWebsocketConnection* conn, gint type, GBytes* message, gpointer ref);
  static void on_closed(SoupWebsocketConnection* conn, gpointer ref);

  // Server thread only from here on.
  // What viewers of one kind of cells share: their INIT and the frames kept for joiners.
  struct Track {
    GBytes* init = nullptr;
    guint init_generation = 0;
    // The adaptive frames since the last sync frame, so a new adaptive viewer can start at once.
    std::vector<GBytes*> since_sync;
    gsize since_sync_bytes = 0;
    bool since_sync_complete = false;  // false until a sync frame, or after the cap was reached
    double fps = 0;                    // from the INIT: frame i is at i / fps
    gint64 last_index = -1;            // of the last frame broadcast
  };

  void broadcast(const WsFrame& frame);
  int kind_for(const Viewer& viewer) const;
  // The INIT of the viewer's track; its start field (8) set to the time of frame |first_index| when
  // that is known (>= 0), and with sync=1 the viewer's sync id (field 10) and pixel codec.
  void send_init(Viewer& viewer, gint64 first_index);
  GBytes* init_for(const Viewer& viewer, const std::uint8_t* init, gsize size, double start_s) const;
  gint64 next_index_for(const Viewer& viewer) const;
  bool send(Viewer& viewer, SoupWebsocketDataType type, GBytes* message);
  void remember_for_joiners(Track& track, const WsForms& forms);
  void forget_gap();
  static void forget_kept_frames(Track& track, bool complete);
  void start_adaptive(Viewer& viewer);
  void request_keyframe();
  bool writable(Viewer& viewer, gint64 now);
  void handle_control(Viewer& viewer, GBytes* message);
  // Time-shift: pause, seek and back to live for one viewer, from the store.
  bool handle_timeshift(Viewer& viewer, const char* type, JsonObject* object);
  bool start_on_demand(Viewer& viewer);
  static void init_timeshift_debug();
  // Moves |viewer| to the store; false (with an Error message to it when it |asked|) without one.
  bool start_reading(Viewer& viewer, bool asked);
  bool within_live_window(Viewer& viewer, double seconds);
  static const char* track_name(const Viewer& viewer);
  void stop_reading(Viewer& viewer);
  void pace(gint64 now) override;
  void send_text(Viewer& viewer, const std::string& text);
  void resync_if_behind(Viewer& viewer);
  void respond_info(SoupServerMessage* msg) const;
  void strike(Viewer& viewer, const char* why);
  void disconnect(Viewer& viewer, gushort code, const char* reason, bool now);

  const guint max_message_size_;
  const std::string store_path_;
  const bool on_demand_;
  WsHubStats stats_;
  std::atomic<int> pending_{0};
  std::atomic<bool> dropped_since_push_{false};  // push() dropped a frame; the next one it passes is after a gap

  Track tracks_[kCellKinds];
  guint init_generations_ = 0;  // one count over both tracks: a viewer that changes track gets its INIT
  gint64 last_keyframe_request_ = 0;
  guint readers_ = 0;  // viewers reading the store
};

}  // namespace gstascii
