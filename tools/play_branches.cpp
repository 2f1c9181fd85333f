// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "play_branches.h"

#include <cstring>
#include <initializer_list>

#include "gstasciiraii.h"
#include <gst/video/video.h>
#include <algorithm>
#include <memory>

namespace {

// Which Debian package brings an element the launcher uses.
const char* package_of(const char* factory) {
  static const struct {
    const char* factory;
    const char* package;
  } known[] = {
      {"videoflip", "gstreamer1.0-plugins-good"}, {"imagefreeze", "gstreamer1.0-plugins-good"},
      {"aacparse", "gstreamer1.0-plugins-good"},  {"avenc_aac", "gstreamer1.0-libav"},
      {"voaacenc", "gstreamer1.0-plugins-bad"},   {"autoaudiosink", "gstreamer1.0-plugins-good"},
  };
  for (const auto& k : known) {
    if (strcmp(k.factory, factory) == 0) return k.package;
  }
  return "gstreamer1.0-plugins-base";
}

// A new bin, held (not floating) while it is built, so an early return drops it.
GstElement* new_bin(const char* name) {
  return GST_ELEMENT(gst_object_ref_sink(gst_bin_new(name)));
}

// Gives the bin in |bin| a ghost pad named |pad_name| for the pad of that name of |end| (the first
// element's "sink" or the last one's "src"), and hands it over floating, as a factory-made
// element is, for the caller's gst_bin_add() to take.
GstElement* finish_bin(GstElement** bin, GstElement* end, const char* pad_name) {
  g_autoptr(GstPad) target = gst_element_get_static_pad(end, pad_name);
  gst_element_add_pad(*bin, gst_ghost_pad_new(pad_name, target));
  g_object_force_floating(G_OBJECT(*bin));
  return static_cast<GstElement*>(g_steal_pointer(bin));
}

// Makes each (factory, name) of |chain| into |bin| and links them in order, after |after| when
// given; the elements are returned in |made|, in the same order. False when one is missing or they
// do not link.
bool add_chain(GstElement* bin, std::initializer_list<std::pair<const char*, const char*>> chain, GstElement** made,
               std::string* missing, GstElement* after = nullptr) {
  GstElement* previous = after;
  int i = 0;
  for (const auto& [factory, name] : chain) {
    GstElement* e = make_element(factory, name, missing);
    if (!e) return false;
    gst_bin_add(GST_BIN(bin), e);
    if (previous && !gst_element_link(previous, e)) {
      *missing = std::string("cannot link ") + GST_ELEMENT_NAME(previous) + " to " + GST_ELEMENT_NAME(e);
      return false;
    }
    made[i++] = previous = e;
  }
  return true;
}

// The sync demo's picture: white for the first 100 ms of every second, when the beep sounds.
GstPadProbeReturn flash(GstPad*, GstPadProbeInfo* info, gpointer) {
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts) || pts % GST_SECOND >= 100 * GST_MSECOND) return GST_PAD_PROBE_OK;
  buf = gst_buffer_make_writable(buf);
  GST_PAD_PROBE_INFO_DATA(info) = buf;
  gstascii::MappedBuffer map(buf, GST_MAP_WRITE);
  if (map.ok) memset(map.info.data, 0xEB, map.info.size);  // GRAY8 white
  return GST_PAD_PROBE_OK;
}

// A second branch of |tee| leaving |bin| as the src pad "hls", for asciihlssink (which takes each
// message as it comes, so the queue only decouples the threads).
bool add_hls_output(GstElement* bin, GstElement* tee, std::string* missing) {
  GstElement* queue = make_element("queue", nullptr, missing);
  if (!queue) return false;
  gst_bin_add(GST_BIN(bin), queue);
  if (!gst_element_link(tee, queue)) {
    *missing = "cannot link the HLS branch";
    return false;
  }
  g_autoptr(GstPad) src = gst_element_get_static_pad(queue, "src");
  gst_element_add_pad(bin, gst_ghost_pad_new("hls", src));
  return true;
}

}  // namespace

GstElement* make_element(const char* factory, const char* name, std::string* missing) {
  GstElement* e = gst_element_factory_make(factory, name);
  if (!e)
    *missing = std::string("the GStreamer element ") + factory + " is missing (install " + package_of(factory) + ")";
  return e;
}

