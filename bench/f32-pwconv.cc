// The pointwise (1x1) convolutions of ShuffleNet V2, x0.5 to x2.0: sn2's gather/scatter kernels
// in the accesses a network gives them next to XNNPACK's convolution operator on contiguous
// data. Counter FLOPS = 2 x multiply-adds per second.
#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

#include "bench/bench_util.h"
#include "kernels/config/hardware-config.h"
#include "kernels/config/pwconv-config.h"

namespace {

// ShuffleNet's 1x1 convs end in ReLU: bounds [0, inf) on both sides, as the network runs them.
constexpr float kInf = std::numeric_limits<float>::infinity();

// pixels (H = W), input channels, output channels: every 1x1 conv shape of ShuffleNet V2
// x0.5-x2.0 at 224x224 (stride-1 branches, the first unit of each stage, conv5).
void ShuffleNetShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "k", "n"});
  const int branch[4] = {24, 58, 88, 122};  // x0.5, x1.0, x1.5, x2.0 branch channels at stage 2
  const int conv5[4] = {1024, 1024, 1024, 2048};
  std::vector<std::vector<int64_t>> shapes;
  for (int i = 0; i < 4; i++) {
    const int c = branch[i];
    for (const std::vector<int64_t>& shape : std::vector<std::vector<int64_t>>{
             {56, 24, c},           // stage 2 unit 0, branch 2's first conv (the pool's 24 channels)
             {28, 24, c},           // stage 2 unit 0, branch 1
             {28, c, c},            // stage 2
             {28, 2 * c, 2 * c},    // stage 3 unit 0, branch 2's first conv
             {14, 2 * c, 2 * c},    // stage 3
             {14, 4 * c, 4 * c},    // stage 4 unit 0, branch 2's first conv
             {7, 4 * c, 4 * c},     // stage 4
             {7, 8 * c, conv5[i]},  // conv5
         }) {
      if (std::find(shapes.begin(), shapes.end(), shape) == shapes.end()) shapes.push_back(shape);
    }
  }
  for (const auto& shape : shapes) b->Args(shape);
}

