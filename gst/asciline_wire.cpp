// SPDX-License-Identifier: LGPL-2.1-or-later
#include "asciline_wire.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace gstascii {

std::string format_python_float(double value) {
  if (!std::isfinite(value)) return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, value);
  std::string s(buf, res.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

namespace {

std::string format_fixed3(double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t pos = text.find(sep, start);
    parts.push_back(text.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) return parts;
    start = pos + 1;
  }
}

template <typename T>
bool parse_number(std::string_view s, T* out) {
  if (s.empty()) return false;
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool parse_flag(std::string_view s, bool* out) {
  int v = 0;
  if (!parse_number(s, &v) || (v != 0 && v != 1)) return false;
  *out = v == 1;
  return true;
}

}  // namespace

std::string format_init(const InitMessage& init, InitForm form) {
  std::string s = "INIT:" + format_python_float(init.fps) + ":" + std::to_string(init.mode) + ":" +
                  std::to_string(init.cols) + ":" + std::to_string(init.rows) + ":";
  if (form == InitForm::kSeed) return s + "0";
  // The first timeline starts at a plain "0", as the reference server writes it.
  const std::string start = init.start == 0.0 ? "0" : format_python_float(init.start);
  s += std::string(init.symbols ? "2"
                   : init.pixel ? "1"
                                : "0") +
       ":" + std::to_string(init.queue_index) + ":" + format_fixed3(init.duration) + ":" + start + ":" +
       (init.is_live ? "1" : "0");
  if (init.sync_id) {
    s += ":" + *init.sync_id;
    if (init.pixel_codec) s += ":" + *init.pixel_codec;
  }
  return s;
}

std::optional<InitMessage> parse_init(std::string_view text) {
  const auto f = split(text, ':');
  if (f.size() < 5 || f[0] != "INIT") return std::nullopt;
  InitMessage m;
  if (!parse_number(f[1], &m.fps) || !(m.fps > 0.0) || !std::isfinite(m.fps)) return std::nullopt;
  if (!parse_number(f[2], &m.mode) || m.mode < 1 || m.mode > 6) return std::nullopt;
  if (!parse_number(f[3], &m.cols) || !parse_number(f[4], &m.rows)) return std::nullopt;
  if (m.cols < 1 || m.rows < 1 || m.cols > kMaxCols || m.rows > kMaxRows) return std::nullopt;
  if (f.size() > 5) {
    // Field 5 says what a frame's cells are: 0 characters, 1 pixels, 2 symbol cells.
    int cells = 0;
    if (!parse_number(f[5], &cells) || cells < 0 || cells > 2) return std::nullopt;
    m.pixel = cells == 1;
    m.symbols = cells == 2;
  }
  if (f.size() > 6 && !parse_number(f[6], &m.queue_index)) return std::nullopt;
  if (f.size() > 7 && !parse_number(f[7], &m.duration)) return std::nullopt;
  if (f.size() > 8 && !parse_number(f[8], &m.start)) return std::nullopt;
  if (f.size() > 9 && !parse_flag(f[9], &m.is_live)) return std::nullopt;
  if (f.size() > 10) m.sync_id = std::string(f[10]);
  if (f.size() > 11) m.pixel_codec = std::string(f[11]);
  if (f.size() > 12) return std::nullopt;
  return m;
}

void write_u32be(std::uint8_t* out, std::uint32_t v) {
  out[0] = std::uint8_t(v >> 24);
  out[1] = std::uint8_t(v >> 16);
  out[2] = std::uint8_t(v >> 8);
  out[3] = std::uint8_t(v);
}

std::uint32_t read_u32be(const std::uint8_t* in) {
  return (std::uint32_t(in[0]) << 24) | (std::uint32_t(in[1]) << 16) | (std::uint32_t(in[2]) << 8) |
         std::uint32_t(in[3]);
}

void encode_raw_frame(std::uint32_t index, const Cell* cells, std::size_t n, std::uint8_t* out) {
  write_u32be(out, index);
  std::memcpy(out + kFrameHeaderBytes, cells, n * kCellBytes);
}

void encode_pixel_frame(std::uint32_t index, const Cell* cells, std::size_t n, std::uint8_t* out) {
  write_u32be(out, index);
  std::uint8_t* p = out + kFrameHeaderBytes;
  for (std::size_t i = 0; i < n; ++i, p += kPixelBytes) {
    p[0] = cells[i].b;
    p[1] = cells[i].g;
    p[2] = cells[i].r;
  }
}

std::string encode_text_frame(std::uint32_t index, const Cell* cells, int cols, int rows) {
  std::string s = std::to_string(index);
  s.reserve(s.size() + std::size_t(cols + 1) * rows);
  for (int y = 0; y < rows; ++y) {
    s += '\n';
    const Cell* row = cells + std::size_t(y) * cols;
    for (int x = 0; x < cols; ++x) s += char(row[x].ch);
  }
  return s;
}

std::string encode_text_frame(std::uint32_t index, const CellGrid& grid) {
  return encode_text_frame(index, grid.data(), grid.cols(), grid.rows());
}

std::optional<DecodedFrame> decode_raw_frame(const std::uint8_t* msg, std::size_t len, int cols, int rows) {
  if (cols < 1 || rows < 1 || len != raw_frame_bytes(std::size_t(cols) * rows)) return std::nullopt;
  DecodedFrame f{read_u32be(msg), CellGrid(cols, rows)};
  std::memcpy(f.grid.data(), msg + kFrameHeaderBytes, f.grid.size() * kCellBytes);
  return f;
}

std::optional<DecodedFrame> decode_pixel_frame(const std::uint8_t* msg, std::size_t len, int cols, int rows) {
  if (cols < 1 || rows < 1 || len != pixel_frame_bytes(std::size_t(cols) * rows)) return std::nullopt;
  DecodedFrame f{read_u32be(msg), CellGrid(cols, rows)};
  const std::uint8_t* p = msg + kFrameHeaderBytes;
  for (std::size_t i = 0; i < f.grid.size(); ++i, p += kPixelBytes) {
    f.grid.data()[i] = Cell{0, p[2], p[1], p[0]};
  }
  return f;
}

std::optional<DecodedFrame> decode_text_frame(std::string_view msg, int cols, int rows) {
  if (cols < 1 || rows < 1) return std::nullopt;
  const std::size_t nl = msg.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  DecodedFrame f;
  if (!parse_number(msg.substr(0, nl), &f.index)) return std::nullopt;
  const std::string_view body = msg.substr(nl + 1);
  if (body.size() != std::size_t(cols + 1) * rows - 1) return std::nullopt;
  f.grid = CellGrid(cols, rows);
  for (int y = 0; y < rows; ++y) {
    const std::string_view line = body.substr(std::size_t(y) * (cols + 1), cols);
    if (y + 1 < rows && body[std::size_t(y) * (cols + 1) + cols] != '\n') return std::nullopt;
    for (int x = 0; x < cols; ++x) {
      const auto c = static_cast<std::uint8_t>(line[x]);
      if (c < 0x20 || c > 0x7e) return std::nullopt;
      f.grid.at(x, y) = Cell{c, 0, 0, 0};
    }
  }
  return f;
}

}  // namespace gstascii
