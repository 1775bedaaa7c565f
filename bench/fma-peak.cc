// The core's FMA peak per ISA, measured here so every report can give rates as a fraction of it.
#include <benchmark/benchmark.h>

#include "kernels/config/hardware-config.h"

extern "C" float sn2_bench_fma_peak_avx512f(size_t iterations);
extern "C" float sn2_bench_fma_peak_avx2(size_t iterations);
extern "C" float sn2_bench_fma_peak_scalar(size_t iterations);

namespace {

constexpr size_t kIterations = 1 << 20;

void Peak(benchmark::State& state, float (*loop)(size_t), size_t lanes, bool available) {
  if (!available) {
    state.SkipWithError("this CPU cannot run the ISA");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(loop(kIterations));
  state.counters["FLOPS"] = benchmark::Counter(double(kIterations) * 12 * lanes * 2,
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void PeakAvx512f(benchmark::State& state) {
  Peak(state, sn2_bench_fma_peak_avx512f, 16, sn2_get_hardware_config()->avx512f);
}
void PeakAvx2(benchmark::State& state) {
  Peak(state, sn2_bench_fma_peak_avx2, 8, sn2_get_hardware_config()->avx2_fma);
}
void PeakScalar(benchmark::State& state) { Peak(state, sn2_bench_fma_peak_scalar, 1, true); }

BENCHMARK(PeakAvx512f)->Name("peak/fma_avx512f")->Unit(benchmark::kMicrosecond);
BENCHMARK(PeakAvx2)->Name("peak/fma_avx2")->Unit(benchmark::kMicrosecond);
BENCHMARK(PeakScalar)->Name("peak/scalar")->Unit(benchmark::kMicrosecond);

}  // namespace
