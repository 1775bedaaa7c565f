// 4 pixels x 4 output channels in portable C (no ISA flags): the 1x1 kernel of the scalar path,
// so that a CPU with none of the SIMD paths (or a forced `--isa scalar`) still reads and writes
// channel views in place through the slot tables and runs. A 4x4 tile keeps its 16 sums in
// registers on x86-64 and aarch64 (as four vectors where the compiler packs rows); a block of 4
// channels wastes at most 2 lanes on ShuffleNet's widths (all even).
#include "kernels/f32-pwconv/pwconv.h"

enum { MR = 4, NR = 4 };

void sn2_f32_pwconv_minmax_ukernel_4x4__scalar(
    size_t rows, size_t k, size_t n, const float* const* input_rows, const uint32_t* input_slots,
    const float* packed, float* const* output_rows, const struct sn2_pwconv_run* runs,
    size_t run_count, const void* prefetch, const struct sn2_f32_pwconv_params* params) {
  (void)n;         // the runs cover the block's n channels
  (void)prefetch;  // the scalar path's layers are compute-bound; nothing to hide
  float acc[MR][NR];
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < NR; j++) acc[r][j] = packed[j];
  const float* i0 = input_rows[0];
  const float* i1 = input_rows[1];
  const float* i2 = input_rows[2];
  const float* i3 = input_rows[3];
  const float* w = packed + NR;
  // One input channel per step: its four pixels' values times the block's four weights.
  for (size_t q = 0; q < k; q++, w += NR) {
    const uint32_t s = input_slots[q];
    const float x[MR] = {i0[s], i1[s], i2[s], i3[s]};
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) acc[r][j] += x[r] * w[j];
  }
  // The SIMD kernels' clamp: max then min, each keeping the bound when the value is NaN. Only
  // the `rows` distinct pixels store (tail rows repeat the last one, whose prior value an
  // accumulating store reads).
  const float lo = params->min, hi = params->max;
  for (size_t i = 0; i < run_count; i++) {
    const size_t begin = runs[i].begin, end = runs[i].end, offset = runs[i].offset;
    for (size_t r = 0; r < rows; r++) {
      for (size_t j = begin; j < end; j++) {
        float* out = &output_rows[r][offset + (j - begin)];
        float v = params->accumulate ? acc[r][j] + *out : acc[r][j];
        v = v > lo ? v : lo;
        *out = v < hi ? v : hi;
      }
    }
  }
}