// A viewer or listener who pauses or seeks reads the HLS sink's store; on demand (a file), every
// one does, and the file is encoded as fast as it decodes rather than in real time.
void serve_from_store(GstElement* sink, bool on_demand) {
  g_object_set(sink, "store-path", kHlsPath, "on-demand", on_demand, nullptr);
  if (on_demand) g_object_set(sink, "sync", FALSE, nullptr);
}

// The start of every picture branch served: queue ! videorate ! capsfilter (--fps) ! videoconvert !
// videoflip (a phone video's rotation tag) ! tee of raw pictures (kPicturesName), after which each
// kind of viewer has its own. Returns the tee; |queue| is the first element.
GstElement* add_picture_head(GstElement* bin, const PlayOptions& opt, GstElement** queue, std::string* missing) {
  GstElement* e[6] = {};
  if (!add_chain(bin,
                 {{"queue", nullptr},
                  {"videorate", nullptr},
                  {"capsfilter", kRateFilterName},
                  {"videoconvert", nullptr},
                  {"videoflip", nullptr},
                  {"tee", kPicturesName}},
                 e, missing))
    return nullptr;
  // A few pictures of slack between the decoder and the mappers; the sound has its own queue.
  g_object_set(e[0], "max-size-buffers", 4, "max-size-bytes", 0, "max-size-time", guint64(0), nullptr);
  g_autoptr(GstCaps) rate_caps =
      gst_caps_new_simple("video/x-raw", "framerate", GST_TYPE_FRACTION, opt.fps, 1, nullptr);
  g_object_set(e[2], "caps", rate_caps, nullptr);
  // Phone videos carry their rotation as a tag; videoflip applies it.
  gst_util_set_object_arg(G_OBJECT(e[4]), "video-direction", "auto");
  *queue = e[0];
  return e[5];
}

GstElement* make_video_branch(const PlayOptions& opt, bool on_demand, std::string* missing) {
  g_autoptr(GstElement) bin = new_bin("video");
  GstElement* queue = nullptr;
  GstElement* pictures = add_picture_head(bin, opt, &queue, missing);
  GstElement* e[2] = {};
  GstElement* tail[3] = {};
  if (!pictures || !add_chain(bin, {{"asciimap", kMapName}, {"ascilinepay", nullptr}}, e, missing, pictures))
    return nullptr;
  GstElement *map = e[0], *pay = e[1];
  // Served: ascilinepay ! tee, one branch to the viewers' sink, one out of the bin as "hls".
  const bool ok =
      add_chain(bin, {{"tee", nullptr}, {"queue", nullptr}, {"websocketsink", kSinkName}}, tail, missing, pay) &&
      add_hls_output(bin, tail[0], missing);
  if (!ok) return nullptr;
  GstElement* sink = tail[2];
  g_object_set(map, "cols", opt.cols, "rows", opt.rows, "max-cols", opt.box_cols, "max-rows", opt.box_rows, "mode",
               opt.mode, nullptr);
  if (!opt.palette.empty()) g_object_set(map, "palette", opt.palette.c_str(), nullptr);
  // Browsers that take symbol cells get the style, others ASCILINE's cells of the same frames.
  g_object_set(map, "style", opt.style.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(pay), "codec", opt.codec.c_str());
  // On demand the encoder may be moved ahead for a viewer and back later: frame indices follow the
  // place in the file.
  g_object_set(pay, "stream-time", on_demand, nullptr);
  // Host and port are the server's, handed to the pipeline in a context.
  g_object_set(sink, "max-clients", opt.max_clients, nullptr);
  serve_from_store(sink, on_demand);
  return finish_bin(&bin, queue, "sink");
}

