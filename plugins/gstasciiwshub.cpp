// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciiwshub.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "asciline_wire.h"
#include "gstasciihttpfiles.h"
#include "gstasciiwsviewer.h"

GST_DEBUG_CATEGORY_STATIC(ascii_ws_hub_debug);
#define GST_CAT_DEFAULT ascii_ws_hub_debug

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

// A viewer that reports more undecoded frames than this twice in a row is resynchronised.
constexpr gint64 kBacklogFrames = 15;

// The frame index of a frame's messages ([u32be index]..., or a mode-1 text frame's "index\n..."),
// -1 when there is none.
gint64 frame_index(const WsForms& forms) {
  GBytes* message = forms.raw ? forms.raw : forms.adaptive;
  gsize size = 0;
  const auto* p = message ? static_cast<const std::uint8_t*>(g_bytes_get_data(message, &size)) : nullptr;
  if (!p || size < 1) return -1;
  if (!forms.text) return size >= 4 ? gint64(read_u32be(p)) : -1;
  gint64 index = 0;
  gsize i = 0;
  for (; i < size && i < 10 && g_ascii_isdigit(p[i]); i++) index = index * 10 + (p[i] - '0');
  return i > 0 && i < size && p[i] == '\n' ? index : -1;
}

// JSON member names become GstStructure field names, which allow only a few characters.
bool valid_field_name(const char* name) {
  if (!g_ascii_isalpha(name[0]) || strlen(name) > 64) return false;
  for (const char* p = name; *p; p++) {
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_') return false;
  }
  return true;
}

}  // namespace

WsHub::WsHub(std::shared_ptr<HttpServer> server, WsHubConfig config, HubCallbacks callbacks)
    : ClientHub(std::move(server), config, std::move(callbacks), "viewer"),
      max_message_size_(config.max_message_size),
      store_path_(config.store_path),
      on_demand_(config.on_demand && !config.store_path.empty()) {}

WsHub::~WsHub() {
  for (Track& track : tracks_) {
    if (track.init) g_bytes_unref(track.init);
    forget_kept_frames(track, false);
  }
}

std::shared_ptr<WsHub> WsHub::start(std::shared_ptr<HttpServer> server, WsHubConfig config, HubCallbacks callbacks,
                                    GError** error) {
  GST_DEBUG_CATEGORY_INIT(ascii_ws_hub_debug, "asciiwshub", 0, "websocketsink's WebSocket viewers");
  init_timeshift_debug();
  std::shared_ptr<WsHub> hub(new WsHub(std::move(server), std::move(config), std::move(callbacks)));
  if (!hub->ClientHub::start(error)) return nullptr;
  // ASCILINE's server answers these beside its stream; its clients and monitors ask for them. (A
  // second sink on the server leaves them to the first.)
  hub->server_->run_sync([&hub] {
    hub->add_extra_route("/health",
                         [](ClientHub&, SoupServerMessage* msg) { respond_json(msg, "{\"status\":\"ok\"}"); });
    hub->add_extra_route("/info",
                         [](ClientHub& self, SoupServerMessage* msg) { static_cast<WsHub&>(self).respond_info(msg); });
  });
  return hub;
}

// /info as ASCILINE's server gives it: a queue of one stream, its grid.
void WsHub::respond_info(SoupServerMessage* msg) const {
  int cols = 0, rows = 0;
  if (GBytes* init = tracks_[kAscilineCells].init) {
    gsize size = 0;
    const auto* data = static_cast<const char*>(g_bytes_get_data(init, &size));
    if (auto parsed = parse_init(std::string_view(data, size))) {
      cols = parsed->cols;
      rows = parsed->rows;
    }
  }
  g_autofree gchar* json = g_strdup_printf(
      "{\"queue_size\":1,\"current_index\":0,\"cols\":%d,\"rows\":%d,\"loop\":false,\"debug\":false}", cols, rows);
  respond_json(msg, json);
}

bool WsHub::push(const WsFrame& frame) {
  if (pending_.fetch_add(1) >= kMaxPendingMessages) {
    pending_--;
    stats_.frames_dropped += totals_.clients.get();
    dropped_since_push_ = true;
    return false;
  }
  auto self = std::static_pointer_cast<WsHub>(shared_from_this());
  WsFrame held = frame;
  held.after_gap = dropped_since_push_.exchange(false);
  for (WsForms& forms : held.cells) {
    if (forms.raw) g_bytes_ref(forms.raw);
    if (forms.adaptive) g_bytes_ref(forms.adaptive);
  }
  server_->run_async([self, held] {
    self->pending_--;
    self->broadcast(held);
    for (const WsForms& forms : held.cells) {
      if (forms.raw) g_bytes_unref(forms.raw);
      if (forms.adaptive) g_bytes_unref(forms.adaptive);
    }
  });
  return true;
}

