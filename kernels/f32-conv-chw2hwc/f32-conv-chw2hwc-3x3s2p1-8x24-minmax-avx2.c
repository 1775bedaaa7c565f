// Tiles of 2 output rows x 8 output pixels, every output channel; the lanes hold the pixels (the
// AVX-512 kernel's scheme in 8-lane vectors). For each input plane and input row, the 8
// pixels' taps at kx = 1 are the even columns of 16 input columns, at kx = 2 the odd ones, at
// kx = 0 the odd ones one pixel to the right (the column left of the tile enters lane 0): two
// loads, shuffles within and across the 128-bit halves (from a channels-last image: two
// gathers), made once per tile for its 5 input rows and kept on the stack. The output channels
// then go 6 at a time: 2 rows x 6 channels = 12 accumulators beside the two rows' tap vectors
// and one broadcast weight, which feeds the FMAs of both rows. Each part's sums go to a stack
// tile, whose 8-channel groups 8x8 transposes turn into pixels for the store (shuffles, on
// other ports than the FMAs).
#include <immintrin.h>

#include "kernels/f32-conv-chw2hwc/conv-chw2hwc.h"

enum { TILE = 8, NC = SN2_CONV_CHW2HWC_MAX_CHANNELS, PART = 6, GROUP = 8 };

// Every loop over the accumulators unrolls: they must stay in registers.
#define UNROLL _Pragma("GCC unroll 24")

// Lanes below `valid` (an AVX2 mask: sign bits set).
static inline __m256i first_lanes(size_t valid) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)valid), _mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0));
}

// Columns col .. col + 7 of a row (col >= 0), zeros from in_w on.
static inline __m256 load_columns(const float* row, size_t col, size_t in_w) {
  if (col + TILE <= in_w) return _mm256_loadu_ps(row + col);
  if (col >= in_w) return _mm256_setzero_ps();
  return _mm256_maskload_ps(row + col, first_lanes(in_w - col));
}

// Pixels (a channels-last image): the even and odd columns from c0 on into x[1] and x[2],
// gathered at twice the pixel's width, columns from in_w on as zeros.
__attribute__((noinline)) static void gather_columns(const float* row, size_t c0, size_t in_w, size_t cs,
                                                     __m256 x[3]) {
  const __m256i offsets = _mm256_mullo_epi32(_mm256_set_epi32(14, 12, 10, 8, 6, 4, 2, 0), _mm256_set1_epi32((int)cs));
  const size_t even_valid = c0 < in_w ? (in_w - c0 + 1) / 2 : 0, odd_valid = c0 + 1 < in_w ? (in_w - c0) / 2 : 0;
  const __m256 even_mask = _mm256_castsi256_ps(first_lanes(even_valid < TILE ? even_valid : TILE));
  const __m256 odd_mask = _mm256_castsi256_ps(first_lanes(odd_valid < TILE ? odd_valid : TILE));
  x[1] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), row + c0 * cs, offsets, even_mask, 4);
  x[2] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), row + (c0 + 1) * cs, offsets, odd_mask, 4);
}

// The three tap vectors of a tile's 8 pixels on input row `iy` (zeros outside the image).
static inline void row_taps(const struct sn2_conv_chw2hwc_problem* p, const float* plane, ptrdiff_t iy, size_t c0,
                            __m256 x[3]) {
  if (iy < 0 || iy >= (ptrdiff_t)p->in_h) {
    x[0] = x[1] = x[2] = _mm256_setzero_ps();
    return;
  }
  const float* row = plane + (size_t)iy * p->row_stride;
  const size_t cs = p->column_stride;
  if (cs == 1) {
    const __m256 a = load_columns(row, c0, p->in_w), b = load_columns(row, c0 + TILE, p->in_w);
    // [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6], and the odd columns alike.
    const __m256 even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 odd = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    x[1] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
    x[2] = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(odd), _MM_SHUFFLE(3, 1, 2, 0)));
  } else {
    gather_columns(row, c0, p->in_w, cs, x);
  }
  const __m256 left = _mm256_set1_ps(c0 > 0 && c0 - 1 < p->in_w ? row[(c0 - 1) * cs] : 0.0f);
  const __m256 shifted = _mm256_permutevar8x32_ps(x[2], _mm256_set_epi32(6, 5, 4, 3, 2, 1, 0, 0));
  x[0] = _mm256_blend_ps(shifted, left, 1);
}

