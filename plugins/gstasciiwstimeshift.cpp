// SPDX-License-Identifier: LGPL-2.1-or-later
// websocketsink's time-shift: a viewer who pauses or seeks reads asciihlssink's store at its own
// pace (gstasciistorereader.h), and ASCILINE's sync handshake. The broadcast is gstasciiwshub.cpp.
#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>

#include "adaptive_codec.h"
#include "asciline_wire.h"
#include "gstasciistorereader.h"
#include "gstasciiwshub.h"
#include "gstasciiwsviewer.h"
#include "symbol_cell.h"

GST_DEBUG_CATEGORY_STATIC(ascii_ws_timeshift_debug);
#define GST_CAT_DEFAULT ascii_ws_timeshift_debug

namespace gstascii {

namespace {

// Viewers who read the store are fed this often, and this far ahead of their clock (the player
// holds early frames until their time).
constexpr guint kPaceIntervalMs = 20;
constexpr gint64 kReadLeadNs = 500 * GST_MSECOND;
constexpr std::size_t kMaxMessagesPerPace = 16;
// ASCILINE's handshake: frames a viewer with sync=1 gets before it says it plays (the sync frame
// and 3 more, as ASCILINE's server sends).
constexpr int kPrerollFrames = 4;

}  // namespace

void WsHub::init_timeshift_debug() {
  GST_DEBUG_CATEGORY_INIT(ascii_ws_timeshift_debug, "asciiwstimeshift", 0,
                          "websocketsink's viewers who pause and seek in the store");
}

// A viewer of a file on demand: it plays the store from its start, on its own clock. False when
// there is no store yet (it gets the broadcast).
bool WsHub::start_on_demand(Viewer& viewer) {
  if (!start_reading(viewer, false)) return false;
  viewer.reader->seek(0, g_get_monotonic_time());
  if (viewer.sync) viewer.reader->hold(kPrerollFrames);
  return true;
}

// {"type":"pause","paused":B[,"time":S]}, {"type":"seek","time":S[,"requestId":K]},
// {"type":"playback-ready","time":S} and {"type":"live"}: the viewer leaves the broadcast for the
// store (or goes back to it), and its clock follows where it says it plays. A seek is answered, as
// ASCILINE's server does, with TEXT "SEEKED:K:<seconds>" before the frames of the new time.
// Returns false when the viewer is gone.
bool WsHub::handle_timeshift(Viewer& viewer, const char* type, JsonObject* object) {
  const gint64 now = g_get_monotonic_time();
  if (strcmp(type, "live") == 0) {
    if (viewer.reader && !on_demand_) stop_reading(viewer);
    return true;
  }
  if (strcmp(type, "pause") == 0) {
    const bool paused = json_object_get_boolean_member_with_default(object, "paused", TRUE);
    if (!viewer.reader) {
      if (!paused) return true;
      // Paused at the frame it was shown last; it goes on from there when it resumes.
      const double fps = tracks_[viewer.kind].fps;
      if (!start_reading(viewer, true)) return true;
      const gint64 at = viewer.last_index >= 0 && fps > 0 ? gint64(viewer.last_index * (GST_SECOND / fps)) : 0;
      viewer.reader->seek(at, now);
    }
    viewer.reader->pause(paused, now);
    // Resumed: ASCILINE's clients get the preroll again and say when they play; gst-ascii's player
    // says where it stands as it resumes.
    if (!paused && viewer.sync) viewer.reader->hold(kPrerollFrames);
    if (JsonNode* time = json_object_get_member(object, "time"); !paused && time && JSON_NODE_HOLDS_VALUE(time)) {
      const double seconds = json_node_get_double(time);
      if (std::isfinite(seconds) && seconds >= 0) viewer.reader->set_clock(gint64(seconds * GST_SECOND), now);
    }
    return true;
  }
  if (strcmp(type, "playback-ready") == 0) {
    // ASCILINE's clients: where they play, once their sound has started; pacing follows it. With
    // sync=1 only the current sync id counts, and never while paused.
    JsonNode* time = json_object_get_member(object, "time");
    const double seconds = time && JSON_NODE_HOLDS_VALUE(time) ? json_node_get_double(time) : NAN;
    JsonNode* id = json_object_get_member(object, "requestId");
    const bool current = !viewer.sync || (id && JSON_NODE_HOLDS_VALUE(id) && json_node_get_int(id) == viewer.sync_id);
    if (!viewer.reader || viewer.reader->paused() || !current || !std::isfinite(seconds) || seconds < 0) return true;
    if (viewer.reader->holding()) {
      viewer.reader->release(gint64(seconds * GST_SECOND), now);
    } else {
      viewer.reader->set_clock(gint64(seconds * GST_SECOND), now);
    }
    return true;
  }
  if (strcmp(type, "seek") == 0) {
    JsonNode* time = json_object_get_member(object, "time");
    const double seconds = time && JSON_NODE_HOLDS_VALUE(time) ? json_node_get_double(time) : NAN;
    if (!std::isfinite(seconds) || seconds < 0) {
      strike(viewer, "a seek needs a time in seconds");
      return true;
    }
    if (!within_live_window(viewer, seconds)) return true;
    const bool paused = viewer.reader && viewer.reader->paused();
    if (!viewer.reader && !start_reading(viewer, true)) return true;
    const gint64 reached = viewer.reader->seek(gint64(seconds * GST_SECOND), now);
    viewer.reader->pause(paused, now);
    if (JsonNode* id = json_object_get_member(object, "requestId"); id && JSON_NODE_HOLDS_VALUE(id)) {
      // The request's id becomes the sync id: the INIT that follows carries it.
      viewer.sync_id = json_node_get_int(id);
      g_autofree gchar* text = g_strdup_printf("SEEKED:%" G_GINT64_FORMAT ":%.9f", viewer.sync_id,
                                               reached < 0 ? seconds : double(reached) / GST_SECOND);
      send_text(viewer, text);
    }
    if (viewer.sync) viewer.reader->hold(kPrerollFrames);
    if (viewer.decoder) viewer.decoder->reset();
    return true;
  }
  return true;
}

// A live stream refuses a seek outside its window (ASCILINE's clients do not seek in one; ours
// keeps its place): the viewer stays where it was, told why.
bool WsHub::within_live_window(Viewer& viewer, double seconds) {
  std::unique_ptr<StoreReader> probe;
  const StoreReader* reader = viewer.reader.get();
  if (!reader) {
    probe = StoreReader::open(find_shared_store(server_.get(), store_path_), track_name(viewer));
    reader = probe.get();
  }
  gint64 from = 0, to = 0;
  if (!reader || !reader->live_window(&from, &to)) return true;
  const gint64 time = gint64(seconds * GST_SECOND);
  if (time >= from && time <= to) return true;
  g_autofree gchar* text = g_strdup_printf("Error: %.3f s is outside the live window (%.3f s to %.3f s)", seconds,
                                           double(from) / GST_SECOND, double(to) / GST_SECOND);
  send_text(viewer, text);
  return false;
}

const char* WsHub::track_name(const Viewer& viewer) {
  return viewer.kind == kSymbolCells ? "symbols" : "cells";
}

bool WsHub::start_reading(Viewer& viewer, bool asked) {
  if (viewer.reader) return true;
  auto shared = find_shared_store(server_.get(), store_path_);
  viewer.reader = StoreReader::open(std::move(shared), track_name(viewer));
  if (!viewer.reader) {
    if (asked) send_text(viewer, "Error: nothing is stored to pause or seek in");
    return false;
  }
  readers_++;
  start_pacing(kPaceIntervalMs);
  GST_DEBUG("viewer %" G_GUINT64_FORMAT " reads the store", viewer.id);
  return true;
}

// Back to the broadcast: the live INIT, and for an adaptive viewer a sync frame before any DELTA.
void WsHub::stop_reading(Viewer& viewer) {
  viewer.reader.reset();
  viewer.decoder.reset();
  readers_--;
  GST_DEBUG("viewer %" G_GUINT64_FORMAT " is back on the broadcast", viewer.id);
  if (tracks_[viewer.kind].init) send_init(viewer, next_index_for(viewer));
  if (viewer.adaptive) start_adaptive(viewer);
}

void WsHub::send_text(Viewer& viewer, const std::string& text) {
  g_autoptr(GBytes) bytes = g_bytes_new(text.data(), text.size());
  send(viewer, SOUP_WEBSOCKET_DATA_TEXT, bytes);
}

// Feeds the viewers who read the store: what their clock has reached, while their socket takes
// it (a stored stream waits for its reader; nothing is skipped).
void WsHub::pace(gint64 now) {
  if (readers_ == 0) return;
  for (auto& [id, client] : clients_) {
    auto& viewer = static_cast<Viewer&>(*client);
    if (!viewer.reader || soup_websocket_connection_get_state(viewer.conn) != SOUP_WEBSOCKET_STATE_OPEN ||
        !writable(viewer, now)) {
      continue;
    }
    for (const StoredMessage& m : viewer.reader->take(now, kReadLeadNs, kMaxMessagesPerPace)) {
      // A send that failed closed the connection: the rest of this viewer's messages are moot.
      if (soup_websocket_connection_get_state(viewer.conn) != SOUP_WEBSOCKET_STATE_OPEN) break;
      if (m.init) {
        if (!viewer.adaptive) {
          // Its decoder, for the grid and the kind of cells the INIT announces.
          const auto init = parse_init(std::string_view(reinterpret_cast<const char*>(m.data()), m.size));
          viewer.decoder = init ? std::make_unique<adaptive::Decoder>(std::size_t(init->cols) * std::size_t(init->rows),
                                                                      init->symbols ? kSymbolCellBytes : kCellBytes)
                                : nullptr;
        }
        g_autoptr(GBytes) init = init_for(viewer, m.data(), m.size, -1);
        soup_websocket_connection_send_message(viewer.conn, SOUP_WEBSOCKET_DATA_TEXT, init);
      } else if (viewer.adaptive) {
        soup_websocket_connection_send_binary(viewer.conn, m.data(), m.size);
      } else {
        // A raw viewer: the stored (tagged) frame decoded, [u32be index][cells].
        if (!viewer.decoder || viewer.decoder->decode(m.data(), m.size) != adaptive::Decoder::Result::kFrame) continue;
        std::vector<std::uint8_t> raw(4 + viewer.decoder->frame().size());
        write_u32be(raw.data(), viewer.decoder->index());
        std::copy(viewer.decoder->frame().begin(), viewer.decoder->frame().end(), raw.begin() + 4);
        soup_websocket_connection_send_binary(viewer.conn, raw.data(), raw.size());
      }
      viewer.frames_sent += m.init ? 0 : 1;
      viewer.bytes_sent += m.size;
      totals_.frames_sent += m.init ? 0 : 1;
      totals_.bytes_sent += m.size;
    }
  }
}

}  // namespace gstascii
