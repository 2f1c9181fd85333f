// SPDX-License-Identifier: LGPL-2.1-or-later
#include "hls_playlist.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace gstascii {

namespace {

std::string program_date_time(std::int64_t wall_us) {
  const std::time_t seconds = std::time_t(wall_us / 1000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, int(wall_us / 1000 % 1000));
  return out;
}

// Peak bits per second of a track's segments (at least 1: BANDWIDTH must be positive).
std::uint64_t peak_bandwidth(const SegmentStore& store, int track) {
  std::uint64_t peak = 1;
  for (const Segment& s : store.segments(track)) {
    if (s.duration_ns <= 0) continue;
    peak = std::max(peak, std::uint64_t(double(s.bytes) * 8 * kNsPerSecond / double(s.duration_ns)));
  }
  return peak;
}

bool write_text(const std::string& path, const std::string& text, std::string* error) {
  return write_file_atomically(path, reinterpret_cast<const std::uint8_t*>(text.data()), text.size(), error);
}

}  // namespace

std::string hls_playlist_name(const SegmentStore& store, int track) {
  return store.track_info(track).name + ".m3u8";
}

std::string hls_media_playlist(const SegmentStore& store, int track, HlsKind kind) {
  // A file stored out of order lists what follows on from its start (a playlist only grows at its end).
  const auto& all = store.segments(track);
  const auto listed = all.begin() + std::ptrdiff_t(store.listable(track));
  // The target must hold every segment and must not change while the playlist lives: twice the
  // store's target covers a cut at the first sync frame after it.
  std::int64_t longest = 2 * store.config().target_duration_ns;
  for (auto s = all.begin(); s != listed; ++s) longest = std::max(longest, s->duration_ns);
  const long target = long((longest + kNsPerSecond - 1) / kNsPerSecond);
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(std::max(target, 1L)) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:" + std::to_string(all.empty() ? 0 : all.front().sequence) + "\n";
  if (kind == HlsKind::kFile) out += store.finished() ? "#EXT-X-PLAYLIST-TYPE:VOD\n" : "#EXT-X-PLAYLIST-TYPE:EVENT\n";
  char extinf[48];
  for (auto it = all.begin(); it != listed; ++it) {
    const Segment& s = *it;
    out += "#EXT-X-PROGRAM-DATE-TIME:" + program_date_time(s.wall_start_us) + "\n";
    std::snprintf(extinf, sizeof extinf, "#EXTINF:%.3f,\n", double(s.duration_ns) / kNsPerSecond);
    out += extinf;
    out += store.segment_path(track, s.sequence) + "\n";
  }
  if (store.finished()) out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string hls_multivariant_playlist(const SegmentStore& store) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:3\n";
  int sound = -1;
  for (int i = 0; i < store.track_count() && sound < 0; i++) {
    if (store.track_info(i).kind == TrackKind::kSound && !store.segments(i).empty()) sound = i;
  }
  const std::uint64_t sound_bandwidth = sound < 0 ? 0 : peak_bandwidth(store, sound);
  if (sound >= 0) {
    out += "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"sound\",NAME=\"" + store.track_info(sound).name +
           "\",DEFAULT=YES,AUTOSELECT=YES,URI=\"" + hls_playlist_name(store, sound) + "\"\n";
  }
  for (int i = 0; i < store.track_count(); i++) {
    // A picture track with nothing in it (a stream without symbol cells) is no variant.
    if (store.track_info(i).kind != TrackKind::kPicture || store.segments(i).empty()) continue;
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(peak_bandwidth(store, i) + sound_bandwidth);
    if (sound >= 0) out += ",AUDIO=\"sound\"";
    out += "\n" + hls_playlist_name(store, i) + "\n";
  }
  if (sound >= 0 && out.find("#EXT-X-STREAM-INF") == std::string::npos) {
    // Sound alone: its playlist is the variant.
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(sound_bandwidth) + ",CODECS=\"mp4a.40.2\"\n" +
           hls_playlist_name(store, sound) + "\n";
  }
  return out;
}

bool write_hls_playlists(const SegmentStore& store, HlsKind kind, std::string* error) {
  const std::string& dir = store.config().directory;
  bool ok = true;
  // Media playlists first, so the multivariant one never names a playlist that is not there.
  for (int i = 0; i < store.track_count(); i++) {
    ok = write_text(dir + "/" + hls_playlist_name(store, i), hls_media_playlist(store, i, kind), error) && ok;
  }
  return write_text(dir + "/" + kHlsIndex, hls_multivariant_playlist(store), error) && ok;
}

}  // namespace gstascii
