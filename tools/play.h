// ascii-launch's main job: play a file, a network stream, a camera or a built-in demo as
// character-cell art, served to browsers. See README.md, "ascii-launch".
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>

#include <string>

#include "gstasciiclienthub.h"

struct PlayOptions {
  std::string uri;                    // what to play; empty: the demo
  std::string demo = "bars";          // bars, sync or motion
  int cols = 0, rows = 0;             // 0: derived from the picture's shape (asciimap's rule)
  int box_cols = 200, box_rows = 84;  // the box the grid fits when neither is given
  int fps = 30;
  int mode = 3;
  std::string palette;          // empty: asciimap's default
  std::string style = "ascii";  // asciimap's style for viewers that take symbol cells
  std::string codec = "adaptive";
  std::string host = "127.0.0.1";
  guint port = 8080;   // 0: a free one
  guint tty_port = 0;  // also serve /tty's terminal stream raw on this TCP port; 0: not
  guint max_clients = gstascii::kDefaultMaxClients;
  bool loop = false;
  bool audio = true;
  int frames = 0;           // 0: until the end or Ctrl-C
  int stall_seconds = 10;   // no picture for this long ends the run; 0: wait forever
  std::string hls_dir;      // also write the HLS playlists and segments here
  guint64 dvr_seconds = 0;  // how far back a live stream is kept; 0: kLiveHlsSeconds
};

// Seconds of a live stream HLS playlists list when no window is asked for.
inline constexpr guint64 kLiveHlsSeconds = 30;

// "90", "90s", "30m", "2h" as seconds; false when it is none of those.
bool parse_duration(const char* text, guint64* seconds);

// A command-line argument as a URI: a URI as it is, "/dev/video0" as v4l2:///dev/video0, any other
// path as file:///abs/path. Empty, with |error| set, for a file that does not exist.
std::string argument_to_uri(const char* arg, GError** error);

// Plays until the end, Ctrl-C or an error; returns the process exit code. The gst-ascii elements
// must be registered.
int run_play(const PlayOptions& options);
