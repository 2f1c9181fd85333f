// Reading a recorded session folder in tests: its JSON indexes, and whether its segments play.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include <map>
#include <string>

inline JsonArray* load_array(const std::string& path, JsonParser* parser) {
  GError* error = nullptr;
  fail_unless(json_parser_load_from_file(parser, path.c_str(), &error), "%s: %s", path.c_str(),
              error ? error->message : "");
  JsonNode* root = json_parser_get_root(parser);
  fail_unless(JSON_NODE_HOLDS_ARRAY(root), "%s is not an array", path.c_str());
  return json_node_get_array(root);
}

// Decodes one segment file on its own; returns the pictures in it.
inline int decode_segment(const std::string& path) {
  GstElement* pipeline = gst_parse_launch(
      "filesrc name=src ! tsdemux ! h264parse ! avdec_h264 ! fakesink name=out signal-handoffs=true", nullptr);
  GstElement* src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_set(src, "location", path.c_str(), nullptr);
  gst_object_unref(src);
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  int count = 0;
  g_signal_connect(sink, "handoff",
                   G_CALLBACK(+[](GstElement*, GstBuffer*, GstPad*, gpointer d) { (*static_cast<int*>(d))++; }),
                   &count);
  GstBus* bus = gst_element_get_bus(pipeline);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstMessage* msg =
      gst_bus_timed_pop_filtered(bus, 20 * GST_SECOND, GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool ok = msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS;
  if (msg) gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  return ok ? count : -1;
}

// Every JSON file of the session in |dir| parses; after a crash or a full disk too.
inline void expect_valid_json(const std::string& dir) {
  for (const char* json : {"/stream/segments.json", "/frames/index.json"}) {
    g_autoptr(JsonParser) p = json_parser_new();
    load_array(dir + json, p);
  }
  g_autoptr(JsonParser) audio = json_parser_new();
  fail_unless(json_parser_load_from_file(audio, (dir + "/transcript/audio.json").c_str(), nullptr));
}

// Every segment listed in the session in |dir| decodes on its own; returns how many are listed.
inline guint expect_listed_segments_play(const std::string& dir) {
  g_autoptr(JsonParser) parser = json_parser_new();
  JsonArray* segments = load_array(dir + "/stream/segments.json", parser);
  for (guint i = 0; i < json_array_get_length(segments); i++) {
    const char* path = json_object_get_string_member(json_array_get_object_element(segments, i), "path");
    fail_unless(decode_segment(path) > 0, "%s does not play", path);
  }
  return json_array_get_length(segments);
}

// session.jsonl in |dir|: every complete line (one that ends in a newline) is a JSON object
// numbered 1, 2, ... in order, even after kill -9; returns how many of each type.
inline std::map<std::string, int> expect_valid_events(const std::string& dir) {
  g_autofree gchar* text = nullptr;
  gsize size = 0;
  fail_unless(g_file_get_contents((dir + "/session.jsonl").c_str(), &text, &size, nullptr), "no session.jsonl");
  std::map<std::string, int> types;
  gint64 seq = 0;
  for (const char *line = text, *end; (end = strchr(line, '\n')) != nullptr; line = end + 1) {
    const std::string one(line, end);
    g_autoptr(JsonParser) parser = json_parser_new();
    fail_unless(json_parser_load_from_data(parser, one.c_str(), -1, nullptr),
                "session.jsonl line %" G_GINT64_FORMAT " does not parse: %s", seq + 1, one.c_str());
    JsonNode* root = json_parser_get_root(parser);
    fail_unless(JSON_NODE_HOLDS_OBJECT(root));
    JsonObject* event = json_node_get_object(root);
    fail_unless_equals_int(json_object_get_int_member(event, "seq"), ++seq);
    fail_unless(json_object_has_member(event, "time") && json_object_has_member(event, "wall"));
    types[json_object_get_string_member(event, "type")]++;
  }
  return types;
}