void WsHub::set_init(WsCells kind, GBytes* init) {
  auto self = std::static_pointer_cast<WsHub>(shared_from_this());
  if (init) g_bytes_ref(init);
  server_->run_async([self, kind, init] {
    Track& track = self->tracks_[kind];
    if ((!track.init && !init) || (track.init && init && g_bytes_equal(track.init, init))) {
      if (init) g_bytes_unref(init);
      return;
    }
    if (track.init) g_bytes_unref(track.init);
    track.init = init;
    track.init_generation = ++self->init_generations_;
    if (init) {
      gsize size = 0;
      const auto* text = static_cast<const char*>(g_bytes_get_data(init, &size));
      const auto parsed = parse_init(std::string_view(text, size));
      track.fps = parsed ? parsed->fps : 0;
    }
    // Frames of the old INIT cannot start a viewer of the new one.
    forget_kept_frames(track, false);
    GST_DEBUG("%s: new %s INIT (generation %u)", self->config_.path.c_str(),
              kind == kSymbolCells ? "symbol" : "ASCILINE", track.init_generation);
  });
}

void WsHub::end_of_stream() {
  auto self = std::static_pointer_cast<WsHub>(shared_from_this());
  server_->run_async([self] {
    if (self->stopped_) return;
    for (auto& [id, client] : self->clients_) {
      auto& viewer = static_cast<Viewer&>(*client);
      // Viewers of the store may still pause and seek in all of it.
      if (viewer.reader) continue;
      if (soup_websocket_connection_get_state(viewer.conn) == SOUP_WEBSOCKET_STATE_OPEN) {
        soup_websocket_connection_close(viewer.conn, SOUP_WEBSOCKET_CLOSE_NORMAL, "end of stream");
      }
    }
  });
}

void WsHub::handle_request(SoupServerMessage* msg) {
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
  if (!soup_message_headers_header_equals(headers, "Upgrade", "websocket")) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Upgrade", "websocket");
    respond_text(msg, 426, "This is the ASCILINE WebSocket endpoint: open / in a browser to watch.\n");
    soup_server_message_set_status(msg, 426, "Upgrade Required");
  } else if (!refuse_origin(msg)) {
    refuse_when_full(msg, "Too many viewers\n");
  }
  // Otherwise no status: libsoup goes on with the handshake and calls handle_websocket.
}

void WsHub::handle_websocket(SoupServerMessage* msg, SoupWebsocketConnection* conn) {
  auto viewer = std::make_unique<Viewer>();
  init_client(*viewer, msg, config_.client_buffer);
  viewer->conn = SOUP_WEBSOCKET_CONNECTION(g_object_ref(conn));
  if (const char* origin = soup_websocket_connection_get_origin(conn)) viewer->origin = origin;
  // ?codec=adaptive: tagged frames; raw, legacy or nothing: raw frames.
  if (const char* query = g_uri_get_query(soup_server_message_get_uri(msg))) {
    g_autoptr(GHashTable) params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr);
    const char* codec = params ? static_cast<const char*>(g_hash_table_lookup(params, "codec")) : nullptr;
    viewer->adaptive = g_strcmp0(codec, "adaptive") == 0;
    // ?cells=symbol: symbol cells whenever the stream has them (a viewer that knows the extension).
    const char* cells = params ? static_cast<const char*>(g_hash_table_lookup(params, "cells")) : nullptr;
    viewer->wants_symbols = g_strcmp0(cells, "symbol") == 0;
    // ?sync=1: ASCILINE's handshake (sync id in the INIT, playback-ready).
    viewer->sync =
        g_strcmp0(params ? static_cast<const char*>(g_hash_table_lookup(params, "sync")) : nullptr, "1") == 0;
  }
  soup_websocket_connection_set_max_incoming_payload_size(conn, max_message_size_);
  viewer->message_handler = g_signal_connect_data(conn, "message", G_CALLBACK(on_message), client_ref(viewer->id),
                                                  free_client_ref, GConnectFlags(0));
  viewer->closed_handler = g_signal_connect_data(conn, "closed", G_CALLBACK(on_closed), client_ref(viewer->id),
                                                 free_client_ref, GConnectFlags(0));
  GstStructure* details = gst_structure_new(
      "client-connected", "client-id", G_TYPE_UINT64, viewer->id, "address", G_TYPE_STRING, viewer->address.c_str(),
      "origin", G_TYPE_STRING, viewer->origin.c_str(), "codec", G_TYPE_STRING, viewer->adaptive ? "adaptive" : "raw",
      "cells", G_TYPE_STRING, viewer->wants_symbols ? "symbol" : "asciline", nullptr);
  if (viewer->adaptive) stats_.adaptive_clients++;
  if (viewer->wants_symbols && !viewer->adaptive) stats_.symbol_raw_clients++;
  const guint64 id = viewer->id;
  add_client(std::move(viewer), details);
  // The owner heard of it and may have stopped us since: find the viewer again.
  auto* added = static_cast<Viewer*>(find_client(id));
  if (!added || stopped_) return;
  added->kind = kind_for(*added);
  // A file: this viewer plays it from the start, on its own clock (the broadcast, should its
  // store not be there yet).
  if (on_demand_ && start_on_demand(*added)) return;
  if (tracks_[added->kind].init) send_init(*added, next_index_for(*added));
  if (added->adaptive) start_adaptive(*added);
}

