// A PulseAudio server of the test's own (Debian's pulseaudio, run as a child), with one null sink
// called "out" whose monitor ("out.monitor") hears what is played into it: the sound card a
// machine without one lacks. Clients reach it with PULSE_SERVER=server().
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "child_process.h"
#include "temp_dir.h"

class PulseServer {
 public:
  PulseServer() : dir_("pulse-XXXXXX") {
    const std::string config = dir_.path() + "/default.pa";
    const std::string script =
        "load-module module-null-sink sink_name=out rate=48000\n"
        "load-module module-native-protocol-unix auth-anonymous=1 socket=" +
        socket() + "\nset-default-sink out\n";
    fail_unless(g_file_set_contents(config.c_str(), script.c_str(), -1, nullptr));
    // Its own home and runtime folder: nothing of the machine's (or a user's) session is touched.
    daemon_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "env", "HOME=" + dir_.path(), "XDG_RUNTIME_DIR=" + dir_.path(), "pulseaudio", "-n", "--daemonize=no",
        "--exit-idle-time=-1", "--use-pid-file=no", "--system=no", "-F", config, "--log-target=stderr"});
    const gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (access(socket().c_str(), F_OK) != 0 && g_get_monotonic_time() < deadline) g_usleep(20 * 1000);
    fail_unless(access(socket().c_str(), F_OK) == 0, "pulseaudio did not start (the pulseaudio package): %s",
                daemon_->output().c_str());
  }
  std::string server() const { return "unix:" + socket(); }

 private:
  std::string socket() const { return dir_.path() + "/native"; }

  TempDir dir_;
  std::unique_ptr<ChildProcess> daemon_;
};
