// One libsoup 3 HTTP server on its own thread and GMainContext: the routes of the gst-ascii sinks,
// the player's files, and the limits a server that faces the network needs. GstAsciiServer
// (gstasciiserver.h) is its public, shareable face.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <libsoup/soup.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gstascii {

// What one path of the server does. on_request answers every request for the path (it may leave
// the status unset on a valid WebSocket upgrade, and libsoup then completes the handshake and calls
// on_websocket).
struct Route {
  std::function<void(SoupServerMessage* msg)> on_request;
  std::function<void(SoupServerMessage* msg, SoupWebsocketConnection* conn)> on_websocket;
};

// Limits on connections that have not finished sending their request (request headers that never
// end, a keep-alive connection that sends nothing more): each is closed after |request_timeout_us|,
// and past |max_pending| of them the oldest is closed, so a flood of them cannot hold sockets and
// memory while a viewer who sends a whole request still gets through.
struct RequestLimits {
  gint64 request_timeout_us = 15 * G_TIME_SPAN_SECOND;
  guint max_pending = 1024;
};

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

  const std::string& host() const { return host_; }
  guint port() const { return port_; }

  // Runs |fn| on the server thread and waits for it to finish (at once when called there).
  void run_sync(const std::function<void()>& fn);
  // Queues |fn| to run on the server thread.
  void run_async(std::function<void()> fn);
  bool on_server_thread() const;

  // Server thread only from here on.
  SoupServer* soup() const { return server_; }

  // Each path has one owner: add_route() fails, with |error| set, when |path| is taken. A path
  // that ends in '/' owns every path below it too (a folder of files), unless one has a route of
  // its own.
  bool add_route(const std::string& path, Route route, GError** error);
  void remove_route(const std::string& path);
  // Answers |msg| as the owner of |path| (exactly that path) would: one route handing a request to
  // another. False, leaving |msg| alone, when no route has that path.
  bool hand_to(const std::string& path, SoupServerMessage* msg);
  // The paths of the routes that start with |prefix|, in order.
  std::vector<std::string> routes_under(const std::string& prefix) const;

  // Serves the files under |root| for every path no route owns (GET and HEAD only, nothing outside
  // |root|). Returns false when a different root is served already: one server, one player.
  bool serve_files(const std::string& root);
  const std::string& file_root() const { return file_root_; }

  void set_request_limits(const RequestLimits& limits) { limits_ = limits; }
  // Connections closed for not finishing their request in time, or to make room (any thread).
  guint64 requests_timed_out() const { return requests_timed_out_.load(); }

  // Whether WebSocket messages may be compressed (permessage-deflate). Off unless asked for: it
  // adds seconds of latency to a live stream.
  void set_websocket_deflate(bool enabled);

  // A timer on the server thread, every |interval_ms|; destroy it with g_source_destroy() and
  // unref it. |destroy| frees |data| when the timer goes.
  GSource* add_timer(guint interval_ms, GSourceFunc fn, gpointer data, GDestroyNotify destroy = nullptr);

 private:
  struct Pending;
  HttpServer() = default;
  bool start(const std::string& host, guint port, GError** error);
  static gpointer thread_main(gpointer data);
  static void on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data);
  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char* path, SoupWebsocketConnection* conn,
                           gpointer data);
  static void on_request_started(SoupServer*, SoupServerMessage* msg, gpointer data);
  static void on_pending_gone(gpointer data, GObject* gone);
  static gboolean on_tick(gpointer data);
  void forget_pending(SoupServerMessage* msg, bool shut);

  std::string host_;
  guint port_ = 0;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  GThread* thread_ = nullptr;
  SoupServer* server_ = nullptr;
  GSource* tick_ = nullptr;
  std::string file_root_;
  std::map<std::string, Route> routes_;
  RequestLimits limits_;
  // Connections whose request is still being read, oldest first by start time.
  std::map<SoupServerMessage*, std::unique_ptr<Pending>> pending_;
  std::atomic<guint64> requests_timed_out_{0};
  bool deflate_ = true;
  bool registered_ = false;  // in the host:port table
};

}  // namespace gstascii
