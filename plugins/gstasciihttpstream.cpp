// SPDX-License-Identifier: LGPL-2.1-or-later
#include "gstasciihttpstream.h"

#include <gio/gio.h>

#include <cmath>
#include <cstring>
#include <utility>

#include "adts.h"
#include "gstasciihttpfiles.h"
#include "gstasciistorereader.h"

GST_DEBUG_CATEGORY_STATIC(ascii_http_stream_debug);
#define GST_CAT_DEFAULT ascii_http_stream_debug

namespace gstascii {

namespace {

// Frames the server thread may have waiting: seconds of audio, so only a stuck server thread
// reaches it.
constexpr int kMaxPendingFrames = 256;
// Listeners of the store are fed this often, this far ahead of their clock.
constexpr guint kPaceIntervalMs = 20;
constexpr gint64 kReadLeadNs = 500 * GST_MSECOND;
constexpr std::size_t kMaxChunksPerPace = 8;
// A new listener's burst: at least this many bytes (what Chromium reads before a plain <audio>
// starts; measured: a 0.5 s burst of a quiet tone started it after 7.7 s, 32 KB after 0.1 s),
// but never more than this many seconds of sound.
constexpr gsize kMinBurstBytes = 32 * 1024;
constexpr double kMaxBurstSeconds = 10;

}  // namespace

struct HttpStreamHub::Listener : ClientHub::Client {
  SoupServerMessage* msg = nullptr;  // our reference
  bool started = false;              // headers set, frames flowing
  bool cut = false;                  // being cut off; waiting for libsoup to finish the message
  guint64 queued = 0;                // body bytes handed to libsoup and not yet written
  gint64 last_progress = 0;          // monotonic µs of the last write (or of the queue becoming non-empty)
  gulong wrote_handler = 0;
  gulong finished_handler = 0;
  std::unique_ptr<StoreReader> reader;  // set for a listener of the store (?start=, or on demand)

