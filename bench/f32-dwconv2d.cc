// The depthwise 3x3 convolutions of ShuffleNet V2, x0.5 to x2.0: sn2's kernels next to XNNPACK's
// convolution operator (which picks its depthwise microkernels). Counters: FLOPS and bytes
// (input + output + weights per run, the traffic a depthwise conv cannot avoid).
#include <benchmark/benchmark.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include <pthreadpool.h>

#include "kernels/config/dwconv2d-config.h"
#include "kernels/config/hardware-config.h"
#include "kernels/parallel.h"

namespace {

// ShuffleNet's depthwise convs have no activation: both sides run them unclamped.
constexpr float kInf = std::numeric_limits<float>::infinity();

// {input height = width, channels, stride}: every depthwise conv of the four widths.
void ShuffleNetShapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "c", "s"});
  b->Args({56, 24, 2});  // stage 2, branch 1 (the stem's 24 channels)
  for (int c : {24, 58, 88, 122}) {
    if (c != 24) b->Args({56, c, 2});  // stage 2 unit 0, branch 2 (x0.5's: the line above)
    b->Args({28, c, 1});      // stage 2
    b->Args({28, 2 * c, 2});  // stage 3 unit 0
    b->Args({14, 2 * c, 1});  // stage 3
    b->Args({14, 4 * c, 2});  // stage 4 unit 0
    b->Args({7, 4 * c, 1});   // stage 4
  }
}

// Feature maps start on a cache line, as they do in a session's arena.
class AlignedFloats {
 public:
  AlignedFloats(size_t count, float value)
      : data_(static_cast<float*>(aligned_alloc(64, (count * sizeof(float) + 63) / 64 * 64)), &free) {
    std::fill(data_.get(), data_.get() + count, value);
  }
  float* data() { return data_.get(); }

 private:
  std::unique_ptr<float, decltype(&free)> data_;
};

// The kernel's weights for c channels (all 0.1, bias 0), packed from a cache line as the
// backend packs them.
std::unique_ptr<float, decltype(&free)> PackedWeights(const sn2_dwconv2d_config* config, size_t c) {
  const std::vector<float> weights(9 * c, 0.1f), bias(c);
  const size_t bytes = (sn2_f32_dwconv2d_packed_size(c, config->cb) * sizeof(float) + 63) / 64 * 64;
  std::unique_ptr<float, decltype(&free)> packed(static_cast<float*>(aligned_alloc(64, bytes)), &free);
  sn2_f32_dwconv2d_pack(c, config->cb, weights.data(), bias.data(), packed.get());
  return packed;
}