// FLOPS (2 x multiply-adds) and bytes (the input map, the weights and bias, `outputs` floats
// out: what the layer must move at the least) per second.
void Counters(benchmark::State& state, double pixels, double k, double n, double outputs) {
  state.counters["FLOPS"] = benchmark::Counter(2.0 * pixels * k * n, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = benchmark::Counter(4.0 * (pixels * k + n * (k + 1) + outputs),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// How a conv meets its tensors. In a stride-1 unit the first 1x1 conv reads its branch's half of
// the previous unit's shuffled channels (gather: every other slot of a 2k-wide pixel) into a
// plain tensor, and the last one writes into the slots the next shuffle gives its channels
// (scatter: two runs of slots of a 2n-wide pixel; the slot tables of x1.0's units have 2 to 9
// runs, `sn2 inspect`). No conv of the network does both (`gather_scatter`, the stress case);
// the first conv of each stage's unit 0 and conv5 run on plain tensors.
enum class Access { kContiguous, kGather, kScatter, kGatherScatter };

// `nr`: the kernel of that tile width, or 0 for the one the plan picks for the layer.
void Pwconv(benchmark::State& state, sn2_isa isa, Access access, uint32_t nr) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  const sn2_pwconv_config* config = sn2_choose_pwconv_config(isa, size_t(state.range(2)));
  size_t count = 0;
  const sn2_pwconv_config* all = sn2_get_pwconv_configs(&count);
  for (size_t i = 0; nr && i < count; i++) {
    if (all[i].isa == isa && all[i].nr == nr) config = &all[i];
  }
  if (!config || (isa == sn2_isa_avx512f && !hw->avx512f) || (isa == sn2_isa_avx2 && !hw->avx2_fma)) {
    state.SkipWithError("ISA not available on this CPU or build");
    return;
  }
  const size_t pixels = size_t(state.range(0)) * state.range(0), k = state.range(1), n = state.range(2);
  const bool gather = access == Access::kGather || access == Access::kGatherScatter;
  const bool scatter = access == Access::kScatter || access == Access::kGatherScatter;
  const size_t in_width = gather ? 2 * k : k, out_width = scatter ? 2 * n : n;
  std::vector<float> input(pixels * in_width, 0.5f), output(pixels * out_width), weights(n * k, 0.01f), bias(n);
  std::vector<uint32_t> in_slots(k), out_slots(n);
  for (size_t q = 0; q < k; q++) in_slots[q] = uint32_t(gather ? 2 * q + 1 : q);
  for (size_t j = 0; j < n; j++) out_slots[j] = uint32_t(j < n / 2 ? j : n + j);
  const size_t blocks = (n + config->nr - 1) / config->nr;
  std::vector<sn2_pwconv_run> runs(n);
  std::vector<uint32_t> block_first(blocks + 1);
  sn2_f32_pwconv_make_runs(n, config->nr, scatter ? out_slots.data() : nullptr, runs.data(), block_first.data());
  // Packed as the engine packs them: 64-byte aligned.
  const size_t packed_bytes = (sn2_f32_pwconv_packed_size(k, n, config->nr) * sizeof(float) + 63) / 64 * 64;
  std::unique_ptr<float, decltype(&free)> packed(static_cast<float*>(aligned_alloc(64, packed_bytes)), &free);
  sn2_f32_pwconv_pack(k, n, config->nr, weights.data(), bias.data(), packed.get());
  const sn2_f32_pwconv_params params{0.0f, kInf, false};
  const sn2_pwconv_problem problem = {pixels, k, n, input.data(), in_width, in_slots.data(),
                                     packed.get(), output.data(), out_width, runs.data(),
                                     block_first.data(), params};
  for (auto _ : state) {
    sn2_f32_pwconv_run(config, &problem, nullptr);
    benchmark::DoNotOptimize(output.data());
  }
  Counters(state, double(pixels), double(k), double(n), double(pixels * n));
}

void Xnnpack(benchmark::State& state) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK failed to initialise");
    return;
  }
  const size_t hw = state.range(0), k = state.range(1), n = state.range(2);
  std::vector<float> input(hw * hw * k, 0.5f), output(hw * hw * n), weights(n * k, 0.01f), bias(n);
  xnn_operator_t op = nullptr;
  if (xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, k, n, k, n, weights.data(),
                                        bias.data(), 0.0f, kInf, 0, &op) != xnn_status_success ||
      xnn_setup_convolution2d_nhwc_f32(op, 1, hw, hw, input.data(), output.data(), nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK refused the convolution");
    return;
  }
  for (auto _ : state) xnn_run_operator(op, nullptr);
  xnn_delete_operator(op);
  Counters(state, double(hw * hw), double(k), double(n), double(hw * hw * n));
}

// The micro-kernel alone on L1-resident data: one tile (MR pixels x one full block of NR
// channels) over k input channels, again and again. Its rate is the ceiling of the inner loop;
// the gap to the whole layers above is per-tile work and memory.
void Ukernel(benchmark::State& state, sn2_isa isa, uint32_t nr) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  size_t count = 0;
  const sn2_pwconv_config* all = sn2_get_pwconv_configs(&count);
  const sn2_pwconv_config* config = nullptr;
  for (size_t i = 0; i < count; i++) {
    if (all[i].isa == isa && all[i].nr == nr) config = &all[i];
  }
  if (!config || (isa == sn2_isa_avx512f && !hw->avx512f)) {
    state.SkipWithError("ISA not available on this CPU or build");
    return;
  }
  const size_t k = state.range(0), mr = config->mr;
  std::vector<float> input(mr * k, 0.5f), output(mr * nr), weights(nr * k, 0.01f), bias(nr);
  std::vector<uint32_t> slots(k);
  std::iota(slots.begin(), slots.end(), 0u);
  std::unique_ptr<float, decltype(&free)> packed(
      static_cast<float*>(aligned_alloc(64, (sn2_f32_pwconv_packed_size(k, nr, nr) * sizeof(float) + 63) / 64 * 64)), &free);
  sn2_f32_pwconv_pack(k, nr, nr, weights.data(), bias.data(), packed.get());
  std::vector<sn2_pwconv_run> runs(nr);
  uint32_t block_first[2];
  sn2_f32_pwconv_make_runs(nr, nr, nullptr, runs.data(), block_first);
  std::vector<const float*> in_rows(mr);
  std::vector<float*> out_rows(mr);
  for (size_t r = 0; r < mr; r++) in_rows[r] = input.data() + r * k, out_rows[r] = output.data() + r * nr;
  const sn2_f32_pwconv_params params{0.0f, kInf, false};
  for (auto _ : state) {
    config->ukernel(mr, k, nr, in_rows.data(), slots.data(), packed.get(), out_rows.data(), runs.data(),
                    block_first[1], nullptr, &params);
    benchmark::DoNotOptimize(output.data());
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * mr * k * nr, benchmark::Counter::kIsIterationInvariantRate);
}

