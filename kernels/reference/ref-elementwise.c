#include <math.h>
#include <string.h>

#include "kernels/reference/ref-ops.h"

void sn2_ref_fully_connected(const struct sn2_fully_connected_params* p,
                             const struct sn2_tensor* input, const struct sn2_tensor* output) {
  // Input [N, C] or [N, C, 1, 1]: row n at n * strides[0], channels at stride strides[1].
  for (uint32_t n = 0; n < input->dims[0]; n++) {
    const float* src = input->data + (ptrdiff_t)n * input->strides[0];
    float* dst = output->data + (ptrdiff_t)n * output->strides[0];
    for (uint32_t k = 0; k < p->output_channels; k++) {
      const float* w = p->weights + (size_t)k * p->input_channels;
      float acc = p->bias ? p->bias[k] : 0.0f;
      for (uint32_t c = 0; c < p->input_channels; c++) acc += src[c * input->strides[1]] * w[c];
      dst[k * output->strides[1]] = fminf(fmaxf(acc, p->output_min), p->output_max);
    }
  }
}

void sn2_ref_batchnorm(const struct sn2_batchnorm_params* p, const struct sn2_tensor* input,
                       const struct sn2_tensor* output) {
  for (uint32_t n = 0; n < output->shape.n; n++)
    for (uint32_t y = 0; y < output->shape.h; y++)
      for (uint32_t x = 0; x < output->shape.w; x++) {
        const float* src = sn2_tensor_pixel(input, n, y, x);
        float* dst = sn2_tensor_pixel(output, n, y, x);
        for (uint32_t c = 0; c < output->shape.c; c++) {
          dst[c] = (src[c] - p->mean[c]) / sqrtf(p->var[c] + p->epsilon) * p->scale[c] + p->bias[c];
        }
      }
}

void sn2_ref_clamp(const struct sn2_clamp_params* p, const struct sn2_tensor* input,
                   const struct sn2_tensor* output) {
  const uint32_t rank = output->rank, k = sn2_inner_axis(output);
  uint32_t outer[SN2_MAX_RANK];
  memcpy(outer, output->dims, rank * sizeof *outer);
  outer[k] = 1;
  const ptrdiff_t si = input->strides[k], so = output->strides[k];
  uint32_t index[SN2_MAX_RANK] = {0};
  do {
    const float* src = input->data + sn2_offset_of(rank, input->strides, index);
    float* dst = output->data + sn2_offset_of(rank, output->strides, index);
    for (uint32_t j = 0; j < output->dims[k]; j++) dst[j * so] = fminf(fmaxf(src[j * si], p->min), p->max);
  } while (sn2_next_index(rank, outer, index));
}

// Strides of `t` seen from an output of rank `rank` under numpy broadcasting: 0 on the axes
// that `t` lacks or has as 1.
static void broadcast_strides(const struct sn2_tensor* t, uint32_t rank, ptrdiff_t* strides) {
  for (uint32_t d = 0; d < rank; d++) {
    const int64_t j = (int64_t)d - (int64_t)(rank - t->rank);
    strides[d] = j >= 0 && t->dims[j] != 1 ? t->strides[j] : 0;
  }
}

void sn2_ref_binary(const struct sn2_binary_params* params, const struct sn2_tensor* a,
                    const struct sn2_tensor* b, const struct sn2_tensor* output) {
  const enum sn2_binary_kind kind = params->kind;
  ptrdiff_t sa[SN2_MAX_RANK], sb[SN2_MAX_RANK];
  broadcast_strides(a, output->rank, sa);
  broadcast_strides(b, output->rank, sb);
  const uint32_t rank = output->rank, k = sn2_inner_axis(output);
  uint32_t outer[SN2_MAX_RANK];
  memcpy(outer, output->dims, rank * sizeof *outer);
  outer[k] = 1;
  uint32_t index[SN2_MAX_RANK] = {0};
  do {
    const float* pa = a->data + sn2_offset_of(rank, sa, index);
    const float* pb = b->data + sn2_offset_of(rank, sb, index);
    float* po = output->data + sn2_offset_of(rank, output->strides, index);
    for (uint32_t j = 0; j < output->dims[k]; j++) {
      const float x = pa[j * sa[k]], y = pb[j * sb[k]];
      float r;
      switch (kind) {
        case sn2_binary_add: r = x + y; break;
        case sn2_binary_sub: r = x - y; break;
        case sn2_binary_mul: r = x * y; break;
        default: r = x / y; break;
      }
      if (params->clamped) r = fminf(fmaxf(r, params->output_min), params->output_max);
      po[j * output->strides[k]] = r;
    }
  } while (sn2_next_index(rank, outer, index));
}

void sn2_ref_softmax(const struct sn2_softmax_params* p, const struct sn2_tensor* input,
                     const struct sn2_tensor* output) {
  // Rows are the axes normalised together: `axis` alone, or with coerce_2d all from it on.
  const uint32_t rank = input->rank;
  uint32_t outer_dims[SN2_MAX_RANK], row_dims[SN2_MAX_RANK];
  for (uint32_t d = 0; d < rank; d++) {
    const bool in_row = d == p->axis || (p->coerce_2d && d > p->axis);
    row_dims[d] = in_row ? input->dims[d] : 1;
    outer_dims[d] = in_row ? 1 : input->dims[d];
  }
  uint32_t outer[SN2_MAX_RANK] = {0};
  do {
    const float* src = input->data + sn2_offset_of(rank, input->strides, outer);
    float* dst = output->data + sn2_offset_of(rank, output->strides, outer);
    uint32_t i[SN2_MAX_RANK] = {0};
    float max = -INFINITY, sum = 0.0f;
    do max = fmaxf(max, src[sn2_offset_of(rank, input->strides, i)]);
    while (sn2_next_index(rank, row_dims, i));
    do sum += expf(src[sn2_offset_of(rank, input->strides, i)] - max);
    while (sn2_next_index(rank, row_dims, i));
    // Written after the sums, so softmax may run in place.
    do {
      dst[sn2_offset_of(rank, output->strides, i)] =
          expf(src[sn2_offset_of(rank, input->strides, i)] - max) / sum;
    } while (sn2_next_index(rank, row_dims, i));
  } while (sn2_next_index(rank, outer_dims, outer));
}
