// 8 channels per block. Output rows go in pairs and each pair in groups of 7 output pixels, as in
// the AVX-512 kernel: 14 independent accumulators, each a chain of 9 FMAs, enough to keep both
// FMA ports busy through their latency. AVX2 has 16 vector registers, not 32: the 14
// accumulators leave room for one weight and nothing else, so the taps go weight by weight
// (one weight register at a time) and every input vector is an FMA's memory operand, read
// again for each tap that uses it: about one load per FMA, which the load ports keep up with.
//
// Groups of 7 tile the 56/28/14/7-wide rows exactly; on other widths the last group overlaps
// the one before it (outputs computed twice, stored twice with the same value). The padding
// columns at a row's ends are known at compile time (variants). The channel tail (fewer than 8)
// goes one output row at a time: its masked loads cannot be memory operands and need a
// register each, and the mask another.
//
// Whatever else (a clamp, rows narrower than a group, padding beyond one column) goes through
// `generic_row`: one output at a time, every tap checked.
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

enum { GROUP_WIDTH = 7, BLOCK = 8, PACKED_BLOCK = 10 * BLOCK };

#define UNROLL _Pragma("GCC unroll 16")

// Between taps: the next tap's loads are not the same values as this tap's to GCC, which would
// otherwise keep each input vector in a register for all the taps that read it (more registers
// than AVX2 has: spills).
#define NEXT_TAP() __asm__ volatile("" ::: "memory")

