// Dense k x k convs from the graph input as the plan runs them, against the reference executor
// (and grouped 1x1 convs on the scalar path, which the pointwise backend runs group by group):
// the driver on the pointwise micro-kernels (kernels/f32-pwconv/conv-taps-backend.c) and, for
// the stem's geometry (3x3, stride 2, padding 1, up to 4 -> 24 channels), the stem kernel
// (kernels/f32-conv-chw2hwc). Windows that cross the padding on every side, images with no
// interior at all, strides, odd sizes, batches, fused ReLU, 1 vs 2 threads bit for bit, the
// input read in the caller's N, C, H, W layout. Runs where the plan picks them (the AVX-512
// path, and the scalar path on any CPU); the micro-kernels are tested on their own in f32_pwconv_test and
// f32_conv_chw2hwc_test.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/src/engine.h"
#include "graph/builder.h"
#include "kernels/config/hardware-config.h"
#include "test_util.h"

namespace {

struct ConvCase {
  uint32_t n, c, h, w, out_channels, kernel, stride, pad;
  bool relu;
  uint32_t groups = 1;
};

sn2_graph* MakeConv(const ConvCase& t) {
  sn2_builder b;
  uint32_t x;
  EXPECT_EQ(sn2_builder_init(&b, 7, {t.n, t.h, t.w, t.c}, &x), sn2_status_success);
  x = sn2_build_conv(&b, "conv", x, t.out_channels, t.kernel, t.stride, t.pad, t.groups, true);
  if (t.relu) x = sn2_build_relu(&b, "relu", x);
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, x, &g), sn2_status_success) << sn2_last_error();
  return g;
}

ModelPtr Compile(const ConvCase& t, uint32_t flags, sn2_isa isa = sn2_isa_auto) {
  sn2_options options{};
  options.flags = flags;
  options.isa = isa;
  sn2_model_t model = nullptr;
  EXPECT_EQ(sn2_model_create_from_graph(MakeConv(t), &options, &model), sn2_status_success)
      << sn2_last_error();
  return ModelPtr(model);
}

// Compiles t on `isa`, checks that the plan runs it on a kernel named `kernel...` reading the
// caller's N, C, H, W planes, and compares with the reference executor, 1 and 2 threads bit for bit.
void CheckAgainstReference(const ConvCase& t, sn2_isa isa, const std::string& kernel) {
  ModelPtr model = Compile(t, 0, isa);
  ModelPtr reference = Compile(t, SN2_FLAG_REFERENCE);
  ASSERT_TRUE(model && reference);
  sn2_op_info op{};
  ASSERT_EQ(sn2_model_get_op_info(model.get(), 0, &op), sn2_status_success);
  ASSERT_EQ(std::string(op.kernel).rfind(kernel, 0), 0u) << op.kernel;
  // Its only reader reads channel planes: the input stays in the caller's N, C, H, W layout.
  EXPECT_TRUE(model->planar_input);
  EXPECT_FALSE(reference->planar_input);
  const auto input = PatternInput(size_t(t.n) * t.c * t.h * t.w, t.h * 31 + t.c);
  const auto expected = RunModel(reference.get(), input);
  const auto one = RunModel(model.get(), input, 1);
  EXPECT_LE(RelativeMaxError(one, expected), 1e-5);
  EXPECT_EQ(one, RunModel(model.get(), input, 2));
  if (t.relu) {
    for (float v : one) ASSERT_GE(v, 0.0f);
  }
}

class ConvTaps : public ::testing::TestWithParam<ConvCase> {};

// The default path: AVX-512 or, on a CPU with AVX2 but no AVX-512, AVX2: the stem-like convs on
// the planes kernel, every other dense conv on the taps driver.
TEST_P(ConvTaps, MatchesReference) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  const ConvCase t = GetParam();
  const bool stem = t.kernel == 3 && t.stride == 2 && t.pad == 1 && t.c <= 4 && t.out_channels <= 24;
  if (hw->avx512f) {
    CheckAgainstReference(t, sn2_isa_auto, stem ? "sn2:f32_conv_chw2hwc_3x3s2p1_16x24__avx512f" : "sn2:f32_conv2d_taps_7x");
  } else if (hw->avx2_fma) {
    CheckAgainstReference(t, sn2_isa_auto, stem ? "sn2:f32_conv_chw2hwc_3x3s2p1_8x24__avx2" : "sn2:f32_conv2d_taps_6x16__avx2");
  } else {
    GTEST_SKIP() << "the plan picks the taps driver on AVX-512 and AVX2 CPUs only";
  }
}

