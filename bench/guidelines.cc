// The four guideline experiments of the ShuffleNet V2 paper (Ma et al., 2018), set up as there:
// a 56x56 input, one block stacked 10 times, FLOPs held equal within each table. Channel counts
// are the paper's GPU columns (../shared/ANCHORS.md); sizes x2 and x4 scale them by sqrt(2)
// and 2 (so FLOPs by 2 and 4), rounded to even. Every conv has a bias and, where the paper has
// one, a ReLU.
#include <cmath>
#include <string>

#include "bench/bench_util.h"

namespace {

using sn2_bench::RunGraph;

constexpr uint32_t kHw = 56;
constexpr int kBlocks = 10;

uint32_t Scale(uint32_t c, int size) {
  return uint32_t(std::lround(c * std::sqrt(double(size)) / 2.0)) * 2;
}

uint32_t ConvRelu(sn2_builder* b, const std::string& name, uint32_t x, uint32_t out, uint32_t k,
                  uint32_t groups, bool relu = true) {
  x = sn2_build_conv(b, name.c_str(), x, out, k, 1, k / 2, groups, true);
  return relu ? sn2_build_relu(b, (name + ".relu").c_str(), x) : x;
}

// G1: two 1x1 convs c1 -> c2 -> c1 per block; the ratio c1:c2 varies at equal FLOPs.
void G1(benchmark::State& state) {
  const uint32_t c1 = Scale(uint32_t(state.range(0)), int(state.range(2)));
  const uint32_t c2 = Scale(uint32_t(state.range(1)), int(state.range(2)));
  RunGraph(state, c1, kHw, [&](sn2_builder* b, uint32_t x) {
    for (int i = 0; i < kBlocks; i++) {
      x = ConvRelu(b, "b" + std::to_string(i) + ".a", x, c2, 1, 1);
      x = ConvRelu(b, "b" + std::to_string(i) + ".b", x, c1, 1, 1);
    }
    return x;
  });
}

// G2: a 1x1 group conv c -> c with g groups per block; c grows with g at equal FLOPs.
void G2(benchmark::State& state) {
  const uint32_t g = uint32_t(state.range(0));
  const uint32_t c = Scale(uint32_t(state.range(1)), int(state.range(2))) / (2 * g) * (2 * g);
  RunGraph(state, c, kHw, [&](sn2_builder* b, uint32_t x) {
    for (int i = 0; i < kBlocks; i++) x = ConvRelu(b, "b" + std::to_string(i), x, c, 1, g);
    return x;
  });
}

// G3: 1, 2 or 4 fragments (1x1 convs) in series or in parallel, equal FLOPs per block: in
// series each fragment is c/sqrt(k) wide, in parallel each maps c to c/k and they concatenate.
void G3(benchmark::State& state) {
  const uint32_t c = uint32_t(state.range(0)), k = uint32_t(state.range(1));
  const bool parallel = state.range(2) != 0;
  const uint32_t width = parallel ? c : uint32_t(std::lround(c / std::sqrt(double(k)) / 2.0)) * 2;
  RunGraph(state, width, kHw, [&](sn2_builder* b, uint32_t x) {
    for (int i = 0; i < kBlocks; i++) {
      const std::string name = "b" + std::to_string(i);
      if (!parallel) {
        for (uint32_t f = 0; f < k; f++) x = ConvRelu(b, name + ".f" + std::to_string(f), x, width, 1, 1);
        continue;
      }
      uint32_t joined = ConvRelu(b, name + ".f0", x, c / k, 1, 1);
      for (uint32_t f = 1; f < k; f++) {
        const uint32_t part = ConvRelu(b, name + ".f" + std::to_string(f), x, c / k, 1, 1);
        joined = sn2_build_concat2(b, (name + ".cat" + std::to_string(f)).c_str(), joined, part);
      }
      x = joined;
    }
    return x;
  });
}

// G4: a ResNet bottleneck (1x1 4c -> c, 3x3 c -> c, 1x1 c -> 4c) with or without ReLUs and the
// shortcut: the element-wise operations' cost.
void G4(benchmark::State& state) {
  const uint32_t c = uint32_t(state.range(0));
  const bool relu = state.range(1) != 0, shortcut = state.range(2) != 0;
  RunGraph(state, 4 * c, kHw, [&](sn2_builder* b, uint32_t x) {
    for (int i = 0; i < kBlocks; i++) {
      const std::string name = "b" + std::to_string(i);
      uint32_t y = ConvRelu(b, name + ".a", x, c, 1, 1, relu);
      y = ConvRelu(b, name + ".b", y, c, 3, 1, relu);
      y = ConvRelu(b, name + ".c", y, 4 * c, 1, 1, false);
      if (shortcut) y = sn2_build_add(b, (name + ".add").c_str(), x, y);
      x = relu ? sn2_build_relu(b, (name + ".relu").c_str(), y) : y;
    }
    return x;
  });
}

void G1Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"c1", "c2", "size"});
  for (int size : {1, 2, 4})
    for (auto [c1, c2] : {std::pair{128, 128}, {90, 180}, {52, 312}, {36, 432}}) b->Args({c1, c2, size});
}
void G2Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"g", "c", "size"});
  for (int size : {1, 2, 4})
    for (auto [g, c] : {std::pair{1, 128}, {2, 180}, {4, 256}, {8, 360}}) b->Args({g, c, size});
}
void G3Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"c", "fragments", "parallel"});
  for (int c : {128, 256, 512})
    for (auto [k, parallel] : {std::pair{1, 0}, {2, 0}, {4, 0}, {2, 1}, {4, 1}}) b->Args({c, k, parallel});
}
void G4Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"c", "relu", "shortcut"});
  for (int c : {32, 64, 128})
    for (auto [relu, shortcut] : {std::pair{1, 1}, {1, 0}, {0, 1}, {0, 0}}) b->Args({c, relu, shortcut});
}

BENCHMARK(G1)->Name("guideline/G1")->Apply(G1Args)->Unit(benchmark::kMillisecond);
BENCHMARK(G2)->Name("guideline/G2")->Apply(G2Args)->Unit(benchmark::kMillisecond);
BENCHMARK(G3)->Name("guideline/G3")->Apply(G3Args)->Unit(benchmark::kMillisecond);
BENCHMARK(G4)->Name("guideline/G4")->Apply(G4Args)->Unit(benchmark::kMillisecond);

}  // namespace
