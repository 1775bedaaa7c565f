// Each compiler pass on a small graph, run with and without it: the pass must remove what it
// promises (node counts) and keep the function (outputs equal within float rounding).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

#include "engine/src/engine.h"
#include "graph/builder.h"
#include "graph/passes.h"
#include "kernels/config/hardware-config.h"
#include "test_util.h"

namespace {

using GraphFactory = std::function<sn2_graph*()>;
using Pass = sn2_status (*)(sn2_graph*);

// Runs a graph on the reference kernels exactly as given.
std::vector<float> RunGraph(sn2_graph* graph, const std::vector<float>& input) {
  sn2_options options{};
  options.flags = SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES;
  sn2_model_t model = nullptr;
  EXPECT_EQ(sn2_model_create_from_graph(graph, &options, &model), sn2_status_success)
      << sn2_last_error();
  ModelPtr owner(model);
  return model ? RunModel(model, input) : std::vector<float>{};
}

struct PassResult {
  uint32_t nodes_before, nodes_after;
  double error;
  std::vector<sn2_op_type> types_after;
};

PassResult RunWithAndWithout(const GraphFactory& make, Pass pass) {
  PassResult r{};
  sn2_graph* plain = make();
  sn2_graph* rewritten = make();
  EXPECT_TRUE(plain && rewritten);
  r.nodes_before = rewritten->node_count;
  EXPECT_EQ(pass(rewritten), sn2_status_success) << sn2_last_error();
  EXPECT_EQ(sn2_graph_validate(rewritten), sn2_status_success) << sn2_last_error();
  r.nodes_after = rewritten->node_count;
  for (uint32_t n = 0; n < rewritten->node_count; n++) r.types_after.push_back(rewritten->nodes[n].type);
  const sn2_value& in = plain->values[plain->input];
  size_t count = 1;
  for (uint32_t d = 0; d < in.rank; d++) count *= in.dims[d];
  const auto input = PatternInput(count, 17);
  const auto expected = RunGraph(plain, input);
  const auto got = RunGraph(rewritten, input);
  r.error = RelativeMaxError(got, expected);
  return r;
}

float* Floats(std::vector<float> v) {
  float* p = static_cast<float*>(std::malloc(v.size() * sizeof(float)));
  std::memcpy(p, v.data(), v.size() * sizeof(float));
  return p;
}

uint32_t Input(sn2_graph* g, std::vector<uint32_t> dims) {
  uint32_t x = SN2_INVALID_ID;
  EXPECT_EQ(sn2_graph_add_input(g, "x", uint32_t(dims.size()), dims.data(), &x), sn2_status_success);
  return x;
}

uint32_t Node(sn2_graph* g, sn2_op_type type, const char* name, std::vector<uint32_t> inputs,
              sn2_node_params p = {}) {
  uint32_t out = SN2_INVALID_ID;
  EXPECT_EQ(sn2_graph_add_node(g, type, name, inputs.data(), uint32_t(inputs.size()), &p, 1,
                               nullptr, &out),
            sn2_status_success)
      << sn2_last_error();
  return out;
}

uint32_t Constant(sn2_graph* g, const char* name, std::vector<uint32_t> dims, std::vector<float> v) {
  uint32_t c = SN2_INVALID_ID;
  EXPECT_EQ(sn2_graph_add_constant(g, name, uint32_t(dims.size()), dims.data(), Floats(v), &c),
            sn2_status_success);
  return c;
}

sn2_graph* Finish(sn2_graph* g, uint32_t output) {
  g->output = output;
  return g;
}

sn2_graph* NewGraph() {
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_graph_create(&g), sn2_status_success);
  return g;
}

// conv (random weights) on a [1, 4, 6, 6] input, through the builder.
sn2_graph* ConvThen(const std::function<uint32_t(sn2_builder*, uint32_t)>& tail) {
  sn2_builder b;
  uint32_t x;
  EXPECT_EQ(sn2_builder_init(&b, 3, {1, 6, 6, 4}, &x), sn2_status_success);
  x = sn2_build_conv(&b, "conv", x, 8, 3, 1, 1, 1, true);
  x = tail(&b, x);
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, x, &g), sn2_status_success) << sn2_last_error();
  return g;
}

TEST(PassFoldAffine, BatchNormFoldsIntoConv) {
  auto r = RunWithAndWithout(
      [] { return ConvThen([](sn2_builder* b, uint32_t x) { return sn2_build_batchnorm(b, "bn", x); }); },
      sn2_pass_fold_affine);
  EXPECT_EQ(r.nodes_before, 2u);
  EXPECT_EQ(r.nodes_after, 1u);
  EXPECT_LE(r.error, 1e-5);
}

TEST(PassFoldAffine, PerChannelAddAndMulFold) {
  auto make = [] {
    return ConvThen([](sn2_builder* b, uint32_t x) {
      std::vector<float> shift(8), scale(8);
      for (int c = 0; c < 8; c++) shift[c] = 0.1f * c - 0.3f, scale[c] = 1.5f - 0.1f * c;
      const uint32_t s = Constant(b->graph, "shift", {8, 1, 1}, shift);
      const uint32_t m = Constant(b->graph, "scale", {1, 8, 1, 1}, scale);
      sn2_node_params add{}, mul{};
      add.binary.kind = sn2_binary_add;
      mul.binary.kind = sn2_binary_mul;
      x = Node(b->graph, sn2_op_binary, "add", {x, s}, add);
      return Node(b->graph, sn2_op_binary, "mul", {m, x}, mul);  // constant on the left
    });
  };
  auto r = RunWithAndWithout(make, sn2_pass_fold_affine);
  EXPECT_EQ(r.nodes_before, 3u);
  EXPECT_EQ(r.nodes_after, 1u);
  EXPECT_LE(r.error, 1e-5);
}

