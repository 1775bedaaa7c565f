// The stem's 3x3 stride-2 max pool (every ShuffleNet width: 24 channels, 112x112 -> 56x56, and
// neighbouring channel counts): sn2's kernel next to XNNPACK's max-pooling operator on the same
// cache-line-aligned maps. Counters: bytes (input + output per run, what a pool must move).
#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <algorithm>
#include <limits>
#include <cstdlib>
#include <memory>

#include "kernels/config/hardware-config.h"
#include "kernels/config/maxpool2d-config.h"

namespace {

void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "c"});
  for (int c : {24, 16, 32}) b->Args({112, c});
  b->Args({56, 24});
}

struct Maps {
  explicit Maps(size_t in_floats, size_t out_floats)
      : input(static_cast<float*>(aligned_alloc(64, (in_floats * 4 + 63) / 64 * 64)), &free),
        output(static_cast<float*>(aligned_alloc(64, (out_floats * 4 + 63) / 64 * 64)), &free) {
    for (size_t i = 0; i < in_floats; i++) input.get()[i] = float(i % 97) * 0.01f;
  }
  std::unique_ptr<float, decltype(&free)> input, output;
};

void Counters(benchmark::State& state, size_t hw, size_t c) {
  const size_t out = (hw + 2 - 3) / 2 + 1;
  state.counters["bytes"] = benchmark::Counter(4.0 * (hw * hw * c + out * out * c),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

void Sn2(benchmark::State& state, sn2_isa isa) {
  const sn2_hardware_config* hw_config = sn2_get_hardware_config();
  const sn2_maxpool2d_config* config = sn2_get_maxpool2d_config(isa);
  if (!config || (isa == sn2_isa_avx512f && !hw_config->avx512f) || (isa == sn2_isa_avx2 && !hw_config->avx2_fma)) {
    state.SkipWithError("ISA not available on this CPU or build");
    return;
  }
  const size_t hw = state.range(0), c = state.range(1), out = (hw + 2 - 3) / 2 + 1;
  Maps maps(hw * hw * c, out * out * c);
  const sn2_maxpool2d_problem problem = {1, hw, hw, out, out, c, 1, 1, maps.input.get(), c, maps.output.get(), c};
  for (auto _ : state) {
    sn2_f32_maxpool2d_run(config, &problem, nullptr);
    benchmark::DoNotOptimize(maps.output.get());
  }
  Counters(state, hw, c);
}

void Xnnpack(benchmark::State& state) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK failed to initialise");
    return;
  }
  const size_t hw = state.range(0), c = state.range(1);
  Maps maps(hw * hw * c, ((hw + 2 - 3) / 2 + 1) * ((hw + 2 - 3) / 2 + 1) * c);
  xnn_operator_t op = nullptr;
  const float inf = std::numeric_limits<float>::infinity();
  if (xnn_create_max_pooling2d_nhwc_f32(1, 1, 1, 1, 3, 3, 2, 2, 1, 1, c, c, c, -inf, inf, 0, &op) != xnn_status_success ||
      xnn_setup_max_pooling2d_nhwc_f32(op, 1, hw, hw, maps.input.get(), maps.output.get(), nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK refused the pool");
    return;
  }
  for (auto _ : state) xnn_run_operator(op, nullptr);
  xnn_delete_operator(op);
  Counters(state, hw, c);
}

BENCHMARK(Xnnpack)->Name("f32_maxpool2d_3x3s2/xnnpack")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2, avx512f, sn2_isa_avx512f)->Name("f32_maxpool2d_3x3s2/sn2_16c_avx512f")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2, avx2, sn2_isa_avx2)->Name("f32_maxpool2d_3x3s2/sn2_8c_avx2")->Apply(Shapes)->Unit(benchmark::kMicrosecond);

}  // namespace
