// The core's AVX2 FMA peak: 12 independent chains of 8-lane FMAs.
#include <immintrin.h>
#include <stddef.h>

#define STEP(x) x = _mm256_fmadd_ps(x, m, c)

float sn2_bench_fma_peak_avx2(size_t iterations) {
  __m256 a0 = _mm256_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  __m256 a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (size_t i = 0; i < iterations; i++) {
    // Every chain through the barrier: the chains start equal, so without it the compiler
    // merges them into a few registers (it did: 5 FMAs per iteration instead of 12).
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5),
                     "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
    STEP(a0), STEP(a1), STEP(a2), STEP(a3), STEP(a4), STEP(a5);
    STEP(a6), STEP(a7), STEP(a8), STEP(a9), STEP(a10), STEP(a11);
  }
  __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                           _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)),
                                         _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11))));
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  return lanes[0];
}