TEST(PassFoldAffine, NothingFoldsPastAnActivationOrAcrossSpatialConstants) {
  auto make = [] {
    return ConvThen([](sn2_builder* b, uint32_t x) {
      x = sn2_build_relu(b, "relu", x);  // BN after ReLU must stay
      x = sn2_build_batchnorm(b, "bn", x);
      return x;
    });
  };
  auto r = RunWithAndWithout(make, sn2_pass_fold_affine);
  EXPECT_EQ(r.nodes_after, r.nodes_before);
  auto spatial = [] {
    return ConvThen([](sn2_builder* b, uint32_t x) {
      std::vector<float> v(36);
      for (size_t i = 0; i < v.size(); i++) v[i] = float(i);
      const uint32_t c = Constant(b->graph, "plane", {1, 1, 6, 6}, v);  // varies over H, W
      sn2_node_params add{};
      add.binary.kind = sn2_binary_add;
      return Node(b->graph, sn2_op_binary, "add", {x, c}, add);
    });
  };
  r = RunWithAndWithout(spatial, sn2_pass_fold_affine);
  EXPECT_EQ(r.nodes_after, r.nodes_before);
  EXPECT_EQ(r.error, 0.0);
}

TEST(PassFuseClamp, ReluAndRelu6FuseIntoConv) {
  auto make = [] {
    return ConvThen([](sn2_builder* b, uint32_t x) {
      x = sn2_build_relu(b, "relu", x);
      sn2_node_params six{};
      six.clamp = {-1.0f, 0.5f};
      return Node(b->graph, sn2_op_clamp, "clip", {x}, six);
    });
  };
  auto r = RunWithAndWithout(make, sn2_pass_fuse_clamp);
  EXPECT_EQ(r.nodes_before, 3u);
  EXPECT_EQ(r.nodes_after, 1u);
  EXPECT_EQ(r.error, 0.0);
}

TEST(PassFuseClamp, RedundantClampAfterMaxPoolGoesAwayOthersStay) {
  auto make = [](float upper) {
    return [upper] {
      return ConvThen([upper](sn2_builder* b, uint32_t x) {
        x = sn2_build_relu(b, "relu", x);
        x = sn2_build_max_pool(b, "pool", x, 2, 2, 0);
        sn2_node_params c{};
        c.clamp = {0.0f, upper};
        return Node(b->graph, sn2_op_clamp, "qdq", {x}, c);
      });
    };
  };
  auto redundant = RunWithAndWithout(make(INFINITY), sn2_pass_fuse_clamp);
  EXPECT_EQ(redundant.nodes_after, 2u);  // conv (with ReLU) + pool
  EXPECT_EQ(redundant.error, 0.0);
  auto real = RunWithAndWithout(make(0.25f), sn2_pass_fuse_clamp);
  EXPECT_EQ(real.nodes_after, 3u);  // the upper bound really clamps: it stays
  EXPECT_EQ(real.error, 0.0);
}

TEST(PassFuseClamp, ReluAfterAddFusesIntoTheAdd) {
  auto make = [] {
    return ConvThen([](sn2_builder* b, uint32_t x) {
      const uint32_t y = sn2_build_conv(b, "conv2", x, 8, 1, 1, 0, 1, false);
      return sn2_build_relu(b, "relu", sn2_build_add(b, "add", x, y));
    });
  };
  auto r = RunWithAndWithout(make, sn2_pass_fuse_clamp);
  EXPECT_EQ(r.nodes_before, 4u);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_conv2d, sn2_op_conv2d, sn2_op_binary}));
  EXPECT_EQ(r.error, 0.0);
}

// ShuffleNet V1's stride-2 tail: a ReLU after concatenating an average pool of a ReLU's output
// (already non-negative) and a conv (which takes the ReLU): the clamp goes. Where the pool's
// input is not bounded (an input neither within the range nor able to take the clamp), or the
// conv's output has another reader, it stays.
TEST(PassFuseClamp, ReluAfterConcatGoesIntoItsInputs) {
  auto make = [](bool relu_before_pool, bool conv_read_twice) {
    return [=] {
      return ConvThen([=](sn2_builder* b, uint32_t x) {
        if (relu_before_pool) x = sn2_build_relu(b, "relu0", x);
        const uint32_t pooled = sn2_build_avg_pool(b, "pool", x, 3, 2, 1);
        const uint32_t y = sn2_build_conv(b, "conv2", x, 8, 3, 2, 1, 1, true);
        uint32_t out = sn2_build_relu(b, "relu", sn2_build_concat2(b, "concat", pooled, y));
        if (conv_read_twice) out = sn2_build_concat2(b, "again", out, y);
        return out;
      });
    };
  };
  auto r = RunWithAndWithout(make(true, false), sn2_pass_fuse_clamp);
  EXPECT_EQ(r.types_after,
            (std::vector<sn2_op_type>{sn2_op_conv2d, sn2_op_avg_pool, sn2_op_conv2d, sn2_op_concat}));
  EXPECT_EQ(r.error, 0.0);
  r = RunWithAndWithout(make(false, false), sn2_pass_fuse_clamp);
  EXPECT_EQ(r.nodes_after, r.nodes_before);
  EXPECT_EQ(r.error, 0.0);
  r = RunWithAndWithout(make(true, true), sn2_pass_fuse_clamp);
  EXPECT_EQ(r.nodes_after, r.nodes_before - 1);  // relu0 into the first conv; the clamp stays
  EXPECT_EQ(r.error, 0.0);
}

