// Recording in tests: MPEG-TS files made with real encoders, recorded by sessionsink in-process
// (filesrc ! tsdemux ! h264parse ! sessionsink, and aacparse ! sessionsink.audio), with the
// element messages kept in order.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

// Encodes |patterns| (each |frames| pictures of |width| x |height| at 30 fps, one after the other),
// with a 440 Hz tone in AAC when |audio|, as H.264 in MPEG-TS at |path|, as fast as it goes.
inline void make_stream(const std::string& path, const std::vector<std::string>& patterns, int frames, bool audio,
                        int width = 320, int height = 180) {
  std::string description =
      "mpegtsmux name=mux ! filesink name=out "
      "concat name=c ! videoconvert ! openh264enc gop-size=15 ! h264parse ! mux. ";
  for (const auto& p : patterns) {
    description += "videotestsrc pattern=" + p + " num-buffers=" + std::to_string(frames) +
                   " ! video/x-raw,width=" + std::to_string(width) + ",height=" + std::to_string(height) +
                   ",framerate=30/1 ! c. ";
  }
  if (audio) {
    const int buffers = int(std::ceil(patterns.size() * frames / 30.0 * 48000 / 1024));
    description += "audiotestsrc freq=440 volume=0.5 samplesperbuffer=1024 num-buffers=" + std::to_string(buffers) +
                   " ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! avenc_aac ! aacparse ! queue ! mux. ";
  }
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr, "encoder: %s", error ? error->message : "");
  GstElement* out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  g_object_set(out, "location", path.c_str(), nullptr);
  gst_object_unref(out);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 120 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "the test stream could not be made");
  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

// What recording a file gave: the element messages in order, and the sink's counters.
struct Recording {
  std::vector<GstStructure*> segments, frames;  // sessionsink-segment-closed, -frame-saved
  int picked = 0;                               // scenecut's messages: pictures it picked
  std::vector<std::string> warnings;
  std::string error;  // the first error, if any
  guint n_segments = 0, n_frames = 0, n_chunks = 0;
  guint64 dropped = 0;
  ~Recording() {
    for (auto* s : segments) gst_structure_free(s);
    for (auto* s : frames) gst_structure_free(s);
  }
};

// filesrc ! tsdemux ! h264parse ! sessionsink (aacparse ! sessionsink.audio when |audio|), to EOS
// (or, with |stop_after_frames|, stopped without one once that many frames are saved).
// |configure| sets the sink's properties; |ready| runs once the session is open (READY).
inline void record(const std::string& ts, const std::string& location, bool audio, Recording* r,
                   const std::function<void(GstElement*)>& configure = {},
                   const std::function<void(GstElement*)>& ready = {}, std::size_t stop_after_frames = 0) {
  GError* error = nullptr;
  GstElement* pipeline =
      gst_parse_launch(audio ? "filesrc name=in ! tsdemux name=d d. ! queue ! h264parse ! sessionsink name=s "
                               "d. ! queue ! aacparse ! s.audio"
                             : "filesrc name=in ! tsdemux name=d d. ! queue ! h264parse ! sessionsink name=s",
                       &error);
  fail_unless(pipeline != nullptr, "%s", error ? error->message : "");
  GstElement* in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "s");
  g_object_set(in, "location", ts.c_str(), nullptr);
  g_object_set(sink, "location", location.c_str(), nullptr);
  if (configure) configure(sink);
  GstBus* bus = gst_element_get_bus(pipeline);
  if (gst_element_set_state(pipeline, GST_STATE_READY) != GST_STATE_CHANGE_FAILURE) {
    if (ready) ready(sink);
  }
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE) {
    for (;;) {
      GstMessage* msg = gst_bus_timed_pop(bus, 120 * GST_SECOND);
      fail_unless(msg != nullptr, "the recording did not end");
      const GstMessageType type = GST_MESSAGE_TYPE(msg);
      if (type == GST_MESSAGE_ELEMENT) {
        const GstStructure* s = gst_message_get_structure(msg);
        if (gst_structure_has_name(s, "sessionsink-segment-closed")) r->segments.push_back(gst_structure_copy(s));
        if (gst_structure_has_name(s, "sessionsink-frame-saved")) r->frames.push_back(gst_structure_copy(s));
        if (gst_structure_has_name(s, "scenecut")) r->picked++;
      } else if (type == GST_MESSAGE_WARNING) {
        GError* w = nullptr;
        gst_message_parse_warning(msg, &w, nullptr);
        r->warnings.push_back(w->message);
        g_error_free(w);
      }
      const bool done = type == GST_MESSAGE_EOS || type == GST_MESSAGE_ERROR ||
                        (stop_after_frames > 0 && r->frames.size() >= stop_after_frames);
      if (type == GST_MESSAGE_ERROR) {
        GError* e = nullptr;
        gst_message_parse_error(msg, &e, nullptr);
        r->error = e->message;
        g_error_free(e);
      }
      gst_message_unref(msg);
      if (done) break;
    }
  } else {
    GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (msg) {
      GError* e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      r->error = e->message;
      g_error_free(e);
      gst_message_unref(msg);
    }
    if (r->error.empty()) r->error = "(no error message)";
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  g_object_get(sink, "segments", &r->n_segments, "frames", &r->n_frames, "audio-chunks", &r->n_chunks, "frames-dropped",
               &r->dropped, nullptr);
  gst_object_unref(sink);
  gst_object_unref(in);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

inline double dbl(const GstStructure* s, const char* field) {
  double v = 0;
  fail_unless(gst_structure_get_double(s, field, &v), "no %s in %" GST_PTR_FORMAT, field, s);
  return v;
}