  ~Listener() override {
    if (wrote_handler) g_signal_handler_disconnect(msg, wrote_handler);
    if (finished_handler) g_signal_handler_disconnect(msg, finished_handler);
    g_clear_object(&msg);
  }
};

HttpStreamHub::HttpStreamHub(std::shared_ptr<HttpServer> server, HttpStreamConfig config, HubCallbacks callbacks)
    : ClientHub(std::move(server), config, std::move(callbacks), "listener"),
      content_type_(config.content_type),
      start_header_(config.start_header),
      store_path_(config.store_path),
      on_demand_(config.on_demand && !config.store_path.empty()),
      burst_ns_(config.burst_ns) {}

HttpStreamHub::~HttpStreamHub() {
  forget_recent();
}

void HttpStreamHub::forget_recent() {
  for (auto& [frame, time] : recent_) g_bytes_unref(frame);
  recent_.clear();
  recent_bytes_ = 0;
}

std::shared_ptr<HttpStreamHub> HttpStreamHub::start(std::shared_ptr<HttpServer> server, HttpStreamConfig config,
                                                    HubCallbacks callbacks, GError** error) {
  GST_DEBUG_CATEGORY_INIT(ascii_http_stream_debug, "asciihttpstream", 0, "adtsmux-out's HTTP listeners");
  std::shared_ptr<HttpStreamHub> hub(new HttpStreamHub(std::move(server), std::move(config), std::move(callbacks)));
  return hub->ClientHub::start(error) ? hub : nullptr;
}

bool HttpStreamHub::push(GBytes* frame, double timestamp) {
  if (pending_.fetch_add(1) >= kMaxPendingFrames) {
    pending_--;
    lost_frame_ = true;
    return false;
  }
  auto self = std::static_pointer_cast<HttpStreamHub>(shared_from_this());
  g_bytes_ref(frame);
  server_->run_async([self, frame, timestamp] {
    self->pending_--;
    self->broadcast(frame, timestamp);
    g_bytes_unref(frame);
  });
  return true;
}

void HttpStreamHub::discontinuity() {
  auto self = std::static_pointer_cast<HttpStreamHub>(shared_from_this());
  server_->run_async([self] {
    if (self->stopped_) return;
    self->ended_ = false;   // a seek after the end: the stream goes on
    self->forget_recent();  // the kept frames are on the old timeline
    for (auto& [id, client] : self->clients_) {
      auto& listener = static_cast<Listener&>(*client);
      if (listener.started && !listener.reader) self->cut_off(listener, "the timeline restarted");
    }
  });
}

void HttpStreamHub::end_of_stream() {
  auto self = std::static_pointer_cast<HttpStreamHub>(shared_from_this());
  server_->run_async([self] {
    if (self->stopped_) return;
    self->ended_ = true;
    self->forget_recent();
    for (auto& [id, client] : self->clients_) {
      auto& listener = static_cast<Listener&>(*client);
      if (listener.cut || listener.reader) continue;  // listeners of the store read on to its end
      if (!listener.started) {
        soup_server_message_set_status(listener.msg, SOUP_STATUS_NO_CONTENT, nullptr);
      } else {
        soup_message_body_complete(soup_server_message_get_response_body(listener.msg));
      }
      soup_server_message_unpause(listener.msg);
    }
  });
}

void HttpStreamHub::handle_request(SoupServerMessage* msg) {
  SoupMessageHeaders* request = soup_server_message_get_request_headers(msg);
  SoupMessageHeaders* response = soup_server_message_get_response_headers(msg);
  const char* method = soup_server_message_get_method(msg);
  const char* origin = soup_message_headers_get_one(request, "Origin");
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(response, "Allow", "GET, HEAD");
    respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method Not Allowed\n");
    return;
  }
  if (refuse_origin(msg)) return;
  const char* query = g_uri_get_query(soup_server_message_get_uri(msg));
  g_autoptr(GHashTable) params = query ? g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr) : nullptr;
  const char* start = params ? static_cast<const char*>(g_hash_table_lookup(params, "start")) : nullptr;
  // ?burst=0: from the next frame, for a player that keeps the sound in step with a live picture.
  const char* burst = params ? static_cast<const char*>(g_hash_table_lookup(params, "burst")) : nullptr;
  const bool no_burst = burst && g_strcmp0(burst, "0") == 0;
  const bool from_store = !store_path_.empty() && (start || on_demand_);
  if (ended_ && !from_store) {
    respond_text(msg, SOUP_STATUS_NOT_FOUND, "The stream has ended\n");
    return;
  }
  // A page from another origin that may listen may also read when its audio starts.
  if (origin) {
    soup_message_headers_replace(response, "Access-Control-Allow-Origin", origin);
    soup_message_headers_replace(response, "Access-Control-Expose-Headers", start_header_.c_str());
    soup_message_headers_append(response, "Vary", "Origin");
  }
  soup_message_headers_replace(response, "Cache-Control", "no-store");
  if (method == SOUP_METHOD_HEAD) {
    soup_message_headers_replace(response, "Content-Type", content_type_.c_str());
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    return;
  }
  if (refuse_when_full(msg, "Too many listeners\n")) return;
  std::unique_ptr<StoreReader> reader;
  if (from_store) {
    reader = StoreReader::open(find_shared_store(server_.get(), store_path_), "audio");
    if (!reader) {
      respond_text(msg, SOUP_STATUS_NOT_FOUND, "No stored sound\n");
      return;
    }
    double seconds = start ? g_ascii_strtod(start, nullptr) : 0;
    if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
    reader->seek(gint64(seconds * GST_SECOND), g_get_monotonic_time());
    start_pacing(kPaceIntervalMs);
  }

  auto listener = std::make_unique<Listener>();
  listener->reader = std::move(reader);
  // Keep what the kernel holds for a slow listener small, so client-buffer is the real bound.
  init_client(*listener, msg, config_.client_buffer);
  listener->msg = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  // One endless response: chunked, and libsoup must let go of each chunk once written.
  soup_message_headers_set_encoding(response, SOUP_ENCODING_CHUNKED);
  soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
  listener->wrote_handler = g_signal_connect_data(msg, "wrote-body-data", G_CALLBACK(on_wrote_body_data),
                                                  client_ref(listener->id), free_client_ref, GConnectFlags(0));
  listener->finished_handler = g_signal_connect_data(msg, "finished", G_CALLBACK(on_finished), client_ref(listener->id),
                                                     free_client_ref, GConnectFlags(0));
  if (!from_store && !no_burst && !recent_.empty()) {
    // The most recent sound at once, so the listener's player starts now; the start header says
    // where it begins.
    // (No more than client-buffer, less a frame, or the next frame would cut it off as too slow.)
    auto first = recent_.begin();
    gsize bytes = recent_bytes_;
    while (std::next(first) != recent_.end() && bytes + adts::kMaxFrameSize > config_.client_buffer) {
      bytes -= g_bytes_get_size(first->first);
      ++first;
    }
    begin_response(*listener, first->second);
    for (auto it = first; it != recent_.end(); ++it) {
      GBytes* frame = it->first;
      soup_message_body_append_bytes(soup_server_message_get_response_body(msg), frame);
      listener->queued += g_bytes_get_size(frame);
      listener->bytes_sent += g_bytes_get_size(frame);
      listener->frames_sent++;
    }
    listener->last_progress = g_get_monotonic_time();
    totals_.bytes_sent += listener->bytes_sent;
    totals_.frames_sent += listener->frames_sent;
  } else {
    // The headers wait for the first frame: they carry its timestamp.
    soup_server_message_pause(msg);
  }
  GstStructure* details = gst_structure_new("client-connected", "client-id", G_TYPE_UINT64, listener->id, "address",
                                            G_TYPE_STRING, listener->address.c_str(), nullptr);
  add_client(std::move(listener), details);
}