TEST(PassAvgPool, CountIncludePadPoolBecomesDepthwiseConv) {
  auto make = [](bool include_pad) {
    return [include_pad] {
      return ConvThen([include_pad](sn2_builder* b, uint32_t x) {
        x = sn2_build_avg_pool(b, "pool", x, 3, 2, 1);  // PyTorch default: count_include_pad
        b->graph->nodes[b->graph->node_count - 1].params.pool.count_include_pad = include_pad;
        return x;
      });
    };
  };
  auto r = RunWithAndWithout(make(true), sn2_pass_avg_pool_as_depthwise);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_conv2d, sn2_op_conv2d}));
  EXPECT_LE(r.error, 1e-6);
  // Without count_include_pad the border windows divide by fewer cells: it stays a pool.
  r = RunWithAndWithout(make(false), sn2_pass_avg_pool_as_depthwise);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_conv2d, sn2_op_avg_pool}));
  EXPECT_EQ(r.error, 0.0);
}

TEST(PassFoldConstants, ConstantSubgraphsBecomeConstants) {
  auto make = [] {
    sn2_graph* g = NewGraph();
    const uint32_t x = Input(g, {2, 3});
    const uint32_t a = Constant(g, "a", {3}, {1, 2, 3});
    const uint32_t b = Constant(g, "b", {1, 3}, {10, 20, 30});
    sn2_node_params add{}, mul{};
    add.binary.kind = sn2_binary_add;
    mul.binary.kind = sn2_binary_mul;
    const uint32_t sum = Node(g, sn2_op_binary, "sum", {a, b}, add);  // constant
    return Finish(g, Node(g, sn2_op_binary, "scaled", {x, sum}, mul));
  };
  auto r = RunWithAndWithout(make, sn2_pass_fold_constants);
  EXPECT_EQ(r.nodes_before, 2u);
  EXPECT_EQ(r.nodes_after, 1u);
  EXPECT_EQ(r.error, 0.0);
}

TEST(PassRemoveDeadNodes, UnreadBranchesGo) {
  auto make = [] {
    sn2_graph* g = NewGraph();
    const uint32_t x = Input(g, {1, 2, 3, 3});
    sn2_node_params relu{};
    relu.clamp = {0.0f, INFINITY};
    Node(g, sn2_op_clamp, "unused", {x}, relu);
    sn2_node_params t{};
    t.transpose = {{0, 2, 3, 1}};
    return Finish(g, Node(g, sn2_op_transpose, "used", {x}, t));
  };
  auto r = RunWithAndWithout(make, sn2_pass_remove_dead_nodes);
  EXPECT_EQ(r.nodes_before, 2u);
  EXPECT_EQ(r.nodes_after, 1u);
  EXPECT_EQ(r.error, 0.0);
}

sn2_graph* ShuffleAsReshapes(std::vector<uint32_t> perm) {
  sn2_graph* g = NewGraph();
  const uint32_t x = Input(g, {1, 6, 2, 3});
  sn2_node_params r1{}, t{}, r2{};
  r1.reshape = {5, {1, 2, 3, 2, 3}};
  for (size_t d = 0; d < 5; d++) t.transpose.perm[d] = perm[d];
  r2.reshape = {4, {1, 6, 2, 3}};
  uint32_t v = Node(g, sn2_op_reshape, "view", {x}, r1);
  v = Node(g, sn2_op_transpose, "transpose", {v}, t);
  return Finish(g, Node(g, sn2_op_reshape, "flatten", {v}, r2));
}

TEST(PassChannelShuffle, ReshapeTransposeReshapeBecomesShuffle) {
  auto r = RunWithAndWithout([] { return ShuffleAsReshapes({0, 2, 1, 3, 4}); },
                             sn2_pass_recognize_channel_shuffle);
  EXPECT_EQ(r.nodes_before, 3u);
  ASSERT_EQ(r.types_after, std::vector<sn2_op_type>{sn2_op_channel_shuffle});
  EXPECT_EQ(r.error, 0.0);
}

TEST(PassChannelShuffle, OtherPermutationsAreLeftAlone) {
  auto r = RunWithAndWithout([] { return ShuffleAsReshapes({0, 1, 2, 4, 3}); },
                             sn2_pass_recognize_channel_shuffle);
  EXPECT_EQ(r.nodes_after, 3u);
  EXPECT_EQ(r.error, 0.0);
}