GstElement* make_tty_channel_video(const PlayOptions& opt, std::string* missing) {
  g_autoptr(GstElement) bin = new_bin("tty-video");
  GstElement* queue = nullptr;
  GstElement* pictures = add_picture_head(bin, opt, &queue, missing);
  // The pacer: every picture reaches a sink on the clock, whichever sizes are watched (the others
  // drop theirs), so the file plays in real time, and stands still while paused (its preroll).
  GstElement* pacer[2] = {};
  if (!pictures || !add_chain(bin, {{"queue", nullptr}, {"fakesink", nullptr}}, pacer, missing, pictures))
    return nullptr;
  // One picture of slack: more would be pictures the paused terminals never see.
  g_object_set(pacer[0], "max-size-buffers", 1, "max-size-bytes", 0, "max-size-time", guint64(0), nullptr);
  g_object_set(pacer[1], "sync", TRUE, nullptr);
  return finish_bin(&bin, queue, "sink");
}

GstElement* make_hls_sink(const PlayOptions& opt, bool file, std::string* missing) {
  GstElement* hls = make_element("asciihlssink", "hls", missing);
  if (!hls) return nullptr;
  gst_util_set_object_arg(G_OBJECT(hls), "playlist-type", file ? "file" : "live");
  g_object_set(hls, "window", file ? guint64(0) : opt.dvr_seconds > 0 ? opt.dvr_seconds : kLiveHlsSeconds, nullptr);
  if (!opt.hls_dir.empty()) g_object_set(hls, "location", opt.hls_dir.c_str(), nullptr);
  return hls;
}

GstElement* make_audio_branch(const SoundServed& served, std::string* missing) {
  const char* encoder = nullptr;
  for (const char* name : {"avenc_aac", "voaacenc"}) {
    g_autoptr(GstElementFactory) f = gst_element_factory_find(name);
    if (f) {
      encoder = name;
      break;
    }
  }
  if (!encoder) {
    *missing = "no AAC encoder (install gstreamer1.0-libav)";
    return nullptr;
  }
  g_autoptr(GstElement) bin = new_bin("audio");
  GstElement* e[8] = {};
  if (!add_chain(bin,
                 {{"queue", nullptr},
                  {"audioconvert", kAudioConvertName},
                  {"audioresample", nullptr},
                  {"capsfilter", nullptr},
                  {encoder, nullptr},
                  {"aacparse", nullptr},
                  {"capsfilter", nullptr},
                  {"tee", nullptr}},
                 e, missing))
    return nullptr;
  GstElement* tee = e[7];
  // A second of slack, counted in time only: the picture's branch sets the pace.
  g_object_set(e[0], "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time", guint64(GST_SECOND), nullptr);
  g_autoptr(GstCaps) pcm = gst_caps_new_simple("audio/x-raw", "rate", G_TYPE_INT, 48000, nullptr);
  g_object_set(e[3], "caps", pcm, nullptr);
  // libav's default quantizer search ("twoloop") once spun for an hour on the sync demo's beeps
  // here (the sound's streaming thread at 85 % of a core inside libavcodec, never ending); the
  // "fast" search has no such loop, and 128 kbit/s hides the difference.
  if (strcmp(encoder, "avenc_aac") == 0) gst_util_set_object_arg(G_OBJECT(e[4]), "aac-coder", "fast");
  g_object_set(e[4], "bitrate", 128000, nullptr);
  g_autoptr(GstCaps) adts = gst_caps_new_simple("audio/mpeg", "stream-format", G_TYPE_STRING, "adts", nullptr);
  g_object_set(e[6], "caps", adts, nullptr);
  GstElement* out[2] = {};
  if (served.listeners) {
    if (!add_chain(bin, {{"queue", nullptr}, {"adtsmux-out", "audio"}}, out, missing, tee) ||
        !add_hls_output(bin, tee, missing))
      return nullptr;
    serve_from_store(out[1], served.on_demand);
  }
  if (served.terminals) {
    if (!add_chain(bin, {{"queue", nullptr}, {"adtsmux-out", kTtyAudioName}}, out, missing, tee)) return nullptr;
    g_object_set(out[1], "path", kTtyAudioPath, "burst", 0u, nullptr);
  }
  return finish_bin(&bin, e[0], "sink");
}

void discard_stream(GstElement* pipeline, GstPad* pad) {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(pipeline), sink);
  gst_element_sync_state_with_parent(sink);
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_link(pad, sink_pad);
}

