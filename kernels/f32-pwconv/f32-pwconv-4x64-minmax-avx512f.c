// 4 pixels x 64 output channels per step: 16 zmm accumulators, each input channel broadcast
// from its slot (an indexed vbroadcastss costs the same as a plain one).
#include <immintrin.h>

#include "kernels/f32-pwconv/pwconv.h"

static void store_row(float* out, const uint32_t* slots, size_t first, size_t n, __m512 v) {
  const size_t count = n - first < 16 ? n - first : 16;
  if (!slots) {
    _mm512_mask_storeu_ps(out + first, (__mmask16)((1u << count) - 1u), v);
    return;
  }
  const __mmask16 mask = (__mmask16)((1u << count) - 1u);
  const __m512i index = _mm512_maskz_loadu_epi32(mask, slots + first);
  _mm512_mask_i32scatter_ps(out, mask, index, v, 4);
}

void sn2_f32_pwconv_minmax_ukernel_4x64__avx512f(
    size_t rows, size_t k, size_t n, const float* const* input_rows, const uint32_t* input_slots,
    const float* packed, float* const* output_rows, const uint32_t* output_slots,
    const struct sn2_f32_minmax_params* params) {
  const float* i0 = input_rows[0];
  const float* i1 = input_rows[rows > 1 ? 1 : 0];
  const float* i2 = input_rows[rows > 2 ? 2 : 0];
  const float* i3 = input_rows[rows > 3 ? 3 : 0];
  const __m512 vmin = _mm512_set1_ps(params->min), vmax = _mm512_set1_ps(params->max);
  for (size_t first = 0; first < n; first += 64) {
    const float* w = packed + (first / 64) * 64 * (k + 1);
    __m512 a00 = _mm512_loadu_ps(w), a01 = _mm512_loadu_ps(w + 16);
    __m512 a02 = _mm512_loadu_ps(w + 32), a03 = _mm512_loadu_ps(w + 48);
    __m512 a10 = a00, a11 = a01, a12 = a02, a13 = a03;
    __m512 a20 = a00, a21 = a01, a22 = a02, a23 = a03;
    __m512 a30 = a00, a31 = a01, a32 = a02, a33 = a03;
    w += 64;
    for (size_t q = 0; q < k; q++, w += 64) {
      const uint32_t s = input_slots[q];
      const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16);
      const __m512 w2 = _mm512_loadu_ps(w + 32), w3 = _mm512_loadu_ps(w + 48);
      const __m512 x0 = _mm512_set1_ps(i0[s]), x1 = _mm512_set1_ps(i1[s]);
      const __m512 x2 = _mm512_set1_ps(i2[s]), x3 = _mm512_set1_ps(i3[s]);
      a00 = _mm512_fmadd_ps(x0, w0, a00), a01 = _mm512_fmadd_ps(x0, w1, a01);
      a02 = _mm512_fmadd_ps(x0, w2, a02), a03 = _mm512_fmadd_ps(x0, w3, a03);
      a10 = _mm512_fmadd_ps(x1, w0, a10), a11 = _mm512_fmadd_ps(x1, w1, a11);
      a12 = _mm512_fmadd_ps(x1, w2, a12), a13 = _mm512_fmadd_ps(x1, w3, a13);
      a20 = _mm512_fmadd_ps(x2, w0, a20), a21 = _mm512_fmadd_ps(x2, w1, a21);
      a22 = _mm512_fmadd_ps(x2, w2, a22), a23 = _mm512_fmadd_ps(x2, w3, a23);
      a30 = _mm512_fmadd_ps(x3, w0, a30), a31 = _mm512_fmadd_ps(x3, w1, a31);
      a32 = _mm512_fmadd_ps(x3, w2, a32), a33 = _mm512_fmadd_ps(x3, w3, a33);
    }
    __m512 acc[4][4] = {{a00, a01, a02, a03}, {a10, a11, a12, a13},
                        {a20, a21, a22, a23}, {a30, a31, a32, a33}};
    for (size_t r = 0; r < rows; r++) {
      for (size_t v = 0; v < 4 && first + 16 * v < n; v++) {
        const __m512 y = _mm512_min_ps(_mm512_max_ps(acc[r][v], vmin), vmax);
        store_row(output_rows[r], output_slots, first + 16 * v, n, y);
      }
    }
  }
}