// The tf2onnx form of a Keras shuffle + split: NHWC code between layout transposes.
sn2_graph* KerasShuffleSplit() {
  sn2_graph* g = NewGraph();
  const uint32_t x = Input(g, {1, 6, 2, 3});
  sn2_node_params to_nhwc{}, r1{}, swap{}, r2{}, to_nchw{};
  to_nhwc.transpose = {{0, 2, 3, 1}};
  r1.reshape = {5, {1, 2, 3, 2, 3}};
  swap.transpose = {{0, 1, 2, 4, 3}};
  r2.reshape = {4, {1, 2, 3, 6}};
  to_nchw.transpose = {{0, 3, 1, 2}};
  uint32_t v = Node(g, sn2_op_transpose, "to_nhwc", {x}, to_nhwc);
  v = Node(g, sn2_op_reshape, "r1", {v}, r1);
  v = Node(g, sn2_op_transpose, "swap", {v}, swap);
  v = Node(g, sn2_op_reshape, "r2", {v}, r2);
  sn2_node_params split{};
  split.axis.axis = 3;
  const uint32_t sizes[2] = {3, 3};
  uint32_t parts[2];
  EXPECT_EQ(sn2_graph_add_node(g, sn2_op_split, "split", &v, 1, &split, 2, sizes, parts), sn2_status_success);
  const uint32_t a = Node(g, sn2_op_transpose, "back0", {parts[0]}, to_nchw);
  const uint32_t b = Node(g, sn2_op_transpose, "back1", {parts[1]}, to_nchw);
  sn2_node_params cat{};
  cat.axis.axis = 1;
  return Finish(g, Node(g, sn2_op_concat, "cat", {b, a}, cat));
}

TEST(PassTransposes, KerasShuffleAndSplitLoseEveryTranspose) {
  auto both = [](sn2_graph* g) {
    sn2_status s = sn2_pass_recognize_nhwc_channel_shuffle(g);
    if (s == sn2_status_success) s = sn2_pass_cancel_transposes(g);
    if (s == sn2_status_success) s = sn2_pass_cancel_transposes(g);
    return s;
  };
  auto r = RunWithAndWithout(KerasShuffleSplit, both);
  EXPECT_EQ(r.nodes_before, 8u);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_channel_shuffle, sn2_op_split, sn2_op_concat}));
  EXPECT_EQ(r.error, 0.0);
}

TEST(PassTransposes, TransposesThatDoNotCancelMerge) {
  auto make = [] {
    sn2_graph* g = NewGraph();
    const uint32_t x = Input(g, {2, 3, 4});
    sn2_node_params a{}, b{};
    a.transpose = {{1, 2, 0}};
    b.transpose = {{1, 0, 2}};
    const uint32_t v = Node(g, sn2_op_transpose, "a", {x}, a);
    return Finish(g, Node(g, sn2_op_transpose, "b", {v}, b));
  };
  auto r = RunWithAndWithout(make, sn2_pass_cancel_transposes);
  EXPECT_EQ(r.nodes_after, 1u);
  EXPECT_EQ(r.error, 0.0);
}

// conv5 and the global pool of ShuffleNet V2 in small: [1, 5, 7, 24] -> 1x1 conv to 40 (ReLU) ->
// global average pool; `kernel` 3 for a conv the fused op does not serve, `also_read` when the
// conv's output has a second reader (an Add with itself after the pool's input).
sn2_graph* ConvThenGlobalPool(uint32_t kernel, bool also_read) {
  sn2_builder b;
  uint32_t x;
  EXPECT_EQ(sn2_builder_init(&b, 5, {1, 5, 7, 24}, &x), sn2_status_success);
  x = sn2_build_conv(&b, "conv5", x, 40, kernel, 1, kernel / 2, 1, true);
  b.graph->nodes[b.graph->node_count - 1].params.conv2d.output_min = 0.0f;  // conv5's ReLU, fused
  uint32_t y = sn2_build_global_avg_pool(&b, "pool", x);
  if (also_read) y = sn2_build_add(&b, "add", y, sn2_build_global_avg_pool(&b, "pool2", sn2_build_add(&b, "twice", x, x)));
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, y, &g), sn2_status_success) << sn2_last_error();
  return g;
}

TEST(PassFuseGlobalAverage, PointwiseConvAndPoolBecomeOneOp) {
  auto r = RunWithAndWithout([] { return ConvThenGlobalPool(1, false); }, sn2_pass_fuse_global_average);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_conv2d}));
  EXPECT_LE(r.error, 1e-6);
  // Not a 1x1 conv, or its output read by another node too: both stay.
  r = RunWithAndWithout([] { return ConvThenGlobalPool(3, false); }, sn2_pass_fuse_global_average);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_conv2d, sn2_op_global_avg_pool}));
  EXPECT_EQ(r.error, 0.0);
  r = RunWithAndWithout([] { return ConvThenGlobalPool(1, true); }, sn2_pass_fuse_global_average);
  EXPECT_EQ(r.nodes_after, r.nodes_before);
  EXPECT_EQ(r.error, 0.0);
}

