// 6 pixels x 16 output channels per step: 12 ymm accumulators, input channels broadcast from
// their slots. Per input channel 12 FMAs beside 8 loads (two weight vectors, six broadcasts),
// where a 4-pixel tile issued 8 beside 6: the FMA ports, not the loads, set the pace. Twelve
// accumulators, two weight vectors and a broadcast fill 15 of the 16 ymm registers.
#include <immintrin.h>

#include "kernels/f32-pwconv/pwconv.h"

// Lanes of `v` (channels 8 * half .. 8 * half + 7 of the block) that fall in `run`, stored at
// the run's offset, clamped; with `accumulate`, added to what those lanes hold there first. The
// other lanes are masked off and never accessed. A run that holds all eight lanes (the usual
// case) stores without a mask: vmaskmovps costs several uops, felt where k is small.
static void store_run(float* out, const struct sn2_pwconv_run* run, int half, __m256 v, bool accumulate,
                      __m256 vmin, __m256 vmax) {
  if (run->begin <= 8u * half && run->end >= 8u * half + 8) {
    float* at = out + (ptrdiff_t)run->offset - (ptrdiff_t)run->begin + 8 * half;
    if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(at));
    _mm256_storeu_ps(at, _mm256_min_ps(_mm256_max_ps(v, vmin), vmax));
    return;
  }
  const __m256i lane = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(8 * half));
  const __m256i mask = _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int)run->begin - 1)),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32((int)run->end), lane));
  if (_mm256_testz_si256(mask, mask)) return;
  float* at = out + (ptrdiff_t)run->offset - (ptrdiff_t)run->begin + 8 * half;
  if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(at, mask));
  _mm256_maskstore_ps(at, mask, _mm256_min_ps(_mm256_max_ps(v, vmin), vmax));
}

void sn2_f32_pwconv_minmax_ukernel_6x16__avx2(
    size_t rows, size_t k, size_t n, const float* const* input_rows, const uint32_t* input_slots,
    const float* packed, float* const* output_rows, const struct sn2_pwconv_run* runs,
    size_t run_count, const void* prefetch, const struct sn2_f32_pwconv_params* params) {
  (void)n;         // the runs say which channels are stored
  (void)prefetch;  // not measured on this path yet
  const float* i0 = input_rows[0];
  const float* i1 = input_rows[1];
  const float* i2 = input_rows[2];
  const float* i3 = input_rows[3];
  const float* i4 = input_rows[4];
  const float* i5 = input_rows[5];
  const __m256 vmin = _mm256_set1_ps(params->min), vmax = _mm256_set1_ps(params->max);
  const float* w = packed;
  __m256 a00 = _mm256_loadu_ps(w), a01 = _mm256_loadu_ps(w + 8);
  __m256 a10 = a00, a11 = a01, a20 = a00, a21 = a01, a30 = a00, a31 = a01, a40 = a00, a41 = a01;
  __m256 a50 = a00, a51 = a01;
  w += 16;
  for (size_t q = 0; q < k; q++, w += 16) {
    const uint32_t s = input_slots[q];
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
    __m256 x = _mm256_broadcast_ss(i0 + s);
    a00 = _mm256_fmadd_ps(x, w0, a00), a01 = _mm256_fmadd_ps(x, w1, a01);
    x = _mm256_broadcast_ss(i1 + s);
    a10 = _mm256_fmadd_ps(x, w0, a10), a11 = _mm256_fmadd_ps(x, w1, a11);
    x = _mm256_broadcast_ss(i2 + s);
    a20 = _mm256_fmadd_ps(x, w0, a20), a21 = _mm256_fmadd_ps(x, w1, a21);
    x = _mm256_broadcast_ss(i3 + s);
    a30 = _mm256_fmadd_ps(x, w0, a30), a31 = _mm256_fmadd_ps(x, w1, a31);
    x = _mm256_broadcast_ss(i4 + s);
    a40 = _mm256_fmadd_ps(x, w0, a40), a41 = _mm256_fmadd_ps(x, w1, a41);
    x = _mm256_broadcast_ss(i5 + s);
    a50 = _mm256_fmadd_ps(x, w0, a50), a51 = _mm256_fmadd_ps(x, w1, a51);
  }
  // Only the `rows` distinct pixels: each stores once (an accumulating store reads its pixel's
  // prior value).
  __m256 acc[6][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < run_count; i++) {
      store_run(output_rows[r], &runs[i], 0, acc[r][0], params->accumulate, vmin, vmax);
      store_run(output_rows[r], &runs[i], 1, acc[r][1], params->accumulate, vmin, vmax);
    }
  }
}
