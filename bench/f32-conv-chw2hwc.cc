// ShuffleNet's stem, 3x3 stride 2 padding 1, 3 -> 24 channels with ReLU at 224x224 (and its
// neighbours): sn2's stem kernel, which reads the image's channel planes (N, C, H, W, as a
// caller hands it over) and writes NHWC, next to XNNPACK's convolution operator, which reads
// NHWC. Counter FLOPS = 2 x multiply-adds per second.
#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "bench/bench_util.h"
#include "kernels/config/conv-chw2hwc-config.h"
#include "kernels/config/hardware-config.h"
#include "kernels/config/maxpool2d-config.h"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// {input height = width, output channels}.
void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "n"})->Args({224, 24})->Args({112, 24})->Args({224, 16});
}

// FLOPS (2 x the conv's multiply-adds) and bytes (the 3-channel image, the weights and bias, and
// the output: the conv's map, or with `pooled` the pool's) per second.
void Counters(benchmark::State& state, size_t hw, size_t n, bool pooled = false) {
  const size_t out = (hw - 1) / 2 + 1, stored = pooled ? (out - 1) / 2 + 1 : out;
  state.counters["FLOPS"] = benchmark::Counter(2.0 * out * out * n * 27, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = benchmark::Counter(4.0 * (3.0 * hw * hw + n * 28.0 + double(stored * stored * n)),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// The ISA's stem kernel, or NULL (skipping the benchmark) where this CPU or build lacks it or
// the ISA's max-pool kernel (which the pair's benchmarks run).
const sn2_conv_chw2hwc_config* StemConfig(benchmark::State& state, sn2_isa isa) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  const sn2_conv_chw2hwc_config* config = sn2_get_conv_chw2hwc_config(isa);
  if (!config || !sn2_get_maxpool2d_config(isa) || (isa == sn2_isa_avx512f && !hw->avx512f) ||
      (isa == sn2_isa_avx2 && !hw->avx2_fma)) {
    state.SkipWithError("ISA not available on this CPU or build");
    return nullptr;
  }
  return config;
}

void Sn2(benchmark::State& state, sn2_isa isa) {
  const sn2_conv_chw2hwc_config* config = StemConfig(state, isa);
  if (!config) return;
  const size_t hw = state.range(0), n = state.range(1), c = 3, out = (hw - 1) / 2 + 1;
  std::vector<float> input(c * hw * hw, 0.5f), output(out * out * n), weights(n * 9 * c, 0.1f), bias(n);
  std::vector<float> packed(sn2_f32_conv_chw2hwc_packed_size(c));
  sn2_f32_conv_chw2hwc_pack(c, n, weights.data(), bias.data(), packed.data());
  const sn2_conv_chw2hwc_problem problem = {1, hw, hw, out, out, c, n, 1, 1, input.data(), c * hw * hw, hw * hw, hw, 1,
                                            packed.data(), output.data(), n, {0.0f, kInf}};
  for (auto _ : state) {
    sn2_f32_conv_chw2hwc_run(config, &problem, nullptr);
    benchmark::DoNotOptimize(output.data());
  }
  Counters(state, hw, n);
}

void Xnnpack(benchmark::State& state) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK failed to initialise");
    return;
  }
  const size_t hw = state.range(0), n = state.range(1), c = 3;
  const size_t out = (hw - 1) / 2 + 1;
  std::vector<float> input(hw * hw * c, 0.5f), output(out * out * n), weights(n * 9 * c, 0.1f), bias(n);
  xnn_operator_t op = nullptr;
  if (xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, 2, 2, 1, 1, 1, c, n, c, n, weights.data(), bias.data(),
                                        0.0f, kInf, 0, &op) != xnn_status_success ||
      xnn_setup_convolution2d_nhwc_f32(op, 1, hw, hw, input.data(), output.data(), nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK refused the convolution");
    return;
  }
  for (auto _ : state) xnn_run_operator(op, nullptr);
  xnn_delete_operator(op);
  Counters(state, hw, n);
}

// The stem and the 3x3 stride-2 max pool after it (padding 1), the pair a ShuffleNet starts
// with: XNNPACK's two operators; sn2's two kernels one after the other (the conv's map written
// whole, then pooled); sn2's fused driver (conv rows pooled from a ring, the map never
// stored). One thread, 64-byte-aligned buffers. FLOPS counts the conv's multiply-adds.
struct Stem {
  size_t hw, n, c = 3, conv, pooled;
  std::vector<float> input, weights, bias;
  std::unique_ptr<float, decltype(&free)> map, output;
  Stem(size_t hw_, size_t n_)
      : hw(hw_), n(n_), conv((hw_ - 1) / 2 + 1), pooled((conv - 1) / 2 + 1), input(c * hw * hw, 0.5f),
        weights(n * 9 * c, 0.1f), bias(n), map(Aligned(conv * conv * n), &free), output(Aligned(pooled * pooled * n), &free) {
    for (size_t i = 0; i < input.size(); i++) input[i] = float(i % 89) * 0.01f - 0.4f;
  }
  static float* Aligned(size_t floats) { return static_cast<float*>(aligned_alloc(64, (floats * 4 + 63) / 64 * 64)); }
};

