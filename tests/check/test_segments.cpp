// The segment store and its HLS playlists (gst/segment_store.h, gst/hls_playlist.h): cuts at sync
// frames, tracks that follow the picture's cuts, windows and bounds, atomic files after kill -9
// and a write that fails, and playlists that ffmpeg plays.
// SPDX-License-Identifier: LGPL-2.1-or-later
// (iostreams before gstcheck.h, whose fail() macro would rename their member)
#include <fstream>
#include <sstream>

#include <gst/check/gstcheck.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "adts.h"
#include "child_process.h"
#include "hls_playlist.h"
#include "segment_store.h"
#include "store_cursor.h"
#include "temp_dir.h"

using namespace gstascii;

namespace {

constexpr std::int64_t kFrameNs = kNsPerSecond / 30;
constexpr std::int64_t kWall = 1764525600000000;  // 2025-11-30T18:00:00Z

std::vector<std::uint8_t> bytes_of(const std::string& s) {
  return std::vector<std::uint8_t>(s.begin(), s.end());
}

// A frame message as the adaptive codec writes it: [u32be index][tag][payload].
std::vector<std::uint8_t> frame_message(std::uint32_t index, bool sync) {
  std::vector<std::uint8_t> m = {std::uint8_t(index >> 24), std::uint8_t(index >> 16), std::uint8_t(index >> 8),
                                 std::uint8_t(index), std::uint8_t(sync ? 1 : 2)};
  m.resize(5 + 20 + index % 7, std::uint8_t(index));
  return m;
}

// The messages of a picture segment ([u32be length][message] ...); empty when it does not end
// exactly at the last one.
std::vector<std::vector<std::uint8_t>> split_picture(const std::vector<std::uint8_t>& data) {
  std::vector<std::vector<std::uint8_t>> out;
  std::size_t at = 0;
  while (at + 4 <= data.size()) {
    const std::size_t n =
        std::size_t(data[at]) << 24 | std::size_t(data[at + 1]) << 16 | std::size_t(data[at + 2]) << 8 | data[at + 3];
    if (at + 4 + n > data.size()) return {};
    out.emplace_back(data.begin() + at + 4, data.begin() + at + 4 + n);
    at += 4 + n;
  }
  return at == data.size() ? out : std::vector<std::vector<std::uint8_t>>{};
}

std::uint32_t index_of(const std::vector<std::uint8_t>& m) {
  return std::uint32_t(m[0]) << 24 | std::uint32_t(m[1]) << 16 | std::uint32_t(m[2]) << 8 | m[3];
}

void push_frames(SegmentStore& store, int track, int from, int to, int keyframe_interval = 48) {
  for (int i = from; i < to; i++) {
    const auto m = frame_message(std::uint32_t(i), i % keyframe_interval == 0);
    fail_unless(store.push(track, i * kFrameNs, kFrameNs, m.data(), m.size(), i % keyframe_interval == 0,
                           kWall + i * kFrameNs / 1000));
  }
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

GST_START_TEST(test_picture_segments) {
  // 10 s at 30 fps, a keyframe every 48 frames, target 1 s: segments of 48 frames (1.6 s), each
  // [INIT][sync frame][deltas], numbered from 0; the last is what is left at the end.
  SegmentStore store({}, {{"cells", TrackKind::kPicture}});
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  const auto early = frame_message(0, false);
  fail_unless(
      store.push(0, -kFrameNs, kFrameNs, early.data(), early.size(), false, kWall));  // before a sync frame: dropped
  push_frames(store, 0, 0, 300);
  fail_unless_equals_int(store.segments(0).size(), 6);  // the 7th is still open
  fail_unless(store.finish());
  const auto& segments = store.segments(0);
  fail_unless_equals_int(segments.size(), 7);
  for (std::size_t k = 0; k < segments.size(); k++) {
    const Segment& s = segments[k];
    fail_unless_equals_int64(s.sequence, k);
    fail_unless_equals_int64(s.start_ns, std::int64_t(k) * 48 * kFrameNs);
    const int frames = k < 6 ? 48 : 300 - 288;
    fail_unless_equals_int64(s.duration_ns, frames * kFrameNs);
    const auto messages = split_picture(*store.read(0, s));
    fail_unless_equals_int(messages.size(), frames + 1);
    fail_unless(messages[0] == bytes_of("INIT:30.0:3:4:2:0"));
    fail_unless_equals_int(index_of(messages[1]), k * 48);
    fail_unless_equals_int(messages[1][4], 1);  // a sync frame first
    fail_unless_equals_int(s.frames.size(), frames);
    for (int f = 0; f < frames; f++) {
      fail_unless_equals_int(index_of(messages[f + 1]), k * 48 + f);
      fail_unless_equals_int64(s.frames[f].time_ns, (std::int64_t(k) * 48 + f) * kFrameNs);
      fail_unless_equals_int(s.frames[f].sync, f == 0);
      std::size_t offset = 4;  // after the frame's own length
      for (int m = 0; m <= f; m++) offset += 4 + messages[m].size();
      fail_unless_equals_int(s.frames[f].offset, offset);
    }
  }
  // By time: inside a segment, between none, before the first, after the last.
  fail_unless_equals_int64(store.find(0, 2 * kNsPerSecond)->sequence, 1);
  fail_unless_equals_int64(store.find(0, 0)->sequence, 0);
  fail_unless_equals_int64(store.find(0, -kNsPerSecond)->sequence, 0);
  fail_unless_equals_int64(store.find(0, 60 * kNsPerSecond)->sequence, 6);
  fail_unless_equals_int64(store.by_sequence(0, 3)->start_ns, 3 * 48 * kFrameNs);
  fail_unless(store.by_sequence(0, 7) == nullptr);
}
GST_END_TEST;

GST_START_TEST(test_new_init_cuts) {
  // A new INIT (a re-negotiation) ends the segment at the next sync frame, however short, and the
  // next segment starts with it.
  SegmentStoreConfig config;
  config.target_duration_ns = 3 * kNsPerSecond;
  SegmentStore store(config, {{"cells", TrackKind::kPicture}});
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(store, 0, 0, 50);
  store.set_init(0, bytes_of("INIT:30.0:3:8:4:0"));
  push_frames(store, 0, 50, 200);
  store.finish();
  const auto& segments = store.segments(0);
  fail_unless(segments.size() >= 2);
  fail_unless_equals_int64(segments[0].duration_ns, 96 * kFrameNs);  // cut at 96, not at 3 s
  fail_unless(split_picture(*store.read(0, segments[1]))[0] == bytes_of("INIT:30.0:3:8:4:0"));
}
GST_END_TEST;

GST_START_TEST(test_following_tracks) {
  // Symbol cells (keyframes at the same times) and sound (an AAC frame every 1024 / 48000 s) cut
  // where the picture cut, even when the sound runs half a second ahead of the picture.
  SegmentStore store({},
                     {{"cells", TrackKind::kPicture}, {"symbols", TrackKind::kPicture}, {"audio", TrackKind::kSound}});
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  store.set_init(1, bytes_of("INIT:30.0:3:4:2:2"));
  const std::int64_t audio_ns = std::int64_t(1024) * kNsPerSecond / 48000;
  std::int64_t next_audio = 0;
  const std::vector<std::uint8_t> aac(200, 0xAA);
  for (int i = 0; i < 300; i++) {
    for (; next_audio < i * kFrameNs + kNsPerSecond / 2; next_audio += audio_ns) {
      fail_unless(store.push(2, next_audio, audio_ns, aac.data(), aac.size(), true, kWall));
    }
    const auto m = frame_message(std::uint32_t(i), i % 48 == 0);
    fail_unless(store.push(0, i * kFrameNs, kFrameNs, m.data(), m.size(), i % 48 == 0, kWall));
    fail_unless(store.push(1, i * kFrameNs, kFrameNs, m.data(), m.size(), i % 48 == 0, kWall));
  }
  store.finish();
  const auto& cells = store.segments(0);
  const auto& symbols = store.segments(1);
  const auto& audio = store.segments(2);
  fail_unless_equals_int(symbols.size(), cells.size());
  fail_unless_equals_int(audio.size(), cells.size());
  for (std::size_t k = 0; k < cells.size(); k++) {
    fail_unless_equals_int64(symbols[k].sequence, cells[k].sequence);
    fail_unless_equals_int64(symbols[k].start_ns, cells[k].start_ns);
    fail_unless_equals_int64(audio[k].sequence, cells[k].sequence);
    // The sound segment starts with the first frame at or after the cut (the first one at 0).
    fail_unless(audio[k].start_ns >= cells[k].start_ns && audio[k].start_ns < cells[k].start_ns + audio_ns,
                "segment %zu: sound at %" G_GINT64_FORMAT ", picture at %" G_GINT64_FORMAT, k, audio[k].start_ns,
                cells[k].start_ns);
    const auto data = store.read(2, audio[k]);
    const auto id3 = packed_audio_timestamp(audio[k].start_ns);
    fail_unless(std::equal(id3.begin(), id3.end(), data->begin()));
    fail_unless_equals_int((data->size() - id3.size()) % aac.size(), 0);
  }
  // The ID3 tag: "ID3", version 4, a PRIV frame with Apple's owner and a 33-bit 90 kHz time.
  const auto tag = packed_audio_timestamp(2 * kNsPerSecond);
  fail_unless(std::string(tag.begin(), tag.begin() + 3) == "ID3");
  fail_unless(std::string(tag.begin() + 10, tag.begin() + 14) == "PRIV");
  std::uint64_t ts = 0;
  for (std::size_t i = tag.size() - 8; i < tag.size(); i++) ts = ts << 8 | tag[i];
  fail_unless_equals_int(ts, 180000);
}
GST_END_TEST;

GST_START_TEST(test_sound_far_ahead) {
  // A file encoded as fast as it decodes: its sound can run 20 s ahead of a slow picture. With the
  // wait a file gets, the sound is still cut where the picture cuts.
  SegmentStoreConfig config;
  config.max_pending_ns = 120 * kNsPerSecond;
  SegmentStore store(config, {{"cells", TrackKind::kPicture}, {"audio", TrackKind::kSound}});
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  const std::int64_t audio_ns = std::int64_t(1024) * kNsPerSecond / 48000;
  const std::vector<std::uint8_t> aac(100, 0xAA);
  for (std::int64_t t = 0; t < 20 * kNsPerSecond; t += audio_ns) {
    fail_unless(store.push(1, t, audio_ns, aac.data(), aac.size(), true, kWall));
  }
  push_frames(store, 0, 0, 600);
  store.finish();
  fail_unless_equals_int(store.segments(1).size(), store.segments(0).size());
  for (std::size_t k = 0; k < store.segments(0).size(); k++) {
    fail_unless_equals_int64(store.segments(1)[k].sequence, store.segments(0)[k].sequence);
    fail_unless(store.segments(1)[k].duration_ns < 2 * kNsPerSecond, "sound segment %zu lasts %" G_GINT64_FORMAT, k,
                store.segments(1)[k].duration_ns);
  }
}
GST_END_TEST;

GST_START_TEST(test_window_and_memory_bound) {
  SegmentStoreConfig config;
  config.window_ns = 5 * kNsPerSecond;
  SegmentStore windowed(config, {{"cells", TrackKind::kPicture}});
  windowed.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(windowed, 0, 0, 30 * 60);  // a minute
  const auto& kept = windowed.segments(0);
  const Segment& newest = kept.back();
  const std::int64_t newest_end = newest.start_ns + newest.duration_ns;
  fail_unless(kept.front().start_ns + kept.front().duration_ns >= newest_end - config.window_ns);
  fail_unless(kept.front().start_ns < newest_end - config.window_ns + 2 * kNsPerSecond);
  fail_unless(kept.front().sequence > 0);
  fail_unless(windowed.find(0, 0)->sequence == kept.front().sequence);

  SegmentStoreConfig bounded;
  bounded.max_bytes = 20000;
  SegmentStore store(bounded, {{"cells", TrackKind::kPicture}, {"audio", TrackKind::kSound}});
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  const std::vector<std::uint8_t> aac(100, 1);
  std::size_t most = 0;
  for (int i = 0; i < 30 * 60; i++) {
    const auto m = frame_message(std::uint32_t(i), i % 48 == 0);
    store.push(0, i * kFrameNs, kFrameNs, m.data(), m.size(), i % 48 == 0, kWall);
    store.push(1, i * kFrameNs, kFrameNs, aac.data(), aac.size(), true, kWall);
    most = std::max(most, store.memory_bytes());
  }
  fail_unless(most <= bounded.max_bytes, "%zu bytes held", most);
  fail_unless(store.segments(0).front().sequence > 0);
  fail_unless_equals_int64(store.segments(0).front().sequence, store.segments(1).front().sequence);
}
GST_END_TEST;

GST_START_TEST(test_folder_and_kill) {
  TempDir dir("gst-ascii-segments-XXXXXX");
  SegmentStoreConfig config;
  config.directory = dir.path() + "/hls";
  {
    SegmentStore store(config, {{"cells", TrackKind::kPicture}, {"audio", TrackKind::kSound}});
    fail_unless(store.error().empty(), "%s", store.error().c_str());
    store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
    push_frames(store, 0, 0, 200);
    store.finish();
    std::string error;
    fail_unless(write_hls_playlists(store, HlsKind::kFile, &error), "%s", error.c_str());
    fail_unless_equals_int(store.memory_bytes(), 0);
    for (const Segment& s : store.segments(0)) {
      fail_if(s.data);
      const std::string on_disk = read_text(config.directory + "/" + store.segment_path(0, s.sequence));
      fail_unless_equals_int(on_disk.size(), s.bytes);
      fail_unless(!split_picture(std::vector<std::uint8_t>(on_disk.begin(), on_disk.end())).empty());
      fail_unless_equals_int(store.read(0, s)->size(), s.bytes);
    }
    const std::string playlist = read_text(config.directory + "/cells.m3u8");
    fail_unless(playlist.find("cells/00000004.asl") != std::string::npos, "%s", playlist.c_str());
    fail_unless(playlist.find("#EXT-X-ENDLIST") != std::string::npos);
  }

  // A writer killed mid-stream: every segment a playlist lists is whole.
  remove_tree(config.directory);
  const pid_t child = fork();
  if (child == 0) {
    SegmentStore store(config, {{"cells", TrackKind::kPicture}});
    store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
    std::string error;
    for (int i = 0;; i++) {
      std::vector<std::uint8_t> m = frame_message(std::uint32_t(i), i % 48 == 0);
      m.resize(m.size() + 20000, 7);  // big enough that a kill often lands in a write
      store.push(0, i * kFrameNs, kFrameNs, m.data(), m.size(), i % 48 == 0, kWall);
      if (i % 48 == 0) write_hls_playlists(store, HlsKind::kLive, &error);
    }
  }
  const std::string playlist_path = config.directory + "/cells.m3u8";
  const gint64 deadline = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
  while (read_text(playlist_path).find("00000005.asl") == std::string::npos && g_get_monotonic_time() < deadline) {
    g_usleep(2000);
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  const std::string playlist = read_text(playlist_path);
  std::istringstream lines(playlist);
  int listed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const std::string data = read_text(config.directory + "/" + line);
    fail_if(data.empty(), "%s is listed but missing", line.c_str());
    fail_if(split_picture(std::vector<std::uint8_t>(data.begin(), data.end())).empty(), "%s is cut short",
            line.c_str());
    listed++;
  }
  fail_unless(listed >= 5, "%s", playlist.c_str());
}
GST_END_TEST;

GST_START_TEST(test_write_fails) {
  // A folder that takes no more (a file size limit stands in for a full disk): a clear error, and
  // the segment is kept in memory and still listed, so nothing is lost.
  TempDir dir("gst-ascii-segments-XXXXXX");
  const pid_t child = fork();
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{3000, 3000};
    setrlimit(RLIMIT_FSIZE, &limit);
    SegmentStoreConfig config;
    config.directory = dir.path();
    SegmentStore store(config, {{"cells", TrackKind::kPicture}});
    store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
    bool failed = false;
    for (int i = 0; i < 200; i++) {
      std::vector<std::uint8_t> m = frame_message(std::uint32_t(i), i % 48 == 0);
      m.resize(m.size() + 100, 7);
      failed = !store.push(0, i * kFrameNs, kFrameNs, m.data(), m.size(), i % 48 == 0, kWall) || failed;
    }
    const bool said = store.error().find("cannot write") != std::string::npos;
    const bool kept = store.segments(0).size() == 4 && store.segments(0)[0].data && store.memory_bytes() > 0 &&
                      store.read(0, store.segments(0)[0])->size() == store.segments(0)[0].bytes;
    _exit(failed && said && kept ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  fail_unless(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
GST_END_TEST;

GST_START_TEST(test_hls_syntax_and_ffmpeg) {
  // Real AAC from ffmpeg, split into ADTS frames, stored as sound alone: the playlists follow the
  // HLS syntax, and ffmpeg plays the sound playlist (packed audio) for its whole length.
  TempDir dir("gst-ascii-segments-XXXXXX");
  const std::string aac_path = dir.path() + "/tone.aac";
  {
    ChildProcess ffmpeg({"ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-ar", "48000",
                         "-c:a", "aac", "-b:a", "96k", "-f", "adts", aac_path});
    fail_unless_equals_int(ffmpeg.wait_exit(60000), 0);
  }
  const std::string aac = read_text(aac_path);
  adts::Framer framer;
  framer.push(reinterpret_cast<const std::uint8_t*>(aac.data()), aac.size());
  SegmentStoreConfig config;
  config.directory = dir.path() + "/hls";
  SegmentStore store(config, {{"audio", TrackKind::kSound}});
  std::vector<std::uint8_t> frame;
  adts::Header header;
  std::int64_t at = 0;
  int frames = 0;
  while (framer.next(&frame, &header)) {
    const std::int64_t duration = std::int64_t(header.samples()) * kNsPerSecond / 48000;
    fail_unless(store.push(0, at, duration, frame.data(), frame.size(), true, kWall + at / 1000));
    at += duration;
    frames++;
  }
  fail_unless(frames > 250);
  std::string error;
  fail_unless(write_hls_playlists(store, HlsKind::kLive, &error), "%s", error.c_str());
  const std::string live = read_text(config.directory + "/audio.m3u8");
  fail_if(live.find("#EXT-X-ENDLIST") != std::string::npos);
  store.finish();
  fail_unless(write_hls_playlists(store, HlsKind::kFile, &error), "%s", error.c_str());
  const std::string playlist = read_text(config.directory + "/audio.m3u8");
  const char* want[] = {"#EXTM3U\n",
                        "#EXT-X-VERSION:3\n",
                        "#EXT-X-TARGETDURATION:2\n",
                        "#EXT-X-MEDIA-SEQUENCE:0\n",
                        "#EXT-X-PLAYLIST-TYPE:VOD\n",
                        "#EXT-X-PROGRAM-DATE-TIME:2025-11-30T18:00:00.000Z\n",
                        "#EXTINF:1.003,\naudio/00000000.aac\n",
                        "#EXT-X-ENDLIST\n"};
  for (const char* line : want)
    fail_unless(playlist.find(line) != std::string::npos, "no %s in\n%s", line, playlist.c_str());
  const std::string index = read_text(config.directory + "/index.m3u8");
  fail_unless(index.find("#EXT-X-STREAM-INF:BANDWIDTH=") != std::string::npos, "%s", index.c_str());
  fail_unless(index.find("audio.m3u8") != std::string::npos);

  ChildProcess probe({"ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                      config.directory + "/audio.m3u8"});
  fail_unless_equals_int(probe.wait_exit(60000), 0);
  const double seconds = std::atof(probe.output().c_str());
  fail_unless(seconds > 5.8 && seconds < 6.3, "ffprobe: %s", probe.output().c_str());
  ChildProcess decode({"ffmpeg", "-v", "error", "-i", config.directory + "/audio.m3u8", "-f", "null", "-"});
  fail_unless_equals_int(decode.wait_exit(60000), 0);
  fail_unless(decode.output().empty(), "ffmpeg: %s", decode.output().c_str());
}
GST_END_TEST;

// An ADTS frame of |payload| bytes at 48 kHz, stereo.
std::vector<std::uint8_t> adts_frame(std::size_t payload) {
  adts::Header h;
  h.sample_rate_index = 3;  // 48000
  std::vector<std::uint8_t> f(adts::kHeaderSize + payload, 0x21);
  fail_unless(adts::write_header(h, payload, f.data()));
  return f;
}

// Every frame index a cursor reads from |from| on, as far as it can now (INITs skipped).
std::vector<std::uint32_t> read_all(StoreCursor& cursor, const SegmentStore& store) {
  std::vector<std::uint32_t> out;
  while (auto m = cursor.next(store, INT64_MAX)) {
    if (!m->init) out.push_back(index_of(std::vector<std::uint8_t>(m->data(), m->data() + m->size)));
  }
  return out;
}

GST_START_TEST(test_runs_out_of_order) {
  // A file (30 fps, a sync frame a second, so segments of 2 s) whose encoder is moved from 2 s to
  // 10 s for a viewer, runs to its end at 12 s, then is sent back to fill 2-10 s.
  SegmentStoreConfig config;
  config.fill_gaps = true;
  SegmentStore store(config, {{"cells", TrackKind::kPicture}});
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(store, 0, 0, 60, 30);
  // Near the encoder: no move; far ahead: a move there, up to the end.
  fail_if(store.move_for(3 * kNsPerSecond, 3 * kNsPerSecond).has_value());
  auto move = store.move_for(10 * kNsPerSecond, 3 * kNsPerSecond);
  fail_unless(move && move->start_ns == 10 * kNsPerSecond && move->end_ns == kToTheEnd);
  fail_unless(store.begin_run());
  StoreCursor waiting(0);
  fail_if(waiting.seek(store, 10 * kNsPerSecond), "nothing there yet: it waits");
  push_frames(store, 0, 300, 301, 30);
  // A reader waiting a hair before the run's first frame (times rounded to frames) is covered.
  fail_if(store.move_for(300 * kFrameNs - 1, 3 * kNsPerSecond).has_value());
  push_frames(store, 0, 301, 360, 30);
  bool finished = true;
  fail_unless(store.end_run(&finished));
  fail_if(finished, "2-10 s is missing");
  fail_unless(waiting.available(store));
  const auto later = read_all(waiting, store);
  fail_unless(later.size() == 60 && later.front() == 300 && later.back() == 359);

  // Listed in time order; a playlist lists only what follows on from the start.
  fail_unless_equals_int(store.segments(0).size(), 2);
  fail_unless_equals_int(store.listable(0), 1);
  fail_unless(hls_media_playlist(store, 0, HlsKind::kFile).find("00000001.asl") == std::string::npos);
  // A reader from the start stops at the hole, and at a time in it waits.
  StoreCursor from_start(0);
  fail_unless(from_start.seek(store, 0));
  fail_unless_equals_int(read_all(from_start, store).size(), 60);
  StoreCursor in_hole(0);
  fail_if(in_hole.seek(store, 5 * kNsPerSecond));

  // The run ended: the encoder goes to the hole (frames past it, already stored, are dropped).
  move = store.move_for(-1, 3 * kNsPerSecond);
  fail_unless(move && move->start_ns == 60 * kFrameNs && move->end_ns == 300 * kFrameNs);
  fail_unless(store.begin_run());
  push_frames(store, 0, 60, 330, 30);
  fail_unless(store.end_run(&finished));
  fail_unless(finished, "every span is stored");
  fail_unless_equals_int(store.segments(0).size(), 6);
  fail_unless_equals_int(store.listable(0), 6);
  const auto rest = read_all(from_start, store);
  fail_unless(rest.size() == 300 && rest.front() == 60 && rest.back() == 359, "%zu from %u", rest.size(),
              rest.empty() ? 0 : rest.front());
  for (std::size_t i = 1; i < rest.size(); i++) fail_unless_equals_int(rest[i], rest[i - 1] + 1);
  fail_unless(in_hole.available(store));
  fail_unless_equals_int(read_all(in_hole, store).front(), 120);  // the sync frame before 5 s
  std::int64_t previous = -1;
  for (const Segment& seg : store.segments(0)) {
    fail_unless(seg.start_ns > previous);
    previous = seg.start_ns;
  }
  fail_unless(hls_media_playlist(store, 0, HlsKind::kFile).find("#EXT-X-ENDLIST") != std::string::npos);

  // A move to a span with no pictures at all is given up, not asked for again.
  SegmentStore sparse(config, {{"cells", TrackKind::kPicture}});
  sparse.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(sparse, 0, 0, 30, 30);
  fail_unless(sparse.move_for(20 * kNsPerSecond, kNsPerSecond).has_value());
  fail_unless(sparse.begin_run());
  push_frames(sparse, 0, 600, 630, 30);
  fail_unless(sparse.end_run(&finished) && !finished);
  move = sparse.move_for(-1, kNsPerSecond);
  fail_unless(move && move->start_ns == 30 * kFrameNs && move->end_ns == 600 * kFrameNs);
  fail_unless(sparse.begin_run());
  fail_unless(sparse.end_run(&finished));
  fail_unless(finished, "the empty span is given up");
}
GST_END_TEST;

GST_START_TEST(test_cursor_pictures) {
  // Segments cut at keyframes every 48 frames (1.6 s): 0, 48, 96 ...
  SegmentStore store({}, {{"cells", TrackKind::kPicture}});
  StoreCursor early(0);
  fail_if(early.seek(store, 0), "nothing is listed yet");
  fail_if(early.next(store, INT64_MAX).has_value());
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(store, 0, 0, 300);

  // A seek to frame 75 (2.5 s) starts at the segment's INIT and sync frame, 48; frames up to 75
  // are due at once, 76 is not.
  StoreCursor cursor(0);
  fail_unless(cursor.seek(store, 75 * kFrameNs));
  auto init = cursor.next(store, 75 * kFrameNs);
  fail_unless(init && init->init);
  fail_unless(std::string(init->data(), init->data() + init->size) == "INIT:30.0:3:4:2:0");
  for (std::uint32_t i = 48; i <= 75; i++) {
    auto m = cursor.next(store, 75 * kFrameNs);
    fail_unless(m && !m->init, "frame %u missing", i);
    fail_unless_equals_int(index_of(std::vector<std::uint8_t>(m->data(), m->data() + m->size)), i);
    fail_unless(std::vector<std::uint8_t>(m->data(), m->data() + m->size) == frame_message(i, i % 48 == 0));
    fail_unless_equals_int64(m->time_ns, i * kFrameNs);
  }
  fail_if(cursor.next(store, 75 * kFrameNs).has_value(), "frame 76 is not due");
  fail_unless_equals_int64(cursor.position_ns(), 76 * kFrameNs);
  // On through the segments to the last one listed: no INIT again (it did not change).
  std::uint32_t expected = 76;
  while (auto m = cursor.next(store, INT64_MAX)) {
    fail_if(m->init);
    fail_unless_equals_int(index_of(std::vector<std::uint8_t>(m->data(), m->data() + m->size)), expected++);
  }
  fail_unless_equals_int(expected, 288);  // the open segment (288..) is not listed yet
  fail_if(cursor.ended(store));
  store.finish();
  while (auto m = cursor.next(store, INT64_MAX)) expected++;
  fail_unless_equals_int(expected, 300);
  fail_unless(cursor.ended(store));

  // The open segment, readable while it grows (low-latency HLS): its bytes so far are the start
  // of what it is once listed.
  SegmentStore growing({}, {{"cells", TrackKind::kPicture}});
  growing.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(growing, 0, 0, 100);  // listed: 0 (0-47), 1 (48-95); open: 2 (96-)
  fail_unless_equals_int64(growing.open_sequence(0), 2);
  std::vector<std::uint8_t> so_far;
  fail_unless(growing.open_bytes(0, 2, 0, &so_far));
  fail_if(growing.open_bytes(0, 1, 0, &so_far), "listed: not open");
  fail_if(growing.open_bytes(0, 3, 0, &so_far), "not begun");
  const std::size_t first_part = so_far.size();
  push_frames(growing, 0, 100, 140);                           // (the next keyframe, 144, would end it)
  fail_unless(growing.open_bytes(0, 2, first_part, &so_far));  // only what is new
  growing.finish();
  const auto whole = growing.read(0, *growing.by_sequence(0, 2));
  fail_unless(so_far.size() == whole->size() && std::equal(so_far.begin(), so_far.end(), whole->begin()));
  fail_unless_equals_int64(growing.open_sequence(0), 3);

  // A time not listed yet (the segment being written, or a file not encoded that far): the cursor
  // waits for it rather than start earlier, then starts at the segment that holds it.
  SegmentStore ahead({}, {{"cells", TrackKind::kPicture}});
  ahead.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(ahead, 0, 0, 100);
  StoreCursor waiting(0);
  fail_if(waiting.seek(ahead, 98 * kFrameNs), "frame 98 is in the open segment");
  fail_if(waiting.available(ahead));
  fail_if(waiting.next(ahead, INT64_MAX).has_value());
  push_frames(ahead, 0, 100, 150);  // 144 ends segment 2 (96-143)
  fail_unless(waiting.available(ahead));
  fail_unless(waiting.next(ahead, INT64_MAX)->init);
  auto from = waiting.next(ahead, INT64_MAX);
  fail_unless_equals_int(index_of(std::vector<std::uint8_t>(from->data(), from->data() + from->size)), 96);

  // A changed INIT comes before the first frame that needs it, and not before that frame is due.
  SegmentStore changed({}, {{"cells", TrackKind::kPicture}});
  changed.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(changed, 0, 0, 96);
  changed.set_init(0, bytes_of("INIT:30.0:3:8:4:0"));
  push_frames(changed, 0, 96, 200);
  changed.finish();
  StoreCursor reader(0);
  reader.seek(changed, 0);
  int inits = 0;
  for (std::uint32_t i = 0; i < 200; i++) {
    auto m = reader.next(changed, i * kFrameNs);
    fail_unless(m.has_value());
    if (m->init) {
      inits++;
      fail_unless_equals_int(i, inits == 1 ? 0 : 96);
      m = reader.next(changed, i * kFrameNs);
    }
    fail_unless_equals_int(index_of(std::vector<std::uint8_t>(m->data(), m->data() + m->size)), i);
  }
  fail_unless_equals_int(inits, 2);

  // A live window that slides past a paused reader: it goes on from the oldest segment kept.
  SegmentStoreConfig windowed;
  windowed.window_ns = 5 * kNsPerSecond;
  SegmentStore live(windowed, {{"cells", TrackKind::kPicture}});
  live.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  push_frames(live, 0, 0, 100);
  StoreCursor paused(0);
  fail_unless(paused.seek(live, 0));
  fail_unless(paused.next(live, 0)->init);
  push_frames(live, 0, 100, 900);
  // Not the rest of the segment it held (outside the window too), but the oldest kept.
  auto resumed = paused.next(live, INT64_MAX);
  fail_unless(resumed.has_value() && !resumed->init);
  fail_unless_equals_int64(resumed->time_ns, live.segments(0).front().start_ns);
  std::uint32_t last = 0;
  while (auto m = paused.next(live, INT64_MAX))
    last = index_of(std::vector<std::uint8_t>(m->data(), m->data() + m->size));
  fail_unless(paused.segments_skipped() > 0);
  fail_unless(last >= 800, "read up to frame %u", last);
}
GST_END_TEST;

GST_START_TEST(test_cursor_sound) {
  // Sound every 1024 / 48000 s beside the picture; a reader from 3.0 s gets whole ADTS frames,
  // the first one holding 3.0 s, back to back to the end.
  SegmentStore store({}, {{"cells", TrackKind::kPicture}, {"audio", TrackKind::kSound}});
  store.set_init(0, bytes_of("INIT:30.0:3:4:2:0"));
  const std::int64_t audio_ns = std::int64_t(1024) * kNsPerSecond / 48000;
  std::int64_t next_audio = 0;
  int pushed = 0;
  for (int i = 0; i < 300; i++) {
    for (; next_audio < (i + 1) * kFrameNs; next_audio += audio_ns, pushed++) {
      const auto f = adts_frame(100 + pushed % 50);
      fail_unless(store.push(1, next_audio, audio_ns, f.data(), f.size(), true, kWall));
    }
    const auto m = frame_message(std::uint32_t(i), i % 48 == 0);
    fail_unless(store.push(0, i * kFrameNs, kFrameNs, m.data(), m.size(), i % 48 == 0, kWall));
  }
  store.finish();
  StoreCursor cursor(1);
  fail_unless(cursor.seek(store, 3 * kNsPerSecond));
  auto first = cursor.next(store, 3 * kNsPerSecond);
  fail_unless(first.has_value());
  fail_unless(first->time_ns <= 3 * kNsPerSecond && first->time_ns + audio_ns > 3 * kNsPerSecond,
              "starts at %" G_GINT64_FORMAT, first->time_ns);
  int frames = 0;
  std::int64_t expected_time = first->time_ns;
  for (auto m = first; m; m = cursor.next(store, INT64_MAX)) {
    fail_unless(m->time_ns >= expected_time - 1000 && m->time_ns <= expected_time + 1000);
    for (std::size_t at = 0; at < m->size;) {
      adts::Header h;
      fail_unless(adts::parse_header(m->data() + at, m->size - at, &h));
      at += h.frame_length;
      fail_unless(at <= m->size);
      frames++;
      expected_time += audio_ns;
    }
  }
  fail_unless(cursor.ended(store));
  const int skipped = int(3 * kNsPerSecond / audio_ns);
  fail_unless_equals_int(frames, pushed - skipped);
}
GST_END_TEST;

static Suite* segments_suite() {
  Suite* s = suite_create("segments");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_picture_segments);
  tcase_add_test(tc, test_new_init_cuts);
  tcase_add_test(tc, test_following_tracks);
  tcase_add_test(tc, test_window_and_memory_bound);
  tcase_add_test(tc, test_sound_far_ahead);
  tcase_add_test(tc, test_folder_and_kill);
  tcase_add_test(tc, test_write_fails);
  tcase_add_test(tc, test_hls_syntax_and_ffmpeg);
  tcase_add_test(tc, test_cursor_pictures);
  tcase_add_test(tc, test_runs_out_of_order);
  tcase_add_test(tc, test_cursor_sound);
  return s;
}

GST_CHECK_MAIN(segments);
