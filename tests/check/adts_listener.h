// A raw-socket HTTP listener of an ADTS stream (adtsmux-out's /audio), and checks that what it
// received is valid ADTS that GStreamer's own AAC decoder decodes.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "adts.h"
#include "http_listener.h"
#include "test_util.h"

// Splits |body| into ADTS frames; fails the test unless it is nothing but whole, valid frames at
// |rate| Hz with |channels| channels (0: any).
inline std::vector<std::vector<uint8_t>> adts_frames(const std::vector<uint8_t>& body, const char* who, int rate,
                                                     int channels) {
  std::vector<std::vector<uint8_t>> frames;
  size_t pos = 0;
  while (pos < body.size()) {
    gstascii::adts::Header h;
    fail_unless(gstascii::adts::parse_header(body.data() + pos, body.size() - pos, &h),
                "%s: no ADTS header at byte %zu of %zu", who, pos, body.size());
    fail_unless(pos + h.frame_length <= body.size(), "%s: frame at %zu runs past the body", who, pos);
    if (rate) fail_unless_equals_int(gstascii::adts::sample_rate_for_index(h.sample_rate_index), rate);
    if (channels) fail_unless_equals_int(h.channel_config, channels);
    frames.emplace_back(body.begin() + pos, body.begin() + pos + h.frame_length);
    pos += h.frame_length;
  }
  return frames;
}

// Decodes ADTS bytes with GStreamer's own parser and decoder; returns the samples per channel and
// the RMS level (0..1).
inline std::pair<size_t, double> decode_adts(const std::vector<uint8_t>& adts) {
  g_autofree gchar* path = g_build_filename(g_get_tmp_dir(), "adts-XXXXXX.aac", nullptr);
  int fd = g_mkstemp(path);
  fail_unless(fd >= 0);
  fail_unless(write(fd, adts.data(), adts.size()) == ssize_t(adts.size()));
  close(fd);
  RunResult r =
      run_launch(std::string("filesrc location=") + path +
                 " ! aacparse ! avdec_aac ! audioconvert ! audio/x-raw,format=S16LE,channels=1 ! appsink name=out");
  unlink(path);
  fail_unless(r.error.empty(), "decoding failed: %s", r.error.c_str());
  size_t samples = 0;
  double sum = 0;
  for (const Received& b : r.buffers) {
    const auto* s = reinterpret_cast<const int16_t*>(b.bytes.data());
    for (size_t i = 0; i < b.bytes.size() / 2; i++) sum += double(s[i]) * s[i];
    samples += b.bytes.size() / 2;
  }
  return {samples, samples ? std::sqrt(sum / samples) / 32768.0 : 0.0};
}
