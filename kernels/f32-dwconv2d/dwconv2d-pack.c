#include <string.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"

size_t sn2_f32_dwconv2d_packed_size(size_t channels, size_t cb) {
  return (channels + cb - 1) / cb * cb * 10;
}

void sn2_f32_dwconv2d_pack(size_t channels, size_t cb, const float* weights, const float* bias,
                           float* packed) {
  const size_t blocks = (channels + cb - 1) / cb;
  memset(packed, 0, blocks * cb * 10 * sizeof *packed);
  for (size_t c = 0; c < channels; c++) {
    float* block = packed + (c / cb) * cb * 10;
    for (size_t tap = 0; tap < 9; tap++) block[tap * cb + c % cb] = weights[c * 9 + tap];
    block[9 * cb + c % cb] = bias ? bias[c] : 0.0f;
  }
}
