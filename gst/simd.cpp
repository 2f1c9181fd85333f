// SPDX-License-Identifier: LGPL-2.1-or-later
#include "simd.h"

#include <initializer_list>

namespace gstascii {

bool simd_level_supported(SimdLevel level) {
  switch (level) {
    case SimdLevel::kPortable: return true;
#if defined(__x86_64__)
    case SimdLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") && __builtin_cpu_supports("bmi") &&
             __builtin_cpu_supports("bmi2");
    case SimdLevel::kAvx512:
      return simd_level_supported(SimdLevel::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vpopcntdq") &&
             __builtin_cpu_supports("avx512vnni");
#endif
    default: return false;
  }
}

SimdLevel best_simd_level() {
  static const SimdLevel best = [] {
    for (SimdLevel level : {SimdLevel::kAvx512, SimdLevel::kAvx2}) {
      if (simd_level_supported(level)) return level;
    }
    return SimdLevel::kPortable;
  }();
  return best;
}

const char* simd_level_name(SimdLevel level) {
  switch (level) {
    case SimdLevel::kPortable: return "portable";
    case SimdLevel::kAvx2: return "avx2";
    case SimdLevel::kAvx512: return "avx512";
  }
  return "?";
}

}  // namespace gstascii
