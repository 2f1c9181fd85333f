// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "terminal_player.h"

#include <gst/gst.h>
#include <gst/video/video.h>
#include <langinfo.h>

#include <algorithm>
#include <clocale>
#include <cstdlib>
#include <mutex>

#include "grid_fit.h"
#include "play_branches.h"
#include "start_watch.h"
#include "terminal.h"
#include "terminal_session.h"

GST_DEBUG_CATEGORY_STATIC(terminal_player_debug);
#define GST_CAT_DEFAULT terminal_player_debug

namespace {

constexpr gint64 kSeekStep = 10 * GST_SECOND;

struct Player : TerminalSession {
  const TerminalOptions* opt = nullptr;
  GstElement* map = nullptr;   // asciimap
  GstElement* ansi = nullptr;  // asciiansienc
  GstElement* video_bin = nullptr;
  bool video_linked = false, audio_linked = false;  // pads of uridecodebin (streaming threads)
  std::mutex lock;
  gstascii::PictureShape picture;  // guarded by |lock|: the shape asciimap gets, once known
  bool paused = false;
  int frames = 0;  // written (streaming thread)
};

// The grid for the picture in the terminal as it is now, centred, applied to asciimap and
// asciiansienc; both take it from the next frame (a new grid clears the screen).
void fit_picture(Player* p) {
  gstascii::PictureShape shape;
  {
    std::lock_guard<std::mutex> hold(p->lock);
    shape = p->picture;
  }
  int term_cols = 80, term_rows = 24;
  double cell_aspect = 0.5;
  if (!Terminal::size(&term_cols, &term_rows, &cell_aspect)) {
    // Not a terminal (a file, a pipe): the size asked for, else COLUMNS x LINES, else 80 x 24.
    const char* c = g_getenv("COLUMNS");
    const char* r = g_getenv("LINES");
    if (c && atoi(c) > 0) term_cols = atoi(c);
    if (r && atoi(r) > 0) term_rows = atoi(r);
  }
  const PlayOptions& o = p->opt->play;
  GST_INFO("terminal %dx%d (cell %.2f), picture %dx%d", term_cols, term_rows, cell_aspect, shape.width, shape.height);
  if (o.cols > 0 && o.rows > 0) {
    // Exactly the grid asked for, at the top left.
    g_object_set(p->map, "cols", o.cols, "rows", o.rows, nullptr);
    return;
  }
  fit_cells_to_terminal(p->map, p->ansi, shape, o.cols > 0 ? o.cols : term_cols, o.rows > 0 ? o.rows : term_rows,
                        cell_aspect);
}

// Learns the picture's shape from the caps asciimap is about to get, and fits the grid to it first.
GstPadProbeReturn on_map_caps(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* p = static_cast<Player*>(data);
  gstascii::PictureShape shape;
  if (!picture_shape_from_caps_event(info, &shape)) return GST_PAD_PROBE_OK;
  {
    std::lock_guard<std::mutex> hold(p->lock);
    if (shape.width == p->picture.width && shape.height == p->picture.height && shape.par_n == p->picture.par_n &&
        shape.par_d == p->picture.par_d)
      return GST_PAD_PROBE_OK;
    p->picture = shape;
  }
  fit_picture(p);
  return GST_PAD_PROBE_OK;
}

GstPadProbeReturn count_frame(GstPad*, GstPadProbeInfo*, gpointer data) {
  auto* p = static_cast<Player*>(data);
  const int n = g_atomic_int_add(&p->frames, 1) + 1;
  if (p->opt->play.frames > 0 && n == p->opt->play.frames) {
    g_idle_add(
        [](gpointer d) {
          g_main_loop_quit(static_cast<Player*>(d)->loop);
          return G_SOURCE_REMOVE;
        },
        p);
  }
  return GST_PAD_PROBE_OK;
}

bool link_to_branch(GstPad* pad, GstElement* branch) {
  g_autoptr(GstPad) sink = gst_element_get_static_pad(branch, "sink");
  return GST_PAD_LINK_SUCCESSFUL(gst_pad_link(pad, sink));
}

void on_pad_added(GstElement* decoder, GstPad* pad, gpointer data) {
  auto* p = static_cast<Player*>(data);
  const DecodedStream kind = decoded_stream(pad);
  if (is_picture(kind) && !p->video_linked) {
    p->video_linked = true;
    std::string missing;
    // A photo: shown, and kept on screen until q.
    GstElement* target =
        kind == DecodedStream::kStillPicture ? add_freeze_before(p->pipeline, p->video_bin, &missing) : p->video_bin;
    if (!target) {
      GST_ELEMENT_ERROR(decoder, CORE, MISSING_PLUGIN, ("%s", missing.c_str()), (nullptr));
    } else if (!link_to_branch(pad, target)) {
      GST_ELEMENT_ERROR(decoder, CORE, PAD, ("cannot show the picture"), (nullptr));
    }
    return;
  }
  if (kind == DecodedStream::kSound && p->opt->play.audio && !p->audio_linked) {
    p->audio_linked = true;
    std::string missing;
    GstElement* branch = make_local_audio_branch(&missing);
    if (branch) {
      gst_bin_add(GST_BIN(p->pipeline), branch);
      gst_element_sync_state_with_parent(branch);
      if (link_to_branch(pad, branch)) return;
    } else {
      GST_WARNING("%s", missing.c_str());
    }
  }
  discard_stream(p->pipeline, pad);
}

void seek_by(Player* p, gint64 step) {
  gint64 position = 0, duration = -1;
  g_autoptr(GstQuery) query = gst_query_new_seeking(GST_FORMAT_TIME);
  gboolean seekable = FALSE;
  if (!gst_element_query(p->pipeline, query)) return;
  gst_query_parse_seeking(query, nullptr, &seekable, nullptr, nullptr);
  if (!seekable || !gst_element_query_position(p->pipeline, GST_FORMAT_TIME, &position)) return;
  gst_element_query_duration(p->pipeline, GST_FORMAT_TIME, &duration);
  gint64 target = std::max<gint64>(0, position + step);
  if (duration > 0) target = std::min(target, std::max<gint64>(0, duration - GST_SECOND));
  GST_INFO("seek from %" GST_TIME_FORMAT " to %" GST_TIME_FORMAT " of %" GST_TIME_FORMAT, GST_TIME_ARGS(position),
           GST_TIME_ARGS(target), GST_TIME_ARGS(duration));
  gst_element_seek_simple(p->pipeline, GST_FORMAT_TIME, GstSeekFlags(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT),
                          target);
}

void on_key(Player* p, TerminalKey key) {
  switch (key) {
    case TerminalKey::kQuit: g_main_loop_quit(p->loop); break;
    case TerminalKey::kPause:
      p->paused = !p->paused;
      gst_element_set_state(p->pipeline, p->paused ? GST_STATE_PAUSED : GST_STATE_PLAYING);
      break;
    case TerminalKey::kBack: seek_by(p, -kSeekStep); break;
    case TerminalKey::kForward: seek_by(p, kSeekStep); break;
    case TerminalKey::kSuspend: {
      // Held while stopped (the clock would run on), and drawn whole again after.
      if (!p->paused) gst_element_set_state(p->pipeline, GST_STATE_PAUSED);
      p->terminal.suspend();
      fit_picture(p);  // the terminal may have changed size meanwhile
      gst_element_send_event(p->ansi, gst_video_event_new_upstream_force_key_unit(GST_CLOCK_TIME_NONE, FALSE, 0));
      if (!p->paused) gst_element_set_state(p->pipeline, GST_STATE_PLAYING);
      if (p->paused) seek_by(p, 0);
      break;
    }
  }
}

gboolean on_resize(gpointer data) {
  auto* p = static_cast<Player*>(data);
  fit_picture(p);
  // Paused, no frame would come to show the new grid: a seek to where it is draws it again.
  if (p->paused) seek_by(p, 0);
  return G_SOURCE_CONTINUE;
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* p = static_cast<Player*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
      if (p->opt->play.loop && !p->opt->play.uri.empty()) {
        gst_element_seek_simple(p->pipeline, GST_FORMAT_TIME, GST_SEEK_FLAG_FLUSH, 0);
      } else {
        g_main_loop_quit(p->loop);
      }
      break;
    case GST_MESSAGE_ERROR: {
      g_autoptr(GError) err = nullptr;
      g_autofree gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      GST_WARNING("error from %s: %s (%s)", GST_OBJECT_NAME(msg->src), err->message, debug ? debug : "");
      p->error = err->message;
      p->exit_code = 1;
      g_main_loop_quit(p->loop);
      break;
    }
    default: break;
  }
  return TRUE;
}

