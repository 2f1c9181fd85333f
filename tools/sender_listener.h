// ascii-launch record's ingest: one MPEG-TS sender at a time over TCP or SRT, a new pipeline for
// each connection (tcpserversrc or srtsrc in listener mode ! tsdemux ! h264parse / aacparse !
// appsink), each connection's timestamps put on the one session timeline (gstascii::SessionClock),
// handed to the owner.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/app/gstappsink.h>
#include <gst/gst.h>

#include <atomic>
#include <functional>
#include <string>

#include "session_clock.h"

// Where senders connect: tcp:// or srt:// (SRT in listener mode, the sender the caller).
struct IngestAddress {
  bool srt = false;
  std::string host = "127.0.0.1";
  int port = 9000;
  std::string passphrase;  // SRT only: the stream's encryption passphrase (10 to 79 characters), or none

  std::string url() const { return std::string(srt ? "srt://" : "tcp://") + host + ":" + std::to_string(port); }
};

class SenderListener {
 public:
  struct Callbacks {
    // A streaming thread, once: the first sender's streams are known (H.264, and AAC or not).
    // Returns false when the session could not start.
    std::function<bool(bool with_audio)> first_streams;
    // A streaming thread: a picture (|audio| false) or sound, its times on the session's
    // timeline (session time t is running time kTimeBase + t); |caps| are the stream's.
    std::function<GstFlowReturn(GstBuffer* stamped, GstCaps* caps, bool audio)> media;
    // The main loop: a sender's first bytes (its connection number).
    std::function<void(unsigned connection)> connected;
    // A streaming thread: the sender closed its connection.
    std::function<void()> disconnected;
    // The main loop: listening again after a connection ended.
    std::function<void()> listening;
    // The main loop: the port cannot be listened on.
    std::function<void(const std::string& why)> failed;
  };

  // Session time 0 is carried as this running time: a decode timestamp may lie before its
  // picture's presentation, before session time 0, and running time cannot be negative.
  static constexpr GstClockTime kTimeBase = 10 * GST_SECOND;

  SenderListener(IngestAddress address, Callbacks callbacks);
  ~SenderListener();
  SenderListener(const SenderListener&) = delete;
  SenderListener& operator=(const SenderListener&) = delete;

  // Main loop: listens (failed() when it cannot). After stop(), nothing more is received.
  void start();
  void stop();
  unsigned connections() const { return clock_.connections(); }

 private:
  static GstFlowReturn on_video(GstAppSink* sink, gpointer data);
  static GstFlowReturn on_audio(GstAppSink* sink, gpointer data);
  static void on_pad(GstElement*, GstPad* pad, gpointer data);
  static void on_no_more_pads(GstElement*, gpointer data);
  static gboolean on_bus(GstBus*, GstMessage* msg, gpointer data);
  static GstPadProbeReturn on_eos(GstPad*, GstPadProbeInfo* info, gpointer data);
  static GstPadProbeReturn on_first_bytes(GstPad*, GstPadProbeInfo*, gpointer data);
  GstFlowReturn forward(GstAppSink* sink, bool audio);
  void restart();
  void close_connection();

  const IngestAddress address_;
  const Callbacks callbacks_;
  gstascii::SessionClock clock_{kTimeBase};
  GstElement* pipeline_ = nullptr;  // the current connection's, or null while none listens
  // What the session records, decided by the first sender's streams.
  enum Sound { kUndecided, kWithSound, kWithoutSound };
  std::atomic<int> sound_{kUndecided};
  std::atomic<bool> restart_pending_{false};
  bool stopped_ = false;
};
