#include <string.h>

#include "kernels/f32-pwconv/pwconv.h"

size_t sn2_f32_pwconv_packed_size(size_t k, size_t n, size_t nr) {
  const size_t blocks = (n + nr - 1) / nr;
  return blocks * nr * (k + 1);
}

void sn2_f32_pwconv_pack(size_t k, size_t n, size_t nr, const float* weights, const float* bias,
                         float* packed) {
  const size_t blocks = (n + nr - 1) / nr;
  memset(packed, 0, blocks * nr * (k + 1) * sizeof *packed);
  for (size_t b = 0; b < blocks; b++) {
    float* block = packed + b * nr * (k + 1);
    for (size_t j = 0; j < nr && b * nr + j < n; j++) {
      const size_t o = b * nr + j;
      block[j] = bias ? bias[o] : 0.0f;
      for (size_t q = 0; q < k; q++) block[(q + 1) * nr + j] = weights[o * k + q];
    }
  }
}

size_t sn2_f32_pwconv_make_runs(size_t n, size_t nr, const uint32_t* slots,
                                struct sn2_pwconv_run* runs, uint32_t* block_first) {
  const size_t blocks = (n + nr - 1) / nr;
  size_t count = 0;
  for (size_t b = 0; b < blocks; b++) {
    block_first[b] = (uint32_t)count;
    const size_t first = b * nr, last = first + nr < n ? first + nr : n;
    for (size_t j = first; j < last; j++) {
      const uint32_t slot = slots ? slots[j] : (uint32_t)j;
      struct sn2_pwconv_run* run = count > block_first[b] ? &runs[count - 1] : NULL;
      if (run && run->offset + (run->end - run->begin) == slot) {
        run->end++;
      } else {
        runs[count++] = (struct sn2_pwconv_run){(uint32_t)(j - first), (uint32_t)(j - first + 1), slot};
      }
    }
  }
  block_first[blocks] = (uint32_t)count;
  return count;
}

const void* sn2_f32_pwconv_prefetch_share(const float* packed, size_t k, size_t nr, size_t blocks,
                                          size_t block, size_t tile, size_t tiles) {
  if (block + 1 >= blocks) return NULL;
  const size_t lines = (nr * (k + 1) * sizeof(float) + 63) / 64;
  const size_t share = (lines + tiles - 1) / tiles, first = tile * share;
  if (first >= lines) return NULL;
  return (const char*)(packed + (block + 1) * nr * (k + 1)) + first * 64;
}
