// ascii-launch's main job, internal: what run_play() (play.cpp, running it) and build()
// (play_build.cpp, putting the pipeline together and linking the source's streams) share.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "encoder_mover.h"
#include "gstasciiserver.h"
#include "play.h"
#include "tty_channel.h"

namespace play {

struct App {
  const PlayOptions* opt = nullptr;
  GMainLoop* loop = nullptr;
  GstElement* pipeline = nullptr;
  GstElement* sink = nullptr;        // websocketsink
  GstAsciiServer* server = nullptr;  // the picture's and the sound's HTTP server
  GstElement* video_bin = nullptr;   // the picture's branch (owned by the pipeline)
  GstElement* hls = nullptr;         // asciihlssink (owned by the pipeline)
  GstElement* decoder = nullptr;     // uridecodebin, for a file or URI (owned by the pipeline)
  std::string shown;                 // the source as the user knows it: a path, a URI or "the demo"
  gboolean video_linked = FALSE;     // atomic: set on the streaming thread that exposes the stream
  gboolean audio_linked = FALSE;
  std::string missing_plugin;  // what the decoder said it lacks, for the error line
  bool live = false;
  bool buffering = false;
  bool looping = false;
  bool loop_started = false;
  // A file served on demand: encoded as fast as it decodes into the store, which every viewer
  // reads on its own clock; the run goes on after the file's end, until Ctrl-C.
  bool on_demand = false;
  gboolean still_picture = FALSE;           // atomic: then it is encoded in real time (imagefreeze never ends)
  bool encoded = false;                     // the whole file is in the store
  bool filling = false;                     // the encoder was moved: the file's end is not the store's
  std::unique_ptr<EncoderMover> mover;      // on demand: moves the encoder where the store needs it
  std::unique_ptr<TtyChannel> tty_channel;  // on demand: the terminals' own playback of the file
  gint64 started_at = 0;                    // monotonic µs when the pipeline was set to play
  gint pictures_decoded = 0;                // atomic: pictures into the picture's branch (each decoded once)
  std::string spool_dir;                    // our own folder for the store of a file on demand, removed at exit
  // Frames and the stall check.
  gint frames_seen = 0;  // atomic: counted on the streaming thread
  gint video_ended = 0;  // atomic: the picture's EOS reached the sink
  gint frames_at_check = -1;
  int quiet_seconds = 0;
  // Ctrl-C.
  bool interrupted = false;
  gint stopping = 0;  // atomic: set by Ctrl-C, acted on by the streaming thread
  // Where each branch (picture, sound) gets its EOS, and whether it has: added on the streaming
  // thread that exposes a stream, ended there or by the main loop. Pads are owned by the pipeline.
  std::mutex branch_ends_lock;
  std::map<GstPad*, bool> branch_ends;
  int exit_code = 0;
  // Where to watch: printed once the grid is known.
  gint grid_cols = 0, grid_rows = 0;  // from asciimap's output caps, on the streaming thread
  bool status_tty = false;
  guint status_source = 0;
  gint64 last_time = 0;
  gint last_frames = 0;
  guint64 last_bytes = 0;
};

// The pipeline for |app->opt|; false with a line printed when an element is missing.
bool build(App* app);

// Makes |element|'s src pad in |bin| end its branch with EOS at the next buffer once Ctrl-C (or
// --frames) asks the run to stop (play.cpp).
void end_branch_on_interrupt(App* app, GstElement* bin, const char* element);

}  // namespace play
