// The terminal ascii-launch --terminal draws on: what it can show, its size, and taking it over
// (alternate screen, hidden cursor, keys read one at a time) with a promise to give it back as it
// was found, on every way out: the end, q, Ctrl-C, SIGTERM, an error, or a crash.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>
#include <termios.h>

#include <functional>
#include <string>

// What the terminal is trusted to show, from its environment.
struct TerminalAbilities {
  std::string colors = "16";  // "truecolor", "256" or "16" (asciiansienc's colors)
  bool utf8 = false;          // its locale is UTF-8: block characters can be written
};

// COLORTERM=truecolor or 24bit: 24-bit; a TERM naming 256 colours: 256; else the 16 standard
// colours. |codeset| is the locale's (nl_langinfo(CODESET)).
TerminalAbilities detect_terminal(const char* colorterm, const char* term, const char* codeset);

// The keys the player acts on.
// kSuspend: Ctrl-Z, which the terminal no longer turns into SIGTSTP while it is taken over (a
// stopped player would leave the shell without echo); the player gives the terminal back first.
enum class TerminalKey { kPause, kBack, kForward, kQuit, kSuspend };

class Terminal {
 public:
  Terminal() = default;
  ~Terminal() { leave(true); }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  // Whether standard output is a terminal (else the bytes go to a file or a pipe as they are).
  static bool output_is_terminal();
  // The size in cells, and the shape of a cell (width / height; 0.5 when the terminal does not
  // say its size in pixels). False when standard output is no terminal.
  static bool size(int* cols, int* rows, double* cell_aspect);

  // Takes the terminal over: alternate screen and hidden cursor (when standard output is a
  // terminal), and, when standard input is one, keys without echo or line editing; |on_key| is
  // called on the main context for each key the player knows. Ctrl-C still sends SIGINT.
  void enter(std::function<void(TerminalKey)> on_key);
  // Gives the terminal back as it was (colours, cursor, main screen, input modes). Safe to call
  // more than once. What was written to standard error meanwhile (libraries' complaints, such as
  // ALSA's when there is no sound card) was held back, not drawn over the picture: it is shown
  // now when |show_held_errors|.
  void leave(bool show_held_errors = false);
  // Ctrl-Z done properly: gives the terminal back, stops this process as the shell expects, and
  // takes the terminal over again when the shell continues it (fg).
  void suspend();

 private:
  static gboolean on_input(gint fd, GIOCondition condition, gpointer data);

  bool entered_ = false;
  bool input_raw_ = false;
  int saved_stderr_ = -1;  // the terminal's stderr while another file holds what is written to it
  FILE* held_errors_ = nullptr;
  guint input_watch_ = 0;
  std::function<void(TerminalKey)> on_key_;
  std::string pending_;  // bytes of an escape sequence not yet complete
};