void Counters(benchmark::State& state, size_t hw, size_t c, size_t stride) {
  const size_t out = (hw + 2 - 3) / stride + 1;
  state.counters["FLOPS"] = benchmark::Counter(2.0 * out * out * c * 9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["bytes"] = benchmark::Counter(4.0 * (hw * hw * c + out * out * c + 10 * c),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// Pixel stride of the maps: the channel count, or a fourth argument (the footprint family).
size_t PixelStride(const benchmark::State& state, size_t c, bool strided) { return strided ? size_t(state.range(3)) : c; }

// In the network a depthwise conv reads what the 1x1 conv before it has just written: its input
// is among the last bytes the core touched. A benchmark that repeats one call starts each call
// with the end of the previous one in cache instead. The "after_producer" family rewrites the
// input before each call, as the producer would, and times only the call. The "cold_output"
// family also evicts the output's lines (clflush, x86) first: a map written where the arena's
// bytes have left the caches, each store a read for ownership from memory.
enum class Before { nothing, producer, producer_cold_output };

template <typename Run>
void Timed(benchmark::State& state, float* input, size_t input_floats, float* output, size_t output_floats,
           Before before, Run run) {
  if (before == Before::nothing) {
    for (auto _ : state) run();
    return;
  }
  for (auto _ : state) {
    std::fill(input, input + input_floats, 0.5f);
#if defined(__x86_64__)
    if (before == Before::producer_cold_output) {
      for (size_t i = 0; i < output_floats; i += 16) _mm_clflush(output + i);
      _mm_mfence();
    }
#else
    (void)output, (void)output_floats;
#endif
    benchmark::ClobberMemory();
    const auto start = std::chrono::steady_clock::now();
    run();
    const auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
  }
}

void Sn2Strided(benchmark::State& state, sn2_isa isa, bool strided, Before before = Before::nothing) {
  const sn2_hardware_config* hw_config = sn2_get_hardware_config();
  const sn2_dwconv2d_config* config = sn2_get_dwconv2d_config(isa);
  if (!config || (isa == sn2_isa_avx512f && !hw_config->avx512f) || (isa == sn2_isa_avx2 && !hw_config->avx2_fma)) {
    state.SkipWithError("ISA not available on this CPU or build");
    return;
  }
  const size_t hw = state.range(0), c = state.range(1), stride = state.range(2), st = PixelStride(state, c, strided);
  const size_t out = (hw + 2 - 3) / stride + 1;
  AlignedFloats input(hw * hw * st, 0.5f), output(out * out * st, 0.0f);
  const auto packed = PackedWeights(config, c);
  const sn2_dwconv2d_problem problem = {1, hw, hw, out, out, c, uint32_t(stride), 1, 1, input.data(), st,
                                        packed.get(), output.data(), st, {-kInf, kInf}};
  Timed(state, input.data(), hw * hw * st, output.data(), out * out * st, before, [&] {
    sn2_f32_dwconv2d_run(config, &problem, nullptr);
    benchmark::DoNotOptimize(output.data());
  });
  Counters(state, hw, c, stride);
}

void Sn2(benchmark::State& state, sn2_isa isa) { Sn2Strided(state, isa, false); }
void Sn2AfterProducer(benchmark::State& state, sn2_isa isa) { Sn2Strided(state, isa, false, Before::producer); }
void Sn2ColdOutput(benchmark::State& state, sn2_isa isa) { Sn2Strided(state, isa, false, Before::producer_cold_output); }

// Two threads, and which core last wrote the lines an op reads and writes. Before each timed
// call the output map and then the input map are rewritten in two halves on the op's own
// two-thread pool: "same" gives each half to the thread that then writes (output rows) or
// mostly reads (input rows) it in the op, "other_output" gives the output's halves to the
// other thread, "other_input" the input's; "one_thread" runs the rewrite and the op on one
// thread. pthreadpool hands a thread its own range of items unless it steals from the other,
// so "same" is the usual assignment, not a guaranteed one. In a network the lines an op
// writes were last written by whichever op had those arena bytes before, split its own way.
enum class Owner { kOneThread, kSame, kOtherOutput, kOtherInput };

struct HalfFill {
  float* data;
  size_t first_half, total;  // floats
  bool swap;
};

void FillHalf(void* context, size_t item) {
  const HalfFill* f = static_cast<const HalfFill*>(context);
  const size_t half = f->swap ? 1 - item : item;
  std::fill(f->data + (half ? f->first_half : 0), f->data + (half ? f->total : f->first_half), 0.5f);
}

void Sn2Threads(benchmark::State& state, Owner owner) {
  const sn2_dwconv2d_config* config = sn2_get_dwconv2d_config(sn2_isa_avx512f);
  if (!config || !sn2_get_hardware_config()->avx512f) {
    state.SkipWithError("AVX-512 not available on this CPU or build");
    return;
  }
  const size_t hw = state.range(0), c = state.range(1), stride = state.range(2);
  const size_t out = (hw + 2 - 3) / stride + 1;
  AlignedFloats input(hw * hw * c, 0.5f), output(out * out * c, 0.0f);
  const auto packed = PackedWeights(config, c);
  const sn2_dwconv2d_problem problem = {1, hw, hw, out, out, c, uint32_t(stride), 1, 1, input.data(), c,
                                        packed.get(), output.data(), c, {-kInf, kInf}};
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(
      owner == Owner::kOneThread ? nullptr : pthreadpool_create(2), &pthreadpool_destroy);
  // The driver's split: chunks of output rows, the first half of them the first thread's.
  const size_t per_chunk = sn2_balanced_chunk(out, 2), chunks = (out + per_chunk - 1) / per_chunk;
  const size_t first_rows = std::min(out, (chunks + 1) / 2 * per_chunk);
  HalfFill out_fill = {output.data(), first_rows * out * c, out * out * c, owner == Owner::kOtherOutput};
  HalfFill in_fill = {input.data(), std::min(hw, first_rows * stride) * hw * c, hw * hw * c,
                      owner == Owner::kOtherInput};
  for (auto _ : state) {
    pthreadpool_parallelize_1d(pool.get(), FillHalf, &out_fill, 2, 0);
    pthreadpool_parallelize_1d(pool.get(), FillHalf, &in_fill, 2, 0);
    const auto start = std::chrono::steady_clock::now();
    sn2_f32_dwconv2d_run(config, &problem, pool.get());
    const auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
  }
  Counters(state, hw, c, stride);
}

// x1.0's depthwise shapes.
void X1Shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "c", "s"});
  for (auto shape : std::vector<std::vector<int64_t>>{{56, 58, 2}, {28, 58, 1}, {28, 116, 2}, {14, 116, 1}, {14, 232, 2}, {7, 232, 1}})
    b->Args(shape);
}

