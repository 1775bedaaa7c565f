// Tiles of 2 output rows x 16 output pixels, every output channel; the lanes hold the pixels.
// For each input plane and input row, the 16 pixels' taps at kx = 1 are the even columns of 32
// input columns, at kx = 2 the odd ones, at kx = 0 the odd ones one pixel to the right (the
// column left of the tile enters lane 0): two loads and three permutes (from a channels-last
// image, whose columns are a pixel apart: two gathers and one permute), made once per tile for
// its 5 input rows and kept on the stack. The output channels then go 8 at a time: 2 rows x 8
// channels = 16 accumulators, and each weight, broadcast from memory, feeds the FMAs of both
// rows. Padding: rows outside the image and columns past its end are zeros.
//
// Why this shape (tried on the stem at 224x224 before it landed): a single row with all 24
// channels as accumulators spent more on its broadcast loads than on its FMAs; two rows x 12
// channels (GCC and clang) or three x 8 (GCC) spilled registers; two rows x 8 channels with the taps
// recomputed for each part lost time to the repeated permutes. The stores' transposes share
// port 5 with the FMAs; storing each pixel's 4-channel lanes by masked 512-bit stores instead of
// the cross-lane shuffles was slower (a throwaway build, 2026-11-30). bench/f32-conv-chw2hwc.cc
// measures this one next to XNNPACK.
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>

#include "kernels/f32-conv-chw2hwc/conv-chw2hwc.h"

enum { TILE = 16, NC = SN2_CONV_CHW2HWC_MAX_CHANNELS, PART = 8 };

// Every loop over the accumulators unrolls: they must stay in registers.
#define UNROLL _Pragma("GCC unroll 24")

// Columns col .. col + 15 of a row (col >= 0), zeros from in_w on.
static inline __m512 load_columns(const float* row, size_t col, size_t in_w) {
  if (col + TILE <= in_w) return _mm512_loadu_ps(row + col);
  if (col >= in_w) return _mm512_setzero_ps();
  return _mm512_maskz_loadu_ps((__mmask16)((1u << (in_w - col)) - 1u), row + col);
}

// Lanes 4L + q of a[0..3] as one 4-channel group per 128-bit lane L: u[q] lane L holds
// a[0..3][4L + q] (the 4x4 transposes inside each 128-bit lane).
static inline void transpose_4x4_lanes(const __m512 a[4], __m512 u[4]) {
  const __m512 t0 = _mm512_unpacklo_ps(a[0], a[1]), t1 = _mm512_unpackhi_ps(a[0], a[1]);
  const __m512 t2 = _mm512_unpacklo_ps(a[2], a[3]), t3 = _mm512_unpackhi_ps(a[2], a[3]);
  u[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
  u[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
  u[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
  u[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
}

// Pixels (a channels-last image): the even and odd columns from c0 on into x[1] and x[2],
// gathered at twice the pixel's width (a gather per tap vector instead of a load and a
// permute), columns from in_w on as zeros. Out of line: the planes' path stays as it was.
__attribute__((noinline)) static void gather_columns(const float* row, size_t c0, size_t in_w, size_t cs,
                                                     __m512 x[3]) {
  const __m512i offsets = _mm512_mullo_epi32(_mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0),
                                             _mm512_set1_epi32((int)cs));
  const size_t even_valid = c0 < in_w ? (in_w - c0 + 1) / 2 : 0, odd_valid = c0 + 1 < in_w ? (in_w - c0) / 2 : 0;
  const __mmask16 even_mask = even_valid >= TILE ? 0xFFFF : (__mmask16)((1u << even_valid) - 1u);
  const __mmask16 odd_mask = odd_valid >= TILE ? 0xFFFF : (__mmask16)((1u << odd_valid) - 1u);
  x[1] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), even_mask, offsets, row + c0 * cs, 4);
  x[2] = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), odd_mask, offsets, row + (c0 + 1) * cs, 4);
}

// The three tap vectors of a tile's 16 pixels on input row `iy` (zeros outside the image).
static inline void row_taps(const struct sn2_conv_chw2hwc_problem* p, const float* plane, ptrdiff_t iy, size_t c0,
                            __m512 x[3]) {
  if (iy < 0 || iy >= (ptrdiff_t)p->in_h) {
    x[0] = x[1] = x[2] = _mm512_setzero_ps();
    return;
  }
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  const float* row = plane + (size_t)iy * p->row_stride;
  const size_t cs = p->column_stride;
  if (cs == 1) {
    const __m512 a = load_columns(row, c0, p->in_w), b = load_columns(row, c0 + TILE, p->in_w);
    x[1] = _mm512_permutex2var_ps(a, even, b);
    x[2] = _mm512_permutex2var_ps(a, odd, b);
  } else {
    gather_columns(row, c0, p->in_w, cs, x);
  }
  const __m512 left = _mm512_set1_ps(c0 > 0 && c0 - 1 < p->in_w ? row[(c0 - 1) * cs] : 0.0f);
  x[0] = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(x[2]), _mm512_castps_si512(left), 15));
}

