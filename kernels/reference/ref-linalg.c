// Batched matrix multiplication and mean reduction over any rank.
#include "kernels/reference/ref-ops.h"

void sn2_ref_matmul(const struct sn2_tensor* a, const struct sn2_tensor* b,
                    const struct sn2_tensor* output) {
  const uint32_t rank = output->rank;
  const uint32_t m = output->dims[rank - 2], n = output->dims[rank - 1];
  const uint32_t k = a->dims[a->rank - 1];
  // Batch axes, right-aligned and broadcast (stride 0 where an operand has 1 or lacks them).
  uint32_t batch_dims[SN2_MAX_RANK];
  ptrdiff_t sa[SN2_MAX_RANK], sb[SN2_MAX_RANK];
  for (uint32_t d = 0; d + 2 < rank; d++) {
    const int64_t ja = (int64_t)d - (int64_t)(rank - a->rank);
    const int64_t jb = (int64_t)d - (int64_t)(rank - b->rank);
    sa[d] = ja >= 0 && a->dims[ja] != 1 ? a->strides[ja] : 0;
    sb[d] = jb >= 0 && b->dims[jb] != 1 ? b->strides[jb] : 0;
    batch_dims[d] = output->dims[d];
  }
  const ptrdiff_t a_row = a->strides[a->rank - 2], a_col = a->strides[a->rank - 1];
  const ptrdiff_t b_row = b->strides[b->rank - 2], b_col = b->strides[b->rank - 1];
  const ptrdiff_t o_row = output->strides[rank - 2], o_col = output->strides[rank - 1];
  uint32_t batch[SN2_MAX_RANK] = {0};
  do {
    const float* pa = a->data + sn2_offset_of(rank - 2, sa, batch);
    const float* pb = b->data + sn2_offset_of(rank - 2, sb, batch);
    float* po = output->data + sn2_offset_of(rank - 2, output->strides, batch);
    for (uint32_t i = 0; i < m; i++) {
      for (uint32_t j = 0; j < n; j++) {
        float acc = 0.0f;
        for (uint32_t q = 0; q < k; q++) acc += pa[i * a_row + q * a_col] * pb[q * b_row + j * b_col];
        po[i * o_row + j * o_col] = acc;
      }
    }
  } while (rank > 2 && sn2_next_index(rank - 2, batch_dims, batch));
}

void sn2_ref_reduce_mean(const struct sn2_reduce_params* p, const struct sn2_tensor* input,
                         const struct sn2_tensor* output) {
  const uint32_t rank = input->rank;
  // For each input axis: its stride in the output (0 for reduced axes), and the two index
  // spaces: kept axes (outer) and reduced axes (inner).
  ptrdiff_t out_strides[SN2_MAX_RANK];
  uint32_t outer_dims[SN2_MAX_RANK], inner_dims[SN2_MAX_RANK];
  uint32_t o = 0;
  uint64_t count = 1;
  for (uint32_t d = 0; d < rank; d++) {
    const bool reduced = p->axes_mask >> d & 1;
    outer_dims[d] = reduced ? 1 : input->dims[d];
    inner_dims[d] = reduced ? input->dims[d] : 1;
    if (reduced) count *= input->dims[d];
    if (!reduced) {
      out_strides[d] = output->strides[o++];
    } else {
      out_strides[d] = 0;
      if (p->keepdims) o++;
    }
  }
  uint32_t outer[SN2_MAX_RANK] = {0};
  do {
    const float* src = input->data + sn2_offset_of(rank, input->strides, outer);
    uint32_t inner[SN2_MAX_RANK] = {0};
    float sum = 0.0f;
    do sum += src[sn2_offset_of(rank, input->strides, inner)];
    while (sn2_next_index(rank, inner_dims, inner));
    output->data[sn2_offset_of(rank, out_strides, outer)] = sum / (float)count;
  } while (sn2_next_index(rank, outer_dims, outer));
}
