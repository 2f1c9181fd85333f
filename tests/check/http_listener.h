// A raw-socket HTTP client of an endless response (adtsmux-out's /audio, sessionsink's /events):
// the response head, then the chunked body as it arrives.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "ws_client.h"

// One HTTP listener on a raw socket: the response head, then the chunked body as it arrives.
class Listener {
 public:
  explicit Listener(guint port, const std::string& path = "/audio", const std::string& extra = "",
                    int receive_buffer = 0) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    // Set before connecting, so the window the listener offers stays this small.
    if (receive_buffer) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fail_unless(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
    send_all(fd, req.data(), req.size());
  }
  ~Listener() {
    if (fd >= 0) close(fd);
  }

  // Reads for |ms| milliseconds (or until the server closes); returns false once closed.
  bool read_for(int ms) {
    gint64 deadline = g_get_monotonic_time() + gint64(ms) * 1000;
    char buf[16384];
    while (!closed) {
      int left = int((deadline - g_get_monotonic_time()) / 1000);
      if (left <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, left) <= 0) break;
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
      raw.append(buf, n);
    }
    return !closed;
  }
  // Reads until the response head is in (or |ms| pass).
  bool read_head(int ms) {
    gint64 deadline = g_get_monotonic_time() + gint64(ms) * 1000;
    while (raw.find("\r\n\r\n") == std::string::npos && !closed && g_get_monotonic_time() < deadline) read_for(20);
    return raw.find("\r\n\r\n") != std::string::npos;
  }
  int status() const { return raw.compare(0, 9, "HTTP/1.1 ") == 0 ? atoi(raw.c_str() + 9) : 0; }
  // A response header, case-insensitively, or "".
  std::string header(const std::string& name) const {
    size_t end = raw.find("\r\n\r\n");
    std::string head = raw.substr(0, end);
    g_autofree gchar* lower_head = g_ascii_strdown(head.c_str(), -1);
    g_autofree gchar* lower_name = g_ascii_strdown((name + ": ").c_str(), -1);
    const char* at = strstr(lower_head, (std::string("\r\n") + lower_name).c_str());
    if (!at) return "";
    size_t start = (at - lower_head) + 2 + name.size() + 2;
    return head.substr(start, head.find("\r\n", start) - start);
  }
  double start() const { return g_ascii_strtod(header("X-Audio-Start").c_str(), nullptr); }
  // The body so far, de-chunked: whole chunks only. |complete| tells whether the last chunk came.
  std::vector<uint8_t> body(bool* complete = nullptr) const {
    std::vector<uint8_t> out;
    size_t pos = raw.find("\r\n\r\n");
    if (complete) *complete = false;
    if (pos == std::string::npos) return out;
    pos += 4;
    while (true) {
      size_t eol = raw.find("\r\n", pos);
      if (eol == std::string::npos) break;
      size_t size = strtoul(raw.c_str() + pos, nullptr, 16);
      if (size == 0) {
        if (complete) *complete = raw.compare(pos, 1, "0") == 0;
        break;
      }
      if (raw.size() < eol + 2 + size + 2) break;
      out.insert(out.end(), raw.begin() + eol + 2, raw.begin() + eol + 2 + size);
      pos = eol + 2 + size + 2;
    }
    return out;
  }

  int fd = -1;
  bool closed = false;
  std::string raw;
};
