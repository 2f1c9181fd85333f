// Real WebSocket and HTTP clients for the websocketsink tests: libsoup clients driven on the test
// thread's own main context, and raw sockets for requests no well-behaved client would send.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <arpa/inet.h>
#include <gst/check/gstcheck.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

struct WsMessage {
  bool text = false;
  std::vector<std::uint8_t> bytes;
  gint64 arrival = 0;  // monotonic µs
  std::uint32_t index() const {
    return bytes.size() >= 4 ? (std::uint32_t(bytes[0]) << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]) : 0;
  }
  std::string str() const { return std::string(bytes.begin(), bytes.end()); }
};

// One libsoup WebSocket client recording everything it receives.
struct WsClient {
  SoupWebsocketConnection* conn = nullptr;
  std::vector<WsMessage> messages;
  bool failed = false;
  bool closed = false;
  gushort close_code = 0;
  bool keep = true;  // false: record no messages, only count frames and their first and last index
  size_t frame_count = 0;
  std::uint32_t first_index = 0, last_index = 0;

  ~WsClient() {
    if (conn) {
      g_signal_handlers_disconnect_by_data(conn, this);
      if (soup_websocket_connection_get_state(conn) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close(conn, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
      g_object_unref(conn);
    }
  }
  size_t frames() const { return frame_count; }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* bytes, gpointer d) {
    auto* cl = static_cast<WsClient*>(d);
    gsize size = 0;
    auto* p = static_cast<const std::uint8_t*>(g_bytes_get_data(bytes, &size));
    WsMessage m{type == SOUP_WEBSOCKET_DATA_TEXT, {p, p + (size < 4 ? size : 4)}, 0};
    if (!m.text) {
      if (cl->frame_count == 0) cl->first_index = m.index();
      cl->last_index = m.index();
      cl->frame_count++;
    }
    if (!cl->keep) return;
    m.bytes.assign(p, p + size);
    m.arrival = g_get_monotonic_time();
    cl->messages.push_back(std::move(m));
  }

  static void on_closed(SoupWebsocketConnection* conn, gpointer d) {
    auto* cl = static_cast<WsClient*>(d);
    cl->closed = true;
    cl->close_code = soup_websocket_connection_get_close_code(conn);
  }
};

// A private main context on the test thread for the clients; iterate() runs it.
class ClientLoop {
 public:
  ClientLoop() {
    context_ = g_main_context_new();
    g_main_context_push_thread_default(context_);
    session_ = soup_session_new();
  }
  ~ClientLoop() {
    clients_.clear();
    g_object_unref(session_);
    // Let closes and frees that libsoup queued run before the context goes.
    while (g_main_context_iteration(context_, FALSE)) {
    }
    g_main_context_pop_thread_default(context_);
    g_main_context_unref(context_);
  }

  WsClient* connect(const std::string& url, const char* origin = nullptr) {
    clients_.push_back(std::make_unique<WsClient>());
    WsClient* c = clients_.back().get();
    SoupMessage* msg = soup_message_new("GET", url.c_str());
    soup_session_websocket_connect_async(
        session_, msg, origin, nullptr, G_PRIORITY_DEFAULT, nullptr,
        [](GObject* source, GAsyncResult* res, gpointer data) {
          auto* client = static_cast<WsClient*>(data);
          GError* error = nullptr;
          client->conn = soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &error);
          if (!client->conn) {
            client->failed = true;
            g_clear_error(&error);
            return;
          }
          soup_websocket_connection_set_max_incoming_payload_size(client->conn, 16 * 1024 * 1024);
          g_signal_connect(client->conn, "message", G_CALLBACK(WsClient::on_message), client);
          g_signal_connect(client->conn, "closed", G_CALLBACK(WsClient::on_closed), client);
        },
        c);
    g_object_unref(msg);
    return c;
  }

  // Runs the clients until |done| or |timeout_ms| passes; returns done().
  bool run_until(const std::function<bool()>& done, int timeout_ms) {
    gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
    while (!done()) {
      if (g_get_monotonic_time() > deadline) return false;
      GSource* wake = g_timeout_source_new(20);
      g_source_set_callback(
          wake, [](gpointer) { return G_SOURCE_REMOVE; }, nullptr, nullptr);
      g_source_attach(wake, context_);
      g_main_context_iteration(context_, TRUE);
      g_source_destroy(wake);
      g_source_unref(wake);
    }
    return true;
  }

  std::vector<std::unique_ptr<WsClient>>& clients() { return clients_; }

 private:
  GMainContext* context_;
  SoupSession* session_;
  std::vector<std::unique_ptr<WsClient>> clients_;
};

