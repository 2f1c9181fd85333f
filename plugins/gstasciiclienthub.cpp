// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciiclienthub.h"

#include <sys/socket.h>

#include <cstring>

#include "gstasciihttpfiles.h"

GST_DEBUG_CATEGORY_STATIC(ascii_client_hub_debug);
#define GST_CAT_DEFAULT ascii_client_hub_debug

namespace gstascii {

namespace {

// How long stop() waits for clients' sockets to close before it lets go of them anyway.
constexpr gint64 kStopWait = 2 * G_TIME_SPAN_SECOND;

struct ClientRef {
  std::weak_ptr<ClientHub> hub;
  guint64 id;
};

bool is_local_host(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]";
}
std::string strip_port(const char* host_header) {
  std::string host = host_header;
  size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) host.resize(colon);
  return host;
}
}  // namespace

ClientCount::ClientCount() {
  g_mutex_init(&mutex_);
  g_cond_init(&cond_);
}

ClientCount::~ClientCount() {
  g_mutex_clear(&mutex_);
  g_cond_clear(&cond_);
}

void ClientCount::set(guint count) {
  g_mutex_lock(&mutex_);
  count_ = count;
  g_cond_broadcast(&cond_);
  g_mutex_unlock(&mutex_);
}

void ClientCount::wait_for_zero(gint64 timeout_us) {
  const gint64 deadline = g_get_monotonic_time() + timeout_us;
  g_mutex_lock(&mutex_);
  while (count_.load() > 0 && g_cond_wait_until(&cond_, &mutex_, deadline)) {
  }
  g_mutex_unlock(&mutex_);
}

ClientHub::ClientHub(std::shared_ptr<HttpServer> server, ClientHubConfig config, HubCallbacks callbacks,
                     const char* noun)
    : server_(std::move(server)), config_(std::move(config)), noun_(noun), callbacks_(std::move(callbacks)) {
  GST_DEBUG_CATEGORY_INIT(ascii_client_hub_debug, "asciiclienthub", 0, "Clients of the gst-ascii network sinks");
}

ClientHub::~ClientHub() {
  // An owner that never called stop(): neither the path nor the timer may outlive us.
  if (!tick_) return;
  server_->run_sync([this] {
    server_->remove_route(config_.path);
    for (const std::string& path : extra_paths_) server_->remove_route(path);
    g_source_destroy(tick_);
    g_clear_pointer(&tick_, g_source_unref);
    if (pace_tick_) {
      g_source_destroy(pace_tick_);
      g_clear_pointer(&pace_tick_, g_source_unref);
    }
  });
}

bool ClientHub::start(GError** error) {
  bool ok = false;
  std::weak_ptr<ClientHub> weak = shared_from_this();
  server_->run_sync([&] {
    // The route holds the hub weakly: a request that races the hub's end finds nothing to call.
    Route route;
    route.on_request = [weak](SoupServerMessage* msg) {
      if (auto hub = weak.lock()) {
        if (!hub->stopped_) return hub->handle_request(msg);
      }
      soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
    };
    if (takes_websockets()) {
      route.on_websocket = [weak](SoupServerMessage* msg, SoupWebsocketConnection* conn) {
        auto hub = weak.lock();
        if (hub && !hub->stopped_) {
          hub->handle_websocket(msg, conn);
        } else {
          soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
        }
      };
    }
    if (!server_->add_route(config_.path, std::move(route), error)) return;
    tick_ = add_hub_timer(500, on_tick);
    ok = true;
  });
  if (ok) GST_INFO("serving %ss at port %u%s", noun_, server_->port(), config_.path.c_str());
  return ok;
}

void ClientHub::stop() {
  bool had_clients = false;
  server_->run_sync([this, &had_clients] {
    if (stopped_) return;
    stopped_ = true;
    server_->remove_route(config_.path);
    for (const std::string& path : extra_paths_) server_->remove_route(path);
    extra_paths_.clear();
    for (GSource** timer : {&tick_, &pace_tick_}) {
      if (!*timer) continue;
      g_source_destroy(*timer);
      g_clear_pointer(timer, g_source_unref);
    }
    had_clients = !clients_.empty();
    for (auto& [id, client] : clients_) close_client(*client);
  });
  // The connections close on the server thread; wait so no client outlives the owner (unless this
  // is that thread, stopping from one of its callbacks: it cannot wait for itself).
  if (had_clients && !server_->on_server_thread()) totals_.clients.wait_for_zero(kStopWait);
  server_->run_sync([this] {
    if (!clients_.empty())
      GST_WARNING("%zu %ss at %s did not close in time", clients_.size(), noun_, config_.path.c_str());
    clients_.clear();
    totals_.clients.set(0);
    callbacks_ = HubCallbacks();
  });
}