// The plan fuses where sn2's pointwise kernels run the 1x1 convs with XNNPACK beside them (the
// AVX-512 path; the AVX2 path of a CPU without AVX-512, valgrind's say) and nowhere else; fused or not, the outputs match the reference, and the fused op's are the same bits at
// one and two threads.
TEST(PassFuseGlobalAverage, ThePlanFusesOnlyWhereItsKernelServes) {
  const auto input = PatternInput(5 * 7 * 24, 3);
  sn2_options reference_options{};
  reference_options.flags = SN2_FLAG_REFERENCE;
  sn2_model_t model = nullptr;
  ASSERT_EQ(sn2_model_create_from_graph(ConvThenGlobalPool(1, false), &reference_options, &model), sn2_status_success);
  const auto expected = RunModel(model, input);
  sn2_plan_stats stats{};
  sn2_model_get_stats(model, &stats);
  EXPECT_EQ(stats.op_count, 2u);  // the reference plan keeps the pool
  sn2_model_delete(model);
  for (sn2_isa isa : {sn2_isa_auto, sn2_isa_avx512f, sn2_isa_avx2}) {
    for (uint32_t flags : {0u, unsigned(SN2_FLAG_XNNPACK_ONLY)}) {
      sn2_options options{};
      options.isa = isa;
      options.flags = flags;
      model = nullptr;
      const sn2_status status = sn2_model_create_from_graph(ConvThenGlobalPool(1, false), &options, &model);
      if (status == sn2_status_unsupported_hardware) continue;  // an ISA this CPU or build lacks
      ASSERT_EQ(status, sn2_status_success) << sn2_last_error();
      ModelPtr owner(model);
      sn2_model_get_stats(model, &stats);
      sn2_op_info info{};
      ASSERT_EQ(sn2_model_get_op_info(model, 0, &info), sn2_status_success);
      const bool fused = std::strstr(info.kernel, "global_average") != nullptr;
      const sn2_hardware_config* hw = sn2_get_hardware_config();
      const bool avx512 = isa == sn2_isa_avx512f || (isa == sn2_isa_auto && hw->avx512f);
      const bool avx2_only = (isa == sn2_isa_avx2 || isa == sn2_isa_auto) && hw->avx2_fma && !hw->avx512f;
      EXPECT_EQ(fused, stats.op_count == 1u) << info.kernel;
      EXPECT_EQ(fused, flags == 0 && (avx512 || avx2_only)) << "isa " << isa << " flags " << flags << ": " << info.kernel;
      const auto one = RunModel(model, input, 1), two = RunModel(model, input, 2);
      EXPECT_LE(RelativeMaxError(one, expected), 1e-5) << info.kernel;
      if (fused) {
        EXPECT_EQ(one, two);
      }
    }
  }
}

// The stem of ShuffleNet V2 in small: [n, h, w, 3] -> 3x3 stride-`stride` conv (padding 1) to
// `channels` (ReLU) -> 3x3 stride-2 max pool with padding `pool_pad`; `also_read`: the conv's
// output has a second reader; `image_also_read`: so has the image (a 3x3 stride-4 conv beside
// the stem, added to the pool's output: sizes where that matches, e.g. 16x16 at stride 2).
sn2_graph* StemThenMaxPool(sn2_shape input, uint32_t channels, uint32_t stride, uint32_t pool_pad,
                           bool also_read = false, bool image_also_read = false) {
  sn2_builder b;
  uint32_t image;
  EXPECT_EQ(sn2_builder_init(&b, 11, input, &image), sn2_status_success);
  uint32_t x = sn2_build_conv(&b, "conv1", image, channels, 3, stride, 1, 1, true);
  b.graph->nodes[b.graph->node_count - 1].params.conv2d.output_min = 0.0f;  // the stem's ReLU, fused
  uint32_t y = sn2_build_max_pool(&b, "maxpool", x, 3, 2, pool_pad);
  if (also_read) y = sn2_build_add(&b, "add", sn2_build_max_pool(&b, "pool2", x, 3, 2, pool_pad), y);
  if (image_also_read) y = sn2_build_add(&b, "add", sn2_build_conv(&b, "side", image, channels, 3, 4, 1, 1, false), y);
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, y, &g), sn2_status_success) << sn2_last_error();
  return g;
}

sn2_status FuseAnyMaxPool(sn2_graph* g) { return sn2_pass_fuse_max_pool(g, nullptr); }

TEST(PassFuseMaxPool, ConvAndMaxPoolBecomeOneOp) {
  auto r = RunWithAndWithout([] { return StemThenMaxPool({1, 9, 11, 3}, 8, 2, 1); }, FuseAnyMaxPool);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_conv2d}));
  EXPECT_EQ(r.error, 0.0);  // the same conv values, the same max
  r = RunWithAndWithout([] { return StemThenMaxPool({2, 8, 7, 3}, 5, 1, 0); }, FuseAnyMaxPool);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>{sn2_op_conv2d}));
  EXPECT_EQ(r.error, 0.0);
  // The conv's output read by another node too: nothing fuses.
  r = RunWithAndWithout([] { return StemThenMaxPool({1, 9, 11, 3}, 8, 2, 1, true); }, FuseAnyMaxPool);
  EXPECT_EQ(r.nodes_after, r.nodes_before);
  EXPECT_EQ(r.error, 0.0);
}

