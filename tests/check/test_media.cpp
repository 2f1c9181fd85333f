// ascii-launch on the files people have: each made here by ffmpeg with a real encoder (the codecs,
// containers and shapes of ordinary video, plus broken and misleading files), then played the way
// a user plays it (media_player.h): frames reach a real WebSocket viewer with the grid that keeps
// the picture's shape, sound reaches /audio as ADTS that decodes, or the launcher exits with one
// clear line. Prints a table: each file, time to first frame, grid, outcome.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>

#include <string>
#include <vector>

#include "media_player.h"
#include "temp_dir.h"

namespace {

// A file of the matrix: how ffmpeg makes it and what playing it must give.
struct MediaFile {
  std::string name;
  std::vector<std::string> ffmpeg;  // arguments before the output name
  Expect expect;
  std::vector<std::string> remux = {};  // non-empty: a second pass over the first one's output
};

// 5 s of a moving test picture and of a 440 Hz tone, at the sizes each case names.
std::vector<std::string> picture(const std::string& size, const std::string& rate = "30") {
  return {"-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=" + rate + ":duration=5"};
}
std::vector<std::string> with_tone(std::vector<std::string> args) {
  for (const char* a : {"-f", "lavfi", "-i", "sine=frequency=440:duration=5"}) args.push_back(a);
  return args;
}
std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::vector<std::string> kH264 = {"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"};

std::vector<MediaFile> matrix() {
  return {
      {"h264-aac.mp4",
       with_tone(picture("1280x720")) + kH264 + std::vector<std::string>{"-c:a", "aac"},
       {200, 84, true}},
      {"h264-opus.mkv",
       with_tone(picture("640x360")) + kH264 + std::vector<std::string>{"-c:a", "libopus"},
       {200, 84, true}},
      {"vp9-opus.webm",
       with_tone(picture("640x360")) + std::vector<std::string>{"-c:v", "libvpx-vp9", "-deadline", "realtime",
                                                                "-cpu-used", "8", "-b:v", "500k", "-c:a", "libopus"},
       {200, 84, true}},
      {"hevc.mp4",
       picture("640x360") + std::vector<std::string>{"-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1",
                                                     "-x265-params", "log-level=error"},
       {200, 84, false}},
      {"mpeg4-ac3.avi",
       with_tone(picture("640x480")) + std::vector<std::string>{"-c:v", "mpeg4", "-q:v", "5", "-c:a", "ac3"},
       {149, 84, true}},
      {"h264-aac.ts",
       with_tone(picture("640x360")) + kH264 + std::vector<std::string>{"-c:a", "aac", "-f", "mpegts"},
       {200, 84, true}},
      {"mjpeg.avi", picture("320x240") + std::vector<std::string>{"-c:v", "mjpeg", "-q:v", "5"}, {149, 84, false}},
      {"prores.mov",
       picture("640x360") + std::vector<std::string>{"-c:v", "prores_ks", "-profile:v", "0"},
       {200, 84, false}},
      {"animated.gif",
       picture("320x180", "10") +
           std::vector<std::string>{"-vf", "split[a][b];[a]palettegen[p];[b][p]paletteuse", "-loop", "0"},
       {200, 84, false}},
      {"still.png",
       std::vector<std::string>{"-f", "lavfi", "-i", "testsrc2=size=640x480", "-frames:v", "1"},
       {149, 84, false}},
      {"portrait-phone.mp4",
       with_tone(picture("720x1280")) + kH264 + std::vector<std::string>{"-c:a", "aac"},
       {63, 84, true}},
      // Stored 1280x720, shown turned a quarter (a phone held upright): the rotate tag makes it 9:16.
      // FFmpeg 5.1 writes the tag only when it copies the stream, hence the second pass.
      {"rotate90.mp4", picture("1280x720") + kH264, {63, 84, false}, {"-c", "copy", "-metadata:s:v:0", "rotate=90"}},
      // 720x576 stored, 16:9 shown: pixels 64:45 wide.
      {"anamorphic.mp4",
       picture("720x576", "25") + kH264 + std::vector<std::string>{"-vf", "setsar=64/45"},
       {200, 84, false}},
      // 60 pictures at 30 fps, then 10 fps.
      {"variable-rate.mkv",
       picture("640x360") + kH264 +
           std::vector<std::string>{"-vf", "setpts='if(lt(N,60),N/30,2+(N-60)/10)/TB'", "-fps_mode", "vfr"},
       {200, 84, false}},
      // Interlaced MPEG-2 (top field first), 720x576 shown 4:3.
      {"interlaced-mpeg2.ts",
       picture("720x576", "25") + std::vector<std::string>{"-vf", "tinterlace=interleave_top,fieldorder=tff", "-flags",
                                                           "+ilme+ildct", "-c:v", "mpeg2video", "-q:v", "4", "-aspect",
                                                           "4:3"},
       {149, 84, false}},
      // A WebM that calls itself MP4.
      {"misleading-webm.mp4",
       picture("640x360") +
           std::vector<std::string>{"-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-f", "webm"},
       {200, 84, false}},
      {"sound-only.m4a",
       std::vector<std::string>{"-f", "lavfi", "-i", "sine=frequency=440:duration=5", "-c:a", "aac"},
       {0, 0, false, "sound-only.m4a: it has sound but no picture"}},
  };
}

std::string media_dir;

// Makes every file once for the whole suite (Check forks each test from this state).
void make_media() {
  if (!media_dir.empty()) return;
  g_autofree gchar* dir = g_dir_make_tmp("media-XXXXXX", nullptr);
  media_dir = dir;
  const std::vector<std::string> ffmpeg = {"ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-y"};
  auto run = [](const std::vector<std::string>& args, const std::string& what) {
    ChildProcess process(args);
    const int status = process.wait_exit(120000);
    fail_unless(status == 0, "ffmpeg could not make %s (exit %d): %s", what.c_str(), status, process.output().c_str());
  };
  for (const MediaFile& f : matrix()) {
    const std::string path = media_dir + "/" + f.name;
    if (f.remux.empty()) {
      run(ffmpeg + f.ffmpeg + std::vector<std::string>{path}, f.name);
    } else {
      const std::string first = path + ".pass1" + path.substr(path.rfind('.'));
      run(ffmpeg + f.ffmpeg + std::vector<std::string>{first}, f.name);
      run(ffmpeg + std::vector<std::string>{"-i", first} + f.remux + std::vector<std::string>{path}, f.name);
    }
  }
  // Broken files: the first 100 KB of an MP4 whose index is at its end, and bytes that are no
  // media at all.
  gchar* whole = nullptr;
  gsize size = 0;
  fail_unless(g_file_get_contents((media_dir + "/h264-aac.mp4").c_str(), &whole, &size, nullptr));
  fail_unless(g_file_set_contents((media_dir + "/truncated.mp4").c_str(), whole, 100000, nullptr));
  g_free(whole);
  std::string garbage(200000, '\0');
  for (size_t i = 0; i < garbage.size(); i++) garbage[i] = char((i * 2654435761u) >> 13);
  fail_unless(g_file_set_contents((media_dir + "/garbage.mp4").c_str(), garbage.data(), garbage.size(), nullptr));
}

// Not a TempDir: each test runs in a child process forked from this one, which would remove the
// folder as it exits.
void remove_media() {
  if (!media_dir.empty()) remove_tree(media_dir);
}

}  // namespace

