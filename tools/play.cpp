// SPDX-License-Identifier: LGPL-2.1-or-later
// ascii-launch's main job, run: the bus, the status line and where to watch, the end of a file
// (or, on demand, of its encoding), a stalled source, Ctrl-C and --frames.
//
//   uridecodebin ! [imagefreeze] ! picture branch      (a file, a URL, a camera)
//   uridecodebin ! sound branch                        (when the source has sound)
//   videotestsrc ! picture branch, audiotestsrc ! sound branch   (the demo)
//
// The pipeline is put together in play_build.cpp, its branches in play_branches.cpp.
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "play.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "gstasciiraii.h"
#include "gstasciiserver.h"
#include "encoder_mover.h"
#include "play_app.h"
#include "play_branches.h"
#include "start_watch.h"

namespace play {

namespace {

constexpr guint kInterruptGraceSeconds = 5;
// A file's picture still this long after its duration has ended, whether the demuxer says so or not.
constexpr int kQuietEndSeconds = 2;
// How far before its duration a file's last picture may stand (videorate holds the last one back).
constexpr gint64 kEndTolerance = 500 * GST_MSECOND;

// Removes |path| and everything under it (the store's folder: files and folders of files).
void remove_folder(const std::string& path) {
  if (GDir* dir = g_dir_open(path.c_str(), 0, nullptr)) {
    while (const gchar* name = g_dir_read_name(dir)) {
      const std::string child = path + "/" + name;
      if (g_file_test(child.c_str(), G_FILE_TEST_IS_DIR) && !g_file_test(child.c_str(), G_FILE_TEST_IS_SYMLINK)) {
        remove_folder(child);
      } else {
        g_remove(child.c_str());
      }
    }
    g_dir_close(dir);
  }
  g_rmdir(path.c_str());
}

void finish(App* app, int code) {
  if (code) app->exit_code = code;
  g_main_loop_quit(app->loop);
}

// The source ended: the run ends, unless viewers play the file from the store on demand.
void source_ended(App* app) {
  if (!app->on_demand || app->interrupted) return finish(app, 0);
  if (app->encoded) return;
  app->encoded = true;
  if (app->status_tty && app->status_source) g_printerr("\n");
  g_print(
      "ascii-launch: all of %s is encoded (%d pictures decoded in %.1f s); every viewer plays, pauses and seeks it on "
      "its own "
      "(Ctrl-C to stop)\n",
      app->shown.c_str(), g_atomic_int_get(&app->pictures_decoded),
      double(g_get_monotonic_time() - app->started_at) / 1e6);
  fflush(stdout);
}

gboolean begin_stop(gpointer data);

// ---- frames -------------------------------------------------------------------------------------

GstPadProbeReturn count_frames(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* app = static_cast<App*>(data);
  if (GST_PAD_PROBE_INFO_TYPE(info) & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS) g_atomic_int_set(&app->video_ended, 1);
    return GST_PAD_PROBE_OK;
  }
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_HEADER)) return GST_PAD_PROBE_OK;  // INIT
  const int limit = app->opt->frames;
  if (limit > 0 && g_atomic_int_get(&app->frames_seen) >= limit) return GST_PAD_PROBE_DROP;
  // The limit reached: end every branch as Ctrl-C does (an EOS sent to the pipeline would go to
  // the sources, which a file in pull mode or imagefreeze ignore).
  if (g_atomic_int_add(&app->frames_seen, 1) + 1 == limit) g_idle_add(begin_stop, app);
  return GST_PAD_PROBE_OK;
}

// Pushes EOS on |pad| unless it had one. True when this call pushed it.
bool end_branch(App* app, GstPad* pad) {
  {
    std::lock_guard<std::mutex> lock(app->branch_ends_lock);
    bool& ended = app->branch_ends[pad];
    if (ended) return false;
    ended = true;
  }
  gst_pad_push_event(pad, gst_event_new_eos());
  return true;
}

