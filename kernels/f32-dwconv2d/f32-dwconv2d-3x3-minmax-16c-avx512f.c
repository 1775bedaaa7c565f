// 16 channels per block: 9 weight vectors and the bias in registers along an output row. Inside
// the row, 8 (stride 1) or 4 (stride 2) output pixels at once: independent accumulators hide
// the FMA latency and neighbouring outputs share their input columns. Edge pixels, whose
// windows touch the padding, go one at a time with masked loads.
#include <immintrin.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

// G output pixels whose windows start at column ix (stride S), written to out, out + ostride...
// G and S are constants at each use, so the arrays live in registers.
#define GROUP(name, G, S)                                                                        \
  static inline void name(const float* const rows[3], ptrdiff_t ix, ptrdiff_t stride,          \
                          __mmask16 mask, const __m512 wk[9], __m512 bias, __m512 vmin,        \
                          __m512 vmax, float* out, size_t ostride) {                            \
    __m512 acc[G];                                                                              \
    for (int j = 0; j < G; j++) acc[j] = bias;                                                  \
    for (int ky = 0; ky < 3; ky++) {                                                            \
      if (!rows[ky]) continue;                                                                  \
      const float* r = rows[ky] + ix * stride;                                                  \
      __m512 col[(G - 1) * S + 3];                                                              \
      for (int k = 0; k < (G - 1) * S + 3; k++) col[k] = _mm512_maskz_loadu_ps(mask, r + k * stride); \
      for (int j = 0; j < G; j++) {                                                             \
        acc[j] = _mm512_fmadd_ps(col[j * S], wk[ky * 3], acc[j]);                               \
        acc[j] = _mm512_fmadd_ps(col[j * S + 1], wk[ky * 3 + 1], acc[j]);                       \
        acc[j] = _mm512_fmadd_ps(col[j * S + 2], wk[ky * 3 + 2], acc[j]);                       \
      }                                                                                         \
    }                                                                                           \
    for (int j = 0; j < G; j++) {                                                               \
      _mm512_mask_storeu_ps(out + j * ostride, mask, _mm512_min_ps(_mm512_max_ps(acc[j], vmin), vmax)); \
    }                                                                                           \
  }
GROUP(group_s1, 8, 1)
GROUP(group_s1_narrow, 4, 1)
GROUP(group_s2, 4, 2)
#undef GROUP

void sn2_f32_dwconv2d_3x3_minmax_ukernel_16c__avx512f(const struct sn2_dwconv2d_problem* p,
                                                      size_t block, size_t row) {
  const size_t c0 = block * 16;
  const size_t count = p->channels - c0 < 16 ? p->channels - c0 : 16;
  const __mmask16 mask = (__mmask16)((1u << count) - 1u);
  const float* w = p->packed + block * 160;
  const __m512 w0 = _mm512_loadu_ps(w), w1 = _mm512_loadu_ps(w + 16), w2 = _mm512_loadu_ps(w + 32);
  const __m512 w3 = _mm512_loadu_ps(w + 48), w4 = _mm512_loadu_ps(w + 64), w5 = _mm512_loadu_ps(w + 80);
  const __m512 w6 = _mm512_loadu_ps(w + 96), w7 = _mm512_loadu_ps(w + 112), w8 = _mm512_loadu_ps(w + 128);
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
  const __m512 zero = _mm512_setzero_ps();
  float* out = p->output + ((n * p->out_h + oy) * p->out_w) * p->output_stride + c0;
  const ptrdiff_t stride = p->input_stride;
  const size_t s = p->stride, group = s == 1 ? 8 : 4, columns = s == 1 ? 10 : 9;
  const __m512 wk[9] = {w0, w1, w2, w3, w4, w5, w6, w7, w8};
  size_t ox = 0;
  for (; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix = (ptrdiff_t)(ox * s) - (ptrdiff_t)p->pad_left;
    // A group whose windows all lie inside the row: no masks but the channel tail.
    if (ix >= 0 && ox + group <= p->out_w && ix + (ptrdiff_t)columns <= (ptrdiff_t)p->in_w) {
      if (s == 1) {
        group_s1(rows, ix, stride, mask, wk, bias, vmin, vmax, out, p->output_stride);
      } else {
        group_s2(rows, ix, stride, mask, wk, bias, vmin, vmax, out, p->output_stride);
      }
      out += (group - 1) * p->output_stride;
      ox += group - 1;
      continue;
    }
    if (s == 1 && ix >= 0 && ox + 4 <= p->out_w && ix + 6 <= (ptrdiff_t)p->in_w) {
      group_s1_narrow(rows, ix, stride, mask, wk, bias, vmin, vmax, out, p->output_stride);
      out += 3 * p->output_stride;
      ox += 3;
      continue;
    }
    // Columns ix, ix + 1, ix + 2: masked off where they fall into the padding.
    const __mmask16 m0 = ix >= 0 && ix < (ptrdiff_t)p->in_w ? mask : 0;
    const __mmask16 m1 = ix + 1 >= 0 && ix + 1 < (ptrdiff_t)p->in_w ? mask : 0;
    const __mmask16 m2 = ix + 2 >= 0 && ix + 2 < (ptrdiff_t)p->in_w ? mask : 0;
    __m512 acc = bias;
    if (rows[0]) {
      const float* r = rows[0] + ix * stride;
      acc = _mm512_fmadd_ps(m0 ? _mm512_maskz_loadu_ps(m0, r) : zero, w0, acc);
      acc = _mm512_fmadd_ps(m1 ? _mm512_maskz_loadu_ps(m1, r + stride) : zero, w1, acc);
      acc = _mm512_fmadd_ps(m2 ? _mm512_maskz_loadu_ps(m2, r + 2 * stride) : zero, w2, acc);
    }
    if (rows[1]) {
      const float* r = rows[1] + ix * stride;
      acc = _mm512_fmadd_ps(m0 ? _mm512_maskz_loadu_ps(m0, r) : zero, w3, acc);
      acc = _mm512_fmadd_ps(m1 ? _mm512_maskz_loadu_ps(m1, r + stride) : zero, w4, acc);
      acc = _mm512_fmadd_ps(m2 ? _mm512_maskz_loadu_ps(m2, r + 2 * stride) : zero, w5, acc);
    }
    if (rows[2]) {
      const float* r = rows[2] + ix * stride;
      acc = _mm512_fmadd_ps(m0 ? _mm512_maskz_loadu_ps(m0, r) : zero, w6, acc);
      acc = _mm512_fmadd_ps(m1 ? _mm512_maskz_loadu_ps(m1, r + stride) : zero, w7, acc);
      acc = _mm512_fmadd_ps(m2 ? _mm512_maskz_loadu_ps(m2, r + 2 * stride) : zero, w8, acc);
    }
    acc = _mm512_min_ps(_mm512_max_ps(acc, vmin), vmax);
    _mm512_mask_storeu_ps(out, mask, acc);
  }
}
