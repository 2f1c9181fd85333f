// SPDX-License-Identifier: LGPL-2.1-or-later
//
//   uridecodebin ! queue ! videoconvert ! videoflip ! asciimap ! asciirender ! videoconvert ! H.264 ! mux ! filesink
//   uridecodebin ! queue ! audioconvert ! audioresample ! AAC ! aacparse ! mux
//
// Built element by element. The file is read as fast as the pipeline goes (not in real time).
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "export_art.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>

#include <cstring>
#include <string>

#include "play_branches.h"
#include "start_watch.h"

namespace {

struct Export {
  const PlayOptions* opt = nullptr;
  std::string path;
  GstElement* pipeline = nullptr;
  GstElement* decoder = nullptr;  // uridecodebin: errors from inside it are the source's
  GstElement* mux = nullptr;
  GMainLoop* loop = nullptr;
  bool video_linked = false, audio_linked = false;
  int width = 0, height = 0;
  int exit_code = 0;
  int interrupts = 0;
};

// The H.264 encoder: x264 (gstreamer1.0-plugins-ugly), else OpenH264 (gstreamer1.0-plugins-bad).
GstElement* make_h264_encoder(std::string* missing) {
  if (GstElement* x264 = gst_element_factory_make("x264enc", nullptr)) {
    // Character art is hard edges on flat colour: a constant quality keeps letters crisp.
    gst_util_set_object_arg(G_OBJECT(x264), "speed-preset", "veryfast");
    gst_util_set_object_arg(G_OBJECT(x264), "pass", "quant");
    g_object_set(x264, "quantizer", 20u, nullptr);
    return x264;
  }
  if (GstElement* openh264 = gst_element_factory_make("openh264enc", nullptr)) {
    g_object_set(openh264, "bitrate", 8000000u, nullptr);
    return openh264;
  }
  *missing = "no H.264 encoder (install gstreamer1.0-plugins-ugly for x264enc)";
  return nullptr;
}

// Adds |factories| to the pipeline and links them in order, from |pad| to the muxer's request pad
// |mux_pad|. False with |missing| set when an element is missing or a link fails.
bool add_branch(Export* ex, GstPad* pad, std::initializer_list<GstElement*> elements, const char* mux_pad,
                std::string* missing) {
  GstElement* previous = nullptr;
  for (GstElement* e : elements) {
    if (!e) return false;
    gst_bin_add(GST_BIN(ex->pipeline), e);
    gst_element_sync_state_with_parent(e);
    if (previous && !gst_element_link(previous, e)) {
      *missing = std::string("cannot link ") + GST_ELEMENT_NAME(previous) + " to " + GST_ELEMENT_NAME(e);
      return false;
    }
    previous = e;
  }
  GstElement* first = *elements.begin();
  g_autoptr(GstPad) sink = gst_element_get_static_pad(first, "sink");
  if (gst_pad_link(pad, sink) != GST_PAD_LINK_OK) {
    *missing = "cannot link the decoded stream";
    return false;
  }
  g_autoptr(GstPad) out = gst_element_get_static_pad(previous, "src");
  g_autoptr(GstPad) in = gst_element_request_pad_simple(ex->mux, mux_pad);
  if (!in || gst_pad_link(out, in) != GST_PAD_LINK_OK) {
    *missing = std::string("the muxer takes no ") + mux_pad;
    return false;
  }
  return true;
}

void on_pad_added(GstElement* decoder, GstPad* pad, gpointer data) {
  auto* ex = static_cast<Export*>(data);
  const PlayOptions& opt = *ex->opt;
  const DecodedStream kind = decoded_stream(pad);
  std::string missing;
  bool ok = true;
  if (is_picture(kind) && !ex->video_linked) {
    ex->video_linked = true;
    GstElement* flip = make_element("videoflip", nullptr, &missing);
    GstElement* map = make_element("asciimap", nullptr, &missing);
    GstElement* render = make_element("asciirender", nullptr, &missing);
    GstElement* encoder = map && render ? make_h264_encoder(&missing) : nullptr;
    if (flip) gst_util_set_object_arg(G_OBJECT(flip), "video-direction", "auto");
    if (map) {
      g_object_set(map, "cols", opt.cols, "rows", opt.rows, "max-cols", opt.box_cols, "max-rows", opt.box_rows, "mode",
                   opt.mode, "style", opt.style.c_str(), nullptr);
      if (!opt.palette.empty()) g_object_set(map, "palette", opt.palette.c_str(), nullptr);
    }
    ok = flip && map && render && encoder &&
         add_branch(ex, pad,
                    {make_element("queue", nullptr, &missing), make_element("videoconvert", nullptr, &missing), flip,
                     map, render, make_element("videoconvert", nullptr, &missing), encoder,
                     make_element("h264parse", nullptr, &missing)},
                    "video_%u", &missing);
  } else if (kind == DecodedStream::kSound && opt.audio && !ex->audio_linked) {
    ex->audio_linked = true;
    GstElement* encoder = gst_element_factory_make("avenc_aac", nullptr);
    if (encoder) {
      gst_util_set_object_arg(G_OBJECT(encoder), "aac-coder", "fast");  // see play_branches.cpp
    } else {
      encoder = make_element("voaacenc", nullptr, &missing);
    }
    ok = encoder &&
         add_branch(
             ex, pad,
             {make_element("queue", nullptr, &missing), make_element("audioconvert", nullptr, &missing),
              make_element("audioresample", nullptr, &missing), encoder, make_element("aacparse", nullptr, &missing)},
             "audio_%u", &missing);
  } else {
    discard_stream(ex->pipeline, pad);  // a second picture, subtitles: not written
  }
  if (!ok) GST_ELEMENT_ERROR(decoder, CORE, MISSING_PLUGIN, ("%s", missing.c_str()), (nullptr));
}

void on_no_more_pads(GstElement* decoder, gpointer data) {
  auto* ex = static_cast<Export*>(data);
  if (!ex->video_linked) {
    GST_ELEMENT_ERROR(decoder, STREAM, WRONG_TYPE,
                      ("%s", ex->audio_linked ? "it has sound but no picture to draw" : "it has no picture stream"),
                      (nullptr));
  }
}

gboolean on_interrupt(gpointer data) {
  auto* ex = static_cast<Export*>(data);
  if (++ex->interrupts == 1) {
    // The muxer finishes the file on EOS, so what was written so far plays.
    g_printerr("ascii-launch: interrupted: finishing %s (Ctrl-C again to quit at once)\n", ex->path.c_str());
    gst_element_send_event(ex->pipeline, gst_event_new_eos());
  } else {
    ex->exit_code = 130;
    g_main_loop_quit(ex->loop);
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* ex = static_cast<Export*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS: g_main_loop_quit(ex->loop); break;
    case GST_MESSAGE_ERROR: {
      g_autoptr(GError) error = nullptr;
      g_autofree gchar* debug = nullptr;
      gst_message_parse_error(msg, &error, &debug);
      const bool source = GST_MESSAGE_SRC(msg) == GST_OBJECT(ex->decoder) ||
                          gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(ex->decoder));
      if (source) {
        g_printerr("ascii-launch: cannot read %s: %s\n", ex->opt->uri.c_str(), error->message);
      } else {
        g_printerr("ascii-launch: cannot write %s: %s\n", ex->path.c_str(), error->message);
      }
      GST_DEBUG("%s", debug ? debug : "");  // one line for the user; the details with GST_DEBUG
      ex->exit_code = 1;
      g_main_loop_quit(ex->loop);
      break;
    }
    default: break;
  }
  return TRUE;
}

