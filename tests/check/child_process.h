// A program under test as a child process (ascii-launch, ffmpeg ...): its stdout and stderr read
// together, in order, as it runs; waits on what it says and on its exit, each with a deadline.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>
#include <vector>

class ChildProcess {
 public:
  // Starts |args| (args[0] is the program, looked up in PATH). Under AddressSanitizer the child
  // keeps its memory checks, but not the exit-time leak scan: LeakSanitizer's tracer sometimes
  // crashes stopping a process that has just shut its pipelines down (seen as "Tracer caught
  // signal 11"), which would read as a failed exit.
  // |user_environment|: without the tests' GST_DEBUG, so the child prints what a user would see.
  explicit ChildProcess(const std::vector<std::string>& args, bool user_environment = false) {
    std::vector<gchar*> argv;
    for (auto& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
    argv.push_back(nullptr);
    GError* error = nullptr;
    g_auto(GStrv) env = g_get_environ();
    const char* asan = g_environ_getenv(env, "ASAN_OPTIONS");
    env = g_environ_setenv(env, "ASAN_OPTIONS", (std::string(asan ? asan : "") + ":detect_leaks=0").c_str(), TRUE);
    if (user_environment) env = g_environ_unsetenv(env, "GST_DEBUG");
    started_ = g_get_monotonic_time();
    fail_unless(g_spawn_async_with_pipes(
                    nullptr, argv.data(), env, GSpawnFlags(G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH),
                    [](gpointer) {
                      dup2(STDOUT_FILENO, STDERR_FILENO);  // one stream, in order
                      prctl(PR_SET_PDEATHSIG, SIGKILL);    // gone with a test that failed
                    },
                    nullptr, &pid_, nullptr, &stdout_fd_, nullptr, &error),
                "cannot start %s: %s", args[0].c_str(), error ? error->message : "");
    reader_ = g_thread_new("child-output", read_output, this);
  }
  ~ChildProcess() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    finish_reading();
    close(stdout_fd_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  GPid pid() const { return pid_; }
  gint64 started() const { return started_; }  // monotonic µs

  // Everything it printed so far.
  std::string output() {
    std::lock_guard<std::mutex> lock(output_mutex_);
    return printed_;
  }
  bool wait_for_output(const std::string& text, int timeout_ms) { return wait_for_count(text, 1, timeout_ms); }

  // Waits until it has said |text| |times| times; false if it did not in time or ended first.
  bool wait_for_count(const std::string& text, int times, int timeout_ms) {
    const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
    for (;;) {
      const std::string said = output();
      int n = 0;
      for (size_t at = said.find(text); at != std::string::npos; at = said.find(text, at + 1)) n++;
      if (n >= times) return true;
      if (g_get_monotonic_time() > deadline || exited()) return false;
      g_usleep(20 * 1000);  // a poll interval, with the deadline above
    }
  }

  // The exit status once it ends by itself within |timeout_ms| (128 + N: killed by signal N; -1:
  // still running, then killed).
  int wait_exit(int timeout_ms) {
    const gint64 deadline = g_get_monotonic_time() + gint64(timeout_ms) * 1000;
    while (!exited() && g_get_monotonic_time() < deadline) g_usleep(20 * 1000);
    if (exited()) return status_;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
    finish_reading();
    return -1;
  }
  // Ctrl-C; returns the exit status.
  int interrupt(int timeout_ms = 20000) {
    kill(pid_, SIGINT);
    return wait_exit(timeout_ms);
  }
  void kill9() {
    if (exited()) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
    finish_reading();
  }

 private:
  // Whether it has ended (reaps it then, and reads what it printed to the end).
  bool exited() {
    if (reaped_) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
    reaped_ = true;
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    finish_reading();
    return true;
  }
  // Waits for the reader to meet the pipe's end (the child is gone), so output() has it all.
  void finish_reading() {
    if (!reader_) return;
    g_thread_join(reader_);
    reader_ = nullptr;
  }
  static gpointer read_output(gpointer data) {
    auto* self = static_cast<ChildProcess*>(data);
    char buf[4096];
    ssize_t n;
    while ((n = read(self->stdout_fd_, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
      if (n <= 0) continue;
      std::lock_guard<std::mutex> lock(self->output_mutex_);
      self->printed_.append(buf, size_t(n));
    }
    return nullptr;
  }

  GPid pid_ = 0;
  gint64 started_ = 0;
  bool reaped_ = false;
  int status_ = -1;
  int stdout_fd_ = -1;
  GThread* reader_ = nullptr;
  std::mutex output_mutex_;
  std::string printed_;
};

// Runs |args| to the end; fails the test, with what it said, unless it exits 0.
inline void run_tool(const std::vector<std::string>& args, int timeout_ms = 120000) {
  ChildProcess tool(args);
  const int status = tool.wait_exit(timeout_ms);
  fail_unless(status == 0, "%s exited with %d: %s", args[0].c_str(), status, tool.output().c_str());
}
