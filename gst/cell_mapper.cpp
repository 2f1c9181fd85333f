// SPDX-License-Identifier: LGPL-2.1-or-later
#include "cell_mapper.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GSTASCII_HAVE_X86_KERNELS 1
#include <immintrin.h>
#endif

namespace gstascii {
namespace {

void map_scalar(const std::uint8_t* bgr, std::size_t count, const CharTable& table, std::uint8_t mask,
                std::uint8_t* out) {
  for (std::size_t i = 0; i < count; ++i, bgr += 3, out += 4) {
    const std::uint8_t b = bgr[0], g = bgr[1], r = bgr[2];
    out[0] = table[seed_luma(r, g, b)];
    out[1] = r & mask;
    out[2] = g & mask;
    out[3] = b & mask;
  }
}

#ifdef GSTASCII_HAVE_X86_KERNELS
// 16 pixels (48 bytes) in, 16 cells (64 bytes) out per step. One byte permute spreads each pixel to
// the dword [B, R, G, B]; two multiply-adds give the exact seed luma in each dword; a two-source
// byte permute over the 256-byte table (split in halves by bit 7) gives the char, which replaces
// byte 0. Masked loads and stores handle the tail without reading or writing past the buffers.
// GCC 12's AVX-512 headers start some intrinsics from _mm512_undefined_*(), which trips a false
// -Wmaybe-uninitialized once inlined here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define GSTASCII_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))

struct Avx512Constants {
  __m512i spread, lo_bytes, coef_bg, coef_r, rounding, colour_mask, t0, t1, t2, t3;
};

GSTASCII_AVX512_TARGET static inline __m512i avx512_step(const Avx512Constants& k, __m512i px) {
  const __m512i d = _mm512_permutexvar_epi8(k.spread, px);
  // Words of [B, R, G, B]: low bytes (B, G), high bytes (R, B).
  const __m512i bg = _mm512_madd_epi16(_mm512_and_si512(d, k.lo_bytes), k.coef_bg);
  const __m512i r = _mm512_madd_epi16(_mm512_srli_epi16(d, 8), k.coef_r);
  const __m512i gray = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(bg, r), k.rounding), 15);
  const __m512i lo = _mm512_permutex2var_epi8(k.t0, gray, k.t1);
  const __m512i hi = _mm512_permutex2var_epi8(k.t2, gray, k.t3);
  const __m512i ch = _mm512_mask_blend_epi8(_mm512_movepi8_mask(gray), lo, hi);
  return _mm512_mask_mov_epi8(_mm512_and_si512(d, k.colour_mask), 0x1111111111111111ull, ch);
}

GSTASCII_AVX512_TARGET void map_avx512vbmi(const std::uint8_t* bgr, std::size_t count, const CharTable& table,
                                           std::uint8_t mask, std::uint8_t* out) {
  alignas(64) std::uint8_t spread_idx[64];
  for (int i = 0; i < 16; ++i) {
    spread_idx[4 * i + 0] = std::uint8_t(3 * i + 0);  // B (in the char slot, for the luma)
    spread_idx[4 * i + 1] = std::uint8_t(3 * i + 2);  // R
    spread_idx[4 * i + 2] = std::uint8_t(3 * i + 1);  // G
    spread_idx[4 * i + 3] = std::uint8_t(3 * i + 0);  // B
  }
  Avx512Constants k;
  k.spread = _mm512_load_si512(spread_idx);
  k.lo_bytes = _mm512_set1_epi32(0x00ff00ff);
  k.coef_bg = _mm512_set1_epi32((19235 << 16) | 3735);
  k.coef_r = _mm512_set1_epi32(9798);
  k.rounding = _mm512_set1_epi32(16384);
  k.colour_mask = _mm512_set1_epi32(int(std::uint32_t(mask) * 0x01010100u));
  k.t0 = _mm512_loadu_si512(table.data());
  k.t1 = _mm512_loadu_si512(table.data() + 64);
  k.t2 = _mm512_loadu_si512(table.data() + 128);
  k.t3 = _mm512_loadu_si512(table.data() + 192);

  std::size_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m512i px = _mm512_maskz_loadu_epi8(0x0000ffffffffffffull, bgr + 3 * i);
    _mm512_storeu_si512(out + 4 * i, avx512_step(k, px));
  }
  if (i < count) {
    const std::size_t rest = count - i;
    const __m512i px = _mm512_maskz_loadu_epi8((1ull << (3 * rest)) - 1, bgr + 3 * i);
    _mm512_mask_storeu_epi8(out + 4 * i, (1ull << (4 * rest)) - 1, avx512_step(k, px));
  }
}
#pragma GCC diagnostic pop