GST_START_TEST(test_every_file_plays_or_says_why) {
  std::vector<Played> table;
  for (const MediaFile& f : matrix()) {
    table.push_back(play_source(f.name, media_dir + "/" + f.name, f.expect));
    print_played(table.back());
  }
  table.push_back(play_source("truncated.mp4", media_dir + "/truncated.mp4", {0, 0, false, "cannot play"}));
  print_played(table.back());
  table.push_back(play_source("garbage.mp4", media_dir + "/garbage.mp4", {0, 0, false, "not a picture or sound"}));
  print_played(table.back());
  table.push_back(play_source("missing.mp4", media_dir + "/missing.mp4", {0, 0, false, "no such file"}));
  print_played(table.back());
}
GST_END_TEST;

// --cols alone derives the rows, --rows alone the columns; both give exactly that grid; a preset
// is the box the picture's shape fits in.
GST_START_TEST(test_grid_options) {
  const std::string clip = media_dir + "/portrait-phone.mp4";
  print_played(play_source("portrait --cols 90", clip, {90, 120, false}, {"--cols", "90", "--no-audio"}));
  print_played(play_source("portrait --rows 42", clip, {32, 42, false}, {"--rows", "42", "--no-audio"}));
  print_played(play_source("portrait --cols 80 --rows 24", clip, {80, 24, false},
                           {"--cols", "80", "--rows", "24", "--no-audio"}));
  print_played(
      play_source("h264-aac.mp4 --preset low", media_dir + "/h264-aac.mp4", {100, 42, true}, {"--preset", "low"}));
  print_played(play_source("mpeg4-ac3.avi --preset med", media_dir + "/mpeg4-ac3.avi", {112, 63, false},
                           {"--preset", "med", "--no-audio"}));
}
GST_END_TEST;

// --loop plays the file again without a break: a viewer of a 5 s (150-frame) file stopped after
// 200 frames sees frame indices past 190, rising across the wrap, and a normal close.
GST_START_TEST(test_loop) {
  ChildProcess launcher(launch_args(media_dir + "/h264-aac.mp4", {"--loop", "--frames", "200", "--no-audio"}), true);
  fail_unless(launcher.wait_for_output("open http://", 20000), "not served: %s", launcher.output().c_str());
  ClientLoop loop;
  WsClient* viewer = loop.connect("ws://127.0.0.1:" + std::to_string(printed_port(launcher.output())) + "/ws");
  loop.run_until([&] { return viewer->failed || viewer->closed; }, 30000);
  fail_unless(viewer->closed && viewer->close_code == SOUP_WEBSOCKET_CLOSE_NORMAL, "closed %d, code %u", viewer->closed,
              viewer->close_code);
  std::uint32_t previous = 0;
  for (const WsMessage& m : viewer->messages) {
    if (m.text) continue;
    fail_unless(m.index() > previous || previous == 0, "index %u after %u", m.index(), previous);
    previous = m.index();
  }
  fail_unless(viewer->last_index >= 190, "the last frame index is %u", viewer->last_index);
  fail_unless_equals_int(launcher.wait_exit(10000), 0);
  Played looped;
  looped.what = "h264-aac.mp4 --loop --frames 200";
  looped.outcome = "plays on past its end: last index " + std::to_string(viewer->last_index) + ", exit 0";
  print_played(looped);
}
GST_END_TEST;

static Suite* media_suite(void) {
  Suite* s = suite_create("media");
  TCase* tc = tcase_create("files");
  suite_add_tcase(s, tc);
  tcase_set_timeout(tc, 600);
  tcase_add_unchecked_fixture(tc, make_media, remove_media);
  tcase_add_test(tc, test_every_file_plays_or_says_why);
  tcase_add_test(tc, test_grid_options);
  tcase_add_test(tc, test_loop);
  return s;
}

GST_CHECK_MAIN(media);
