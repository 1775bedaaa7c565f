// 16 channels per block, 9 weight vectors in registers. Output rows go in pairs (a pair loads
// its shared input rows once) and each pair in groups of 7 output pixels: 14 independent
// accumulators, each a chain of 9 FMAs. A call for one block keeps its weights in registers
// for all its rows; a call for several takes each group through all of them (`GROUPS`).
//
// On L1-resident data the FMA ports bound this kernel, so nothing else goes on them where it
// can be avoided: full blocks load without masks (a zero-masked load takes FMA-port time,
// docs/performance.md), ShuffleNet's depthwise convs have no clamp to apply, and the padding
// columns are known at compile time. Groups of 7 tile the
// 56/28/14/7-wide rows exactly; on other widths the last group overlaps the one before it
// (outputs computed twice, stored twice with the same value). The first group of a row has
// its left padding column, the last one at stride 1 its right one: variants that skip those
// columns' loads and FMAs, instead of a select per column (which GCC compiled into branches
// around each load, or mask registers it then spilled).
//
// Whatever else (a clamp, rows narrower than a group, padding beyond one column) goes through
// `generic_row`: one output at a time, every tap checked.
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

enum { GROUP_WIDTH = 7 };

// Every loop over a constant range unrolls completely: GCC stops short of that by default at
// these sizes, and the accumulators then live on the stack.
#define UNROLL _Pragma("GCC unroll 16")