// A new (or lagging) adaptive viewer: the frames since the last sync frame at once, so its first
// picture needs no wait; when those are too many to send now, a keyframe is asked for upstream and
// the viewer waits for the next sync frame.
void WsHub::start_adaptive(Viewer& viewer) {
  viewer.in_sync = false;
  const Track& track = tracks_[viewer.kind];
  if (track.since_sync_complete && !track.since_sync.empty() && track.since_sync_bytes <= config_.client_buffer) {
    for (GBytes* b : track.since_sync) {
      if (!send(viewer, SOUP_WEBSOCKET_DATA_BINARY, b)) return;  // it left during the burst
    }
    viewer.bytes_sent += track.since_sync_bytes;
    viewer.frames_sent += track.since_sync.size();
    totals_.bytes_sent += track.since_sync_bytes;
    totals_.frames_sent += track.since_sync.size();
    stats_.join_bursts++;
    viewer.in_sync = true;
    return;
  }
  request_keyframe();
}

void WsHub::request_keyframe() {
  const gint64 now = g_get_monotonic_time();
  if (now - last_keyframe_request_ < kKeyframeRequestInterval) return;
  last_keyframe_request_ = now;
  stats_.keyframe_requests++;
  GST_DEBUG("%s: asking upstream for a keyframe", config_.path.c_str());
  want_keyframe();
}

// Frames were dropped before they reached this thread: no adaptive viewer has them, and the frames
// kept for joiners no longer lead to the next DELTA. Everyone waits for a sync frame, asked for now.
void WsHub::forget_gap() {
  for (auto& [id, client] : clients_) static_cast<Viewer&>(*client).in_sync = false;
  for (Track& track : tracks_) forget_kept_frames(track, false);
  if (stats_.adaptive_clients > 0) request_keyframe();
}

// Empties the frames kept for joiners; |complete|: what comes next is kept from a sync frame on.
void WsHub::forget_kept_frames(Track& track, bool complete) {
  for (GBytes* b : track.since_sync) g_bytes_unref(b);
  track.since_sync.clear();
  track.since_sync_bytes = 0;
  track.since_sync_complete = complete;
}

void WsHub::remember_for_joiners(Track& track, const WsForms& forms) {
  if (forms.raw_only) return;
  if (!forms.adaptive || forms.sync) {
    // A gap (no adaptive form made) or a new start: what was kept no longer leads to this frame.
    forget_kept_frames(track, forms.adaptive != nullptr);
  }
  if (!track.since_sync_complete) return;
  if (track.since_sync.size() >= kMaxSinceSyncFrames) {
    track.since_sync_complete = false;  // joiners ask for a keyframe until the next sync frame
    return;
  }
  track.since_sync.push_back(g_bytes_ref(forms.adaptive));
  track.since_sync_bytes += g_bytes_get_size(forms.adaptive);
}

// Symbol cells for a viewer that asked for them while the stream has them; ASCILINE's otherwise.
int WsHub::kind_for(const Viewer& viewer) const {
  return viewer.wants_symbols && tracks_[kSymbolCells].init ? kSymbolCells : kAscilineCells;
}

