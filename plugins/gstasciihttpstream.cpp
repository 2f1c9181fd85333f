// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciihttpstream.h"

#include <gio/gio.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

// Logs under adtsmux-out's category: registering the same name returns the same category.
GST_DEBUG_CATEGORY_STATIC(gst_adts_mux_out_debug);
#define GST_CAT_DEFAULT gst_adts_mux_out_debug

namespace gstascii {

namespace {

// Frames the server thread may have waiting: seconds of audio, so only a stuck server thread
// reaches it.
constexpr int kMaxPendingFrames = 256;
constexpr gint64 kStopWait = 2 * G_TIME_SPAN_SECOND;

}  // namespace

struct HttpStreamHub::Listener {
  guint64 id = 0;
  SoupServerMessage* msg = nullptr;  // our reference
  GSocket* socket = nullptr;
  std::string peer;
  bool started = false;      // headers set, frames flowing
  bool cut = false;          // being cut off; waiting for libsoup to finish the message
  guint64 queued = 0;        // body bytes handed to libsoup and not yet written
  gint64 last_progress = 0;  // monotonic µs of the last write (or of the queue becoming non-empty)
  gulong wrote_handler = 0;
  gulong finished_handler = 0;
  HttpStreamHub* hub = nullptr;

  ~Listener() {
    if (wrote_handler) g_signal_handler_disconnect(msg, wrote_handler);
    if (finished_handler) g_signal_handler_disconnect(msg, finished_handler);
    g_clear_object(&socket);
    g_clear_object(&msg);
  }
};

HttpStreamHub::HttpStreamHub(GstElement* owner, std::shared_ptr<HttpServer> server, HttpStreamConfig config)
    : owner_(owner), server_(std::move(server)), config_(std::move(config)) {}

HttpStreamHub::~HttpStreamHub() {}

std::shared_ptr<HttpStreamHub> HttpStreamHub::start(GstElement* owner, std::shared_ptr<HttpServer> server,
                                                    HttpStreamConfig config, GError** error) {
  GST_DEBUG_CATEGORY_INIT(gst_adts_mux_out_debug, "adtsmux-out", 0, "Serves AAC as ADTS over HTTP");
  std::shared_ptr<HttpStreamHub> hub(new HttpStreamHub(owner, std::move(server), std::move(config)));
  bool ok = true;
  hub->server_->run_sync([&] {
    if (!hub->server_->claim_path(hub->config_.path, error)) {
      ok = false;
      return;
    }
    soup_server_add_handler(hub->server_->soup(), hub->config_.path.c_str(), on_request, hub.get(), nullptr);
    hub->tick_ = hub->server_->add_timer(500, on_tick, hub.get());
  });
  return ok ? hub : nullptr;
}

void HttpStreamHub::stop() {
  server_->run_sync([this] {
    if (stopped_) return;
    stopped_ = true;
    soup_server_remove_handler(server_->soup(), config_.path.c_str());
    server_->release_path(config_.path);
    g_source_destroy(tick_);
    g_clear_pointer(&tick_, g_source_unref);
    for (auto& [id, listener] : listeners_) cut_off(*listener, "server stopping");
  });
  stats_.clients.wait_for_zero(kStopWait);
  server_->run_sync([this] {
    if (!listeners_.empty()) GST_WARNING_OBJECT(owner_, "%zu listeners did not close in time", listeners_.size());
    listeners_.clear();
    stats_.clients.set(0);
  });
}

bool HttpStreamHub::push(GBytes* frame, double timestamp) {
  if (pending_.fetch_add(1) >= kMaxPendingFrames) {
    pending_--;
    lost_frame_ = true;
    return false;
  }
  auto self = shared_from_this();
  g_bytes_ref(frame);
  server_->run_async([self, frame, timestamp] {
    self->pending_--;
    self->broadcast(frame, timestamp);
    g_bytes_unref(frame);
  });
  return true;
}

void HttpStreamHub::discontinuity() {
  auto self = shared_from_this();
  server_->run_async([self] {
    if (self->stopped_) return;
    for (auto& [id, listener] : self->listeners_) {
      if (listener->started) self->cut_off(*listener, "the timeline restarted");
    }
  });
}

void HttpStreamHub::end_of_stream() {
  auto self = shared_from_this();
  server_->run_async([self] {
    if (self->stopped_) return;
    self->ended_ = true;
    for (auto& [id, listener] : self->listeners_) {
      if (listener->cut) continue;
      if (!listener->started) {
        soup_server_message_set_status(listener->msg, SOUP_STATUS_NO_CONTENT, nullptr);
      } else {
        soup_message_body_complete(soup_server_message_get_response_body(listener->msg));
      }
      soup_server_message_unpause(listener->msg);
    }
  });
}

void HttpStreamHub::on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
  auto* self = static_cast<HttpStreamHub*>(data);
  SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
  SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
  const char* method = soup_server_message_get_method(msg);
  const char* origin = soup_message_headers_get_one(request, "Origin");
  auto refuse = [msg](guint status, const char* text) {
    soup_server_message_set_status(msg, status, nullptr);
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text, strlen(text));
  };
  if (self->config_.path != path) {
    self->server_->serve_file(msg, path);
    return;
  }
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(response, "Allow", "GET, HEAD");
    refuse(SOUP_STATUS_METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    return;
  }
  if (!origin_allowed(origin, soup_message_headers_get_one(request, "Host"), self->config_.allowed_origins)) {
    GST_INFO_OBJECT(self->owner_, "refused a listener from origin %s", origin);
    refuse(SOUP_STATUS_FORBIDDEN, "Origin not allowed\n");
    return;
  }
  if (self->ended_) {
    refuse(SOUP_STATUS_NOT_FOUND, "The stream has ended\n");
    return;
  }
  // A page from another origin that may listen may also read when its audio starts.
  if (origin) {
    soup_message_headers_replace(response, "Access-Control-Allow-Origin", origin);
    soup_message_headers_replace(response, "Access-Control-Expose-Headers", self->config_.start_header.c_str());
    soup_message_headers_append(response, "Vary", "Origin");
  }
  soup_message_headers_replace(response, "Cache-Control", "no-store");
  if (method == SOUP_METHOD_HEAD) {
    soup_message_headers_replace(response, "Content-Type", self->config_.content_type.c_str());
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    return;
  }
  if (self->listeners_.size() >= self->config_.max_clients) {
    refuse(SOUP_STATUS_SERVICE_UNAVAILABLE, "Too many listeners\n");
    return;
  }

  auto listener = std::make_unique<Listener>();
  listener->id = self->next_id_++;
  listener->hub = self;
  listener->msg = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  if (GSocket* socket = soup_server_message_get_socket(msg)) {
    listener->socket = G_SOCKET(g_object_ref(socket));
    // Keep what the kernel holds for a slow listener small, so client-buffer is the real bound.
    g_socket_set_option(listener->socket, SOL_SOCKET, SO_SNDBUF, static_cast<gint>(self->config_.client_buffer / 2),
                        nullptr);
  }
  if (GSocketAddress* remote = soup_server_message_get_remote_address(msg)) {
    g_autofree gchar* address =
        g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
    listener->peer =
        std::string(address) + ":" + std::to_string(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(remote)));
  }
  // One endless response: chunked, and libsoup must let go of each chunk once written.
  soup_message_headers_set_encoding(response, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
  listener->wrote_handler = g_signal_connect(msg, "wrote-body-data", G_CALLBACK(on_wrote_body_data), listener.get());
  listener->finished_handler = g_signal_connect(msg, "finished", G_CALLBACK(on_finished), listener.get());
  // The headers wait for the next frame: they carry its timestamp.
  soup_server_message_pause(msg);

  GST_INFO_OBJECT(self->owner_, "listener %" G_GUINT64_FORMAT " connected from %s", listener->id,
                  listener->peer.c_str());
  self->post(gst_structure_new((self->config_.message_prefix + "-client-connected").c_str(), "client-id", G_TYPE_UINT64,
                               listener->id, "address", G_TYPE_STRING, listener->peer.c_str(), nullptr));
  self->listeners_[listener->id] = std::move(listener);
  self->stats_.clients.set(self->listeners_.size());
}

