// Single ShuffleNet units at the stage shapes of the networks: every V2 unit (x0.5 to x2.0,
// stride 1 and 2) and every V1 unit (g = 1, 2, 3, 4, 8; 1x), so V1 and V2 units of matched
// FLOPs sit side by side (V2 x1.0 next to V1 g=3).
#include <string>

#include "bench/bench_util.h"

namespace {

using sn2_bench::RunGraph;

// stage (2, 3, 4), stride, V2 stage-2 channels.
void V2Unit(benchmark::State& state) {
  const uint32_t stage = uint32_t(state.range(0)), stride = uint32_t(state.range(1));
  const uint32_t out = uint32_t(state.range(2)) << (stage - 2);
  const uint32_t hw = 56 >> (stage - 2);  // the unit's input size
  const uint32_t in = stride == 1 ? out : (stage == 2 ? 24 : out / 2);
  RunGraph(state, in, stride == 1 ? hw / 2 : hw, [&](sn2_builder* b, uint32_t x) {
    return sn2_build_shufflenet_v2_unit(b, "unit", x, out, stride);
  });
}

// stage, stride, groups, V1 stage-2 channels.
void V1Unit(benchmark::State& state) {
  const uint32_t stage = uint32_t(state.range(0)), stride = uint32_t(state.range(1));
  const uint32_t groups = uint32_t(state.range(2));
  const uint32_t out = uint32_t(state.range(3)) << (stage - 2);
  const uint32_t hw = 56 >> (stage - 2);
  const uint32_t in = stride == 1 ? out : (stage == 2 ? 24 : out / 2);
  RunGraph(state, in, stride == 1 ? hw / 2 : hw, [&](sn2_builder* b, uint32_t x) {
    return sn2_build_shufflenet_v1_unit(b, "unit", x, out, groups, stride, stage == 2 && stride == 2);
  });
}

void V2Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"stage", "stride", "c"});
  for (int c : {48, 116, 176, 244})
    for (int stage : {2, 3, 4})
      for (int stride : {2, 1}) b->Args({stage, stride, c});
}

void V1Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"stage", "stride", "g", "c"});
  for (auto [g, c] : {std::pair{1, 144}, {2, 200}, {3, 240}, {4, 272}, {8, 384}})
    for (int stage : {2, 3, 4})
      for (int stride : {2, 1}) b->Args({stage, stride, g, c});
}

BENCHMARK(V2Unit)->Name("block/v2")->Apply(V2Args)->Unit(benchmark::kMicrosecond);
BENCHMARK(V1Unit)->Name("block/v1")->Apply(V1Args)->Unit(benchmark::kMicrosecond);

}  // namespace
