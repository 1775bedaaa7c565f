// 4 channels per block on NEON: 9 weight vectors and the bias in registers along an output row.
// A tail block (fewer than 4 channels) goes through a zero-padded copy of each input pixel, so
// nothing past the channels is read or written.
#include <arm_neon.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

static float32x4_t load(const float* p, size_t count, int valid) {
  if (!valid) return vdupq_n_f32(0.0f);
  if (count == 4) return vld1q_f32(p);
  float lanes[4] = {0, 0, 0, 0};
  for (size_t j = 0; j < count; j++) lanes[j] = p[j];
  return vld1q_f32(lanes);
}

static void compute_row(const struct sn2_dwconv2d_problem* p, size_t block, size_t row) {
  const size_t c0 = block * 4;
  const size_t count = p->channels - c0 < 4 ? p->channels - c0 : 4;
  const float* w = p->packed + block * 40;
  float32x4_t wk[9];
  for (int t = 0; t < 9; t++) wk[t] = vld1q_f32(w + 4 * t);
  const float32x4_t bias = vld1q_f32(w + 36);
  const float32x4_t vmin = vdupq_n_f32(p->params.min), vmax = vdupq_n_f32(p->params.max);
  const size_t n = row / p->out_h, oy = row % p->out_h;
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * p->stride) - (ptrdiff_t)p->pad_top;
  float* out = p->output + ((n * p->out_h + oy) * p->out_w) * p->output_stride + c0;
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * p->stride) - (ptrdiff_t)p->pad_left;
    float32x4_t acc = bias;
    for (int ky = 0; ky < 3; ky++) {
      const ptrdiff_t iy = iy0 + ky;
      if (iy < 0 || iy >= (ptrdiff_t)p->in_h) continue;
      const float* r = p->input + ((n * p->in_h + (size_t)iy) * p->in_w) * p->input_stride + c0;
      for (int kx = 0; kx < 3; kx++) {
        const ptrdiff_t ix = ix0 + kx;
        const int valid = ix >= 0 && ix < (ptrdiff_t)p->in_w;
        acc = vfmaq_f32(acc, load(r + (valid ? ix : 0) * (ptrdiff_t)p->input_stride, count, valid), wk[ky * 3 + kx]);
      }
    }
    acc = vminq_f32(vmaxq_f32(acc, vmin), vmax);
    if (count == 4) {
      vst1q_f32(out, acc);
    } else {
      float lanes[4];
      vst1q_f32(lanes, acc);
      for (size_t j = 0; j < count; j++) out[j] = lanes[j];
    }
  }
}

void sn2_f32_dwconv2d_3x3_minmax_ukernel_4c__neon(const struct sn2_dwconv2d_problem* p,
                                                  size_t first_block, size_t blocks, size_t row, size_t rows) {
  for (size_t block = first_block; block < first_block + blocks; block++)
    for (size_t r = row; r < row + rows; r++) compute_row(p, block, r);
}
