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

struct HttpStreamHub::Listener : EndlessResponseHub::Response {
  std::unique_ptr<StoreReader> reader;  // set for a listener of the store (?start=, or on demand)
};

HttpStreamHub::HttpStreamHub(std::shared_ptr<HttpServer> server, HttpStreamConfig config, HubCallbacks callbacks)
    : EndlessResponseHub(std::move(server), config, std::move(callbacks), "listener"),
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
      if (!listener.reader) self->finish(listener);  // listeners of the store read on to its end
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
  begin_endless(*listener, msg);
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
      append(*listener, it->first);
      listener->frames_sent++;
      totals_.frames_sent++;
    }
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
  guint64 sent = 0;
  for (auto& [id, client] : clients_) {
    auto& l = static_cast<Listener&>(*client);
    if (l.cut || l.finished || l.reader) continue;
    // Dropping a frame would leave a hole, after which the listener's audio would no longer match
    // its start timestamp; a listener this far behind is cut off instead and may reconnect.
    if (l.queued + size > config_.client_buffer) {
      cut_off(l, "too slow");
      continue;
    }
    if (!l.started) begin_response(l, timestamp);
    append(l, frame);
    l.frames_sent++;
    soup_server_message_unpause(l.msg);
    sent++;
  }
  totals_.frames_sent += sent;
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
    if (!l.reader || l.cut || l.finished || l.queued > config_.client_buffer) continue;
    bool wrote = false;
    for (const StoredMessage& m : l.reader->take(now, kReadLeadNs, kMaxChunksPerPace)) {
      if (!l.started) begin_response(l, double(m.time_ns) / GST_SECOND);
      append_copy(l, m.data(), m.size);
      wrote = true;
    }
    if (l.reader->ended()) {
      finish(l);
    } else if (wrote) {
      soup_server_message_unpause(l.msg);
    }
  }
}

}  // namespace gstascii
