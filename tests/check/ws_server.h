// A running pipeline ending in websocketsink, for the websocketsink and adaptive-serving tests:
// what the pipeline produced (seen through a tee into an appsink), its bus, its port.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/check/gstcheck.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "gstasciiraii.h"
#include "ws_client.h"

namespace {

const char* kSource =
    "videotestsrc is-live=true pattern=smpte horizontal-speed=2 ! "
    "video/x-raw,format=BGR,width=200,height=84,framerate=30/1 ! asciimap mode=3 ! ascilinepay";

// What the pipeline produced, seen through a tee into an appsink: index -> (running time, bytes).
struct Produced {
  std::mutex mutex;
  std::map<std::uint32_t, std::pair<GstClockTime, std::vector<std::uint8_t>>> frames;
};

// A running pipeline ending in websocketsink name=ws (port 0 unless the description says otherwise).
class Server {
 public:
  explicit Server(const std::string& tail, const std::string& source = kSource) {
    GError* error = nullptr;
    pipeline = gst_parse_launch((source + " ! " + tail).c_str(), &error);
    fail_unless(pipeline != nullptr, "launch: %s", error ? error->message : "");
    sink = gst_bin_get_by_name(GST_BIN(pipeline), "ws");
    GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
    if (out) {
      GstAppSinkCallbacks cb = {};
      cb.new_sample = [](GstAppSink* s, gpointer data) -> GstFlowReturn {
        auto* produced = static_cast<Produced*>(data);
        GstSample* sample = gst_app_sink_pull_sample(s);
        GstBuffer* buf = gst_sample_get_buffer(sample);
        GstSegment* seg = gst_sample_get_segment(sample);
        if (!GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER)) {
          gstascii::MappedBuffer map(buf, GST_MAP_READ);
          const guint8* d = map.info.data;
          std::uint32_t index = d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3];
          std::lock_guard<std::mutex> lock(produced->mutex);
          produced->frames[index] = {gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf)),
                                     {d, d + map.info.size}};
        }
        gst_sample_unref(sample);
        return GST_FLOW_OK;
      };
      gst_app_sink_set_callbacks(GST_APP_SINK(out), &cb, &produced, nullptr);
      gst_object_unref(out);
    }
    start_result = gst_element_set_state(pipeline, GST_STATE_PLAYING);
    g_object_get(sink, "port", &port, nullptr);
  }
  ~Server() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
  }
  std::string url(const std::string& path = "/ws") const { return "ws://127.0.0.1:" + std::to_string(port) + path; }
  guint64 u64(const char* prop) const {
    guint64 v = 0;
    g_object_get(sink, prop, &v, nullptr);
    return v;
  }
  guint clients() const {
    guint v = 0;
    g_object_get(sink, "clients", &v, nullptr);
    return v;
  }
  // The next element message named |name| on the bus, within |timeout_ms|.
  GstStructure* next_message(const char* name, int timeout_ms) {
    GstBus* bus = gst_element_get_bus(pipeline);
    GstStructure* found = next_element_message(bus, name, timeout_ms);
    gst_object_unref(bus);
    return found;
  }

  GstElement* pipeline = nullptr;
  GstElement* sink = nullptr;
  guint port = 0;
  GstStateChangeReturn start_result;
  Produced produced;
};

// How long a batch of viewers may take to connect: a deadline, not a speed target (a sanitizer
// build on a busy machine has taken over 10 s for twenty).
constexpr int kConnectDeadlineMs = 30000;

inline bool all_connected(ClientLoop& loop) {
  for (auto& c : loop.clients())
    if (!c->conn && !c->failed) return false;
  return true;
}

}  // namespace
