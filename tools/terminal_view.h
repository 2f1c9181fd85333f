// ascii-launch view URL: watches a stream that ascii-launch serves, in this terminal, with its
// sound: the server's terminal stream (/tty) at the largest size it offers that fits this
// terminal (asked again when the terminal is resized), and its /audio played here. q or Ctrl-C
// quits; the terminal is given back as it was found.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string>

// |url|: the address ascii-launch printed (http://HOST:PORT/), its ws:// stream, or HOST:PORT.
// Returns the process exit code. The gst-ascii elements need not be registered.
int run_view(const std::string& url, bool audio);