// Channels first .. first + 7 of `count` pixels: acc[j] lane i is channel first + j of pixel i.
static inline void store_part(__m512 acc[PART], size_t count, size_t first, size_t n, float* out, size_t ostride) {
  __m512 u[2][4];
  transpose_4x4_lanes(&acc[0], u[0]);
  transpose_4x4_lanes(&acc[4], u[1]);
  const size_t valid = n - first < PART ? n - first : PART;  // channels of this part that exist
  const __m256i lanes = _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0);
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid), lanes);
  UNROLL for (int q = 0; q < 4; q++) {
    // Channels 0-7 of pixels 4L + q and 4(L + 1) + q, one per 256-bit half.
    const __m512 e = _mm512_shuffle_f32x4(u[0][q], u[1][q], _MM_SHUFFLE(1, 0, 1, 0));
    const __m512 f = _mm512_shuffle_f32x4(u[0][q], u[1][q], _MM_SHUFFLE(3, 2, 3, 2));
    const __m512 pairs[2] = {_mm512_shuffle_f32x4(e, e, _MM_SHUFFLE(3, 1, 2, 0)),
                             _mm512_shuffle_f32x4(f, f, _MM_SHUFFLE(3, 1, 2, 0))};
    UNROLL for (int l = 0; l < 4; l++) {
      const size_t pixel = 4 * (size_t)l + (size_t)q;
      if (pixel >= count) continue;
      const __m256 v = l % 2 == 0 ? _mm512_castps512_ps256(pairs[l / 2])
                                  : _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(pairs[l / 2]), 1));
      float* dst = out + pixel * ostride + first;
      if (valid == PART) {
        _mm256_storeu_ps(dst, v);
      } else {
        _mm256_maskstore_ps(dst, mask, v);
      }
    }
  }
}

// One tile (conv-chw2hwc.h). The tap vectors of the five input rows are made once into `taps`
// and read back by each 8-channel part (two rows x 8 channels = 16 accumulators: one broadcast
// weight feeds two FMAs, and the registers never spill).
void sn2_f32_conv_chw2hwc_3x3s2p1_minmax_ukernel_16x24__avx512f(const struct sn2_conv_chw2hwc_problem* p,
                                                                const float* image, size_t oy, size_t rows,
                                                                size_t ox0, size_t count, float* out0, float* out1) {
  __m512 taps[SN2_CONV_CHW2HWC_MAX_INPUT_CHANNELS * 5 * 3];
  const size_t c0 = 2 * ox0 + 1 - p->pad_left;  // the kx = 1 tap of the tile's first pixel
  for (size_t ci = 0; ci < p->in_channels; ci++) {
    const float* plane = image + ci * p->channel_stride;
    for (size_t i = 0; i < 5; i++) {
      const ptrdiff_t iy = (ptrdiff_t)(2 * oy) - (ptrdiff_t)p->pad_top + (ptrdiff_t)i;
      row_taps(p, plane, i >= 3 && rows < 2 ? -1 : iy, c0, &taps[(ci * 5 + i) * 3]);
    }
  }
  const __m512 vmin = _mm512_set1_ps(p->params.min), vmax = _mm512_set1_ps(p->params.max);
  for (size_t first = 0; first < p->out_channels; first += PART) {
    const float* bias = p->packed + p->in_channels * 9 * NC + first;
    __m512 acc[2][PART];
    UNROLL for (int j = 0; j < PART; j++) acc[0][j] = acc[1][j] = _mm512_set1_ps(bias[j]);
    for (size_t ci = 0; ci < p->in_channels; ci++) {
      UNROLL for (int ky = 0; ky < 3; ky++) {
        const float* w = p->packed + (ci * 9 + (size_t)ky * 3) * NC + first;
        UNROLL for (int kx = 0; kx < 3; kx++) {
          const __m512 x0 = taps[(ci * 5 + (size_t)ky) * 3 + (size_t)kx];
          const __m512 x1 = taps[(ci * 5 + (size_t)ky + 2) * 3 + (size_t)kx];
          UNROLL for (int j = 0; j < PART; j++) {
            const __m512 wj = _mm512_set1_ps(w[kx * NC + j]);
            acc[0][j] = _mm512_fmadd_ps(x0, wj, acc[0][j]);
            acc[1][j] = _mm512_fmadd_ps(x1, wj, acc[1][j]);
          }
        }
      }
    }
    UNROLL for (int j = 0; j < PART; j++) acc[0][j] = _mm512_max_ps(acc[0][j], vmin), acc[1][j] = _mm512_max_ps(acc[1][j], vmin);
    if (p->params.max != INFINITY) {
      UNROLL for (int j = 0; j < PART; j++) acc[0][j] = _mm512_min_ps(acc[0][j], vmax), acc[1][j] = _mm512_min_ps(acc[1][j], vmax);
    }
    store_part(acc[0], count, first, p->out_channels, out0, p->output_stride);
    if (rows > 1) store_part(acc[1], count, first, p->out_channels, out1, p->output_stride);
  }
}
