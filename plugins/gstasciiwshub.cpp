// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciiwshub.h"

#include <gio/gio.h>
#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

// Logs under websocketsink's category: registering the same name returns the same category.
GST_DEBUG_CATEGORY_STATIC(gst_web_socket_sink_debug);
#define GST_CAT_DEFAULT gst_web_socket_sink_debug

namespace gstascii {

namespace {

// Frames the server thread may have waiting before the streaming thread drops new ones: enough to
// ride out a burst of connections, little enough that the picture stays live.
constexpr int kMaxPendingMessages = 8;
// A viewer that sends this many messages we cannot use (binary, not JSON, too fast) is dropped.
constexpr int kMaxStrikes = 20;
constexpr int kMaxMessagesPerSecond = 50;
// The adaptive frames kept for joiners (48 at most in the reference encoder's rhythm); past this
// a joiner asks for a keyframe instead.
constexpr gsize kMaxSinceSyncFrames = 128;
// Keyframe requests for joiners, at most one per this many µs (a burst of joiners shares one).
constexpr gint64 kKeyframeRequestInterval = G_TIME_SPAN_SECOND / 4;
// How long stop() waits for viewers' sockets to close before it lets go of them anyway.
constexpr gint64 kStopWait = 2 * G_TIME_SPAN_SECOND;

// JSON member names become GstStructure field names, which allow only a few characters.
bool valid_field_name(const char* name) {
  if (!g_ascii_isalpha(name[0]) || strlen(name) > 64) return false;
  for (const char* p = name; *p; p++) {
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_') return false;
  }
  return true;
}

}  // namespace

struct WsHub::Client {
  guint64 id = 0;
  SoupWebsocketConnection* conn = nullptr;  // our reference: libsoup drops its own after the handshake
  GSocket* socket = nullptr;
  std::string peer;
  guint init_generation = 0;
  gint64 unwritable_since = 0;  // monotonic µs; 0 while the socket takes data
  int strikes = 0;
  gint64 rate_window = 0;
  int rate_count = 0;
  gulong message_handler = 0;
  gulong closed_handler = 0;
  WsHub* hub = nullptr;
  bool adaptive = false;   // asked for ?codec=adaptive
  bool in_sync = false;    // adaptive: has every frame since a sync frame, so DELTAs apply
  gint64 shutdown_at = 0;  // monotonic µs at which a closed viewer's socket is shut; 0: not closing

