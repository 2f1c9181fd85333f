// ascii-launch: plays a video (or a built-in demo) as character-cell art and serves it to browsers,
// with its sound:
//
//   uridecodebin ! videoconvert ! videorate ! asciimap ! ascilinepay ! websocketsink
//   uridecodebin ! audioconvert ! audioresample ! avenc_aac ! aacparse ! adtsmux-out
//
// The gst-ascii elements are registered inside the program, so it needs no GST_PLUGIN_PATH.
// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gio/gio.h>
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
#include "record.h"

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
  gboolean no_audio = FALSE;
  gchar* demo = nullptr;
  gchar* codec = nullptr;
  gboolean terminal = FALSE;
  int frames = 0;  // 0 = until the end or Ctrl-C
  gboolean version = FALSE;
  gchar** args = nullptr;

  ~Options() {
    g_free(preset);
    g_free(palette);
    g_free(host);
    g_free(demo);
    g_free(codec);
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
  std::string uri;                  // the file or URI played, empty for the demo
  std::string video_tail;           // for a file: the branches linked as uridecodebin exposes its streams
  std::string audio_tail;           // empty: no sound served
  GstElement* video_bin = nullptr;  // for a file: linked once the decoder finds video
  gboolean video_linked = FALSE;
  gboolean audio_linked = FALSE;
  int frames_limit = 0;
  gint frames_seen = 0;  // atomic: counted on the streaming thread
  bool interrupted = false;
  guint interrupt_timer = 0;  // after Ctrl-C: how long the EOS may take
  gint stopping = 0;          // atomic: set by Ctrl-C, acted on by the streaming thread
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
// Each branch (picture, sound) gets its own EOS, since the pipeline ends when every sink has one.
GstPadProbeReturn end_on_interrupt(GstPad* pad, GstPadProbeInfo*, gpointer data) {
  auto* app = static_cast<App*>(data);
  if (!g_atomic_int_get(&app->stopping)) return GST_PAD_PROBE_OK;
  if (!g_object_get_data(G_OBJECT(pad), "ascii-launch-eos-sent")) {
    g_object_set_data(G_OBJECT(pad), "ascii-launch-eos-sent", GINT_TO_POINTER(1));
    gst_pad_push_event(pad, gst_event_new_eos());
  }
  return GST_PAD_PROBE_DROP;
}

void end_branch_on_interrupt(App* app, GstElement* bin, const char* element) {
  g_autoptr(GstElement) e = gst_bin_get_by_name(GST_BIN(bin), element);
  g_autoptr(GstPad) pad = gst_element_get_static_pad(e, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, end_on_interrupt, app, nullptr);
}

// The sound: AAC from the encoder Debian ships (libav's; else voaacenc from -bad), in ADTS.
std::string audio_tail(const std::string& host, guint port) {
  const char* encoder = nullptr;
  for (const char* name : {"avenc_aac", "voaacenc"}) {
    g_autoptr(GstElementFactory) f = gst_element_factory_find(name);
    if (f) {
      encoder = name;
      break;
    }
  }
  if (!encoder) {
    g_printerr("ascii-launch: no AAC encoder (install gstreamer1.0-libav): serving without sound\n");
    return "";
  }
  // libav's default quantizer search ("twoloop") once spun for an hour on the sync demo's beeps
  // here (the sound's streaming thread at 85 % of a core inside libavcodec, never ending); the
  // "fast" search has no such loop, and 128 kbit/s hides the difference.
  const std::string options = strcmp(encoder, "avenc_aac") == 0 ? " aac-coder=fast" : "";
  return std::string("audioconvert name=aconv ! audioresample ! audio/x-raw,rate=48000 ! ") + encoder + options +
         " bitrate=128000 ! aacparse ! audio/mpeg,stream-format=adts ! adtsmux-out name=audio host=" + host +
         " port=" + std::to_string(port);
}

// A free port on |host| for --port 0: the picture and the sound must meet on one server, so the
// port is chosen before either element starts.
guint pick_free_port(const std::string& host) {
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(host.c_str());
  if (!addr) addr = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocket) socket =
      g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(addr, 0);
  if (!socket || !g_socket_bind(socket, any, TRUE, nullptr)) return 0;
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, nullptr);
  return bound ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)) : 0;
}

