// 4 pixels x 16 output channels per step: 8 ymm accumulators, input channels broadcast from
// their slots.
#include <immintrin.h>

#include "kernels/f32-pwconv/pwconv.h"

static void store_row(float* out, const uint32_t* slots, size_t first, size_t n, __m256 v) {
  const size_t count = n - first < 8 ? n - first : 8;
  float lanes[8];
  _mm256_storeu_ps(lanes, v);
  if (!slots && count == 8) {
    _mm256_storeu_ps(out + first, v);
    return;
  }
  for (size_t j = 0; j < count; j++) out[slots ? slots[first + j] : first + j] = lanes[j];
}

void sn2_f32_pwconv_minmax_ukernel_4x16__avx2(
    size_t rows, size_t k, size_t n, const float* const* input_rows, const uint32_t* input_slots,
    const float* packed, float* const* output_rows, const uint32_t* output_slots,
    const struct sn2_f32_minmax_params* params) {
  const float* i0 = input_rows[0];
  const float* i1 = input_rows[rows > 1 ? 1 : 0];
  const float* i2 = input_rows[rows > 2 ? 2 : 0];
  const float* i3 = input_rows[rows > 3 ? 3 : 0];
  const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
  for (size_t first = 0; first < n; first += 16) {
    const float* w = packed + (first / 16) * 16 * (k + 1);
    __m256 a00 = _mm256_loadu_ps(w), a01 = _mm256_loadu_ps(w + 8);
    __m256 a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
    w += 16;
    for (size_t q = 0; q < k; q++, w += 16) {
      const uint32_t s = input_slots[q];
      const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
      const __m256 x0 = _mm256_broadcast_ss(i0 + s), x1 = _mm256_broadcast_ss(i1 + s);
      const __m256 x2 = _mm256_broadcast_ss(i2 + s), x3 = _mm256_broadcast_ss(i3 + s);
      a00 = _mm256_fmadd_ps(x0, w0, a00), a01 = _mm256_fmadd_ps(x0, w1, a01);
      a10 = _mm256_fmadd_ps(x1, w0, a10), a11 = _mm256_fmadd_ps(x1, w1, a11);
      a20 = _mm256_fmadd_ps(x2, w0, a20), a21 = _mm256_fmadd_ps(x2, w1, a21);
      a30 = _mm256_fmadd_ps(x3, w0, a30), a31 = _mm256_fmadd_ps(x3, w1, a31);
    }
    __m256 acc[4][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}};
    for (size_t r = 0; r < rows; r++) {
      for (size_t v = 0; v < 2 && first + 8 * v < n; v++) {
        const __m256 y = _mm256_min_ps(_mm256_max_ps(acc[r][v], vmin), vmax);
        store_row(output_rows[r], output_slots, first + 8 * v, n, y);
      }
    }
  }
}
