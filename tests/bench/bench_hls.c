/* bench-hls: HTTP viewers of a live HLS stream through a cache, as a CDN would carry it.
 *
 * Each viewer follows one media playlist (default /hls/cells.m3u8) the way an HLS player does: it
 * fetches the playlist, starts at its newest segment, fetches every segment after that in order,
 * and polls the playlist again half a target duration after it has caught up. Every viewer has one
 * keep-alive connection; all of them run from one thread (epoll), so the load generator costs far
 * less than what it measures. At the end it reports, over all viewers: segments fetched, segments
 * missed (a gap between two it fetched: it fell behind the window), failed requests, how far
 * behind live each segment arrived (its arrival against its end on the origin's clock: the
 * playlist's EXT-X-PROGRAM-DATE-TIME plus EXTINF), and, given nginx's access log, how many
 * requests for each segment reached the origin (cache status MISS or EXPIRED).
 *
 * Two ways to run it:
 *   bench-hls --url http://127.0.0.1:PORT/hls/cells.m3u8 --viewers N --seconds S [--access-log FILE]
 *             [--low-latency]
 *       viewers of a stream that is already served (the tests do this), and one RESULT line;
 *   bench-hls ASCII_LAUNCH [--viewers 10,100,1000,2000] [--seconds 20] [--low-latency]
 *       the benchmark: for each count it starts ascii-launch (the demo, live) and nginx as a
 *       caching proxy in front of it (the configuration README shows), runs the viewers through
 *       nginx, and prints a table with the origin's CPU.
 * With --low-latency a viewer, once caught up, asks for the segment after the newest it has before
 * it is listed (the origin streams the segment being written, chunked, and ends it when it is
 * listed), as our player does; then behind live = when that segment's last byte arrived against
 * its end on the origin's clock, learnt from the next playlist.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#define _GNU_SOURCE
#include <arpa/inet.h>
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
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launcher.h"
#include "proc_stats.h"

#define MAX_SEGMENTS 64 /* listed in one playlist that a viewer remembers */

typedef enum { IDLE, SENDING, HEAD, BODY } ConnState;

typedef struct {
  long long sequence;
  double end_wall; /* seconds since 1970 on the origin's clock: PROGRAM-DATE-TIME + EXTINF */
  char uri[128];
} Entry;

typedef struct {
  int fd;
  ConnState state;
  char request[512];
  size_t request_len, request_sent;
  /* the response */
  char head[4096];
  size_t head_len;
  int status;
  long long content_left; /* -1: chunked */
  long long chunk_left;   /* chunked: bytes left in this chunk; -1: reading a size line */
  char chunk_line[32];
  size_t chunk_line_len;
  int close_after;
  char* body; /* playlists only */
  size_t body_len, body_cap;
  int want_body;
  /* following the playlist */
  int fetching_playlist;
  Entry queue[MAX_SEGMENTS];
  int queued, next;
  long long last_sequence; /* -1: none yet */
  double next_poll;
  int ended;
  /* --low-latency: the segment asked for before it is listed, and those got whose end is not yet known */
  int fetching_ahead;
  int ahead_refused; /* until the next playlist */
  Entry ahead;
  Entry last_got;
  struct {
    long long sequence;
    double got_wall;
  } unplaced[8];
  int n_unplaced;
  /* results */
  long segments, missed, failed;
  long long bytes;
} Viewer;

typedef struct {
  double* v;
  size_t n, cap;
} Samples;

static char g_host_header[64] = "127.0.0.1";
static int g_port;
static char g_playlist_path[256] = "/hls/cells.m3u8";
static char g_base_path[256] = "/hls/";
static double g_poll_s = 0.5;
static int g_low_latency;
static Samples g_behind;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void push(Samples* s, double v) {
  if (s->n == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 1024;
    s->v = realloc(s->v, s->cap * sizeof *s->v);
  }
  s->v[s->n++] = v;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double percentile(Samples* s, double p) {
  if (!s->n) return 0;
  qsort(s->v, s->n, sizeof *s->v, cmp_double);
  size_t i = (size_t)(p * (s->n - 1) + 0.5);
  return s->v[i];
}

/* "2026-11-30T17:43:29.706Z" as seconds since 1970. */
static double parse_date_time(const char* text) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  int ms = 0;
  if (sscanf(text, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
             &ms) < 6)
    return 0;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (double)timegm(&tm) + ms / 1000.0;
}

