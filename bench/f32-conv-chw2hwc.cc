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

#include "kernels/config/conv-chw2hwc-config.h"
#include "kernels/config/hardware-config.h"

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// {input height = width, output channels}.
void Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "n"})->Args({224, 24})->Args({112, 24})->Args({224, 16});
}

void Counters(benchmark::State& state, size_t hw, size_t n) {
  const size_t out = (hw - 1) / 2 + 1;
  state.counters["FLOPS"] = benchmark::Counter(2.0 * out * out * n * 27, benchmark::Counter::kIsIterationInvariantRate);
}

void Sn2(benchmark::State& state) {
  const sn2_conv_chw2hwc_config* config = sn2_get_conv_chw2hwc_config(sn2_isa_avx512f);
  if (!config || !sn2_get_hardware_config()->avx512f) {
    state.SkipWithError("AVX-512 not available on this CPU or build");
    return;
  }
  const size_t hw = state.range(0), n = state.range(1), c = 3, out = (hw - 1) / 2 + 1;
  std::vector<float> input(c * hw * hw, 0.5f), output(out * out * n), weights(n * 9 * c, 0.1f), bias(n);
  std::vector<float> packed(sn2_f32_conv_chw2hwc_packed_size(c));
  sn2_f32_conv_chw2hwc_pack(c, n, weights.data(), bias.data(), packed.data());
  const sn2_conv_chw2hwc_problem problem = {1, hw, hw, out, out, c, n, input.data(), c * hw * hw, hw * hw, hw,
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

BENCHMARK(Xnnpack)->Name("f32_conv_stem/xnnpack")->Apply(Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK(Sn2)->Name("f32_conv_stem/sn2_chw2hwc_16x24_avx512f")->Apply(Shapes)->Unit(benchmark::kMicrosecond);

}  // namespace