// After Ctrl-C, ends the stream at the next frame: EOS pushed from the streaming thread itself.
// (An EOS sent to the pipeline goes to the sources, and a file source in pull mode ignores it.)
// Each branch (picture, sound) gets its own EOS, since the pipeline ends when every sink has one.
GstPadProbeReturn end_on_interrupt(GstPad* pad, GstPadProbeInfo*, gpointer data) {
  auto* app = static_cast<App*>(data);
  if (!g_atomic_int_get(&app->stopping)) return GST_PAD_PROBE_OK;
  end_branch(app, pad);
  return GST_PAD_PROBE_DROP;
}

}  // namespace

void end_branch_on_interrupt(App* app, GstElement* bin, const char* element) {
  g_autoptr(GstElement) e = gst_bin_get_by_name(GST_BIN(bin), element);
  g_autoptr(GstPad) pad = gst_element_get_static_pad(e, "src");
  {
    std::lock_guard<std::mutex> lock(app->branch_ends_lock);
    app->branch_ends.emplace(pad, false);
  }
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, end_on_interrupt, app, nullptr);
}

namespace {

// The source stopped after Ctrl-C (or --frames): no frame will carry an EOS to the branches that
// still lack one, so they get it now; the run ends at the pipeline's EOS as usual.
void end_branches_now(App* app) {
  std::vector<GstPad*> pads;
  {
    std::lock_guard<std::mutex> lock(app->branch_ends_lock);
    for (const auto& end : app->branch_ends) pads.push_back(end.first);
  }
  for (GstPad* pad : pads) {
    if (end_branch(app, pad)) GST_INFO_OBJECT(pad, "the source stopped: EOS pushed from the main loop");
  }
}

// ---- where to watch -----------------------------------------------------------------------------

std::string clock_text(gint64 t) {
  if (t < 0) return "--:--";
  const guint64 s = static_cast<guint64>(t) / GST_SECOND;
  char buf[32];
  if (s >= 3600) {
    g_snprintf(buf, sizeof buf, "%u:%02u:%02u", unsigned(s / 3600), unsigned(s / 60 % 60), unsigned(s % 60));
  } else {
    g_snprintf(buf, sizeof buf, "%02u:%02u", unsigned(s / 60), unsigned(s % 60));
  }
  return buf;
}

// One line, rewritten in place each second: position/duration, fps, viewers, kbit/s.
gboolean on_status(gpointer data) {
  auto* app = static_cast<App*>(data);
  gint64 position = -1, duration = -1;
  gst_element_query_position(app->pipeline, GST_FORMAT_TIME, &position);
  gst_element_query_duration(app->pipeline, GST_FORMAT_TIME, &duration);
  guint clients = 0;
  guint64 bytes = 0;
  g_object_get(app->sink, "clients", &clients, "bytes-sent", &bytes, nullptr);
  const gint64 now = g_get_monotonic_time();
  const gint frames = g_atomic_int_get(&app->frames_seen);
  const double seconds = app->last_time ? (now - app->last_time) / 1e6 : 0;
  const double fps = seconds > 0 ? (frames - app->last_frames) / seconds : 0;
  const double kbps = seconds > 0 ? (bytes - app->last_bytes) * 8 / 1000.0 / seconds : 0;
  app->last_time = now;
  app->last_frames = frames;
  app->last_bytes = bytes;
  std::string where = clock_text(position);
  if (duration > 0) where += " / " + clock_text(duration);
  g_printerr("\r\x1b[K%s  %.1f fps  %u viewer%s  %.0f kbit/s", where.c_str(), fps, clients, clients == 1 ? "" : "s",
             kbps);
  return G_SOURCE_CONTINUE;
}

// Prints where to watch (with the grid chosen for the picture), once.
gboolean announce(gpointer data) {
  auto* app = static_cast<App*>(data);
  const PlayOptions& opt = *app->opt;
  guint port = 0;
  g_object_get(app->sink, "port", &port, nullptr);
  std::string host = opt.host;
  if (host == "0.0.0.0" || host == "::") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  g_print("ascii-launch: serving %dx%d mode %d, style %s, at %d fps: open http://%s:%u/ (Ctrl-C to stop)\n",
          g_atomic_int_get(&app->grid_cols), g_atomic_int_get(&app->grid_rows), opt.mode, opt.style.c_str(), opt.fps,
          host.c_str(), port);
  g_print(
      "ascii-launch: HLS for caches and CDNs at http://%s:%u/hls/index.m3u8%s%s; the player plays it from there at "
      "http://%s:%u/?src=/hls/index.m3u8\n",
      host.c_str(), port, opt.hls_dir.empty() ? "" : ", and in ", opt.hls_dir.c_str(), host.c_str(), port);
  fflush(stdout);
  app->status_tty = isatty(STDERR_FILENO);
  if (app->status_tty) app->status_source = g_timeout_add_seconds(1, on_status, app);
  return G_SOURCE_REMOVE;
}

// The grid is known for sure once the first cells leave asciimap (a rotation tag, read after the
// first caps, can still change it before that): say where to watch.
GstPadProbeReturn on_first_cells(GstPad* pad, GstPadProbeInfo*, gpointer data) {
  auto* app = static_cast<App*>(data);
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const GstStructure* s = caps ? gst_caps_get_structure(caps, 0) : nullptr;
  int cols = 0, rows = 0;
  if (s && gst_structure_get_int(s, "cols", &cols) && gst_structure_get_int(s, "rows", &rows)) {
    g_atomic_int_set(&app->grid_cols, cols);
    g_atomic_int_set(&app->grid_rows, rows);
    g_idle_add(announce, app);
  }
  return GST_PAD_PROBE_REMOVE;
}

// ---- the bus ------------------------------------------------------------------------------------

// Whether |msg| comes from the source's side: uridecodebin or an element inside it.
bool from_source(App* app, GstMessage* msg) {
  return app->decoder && (GST_MESSAGE_SRC(msg) == GST_OBJECT(app->decoder) ||
                          gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(app->decoder)));
}