// conv5 and the global average pool after it (7x7 pixels; x0.5-x2.0's input channels, 1024 or
// 2048 out, ReLU): XNNPACK's convolution and global-average-pooling operators; sn2's kernel
// writing the 7x7 map, then XNNPACK's pool (the plan before the fusion); sn2's fused driver
// (each tile summed from a stack scratch, the map never stored). FLOPS counts the conv's
// multiply-adds.
void Conv5Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "k", "n"})->Args({7, 192, 1024})->Args({7, 464, 1024})->Args({7, 704, 1024})->Args({7, 976, 2048});
}

xnn_operator_t GlobalAveragePool(size_t n) {
  xnn_operator_t op = nullptr;
  return xnn_create_global_average_pooling_nwc_f32(n, n, n, -kInf, kInf, 0, &op) == xnn_status_success ? op : nullptr;
}

void Conv5PoolSn2(benchmark::State& state, sn2_isa isa, bool fused, size_t threads = 1) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  const sn2_pwconv_config* config = sn2_choose_pwconv_config(isa, size_t(state.range(2)));
  if (!config || (isa == sn2_isa_avx512f && !hw->avx512f) || (isa == sn2_isa_avx2 && !hw->avx2_fma) ||
      xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("ISA or XNNPACK not available on this CPU or build");
    return;
  }
  const size_t pixels = size_t(state.range(0)) * state.range(0), k = state.range(1), n = state.range(2);
  std::vector<float> input(pixels * k, 0.5f), map(pixels * n), output(n), weights(n * k, 0.01f), bias(n);
  std::vector<uint32_t> slots(k);
  std::iota(slots.begin(), slots.end(), 0u);
  const size_t blocks = (n + config->nr - 1) / config->nr;
  std::vector<sn2_pwconv_run> runs(n);
  std::vector<uint32_t> block_first(blocks + 1);
  sn2_f32_pwconv_make_runs(n, config->nr, nullptr, runs.data(), block_first.data());
  const size_t packed_bytes = (sn2_f32_pwconv_packed_size(k, n, config->nr) * sizeof(float) + 63) / 64 * 64;
  std::unique_ptr<float, decltype(&free)> packed(static_cast<float*>(aligned_alloc(64, packed_bytes)), &free);
  sn2_f32_pwconv_pack(k, n, config->nr, weights.data(), bias.data(), packed.get());
  const sn2_pwconv_problem conv = {pixels, k, n, input.data(), k, slots.data(), packed.get(),
                                   fused ? output.data() : map.data(), n, runs.data(), block_first.data(), {0.0f, kInf, false}};
  xnn_operator_t pool = fused ? nullptr : GlobalAveragePool(n);
  if (!fused && (!pool || xnn_setup_global_average_pooling_nwc_f32(pool, 1, pixels, map.data(), output.data(),
                                                                   nullptr) != xnn_status_success)) {
    state.SkipWithError("XNNPACK refused the pool");
    xnn_delete_operator(pool);
    return;
  }
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> threadpool(
      threads > 1 ? pthreadpool_create(threads) : nullptr, &pthreadpool_destroy);
  for (auto _ : state) {
    if (fused) {
      sn2_f32_pwconv_global_average_run(config, &conv, 1, threadpool.get());
    } else {
      sn2_f32_pwconv_run(config, &conv, threadpool.get());
      xnn_run_operator(pool, threadpool.get());
    }
    benchmark::DoNotOptimize(output.data());
  }
  if (pool) xnn_delete_operator(pool);
  Counters(state, double(pixels), double(k), double(n), double(n));
}

