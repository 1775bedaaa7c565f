// One channel at a time in portable C (no ISA flags): the scalar path's max pool. Each output is
// the max of its window's three column maxima, taken in the AVX-512 kernel's order (rows 0, 1,
// 2 within a column, then columns left to right); max keeps the second operand when either is
// NaN, as the vector max does, so both paths give the same bits.
#include "kernels/f32-maxpool2d/maxpool2d.h"

static inline float max2(float a, float b) { return a > b ? a : b; }

void sn2_f32_maxpool2d_3x3s2_row_1c__scalar(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                                             float* out) {
  const size_t stride = p->input_stride;
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * 2) - (ptrdiff_t)p->pad_left;
    const size_t x[3] = {sn2_maxpool2d_clamp_index(ix0, p->in_w), sn2_maxpool2d_clamp_index(ix0 + 1, p->in_w),
                         sn2_maxpool2d_clamp_index(ix0 + 2, p->in_w)};
    for (size_t c = 0; c < p->channels; c++) {
      float m = 0.0f;
      for (int k = 0; k < 3; k++) {
        const size_t at = x[k] * stride + c;
        const float column = max2(max2(rows[0][at], rows[1][at]), rows[2][at]);
        m = k == 0 ? column : max2(m, column);
      }
      out[c] = m;
    }
  }
}
