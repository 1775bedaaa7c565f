// The built-in networks: their work matches the papers and an independent count, their shapes
// are right, their weights are reproducible, and every execution path agrees with the
// reference executor.
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <cstring>
#include <map>
#include <string>

#include "engine/src/engine.h"
#include "kernels/config/hardware-config.h"
#include "test_util.h"

namespace {

// Multiply-adds of a k x k conv producing an hw x hw x out map from `in` channels in `groups`.
uint64_t ConvMacs(uint64_t hw, uint64_t in, uint64_t out, uint64_t k, uint64_t groups = 1) {
  return hw * hw * out * k * k * in / groups;
}

// ShuffleNet V2 (torchvision layout) counted layer by layer from the seed's description.
uint64_t ShuffleNetV2Macs(const uint32_t c[5]) {
  uint64_t macs = ConvMacs(112, 3, c[0], 3);  // stem
  uint64_t in = c[0], hw = 56;                 // after max pool
  const int repeats[3] = {4, 8, 4};
  for (int s = 0; s < 3; s++) {
    const uint64_t out = c[s + 1], b = out / 2;
    hw /= 2;
    // Stride-2 unit: branch1 = dw(in) + pw(in->b); branch2 = pw(in->b) + dw(b) + pw(b->b).
    macs += ConvMacs(hw, 1, in, 3) + ConvMacs(hw, in, b, 1);
    macs += ConvMacs(hw * 2, in, b, 1) + ConvMacs(hw, 1, b, 3) + ConvMacs(hw, b, b, 1);
    // Stride-1 units: pw + dw + pw on half the channels.
    macs += (repeats[s] - 1) * (2 * ConvMacs(hw, b, b, 1) + ConvMacs(hw, 1, b, 3));
    in = out;
  }
  return macs + ConvMacs(7, in, c[4], 1) + uint64_t(c[4]) * 1000;
}

// ShuffleNet V1 1x: bottleneck = out / 4; the first pointwise conv of stage 2 is not grouped.
uint64_t ShuffleNetV1Macs(uint32_t g, uint32_t stage2) {
  uint64_t macs = ConvMacs(112, 3, 24, 3);
  uint64_t in = 24, hw = 56;
  const int repeats[3] = {4, 8, 4};
  for (int s = 0; s < 3; s++) {
    const uint64_t out = uint64_t(stage2) << s, mid = out / 4;
    hw /= 2;
    macs += ConvMacs(hw * 2, in, mid, 1, s == 0 ? 1 : g) + ConvMacs(hw, 1, mid, 3) +
            ConvMacs(hw, mid, out - in, 1, g);
    macs += (repeats[s] - 1) * (ConvMacs(hw, out, mid, 1, g) + ConvMacs(hw, 1, mid, 3) +
                                ConvMacs(hw, mid, out, 1, g));
    in = out;
  }
  return macs + in * 1000;
}

uint64_t Macs(sn2_model_t model) {
  sn2_plan_stats stats{};
  EXPECT_EQ(sn2_model_get_stats(model, &stats), sn2_status_success);
  return stats.macs;
}

TEST(BuiltinMacs, ShuffleNetV2MatchesTorchvisionCounts) {
  struct Case {
    const char* name;
    uint32_t channels[5];
    double expected_millions;  // ../shared/ANCHORS.md, torchvision layout
  } cases[] = {
      {"shufflenet_v2_x0_5", {24, 48, 96, 192, 1024}, 40.48},
      {"shufflenet_v2_x1_0", {24, 116, 232, 464, 1024}, 144.91},
      {"shufflenet_v2_x1_5", {24, 176, 352, 704, 1024}, 295.76},
      {"shufflenet_v2_x2_0", {24, 244, 488, 976, 2048}, 583.25},
  };
  for (const Case& c : cases) {
    ModelPtr model = MakeBuiltin(c.name);
    ASSERT_TRUE(model);
    const uint64_t macs = Macs(model.get());
    EXPECT_EQ(macs, ShuffleNetV2Macs(c.channels)) << c.name;
    EXPECT_EQ(std::llround(macs / 1e4), std::llround(c.expected_millions * 100)) << c.name;
  }
}

// The paper's memory access cost of the convs and the classifier is the network's, whatever
// the plan fuses into them (pools, V1's residual Adds): the same in the fused plan and in the
// reference plan, which fuses nothing.
TEST(BuiltinPlan, ConvMemoryAccessIsTheSameInEveryPlan) {
  for (const char* name : {"shufflenet_v2_x1_0", "shufflenet_v1_g3"}) {
    uint64_t sums[2] = {0, 0};
    for (int plan = 0; plan < 2; plan++) {
      sn2_options options{};
      options.flags = plan ? SN2_FLAG_REFERENCE : 0u;
      ModelPtr model = MakeBuiltin(name, options);
      sn2_plan_stats stats{};
      ASSERT_EQ(sn2_model_get_stats(model.get(), &stats), sn2_status_success);
      for (uint32_t i = 0; i < stats.op_count; i++) {
        sn2_op_info op{};
        ASSERT_EQ(sn2_model_get_op_info(model.get(), i, &op), sn2_status_success);
        if (!std::strcmp(op.type, "Conv") || !std::strcmp(op.type, "FullyConnected")) sums[plan] += op.mac_bytes;
      }
    }
    EXPECT_EQ(sums[0], sums[1]) << name;
  }
}

// V1's shuffle sits between its grouped 1x1 conv and the depthwise conv: where sn2's kernels run
// the grouped convs (the AVX-512 and scalar paths), the depthwise conv absorbs the permutation
// and the grouped conv after it gathers through the shuffled slots.
TEST(BuiltinPlan, ShuffleNetV1MovesNoBytesForShuffle) {
  for (sn2_isa isa : {sn2_isa_scalar, sn2_isa_avx512f}) {
    if (isa == sn2_isa_avx512f && !sn2_get_hardware_config()->avx512f) continue;
    for (const char* name : {"shufflenet_v1_g2", "shufflenet_v1_g3", "shufflenet_v1_g4", "shufflenet_v1_g8"}) {
      sn2_options views{};
      views.isa = isa;
      ModelPtr model = MakeBuiltin(name, views);
      sn2_plan_stats stats{};
      ASSERT_EQ(sn2_model_get_stats(model.get(), &stats), sn2_status_success);
      EXPECT_EQ(stats.copy_bytes, 0u) << name << " " << sn2_isa_name(isa);
      sn2_options copies = views;
      copies.flags = SN2_FLAG_NO_CHANNEL_VIEWS;
      ModelPtr ablation = MakeBuiltin(name, copies);
      ASSERT_EQ(sn2_model_get_stats(ablation.get(), &stats), sn2_status_success);
      EXPECT_GT(stats.copy_bytes, 0u) << name << " " << sn2_isa_name(isa);
      // The copy ablation copies the shuffles and keeps the fused residual Adds on sn2's
      // kernels (in place is not a view): no conv falls back to the reference.
      for (uint32_t i = 0; i < stats.op_count; i++) {
        sn2_op_info op{};
        ASSERT_EQ(sn2_model_get_op_info(ablation.get(), i, &op), sn2_status_success);
        EXPECT_STRNE(op.kernel, "ref:conv2d") << name << " " << sn2_isa_name(isa) << " " << op.name;
      }
    }
  }
}

TEST(BuiltinPlan, ShuffleNetV2MovesNoBytesForSplitConcatShuffle) {
  for (const char* name : {"shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5",
                           "shufflenet_v2_x2_0"}) {
    ModelPtr model = MakeBuiltin(name);
    sn2_plan_stats stats{};
    ASSERT_EQ(sn2_model_get_stats(model.get(), &stats), sn2_status_success);
    EXPECT_EQ(stats.copy_bytes, 0u) << name;
    // ...while the copy ablation moves them: 13 splits, 16 concats, 16 shuffles.
    sn2_options copies{};
    copies.flags = SN2_FLAG_NO_CHANNEL_VIEWS;
    ModelPtr ablation = MakeBuiltin(name, copies);
    ASSERT_EQ(sn2_model_get_stats(ablation.get(), &stats), sn2_status_success);
    EXPECT_GT(stats.copy_bytes, 0u) << name;
  }
}

TEST(BuiltinMacs, ShuffleNetV1MatchesPaperWithinOnePercent) {
  struct Case {
    const char* name;
    uint32_t groups, stage2;
    double paper_millions;  // ShuffleNet V1 paper, Table 1 (1x)
  } cases[] = {
      {"shufflenet_v1_g1", 1, 144, 143}, {"shufflenet_v1_g2", 2, 200, 140},
      {"shufflenet_v1_g3", 3, 240, 137}, {"shufflenet_v1_g4", 4, 272, 133},
      {"shufflenet_v1_g8", 8, 384, 137},
  };
  for (const Case& c : cases) {
    ModelPtr model = MakeBuiltin(c.name);
    ASSERT_TRUE(model);
    const uint64_t macs = Macs(model.get());
    EXPECT_EQ(macs, ShuffleNetV1Macs(c.groups, c.stage2)) << c.name;
    EXPECT_NEAR(macs / 1e6, c.paper_millions, 0.011 * c.paper_millions) << c.name;
  }
}

class BuiltinModel : public ::testing::TestWithParam<const char*> {};

TEST_P(BuiltinModel, ShapesAndPlanStats) {
  ModelPtr model = MakeBuiltin(GetParam());
  ASSERT_TRUE(model);
  EXPECT_EQ(InputShape(model.get()), (std::vector<uint32_t>{1, 3, 224, 224}));
  EXPECT_EQ(OutputShape(model.get()), (std::vector<uint32_t>{1, 1000}));
  sn2_plan_stats stats{};
  ASSERT_EQ(sn2_model_get_stats(model.get(), &stats), sn2_status_success);
  uint64_t macs = 0, mac_bytes = 0, copy_bytes = 0, largest = 0;
  for (uint32_t i = 0; i < stats.op_count; i++) {
    sn2_op_info op{};
    ASSERT_EQ(sn2_model_get_op_info(model.get(), i, &op), sn2_status_success);
    macs += op.macs;
    mac_bytes += op.mac_bytes;
    copy_bytes += op.copy_bytes;
    EXPECT_TRUE(op.name && op.type && op.kernel);
    uint64_t bytes = 4;
    for (uint32_t d = 0; d < op.output_rank; d++) bytes *= op.output_dims[d];
    largest = std::max(largest, bytes);
  }
  EXPECT_EQ(macs, stats.macs);
  EXPECT_EQ(mac_bytes, stats.mac_bytes);
  EXPECT_EQ(copy_bytes, stats.copy_bytes);
  // The arena holds at least the largest activation an op writes (the stem's 24 x 112 x 112,
  // unless the plan pools it inside the stem's op) and, with reuse, far less than the sum of
  // all of them.
  EXPECT_GE(largest, 24u * 56 * 56 * 4);
  EXPECT_GE(stats.arena_bytes, largest);
  EXPECT_LT(stats.arena_bytes, stats.mac_bytes / 4);
  // The plan is within 5 % of the most bytes ever alive at once (no plan can do better).
  EXPECT_GE(stats.arena_bytes, stats.arena_lower_bound_bytes);
  EXPECT_LE(stats.arena_bytes, stats.arena_lower_bound_bytes * 105 / 100);
}

TEST_P(BuiltinModel, SameSeedSameBitsOtherSeedOtherBits) {
  sn2_options a{}, b{};
  a.seed = b.seed = 42;
  ModelPtr m1 = MakeBuiltin(GetParam(), a), m2 = MakeBuiltin(GetParam(), b);
  b.seed = 43;
  ModelPtr m3 = MakeBuiltin(GetParam(), b);
  const auto input = PatternInput(3 * 224 * 224);
  const auto y1 = RunModel(m1.get(), input), y2 = RunModel(m2.get(), input),
             y3 = RunModel(m3.get(), input);
  EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * sizeof(float)), 0);
  EXPECT_NE(std::memcmp(y1.data(), y3.data(), y1.size() * sizeof(float)), 0);
  for (float v : y1) ASSERT_TRUE(std::isfinite(v));
}