// Channels g .. g + 7 of the tile's pixels: sums[c] lane i is channel c of pixel i; an 8x8
// transpose makes each pixel's 8 channels one vector.
static inline void store_group(const float (*sums)[TILE], size_t count, size_t g, size_t n, float* out,
                               size_t ostride) {
  const float* r = sums[g];
  const __m256 t0 = _mm256_unpacklo_ps(_mm256_load_ps(r + 0 * TILE), _mm256_load_ps(r + 1 * TILE));
  const __m256 t1 = _mm256_unpackhi_ps(_mm256_load_ps(r + 0 * TILE), _mm256_load_ps(r + 1 * TILE));
  const __m256 t2 = _mm256_unpacklo_ps(_mm256_load_ps(r + 2 * TILE), _mm256_load_ps(r + 3 * TILE));
  const __m256 t3 = _mm256_unpackhi_ps(_mm256_load_ps(r + 2 * TILE), _mm256_load_ps(r + 3 * TILE));
  const __m256 t4 = _mm256_unpacklo_ps(_mm256_load_ps(r + 4 * TILE), _mm256_load_ps(r + 5 * TILE));
  const __m256 t5 = _mm256_unpackhi_ps(_mm256_load_ps(r + 4 * TILE), _mm256_load_ps(r + 5 * TILE));
  const __m256 t6 = _mm256_unpacklo_ps(_mm256_load_ps(r + 6 * TILE), _mm256_load_ps(r + 7 * TILE));
  const __m256 t7 = _mm256_unpackhi_ps(_mm256_load_ps(r + 6 * TILE), _mm256_load_ps(r + 7 * TILE));
  // Pixels i and i + 4, channels g .. g + 3 and g + 4 .. g + 7, for i = 0 .. 3.
  const __m256 s[8] = {
      _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2)),
      _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2)),
      _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2)),
      _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0)), _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2))};
  const __m256 pixels[TILE] = {
      _mm256_permute2f128_ps(s[0], s[4], 0x20), _mm256_permute2f128_ps(s[1], s[5], 0x20),
      _mm256_permute2f128_ps(s[2], s[6], 0x20), _mm256_permute2f128_ps(s[3], s[7], 0x20),
      _mm256_permute2f128_ps(s[0], s[4], 0x31), _mm256_permute2f128_ps(s[1], s[5], 0x31),
      _mm256_permute2f128_ps(s[2], s[6], 0x31), _mm256_permute2f128_ps(s[3], s[7], 0x31)};
  const size_t valid = n - g < GROUP ? n - g : GROUP;  // channels of this group that exist
  const __m256i mask = first_lanes(valid);
  UNROLL for (int i = 0; i < TILE; i++) {
    if ((size_t)i >= count) break;
    float* dst = out + (size_t)i * ostride + g;
    if (valid == GROUP) {
      _mm256_storeu_ps(dst, pixels[i]);
    } else {
      _mm256_maskstore_ps(dst, mask, pixels[i]);
    }
  }
}

// One tile (conv-chw2hwc.h). The tap vectors of the five input rows are made once into `taps`;
// the parts' clamped sums go to `sums` (per row, 24 channels x 8 pixels) and from there to the
// output.
void sn2_f32_conv_chw2hwc_3x3s2p1_minmax_ukernel_8x24__avx2(const struct sn2_conv_chw2hwc_problem* p,
                                                            const float* image, size_t oy, size_t rows, size_t ox0,
                                                            size_t count, float* out0, float* out1) {
  __m256 taps[SN2_CONV_CHW2HWC_MAX_INPUT_CHANNELS * 5 * 3];
  _Alignas(32) float sums[2][NC][TILE];
  const size_t c0 = 2 * ox0 + 1 - p->pad_left;  // the kx = 1 tap of the tile's first pixel
  for (size_t ci = 0; ci < p->in_channels; ci++) {
    const float* plane = image + ci * p->channel_stride;
    for (size_t i = 0; i < 5; i++) {
      const ptrdiff_t iy = (ptrdiff_t)(2 * oy) - (ptrdiff_t)p->pad_top + (ptrdiff_t)i;
      row_taps(p, plane, i >= 3 && rows < 2 ? -1 : iy, c0, &taps[(ci * 5 + i) * 3]);
    }
  }
  // Whole groups of 8 channels are stored (masked), so the parts cover them: zero weights past
  // out_channels (the packing) give those lanes sums that are never stored.
  const size_t groups = (p->out_channels + GROUP - 1) / GROUP;
  const size_t parts = (groups * GROUP + PART - 1) / PART;
  const __m256 vmin = _mm256_set1_ps(p->params.min), vmax = _mm256_set1_ps(p->params.max);
  for (size_t part = 0; part < parts; part++) {
    const size_t first = part * PART;
    const float* bias = p->packed + p->in_channels * 9 * NC + first;
    __m256 acc[2][PART];
    UNROLL for (int j = 0; j < PART; j++) acc[0][j] = acc[1][j] = _mm256_set1_ps(bias[j]);
    for (size_t ci = 0; ci < p->in_channels; ci++) {
      UNROLL for (int ky = 0; ky < 3; ky++) {
        const float* w = p->packed + (ci * 9 + (size_t)ky * 3) * NC + first;
        UNROLL for (int kx = 0; kx < 3; kx++) {
          const __m256 x0 = taps[(ci * 5 + (size_t)ky) * 3 + (size_t)kx];
          const __m256 x1 = taps[(ci * 5 + (size_t)ky + 2) * 3 + (size_t)kx];
          UNROLL for (int j = 0; j < PART; j++) {
            const __m256 wj = _mm256_broadcast_ss(&w[kx * NC + j]);
            acc[0][j] = _mm256_fmadd_ps(x0, wj, acc[0][j]);
            acc[1][j] = _mm256_fmadd_ps(x1, wj, acc[1][j]);
          }
        }
      }
    }
    UNROLL for (int j = 0; j < PART; j++) {
      acc[0][j] = _mm256_min_ps(_mm256_max_ps(acc[0][j], vmin), vmax);
      acc[1][j] = _mm256_min_ps(_mm256_max_ps(acc[1][j], vmin), vmax);
      _mm256_store_ps(sums[0][first + (size_t)j], acc[0][j]);
      _mm256_store_ps(sums[1][first + (size_t)j], acc[1][j]);
    }
  }
  for (size_t g = 0; g < groups; g++) {
    store_group(sums[0], count, g * GROUP, p->out_channels, out0, p->output_stride);
    if (rows > 1) store_group(sums[1], count, g * GROUP, p->out_channels, out1, p->output_stride);
  }
}
