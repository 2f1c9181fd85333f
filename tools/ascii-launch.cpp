// ascii-launch: plays a video (or a built-in demo) as character-cell art and serves it to browsers.
//
//   uridecodebin ! videoconvert ! videorate ! asciimap ! ascilinepay ! websocketsink
//
// The gst-ascii elements are registered inside the program, so it needs no GST_PLUGIN_PATH.
// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <glib-unix.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "gstasciielements.h"
#include "gstasciiraii.h"
#include "palette.h"

namespace {

struct Preset {
  const char* name;
  int cols, rows, fps, mode;
};

// High is the seed's; Low and Med keep its 200:84 grid shape (a 16:9 picture in 3:4 cells) at
// about a quarter and half of its cells.
constexpr Preset kPresets[] = {
    {"low", 100, 42, 15, 2},
    {"med", 150, 63, 24, 3},
    {"high", 200, 84, 30, 3},
};

struct Options {
  gchar* preset = nullptr;
  int cols = 0, rows = 0, fps = 0, mode = 0;  // 0: from the preset
  gchar* palette = nullptr;
  gchar* host = nullptr;
  int port = 8080;
  int max_clients = 2000;
  gboolean loop = FALSE;
  gboolean terminal = FALSE;
  int frames = 0;  // 0 = until the end or Ctrl-C
  gboolean version = FALSE;
  gchar** args = nullptr;

  ~Options() {
    g_free(preset);
    g_free(palette);
    g_free(host);
    g_strfreev(args);
  }
};

struct App {
  GMainLoop* loop = nullptr;
  GstElement* pipeline = nullptr;
  GstElement* sink = nullptr;  // websocketsink, or appsink with --terminal
  bool terminal = false;
  bool looping = false;
  bool seekable_checked = false;
  int frames_limit = 0;
  gint frames_seen = 0;  // atomic: counted on the streaming thread
  bool interrupted = false;
  gint stopping = 0;  // atomic: set by Ctrl-C, acted on by the streaming thread
  int exit_code = 0;
  bool status_tty = false;
  std::string url;  // printed once the source is known to play
  guint status_source = 0;
  // For the status line's rates.
  gint64 last_time = 0;
  gint last_frames = 0;
  guint64 last_bytes = 0;
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

// Many viewers need many sockets; the soft limit is often far below the hard one.
void raise_open_file_limit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void print_error(GstMessage* msg) {
  g_autoptr(GError) err = nullptr;
  g_autofree gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  g_printerr("ascii-launch: %s\n", err->message);
  if (debug) g_debug("%s", debug);
}

void stop_after_limit(App* app) {
  if (app->frames_limit > 0 && g_atomic_int_add(&app->frames_seen, 1) + 1 == app->frames_limit) {
    gst_element_send_event(app->pipeline, gst_event_new_eos());
  }
}

GstPadProbeReturn count_frames(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* app = static_cast<App*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER)) {
    if (app->frames_limit > 0 && g_atomic_int_get(&app->frames_seen) >= app->frames_limit) return GST_PAD_PROBE_DROP;
    if (app->frames_limit > 0) {
      stop_after_limit(app);
    } else {
      g_atomic_int_inc(&app->frames_seen);
    }
  }
  return GST_PAD_PROBE_OK;
}

// After Ctrl-C, ends the stream at the next frame: EOS pushed from the streaming thread itself.
// (An EOS sent to the pipeline goes to the sources, and a file source in pull mode ignores it.)
GstPadProbeReturn end_on_interrupt(GstPad* pad, GstPadProbeInfo*, gpointer data) {
  auto* app = static_cast<App*>(data);
  if (!g_atomic_int_get(&app->stopping)) return GST_PAD_PROBE_OK;
  if (g_atomic_int_compare_and_exchange(&app->stopping, 1, 2)) gst_pad_push_event(pad, gst_event_new_eos());
  return GST_PAD_PROBE_DROP;
}

// --terminal: draw mode-1 text frames on stdout.
GstFlowReturn on_sample(GstAppSink* sink, gpointer) {
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (!sample) return GST_FLOW_EOS;
  GstBuffer* buf = gst_sample_get_buffer(sample);
  if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER)) return GST_FLOW_OK;  // INIT
  gstascii::MappedBuffer map(buf, GST_MAP_READ);
  if (!map.ok) return GST_FLOW_ERROR;
  // Drop the frame-index line; the rest is the picture.
  const char* text = reinterpret_cast<const char*>(map.info.data);
  const char* body = static_cast<const char*>(memchr(text, '\n', map.info.size));
  if (body) {
    body++;
    if (isatty(STDOUT_FILENO)) fputs("\x1b[H", stdout);
    fwrite(body, 1, map.info.size - (body - text), stdout);
    fputc('\n', stdout);
    fflush(stdout);
  }
  return GST_FLOW_OK;
}