GstStructure* ClientHub::client_stats(guint64 id) {
  GstStructure* stats = nullptr;
  server_->run_sync([&] {
    const Client* c = find_client(id);
    if (!c) return;
    stats = gst_structure_new("client-stats", "client-id", G_TYPE_UINT64, c->id, "address", G_TYPE_STRING,
                              c->address.c_str(), "connected-time", G_TYPE_UINT64,
                              static_cast<guint64>(g_get_monotonic_time() - c->connected_at) * GST_USECOND,
                              "bytes-sent", G_TYPE_UINT64, c->bytes_sent, "frames-sent", G_TYPE_UINT64, c->frames_sent,
                              "frames-dropped", G_TYPE_UINT64, c->frames_dropped, nullptr);
    add_stats(*c, stats);
  });
  return stats;
}

void ClientHub::handle_websocket(SoupServerMessage*, SoupWebsocketConnection* conn) {
  soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "not a WebSocket endpoint");
}

void ClientHub::check_clients(gint64) {}

void ClientHub::add_stats(const Client&, GstStructure*) const {}

bool ClientHub::refuse_origin(SoupServerMessage* msg) const {
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
  const char* origin = soup_message_headers_get_one(headers, "Origin");
  if (origin_allowed(origin, soup_message_headers_get_one(headers, "Host"), config_.allowed_origins)) return false;
  GST_INFO("%s: refused a %s from origin %s", config_.path.c_str(), noun_, origin);
  respond_text(msg, SOUP_STATUS_FORBIDDEN, "Origin not allowed\n");
  return true;
}

bool ClientHub::refuse_when_full(SoupServerMessage* msg, const char* text) const {
  if (clients_.size() < config_.max_clients) return false;
  respond_text(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, text);
  return true;
}

void ClientHub::init_client(Client& client, SoupServerMessage* msg, guint send_buffer) {
  client.id = next_id_++;
  client.connected_at = g_get_monotonic_time();
  if (GSocket* socket = soup_server_message_get_socket(msg)) {
    client.socket = G_SOCKET(g_object_ref(socket));
    // Linux doubles what it is given.
    g_socket_set_option(client.socket, SOL_SOCKET, SO_SNDBUF, static_cast<gint>(send_buffer / 2), nullptr);
  }
  if (GSocketAddress* remote = soup_server_message_get_remote_address(msg)) {
    auto* inet = G_INET_SOCKET_ADDRESS(remote);
    g_autofree gchar* address = g_inet_address_to_string(g_inet_socket_address_get_address(inet));
    client.address = std::string(address) + ":" + std::to_string(g_inet_socket_address_get_port(inet));
  }
}

void ClientHub::add_client(std::unique_ptr<Client> client, GstStructure* details) {
  const guint64 id = client->id;
  const std::string address = client->address;
  GST_INFO("%s %" G_GUINT64_FORMAT " connected to %s from %s", noun_, id, config_.path.c_str(), address.c_str());
  clients_[id] = std::move(client);
  totals_.clients.set(clients_.size());
  if (callbacks_.client_added) {
    callbacks_.client_added(id, address, details);
  } else {
    gst_structure_free(details);
  }
}

std::unique_ptr<ClientHub::Client> ClientHub::remove_client(guint64 id, GstStructure* details) {
  auto it = clients_.find(id);
  if (it == clients_.end()) {
    gst_structure_free(details);
    return nullptr;
  }
  std::unique_ptr<Client> client = std::move(it->second);
  GST_INFO("%s %" G_GUINT64_FORMAT " disconnected from %s", noun_, id, config_.path.c_str());
  clients_.erase(it);
  totals_.clients.set(clients_.size());
  if (callbacks_.client_removed) {
    callbacks_.client_removed(id, client->address, details);
  } else {
    gst_structure_free(details);
  }
  return client;
}