// The AVX-512 kernel alone on one 16-channel block, 8 output rows of W pixels: what it
// computes per output when memory is little limit (its 8 x S input rows of W x S pixels,
// 64 bytes each, stay in L1 but at w:28 s:2, 57 KB). Counter: outputs (16-channel vectors)
// per second.
void Ukernel(benchmark::State& state) {
  const sn2_dwconv2d_config* config = sn2_get_dwconv2d_config(sn2_isa_avx512f);
  if (!config || !sn2_get_hardware_config()->avx512f) {
    state.SkipWithError("AVX-512 not available on this CPU or build");
    return;
  }
  const size_t out_w = state.range(0), stride = state.range(1), rows = 8;
  const size_t in_w = out_w * stride, in_h = rows * stride, c = 16;
  AlignedFloats input(in_h * in_w * c, 0.5f), output(rows * out_w * c, 0.0f);
  const auto packed = PackedWeights(config, c);
  const sn2_dwconv2d_problem problem = {1, in_h, in_w, rows, out_w, c, uint32_t(stride), 1, 1, input.data(), c,
                                        packed.get(), output.data(), c, {-kInf, kInf}};
  for (auto _ : state) {
    config->ukernel(&problem, 0, 1, 0, rows);
    benchmark::DoNotOptimize(output.data());
  }
  state.counters["outputs"] = benchmark::Counter(double(rows * out_w), benchmark::Counter::kIsIterationInvariantRate);
}

void XnnpackStrided(benchmark::State& state, bool strided, Before before = Before::nothing) {
  if (xnn_initialize(nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK failed to initialise");
    return;
  }
  const size_t hw = state.range(0), c = state.range(1), stride = state.range(2), st = PixelStride(state, c, strided);
  const size_t out = (hw + 2 - 3) / stride + 1;
  AlignedFloats input(hw * hw * st, 0.5f), output(out * out * st, 0.0f);
  std::vector<float> weights(9 * c, 0.1f), bias(c);
  xnn_operator_t op = nullptr;
  if (xnn_create_convolution2d_nhwc_f32(1, 1, 1, 1, 3, 3, stride, stride, 1, 1, c, 1, 1, st, st,
                                        weights.data(), bias.data(), -kInf, kInf, 0, &op) != xnn_status_success ||
      xnn_setup_convolution2d_nhwc_f32(op, 1, hw, hw, input.data(), output.data(), nullptr) != xnn_status_success) {
    state.SkipWithError("XNNPACK refused the convolution");
    return;
  }
  Timed(state, input.data(), hw * hw * st, output.data(), out * out * st, before,
        [&] { xnn_run_operator(op, nullptr); });
  xnn_delete_operator(op);
  Counters(state, hw, c, stride);
}

void Xnnpack(benchmark::State& state) { XnnpackStrided(state, false); }
void XnnpackAfterProducer(benchmark::State& state) { XnnpackStrided(state, false, Before::producer); }
void XnnpackColdOutput(benchmark::State& state) { XnnpackStrided(state, false, Before::producer_cold_output); }

// x2.0's stage-2 stride-2 layer (56x56, 122 channels) beside maps of other sizes: 112 or 122
// channels, pixels of 112, 116, 122 or 144 floats. Its input (1.5 MB) and output (0.4 MB)
// together nearly fill this core's 2 MB L2, and a benchmark repeating one call reads the input
// back from L3 in part: how the time of both kernels moves with the bytes a map spans.
void Footprints(benchmark::internal::Benchmark* b) {
  b->ArgNames({"hw", "c", "s", "pixel"});
  for (auto [c, pixel] : {std::pair{112, 112}, {112, 116}, {112, 122}, {122, 122}, {122, 144}}) b->Args({56, c, 2, pixel});
}
void Sn2Footprint(benchmark::State& state) { Sn2Strided(state, sn2_isa_avx512f, true); }
void XnnpackFootprint(benchmark::State& state) { XnnpackStrided(state, true); }

BENCHMARK(Xnnpack)->Name("f32_dwconv2d_3x3/xnnpack")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2, avx512f, sn2_isa_avx512f)->Name("f32_dwconv2d_3x3/sn2_16c_avx512f")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2, avx2, sn2_isa_avx2)->Name("f32_dwconv2d_3x3/sn2_8c_avx2")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2, scalar, sn2_isa_scalar)->Name("f32_dwconv2d_3x3/sn2_4c_scalar")->Apply(ShuffleNetShapes)->Unit(benchmark::kMicrosecond);