TEST_P(BuiltinModel, DefaultPathMatchesReferenceExecutor) {
  // The oracle: the graph as built (no passes), on the reference kernels.
  sn2_options reference{};
  reference.flags = SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES;
  ModelPtr fast = MakeBuiltin(GetParam()), ref = MakeBuiltin(GetParam(), reference);
  const auto input = PatternInput(3 * 224 * 224, 7);
  const auto expected = RunModel(ref.get(), input, 2);
  const auto got = RunModel(fast.get(), input);
  EXPECT_LE(RelativeMaxError(got, expected), 1e-4) << GetParam();
}

TEST_P(BuiltinModel, ThreadCountDoesNotChangeBits) {
  ModelPtr model = MakeBuiltin(GetParam());
  const auto input = PatternInput(3 * 224 * 224, 3);
  const auto one = RunModel(model.get(), input, 1), two = RunModel(model.get(), input, 2);
  EXPECT_EQ(std::memcmp(one.data(), two.data(), one.size() * sizeof(float)), 0);
}

INSTANTIATE_TEST_SUITE_P(AllBuiltins, BuiltinModel,
                         ::testing::Values("shufflenet_v2_x0_5", "shufflenet_v2_x1_0",
                                           "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
                                           "shufflenet_v1_g1", "shufflenet_v1_g2",
                                           "shufflenet_v1_g3", "shufflenet_v1_g4",
                                           "shufflenet_v1_g8"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param);
                         });

