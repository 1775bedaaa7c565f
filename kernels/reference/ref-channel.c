// Ops that only move data: copies between strided views of the same logical elements.
#include <string.h>

#include "kernels/reference/ref-ops.h"

// Channel views: one pixel at a time, through the slot tables.
static void copy_channel_views(const struct sn2_tensor* in, const struct sn2_tensor* out) {
  for (uint32_t n = 0; n < out->shape.n; n++)
    for (uint32_t y = 0; y < out->shape.h; y++)
      for (uint32_t x = 0; x < out->shape.w; x++) {
        const float* src = sn2_tensor_pixel(in, n, y, x);
        float* dst = sn2_tensor_pixel(out, n, y, x);
        for (uint32_t c = 0; c < out->shape.c; c++) dst[sn2_channel_slot(out, c)] = src[sn2_channel_slot(in, c)];
      }
}

void sn2_ref_copy(const struct sn2_tensor* input, const struct sn2_tensor* output) {
  if (input->channel_slots || output->channel_slots) {
    copy_channel_views(input, output);
    return;
  }
  // Rows along the output's unit-stride axis: memcpy where the input is contiguous there too.
  const uint32_t rank = output->rank, k = sn2_inner_axis(output);
  uint32_t outer[SN2_MAX_RANK];
  memcpy(outer, output->dims, rank * sizeof *outer);
  outer[k] = 1;
  const uint32_t n = output->dims[k];
  const ptrdiff_t si = input->strides[k], so = output->strides[k];
  uint32_t index[SN2_MAX_RANK] = {0};
  do {
    const float* src = input->data + sn2_offset_of(rank, input->strides, index);
    float* dst = output->data + sn2_offset_of(rank, output->strides, index);
    if (si == 1 && so == 1) {
      memcpy(dst, src, n * sizeof(float));
    } else {
      for (uint32_t j = 0; j < n; j++) dst[j * so] = src[j * si];
    }
  } while (sn2_next_index(rank, outer, index));
}

// The part of `t` that starts at `offset` along `axis` and is `extent` long.
static struct sn2_tensor part_of(const struct sn2_tensor* t, uint32_t axis, uint32_t offset,
                                 uint32_t extent) {
  struct sn2_tensor part = *t;
  part.dims[axis] = extent;
  if (t->channel_slots && axis == 1) {
    part.channel_slots += offset;
    part.shape.c = extent;
    return part;
  }
  part.data += (ptrdiff_t)offset * t->strides[axis];
  if (t->rank == 4 && axis == 1) part.shape.c = extent;
  if (t->rank == 4 && axis == 2) part.shape.h = extent;
  if (t->rank == 4 && axis == 3) part.shape.w = extent;
  if (t->rank == 4 && axis == 0) part.shape.n = extent;
  return part;
}

void sn2_ref_concat(uint32_t axis, const struct sn2_tensor* inputs, uint32_t input_count,
                    const struct sn2_tensor* output) {
  uint32_t offset = 0;
  for (uint32_t i = 0; i < input_count; i++) {
    const struct sn2_tensor part = part_of(output, axis, offset, inputs[i].dims[axis]);
    sn2_ref_copy(&inputs[i], &part);
    offset += inputs[i].dims[axis];
  }
}

void sn2_ref_split(uint32_t axis, const struct sn2_tensor* input,
                   const struct sn2_tensor* outputs, uint32_t output_count) {
  uint32_t offset = 0;
  for (uint32_t i = 0; i < output_count; i++) {
    const struct sn2_tensor part = part_of(input, axis, offset, outputs[i].dims[axis]);
    sn2_ref_copy(&part, &outputs[i]);
    offset += outputs[i].dims[axis];
  }
}

void sn2_ref_slice(const struct sn2_slice_params* p, const struct sn2_tensor* input,
                   const struct sn2_tensor* output) {
  struct sn2_tensor view = *input;
  for (uint32_t d = 0; d < input->rank; d++) {
    view.data += p->starts[d] * input->strides[d];
    view.strides[d] = input->strides[d] * p->steps[d];
    view.dims[d] = p->counts[d];
  }
  sn2_ref_copy(&view, output);
}

void sn2_ref_transpose(const struct sn2_transpose_params* p, const struct sn2_tensor* input,
                       const struct sn2_tensor* output) {
  struct sn2_tensor view = *input;
  for (uint32_t d = 0; d < input->rank; d++) {
    view.dims[d] = input->dims[p->perm[d]];
    view.strides[d] = input->strides[p->perm[d]];
  }
  sn2_ref_copy(&view, output);
}

void sn2_ref_reshape(const struct sn2_tensor* input, const struct sn2_tensor* output) {
  uint32_t in_index[SN2_MAX_RANK] = {0}, out_index[SN2_MAX_RANK] = {0};
  do {
    output->data[sn2_offset_of(output->rank, output->strides, out_index)] =
        input->data[sn2_offset_of(input->rank, input->strides, in_index)];
    sn2_next_index(input->rank, input->dims, in_index);
  } while (sn2_next_index(output->rank, output->dims, out_index));
}

void sn2_ref_gather(const struct sn2_gather_params* p, const struct sn2_tensor* input,
                    const struct sn2_tensor* output) {
  // Output axes: input axes before `axis`, then the index axes, then input axes after it.
  uint32_t out_index[SN2_MAX_RANK] = {0};
  do {
    uint32_t in_index[SN2_MAX_RANK] = {0};
    size_t flat = 0;
    uint32_t o = 0;
    for (uint32_t d = 0; d < p->axis; d++) in_index[d] = out_index[o++];
    for (uint32_t d = 0; d < p->index_rank; d++) flat = flat * p->index_dims[d] + out_index[o++];
    in_index[p->axis] = (uint32_t)p->indices[flat];
    for (uint32_t d = p->axis + 1; d < input->rank; d++) in_index[d] = out_index[o++];
    output->data[sn2_offset_of(output->rank, output->strides, out_index)] =
        input->data[sn2_offset_of(input->rank, input->strides, in_index)];
  } while (sn2_next_index(output->rank, output->dims, out_index));
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
          for (uint32_t j = 0; j < groups; j++) {
            dst[sn2_channel_slot(output, i * groups + j)] = src[sn2_channel_slot(input, j * per_group + i)];
          }
      }
}
