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

const char* sn2_f32_pwconv_prefetch_plan(const float* packed, size_t k, size_t n, size_t nr, size_t block,
                                        size_t tiles, size_t* share_bytes) {
  const size_t blocks = (n + nr - 1) / nr, panel = nr * (k + 1) * sizeof(float);
  *share_bytes = 0;
  if (block + 1 >= blocks || blocks * panel < SN2_PWCONV_PREFETCH_MIN_BYTES || tiles == 0) return NULL;
  const size_t lines = (panel + 63) / 64;
  *share_bytes = (lines + tiles - 1) / tiles * 64;
  return (const char*)(packed + (block + 1) * nr * (k + 1));
}

const void* sn2_f32_pwconv_prefetch_share(const char* plan, size_t share_bytes, size_t k, size_t nr, size_t tile) {
  const size_t offset = tile * share_bytes;
  return plan && offset < nr * (k + 1) * sizeof(float) ? plan + offset : NULL;
}