TEST(BuiltinRun, NhwcInputFlagMatchesNchw) {
  ModelPtr model = MakeBuiltin("shufflenet_v2_x0_5");
  const auto nchw = PatternInput(3 * 224 * 224, 11);
  std::vector<float> nhwc(nchw.size());
  for (size_t c = 0; c < 3; c++)
    for (size_t p = 0; p < 224 * 224; p++) nhwc[p * 3 + c] = nchw[c * 224 * 224 + p];
  const auto a = RunModel(model.get(), nchw), b = RunModel(model.get(), nhwc, 1, SN2_RUN_INPUT_NHWC);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

// Where the stem reads the caller's N, C, H, W buffer in place (AVX-512 path), one session
// alternating buffers and layouts gives what fresh sessions give, and leaves the buffers as
// they were.
TEST(BuiltinRun, InputReadInPlaceAcrossRunsAndLayouts) {
  ModelPtr model = MakeBuiltin("shufflenet_v2_x0_5");
  const auto first = PatternInput(3 * 224 * 224, 11), second = PatternInput(3 * 224 * 224, 12);
  std::vector<float> nhwc(first.size());
  for (size_t c = 0; c < 3; c++)
    for (size_t p = 0; p < 224 * 224; p++) nhwc[p * 3 + c] = second[c * 224 * 224 + p];
  const auto expected_first = RunModel(model.get(), first), expected_second = RunModel(model.get(), second);
  const auto first_copy = first, nhwc_copy = nhwc;
  sn2_session_t session = nullptr;
  ASSERT_EQ(sn2_session_create(model.get(), 2, &session), sn2_status_success) << sn2_last_error();
  SessionPtr owner(session);
  std::vector<float> out(expected_first.size());
  const struct {
    const std::vector<float>* input;
    uint32_t flags;
    const std::vector<float>* expected;
  } runs[] = {{&first, 0, &expected_first}, {&nhwc, SN2_RUN_INPUT_NHWC, &expected_second},
              {&first, 0, &expected_first}, {&second, 0, &expected_second}};
  for (const auto& r : runs) {
    ASSERT_EQ(sn2_session_run(session, r.input->data(), r.input->size(), out.data(), out.size(), r.flags),
              sn2_status_success)
        << sn2_last_error();
    EXPECT_EQ(std::memcmp(out.data(), r.expected->data(), out.size() * sizeof(float)), 0);
  }
  EXPECT_EQ(first, first_copy);
  EXPECT_EQ(nhwc, nhwc_copy);
}

// XNNPACK serves ops on every path but a scalar one that was asked for (options or
// SN2_FORCE_ISA); auto on a CPU with no SIMD path keeps it (NoSimdCpu below).
TEST(BuiltinRun, XnnpackOnEveryPathButTheScalarPathAskedFor) {
  sn2_options scalar{};
  scalar.isa = sn2_isa_scalar;
  EXPECT_FALSE(MakeBuiltin("shufflenet_v2_x0_5", scalar)->xnnpack);
  EXPECT_TRUE(MakeBuiltin("shufflenet_v2_x0_5")->xnnpack);
  setenv("SN2_FORCE_ISA", "scalar", 1);
  EXPECT_FALSE(MakeBuiltin("shufflenet_v2_x0_5")->xnnpack);
  sn2_isa isa = sn2_isa_auto;
  bool forced = false;
  ASSERT_EQ(sn2_resolve_isa(sn2_isa_auto, &isa, &forced), sn2_status_success);
  EXPECT_TRUE(forced);
  EXPECT_EQ(isa, sn2_isa_scalar);
  unsetenv("SN2_FORCE_ISA");
  ASSERT_EQ(sn2_resolve_isa(sn2_isa_auto, &isa, &forced), sn2_status_success);
  EXPECT_FALSE(forced);
  ASSERT_EQ(sn2_resolve_isa(sn2_isa_scalar, &isa, &forced), sn2_status_success);
  EXPECT_TRUE(forced);
}

// How many ops of a plan run on each kernel.
std::map<std::string, int> KernelCounts(sn2_model_t model) {
  std::map<std::string, int> kernels;
  sn2_plan_stats stats{};
  EXPECT_EQ(sn2_model_get_stats(model, &stats), sn2_status_success);
  for (uint32_t i = 0; i < stats.op_count; i++) {
    sn2_op_info op{};
    EXPECT_EQ(sn2_model_get_op_info(model, i, &op), sn2_status_success);
    kernels[op.kernel]++;
  }
  return kernels;
}

// The oracle: the graph as built (no passes), on the reference kernels.
ModelPtr Oracle(const char* name) {
  sn2_options oracle{};
  oracle.flags = SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES;
  return MakeBuiltin(name, oracle);
}

// Auto on a CPU with none of sn2's SIMD paths: the scalar path with XNNPACK's operators, sn2's
// scalar kernel for the 1x1 convs on channel views, and the same numbers as the oracle. Runs
// where the CPU has no SIMD path: the ctest no_simd_cpu runs it under qemu-x86_64 -cpu Westmere.
TEST(NoSimdCpu, AutoKeepsXnnpackBesideTheScalarViewKernels) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  if (hw->avx512f || hw->avx2_fma || hw->neon) GTEST_SKIP() << "this CPU has a SIMD path";
  ModelPtr model = MakeBuiltin("shufflenet_v2_x0_5");
  EXPECT_EQ(model->isa, sn2_isa_scalar);
  EXPECT_TRUE(model->xnnpack);
  int xnnpack_ops = 0;
  const auto kernels = KernelCounts(model.get());
  for (const auto& [kernel, count] : kernels) xnnpack_ops += kernel.rfind("xnnpack:", 0) == 0 ? count : 0;
  EXPECT_GT(xnnpack_ops, 0);
  EXPECT_EQ(kernels.at("sn2:f32_pwconv_4x4__scalar"), 26);  // the stride-1 units' 1x1 convs, on views
  ModelPtr reference = Oracle("shufflenet_v2_x0_5");
  const auto input = PatternInput(3 * 224 * 224, 13);
  const auto one = RunModel(model.get(), input, 1);
  EXPECT_LE(RelativeMaxError(one, RunModel(reference.get(), input)), 1e-4);
  EXPECT_EQ(one, RunModel(model.get(), input, 2));
}

