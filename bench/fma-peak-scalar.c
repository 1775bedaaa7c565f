// The scalar path's multiply-add peak: 12 independent chains of x = x * m + c in single floats,
// built with the library's default flags like the reference kernels (no FMA instruction: a
// multiply and an add per step, 2 FLOPs).
#include <stddef.h>

#define STEP(x) x = x * m + c

float sn2_bench_fma_peak_scalar(size_t iterations) {
  float a0 = 1.0f, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
  float a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
  const float m = 0.999999f, c = 1e-7f;
  for (size_t i = 0; i < iterations; i++) {
    // Every chain through the barrier, or the compiler merges the equal chains.
    __asm__ volatile("" : "+x"(a0), "+x"(a1), "+x"(a2), "+x"(a3), "+x"(a4), "+x"(a5),
                     "+x"(a6), "+x"(a7), "+x"(a8), "+x"(a9), "+x"(a10), "+x"(a11));
    STEP(a0), STEP(a1), STEP(a2), STEP(a3), STEP(a4), STEP(a5);
    STEP(a6), STEP(a7), STEP(a8), STEP(a9), STEP(a10), STEP(a11);
  }
  return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
}
