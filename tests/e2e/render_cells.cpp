// The browser test's reference picture: one frame of symbol cells (a file of cols * rows * 8
// bytes) drawn by asciirender, as RGBA bytes in another file. Built with the project, so a
// sanitizer build checks asciirender here too.
//
//   render-cells CELLS COLS ROWS MODE CELL_WIDTH CELL_HEIGHT OUT
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s CELLS COLS ROWS MODE CELL_WIDTH CELL_HEIGHT OUT\n", argv[0]);
    return 2;
  }
  const int cols = std::atoi(argv[2]), rows = std::atoi(argv[3]), mode = std::atoi(argv[4]);
  const int cell_w = std::atoi(argv[5]), cell_h = std::atoi(argv[6]);
  gchar* cells = nullptr;
  gsize size = 0;
  if (!g_file_get_contents(argv[1], &cells, &size, nullptr) || size != gsize(cols) * rows * 8) {
    std::fprintf(stderr, "%s: not %dx%d symbol cells\n", argv[1], cols, rows);
    return 1;
  }
  // symbol+crgb: the symbol cells, then ASCILINE cells asciirender does not read.
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, size + gsize(cols) * rows * 4, nullptr);
  gst_buffer_memset(buffer, 0, 0, gst_buffer_get_size(buffer));
  gst_buffer_fill(buffer, 0, cells, size);
  g_free(cells);
  GST_BUFFER_PTS(buffer) = 0;

  GstElement* pipeline = gst_pipeline_new(nullptr);
  GstElement* src = gst_element_factory_make("appsrc", nullptr);
  GstElement* render = gst_element_factory_make("asciirender", nullptr);
  GstElement* sink = gst_element_factory_make("appsink", nullptr);
  if (!src || !render || !sink) {
    std::fprintf(stderr, "appsrc, asciirender or appsink is missing\n");
    return 1;
  }
  GstCaps* caps = gst_caps_new_simple("application/x-ascii-cells", "cols", G_TYPE_INT, cols, "rows", G_TYPE_INT, rows,
                                      "framerate", GST_TYPE_FRACTION, 30, 1, "mode", G_TYPE_INT, mode, "layout",
                                      G_TYPE_STRING, "symbol+crgb", nullptr);
  g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, nullptr);
  gst_caps_unref(caps);
  g_object_set(render, "cell-width", cell_w, "cell-height", cell_h, nullptr);
  g_object_set(sink, "sync", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), src, render, sink, nullptr);
  gst_element_link_many(src, render, sink, nullptr);
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  gst_app_src_push_buffer(GST_APP_SRC(src), buffer);
  gst_app_src_end_of_stream(GST_APP_SRC(src));
  GstSample* sample = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 30 * GST_SECOND);
  int status = 1;
  if (sample) {
    GstMapInfo map;
    GstBuffer* out = gst_sample_get_buffer(sample);
    if (gst_buffer_map(out, &map, GST_MAP_READ)) {
      status =
          g_file_set_contents(argv[7], reinterpret_cast<const gchar*>(map.data), gssize(map.size), nullptr) ? 0 : 1;
      gst_buffer_unmap(out, &map);
    }
    gst_sample_unref(sample);
  } else {
    std::fprintf(stderr, "asciirender gave no picture\n");
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return status;
}