  ~Client() {
    if (message_handler) g_signal_handler_disconnect(conn, message_handler);
    if (closed_handler) g_signal_handler_disconnect(conn, closed_handler);
    g_clear_object(&socket);
    g_clear_object(&conn);
  }
};

WsHub::WsHub(GstElement* owner, std::shared_ptr<HttpServer> server, WsHubConfig config)
    : owner_(owner), server_(std::move(server)), config_(std::move(config)) {}

WsHub::~WsHub() {
  if (init_) g_bytes_unref(init_);
  for (GBytes* b : since_sync_) g_bytes_unref(b);
}

std::shared_ptr<WsHub> WsHub::start(GstElement* owner, std::shared_ptr<HttpServer> server, WsHubConfig config,
                                    GError** error) {
  GST_DEBUG_CATEGORY_INIT(gst_web_socket_sink_debug, "websocketsink", 0, "Serves ASCILINE to WebSocket viewers");
  std::shared_ptr<WsHub> hub(new WsHub(owner, std::move(server), std::move(config)));
  bool ok = true;
  hub->server_->run_sync([&] {
    SoupServer* soup = hub->server_->soup();
    // A second sink on the same path would steal the first's viewers.
    if (!hub->server_->claim_path(hub->config_.path, error)) {
      ok = false;
      return;
    }
    soup_server_add_handler(soup, hub->config_.path.c_str(), on_request, hub.get(), nullptr);
    soup_server_add_websocket_handler(soup, hub->config_.path.c_str(), nullptr, nullptr, on_websocket, hub.get(),
                                      nullptr);
    hub->tick_ = hub->server_->add_timer(500, on_tick, hub.get());
  });
  return ok ? hub : nullptr;
}

void WsHub::stop() {
  server_->run_sync([this] {
    if (stopped_) return;
    stopped_ = true;
    SoupServer* soup = server_->soup();
    soup_server_remove_handler(soup, config_.path.c_str());
    server_->release_path(config_.path);
    g_source_destroy(tick_);
    g_clear_pointer(&tick_, g_source_unref);
    for (auto& [id, client] : clients_) {
      if (client->message_handler) g_signal_handler_disconnect(client->conn, client->message_handler);
      client->message_handler = 0;
      disconnect(*client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping", true);
    }
  });
  // The sockets close on the server thread; wait so no viewer outlives the element.
  stats_.clients.wait_for_zero(kStopWait);
  server_->run_sync([this] {
    if (!clients_.empty()) GST_WARNING_OBJECT(owner_, "%zu viewers did not close in time", clients_.size());
    clients_.clear();
    stats_.clients.set(0);
    stats_.adaptive_clients = 0;
  });
}

bool WsHub::push(const WsFrame& frame) {
  if (pending_.fetch_add(1) >= kMaxPendingMessages) {
    pending_--;
    stats_.frames_dropped += stats_.clients.get();
    dropped_since_push_ = true;
    return false;
  }
  auto self = shared_from_this();
  WsFrame held = frame;
  held.after_gap = dropped_since_push_.exchange(false);
  if (held.raw) g_bytes_ref(held.raw);
  if (held.adaptive) g_bytes_ref(held.adaptive);
  server_->run_async([self, held] {
    self->pending_--;
    self->broadcast(held);
    if (held.raw) g_bytes_unref(held.raw);
    if (held.adaptive) g_bytes_unref(held.adaptive);
  });
  return true;
}

void WsHub::set_init(GBytes* init) {
  auto self = shared_from_this();
  g_bytes_ref(init);
  server_->run_async([self, init] {
    if (self->init_ && g_bytes_equal(self->init_, init)) {
      g_bytes_unref(init);
      return;
    }
    if (self->init_) g_bytes_unref(self->init_);
    self->init_ = init;
    self->init_generation_++;
    // Frames of the old INIT cannot start a viewer of the new one.
    self->forget_kept_frames(false);
    GST_DEBUG_OBJECT(self->owner_, "new INIT (generation %u)", self->init_generation_);
  });
}

void WsHub::end_of_stream() {
  auto self = shared_from_this();
  server_->run_async([self] {
    if (self->stopped_) return;
    for (auto& [id, client] : self->clients_) {
      if (soup_websocket_connection_get_state(client->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
        soup_websocket_connection_close(client->conn, SOUP_WEBSOCKET_CLOSE_NORMAL, "end of stream");
      }
    }
  });
}

void WsHub::on_request(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable*, gpointer data) {
  auto* self = static_cast<WsHub*>(data);
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
  auto refuse = [msg](guint status, const char* text) {
    if (soup_server_message_get_status(msg) != status) soup_server_message_set_status(msg, status, nullptr);
    soup_server_message_set_response(msg, "text/plain; charset=utf-8", SOUP_MEMORY_COPY, text, strlen(text));
  };
  if (self->config_.path != path) {
    self->server_->serve_file(msg, path);
  } else if (!soup_message_headers_header_equals(headers, "Upgrade", "websocket")) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Upgrade", "websocket");
    soup_server_message_set_status(msg, 426, "Upgrade Required");
    refuse(426, "This is the ASCILINE WebSocket endpoint: open / in a browser to watch.\n");
  } else if (!origin_allowed(soup_message_headers_get_one(headers, "Origin"),
                             soup_message_headers_get_one(headers, "Host"), self->config_.allowed_origins)) {
    GST_INFO_OBJECT(self->owner_, "refused a viewer from origin %s", soup_message_headers_get_one(headers, "Origin"));
    refuse(SOUP_STATUS_FORBIDDEN, "Origin not allowed\n");
  } else if (self->clients_.size() >= self->config_.max_clients) {
    refuse(SOUP_STATUS_SERVICE_UNAVAILABLE, "Too many viewers\n");
  }
  // Otherwise no status: libsoup goes on with the handshake and calls on_websocket.
}

void WsHub::on_websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* conn,
                         gpointer data) {
  auto* self = static_cast<WsHub*>(data);
  auto client = std::make_unique<Client>();
  client->id = self->next_id_++;
  client->hub = self;
  client->conn = SOUP_WEBSOCKET_CONNECTION(g_object_ref(conn));
  if (GSocket* socket = soup_server_message_get_socket(msg)) client->socket = G_SOCKET(g_object_ref(socket));
  if (GSocketAddress* remote = soup_server_message_get_remote_address(msg)) {
    g_autofree gchar* address =
        g_inet_address_to_string(g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
    client->peer =
        std::string(address) + ":" + std::to_string(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(remote)));
  }
  // A small kernel buffer keeps a slow viewer's lag short: the kernel would otherwise autotune it to
  // megabytes, seconds of video the viewer still has to get through. Linux doubles what it is given.
  if (client->socket) {
    g_socket_set_option(client->socket, SOL_SOCKET, SO_SNDBUF, static_cast<gint>(self->config_.client_buffer / 2),
                        nullptr);
  }
  // ?codec=adaptive: tagged frames; raw, legacy or nothing: raw frames.
  if (const char* query = g_uri_get_query(soup_server_message_get_uri(msg))) {
    g_autoptr(GHashTable) params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr);
    const char* codec = params ? static_cast<const char*>(g_hash_table_lookup(params, "codec")) : nullptr;
    client->adaptive = g_strcmp0(codec, "adaptive") == 0;
  }
  soup_websocket_connection_set_max_incoming_payload_size(conn, self->config_.max_message_size);
  client->message_handler = g_signal_connect(conn, "message", G_CALLBACK(on_message), client.get());
  client->closed_handler = g_signal_connect(conn, "closed", G_CALLBACK(on_closed), client.get());

