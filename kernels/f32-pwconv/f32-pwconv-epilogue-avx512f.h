// The epilogue the AVX-512 1x1 kernels share where they add a residual in place
// (sn2_f32_pwconv_params.accumulate). Included only by files built with AVX-512 flags.
#ifndef SN2_KERNELS_F32_PWCONV_EPILOGUE_AVX512F_H
#define SN2_KERNELS_F32_PWCONV_EPILOGUE_AVX512F_H

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>

// One vector of a run for 7 rows: each row's sums plus the values its lanes `mask` hold at
// rows[r] + offset, clamped, stored back there. All seven loads come before the first store:
// tail rows repeat the last pixel, and must all read its prior value.
static inline void sn2_pwconv_add_store_7_avx512f(float* const* rows, ptrdiff_t offset, __mmask16 mask,
                                                  const __m512 sums[7], __m512 vmin, __m512 vmax,
                                                  bool clamp_max) {
  __m512 v[7];
  for (int r = 0; r < 7; r++) v[r] = _mm512_add_ps(sums[r], _mm512_maskz_loadu_ps(mask, rows[r] + offset));
  for (int r = 0; r < 7; r++) {
    v[r] = _mm512_max_ps(v[r], vmin);
    if (clamp_max) v[r] = _mm512_min_ps(v[r], vmax);
  }
  for (int r = 0; r < 7; r++) _mm512_mask_storeu_ps(rows[r] + offset, mask, v[r]);
}

#endif  // SN2_KERNELS_F32_PWCONV_EPILOGUE_AVX512F_H
