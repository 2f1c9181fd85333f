// Playing something through ascii-launch the way a user does, for the media and network tests:
// the launcher as a child process, a real WebSocket viewer on the URL it prints, and a real HTTP
// listener of /audio whose ADTS is decoded by GStreamer.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "adts_listener.h"
#include "child_process.h"
#include "ws_client.h"

// What is expected of a source.
struct Expect {
  int cols = 0, rows = 0;  // the grid (each +-1); 0: not checked
  bool audio = false;      // serves sound at /audio
  std::string error;       // non-empty: exits non-zero with one line containing this
};

// What happened, for the test's assertions and the table it prints.
struct Played {
  std::string what;
  std::string outcome;         // "plays", "plays, sound" or the error line
  double first_frame_ms = -1;  // from starting the launcher to the viewer's first frame
  int cols = 0, rows = 0;      // from the INIT the viewer got
  size_t frames = 0;           // frames the viewer got
  size_t audio_frames = 0;     // ADTS frames read from /audio in about a second
};

inline std::vector<std::string> launch_args(const std::string& source, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {g_getenv("ASCII_LAUNCH"), "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back(source);
  return args;
}

// The port in "... open http://127.0.0.1:PORT/ ...", or 0.
inline guint printed_port(const std::string& said) {
  const size_t at = said.find("http://127.0.0.1:");
  return at == std::string::npos ? 0 : guint(atoi(said.c_str() + at + 17));
}

// The lines of |text| that are not empty.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  g_auto(GStrv) split = g_strsplit(text.c_str(), "\n", -1);
  for (int i = 0; split[i]; i++) {
    if (split[i][0]) lines.push_back(split[i]);
  }
  return lines;
}

// Plays |source| (a path or URI) with ascii-launch and checks it against |expect|. With |keep| the launcher is left
// running and handed over there; else it is stopped with Ctrl-C, which must end it cleanly.
inline Played play_source(const std::string& what, const std::string& source, const Expect& expect,
                          const std::vector<std::string>& extra = {}, std::unique_ptr<ChildProcess>* keep = nullptr) {
  Played result;
  result.what = what;
  auto launcher = std::make_unique<ChildProcess>(launch_args(source, extra), true);
  const bool serving = launcher->wait_for_output("open http://", 20000);
  if (!expect.error.empty()) {
    const int status = launcher->wait_exit(20000);
    const std::string said = launcher->output();
    const auto lines = lines_of(said);
    fail_if(serving, "%s: served, but should fail with '%s'", what.c_str(), expect.error.c_str());
    fail_unless(status > 0 && status < 128, "%s: exit status %d (%s)", what.c_str(), status, said.c_str());
    fail_unless(lines.size() == 1, "%s: %zu lines, expected one: %s", what.c_str(), lines.size(), said.c_str());
    fail_unless(said.find(expect.error) != std::string::npos, "%s: '%s' does not say '%s'", what.c_str(), said.c_str(),
                expect.error.c_str());
    result.outcome = "exit " + std::to_string(status) + ": " + lines[0];
    return result;
  }
  fail_unless(serving, "%s: not served: %s", what.c_str(), launcher->output().c_str());
  const guint port = printed_port(launcher->output());
  fail_unless(port > 0, "%s: no port in '%s'", what.c_str(), launcher->output().c_str());

  {
    ClientLoop loop;
    WsClient* viewer = loop.connect("ws://127.0.0.1:" + std::to_string(port) + "/ws");
    const bool got = loop.run_until([&] { return viewer->failed || viewer->closed || viewer->frames() >= 10; }, 20000);
    fail_unless(got && viewer->frames() >= 10, "%s: the viewer got %zu frames (failed %d, closed %d): %s", what.c_str(),
                viewer->frames(), viewer->failed, viewer->closed, launcher->output().c_str());
    result.frames = viewer->frames();
    for (const WsMessage& m : viewer->messages) {
      if (m.text && m.str().rfind("INIT:", 0) == 0) {
        double fps = 0;
        int mode = 0;
        sscanf(m.str().c_str(), "INIT:%lf:%d:%d:%d", &fps, &mode, &result.cols, &result.rows);
        break;
      }
    }
    for (const WsMessage& m : viewer->messages) {
      if (!m.text) {
        result.first_frame_ms = (m.arrival - launcher->started()) / 1000.0;
        break;
      }
    }
  }
  fail_unless(result.cols > 0, "%s: no INIT", what.c_str());
  if (expect.cols) {
    fail_unless(std::abs(result.cols - expect.cols) <= 1 && std::abs(result.rows - expect.rows) <= 1,
                "%s: grid %dx%d, expected %dx%d", what.c_str(), result.cols, result.rows, expect.cols, expect.rows);
  }
  result.outcome = "plays";
  if (expect.audio) {
    Listener listener(port);
    fail_unless(listener.read_head(5000), "%s: /audio answered nothing", what.c_str());
    fail_unless_equals_int(listener.status(), 200);
    listener.read_for(1200);
    const auto body = listener.body();
    const auto frames = adts_frames(body, what.c_str(), 48000, 0);
    result.audio_frames = frames.size();
    fail_unless(frames.size() >= 15, "%s: %zu ADTS frames in 1.2 s", what.c_str(), frames.size());
    auto [samples, rms] = decode_adts(body);
    fail_unless(samples >= frames.size() * 1024 - 2048, "%s: %zu samples from %zu frames", what.c_str(), samples,
                frames.size());
    fail_unless(rms > 0.005, "%s: silent sound (RMS %.4f)", what.c_str(), rms);
    result.outcome = "plays, sound";
  }
  if (keep) {
    *keep = std::move(launcher);
  } else {
    const int status = launcher->interrupt();
    fail_unless(status == 0, "%s: Ctrl-C gave exit status %d: %s", what.c_str(), status, launcher->output().c_str());
  }
  return result;
}

// One line of the table the tests print: what, time to first frame, grid, outcome.
inline void print_played(const Played& p) {
  char grid[32] = "-";
  if (p.cols) g_snprintf(grid, sizeof grid, "%dx%d", p.cols, p.rows);
  char first[32] = "-";
  if (p.first_frame_ms >= 0) g_snprintf(first, sizeof first, "%.0f ms", p.first_frame_ms);
  fprintf(stderr, "| %-34s | %-10s | %-8s | %s |\n", p.what.c_str(), first, grid, p.outcome.c_str());
}