  const char* origin = soup_websocket_connection_get_origin(conn);
  GST_INFO_OBJECT(self->owner_, "viewer %" G_GUINT64_FORMAT " connected from %s", client->id, client->peer.c_str());
  self->post(gst_structure_new("websocketsink-client-connected", "client-id", G_TYPE_UINT64, client->id, "address",
                               G_TYPE_STRING, client->peer.c_str(), "origin", G_TYPE_STRING, origin ? origin : "",
                               "codec", G_TYPE_STRING, client->adaptive ? "adaptive" : "raw", nullptr));
  Client& ref = *client;
  self->clients_[client->id] = std::move(client);
  self->stats_.clients.set(self->clients_.size());
  if (ref.adaptive) self->stats_.adaptive_clients++;
  if (self->init_) self->send_init(ref);
  if (ref.adaptive) self->start_adaptive(ref);
}

// A new (or lagging) adaptive viewer: the frames since the last sync frame at once, so its first
// picture needs no wait; when those are too many to send now, a keyframe is asked for upstream and
// the viewer waits for the next sync frame.
void WsHub::start_adaptive(Client& client) {
  client.in_sync = false;
  if (since_sync_complete_ && !since_sync_.empty() && since_sync_bytes_ <= config_.client_buffer) {
    for (GBytes* b : since_sync_) {
      if (!send(client, SOUP_WEBSOCKET_DATA_BINARY, b)) return;  // it left during the burst
    }
    stats_.bytes_sent += since_sync_bytes_;
    stats_.frames_sent += since_sync_.size();
    stats_.join_bursts++;
    client.in_sync = true;
    return;
  }
  request_keyframe();
}

