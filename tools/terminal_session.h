// What ascii-launch's two terminal tools (--terminal, view URL) share: a pipeline that draws on
// this terminal, run until its main loop quits. The terminal is taken over and given back (with
// what libraries printed meanwhile shown after an error), SIGINT, SIGTERM and SIGHUP quit,
// SIGWINCH and the bus go to the tool.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/gst.h>

#include <functional>
#include <string>

#include "terminal.h"

struct TerminalSession {
  Terminal terminal;
  GstElement* pipeline = nullptr;  // the tool's
  GMainLoop* loop = nullptr;       // made and freed by run_terminal_session
  int exit_code = 0;
  std::string error;  // said after the terminal is given back
  // A pipeline not prerolled this long after it started ends the run with |not_started| (see
  // start_watch.h); 0: never.
  guint start_seconds = 0;
  std::string not_started;
};

// Runs |session|'s pipeline until the main loop quits. |data| goes to |on_bus| and |on_resize|
// (SIGWINCH); |on_key| gets the keys. A pipeline that will not start ends the run with its error
// (|start_failure| when the bus has none). Every source with |data| as its user data is removed
// before it returns. Returns the exit code.
int run_terminal_session(TerminalSession* session, gpointer data, GstBusFunc on_bus, GSourceFunc on_resize,
                         std::function<void(TerminalKey)> on_key, const std::string& start_failure);
