// ascii-launch's terminals (/tty, --tty-port, /tty/audio) for a file served on demand. The main
// pipeline encodes such a file as fast as it decodes, into the store every browser viewer reads
// on its own clock, so its pictures run ahead of real time and stop at the file's end: no picture
// for a terminal, which has no clock of its own. The terminals get a playback of their own
// instead: a second decode of the file, in real time, shared by every terminal, that plays only
// while one watches. The first terminal starts it from the beginning; when the last has gone (for
// more than a second: `view` reconnects on a resize), it stops and goes back to the start. At the
// end of the file it plays again from the start.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <string>
#include <vector>

#include "gstasciiserver.h"
#include "play.h"

class TtyChannel {
 public:
  TtyChannel() = default;
  ~TtyChannel();
  TtyChannel(const TtyChannel&) = delete;
  TtyChannel& operator=(const TtyChannel&) = delete;

  // The pipeline for |opt.uri| on |server| (the main pipeline's); false with |problem| set.
  bool build(const PlayOptions& opt, GstAsciiServer* server, std::string* problem);
  // Listens (the sinks are started, the file is opened, nothing plays). What fails is printed.
  void start();

 private:
  static void on_pad_added(GstElement* decoder, GstPad* pad, gpointer data);
  static gboolean on_bus(GstBus* bus, GstMessage* msg, gpointer data);
  static void on_client_change(gpointer data);
  static gboolean update(gpointer data);
  static gboolean check_viewers(gpointer data);
  void watch_clients(GstElement* sink);
  guint viewers() const;
  // Back to the file's start (as a segment once it plays as one).
  void rewind(GstSeekFlags flags);

  const PlayOptions* opt_ = nullptr;
  GstElement* pipeline_ = nullptr;
  GstElement* decoder_ = nullptr;   // uridecodebin (owned by the pipeline)
  GstElement* video_ = nullptr;     // the picture's bin with the /tty sizes (owned by the pipeline)
  std::vector<GstElement*> sinks_;  // what viewers connect to (our references)
  std::atomic<bool> video_linked_{false}, audio_linked_{false};
  std::atomic<bool> update_queued_{false};
  bool playing_ = false;
  bool segmented_ = false;  // the file plays as a segment (from the first preroll), again at its end
  bool broken_ = false;     // an error stopped it for good
  int idle_checks_ = 0;     // looks in a row that found nobody
  guint check_timer_ = 0;
  guint bus_watch_ = 0;
};
