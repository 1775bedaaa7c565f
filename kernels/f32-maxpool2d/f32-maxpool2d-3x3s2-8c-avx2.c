// 8 channels per vector, up to four vectors per pixel visit (a 24-channel pixel's 96 bytes read
// together, as the AVX-512 kernel reads them in two). Along an output row each input column's
// max over the window's three rows is taken once and shared by the two windows that hold it
// (stride 2: column 2 of one window is column 0 of the next): an output costs 6 loads and 6
// max per vector. Full vectors load and store without a mask (vmaskmovps is several uops).
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/f32-maxpool2d/maxpool2d.h"

enum { LANES = 8, VECTORS = 4 };

#define UNROLL _Pragma("GCC unroll 4")

// Max over the three rows of column x, channels offset .. offset + 7 (the last vector of a
// sweep may be partial: `mask`, with `full` false).
static inline __m256 column(const float* const rows[3], size_t x, size_t stride, size_t offset, __m256i mask,
                            bool full) {
  const float* a = rows[0] + x * stride + offset;
  const float* b = rows[1] + x * stride + offset;
  const float* c = rows[2] + x * stride + offset;
  if (full) return _mm256_max_ps(_mm256_max_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b)), _mm256_loadu_ps(c));
  return _mm256_max_ps(_mm256_max_ps(_mm256_maskload_ps(a, mask), _mm256_maskload_ps(b, mask)),
                       _mm256_maskload_ps(c, mask));
}

// One output row for `channels` (1 .. 32) channels at rows[]: `vectors` vectors per pixel, the
// last one holding `channels - 8 * (vectors - 1)` channels.
static inline void pool_row(const struct sn2_maxpool2d_problem* p, const float* const rows[3], float* out,
                            size_t channels) {
  const size_t stride = p->input_stride, vectors = (channels + LANES - 1) / LANES;
  const size_t last = channels - LANES * (vectors - 1);
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)last), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const size_t x0 = sn2_maxpool2d_clamp_index(-(ptrdiff_t)p->pad_left, p->in_w);
  __m256 left[VECTORS] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  UNROLL for (size_t v = 0; v < VECTORS; v++) {
    if (v < vectors) left[v] = column(rows, x0, stride, LANES * v, mask, v + 1 < vectors || last == LANES);
  }
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * 2) - (ptrdiff_t)p->pad_left;
    const size_t xm = sn2_maxpool2d_clamp_index(ix0 + 1, p->in_w), xr = sn2_maxpool2d_clamp_index(ix0 + 2, p->in_w);
    UNROLL for (size_t v = 0; v < VECTORS; v++) {
      if (v >= vectors) continue;
      const bool full = v + 1 < vectors || last == LANES;
      const __m256 right = column(rows, xr, stride, LANES * v, mask, full);
      const __m256 m = _mm256_max_ps(_mm256_max_ps(left[v], column(rows, xm, stride, LANES * v, mask, full)), right);
      if (full) {
        _mm256_storeu_ps(out + LANES * v, m);
      } else {
        _mm256_maskstore_ps(out + LANES * v, mask, m);
      }
      left[v] = right;
    }
  }
}

void sn2_f32_maxpool2d_3x3s2_row_8c__avx2(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                                           float* out) {
  for (size_t c = 0; c < p->channels; c += LANES * VECTORS) {
    const float* const at[3] = {rows[0] + c, rows[1] + c, rows[2] + c};
    const size_t left = p->channels - c;
    pool_row(p, at, out + c, left < LANES * VECTORS ? left : LANES * VECTORS);
  }
}