// One line for an error: what the source could not do names the source.
void print_error(App* app, GstMessage* msg) {
  g_autoptr(GError) err = nullptr;
  g_autofree gchar* debug = nullptr;
  gst_message_parse_error(msg, &err, &debug);
  if (app->status_tty && app->status_source) g_printerr("\n");
  const bool source_side = from_source(app, msg);
  const bool network = !g_str_has_prefix(app->opt->uri.c_str(), "file:");
  const bool played = g_atomic_int_get(&app->frames_seen) > 0;
  std::string why = err->message;
  if (!app->missing_plugin.empty() && g_error_matches(err, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN)) {
    why = "no GStreamer plug-in here decodes its " + app->missing_plugin;
  } else if (g_error_matches(err, GST_STREAM_ERROR, GST_STREAM_ERROR_TYPE_NOT_FOUND)) {
    why = "not a picture or sound format GStreamer recognises";
  } else if (source_side && network && g_error_matches(err, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED)) {
    // A network source that fails without saying why (souphttpsrc on a refused connection, say).
    why = played ? "the stream broke off" : "nothing could be read from it (is the server there?)";
  }
  if (!source_side) {
    g_printerr("ascii-launch: %s\n", why.c_str());
  } else if (network && played) {
    // It played, then the server or the network failed.
    g_printerr("ascii-launch: lost %s: %s\n", app->shown.c_str(), why.c_str());
  } else {
    g_printerr("ascii-launch: cannot play %s: %s\n", app->shown.c_str(), why.c_str());
  }
  if (debug) g_debug("%s", debug);
}

