/* bench-fanout: how many WebSocket viewers one ascii-launch serves at 200 x 84, mode 3, 30 fps
 * (raw frames, 67,204 bytes each, about 2 MB/s a viewer).
 *
 * For each viewer count N it starts ascii-launch, opens N WebSocket connections from this process
 * (one thread, epoll, minimal frame parsing: the load generator must cost less than the server),
 * lets them settle, then measures for a window: frames each viewer got against frames produced,
 * delivery delay, the server's CPU and memory, and bytes/s. A count passes when every viewer gets
 * >= 99 % of frames and the p99 delay is under 50 ms.
 *
 * Delay: frame i is due at base + i / fps, where base is the earliest (arrival - i / fps) seen
 * by any viewer; a frame's delay is its arrival minus that. So it is the lateness against the best
 * delivery seen, including the server's own scheduling jitter.
 *
 * With --codec adaptive, ascii-launch codes each frame once with the adaptive codec and the
 * viewers ask for ?codec=adaptive (tagged frames, a fraction of the bytes); --demo motion serves a
 * zone plate that changes everywhere every frame instead of the moving colour bars.
 *
 * usage: bench-fanout ASCII_LAUNCH [--clients 250,500,1000] [--seconds 10] [--codec raw|adaptive]
 *                                  [--demo bars|motion]
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "launcher.h"
#include "proc_stats.h"

#define FPS 30.0
#define FRAME_BYTES (4 + 200 * 84 * 4)

typedef struct {
  int fd;
  int handshake_done;
  char http[1024];
  size_t http_len;
  /* WebSocket frame parser */
  uint8_t hdr[14];
  size_t hdr_len;
  uint64_t remaining;
  int opcode;
  int in_payload;
  uint8_t idx[4];
  int idx_len;
  /* results in the window */
  long frames;
  int closed;
} Client;