void HttpStreamHub::broadcast(GBytes* frame, double timestamp) {
  if (stopped_ || ended_) return;
  if (lost_frame_.exchange(false)) {
    for (auto& [id, listener] : listeners_) {
      if (listener->started) cut_off(*listener, "a frame was lost on the server");
    }
  }
  const gsize size = g_bytes_get_size(frame);
  const gint64 now = g_get_monotonic_time();
  guint64 sent = 0;
  for (auto& [id, listener] : listeners_) {
    Listener& l = *listener;
    if (l.cut) continue;
    // Dropping a frame would leave a hole, after which the listener's audio would no longer match
    // its start timestamp; a listener this far behind is cut off instead and may reconnect.
    if (l.queued + size > config_.client_buffer) {
      cut_off(l, "too slow");
      continue;
    }
    if (!l.started) {
      l.started = true;
      SoupMessageHeaders* headers = soup_server_message_get_response_headers(l.msg);
      soup_message_headers_replace(headers, "Content-Type", config_.content_type.c_str());
      gchar start[G_ASCII_DTOSTR_BUF_SIZE];
      g_ascii_formatd(start, sizeof start, "%.6f", timestamp);
      soup_message_headers_replace(headers, config_.start_header.c_str(), start);
      soup_server_message_set_status(l.msg, SOUP_STATUS_OK, nullptr);
      GST_DEBUG_OBJECT(owner_, "listener %" G_GUINT64_FORMAT " starts at %s s", l.id, start);
    }
    if (l.queued == 0) l.last_progress = now;
    soup_message_body_append_bytes(soup_server_message_get_response_body(l.msg), frame);
    l.queued += size;
    soup_server_message_unpause(l.msg);
    sent++;
  }
  stats_.frames_sent += sent;
  stats_.bytes_sent += sent * size;
}

