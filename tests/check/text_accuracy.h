// How well text was read or heard: character accuracy (the slide text) and word error rate (the
// transcripts), for the tests and the benchmarks.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <glib.h>

#include <algorithm>
#include <string>
#include <vector>

// |text| with every run of white space one space, and none at either end.
inline std::string squeeze_spaces(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (g_ascii_isspace(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Levenshtein distance between two sequences.
template <class Seq>
size_t edit_distance(const Seq& a, const Seq& b) {
  std::vector<size_t> row(b.size() + 1), next(b.size() + 1);
  for (size_t j = 0; j <= b.size(); j++) row[j] = j;
  for (size_t i = 1; i <= a.size(); i++) {
    next[0] = i;
    for (size_t j = 1; j <= b.size(); j++)
      next[j] = std::min({row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    row.swap(next);
  }
  return row[b.size()];
}

// 1 - (edit distance / length of |want|), white space squeezed: the share of |want|'s characters
// read right.
inline double character_accuracy(const std::string& want, const std::string& got) {
  const std::string a = squeeze_spaces(want), b = squeeze_spaces(got);
  return a.empty() ? 1.0 : 1.0 - double(edit_distance(a, b)) / double(a.size());
}

// Word error rate: word-level edit distance over the words of |said| (lowercase letters and digits).
inline double word_error_rate(const std::string& said, const std::string& heard) {
  auto words = [](const std::string& text) {
    std::vector<std::string> out;
    std::string word;
    for (char c : text + " ") {
      if (g_ascii_isalnum(c)) {
        word += g_ascii_tolower(c);
      } else if (!word.empty()) {
        out.push_back(word);
        word.clear();
      }
    }
    return out;
  };
  const std::vector<std::string> a = words(said), b = words(heard);
  return a.empty() ? 0.0 : double(edit_distance(a, b)) / double(a.size());
}
