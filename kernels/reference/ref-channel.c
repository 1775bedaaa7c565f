#include <string.h>

#include "kernels/reference/ref-ops.h"

void sn2_ref_concat(const struct sn2_tensor* inputs, uint32_t input_count,
                    const struct sn2_tensor* output) {
  uint32_t offset = 0;
  for (uint32_t i = 0; i < input_count; i++) {
    const struct sn2_tensor* in = &inputs[i];
    for (uint32_t n = 0; n < in->shape.n; n++)
      for (uint32_t y = 0; y < in->shape.h; y++)
        for (uint32_t x = 0; x < in->shape.w; x++) {
          memcpy(sn2_tensor_pixel(output, n, y, x) + offset, sn2_tensor_pixel(in, n, y, x),
                 in->shape.c * sizeof(float));
        }
    offset += in->shape.c;
  }
}

void sn2_ref_split(const struct sn2_tensor* input, const struct sn2_tensor* outputs,
                   uint32_t output_count) {
  uint32_t offset = 0;
  for (uint32_t i = 0; i < output_count; i++) {
    const struct sn2_tensor* out = &outputs[i];
    for (uint32_t n = 0; n < out->shape.n; n++)
      for (uint32_t y = 0; y < out->shape.h; y++)
        for (uint32_t x = 0; x < out->shape.w; x++) {
          memcpy(sn2_tensor_pixel(out, n, y, x), sn2_tensor_pixel(input, n, y, x) + offset,
                 out->shape.c * sizeof(float));
        }
    offset += out->shape.c;
  }
}

void sn2_ref_channel_shuffle(const struct sn2_channel_shuffle_params* p,
                             const struct sn2_tensor* input, const struct sn2_tensor* output) {
  const uint32_t groups = p->groups;
  const uint32_t per_group = input->shape.c / groups;
  for (uint32_t n = 0; n < input->shape.n; n++)
    for (uint32_t y = 0; y < input->shape.h; y++)
      for (uint32_t x = 0; x < input->shape.w; x++) {
        const float* src = sn2_tensor_pixel(input, n, y, x);
        float* dst = sn2_tensor_pixel(output, n, y, x);
        for (uint32_t i = 0; i < per_group; i++)
          for (uint32_t j = 0; j < groups; j++) dst[i * groups + j] = src[j * per_group + i];
      }
}
