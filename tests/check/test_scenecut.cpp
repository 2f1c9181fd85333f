// Scene frames: the detector (gst/scene_detector.h) on pictures made in the test with cuts at
// known frames, static stretches, screen changes and noise, and the scenecut element in real
// pipelines (messages, times, the buffer meta, a static picture giving a frame every max-interval).
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "scene_detector.h"

using namespace gstascii;
using Picture = std::vector<std::uint8_t>;

namespace {

constexpr int kW = 160, kH = 90;
constexpr double kFps = 30.0;

// A few unlike pictures, each drifting one pixel a frame (steady motion, not cuts).
Picture pattern(int kind, int t) {
  Picture p(kW * kH);
  for (int y = 0; y < kH; y++) {
    for (int x = 0; x < kW; x++) {
      const int u = x + t, v = y;
      int value = 0;
      switch (kind % 5) {
        case 0: value = (u * 255 / kW) & 0xff; break;                                    // gradient
        case 1: value = ((u / 10 + v / 10) % 2) ? 220 : 30; break;                       // checkers
        case 2: value = 128 + int(100 * std::sin(u * 0.2) * std::cos(v * 0.15)); break;  // waves
        case 3: value = (std::hypot(u - 80, v - 45) < 30) ? 240 : 60; break;             // a disc
        case 4: value = ((u / 20) % 2) ? 180 : 90; break;                                // bars
      }
      p[y * kW + x] = std::uint8_t(value);
    }
  }
  return p;
}

// A white slide with lines of "text" (dark blocks); |page| picks the text.
Picture slide(int page) {
  Picture p(kW * kH, 235);
  std::mt19937 rng(page);
  for (int line = 0; line < 6; line++) {
    for (int x = 10; x < 150; x += 6) {
      if (rng() % 3 == 0) continue;
      for (int y = 10 + line * 12; y < 16 + line * 12; y++)
        for (int k = 0; k < 4; k++) p[y * kW + x + k] = 20;
    }
  }
  return p;
}

Picture noise(std::mt19937& rng) {
  Picture p(kW * kH);
  for (auto& v : p) v = std::uint8_t(rng());
  return p;
}

std::vector<int> selected_frames(SceneDetector& det, const std::vector<Picture>& pictures, int first = 0,
                                 std::vector<SceneDecision>* decisions = nullptr) {
  std::vector<int> picked;
  for (std::size_t i = 0; i < pictures.size(); i++) {
    SceneDecision d = det.push(pictures[i].data(), kW, kH, kW, (first + double(i)) / kFps);
    if (d.selected) picked.push_back(first + int(i));
    if (decisions) decisions->push_back(d);
  }
  return picked;
}

}  // namespace

GST_START_TEST(test_score_scale) {
  // ffmpeg's scale: flat 100 -> flat 130 is mafd 30 after a still picture: score 0.30.
  SceneDetector det(SceneConfig{});
  Picture a(kW * kH, 100), b(kW * kH, 130), c(kW * kH, 250);
  det.push(a.data(), kW, kH, kW, 0.0);
  det.push(a.data(), kW, kH, kW, 0.1);
  SceneDecision d = det.push(b.data(), kW, kH, kW, 1.0);
  fail_unless(std::fabs(d.score - 0.30) < 1e-9, "score %.4f", d.score);
  fail_unless(d.changed == 1.0);
  // 130 -> 250: mafd 120, but the change in mafd is 90: min(120, 90) / 100.
  d = det.push(c.data(), kW, kH, kW, 2.0);
  fail_unless(std::fabs(d.score - 0.90) < 1e-9, "score %.4f", d.score);
}
GST_END_TEST;

GST_START_TEST(test_cuts_at_known_frames) {
  // Five patterns, 45 frames each, drifting: cuts at 45, 90, 135, 180 exactly, nothing else.
  std::vector<Picture> pictures;
  for (int k = 0; k < 5; k++)
    for (int t = 0; t < 45; t++) pictures.push_back(pattern(k, t));
  SceneDetector det(SceneConfig{});
  std::vector<SceneDecision> decisions;
  auto picked = selected_frames(det, pictures, 0, &decisions);
  fail_unless(picked == std::vector<int>({45, 90, 135, 180}), "picked %zu frames", picked.size());
  for (int f : picked)
    fail_unless(decisions[f].reason == SceneReason::kScene, "frame %d: %s", f, scene_reason_name(decisions[f].reason));
}
GST_END_TEST;