void HttpStreamHub::broadcast(GBytes* frame, double timestamp) {
  if (stopped_ || ended_) return;
  if (lost_frame_.exchange(false)) {
    forget_recent();  // a hole: what was kept no longer leads to this frame
    for (auto& [id, client] : clients_) {
      auto& listener = static_cast<Listener&>(*client);
      if (listener.started && !listener.reader) cut_off(listener, "a frame was lost on the server");
    }
  }
  // Kept for new listeners: the frames of the last burst_ns_, and at least kMinBurstBytes of them
  // (within kMaxBurstSeconds): Chromium starts a plain <audio> only once it has read about 32 KB,
  // which a quiet stream at a low bitrate takes seconds to send.
  if (burst_ns_ > 0) {
    recent_.emplace_back(g_bytes_ref(frame), timestamp);
    recent_bytes_ += g_bytes_get_size(frame);
    while (!recent_.empty()) {
      const double age = timestamp - recent_.front().second;
      const gsize front = g_bytes_get_size(recent_.front().first);
      const bool enough_without = recent_bytes_ - front >= kMinBurstBytes;
      if (age <= double(burst_ns_) / GST_SECOND || (!enough_without && age <= kMaxBurstSeconds)) break;
      recent_bytes_ -= front;
      g_bytes_unref(recent_.front().first);
      recent_.pop_front();
    }
  }
  const gsize size = g_bytes_get_size(frame);
  const gint64 now = g_get_monotonic_time();
  guint64 sent = 0;
  for (auto& [id, client] : clients_) {
    auto& l = static_cast<Listener&>(*client);
    if (l.cut || l.reader) continue;
    // Dropping a frame would leave a hole, after which the listener's audio would no longer match
    // its start timestamp; a listener this far behind is cut off instead and may reconnect.
    if (l.queued + size > config_.client_buffer) {
      cut_off(l, "too slow");
      continue;
    }
    if (!l.started) begin_response(l, timestamp);
    if (l.queued == 0) l.last_progress = now;
    soup_message_body_append_bytes(soup_server_message_get_response_body(l.msg), frame);
    l.queued += size;
    l.frames_sent++;
    l.bytes_sent += size;
    soup_server_message_unpause(l.msg);
    sent++;
  }
  totals_.frames_sent += sent;
  totals_.bytes_sent += sent * size;
}