static int connect_to_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)g_port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

static void drop_connection(int ep, Viewer* v) {
  if (v->fd >= 0) {
    epoll_ctl(ep, EPOLL_CTL_DEL, v->fd, NULL);
    close(v->fd);
  }
  v->fd = -1;
  v->state = IDLE;
}

/* Sends a GET for |path| on the viewer's connection (opened again if the server closed it). */
static void start_request(int ep, Viewer* v, uint32_t id, const char* path, int want_body) {
  if (v->fd < 0) {
    v->fd = connect_to_server();
    if (v->fd < 0) {
      v->failed++;
      v->next_poll = now_s() + g_poll_s;
      return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = id};
    epoll_ctl(ep, EPOLL_CTL_ADD, v->fd, &ev);
  } else {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = id};
    epoll_ctl(ep, EPOLL_CTL_MOD, v->fd, &ev);
  }
  v->request_len =
      (size_t)snprintf(v->request, sizeof v->request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench-hls\r\n\r\n",
                       path, g_host_header);
  v->request_sent = 0;
  v->state = SENDING;
  v->head_len = 0;
  v->status = 0;
  v->content_left = 0;
  v->chunk_left = -1;
  v->chunk_line_len = 0;
  v->close_after = 0;
  v->body_len = 0;
  v->want_body = want_body;
}

static void request_playlist(int ep, Viewer* v, uint32_t id) {
  v->fetching_playlist = 1;
  start_request(ep, v, id, g_playlist_path, 1);
}

/* The viewer's next request: a queued segment, else nothing until the next poll. */
static void next_request(int ep, Viewer* v, uint32_t id) {
  if (v->next < v->queued) {
    char path[512];
    snprintf(path, sizeof path, "%s%s", g_base_path, v->queue[v->next].uri);
    v->fetching_playlist = 0;
    v->fetching_ahead = 0;
    start_request(ep, v, id, path, 0);
    return;
  }
  if (g_low_latency && !v->ahead_refused && v->last_sequence >= 0 && !v->ended &&
      v->last_got.sequence == v->last_sequence) {
    /* The next segment's name: the last one's, with the number after it (same width). */
    v->ahead = v->last_got;
    v->ahead.sequence = v->last_sequence + 1;
    char* digits_end = strrchr(v->ahead.uri, '.');
    char* digits = digits_end;
    while (digits && digits > v->ahead.uri && digits[-1] >= '0' && digits[-1] <= '9') digits--;
    if (digits && digits < digits_end) {
      char number[32], rest[64];
      snprintf(rest, sizeof rest, "%s", digits_end);
      snprintf(number, sizeof number, "%0*lld", (int)(digits_end - digits), v->ahead.sequence);
      snprintf(digits, sizeof v->ahead.uri - (size_t)(digits - v->ahead.uri), "%s%s", number, rest);
      char path[512];
      snprintf(path, sizeof path, "%s%s", g_base_path, v->ahead.uri);
      v->fetching_playlist = 0;
      v->fetching_ahead = 1;
      start_request(ep, v, id, path, 0);
      return;
    }
  }
  v->state = IDLE;
  if (v->fd >= 0) {
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
    epoll_ctl(ep, EPOLL_CTL_MOD, v->fd, &ev);
  }
  v->next_poll = now_s() + g_poll_s;
}

