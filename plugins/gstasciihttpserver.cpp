// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciihttpserver.h"

#include <gio/gio.h>

#include <mutex>
#include <utility>
#include <vector>

#include "gstasciihttpfiles.h"

GST_DEBUG_CATEGORY_STATIC(ascii_http_server_debug);
#define GST_CAT_DEFAULT ascii_http_server_debug

namespace gstascii {

namespace {

// Connections are accepted in bursts (a page load, a load test, a reconnect storm after a restart);
// GLib's default backlog of 10 refuses most of such a burst.
constexpr int kListenBacklog = 4096;

std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<HttpServer>>& registry() {
  static std::map<std::string, std::weak_ptr<HttpServer>> servers;
  return servers;
}

std::string registry_key(const std::string& host, guint port) {
  return host + ":" + std::to_string(port);
}

GInetAddress* resolve_host(const std::string& host, GError** error) {
  if (GInetAddress* addr = g_inet_address_new_from_string(host.c_str())) return addr;
  if (host == "localhost") return g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GResolver) resolver = g_resolver_get_default();
  GList* addrs = g_resolver_lookup_by_name(resolver, host.c_str(), nullptr, error);
  if (!addrs) return nullptr;
  auto* first = G_INET_ADDRESS(g_object_ref(addrs->data));
  g_resolver_free_addresses(addrs);
  return first;
}

// How often unfinished requests are checked against the limits.
constexpr guint kTickMs = 250;

gboolean run_function(gpointer data) {
  (*static_cast<std::function<void()>*>(data))();
  return G_SOURCE_REMOVE;
}

void delete_function(gpointer data) {
  std::unique_ptr<std::function<void()>>(static_cast<std::function<void()>*>(data));
}

}  // namespace

// A connection whose request is still being read.
struct HttpServer::Pending {
  SoupServerMessage* msg = nullptr;  // not a reference: a weak pointer tells us when it goes
  gint64 started = 0;
  gulong got_headers = 0;
};

std::shared_ptr<HttpServer> HttpServer::acquire(const std::string& host, guint port, GError** error) {
  GST_DEBUG_CATEGORY_INIT(ascii_http_server_debug, "asciihttpserver", 0, "The gst-ascii HTTP server");
  std::lock_guard<std::mutex> lock(registry_mutex);
  if (port != 0) {
    auto it = registry().find(registry_key(host, port));
    if (it != registry().end()) {
      if (auto existing = it->second.lock()) return existing;
    }
  }
  std::shared_ptr<HttpServer> server(new HttpServer());
  if (!server->start(host, port, error)) return nullptr;
  registry()[registry_key(host, server->port())] = server;
  server->registered_ = true;
  return server;
}

gpointer HttpServer::thread_main(gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  g_main_context_push_thread_default(self->context_);
  g_main_loop_run(self->loop_);
  g_main_context_pop_thread_default(self->context_);
  return nullptr;
}

bool HttpServer::start(const std::string& host, guint port, GError** error) {
  host_ = host;
  g_autoptr(GInetAddress) addr = resolve_host(host, error);
  if (!addr) return false;
  g_autoptr(GSocketAddress) sockaddr = g_inet_socket_address_new(addr, port);
  g_autoptr(GSocket) socket =
      g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!socket) return false;
  g_socket_set_listen_backlog(socket, kListenBacklog);
  if (!g_socket_bind(socket, sockaddr, TRUE, error) || !g_socket_listen(socket, error)) return false;
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, error);
  if (!bound) return false;
  port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));

  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  thread_ = g_thread_new("ascii-http", thread_main, this);
  bool listening = false;
  run_sync([&] {
    server_ = soup_server_new("server-header", "gst-ascii ", nullptr);
    soup_server_remove_websocket_extension(server_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
    deflate_ = false;
    // Every path no route claims: the files.
    soup_server_add_handler(server_, nullptr, on_request, this, nullptr);
    g_signal_connect(server_, "request-started", G_CALLBACK(on_request_started), this);
    tick_ = add_timer(kTickMs, on_tick, this);
    listening = soup_server_listen_socket(server_, socket, static_cast<SoupServerListenOptions>(0), error);
  });
  if (listening) GST_INFO("listening on %s port %u", host_.c_str(), port_);
  return listening;  // on failure the destructor stops the thread
}