// The first element message named |name| on |bus| within |timeout_ms| (a copy), or nullptr.
inline GstStructure* next_element_message(GstBus* bus, const char* name, int timeout_ms) {
  gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  while (g_get_monotonic_time() < deadline) {
    GstMessage* msg = gst_bus_timed_pop_filtered(bus, 50 * GST_MSECOND, GST_MESSAGE_ELEMENT);
    if (!msg) continue;
    const GstStructure* s = gst_message_get_structure(msg);
    GstStructure* copy = s && gst_structure_has_name(s, name) ? gst_structure_copy(s) : nullptr;
    gst_message_unref(msg);
    if (copy) return copy;
  }
  return nullptr;
}

// ---- raw sockets -------------------------------------------------------------------------------

// A TCP socket connected to 127.0.0.1:|port|, or -1.
inline int try_tcp_connect(guint port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    // With nobody listening, Linux may pick |port| itself as the ephemeral source port and connect
    // the socket to itself (a port just released is in the ephemeral range): not a listener.
    sockaddr_in local{};
    socklen_t size = sizeof local;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &size) != 0 || ntohs(local.sin_port) != port) return fd;
  }
  close(fd);
  return -1;
}

inline int tcp_connect(guint port) {
  const int fd = try_tcp_connect(port);
  fail_unless(fd >= 0, "connect to %u", port);
  return fd;
}

// Whether something accepts connections on |port| now.
inline bool port_accepts(guint port) {
  const int fd = try_tcp_connect(port);
  if (fd >= 0) close(fd);
  return fd >= 0;
}

// Whether |port| stops accepting connections within |timeout_ms| (polled).
inline bool port_closes(guint port, int timeout_ms) {
  const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  while (port_accepts(port)) {
    if (g_get_monotonic_time() > deadline) return false;
    g_usleep(10000);
  }
  return true;
}

// A port nobody listens on now (for programs and pipelines that must meet on one port).
inline guint free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

inline bool send_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    p += n;
    size -= n;
  }
  return true;
}

// Reads until the peer closes or |timeout_ms| passes, up to |limit| bytes.
inline std::string read_some(int fd, int timeout_ms, size_t limit = 1 << 20) {
  std::string out;
  gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
  char buf[65536];
  while (out.size() < limit) {
    int left = int((deadline - g_get_monotonic_time()) / 1000);
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) break;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, n);
    if (out.find("\r\n\r\n") != std::string::npos && limit == 0) break;
  }
  return out;
}

// One HTTP/1.1 request on a new connection; returns the status code (0 if none) and the response.
inline int http_request(guint port, const std::string& request, std::string* response = nullptr) {
  int fd = tcp_connect(port);
  send_all(fd, request.data(), request.size());
  std::string r = read_some(fd, 5000);
  close(fd);
  if (response) *response = r;
  int status = 0;
  if (r.compare(0, 9, "HTTP/1.1 ") == 0) status = atoi(r.c_str() + 9);
  return status;
}

inline std::string get_request(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra + "\r\n";
}

inline std::string upgrade_headers(const char* origin = nullptr) {
  std::string h =
      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  if (origin) h += std::string("Origin: ") + origin + "\r\n";
  return h;
}

// Opens a WebSocket by hand and returns the socket once the 101 is read (or -1).
inline int raw_websocket(guint port, const std::string& path = "/ws") {
  int fd = tcp_connect(port);
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + upgrade_headers() + "\r\n";
  send_all(fd, req.data(), req.size());
  // Read the response headers byte by byte so no frame data is consumed.
  std::string head;
  char c;
  gint64 deadline = g_get_monotonic_time() + 5 * G_TIME_SPAN_SECOND;
  while (head.find("\r\n\r\n") == std::string::npos && g_get_monotonic_time() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if (recv(fd, &c, 1, 0) != 1) break;
    head += c;
  }
  if (head.compare(0, 12, "HTTP/1.1 101") != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Entries in a /proc directory: open fds in /proc/self/fd, threads in /proc/self/task.
inline int count_entries(const char* dir_path) {
  GDir* dir = g_dir_open(dir_path, 0, nullptr);
  int n = 0;
  while (g_dir_read_name(dir)) n++;
  g_dir_close(dir);
  return n;
}
inline int count_open_fds() {
  return count_entries("/proc/self/fd");
}
inline int count_threads() {
  return count_entries("/proc/self/task");
}

// AddressSanitizer keeps freed memory in quarantine and runs several times slower: tests that
// measure memory or rates hold only the normal build to their figures.
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

// Resident memory of this process (or of process |pid|), in bytes; 0 if it cannot be read.
inline gsize resident_bytes(GPid pid = 0) {
  const std::string statm = pid ? "/proc/" + std::to_string(pid) + "/statm" : "/proc/self/statm";
  gchar* text = nullptr;
  if (!g_file_get_contents(statm.c_str(), &text, nullptr, nullptr)) return 0;
  unsigned long pages = 0, resident = 0;
  sscanf(text, "%lu %lu", &pages, &resident);
  g_free(text);
  return resident * sysconf(_SC_PAGESIZE);
}