DecodedStream decoded_stream(GstPad* pad) {
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  if (!caps) caps = gst_pad_query_caps(pad, nullptr);
  const GstStructure* s = gst_caps_is_empty(caps) ? nullptr : gst_caps_get_structure(caps, 0);
  if (s && gst_structure_has_name(s, "video/x-raw")) {
    int n = 0, d = 1;
    return gst_structure_get_fraction(s, "framerate", &n, &d) && n == 0 ? DecodedStream::kStillPicture
                                                                        : DecodedStream::kPicture;
  }
  if (s && gst_structure_has_name(s, "audio/x-raw")) return DecodedStream::kSound;
  return DecodedStream::kOther;
}

GstElement* add_freeze_before(GstElement* pipeline, GstElement* target, std::string* missing) {
  GstElement* freeze = gst_element_factory_make("imagefreeze", nullptr);
  if (!freeze) {
    *missing = "a still picture needs imagefreeze (install gstreamer1.0-plugins-good)";
    return nullptr;
  }
  gst_bin_add(GST_BIN(pipeline), freeze);
  gst_element_sync_state_with_parent(freeze);
  if (!gst_element_link(freeze, target)) {
    *missing = "imagefreeze does not link to the picture's branch";
    gst_element_set_state(freeze, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(pipeline), freeze);  // not left in the pipeline unlinked
    return nullptr;
  }
  return freeze;
}

GstElement* make_terminal_video_branch(int fps, const std::string& style, const std::string& colors,
                                       const std::string& symbols, std::string* missing) {
  g_autoptr(GstElement) bin = new_bin("video");
  GstElement* e[8] = {};
  if (!add_chain(bin,
                 {{"queue", nullptr},
                  {"videorate", nullptr},
                  {"videoconvert", nullptr},
                  {"videoflip", nullptr},
                  {"asciimap", kMapName},
                  {"asciiansienc", kAnsiName},
                  {"fdsink", kSinkName}},
                 e, missing))
    return nullptr;
  GstElement *queue = e[0], *rate = e[1], *flip = e[3], *map = e[4], *ansi = e[5], *sink = e[6];
  g_object_set(queue, "max-size-buffers", 3, "max-size-bytes", 0, "max-size-time", guint64(0), nullptr);
  // A terminal needs no more than --fps: later frames are dropped before they cost anything.
  g_object_set(rate, "max-rate", fps, "drop-only", TRUE, nullptr);
  gst_util_set_object_arg(G_OBJECT(flip), "video-direction", "auto");
  // Mode 6 keeps every colour: the terminal's palette is asciiansienc's to choose.
  g_object_set(map, "mode", 6, "style", style.c_str(), nullptr);
  gst_util_set_object_arg(G_OBJECT(ansi), "colors", colors.c_str());
  gst_util_set_object_arg(G_OBJECT(ansi), "symbols", symbols.c_str());
  // Frames are written in time with the sound; a terminal too slow for them makes asciimap drop
  // pictures (QoS), never the encoder's deltas.
  g_object_set(sink, "fd", 1, "sync", TRUE, "qos", TRUE, nullptr);
  return finish_bin(&bin, queue, "sink");
}

bool picture_shape_from_caps_event(GstPadProbeInfo* info, gstascii::PictureShape* shape) {
  if (!(GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)) return false;
  GstEvent* event = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(event) != GST_EVENT_CAPS) return false;
  GstCaps* caps = nullptr;
  gst_event_parse_caps(event, &caps);
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  gst_structure_get_int(s, "width", &shape->width);
  gst_structure_get_int(s, "height", &shape->height);
  if (!gst_structure_get_fraction(s, "pixel-aspect-ratio", &shape->par_n, &shape->par_d))
    shape->par_n = shape->par_d = 1;
  return true;
}

void fit_cells_to_terminal(GstElement* map, GstElement* ansi, const gstascii::PictureShape& picture, int term_cols,
                           int term_rows, double cell_aspect) {
  const gstascii::GridSize grid = gstascii::fit_in_terminal(picture, term_cols, term_rows, cell_aspect);
  const int left = 1 + std::max(0, (term_cols - grid.cols) / 2);
  const int top = 1 + std::max(0, (term_rows - grid.rows) / 2);
  g_object_set(ansi, "left", left, "top", top, nullptr);
  g_object_set(map, "cols", grid.cols, "rows", grid.rows, nullptr);
}