void StemPoolSn2(benchmark::State& state, sn2_isa isa, bool fused) {
  const sn2_conv_chw2hwc_config* config = StemConfig(state, isa);
  if (!config) return;
  const sn2_maxpool2d_config* pool_config = sn2_get_maxpool2d_config(isa);
  Stem s(state.range(0), state.range(1));
  std::vector<float> packed(sn2_f32_conv_chw2hwc_packed_size(s.c));
  sn2_f32_conv_chw2hwc_pack(s.c, s.n, s.weights.data(), s.bias.data(), packed.data());
  const sn2_conv_chw2hwc_problem conv = {1, s.hw, s.hw, s.conv, s.conv, s.c, s.n, 1, 1, s.input.data(), s.c * s.hw * s.hw,
                                         s.hw * s.hw, s.hw, 1, packed.data(), s.map.get(), s.n, {0.0f, kInf}};
  const sn2_maxpool2d_problem pool = {1, s.conv, s.conv, s.pooled, s.pooled, s.n, 1, 1, s.map.get(), s.n, s.output.get(), s.n};
  std::unique_ptr<float, decltype(&free)> ring(Stem::Aligned(sn2_f32_conv_chw2hwc_maxpool_ring_floats(&conv)), &free);
  for (auto _ : state) {
    if (fused) {
      sn2_f32_conv_chw2hwc_maxpool_run(config, pool_config, &conv, &pool, ring.get(), 1, nullptr);
    } else {
      sn2_f32_conv_chw2hwc_run(config, &conv, nullptr);
      sn2_f32_maxpool2d_run(pool_config, &pool, nullptr);
    }
    benchmark::DoNotOptimize(s.output.get());
  }
  Counters(state, s.hw, s.n, true);
}

void StemPoolXnnpack(benchmark::State& state) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK failed to initialise");
    return;
  }
  Stem s(state.range(0), state.range(1));
  std::vector<float> nhwc(s.input.size(), 0.5f);
  xnn_operator_t conv = nullptr, pool = nullptr;
  const bool ready =
      xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, 2, 2, 1, 1, 1, s.c, s.n, s.c, s.n, s.weights.data(),
                                        s.bias.data(), 0.0f, kInf, 0, &conv) == xnn_status_success &&
      xnn_setup_convolution2d_nhwc_f32(conv, 1, s.hw, s.hw, nhwc.data(), s.map.get(), nullptr) == xnn_status_success &&
      xnn_create_max_pooling2d_nhwc_f32(1, 1, 1, 1, 3, 3, 2, 2, 1, 1, s.n, s.n, s.n, -kInf, kInf, 0, &pool) ==
          xnn_status_success &&
      xnn_setup_max_pooling2d_nhwc_f32(pool, 1, s.conv, s.conv, s.map.get(), s.output.get(), nullptr) ==
          xnn_status_success;
  sn2_bench::RunXnnpackPair(state, ready, conv, pool);
  Counters(state, s.hw, s.n, true);
}

BENCHMARK(Xnnpack)->Name("f32_conv_stem/xnnpack")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2, avx512f, sn2_isa_avx512f)
    ->Name("f32_conv_stem/sn2_chw2hwc_16x24_avx512f")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2, avx2, sn2_isa_avx2)
    ->Name("f32_conv_stem/sn2_chw2hwc_8x24_avx2")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK(StemPoolXnnpack)->Name("f32_conv_stem_maxpool/xnnpack")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(StemPoolSn2, separate, sn2_isa_avx512f, false)
    ->Name("f32_conv_stem_maxpool/sn2_separate_avx512f")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(StemPoolSn2, fused, sn2_isa_avx512f, true)
    ->Name("f32_conv_stem_maxpool/sn2_fused_avx512f")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(StemPoolSn2, separate_avx2, sn2_isa_avx2, false)
    ->Name("f32_conv_stem_maxpool/sn2_separate_avx2")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(StemPoolSn2, fused_avx2, sn2_isa_avx2, true)
    ->Name("f32_conv_stem_maxpool/sn2_fused_avx2")->Apply(Shapes)->Unit(benchmark::kMicrosecond);

}  // namespace
