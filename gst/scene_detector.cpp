// SPDX-License-Identifier: LGPL-2.1-or-later
#include "scene_detector.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

namespace gstascii {

namespace {

// How many pictures make the "recent average" a jump is measured against.
constexpr std::size_t kHistory = 5;
constexpr int kBins = 32;

double average(const std::deque<double>& v) {
  return v.empty() ? 0.0 : std::accumulate(v.begin(), v.end(), 0.0) / double(v.size());
}

void remember(std::deque<double>* v, double x) {
  v->push_back(x);
  if (v->size() > kHistory) v->pop_front();
}

}  // namespace

const char* scene_reason_name(SceneReason reason) {
  switch (reason) {
    case SceneReason::kFirst: return "first";
    case SceneReason::kScene: return "scene";
    case SceneReason::kChange: return "change";
    case SceneReason::kInterval: return "interval";
    case SceneReason::kNone: break;
  }
  return "none";
}

void SceneDetector::reset() {
  have_previous_ = false;
  previous_mafd_ = 0.0;
  recent_mafd_.clear();
  recent_changed_.clear();
  recent_histogram_.clear();
}

SceneDecision SceneDetector::push(const std::uint8_t* luma, int width, int height, int stride, double time) {
  SceneDecision d;
  // Measures are averages, so large pictures are sampled on a grid: every |step|-th pixel of every
  // |step|-th row, about 250,000 samples (1080p: step 2, a quarter of the work, same scale).
  const int step = std::max(1, int(std::sqrt(double(width) * height / 250000.0)));
  const int sw = (width + step - 1) / step, sh = (height + step - 1) / step;
  const std::size_t samples = std::size_t(sw) * sh;
  if (width != width_ || height != height_) {
    reset();
    width_ = width;
    height_ = height;
    previous_.assign(samples, 0);
  }
  std::uint32_t counts[kBins] = {};
  std::uint64_t sad = 0, changed = 0;
  const int delta = config_.pixel_delta;
  for (int sy = 0; sy < sh; sy++) {
    const std::uint8_t* cur = luma + std::size_t(sy) * step * stride;
    std::uint8_t* prev = previous_.data() + std::size_t(sy) * sw;
    std::uint32_t row_sad = 0, row_changed = 0;
    for (int sx = 0; sx < sw; sx++) {
      const std::uint8_t v = cur[sx * step];
      const int diff = std::abs(int(v) - int(prev[sx]));
      row_sad += std::uint32_t(diff);
      row_changed += diff > delta;
      counts[v >> 3]++;
      prev[sx] = v;
    }
    sad += row_sad;
    changed += row_changed;
  }
  std::vector<double> histogram(kBins, 0.0);
  for (int b = 0; b < kBins; b++) histogram[b] = samples ? double(counts[b]) / double(samples) : 0.0;
  double mafd = 0.0;
  if (have_previous_ && samples > 0) {
    for (int b = 0; b < kBins; b++) d.histogram += std::fabs(histogram[b] - previous_histogram_[b]);
    d.histogram /= 2;
    mafd = double(sad) / double(samples);
    const double diff = std::fabs(mafd - previous_mafd_);
    d.score = std::clamp(std::min(mafd, diff) / 100.0, 0.0, 1.0);
    d.changed = double(changed) / double(samples);
  }
  previous_histogram_.swap(histogram);

  if (have_previous_) {
    // A jump against the recent past, not a level that steady motion or noise holds. With no past
    // yet (the second picture) nothing can be called a jump.
    const double ratio = config_.jump_ratio;
    const bool mafd_jumps = !recent_mafd_.empty() && mafd >= ratio * average(recent_mafd_);
    const bool changed_jumps = !recent_changed_.empty() && d.changed >= ratio * average(recent_changed_);
    const bool histogram_cut = config_.histogram_threshold > 0 && d.histogram >= config_.histogram_threshold &&
                               !recent_histogram_.empty() && d.histogram >= ratio * average(recent_histogram_);
    if ((d.score >= config_.threshold && mafd_jumps) || histogram_cut) {
      d.reason = SceneReason::kScene;
    } else if (config_.change_threshold > 0 && d.changed >= config_.change_threshold && changed_jumps) {
      d.reason = SceneReason::kChange;
    }
    if (d.reason != SceneReason::kNone && selected_any_ && time - last_selected_ < config_.min_gap) {
      d.reason = SceneReason::kNone;
    }
    remember(&recent_mafd_, mafd);
    remember(&recent_changed_, d.changed);
    remember(&recent_histogram_, d.histogram);
  }
  if (d.reason == SceneReason::kNone) {
    if (!selected_any_ && config_.max_interval > 0) {
      d.reason = SceneReason::kFirst;
    } else if (selected_any_ && config_.max_interval > 0 && time - last_selected_ >= config_.max_interval) {
      d.reason = SceneReason::kInterval;
    }
  }
  previous_mafd_ = mafd;
  have_previous_ = true;
  if (d.reason != SceneReason::kNone) {
    d.selected = true;
    selected_any_ = true;
    last_selected_ = time;
  }
  return d;
}

}  // namespace gstascii