typedef struct {
  double* values;
  size_t len, cap;
} Samples;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void push(Samples* s, double v) {
  if (s->len == s->cap) {
    s->cap = s->cap ? s->cap * 2 : 65536;
    s->values = realloc(s->values, s->cap * sizeof(double));
  }
  s->values[s->len++] = v;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* Measurement state shared by the parser. */
static int measuring;
static uint32_t min_index = UINT32_MAX, max_index;
static Samples offsets; /* arrival - index / fps, for frames in the window */
static double bytes_in;

static void frame_done(Client* c, double t) {
  if (c->opcode != 2 || c->idx_len < 4 || !measuring) return;
  uint32_t index = (uint32_t)c->idx[0] << 24 | c->idx[1] << 16 | c->idx[2] << 8 | c->idx[3];
  c->frames++;
  if (index < min_index) min_index = index;
  if (index > max_index) max_index = index;
  push(&offsets, t - index / FPS);
}

/* Parses received bytes: server frames are unmasked, so the header is 2, 4 or 10 bytes. */
static void parse(Client* c, const uint8_t* p, size_t n, double t) {
  while (n > 0) {
    if (!c->in_payload) {
      c->hdr[c->hdr_len++] = *p++;
      n--;
      if (c->hdr_len < 2) continue;
      size_t need = 2;
      uint8_t len7 = c->hdr[1] & 0x7f;
      if (len7 == 126) need = 4;
      if (len7 == 127) need = 10;
      if (c->hdr_len < need) continue;
      uint64_t len = len7;
      if (len7 == 126) len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
      if (len7 == 127) {
        len = 0;
        for (int i = 2; i < 10; i++) len = len << 8 | c->hdr[i];
      }
      c->opcode = c->hdr[0] & 0x0f;
      c->remaining = len;
      c->idx_len = 0;
      c->hdr_len = 0;
      c->in_payload = 1;
      if (c->opcode == 8) c->closed = 1;
      if (len == 0) {
        c->in_payload = 0;
        frame_done(c, t);
      }
      continue;
    }
    size_t take = n < c->remaining ? n : (size_t)c->remaining;
    while (c->idx_len < 4 && (size_t)c->idx_len < take) c->idx[c->idx_len] = p[c->idx_len], c->idx_len++;
    p += take;
    n -= take;
    c->remaining -= take;
    if (c->remaining == 0) {
      c->in_payload = 0;
      frame_done(c, t);
    }
  }
}

static const char* g_codec = "raw";
static const char* g_demo = "bars";

static pid_t start_server(const char* launcher, int* port) {
  char* const args[] = {(char*)launcher, "--port", "0", "--cols", "200", "--rows", "84", "--mode", "3", "--fps", "30",
                        "--max-clients", "100000", "--no-audio", "--codec", (char*)g_codec, "--demo", (char*)g_demo,
                        NULL};
  return start_launcher(args, port);
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void pump(int ep, Client* clients, double until, uint8_t* buf, size_t bufsize) {
  struct epoll_event events[256];
  for (;;) {
    double left = until - now_s();
    if (left <= 0) return;
    int n = epoll_wait(ep, events, 256, (int)(left * 1000) + 1);
    double t = now_s();
    for (int i = 0; i < n; i++) {
      Client* c = &clients[events[i].data.u32];
      for (;;) {
        ssize_t r = recv(c->fd, buf, bufsize, 0);
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          c->closed = 1;
          epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
          break;
        }
        size_t off = 0;
        if (!c->handshake_done) {
          while (off < (size_t)r && c->http_len < sizeof c->http - 1) {
            c->http[c->http_len++] = buf[off++];
            if (c->http_len >= 4 && memcmp(c->http + c->http_len - 4, "\r\n\r\n", 4) == 0) {
              c->handshake_done = strncmp(c->http, "HTTP/1.1 101", 12) == 0 ? 1 : -1;
              break;
            }
          }
          if (c->handshake_done != 1) continue;
        }
        if (measuring) bytes_in += r - off;
        parse(c, buf + off, r - off, t);
      }
    }
  }
}

typedef struct {
  int n;
  int pass;
} Result;

static Result run(const char* launcher, int n, double seconds) {
  Result res = {n, 0};
  int port = 0;
  pid_t server = start_server(launcher, &port);
  if (server <= 0 || port == 0) {
    fprintf(stderr, "bench-fanout: could not start %s\n", launcher);
    exit(1);
  }
  Client* clients = calloc(n, sizeof(Client));
  int ep = epoll_create1(0);
  char request[256];
  int len = snprintf(request, sizeof request,
                     "GET /ws?codec=%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                     g_codec, port);
  size_t bufsize = 1 << 18;
  uint8_t* buf = malloc(bufsize);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
      fprintf(stderr, "bench-fanout: connect %d failed: %s\n", i, strerror(errno));
      exit(1);
    }
    if (write(fd, request, len) != len) exit(1);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    clients[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    /* Keep reading while connecting, so early viewers are not stalled by the setup. */
    if (i % 50 == 49) pump(ep, clients, now_s() + 0.01, buf, bufsize);
  }
  pump(ep, clients, now_s() + 3.0, buf, bufsize); /* settle */
  int connected = 0;
  for (int i = 0; i < n; i++) connected += clients[i].handshake_done == 1 && !clients[i].closed;

  offsets.len = 0;
  min_index = UINT32_MAX;
  max_index = 0;
  bytes_in = 0;
  double cpu0 = process_cpu_s(server), self0 = self_cpu_s(), t0 = now_s();
  measuring = 1;
  pump(ep, clients, t0 + seconds, buf, bufsize);
  measuring = 0;
  double elapsed = now_s() - t0;
  double cpu = (process_cpu_s(server) - cpu0) / elapsed * 100;
  double self_cpu = (self_cpu_s() - self0) / elapsed * 100;
  long rss = process_rss_kb(server);

  long produced = max_index >= min_index ? (long)(max_index - min_index + 1) : 0;
  int ok_clients = 0;
  double worst = 1.0;
  for (int i = 0; i < n; i++) {
    double ratio = produced ? (double)clients[i].frames / produced : 0;
    if (ratio >= 0.99) ok_clients++;
    if (ratio < worst) worst = ratio;
  }
  double p50 = 0, p99 = 0;
  if (offsets.len) {
    qsort(offsets.values, offsets.len, sizeof(double), cmp_double);
    double base = offsets.values[0];
    p50 = (offsets.values[offsets.len / 2] - base) * 1000;
    p99 = (offsets.values[(size_t)(offsets.len * 0.99)] - base) * 1000;
  }
  res.pass = connected == n && ok_clients == n && p99 < 50;
  printf("%6d %9d %8.2f%% %7.1f %7.1f %7.1f%% %8.1f %7.1f%% %8.0f  %s\n", n, connected, worst * 100, p50, p99, cpu,
         rss / 1024.0, self_cpu, bytes_in / elapsed / 1e6, res.pass ? "pass" : "FAIL");
  fflush(stdout);

  for (int i = 0; i < n; i++) close(clients[i].fd);
  close(ep);
  free(clients);
  free(buf);
  kill(server, SIGINT);
  int status;
  waitpid(server, &status, 0);
  return res;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench-fanout ASCII_LAUNCH [--clients 250,500,1000] [--seconds 10]\n");
    return 2;
  }
  const char* launcher = argv[1];
  const char* counts = "250,500,750,1000,1250,1500";
  double seconds = 10;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--clients") == 0) counts = argv[i + 1];
    if (strcmp(argv[i], "--seconds") == 0) seconds = atof(argv[i + 1]);
    if (strcmp(argv[i], "--codec") == 0) g_codec = argv[i + 1];
    if (strcmp(argv[i], "--demo") == 0) g_demo = argv[i + 1];
  }
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  signal(SIGPIPE, SIG_IGN);
  printf(
      "fan-out: 200x84 mode 3 at 30 fps, %s frames (raw: %d bytes), demo %s, %.0f s windows, load generator on "
      "the same machine\n",
      g_codec, FRAME_BYTES, g_demo, seconds);
  printf("%6s %9s %9s %7s %7s %8s %8s %8s %8s\n", "N", "connected", "worst", "p50 ms", "p99 ms", "server", "rss MB",
         "loadgen", "MB/s");
  int best = 0;
  char* list = strdup(counts);
  for (char* tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    Result r = run(launcher, atoi(tok), seconds);
    if (r.pass && r.n > best) best = r.n;
  }
  free(list);
  printf("largest N with every viewer >= 99 %% of frames and p99 < 50 ms: %d\n", best);
  return 0;
}