// The Keras export's stem: an NHWC image [n, h, w, 3], transposed to N, C, H, W, into a 3x3
// stride-2 conv to 24 channels (ReLU) and a 3x3 stride-2 max pool, both padded as TensorFlow's
// "same" pads an even size (none before, one after) or as PyTorch does (`pad_before`).
sn2_graph* ChannelsLastStemThenMaxPool(uint32_t n, uint32_t h, uint32_t w, uint32_t pad_before) {
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_graph_create(&g), sn2_status_success);
  const uint32_t dims[4] = {n, h, w, 3};
  uint32_t x, t, y, z;
  EXPECT_EQ(sn2_graph_add_input(g, "x", 4, dims, &x), sn2_status_success);
  sn2_node_params to_nchw{};
  to_nchw.transpose = {{0, 3, 1, 2}};
  EXPECT_EQ(sn2_graph_add_node(g, sn2_op_transpose, "to_nchw", &x, 1, &to_nchw, 1, nullptr, &t), sn2_status_success);
  sn2_node_params conv{};
  conv.conv2d = {3, 3, 2, 2, 1, 1, pad_before, pad_before, 1, 1, 1, 3, 24, 0.0f, INFINITY,
                 static_cast<float*>(malloc(24 * 27 * sizeof(float))), nullptr, false, false, false, {}, false};
  for (int i = 0; i < 24 * 27; i++) conv.conv2d.weights[i] = 0.05f * float(i % 13 - 6);
  EXPECT_EQ(sn2_graph_add_node(g, sn2_op_conv2d, "conv1", &t, 1, &conv, 1, nullptr, &y), sn2_status_success);
  sn2_node_params pool{};
  pool.pool = {3, 3, 2, 2, pad_before, pad_before, 1, 1, false};
  EXPECT_EQ(sn2_graph_add_node(g, sn2_op_max_pool, "maxpool", &y, 1, &pool, 1, nullptr, &z), sn2_status_success);
  g->output = z;
  return g;
}

// The plan fuses the stem and its pool where sn2's kernels serve both (the AVX-512 path and the
// AVX2 path of a CPU without AVX-512: a 3x3 stride-2 conv from the graph input, a 3x3 stride-2
// pool), and the fused op matches the
// reference on odd and even sizes, both pool paddings and two images, with the same bits at one
// and two threads (at two, the second chunk starts inside an image and computes the conv row
// above its first window itself).
TEST(PassFuseMaxPool, ThePlanFusesTheStemWhereItsKernelsServe) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  const bool fusing_path = hw->avx512f || hw->avx2_fma;
  struct Case {
    sn2_shape input;
    uint32_t channels, stride, pool_pad;
    bool fused;  // on a path that fuses
    bool image_also_read;
  };
  const Case cases[] = {
      {{1, 224, 224, 3}, 24, 2, 1, true, false}, {{2, 23, 31, 3}, 17, 2, 1, true, false},
      {{1, 9, 9, 3}, 24, 2, 0, true, false},     {{3, 8, 10, 2}, 8, 2, 1, true, false},
      {{1, 6, 6, 3}, 24, 2, 0, true, false},     {{1, 12, 12, 3}, 24, 1, 1, false, false},
      // The image read by another op too: the stem is not its one reader, nothing fuses.
      {{1, 16, 16, 3}, 24, 2, 1, false, true},
  };
  for (const Case& k : cases) {
    const auto make = [&] { return StemThenMaxPool(k.input, k.channels, k.stride, k.pool_pad, false, k.image_also_read); };
    const auto input = PatternInput(size_t(k.input.n) * k.input.h * k.input.w * k.input.c, 7);
    sn2_options reference_options{};
    reference_options.flags = SN2_FLAG_REFERENCE;
    sn2_model_t model = nullptr;
    ASSERT_EQ(sn2_model_create_from_graph(make(), &reference_options, &model), sn2_status_success);
    const auto expected = RunModel(model, input);
    sn2_model_delete(model);
    model = nullptr;
    sn2_options options{};
    ASSERT_EQ(sn2_model_create_from_graph(make(), &options, &model), sn2_status_success) << sn2_last_error();
    ModelPtr owner(model);
    sn2_op_info info{};
    ASSERT_EQ(sn2_model_get_op_info(model, 0, &info), sn2_status_success);
    const bool fused = std::strstr(info.kernel, "maxpool") != nullptr;
    EXPECT_EQ(fused, fusing_path && k.fused) << info.kernel << " " << k.input.h << "x" << k.input.w;
    const auto one = RunModel(model, input, 1), two = RunModel(model, input, 2);
    EXPECT_LE(RelativeMaxError(one, expected), 1e-5) << info.kernel << " " << k.input.h << "x" << k.input.w;
    EXPECT_EQ(one, two) << info.kernel << " " << k.input.h << "x" << k.input.w;
  }
  // Channels-last images: the stem reads pixels (the caller's buffer, in place), with
  // TensorFlow's padding and PyTorch's, with views and without (the transpose then a copy).
  for (uint32_t pad_before : {0u, 1u}) {
    for (uint32_t flags : {0u, unsigned(SN2_FLAG_NO_CHANNEL_VIEWS)}) {
      const uint32_t n = 2 - pad_before, h = 20 + pad_before, w = 34;
      const auto input = PatternInput(size_t(n) * h * w * 3, 9);
      sn2_options reference_options{};
      reference_options.flags = SN2_FLAG_REFERENCE;
      sn2_model_t ref = nullptr, model = nullptr;
      ASSERT_EQ(sn2_model_create_from_graph(ChannelsLastStemThenMaxPool(n, h, w, pad_before), &reference_options, &ref),
                sn2_status_success);
      ModelPtr ref_owner(ref);
      sn2_options options{};
      options.flags = flags;
      ASSERT_EQ(sn2_model_create_from_graph(ChannelsLastStemThenMaxPool(n, h, w, pad_before), &options, &model),
                sn2_status_success)
          << sn2_last_error();
      ModelPtr owner(model);
      sn2_plan_stats stats{};
      sn2_model_get_stats(model, &stats);
      sn2_op_info info{};
      ASSERT_EQ(sn2_model_get_op_info(model, stats.op_count - 1, &info), sn2_status_success);
      EXPECT_EQ(std::strstr(info.kernel, "conv_chw2hwc_maxpool") != nullptr, fusing_path) << info.kernel;  // fused
      const auto expected = RunModel(ref, input), one = RunModel(model, input, 1), two = RunModel(model, input, 2);
      EXPECT_LE(RelativeMaxError(one, expected), 1e-5) << info.kernel << " pad " << pad_before << " flags " << flags;
      EXPECT_EQ(one, two) << info.kernel;
    }
  }
}