/* A playlist arrived: queue the segments after the last one fetched (the newest only, at first). */
static void take_playlist(Viewer* v) {
  v->queued = v->next = 0;
  v->ahead_refused = 0;
  if (!v->body) return;
  v->body[v->body_len] = 0;
  long long sequence = 0;
  double start_wall = 0, duration = 0;
  Entry all[MAX_SEGMENTS * 4];
  int n = 0;
  char* save = NULL;
  for (char* line = strtok_r(v->body, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
    if (!strncmp(line, "#EXT-X-MEDIA-SEQUENCE:", 22)) {
      sequence = atoll(line + 22);
    } else if (!strncmp(line, "#EXT-X-PROGRAM-DATE-TIME:", 25)) {
      start_wall = parse_date_time(line + 25);
    } else if (!strncmp(line, "#EXTINF:", 8)) {
      duration = atof(line + 8);
    } else if (!strcmp(line, "#EXT-X-ENDLIST")) {
      v->ended = 1;
    } else if (line[0] != '#' && line[0] && n < (int)(sizeof all / sizeof all[0])) {
      all[n].sequence = sequence++;
      all[n].end_wall = start_wall + duration;
      snprintf(all[n].uri, sizeof all[n].uri, "%s", line);
      n++;
    }
  }
  /* Segments got ahead of the playlist: now their ends are known. */
  for (int u = 0; u < v->n_unplaced;) {
    int placed = 0;
    for (int i = 0; i < n; i++) {
      if (all[i].sequence != v->unplaced[u].sequence) continue;
      push(&g_behind, v->unplaced[u].got_wall - all[i].end_wall);
      placed = 1;
    }
    if (placed || v->unplaced[u].sequence < (n ? all[0].sequence : 0)) {
      v->unplaced[u] = v->unplaced[--v->n_unplaced];
    } else {
      u++;
    }
  }
  int first = 0;
  if (v->last_sequence < 0) {
    first = n > 0 ? n - 1 : 0;
  } else {
    while (first < n && all[first].sequence <= v->last_sequence) first++;
    if (first < n && all[first].sequence > v->last_sequence + 1)
      v->missed += all[first].sequence - v->last_sequence - 1;
  }
  for (int i = first; i < n && v->queued < MAX_SEGMENTS; i++) v->queue[v->queued++] = all[i];
}

static void response_done(int ep, Viewer* v, uint32_t id) {
  const int ok = v->status == 200;
  if (v->close_after) drop_connection(ep, v);
  if (v->fetching_playlist) {
    if (ok) {
      take_playlist(v);
    } else {
      v->failed++;
    }
  } else if (v->fetching_ahead) {
    v->fetching_ahead = 0;
    if (ok) {
      v->segments++;
      v->last_sequence = v->ahead.sequence;
      v->last_got = v->ahead;
      if (v->n_unplaced == (int)(sizeof v->unplaced / sizeof v->unplaced[0])) v->n_unplaced--; /* oldest lost */
      v->unplaced[v->n_unplaced].sequence = v->ahead.sequence;
      v->unplaced[v->n_unplaced++].got_wall = wall_s();
      /* The playlist next: it says when that segment ended, and lists anything missed. */
      request_playlist(ep, v, id);
      return;
    }
    /* 404: not being written yet (or the stream moved on): back to the playlist, polled soon. */
    v->ahead_refused = 1;
    next_request(ep, v, id);
    v->next_poll = now_s() + 0.1;
    return;
  } else {
    Entry* e = &v->queue[v->next++];
    if (ok) {
      v->segments++;
      v->last_sequence = e->sequence;
      v->last_got = *e;
      push(&g_behind, wall_s() - e->end_wall);
    } else {
      v->failed++;
    }
  }
  if (v->ended && v->next >= v->queued) {
    v->state = IDLE;
    return;
  }
  next_request(ep, v, id);
}

static void body_bytes(Viewer* v, const char* p, size_t n) {
  v->bytes += (long long)n;
  if (!v->want_body) return;
  if (v->body_len + n + 1 > v->body_cap) {
    v->body_cap = (v->body_len + n + 1) * 2;
    v->body = realloc(v->body, v->body_cap);
  }
  memcpy(v->body + v->body_len, p, n);
  v->body_len += n;
}

/* Feeds received bytes through the response parser; returns 0 when the connection is unusable. */
static int feed(int ep, Viewer* v, uint32_t id, const char* p, size_t n) {
  while (n > 0) {
    if (v->state == HEAD) {
      size_t take = n < sizeof v->head - 1 - v->head_len ? n : sizeof v->head - 1 - v->head_len;
      if (take == 0) return 0;
      memcpy(v->head + v->head_len, p, take);
      v->head_len += take;
      v->head[v->head_len] = 0;
      char* end = strstr(v->head, "\r\n\r\n");
      if (!end) {
        p += take;
        n -= take;
        continue;
      }
      const size_t head_size = (size_t)(end - v->head) + 4;
      const size_t used = take - (v->head_len - head_size);
      p += used;
      n -= used;
      v->status = atoi(v->head + 9);
      v->content_left = 0;
      for (char* h = strstr(v->head, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n")) {
        if (!strncasecmp(h + 2, "Content-Length:", 15)) v->content_left = atoll(h + 17);
        if (!strncasecmp(h + 2, "Transfer-Encoding: chunked", 26)) v->content_left = -1;
        if (!strncasecmp(h + 2, "Connection: close", 17)) v->close_after = 1;
      }
      v->state = BODY;
      if (v->content_left == 0) {
        response_done(ep, v, id);
        if (n > 0) return 0; /* nothing was asked for */
      }
    } else if (v->state == BODY && v->content_left > 0) {
      size_t take = (long long)n < v->content_left ? n : (size_t)v->content_left;
      body_bytes(v, p, take);
      v->content_left -= (long long)take;
      p += take;
      n -= take;
      if (v->content_left == 0) {
        response_done(ep, v, id);
        if (n > 0) return 0;
      }
    } else if (v->state == BODY && v->content_left < 0) {
      if (v->chunk_left == -1) {
        /* a size line */
        const char c = *p++;
        n--;
        if (c == '\n') {
          v->chunk_line[v->chunk_line_len] = 0;
          long long size = strtoll(v->chunk_line, NULL, 16);
          v->chunk_line_len = 0;
          if (size == 0) {
            /* the last chunk: skip the final CRLF that follows */
            v->chunk_left = -2;
          } else {
            v->chunk_left = size + 2; /* with its CRLF */
          }
        } else if (v->chunk_line_len < sizeof v->chunk_line - 1) {
          v->chunk_line[v->chunk_line_len++] = c;
        }
      } else if (v->chunk_left == -2) {
        /* after the last chunk: "\r\n" (no trailers expected) */
        const char c = *p++;
        n--;
        if (c == '\n') {
          response_done(ep, v, id);
          if (n > 0) return 0;
        }
      } else {
        size_t take = (long long)n < v->chunk_left ? n : (size_t)v->chunk_left;
        /* the chunk's own CRLF is not body */
        long long data_left = v->chunk_left - 2;
        size_t data = (long long)take < data_left ? take : (size_t)(data_left > 0 ? data_left : 0);
        body_bytes(v, p, data);
        v->chunk_left -= (long long)take;
        p += take;
        n -= take;
        if (v->chunk_left == 0) v->chunk_left = -1;
      }
    } else {
      return 0; /* bytes nobody asked for */
    }
  }
  return 1;
}

static void handle_event(int ep, Viewer* v, uint32_t id, uint32_t events, char* buf, size_t bufsize) {
  if (v->fd < 0) return;
  if (v->state == SENDING && (events & EPOLLOUT)) {
    ssize_t w = send(v->fd, v->request + v->request_sent, v->request_len - v->request_sent, MSG_NOSIGNAL);
    if (w > 0) v->request_sent += (size_t)w;
    if (w < 0 && errno != EAGAIN) {
      v->failed++;
      drop_connection(ep, v);
      v->next_poll = now_s() + g_poll_s;
      return;
    }
    if (v->request_sent == v->request_len) {
      v->state = HEAD;
      struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
      epoll_ctl(ep, EPOLL_CTL_MOD, v->fd, &ev);
    }
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  for (;;) {
    ssize_t r = recv(v->fd, buf, bufsize, 0);
    if (r < 0 && errno == EAGAIN) return;
    if (r <= 0 || (v->state != HEAD && v->state != BODY) || !feed(ep, v, id, buf, (size_t)r)) {
      /* closed or broken: a request in flight failed; the next one reconnects */
      const int in_flight = v->state == HEAD || v->state == BODY || v->state == SENDING;
      drop_connection(ep, v);
      if (in_flight) {
        v->failed++;
        if (!v->fetching_playlist && !v->fetching_ahead) v->next++;
        v->fetching_ahead = 0;
        next_request(ep, v, id);
      }
      return;
    }
    if (v->fd < 0) return;
  }
}

typedef struct {
  long viewers, segments, missed, failed;
  long long bytes;
  double behind_p50, behind_p99, behind_max;
  double origin_max, origin_mean;
  long origin_segments;
  long origin_refused; /* 404s from the origin: asked for too far ahead */
  double client_cpu;
} Result;

/* Requests for each picture segment that reached the origin, from nginx's "URI STATUS CODE" log. */
static void count_origin(const char* log_path, Result* r) {
  r->origin_max = r->origin_mean = 0;
  r->origin_segments = 0;
  r->origin_refused = 0;
  FILE* f = fopen(log_path, "r");
  if (!f) return;
  typedef struct {
    char uri[256];
    int origin;
  } Count;
  Count* counts = NULL;
  size_t n = 0, cap = 0;
  char uri[256], cache[32];
  int code;
  while (fscanf(f, "%255s %31s %d", uri, cache, &code) == 3) {
    if (!strstr(uri, ".asl") && !strstr(uri, ".aac")) continue;
    size_t i = 0;
    while (i < n && strcmp(counts[i].uri, uri)) i++;
    if (i == n) {
      if (n == cap) {
        cap = cap ? 2 * cap : 256;
        counts = realloc(counts, cap * sizeof *counts);
      }
      snprintf(counts[n].uri, sizeof counts[n].uri, "%s", uri);
      counts[n++].origin = 0;
    }
    /* A 404 (a low-latency request too far ahead) reached the origin but fetched nothing: counted apart. */
    const int at_origin = !strcmp(cache, "MISS") || !strcmp(cache, "EXPIRED") || !strcmp(cache, "-");
    if (at_origin && code == 404)
      r->origin_refused++;
    else if (at_origin)
      counts[i].origin++;
  }
  fclose(f);
  double total = 0;
  long fetched = 0; /* segments that came from the origin at least once (not only refused) */
  for (size_t i = 0; i < n; i++) {
    if (!counts[i].origin) continue;
    fetched++;
    total += counts[i].origin;
    if (counts[i].origin > r->origin_max) r->origin_max = counts[i].origin;
  }
  r->origin_segments = fetched;
  r->origin_mean = fetched ? total / fetched : 0;
  free(counts);
}

static double self_cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* |count| viewers for |seconds|, joining over the first second. */
static Result run_viewers(long count, double seconds, const char* access_log) {
  Viewer* viewers = calloc((size_t)count, sizeof *viewers);
  int ep = epoll_create1(0);
  const double start = now_s(), end = start + seconds;
  for (long i = 0; i < count; i++) {
    viewers[i].fd = -1;
    viewers[i].last_sequence = -1;
    viewers[i].next_poll = start + (double)i / (double)count; /* join over the first second */
  }
  g_behind.n = 0;
  const double cpu0 = self_cpu_s();
  static char buf[1 << 16];
  struct epoll_event events[512];
  for (double t = now_s(); t < end; t = now_s()) {
    double wake = end;
    for (long i = 0; i < count; i++) {
      Viewer* v = &viewers[i];
      if (v->state == IDLE && !v->ended) {
        if (v->next_poll <= t)
          request_playlist(ep, v, (uint32_t)i);
        else if (v->next_poll < wake)
          wake = v->next_poll;
      }
    }
    int timeout_ms = (int)((wake - now_s()) * 1000);
    if (timeout_ms < 0) timeout_ms = 0;
    if (timeout_ms > 50) timeout_ms = 50;
    int n = epoll_wait(ep, events, 512, timeout_ms);
    for (int k = 0; k < n; k++) {
      uint32_t id = events[k].data.u32;
      handle_event(ep, &viewers[id], id, events[k].events, buf, sizeof buf);
    }
  }
  Result r;
  memset(&r, 0, sizeof r);
  r.viewers = count;
  for (long i = 0; i < count; i++) {
    r.segments += viewers[i].segments;
    r.missed += viewers[i].missed;
    r.failed += viewers[i].failed;
    r.bytes += viewers[i].bytes;
    if (viewers[i].fd >= 0) close(viewers[i].fd);
    free(viewers[i].body);
  }
  r.client_cpu = (self_cpu_s() - cpu0) / seconds;
  r.behind_p50 = percentile(&g_behind, 0.5);
  r.behind_p99 = percentile(&g_behind, 0.99);
  r.behind_max = g_behind.n ? g_behind.v[g_behind.n - 1] : 0;
  if (access_log) count_origin(access_log, &r);
  close(ep);
  free(viewers);
  return r;
}

static void print_result(const Result* r) {
  printf(
      "RESULT viewers=%ld segments=%ld missed=%ld failed=%ld behind_p50=%.3f behind_p99=%.3f behind_max=%.3f "
      "origin_segments=%ld origin_per_segment_max=%.0f origin_per_segment_mean=%.3f origin_refused=%ld\n",
      r->viewers, r->segments, r->missed, r->failed, r->behind_p50, r->behind_p99, r->behind_max, r->origin_segments,
      r->origin_max, r->origin_mean, r->origin_refused);
}

/* ---- the benchmark: ascii-launch and nginx started here ---- */

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  bind(fd, (struct sockaddr*)&addr, sizeof addr);
  getsockname(fd, (struct sockaddr*)&addr, &size);
  close(fd);
  return ntohs(addr.sin_port);
}

/* nginx as README's caching proxy in front of |origin_port|, in the folder |dir|. */
static pid_t start_nginx(const char* dir, int origin_port, int port) {
  char conf_path[512], text[4096];
  snprintf(conf_path, sizeof conf_path, "%s/nginx.conf", dir);
  snprintf(text, sizeof text,
           "daemon off;\nmaster_process off;\nworker_processes 1;\nworker_rlimit_nofile 16384;\n"
           "error_log %s/error.log;\npid %s/nginx.pid;\nevents { worker_connections 8192; }\n"
           "http {\n  log_format cache '$uri $upstream_cache_status $status';\n"
           "  access_log %s/access.log cache;\n"
           "  proxy_cache_path %s/cache keys_zone=hls:10m max_size=1g inactive=10m;\n"
           "  client_body_temp_path %s/body;\n  proxy_temp_path %s/proxy;\n  fastcgi_temp_path %s/fastcgi;\n"
           "  uwsgi_temp_path %s/uwsgi;\n  scgi_temp_path %s/scgi;\n"
           "  server { listen 127.0.0.1:%d; location /hls/ { proxy_pass http://127.0.0.1:%d; "
           "proxy_cache hls; proxy_cache_lock on; proxy_cache_valid 200 1s; } }\n}\n",
           dir, dir, dir, dir, dir, dir, dir, dir, dir, port, origin_port);
  FILE* f = fopen(conf_path, "w");
  if (!f) return -1;
  fputs(text, f);
  fclose(f);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/usr/sbin/nginx", "nginx", "-p", dir, "-c", conf_path, "-e", "/dev/null", (char*)NULL);
    _exit(127);
  }
  /* Ready once it accepts a connection. */
  const double deadline = now_s() + 10;
  g_port = port;
  while (now_s() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int ok = connect(fd, (struct sockaddr*)&addr, sizeof addr) == 0;
    close(fd);
    if (ok) return pid;
    usleep(20000);
  }
  kill(pid, SIGKILL);
  return -1;
}

static void stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static int benchmark(const char* launcher, const char* counts, double seconds) {
  printf(
      "bench-hls: live demo from ascii-launch, nginx (proxy_cache, proxy_cache_lock) in front; viewers follow\n"
      "cells.m3u8 through nginx for %.0f s each (one epoll thread); behind live = arrival - segment end%s\n\n",
      seconds,
      g_low_latency ? "\nlow latency: each viewer asks for the segment being written before it is listed" : "");
  printf(
      "| viewers | segments got | missed | failed | behind live p50 / p99 / max | origin requests a segment (max / "
      "mean) "
      "| refused as too far ahead | origin CPU | load generator CPU |\n|---|---|---|---|---|---|---|---|---|\n");
  fflush(stdout);
  char list[256];
  snprintf(list, sizeof list, "%s", counts);
  for (char *save = NULL, *c = strtok_r(list, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
    const long count = atol(c);
    char dir[] = "/tmp/bench-hls-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    int origin = 0;
    char* const args[] = {(char*)launcher, "--port", "0", "--max-clients", "100000", NULL};
    pid_t launch = start_launcher(args, &origin);
    if (launch < 0 || origin == 0) {
      fprintf(stderr, "bench-hls: ascii-launch did not start\n");
      return 1;
    }
    pid_t nginx = start_nginx(dir, origin, free_port());
    if (nginx < 0) {
      fprintf(stderr, "bench-hls: nginx did not start (is /usr/sbin/nginx installed?)\n");
      stop(launch);
      return 1;
    }
    sleep(3); /* a few segments listed before the first viewer */
    char log[600];
    snprintf(log, sizeof log, "%s/access.log", dir);
    const double cpu0 = process_cpu_s(launch);
    Result r = run_viewers(count, seconds, log);
    const double origin_cpu = (process_cpu_s(launch) - cpu0) / seconds;
    printf("| %ld | %ld | %ld | %ld | %.2f / %.2f / %.2f s | %.0f / %.2f | %ld | %.1f %% | %.1f %% |\n", count,
           r.segments, r.missed, r.failed, r.behind_p50, r.behind_p99, r.behind_max, r.origin_max, r.origin_mean,
           r.origin_refused, 100 * origin_cpu, 100 * r.client_cpu);
    fflush(stdout);
    stop(nginx);
    stop(launch);
    char rm[700];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0) fprintf(stderr, "bench-hls: could not remove %s\n", dir);
  }
  return 0;
}

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  const char* url = NULL;
  const char* launcher = NULL;
  const char* access_log = NULL;
  const char* counts = "10,100,1000,2000";
  double seconds = 20;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--url") && i + 1 < argc)
      url = argv[++i];
    else if (!strcmp(argv[i], "--viewers") && i + 1 < argc)
      counts = argv[++i];
    else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
      seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--access-log") && i + 1 < argc)
      access_log = argv[++i];
    else if (!strcmp(argv[i], "--low-latency"))
      g_low_latency = 1;
    else if (argv[i][0] != '-')
      launcher = argv[i];
    else {
      fprintf(stderr,
              "usage: %s --url URL --viewers N --seconds S [--access-log FILE] [--low-latency] | %s "
              "ASCII_LAUNCH [--viewers 10,100,1000,2000] [--seconds 20] [--low-latency]\n",
              argv[0], argv[0]);
      return 2;
    }
  }
  if (url) {
    /* http://127.0.0.1:PORT/PATH/NAME.m3u8 */
    if (sscanf(url, "http://127.0.0.1:%d", &g_port) != 1) {
      fprintf(stderr, "bench-hls: the URL must be http://127.0.0.1:PORT/...\n");
      return 2;
    }
    const char* path = strchr(url + strlen("http://"), '/');
    snprintf(g_playlist_path, sizeof g_playlist_path, "%s", path ? path : "/");
    snprintf(g_base_path, sizeof g_base_path, "%s", g_playlist_path);
    char* slash = strrchr(g_base_path, '/');
    if (slash) slash[1] = 0;
    Result r = run_viewers(atol(counts), seconds, access_log);
    print_result(&r);
    return 0;
  }
  if (!launcher) {
    fprintf(stderr, "bench-hls: give --url, or the path of ascii-launch\n");
    return 2;
  }
  return benchmark(launcher, counts, seconds);
}
