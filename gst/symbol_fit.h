// gst-ascii core: choosing each cell's symbol and two colours from sub-cell samples of the source.
//
// Styles (combine with '+', e.g. "ascii+octant"):
//   ascii    printable ASCII glyphs chosen by shape, each with its own two colours
//   half     upper/lower half blocks               blocks   quadrants (half blocks included)
//   sextant  2 x 3 mosaics                          octant   2 x 4 mosaics
//   edge     a straight edge across the cell (32 angles x 8 offsets)
// ("asciline", the classic glyph-on-black cells, is not a symbol style: cell_mapper.h makes those.)
//
// The error a choice leaves is measured as a viewer sees it: the cell drawn at 8 x 16 pixels and
// averaged over 2 x 2 pixel blocks (the 4 x 8 samples the fitter reads for glyphs and combined
// styles), squared R, G, B differences weighted 2 : 4 : 1 (about how much each channel adds to
// lightness). Within a mosaic set the splits of the sub-cells into two colour groups along their
// lightness order are tried; the glyph and the edge are the ones whose ink best explains the
// cell's lightness (least squares, every one scored); then the glyph, the edge, the best mosaic
// of each set and a flat cell are compared by that error. Colours are
// the least-squares best pair for the chosen shape. All integer or exactly reproducible double
// arithmetic; ties go to the flat cell, then mosaics from coarse to fine, then the lower glyph.
// The same code is compiled for several instruction sets (SimdLevel, simd.h); being integer arithmetic,
// every kernel gives the same bytes (the tests check it).
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "area_average.h"
#include "simd.h"
#include "symbol_cell.h"

namespace gstascii {

enum StyleBits : unsigned {
  kStyleAscii = 1u << 0,
  kStyleHalf = 1u << 1,
  kStyleBlocks = 1u << 2,
  kStyleSextant = 1u << 3,
  kStyleOctant = 1u << 4,
  kStyleEdge = 1u << 5,
};

// A set of StyleBits; 0 is the classic ASCILINE style.
struct CellStyle {
  unsigned bits = 0;
  bool is_asciline() const { return bits == 0; }
  bool operator==(const CellStyle& o) const { return bits == o.bits; }
  bool operator!=(const CellStyle& o) const { return bits != o.bits; }
};

// "asciline", or style names joined with '+'. On failure |error| says why.
std::optional<CellStyle> parse_cell_style(std::string_view text, std::string* error = nullptr);
// The canonical name ("ascii+octant": names in the order of StyleBits).
std::string format_cell_style(CellStyle style);

// Samples across and down each cell the fitter reads for |style|: a single mosaic set reads its own
// sub-cells (octant 2 x 4 ...), glyphs and combined styles read 4 x 8.
SubcellGrid style_sample_grid(CellStyle style);

class SymbolFitter {
 public:
  explicit SymbolFitter(CellStyle style);

  CellStyle style() const { return style_; }
  SubcellGrid samples() const { return samples_; }

  // Fits a cols x rows grid. |r|, |g| and |b| are planes of (cols * samples().cols) x
  // (rows * samples().rows) samples, row after row (what AreaAverager::run_planar gives at that
  // size). When |mean_bgr| is given, each cell's mean colour is written there too (B,G,R), for the
  // classic ASCILINE cells.
  void fit(const std::uint8_t* r, const std::uint8_t* g, const std::uint8_t* b, int cols, int rows, SymbolCell* out,
           std::uint8_t* mean_bgr = nullptr) const;
  // The same with a given kernel (one simd_level_supported() says this CPU has).
  void fit(SimdLevel kernel, const std::uint8_t* r, const std::uint8_t* g, const std::uint8_t* b, int cols, int rows,
           SymbolCell* out, std::uint8_t* mean_bgr = nullptr) const;
  // The same from packed B,G,R samples (what AreaAverager::run gives), for tests and tools.
  void fit(const std::uint8_t* bgr, int cols, int rows, SymbolCell* out, std::uint8_t* mean_bgr = nullptr) const;
  void fit(SimdLevel kernel, const std::uint8_t* bgr, int cols, int rows, SymbolCell* out,
           std::uint8_t* mean_bgr = nullptr) const;

  // A frame's cells from its planes: |averager|, configured for this fitter's samples of a cols x
  // rows grid, samples a few rows of cells into |scratch|, which are fitted while they are still in
  // cache, then the next few (sampling it all first left the samples in memory for the fitter).
  // False, and nothing done, when |averager| is configured for another grid.
  bool fit_frame(AreaAverager& averager, const PlaneView* planes, int cols, int rows,
                 std::vector<std::uint8_t>* scratch, SymbolCell* out, std::uint8_t* mean_bgr = nullptr) const;

  // One cell; |row_stride| bytes from one sample row to the next.
  SymbolCell fit_cell(const std::uint8_t* bgr, std::size_t row_stride, std::uint8_t mean_bgr[3]) const;

 private:
  CellStyle style_;
  SubcellGrid samples_;
  SymbolSet own_set_ = kGlyph;  // a single mosaic set, read at its own sub-cells; kGlyph: the fine grid
  SimdLevel kernel_;
};

// The weighted error of |cell| drawn at 8 x 16 and box-averaged to 4 x 8, against 4 x 8 samples
// (|row_stride| bytes a row), in units of (4 x channel difference)^2: what the fitter minimises.
std::uint64_t symbol_cell_error(const SymbolCell& cell, const std::uint8_t* bgr, std::size_t row_stride);

}  // namespace gstascii
