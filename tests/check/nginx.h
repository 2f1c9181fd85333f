// A real nginx serving a folder on 127.0.0.1 (an ephemeral port), for tests of sources that come
// over HTTP: byte ranges, HLS playlists and segments as a real web server serves them.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <ftw.h>

#include <memory>
#include <string>

#include "child_process.h"
#include "ws_client.h"

class Nginx {
 public:
  // Serves |root| until destroyed. nginx runs in the foreground as one process of this user (no
  // master, no workers as another user), with every path of its own under a private folder.
  explicit Nginx(const std::string& root) {
    const char* program = "/usr/sbin/nginx";  // Debian's; not on a normal user's PATH
    fail_unless(g_file_test(program, G_FILE_TEST_IS_EXECUTABLE),
                "%s is not installed (tools/install-deps.sh test installs it)", program);
    g_autofree gchar* dir = g_dir_make_tmp("nginx-XXXXXX", nullptr);
    dir_ = dir;
    port_ = free_port();
    const std::string conf = "daemon off;\nmaster_process off;\nworker_processes 1;\nerror_log " + dir_ +
                             "/error.log;\npid " + dir_ +
                             "/nginx.pid;\nevents { worker_connections 256; }\nhttp {\n  access_log off;\n"
                             "  client_body_temp_path " +
                             dir_ + "/body;\n  proxy_temp_path " + dir_ +
                             "/proxy;\n"
                             "  fastcgi_temp_path " +
                             dir_ + "/fastcgi;\n  uwsgi_temp_path " + dir_ +
                             "/uwsgi;\n"
                             "  scgi_temp_path " +
                             dir_ +
                             "/scgi;\n"
                             "  types { video/mp4 mp4; application/vnd.apple.mpegurl m3u8; video/mp2t ts; }\n"
                             "  default_type application/octet-stream;\n"
                             "  server {\n    listen 127.0.0.1:" +
                             std::to_string(port_) + ";\n    root " + root + ";\n  }\n}\n";
    const std::string conf_path = dir_ + "/nginx.conf";
    fail_unless(g_file_set_contents(conf_path.c_str(), conf.c_str(), -1, nullptr));
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{program, "-p", dir_, "-c", conf_path, "-e", dir_ + "/error.log"});
    // Ready once it accepts a connection.
    const gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
    while (!port_accepts(port_)) {
      fail_unless(g_get_monotonic_time() < deadline, "nginx did not start: %s", process_->output().c_str());
      g_usleep(20 * 1000);  // a poll interval, with the deadline above
    }
  }
  ~Nginx() {
    process_.reset();  // SIGKILL: nothing of it needs to last
    nftw(
        dir_.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return remove(path); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

 private:
  std::string dir_;
  guint port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};
