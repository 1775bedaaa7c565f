// 8 channels per block: 9 weight vectors and the bias in registers along an output row; the
// channel tail uses vmaskmovps loads and stores.
#include <immintrin.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

static __m256 load(const float* p, __m256i mask, int full, int valid) {
  if (!valid) return _mm256_setzero_ps();
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

static void compute_row(const struct sn2_dwconv2d_problem* p, size_t block, size_t row) {
  const size_t c0 = block * 8;
  const size_t count = p->channels - c0 < 8 ? p->channels - c0 : 8;
  const int full = count == 8;
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lanes);
  const float* w = p->packed + block * 80;
  const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8), w2 = _mm256_loadu_ps(w + 16);
  const __m256 w3 = _mm256_loadu_ps(w + 24), w4 = _mm256_loadu_ps(w + 32), w5 = _mm256_loadu_ps(w + 40);
  const __m256 w6 = _mm256_loadu_ps(w + 48), w7 = _mm256_loadu_ps(w + 56), w8 = _mm256_loadu_ps(w + 64);
  const __m256 bias = _mm256_loadu_ps(w + 72);
  const __m256 vmin = _mm256_set1_ps(p->params.min), vmax = _mm256_set1_ps(p->params.max);
  const size_t n = row / p->out_h, oy = row % p->out_h;
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * p->stride) - (ptrdiff_t)p->pad_top;
  const float* rows[3];
  for (int ky = 0; ky < 3; ky++) {
    const ptrdiff_t iy = iy0 + ky;
    rows[ky] = iy >= 0 && iy < (ptrdiff_t)p->in_h
                   ? p->input + ((n * p->in_h + (size_t)iy) * p->in_w) * p->input_stride + c0
                   : NULL;
  }
  float* out = p->output + ((n * p->out_h + oy) * p->out_w) * p->output_stride + c0;
  const ptrdiff_t stride = p->input_stride;
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix = (ptrdiff_t)(ox * p->stride) - (ptrdiff_t)p->pad_left;
    const int v0 = ix >= 0 && ix < (ptrdiff_t)p->in_w;
    const int v1 = ix + 1 >= 0 && ix + 1 < (ptrdiff_t)p->in_w;
    const int v2 = ix + 2 >= 0 && ix + 2 < (ptrdiff_t)p->in_w;
    __m256 acc = bias;
    if (rows[0]) {
      const float* r = rows[0] + ix * stride;
      acc = _mm256_fmadd_ps(load(r, mask, full, v0), w0, acc);
      acc = _mm256_fmadd_ps(load(r + stride, mask, full, v1), w1, acc);
      acc = _mm256_fmadd_ps(load(r + 2 * stride, mask, full, v2), w2, acc);
    }
    if (rows[1]) {
      const float* r = rows[1] + ix * stride;
      acc = _mm256_fmadd_ps(load(r, mask, full, v0), w3, acc);
      acc = _mm256_fmadd_ps(load(r + stride, mask, full, v1), w4, acc);
      acc = _mm256_fmadd_ps(load(r + 2 * stride, mask, full, v2), w5, acc);
    }
    if (rows[2]) {
      const float* r = rows[2] + ix * stride;
      acc = _mm256_fmadd_ps(load(r, mask, full, v0), w6, acc);
      acc = _mm256_fmadd_ps(load(r + stride, mask, full, v1), w7, acc);
      acc = _mm256_fmadd_ps(load(r + 2 * stride, mask, full, v2), w8, acc);
    }
    acc = _mm256_min_ps(_mm256_max_ps(acc, vmin), vmax);
    if (full) {
      _mm256_storeu_ps(out, acc);
    } else {
      _mm256_maskstore_ps(out, mask, acc);
    }
  }
}

void sn2_f32_dwconv2d_3x3_minmax_ukernel_8c__avx2(const struct sn2_dwconv2d_problem* p,
                                                  size_t first_block, size_t blocks, size_t row, size_t rows) {
  for (size_t block = first_block; block < first_block + blocks; block++)
    for (size_t r = row; r < row + rows; r++) compute_row(p, block, r);
}