// Auto on a CPU with AVX2 but no AVX-512, where XNNPACK runs its AVX2 kernels: sn2's AVX2
// kernels take every 1x1 conv (V1's grouped ones on the shuffle's view, with the residual Adds
// fused), every depthwise conv, the stem (on the taps driver) and its max pool, and the
// numbers are the oracle's. Runs where the CPU is such:
// the ctest avx2_cpu runs it under qemu-x86_64 -cpu Haswell.
TEST(Avx2Cpu, AutoRunsSn2KernelsForEveryConv) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  if (!hw->avx2_fma || hw->avx512f) GTEST_SKIP() << "this CPU is not one with AVX2 and without AVX-512";
  for (const char* name : {"shufflenet_v2_x0_5", "shufflenet_v1_g3"}) {
    const bool v2 = std::string(name) == "shufflenet_v2_x0_5";
    ModelPtr model = MakeBuiltin(name);
    EXPECT_EQ(model->isa, sn2_isa_avx2) << name;
    auto kernels = KernelCounts(model.get());
    // V2: 36 1x1 convs, conv5 with the global pool fused into it, 19 depthwise; V1 g=3: 32 1x1
    // convs (the last one's residual Add fused, so not the pool), 16 depthwise (and the
    // stride-2 shortcuts' 3 average pools on the depthwise kernel).
    EXPECT_EQ(kernels["sn2:f32_pwconv_6x16__avx2"], v2 ? 35 : 32) << name;
    EXPECT_EQ(kernels["sn2:f32_pwconv_global_average_6x16__avx2"], v2 ? 1 : 0) << name << ": conv5 + global pool";
    EXPECT_EQ(kernels["xnnpack:global_average_pooling_nwc_f32"], v2 ? 0 : 1) << name;
    EXPECT_EQ(kernels["sn2:f32_dwconv2d_3x3_8c__avx2"], 19) << name;
    EXPECT_EQ(kernels["sn2:f32_conv_chw2hwc_maxpool_3x3s2p1_8x24__avx2"], 1) << name << ": the stem and its max pool";
    EXPECT_EQ(kernels["xnnpack:convolution2d_nhwc_f32"], 0) << name;
    EXPECT_EQ(kernels["xnnpack:max_pooling2d_nhwc_f32"], 0) << name;
    EXPECT_EQ(kernels["xnnpack:binary_nd_f32"], 0) << name << ": the residual Adds fused";
    EXPECT_EQ(kernels["xnnpack:channel_shuffle_nc_x32"], 0) << name << ": the shuffles as views";
    ModelPtr reference = Oracle(name);
    const auto input = PatternInput(3 * 224 * 224, 17);
    const auto one = RunModel(model.get(), input, 1);
    EXPECT_LE(RelativeMaxError(one, RunModel(reference.get(), input)), 1e-4) << name;
    EXPECT_EQ(one, RunModel(model.get(), input, 2)) << name;
  }
}

