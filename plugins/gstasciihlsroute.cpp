// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciihlsroute.h"

#include <gst/gst.h>

#include <cstring>
#include <list>
#include <vector>

#include "gstasciihttpfiles.h"

GST_DEBUG_CATEGORY_STATIC(ascii_hls_route_debug);
#define GST_CAT_DEFAULT ascii_hls_route_debug

namespace gstascii {

namespace {

constexpr const char* kPlaylistType = "application/vnd.apple.mpegurl";
constexpr const char* kLongCache = "public, max-age=31536000, immutable";
constexpr const char* kLiveCache = "public, max-age=1";

// A shared_ptr's bytes as GBytes, without a copy: the GBytes holds the reference.
GBytes* bytes_of(std::shared_ptr<const std::vector<std::uint8_t>> data) {
  auto* held = new std::shared_ptr<const std::vector<std::uint8_t>>(std::move(data));
  return g_bytes_new_with_free_func(
      (*held)->data(), (*held)->size(),
      [](gpointer p) { delete static_cast<std::shared_ptr<const std::vector<std::uint8_t>>*>(p); }, held);
}

void respond(SoupServerMessage* msg, const char* type, const char* cache, GBytes* body) {
  SoupMessageHeaders* headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Cache-Control", cache);
  // Players on other origins (a CDN's, a page's) fetch these with XHR.
  soup_message_headers_replace(headers, "Access-Control-Allow-Origin", "*");
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(msg, type, SOUP_MEMORY_COPY, nullptr, 0);
  soup_message_body_append_bytes(soup_server_message_get_response_body(msg), body);
}

// Low-latency HLS: requests for a picture or sound segment that is still being written, or for
// the one after it, are answered as it grows (chunked), and finished once it is listed. A viewer
// (or a cache) that asks for the next segment as soon as it knows the last one gets each message
// a moment after it is made, not when its segment ends.
class GrowingSegments : public std::enable_shared_from_this<GrowingSegments> {
 public:
  GrowingSegments(std::shared_ptr<HttpServer> server, std::shared_ptr<SharedSegmentStore> shared)
      : server_(std::move(server)), shared_(std::move(shared)) {}

  ~GrowingSegments() {
    if (timer_) {
      g_source_destroy(timer_);
      g_source_unref(timer_);
    }
    for (Waiting& w : waiting_) finish(w, false);
  }

  // Server thread, with the store not locked: answers |msg| as segment |sequence| of |track| grows.
  void add(SoupServerMessage* msg, int track, std::uint64_t sequence, const char* type) {
    waiting_.push_back(
        Waiting{SOUP_SERVER_MESSAGE(g_object_ref(msg)), track, sequence, 0, g_get_monotonic_time(), type});
    Waiting& w = waiting_.back();
    w.finished_handler = g_signal_connect(msg, "finished", G_CALLBACK(on_finished), &w);
    soup_message_headers_set_encoding(soup_server_message_get_response_headers(msg), SOUP_ENCODING_CHUNKED);
    soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
    soup_server_message_pause(msg);
    if (!timer_) {
      auto* held = new std::weak_ptr<GrowingSegments>(shared_from_this());
      timer_ = server_->add_timer(kGrowInterval, on_tick, held,
                                  [](gpointer d) { delete static_cast<std::weak_ptr<GrowingSegments>*>(d); });
    }
    tick();
  }

 private:
  struct Waiting {
    SoupServerMessage* msg;
    int track;
    std::uint64_t sequence;
    std::size_t sent;
    gint64 since;  // monotonic µs of the request
    const char* type;
    gulong finished_handler = 0;
    bool gone = false;  // libsoup finished the message (the client left)
  };
  static constexpr guint kGrowInterval = 20;  // ms

  static void on_finished(SoupServerMessage*, gpointer data) { static_cast<Waiting*>(data)->gone = true; }

