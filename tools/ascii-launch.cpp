// ascii-launch: plays a video (a file, a network stream, a camera or a built-in demo) as
// character-cell art and serves it to browsers, with its sound (play.cpp); or records a live
// MPEG-TS stream (record.cpp).
//
// The gst-ascii elements are registered inside the program, so it needs no GST_PLUGIN_PATH.
// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gio/gio.h>
#include <gst/gst.h>
#include <sys/resource.h>

#include <csignal>

#include <cstring>
#include <string>

#include "gstasciielements.h"
#include "export_art.h"
#include "palette.h"
#include "symbol_fit.h"
#include "play.h"
#include "terminal_player.h"
#include "terminal_view.h"
#include "record.h"

namespace {

struct Preset {
  const char* name;
  int cols, rows, fps, mode;
};

// High is the seed's; Low and Med keep its 200:84 box shape (a 16:9 picture in 3:4 cells) at
// about a quarter and half of its cells. The box is what a picture's grid fits in.
constexpr Preset kPresets[] = {
    {"low", 100, 42, 15, 2},
    {"med", 150, 63, 24, 3},
    {"high", 200, 84, 30, 3},
};

struct Options {
  gchar* preset = nullptr;
  int cols = 0, rows = 0, fps = 0, mode = 0;  // 0: from the preset (cols, rows: from the picture)
  gchar* palette = nullptr;
  gchar* style = nullptr;
  gchar* output = nullptr;
  gchar* hls_dir = nullptr;
  gchar* dvr = nullptr;
  gchar* host = nullptr;
  int port = 8080;
  int tty_port = 0;
  int max_clients = gstascii::kDefaultMaxClients;
  gboolean loop = FALSE;
  gboolean no_audio = FALSE;
  gchar* demo = nullptr;
  gchar* codec = nullptr;
  gboolean terminal = FALSE;
  gchar* colors = nullptr;
  gchar* symbols = nullptr;
  int frames = 0;  // 0 = until the end or Ctrl-C
  int timeout = 10;
  gboolean version = FALSE;
  gchar** args = nullptr;

