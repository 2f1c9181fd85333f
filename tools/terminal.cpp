// SPDX-License-Identifier: LGPL-2.1-or-later
#include "terminal.h"

#include <glib-unix.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace {

// Leaves the alternate screen with the cursor shown and colours reset.
constexpr char kRestoreScreen[] = "\x1b[0m\x1b[?25h\x1b[?1049l";
constexpr char kTakeScreen[] = "\x1b[?1049h\x1b[?25l\x1b[2J";

// For the crash handler, which may only use async-signal-safe calls: the state to restore.
struct termios saved_input;
volatile sig_atomic_t restore_input = 0;
volatile sig_atomic_t restore_screen = 0;

void restore_from_signal() {
  if (restore_screen) {
    ssize_t ignored = write(STDOUT_FILENO, kRestoreScreen, sizeof(kRestoreScreen) - 1);
    (void)ignored;
  }
  if (restore_input) tcsetattr(STDIN_FILENO, TCSANOW, &saved_input);
}

// A crash still gives the terminal back, then dies of the same signal (SA_RESETHAND).
void on_fatal_signal(int signo) {
  restore_from_signal();
  raise(signo);
}

void install_crash_handlers() {
  struct sigaction action {};
  action.sa_handler = on_fatal_signal;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int signo : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(signo, &action, nullptr);
}

void write_all(const char* bytes) {
  fflush(stdout);
  const size_t n = strlen(bytes);
  size_t done = 0;
  while (done < n) {
    const ssize_t w = write(STDOUT_FILENO, bytes + done, n - done);
    if (w <= 0) return;
    done += size_t(w);
  }
}

}  // namespace

TerminalAbilities detect_terminal(const char* colorterm, const char* term, const char* codeset) {
  TerminalAbilities abilities;
  const std::string ct = colorterm ? colorterm : "", t = term ? term : "";
  if (ct == "truecolor" || ct == "24bit") {
    abilities.colors = "truecolor";
  } else if (t.find("256col") != std::string::npos || t.find("direct") != std::string::npos) {
    abilities.colors = "256";
  }
  abilities.utf8 = codeset && (g_ascii_strcasecmp(codeset, "UTF-8") == 0 || g_ascii_strcasecmp(codeset, "utf8") == 0);
  return abilities;
}

bool Terminal::output_is_terminal() {
  return isatty(STDOUT_FILENO);
}

bool Terminal::size(int* cols, int* rows, double* cell_aspect) {
  struct winsize ws {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0 || ws.ws_row == 0) return false;
  *cols = ws.ws_col;
  *rows = ws.ws_row;
  // Pixel sizes, when the terminal reports them, give the real shape of a cell.
  *cell_aspect = ws.ws_xpixel > 0 && ws.ws_ypixel > 0
                     ? (double(ws.ws_xpixel) / ws.ws_col) / (double(ws.ws_ypixel) / ws.ws_row)
                     : 0.5;
  return true;
}

void Terminal::enter(std::function<void(TerminalKey)> on_key) {
  if (entered_) return;
  entered_ = true;
  on_key_ = std::move(on_key);
  install_crash_handlers();
  if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_input) == 0) {
    struct termios raw = saved_input;
    raw.c_lflag &= ~(ICANON | ECHO);  // ISIG stays: Ctrl-C is still SIGINT
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VSUSP] = _POSIX_VDISABLE;  // Ctrl-Z comes as a key: see suspend()
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
      input_raw_ = true;
      restore_input = 1;
      input_watch_ = g_unix_fd_add(STDIN_FILENO, GIOCondition(G_IO_IN | G_IO_HUP | G_IO_ERR), on_input, this);
    }
  }
  if (output_is_terminal()) {
    write_all(kTakeScreen);
    restore_screen = 1;
    if (isatty(STDERR_FILENO)) {
      held_errors_ = tmpfile();
      saved_stderr_ = held_errors_ ? dup(STDERR_FILENO) : -1;
      if (saved_stderr_ >= 0) {
        fflush(stderr);
        dup2(fileno(held_errors_), STDERR_FILENO);
      }
    }
  }
}

void Terminal::leave(bool show_held_errors) {
  if (!entered_) return;
  entered_ = false;
  if (saved_stderr_ >= 0) {
    fflush(stderr);
    dup2(saved_stderr_, STDERR_FILENO);
    close(saved_stderr_);
    saved_stderr_ = -1;
  }
  if (input_watch_) g_source_remove(input_watch_);
  input_watch_ = 0;
  if (restore_screen) write_all(kRestoreScreen);
  restore_screen = 0;
  if (input_raw_) {
    tcflush(STDIN_FILENO, TCIFLUSH);  // keys pressed while it ended do not reach the shell
    tcsetattr(STDIN_FILENO, TCSANOW, &saved_input);
  }
  input_raw_ = false;
  restore_input = 0;
  if (held_errors_) {
    if (show_held_errors) {
      rewind(held_errors_);
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof(buf), held_errors_)) > 0) fwrite(buf, 1, n, stderr);
    }
    fclose(held_errors_);
    held_errors_ = nullptr;
  }
}

void Terminal::suspend() {
  if (!entered_) return;
  auto on_key = on_key_;
  leave();
  raise(SIGTSTP);  // stops here; the shell's fg continues from here
  enter(on_key);
}

gboolean Terminal::on_input(gint fd, GIOCondition condition, gpointer data) {
  auto* self = static_cast<Terminal*>(data);
  char buf[64];
  const ssize_t n = (condition & G_IO_IN) ? read(fd, buf, sizeof(buf)) : 0;
  if (n <= 0) {
    self->input_watch_ = 0;  // input closed: no more keys
    return G_SOURCE_REMOVE;
  }
  self->pending_.append(buf, size_t(n));
  std::string& p = self->pending_;
  while (!p.empty()) {
    if (p[0] == '\x1b') {
      // Arrow keys: ESC [ C / ESC [ D (or ESC O C / ESC O D in application mode).
      if (p.size() < 3) {
        if (p.size() == 1 || p[1] == '[' || p[1] == 'O') break;  // wait for the rest
        p.erase(0, 1);
        continue;
      }
      if (p[1] == '[' || p[1] == 'O') {
        if (p[2] == 'C') self->on_key_(TerminalKey::kForward);
        if (p[2] == 'D') self->on_key_(TerminalKey::kBack);
        p.erase(0, 3);
      } else {
        p.erase(0, 1);
      }
      continue;
    }
    const char c = p[0];
    p.erase(0, 1);
    if (c == ' ') self->on_key_(TerminalKey::kPause);
    if (c == 'q' || c == 'Q') self->on_key_(TerminalKey::kQuit);
    if (c == 0x1A) self->on_key_(TerminalKey::kSuspend);
  }
  // A lone ESC never completed by the next read is dropped then.
  if (p.size() > 8) p.clear();
  return G_SOURCE_CONTINUE;
}
