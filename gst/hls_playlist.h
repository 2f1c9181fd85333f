// gst-ascii core: HLS playlists (RFC 8216 syntax) for the segments of a SegmentStore, so a stream
// can ride on any HTTP cache or CDN: a media playlist per track and a multivariant playlist that
// groups each picture track with the sound. No GStreamer types.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

#include "segment_store.h"

namespace gstascii {

// How a playlist presents the stream.
enum class HlsKind {
  kLive,  // a sliding window (or everything), no playlist type
  kFile,  // a file: EXT-X-PLAYLIST-TYPE EVENT while it is encoded, VOD once it is done
};

// The media playlist of |track| ("cells.m3u8"): its listed segments, EXT-X-ENDLIST once the store
// is finished.
std::string hls_media_playlist(const SegmentStore& store, int track, HlsKind kind);
// The multivariant playlist ("index.m3u8"): each picture track that has segments as a variant,
// with the first sound track that has segments as their audio rendition.
std::string hls_multivariant_playlist(const SegmentStore& store);
// The playlist file names: "index.m3u8", and "<track>.m3u8".
inline constexpr const char* kHlsIndex = "index.m3u8";
std::string hls_playlist_name(const SegmentStore& store, int track);
// Writes every playlist into the store's folder, each atomically. False with |error| set when one
// could not be written.
bool write_hls_playlists(const SegmentStore& store, HlsKind kind, std::string* error);

}  // namespace gstascii