// The scalar path: portable C only, no XNNPACK. sn2's scalar kernels take the depthwise 3x3 and
// 1x1 convs (V2's on channel views too, V1's grouped ones group by group), the stem and the
// max pool.
TEST(BuiltinRun, ScalarIsaRunsPortableKernelsOnly) {
  sn2_options scalar{};
  scalar.isa = sn2_isa_scalar;
  for (const char* name : {"shufflenet_v2_x0_5", "shufflenet_v1_g8"}) {
    ModelPtr model = MakeBuiltin(name, scalar);
    auto kernels = KernelCounts(model.get());
    for (const auto& [kernel, count] : kernels) {
      const bool scalar_kernel = kernel.size() > 8 && kernel.compare(kernel.size() - 8, 8, "__scalar") == 0;
      EXPECT_TRUE(kernel.rfind("ref:", 0) == 0 || kernel == "view" || scalar_kernel) << name << " runs " << kernel;
    }
    EXPECT_GT(kernels["sn2:f32_dwconv2d_3x3_4c__scalar"], 0) << name;
    EXPECT_EQ(kernels["sn2:f32_conv2d_taps_4x4__scalar"], 1) << name;
    // Every 1x1 conv: V2's 36, views included; V1's 32, all grouped (g = 8) but the first.
    EXPECT_EQ(kernels["sn2:f32_pwconv_4x4__scalar"], std::string(name) == "shufflenet_v2_x0_5" ? 36 : 32) << name;
    ModelPtr reference = Oracle(name);
    const auto input = PatternInput(3 * 224 * 224, 11);
    EXPECT_LE(RelativeMaxError(RunModel(model.get(), input), RunModel(reference.get(), input)), 1e-4) << name;
  }
}

