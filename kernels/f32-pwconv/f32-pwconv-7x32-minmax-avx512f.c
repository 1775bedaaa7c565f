// 7 pixels x 32 output channels per step: 14 zmm accumulators, each input channel broadcast
// from its slot (an indexed vbroadcastss costs the same as a plain one). Why 7 x 32: a block's
// packed weights (k x 32 floats) stay in L1 up to k = 352 while every pixel passes; 32-wide
// blocks waste fewer lanes than 64-wide ones on ShuffleNet's 24-, 48- and 88-channel layers;
// and 7 rows divide the 56/28/14/7-pixel rows of a 224x224 input, so no tile computes
// duplicate rows. It replaced a 4x64 kernel: 0.82-0.92x the network's time (docs/performance.md).
#include <immintrin.h>
#include <math.h>

#include "kernels/f32-pwconv/f32-pwconv-epilogue-avx512f.h"
#include "kernels/f32-pwconv/pwconv.h"

void sn2_f32_pwconv_minmax_ukernel_7x32__avx512f(
    size_t rows, size_t k, size_t n, const float* const* input_rows, const uint32_t* input_slots,
    const float* packed, float* const* output_rows, const struct sn2_pwconv_run* runs,
    size_t run_count, const void* prefetch, const struct sn2_f32_pwconv_params* params) {
  (void)rows;  // tail rows repeat the last pixel: they recompute and rewrite its own values
  const float* i0 = input_rows[0];
  const float* i1 = input_rows[1];
  const float* i2 = input_rows[2];
  const float* i3 = input_rows[3];
  const float* i4 = input_rows[4];
  const float* i5 = input_rows[5];
  const float* i6 = input_rows[6];
  const float* w = packed;
  __m512 a00 = _mm512_loadu_ps(w), a01 = _mm512_loadu_ps(w + 16);
  __m512 a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01;
  __m512 a40 = a00, a41 = a01, a50 = a00, a51 = a01, a60 = a00, a61 = a01;
  w += 32;
  // A prefetch never faults, so the NULL case costs nothing but a dead line request.
  const char* line = prefetch ? (const char*)prefetch : (const char*)packed;
  const size_t line_step = prefetch ? 64 : 0;
  // One input channel; two per loop iteration, so that the loop's own instructions compete less
  // with the FMAs (x1.5: 0.98x the time of one per iteration, docs/performance.md).
#define SN2_STEP(V)                                                                       \
  do {                                                                                    \
    _mm_prefetch(line, _MM_HINT_T1);                                                      \
    const uint32_t s = input_slots[q];                                                    \
    const __m512 w0 = _mm512_loadu_ps(w);                                                 \
    const __m512 w1 = V > 1 ? _mm512_loadu_ps(w + 16) : w0;                               \
    __m512 x = _mm512_set1_ps(i0[s]);                                                     \
    a00 = _mm512_fmadd_ps(x, w0, a00), a01 = V > 1 ? _mm512_fmadd_ps(x, w1, a01) : a01;   \
    x = _mm512_set1_ps(i1[s]);                                                            \
    a10 = _mm512_fmadd_ps(x, w0, a10), a11 = V > 1 ? _mm512_fmadd_ps(x, w1, a11) : a11;   \
    x = _mm512_set1_ps(i2[s]);                                                            \
    a20 = _mm512_fmadd_ps(x, w0, a20), a21 = V > 1 ? _mm512_fmadd_ps(x, w1, a21) : a21;   \
    x = _mm512_set1_ps(i3[s]);                                                            \
    a30 = _mm512_fmadd_ps(x, w0, a30), a31 = V > 1 ? _mm512_fmadd_ps(x, w1, a31) : a31;   \
    x = _mm512_set1_ps(i4[s]);                                                            \
    a40 = _mm512_fmadd_ps(x, w0, a40), a41 = V > 1 ? _mm512_fmadd_ps(x, w1, a41) : a41;   \
    x = _mm512_set1_ps(i5[s]);                                                            \
    a50 = _mm512_fmadd_ps(x, w0, a50), a51 = V > 1 ? _mm512_fmadd_ps(x, w1, a51) : a51;   \
    x = _mm512_set1_ps(i6[s]);                                                            \
    a60 = _mm512_fmadd_ps(x, w0, a60), a61 = V > 1 ? _mm512_fmadd_ps(x, w1, a61) : a61;   \
    q++, w += 32, line += line_step;                                                      \
  } while (0)
#define SN2_LOOP(V)                                                                       \
  do {                                                                                    \
    for (; q + 2 <= k;) {                                                                 \
      SN2_STEP(V);                                                                        \
      SN2_STEP(V);                                                                        \
    }                                                                                     \
    if (q < k) SN2_STEP(V);                                                               \
  } while (0)
  size_t q = 0;
  // Only the vectors holding channels of this block: a layer's last block, where its width is
  // not a multiple of 32, computes 16 lanes instead of 32.
  if (n > 16) {
    SN2_LOOP(2);
  } else {
    SN2_LOOP(1);
  }
#undef SN2_LOOP
#undef SN2_STEP
  // The min only where there is an upper bound: ReLU (every ShuffleNet 1x1 conv) has none,
  // and max-then-min is the same clamp, NaN included, with 7 x 2 fewer ops on the FMA ports.
  const __m512 vmin = _mm512_set1_ps(params->min), vmax = _mm512_set1_ps(params->max);
  if (params->accumulate) {
    const __m512 v0[7] = {a00, a10, a20, a30, a40, a50, a60}, v1[7] = {a01, a11, a21, a31, a41, a51, a61};
    const bool clamp_max = params->max != INFINITY;
    for (size_t i = 0; i < run_count; i++) {
      const int begin = (int)runs[i].begin, end = (int)runs[i].end;
      const ptrdiff_t shift = (ptrdiff_t)runs[i].offset - begin;
      const __mmask16 m0 = sn2_lanes16(begin, end), m1 = sn2_lanes16(begin - 16, end - 16);
      if (m0) sn2_pwconv_add_store_7_avx512f(output_rows, shift, m0, v0, vmin, vmax, clamp_max);
      if (m1) sn2_pwconv_add_store_7_avx512f(output_rows, shift + 16, m1, v1, vmin, vmax, clamp_max);
    }
    return;
  }
#define SN2_MAX(a) a = _mm512_max_ps(a, vmin)
  SN2_MAX(a00), SN2_MAX(a01), SN2_MAX(a10), SN2_MAX(a11), SN2_MAX(a20), SN2_MAX(a21);
  SN2_MAX(a30), SN2_MAX(a31), SN2_MAX(a40), SN2_MAX(a41), SN2_MAX(a50), SN2_MAX(a51);
  SN2_MAX(a60), SN2_MAX(a61);
#undef SN2_MAX
  if (params->max != INFINITY) {
#define SN2_MIN(a) a = _mm512_min_ps(a, vmax)
    SN2_MIN(a00), SN2_MIN(a01), SN2_MIN(a10), SN2_MIN(a11), SN2_MIN(a20), SN2_MIN(a21);
    SN2_MIN(a30), SN2_MIN(a31), SN2_MIN(a40), SN2_MIN(a41), SN2_MIN(a50), SN2_MIN(a51);
    SN2_MIN(a60), SN2_MIN(a61);
#undef SN2_MIN
  }
  // Each run is stored from both vectors, shifted so that its first channel lands on its
  // offset; lanes outside the run are masked off (masked lanes are never accessed).
  for (size_t i = 0; i < run_count; i++) {
    const int begin = (int)runs[i].begin, end = (int)runs[i].end;
    const __mmask16 m0 = sn2_lanes16(begin, end), m1 = sn2_lanes16(begin - 16, end - 16);
    const ptrdiff_t shift = (ptrdiff_t)runs[i].offset - begin;
    // A vector with no lane in the run stores nothing (a store with an empty mask still issues).
    if (m0) {
      _mm512_mask_storeu_ps(output_rows[0] + shift, m0, a00);
      _mm512_mask_storeu_ps(output_rows[1] + shift, m0, a10);
      _mm512_mask_storeu_ps(output_rows[2] + shift, m0, a20);
      _mm512_mask_storeu_ps(output_rows[3] + shift, m0, a30);
      _mm512_mask_storeu_ps(output_rows[4] + shift, m0, a40);
      _mm512_mask_storeu_ps(output_rows[5] + shift, m0, a50);
      _mm512_mask_storeu_ps(output_rows[6] + shift, m0, a60);
    }
    if (m1) {
      _mm512_mask_storeu_ps(output_rows[0] + shift + 16, m1, a01);
      _mm512_mask_storeu_ps(output_rows[1] + shift + 16, m1, a11);
      _mm512_mask_storeu_ps(output_rows[2] + shift + 16, m1, a21);
      _mm512_mask_storeu_ps(output_rows[3] + shift + 16, m1, a31);
      _mm512_mask_storeu_ps(output_rows[4] + shift + 16, m1, a41);
      _mm512_mask_storeu_ps(output_rows[5] + shift + 16, m1, a51);
      _mm512_mask_storeu_ps(output_rows[6] + shift + 16, m1, a61);
    }
  }
}