// The status and headers, once the first frame (at |timestamp| seconds) is known.
void HttpStreamHub::begin_response(Listener& l, double timestamp) {
  l.started = true;
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(l.msg);
  soup_message_headers_replace(headers, "Content-Type", content_type_.c_str());
  gchar start[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(start, sizeof start, "%.6f", timestamp);
  soup_message_headers_replace(headers, start_header_.c_str(), start);
  soup_server_message_set_status(l.msg, SOUP_STATUS_OK, nullptr);
  GST_DEBUG("listener %" G_GUINT64_FORMAT " starts at %s s", l.id, start);
}

// Feeds the listeners of the store: the sound their clock has reached (plus a lead), while what
// waits for them stays within client-buffer; the response ends with the stored stream.
void HttpStreamHub::pace(gint64 now) {
  for (auto& [id, client] : clients_) {
    auto& l = static_cast<Listener&>(*client);
    // A listener that does not read keeps its place: it gets the rest when it reads again.
    if (!l.reader || l.cut || l.queued > config_.client_buffer) continue;
    bool wrote = false;
    for (const StoredMessage& m : l.reader->take(now, kReadLeadNs, kMaxChunksPerPace)) {
      if (!l.started) begin_response(l, double(m.time_ns) / GST_SECOND);
      if (l.queued == 0) l.last_progress = now;
      soup_message_body_append(soup_server_message_get_response_body(l.msg), SOUP_MEMORY_COPY, m.data(), m.size);
      l.queued += m.size;
      l.bytes_sent += m.size;
      totals_.bytes_sent += m.size;
      wrote = true;
    }
    if (l.reader->ended()) {
      l.cut = true;  // finished: nothing more is written
      if (!l.started)
        soup_server_message_set_status(l.msg, SOUP_STATUS_NO_CONTENT, nullptr);
      else
        soup_message_body_complete(soup_server_message_get_response_body(l.msg));
      wrote = true;
    }
    if (wrote) soup_server_message_unpause(l.msg);
  }
}

void HttpStreamHub::on_wrote_body_data(SoupServerMessage*, guint size, gpointer ref) {
  auto [self, l] = resolve<Listener>(ref);
  if (!l) return;
  l->queued = size > l->queued ? 0 : l->queued - size;
  l->last_progress = g_get_monotonic_time();
}

void HttpStreamHub::check_clients(gint64 now) {
  if (config_.client_timeout == 0) return;
  const gint64 limit = static_cast<gint64>(config_.client_timeout / GST_USECOND);
  for (auto& [id, client] : clients_) {
    auto& l = static_cast<Listener&>(*client);
    if (!l.cut && l.queued > 0 && now - l.last_progress > limit) cut_off(l, "read nothing for too long");
  }
}

void HttpStreamHub::add_stats(const Client& client, GstStructure* stats) const {
  gst_structure_set(stats, "queued-bytes", G_TYPE_UINT64, static_cast<const Listener&>(client).queued, nullptr);
}

void HttpStreamHub::close_client(Client& client) {
  cut_off(static_cast<Listener&>(client), "server stopping");
}

// Ends the listener's connection at once: with the socket shut, libsoup's next write (the closing
// chunk, at the latest) fails, so it finishes the message even when the peer reads nothing.
void HttpStreamHub::cut_off(Listener& l, const char* why) {
  if (l.cut) return;
  l.cut = true;
  if (l.started) clients_cut_++;
  GST_INFO("listener %" G_GUINT64_FORMAT ": cut off (%s)", l.id, why);
  if (!l.started) soup_server_message_set_status(l.msg, SOUP_STATUS_SERVICE_UNAVAILABLE, nullptr);
  if (l.socket) g_socket_shutdown(l.socket, TRUE, TRUE, nullptr);
  if (l.started) soup_message_body_complete(soup_server_message_get_response_body(l.msg));
  soup_server_message_unpause(l.msg);
}

void HttpStreamHub::on_finished(SoupServerMessage*, gpointer ref) {
  auto [self, l] = resolve<Listener>(ref);
  if (!l) return;
  GstStructure* gone =
      gst_structure_new("client-disconnected", "client-id", G_TYPE_UINT64, l->id, "address", G_TYPE_STRING,
                        l->address.c_str(), "cut-off", G_TYPE_BOOLEAN, l->cut && l->started, nullptr);
  auto* hub = static_cast<HttpStreamHub*>(self.get());
  // libsoup still uses the message after "finished"; let go of it from the main loop.
  std::shared_ptr<Client> owned = hub->remove_client(l->id, gone);
  hub->server_->run_async([owned] {});
}

}  // namespace gstascii
