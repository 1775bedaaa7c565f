// The core's read rates from its caches (docs/performance.md, note 3): a buffer read front to
// back at sizes from L2 to L3, and a feature map read in the depthwise kernel's block order
// against pixel order. Counter: bytes read per second.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "kernels/config/hardware-config.h"

extern "C" float sn2_bench_read_sequential_avx512f(const float* data, size_t floats);
extern "C" float sn2_bench_read_blocks_avx512f(const float* data, size_t channels, size_t pixels);
extern "C" float sn2_bench_read_pixels_avx512f(const float* data, size_t channels, size_t pixels);

namespace {

std::unique_ptr<float, decltype(&free)> Buffer(size_t floats) {
  std::unique_ptr<float, decltype(&free)> b(static_cast<float*>(aligned_alloc(64, (floats * 4 + 63) / 64 * 64)), &free);
  for (size_t i = 0; i < floats; i++) b.get()[i] = 1.0f;
  return b;
}

void Sequential(benchmark::State& state) {
  if (!sn2_get_hardware_config()->avx512f) {
    state.SkipWithError("this CPU cannot run AVX-512");
    return;
  }
  const size_t floats = size_t(state.range(0)) * 1024 / 4;
  auto buffer = Buffer(floats);
  for (auto _ : state) benchmark::DoNotOptimize(sn2_bench_read_sequential_avx512f(buffer.get(), floats));
  state.counters["bytes"] = benchmark::Counter(double(floats) * 4, benchmark::Counter::kIsIterationInvariantRate);
}

void Map(benchmark::State& state, bool blocks) {
  if (!sn2_get_hardware_config()->avx512f) {
    state.SkipWithError("this CPU cannot run AVX-512");
    return;
  }
  const size_t channels = state.range(0), pixels = state.range(1);
  auto buffer = Buffer(channels * pixels);
  for (auto _ : state) {
    benchmark::DoNotOptimize(blocks ? sn2_bench_read_blocks_avx512f(buffer.get(), channels, pixels)
                                    : sn2_bench_read_pixels_avx512f(buffer.get(), channels, pixels));
  }
  state.counters["bytes"] = benchmark::Counter(double(channels * pixels) * 4, benchmark::Counter::kIsIterationInvariantRate);
}

// The depthwise layers' maps: 14x14 x 488, 28x28 x 244, 56x56 x 122 channels.
void Maps(benchmark::internal::Benchmark* b) {
  b->ArgNames({"c", "pixels"})->Args({488, 196})->Args({244, 784})->Args({122, 3136});
}

BENCHMARK(Sequential)->Name("memory/read_sequential_avx512f")->ArgName("kb")->Arg(256)->Arg(1024)
    ->Arg(1536)->Arg(3072)->Arg(16384)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Map, blocks, true)->Name("memory/read_blocks_avx512f")->Apply(Maps)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Map, pixels, false)->Name("memory/read_pixels_avx512f")->Apply(Maps)->Unit(benchmark::kMicrosecond);

}  // namespace
