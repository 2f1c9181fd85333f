// What the network sinks' client hubs share: one path of an HttpServer, the clients connected to
// it (each bounded, each with its own statistics), origin checks and limits, and the callbacks
// through which a hub tells its owner what happened. WsHub (WebSocket viewers) and
// EndlessResponseHub (endless HTTP responses: HttpStreamHub's listeners, TtyHub's terminals) add
// how their clients are fed.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gstasciihttpserver.h"

namespace gstascii {

// One default for every layer (element, hub, tool): the most clients a sink serves at once.
constexpr guint kDefaultMaxClients = 2000;
constexpr guint64 kDefaultClientTimeout = 10 * GST_SECOND;

struct ClientHubConfig {
  std::string path;
  // Empty: the page's own host and localhost; "*": any origin; otherwise these exact origins.
  std::vector<std::string> allowed_origins;
  guint max_clients = kDefaultMaxClients;
  guint client_buffer = 64 * 1024;                 // what it bounds is each hub's to say
  guint64 client_timeout = kDefaultClientTimeout;  // not reading this long: cut off (0 = never)
};

// What a hub tells its owner, always on the server thread. stop() clears them: none runs after it
// has returned. Each GstStructure is the callee's.
struct HubCallbacks {
  // "client-connected" / "client-disconnected" with "client-id", "address" and what the kind adds.
  std::function<void(guint64 id, const std::string& address, GstStructure* details)> client_added;
  std::function<void(guint64 id, const std::string& address, GstStructure* details)> client_removed;
  // A message from a client that the application may act on ("control", with its fields).
  std::function<void(GstStructure* message)> client_message;
  // A joining client needs a keyframe from upstream.
  std::function<void()> keyframe_wanted;
};

// A count of open client connections that a stop() on another thread can wait on until the server
// thread has closed them all.
class ClientCount {
 public:
  ClientCount();
  ~ClientCount();
  ClientCount(const ClientCount&) = delete;
  ClientCount& operator=(const ClientCount&) = delete;

  guint get() const { return count_.load(); }
  void set(guint count);  // server thread
  // Any other thread: until the count is 0, or |timeout_us| has passed.
  void wait_for_zero(gint64 timeout_us);

 private:
  std::atomic<guint> count_{0};
  GMutex mutex_;
  GCond cond_;
};

// Totals over every client, readable from any thread.
struct HubTotals {
  ClientCount clients;
  std::atomic<guint64> frames_sent{0};  // summed over clients
  std::atomic<guint64> bytes_sent{0};
};

class ClientHub : public std::enable_shared_from_this<ClientHub> {
 public:
  virtual ~ClientHub();
  ClientHub(const ClientHub&) = delete;
  ClientHub& operator=(const ClientHub&) = delete;

  // Claims config.path on the server. Fails, with |error| set, when another sink holds it.
  bool start(GError** error);
  // Any thread but the server's: closes every client and stops answering; waits (briefly) until
  // their connections are gone, so nothing outlives the owner; no callback runs after it returns.
  void stop();

  const HubTotals& totals() const { return totals_; }
  guint server_port() const { return server_->port(); }
  // Any thread but the server's: one client's statistics ("client-id", "address",
  // "connected-time", "bytes-sent", "frames-sent", "frames-dropped" and the kind's own), or
  // nullptr when there is no such client.
  GstStructure* client_stats(guint64 id);

 protected:
  struct Client {
    virtual ~Client() { g_clear_object(&socket); }
    guint64 id = 0;
    std::string address;  // "IP:port"
    GSocket* socket = nullptr;
    gint64 connected_at = 0;  // monotonic µs
    guint64 frames_sent = 0;
    guint64 frames_dropped = 0;
    guint64 bytes_sent = 0;
  };

  ClientHub(std::shared_ptr<HttpServer> server, ClientHubConfig config, HubCallbacks callbacks, const char* noun);