void Conv5PoolXnnpack(benchmark::State& state) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK failed to initialise");
    return;
  }
  const size_t hw = state.range(0), k = state.range(1), n = state.range(2);
  std::vector<float> input(hw * hw * k, 0.5f), map(hw * hw * n), output(n), weights(n * k, 0.01f), bias(n);
  xnn_operator_t conv = nullptr, pool = GlobalAveragePool(n);
  const bool ready =
      pool &&
      xnn_create_convolution2d_nhwc_f32(0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, k, n, k, n, weights.data(), bias.data(),
                                        0.0f, kInf, 0, &conv) == xnn_status_success &&
      xnn_setup_convolution2d_nhwc_f32(conv, 1, hw, hw, input.data(), map.data(), nullptr) == xnn_status_success &&
      xnn_setup_global_average_pooling_nwc_f32(pool, 1, hw * hw, map.data(), output.data(), nullptr) ==
          xnn_status_success;
  sn2_bench::RunXnnpackPair(state, ready, conv, pool);
  Counters(state, double(hw * hw), double(k), double(n), double(n));
}

BENCHMARK(Xnnpack)->Name("f32_pwconv/xnnpack")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
// "chosen": the tile the plan picks for the layer's width (sn2_choose_pwconv_config).
BENCHMARK_CAPTURE(Pwconv, avx512f_gather, sn2_isa_avx512f, Access::kGather, 0)->Name("f32_pwconv/sn2_chosen_avx512f/gather")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx512f_scatter, sn2_isa_avx512f, Access::kScatter, 0)->Name("f32_pwconv/sn2_chosen_avx512f/scatter")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx512f_gather_scatter, sn2_isa_avx512f, Access::kGatherScatter, 0)->Name("f32_pwconv/sn2_chosen_avx512f/gather_scatter")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx512f, sn2_isa_avx512f, Access::kContiguous, 0)->Name("f32_pwconv/sn2_chosen_avx512f/contiguous")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx512f_7x32, sn2_isa_avx512f, Access::kContiguous, 32)->Name("f32_pwconv/sn2_7x32_avx512f/contiguous")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx512f_7x48, sn2_isa_avx512f, Access::kContiguous, 48)->Name("f32_pwconv/sn2_7x48_avx512f/contiguous")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx2_gather, sn2_isa_avx2, Access::kGather, 0)->Name("f32_pwconv/sn2_6x16_avx2/gather")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx2_scatter, sn2_isa_avx2, Access::kScatter, 0)->Name("f32_pwconv/sn2_6x16_avx2/scatter")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx2_gather_scatter, sn2_isa_avx2, Access::kGatherScatter, 0)->Name("f32_pwconv/sn2_6x16_avx2/gather_scatter")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, avx2, sn2_isa_avx2, Access::kContiguous, 0)->Name("f32_pwconv/sn2_6x16_avx2/contiguous")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Pwconv, scalar_gather_scatter, sn2_isa_scalar, Access::kGatherScatter, 0)->Name("f32_pwconv/sn2_4x4_scalar/gather_scatter")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);

BENCHMARK(Conv5PoolXnnpack)->Name("f32_pwconv_global_average/xnnpack")->Apply(Conv5Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Conv5PoolSn2, separate, sn2_isa_avx512f, false)->Name("f32_pwconv_global_average/sn2_separate_avx512f")->Apply(Conv5Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Conv5PoolSn2, fused, sn2_isa_avx512f, true)->Name("f32_pwconv_global_average/sn2_fused_avx512f")->Apply(Conv5Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Conv5PoolSn2, separate_avx2, sn2_isa_avx2, false)->Name("f32_pwconv_global_average/sn2_separate_avx2")->Apply(Conv5Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Conv5PoolSn2, fused_avx2, sn2_isa_avx2, true)->Name("f32_pwconv_global_average/sn2_fused_avx2")->Apply(Conv5Shapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Conv5PoolSn2, separate_avx2_2t, sn2_isa_avx2, false, 2)->Name("f32_pwconv_global_average/sn2_separate_avx2/threads:2")->Apply(Conv5Shapes)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Conv5PoolSn2, fused_avx2_2t, sn2_isa_avx2, true, 2)->Name("f32_pwconv_global_average/sn2_fused_avx2/threads:2")->Apply(Conv5Shapes)->UseRealTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_CAPTURE(Ukernel, avx512f_7x32, sn2_isa_avx512f, 32)->Name("f32_pwconv_ukernel/sn2_7x32_avx512f")->ArgName("k")->Arg(58)->Arg(116)->Arg(232);
BENCHMARK_CAPTURE(Ukernel, avx512f_7x48, sn2_isa_avx512f, 48)->Name("f32_pwconv_ukernel/sn2_7x48_avx512f")->ArgName("k")->Arg(58)->Arg(116)->Arg(232);

}  // namespace
