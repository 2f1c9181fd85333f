// Internal to websocketsink's hub (gstasciiwshub.cpp, gstasciiwstimeshift.cpp): one viewer.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <memory>
#include <string>

#include "adaptive_codec.h"
#include "gstasciistorereader.h"
#include "gstasciiwshub.h"

namespace gstascii {

struct WsHub::Viewer : ClientHub::Client {
  SoupWebsocketConnection* conn = nullptr;  // our reference: libsoup drops its own after the handshake
  std::string origin;
  guint init_generation = 0;
  gint64 unwritable_since = 0;  // monotonic µs; 0 while the socket takes data
  int strikes = 0;
  gint64 rate_window = 0;
  int rate_count = 0;
  gulong message_handler = 0;
  gulong closed_handler = 0;
  bool adaptive = false;       // asked for ?codec=adaptive
  bool wants_symbols = false;  // asked for ?cells=symbol
  int kind = kAscilineCells;   // the cells it gets now
  bool in_sync = false;        // adaptive: has every frame since a sync frame, so DELTAs apply
  gint64 shutdown_at = 0;      // monotonic µs at which a closed viewer's socket is shut; 0: not closing
  // The viewer's own reports ({"type":"buffer","depth":N}, four a second): kept for get-stats,
  // not posted, since nothing on the bus could keep up with thousands of viewers' reports.
  gint64 buffer_depth = -1;
  guint64 reports = 0;
  // ASCILINE's sync handshake (?sync=1): the INIT carries |sync_id|; a viewer of the store gets a
  // few frames, then waits for {"type":"playback-ready","requestId":sync_id,"time":S}.
  bool sync = false;
  gint64 sync_id = 0;
  int backlog_reports = 0;  // reports in a row above kBacklogFrames
  int skip_frames = 0;      // a raw viewer resynchronised: frames it skips
  // Time-shift: set while the viewer reads the store at its own pace (paused, or after a seek).
  std::unique_ptr<StoreReader> reader;
  std::unique_ptr<adaptive::Decoder> decoder;  // a raw viewer's: stored frames are tagged
  gint64 last_index = -1;                      // the last broadcast frame sent, where a pause starts

  ~Viewer() override {
    if (message_handler) g_signal_handler_disconnect(conn, message_handler);
    if (closed_handler) g_signal_handler_disconnect(conn, closed_handler);
    g_clear_object(&conn);
  }
};

}  // namespace gstascii