  // The kind's part, on the server thread.
  virtual void handle_request(SoupServerMessage* msg) = 0;
  virtual bool takes_websockets() const { return false; }
  virtual void handle_websocket(SoupServerMessage* msg, SoupWebsocketConnection* conn);
  // stop(): end |client|'s connection now.
  virtual void close_client(Client& client) = 0;
  // Twice a second.
  virtual void check_clients(gint64 now);
  // Every pacing interval, once start_pacing() has been called: for clients the kind feeds at
  // their own pace (those who read the stored stream).
  virtual void pace(gint64 /*now*/) {}
  virtual void add_stats(const Client& client, GstStructure* stats) const;

  // Helpers for the kinds, server thread only. Each refusal answers |msg| itself.
  bool refuse_origin(SoupServerMessage* msg) const;
  bool refuse_when_full(SoupServerMessage* msg, const char* text) const;
  // Fills a new client's common part from its request, and limits its socket's send buffer to
  // |send_buffer| bytes: the kernel would otherwise autotune it to megabytes, seconds of stream
  // that a slow client still has to get through.
  void init_client(Client& client, SoupServerMessage* msg, guint send_buffer);
  // Registers |client| and tells the owner, which may stop the hub from its callback: look the
  // client up again (find_client) before using it.
  void add_client(std::unique_ptr<Client> client, GstStructure* details);
  // Forgets the client, counted out before the owner hears of it; returns it, to be destroyed
  // when the caller chooses.
  std::unique_ptr<Client> remove_client(guint64 id, GstStructure* details);
  Client* find_client(guint64 id);
  void tell_message(GstStructure* message);
  // Starts calling pace() every |interval_ms| (once; later calls do nothing).
  void start_pacing(guint interval_ms);
  // Server thread: answers |path| too while the hub runs (removed with it); false when another
  // owner has the path (the first keeps it).
  bool add_extra_route(const std::string& path, std::function<void(ClientHub& hub, SoupServerMessage* msg)> handler);
  void want_keyframe();

  // User data for a client's signal handlers that finds the hub and client again only while both
  // exist; free it with free_client_ref (a GClosureNotify).
  gpointer client_ref(guint64 id);
  static void free_client_ref(gpointer data, GClosure*);
  template <class C>
  static std::pair<std::shared_ptr<ClientHub>, C*> resolve(gpointer ref) {
    auto hub = lookup_hub(ref);
    Client* client = hub ? hub->find_client(client_id_of(ref)) : nullptr;
    return {client ? hub : nullptr, static_cast<C*>(client)};
  }

  const std::shared_ptr<HttpServer> server_;
  const ClientHubConfig config_;
  const char* const noun_;  // "viewer", "listener": for the logs
  HubTotals totals_;
  std::map<guint64, std::unique_ptr<Client>> clients_;
  bool stopped_ = false;

 private:
  static std::shared_ptr<ClientHub> lookup_hub(gpointer ref);
  static guint64 client_id_of(gpointer ref);
  static gboolean on_tick(gpointer data);
  static gboolean on_pace(gpointer data);
  GSource* add_hub_timer(guint interval_ms, GSourceFunc fn);

  HubCallbacks callbacks_;
  GSource* tick_ = nullptr;
  GSource* pace_tick_ = nullptr;
  std::vector<std::string> extra_paths_;
  guint64 next_id_ = 1;
};

// Whether a request from a page at |origin| (nullptr: no Origin header, so not a browser) may use a
// server the client reached as |host_header|. |allowed| empty: pages from that same host and from
// localhost; "*": any page; otherwise exactly the origins listed.
bool origin_allowed(const char* origin, const char* host_header, const std::vector<std::string>& allowed);

// Whether |path| can be a sink's URL path ("/audio"): it starts with '/' and has no query or
// fragment.
bool valid_url_path(const gchar* path);

// "a, b ,c" -> {"a", "b", "c"}, and back: the allowed-origins property.
std::vector<std::string> split_origins(const gchar* list);
std::string join_origins(const std::vector<std::string>& list);

}  // namespace gstascii