// The picture stopped coming (a network source that stalled or went away, a decoder stuck): say
// so and stop, rather than serve a frozen picture forever.
gboolean check_stall(gpointer data) {
  auto* app = static_cast<App*>(data);
  const gint frames = g_atomic_int_get(&app->frames_seen);
  const bool moving = frames != app->frames_at_check;
  app->frames_at_check = frames;
  if (moving || app->buffering || g_atomic_int_get(&app->video_ended) ||
      GST_STATE(app->pipeline) != GST_STATE_PLAYING) {
    app->quiet_seconds = 0;
    return G_SOURCE_CONTINUE;
  }
  ++app->quiet_seconds;
  // A file whose picture reached its duration and stopped is at its end, said or not: libav's
  // demuxers (gst-libav 1.22 with FFmpeg 5: GIF) re-read the file's last bytes forever instead.
  gint64 position = -1, duration = -1;
  if (!app->live && app->quiet_seconds >= kQuietEndSeconds &&
      gst_element_query_position(app->pipeline, GST_FORMAT_TIME, &position) &&
      gst_element_query_duration(app->pipeline, GST_FORMAT_TIME, &duration) && duration > 0 &&
      position + kEndTolerance >= duration) {
    GST_INFO("the picture ended at %" GST_TIME_FORMAT " without an end-of-stream", GST_TIME_ARGS(position));
    source_ended(app);
    return app->encoded ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
  }
  if (app->quiet_seconds < app->opt->stall_seconds) return G_SOURCE_CONTINUE;
  if (app->status_tty && app->status_source) g_printerr("\n");
  g_printerr("ascii-launch: no picture from %s for %d s (the source stalled or went away); stopping\n",
             app->shown.c_str(), app->opt->stall_seconds);
  finish(app, 1);
  return G_SOURCE_REMOVE;
}

// Nothing prerolled in --timeout seconds, and no error came (see start_watch.h): say so and stop,
// rather than wait for ever.
void not_started(App* app) {
  if (app->interrupted) return;  // stopping already, with a deadline of its own
  if (app->status_tty && app->status_source) g_printerr("\n");
  g_printerr("ascii-launch: cannot play %s: %s\n", app->shown.c_str(),
             not_started_reason(guint(app->opt->stall_seconds)).c_str());
  finish(app, 1);
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* app = static_cast<App*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
      // On demand, the end of one run of the file: asciihlssink asks for the spans still missing
      // (or says the store is complete) first.
      if (!app->filling) source_ended(app);
      break;
    case GST_MESSAGE_ERROR:
      // Once asked to stop (Ctrl-C, --frames), each branch ends with an EOS of its own while the
      // demuxer and decoders still run: they meet an ended branch and may give up with a flow
      // error (seen with VP9 in WebM, and when --loop wraps). The user asked to stop, so an error
      // from the source's side is not a failure then: every branch ends with its EOS, and the run
      // with the pipeline's, so that viewers still get every frame sent and a normal close.
      if (app->interrupted && from_source(app, msg)) {
        end_branches_now(app);
        break;
      }
      print_error(app, msg);
      finish(app, 1);
      break;
    case GST_MESSAGE_ELEMENT:
      if (app->mover && !app->interrupted && !g_atomic_int_get(&app->still_picture) && app->mover->handle(msg)) {
        app->filling = true;
      } else if (app->on_demand && gst_message_has_name(msg, "ascii-store-complete")) {
        app->filling = false;
        source_ended(app);
      }
      if (gst_is_missing_plugin_message(msg) && app->missing_plugin.empty()) {
        g_autofree gchar* what = gst_missing_plugin_message_get_description(msg);
        app->missing_plugin = what ? what : "";
      }
      break;
    case GST_MESSAGE_BUFFERING: {
      // A network file: wait while the buffer fills (as gst-launch-1.0 does); live streams do not.
      if (app->live || app->interrupted) break;
      int percent = 100;
      gst_message_parse_buffering(msg, &percent);
      if (percent < 100 && !app->buffering) {
        app->buffering = true;
        gst_element_set_state(app->pipeline, GST_STATE_PAUSED);
      } else if (percent >= 100 && app->buffering) {
        app->buffering = false;
        gst_element_set_state(app->pipeline, GST_STATE_PLAYING);
      }
      break;
    }
    case GST_MESSAGE_CLOCK_LOST:
      gst_element_set_state(app->pipeline, GST_STATE_PAUSED);
      gst_element_set_state(app->pipeline, GST_STATE_PLAYING);
      break;
    case GST_MESSAGE_ASYNC_DONE:
      // --loop: once prerolled, play the whole file as a segment; SEGMENT_DONE then starts it again
      // without a flush, so running time (and the frame indices viewers see) keep going up.
      if (app->looping && !app->loop_started && GST_MESSAGE_SRC(msg) == GST_OBJECT(app->pipeline)) {
        app->loop_started = true;
        if (!gst_element_seek(app->pipeline, 1.0, GST_FORMAT_TIME,
                              static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_SEGMENT), GST_SEEK_TYPE_SET,
                              0, GST_SEEK_TYPE_NONE, -1)) {
          g_printerr("ascii-launch: this source cannot be seeked, so --loop is ignored\n");
          app->looping = false;
        }
      }
      break;
    case GST_MESSAGE_SEGMENT_DONE:
      // After Ctrl-C every branch has its EOS already; another round would only meet them.
      if (app->interrupted) break;
      gst_element_seek(app->pipeline, 1.0, GST_FORMAT_TIME, GST_SEEK_FLAG_SEGMENT, GST_SEEK_TYPE_SET, 0,
                       GST_SEEK_TYPE_NONE, -1);
      break;
    default: break;
  }
  return G_SOURCE_CONTINUE;
}