  static gboolean on_tick(gpointer data) {
    auto self = static_cast<std::weak_ptr<GrowingSegments>*>(data)->lock();
    if (!self) return G_SOURCE_REMOVE;
    self->tick();
    if (!self->waiting_.empty()) return G_SOURCE_CONTINUE;
    g_source_unref(self->timer_);
    self->timer_ = nullptr;
    return G_SOURCE_REMOVE;
  }

  // Ends |w|'s response: complete when it got its whole segment; 404 when it got nothing; cut off
  // (the connection shut, so no cache keeps half a segment as whole) when the segment was begun
  // and never finished (the stream stopped).
  void finish(Waiting& w, bool complete) {
    if (w.finished_handler) g_signal_handler_disconnect(w.msg, w.finished_handler);
    if (!w.gone) {
      if (complete && w.sent > 0) {
        soup_message_body_complete(soup_server_message_get_response_body(w.msg));
      } else if (w.sent == 0) {
        soup_message_headers_set_encoding(soup_server_message_get_response_headers(w.msg),
                                          SOUP_ENCODING_CONTENT_LENGTH);
        respond_text(w.msg, SOUP_STATUS_NOT_FOUND);
      } else {
        if (GSocket* socket = soup_server_message_get_socket(w.msg)) g_socket_shutdown(socket, TRUE, TRUE, nullptr);
        soup_message_body_complete(soup_server_message_get_response_body(w.msg));
      }
      soup_server_message_unpause(w.msg);
    }
    g_object_unref(w.msg);
  }

  void send(Waiting& w, const std::uint8_t* data, std::size_t size) {
    if (w.sent == 0) {
      SoupMessageHeaders* headers = soup_server_message_get_response_headers(w.msg);
      soup_message_headers_replace(headers, "Cache-Control", kLongCache);
      soup_message_headers_replace(headers, "Access-Control-Allow-Origin", "*");
      soup_message_headers_replace(headers, "Content-Type", w.type);
      soup_server_message_set_status(w.msg, SOUP_STATUS_OK, nullptr);
    }
    soup_message_body_append(soup_server_message_get_response_body(w.msg), SOUP_MEMORY_COPY, data, size);
    w.sent += size;
    soup_server_message_unpause(w.msg);
  }

