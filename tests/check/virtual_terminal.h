// A terminal screen for tests: plays the escape codes gst-ascii writes (cursor moves, SGR colours,
// UTF-8 characters, a whole-screen clear, the cursor and synchronized-output modes) and refuses any
// other, so a test sees what a person would.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

// A terminal screen: what each position shows, and the pen.
class VirtualTerminal {
 public:
  struct Shown {
    std::uint32_t codepoint = 0x20;
    std::int64_t fg = -1, bg = -1;  // -1: the default; else a tag of the SGR form and its value
  };

  VirtualTerminal(int cols, int rows) : cols_(cols), rows_(rows), screen_(std::size_t(cols) * rows) {}

  // Plays |bytes|; false (with |error_|) on anything it does not know.
  bool play(const std::string& bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
      const auto c = std::uint8_t(bytes[i]);
      if (c == 0x1b) {
        if (i + 1 >= bytes.size() || bytes[i + 1] != '[') return refuse("ESC without [");
        std::size_t j = i + 2;
        const bool private_mode = j < bytes.size() && bytes[j] == '?';
        if (private_mode) j++;
        std::vector<long> params;
        long value = -1;
        while (j < bytes.size() && (std::isdigit(std::uint8_t(bytes[j])) || bytes[j] == ';')) {
          if (bytes[j] == ';') {
            params.push_back(value < 0 ? 0 : value);
            value = -1;
          } else {
            value = (value < 0 ? 0 : value * 10) + (bytes[j] - '0');
          }
          j++;
        }
        if (value >= 0) params.push_back(value);
        if (j >= bytes.size()) return refuse("an escape cut short");
        const char final_byte = bytes[j];
        i = j + 1;
        if (private_mode) {
          if (params.size() != 1 || (final_byte != 'h' && final_byte != 'l')) return refuse("an unknown private mode");
          if (params[0] == 25) {
            cursor_shown_ = final_byte == 'h';
            continue;
          }
          if (params[0] != 2026) return refuse("an unknown private mode");
          if ((final_byte == 'h') == synchronized_) return refuse("synchronized output not balanced");
          synchronized_ = final_byte == 'h';
          continue;
        }
        if (final_byte == 'J') {
          if (params.size() != 1 || params[0] != 2) return refuse("only a whole-screen clear is known");
          screen_.assign(screen_.size(), Shown{0x20, bg_, bg_});
          continue;
        }
        if (final_byte == 'H') {
          row_ = (params.size() > 0 ? params[0] : 1) - 1;
          col_ = (params.size() > 1 ? params[1] : 1) - 1;
        } else if (final_byte == 'C') {
          col_ += params.empty() ? 1 : params[0];
        } else if (final_byte == 'm') {
          if (!sgr(params.empty() ? std::vector<long>{0} : params)) return false;
        } else {
          return refuse(std::string("unknown escape final ") + final_byte);
        }
        continue;
      }
      // A UTF-8 character.
      std::uint32_t cp = c;
      int more = 0;
      if (c >= 0xF0) {
        cp = c & 0x07;
        more = 3;
      } else if (c >= 0xE0) {
        cp = c & 0x0F;
        more = 2;
      } else if (c >= 0xC0) {
        cp = c & 0x1F;
        more = 1;
      } else if (c == '\r') {
        col_ = 0;
        i++;
        continue;
      } else if (c == '\n') {
        row_++;
        i++;
        continue;
      } else if (c < 0x20 || c >= 0x80) {
        return refuse("a control or stray byte");
      }
      for (int k = 1; k <= more; k++) cp = cp << 6 | (std::uint8_t(bytes[i + k]) & 0x3F);
      i += 1 + more;
      if (row_ < 0 || row_ >= rows_ || col_ < 0 || col_ >= cols_) return refuse("drawn off the screen");
      screen_[std::size_t(row_) * cols_ + col_] = Shown{cp, fg_, bg_};
      col_++;
    }
    return true;
  }

  // What a person sees at (row, col): the colour of a space's ink or a full block's paper is not seen.
  Shown seen(int row, int col) const {
    Shown s = screen_[std::size_t(row) * cols_ + col];
    if (s.codepoint == 0x20) s.fg = 0;
    if (s.codepoint == 0x2588) s.bg = 0;
    return s;
  }
  bool same_as(const VirtualTerminal& o) const {
    for (int r = 0; r < rows_; r++) {
      for (int c = 0; c < cols_; c++) {
        const Shown a = seen(r, c), b = o.seen(r, c);
        if (a.codepoint != b.codepoint || a.fg != b.fg || a.bg != b.bg) return false;
      }
    }
    return true;
  }
  bool synchronized() const { return synchronized_; }
  bool cursor_shown() const { return cursor_shown_; }
  const std::string& error() const { return error_; }

 private:
  bool refuse(const std::string& why) {
    error_ = why;
    return false;
  }
  bool sgr(const std::vector<long>& p) {
    for (std::size_t k = 0; k < p.size(); k++) {
      const long v = p[k];
      if (v == 0) {
        fg_ = bg_ = -1;
      } else if ((v == 38 || v == 48) && k + 1 < p.size() && p[k + 1] == 2 && k + 4 < p.size()) {
        (v == 38 ? fg_ : bg_) = (2LL << 24) | (p[k + 2] << 16) | (p[k + 3] << 8) | p[k + 4];
        k += 4;
      } else if ((v == 38 || v == 48) && k + 2 < p.size() && p[k + 1] == 5) {
        (v == 38 ? fg_ : bg_) = (5LL << 24) | p[k + 2];
        k += 2;
      } else if (v >= 30 && v <= 37) {
        fg_ = (16LL << 24) | (v - 30);
      } else if (v >= 90 && v <= 97) {
        fg_ = (16LL << 24) | (v - 90 + 8);
      } else if (v >= 40 && v <= 47) {
        bg_ = (16LL << 24) | (v - 40);
      } else if (v >= 100 && v <= 107) {
        bg_ = (16LL << 24) | (v - 100 + 8);
      } else {
        return refuse("an unknown SGR parameter " + std::to_string(v));
      }
    }
    return true;
  }

  int cols_, rows_;
  std::vector<Shown> screen_;
  int row_ = 0, col_ = 0;
  std::int64_t fg_ = -1, bg_ = -1;
  bool synchronized_ = false;
  bool cursor_shown_ = true;
  std::string error_;
};