std::string clock_text(gint64 t) {
  if (t < 0) return "--:--";
  guint64 s = static_cast<guint64>(t) / GST_SECOND;
  char buf[32];
  if (s >= 3600) {
    g_snprintf(buf, sizeof buf, "%u:%02u:%02u", static_cast<unsigned>(s / 3600), static_cast<unsigned>(s / 60 % 60),
               static_cast<unsigned>(s % 60));
  } else {
    g_snprintf(buf, sizeof buf, "%02u:%02u", static_cast<unsigned>(s / 60), static_cast<unsigned>(s % 60));
  }
  return buf;
}

// One line, rewritten in place each second: position/duration, fps, viewers, kbit/s.
gboolean on_status(gpointer data) {
  auto* app = static_cast<App*>(data);
  gint64 position = -1, duration = -1;
  gst_element_query_position(app->pipeline, GST_FORMAT_TIME, &position);
  gst_element_query_duration(app->pipeline, GST_FORMAT_TIME, &duration);
  guint clients = 0;
  guint64 bytes = 0;
  g_object_get(app->sink, "clients", &clients, "bytes-sent", &bytes, nullptr);
  gint64 now = g_get_monotonic_time();
  gint frames = g_atomic_int_get(&app->frames_seen);
  double seconds = app->last_time ? (now - app->last_time) / 1e6 : 0;
  double fps = seconds > 0 ? (frames - app->last_frames) / seconds : 0;
  double kbps = seconds > 0 ? (bytes - app->last_bytes) * 8 / 1000.0 / seconds : 0;
  app->last_time = now;
  app->last_frames = frames;
  app->last_bytes = bytes;
  std::string where = clock_text(position);
  if (duration > 0) where += " / " + clock_text(duration);
  g_printerr("\r\x1b[K%s  %.1f fps  %u viewer%s  %.0f kbit/s", where.c_str(), fps, clients, clients == 1 ? "" : "s",
             kbps);
  return G_SOURCE_CONTINUE;
}