// A map x [1, 6, 6, 24] (`stem`: a 1x1 conv of the input, else the input itself) -> 1x1 conv
// (ReLU) -> 1x1 conv (`groups`; `clamped`: ReLU) -> Add with x (`add_relu`: the Add's clamp,
// as pass-fuse-clamp leaves it); `reread`: x read again after; then (`head`) a 1x1 conv.
sn2_graph* ConvThenResidualAdd(uint32_t groups, bool clamped, bool add_relu, bool reread, bool stem = true,
                               bool head = true) {
  sn2_builder b;
  uint32_t x;
  EXPECT_EQ(sn2_builder_init(&b, 9, {1, 6, 6, 24}, &x), sn2_status_success);
  if (stem) x = sn2_build_conv(&b, "stem", x, 24, 1, 1, 0, 1, true);
  uint32_t y = sn2_build_conv(&b, "pw1", x, 12, 1, 1, 0, 1, true);
  b.graph->nodes[b.graph->node_count - 1].params.conv2d.output_min = 0.0f;
  y = sn2_build_conv(&b, "pw2", y, 24, 1, 1, 0, groups, true);
  if (clamped) b.graph->nodes[b.graph->node_count - 1].params.conv2d.output_min = 0.0f;
  y = sn2_build_add(&b, "add", x, y);
  if (add_relu) {
    sn2_binary_params* add = &b.graph->nodes[b.graph->node_count - 1].params.binary;
    add->clamped = true, add->output_min = 0.0f, add->output_max = INFINITY;
  }
  if (reread) y = sn2_build_add(&b, "again", y, x);
  if (head) y = sn2_build_conv(&b, "head", y, 8, 1, 1, 0, 1, true);
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, y, &g), sn2_status_success) << sn2_last_error();
  return g;
}

TEST(PassFuseResidualAdd, PointwiseConvAndAddBecomeOneOp) {
  for (uint32_t groups : {1u, 3u}) {
    for (bool add_relu : {false, true}) {
      auto r = RunWithAndWithout([&] { return ConvThenResidualAdd(groups, false, add_relu, false); },
                                 sn2_pass_fuse_residual_add);
      EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>(4, sn2_op_conv2d))) << groups;
      EXPECT_LE(r.error, 1e-6) << groups << " " << add_relu;
    }
  }
  // The residual the graph input, the sum the graph output: fused too.
  auto r = RunWithAndWithout([] { return ConvThenResidualAdd(3, false, true, false, false, false); },
                             sn2_pass_fuse_residual_add);
  EXPECT_EQ(r.types_after, (std::vector<sn2_op_type>(2, sn2_op_conv2d)));
  EXPECT_LE(r.error, 1e-6);
  // A clamped conv (its clamp comes before the add), or the residual read after the add: the
  // add stays.
  r = RunWithAndWithout([] { return ConvThenResidualAdd(1, true, true, false); }, sn2_pass_fuse_residual_add);
  EXPECT_EQ(r.nodes_after, r.nodes_before);
  EXPECT_EQ(r.error, 0.0);
  r = RunWithAndWithout([] { return ConvThenResidualAdd(1, false, true, true); }, sn2_pass_fuse_residual_add);
  EXPECT_EQ(r.nodes_after, r.nodes_before);
  EXPECT_EQ(r.error, 0.0);
}

// The same tail where the residual is a channel shuffle of a map read again after the add: the
// pass fuses (the shuffle is the residual's only reader), but the shuffle's view shares its
// bytes with that map, so the plan cannot put the output there; the reference computes the
// fused op apart.
sn2_graph* ResidualSharingItsBytes() {
  sn2_builder b;
  uint32_t x;
  EXPECT_EQ(sn2_builder_init(&b, 4, {1, 5, 5, 16}, &x), sn2_status_success);
  const uint32_t w = sn2_build_conv(&b, "w", x, 16, 1, 1, 0, 1, true);
  const uint32_t r = sn2_build_channel_shuffle(&b, "shuffle", w, 2);
  uint32_t y = sn2_build_conv(&b, "pw", x, 16, 1, 1, 0, 1, true);
  y = sn2_build_add(&b, "add", y, r);
  y = sn2_build_add(&b, "again", y, w);
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, y, &g), sn2_status_success) << sn2_last_error();
  return g;
}

