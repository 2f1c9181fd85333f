// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciihttpserver.h"

#include <gio/gio.h>
#include <limits.h>
#include <stdlib.h>

#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

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

bool is_local_host(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]";
}

// "example.com:8080" -> "example.com"; "[::1]:80" -> "[::1]".
std::string strip_port(const char* host_header) {
  std::string host = host_header;
  size_t colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) host.resize(colon);
  return host;
}

// The canonical absolute form of |path| (symlinks resolved), or "" when it does not exist.
std::string real_path(const std::string& path) {
  char resolved[PATH_MAX];
  return realpath(path.c_str(), resolved) ? std::string(resolved) : std::string();
}

void respond_error(SoupServerMessage* msg, guint status) {
  const char* reason = soup_status_get_phrase(status);
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, reason, strlen(reason));
}

void file_handler(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
  const std::string& root = *static_cast<std::string*>(data);
  const char* method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "GET, HEAD");
    respond_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
    return;
  }
  // The path arrives percent-encoded; an encoded "/" or NUL cannot name a file of ours.
  g_autofree gchar* decoded = g_uri_unescape_string(path, "/");
  if (!decoded || decoded[0] != '/') {
    respond_error(msg, SOUP_STATUS_BAD_REQUEST);
    return;
  }
  // No "..", no hidden files: the name must stay inside the root before anything touches the disk.
  g_auto(GStrv) segments = g_strsplit(decoded + 1, "/", -1);
  std::string relative;
  for (gchar** s = segments; *s; s++) {
    if (**s == '\0') continue;
    if (**s == '.') {
      respond_error(msg, strcmp(*s, "..") == 0 ? SOUP_STATUS_FORBIDDEN : SOUP_STATUS_NOT_FOUND);
      return;
    }
    relative += "/";
    relative += *s;
  }
  std::string file = root + relative;
  if (g_file_test(file.c_str(), G_FILE_TEST_IS_DIR)) file += "/index.html";
  // And after symlinks are followed, it must still be inside the root.
  std::string resolved = real_path(file);
  if (resolved.empty() || resolved.compare(0, root.size() + 1, root + "/") != 0 ||
      !g_file_test(resolved.c_str(), G_FILE_TEST_IS_REGULAR)) {
    respond_error(msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  g_autoptr(GError) error = nullptr;
  GMappedFile* mapped = g_mapped_file_new(resolved.c_str(), FALSE, &error);
  if (!mapped) {
    respond_error(msg, SOUP_STATUS_FORBIDDEN);
    return;
  }
  g_autoptr(GBytes) bytes = g_mapped_file_get_bytes(mapped);
  g_mapped_file_unref(mapped);  // |bytes| keeps the mapping
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Content-Type", content_type_for(resolved));
  // The player is small and changes with the program: always revalidate.
  soup_message_headers_replace(headers, "Cache-Control", "no-cache");
  soup_message_headers_replace(headers, "X-Content-Type-Options", "nosniff");
  soup_message_body_append_bytes(soup_server_message_get_response_body(msg), bytes);
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
}

void delete_string(gpointer data) {
  std::unique_ptr<std::string>(static_cast<std::string*>(data));
}

gboolean run_function(gpointer data) {
  (*static_cast<std::function<void()>*>(data))();
  return G_SOURCE_REMOVE;
}

void delete_function(gpointer data) {
  std::unique_ptr<std::function<void()>>(static_cast<std::function<void()>*>(data));
}

}  // namespace

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

bool valid_url_path(const gchar* path, const char* element) {
  if (path && path[0] == '/' && !strchr(path, '?') && !strchr(path, '#')) return true;
  g_warning("%s: a path must start with '/' and have no query (\"%s\" refused)", element, path ? path : "(null)");
  return false;
}

std::shared_ptr<HttpServer> acquire_server_for(GstElement* element, const std::string& host, guint port) {
  g_autoptr(GError) error = nullptr;
  auto server = HttpServer::acquire(host, port, &error);
  if (server) return server;
  if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE)) {
    GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ_WRITE,
                      ("Port %u on %s is already in use (choose another with the port property)", port, host.c_str()),
                      ("%s", error->message));
  } else {
    GST_ELEMENT_ERROR(element, RESOURCE, OPEN_READ_WRITE,
                      ("Could not listen on %s port %u: %s", host.c_str(), port, error->message), (nullptr));
  }
  return nullptr;
}

const char* content_type_for(const std::string& name) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".ico", "image/vnd.microsoft.icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".aac", "audio/aac"},
      {".wasm", "application/wasm"},
  };
  size_t dot = name.rfind('.');
  if (dot != std::string::npos) {
    g_autofree gchar* ext = g_ascii_strdown(name.c_str() + dot, -1);
    for (const auto& [suffix, type] : kTypes) {
      if (strcmp(ext, suffix) == 0) return type;
    }
  }
  return "application/octet-stream";
}

std::shared_ptr<HttpServer> HttpServer::acquire(const std::string& host, guint port, GError** error) {
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
    listening = soup_server_listen_socket(server_, socket, static_cast<SoupServerListenOptions>(0), error);
  });
  return listening;  // on failure the destructor stops the thread
}

HttpServer::~HttpServer() {
  if (thread_) {
    run_sync([this] {
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

bool HttpServer::claim_path(const std::string& path, GError** error) {
  if (claimed_paths_.insert(path).second) return true;
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "another element already serves %s on port %u", path.c_str(),
              port_);
  return false;
}

GSource* HttpServer::add_timer(guint interval_ms, GSourceFunc fn, gpointer data) {
  GSource* source = g_timeout_source_new(interval_ms);
  g_source_set_callback(source, fn, data, nullptr);
  g_source_attach(source, context_);
  return source;
}

void HttpServer::serve_file(SoupServerMessage* msg, const char* path) {
  if (file_root_.empty()) {
    respond_error(msg, SOUP_STATUS_NOT_FOUND);
    return;
  }
  file_handler(server_, msg, path, nullptr, &file_root_);
}

bool HttpServer::serve_files(const std::string& root) {
  std::string resolved = real_path(root);
  if (resolved.empty()) resolved = root;  // serves 404s until it exists
  if (!file_root_.empty()) return file_root_ == resolved;
  file_root_ = resolved;
  soup_server_add_handler(server_, "/", file_handler, std::make_unique<std::string>(resolved).release(), delete_string);
  return true;
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