// Links a stream uridecodebin exposed: the first video to the picture branch, the first audio to
// a sound branch made for it (a file may or may not have sound).
void on_pad_added(GstElement* decoder, GstPad* pad, gpointer data) {
  auto* app = static_cast<App*>(data);
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const GstStructure* s = caps ? gst_caps_get_structure(caps, 0) : nullptr;
  GstElement* branch = nullptr;
  if (s && gst_structure_has_name(s, "video/x-raw") &&
      g_atomic_int_compare_and_exchange(&app->video_linked, FALSE, TRUE)) {
    branch = app->video_bin;
  } else if (s && gst_structure_has_name(s, "audio/x-raw") && !app->audio_tail.empty() &&
             g_atomic_int_compare_and_exchange(&app->audio_linked, FALSE, TRUE)) {
    g_autoptr(GError) error = nullptr;
    branch = gst_parse_bin_from_description(
        ("queue max-size-buffers=0 max-size-bytes=0 max-size-time=1000000000 ! " + app->audio_tail).c_str(), TRUE,
        &error);
    if (!branch) {
      GST_ELEMENT_ERROR(decoder, CORE, FAILED, ("Cannot build the sound branch: %s", error->message), (nullptr));
      return;
    }
    gst_bin_add(GST_BIN(app->pipeline), branch);
    end_branch_on_interrupt(app, branch, "aconv");
    gst_element_sync_state_with_parent(branch);
  }
  if (!branch) return;  // a second stream of a kind: not played
  g_autoptr(GstPad) sink = gst_element_get_static_pad(branch, "sink");
  if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
    GST_ELEMENT_ERROR(decoder, CORE, NEGOTIATION, ("Cannot link a decoded stream"), (nullptr));
  }
}

// The sync demo's picture: white for the first 100 ms of every second, when the beep sounds.
GstPadProbeReturn flash(GstPad*, GstPadProbeInfo* info, gpointer) {
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts) || pts % GST_SECOND >= 100 * GST_MSECOND) return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable(buf);
  GST_PAD_PROBE_INFO_DATA(info) = buf;
  gstascii::MappedBuffer map(buf, GST_MAP_WRITE);
  if (map.ok) memset(map.info.data, 0xEB, map.info.size);  // GRAY8 white
  return GST_PAD_PROBE_OK;
}

void add_flash(GstElement* pipeline) {
  g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(pipeline), "flash");
  g_autoptr(GstPad) pad = gst_element_get_static_pad(src, "src");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, flash, nullptr, nullptr);
}

void on_no_more_pads(GstElement* decoder, gpointer data) {
  auto* app = static_cast<App*>(data);
  if (!g_atomic_int_get(&app->video_linked)) {
    GST_ELEMENT_ERROR(decoder, STREAM, WRONG_TYPE, ("%s has no video stream", app->uri.c_str()), (nullptr));
  }
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
      // Ctrl-C at the moment --loop wraps can make the demuxer meet a branch already ended and
      // give up with a flow error; the user asked to stop, so that is not a failure.
      if (app->interrupted && app->looping) {
        g_main_loop_quit(app->loop);
        break;
      }
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
      // After Ctrl-C every branch has its EOS already; another round would only meet them.
      if (app->interrupted) break;
      gst_element_seek(app->pipeline, 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_SEGMENT, GST_SEEK_TYPE_SET, 0,
                       GST_SEEK_TYPE_NONE, -1);
      break;
    default: break;
  }
  return G_SOURCE_CONTINUE;
}

constexpr guint kInterruptGraceSeconds = 5;

gboolean on_interrupt_timeout(gpointer data) {
  auto* app = static_cast<App*>(data);
  app->interrupt_timer = 0;
  g_printerr("ascii-launch: the stream did not end within %u s of Ctrl-C; stopping without it\n",
             kInterruptGraceSeconds);
  app->exit_code = 1;
  g_main_loop_quit(app->loop);
  return G_SOURCE_REMOVE;
}

