// ascii-launch --terminal: plays a file, a stream, a camera or the demo on this terminal, with its
// sound, as the best terminal players do: the picture fitted to the terminal and re-fitted when it
// is resized, keys to pause, seek and quit, and the terminal given back as it was found.
//
//   source ! queue ! videoconvert ! videoflip ! videorate ! asciimap ! asciiansienc ! fdsink
//   source ! queue ! audioconvert ! audioresample ! autoaudiosink
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

#include "play.h"

struct TerminalOptions {
  PlayOptions play;     // uri (empty: the demo), demo, fps, audio, cols and rows (0: fit the terminal)
  std::string style;    // asciimap's style; empty: half blocks, or letters where the locale is not UTF-8
  std::string colors;   // truecolor, 256 or 16; empty: from COLORTERM and TERM
  std::string symbols;  // ascii, blocks or sextant: the characters the font has; empty: from the style
};

// Plays until the end, q, Ctrl-C or an error; returns the process exit code. The gst-ascii elements
// must be registered.
int run_terminal(const TerminalOptions& options);
