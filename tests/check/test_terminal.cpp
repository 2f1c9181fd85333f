// ascii-launch --terminal in a real terminal: tmux panes (a server of the test's own), read back
// with capture-pane. The file is made by ffmpeg (H.264 and AAC): ten seconds of a moving test
// picture, then ten of flat blue, so a seek shows. Also the player's bytes written to a file,
// played into a virtual terminal.
// SPDX-License-Identifier: LGPL-2.1-or-later
#include <gst/check/gstcheck.h>
#include <signal.h>
#include <unistd.h>

#include <functional>
#include <string>
#include <vector>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "child_process.h"
#include "temp_dir.h"
#include "virtual_terminal.h"

namespace {

std::string media_dir, clip;
std::string tmux_socket;

constexpr int kPaneCols = 160, kPaneRows = 50;
constexpr int kDeadlineMs = 20000;

void make_clip() {
  if (!clip.empty()) return;
  g_autofree gchar* dir = g_dir_make_tmp("terminal-XXXXXX", nullptr);
  media_dir = dir;
  clip = media_dir + "/clip.mp4";
  ChildProcess ffmpeg({"ffmpeg",
                       "-hide_banner",
                       "-loglevel",
                       "error",
                       "-nostdin",
                       "-y",
                       "-f",
                       "lavfi",
                       "-i",
                       "testsrc2=size=640x360:rate=30:duration=10",
                       "-f",
                       "lavfi",
                       "-i",
                       "color=c=blue:size=640x360:rate=30:duration=10",
                       "-f",
                       "lavfi",
                       "-i",
                       "sine=frequency=440:duration=20",
                       "-filter_complex",
                       "[0:v][1:v]concat=n=2:v=1:a=0[v]",
                       "-map",
                       "[v]",
                       "-map",
                       "2:a",
                       "-c:v",
                       "libx264",
                       "-g",
                       "30",
                       "-pix_fmt",
                       "yuv420p",
                       "-c:a",
                       "aac",
                       clip});
  fail_unless_equals_int(ffmpeg.wait_exit(120000), 0);
}

void remove_clip() {
  if (!media_dir.empty()) remove_tree(media_dir);
}

// Runs tmux on the test's own server; returns what it printed (and its exit status in |status|).
std::string tmux(const std::vector<std::string>& args, int* status = nullptr) {
  std::vector<std::string> all = {"tmux", "-L", tmux_socket, "-f", "/dev/null"};
  all.insert(all.end(), args.begin(), args.end());
  std::vector<gchar*> argv;
  for (auto& a : all) argv.push_back(const_cast<gchar*>(a.c_str()));
  argv.push_back(nullptr);
  // The pane's programs see what a user's would: no test logging.
  g_auto(GStrv) env = g_environ_unsetenv(g_get_environ(), "GST_DEBUG");
  gchar* out = nullptr;
  gint wait_status = 0;
  GError* error = nullptr;
  fail_unless(g_spawn_sync(nullptr, argv.data(), env, G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, nullptr,
                           &wait_status, &error),
              "tmux: %s", error ? error->message : "");
  if (status) *status = g_spawn_check_wait_status(wait_status, nullptr) ? 0 : 1;
  std::string text = out ? out : "";
  g_free(out);
  return text;
}

bool poll(const std::function<bool()>& done, int timeout_ms = kDeadlineMs) {
  const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  while (g_get_monotonic_time() < deadline) {
    if (done()) return true;
    g_usleep(50 * 1000);
  }
  return done();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

// The pane as text (one line a row), and with its colours as escape codes.
std::string screen() {
  return tmux({"capture-pane", "-p", "-t", "t"});
}
std::string screen_with_colours() {
  return tmux({"capture-pane", "-p", "-e", "-t", "t"});
}

// Rows of the pane drawn in 24-bit colour: where the picture is.
struct PictureRows {
  int first = -1, last = -1, count = 0;
};
PictureRows picture_rows() {
  PictureRows rows;
  const auto lines = lines_of(screen_with_colours());
  for (int i = 0; i < int(lines.size()); i++) {
    if (lines[i].find("8;2;") == std::string::npos) continue;
    if (rows.first < 0) rows.first = i;
    rows.last = i;
    rows.count++;
  }
  return rows;
}

// Rows of the pane that show a block character (a flat area is drawn with spaces).
struct InkRows {
  int first = -1, last = -1, count = 0;
};
InkRows ink_rows(const std::string& text) {
  InkRows rows;
  const auto lines = lines_of(text);
  for (int i = 0; i < int(lines.size()); i++) {
    if (lines[i].find("\xe2\x96") == std::string::npos) continue;  // U+2580..U+259F, the blocks
    if (rows.first < 0) rows.first = i;
    rows.last = i;
    rows.count++;
  }
  return rows;
}

std::string format(const std::string& what) {
  std::string s = tmux({"display-message", "-p", "-t", "t", what});
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// A 160 x 50 pane with a plain shell, on the test's own tmux server.
void start_pane() {
  tmux_socket = "gst-ascii-test-" + std::to_string(getpid());
  tmux({"kill-server"});
  int status = 1;
  tmux({"new-session", "-d", "-s", "t", "-x", std::to_string(kPaneCols), "-y", std::to_string(kPaneRows),
        "env PS1='shell> ' bash --norc --noprofile"},
       &status);
  fail_unless_equals_int(status, 0);
  fail_unless(poll([] { return screen().find("shell>") != std::string::npos; }), "no shell prompt:\n%s\n%s",
              screen().c_str(), tmux({"list-sessions"}).c_str());
}

// The test's tmux server goes, and its socket with it (tmux leaves the file in its directory).
void stop_pane() {
  if (tmux_socket.empty()) return;
  const char* dir = g_getenv("TMUX_TMPDIR");
  const std::string path =
      std::string(dir && *dir ? dir : "/tmp") + "/tmux-" + std::to_string(getuid()) + "/" + tmux_socket;
  if (g_file_test(path.c_str(), G_FILE_TEST_EXISTS)) {
    tmux({"kill-server"});
    g_unlink(path.c_str());
  }
  tmux_socket.clear();
}

// ascii-launch --terminal typed into a new pane.
void start_player(const std::string& extra = "") {
  make_clip();
  start_pane();
  const std::string command = "LANG=C.UTF-8 COLORTERM=truecolor '" + std::string(g_getenv("ASCII_LAUNCH")) +
                              "' --terminal " + extra + " '" + clip + "'";
  tmux({"send-keys", "-t", "t", command, "Enter"});
  fail_unless(poll([] { return picture_rows().count >= 10 && ink_rows(screen()).count >= 10; }), "no picture:\n%s",
              screen().c_str());
}

// A TCP port nothing listens on now.
guint free_port() {
  GSocket* socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress* loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress* any = g_inet_socket_address_new(loopback, 0);
  fail_unless(g_socket_bind(socket, any, TRUE, nullptr));
  GSocketAddress* bound = g_socket_get_local_address(socket, nullptr);
  const guint port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_object_unref(any);
  g_object_unref(loopback);
  g_object_unref(socket);
  return port;
}

// The player is gone and the shell is back as it was: main screen, cursor shown, a prompt.
void expect_clean_shell() {
  fail_unless(poll([] { return format("#{pane_current_command}") == "bash"; }), "still running: %s",
              format("#{pane_current_command}").c_str());
  fail_unless(poll([] { return format("#{alternate_on}") == "0"; }), "left on the alternate screen");
  const std::string cursor = format("#{cursor_flag}");
  fail_unless(cursor == "1", "the cursor is hidden (%s)", cursor.c_str());
  tmux({"send-keys", "-t", "t", "echo typed-after", "Enter"});
  fail_unless(poll([] { return screen().find("typed-after\nshell>") != std::string::npos; }),
              "the shell does not echo what is typed:\n%s", screen().c_str());
  tmux({"kill-server"});
}

}  // namespace

// The picture fills the pane's width without scrolling, has colour, changes and keeps its place;
// space pauses and plays; a resize re-fits it; q gives back a clean shell.
GST_START_TEST(test_plays_in_a_pane) {
  start_player();
  // 16:9 in 160 x 50 cells of 1:2 is 160 x 45, centred: rows 3 to 47 (2 to 46 counted from 0).
  PictureRows placed;
  fail_unless(poll([&] {
                placed = picture_rows();
                return placed.first == 2 && placed.last == 46 && placed.count == 45;
              }),
              "picture on rows %d-%d (%d)", placed.first, placed.last, placed.count);
  // It moves, and stays where it is.
  const std::string before = screen();
  fail_unless(poll([&] { return screen() != before; }, 5000), "the picture does not change");
  for (int i = 0; i < 5; i++) {
    const PictureRows now = picture_rows();
    fail_unless(now.first == placed.first && now.last == placed.last, "moved to rows %d-%d", now.first, now.last);
    g_usleep(100 * 1000);
  }
  // Paused, it holds still; played again, it moves.
  tmux({"send-keys", "-t", "t", "Space"});
  std::string held;
  fail_unless(poll([&] {
    const std::string a = screen();
    g_usleep(400 * 1000);
    held = screen();
    return a == held;
  }));
  tmux({"send-keys", "-t", "t", "Space"});
  fail_unless(poll([&] { return screen() != held; }, 5000), "space does not resume");
  // A smaller pane: 100 x 40 fits 100 x 28, from row 7.
  tmux({"resize-window", "-t", "t", "-x", "100", "-y", "40"});
  fail_unless(poll([] {
                const PictureRows r = picture_rows();
                return r.count == 28 && r.first == 6;
              }),
              "not re-fitted:\n%s", screen().c_str());
  tmux({"send-keys", "-t", "t", "q"});
  expect_clean_shell();
}
GST_END_TEST;

// Right arrow seeks 10 s ahead: into the flat blue half, where no cell needs a block character.
GST_START_TEST(test_seek_with_arrow) {
  start_player();
  tmux({"send-keys", "-t", "t", "Right"});
  fail_unless(
      poll([] { return ink_rows(screen()).count == 0 && screen_with_colours().find("48;2;") != std::string::npos; }),
      "still the first half after a seek:\n%s", screen().c_str());
  tmux({"send-keys", "-t", "t", "C-c"});
  expect_clean_shell();
}
GST_END_TEST;

// Ctrl-Z gives the shell a usable terminal (main screen, echo, cursor); fg brings the picture back.
GST_START_TEST(test_suspend_and_resume) {
  start_player("--no-audio");
  tmux({"send-keys", "-t", "t", "C-z"});
  fail_unless(poll([] { return format("#{alternate_on}") == "0" && format("#{pane_current_command}") == "bash"; }),
              "not suspended:\n%s", screen().c_str());
  tmux({"send-keys", "-t", "t", "jobs", "Enter"});
  fail_unless(poll([] { return screen().find("Stopped") != std::string::npos; }), "no stopped job:\n%s",
              screen().c_str());
  const std::string cursor = format("#{cursor_flag}");
  fail_unless(cursor == "1", "the cursor is hidden while suspended");
  tmux({"send-keys", "-t", "t", "fg", "Enter"});
  fail_unless(poll([] { return format("#{alternate_on}") == "1" && picture_rows().count == 45; }),
              "not back after fg:\n%s", screen().c_str());
  tmux({"send-keys", "-t", "t", "q"});
  expect_clean_shell();
}
GST_END_TEST;

// SIGTERM (a closing session manager) gives the terminal back as well.
GST_START_TEST(test_sigterm_restores) {
  start_player("--no-audio");
  const std::string pid = format("#{pane_pid}");
  // The player is the shell's child.
  ChildProcess pkill({"pkill", "-TERM", "-P", pid});
  fail_unless_equals_int(pkill.wait_exit(5000), 0);
  expect_clean_shell();
}
GST_END_TEST;

// Not a terminal: the bytes go to the file as they are, for the grid COLUMNS x LINES fits, and
// make a whole picture on a screen of that size.
GST_START_TEST(test_output_to_a_file) {
  make_clip();
  const std::string out = media_dir + "/out.ansi";
  const std::string command = "COLUMNS=80 LINES=24 '" + std::string(g_getenv("ASCII_LAUNCH")) +
                              "' --terminal --no-audio --colors 256 --frames 20 '" + clip + "' > '" + out + "'";
  ChildProcess player({"sh", "-c", command}, true);
  fail_unless_equals_int(player.wait_exit(60000), 0);
  gchar* bytes = nullptr;
  gsize size = 0;
  fail_unless(g_file_get_contents(out.c_str(), &bytes, &size, nullptr));
  VirtualTerminal term(80, 24);
  fail_unless(term.play(std::string(bytes, size)), "%s", term.error().c_str());
  g_free(bytes);
  // 16:9 in 80 x 24: 80 x 23 (22.5 rounded), rows 1 to 23, in 256 colours.
  int drawn = 0;
  for (int r = 0; r < 23; r++) {
    for (int c = 0; c < 80; c++) drawn += (term.seen(r, c).bg >> 24) == 5 ? 1 : 0;
  }
  fail_unless_equals_int(drawn, 80 * 23);
  for (int c = 0; c < 80; c++) fail_unless(term.seen(23, c).bg == -1, "row 24 is outside the picture");
}
GST_END_TEST;

// The served demo watched from panes: with nothing of ours installed, curl -N at /tty?size=160x48
// (160 x 45 from row 2) and nc on --tty-port (the 80 x 24 size: 80 x 23 at the top left); then
// ascii-launch view.
GST_START_TEST(test_remote_viewers_in_panes) {
  const guint tty_port = free_port();
  ChildProcess launcher({g_getenv("ASCII_LAUNCH"), "--port", "0", "--tty-port", std::to_string(tty_port)}, true);
  fail_unless(launcher.wait_for_output("open http://", 20000), "%s", launcher.output().c_str());
  const std::string said = launcher.output();
  const std::size_t at = said.find("http://127.0.0.1:");
  fail_unless(at != std::string::npos);
  const int port = atoi(said.c_str() + at + 17);
  start_pane();
  tmux({"send-keys", "-t", "t", "curl -sN 'http://127.0.0.1:" + std::to_string(port) + "/tty?size=160x48'", "Enter"});
  fail_unless(poll([] {
                const PictureRows r = picture_rows();
                return r.first == 1 && r.last == 45 && r.count == 45;
              }),
              "curl shows no picture:\n%s", screen().c_str());
  const std::string before = screen_with_colours();
  fail_unless(poll([&] { return screen_with_colours() != before; }, 5000), "the picture does not change");
  tmux({"send-keys", "-t", "t", "C-c"});
  fail_unless(poll([] { return format("#{pane_current_command}") == "bash"; }));
  const std::string cursor = format("#{cursor_flag}");
  fail_unless(cursor == "1", "curl stopped with the cursor hidden");
  tmux({"send-keys", "-t", "t", "clear; nc 127.0.0.1 " + std::to_string(tty_port), "Enter"});
  fail_unless(poll([] {
                const PictureRows r = picture_rows();
                return r.first == 0 && r.last == 22 && r.count == 23;
              }),
              "nc shows no picture:\n%s", screen().c_str());
  tmux({"send-keys", "-t", "t", "C-c"});
  // ascii-launch view: the largest size that fits the pane (160x48), with the sound; q quits.
  fail_unless(poll([] { return format("#{pane_current_command}") == "bash"; }));
  tmux({"send-keys", "-t", "t",
        "clear; LANG=C.UTF-8 '" + std::string(g_getenv("ASCII_LAUNCH")) +
            "' view http://127.0.0.1:" + std::to_string(port) + "/",
        "Enter"});
  fail_unless(poll([] {
                const PictureRows r = picture_rows();
                return r.first == 1 && r.last == 45 && r.count == 45 && format("#{alternate_on}") == "1";
              }),
              "view shows no picture:\n%s", screen().c_str());
  tmux({"send-keys", "-t", "t", "q"});
  expect_clean_shell();
  fail_unless_equals_int(launcher.interrupt(), 0);
}
GST_END_TEST;

// The port ascii-launch printed in its "open http://127.0.0.1:PORT/" line.
int served_port(ChildProcess& launcher) {
  fail_unless(launcher.wait_for_output("open http://", 20000), "%s", launcher.output().c_str());
  const std::string said = launcher.output();
  const std::size_t at = said.find("http://127.0.0.1:");
  fail_unless(at != std::string::npos);
  return atoi(said.c_str() + at + 17);
}

// The pane shows the clip's flat blue second half: colour, and no block character.
bool pane_is_blue() {
  return ink_rows(screen()).count == 0 && screen_with_colours().find("48;2;") != std::string::npos;
}

// A file served on demand is encoded far ahead of real time into the store (browser viewers each
// play it on their own clock), so the terminals get a real-time playback of their own: curl in a
// pane, once the whole file is encoded, sees the moving first half for its ten seconds, then the
// blue. Its sound is at /tty/audio. A terminal that comes after the last one left starts again at
// the beginning.
GST_START_TEST(test_file_on_demand_in_a_pane) {
  make_clip();
  ChildProcess launcher({g_getenv("ASCII_LAUNCH"), "--port", "0", clip}, true);
  const std::string base = "http://127.0.0.1:" + std::to_string(served_port(launcher));
  fail_unless(launcher.wait_for_output("is encoded", 60000), "%s", launcher.output().c_str());
  start_pane();
  const std::string watch = "clear; curl -sN '" + base + "/tty?size=160x48'";
  tmux({"send-keys", "-t", "t", watch, "Enter"});
  fail_unless(poll([] { return picture_rows().count == 45; }), "curl shows no picture:\n%s", screen().c_str());
  const gint64 shown = g_get_monotonic_time();
  fail_if(pane_is_blue(), "the picture starts in the second half");
  {
    ChildProcess sound({"curl", "-s", "--max-time", "2", base + "/tty/audio"}, true);
    sound.wait_exit(10000);
    const std::string adts = sound.output();
    fail_unless(adts.size() > 1000 && std::uint8_t(adts[0]) == 0xFF && (std::uint8_t(adts[1]) & 0xF0) == 0xF0,
                "no ADTS sound at /tty/audio (%zu bytes)", adts.size());
  }
  // Real time: the first half lasts ten seconds (it took the encoder under three).
  fail_unless(poll(pane_is_blue, 20000), "never the blue half:\n%s", screen().c_str());
  const double first_half = double(g_get_monotonic_time() - shown) / 1e6;
  g_print("on demand, a terminal saw the first half for %.1f s\n", first_half);
  fail_unless(first_half > 8.5 && first_half < 13, "the first half lasted %.1f s", first_half);
  tmux({"send-keys", "-t", "t", "C-c"});
  fail_unless(poll([] { return format("#{pane_current_command}") == "bash"; }));
  // Nobody watches: after two looks a second apart it stops and goes back to the start. (Nothing
  // outside the server shows that moment; this waits past it.)
  g_usleep(4 * G_USEC_PER_SEC);
  tmux({"send-keys", "-t", "t", watch, "Enter"});
  fail_unless(poll([] { return picture_rows().count == 45; }), "no picture again:\n%s", screen().c_str());
  fail_if(pane_is_blue(), "a new viewer does not start at the beginning");
  tmux({"send-keys", "-t", "t", "C-c"});
  fail_unless_equals_int(launcher.interrupt(), 0);
}
GST_END_TEST;

static Suite* terminal_suite(void) {
  Suite* s = suite_create("terminal");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  tcase_add_unchecked_fixture(tc, make_clip, remove_clip);
  tcase_add_checked_fixture(tc, nullptr, stop_pane);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_plays_in_a_pane);
  tcase_add_test(tc, test_seek_with_arrow);
  tcase_add_test(tc, test_sigterm_restores);
  tcase_add_test(tc, test_suspend_and_resume);
  tcase_add_test(tc, test_output_to_a_file);
  tcase_add_test(tc, test_remote_viewers_in_panes);
  tcase_add_test(tc, test_file_on_demand_in_a_pane);
  return s;
}

GST_CHECK_MAIN(terminal);
