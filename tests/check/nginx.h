// A real nginx serving a folder on 127.0.0.1 (an ephemeral port), for tests of sources that come
// over HTTP: byte ranges, HLS playlists and segments as a real web server serves them.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "child_process.h"
#include "temp_dir.h"
#include "ws_client.h"

class Nginx {
 public:
  // Serves |root| until destroyed. nginx runs in the foreground as one process of this user (no
  // master, no workers as another user), with every path of its own under a private folder.
  explicit Nginx(const std::string& root) { start("root " + root + ";", 256); }

  // A caching reverse proxy in front of 127.0.0.1:|origin_port| for /hls/, as README shows one
  // (proxy_cache with proxy_cache_lock: one request to the origin per segment, however many
  // viewers ask at once). access_log() tells, per request, whether the cache answered.
  static std::unique_ptr<Nginx> caching_proxy(guint origin_port, int connections = 4096) {
    std::unique_ptr<Nginx> nginx(new Nginx());
    nginx->start("location /hls/ { proxy_pass http://127.0.0.1:" + std::to_string(origin_port) +
                     "; proxy_cache hls; proxy_cache_lock on; proxy_cache_valid 200 1s; }",
                 connections);
    return nginx;
  }

  // One line a request: "URI CACHE-STATUS STATUS", CACHE-STATUS being nginx's
  // $upstream_cache_status (MISS and EXPIRED went to the origin; HIT, UPDATING did not).
  std::string access_log() const {
    gchar* text = nullptr;
    g_file_get_contents((dir_.path() + "/access.log").c_str(), &text, nullptr, nullptr);
    std::string log = text ? text : "";
    g_free(text);
    return log;
  }
  const std::string& access_log_path() const { return access_log_path_; }

 private:
  Nginx() = default;

  void start(const std::string& server_body, int connections) {
    const char* program = "/usr/sbin/nginx";  // Debian's; not on a normal user's PATH
    fail_unless(g_file_test(program, G_FILE_TEST_IS_EXECUTABLE),
                "%s is not installed (tools/install-deps.sh test installs it)", program);
    port_ = free_port();
    const std::string& dir = dir_.path();
    access_log_path_ = dir + "/access.log";
    std::string conf;
    for (const std::string& line : std::initializer_list<std::string>{
             "daemon off;",
             "master_process off;",
             "worker_processes 1;",
             "worker_rlimit_nofile " + std::to_string(2 * connections + 64) + ";",
             "error_log " + dir + "/error.log;",
             "pid " + dir + "/nginx.pid;",
             "events { worker_connections " + std::to_string(connections) + "; }",
             "http {",
             "  log_format cache '$uri $upstream_cache_status $status';",
             "  access_log " + access_log_path_ + " cache;",
             "  proxy_cache_path " + dir + "/cache keys_zone=hls:10m max_size=1g inactive=10m;",
             "  client_body_temp_path " + dir + "/body;",
             "  proxy_temp_path " + dir + "/proxy;",
             "  fastcgi_temp_path " + dir + "/fastcgi;",
             "  uwsgi_temp_path " + dir + "/uwsgi;",
             "  scgi_temp_path " + dir + "/scgi;",
             "  types { video/mp4 mp4; application/vnd.apple.mpegurl m3u8; video/mp2t ts; }",
             "  default_type application/octet-stream;",
             "  server { listen 127.0.0.1:" + std::to_string(port_) + "; " + server_body + " }",
             "}",
         }) {
      conf += line + "\n";
    }
    const std::string conf_path = dir + "/nginx.conf";
    fail_unless(g_file_set_contents(conf_path.c_str(), conf.c_str(), -1, nullptr));
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{program, "-p", dir, "-c", conf_path, "-e", dir + "/error.log"});
    // Ready once it accepts a connection.
    const gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
    while (!port_accepts(port_)) {
      fail_unless(g_get_monotonic_time() < deadline, "nginx did not start: %s", process_->output().c_str());
      g_usleep(20 * 1000);  // a poll interval, with the deadline above
    }
  }

 public:
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  guint port() const { return port_; }

 private:
  std::string access_log_path_;
  // In this order, so nginx is killed (SIGKILL: nothing of it needs to last) before its folder goes.
  TempDir dir_{"nginx-XXXXXX"};
  guint port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};
