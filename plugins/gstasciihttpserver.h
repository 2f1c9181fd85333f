// One libsoup 3 HTTP server on its own thread and GMainContext, shared by every gst-ascii element in
// the process that serves on the same host and port.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace gstascii {

// libsoup is not thread-safe and attaches its I/O to the calling thread's default main context,
// which a GStreamer streaming thread does not have. So the server lives on a thread of its own,
// and every call into libsoup goes through run_sync() or run_async().
class HttpServer {
 public:
  // The running server on host:port, started if there is none. port 0 always starts a new server
  // on an ephemeral port (port() tells which). Returns nullptr with |error| set when the address
  // cannot be resolved or bound (for example when the port is in use by another program).
  static std::shared_ptr<HttpServer> acquire(const std::string& host, guint port, GError** error);

  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  guint port() const { return port_; }

  // Runs |fn| on the server thread and waits for it to finish. Must not be called from that thread.
  void run_sync(const std::function<void()>& fn);
  // Queues |fn| to run on the server thread.
  void run_async(std::function<void()> fn);
  // True on the server thread.
  bool on_server_thread() const;

  // Use only on the server thread.
  SoupServer* soup() const { return server_; }

  // Serves the files under |root| at "/" (GET and HEAD only, nothing outside |root|) for as long as
  // the server lives. Returns false when another element already serves a different root on this
  // server. Server thread only.
  bool serve_files(const std::string& root);

  // Answers |msg| from the files served at "/" (404 when none are). libsoup hands an element's
  // handler every path its own is a prefix of ("/audio.js" to "/audio"): what is not exactly the
  // element's path goes here. Server thread only.
  void serve_file(SoupServerMessage* msg, const char* path);

  // Each path is served by one element: claim_path() returns false, with |error| set, when another
  // element holds |path| already. Server thread only.
  bool claim_path(const std::string& path, GError** error);
  void release_path(const std::string& path) { claimed_paths_.erase(path); }

  // A timer on the server thread, every |interval_ms|; destroy it with g_source_destroy() and
  // unref it. Server thread only.
  GSource* add_timer(guint interval_ms, GSourceFunc fn, gpointer data);

  // Whether WebSocket messages may be compressed (permessage-deflate). Off unless asked for: it
  // adds seconds of latency to a live stream. Server thread only.
  void set_websocket_deflate(bool enabled);

 private:
  HttpServer() = default;
  bool start(const std::string& host, guint port, GError** error);
  static gpointer thread_main(gpointer data);

  std::string host_;
  guint port_ = 0;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  GThread* thread_ = nullptr;
  SoupServer* server_ = nullptr;
  std::string file_root_;
  std::set<std::string> claimed_paths_;
  bool deflate_ = true;
  bool registered_ = false;  // libsoup's default; start() turns it off
};

// Whether a request from a page at |origin| (nullptr: no Origin header, so not a browser) may use a
// server the client reached as |host_header|. |allowed| empty: pages from that same host and from
// localhost; "*": any page; otherwise exactly the origins listed.
bool origin_allowed(const char* origin, const char* host_header, const std::vector<std::string>& allowed);

// A count of open client connections that a stop() on another thread can wait on until the server
// thread has closed them all.
class ClientCount {
 public:
  ClientCount() {
    g_mutex_init(&mutex_);
    g_cond_init(&cond_);
  }
  ~ClientCount() {
    g_mutex_clear(&mutex_);
    g_cond_clear(&cond_);
  }
  ClientCount(const ClientCount&) = delete;
  ClientCount& operator=(const ClientCount&) = delete;

  guint get() const { return count_.load(); }
  // Server thread.
  void set(guint count) {
    g_mutex_lock(&mutex_);
    count_ = count;
    g_cond_broadcast(&cond_);
    g_mutex_unlock(&mutex_);
  }
  // Any other thread: until the count is 0, or |timeout_us| has passed.
  void wait_for_zero(gint64 timeout_us) {
    const gint64 deadline = g_get_monotonic_time() + timeout_us;
    g_mutex_lock(&mutex_);
    while (count_.load() > 0 && g_cond_wait_until(&cond_, &mutex_, deadline)) {
    }
    g_mutex_unlock(&mutex_);
  }

 private:
  std::atomic<guint> count_{0};
  GMutex mutex_;
  GCond cond_;
};

// Whether |path| can be an element's URL path ("/audio"): it starts with '/' and has no query or
// fragment. Logs why not under |element|'s name.
bool valid_url_path(const gchar* path, const char* element);

// "a, b ,c" -> {"a", "b", "c"}, and back: the allowed-origins property.
std::vector<std::string> split_origins(const gchar* list);
std::string join_origins(const std::vector<std::string>& list);

// HttpServer::acquire() for an element's start(): on failure posts an error message that says what
// to do (another port when this one is in use) and returns nullptr.
std::shared_ptr<HttpServer> acquire_server_for(GstElement* element, const std::string& host, guint port);

// The content type served for a file name, from its extension ("index.html" -> "text/html;
// charset=utf-8"); "application/octet-stream" when unknown.
const char* content_type_for(const std::string& name);

}  // namespace gstascii