void WsHub::send_init(Viewer& viewer, gint64 first_index) {
  const Track& track = tracks_[viewer.kind];
  gsize size = 0;
  const auto* data = static_cast<const std::uint8_t*>(g_bytes_get_data(track.init, &size));
  g_autoptr(GBytes) init =
      init_for(viewer, data, size, first_index >= 0 && track.fps > 0 ? first_index / track.fps : -1);
  if (!send(viewer, SOUP_WEBSOCKET_DATA_TEXT, init)) return;
  viewer.init_generation = track.init_generation;
  viewer.bytes_sent += g_bytes_get_size(init);
  totals_.bytes_sent += g_bytes_get_size(init);
}

// ASCILINE's clients run their clock from the INIT's start field: it must be the time of the
// first frame this viewer gets, not the stream's start.
GBytes* WsHub::init_for(const Viewer& viewer, const std::uint8_t* data, gsize size, double start_s) const {
  auto init = parse_init(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!init || (start_s < 0 && !viewer.sync)) return g_bytes_new(data, size);
  if (start_s >= 0) init->start = start_s;
  if (viewer.sync) {
    init->sync_id = std::to_string(viewer.sync_id);
    init->pixel_codec = "raw";
  }
  const std::string text = format_init(*init, InitForm::kFull);
  return g_bytes_new(text.data(), text.size());
}

// The index of the first frame a viewer joining now gets: the first of the burst since the last
// sync frame for an adaptive viewer, else the frame after the last one broadcast.
gint64 WsHub::next_index_for(const Viewer& viewer) const {
  const Track& track = tracks_[viewer.kind];
  if (viewer.adaptive && track.since_sync_complete && !track.since_sync.empty() &&
      track.since_sync_bytes <= config_.client_buffer && g_bytes_get_size(track.since_sync.front()) >= 4) {
    return read_u32be(static_cast<const std::uint8_t*>(g_bytes_get_data(track.since_sync.front(), nullptr)));
  }
  return track.last_index >= 0 ? track.last_index + 1 : 0;
}

// A send that fails at once (the peer has gone) closes the connection inside libsoup; whatever
// follows for that viewer is then skipped, not sent to a closed connection.
bool WsHub::send(Viewer& viewer, SoupWebsocketDataType type, GBytes* message) {
  if (soup_websocket_connection_get_state(viewer.conn) != SOUP_WEBSOCKET_STATE_OPEN) return false;
  soup_websocket_connection_send_message(viewer.conn, type, message);
  return true;
}

bool WsHub::writable(Viewer& viewer, gint64 now) {
  if (!viewer.socket || (g_socket_condition_check(viewer.socket, G_IO_OUT) & G_IO_OUT)) {
    viewer.unwritable_since = 0;
    return true;
  }
  if (viewer.unwritable_since == 0) viewer.unwritable_since = now;
  return false;
}

void WsHub::broadcast(const WsFrame& frame) {
  if (stopped_) return;
  if (frame.after_gap) forget_gap();
  gint64 indices[kCellKinds];
  for (int kind = 0; kind < kCellKinds; kind++) {
    remember_for_joiners(tracks_[kind], frame.cells[kind]);
    indices[kind] = frame_index(frame.cells[kind]);
    if (indices[kind] >= 0) tracks_[kind].last_index = indices[kind];
  }
  gint64 now = g_get_monotonic_time();
  guint64 sent = 0, dropped = 0, bytes = 0;
  for (auto& [id, client] : clients_) {
    auto& viewer = static_cast<Viewer&>(*client);
    if (viewer.reader || soup_websocket_connection_get_state(viewer.conn) != SOUP_WEBSOCKET_STATE_OPEN) continue;
    const int kind = kind_for(viewer);
    if (kind != viewer.kind) {
      // The stream gained or lost symbol cells: this viewer's INIT, then a sync frame, of the other kind.
      viewer.kind = kind;
      viewer.init_generation = 0;
      viewer.in_sync = false;
      if (viewer.adaptive) request_keyframe();
    }
    const WsForms& forms = frame.cells[kind];
    const Track& track = tracks_[kind];
    const gint64 index = indices[kind];
    const auto type = forms.text ? SOUP_WEBSOCKET_DATA_TEXT : SOUP_WEBSOCKET_DATA_BINARY;
    const bool tagged = viewer.adaptive && !forms.raw_only;
    GBytes* message = tagged ? forms.adaptive : forms.raw;
    if (!message) {  // the form this viewer wants was not made for this frame (it just joined)
      if (tagged) viewer.in_sync = false;
      viewer.frames_dropped++;
      dropped++;
      continue;
    }
    // An adaptive viewer that missed a frame cannot apply a DELTA: it waits for a sync frame.
    // libsoup queues without limit; skipping while the kernel buffer is full bounds each viewer to
    // that buffer plus the one message libsoup is part way through.
    const bool waits_for_sync = tagged && !forms.sync && !viewer.in_sync;
    const bool skips = !tagged && viewer.skip_frames > 0 && viewer.skip_frames--;
    if (waits_for_sync || skips || !writable(viewer, now)) {
      if (tagged) viewer.in_sync = false;
      viewer.frames_dropped++;
      dropped++;
      continue;
    }
    if (track.init && viewer.init_generation != track.init_generation) send_init(viewer, index);
    if (!send(viewer, type, message)) {
      viewer.frames_dropped++;
      dropped++;
      continue;
    }
    if (tagged && forms.sync) viewer.in_sync = true;
    const gsize size = g_bytes_get_size(message);
    viewer.last_index = index;
    viewer.frames_sent++;
    viewer.bytes_sent += size;
    sent++;
    bytes += size;
  }
  totals_.frames_sent += sent;
  stats_.frames_dropped += dropped;
  totals_.bytes_sent += bytes;
}