void HttpStreamHub::on_wrote_body_data(SoupServerMessage*, guint size, gpointer data) {
  auto* l = static_cast<Listener*>(data);
  l->queued = size > l->queued ? 0 : l->queued - size;
  l->last_progress = g_get_monotonic_time();
}

gboolean HttpStreamHub::on_tick(gpointer data) {
  auto* self = static_cast<HttpStreamHub*>(data);
  if (self->config_.client_timeout == 0) return G_SOURCE_CONTINUE;
  const gint64 now = g_get_monotonic_time();
  const gint64 limit = static_cast<gint64>(self->config_.client_timeout / GST_USECOND);
  for (auto& [id, listener] : self->listeners_) {
    if (!listener->cut && listener->queued > 0 && now - listener->last_progress > limit) {
      self->cut_off(*listener, "read nothing for too long");
    }
  }
  return G_SOURCE_CONTINUE;
}

// Ends the listener's connection at once: with the socket shut, libsoup's next write (the closing
// chunk, at the latest) fails, so it finishes the message even when the peer reads nothing.
void HttpStreamHub::cut_off(Listener& l, const char* why) {
  if (l.cut) return;
  l.cut = true;
  if (l.started) stats_.clients_cut++;
  GST_INFO_OBJECT(owner_, "listener %" G_GUINT64_FORMAT ": cut off (%s)", l.id, why);
  if (!l.started) soup_server_message_set_status(l.msg, SOUP_STATUS_SERVICE_UNAVAILABLE, nullptr);
  if (l.socket) g_socket_shutdown(l.socket, TRUE, TRUE, nullptr);
  if (l.started) soup_message_body_complete(soup_server_message_get_response_body(l.msg));
  soup_server_message_unpause(l.msg);
}

void HttpStreamHub::on_finished(SoupServerMessage*, gpointer data) {
  auto* l = static_cast<Listener*>(data);
  HttpStreamHub* self = l->hub;
  const guint64 id = l->id;
  GST_INFO_OBJECT(self->owner_, "listener %" G_GUINT64_FORMAT " disconnected", id);
  GstStructure* gone = gst_structure_new((self->config_.message_prefix + "-client-disconnected").c_str(), "client-id",
                                         G_TYPE_UINT64, id, "address", G_TYPE_STRING, l->peer.c_str(), "cut-off",
                                         G_TYPE_BOOLEAN, l->cut && l->started, nullptr);
  // libsoup still uses the message after "finished"; let go of it from the main loop.
  auto owned = std::make_shared<std::unique_ptr<Listener>>(std::move(self->listeners_[id]));
  self->listeners_.erase(id);
  self->server_->run_async([owned] { owned->reset(); });
  // Counted out before the bus says so, as websocketsink does.
  self->stats_.clients.set(self->listeners_.size());
  self->post(gone);
}

void HttpStreamHub::post(GstStructure* s) {
  if (stopped_) {
    gst_structure_free(s);
    return;
  }
  gst_element_post_message(owner_, gst_message_new_element(GST_OBJECT(owner_), s));
}

}  // namespace gstascii
