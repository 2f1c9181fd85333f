// gst-ascii core: the per-cell mapping kernel, one BGR pixel per cell -> (char, R, G, B) cells.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstddef>
#include <cstdint>

#include "palette.h"

namespace gstascii {

// Implementations of the kernel. All give identical bytes; the fastest the CPU supports is used.
enum class MapKernel {
  kScalar,      // portable C++
  kAvx2,        // 8 cells per step; the char comes from a gather
  kAvx512Vbmi,  // 16 cells per step; the 256-entry char table lives in four registers
};

bool map_kernel_supported(MapKernel kernel);
MapKernel best_map_kernel();
const char* map_kernel_name(MapKernel kernel);

// Maps |count| packed B,G,R pixels to |count| cells written to |out| (4 bytes a cell, in wire
// order: char, R, G, B; |out| need not be aligned). The char comes from the seed luma through
// |table|; each colour channel is ANDed with |colour_mask| (see colour_mask_for_mode).
void map_bgr_to_cells(const std::uint8_t* bgr, std::size_t count, const CharTable& table, std::uint8_t colour_mask,
                      std::uint8_t* out);
void map_bgr_to_cells(MapKernel kernel, const std::uint8_t* bgr, std::size_t count, const CharTable& table,
                      std::uint8_t colour_mask, std::uint8_t* out);

}  // namespace gstascii