// The choices left open, from the terminal: half blocks where the locale can write them, letters
// otherwise; the colours it says it has; sextants only when the style draws them (octants drawn
// as the nearest sextant: Unicode 16 fonts are still rare).
struct Choices {
  std::string style, colors, symbols;
};

bool choose(const TerminalOptions& opt, Choices* out, std::string* problem) {
  setlocale(LC_CTYPE, "");
  const TerminalAbilities abilities = detect_terminal(g_getenv("COLORTERM"), g_getenv("TERM"), nl_langinfo(CODESET));
  out->colors = opt.colors.empty() ? abilities.colors : opt.colors;
  if (out->colors != "truecolor" && out->colors != "256" && out->colors != "16") {
    *problem = "--colors takes truecolor, 256 or 16";
    return false;
  }
  const std::string symbols = opt.symbols.empty() ? (abilities.utf8 ? "" : "ascii") : opt.symbols;
  if (symbols != "" && symbols != "ascii" && symbols != "blocks" && symbols != "sextant" && symbols != "octant") {
    *problem = "--symbols takes ascii, blocks, sextant or octant";
    return false;
  }
  // A font with octants (which few have yet) is asked for to see them: they are the finest.
  out->style = !opt.style.empty() ? opt.style : symbols == "ascii" ? "ascii" : symbols == "octant" ? "octant" : "half";
  const bool letters_only = out->style == "ascii" || out->style == "asciline";
  if (symbols == "ascii" && !letters_only) {
    *problem = "--style " + out->style + " draws block characters; with --symbols ascii use --style ascii or asciline";
    return false;
  }
  if (!symbols.empty() && symbols != "ascii") {
    out->symbols = symbols;
  } else {
    out->symbols = out->style.find("sextant") != std::string::npos || out->style.find("octant") != std::string::npos
                       ? "sextant"
                       : "blocks";
  }
  return true;
}

