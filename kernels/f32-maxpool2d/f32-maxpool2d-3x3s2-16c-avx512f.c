// 16 channels per vector, two vectors per pixel visit; along an output row each input column's max over the window's three
// rows is taken once and shared by the two windows that hold it (stride 2: column 2 of one
// window is column 0 of the next), so an output costs 6 loads and 6 max per vector. Full
// vectors load without a mask (a zero-masked load takes a slot on the ports the max ops use).
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/f32-maxpool2d/maxpool2d.h"

static inline __m512 load(const float* at, __mmask16 mask, bool full) {
  return full ? _mm512_loadu_ps(at) : _mm512_maskz_loadu_ps(mask, at);
}

// One output row for up to 32 channels at `c` (rows[] already point at them): two vectors per
// pixel in one sweep, so a 24-channel pixel's 96 bytes are read together (two sweeps over the
// rows, one per vector, took 1.3x the time at 24 channels). mask1: the second vector's
// channels (0: none).
static inline void pool_row(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                            float* out, __mmask16 mask0, __mmask16 mask1, bool full0, bool two,
                            bool full1) {
  const size_t stride = p->input_stride;
#define COLUMN(x, offset, mask, full)                                                         \
  _mm512_max_ps(_mm512_max_ps(load(rows[0] + (x) * stride + (offset), mask, full),            \
                              load(rows[1] + (x) * stride + (offset), mask, full)),           \
                load(rows[2] + (x) * stride + (offset), mask, full))
  const size_t x0 = sn2_maxpool2d_clamp_index(-(ptrdiff_t)p->pad_left, p->in_w);
  __m512 left0 = COLUMN(x0, 0, mask0, full0);
  __m512 left1 = two ? COLUMN(x0, 16, mask1, full1) : _mm512_setzero_ps();
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * 2) - (ptrdiff_t)p->pad_left;
    const size_t xm = sn2_maxpool2d_clamp_index(ix0 + 1, p->in_w), xr = sn2_maxpool2d_clamp_index(ix0 + 2, p->in_w);
    const __m512 right0 = COLUMN(xr, 0, mask0, full0);
    _mm512_mask_storeu_ps(out, mask0, _mm512_max_ps(_mm512_max_ps(left0, COLUMN(xm, 0, mask0, full0)), right0));
    left0 = right0;
    if (two) {
      const __m512 right1 = COLUMN(xr, 16, mask1, full1);
      _mm512_mask_storeu_ps(out + 16, mask1, _mm512_max_ps(_mm512_max_ps(left1, COLUMN(xm, 16, mask1, full1)), right1));
      left1 = right1;
    }
  }
#undef COLUMN
}

void sn2_f32_maxpool2d_3x3s2_row_16c__avx512f(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                                               float* out) {
  for (size_t c = 0; c < p->channels; c += 32) {
    const float* const at[3] = {rows[0] + c, rows[1] + c, rows[2] + c};
    const size_t left = p->channels - c;
    if (left >= 32) {
      pool_row(p, at, out + c, 0xFFFF, 0xFFFF, true, true, true);
    } else if (left > 16) {
      pool_row(p, at, out + c, 0xFFFF, (__mmask16)((1u << (left - 16)) - 1u), true, true, false);
    } else if (left == 16) {
      pool_row(p, at, out + c, 0xFFFF, 0, true, false, false);
    } else {
      pool_row(p, at, out + c, (__mmask16)((1u << left) - 1u), 0, false, false, false);
    }
  }
}
