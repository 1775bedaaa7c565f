// 16 channels per block: 9 weight vectors and the bias in registers along an output row, the row
// in groups of 8 (stride 1) or 4 (stride 2) output pixels: independent accumulators hide the
// FMA latency and neighbouring outputs share their input columns.
#include <immintrin.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

// G output pixels whose windows start at column ix (stride S), the first `count` written to
// out, out + ostride, ... G and S are constants at each use, so the arrays live in registers.
// Columns outside [0, in_w) load as zeros under a zero mask (a masked-off lane is never
// accessed), so one group serves the row's edges too: no output goes alone, and a 7-wide row
// is one group of independent accumulators instead of a chain of single pixels.
#define GROUP(name, G, S)                                                                        \
  static inline void name(const float* const rows[3], ptrdiff_t ix, ptrdiff_t in_w,             \
                          ptrdiff_t stride, __mmask16 mask, const __m512 wk[9], __m512 bias,     \
                          __m512 vmin, __m512 vmax, float* out, size_t ostride, size_t count) {  \
    enum { COLUMNS = (G - 1) * S + 3 };                                                         \
    __mmask16 valid[COLUMNS];                                                                   \
    if (ix >= 0 && ix + COLUMNS <= in_w) {                                                      \
      for (int k = 0; k < COLUMNS; k++) valid[k] = mask;                                        \
    } else {                                                                                    \
      for (int k = 0; k < COLUMNS; k++) valid[k] = ix + k >= 0 && ix + k < in_w ? mask : 0;    \
    }                                                                                           \
    __m512 acc[G];                                                                              \
    for (int j = 0; j < G; j++) acc[j] = bias;                                                  \
    for (int ky = 0; ky < 3; ky++) {                                                            \
      if (!rows[ky]) continue;                                                                  \
      const float* r = rows[ky];                                                                \
      __m512 col[COLUMNS];                                                                      \
      for (int k = 0; k < COLUMNS; k++) col[k] = _mm512_maskz_loadu_ps(valid[k], r + (ix + k) * stride); \
      for (int j = 0; j < G; j++) {                                                             \
        acc[j] = _mm512_fmadd_ps(col[j * S], wk[ky * 3], acc[j]);                               \
        acc[j] = _mm512_fmadd_ps(col[j * S + 1], wk[ky * 3 + 1], acc[j]);                       \
        acc[j] = _mm512_fmadd_ps(col[j * S + 2], wk[ky * 3 + 2], acc[j]);                       \
      }                                                                                         \
    }                                                                                           \
    for (int j = 0; j < G; j++) {                                                               \
      if ((size_t)j < count)                                                                    \
        _mm512_mask_storeu_ps(out + j * ostride, mask, _mm512_min_ps(_mm512_max_ps(acc[j], vmin), vmax)); \
    }                                                                                           \
  }
GROUP(group_s1, 8, 1)
GROUP(group_s2, 4, 2)
#undef GROUP

void sn2_f32_dwconv2d_3x3_minmax_ukernel_16c__avx512f(const struct sn2_dwconv2d_problem* p,
                                                      size_t block, size_t row) {
  const size_t c0 = block * 16;
  const size_t count = p->channels - c0 < 16 ? p->channels - c0 : 16;
  const __mmask16 mask = (__mmask16)((1u << count) - 1u);
  const float* w = p->packed + block * 160;
  const __m512 wk[9] = {_mm512_loadu_ps(w), _mm512_loadu_ps(w + 16), _mm512_loadu_ps(w + 32),
                        _mm512_loadu_ps(w + 48), _mm512_loadu_ps(w + 64), _mm512_loadu_ps(w + 80),
                        _mm512_loadu_ps(w + 96), _mm512_loadu_ps(w + 112), _mm512_loadu_ps(w + 128)};
  const __m512 bias = _mm512_loadu_ps(w + 144);
  const __m512 vmin = _mm512_set1_ps(p->params.min), vmax = _mm512_set1_ps(p->params.max);
  const size_t n = row / p->out_h, oy = row % p->out_h;
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * p->stride) - (ptrdiff_t)p->pad_top;
  // The three input rows (NULL where a row falls into the padding).
  const float* rows[3];
  for (int ky = 0; ky < 3; ky++) {
    const ptrdiff_t iy = iy0 + ky;
    rows[ky] = iy >= 0 && iy < (ptrdiff_t)p->in_h
                   ? p->input + ((n * p->in_h + (size_t)iy) * p->in_w) * p->input_stride + c0
                   : NULL;
  }
  float* out = p->output + ((n * p->out_h + oy) * p->out_w) * p->output_stride + c0;
  const ptrdiff_t stride = p->input_stride, in_w = (ptrdiff_t)p->in_w;
  const size_t group = p->stride == 1 ? 8 : 4;
  for (size_t ox = 0; ox < p->out_w; ox += group, out += group * p->output_stride) {
    const ptrdiff_t ix = (ptrdiff_t)(ox * p->stride) - (ptrdiff_t)p->pad_left;
    const size_t outputs = p->out_w - ox < group ? p->out_w - ox : group;
    if (p->stride == 1) {
      group_s1(rows, ix, in_w, stride, mask, wk, bias, vmin, vmax, out, p->output_stride, outputs);
    } else {
      group_s2(rows, ix, in_w, stride, mask, wk, bias, vmin, vmax, out, p->output_stride, outputs);
    }
  }
}