GST_START_TEST(test_noise_is_not_a_cut) {
  // A pattern, then 90 frames of noise, then the pattern again: the jump into the noise and the one
  // out of it are cuts; the noise itself (scoring high on every frame) is not.
  std::mt19937 rng(1);
  std::vector<Picture> pictures;
  for (int t = 0; t < 30; t++) pictures.push_back(pattern(2, t));
  for (int t = 0; t < 90; t++) pictures.push_back(noise(rng));
  for (int t = 0; t < 30; t++) pictures.push_back(pattern(2, t));
  SceneDetector det(SceneConfig{});
  auto picked = selected_frames(det, pictures);
  fail_unless(picked == std::vector<int>({30, 120}), "picked %zu frames, first %d", picked.size(),
              picked.empty() ? -1 : picked[0]);
}
GST_END_TEST;

GST_START_TEST(test_slide_changes) {
  // Slides: the scene score hardly moves, the changed-pixel measure catches each new page.
  std::vector<Picture> pictures;
  for (int page = 0; page < 4; page++)
    for (int t = 0; t < 60; t++) pictures.push_back(slide(page));
  SceneDetector det(SceneConfig{});
  std::vector<SceneDecision> decisions;
  auto picked = selected_frames(det, pictures, 0, &decisions);
  fail_unless(picked == std::vector<int>({60, 120, 180}), "picked %zu frames", picked.size());
  for (int f : picked) {
    fail_unless(decisions[f].reason == SceneReason::kChange);
    fail_unless(decisions[f].score < 0.3, "frame %d has score %.3f", f, decisions[f].score);
  }
  // Without the changed-pixel measure the slides are missed, as with ffmpeg's score alone.
  SceneConfig scene_only;
  scene_only.change_threshold = 0;
  SceneDetector plain(scene_only);
  fail_unless(selected_frames(plain, pictures).empty());
}
GST_END_TEST;

GST_START_TEST(test_max_interval_and_min_gap) {
  // A static picture for 60 s with max-interval 10 s: the first frame and one every 10 s.
  SceneConfig config;
  config.max_interval = 10.0;
  SceneDetector det(config);
  std::vector<Picture> still(1800, pattern(0, 0));
  auto picked = selected_frames(det, still);
  fail_unless(picked == std::vector<int>({0, 300, 600, 900, 1200, 1500}), "picked %zu frames", picked.size());
  // Two cuts 5 frames apart: the second is within min-gap (0.5 s) and dropped.
  std::vector<Picture> quick;
  for (int t = 0; t < 30; t++) quick.push_back(pattern(0, t));
  for (int t = 0; t < 5; t++) quick.push_back(pattern(1, t));
  for (int t = 0; t < 30; t++) quick.push_back(pattern(3, t));
  SceneDetector gap(SceneConfig{});
  picked = selected_frames(gap, quick);
  fail_unless(picked == std::vector<int>({30}), "picked %zu frames", picked.size());
}
GST_END_TEST;