ClientHub::Client* ClientHub::find_client(guint64 id) {
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second.get();
}

void ClientHub::tell_message(GstStructure* message) {
  if (callbacks_.client_message) {
    callbacks_.client_message(message);
  } else {
    gst_structure_free(message);
  }
}

void ClientHub::want_keyframe() {
  if (callbacks_.keyframe_wanted) callbacks_.keyframe_wanted();
}

gpointer ClientHub::client_ref(guint64 id) {
  return new ClientRef{shared_from_this(), id};
}

void ClientHub::free_client_ref(gpointer data, GClosure*) {
  std::unique_ptr<ClientRef>(static_cast<ClientRef*>(data));
}

std::shared_ptr<ClientHub> ClientHub::lookup_hub(gpointer ref) {
  return static_cast<ClientRef*>(ref)->hub.lock();
}

guint64 ClientHub::client_id_of(gpointer ref) {
  return static_cast<ClientRef*>(ref)->id;
}

// The timers hold the hub weakly: they stop by themselves when the hub is going.
GSource* ClientHub::add_hub_timer(guint interval_ms, GSourceFunc fn) {
  auto held = std::make_unique<std::weak_ptr<ClientHub>>(shared_from_this());
  return server_->add_timer(interval_ms, fn, held.release(), [](gpointer d) {
    std::unique_ptr<std::weak_ptr<ClientHub>>(static_cast<std::weak_ptr<ClientHub>*>(d));
  });
}

bool ClientHub::add_extra_route(const std::string& path,
                                std::function<void(ClientHub& hub, SoupServerMessage* msg)> handler) {
  std::weak_ptr<ClientHub> weak = shared_from_this();
  Route route;
  route.on_request = [weak, handler](SoupServerMessage* msg) {
    auto hub = weak.lock();
    if (hub && !hub->stopped_) return handler(*hub, msg);
    soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, nullptr);
  };
  if (!server_->add_route(path, std::move(route), nullptr)) return false;
  extra_paths_.push_back(path);
  return true;
}

void ClientHub::start_pacing(guint interval_ms) {
  if (!pace_tick_ && !stopped_) pace_tick_ = add_hub_timer(interval_ms, on_pace);
}

gboolean ClientHub::on_pace(gpointer data) {
  auto self = static_cast<std::weak_ptr<ClientHub>*>(data)->lock();
  if (!self || self->stopped_) return G_SOURCE_REMOVE;
  self->pace(g_get_monotonic_time());
  return G_SOURCE_CONTINUE;
}

gboolean ClientHub::on_tick(gpointer data) {
  auto self = static_cast<std::weak_ptr<ClientHub>*>(data)->lock();
  if (!self) return G_SOURCE_REMOVE;
  self->check_clients(g_get_monotonic_time());
  return G_SOURCE_CONTINUE;
}

bool origin_allowed(const char* origin, const char* host_header, const std::vector<std::string>& allowed) {
  if (!origin) return true;  // not a browser, so no page can be abusing the viewer's cookies or network
  for (const auto& a : allowed) {
    if (a == "*" || g_ascii_strcasecmp(a.c_str(), origin) == 0) return true;
  }
  if (!allowed.empty()) return false;
  g_autoptr(GUri) uri = g_uri_parse(origin, G_URI_FLAGS_NONE, nullptr);
  if (!uri || !g_uri_get_host(uri)) return false;
  g_autofree gchar* host = g_ascii_strdown(g_uri_get_host(uri), -1);
  if (is_local_host(host)) return true;
  if (!host_header) return false;
  g_autofree gchar* target = g_ascii_strdown(strip_port(host_header).c_str(), -1);
  return strcmp(host, target) == 0;
}
std::vector<std::string> split_origins(const gchar* list) {
  std::vector<std::string> out;
  if (!list) return out;
  g_auto(GStrv) parts = g_strsplit(list, ",", -1);
  for (gchar** p = parts; *p; p++) {
    g_strstrip(*p);
    if (**p) out.emplace_back(*p);
  }
  return out;
}
std::string join_origins(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& o : list) out += (out.empty() ? "" : ",") + o;
  return out;
}
bool valid_url_path(const gchar* path) {
  return path && path[0] == '/' && !strchr(path, '?') && !strchr(path, '#');
}

}  // namespace gstascii
