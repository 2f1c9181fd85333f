// ascii-launch: plays a video (or a built-in demo) as character-cell art.
//
// This first version draws mode-1 text frames on the terminal; serving to browsers comes with
// websocketsink. The gst-ascii elements are registered inside the program, so it needs no
// GST_PLUGIN_PATH.
// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <glib-unix.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "gstasciielements.h"
#include "gstasciiraii.h"
#include "palette.h"

namespace {

struct Options {
  int cols = 80;
  int rows = 24;
  int fps = 15;
  int frames = 0;  // 0 = until the end or Ctrl-C
  gchar* palette = nullptr;
  gboolean version = FALSE;
  gchar** args = nullptr;
};

struct App {
  GMainLoop* loop = nullptr;
  GstElement* pipeline = nullptr;
  int frames_left = 0;
  bool limited = false;
  int exit_code = 0;
  bool tty = false;
};

// A command-line argument becomes a URI: "clip.mp4" -> file:///abs/clip.mp4.
std::string to_uri(const char* arg, GError** error) {
  if (gst_uri_is_valid(arg)) return arg;
  if (!g_file_test(arg, G_FILE_TEST_EXISTS)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no such file: %s", arg);
    return {};
  }
  g_autofree gchar* uri = gst_filename_to_uri(arg, error);
  return uri ? uri : "";
}

GstFlowReturn on_sample(GstAppSink* sink, gpointer data) {
  auto* app = static_cast<App*>(data);
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER)) return GST_FLOW_OK;  // INIT
  if (app->limited && app->frames_left <= 0) return GST_FLOW_OK;                // EOS on its way
  gstascii::MappedBuffer map(buf, GST_MAP_READ);
  if (!map.ok) return GST_FLOW_ERROR;
  // Drop the frame-index line; the rest is the picture.
  const char* text = reinterpret_cast<const char*>(map.info.data);
  const char* body = static_cast<const char*>(memchr(text, '\n', map.info.size));
  if (body) {
    body++;
    if (app->tty) fputs("\x1b[H", stdout);
    fwrite(body, 1, map.info.size - (body - text), stdout);
    fputc('\n', stdout);
    fflush(stdout);
  }
  if (app->limited && --app->frames_left == 0) {
    gst_element_send_event(app->pipeline, gst_event_new_eos());
  }
  return GST_FLOW_OK;
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* app = static_cast<App*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS: g_main_loop_quit(app->loop); break;
    case GST_MESSAGE_ERROR: {
      g_autoptr(GError) err = nullptr;
      g_autofree gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      g_printerr("ascii-launch: %s\n", err->message);
      if (debug) g_debug("%s", debug);
      app->exit_code = 1;
      g_main_loop_quit(app->loop);
      break;
    }
    default: break;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_interrupt(gpointer data) {
  auto* app = static_cast<App*>(data);
  // First Ctrl-C: finish cleanly with EOS. A second one while EOS drains quits at once.
  static bool interrupted = false;
  if (interrupted) {
    g_main_loop_quit(app->loop);
  } else {
    interrupted = true;
    gst_element_send_event(app->pipeline, gst_event_new_eos());
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  GOptionEntry entries[] = {
      {"cols", 'c', 0, G_OPTION_ARG_INT, &opt.cols, "Cells across (default 80)", "N"},
      {"rows", 'r', 0, G_OPTION_ARG_INT, &opt.rows, "Cells down (default 24)", "N"},
      {"fps", 'f', 0, G_OPTION_ARG_INT, &opt.fps, "Frames per second (default 15)", "N"},
      {"frames", 'n', 0, G_OPTION_ARG_INT, &opt.frames, "Stop after N frames (default: play to the end)", "N"},
      {"palette", 'p', 0, G_OPTION_ARG_STRING, &opt.palette, "Characters from dark to bright", "CHARS"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &opt.version, "Print the version and exit", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.args, nullptr, "[URI or FILE]"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("[URI or FILE] - play video as character-cell art");
  g_option_context_set_summary(ctx, "With no argument, plays a built-in demo (a moving test pattern).");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("ascii-launch: %s (see --help)\n", error->message);
    return 2;
  }
  if (opt.version) {
    g_print("ascii-launch %s\n", PACKAGE_VERSION);
    return 0;
  }
  if (opt.cols < 1 || opt.cols > 4096 || opt.rows < 1 || opt.rows > 4096 || opt.fps < 1 || opt.fps > 240 ||
      opt.frames < 0) {
    g_printerr("ascii-launch: --cols/--rows take 1..4096, --fps 1..240, --frames 0 or more\n");
    return 2;
  }
  if (opt.palette && !gstascii::validate_palette(opt.palette).empty()) {
    g_printerr("ascii-launch: bad --palette: %s\n", gstascii::validate_palette(opt.palette).c_str());
    return 2;
  }
  gst_ascii_register_static();

  // The demo is drawn at a video size and scaled down, so the ball has a shape at any grid.
  std::string source = "videotestsrc pattern=ball is-live=true ! video/x-raw,width=640,height=360";
  if (opt.args && opt.args[0]) {
    const std::string uri = to_uri(opt.args[0], &error);
    if (uri.empty()) {
      g_printerr("ascii-launch: %s\n", error->message);
      return 1;
    }
    g_autofree gchar* quoted = g_strescape(uri.c_str(), nullptr);
    source = std::string("uridecodebin uri=\"") + quoted + "\"";
  }
  const std::string description =
      source + " ! videoconvert ! videoscale ! videorate ! video/x-raw,format=BGR,width=" + std::to_string(opt.cols) +
      ",height=" + std::to_string(opt.rows) + ",framerate=" + std::to_string(opt.fps) +
      "/1 ! asciimap name=map mode=1 ! ascilinepay ! appsink name=out sync=true";
  App app;
  app.pipeline = gst_parse_launch(description.c_str(), &error);
  if (!app.pipeline) {
    g_printerr("ascii-launch: cannot build the pipeline: %s\n", error->message);
    return 1;
  }
  if (opt.palette) {
    g_autoptr(GstElement) map = gst_bin_get_by_name(GST_BIN(app.pipeline), "map");
    g_object_set(map, "palette", opt.palette, nullptr);
  }
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(app.pipeline), "out");
  GstAppSinkCallbacks callbacks = {};
  callbacks.new_sample = on_sample;
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &callbacks, &app, nullptr);

  app.tty = isatty(STDOUT_FILENO);
  app.limited = opt.frames > 0;
  app.frames_left = opt.frames;
  app.loop = g_main_loop_new(nullptr, FALSE);
  g_autoptr(GstBus) bus = gst_element_get_bus(app.pipeline);
  gst_bus_add_watch(bus, on_bus, &app);
  g_unix_signal_add(SIGINT, on_interrupt, &app);
  g_unix_signal_add(SIGTERM, on_interrupt, &app);

  if (app.tty) fputs("\x1b[2J", stdout);
  if (gst_element_set_state(app.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    app.exit_code = 1;
  } else {
    g_main_loop_run(app.loop);
  }
  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch(bus);
  gst_object_unref(app.pipeline);
  g_main_loop_unref(app.loop);
  g_free(opt.palette);
  g_strfreev(opt.args);
  return app.exit_code;
}
