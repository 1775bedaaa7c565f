// 4 pixels x 16 output channels per step on NEON: 16 q-register accumulators, each input
// channel broadcast from its slot.
#include <arm_neon.h>

#include "kernels/f32-pwconv/pwconv.h"

static void store_row(float* out, const uint32_t* slots, size_t first, size_t n, float32x4_t v) {
  const size_t count = n - first < 4 ? n - first : 4;
  if (!slots && count == 4) {
    vst1q_f32(out + first, v);
    return;
  }
  float lanes[4];
  vst1q_f32(lanes, v);
  for (size_t j = 0; j < count; j++) out[slots ? slots[first + j] : first + j] = lanes[j];
}

void sn2_f32_pwconv_minmax_ukernel_4x16__neon(
    size_t rows, size_t k, size_t n, const float* const* input_rows, const uint32_t* input_slots,
    const float* packed, float* const* output_rows, const uint32_t* output_slots,
    const struct sn2_f32_minmax_params* params) {
  const float* i0 = input_rows[0];
  const float* i1 = input_rows[rows > 1 ? 1 : 0];
  const float* i2 = input_rows[rows > 2 ? 2 : 0];
  const float* i3 = input_rows[rows > 3 ? 3 : 0];
  const float32x4_t vmin = vdupq_n_f32(params->min), vmax = vdupq_n_f32(params->max);
  for (size_t first = 0; first < n; first += 16) {
    const float* w = packed + (first / 16) * 16 * (k + 1);
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
    for (size_t r = 0; r < rows; r++) {
      for (size_t v = 0; v < 4 && first + 4 * v < n; v++) {
        store_row(output_rows[r], output_slots, first + 4 * v, n, vminq_f32(vmaxq_f32(a[r][v], vmin), vmax));
      }
    }
  }
}
