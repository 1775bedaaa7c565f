// sn2 against PyTorch: torchvision's ShuffleNet V2 exported to ONNX (tests/fixtures), run on
// every execution path; the output must be within 1e-4 of torch's (relative to its largest
// magnitude).
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "test_util.h"

namespace {

std::vector<float> ReadFloats(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

struct Case {
  const char* fixture;
  uint32_t flags;
  sn2_isa isa;
  const char* path;
};

class TorchvisionFixture : public ::testing::TestWithParam<Case> {};

TEST_P(TorchvisionFixture, MatchesTorch) {
  const Case c = GetParam();
  const std::string dir = std::string(SN2_FIXTURE_DIR) + "/" + c.fixture;
  const auto input = ReadFloats(dir + "/input.f32");
  const auto expected = ReadFloats(dir + "/output.f32");
  ASSERT_FALSE(input.empty()) << dir << "/input.f32 is missing";
  sn2_options options{};
  options.flags = c.flags;
  options.isa = c.isa;
  sn2_model_t model = nullptr;
  ASSERT_EQ(sn2_model_create_from_onnx_file((dir + "/model.onnx").c_str(), &options, &model),
            sn2_status_success)
      << sn2_last_error();
  ModelPtr owner(model);
  EXPECT_EQ(InputShape(model), (std::vector<uint32_t>{1, 3, 224, 224}));
  EXPECT_EQ(OutputShape(model), (std::vector<uint32_t>{1, 1000}));
  const auto got = RunModel(model, input);
  EXPECT_LE(RelativeMaxError(got, expected), 1e-4);
  // The compiled plan folded every BatchNorm, fused every ReLU and turned every channel split,
  // slice, concat and shuffle into a view.
  if (!(c.flags & SN2_FLAG_NO_GRAPH_PASSES)) {
    sn2_plan_stats stats{};
    ASSERT_EQ(sn2_model_get_stats(model, &stats), sn2_status_success);
    EXPECT_EQ(stats.copy_bytes, 0u);
    for (uint32_t i = 0; i < stats.op_count; i++) {
      sn2_op_info op{};
      ASSERT_EQ(sn2_model_get_op_info(model, i, &op), sn2_status_success);
      EXPECT_STRNE(op.type, "BatchNorm") << op.name;
      EXPECT_STRNE(op.type, "Clamp") << op.name;
      EXPECT_STRNE(op.type, "Transpose") << op.name;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Paths, TorchvisionFixture,
    ::testing::Values(
        Case{"shufflenet_v2_x0_5_opset13", 0, sn2_isa_auto, "default"},
        Case{"shufflenet_v2_x0_5_opset13", SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES, sn2_isa_auto, "reference"},
        Case{"shufflenet_v2_x0_5_opset13", 0, sn2_isa_scalar, "scalar"},
        Case{"shufflenet_v2_x1_0_opset9", 0, sn2_isa_auto, "default"},
        Case{"shufflenet_v2_x1_0_opset9", SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES, sn2_isa_auto, "reference"},
        Case{"shufflenet_v2_x1_0_opset9", 0, sn2_isa_scalar, "scalar"}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return std::string(info.param.fixture) + "_" + info.param.path;
    });

}  // namespace