void WsHub::request_keyframe() {
  const gint64 now = g_get_monotonic_time();
  if (now - last_keyframe_request_ < kKeyframeRequestInterval) return;
  last_keyframe_request_ = now;
  stats_.keyframe_requests++;
  GST_DEBUG_OBJECT(owner_, "asking upstream for a keyframe");
  gst_pad_push_event(GST_BASE_SINK_PAD(owner_),
                     gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
}

// Frames were dropped before they reached this thread: no adaptive viewer has them, and the frames
// kept for joiners no longer lead to the next DELTA. Everyone waits for a sync frame, asked for now.
void WsHub::forget_gap() {
  for (auto& [id, client] : clients_) client->in_sync = false;
  forget_kept_frames(false);
  if (stats_.adaptive_clients > 0) request_keyframe();
}

// Empties the frames kept for joiners; |complete|: what comes next is kept from a sync frame on.
void WsHub::forget_kept_frames(bool complete) {
  for (GBytes* b : since_sync_) g_bytes_unref(b);
  since_sync_.clear();
  since_sync_bytes_ = 0;
  since_sync_complete_ = complete;
}

void WsHub::remember_for_joiners(const WsFrame& frame) {
  if (frame.raw_only) return;
  if (!frame.adaptive || frame.sync) {
    // A gap (no adaptive form made) or a new start: what was kept no longer leads to this frame.
    forget_kept_frames(frame.adaptive != nullptr);
  }
  if (!since_sync_complete_) return;
  if (since_sync_.size() >= kMaxSinceSyncFrames) {
    since_sync_complete_ = false;  // joiners ask for a keyframe until the next sync frame
    return;
  }
  since_sync_.push_back(g_bytes_ref(frame.adaptive));
  since_sync_bytes_ += g_bytes_get_size(frame.adaptive);
}

void WsHub::send_init(Client& client) {
  if (!send(client, SOUP_WEBSOCKET_DATA_TEXT, init_)) return;
  client.init_generation = init_generation_;
  stats_.bytes_sent += g_bytes_get_size(init_);
}

// A send that fails at once (the peer has gone) closes the connection inside libsoup; whatever
// follows for that viewer is then skipped, not sent to a closed connection.
bool WsHub::send(Client& client, SoupWebsocketDataType type, GBytes* message) {
  if (soup_websocket_connection_get_state(client.conn) != SOUP_WEBSOCKET_STATE_OPEN) return false;
  soup_websocket_connection_send_message(client.conn, type, message);
  return true;
}

bool WsHub::client_writable(Client& client, gint64 now) {
  if (!client.socket || (g_socket_condition_check(client.socket, G_IO_OUT) & G_IO_OUT)) {
    client.unwritable_since = 0;
    return true;
  }
  if (client.unwritable_since == 0) client.unwritable_since = now;
  return false;
}

void WsHub::broadcast(const WsFrame& frame) {
  if (stopped_) return;
  if (frame.after_gap) forget_gap();
  remember_for_joiners(frame);
  gint64 now = g_get_monotonic_time();
  guint64 sent = 0, dropped = 0, bytes = 0;
  const auto type = frame.text ? SOUP_WEBSOCKET_DATA_TEXT : SOUP_WEBSOCKET_DATA_BINARY;
  for (auto& [id, client] : clients_) {
    if (soup_websocket_connection_get_state(client->conn) != SOUP_WEBSOCKET_STATE_OPEN) continue;
    const bool tagged = client->adaptive && !frame.raw_only;
    GBytes* message = tagged ? frame.adaptive : frame.raw;
    if (!message) {  // the form this viewer wants was not made for this frame (it just joined)
      if (tagged) client->in_sync = false;
      dropped++;
      continue;
    }
    // An adaptive viewer that missed a frame cannot apply a DELTA: it waits for a sync frame.
    if (tagged && !frame.sync && !client->in_sync) {
      dropped++;
      continue;
    }
    // libsoup queues without limit; skipping while the kernel buffer is full bounds each viewer to
    // that buffer plus the one message libsoup is part way through.
    if (!client_writable(*client, now)) {
      if (tagged) client->in_sync = false;
      dropped++;
      continue;
    }
    if (init_ && client->init_generation != init_generation_) send_init(*client);
    if (!send(*client, type, message)) {
      dropped++;
      continue;
    }
    if (tagged && frame.sync) client->in_sync = true;
    sent++;
    bytes += g_bytes_get_size(message);
  }
  stats_.frames_sent += sent;
  stats_.frames_dropped += dropped;
  stats_.bytes_sent += bytes;
}

gboolean WsHub::on_tick(gpointer data) {
  auto* self = static_cast<WsHub*>(data);
  gint64 now = g_get_monotonic_time();
  for (auto& [id, client] : self->clients_) {
    if (client->shutdown_at != 0 && now >= client->shutdown_at && client->socket) {
      g_socket_shutdown(client->socket, TRUE, TRUE, nullptr);  // the close was not answered in time
    }
  }
  if (self->config_.client_timeout == 0) return G_SOURCE_CONTINUE;
  gint64 limit = static_cast<gint64>(self->config_.client_timeout / GST_USECOND);
  for (auto& [id, client] : self->clients_) {
    if (client->unwritable_since == 0 || self->client_writable(*client, now)) continue;
    if (now - client->unwritable_since > limit &&
        soup_websocket_connection_get_state(client->conn) == SOUP_WEBSOCKET_STATE_OPEN) {
      GST_INFO_OBJECT(self->owner_, "viewer %" G_GUINT64_FORMAT " has read nothing for too long: disconnecting", id);
      self->disconnect(*client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "not reading", true);
    }
  }
  return G_SOURCE_CONTINUE;
}

void WsHub::on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
  auto* client = static_cast<Client*>(data);
  WsHub* self = client->hub;
  gint64 now = g_get_monotonic_time();
  if (now - client->rate_window > G_TIME_SPAN_SECOND) {
    client->rate_window = now;
    client->rate_count = 0;
  }
  if (++client->rate_count > kMaxMessagesPerSecond) {
    self->strike(*client, "too many messages");
  } else if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    self->strike(*client, "binary message");
  } else {
    self->handle_control(*client, message);
  }
}