// ---- Ctrl-C -------------------------------------------------------------------------------------

gboolean on_interrupt_timeout(gpointer data);

// Ends the stream: each branch pushes EOS at its next frame (end_on_interrupt).
gboolean begin_stop(gpointer data) {
  auto* app = static_cast<App*>(data);
  if (app->interrupted) return G_SOURCE_REMOVE;
  app->interrupted = true;
  g_atomic_int_set(&app->stopping, 1);
  if (app->mover) app->mover->stop();  // a keyframe it holds would hold the EOS
  // A paused (buffering) pipeline passes no frame to carry the EOS.
  if (app->buffering) gst_element_set_state(app->pipeline, GST_STATE_PLAYING);
  // The EOS needs a frame to pass on each branch; a branch that is stuck would hold the exit
  // forever, so after a few seconds it stops without it, and says so.
  g_timeout_add_seconds(kInterruptGraceSeconds, on_interrupt_timeout, app);
  return G_SOURCE_REMOVE;
}

gboolean on_interrupt_timeout(gpointer data) {
  auto* app = static_cast<App*>(data);
  g_printerr("ascii-launch: the stream did not end within %u s of being asked to stop; stopping without it\n",
             kInterruptGraceSeconds);
  finish(app, 1);
  return G_SOURCE_REMOVE;
}

gboolean on_interrupt(gpointer data) {
  auto* app = static_cast<App*>(data);
  // First Ctrl-C: finish cleanly with EOS (viewers get a normal close). A second one quits at once,
  // as does the first once a file served on demand has ended (there is nothing left to end).
  if (app->interrupted || app->encoded) {
    g_main_loop_quit(app->loop);
  } else {
    begin_stop(app);
  }
  return G_SOURCE_CONTINUE;
}

}  // namespace

}  // namespace play

bool parse_duration(const char* text, guint64* seconds) {
  gchar* end = nullptr;
  const guint64 n = g_ascii_strtoull(text, &end, 10);
  if (end == text || !g_ascii_isdigit(text[0])) return false;
  guint64 unit = 1;
  if (g_strcmp0(end, "m") == 0)
    unit = 60;
  else if (g_strcmp0(end, "h") == 0)
    unit = 3600;
  else if (*end != '\0' && g_strcmp0(end, "s") != 0)
    return false;
  if (n > G_MAXUINT32) return false;  // over a century: a typo
  *seconds = n * unit;
  return true;
}

