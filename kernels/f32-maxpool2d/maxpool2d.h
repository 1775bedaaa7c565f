// 3x3 max-pooling micro-kernels, stride 2, on NHWC feature maps (any pixel stride), with at most
// one padding row or column on each side (the stem's pool: 112x112 -> 56x56). One call computes
// one output row, all channels, from its window's three input rows (the driver finds them in a
// map, sn2_maxpool2d_window_rows, or in the fused stem's ring). The padding never enters a max: a window's row or column
// outside the map is replaced by its nearest one inside the map, which the window also holds (max
// is idempotent), so no -inf fill and no branch per tap.
#ifndef SN2_KERNELS_F32_MAXPOOL2D_MAXPOOL2D_H
#define SN2_KERNELS_F32_MAXPOOL2D_MAXPOOL2D_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_maxpool2d_problem {
  size_t batch, in_h, in_w, out_h, out_w, channels;
  uint32_t pad_top, pad_left;
  const float* input;
  size_t input_stride;  // floats per input pixel
  float* output;
  size_t output_stride;
};

// Index i of a row or column clamped into [0, size): a padding row or column's nearest one inside
// the map.
static inline size_t sn2_maxpool2d_clamp_index(ptrdiff_t i, size_t size) {
  return i < 0 ? 0 : (size_t)i >= size ? size - 1 : (size_t)i;
}

// The three input rows of output row r (r = n * out_h + oy), padding rows clamped as above.
static inline void sn2_maxpool2d_window_rows(const struct sn2_maxpool2d_problem* p, size_t r, const float* rows[3]) {
  const size_t n = r / p->out_h, oy = r % p->out_h, row_floats = p->in_w * p->input_stride;
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * 2) - (ptrdiff_t)p->pad_top;
  const float* image = p->input + n * p->in_h * row_floats;
  for (int k = 0; k < 3; k++) rows[k] = image + sn2_maxpool2d_clamp_index(iy0 + k, p->in_h) * row_floats;
}

// One output row (all channels) from the window's three input rows, given as pointers (rows
// outside the map replaced by their nearest inside, as above). p->input, in_h, out_h and batch
// are not read.
typedef void (*sn2_f32_maxpool2d_row_fn)(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                                         float* output);

void sn2_f32_maxpool2d_3x3s2_row_16c__avx512f(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                                               float* output);
void sn2_f32_maxpool2d_3x3s2_row_8c__avx2(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                                           float* output);
void sn2_f32_maxpool2d_3x3s2_row_1c__scalar(const struct sn2_maxpool2d_problem* p, const float* const rows[3],
                                             float* output);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_F32_MAXPOOL2D_MAXPOOL2D_H
