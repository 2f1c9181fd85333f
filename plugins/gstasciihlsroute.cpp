// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstasciihlsroute.h"

#include <gst/gst.h>

#include <cstring>

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

void handle(const std::string& prefix, SharedSegmentStore& shared, SoupServerMessage* msg) {
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
    const Segment* segment = store->by_sequence(track, sequence);
    if (!segment || store->segment_path(track, sequence) != name) break;
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
  route.on_request = [path, shared](SoupServerMessage* msg) { handle(path, *shared, msg); };
  bool added = false;
  server->run_sync([&] { added = server->add_route(path, std::move(route), error); });
  if (added) GST_INFO("serving HLS at %s on port %u", path.c_str(), server->port());
  return added;
}

}  // namespace gstascii