void WsHub::check_clients(gint64 now) {
  for (auto& [id, client] : clients_) {
    auto& viewer = static_cast<Viewer&>(*client);
    if (viewer.shutdown_at != 0 && now >= viewer.shutdown_at && viewer.socket) {
      g_socket_shutdown(viewer.socket, TRUE, TRUE, nullptr);  // the close was not answered in time
    }
  }
  if (config_.client_timeout == 0) return;
  const gint64 limit = static_cast<gint64>(config_.client_timeout / GST_USECOND);
  for (auto& [id, client] : clients_) {
    auto& viewer = static_cast<Viewer&>(*client);
    if (viewer.unwritable_since == 0 || writable(viewer, now)) continue;
    if (now - viewer.unwritable_since > limit &&
        soup_websocket_connection_get_state(viewer.conn) == SOUP_WEBSOCKET_STATE_OPEN) {
      GST_INFO("viewer %" G_GUINT64_FORMAT " has read nothing for too long: disconnecting", id);
      disconnect(viewer, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "not reading", true);
    }
  }
}

void WsHub::add_stats(const Client& client, GstStructure* stats) const {
  const auto& viewer = static_cast<const Viewer&>(client);
  gst_structure_set(stats, "origin", G_TYPE_STRING, viewer.origin.c_str(), "codec", G_TYPE_STRING,
                    viewer.adaptive ? "adaptive" : "raw", "cells", G_TYPE_STRING,
                    viewer.kind == kSymbolCells ? "symbol" : "asciline", "buffer-depth", G_TYPE_INT64,
                    viewer.buffer_depth, "reports", G_TYPE_UINT64, viewer.reports, nullptr);
}

void WsHub::close_client(Client& client) {
  auto& viewer = static_cast<Viewer&>(client);
  if (viewer.message_handler) g_signal_handler_disconnect(viewer.conn, viewer.message_handler);
  viewer.message_handler = 0;
  disconnect(viewer, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping", true);
}

void WsHub::on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer ref) {
  auto [self, viewer] = resolve<Viewer>(ref);
  if (!viewer) return;
  const gint64 now = g_get_monotonic_time();
  if (now - viewer->rate_window > G_TIME_SPAN_SECOND) {
    viewer->rate_window = now;
    viewer->rate_count = 0;
  }
  auto* hub = static_cast<WsHub*>(self.get());
  if (++viewer->rate_count > kMaxMessagesPerSecond) {
    hub->strike(*viewer, "too many messages");
  } else if (type != SOUP_WEBSOCKET_DATA_TEXT) {
    hub->strike(*viewer, "binary message");
  } else {
    hub->handle_control(*viewer, message);
  }
}

