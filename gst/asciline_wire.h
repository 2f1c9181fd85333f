// gst-ascii core: the ASCILINE wire format (INIT text, mode-1 text frames, raw cell frames and
// pixel frames). See README.md, "The ASCILINE wire format", for the byte layouts.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cell_grid.h"

namespace gstascii {

// The INIT text message that starts a session (and restarts it when grid, mode or timeline change).
struct InitMessage {
  double fps = 30.0;
  int mode = 3;
  int cols = 0;
  int rows = 0;
  // Fields of the full form; the seed form ends after rows with a literal 0.
  bool pixel = false;        // 1 = pixel frames (B,G,R a cell, no glyph)
  bool symbols = false;      // 2 = symbol cells (gst-ascii's extension: 8 bytes a cell, symbol_cell.h)
  unsigned queue_index = 0;  // playlist position
  double duration = 0.0;     // seconds; 0 when live
  double start = 0.0;        // start of this timeline (0 on the first INIT)
  bool is_live = false;
  std::optional<std::string> sync_id;      // only when a client asked for sync=1
  std::optional<std::string> pixel_codec;  // only with sync_id
};

enum class InitForm {
  kSeed,  // INIT:{fps}:{mode}:{cols}:{rows}:0
  kFull,  // INIT:{fps}:{mode}:{cols}:{rows}:{pixel}:{queue}:{duration}:{start}:{is_live}[...]
};

std::string format_init(const InitMessage& init, InitForm form);
// Accepts the seed form, the full form and any prefix of the full form that includes rows.
std::optional<InitMessage> parse_init(std::string_view text);

// A float as Python's repr() writes it: shortest round-trip digits, always with a decimal point
// ("30.0", "29.97002997002997"). The seed formats fps this way.
std::string format_python_float(double value);

inline constexpr std::size_t kFrameHeaderBytes = 4;  // u32be frame_index
inline constexpr std::size_t kPixelBytes = 3;        // B, G, R

void write_u32be(std::uint8_t* out, std::uint32_t value);
std::uint32_t read_u32be(const std::uint8_t* in);

constexpr std::size_t raw_frame_bytes(std::size_t n_cells) {
  return kFrameHeaderBytes + n_cells * kCellBytes;
}
constexpr std::size_t pixel_frame_bytes(std::size_t n_cells) {
  return kFrameHeaderBytes + n_cells * kPixelBytes;
}
// Symbol frame (the extension): [u32be index][N x (set, code, fg R, G, B, bg R, G, B)].
constexpr std::size_t symbol_frame_bytes(std::size_t n_cells) {
  return kFrameHeaderBytes + n_cells * 8;
}

// Raw frame: [u32be index][N x (char, R, G, B)]. |out| holds raw_frame_bytes(n).
void encode_raw_frame(std::uint32_t index, const Cell* cells, std::size_t n, std::uint8_t* out);
// Pixel frame: [u32be index][N x (B, G, R)]. |out| holds pixel_frame_bytes(n).
void encode_pixel_frame(std::uint32_t index, const Cell* cells, std::size_t n, std::uint8_t* out);
// Mode-1 text frame: "{index}\n" + rows joined by "\n", no trailing newline.
std::string encode_text_frame(std::uint32_t index, const CellGrid& grid);
// The same from a bare cell array.
std::string encode_text_frame(std::uint32_t index, const Cell* cells, int cols, int rows);

struct DecodedFrame {
  std::uint32_t index = 0;
  CellGrid grid;
};

// Decoders check the length against the grid the INIT announced; they return nothing on a
// malformed message rather than reading past it. Text frames decode to cells with colour 0;
// pixel frames to cells with char 0.
std::optional<DecodedFrame> decode_raw_frame(const std::uint8_t* msg, std::size_t len, int cols, int rows);
std::optional<DecodedFrame> decode_pixel_frame(const std::uint8_t* msg, std::size_t len, int cols, int rows);
std::optional<DecodedFrame> decode_text_frame(std::string_view msg, int cols, int rows);

}  // namespace gstascii
