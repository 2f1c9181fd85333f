// SPDX-License-Identifier: LGPL-2.1-or-later
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "terminal_view.h"

#include <gst/gst.h>

#include <string>

#include "play_branches.h"
#include "terminal.h"
#include "terminal_session.h"

GST_DEBUG_CATEGORY_STATIC(terminal_view_debug);
#define GST_CAT_DEFAULT terminal_view_debug

namespace {

struct Viewer : TerminalSession {
  std::string base;  // http://HOST:PORT
  bool audio = true;
  GstElement* picture = nullptr;  // souphttpsrc of /tty
  std::string size;               // the /tty size asked for
};

// The largest size the server offers that fits this terminal (the smallest when none does).
std::string size_for_terminal() {
  int cols = 80, rows = 24;
  double aspect = 0.5;
  Terminal::size(&cols, &rows, &aspect);
  const TtySize* best = &kTtySizes[0];
  for (const TtySize& s : kTtySizes) {
    if (s.cols <= cols && s.rows <= rows && s.cols * s.rows > best->cols * best->rows) best = &s;
  }
  return std::to_string(best->cols) + "x" + std::to_string(best->rows);
}

void set_picture_location(Viewer* v) {
  const std::string location = v->base + kTtyPath + "?size=" + v->size;
  g_object_set(v->picture, "location", location.c_str(), nullptr);
}

gboolean on_resize(gpointer data) {
  auto* v = static_cast<Viewer*>(data);
  const std::string size = size_for_terminal();
  if (size == v->size) return G_SOURCE_CONTINUE;
  // The server draws each size: ask again for the new one.
  v->size = size;
  gst_element_set_state(v->pipeline, GST_STATE_NULL);
  set_picture_location(v);
  gst_element_set_state(v->pipeline, GST_STATE_PLAYING);
  return G_SOURCE_CONTINUE;
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* v = static_cast<Viewer*>(data);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    g_main_loop_quit(v->loop);
  } else if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    // The sound is optional: a server without it (--no-audio) still shows its picture.
    if (v->audio && GST_MESSAGE_SRC(msg) != GST_OBJECT(v->picture) &&
        !gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(v->picture))) {
      GST_WARNING("no sound: %s", err->message);
      g_autoptr(GstElement) sound = gst_bin_get_by_name(GST_BIN(v->pipeline), "sound");
      if (sound) {
        gst_element_set_locked_state(sound, TRUE);
        gst_element_set_state(sound, GST_STATE_NULL);
      }
      return TRUE;
    }
    v->error =
        std::string("cannot play ") + v->base + kTtyPath + ": " + err->message + " (is ascii-launch serving there?)";
    v->exit_code = 1;
    g_main_loop_quit(v->loop);
  }
  return TRUE;
}

// |url| as the server's base: http://HOST:PORT from http(s)://, ws(s):// or HOST:PORT forms.
bool base_of(const std::string& url, std::string* base, std::string* problem) {
  std::string u = url;
  if (u.find("://") == std::string::npos) u = "http://" + u;
  g_autoptr(GUri) parsed = g_uri_parse(u.c_str(), G_URI_FLAGS_NONE, nullptr);
  if (!parsed || !g_uri_get_host(parsed)) {
    *problem = "not a URL of an ascii-launch server: " + url;
    return false;
  }
  std::string scheme = g_uri_get_scheme(parsed);
  if (scheme == "ws") scheme = "http";
  if (scheme == "wss") scheme = "https";
  if (scheme != "http" && scheme != "https") {
    *problem = "view takes the http:// address ascii-launch prints (or its ws:// stream), not " + scheme + "://";
    return false;
  }
  const int port = g_uri_get_port(parsed);
  std::string host = g_uri_get_host(parsed);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  *base = scheme + "://" + host + (port > 0 ? ":" + std::to_string(port) : "");
  return true;
}

}  // namespace

int run_view(const std::string& url, bool audio) {
  GST_DEBUG_CATEGORY_INIT(terminal_view_debug, "terminalview", 0, "ascii-launch view");
  Viewer v;
  v.audio = audio;
  std::string problem;
  if (!base_of(url, &v.base, &problem)) {
    g_printerr("ascii-launch: %s\n", problem.c_str());
    return 2;
  }
  std::string missing;
  v.pipeline = gst_pipeline_new("ascii-launch-view");
  // The picture: the server's terminal stream for this terminal's size, written as it comes.
  v.picture = make_element("souphttpsrc", "picture", &missing);
  GstElement* out = v.picture ? make_element("fdsink", nullptr, &missing) : nullptr;
  if (!out) {
    g_printerr("ascii-launch: %s\n", missing.c_str());
    gst_object_unref(v.pipeline);
    return 1;
  }
  g_object_set(v.picture, "is-live", TRUE, nullptr);
  g_object_set(out, "fd", 1, "sync", FALSE, nullptr);
  gst_bin_add_many(GST_BIN(v.pipeline), v.picture, out, nullptr);
  gst_element_link(v.picture, out);
  v.size = size_for_terminal();
  set_picture_location(&v);
  if (audio) {
    // /tty's own sound (the sound of a file's terminal playback when it is served on demand), from
    // now: no burst of the last half second, so it plays with the picture.
    GstElement* sound = gst_bin_new("sound");
    GstElement* src = make_element("souphttpsrc", nullptr, &missing);
    GstElement* parse = src ? make_element("aacparse", nullptr, &missing) : nullptr;
    GstElement* decode = parse ? make_element("avdec_aac", nullptr, &missing) : nullptr;
    GstElement* play = decode ? make_local_audio_branch(&missing) : nullptr;
    if (play) {
      const std::string location = v.base + kTtyAudioPath + "?burst=0";
      g_object_set(src, "location", location.c_str(), "is-live", TRUE, "do-timestamp", TRUE, nullptr);
      gst_bin_add_many(GST_BIN(sound), src, parse, decode, play, nullptr);
      gst_element_link_many(src, parse, decode, play, nullptr);
      gst_bin_add(GST_BIN(v.pipeline), sound);
    } else {
      for (GstElement* e : {src, parse, decode})
        if (e) gst_object_unref(gst_object_ref_sink(e));
      gst_object_unref(gst_object_ref_sink(sound));
      GST_WARNING("%s: no sound", missing.c_str());
    }
  }

  run_terminal_session(
      &v, &v, on_bus, on_resize,
      [&v](TerminalKey key) {
        if (key == TerminalKey::kQuit) g_main_loop_quit(v.loop);
      },
      "cannot play " + v.base + kTtyPath);
  gst_object_unref(v.pipeline);
  return v.exit_code;
}