  ~Options() {
    g_free(preset);
    g_free(palette);
    g_free(style);
    g_free(output);
    g_free(hls_dir);
    g_free(dvr);
    g_free(host);
    g_free(demo);
    g_free(codec);
    g_free(colors);
    g_free(symbols);
    g_strfreev(args);
  }
};

// Many viewers need many sockets; the soft limit is often far below the hard one.
void raise_open_file_limit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

// ascii-launch view [--no-audio] URL
int run_view_command(int argc, char** argv) {
  gboolean no_audio = FALSE;
  gchar** args = nullptr;
  GOptionEntry entries[] = {
      {"no-audio", 0, 0, G_OPTION_ARG_NONE, &no_audio, "Show the picture only", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &args, nullptr, "URL"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- watch a stream ascii-launch serves, in this terminal");
  g_option_context_set_summary(ctx,
                               "Shows the stream at URL (the http:// address ascii-launch printed, or HOST:PORT) in "
                               "this terminal,\nat the largest size the server offers that fits it, with its sound. "
                               "q or Ctrl-C quits.");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  g_autoptr(GError) error = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("ascii-launch view: %s (see --help)\n", error->message);
    g_strfreev(args);
    return 2;
  }
  if (!args || !args[0] || args[1]) {
    g_printerr("ascii-launch view: give one URL (see --help)\n");
    g_strfreev(args);
    return 2;
  }
  const std::string url = args[0];
  g_strfreev(args);
  return run_view(url, !no_audio);
}

}  // namespace

int main(int argc, char** argv) {
  // A reader of our output that went away (a script that read the URL and closed the pipe) must
  // not end the server: writes to it just fail.
  std::signal(SIGPIPE, SIG_IGN);
  if (argc > 1 && strcmp(argv[1], "record") == 0) {
    gst_init(&argc, &argv);
    raise_open_file_limit();
    gst_ascii_register_static();
    return run_record(argc - 1, argv + 1);
  }
  if (argc > 1 && strcmp(argv[1], "view") == 0) return run_view_command(argc - 1, argv + 1);
  Options opt;
  GOptionEntry entries[] = {
      {"preset", 'P', 0, G_OPTION_ARG_STRING, &opt.preset,
       "low (grid within 100x42, mode 2, 15 fps), med (150x63, mode 3, 24 fps) or high (200x84, mode 3, 30 fps; "
       "the default)",
       "NAME"},
      {"cols", 'c', 0, G_OPTION_ARG_INT, &opt.cols,
       "Cells across (default: the picture's shape fitted in the preset's box; with --cols alone the rows follow "
       "the picture's shape)",
       "N"},
      {"rows", 'r', 0, G_OPTION_ARG_INT, &opt.rows,
       "Cells down (with --rows alone the columns follow the picture's shape; with both, exactly that grid)", "N"},
      {"fps", 'f', 0, G_OPTION_ARG_INT, &opt.fps, "Frames per second (overrides the preset)", "N"},
      {"mode", 'm', 0, G_OPTION_ARG_INT, &opt.mode,
       "Colour mode: 1 text only, 2 512 colours, 3 32K, 4 262K, 5 and 6 16M (overrides the preset)", "1-6"},
      {"palette", 'p', 0, G_OPTION_ARG_STRING, &opt.palette, "Characters from dark to bright", "CHARS"},
      {"style", 's', 0, G_OPTION_ARG_STRING, &opt.style,
       "How the web player draws cells: \"ascii\" (letters chosen by shape, with a foreground and background "
       "colour each; the default), \"half\", \"blocks\", \"sextant\", \"octant\" (two-colour mosaics, the "
       "most faithful), several joined with '+', or \"asciline\" (a coloured letter on black). ASCILINE's own "
       "players always get ASCILINE's cells",
       "NAME"},
      {"host", 'H', 0, G_OPTION_ARG_STRING, &opt.host,
       "Address to serve on (default 127.0.0.1: this machine only; 0.0.0.0: every network)", "ADDR"},
      {"port", 0, 0, G_OPTION_ARG_INT, &opt.port, "Port to serve on (default 8080; 0 picks a free one)", "N"},
      {"max-clients", 0, 0, G_OPTION_ARG_INT, &opt.max_clients, "Most viewers at once (default 2000)", "N"},
      {"tty-port", 0, 0, G_OPTION_ARG_INT, &opt.tty_port,
       "Also serve the 80x24 terminal stream (what curl -N http://HOST:PORT/tty shows) raw on this TCP port, for "
       "nc HOST N (default: not)",
       "N"},
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
      {"terminal", 't', 0, G_OPTION_ARG_NONE, &opt.terminal,
       "Play on this terminal instead of serving, with the sound: the picture fills the terminal (half blocks by "
       "default); space pauses, left and right seek 10 s, q quits",
       nullptr},
      {"colors", 0, 0, G_OPTION_ARG_STRING, &opt.colors,
       "With --terminal: truecolor, 256 or 16 (default: what COLORTERM and TERM say the terminal has)", "NAME"},
      {"symbols", 0, 0, G_OPTION_ARG_STRING, &opt.symbols,
       "With --terminal: the characters the terminal's font has: ascii (letters only), blocks (half and quadrant "
       "blocks), sextant (Unicode 13) or octant (Unicode 16; the style is then octant unless --style says) "
       "(default: blocks, or sextant for styles that draw sextants or octants)",
       "NAME"},
      {"output", 'o', 0, G_OPTION_ARG_FILENAME, &opt.output,
       "Write the art as a video file (H.264, with the source's sound as AAC; .mp4, .mov or .mkv) instead of "
       "serving, as fast as it can be made",
       "FILE"},
      {"hls-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt.hls_dir,
       "Also write the stream as HLS (index.m3u8, a playlist per track, 1 s segments) to DIR, for any static web "
       "server or CDN; it is always served at /hls/index.m3u8",
       "DIR"},
      {"dvr", 0, 0, G_OPTION_ARG_STRING, &opt.dvr,
       "How much of a live source to keep for HLS: 90s, 30m, 2h (default: the last 30 s); a file keeps everything",
       "DURATION"},
      {"frames", 'n', 0, G_OPTION_ARG_INT, &opt.frames, "Stop after N frames (default: play to the end)", "N"},
      {"timeout", 0, 0, G_OPTION_ARG_INT, &opt.timeout,
       "Stop with an error when no picture arrives for this long, as when a network source stalls (default 10; "
       "0: wait forever)",
       "SECONDS"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &opt.version, "Print the version and exit", nullptr},
      {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &opt.args, nullptr, "[URI or FILE]"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };
  // The G_OPTION_REMAINING entry names the argument in the usage line; this only describes it.
  g_autoptr(GOptionContext) ctx =
      g_option_context_new("- serve video as character-cell art (or: record --help, view --help)");
  g_option_context_set_summary(
      ctx,
      "Plays a file, a URL (http://, https://, rtsp://, udp://, srt://, an HLS playlist), a camera\n"
      "(v4l2:///dev/video0 or /dev/video0) or, with no argument, a built-in moving test pattern, and\n"
      "serves it to browsers: open the printed URL. Ctrl-C stops.");
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
  PlayOptions play;
  play.cols = opt.cols;
  play.rows = opt.rows;
  play.box_cols = preset->cols;
  play.box_rows = preset->rows;
  play.fps = opt.fps ? opt.fps : preset->fps;
  play.mode = opt.mode ? opt.mode : preset->mode;
  if (opt.cols < 0 || opt.cols > 4096 || opt.rows < 0 || opt.rows > 4096 || play.fps < 1 || play.fps > 240 ||
      play.mode < 1 || play.mode > 6 || opt.frames < 0 || opt.port < 0 || opt.port > 65535 || opt.max_clients < 0 ||
      opt.timeout < 0) {
    g_printerr(
        "ascii-launch: --cols/--rows take 1..4096 (0: from the picture), --fps 1..240, --mode 1..6, --port "
        "0..65535, --timeout 0 or more\n");
    return 2;
  }
  if (opt.demo) play.demo = opt.demo;
  if (play.demo != "bars" && play.demo != "sync" && play.demo != "motion") {
    g_printerr("ascii-launch: unknown demo \"%s\" (bars, sync or motion)\n", opt.demo);
    return 2;
  }
  if (opt.codec) play.codec = opt.codec;
  if (play.codec != "adaptive" && play.codec != "raw") {
    g_printerr("ascii-launch: unknown codec \"%s\" (adaptive or raw)\n", opt.codec);
    return 2;
  }
  if (opt.palette) {
    const std::string problem = gstascii::validate_palette(opt.palette);
    if (!problem.empty()) {
      g_printerr("ascii-launch: bad --palette: %s\n", problem.c_str());
      return 2;
    }
    play.palette = opt.palette;
  }
  if (opt.style) {
    std::string problem;
    const auto style = gstascii::parse_cell_style(opt.style, &problem);
    if (!style) {
      g_printerr("ascii-launch: bad --style: %s\n", problem.c_str());
      return 2;
    }
    play.style = gstascii::format_cell_style(*style);
  }
  if (opt.args && opt.args[0] && opt.args[1]) {
    g_printerr("ascii-launch: one URI or file at a time (got \"%s\" and \"%s\")\n", opt.args[0], opt.args[1]);
    return 2;
  }
  if (opt.args && opt.args[0]) {
    play.uri = argument_to_uri(opt.args[0], &error);
    if (play.uri.empty()) {
      g_printerr("ascii-launch: %s\n", error->message);
      return 1;
    }
  }
  play.host = opt.host ? opt.host : "127.0.0.1";
  play.max_clients = opt.max_clients;
  play.loop = opt.loop;
  play.audio = !opt.no_audio;
  play.frames = opt.frames;
  play.stall_seconds = opt.timeout;
  if (opt.hls_dir) play.hls_dir = opt.hls_dir;
  if (opt.dvr && !parse_duration(opt.dvr, &play.dvr_seconds)) {
    g_printerr("ascii-launch: bad --dvr \"%s\": give seconds, or a number with s, m or h (90s, 30m, 2h)\n", opt.dvr);
    return 2;
  }
  raise_open_file_limit();
  gst_ascii_register_static();
  play.port = static_cast<guint>(opt.port);
  if (opt.tty_port < 0 || opt.tty_port > 65535) {
    g_printerr("ascii-launch: --tty-port takes 1..65535\n");
    return 2;
  }
  play.tty_port = static_cast<guint>(opt.tty_port);
  if ((opt.colors || opt.symbols) && !opt.terminal) {
    g_printerr("ascii-launch: --colors and --symbols are for --terminal\n");
    return 2;
  }
  if (opt.terminal) {
    if (opt.output) {
      g_printerr("ascii-launch: --output and --terminal do not go together\n");
      return 2;
    }
    TerminalOptions terminal;
    terminal.play = play;
    terminal.style = opt.style ? play.style : "";
    terminal.colors = opt.colors ? opt.colors : "";
    terminal.symbols = opt.symbols ? opt.symbols : "";
    return run_terminal(terminal);
  }
  if (opt.output) return run_export(play, opt.output);
  return run_play(play);
}
