// How fast this core reads, in the orders the kernels read: a buffer front to back, and a
// feature map 16 channels at a time through every pixel (one 64-byte line per pixel per block,
// the depthwise kernel's order) or pixel by pixel. Sums into 8 chains so that the adds never
// wait on each other; the result is returned so that the loads are not optimised away.
#include <immintrin.h>
#include <stddef.h>

static float total(const __m512 s[8]) {
  __m512 t = s[0];
  for (int i = 1; i < 8; i++) t = _mm512_add_ps(t, s[i]);
  return _mm512_reduce_add_ps(t);
}

float sn2_bench_read_sequential_avx512f(const float* data, size_t floats) {
  __m512 s[8];
  for (int i = 0; i < 8; i++) s[i] = _mm512_setzero_ps();
  for (size_t i = 0; i + 128 <= floats; i += 128) {
    for (int j = 0; j < 8; j++) s[j] = _mm512_add_ps(s[j], _mm512_loadu_ps(data + i + 16 * j));
  }
  return total(s);
}

// Blocks of 16 channels outermost, pixels inside (channels not a multiple of 16: masked tail).
float sn2_bench_read_blocks_avx512f(const float* data, size_t channels, size_t pixels) {
  __m512 s[8];
  for (int i = 0; i < 8; i++) s[i] = _mm512_setzero_ps();
  for (size_t c = 0; c < channels; c += 16) {
    const __mmask16 mask = channels - c >= 16 ? 0xFFFF : (__mmask16)((1u << (channels - c)) - 1u);
    for (size_t p = 0; p < pixels; p++) {
      s[p % 8] = _mm512_add_ps(s[p % 8], _mm512_maskz_loadu_ps(mask, data + p * channels + c));
    }
  }
  return total(s);
}

// Pixels outermost, each pixel's channels 16 at a time.
float sn2_bench_read_pixels_avx512f(const float* data, size_t channels, size_t pixels) {
  __m512 s[8];
  for (int i = 0; i < 8; i++) s[i] = _mm512_setzero_ps();
  for (size_t p = 0; p < pixels; p++) {
    for (size_t c = 0; c < channels; c += 16) {
      const __mmask16 mask = channels - c >= 16 ? 0xFFFF : (__mmask16)((1u << (channels - c)) - 1u);
      s[(c / 16) % 8] = _mm512_add_ps(s[(c / 16) % 8], _mm512_maskz_loadu_ps(mask, data + p * channels + c));
    }
  }
  return total(s);
}