  void tick() {
    const gint64 now = g_get_monotonic_time();
    std::unique_lock<std::mutex> hold(shared_->lock);
    SegmentStore* store = shared_->store.get();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      Waiting& w = *it;
      bool done = w.gone, complete = false;
      std::vector<std::uint8_t> chunk;
      if (!done && store) {
        if (const Segment* listed = store->by_sequence(w.track, w.sequence)) {
          // Listed: the rest of it (from memory; a folder's copy is the same bytes).
          if (auto data = listed->data ? listed->data : store->read(w.track, *listed)) {
            if (w.sent < data->size()) chunk.assign(data->begin() + std::ptrdiff_t(w.sent), data->end());
          }
          done = complete = true;
        } else if (!store->open_bytes(w.track, w.sequence, w.sent, &chunk)) {
          // Not begun: the next one, waited for a few segments' time at most.
          const std::int64_t patience = 3 * store->config().target_duration_ns / 1000;
          done = store->finished() || w.sequence > store->open_sequence(w.track) + 1 || now - w.since > patience;
        }
      }
      if (!done && !store) done = true;
      if (!chunk.empty() && !w.gone) send(w, chunk.data(), chunk.size());
      if (done) {
        finish(w, complete);
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::shared_ptr<HttpServer> server_;
  std::shared_ptr<SharedSegmentStore> shared_;
  std::list<Waiting> waiting_;  // (a list: the signal handlers hold their entries' addresses)
  GSource* timer_ = nullptr;
};

void handle(const std::string& prefix, SharedSegmentStore& shared, GrowingSegments& growing, SoupServerMessage* msg) {
  const char* method = soup_server_message_get_method(msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "GET, HEAD");
    respond_text(msg, SOUP_STATUS_METHOD_NOT_ALLOWED);
    return;
  }
  const char* path = g_uri_get_path(soup_server_message_get_uri(msg));
  const std::string name = std::strlen(path) > prefix.size() ? path + prefix.size() : "";
  std::unique_lock<std::mutex> hold(shared.lock);
  SegmentStore* store = shared.store.get();
  if (!store) {
    respond_text(msg, SOUP_STATUS_NOT_FOUND, "no stream yet");
    return;
  }
  const char* playlist_cache = store->finished() ? kLongCache : kLiveCache;
  if (name == kHlsIndex) {
    const std::string text = hls_multivariant_playlist(*store);
    g_autoptr(GBytes) body = g_bytes_new(text.data(), text.size());
    respond(msg, kPlaylistType, playlist_cache, body);
    return;
  }
  for (int track = 0; track < store->track_count(); track++) {
    const std::string& track_name = store->track_info(track).name;
    if (name == hls_playlist_name(*store, track)) {
      const std::string text = hls_media_playlist(*store, track, shared.kind);
      g_autoptr(GBytes) body = g_bytes_new(text.data(), text.size());
      respond(msg, kPlaylistType, playlist_cache, body);
      return;
    }
    if (name.compare(0, track_name.size() + 1, track_name + "/") != 0) continue;
    // "<track>/<8 digits>.<ext>", exactly as segment_path() writes it.
    const std::string file = name.substr(track_name.size() + 1);
    guint64 sequence = 0;
    if (file.size() < 10 || !g_ascii_isdigit(file[0]) ||
        !g_ascii_string_to_unsigned(file.substr(0, 8).c_str(), 10, 0, G_MAXUINT64, &sequence, nullptr)) {
      break;
    }
    if (store->segment_path(track, sequence) != name) break;
    const Segment* segment = store->by_sequence(track, sequence);
    if (!segment) {
      // Being written, or next: answered as it grows (GET only; HEAD waits for the listing).
      const std::uint64_t open = store->open_sequence(track);
      if (method != SOUP_METHOD_GET || store->finished() || sequence < open || sequence > open + 1) break;
      const bool picture = store->track_info(track).kind == TrackKind::kPicture;
      hold.unlock();
      growing.add(msg, track, sequence, picture ? "application/octet-stream" : "audio/aac");
      return;
    }
    // Read from the folder without the lock, so the streaming threads never wait on the disk.
    const bool picture = store->track_info(track).kind == TrackKind::kPicture;
    auto data = segment->data;
    const std::string path_on_disk = data ? std::string() : store->config().directory + "/" + name;
    const std::size_t bytes = segment->bytes;
    hold.unlock();
    if (!data) data = read_whole_file(path_on_disk, bytes);
    if (!data) {
      respond_text(msg, SOUP_STATUS_NOT_FOUND);
      return;
    }
    g_autoptr(GBytes) body = bytes_of(std::move(data));
    respond(msg, picture ? "application/octet-stream" : "audio/aac", kLongCache, body);
    return;
  }
  respond_text(msg, SOUP_STATUS_NOT_FOUND);
}

}  // namespace

bool add_hls_route(const std::shared_ptr<HttpServer>& server, const std::string& path,
                   std::shared_ptr<SharedSegmentStore> shared, GError** error) {
  static gsize debug_once = 0;
  if (g_once_init_enter(&debug_once)) {
    GST_DEBUG_CATEGORY_INIT(ascii_hls_route_debug, "asciihlsroute", 0, "HLS playlists and segments over HTTP");
    g_once_init_leave(&debug_once, 1);
  }
  Route route;
  auto growing = std::make_shared<GrowingSegments>(server, shared);
  route.on_request = [path, shared, growing](SoupServerMessage* msg) { handle(path, *shared, *growing, msg); };
  bool added = false;
  server->run_sync([&] { added = server->add_route(path, std::move(route), error); });
  if (added) GST_INFO("serving HLS at %s on port %u", path.c_str(), server->port());
  return added;
}

}  // namespace gstascii