// Prints where to watch, once: for a live source as soon as it runs, for a file once it has
// prerolled (so a file that cannot be played gives its error, not a URL).
void announce(App* app) {
  if (app->url.empty()) return;
  g_print("%s\n", app->url.c_str());
  fflush(stdout);
  app->url.clear();
  app->status_tty = isatty(STDERR_FILENO);
  if (app->status_tty) app->status_source = g_timeout_add_seconds(1, on_status, app);
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* app = static_cast<App*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS: g_main_loop_quit(app->loop); break;
    case GST_MESSAGE_ERROR:
      if (app->status_tty) g_printerr("\n");
      print_error(msg);
      app->exit_code = 1;
      g_main_loop_quit(app->loop);
      break;
    case GST_MESSAGE_ASYNC_DONE:
      if (GST_MESSAGE_SRC(msg) == GST_OBJECT(app->pipeline)) announce(app);
      // --loop: once prerolled, play the whole file as a segment; SEGMENT_DONE then starts it again
      // without a flush, so running time (and the frame indices viewers see) keep going up.
      if (app->looping && !app->seekable_checked && GST_MESSAGE_SRC(msg) == GST_OBJECT(app->pipeline)) {
        app->seekable_checked = true;
        if (!gst_element_seek(app->pipeline, 1.0, GST_FORMAT_TIME,
                              static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_SEGMENT), GST_SEEK_TYPE_SET,
                              0, GST_SEEK_TYPE_NONE, -1)) {
          g_printerr("ascii-launch: this source cannot be seeked, so --loop is ignored\n");
          app->looping = false;
        }
      }
      break;
    case GST_MESSAGE_SEGMENT_DONE:
      gst_element_seek(app->pipeline, 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_SEGMENT, GST_SEEK_TYPE_SET, 0,
                       GST_SEEK_TYPE_NONE, -1);
      break;
    default: break;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_interrupt(gpointer data) {
  auto* app = static_cast<App*>(data);
  // First Ctrl-C: finish cleanly with EOS (viewers get a normal close). A second one quits at once.
  if (app->interrupted) {
    g_main_loop_quit(app->loop);
  } else {
    app->interrupted = true;
    g_atomic_int_set(&app->stopping, 1);
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  GOptionEntry entries[] = {
      {"preset", 'P', 0, G_OPTION_ARG_STRING, &opt.preset,
       "low (100x42, mode 2, 15 fps), med (150x63, mode 3, 24 fps) or high (200x84, mode 3, 30 fps; the default)",
       "NAME"},
      {"cols", 'c', 0, G_OPTION_ARG_INT, &opt.cols, "Cells across (overrides the preset)", "N"},
      {"rows", 'r', 0, G_OPTION_ARG_INT, &opt.rows, "Cells down (overrides the preset)", "N"},
      {"fps", 'f', 0, G_OPTION_ARG_INT, &opt.fps, "Frames per second (overrides the preset)", "N"},
      {"mode", 'm', 0, G_OPTION_ARG_INT, &opt.mode,
       "Colour mode: 1 text only, 2 512 colours, 3 32K, 4 262K, 5 and 6 16M (overrides the preset)", "1-6"},
      {"palette", 'p', 0, G_OPTION_ARG_STRING, &opt.palette, "Characters from dark to bright", "CHARS"},
      {"host", 'H', 0, G_OPTION_ARG_STRING, &opt.host,
       "Address to serve on (default 127.0.0.1: this machine only; 0.0.0.0: every network)", "ADDR"},
      {"port", 0, 0, G_OPTION_ARG_INT, &opt.port, "Port to serve on (default 8080; 0 picks a free one)", "N"},
      {"max-clients", 0, 0, G_OPTION_ARG_INT, &opt.max_clients, "Most viewers at once (default 2000)", "N"},
      {"loop", 'l', 0, G_OPTION_ARG_NONE, &opt.loop, "Start the video again when it ends", nullptr},
      {"terminal", 't', 0, G_OPTION_ARG_NONE, &opt.terminal, "Draw as text on this terminal instead of serving",
       nullptr},
      {"frames", 'n', 0, G_OPTION_ARG_INT, &opt.frames, "Stop after N frames (default: play to the end)", "N"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &opt.version, "Print the version and exit", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.args, nullptr, "[URI or FILE]"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("[URI or FILE] - serve video as character-cell art");
  g_option_context_set_summary(ctx,
                               "Plays a file or URI (with no argument, a built-in moving test pattern) and serves "
                               "it to browsers:\nopen the printed URL. Ctrl-C stops.");
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
  const Preset* preset = &kPresets[2];
  if (opt.preset) {
    preset = nullptr;
    for (const auto& p : kPresets) {
      if (g_ascii_strcasecmp(p.name, opt.preset) == 0) preset = &p;
    }
    if (!preset) {
      g_printerr("ascii-launch: unknown preset \"%s\" (low, med or high)\n", opt.preset);
      return 2;
    }
  }
  const int cols = opt.cols ? opt.cols : preset->cols;
  const int rows = opt.rows ? opt.rows : preset->rows;
  const int fps = opt.fps ? opt.fps : preset->fps;
  const int mode = opt.terminal ? 1 : (opt.mode ? opt.mode : preset->mode);
  if (cols < 1 || cols > 4096 || rows < 1 || rows > 4096 || fps < 1 || fps > 240 || mode < 1 || mode > 6 ||
      opt.frames < 0 || opt.port < 0 || opt.port > 65535 || opt.max_clients < 0) {
    g_printerr("ascii-launch: --cols/--rows take 1..4096, --fps 1..240, --mode 1..6, --port 0..65535\n");
    return 2;
  }
  if (opt.palette && !gstascii::validate_palette(opt.palette).empty()) {
    g_printerr("ascii-launch: bad --palette: %s\n", gstascii::validate_palette(opt.palette).c_str());
    return 2;
  }
  raise_open_file_limit();
  gst_ascii_register_static();

  // The demo is drawn at a video size and averaged down, so its shapes survive any grid.
  std::string source =
      "videotestsrc is-live=true pattern=smpte horizontal-speed=4 ! video/x-raw,width=640,height=360,framerate=" +
      std::to_string(fps) + "/1";
  if (opt.args && opt.args[0]) {
    const std::string uri = to_uri(opt.args[0], &error);
    if (uri.empty()) {
      g_printerr("ascii-launch: %s\n", error->message);
      return 1;
    }
    g_autofree gchar* quoted = g_strescape(uri.c_str(), nullptr);
    source = std::string("uridecodebin caps=video/x-raw expose-all-streams=false uri=\"") + quoted +
             "\" ! queue max-size-buffers=4 max-size-bytes=0 max-size-time=0";
  }
  // No videoscale: asciimap averages every source pixel into its cell, where videoscale would
  // point-sample (aliasing at small grids). videorate first, so frames not shown are not mapped.
  const std::string sink = opt.terminal ? "appsink name=out sync=true" : "websocketsink name=out";
  const std::string description =
      source + " ! videoconvert ! videorate ! capsfilter name=rate caps=video/x-raw,framerate=" + std::to_string(fps) +
      "/1 ! asciimap name=map cols=" + std::to_string(cols) + " rows=" + std::to_string(rows) +
      " mode=" + std::to_string(mode) + " ! ascilinepay ! " + sink;
  App app;
  app.pipeline = gst_parse_launch(description.c_str(), &error);
  if (!app.pipeline) {
    g_printerr("ascii-launch: cannot build the pipeline: %s\n", error->message);
    return 1;
  }
  app.sink = gst_bin_get_by_name(GST_BIN(app.pipeline), "out");
  app.terminal = opt.terminal;
  app.looping = opt.loop && opt.args && opt.args[0];
  app.frames_limit = opt.frames;
  if (opt.palette) {
    g_autoptr(GstElement) map = gst_bin_get_by_name(GST_BIN(app.pipeline), "map");
    g_object_set(map, "palette", opt.palette, nullptr);
  }
  if (opt.terminal) {
    GstAppSinkCallbacks callbacks = {};
    callbacks.new_sample = on_sample;
    gst_app_sink_set_callbacks(GST_APP_SINK(app.sink), &callbacks, &app, nullptr);
  } else {
    g_object_set(app.sink, "host", opt.host ? opt.host : "127.0.0.1", "port", static_cast<guint>(opt.port),
                 "max-clients", static_cast<guint>(opt.max_clients), nullptr);
  }
  g_autoptr(GstElement) rate = gst_bin_get_by_name(GST_BIN(app.pipeline), "rate");
  g_autoptr(GstPad) rate_pad = gst_element_get_static_pad(rate, "src");
  gst_pad_add_probe(rate_pad, GST_PAD_PROBE_TYPE_BUFFER, end_on_interrupt, &app, nullptr);
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(app.sink, "sink");
  gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_frames, &app, nullptr);

  app.loop = g_main_loop_new(nullptr, FALSE);
  g_autoptr(GstBus) bus = gst_element_get_bus(app.pipeline);
  gst_bus_add_watch(bus, on_bus, &app);
  g_unix_signal_add(SIGINT, on_interrupt, &app);
  g_unix_signal_add(SIGTERM, on_interrupt, &app);

  if (opt.terminal && isatty(STDOUT_FILENO)) fputs("\x1b[2J", stdout);
  GstStateChangeReturn started = gst_element_set_state(app.pipeline, GST_STATE_PLAYING);
  if (started == GST_STATE_CHANGE_FAILURE) {
    // Say why (a port in use, a file that cannot be read ...) in one line.
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (msg) {
      print_error(msg);
    } else {
      g_printerr("ascii-launch: the pipeline could not start\n");
    }
    app.exit_code = 1;
  } else {
    if (!opt.terminal) {
      guint port = 0;
      g_object_get(app.sink, "port", &port, nullptr);
      const char* host = opt.host ? opt.host : "127.0.0.1";
      if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) host = "127.0.0.1";
      const std::string shown = strchr(host, ':') ? "[" + std::string(host) + "]" : host;
      g_autofree gchar* url =
          g_strdup_printf("ascii-launch: serving %dx%d mode %d at %d fps: open http://%s:%u/ (Ctrl-C to stop)", cols,
                          rows, mode, fps, shown.c_str(), port);
      app.url = url;
      if (started == GST_STATE_CHANGE_NO_PREROLL) announce(&app);
    }
    g_main_loop_run(app.loop);
  }
  if (app.status_source) {
    g_source_remove(app.status_source);
    g_printerr("\n");
  }
  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch(bus);
  gst_object_unref(app.sink);
  gst_object_unref(app.pipeline);
  g_main_loop_unref(app.loop);
  return app.exit_code;
}
