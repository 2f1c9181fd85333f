/* ascii-launch as the benchmarks start it: a child whose first line of output names its port.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Starts |argv| (argv[0] is the program, NULL-terminated) and reads its output up to the first
 * line, which names http://127.0.0.1:PORT/; *port is 0 when it does not. ascii-launch ignores
 * SIGPIPE, so the pipe is closed after that line. */
static pid_t start_launcher(char* const argv[], int* port) {
  int out[2];
  if (pipe(out) != 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(out[1]);
  char line[512];
  size_t len = 0;
  *port = 0;
  while (len < sizeof line - 1) {
    ssize_t r = read(out[0], line + len, 1);
    if (r <= 0) break;
    if (line[len++] == '\n') {
      line[len] = 0;
      char* url = strstr(line, "http://127.0.0.1:");
      if (url) *port = atoi(url + strlen("http://127.0.0.1:"));
      break;
    }
  }
  close(out[0]);
  return pid;
}