// A fixed count of calls: the untimed input rewrite (and flush) would otherwise repeat until the
// timed calls alone add up to the minimum time, minutes on the 7x7 maps.
constexpr int kPreparedCalls = 300;
BENCHMARK(XnnpackAfterProducer)->Name("f32_dwconv2d_3x3_after_producer/xnnpack")->Apply(ShuffleNetShapes)
    ->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2AfterProducer, avx512f, sn2_isa_avx512f)->Name("f32_dwconv2d_3x3_after_producer/sn2_16c_avx512f")
    ->Apply(ShuffleNetShapes)->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2AfterProducer, avx2, sn2_isa_avx2)->Name("f32_dwconv2d_3x3_after_producer/sn2_8c_avx2")
    ->Apply(ShuffleNetShapes)->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);

#if defined(__x86_64__)
BENCHMARK(XnnpackColdOutput)->Name("f32_dwconv2d_3x3_cold_output/xnnpack")->Apply(ShuffleNetShapes)
    ->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2ColdOutput, avx512f, sn2_isa_avx512f)->Name("f32_dwconv2d_3x3_cold_output/sn2_16c_avx512f")
    ->Apply(ShuffleNetShapes)->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);
#endif

BENCHMARK_CAPTURE(Sn2Threads, one_thread, Owner::kOneThread)->Name("f32_dwconv2d_3x3_threads/sn2_16c_avx512f/one_thread")
    ->Apply(X1Shapes)->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2Threads, same, Owner::kSame)->Name("f32_dwconv2d_3x3_threads/sn2_16c_avx512f/same")
    ->Apply(X1Shapes)->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2Threads, other_output, Owner::kOtherOutput)->Name("f32_dwconv2d_3x3_threads/sn2_16c_avx512f/other_output")
    ->Apply(X1Shapes)->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(Sn2Threads, other_input, Owner::kOtherInput)->Name("f32_dwconv2d_3x3_threads/sn2_16c_avx512f/other_input")
    ->Apply(X1Shapes)->UseManualTime()->Iterations(kPreparedCalls)->Unit(benchmark::kMicrosecond);

BENCHMARK(XnnpackFootprint)->Name("f32_dwconv2d_3x3_footprint/xnnpack")->Apply(Footprints)->Unit(benchmark::kMicrosecond);
BENCHMARK(Sn2Footprint)->Name("f32_dwconv2d_3x3_footprint/sn2_16c_avx512f")->Apply(Footprints)->Unit(benchmark::kMicrosecond);

BENCHMARK(Ukernel)->Name("f32_dwconv2d_ukernel/sn2_16c_avx512f")->ArgNames({"w", "s"})
    ->Args({7, 1})->Args({28, 1})->Args({7, 2})->Args({28, 2})->Unit(benchmark::kMicrosecond);

}  // namespace