// R output rows x 7 output pixels whose windows start at column ix (stride S). `rows` holds the
// (R - 1) * S + 3 input rows, already offset to column ix and the block's channels (NULL in the
// padding). LEFT: column 0 is padding; RIGHT: the last column is.
#define GROUP(name, R, S, LEFT, RIGHT)                                                           \
  static inline void name(const float* const* rows, ptrdiff_t stride, const float* w,           \
                          float* const* out, size_t ostride) {                                   \
    enum { G = GROUP_WIDTH, COLUMNS = (G - 1) * S + 3, IN_ROWS = (R - 1) * S + 3 };              \
    __m256 acc[R][G];                                                                            \
    UNROLL for (int r = 0; r < R; r++)                                                           \
      UNROLL for (int j = 0; j < G; j++) acc[r][j] = _mm256_loadu_ps(w + 9 * BLOCK);             \
    UNROLL for (int i = 0; i < IN_ROWS; i++) {                                                   \
      if (!rows[i]) continue;                                                                    \
      /* Column k at base[k / 3] + (k % 3) * stride: the addressing modes do the rest. */       \
      const float* base[(COLUMNS + 2) / 3];                                                      \
      base[0] = rows[i];                                                                         \
      UNROLL for (int b = 1; b < (COLUMNS + 2) / 3; b++) base[b] = base[b - 1] + 3 * stride;     \
      UNROLL for (int r = 0; r < R; r++) {                                                       \
        const int ky = i - r * S;                                                                \
        if (ky < 0 || ky > 2) continue;                                                          \
        UNROLL for (int kx = 0; kx < 3; kx++) {                                                  \
          NEXT_TAP();                                                                            \
          const __m256 wk = _mm256_loadu_ps(w + (ky * 3 + kx) * BLOCK);                          \
          UNROLL for (int j = 0; j < G; j++) {                                                   \
            const int k = j * S + kx;                                                            \
            if ((LEFT && k == 0) || (RIGHT && k == COLUMNS - 1)) continue;                       \
            const float* at = base[k / 3] + (k % 3) * stride;                                    \
            acc[r][j] = _mm256_fmadd_ps(_mm256_loadu_ps(at), wk, acc[r][j]);                     \
          }                                                                                      \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
    UNROLL for (int r = 0; r < R; r++)                                                           \
      UNROLL for (int j = 0; j < G; j++) _mm256_storeu_ps(out[r] + j * ostride, acc[r][j]);      \
  }

// One output row x 7 pixels of the channel tail (fewer than 8), as GROUP but row by row
// and column by column: each input vector is a masked load (two uops, one on an FMA port),
// made once and kept in a register for every tap that reads it; the weights are the FMAs'
// memory operands. 7 accumulators, the column and the mask.
#define TAIL_GROUP(name, S, LEFT, RIGHT)                                                         \
  static inline void name(const float* const* rows, ptrdiff_t stride, __m256i mask,             \
                          const float* w, float* out, size_t ostride) {                          \
    enum { G = GROUP_WIDTH, COLUMNS = (G - 1) * S + 3 };                                         \
    __m256 acc[G];                                                                               \
    UNROLL for (int j = 0; j < G; j++) acc[j] = _mm256_loadu_ps(w + 9 * BLOCK);                  \
    UNROLL for (int ky = 0; ky < 3; ky++) {                                                      \
      if (!rows[ky]) continue;                                                                   \
      const float* base[(COLUMNS + 2) / 3];                                                      \
      base[0] = rows[ky];                                                                        \
      UNROLL for (int b = 1; b < (COLUMNS + 2) / 3; b++) base[b] = base[b - 1] + 3 * stride;     \
      UNROLL for (int k = 0; k < COLUMNS; k++) {                                                 \
        if ((LEFT && k == 0) || (RIGHT && k == COLUMNS - 1)) continue;                           \
        const __m256 col = _mm256_maskload_ps(base[k / 3] + (k % 3) * stride, mask);             \
        UNROLL for (int kx = 0; kx < 3; kx++) {                                                  \
          if (k < kx || (k - kx) % S != 0 || (k - kx) / S >= G) continue;                        \
          acc[(k - kx) / S] =                                                                    \
              _mm256_fmadd_ps(col, _mm256_loadu_ps(w + (ky * 3 + kx) * BLOCK), acc[(k - kx) / S]); \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
    UNROLL for (int j = 0; j < G; j++) _mm256_maskstore_ps(out + j * ostride, mask, acc[j]);     \
  }

// The four edge variants of a group and `..._at`, which picks one for a group's edges.
#define AT(name, PARAMS, ARGS)                                                                   \
  static inline void name##_at(bool left, bool right, PARAMS) {                                 \
    if (!left && !right) {                                                                       \
      name(ARGS);                                                                                \
    } else if (!right) {                                                                         \
      name##_left(ARGS);                                                                         \
    } else if (!left) {                                                                          \
      name##_right(ARGS);                                                                        \
    } else {                                                                                     \
      name##_both(ARGS);                                                                         \
    }                                                                                            \
  }
#define COMMA ,
#define VARIANTS(R, S)                                                                           \
  GROUP(group_r##R##_s##S, R, S, 0, 0)                                                           \
  GROUP(group_r##R##_s##S##_left, R, S, 1, 0)                                                    \
  GROUP(group_r##R##_s##S##_right, R, S, 0, 1)                                                   \
  GROUP(group_r##R##_s##S##_both, R, S, 1, 1)                                                    \
  AT(group_r##R##_s##S,                                                                          \
     const float* const* at COMMA ptrdiff_t stride COMMA const float* w COMMA float* const* dst  \
     COMMA size_t ostride,                                                                       \
     at COMMA stride COMMA w COMMA dst COMMA ostride)
#define TAIL_VARIANTS(S)                                                                         \
  TAIL_GROUP(tail_s##S, S, 0, 0)                                                                 \
  TAIL_GROUP(tail_s##S##_left, S, 1, 0)                                                          \
  TAIL_GROUP(tail_s##S##_right, S, 0, 1)                                                         \
  TAIL_GROUP(tail_s##S##_both, S, 1, 1)                                                          \
  AT(tail_s##S,                                                                                  \
     const float* const* at COMMA ptrdiff_t stride COMMA __m256i mask COMMA const float* w       \
     COMMA float* dst COMMA size_t ostride,                                                      \
     at COMMA stride COMMA mask COMMA w COMMA dst COMMA ostride)
VARIANTS(1, 1)
VARIANTS(2, 1)
VARIANTS(1, 2)
VARIANTS(2, 2)
TAIL_VARIANTS(1)
TAIL_VARIANTS(2)

// R output rows (1 or 2) of the call's blocks, each group of 7 pixels through all of them (the
// loads sweep each input row's pixels front to back); the caller has checked that every group's
// columns lie within [-1, in_w]. The tail block's rows go one by one.
#define GROUPS(R, S)                                                                             \
  static void groups_r##R##_s##S(const float* const* rows, ptrdiff_t in_w, ptrdiff_t stride,     \
                                 ptrdiff_t pad_left, size_t out_w, size_t channels,             \
                                 const float* w, float* out, size_t ostride) {                  \
    enum { COLUMNS = (GROUP_WIDTH - 1) * S + 3, IN_ROWS = (R - 1) * S + 3 };                     \
    const size_t full_blocks = channels / BLOCK, tail = channels % BLOCK;                        \
    const __m256i tail_mask =                                                                    \
        _mm256_cmpgt_epi32(_mm256_set1_epi32((int)tail), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)); \
    for (size_t ox = 0; ox < out_w; ox += GROUP_WIDTH) {                                         \
      if (ox + GROUP_WIDTH > out_w) ox = out_w - GROUP_WIDTH;                                    \
      const ptrdiff_t ix = (ptrdiff_t)(ox * S) - pad_left;                                       \
      const bool left = ix < 0, right = ix + COLUMNS > in_w;                                     \
      const float* at[IN_ROWS];                                                                  \
      UNROLL for (int i = 0; i < IN_ROWS; i++) at[i] = rows[i] ? rows[i] + ix * stride : NULL;   \
      float* dst[2] = {out + ox * ostride, out + (out_w + ox) * ostride};                        \
      const float* wb = w;                                                                       \
      for (size_t b = 0; b < full_blocks; b++) {                                                 \
        group_r##R##_s##S##_at(left, right, at, stride, wb, dst, ostride);                       \
        UNROLL for (int i = 0; i < IN_ROWS; i++) at[i] = at[i] ? at[i] + BLOCK : NULL;           \
        dst[0] += BLOCK;                                                                         \
        dst[1] += BLOCK;                                                                         \
        wb += PACKED_BLOCK;                                                                      \
      }                                                                                          \
      if (tail) {                                                                                \
        UNROLL for (int r = 0; r < R; r++)                                                       \
          tail_s##S##_at(left, right, at + r * S, stride, tail_mask, wb, dst[r], ostride);       \
      }                                                                                          \
    }                                                                                            \
  }
GROUPS(1, 1)
GROUPS(2, 1)
GROUPS(1, 2)
GROUPS(2, 2)
#undef GROUPS
#undef TAIL_VARIANTS
#undef VARIANTS
#undef COMMA
#undef AT
#undef TAIL_GROUP
#undef GROUP
#undef NEXT_TAP
#undef UNROLL

typedef void (*groups_fn)(const float* const* rows, ptrdiff_t in_w, ptrdiff_t stride,
                          ptrdiff_t pad_left, size_t out_w, size_t channels, const float* w,
                          float* out, size_t ostride);

// [stride - 1][rows - 1]
static const groups_fn grouped_blocks[2][2] = {{groups_r1_s1, groups_r2_s1}, {groups_r1_s2, groups_r2_s2}};

static __m256 load_tap(const float* p, __m256i mask, bool full, bool valid) {
  if (!valid) return _mm256_setzero_ps();
  return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

// One output row of one block (`offset` channels into the rows), one output pixel at a time,
// with the clamp.
static void generic_row(const struct sn2_dwconv2d_problem* p, const float* const rows[3], size_t offset,
                        size_t count, const float* w, float* out) {
  const bool full = count == BLOCK;
  const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const __m256 vmin = _mm256_set1_ps(p->params.min), vmax = _mm256_set1_ps(p->params.max);
  const ptrdiff_t stride = (ptrdiff_t)p->input_stride;
  out += offset;
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * p->stride) - (ptrdiff_t)p->pad_left;
    __m256 acc = _mm256_loadu_ps(w + 9 * BLOCK);
    for (int ky = 0; ky < 3; ky++) {
      if (!rows[ky]) continue;
      for (int kx = 0; kx < 3; kx++) {
        const ptrdiff_t ix = ix0 + kx;
        const bool valid = ix >= 0 && ix < (ptrdiff_t)p->in_w;
        const __m256 x = load_tap(rows[ky] + offset + (valid ? ix : 0) * stride, mask, full, valid);
        acc = _mm256_fmadd_ps(x, _mm256_loadu_ps(w + (ky * 3 + kx) * BLOCK), acc);
      }
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
                                                  size_t first_block, size_t block_count,
                                                  size_t row, size_t row_count) {
  const size_t c0 = first_block * BLOCK;
  const size_t channels = p->channels - c0 < block_count * BLOCK ? p->channels - c0 : block_count * BLOCK;
  const float* w = p->packed + first_block * PACKED_BLOCK;
  const size_t s = p->stride;
  const bool grouped = sn2_dwconv2d_groups_serve(p, GROUP_WIDTH);
  size_t n = row / p->out_h, oy = row % p->out_h;
  for (size_t done = 0; done < row_count;) {
    // Two rows when both lie in the same image.
    const size_t pair = grouped && row_count - done >= 2 && oy + 1 < p->out_h ? 2 : 1;
    const float* rows[5];
    sn2_dwconv2d_input_rows(p, n, oy, pair, c0, rows);
    float* const out = p->output + ((n * p->out_h + oy) * p->out_w) * p->output_stride + c0;
    if (grouped) {
      grouped_blocks[s - 1][pair - 1](rows, (ptrdiff_t)p->in_w, (ptrdiff_t)p->input_stride,
                                      (ptrdiff_t)p->pad_left, p->out_w, channels, w, out,
                                      p->output_stride);
    } else {
      for (size_t b = 0; b * BLOCK < channels; b++) {
        const size_t count = channels - b * BLOCK < BLOCK ? channels - b * BLOCK : BLOCK;
        generic_row(p, rows, b * BLOCK, count, w + b * PACKED_BLOCK, out);
      }
    }
    done += pair;
    oy += pair;
    if (oy == p->out_h) {
      oy = 0;
      n++;
    }
  }
}