// The container from the file name's extension.
const char* muxer_for(const std::string& path) {
  g_autofree gchar* lower = g_ascii_strdown(path.c_str(), -1);
  if (g_str_has_suffix(lower, ".mp4") || g_str_has_suffix(lower, ".m4v") || g_str_has_suffix(lower, ".mov"))
    return "mp4mux";
  if (g_str_has_suffix(lower, ".mkv")) return "matroskamux";
  return nullptr;
}

}  // namespace

int run_export(const PlayOptions& options, const std::string& path) {
  if (options.uri.empty()) {
    g_printerr("ascii-launch: --output needs a file or URI to draw\n");
    return 2;
  }
  const char* muxer = muxer_for(path);
  if (!muxer) {
    g_printerr("ascii-launch: --output %s: write .mp4, .mov or .mkv\n", path.c_str());
    return 2;
  }
  Export ex;
  ex.opt = &options;
  ex.path = path;
  std::string missing;
  ex.pipeline = gst_pipeline_new("export");
  GstElement* decoder = make_element("uridecodebin", nullptr, &missing);
  ex.mux = make_element(muxer, nullptr, &missing);
  GstElement* sink = make_element("filesink", nullptr, &missing);
  if (!decoder || !ex.mux || !sink) {
    g_printerr("ascii-launch: %s\n", missing.c_str());
    gst_object_unref(ex.pipeline);
    return 1;
  }
  g_object_set(decoder, "uri", options.uri.c_str(), "expose-all-streams", FALSE, nullptr);
  ex.decoder = decoder;
  g_object_set(sink, "location", path.c_str(), "sync", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(ex.pipeline), decoder, ex.mux, sink, nullptr);
  gst_element_link(ex.mux, sink);
  g_signal_connect(decoder, "pad-added", G_CALLBACK(on_pad_added), &ex);
  g_signal_connect(decoder, "no-more-pads", G_CALLBACK(on_no_more_pads), &ex);

  ex.loop = g_main_loop_new(nullptr, FALSE);
  GstBus* bus = gst_element_get_bus(ex.pipeline);
  const guint bus_watch = gst_bus_add_watch(bus, on_bus, &ex);
  gst_object_unref(bus);
  const guint sigint = g_unix_signal_add(SIGINT, on_interrupt, &ex);
  const guint sigterm = g_unix_signal_add(SIGTERM, on_interrupt, &ex);
  const gint64 started = g_get_monotonic_time();
  if (gst_element_set_state(ex.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_printerr("ascii-launch: cannot start writing %s\n", path.c_str());
    ex.exit_code = 1;
  } else {
    const guint seconds = guint(options.stall_seconds);
    const StartWatch start_watch(ex.pipeline, seconds, [&ex, seconds] {
      g_printerr("ascii-launch: cannot read %s: %s\n", ex.opt->uri.c_str(), not_started_reason(seconds).c_str());
      ex.exit_code = 1;
      g_main_loop_quit(ex.loop);
    });
    g_main_loop_run(ex.loop);
  }
  gint64 position = -1;
  gst_element_query_position(ex.pipeline, GST_FORMAT_TIME, &position);
  gst_element_set_state(ex.pipeline, GST_STATE_NULL);
  g_source_remove(sigint);
  g_source_remove(sigterm);
  g_source_remove(bus_watch);
  gst_object_unref(ex.pipeline);
  g_main_loop_unref(ex.loop);
  if (ex.exit_code == 1) {
    // What was written is not a file anyone can play (no index): leave nothing behind.
    g_remove(path.c_str());
  } else if (ex.exit_code == 0) {
    g_print("ascii-launch: wrote %s (%.1f s of art%s, style %s) in %.1f s\n", path.c_str(),
            position > 0 ? double(position) / GST_SECOND : 0.0, ex.audio_linked ? " with sound" : "",
            options.style.c_str(), double(g_get_monotonic_time() - started) / G_USEC_PER_SEC);
  }
  return ex.exit_code;
}
