// Helpers for tests that run real pipelines: build from a launch line, feed an appsrc, run to EOS
// (or error) with a deadline, and collect what an appsink named "out" received.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/check/gstcheck.h>

#include <cstdint>
#include <cstring>
#include <utility>
#include <functional>
#include <string>
#include <vector>

#include "gstasciicaps.h"
#include "gstasciiraii.h"

struct Received {
  std::vector<std::uint8_t> bytes;
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  bool text = false;
  bool header = false;
  std::string str() const { return std::string(bytes.begin(), bytes.end()); }
};

struct RunResult {
  std::vector<Received> buffers;
  GstCaps* caps = nullptr;  // last caps seen by the appsink (owned)
  std::string error;        // first error message, empty if none
  bool eos = false;
  RunResult() = default;
  RunResult(const RunResult&) = delete;
  RunResult& operator=(const RunResult&) = delete;
  RunResult(RunResult&& o) noexcept
      : buffers(std::move(o.buffers)), caps(o.caps), error(std::move(o.error)), eos(o.eos) {
    o.caps = nullptr;
  }
  RunResult& operator=(RunResult&& o) noexcept {
    std::swap(buffers, o.buffers);
    std::swap(caps, o.caps);
    std::swap(error, o.error);
    std::swap(eos, o.eos);
    return *this;
  }
  ~RunResult() { gst_clear_caps(&caps); }
  // Frames only (INIT headers left out).
  std::vector<const Received*> frames() const {
    std::vector<const Received*> f;
    for (const Received& r : buffers)
      if (!r.header) f.push_back(&r);
    return f;
  }
};

inline Received received_from(GstSample* sample) {
  Received r;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  gstascii::MappedBuffer map(buf, GST_MAP_READ);
  fail_unless(map.ok);
  r.bytes.assign(map.info.data, map.info.data + map.info.size);
  r.pts = GST_BUFFER_PTS(buf);
  r.text = GST_BUFFER_FLAG_IS_SET(buf, GST_ASCILINE_BUFFER_FLAG_TEXT);
  r.header = GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER);
  return r;
}

// Runs |pipeline| (already built) from NULL to EOS or error, within |timeout|. |feed| is called
// once PLAYING is requested, to push buffers into an appsrc. The pipeline is left in NULL.
inline RunResult run_pipeline(GstElement* pipeline, const std::function<void(GstElement*)>& feed = {},
                              GstClockTime timeout = 30 * GST_SECOND) {
  RunResult result;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  fail_unless(sink != nullptr, "pipeline needs an appsink named out");
  g_object_set(sink, "sync", FALSE, "emit-signals", FALSE, "max-buffers", 0, nullptr);
  // A failure to start is reported as an error message on the bus, which is read below.
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  if (feed) feed(pipeline);
  GstBus* bus = gst_element_get_bus(pipeline);
  // Takes what the appsink holds, so a long run does not queue everything there.
  auto drain = [&] {
    while (GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 0)) {
      result.buffers.push_back(received_from(sample));
      if (GstCaps* caps = gst_sample_get_caps(sample)) gst_caps_replace(&result.caps, caps);
      gst_sample_unref(sample);
    }
  };
  const gint64 deadline = g_get_monotonic_time() + gint64(timeout / GST_USECOND);
  while (g_get_monotonic_time() < deadline) {
    drain();
    GstMessage* msg =
        gst_bus_timed_pop_filtered(bus, 20 * GST_MSECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    if (!msg) continue;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
      GError* err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      result.error = err->message;
      g_error_free(err);
      gst_message_unref(msg);
      break;
    }
    gst_message_unref(msg);
    result.eos = true;
    drain();
    break;
  }
  fail_unless(result.eos || !result.error.empty(), "pipeline neither finished nor failed in time");
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_NULL), GST_STATE_CHANGE_SUCCESS);
  gst_object_unref(bus);
  gst_object_unref(sink);
  return result;
}

inline RunResult run_launch(const std::string& description, const std::function<void(GstElement*)>& feed = {}) {
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr, "cannot build '%s': %s", description.c_str(), error ? error->message : "?");
  RunResult r = run_pipeline(pipeline, feed);
  gst_object_unref(pipeline);
  return r;
}

// Pushes |frames| (each a whole raw frame) into the appsrc named "in", timestamped at |fps|, then EOS.
inline void push_frames(GstElement* pipeline, const std::vector<std::vector<std::uint8_t>>& frames, int fps = 30) {
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  fail_unless(src != nullptr, "pipeline needs an appsrc named in");
  for (std::size_t i = 0; i < frames.size(); ++i) {
    GstBuffer* buf = gst_buffer_new_memdup(frames[i].data(), frames[i].size());
    GST_BUFFER_PTS(buf) = gst_util_uint64_scale(i, GST_SECOND, fps);
    GST_BUFFER_DURATION(buf) = gst_util_uint64_scale(1, GST_SECOND, fps);
    fail_unless_equals_int(gst_app_src_push_buffer(GST_APP_SRC(src), buf), GST_FLOW_OK);
  }
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  gst_object_unref(src);
}

inline int caps_int(const GstCaps* caps, const char* field) {
  int v = -1;
  fail_unless(caps != nullptr);
  fail_unless(gst_structure_get_int(gst_caps_get_structure(caps, 0), field, &v), "caps lack %s", field);
  return v;
}
