// The core's AVX-512 FMA peak: 12 independent chains of 16-lane FMAs (enough to cover latency
// times throughput on current cores), so the loop runs at the FMA units' rate.
#include <immintrin.h>
#include <stddef.h>

#define STEP(x) x = _mm512_fmadd_ps(x, m, c)

float sn2_bench_fma_peak_avx512f(size_t iterations) {
  __m512 a0 = _mm512_set1_ps(1.0f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  __m512 a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (size_t i = 0; i < iterations; i++) {
    // Every chain through the barrier: the chains start equal, so without it the compiler
    // merges them into a few registers (it did: 5 FMAs per iteration instead of 12).
    __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5),
                     "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11));
    STEP(a0), STEP(a1), STEP(a2), STEP(a3), STEP(a4), STEP(a5);
    STEP(a6), STEP(a7), STEP(a8), STEP(a9), STEP(a10), STEP(a11);
  }
  const __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                 _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),
                                               _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))));
  return _mm512_reduce_add_ps(s);
}