// The scalar path runs every dense conv on the taps driver over its 4x4 kernel, on any CPU.
TEST_P(ConvTaps, ScalarPathMatchesReference) {
  CheckAgainstReference(GetParam(), sn2_isa_scalar, "sn2:f32_conv2d_taps_4x4__scalar");
}

// Grouped 1x1 convs (ShuffleNet V1's, the G2 experiment's) in the pointwise backend, one problem
// per group (its slices of the input's and the output's channels), on the scalar path and, where
// the CPU has it, the AVX-512 path (on a CPU with AVX2 but no AVX-512, the AVX2 path); groups of
// fewer than 8 output channels go elsewhere.
TEST(GroupedPointwise, MatchesReference) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  std::vector<std::pair<sn2_isa, std::string>> paths = {{sn2_isa_scalar, "sn2:f32_pwconv_4x4__scalar"}};
  if (hw->avx512f) paths.push_back({sn2_isa_avx512f, "sn2:f32_pwconv_7x"});
  if (hw->avx2_fma && !hw->avx512f) paths.push_back({sn2_isa_avx2, "sn2:f32_pwconv_6x16__avx2"});
  for (const auto& [isa, kernel] : paths) {
    for (const ConvCase& t : {ConvCase{1, 12, 9, 7, 30, 1, 1, 0, true, 3},      // 4 -> 10 channels per group
                              ConvCase{2, 24, 5, 6, 64, 1, 1, 0, false, 8},     // batch 2, 3 -> 8 per group
                              ConvCase{1, 240, 14, 14, 240, 1, 1, 0, true, 3},  // V1 g=3's stage 3
                              ConvCase{1, 16, 5, 5, 16, 1, 1, 0, false, 16}}) { // 1 channel per group
      ModelPtr model = Compile(t, 0, isa);
      ModelPtr reference = Compile(t, SN2_FLAG_REFERENCE);
      ASSERT_TRUE(model && reference);
      sn2_op_info op{};
      ASSERT_EQ(sn2_model_get_op_info(model.get(), 0, &op), sn2_status_success);
      const bool served = t.out_channels / t.groups >= 8;
      EXPECT_EQ(std::string(op.kernel).rfind(kernel, 0) == 0, served) << op.kernel;
      const auto input = PatternInput(size_t(t.n) * t.c * t.h * t.w, t.c);
      const auto expected = RunModel(reference.get(), input);
      const auto one = RunModel(model.get(), input, 1);
      EXPECT_LE(RelativeMaxError(one, expected), 1e-5) << op.kernel << ", " << t.groups << " groups";
      EXPECT_EQ(one, RunModel(model.get(), input, 2));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ConvTaps,
    ::testing::Values(ConvCase{1, 3, 31, 29, 24, 3, 2, 1, true},   // the stem's geometry, odd sizes
                      ConvCase{1, 3, 224, 224, 24, 3, 2, 1, true}, // the stem itself
                      ConvCase{2, 1, 18, 37, 13, 3, 2, 1, false},  // stem kernel: batch 2, 1 -> 13
                      ConvCase{1, 4, 5, 40, 24, 3, 2, 1, true},    // stem kernel: 4 planes, 3 rows
                      ConvCase{1, 5, 31, 29, 24, 3, 2, 1, true},   // 5 planes: the taps driver
                      ConvCase{1, 3, 31, 29, 25, 3, 2, 1, true},   // 25 channels: the taps driver
                      ConvCase{2, 5, 9, 9, 40, 3, 1, 1, false},    // batch 2, 'same' padding
                      ConvCase{1, 2, 11, 6, 17, 5, 2, 2, false},   // 5x5, interior narrower than a tile
                      ConvCase{1, 4, 3, 3, 33, 3, 1, 0, false},    // one output pixel, all interior
                      ConvCase{1, 6, 1, 1, 8, 3, 2, 1, true},      // no interior at all
                      ConvCase{1, 8, 7, 7, 65, 1, 2, 0, false},    // a strided 1x1 conv
                      ConvCase{1, 3, 20, 20, 64, 7, 2, 3, false}), // 7x7, edges three deep
    [](const ::testing::TestParamInfo<ConvCase>& info) {
      const ConvCase& t = info.param;
      return "n" + std::to_string(t.n) + "c" + std::to_string(t.c) + "h" + std::to_string(t.h) + "w" +
             std::to_string(t.w) + "o" + std::to_string(t.out_channels) + "k" + std::to_string(t.kernel) + "s" +
             std::to_string(t.stride) + "p" + std::to_string(t.pad);
    });

}  // namespace
