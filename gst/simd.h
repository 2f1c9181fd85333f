// gst-ascii core: the instruction sets the hot loops are compiled for. The same code is built for
// each (integer arithmetic, so every build gives the same bytes) and the best the CPU has is used
// unless a test asks for another.
// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

namespace gstascii {

enum class SimdLevel {
  kPortable,  // x86-64 baseline (or any other CPU)
  kAvx2,      // AVX2, POPCNT, BMI1/2
  kAvx512,    // AVX-512 (F, BW, VL, DQ, VPOPCNTDQ, VNNI)
};

bool simd_level_supported(SimdLevel level);
SimdLevel best_simd_level();
const char* simd_level_name(SimdLevel level);

}  // namespace gstascii

// Function attributes for the builds of a kernel.
#if defined(__x86_64__)
#define GSTASCII_TARGET_AVX2 __attribute__((target("avx2,popcnt,bmi,bmi2")))
#define GSTASCII_TARGET_AVX512 \
  __attribute__((target("avx2,popcnt,bmi,bmi2,avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq,avx512vnni")))
#endif
