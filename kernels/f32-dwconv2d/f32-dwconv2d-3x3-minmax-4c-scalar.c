// 4 channels per block in portable C (no ISA flags): the depthwise kernel of the scalar path.
// Each output pixel's 4 accumulators take the 9 taps in the order the SIMD kernels do (bias,
// then row by row, column by column); taps in the padding are skipped, not multiplied by zero.
#include <stdbool.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

enum { CB = 4 };

static void compute_row(const struct sn2_dwconv2d_problem* p, size_t block, size_t row) {
  const size_t c0 = block * CB;
  const size_t count = p->channels - c0 < CB ? p->channels - c0 : CB;
  const float* w = p->packed + block * 10 * CB;
  const size_t n = row / p->out_h, oy = row % p->out_h;
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * p->stride) - (ptrdiff_t)p->pad_top;
  float* out = p->output + ((n * p->out_h + oy) * p->out_w) * p->output_stride + c0;
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * p->stride) - (ptrdiff_t)p->pad_left;
    float acc[CB];
    for (size_t j = 0; j < CB; j++) acc[j] = w[9 * CB + j];
    // A whole block whose window lies inside the row: no column checks, fixed trip counts.
    const bool inside = count == CB && ix0 >= 0 && ix0 + 2 < (ptrdiff_t)p->in_w;
    for (int ky = 0; ky < 3; ky++) {
      const ptrdiff_t iy = iy0 + ky;
      if (iy < 0 || iy >= (ptrdiff_t)p->in_h) continue;
      const float* in_row = p->input + ((n * p->in_h + (size_t)iy) * p->in_w) * p->input_stride + c0;
      if (inside) {
        const float* x = in_row + (size_t)ix0 * p->input_stride;
        const float* tap = w + ky * 3 * CB;
        for (size_t kx = 0; kx < 3; kx++)
          for (size_t j = 0; j < CB; j++) acc[j] += x[kx * p->input_stride + j] * tap[kx * CB + j];
        continue;
      }
      for (int kx = 0; kx < 3; kx++) {
        const ptrdiff_t ix = ix0 + kx;
        if (ix < 0 || ix >= (ptrdiff_t)p->in_w) continue;
        const float* x = in_row + (size_t)ix * p->input_stride;
        const float* tap = w + (ky * 3 + kx) * CB;
        // Only the block's channels are read: a tail block's pixel may end the buffer. A whole
        // block's fixed count lets the compiler keep the four sums in one vector register.
        if (count == CB) {
          for (size_t j = 0; j < CB; j++) acc[j] += x[j] * tap[j];
        } else {
          for (size_t j = 0; j < count; j++) acc[j] += x[j] * tap[j];
        }
      }
    }
    for (size_t j = 0; j < count; j++) {
      const float v = acc[j] > p->params.min ? acc[j] : p->params.min;  // NaN: the bound, as SIMD max
      out[j] = v < p->params.max ? v : p->params.max;
    }
  }
}

void sn2_f32_dwconv2d_3x3_minmax_ukernel_4c__scalar(const struct sn2_dwconv2d_problem* p,
                                                    size_t first_block, size_t blocks, size_t row, size_t rows) {
  for (size_t block = first_block; block < first_block + blocks; block++)
    for (size_t r = row; r < row + rows; r++) compute_row(p, block, r);
}