HttpServer::~HttpServer() {
  GST_INFO("port %u: stopping", port_);
  if (thread_) {
    run_sync([this] {
      if (tick_) {
        g_source_destroy(tick_);
        g_clear_pointer(&tick_, g_source_unref);
      }
      while (!pending_.empty()) forget_pending(pending_.begin()->first, false);
      if (server_) {
        soup_server_disconnect(server_);
        g_object_unref(server_);
        server_ = nullptr;
      }
    });
    g_main_loop_quit(loop_);
    g_thread_join(thread_);
  }
  if (loop_) g_main_loop_unref(loop_);
  // Releasing the context destroys what is still attached to it (sockets closing, timers).
  if (context_) g_main_context_unref(context_);
  // A server that failed to start was never registered (and acquire() still holds the lock).
  if (!registered_) return;
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto it = registry().find(registry_key(host_, port_));
  if (it != registry().end() && it->second.expired()) registry().erase(it);
}

bool HttpServer::on_server_thread() const {
  return g_main_context_is_owner(context_);
}

void HttpServer::run_sync(const std::function<void()>& fn) {
  if (on_server_thread()) {
    fn();
    return;
  }
  struct Call {
    const std::function<void()>* fn;
    GMutex mutex;
    GCond cond;
    bool done = false;
  } call;
  call.fn = &fn;
  g_mutex_init(&call.mutex);
  g_cond_init(&call.cond);
  g_main_context_invoke(
      context_,
      [](gpointer data) -> gboolean {
        auto* c = static_cast<Call*>(data);
        (*c->fn)();
        g_mutex_lock(&c->mutex);
        c->done = true;
        g_cond_signal(&c->cond);
        g_mutex_unlock(&c->mutex);
        return G_SOURCE_REMOVE;
      },
      &call);
  g_mutex_lock(&call.mutex);
  while (!call.done) g_cond_wait(&call.cond, &call.mutex);
  g_mutex_unlock(&call.mutex);
  g_mutex_clear(&call.mutex);
  g_cond_clear(&call.cond);
}

void HttpServer::run_async(std::function<void()> fn) {
  auto owned = std::make_unique<std::function<void()>>(std::move(fn));
  g_main_context_invoke_full(context_, G_PRIORITY_DEFAULT, run_function, owned.release(), delete_function);
}

bool HttpServer::add_route(const std::string& path, Route route, GError** error) {
  if (routes_.count(path)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "another element already serves %s on port %u", path.c_str(),
                port_);
    return false;
  }
  // libsoup hands a handler every path below its own, and "/audio.js" to "/audio": on_request
  // sends what is not exactly a route's path to the files. A WebSocket handler only where a route
  // takes WebSockets: libsoup answers 400 to any other request whose status a handler left unset,
  // as a streaming response's is until its first frame.
  soup_server_add_handler(server_, path.c_str(), on_request, this, nullptr);
  if (route.on_websocket) {
    soup_server_add_websocket_handler(server_, path.c_str(), nullptr, nullptr, on_websocket, this, nullptr);
  }
  routes_.emplace(path, std::move(route));
  GST_DEBUG("port %u: route %s added", port_, path.c_str());
  return true;
}

bool HttpServer::serve_files(const std::string& root) {
  std::string resolved = real_path(root);
  if (resolved.empty()) resolved = root;  // serves 404s until it exists
  if (!file_root_.empty()) return file_root_ == resolved;
  file_root_ = resolved;
  GST_DEBUG("port %u: files from %s", port_, resolved.c_str());
  return true;
}

void HttpServer::remove_route(const std::string& path) {
  if (routes_.erase(path)) soup_server_remove_handler(server_, path.c_str());
}

// The route for |path|: its own, or the longest folder route ("/hls/") above it.
static std::map<std::string, Route>::const_iterator route_for(const std::map<std::string, Route>& routes,
                                                              const char* path) {
  auto route = routes.find(path);
  if (route != routes.end()) return route;
  std::string folder = path;
  for (std::size_t slash = folder.rfind('/'); slash != std::string::npos && slash > 0; slash = folder.rfind('/')) {
    folder.resize(slash + 1);
    route = routes.find(folder);
    if (route != routes.end()) return route;
    folder.resize(slash);
  }
  return routes.end();
}

bool HttpServer::hand_to(const std::string& path, SoupServerMessage* msg) {
  auto route = routes_.find(path);
  if (route == routes_.end() || !route->second.on_request) return false;
  const auto on_request = route->second.on_request;
  on_request(msg);
  return true;
}

