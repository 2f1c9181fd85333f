// ascii-launch's answer to asciihlssink's ascii-store-needs (a viewer waits far beyond what is
// encoded of a file, or a run of it ended with spans still missing): a flushing seek of the
// pipeline to the keyframe before the span's start.
//
// A move made at once would throw away what the decoder did since its last keyframe (the frames
// in flight, and the frames of that group not yet stored, decoded again when the gap is filled).
// So a move waits for the next keyframe K to reach the picture's decoder, lets a few frames more in
// (the decoder holds some back, and videorate one), holds the first picture at K or after where it
// leaves videorate while what came before it drains into the store, and only then seeks: each run
// ends on a keyframe, where the fill that comes back to it starts, and only those few frames are
// decoded twice. If the run reaches the span itself before that keyframe, there is no move at all.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <mutex>

class EncoderMover {
 public:
  explicit EncoderMover(GstElement* pipeline) : pipeline_(pipeline) {}
  ~EncoderMover();
  EncoderMover(const EncoderMover&) = delete;
  EncoderMover& operator=(const EncoderMover&) = delete;

  // The element that decodes the picture (from uridecodebin's deep-element-added; any thread):
  // moves wait for its keyframes. Without one (raw video) a move is made at once.
  void watch_decoder(GstElement* element);
  // The pad after videorate (where a run is cut), and the pad where the picture enters the store
  // (asciihlssink's video input).
  void watch_rate_output(GstPad* pad);
  void watch_stored(GstPad* pad);
  // On the main loop: true when |message| was an ascii-store-needs (the move is made, or waits
  // for a keyframe).
  bool handle(GstMessage* message);
  // Ctrl-C: a held keyframe is let go, and no move is made any more.
  void stop();

 private:
  static GstPadProbeReturn on_decoder_input(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static GstPadProbeReturn on_rate_output(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static GstPadProbeReturn on_stored(GstPad* pad, GstPadProbeInfo* info, gpointer data);
  static gboolean on_drain_check(gpointer data);
  void seek(guint64 start, guint64 stop);
  guint64 clipped_stop() const;  // with lock_ held

  GstElement* pipeline_;  // not owned: it outlives the mover
  std::mutex lock_;
  GstPad* gate_pad_ = nullptr;  // the decoder's sink pad (owned ref)
  gulong gate_probe_ = 0, flush_probe_ = 0;
  GstPad* stored_pad_ = nullptr;  // the store's video input (owned ref)
  gulong stored_probe_ = 0;
  GstPad* cut_pad_ = nullptr;  // after videorate (owned ref)
  gulong cut_probe_ = 0;
  bool stopped_ = false;
  // The move asked for, in stream time (the file's time); stop_ GST_CLOCK_TIME_NONE: to the end.
  guint64 start_ = 0, stop_ = GST_CLOCK_TIME_NONE;
  bool armed_ = false;                    // waiting for a keyframe
  bool cutting_ = false;                  // a keyframe went in: the run is cut at it
  int let_in_ = 0;                        // frames still let into the decoder after it
  bool holding_ = false;                  // the picture at the keyframe is held while the store catches up
  guint64 keyframe_at_ = 0;               // the keyframe's stream time
  guint64 run_start_ = 0;                 // where the run being decoded started (NONE: at the next buffer)
  gint64 held_since_us_ = 0;              // monotonic, when it was held
  gint64 last_progress_us_ = 0;           // when the store last took a frame, while holding
  guint64 seen_stored_ = 0;               // stored_until_ at the last check
  guint drain_check_ = 0;                 // the main loop's timeout while holding
  std::atomic<guint64> stored_until_{0};  // stream time of the last picture stored
};
