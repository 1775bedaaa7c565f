// Scalar reference implementations of every op: plain loops over strided NHWC tensors, kept
// obviously right. They are the oracle that optimized paths are tested against, and the
// scalar ISA path. None of them allocates.
#ifndef SN2_KERNELS_REFERENCE_REF_OPS_H
#define SN2_KERNELS_REFERENCE_REF_OPS_H

#include <pthreadpool.h>

#include "kernels/op-params.h"

#ifdef __cplusplus
extern "C" {
#endif

// Output rows are split over `threadpool` (NULL = calling thread); results do not depend on it.
void sn2_ref_conv2d(const struct sn2_conv2d_params* params, const struct sn2_tensor* input,
                    const struct sn2_tensor* output, pthreadpool_t threadpool);
void sn2_ref_max_pool(const struct sn2_pool_params* params, const struct sn2_tensor* input,
                      const struct sn2_tensor* output);
void sn2_ref_avg_pool(const struct sn2_pool_params* params, const struct sn2_tensor* input,
                      const struct sn2_tensor* output);
void sn2_ref_global_avg_pool(const struct sn2_tensor* input, const struct sn2_tensor* output);
void sn2_ref_fully_connected(const struct sn2_fully_connected_params* params,
                             const struct sn2_tensor* input, const struct sn2_tensor* output);
void sn2_ref_batchnorm(const struct sn2_batchnorm_params* params, const struct sn2_tensor* input,
                       const struct sn2_tensor* output);
void sn2_ref_clamp(const struct sn2_clamp_params* params, const struct sn2_tensor* input,
                   const struct sn2_tensor* output);
void sn2_ref_add(const struct sn2_tensor* a, const struct sn2_tensor* b,
                 const struct sn2_tensor* output);
void sn2_ref_softmax(const struct sn2_tensor* input, const struct sn2_tensor* output);
void sn2_ref_concat(const struct sn2_tensor* inputs, uint32_t input_count,
                    const struct sn2_tensor* output);
void sn2_ref_split(const struct sn2_tensor* input, const struct sn2_tensor* outputs,
                   uint32_t output_count);
void sn2_ref_channel_shuffle(const struct sn2_channel_shuffle_params* params,
                             const struct sn2_tensor* input, const struct sn2_tensor* output);

// Pointer to pixel (n, y, x) of a tensor.
static inline float* sn2_tensor_pixel(const struct sn2_tensor* t, uint32_t n, uint32_t y,
                                      uint32_t x) {
  return t->data + (((size_t)n * t->shape.h + y) * t->shape.w + x) * t->pixel_stride;
}

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_REFERENCE_REF_OPS_H