// A control message, `{"type": "pause", "paused": true}` and the like, goes to the owner as
// "control" with the client id, the type, the JSON text and each scalar member. A buffer report is
// kept as the viewer's statistics instead.
void WsHub::handle_control(Viewer& viewer, GBytes* message) {
  gsize size = 0;
  const auto* text = static_cast<const gchar*>(g_bytes_get_data(message, &size));
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = nullptr;
  if (!json_parser_load_from_data(parser, text, static_cast<gssize>(size), &error)) {
    strike(viewer, "not JSON");
    return;
  }
  JsonNode* root = json_parser_get_root(parser);
  JsonObject* object = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
  const gchar* msg_type = object ? json_object_get_string_member_with_default(object, "type", nullptr) : nullptr;
  if (!msg_type || !valid_field_name(msg_type)) {
    strike(viewer, "no \"type\"");
    return;
  }
  if (strcmp(msg_type, "buffer") == 0) {
    viewer.reports++;
    viewer.buffer_depth = json_object_get_int_member_with_default(object, "depth", -1);
    resync_if_behind(viewer);
    return;
  }
  if (!store_path_.empty() && !handle_timeshift(viewer, msg_type, object)) return;
  GstStructure* s = gst_structure_new("control", "client-id", G_TYPE_UINT64, viewer.id, "type", G_TYPE_STRING, msg_type,
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
  GST_DEBUG("viewer %" G_GUINT64_FORMAT ": %" GST_PTR_FORMAT, viewer.id, s);
  tell_message(s);
}

// ASCILINE's rule: a viewer of the broadcast whose undecoded backlog stays above kBacklogFrames
// for two reports is falling behind; rather than feed it more, it skips to the next sync frame
// (adaptive: one is asked for now) or, raw, skips the next 0.3 s of frames.
void WsHub::resync_if_behind(Viewer& viewer) {
  if (viewer.buffer_depth <= kBacklogFrames) {
    viewer.backlog_reports = 0;
    return;
  }
  if (++viewer.backlog_reports < 2 || viewer.reader) return;
  viewer.backlog_reports = 0;
  stats_.resyncs++;
  GST_INFO("viewer %" G_GUINT64_FORMAT " is %" G_GINT64_FORMAT " frames behind: resynchronised", viewer.id,
           viewer.buffer_depth);
  if (viewer.adaptive) {
    viewer.in_sync = false;
    request_keyframe();
  } else {
    const double fps = tracks_[viewer.kind].fps;
    viewer.skip_frames = fps > 0 ? int(fps * 0.3 + 0.5) : 9;
  }
}

void WsHub::strike(Viewer& viewer, const char* why) {
  viewer.strikes++;
  GST_INFO("viewer %" G_GUINT64_FORMAT ": ignored a message (%s), strike %d", viewer.id, why, viewer.strikes);
  if (viewer.strikes == kMaxStrikes) disconnect(viewer, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, why, false);
}

// Closes with |code|. A viewer that reads nothing (|now| true: it timed out, or the server is
// stopping) has its socket shut at once, so it cannot hold the close open; one that still reads gets
// a second to receive the close frame (shutting at once could drop it unsent) before the tick shuts
// it.
void WsHub::disconnect(Viewer& viewer, gushort code, const char* reason, bool now) {
  if (soup_websocket_connection_get_state(viewer.conn) == SOUP_WEBSOCKET_STATE_OPEN) {
    soup_websocket_connection_close(viewer.conn, code, reason);
  }
  if (now) {
    if (viewer.socket) g_socket_shutdown(viewer.socket, TRUE, TRUE, nullptr);
  } else if (viewer.shutdown_at == 0) {
    viewer.shutdown_at = g_get_monotonic_time() + G_TIME_SPAN_SECOND;
  }
}

void WsHub::on_closed(SoupWebsocketConnection* conn, gpointer ref) {
  auto [self, viewer] = resolve<Viewer>(ref);
  if (!viewer) return;
  auto* hub = static_cast<WsHub*>(self.get());
  const guint code = soup_websocket_connection_get_close_code(conn);
  GST_DEBUG("viewer %" G_GUINT64_FORMAT " closed (code %u)", viewer->id, code);
  if (viewer->reader) hub->readers_--;
  if (viewer->adaptive) hub->stats_.adaptive_clients--;
  if (viewer->wants_symbols && !viewer->adaptive) hub->stats_.symbol_raw_clients--;
  GstStructure* gone =
      gst_structure_new("client-disconnected", "client-id", G_TYPE_UINT64, viewer->id, "address", G_TYPE_STRING,
                        viewer->address.c_str(), "close-code", G_TYPE_UINT, code, nullptr);
  hub->remove_client(viewer->id, gone);
}

}  // namespace gstascii