std::string argument_to_uri(const char* arg, GError** error) {
  if (gst_uri_is_valid(arg)) return arg;
  if (g_str_has_prefix(arg, "/dev/video")) return std::string("v4l2://") + arg;
  if (!g_file_test(arg, G_FILE_TEST_EXISTS)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT, "no such file: %s", arg);
    return {};
  }
  g_autofree gchar* uri = gst_filename_to_uri(arg, error);
  return uri ? uri : "";
}

int run_play(const PlayOptions& options) {
  using namespace play;
  App app;
  app.opt = &options;
  app.shown = options.uri.empty() ? "the demo" : options.uri;
  if (g_str_has_prefix(options.uri.c_str(), "file://")) {
    g_autofree gchar* path = g_filename_from_uri(options.uri.c_str(), nullptr, nullptr);
    if (path) app.shown = path;
  }
  if (!build(&app)) {
    if (app.pipeline) gst_object_unref(app.pipeline);
    if (app.sink) gst_object_unref(app.sink);
    if (app.server) gst_object_unref(app.server);
    if (!app.spool_dir.empty()) remove_folder(app.spool_dir);
    return 1;
  }
  app.looping = options.loop && !options.uri.empty();
  end_branch_on_interrupt(&app, app.video_bin, kRateFilterName);
  {
    g_autoptr(GstPad) sink_pad = gst_element_get_static_pad(app.sink, "sink");
    gst_pad_add_probe(sink_pad, GstPadProbeType(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                      count_frames, &app, nullptr);
    g_autoptr(GstPad) branch_pad = gst_element_get_static_pad(app.video_bin, "sink");
    gst_pad_add_probe(
        branch_pad, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad*, GstPadProbeInfo*, gpointer data) {
          g_atomic_int_inc(&static_cast<App*>(data)->pictures_decoded);
          return GST_PAD_PROBE_OK;
        },
        &app, nullptr);
    g_autoptr(GstElement) map = gst_bin_get_by_name(GST_BIN(app.video_bin), kMapName);
    g_autoptr(GstPad) map_src = gst_element_get_static_pad(map, "src");
    gst_pad_add_probe(map_src, GST_PAD_PROBE_TYPE_BUFFER, on_first_cells, &app, nullptr);
  }

  app.loop = g_main_loop_new(nullptr, FALSE);
  g_autoptr(GstBus) bus = gst_element_get_bus(app.pipeline);
  gst_bus_add_watch(bus, on_bus, &app);
  g_unix_signal_add(SIGINT, on_interrupt, &app);
  g_unix_signal_add(SIGTERM, on_interrupt, &app);

  app.started_at = g_get_monotonic_time();
  const GstStateChangeReturn started = gst_element_set_state(app.pipeline, GST_STATE_PLAYING);
  if (started == GST_STATE_CHANGE_FAILURE) {
    // Say why (a port in use, a file that cannot be read ...) in one line.
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (msg) {
      print_error(&app, msg);
    } else {
      g_printerr("ascii-launch: the pipeline could not start\n");
    }
    app.exit_code = 1;
  } else {
    if (app.tty_channel) app.tty_channel->start();
    app.live = started == GST_STATE_CHANGE_NO_PREROLL;
    if (options.stall_seconds > 0) g_timeout_add_seconds(1, check_stall, &app);
    const StartWatch start_watch(app.pipeline, guint(options.stall_seconds), [&app] { not_started(&app); });
    g_main_loop_run(app.loop);
  }
  if (app.status_source) g_printerr("\n");
  app.tty_channel.reset();  // its sinks are on the server too
  gst_element_set_state(app.pipeline, GST_STATE_NULL);
  gst_bus_remove_watch(bus);
  // The timers, the signal handlers and an announcement still queued all point at |app|.
  while (g_source_remove_by_user_data(&app)) {
  }
  gst_object_unref(app.sink);
  gst_object_unref(app.pipeline);
  if (!app.spool_dir.empty()) remove_folder(app.spool_dir);
  if (app.server) gst_object_unref(app.server);
  g_main_loop_unref(app.loop);
  return app.exit_code;
}
