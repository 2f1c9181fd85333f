// SPDX-License-Identifier: LGPL-2.1-or-later
#include "terminal_session.h"

#include <glib-unix.h>

#include <csignal>
#include <utility>

#include "start_watch.h"

namespace {

gboolean on_stop(gpointer data) {
  g_main_loop_quit(static_cast<TerminalSession*>(data)->loop);
  return G_SOURCE_CONTINUE;
}

}  // namespace

int run_terminal_session(TerminalSession* s, gpointer data, GstBusFunc on_bus, GSourceFunc on_resize,
                         std::function<void(TerminalKey)> on_key, const std::string& start_failure) {
  s->loop = g_main_loop_new(nullptr, FALSE);
  g_autoptr(GstBus) bus = gst_element_get_bus(s->pipeline);
  gst_bus_add_watch(bus, on_bus, data);
  const guint signals[] = {g_unix_signal_add(SIGINT, on_stop, s), g_unix_signal_add(SIGTERM, on_stop, s),
                           g_unix_signal_add(SIGHUP, on_stop, s), g_unix_signal_add(SIGWINCH, on_resize, data)};
  s->terminal.enter(std::move(on_key));

  if (gst_element_set_state(s->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr(GstMessage) msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    g_autoptr(GError) err = nullptr;
    if (msg) gst_message_parse_error(msg, &err, nullptr);
    s->error = err ? err->message : start_failure;
    s->exit_code = 1;
  } else {
    const StartWatch start_watch(s->pipeline, s->start_seconds, [s] {
      s->error = s->not_started;
      s->exit_code = 1;
      g_main_loop_quit(s->loop);
    });
    g_main_loop_run(s->loop);
  }
  gst_element_set_state(s->pipeline, GST_STATE_NULL);
  // On an error, what libraries said meanwhile may explain it.
  s->terminal.leave(s->exit_code != 0);
  if (!s->error.empty()) g_printerr("ascii-launch: %s\n", s->error.c_str());
  gst_bus_remove_watch(bus);
  for (guint id : signals) g_source_remove(id);
  while (g_source_remove_by_user_data(data)) {
  }
  g_main_loop_unref(s->loop);
  s->loop = nullptr;
  return s->exit_code;
}
