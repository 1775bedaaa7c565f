// Scalar reference implementations of every op: plain loops over strided NHWC tensors, kept
// obviously right. They are the oracle that optimized paths are tested against, and the
// scalar ISA path. None of them allocates.
#ifndef SN2_KERNELS_REFERENCE_REF_OPS_H
#define SN2_KERNELS_REFERENCE_REF_OPS_H

#include <pthreadpool.h>
#include <stdbool.h>
#include <stddef.h>

#include "kernels/op-params.h"

#ifdef __cplusplus
extern "C" {
#endif

// Output rows are split over `threadpool` (NULL = calling thread); results do not depend on it.
// `residual`: the second input where params->residual (else ignored); `output` may be its storage.
void sn2_ref_conv2d(const struct sn2_conv2d_params* params, const struct sn2_tensor* input,
                    const struct sn2_tensor* residual, const struct sn2_tensor* output, pthreadpool_t threadpool);
void sn2_ref_max_pool(const struct sn2_pool_params* params, const struct sn2_tensor* input,
                      const struct sn2_tensor* output);
void sn2_ref_avg_pool(const struct sn2_pool_params* params, const struct sn2_tensor* input,
                      const struct sn2_tensor* output);
void sn2_ref_global_avg_pool(const struct sn2_tensor* input, const struct sn2_tensor* output);
void sn2_ref_fully_connected(const struct sn2_fully_connected_params* params,
                             const struct sn2_tensor* input, const struct sn2_tensor* output);
void sn2_ref_batchnorm(const struct sn2_batchnorm_params* params, const struct sn2_tensor* input,
                       const struct sn2_tensor* output);
void sn2_ref_channel_shuffle(const struct sn2_channel_shuffle_params* params,
                             const struct sn2_tensor* input, const struct sn2_tensor* output);

// Any-rank ops on strided tensors (dims and strides of struct sn2_tensor).
void sn2_ref_clamp(const struct sn2_clamp_params* params, const struct sn2_tensor* input,
                   const struct sn2_tensor* output);
void sn2_ref_binary(const struct sn2_binary_params* params, const struct sn2_tensor* a,
                    const struct sn2_tensor* b, const struct sn2_tensor* output);
void sn2_ref_softmax(const struct sn2_softmax_params* params, const struct sn2_tensor* input,
                     const struct sn2_tensor* output);
// Copies between two tensors of the same dims (any strides; rank-4 channel views too).
void sn2_ref_copy(const struct sn2_tensor* input, const struct sn2_tensor* output);
void sn2_ref_concat(uint32_t axis, const struct sn2_tensor* inputs, uint32_t input_count,
                    const struct sn2_tensor* output);
void sn2_ref_split(uint32_t axis, const struct sn2_tensor* input,
                   const struct sn2_tensor* outputs, uint32_t output_count);
void sn2_ref_slice(const struct sn2_slice_params* params, const struct sn2_tensor* input,
                   const struct sn2_tensor* output);
void sn2_ref_transpose(const struct sn2_transpose_params* params, const struct sn2_tensor* input,
                       const struct sn2_tensor* output);
// Same elements in row-major logical order, other dims.
void sn2_ref_reshape(const struct sn2_tensor* input, const struct sn2_tensor* output);
void sn2_ref_matmul(const struct sn2_tensor* a, const struct sn2_tensor* b,
                    const struct sn2_tensor* output);
void sn2_ref_reduce_mean(const struct sn2_reduce_params* params, const struct sn2_tensor* input,
                         const struct sn2_tensor* output);
void sn2_ref_gather(const struct sn2_gather_params* params, const struct sn2_tensor* input,
                    const struct sn2_tensor* output);

// Advances a row-major multi-index over `dims`; false after the last one.
static inline bool sn2_next_index(uint32_t rank, const uint32_t* dims, uint32_t* index) {
  for (uint32_t d = rank; d-- > 0;) {
    if (++index[d] < dims[d]) return true;
    index[d] = 0;
  }
  return false;
}

// The axis to run innermost over `t`: one where it has unit stride (rank-4 values: channels),
// else the last.
static inline uint32_t sn2_inner_axis(const struct sn2_tensor* t) {
  for (uint32_t d = t->rank; d-- > 0;) {
    if (t->strides[d] == 1 && t->dims[d] > 1) return d;
  }
  return t->rank - 1;
}

static inline ptrdiff_t sn2_offset_of(uint32_t rank, const ptrdiff_t* strides,
                                      const uint32_t* index) {
  ptrdiff_t offset = 0;
  for (uint32_t d = 0; d < rank; d++) offset += (ptrdiff_t)index[d] * strides[d];
  return offset;
}

// Offset of channel c within a pixel of a rank-4 tensor (through its slot table, if any).
static inline size_t sn2_channel_slot(const struct sn2_tensor* t, uint32_t c) {
  return t->channel_slots ? t->channel_slots[c] : c;
}

// Pointer to pixel (n, y, x) of a tensor.
static inline float* sn2_tensor_pixel(const struct sn2_tensor* t, uint32_t n, uint32_t y,
                                      uint32_t x) {
  return t->data + (((size_t)n * t->shape.h + y) * t->shape.w + x) * t->pixel_stride;
}

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_REFERENCE_REF_OPS_H