std::vector<std::string> HttpServer::routes_under(const std::string& prefix) const {
  std::vector<std::string> paths;
  for (auto it = routes_.lower_bound(prefix); it != routes_.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it)
    paths.push_back(it->first);
  return paths;
}

void HttpServer::on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  auto route = route_for(self->routes_, path);
  if (route != self->routes_.end()) {
    // A copy: the handler may remove its own route (a sink stopped from a callback).
    const auto on_request = route->second.on_request;
    on_request(msg);
  } else if (!self->file_root_.empty()) {
    serve_file(self->file_root_, msg, path);
  } else {
    respond_text(msg, SOUP_STATUS_NOT_FOUND);
  }
}

void HttpServer::on_websocket(SoupServer*, SoupServerMessage* msg, const char* path, SoupWebsocketConnection* conn,
                              gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  auto route = self->routes_.find(path);
  // The route went away during the handshake: the viewer is turned away.
  if (route == self->routes_.end() || !route->second.on_websocket) {
    soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "no longer served");
    return;
  }
  const auto on_websocket = route->second.on_websocket;
  on_websocket(msg, conn);
}

// Every connection starts here, and every further request on a kept-alive one: it is pending until
// its request headers are in.
void HttpServer::on_request_started(SoupServer*, SoupServerMessage* msg, gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  auto pending = std::make_unique<Pending>();
  pending->msg = msg;
  pending->started = g_get_monotonic_time();
  pending->got_headers = g_signal_connect(msg, "got-headers", G_CALLBACK(+[](SoupServerMessage* m, gpointer d) {
                                            static_cast<HttpServer*>(d)->forget_pending(m, false);
                                          }),
                                          self);
  g_object_weak_ref(G_OBJECT(msg), on_pending_gone, self);
  self->pending_[msg] = std::move(pending);
  // Past the cap, the connection that has taken longest makes room: a flood of unfinished
  // requests cannot lock out a viewer who sends a whole one.
  while (self->pending_.size() > self->limits_.max_pending) {
    auto oldest = self->pending_.begin();
    for (auto it = self->pending_.begin(); it != self->pending_.end(); ++it) {
      if (it->second->started < oldest->second->started) oldest = it;
    }
    GST_INFO("port %u: %zu requests unfinished, closing the oldest", self->port_, self->pending_.size());
    self->requests_timed_out_++;
    self->forget_pending(oldest->first, true);
  }
}

void HttpServer::on_pending_gone(gpointer data, GObject* gone) {
  auto* self = static_cast<HttpServer*>(data);
  // The message is finalizing: its handlers are gone with it.
  self->pending_.erase(reinterpret_cast<SoupServerMessage*>(gone));
}

gboolean HttpServer::on_tick(gpointer data) {
  auto* self = static_cast<HttpServer*>(data);
  const gint64 now = g_get_monotonic_time();
  std::vector<SoupServerMessage*> late;
  for (const auto& [msg, pending] : self->pending_) {
    if (now - pending->started > self->limits_.request_timeout_us) late.push_back(msg);
  }
  for (SoupServerMessage* msg : late) {
    self->requests_timed_out_++;
    self->forget_pending(msg, true);
  }
  if (!late.empty())
    GST_INFO("port %u: closed %zu connections that sent no whole request in time", self->port_, late.size());
  return G_SOURCE_CONTINUE;
}

// |shut|: the connection is closed. Shutting the socket makes libsoup's read fail, so it drops the
// connection itself, whatever the peer does.
void HttpServer::forget_pending(SoupServerMessage* msg, bool shut) {
  auto it = pending_.find(msg);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> pending = std::move(it->second);
  pending_.erase(it);
  g_signal_handler_disconnect(msg, pending->got_headers);
  g_object_weak_unref(G_OBJECT(msg), on_pending_gone, this);
  if (shut) {
    if (GSocket* socket = soup_server_message_get_socket(msg)) g_socket_shutdown(socket, TRUE, TRUE, nullptr);
  }
}

GSource* HttpServer::add_timer(guint interval_ms, GSourceFunc fn, gpointer data, GDestroyNotify destroy) {
  GSource* source = g_timeout_source_new(interval_ms);
  g_source_set_callback(source, fn, data, destroy);
  g_source_attach(source, context_);
  return source;
}

void HttpServer::set_websocket_deflate(bool enabled) {
  if (enabled == deflate_) return;
  if (enabled) {
    soup_server_add_websocket_extension(server_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  } else {
    soup_server_remove_websocket_extension(server_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
  }
  deflate_ = enabled;
}

}  // namespace gstascii