// R output rows x 7 output pixels whose windows start at column ix (stride S). `rows` holds the
// (R - 1) * S + 3 input rows, already offset to column ix and the block's channels (NULL in the
// padding). LEFT: column 0 is padding; RIGHT: the last column is. TAIL: fewer than 16
// channels (masked loads). Column k of a row is read once and goes into every FMA that uses it,
// so one column register is live at a time.
#define GROUP(name, R, S, LEFT, RIGHT, TAIL)                                                     \
  static inline void name(const float* const* rows, ptrdiff_t stride, __mmask16 mask,           \
                          const __m512 wk[9], const float* bias, float* const* out,              \
                          size_t ostride) {                                                      \
    enum { G = GROUP_WIDTH, COLUMNS = (G - 1) * S + 3, IN_ROWS = (R - 1) * S + 3 };              \
    __m512 acc[R][G];                                                                            \
    UNROLL for (int r = 0; r < R; r++)                                                           \
      UNROLL for (int j = 0; j < G; j++) acc[r][j] = _mm512_loadu_ps(bias);                      \
    UNROLL for (int i = 0; i < IN_ROWS; i++) {                                                   \
      if (!rows[i]) continue;                                                                    \
      /* Column k at base[k / 3] + (k % 3) * stride: the addressing modes do the rest. */       \
      const float* base[(COLUMNS + 2) / 3];                                                      \
      base[0] = rows[i];                                                                         \
      UNROLL for (int b = 1; b < (COLUMNS + 2) / 3; b++) base[b] = base[b - 1] + 3 * stride;     \
      UNROLL for (int k = 0; k < COLUMNS; k++) {                                                 \
        if ((LEFT && k == 0) || (RIGHT && k == COLUMNS - 1)) continue;                           \
        const float* at = base[k / 3] + (k % 3) * stride;                                        \
        __m512 col = TAIL ? _mm512_maskz_loadu_ps(mask, at) : _mm512_loadu_ps(at);               \
        /* Kept in a register: GCC otherwise folds the load into each FMA that uses it. */       \
        __asm__("" : "+v"(col));                                                                 \
        UNROLL for (int r = 0; r < R; r++) {                                                     \
          const int ky = i - r * S;                                                              \
          if (ky < 0 || ky > 2) continue;                                                        \
          UNROLL for (int kx = 0; kx < 3; kx++) {                                                \
            if (k < kx || (k - kx) % S != 0 || (k - kx) / S >= G) continue;                      \
            acc[r][(k - kx) / S] = _mm512_fmadd_ps(col, wk[ky * 3 + kx], acc[r][(k - kx) / S]);  \
          }                                                                                      \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
    UNROLL for (int r = 0; r < R; r++)                                                           \
      UNROLL for (int j = 0; j < G; j++) {                                                       \
        if (TAIL) {                                                                              \
          _mm512_mask_storeu_ps(out[r] + j * ostride, mask, acc[r][j]);                          \
        } else {                                                                                 \
          _mm512_storeu_ps(out[r] + j * ostride, acc[r][j]);                                     \
        }                                                                                        \
      }                                                                                          \
  }

#define LOAD_WEIGHTS(w)                                                                          \
  {_mm512_loadu_ps(w), _mm512_loadu_ps(w + 16), _mm512_loadu_ps(w + 32),                         \
   _mm512_loadu_ps(w + 48), _mm512_loadu_ps(w + 64), _mm512_loadu_ps(w + 80),                    \
   _mm512_loadu_ps(w + 96), _mm512_loadu_ps(w + 112), _mm512_loadu_ps(w + 128)}

// A row (R = 1) or a pair of rows (R = 2), group by group; the caller has checked that every
// group's columns lie within [-1, in_w]. `group_..._at` picks the variant for a group's edges.
#define ROWS(R, S, TAIL, SUFFIX)                                                                 \
  GROUP(group_r##R##_s##S##SUFFIX, R, S, 0, 0, TAIL)                                             \
  GROUP(group_r##R##_s##S##SUFFIX##_left, R, S, 1, 0, TAIL)                                      \
  GROUP(group_r##R##_s##S##SUFFIX##_right, R, S, 0, 1, TAIL)                                     \
  GROUP(group_r##R##_s##S##SUFFIX##_both, R, S, 1, 1, TAIL)                                      \
  static inline void group_r##R##_s##S##SUFFIX##_at(bool left, bool right, const float* const* at, \
                                                    ptrdiff_t stride, __mmask16 mask,           \
                                                    const __m512 wk[9], const float* bias,      \
                                                    float* const* dst, size_t ostride) {        \
    if (!left && !right) {                                                                       \
      group_r##R##_s##S##SUFFIX(at, stride, mask, wk, bias, dst, ostride);                       \
    } else if (!right) {                                                                         \
      group_r##R##_s##S##SUFFIX##_left(at, stride, mask, wk, bias, dst, ostride);                \
    } else if (!left) {                                                                          \
      group_r##R##_s##S##SUFFIX##_right(at, stride, mask, wk, bias, dst, ostride);               \
    } else {                                                                                     \
      group_r##R##_s##S##SUFFIX##_both(at, stride, mask, wk, bias, dst, ostride);                \
    }                                                                                            \
  }                                                                                              \
  static void rows_r##R##_s##S##SUFFIX(const float* const* rows, ptrdiff_t in_w, ptrdiff_t stride, \
                                       ptrdiff_t pad_left, size_t out_w, __mmask16 mask,        \
                                       const float* w, float* out, size_t ostride) {            \
    enum { COLUMNS = (GROUP_WIDTH - 1) * S + 3, IN_ROWS = (R - 1) * S + 3 };                     \
    const __m512 wk[9] = LOAD_WEIGHTS(w);                                                        \
    for (size_t ox = 0; ox < out_w; ox += GROUP_WIDTH) {                                         \
      if (ox + GROUP_WIDTH > out_w) ox = out_w - GROUP_WIDTH;                                    \
      const ptrdiff_t ix = (ptrdiff_t)(ox * S) - pad_left;                                       \
      const float* at[IN_ROWS];                                                                  \
      UNROLL for (int i = 0; i < IN_ROWS; i++) at[i] = rows[i] ? rows[i] + ix * stride : NULL;   \
      float* const dst[2] = {out + ox * ostride, out + (out_w + ox) * ostride};                  \
      group_r##R##_s##S##SUFFIX##_at(ix < 0, ix + COLUMNS > in_w, at, stride, mask, wk, w + 144, \
                                     dst, ostride);                                              \
    }                                                                                            \
  }
ROWS(1, 1, 0, )
ROWS(2, 1, 0, )
ROWS(1, 2, 0, )
ROWS(2, 2, 0, )
ROWS(1, 1, 1, _tail)
ROWS(2, 1, 1, _tail)
ROWS(1, 2, 1, _tail)
ROWS(2, 2, 1, _tail)

// The same rows for several blocks, each group through all of them before the next group: the
// loads sweep each input row's pixels front to back, all their channels, where one block at a
// time reads a line or two of every pixel (a stride of whole pixels the prefetchers follow less
// well). The weights are loaded per group and block.
#define GROUPS(R, S)                                                                             \
  static void groups_r##R##_s##S(const float* const* rows, ptrdiff_t in_w, ptrdiff_t stride,     \
                                 ptrdiff_t pad_left, size_t out_w, size_t channels,             \
                                 const float* w, float* out, size_t ostride) {                  \
    enum { COLUMNS = (GROUP_WIDTH - 1) * S + 3, IN_ROWS = (R - 1) * S + 3 };                     \
    const size_t full_blocks = channels / 16;                                                    \
    const __mmask16 tail_mask = (__mmask16)((1u << (channels % 16)) - 1u);                       \
    for (size_t ox = 0; ox < out_w; ox += GROUP_WIDTH) {                                         \
      if (ox + GROUP_WIDTH > out_w) ox = out_w - GROUP_WIDTH;                                    \
      const ptrdiff_t ix = (ptrdiff_t)(ox * S) - pad_left;                                       \
      const bool left = ix < 0, right = ix + COLUMNS > in_w;                                     \
      const float* at[IN_ROWS];                                                                  \
      UNROLL for (int i = 0; i < IN_ROWS; i++) at[i] = rows[i] ? rows[i] + ix * stride : NULL;   \
      float* dst[2] = {out + ox * ostride, out + (out_w + ox) * ostride};                        \
      const float* wb = w;                                                                       \
      for (size_t b = 0; b < full_blocks; b++) {                                                 \
        const __m512 wk[9] = LOAD_WEIGHTS(wb);                                                   \
        group_r##R##_s##S##_at(left, right, at, stride, 0xFFFF, wk, wb + 144, dst, ostride);     \
        UNROLL for (int i = 0; i < IN_ROWS; i++) at[i] = at[i] ? at[i] + 16 : NULL;              \
        dst[0] += 16;                                                                            \
        dst[1] += 16;                                                                            \
        wb += 160;                                                                               \
      }                                                                                          \
      if (tail_mask) {                                                                           \
        const __m512 wk[9] = LOAD_WEIGHTS(wb);                                                   \
        group_r##R##_s##S##_tail_at(left, right, at, stride, tail_mask, wk, wb + 144, dst,       \
                                    ostride);                                                    \
      }                                                                                          \
    }                                                                                            \
  }
GROUPS(1, 1)
GROUPS(2, 1)
GROUPS(1, 2)
GROUPS(2, 2)
#undef GROUPS
#undef ROWS
#undef GROUP
#undef LOAD_WEIGHTS
#undef UNROLL

typedef void (*rows_fn)(const float* const* rows, ptrdiff_t in_w, ptrdiff_t stride,
                        ptrdiff_t pad_left, size_t out_w, __mmask16 mask, const float* w,
                        float* out, size_t ostride);

// [tail][stride - 1][rows - 1]
static const rows_fn grouped_rows[2][2][2] = {
    {{rows_r1_s1, rows_r2_s1}, {rows_r1_s2, rows_r2_s2}},
    {{rows_r1_s1_tail, rows_r2_s1_tail}, {rows_r1_s2_tail, rows_r2_s2_tail}},
};

typedef void (*groups_fn)(const float* const* rows, ptrdiff_t in_w, ptrdiff_t stride,
                          ptrdiff_t pad_left, size_t out_w, size_t channels, const float* w,
                          float* out, size_t ostride);

// [stride - 1][rows - 1]
static const groups_fn grouped_blocks[2][2] = {{groups_r1_s1, groups_r2_s1}, {groups_r1_s2, groups_r2_s2}};

// One output row of one block (`offset` channels into the rows), one output pixel at a time,
// with the clamp.
static void generic_row(const struct sn2_dwconv2d_problem* p, const float* const rows[3], size_t offset,
                        __mmask16 mask, const float* w, float* out) {
  const __m512 vmin = _mm512_set1_ps(p->params.min), vmax = _mm512_set1_ps(p->params.max);
  out += offset;
  for (size_t ox = 0; ox < p->out_w; ox++, out += p->output_stride) {
    const ptrdiff_t ix0 = (ptrdiff_t)(ox * p->stride) - (ptrdiff_t)p->pad_left;
    __m512 acc = _mm512_maskz_loadu_ps(mask, w + 144);
    for (int ky = 0; ky < 3; ky++) {
      if (!rows[ky]) continue;
      for (int kx = 0; kx < 3; kx++) {
        const ptrdiff_t ix = ix0 + kx;
        if (ix < 0 || ix >= (ptrdiff_t)p->in_w) continue;
        const __m512 x = _mm512_maskz_loadu_ps(mask, rows[ky] + offset + ix * (ptrdiff_t)p->input_stride);
        acc = _mm512_fmadd_ps(x, _mm512_loadu_ps(w + (ky * 3 + kx) * 16), acc);
      }
    }
    _mm512_mask_storeu_ps(out, mask, _mm512_min_ps(_mm512_max_ps(acc, vmin), vmax));
  }
}

static __mmask16 block_mask(size_t channels) { return (__mmask16)((1u << (channels < 16 ? channels : 16)) - 1u); }

void sn2_f32_dwconv2d_3x3_minmax_ukernel_16c__avx512f(const struct sn2_dwconv2d_problem* p,
                                                      size_t first_block, size_t block_count,
                                                      size_t row, size_t row_count) {
  const size_t c0 = first_block * 16;
  const size_t channels = p->channels - c0 < block_count * 16 ? p->channels - c0 : block_count * 16;
  const float* w = p->packed + first_block * 160;
  const size_t s = p->stride;
  const bool grouped = sn2_dwconv2d_groups_serve(p, GROUP_WIDTH);
  size_t n = row / p->out_h, oy = row % p->out_h;
  for (size_t done = 0; done < row_count;) {
    // Two rows when both lie in the same image.
    const size_t pair = grouped && row_count - done >= 2 && oy + 1 < p->out_h ? 2 : 1;
    const float* rows[5];
    sn2_dwconv2d_input_rows(p, n, oy, pair, c0, rows);
    float* const out = p->output + ((n * p->out_h + oy) * p->out_w) * p->output_stride + c0;
    if (grouped && channels <= 16) {
      grouped_rows[channels < 16][s - 1][pair - 1](rows, (ptrdiff_t)p->in_w, (ptrdiff_t)p->input_stride,
                                                   (ptrdiff_t)p->pad_left, p->out_w, block_mask(channels),
                                                   w, out, p->output_stride);
    } else if (grouped) {
      grouped_blocks[s - 1][pair - 1](rows, (ptrdiff_t)p->in_w, (ptrdiff_t)p->input_stride,
                                      (ptrdiff_t)p->pad_left, p->out_w, channels, w, out,
                                      p->output_stride);
    } else {
      for (size_t b = 0; b * 16 < channels; b++)
        generic_row(p, rows, b * 16, block_mask(channels - b * 16), w + b * 160, out);
    }
    done += pair;
    oy += pair;
    if (oy == p->out_h) {
      oy = 0;
      n++;
    }
  }
}