// 8 pixels per step: two 16-byte loads put pixels 0-3 and 4-7 in the two 128-bit lanes, a lane
// shuffle spreads each to the dword [B, R, G, B], the same multiply-adds as above give the luma,
// and a gather from a 32-bit copy of the table gives the char. The loads read 4 bytes beyond the
// 8 pixels, so the last pixels go through the scalar code.
#define GSTASCII_AVX2_TARGET __attribute__((target("avx2")))

GSTASCII_AVX2_TARGET void map_avx2(const std::uint8_t* bgr, std::size_t count, const CharTable& table,
                                   std::uint8_t mask, std::uint8_t* out) {
  alignas(32) std::int32_t table32[256];
  for (int i = 0; i < 256; ++i) table32[i] = table[i];
  const __m256i spread = _mm256_setr_epi8(0, 2, 1, 0, 3, 5, 4, 3, 6, 8, 7, 6, 9, 11, 10, 9,  //
                                          0, 2, 1, 0, 3, 5, 4, 3, 6, 8, 7, 6, 9, 11, 10, 9);
  const __m256i lo_bytes = _mm256_set1_epi32(0x00ff00ff);
  const __m256i coef_bg = _mm256_set1_epi32((19235 << 16) | 3735);
  const __m256i coef_r = _mm256_set1_epi32(9798);
  const __m256i rounding = _mm256_set1_epi32(16384);
  const __m256i colour_mask = _mm256_set1_epi32(int(std::uint32_t(mask) * 0x01010100u));

  std::size_t i = 0;
  for (; i + 10 <= count; i += 8) {
    const std::uint8_t* p = bgr + 3 * i;
    const __m256i px =
        _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 12)), 1);
    const __m256i d = _mm256_shuffle_epi8(px, spread);
    const __m256i bg = _mm256_madd_epi16(_mm256_and_si256(d, lo_bytes), coef_bg);
    const __m256i r = _mm256_madd_epi16(_mm256_srli_epi16(d, 8), coef_r);
    const __m256i gray = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(bg, r), rounding), 15);
    const __m256i ch = _mm256_i32gather_epi32(table32, gray, 4);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 4 * i), _mm256_or_si256(_mm256_and_si256(d, colour_mask), ch));
  }
  map_scalar(bgr + 3 * i, count - i, table, mask, out + 4 * i);
}
#endif

}  // namespace

bool map_kernel_supported(MapKernel kernel) {
  switch (kernel) {
    case MapKernel::kScalar: return true;
    case MapKernel::kAvx2:
#ifdef GSTASCII_HAVE_X86_KERNELS
      return __builtin_cpu_supports("avx2");
#else
      return false;
#endif
    case MapKernel::kAvx512Vbmi:
#ifdef GSTASCII_HAVE_X86_KERNELS
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vbmi");
#else
      return false;
#endif
  }
  return false;
}

MapKernel best_map_kernel() {
  static const MapKernel best = map_kernel_supported(MapKernel::kAvx512Vbmi) ? MapKernel::kAvx512Vbmi
                                : map_kernel_supported(MapKernel::kAvx2)     ? MapKernel::kAvx2
                                                                             : MapKernel::kScalar;
  return best;
}

const char* map_kernel_name(MapKernel kernel) {
  switch (kernel) {
    case MapKernel::kAvx2: return "avx2";
    case MapKernel::kAvx512Vbmi: return "avx512vbmi";
    default: return "scalar";
  }
}

void map_bgr_to_cells(MapKernel kernel, const std::uint8_t* bgr, std::size_t count, const CharTable& table,
                      std::uint8_t colour_mask, std::uint8_t* out) {
#ifdef GSTASCII_HAVE_X86_KERNELS
  if (kernel == MapKernel::kAvx512Vbmi && map_kernel_supported(kernel)) {
    map_avx512vbmi(bgr, count, table, colour_mask, out);
    return;
  }
  if (kernel == MapKernel::kAvx2 && map_kernel_supported(kernel)) {
    map_avx2(bgr, count, table, colour_mask, out);
    return;
  }
#endif
  (void)kernel;
  map_scalar(bgr, count, table, colour_mask, out);
}

void map_bgr_to_cells(const std::uint8_t* bgr, std::size_t count, const CharTable& table, std::uint8_t colour_mask,
                      std::uint8_t* out) {
  map_bgr_to_cells(best_map_kernel(), bgr, count, table, colour_mask, out);
}

}  // namespace gstascii