bool build(Player* p, const Choices& choices) {
  const PlayOptions& o = p->opt->play;
  std::string missing;
  p->pipeline = gst_pipeline_new("ascii-launch-terminal");
  p->video_bin = make_terminal_video_branch(o.fps, choices.style, choices.colors, choices.symbols, &missing);
  if (!p->video_bin) {
    p->error = missing;
    return false;
  }
  gst_bin_add(GST_BIN(p->pipeline), p->video_bin);
  p->map = gst_bin_get_by_name(GST_BIN(p->video_bin), kMapName);
  p->ansi = gst_bin_get_by_name(GST_BIN(p->video_bin), kAnsiName);
  g_autoptr(GstPad) map_sink = gst_element_get_static_pad(p->map, "sink");
  gst_pad_add_probe(map_sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_map_caps, p, nullptr);
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(p->video_bin), kSinkName);
  g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, p, nullptr);

  if (!o.uri.empty()) {
    GstElement* decoder = make_element("uridecodebin", "source", &missing);
    if (!decoder) {
      p->error = missing;
      return false;
    }
    g_object_set(decoder, "uri", o.uri.c_str(), nullptr);
    gst_bin_add(GST_BIN(p->pipeline), decoder);
    g_signal_connect(decoder, "pad-added", G_CALLBACK(on_pad_added), p);
    return true;
  }
  GstElement* video = make_demo_video(o, &missing);
  if (!video) {
    p->error = missing;
    return false;
  }
  gst_bin_add(GST_BIN(p->pipeline), video);
  gst_element_link(video, p->video_bin);
  if (!o.audio) return true;
  GstElement* tone = make_demo_audio(o, &missing);
  GstElement* audio = tone ? make_local_audio_branch(&missing) : nullptr;
  if (!audio) {
    if (tone) gst_object_unref(gst_object_ref_sink(tone));
    GST_WARNING("%s: playing without sound", missing.c_str());
    return true;
  }
  gst_bin_add_many(GST_BIN(p->pipeline), tone, audio, nullptr);
  gst_element_link(tone, audio);
  return true;
}

}  // namespace

int run_terminal(const TerminalOptions& options) {
  GST_DEBUG_CATEGORY_INIT(terminal_player_debug, "terminalplayer", 0, "ascii-launch --terminal");
  Choices choices;
  std::string problem;
  if (!choose(options, &choices, &problem)) {
    g_printerr("ascii-launch: %s\n", problem.c_str());
    return 2;
  }
  Player p;
  p.opt = &options;
  const bool built = build(&p, choices);
  if (!built) {
    g_printerr("ascii-launch: %s\n", p.error.c_str());
    if (p.map) gst_object_unref(p.map);
    if (p.ansi) gst_object_unref(p.ansi);
    if (p.pipeline) gst_object_unref(p.pipeline);
    return 1;
  }
  fit_picture(&p);  // a first guess; the picture's shape refines it
  if (!options.play.uri.empty()) {
    p.start_seconds = guint(options.play.stall_seconds);
    p.not_started = "cannot play " + options.play.uri + ": " + not_started_reason(p.start_seconds);
  }

  run_terminal_session(
      &p, &p, on_bus, on_resize, [&p](TerminalKey key) { on_key(&p, key); }, "the pipeline could not start");
  gst_object_unref(p.map);
  gst_object_unref(p.ansi);
  gst_object_unref(p.pipeline);
  return p.exit_code;
}
