// Depthwise 3x3 convolution micro-kernels on NHWC feature maps (any pixel stride), stride 1 or
// 2, any padding, with fused bias and clamp. One call computes a range of output rows for one
// block of channels; the weights and bias of the block stay in registers along them. Channel
// tails use masked loads and stores: nothing is read or written past the channels.
#ifndef SN2_KERNELS_F32_DWCONV2D_DWCONV2D_H
#define SN2_KERNELS_F32_DWCONV2D_DWCONV2D_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-pwconv/pwconv.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_dwconv2d_problem {
  size_t batch, in_h, in_w, out_h, out_w, channels;
  uint32_t stride, pad_top, pad_left;
  const float* input;
  size_t input_stride;  // floats per input pixel
  const float* packed;  // per block of CB channels: 9 weight rows then the bias row, CB each
  float* output;
  size_t output_stride;
  struct sn2_f32_minmax_params params;
};

// Computes output rows row .. row + rows - 1 (row = n * out_h + oy; may cross images) for
// channel blocks first_block .. first_block + blocks - 1 (the last may be partial). In which
// order it walks them is the kernel's choice (the AVX-512 one takes each group of pixels
// through all the blocks).
typedef void (*sn2_f32_dwconv2d_ukernel_fn)(const struct sn2_dwconv2d_problem* p, size_t first_block,
                                            size_t blocks, size_t row, size_t rows);

// For the kernels that compute groups of `group_width` output pixels with their edge columns
// known at compile time: true where such groups serve the problem (no clamp, rows of at least
// a group, at most one padding column on either side: the right one, the last output's window
// ends at most one column past the row).
static inline bool sn2_dwconv2d_groups_serve(const struct sn2_dwconv2d_problem* p, size_t group_width) {
  return p->params.min == -INFINITY && p->params.max == INFINITY && p->out_w >= group_width && p->pad_left <= 1 &&
         (p->out_w - 1) * p->stride + 2 <= p->in_w + p->pad_left;
}

// The (pair - 1) * stride + 3 input rows of output rows oy .. oy + pair - 1 of image n (pair 1
// or 2), at channel c0; NULL for rows in the padding.
static inline void sn2_dwconv2d_input_rows(const struct sn2_dwconv2d_problem* p, size_t n, size_t oy, size_t pair,
                                           size_t c0, const float* rows[5]) {
  const ptrdiff_t iy0 = (ptrdiff_t)(oy * p->stride) - (ptrdiff_t)p->pad_top;
  for (ptrdiff_t i = 0; i < (ptrdiff_t)((pair - 1) * p->stride + 3); i++) {
    const ptrdiff_t iy = iy0 + i;
    rows[i] = iy >= 0 && iy < (ptrdiff_t)p->in_h ? p->input + ((n * p->in_h + (size_t)iy) * p->in_w) * p->input_stride + c0
                                                 : NULL;
  }
}

// Packed size in floats and the packing for blocks of `cb` channels; `weights` is [c][3][3]
// (sn2's conv layout for a depthwise conv), `bias` may be NULL.
size_t sn2_f32_dwconv2d_packed_size(size_t channels, size_t cb);
void sn2_f32_dwconv2d_pack(size_t channels, size_t cb, const float* weights, const float* bias,
                           float* packed);

void sn2_f32_dwconv2d_3x3_minmax_ukernel_16c__avx512f(const struct sn2_dwconv2d_problem* p,
                                                      size_t first_block, size_t blocks, size_t row, size_t rows);
void sn2_f32_dwconv2d_3x3_minmax_ukernel_8c__avx2(const struct sn2_dwconv2d_problem* p,
                                                  size_t first_block, size_t blocks, size_t row, size_t rows);
void sn2_f32_dwconv2d_3x3_minmax_ukernel_4c__scalar(const struct sn2_dwconv2d_problem* p,
                                                    size_t first_block, size_t blocks, size_t row, size_t rows);
void sn2_f32_dwconv2d_3x3_minmax_ukernel_4c__neon(const struct sn2_dwconv2d_problem* p,
                                                  size_t first_block, size_t blocks, size_t row, size_t rows);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_F32_DWCONV2D_DWCONV2D_H
