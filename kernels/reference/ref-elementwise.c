#include <math.h>

#include "kernels/reference/ref-ops.h"

void sn2_ref_fully_connected(const struct sn2_fully_connected_params* p,
                             const struct sn2_tensor* input, const struct sn2_tensor* output) {
  for (uint32_t n = 0; n < input->shape.n; n++) {
    const float* src = sn2_tensor_pixel(input, n, 0, 0);
    float* dst = sn2_tensor_pixel(output, n, 0, 0);
    for (uint32_t k = 0; k < p->output_channels; k++) {
      const float* w = p->weights + (size_t)k * p->input_channels;
      float acc = p->bias ? p->bias[k] : 0.0f;
      for (uint32_t c = 0; c < p->input_channels; c++) acc += src[c] * w[c];
      dst[k] = fminf(fmaxf(acc, p->output_min), p->output_max);
    }
  }
}

// Calls body(dst, src, c) for every pixel of two same-shaped tensors.
#define FOR_EACH_PIXEL(in, out, body)                                          \
  for (uint32_t n = 0; n < (out)->shape.n; n++)                                \
    for (uint32_t y = 0; y < (out)->shape.h; y++)                              \
      for (uint32_t x = 0; x < (out)->shape.w; x++) {                          \
        const float* src = sn2_tensor_pixel((in), n, y, x);                    \
        float* dst = sn2_tensor_pixel((out), n, y, x);                         \
        body                                                                   \
      }

void sn2_ref_batchnorm(const struct sn2_batchnorm_params* p, const struct sn2_tensor* input,
                       const struct sn2_tensor* output) {
  FOR_EACH_PIXEL(input, output, {
    for (uint32_t c = 0; c < output->shape.c; c++) {
      dst[c] = (src[c] - p->mean[c]) / sqrtf(p->var[c] + p->epsilon) * p->scale[c] + p->bias[c];
    }
  })
}

void sn2_ref_clamp(const struct sn2_clamp_params* p, const struct sn2_tensor* input,
                   const struct sn2_tensor* output) {
  FOR_EACH_PIXEL(input, output, {
    for (uint32_t c = 0; c < output->shape.c; c++) dst[c] = fminf(fmaxf(src[c], p->min), p->max);
  })
}

void sn2_ref_add(const struct sn2_tensor* a, const struct sn2_tensor* b,
                 const struct sn2_tensor* output) {
  FOR_EACH_PIXEL(a, output, {
    const float* src_b = sn2_tensor_pixel(b, n, y, x);
    for (uint32_t c = 0; c < output->shape.c; c++) dst[c] = src[c] + src_b[c];
  })
}

void sn2_ref_softmax(const struct sn2_tensor* input, const struct sn2_tensor* output) {
  FOR_EACH_PIXEL(input, output, {
    float max = -INFINITY;
    for (uint32_t c = 0; c < output->shape.c; c++) max = fmaxf(max, src[c]);
    float sum = 0.0f;
    for (uint32_t c = 0; c < output->shape.c; c++) sum += expf(src[c] - max);
    // Stored after the sum, so softmax may run in place (dst == src).
    for (uint32_t c = 0; c < output->shape.c; c++) dst[c] = expf(src[c] - max) / sum;
  })
}