// A control message, `{"type": "pause", "paused": true}` and the like, goes on the bus as an element
// message "websocketsink-control" with the client id, the type, the JSON text and each scalar member.
void WsHub::handle_control(Client& client, GBytes* message) {
  gsize size = 0;
  const auto* text = static_cast<const gchar*>(g_bytes_get_data(message, &size));
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = nullptr;
  if (!json_parser_load_from_data(parser, text, static_cast<gssize>(size), &error)) {
    strike(client, "not JSON");
    return;
  }
  JsonNode* root = json_parser_get_root(parser);
  JsonObject* object = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
  const gchar* msg_type = object ? json_object_get_string_member_with_default(object, "type", nullptr) : nullptr;
  if (!msg_type || !valid_field_name(msg_type)) {
    strike(client, "no \"type\"");
    return;
  }
  GstStructure* s =
      gst_structure_new("websocketsink-control", "client-id", G_TYPE_UINT64, client.id, "type", G_TYPE_STRING, msg_type,
                        "json", G_TYPE_STRING, std::string(text, size).c_str(), nullptr);
  g_autoptr(GList) members = json_object_get_members(object);
  for (GList* m = members; m; m = m->next) {
    const auto* name = static_cast<const char*>(m->data);
    JsonNode* node = json_object_get_member(object, name);
    if (!valid_field_name(name) || strcmp(name, "type") == 0 || gst_structure_has_field(s, name) ||
        !JSON_NODE_HOLDS_VALUE(node)) {
      continue;
    }
    GType vt = json_node_get_value_type(node);
    if (vt == G_TYPE_BOOLEAN) {
      gst_structure_set(s, name, G_TYPE_BOOLEAN, json_node_get_boolean(node), nullptr);
    } else if (vt == G_TYPE_INT64) {
      gst_structure_set(s, name, G_TYPE_INT64, json_node_get_int(node), nullptr);
    } else if (vt == G_TYPE_DOUBLE) {
      gst_structure_set(s, name, G_TYPE_DOUBLE, json_node_get_double(node), nullptr);
    } else if (vt == G_TYPE_STRING) {
      gst_structure_set(s, name, G_TYPE_STRING, json_node_get_string(node), nullptr);
    }
  }
  GST_DEBUG_OBJECT(owner_, "viewer %" G_GUINT64_FORMAT ": %" GST_PTR_FORMAT, client.id, s);
  post(s);
}

void WsHub::strike(Client& client, const char* why) {
  client.strikes++;
  GST_INFO_OBJECT(owner_, "viewer %" G_GUINT64_FORMAT ": ignored a message (%s), strike %d", client.id, why,
                  client.strikes);
  if (client.strikes == kMaxStrikes) disconnect(client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, why, false);
}

// Closes with |code|. A viewer that reads nothing (|now| true: it timed out, or the server is
// stopping) has its socket shut at once, so it cannot hold the close open; one that still reads gets
// a second to receive the close frame (shutting at once could drop it unsent) before the tick shuts
// it.
void WsHub::disconnect(Client& client, gushort code, const char* reason, bool now) {
  if (soup_websocket_connection_get_state(client.conn) == SOUP_WEBSOCKET_STATE_OPEN) {
    soup_websocket_connection_close(client.conn, code, reason);
  }
  if (now) {
    if (client.socket) g_socket_shutdown(client.socket, TRUE, TRUE, nullptr);
  } else if (client.shutdown_at == 0) {
    client.shutdown_at = g_get_monotonic_time() + G_TIME_SPAN_SECOND;
  }
}

void WsHub::on_closed(SoupWebsocketConnection* conn, gpointer data) {
  auto* client = static_cast<Client*>(data);
  WsHub* self = client->hub;
  guint64 id = client->id;
  GST_INFO_OBJECT(self->owner_, "viewer %" G_GUINT64_FORMAT " disconnected (code %u)", id,
                  soup_websocket_connection_get_close_code(conn));
  GstStructure* gone = gst_structure_new("websocketsink-client-disconnected", "client-id", G_TYPE_UINT64, id, "address",
                                         G_TYPE_STRING, client->peer.c_str(), "close-code", G_TYPE_UINT,
                                         static_cast<guint>(soup_websocket_connection_get_close_code(conn)), nullptr);
  // Counted out before the bus says so, so an application that reads "clients" on the message
  // sees the viewer gone.
  self->forget(id);
  self->post(gone);
}

void WsHub::forget(guint64 id) {
  auto it = clients_.find(id);
  if (it != clients_.end() && it->second->adaptive) stats_.adaptive_clients--;
  clients_.erase(id);
  stats_.clients.set(clients_.size());
}

void WsHub::post(GstStructure* s) {
  if (stopped_) {
    gst_structure_free(s);
    return;
  }
  gst_element_post_message(owner_, gst_message_new_element(GST_OBJECT(owner_), s));
}

}  // namespace gstascii