// The plan fuses where sn2's pointwise kernels run every 1x1 conv (the AVX-512 and portable
// scalar paths), nowhere else; the fused op runs on them where its output can take the
// residual's place, on the reference otherwise; outputs match the reference, and are the same
// bits at one and two threads.
TEST(PassFuseResidualAdd, ThePlanFusesOnlyWhereItsKernelsServe) {
  const bool avx512 = sn2_get_hardware_config()->avx512f;
  struct Case {
    std::function<sn2_graph*()> make;
    size_t input_size;
    uint32_t fused_op;    // the fused conv's index in the fused plan
    bool on_own_kernel;   // in place
  };
  const Case cases[] = {
      {[] { return ConvThenResidualAdd(3, false, true, false); }, 6 * 6 * 24, 2, true},
      {[] { return ConvThenResidualAdd(1, false, false, false); }, 6 * 6 * 24, 2, true},
      // The graph input as the residual (the session's copy), the sum as the graph output.
      {[] { return ConvThenResidualAdd(3, false, true, false, false, false); }, 6 * 6 * 24, 1, true},
      {ResidualSharingItsBytes, 5 * 5 * 16, 2, false},
  };
  for (const Case& k : cases) {
    const auto input = PatternInput(k.input_size, 5);
    sn2_options reference_options{};
    reference_options.flags = SN2_FLAG_REFERENCE;
    sn2_model_t model = nullptr;
    ASSERT_EQ(sn2_model_create_from_graph(k.make(), &reference_options, &model), sn2_status_success);
    sn2_plan_stats stats{};
    sn2_model_get_stats(model, &stats);
    const uint32_t unfused_ops = stats.op_count;  // the reference plan keeps the add
    const auto expected = RunModel(model, input);
    sn2_model_delete(model);
    for (sn2_isa isa : {sn2_isa_auto, sn2_isa_scalar, sn2_isa_avx512f, sn2_isa_avx2}) {
      for (uint32_t flags : {0u, unsigned(SN2_FLAG_XNNPACK_ONLY)}) {
        sn2_options options{};
        options.isa = isa;
        options.flags = flags;
        model = nullptr;
        const sn2_status status = sn2_model_create_from_graph(k.make(), &options, &model);
        if (status == sn2_status_unsupported_hardware) continue;  // an ISA this CPU or build lacks
        ASSERT_EQ(status, sn2_status_success) << sn2_last_error();
        ModelPtr owner(model);
        sn2_model_get_stats(model, &stats);
        const bool fused = stats.op_count == unfused_ops - 1;
        // sn2's 1x1 kernels run every 1x1 conv: the scalar and AVX-512 paths, and the AVX2 one
        // on a CPU without AVX-512 (valgrind's, say), where XNNPACK has only AVX2 kernels.
        const bool avx2_only = sn2_get_hardware_config()->avx2_fma && !avx512;
        const bool own = isa == sn2_isa_scalar || isa == sn2_isa_avx512f || (isa == sn2_isa_avx2 && !avx512) ||
                         (isa == sn2_isa_auto && (avx512 || avx2_only));
        EXPECT_EQ(fused, flags == 0 && own) << "isa " << isa << " flags " << flags;
        if (fused) {
          sn2_op_info info{};
          ASSERT_EQ(sn2_model_get_op_info(model, k.fused_op, &info), sn2_status_success);
          EXPECT_EQ(std::strncmp(info.kernel, "sn2:f32_pwconv", 14) == 0, k.on_own_kernel) << info.kernel;
          EXPECT_EQ(std::strcmp(info.kernel, "ref:conv2d") == 0, !k.on_own_kernel) << info.kernel;
        }
        const auto one = RunModel(model, input, 1), two = RunModel(model, input, 2);
        EXPECT_LE(RelativeMaxError(one, expected), 1e-5) << "isa " << isa << " flags " << flags;
        EXPECT_EQ(one, two) << "isa " << isa << " flags " << flags;
        // One session, two runs: what a fused op wrote over its residual (the graph input's
        // copy, say) is the next run's to overwrite, and the caller's buffer stays as it was.
        const auto other = PatternInput(k.input_size, 6), other_copy = other;
        sn2_session_t session = nullptr;
        ASSERT_EQ(sn2_session_create(model, 1, &session), sn2_status_success);
        SessionPtr session_owner(session);
        std::vector<float> out(one.size());
        for (const auto* in : {&input, &other}) {
          ASSERT_EQ(sn2_session_run(session, in->data(), in->size(), out.data(), out.size(), 0), sn2_status_success);
        }
        EXPECT_EQ(out, RunModel(model, other, 1)) << "isa " << isa << " flags " << flags;
        EXPECT_EQ(other, other_copy);
      }
    }
  }
}

TEST(OptimizeGraph, WholeShuffleNetV2KeepsItsOutputs) {
  auto make = [] {
    sn2_graph* g = nullptr;
    EXPECT_EQ(sn2_build_builtin("shufflenet_v2_x0_5", 9, &g), sn2_status_success);
    return g;
  };
  auto r = RunWithAndWithout(make, sn2_optimize_graph);
  EXPECT_LT(r.nodes_after, r.nodes_before * 6 / 10);  // BatchNorm and ReLU nodes are gone
  for (sn2_op_type t : r.types_after) {
    EXPECT_NE(t, sn2_op_batchnorm);
    EXPECT_NE(t, sn2_op_clamp);
  }
  EXPECT_LE(r.error, 1e-4);
}

}  // namespace
