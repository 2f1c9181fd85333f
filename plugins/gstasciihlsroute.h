// The HTTP side of asciihlssink: a folder route of an HttpServer ("/hls/") that answers the HLS
// playlists and segments of a SegmentStore, with the cache headers a CDN needs.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "gstasciihttpserver.h"
#include "hls_playlist.h"
#include "segment_store.h"

namespace gstascii {

// A store as its writers (streaming threads) and the route (the server thread) share it.
struct SharedSegmentStore {
  std::mutex lock;
  std::unique_ptr<SegmentStore> store;  // under |lock|
  HlsKind kind = HlsKind::kLive;
  // A time a reader waits for that is not stored (a viewer's seek, or a span still to come), for
  // the writer to move the encoder there when it is far (SegmentStore::move_for); -1: none.
  std::int64_t wanted_ns = -1;  // under |lock|
};

// Serves |shared| at |path| (a folder path, ending in '/') of |server|:
//   PATH index.m3u8            the multivariant playlist
//   PATH <track>.m3u8          a media playlist ("cells", "symbols", "audio")
//   PATH <track>/<n>.<ext>     a segment
// Playlists of a stream still being written are cached for a second, everything else for a year.
// Returns false with |error| set when the path is taken. Server thread, or any thread (it hops).
bool add_hls_route(const std::shared_ptr<HttpServer>& server, const std::string& path,
                   std::shared_ptr<SharedSegmentStore> shared, GError** error);

}  // namespace gstascii
