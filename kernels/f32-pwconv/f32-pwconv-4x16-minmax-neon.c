// 4 pixels x 16 output channels per step on NEON: 16 q-register accumulators, each input
// channel broadcast from its slot.
#include <arm_neon.h>

#include "kernels/f32-pwconv/pwconv.h"

// Lanes of `v` (channels 4 * quarter .. 4 * quarter + 3 of the block) that fall in `run`,
// stored at the run's offset, clamped; with `accumulate`, added to what those lanes hold there
// first.
static void store_run(float* out, const struct sn2_pwconv_run* run, int quarter, float32x4_t v, bool accumulate,
                      float32x4_t vmin, float32x4_t vmax) {
  const int first = 4 * quarter, begin = (int)run->begin, end = (int)run->end;
  const int lo = begin > first ? begin : first, hi = end < first + 4 ? end : first + 4;
  if (lo >= hi) return;
  float* dest = out + run->offset + (lo - begin);
  if (lo == first && hi == first + 4) {
    if (accumulate) v = vaddq_f32(v, vld1q_f32(dest));
    vst1q_f32(dest, vminq_f32(vmaxq_f32(v, vmin), vmax));
    return;
  }
  float lanes[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  if (accumulate) {
    for (int j = lo; j < hi; j++) lanes[j - first] = dest[j - lo];
    v = vaddq_f32(v, vld1q_f32(lanes));
  }
  vst1q_f32(lanes, vminq_f32(vmaxq_f32(v, vmin), vmax));
  for (int j = lo; j < hi; j++) dest[j - lo] = lanes[j - first];
}

void sn2_f32_pwconv_minmax_ukernel_4x16__neon(
    size_t rows, size_t k, size_t n, const float* const* input_rows, const uint32_t* input_slots,
    const float* packed, float* const* output_rows, const struct sn2_pwconv_run* runs,
    size_t run_count, const void* prefetch, const struct sn2_f32_pwconv_params* params) {
  (void)n;         // the runs say which channels are stored
  (void)prefetch;  // not measured on this path yet
  const float* i0 = input_rows[0];
  const float* i1 = input_rows[rows > 1 ? 1 : 0];
  const float* i2 = input_rows[rows > 2 ? 2 : 0];
  const float* i3 = input_rows[rows > 3 ? 3 : 0];
  const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
  const float* w = packed;
  float32x4_t a[4][4];
  for (int v = 0; v < 4; v++) a[0][v] = a[1][v] = a[2][v] = a[3][v] = vld1q_f32(w + 4 * v);
  w += 16;
  for (size_t q = 0; q < k; q++, w += 16) {
    const uint32_t s = input_slots[q];
    const float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4), w2 = vld1q_f32(w + 8), w3 = vld1q_f32(w + 12);
    const float x[4] = {i0[s], i1[s], i2[s], i3[s]};
    for (int r = 0; r < 4; r++) {
      a[r][0] = vfmaq_n_f32(a[r][0], w0, x[r]);
      a[r][1] = vfmaq_n_f32(a[r][1], w1, x[r]);
      a[r][2] = vfmaq_n_f32(a[r][2], w2, x[r]);
      a[r][3] = vfmaq_n_f32(a[r][3], w3, x[r]);
    }
  }
  // Only the `rows` distinct pixels: each stores once (an accumulating store reads its pixel's
  // prior value).
  for (size_t r = 0; r < rows; r++) {
    for (int v = 0; v < 4; v++) {
      for (size_t i = 0; i < run_count; i++) store_run(output_rows[r], &runs[i], v, a[r][v], params->accumulate, vmin, vmax);
    }
  }
}