TEST(BuiltinRun, XnnpackOnlyPlanIsAllXnnpackAndMatchesReference) {
  sn2_options only{};
  only.flags = SN2_FLAG_XNNPACK_ONLY | SN2_FLAG_NO_CHANNEL_VIEWS;
  ModelPtr model = MakeBuiltin("shufflenet_v2_x0_5", only);
  sn2_plan_stats stats{};
  ASSERT_EQ(sn2_model_get_stats(model.get(), &stats), sn2_status_success);
  for (uint32_t i = 0; i < stats.op_count; i++) {
    sn2_op_info op{};
    ASSERT_EQ(sn2_model_get_op_info(model.get(), i, &op), sn2_status_success);
    EXPECT_EQ(std::strncmp(op.kernel, "xnnpack:", 8), 0) << op.name << " runs " << op.kernel;
  }
  sn2_options reference{};
  reference.flags = SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES;
  ModelPtr ref = MakeBuiltin("shufflenet_v2_x0_5", reference);
  const auto input = PatternInput(3 * 224 * 224, 21);
  EXPECT_LE(RelativeMaxError(RunModel(model.get(), input, 2), RunModel(ref.get(), input)), 1e-4);
}

// The stem runs on sn2's kernels where they measured faster (the AVX-512 path: with the max
// pool fused; a CPU with AVX2 but no AVX-512: the taps driver), on XNNPACK elsewhere and in the
// XNNPACK-only plan.
TEST(BuiltinRun, StemKernelFollowsThePath) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  const bool avx512 = hw->avx512f, avx2_only = hw->avx2_fma && !hw->avx512f;
  ModelPtr model = MakeBuiltin("shufflenet_v2_x1_0");
  sn2_op_info op{};
  ASSERT_EQ(sn2_model_get_op_info(model.get(), 0, &op), sn2_status_success);
  EXPECT_STREQ(op.type, "Conv");
  // On the AVX-512 path and on a CPU with AVX2 but not AVX-512 the stem's op also runs the max
  // pool (conv rows pooled from a ring): its output is the pool's.
  EXPECT_STREQ(op.kernel, avx512      ? "sn2:f32_conv_chw2hwc_maxpool_3x3s2p1_16x24__avx512f"
                          : avx2_only ? "sn2:f32_conv_chw2hwc_maxpool_3x3s2p1_8x24__avx2"
                                      : "xnnpack:convolution2d_nhwc_f32");
  EXPECT_EQ(op.output_dims[2], avx512 || avx2_only ? 56u : 112u);
  sn2_options xnnpack_only{};
  xnnpack_only.flags = SN2_FLAG_XNNPACK_ONLY;
  ModelPtr plain = MakeBuiltin("shufflenet_v2_x1_0", xnnpack_only);
  ASSERT_EQ(sn2_model_get_op_info(plain.get(), 0, &op), sn2_status_success);
  EXPECT_STREQ(op.kernel, "xnnpack:convolution2d_nhwc_f32");
  ASSERT_EQ(sn2_model_get_op_info(plain.get(), 1, &op), sn2_status_success);
  EXPECT_STREQ(op.kernel, "xnnpack:max_pooling2d_nhwc_f32");
  if (!avx512 && !avx2_only) {
    ASSERT_EQ(sn2_model_get_op_info(model.get(), 1, &op), sn2_status_success);
    EXPECT_STREQ(op.kernel, "xnnpack:max_pooling2d_nhwc_f32");
  }
}