gboolean on_interrupt(gpointer data) {
  auto* app = static_cast<App*>(data);
  // First Ctrl-C: finish cleanly with EOS (viewers get a normal close). A second one quits at once.
  if (app->interrupted) {
    g_main_loop_quit(app->loop);
  } else {
    app->interrupted = true;
    g_atomic_int_set(&app->stopping, 1);
    // The EOS needs a frame to pass on each branch; a branch that is stuck would hold the exit
    // forever, so after a few seconds it stops without it, and says so.
    app->interrupt_timer = g_timeout_add_seconds(kInterruptGraceSeconds, on_interrupt_timeout, app);
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "record") == 0) {
    gst_init(&argc, &argv);
    raise_open_file_limit();
    gst_ascii_register_static();
    return run_record(argc - 1, argv + 1);
  }
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
      {"no-audio", 0, 0, G_OPTION_ARG_NONE, &opt.no_audio, "Serve the picture only, without sound at /audio", nullptr},
      {"demo", 0, 0, G_OPTION_ARG_STRING, &opt.demo,
       "With no URI: \"bars\" (moving colour bars and a 1 kHz tone; the default), \"sync\" (a white flash and "
       "a beep together once a second, to check lip sync) or \"motion\" (a zone plate changing everywhere every "
       "frame: the hardest picture for the adaptive codec)",
       "NAME"},
      {"codec", 0, 0, G_OPTION_ARG_STRING, &opt.codec,
       "\"adaptive\" (the default: each frame coded once as raw, zlib, changed cells or runs; viewers may still "
       "ask for raw) or \"raw\" (the seed's frames only)",
       "NAME"},
      {"terminal", 't', 0, G_OPTION_ARG_NONE, &opt.terminal, "Draw as text on this terminal instead of serving",
       nullptr},
      {"frames", 'n', 0, G_OPTION_ARG_INT, &opt.frames, "Stop after N frames (default: play to the end)", "N"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &opt.version, "Print the version and exit", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.args, nullptr, "[URI or FILE]"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("[URI or FILE] - serve video as character-cell art (or: record --help)");
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
  const bool sync_demo = opt.demo && strcmp(opt.demo, "sync") == 0;
  const bool motion_demo = opt.demo && strcmp(opt.demo, "motion") == 0;
  if (opt.demo && !sync_demo && !motion_demo && strcmp(opt.demo, "bars") != 0) {
    g_printerr("ascii-launch: unknown demo \"%s\" (bars, sync or motion)\n", opt.demo);
    return 2;
  }
  if (opt.codec && strcmp(opt.codec, "adaptive") != 0 && strcmp(opt.codec, "raw") != 0) {
    g_printerr("ascii-launch: unknown codec \"%s\" (adaptive or raw)\n", opt.codec);
    return 2;
  }
  const char* codec = opt.codec ? opt.codec : "adaptive";
  if (opt.palette && !gstascii::validate_palette(opt.palette).empty()) {
    g_printerr("ascii-launch: bad --palette: %s\n", gstascii::validate_palette(opt.palette).c_str());
    return 2;
  }
  raise_open_file_limit();
  gst_ascii_register_static();

  const std::string host = opt.host ? opt.host : "127.0.0.1";
  guint port = static_cast<guint>(opt.port);
  if (port == 0 && !opt.terminal) port = pick_free_port(host);

  // No videoscale: asciimap averages every source pixel into its cell, where videoscale would
  // point-sample (aliasing at small grids). videorate first, so frames not shown are not mapped.
  const std::string sink = opt.terminal ? "appsink name=out sync=true"
                                        : "websocketsink name=out host=" + host + " port=" + std::to_string(port) +
                                              " max-clients=" + std::to_string(opt.max_clients);
  const std::string video_tail =
      "videoconvert ! videorate ! capsfilter name=rate caps=video/x-raw,framerate=" + std::to_string(fps) +
      "/1 ! asciimap name=map cols=" + std::to_string(cols) + " rows=" + std::to_string(rows) +
      " mode=" + std::to_string(mode) + " ! ascilinepay codec=" + codec + " ! " + sink;
  App app;
  if (!opt.terminal && !opt.no_audio) app.audio_tail = audio_tail(host, port);

  if (opt.args && opt.args[0]) {
    app.uri = to_uri(opt.args[0], &error);
    if (app.uri.empty()) {
      g_printerr("ascii-launch: %s\n", error->message);
      return 1;
    }
    app.pipeline = gst_pipeline_new("ascii-launch");
    GstElement* decoder = gst_element_factory_make("uridecodebin", "source");
    g_autoptr(GstCaps) raw = gst_caps_from_string(app.audio_tail.empty() ? "video/x-raw" : "video/x-raw; audio/x-raw");
    g_object_set(decoder, "uri", app.uri.c_str(), "caps", raw, "expose-all-streams", FALSE, nullptr);
    // The picture's branch exists from the start, so its port is known before anything plays.
    app.video_bin = gst_parse_bin_from_description(
        ("queue max-size-buffers=4 max-size-bytes=0 max-size-time=0 ! " + video_tail).c_str(), TRUE, &error);
    if (!app.video_bin) {
      g_printerr("ascii-launch: cannot build the pipeline: %s\n", error->message);
      return 1;
    }
    gst_bin_add_many(GST_BIN(app.pipeline), decoder, app.video_bin, nullptr);
    g_signal_connect(decoder, "pad-added", G_CALLBACK(on_pad_added), &app);
    g_signal_connect(decoder, "no-more-pads", G_CALLBACK(on_no_more_pads), &app);
  } else {
    // The demo is drawn at a video size and averaged down, so its shapes survive any grid.
    std::string video_src = "videotestsrc is-live=true pattern=smpte horizontal-speed=4";
    std::string audio_src = "audiotestsrc is-live=true wave=sine freq=1000 volume=0.1";
    if (motion_demo) video_src = "videotestsrc is-live=true pattern=zone-plate kx2=20 ky2=20 kt=1 kt2=1";
    if (sync_demo) {
      video_src = "videotestsrc is-live=true pattern=black name=flash";
      audio_src = "audiotestsrc is-live=true wave=ticks freq=1000 sine-periods-per-tick=100 volume=0.5";
    }
    const std::string format = sync_demo ? "format=GRAY8," : "";
    std::string description = video_src + " ! video/x-raw," + format +
                              "width=640,height=360,framerate=" + std::to_string(fps) + "/1 ! " + video_tail;
    if (!app.audio_tail.empty()) description += " " + audio_src + " ! " + app.audio_tail;
    app.pipeline = gst_parse_launch(description.c_str(), &error);
    if (!app.pipeline) {
      g_printerr("ascii-launch: cannot build the pipeline: %s\n", error->message);
      return 1;
    }
    if (sync_demo) add_flash(app.pipeline);
    if (!app.audio_tail.empty()) end_branch_on_interrupt(&app, app.pipeline, "aconv");
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
  }
  end_branch_on_interrupt(&app, app.pipeline, "rate");
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
  if (app.interrupt_timer) g_source_remove(app.interrupt_timer);
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
