// SPDX-License-Identifier: LGPL-2.1-or-later
/**
 * SECTION:element-websocketsink
 * @title: websocketsink
 *
 * Serves a stream of messages (ASCILINE from ascilinepay) to any number of WebSocket viewers at
 * `ws://HOST:PORT/PATH`, and the web player's files at `/` from a document root.
 *
 * Every viewer first gets the INIT (from the caps `streamheader`, or an in-band buffer flagged
 * HEADER), then each frame as it is rendered. A viewer chooses its codec with the URL:
 * `/ws?codec=adaptive` gets tagged frames (from `ascilinepay codec=adaptive`, or raw frames as
 * tag 0 from a stream that is not tagged); `/ws`, `?codec=raw` or `?codec=legacy` get raw frames
 * (from the GstAscilineRawMeta of a tagged stream). Nothing is encoded per viewer. An adaptive
 * viewer that joins gets the frames since the last sync frame at once, so it starts without
 * waiting for a keyframe (or, if those are more than #GstWebSocketSink:client-buffer bytes, a
 * keyframe is asked of upstream); one that falls behind and skips frames waits for the next sync
 * frame, so it never applies a DELTA to the wrong picture (and when frames are dropped before any
 * viewer sees them, because the server thread is behind, all of them wait and a keyframe is asked
 * for). A buffer flagged GST_ASCILINE_BUFFER_FLAG_TEXT goes out as a TEXT message, any other as
 * BINARY. Each buffer is mapped once and the same bytes go to every
 * viewer.
 *
 * Symbol cells (gst-ascii's extension of ASCILINE, from `asciimap style=...`: a symbol and two
 * colours a cell) reach viewers that ask with `?cells=symbol` (the web player does): their INIT
 * comes from the caps `symbol-streamheader` and each frame from the message's
 * GstAscilineSymbolMeta, raw or tagged as the viewer's codec asks. Every other viewer, ASCILINE's
 * players included, gets the ASCILINE frames of the same stream; a stream without symbol cells
 * serves everyone ASCILINE's.
 *
 * A viewer that reads too slowly skips frames once #GstWebSocketSink:client-buffer bytes wait in the
 * kernel for it; it never stalls the pipeline or the other viewers, and one that reads nothing for
 * #GstAsciiServerSink:client-timeout is disconnected. JSON messages from viewers
 * (`{"type":"pause","paused":true}` ...) are posted on the bus as element messages named
 * `websocketsink-control`, with `client-id`, `type`, the `json` text and each scalar member as a
 * field; the player's buffer reports (`{"type":"buffer","depth":N}`, four a second per viewer) are
 * not posted but kept in the viewer's statistics (`buffer-depth`, `reports` in
 * #GstAsciiServerSink::get-stats). Connections and disconnections are posted as
 * `websocketsink-client-connected` (with `origin` and `codec`) and
 * `websocketsink-client-disconnected` (with `close-code`), and signalled as
 * #GstAsciiServerSink::client-added and #GstAsciiServerSink::client-removed.
 *
 * Time-shift: with #GstWebSocketSink:store-path naming an asciihlssink on the same server, a
 * viewer that sends `{"type":"pause","paused":true}` or `{"type":"seek","time":S,"requestId":K}`
 * reads that sink's stored stream from then on, at its own pace (a seek is answered with TEXT
 * `SEEKED:K:T`, T the time of the frame on screen at S, then the INIT with its start field at T
 * and that frame as a sync frame, made once for this seek from the segment's sync frame and the
 * frames up to it), and `{"type":"live"}` takes it back to the broadcast; with
 * #GstWebSocketSink:on-demand every viewer plays the store from its start (a file encoded ahead of
 * real time, the sink at `sync=false`). Such viewers get every frame, waiting for a socket that is
 * full rather than skipping.
 *
 * The HTTP server (a #GstAsciiServer) runs on a thread of its own and is shared with the other
 * gst-ascii sinks of the pipeline, and of the process on the same host and port; see
 * #GstAsciiServerSink for how a sink finds it. The player's files are served from
 * #GstWebSocketSink:document-root at every path no sink owns.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true pattern=ball ! video/x-raw,width=200,height=84,framerate=30/1 ! \
 *     asciimap mode=3 ! ascilinepay ! websocketsink port=8080
 * ]| Then open http://127.0.0.1:8080/ in a browser.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstwebsocketsink.h"

#include <dlfcn.h>

#include <memory>
#include <new>
#include <string>

#include "gstasciicaps.h"
#include "gstasciihttpserver.h"
#include "gstasciiraii.h"
#include "gstascilinemeta.h"
#include "gstasciiwshub.h"

GST_DEBUG_CATEGORY_STATIC(gst_web_socket_sink_debug);
#define GST_CAT_DEFAULT gst_web_socket_sink_debug

enum {
  PROP_0,
  PROP_PATH,
  PROP_DOCUMENT_ROOT,
  PROP_CLIENT_BUFFER,
  PROP_MAX_MESSAGE_SIZE,
  PROP_DEFLATE,
  PROP_FRAMES_DROPPED,
  PROP_ADAPTIVE_CLIENTS,
  PROP_JOIN_BURSTS,
  PROP_KEYFRAME_REQUESTS,
  PROP_STORE_PATH,
  PROP_ON_DEMAND,
  PROP_RESYNCS,
};

#define DEFAULT_PATH "/ws"
#define DEFAULT_CLIENT_BUFFER (256 * 1024)
#define DEFAULT_MAX_MESSAGE_SIZE (64 * 1024)
#define DEFAULT_DEFLATE FALSE
#define DEFAULT_ON_DEMAND FALSE

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

namespace {

struct Settings {
  std::string document_root;  // empty: the player installed with the plugin (or the source tree's)
  guint max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  bool deflate = DEFAULT_DEFLATE;
  std::string store_path;  // empty: no time-shift
  bool on_demand = DEFAULT_ON_DEMAND;
};

// What the caps say about the frames (streaming thread).
struct StreamInfo {
  bool adaptive = false;  // tagged frames with a GstAscilineRawMeta each
  bool taggable = false;  // raw character-cell frames: adaptive viewers get them as tag 0 (RAW)
};

// The INIT (streamheader) of |field| in |s|, as bytes; null when there is none.
GBytes* header_bytes(const GstStructure* s, const char* field) {
  const GValue* headers = gst_structure_get_value(s, field);
  if (!headers || !GST_VALUE_HOLDS_ARRAY(headers) || gst_value_array_get_size(headers) == 0) return nullptr;
  GstBuffer* init = gst_value_get_buffer(gst_value_array_get_value(headers, 0));
  return init ? gstascii::bytes_from_buffer(init) : nullptr;
}

struct Impl {
  Settings settings;  // under the object lock
  StreamInfo stream;
};

// The web player to serve when document-root is not set: data/ of the source tree when this code
// runs from the build tree (so a developer needs no configuration), else the installed copy.
std::string default_document_root() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&default_document_root), &info) && info.dli_fname) {
    g_autofree gchar* module = g_canonicalize_filename(info.dli_fname, nullptr);
    g_autofree gchar* build_root = g_canonicalize_filename(GST_ASCII_BUILD_ROOT, nullptr);
    if (g_str_has_prefix(module, build_root) && module[strlen(build_root)] == '/') return GST_ASCII_SOURCE_DATA_DIR;
  }
  return GST_ASCII_DATA_DIR;
}

}  // namespace

struct _GstWebSocketSink {
  GstAsciiServerSink parent;
  Impl impl;  // constructed in instance_init, destroyed in finalize
};

G_DEFINE_TYPE(GstWebSocketSink, gst_web_socket_sink, GST_TYPE_ASCII_SERVER_SINK);
GST_ELEMENT_REGISTER_DEFINE_WITH_CODE(websocketsink, "websocketsink", GST_RANK_NONE, GST_TYPE_WEB_SOCKET_SINK,
                                      GST_DEBUG_CATEGORY_INIT(gst_web_socket_sink_debug, "websocketsink", 0,
                                                              "Serves ASCILINE to WebSocket viewers"));

static std::shared_ptr<gstascii::WsHub> hub_of(GstWebSocketSink* self) {
  return std::static_pointer_cast<gstascii::WsHub>(gst_ascii_server_sink_get_hub(GST_ASCII_SERVER_SINK(self)));
}

static void gst_web_socket_sink_set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_WEB_SOCKET_SINK(object);
  Settings& s = self->impl.settings;
  gstascii::ClientHubConfig& hub = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  if (prop_id == PROP_PATH) {
    gst_ascii_server_sink_set_path(GST_ASCII_SERVER_SINK(self), g_value_get_string(value));
    return;
  }
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_DOCUMENT_ROOT: s.document_root = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_CLIENT_BUFFER: hub.client_buffer = g_value_get_uint(value); break;
    case PROP_MAX_MESSAGE_SIZE: s.max_message_size = g_value_get_uint(value); break;
    case PROP_DEFLATE: s.deflate = g_value_get_boolean(value); break;
    case PROP_STORE_PATH: s.store_path = g_value_get_string(value) ? g_value_get_string(value) : ""; break;
    case PROP_ON_DEMAND: s.on_demand = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_web_socket_sink_get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_WEB_SOCKET_SINK(object);
  const Settings& s = self->impl.settings;
  const gstascii::ClientHubConfig& hub_config = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  auto hub = hub_of(self);
  const gstascii::WsHubStats* stats = hub ? &hub->stats() : nullptr;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_PATH: g_value_set_string(value, hub_config.path.c_str()); break;
    case PROP_DOCUMENT_ROOT:
      g_value_set_string(value, s.document_root.empty() ? default_document_root().c_str() : s.document_root.c_str());
      break;
    case PROP_CLIENT_BUFFER: g_value_set_uint(value, hub_config.client_buffer); break;
    case PROP_MAX_MESSAGE_SIZE: g_value_set_uint(value, s.max_message_size); break;
    case PROP_DEFLATE: g_value_set_boolean(value, s.deflate); break;
    case PROP_STORE_PATH: g_value_set_string(value, s.store_path.empty() ? nullptr : s.store_path.c_str()); break;
    case PROP_ON_DEMAND: g_value_set_boolean(value, s.on_demand); break;
    case PROP_FRAMES_DROPPED: g_value_set_uint64(value, stats ? stats->frames_dropped.load() : 0); break;
    case PROP_ADAPTIVE_CLIENTS: g_value_set_uint(value, stats ? stats->adaptive_clients.load() : 0); break;
    case PROP_JOIN_BURSTS: g_value_set_uint64(value, stats ? stats->join_bursts.load() : 0); break;
    case PROP_KEYFRAME_REQUESTS: g_value_set_uint64(value, stats ? stats->keyframe_requests.load() : 0); break;
    case PROP_RESYNCS: g_value_set_uint64(value, stats ? stats->resyncs.load() : 0); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// A server this sink made serves its player and its deflate choice; a shared one keeps its own
// settings, and is given our player only when it serves none.
static void gst_web_socket_sink_prepare_server(GstAsciiServerSink* sink, GstAsciiServer* server, gboolean created) {
  auto* self = GST_WEB_SOCKET_SINK(sink);
  GST_OBJECT_LOCK(self);
  Settings s = self->impl.settings;
  GST_OBJECT_UNLOCK(self);
  if (s.document_root.empty()) s.document_root = default_document_root();
  gchar* root = nullptr;
  g_object_get(server, "document-root", &root, nullptr);
  if (created || !root) g_object_set(server, "document-root", s.document_root.c_str(), nullptr);
  if (created) g_object_set(server, "websocket-deflate", s.deflate, nullptr);
  g_free(root);
  if (!g_file_test((s.document_root + "/index.html").c_str(), G_FILE_TEST_IS_REGULAR)) {
    GST_ELEMENT_WARNING(self, RESOURCE, NOT_FOUND, ("No web player in %s", s.document_root.c_str()),
                        ("set document-root to the folder holding index.html"));
  }
}

static std::shared_ptr<gstascii::ClientHub> gst_web_socket_sink_start_hub(GstAsciiServerSink* sink,
                                                                          std::shared_ptr<gstascii::HttpServer> server,
                                                                          const gstascii::ClientHubConfig& config,
                                                                          gstascii::HubCallbacks callbacks,
                                                                          GError** error) {
  auto* self = GST_WEB_SOCKET_SINK(sink);
  gstascii::WsHubConfig ws;
  static_cast<gstascii::ClientHubConfig&>(ws) = config;
  GST_OBJECT_LOCK(self);
  ws.max_message_size = self->impl.settings.max_message_size;
  ws.store_path = self->impl.settings.store_path;
  ws.on_demand = self->impl.settings.on_demand;
  GST_OBJECT_UNLOCK(self);
  return gstascii::WsHub::start(std::move(server), ws, std::move(callbacks), error);
}

static void gst_web_socket_sink_reset(GstAsciiServerSink* sink) {
  GST_WEB_SOCKET_SINK(sink)->impl.stream = StreamInfo();
}

static gboolean gst_web_socket_sink_set_caps(GstBaseSink* sink, GstCaps* caps) {
  auto* self = GST_WEB_SOCKET_SINK(sink);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  StreamInfo& info = self->impl.stream;
  gboolean pixel = FALSE;
  gint mode = 0;
  gst_structure_get_boolean(s, "pixel", &pixel);
  gst_structure_get_int(s, "mode", &mode);
  info.adaptive = g_strcmp0(gst_structure_get_string(s, "codec"), "adaptive") == 0;
  info.taggable = !info.adaptive && gst_structure_has_name(s, GST_ASCILINE_MEDIA_TYPE) && !pixel && mode >= 2;
  auto hub = hub_of(self);
  if (!hub) return TRUE;
  if (g_autoptr(GBytes) init = header_bytes(s, "streamheader")) hub->set_init(gstascii::kAscilineCells, init);
  // A stream without symbol cells: viewers that asked for them get ASCILINE's.
  g_autoptr(GBytes) symbol_init = header_bytes(s, "symbol-streamheader");
  hub->set_init(gstascii::kSymbolCells, symbol_init);
  return TRUE;
}

static GstFlowReturn gst_web_socket_sink_render(GstBaseSink* sink, GstBuffer* buffer) {
  auto* self = GST_WEB_SOCKET_SINK(sink);
  auto hub = hub_of(self);
  if (!hub) return GST_FLOW_FLUSHING;
  g_autoptr(GBytes) bytes = gstascii::bytes_from_buffer(buffer);
  if (!bytes) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("Could not map a buffer"), (nullptr));
    return GST_FLOW_ERROR;
  }
  GstAscilineSymbolMeta* symbol = gst_buffer_get_asciline_symbol_meta(buffer);
  if (GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_HEADER)) {
    hub->set_init(gstascii::kAscilineCells, bytes);
    if (symbol) {
      g_autoptr(GBytes) symbol_init = gstascii::bytes_from_buffer(symbol->message);
      if (symbol_init) hub->set_init(gstascii::kSymbolCells, symbol_init);
    }
    return GST_FLOW_OK;
  }
  const StreamInfo& info = self->impl.stream;
  gstascii::WsFrame frame;
  gstascii::WsForms& forms = frame.cells[gstascii::kAscilineCells];
  forms.text = GST_BUFFER_FLAG_IS_SET(buffer, GST_ASCILINE_BUFFER_FLAG_TEXT);
  forms.sync = !GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  forms.raw_only = forms.text || (!info.adaptive && !info.taggable);
  // Each form is made only while a viewer wants it: mapping the raw meta merges its two memories
  // into one copy, and tagging a raw frame copies it.
  const guint clients = hub->totals().clients.get();
  const guint adaptive_clients = hub->stats().adaptive_clients.load();
  g_autoptr(GBytes) raw = nullptr;
  g_autoptr(GBytes) tagged = nullptr;
  if (forms.raw_only) {
    forms.raw = bytes;
  } else if (info.adaptive) {
    if (clients > adaptive_clients) raw = gst_asciline_raw_form(buffer);
    forms.raw = raw;
    forms.adaptive = bytes;
  } else {
    if (adaptive_clients > 0) tagged = gst_asciline_tagged_form(bytes);
    forms.raw = bytes;
    forms.adaptive = tagged;
  }
  // The symbol form: tagged with its own raw meta, or raw, as ascilinepay's codec made it.
  g_autoptr(GBytes) symbol_message = nullptr;
  g_autoptr(GBytes) symbol_raw = nullptr;  // the form made here: raw from a tagged one, or the reverse
  if (symbol && symbol->message) {
    gstascii::WsForms& sf = frame.cells[gstascii::kSymbolCells];
    symbol_message = gstascii::bytes_from_buffer(symbol->message);
    sf.sync = !GST_BUFFER_FLAG_IS_SET(symbol->message, GST_BUFFER_FLAG_DELTA_UNIT);
    if (gst_buffer_get_asciline_raw_meta(symbol->message)) {
      sf.adaptive = symbol_message;
      if (hub->stats().symbol_raw_clients.load() > 0) symbol_raw = gst_asciline_raw_form(symbol->message);
      sf.raw = symbol_raw;
    } else {
      // Raw symbol frames reach adaptive viewers as tag 0 (RAW), as raw ASCILINE frames do.
      sf.raw = symbol_message;
      if (adaptive_clients > 0) symbol_raw = gst_asciline_tagged_form(symbol_message);
      sf.adaptive = symbol_raw;
    }
  }
  if (!hub->push(frame)) GST_DEBUG_OBJECT(self, "server thread behind, dropped a frame");
  return GST_FLOW_OK;
}

static gboolean gst_web_socket_sink_event(GstBaseSink* sink, GstEvent* event) {
  auto* self = GST_WEB_SOCKET_SINK(sink);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) {
    if (auto hub = hub_of(self)) hub->end_of_stream();
  }
  return GST_BASE_SINK_CLASS(gst_web_socket_sink_parent_class)->event(sink, event);
}

static void gst_web_socket_sink_finalize(GObject* object) {
  GST_WEB_SOCKET_SINK(object)->impl.~Impl();
  G_OBJECT_CLASS(gst_web_socket_sink_parent_class)->finalize(object);
}

static void gst_web_socket_sink_init(GstWebSocketSink* self) {
  new (&self->impl) Impl();
  gstascii::ClientHubConfig& hub = gst_ascii_server_sink_config(GST_ASCII_SERVER_SINK(self));
  hub.path = DEFAULT_PATH;
  hub.client_buffer = DEFAULT_CLIENT_BUFFER;
  gst_base_sink_set_sync(GST_BASE_SINK(self), TRUE);
}

static void gst_web_socket_sink_class_init(GstWebSocketSinkClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* basesink_class = GST_BASE_SINK_CLASS(klass);
  auto* server_sink_class = GST_ASCII_SERVER_SINK_CLASS(klass);

  gobject_class->set_property = gst_web_socket_sink_set_property;
  gobject_class->get_property = gst_web_socket_sink_get_property;
  gobject_class->finalize = gst_web_socket_sink_finalize;

  constexpr auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  constexpr auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_PATH,
      g_param_spec_string("path", "Path", "URL path of the WebSocket stream (every other path serves files)",
                          DEFAULT_PATH, rw));
  g_object_class_install_property(
      gobject_class, PROP_DOCUMENT_ROOT,
      g_param_spec_string("document-root", "Document root",
                          "Folder whose files are served at / (the web player), when this sink makes the server or "
                          "the server serves none. Unset: the player installed with gst-ascii, or the source "
                          "tree's data/ when run from the build tree",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_CLIENT_BUFFER,
      g_param_spec_uint("client-buffer", "Client buffer",
                        "Bytes that may wait in the kernel for one viewer; a viewer this far behind skips frames "
                        "until it catches up. Smaller means less lag for slow viewers",
                        4096, 64 * 1024 * 1024, DEFAULT_CLIENT_BUFFER, rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint("max-message-size", "Max message size",
                        "Largest message a viewer may send (control messages are small JSON); a viewer sending "
                        "more is disconnected",
                        125, 16 * 1024 * 1024, DEFAULT_MAX_MESSAGE_SIZE, rw));
  g_object_class_install_property(
      gobject_class, PROP_DEFLATE,
      g_param_spec_boolean("deflate", "Deflate",
                           "Offer permessage-deflate compression. Off by default: it saves bytes but adds lag and "
                           "costs CPU per viewer",
                           DEFAULT_DEFLATE, rw));
  g_object_class_install_property(
      gobject_class, PROP_FRAMES_DROPPED,
      g_param_spec_uint64("frames-dropped", "Frames dropped",
                          "Frame messages viewers skipped because they were behind, counted once per viewer", 0,
                          G_MAXUINT64, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_ADAPTIVE_CLIENTS,
      g_param_spec_uint("adaptive-clients", "Adaptive clients", "Viewers connected now that asked for ?codec=adaptive",
                        0, G_MAXUINT, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_JOIN_BURSTS,
      g_param_spec_uint64("join-bursts", "Join bursts",
                          "Adaptive viewers started at once with the frames since the last sync frame", 0, G_MAXUINT64,
                          0, ro));
  g_object_class_install_property(
      gobject_class, PROP_KEYFRAME_REQUESTS,
      g_param_spec_uint64("keyframe-requests", "Keyframe requests",
                          "Keyframes asked of upstream for joining viewers (when the frames since the last sync "
                          "frame were too many to send at once)",
                          0, G_MAXUINT64, 0, ro));

  g_object_class_install_property(
      gobject_class, PROP_RESYNCS,
      g_param_spec_uint64("resyncs", "Resyncs",
                          "Times a viewer reported more than 15 undecoded frames twice in a row and was moved on to "
                          "the next sync frame (raw viewers: 0.3 s of frames skipped) instead of falling further "
                          "behind",
                          0, G_MAXUINT64, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_STORE_PATH,
      g_param_spec_string("store-path", "Store path",
                          "Path of an asciihlssink on the same server (\"/hls/\") whose stored stream a viewer "
                          "reads on its own once it pauses or seeks (time-shift: {\"type\":\"pause\"}, "
                          "{\"type\":\"seek\"}, {\"type\":\"live\"}). Unset: every viewer sees the broadcast",
                          nullptr, rw));
  g_object_class_install_property(
      gobject_class, PROP_ON_DEMAND,
      g_param_spec_boolean("on-demand", "On demand",
                           "With store-path: every viewer plays the stored stream from its start on its own clock "
                           "from the moment it connects (a file encoded ahead of real time, with sync=false), "
                           "rather than the broadcast; viewers stay connected after the end of the stream",
                           DEFAULT_ON_DEMAND, rw));

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "WebSocket sink", "Sink/Network",
                                        "Serves a stream to WebSocket viewers, and a web player over HTTP",
                                        "gst-ascii developers");

  basesink_class->set_caps = GST_DEBUG_FUNCPTR(gst_web_socket_sink_set_caps);
  basesink_class->render = GST_DEBUG_FUNCPTR(gst_web_socket_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR(gst_web_socket_sink_event);
  server_sink_class->message_prefix = "websocketsink";
  server_sink_class->start_hub = gst_web_socket_sink_start_hub;
  server_sink_class->prepare_server = gst_web_socket_sink_prepare_server;
  server_sink_class->reset = gst_web_socket_sink_reset;
}
