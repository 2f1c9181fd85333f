// Scene-change detection for the recorder's scene frames: scores each picture against the one
// before it and decides whether it starts something worth keeping. No GStreamer types.
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Two measures, on the luma plane:
// - the scene score of ffmpeg's `select='gt(scene,X)'`, on the same 0..1 scale:
//     mafd = sum |cur - prev| / pixels,  diff = |mafd - previous mafd|,
//     score = clip(min(mafd, diff) / 100, 0, 1)  (0 for the first picture);
//   it finds cuts in camera video (film cuts score about 0.35-0.4) but barely moves for screens;
// - the changed-area fraction: the share of small blocks (8 pixels or 1/160 of the width across) whose
//   mean luma moved by more than pixel_delta. A new slide or a page of text changes a few percent
//   of them while the scene score stays near 0.03; block means ignore the compression noise that
//   moves single pixels at every keyframe of a still picture.
// - the brightness histogram's change: the total variation distance (0..1) between the 32-bin
//   luma histograms of the two pictures. Motion and noise leave it near 0; a cut to a different
//   picture moves it, including a cut out of noise, which the two measures above cannot tell from
//   more noise.
// How they combine: a picture is a cut (reason "scene") when its scene score reaches |threshold|
// and its mafd is |jump_ratio| times its average over the few pictures before (a jump, not
// steady motion or noise, where it stays high every frame), or when its histogram change reaches
// |histogram_threshold|, is |jump_ratio| times its recent average (noise to noise moves the
// histogram by about 0.025, noise to a picture by 0.25) and mafd / 100 itself reaches |threshold|. Otherwise it is a
// screen change (reason "change") when its changed fraction reaches |change_threshold| after a still screen (over the
// few pictures before, less than a quarter of that area changed, and the mean difference stayed
// under 2 luma levels: compression noise, not slow motion). A cut closer than |min_gap|
// to the last selected picture is dropped. And a picture is selected, with reason "interval", when |max_interval| has
// passed since the last one (the first picture of the stream included), so a static screen still yields pictures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace gstascii {

struct SceneConfig {
  double threshold = 0.3;            // scene score (ffmpeg's scale) for a cut
  double change_threshold = 0.02;    // changed-pixel fraction for a screen change; <= 0: not used
  int pixel_delta = 16;              // luma difference that counts a pixel as changed
  double jump_ratio = 2.0;           // a measure must be this many times its recent average
  double histogram_threshold = 0.2;  // histogram change (0..1) that makes a cut; <= 0: not used
  double min_gap = 0.5;              // seconds between selected pictures, at least
  double max_interval = 0.0;         // seconds: select a picture at least this often; 0: never
};

enum class SceneReason { kNone, kFirst, kScene, kChange, kInterval };

const char* scene_reason_name(SceneReason reason);

struct SceneDecision {
  bool selected = false;
  SceneReason reason = SceneReason::kNone;
  double score = 0.0;      // the scene score, 0..1
  double changed = 0.0;    // the changed-pixel fraction, 0..1
  double histogram = 0.0;  // the histogram change, 0..1
};

class SceneDetector {
 public:
  explicit SceneDetector(const SceneConfig& config) : config_(config) {}

  // One picture's luma plane at |time| seconds (any monotonic timeline).
  SceneDecision push(const std::uint8_t* luma, int width, int height, int stride, double time);
  // Forget the past (a discontinuity): the next picture is compared with nothing.
  void reset();
  void set_config(const SceneConfig& config) { config_ = config; }

 private:
  SceneConfig config_;
  std::vector<std::uint8_t> previous_;
  std::vector<double> previous_histogram_;
  std::vector<std::uint8_t> block_means_;
  int width_ = 0, height_ = 0;
  bool have_previous_ = false;
  bool selected_any_ = false;
  double previous_mafd_ = 0.0;
  double last_selected_ = 0.0;
  std::deque<double> recent_mafd_, recent_changed_, recent_histogram_;
};

}  // namespace gstascii