// V2 with no copies on every path; V1 with its shuffles as views where sn2's kernels run its
// grouped 1x1 convs (AVX-512, scalar, AVX2 on a CPU without AVX-512), as copies before
// XNNPACK's grouped convs elsewhere.
TEST(BuiltinRun, EveryAvailableIsaPathMatchesReference) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  for (const char* name : {"shufflenet_v2_x0_5", "shufflenet_v1_g3"}) {
    sn2_options reference{};
    reference.flags = SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES;
    ModelPtr ref = MakeBuiltin(name, reference);
    const auto input = PatternInput(3 * 224 * 224, 5);
    const auto expected = RunModel(ref.get(), input);
    int tried = 0;
    for (sn2_isa isa : {sn2_isa_scalar, sn2_isa_avx2, sn2_isa_avx512f, sn2_isa_neon}) {
      const bool available = isa == sn2_isa_scalar || (isa == sn2_isa_avx2 && hw->avx2_fma) ||
                             (isa == sn2_isa_avx512f && hw->avx512f) ||
                             (isa == sn2_isa_neon && hw->neon);
      sn2_options options{};
      options.isa = isa;
      sn2_model_t model = nullptr;
      const sn2_status status = sn2_model_create_builtin(name, &options, &model);
      if (!available) {
        EXPECT_EQ(status, sn2_status_unsupported_hardware) << sn2_isa_name(isa);
        continue;
      }
      ASSERT_EQ(status, sn2_status_success) << sn2_last_error();
      ModelPtr owner(model);
      sn2_plan_stats stats{};
      ASSERT_EQ(sn2_model_get_stats(model, &stats), sn2_status_success);
      const bool views = std::strncmp(name, "shufflenet_v2", 13) == 0 || isa == sn2_isa_avx512f ||
                         isa == sn2_isa_scalar || (isa == sn2_isa_avx2 && !hw->avx512f);
      EXPECT_EQ(stats.copy_bytes == 0, views) << name << " " << sn2_isa_name(isa);
      EXPECT_LE(RelativeMaxError(RunModel(model, input), expected), 1e-4) << name << " " << sn2_isa_name(isa);
      tried++;
    }
    EXPECT_GE(tried, 1);
  }
}

}  // namespace