namespace {

// One terminal size served: its elements, found again by the probes.
struct TtyBranch {
  int cols = 0, rows = 0;
  GstElement* map = nullptr;   // asciimap
  GstElement* ansi = nullptr;  // asciiansienc
  GstElement* sink = nullptr;  // asciittysink
  GstElement* tcp = nullptr;   // tcpserversink, or null
};

// Encoded only while watched: pictures reach the branch only when a terminal is connected.
GstPadProbeReturn drop_unwatched(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* b = static_cast<TtyBranch*>(data);
  guint viewers = 0, handles = 0;
  g_object_get(b->sink, "clients", &viewers, nullptr);
  if (b->tcp) g_object_get(b->tcp, "num-handles", &handles, nullptr);
  return viewers + handles > 0 ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

// The picture fitted to the branch's terminal size (1:2 cells), centred, as its shape is known.
GstPadProbeReturn fit_tty_grid(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* b = static_cast<TtyBranch*>(data);
  gstascii::PictureShape shape;
  if (!picture_shape_from_caps_event(info, &shape)) return GST_PAD_PROBE_OK;
  fit_cells_to_terminal(b->map, b->ansi, shape, b->cols, b->rows, 0.5);
  return GST_PAD_PROBE_OK;
}

// A new raw TCP viewer starts at a whole picture: ask for one now.
void on_tcp_client(GstElement* tcp, GObject*, gpointer) {
  g_autoptr(GstPad) pad = gst_element_get_static_pad(tcp, "sink");
  gst_pad_push_event(pad, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
}

}  // namespace

bool add_tty_branches(GstElement* video_bin, guint tcp_port, const std::string& host, std::string* missing) {
  g_autoptr(GstElement) pictures = gst_bin_get_by_name(GST_BIN(video_bin), kPicturesName);
  bool first = true;
  for (const TtySize& size : kTtySizes) {
    const std::string name = std::to_string(size.cols) + "x" + std::to_string(size.rows);
    const bool tcp = first && tcp_port > 0;
    GstElement* e[6] = {};
    if (!add_chain(video_bin,
                   {{"queue", nullptr},
                    {"asciimap", nullptr},
                    {"asciiansienc", nullptr},
                    {"tee", nullptr},
                    {"queue", nullptr},
                    {"asciittysink", nullptr}},
                   e, missing, pictures))
      return false;
    auto branch = std::make_unique<TtyBranch>();
    branch->cols = size.cols;
    branch->rows = size.rows;
    branch->map = e[1];
    branch->ansi = e[2];
    branch->sink = e[5];
    // A slow terminal branch never holds the picture back: it drops what it cannot take.
    gst_util_set_object_arg(G_OBJECT(e[0]), "leaky", "downstream");
    g_object_set(e[0], "max-size-buffers", 2, "max-size-bytes", 0, "max-size-time", guint64(0), nullptr);
    g_object_set(e[1], "style", "half", "mode", 6, nullptr);
    // A viewer stopped with Ctrl-C (curl, nc) never gets the end of the stream: its cursor stays.
    g_object_set(e[2], "hide-cursor", FALSE, nullptr);
    g_object_set(e[4], "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time", guint64(0), nullptr);
    // /tty is the first size; the others answer /tty?size=COLSxROWS (and /tty/COLSxROWS).
    // Nothing reaches a size nobody watches: its sinks must not wait for a first frame to start.
    g_object_set(e[5], "async", FALSE, nullptr);
    g_object_set(e[5], "path", first ? kTtyPath : (std::string(kTtyPath) + "/" + name).c_str(), "size", name.c_str(),
                 nullptr);
    if (tcp) {
      GstElement* t[2] = {};
      if (!add_chain(video_bin, {{"queue", nullptr}, {"tcpserversink", nullptr}}, t, missing, e[3])) return false;
      g_object_set(t[1], "host", host.c_str(), "port", gint(tcp_port), "async", FALSE, "sync", TRUE, nullptr);
      gst_util_set_object_arg(G_OBJECT(t[1]), "sync-method", "next-keyframe");
      gst_util_set_object_arg(G_OBJECT(t[1]), "recover-policy", "keyframe");
      // A viewer further behind than this skips to the next whole picture.
      gst_util_set_object_arg(G_OBJECT(t[1]), "unit-format", "bytes");
      g_object_set(t[1], "units-soft-max", gint64(1024 * 1024), "units-max", gint64(4 * 1024 * 1024), nullptr);
      g_signal_connect(t[1], "client-added", G_CALLBACK(on_tcp_client), nullptr);
      branch->tcp = t[1];
    }
    g_autoptr(GstPad) gate = gst_element_get_static_pad(e[0], "src");
    gst_pad_add_probe(gate, GST_PAD_PROBE_TYPE_BUFFER, drop_unwatched, branch.get(), nullptr);
    g_autoptr(GstPad) map_sink = gst_element_get_static_pad(e[1], "sink");
    TtyBranch* owned = branch.release();
    gst_pad_add_probe(map_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, fit_tty_grid, owned,
                      [](gpointer d) { delete static_cast<TtyBranch*>(d); });
    first = false;
  }
  return true;
}

GstElement* make_local_audio_branch(std::string* missing) {
  g_autoptr(GstElement) bin = new_bin("audio");
  GstElement* e[4] = {};
  if (!add_chain(
          bin, {{"queue", nullptr}, {"audioconvert", nullptr}, {"audioresample", nullptr}, {"autoaudiosink", nullptr}},
          e, missing))
    return nullptr;
  g_object_set(e[0], "max-size-buffers", 0, "max-size-bytes", 0, "max-size-time", guint64(GST_SECOND), nullptr);
  return finish_bin(&bin, e[0], "sink");
}

GstElement* make_demo_video(const PlayOptions& opt, std::string* missing) {
  g_autoptr(GstElement) bin = new_bin("demo-video");
  GstElement* e[2] = {};
  if (!add_chain(bin, {{"videotestsrc", nullptr}, {"capsfilter", nullptr}}, e, missing)) return nullptr;
  GstElement* src = e[0];
  g_object_set(src, "is-live", TRUE, nullptr);
  // Drawn at a video size and averaged down, so the demo's shapes survive any grid.
  g_autoptr(GstCaps) caps = gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, 640, "height", G_TYPE_INT, 360,
                                                "framerate", GST_TYPE_FRACTION, opt.fps, 1, nullptr);
  if (opt.demo == "motion") {
    // A zone plate changing everywhere every frame: the hardest picture for the adaptive codec.
    gst_util_set_object_arg(G_OBJECT(src), "pattern", "zone-plate");
    g_object_set(src, "kx2", 20, "ky2", 20, "kt", 1, "kt2", 1, nullptr);
  } else if (opt.demo == "sync") {
    gst_util_set_object_arg(G_OBJECT(src), "pattern", "black");
    gst_caps_set_simple(caps, "format", G_TYPE_STRING, "GRAY8", nullptr);
    g_autoptr(GstPad) pad = gst_element_get_static_pad(src, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, flash, nullptr, nullptr);
  } else {
    gst_util_set_object_arg(G_OBJECT(src), "pattern", "smpte");
    g_object_set(src, "horizontal-speed", 4, nullptr);
  }
  g_object_set(e[1], "caps", caps, nullptr);
  return finish_bin(&bin, e[1], "src");
}

GstElement* make_demo_audio(const PlayOptions& opt, std::string* missing) {
  GstElement* src = make_element("audiotestsrc", "demo-audio", missing);
  if (!src) return nullptr;
  g_object_set(src, "is-live", TRUE, "freq", 1000.0, nullptr);
  if (opt.demo == "sync") {
    // A beep of 100 sine periods (100 ms) at the start of every second, with the white flash.
    gst_util_set_object_arg(G_OBJECT(src), "wave", "ticks");
    g_object_set(src, "sine-periods-per-tick", 100u, "volume", 0.5, nullptr);
  } else {
    gst_util_set_object_arg(G_OBJECT(src), "wave", "sine");
    g_object_set(src, "volume", 0.1, nullptr);
  }
  return src;
}
