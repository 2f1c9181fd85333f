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
// ... and how many it needs before anything can be called a jump (a stream's first pictures, or
// the first after a discontinuity, have no past to stand out from).
constexpr std::size_t kMinHistory = 3;
// Mean absolute difference (luma levels) under which pictures count as still: what compression
// noise leaves on an unchanging screen. Slowly moving pictures stay above it.
constexpr double kStillMafd = 2.0;
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
  std::uint64_t sad = 0;
  for (int sy = 0; sy < sh; sy++) {
    const std::uint8_t* cur = luma + std::size_t(sy) * step * stride;
    std::uint8_t* prev = previous_.data() + std::size_t(sy) * sw;
    std::uint32_t row_sad = 0;
    for (int sx = 0; sx < sw; sx++) {
      const std::uint8_t v = cur[sx * step];
      row_sad += std::uint32_t(std::abs(int(v) - int(prev[sx])));
      counts[v >> 3]++;
      prev[sx] = v;
    }
    sad += row_sad;
  }
  // Changed area on block means (8 pixels or 1/160 of the width across): compression noise, which moves
  // single pixels at every keyframe, averages out; a new line of text moves the blocks it covers.
  const int block = std::max(8, width / 160);
  const int bw = width / block, bh = height / block;
  if (block_means_.size() != std::size_t(bw) * bh) block_means_.assign(std::size_t(bw) * bh, 0);
  std::uint64_t changed = 0;
  std::vector<std::uint32_t> sums(bw);
  for (int by = 0; by < bh; by++) {
    std::fill(sums.begin(), sums.end(), 0u);
    for (int y = by * block; y < (by + 1) * block; y++) {
      const std::uint8_t* row = luma + std::size_t(y) * stride;
      for (int bx = 0; bx < bw; bx++) {
        const std::uint8_t* p = row + bx * block;
        std::uint32_t acc = 0;
        for (int k = 0; k < block; k++) acc += p[k];
        sums[bx] += acc;
      }
    }
    std::uint8_t* means = block_means_.data() + std::size_t(by) * bw;
    for (int bx = 0; bx < bw; bx++) {
      const int mean = int(sums[bx] / std::uint32_t(block * block));
      changed += std::abs(mean - int(means[bx])) > config_.pixel_delta;
      means[bx] = std::uint8_t(mean);
    }
  }
  const std::size_t blocks = std::size_t(bw) * bh;
  std::vector<double> histogram(kBins, 0.0);
  for (int b = 0; b < kBins; b++) histogram[b] = samples ? double(counts[b]) / double(samples) : 0.0;
  double mafd = 0.0;
  if (have_previous_ && samples > 0) {
    for (int b = 0; b < kBins; b++) d.histogram += std::fabs(histogram[b] - previous_histogram_[b]);
    d.histogram /= 2;
    mafd = double(sad) / double(samples);
    const double diff = std::fabs(mafd - previous_mafd_);
    d.score = std::clamp(std::min(mafd, diff) / 100.0, 0.0, 1.0);
    d.changed = blocks ? double(changed) / double(blocks) : 0.0;
  }
  previous_histogram_.swap(histogram);

  if (have_previous_) {
    // A jump against the recent past, not a level that steady motion or noise holds.
    const double ratio = config_.jump_ratio;
    const bool has_past = recent_mafd_.size() >= kMinHistory;
    const bool mafd_jumps = has_past && mafd >= ratio * average(recent_mafd_);
    // A screen change comes after a still screen: over the pictures before, hardly any area moved.
    // (Moving pictures keep changing area on every picture; their cuts are the scene score's.)
    const bool changed_after_still =
        has_past && average(recent_changed_) <= config_.change_threshold / 4 && average(recent_mafd_) <= kStillMafd;
    // A histogram jump with a large difference (mafd itself at the scene threshold): a cut whose
    // score was hidden because the picture before was as different from its own predecessor
    // (noise). The large difference keeps out a keyframe sharpening a blurred picture, which
    // moves the histogram but few levels.
    const bool histogram_cut = config_.histogram_threshold > 0 && d.histogram >= config_.histogram_threshold &&
                               has_past && d.histogram >= ratio * average(recent_histogram_) &&
                               mafd / 100.0 >= config_.threshold;
    if ((d.score >= config_.threshold && mafd_jumps) || histogram_cut) {
      d.reason = SceneReason::kScene;
    } else if (config_.change_threshold > 0 && d.changed >= config_.change_threshold && changed_after_still) {
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
