// A private folder for a test's files, removed with everything in it when the test is done.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <gst/check/gstcheck.h>
#include <ftw.h>

#include <string>

// Removes |path| and everything below it.
inline void remove_tree(const std::string& path) {
  nftw(
      path.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return remove(p); }, 16,
      FTW_DEPTH | FTW_PHYS);
}

class TempDir {
 public:
  // A new folder in the temporary directory; |pattern| ends in XXXXXX (g_dir_make_tmp).
  explicit TempDir(const char* pattern) {
    g_autofree gchar* dir = g_dir_make_tmp(pattern, nullptr);
    fail_unless(dir != nullptr, "cannot make a temporary folder %s", pattern);
    path_ = dir;
  }
  ~TempDir() { remove_tree(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};
