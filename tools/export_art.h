// ascii-launch --output: the art of a file as a video file (asciimap ! asciirender ! H.264) with the
// file's sound (AAC), in MP4 or Matroska.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "play.h"

// Writes the art of |options.uri| to |path| as fast as it can be made; returns the process exit
// code. Ctrl-C ends the file early, finished (playable). The gst-ascii elements must be registered.
int run_export(const PlayOptions& options, const std::string& path);