namespace {

struct Picked {
  guint64 frame;
  std::string reason;
  GstClockTime running_time;
  double score;
};

// Runs GRAY8 |pictures| at 30 fps through scenecut (with |props|) into an appsink; returns the
// messages and counts the buffers that carry the meta.
std::vector<Picked> run_scenecut(const std::vector<Picture>& pictures, const std::string& props, int* with_meta) {
  const std::string description =
      "appsrc name=src format=time caps=video/x-raw,format=GRAY8,width=" + std::to_string(kW) +
      ",height=" + std::to_string(kH) + ",framerate=30/1 ! scenecut name=cut " + props +
      " ! appsink name=out sync=false max-buffers=0";
  GstElement* pipeline = gst_parse_launch(description.c_str(), nullptr);
  fail_unless(pipeline != nullptr);
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  for (std::size_t i = 0; i < pictures.size(); i++) {
    GstBuffer* buf = gst_buffer_new_memdup(pictures[i].data(), pictures[i].size());
    GST_BUFFER_PTS(buf) = gst_util_uint64_scale(i, GST_SECOND, 30);
    GST_BUFFER_DURATION(buf) = GST_SECOND / 30;
    gst_app_src_push_buffer(GST_APP_SRC(src), buf);
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  *with_meta = 0;
  while (GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 10 * GST_SECOND)) {
    if (gst_buffer_get_custom_meta(gst_sample_get_buffer(sample), "GstSceneCutMeta")) (*with_meta)++;
    gst_sample_unref(sample);
  }
  std::vector<Picked> picked;
  GstBus* bus = gst_element_get_bus(pipeline);
  while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    const GstStructure* s = gst_message_get_structure(msg);
    if (gst_structure_has_name(s, "scenecut")) {
      Picked p;
      gst_structure_get_uint64(s, "frame", &p.frame);
      gst_structure_get_uint64(s, "running-time", &p.running_time);
      gst_structure_get_double(s, "score", &p.score);
      p.reason = gst_structure_get_string(s, "reason");
      picked.push_back(p);
    }
    gst_message_unref(msg);
  }
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_object_unref(pipeline);
  return picked;
}

}  // namespace

GST_START_TEST(test_element_messages_and_meta) {
  std::vector<Picture> pictures;
  for (int k = 0; k < 4; k++)
    for (int t = 0; t < 40; t++) pictures.push_back(pattern(k, t));
  int with_meta = 0;
  auto picked = run_scenecut(pictures, "max-interval=3000000000", &with_meta);
  // The first frame (max-interval includes it), then the cuts at 40, 80 and 120.
  fail_unless_equals_int(picked.size(), 4);
  fail_unless(picked[0].frame == 0 && picked[0].reason == "first");
  for (int i = 1; i < 4; i++) {
    fail_unless_equals_int(picked[i].frame, guint64(40 * i));
    fail_unless(picked[i].reason == "scene");
    fail_unless(picked[i].running_time == gst_util_uint64_scale(40 * i, GST_SECOND, 30));
    fail_unless(picked[i].score >= 0.3);
  }
  fail_unless_equals_int(with_meta, 4);
}
GST_END_TEST;

GST_START_TEST(test_element_static_and_noise) {
  // 60 s of one picture with max-interval 10 s: six frames. Then videotestsrc's snow for 3 s with
  // no max-interval: nothing picked.
  int with_meta = 0;
  auto picked = run_scenecut(std::vector<Picture>(1800, slide(3)), "max-interval=10000000000", &with_meta);
  fail_unless_equals_int(picked.size(), 6);
  for (std::size_t i = 0; i < picked.size(); i++) {
    fail_unless(picked[i].running_time == i * 10 * GST_SECOND, "frame at %" GST_TIME_FORMAT,
                GST_TIME_ARGS(picked[i].running_time));
  }
  GstElement* pipeline = gst_parse_launch(
      "videotestsrc pattern=snow num-buffers=90 ! video/x-raw,width=320,height=180,framerate=30/1 ! "
      "scenecut name=cut ! fakesink",
      nullptr);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage* eos = gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GST_MESSAGE_EOS);
  fail_unless(eos != nullptr);
  gst_message_unref(eos);
  GstElement* cut = gst_bin_get_by_name(GST_BIN(pipeline), "cut");
  guint64 selected = 99;
  g_object_get(cut, "frames-selected", &selected, nullptr);
  fail_unless_equals_int(selected, 0);
  gst_object_unref(cut);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}
GST_END_TEST;

static Suite* scenecut_suite(void) {
  Suite* s = suite_create("scenecut");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_score_scale);
  tcase_add_test(tc, test_cuts_at_known_frames);
  tcase_add_test(tc, test_noise_is_not_a_cut);
  tcase_add_test(tc, test_slide_changes);
  tcase_add_test(tc, test_max_interval_and_min_gap);
  tcase_add_test(tc, test_element_messages_and_meta);
  tcase_add_test(tc, test_element_static_and_noise);
  return s;
}

GST_CHECK_MAIN(scenecut);
