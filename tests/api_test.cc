// The public API under misuse: every bad call returns the documented status with a message,
// never crashes, and (under the memcheck test) leaks nothing.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "test_util.h"

namespace {

std::string LastError() { return sn2_last_error(); }

TEST(Api, StatusStringsAreNamed) {
  EXPECT_STREQ(sn2_status_string(sn2_status_success), "success");
  EXPECT_STREQ(sn2_status_string(sn2_status_invalid_model), "invalid model");
  EXPECT_STREQ(sn2_status_string(static_cast<sn2_status>(1234)), "unknown status");
}

TEST(Api, BuiltinNamesAreListedAndLoadable) {
  int count = 0;
  for (const char* const* name = sn2_builtin_names(); *name; name++) count++;
  EXPECT_EQ(count, 9);
}

TEST(Api, NullArgumentsAreRejected) {
  sn2_model_t model = nullptr;
  EXPECT_EQ(sn2_model_create_builtin(nullptr, nullptr, &model), sn2_status_invalid_parameter);
  EXPECT_EQ(sn2_model_create_builtin("shufflenet_v2_x0_5", nullptr, nullptr),
            sn2_status_invalid_parameter);
  uint32_t dims[SN2_MAX_DIMS], rank;
  sn2_plan_stats stats;
  sn2_op_info info;
  EXPECT_EQ(sn2_model_get_input_shape(nullptr, dims, &rank), sn2_status_invalid_parameter);
  EXPECT_EQ(sn2_model_get_output_shape(nullptr, dims, &rank), sn2_status_invalid_parameter);
  EXPECT_EQ(sn2_model_get_stats(nullptr, &stats), sn2_status_invalid_parameter);
  EXPECT_EQ(sn2_model_get_op_info(nullptr, 0, &info), sn2_status_invalid_parameter);
  sn2_session_t session = nullptr;
  EXPECT_EQ(sn2_session_create(nullptr, 1, &session), sn2_status_invalid_parameter);
  EXPECT_NE(LastError().find("model"), std::string::npos);
  float buffer[4];
  EXPECT_EQ(sn2_session_run(nullptr, buffer, 4, buffer, 4, 0), sn2_status_invalid_parameter);
  sn2_model_delete(nullptr);    // accepted
  sn2_session_delete(nullptr);  // accepted
}

TEST(Api, UnknownBuiltinNamesTheName) {
  sn2_model_t model = reinterpret_cast<sn2_model_t>(0x1);
  EXPECT_EQ(sn2_model_create_builtin("resnet50", nullptr, &model), sn2_status_invalid_parameter);
  EXPECT_EQ(model, nullptr);
  EXPECT_NE(LastError().find("resnet50"), std::string::npos) << LastError();
}

TEST(Api, BadOptionsAreRejected) {
  sn2_model_t model = nullptr;
  sn2_options options{};
  options.threads = 5000;
  EXPECT_EQ(sn2_model_create_builtin("shufflenet_v2_x0_5", &options, &model),
            sn2_status_invalid_parameter);
  EXPECT_NE(LastError().find("threads"), std::string::npos);
  options = {};
  options.flags = 0x80;
  EXPECT_EQ(sn2_model_create_builtin("shufflenet_v2_x0_5", &options, &model),
            sn2_status_invalid_parameter);
  EXPECT_NE(LastError().find("flags"), std::string::npos);
  options = {};
  options.isa = static_cast<sn2_isa>(77);
  EXPECT_EQ(sn2_model_create_builtin("shufflenet_v2_x0_5", &options, &model),
            sn2_status_invalid_parameter);
  EXPECT_EQ(model, nullptr);
}

TEST(Api, ForcedIsaThatIsMissingIsUnsupportedHardware) {
#if defined(__x86_64__) || defined(__i386__)
  const sn2_isa missing = sn2_isa_neon;
#else
  const sn2_isa missing = sn2_isa_avx512f;
#endif
  sn2_options options{};
  options.isa = missing;
  sn2_model_t model = nullptr;
  EXPECT_EQ(sn2_model_create_builtin("shufflenet_v2_x0_5", &options, &model),
            sn2_status_unsupported_hardware);
  EXPECT_NE(LastError().find("not available"), std::string::npos) << LastError();
}

TEST(Api, ForceIsaEnvironmentVariable) {
  sn2_model_t model = nullptr;
  setenv("SN2_FORCE_ISA", "sse9", 1);
  EXPECT_EQ(sn2_model_create_builtin("shufflenet_v2_x0_5", nullptr, &model),
            sn2_status_invalid_parameter);
  EXPECT_NE(LastError().find("sse9"), std::string::npos);
  setenv("SN2_FORCE_ISA", "scalar", 1);
  ASSERT_EQ(sn2_model_create_builtin("shufflenet_v2_x0_5", nullptr, &model), sn2_status_success);
  ModelPtr owner(model);
  sn2_op_info op{};
  ASSERT_EQ(sn2_model_get_op_info(model, 0, &op), sn2_status_success);
  EXPECT_STREQ(op.kernel, "sn2:f32_conv2d_taps_4x4__scalar");  // the scalar path's stem
  unsetenv("SN2_FORCE_ISA");
}

TEST(Api, WrongSizesAndFlagsAtRun) {
  ModelPtr model = MakeBuiltin("shufflenet_v2_x0_5");
  sn2_session_t raw = nullptr;
  ASSERT_EQ(sn2_session_create(model.get(), 1, &raw), sn2_status_success);
  SessionPtr session(raw);
  std::vector<float> input(3 * 224 * 224, 0.5f), output(1000, -1.0f);
  EXPECT_EQ(sn2_session_run(raw, input.data(), input.size() - 1, output.data(), 1000, 0),
            sn2_status_invalid_parameter);
  EXPECT_NE(LastError().find("150528"), std::string::npos) << LastError();
  EXPECT_EQ(sn2_session_run(raw, input.data(), input.size(), output.data(), 999, 0),
            sn2_status_invalid_parameter);
  EXPECT_EQ(sn2_session_run(raw, input.data(), input.size(), output.data(), 1000, 0x40),
            sn2_status_invalid_parameter);
  EXPECT_EQ(sn2_session_run(raw, nullptr, input.size(), output.data(), 1000, 0),
            sn2_status_invalid_parameter);
  for (float v : output) EXPECT_EQ(v, -1.0f);  // nothing written on a refused call
  EXPECT_EQ(sn2_session_run(raw, input.data(), input.size(), output.data(), 1000, 0),
            sn2_status_success);
  EXPECT_NE(output[0], -1.0f);
}

TEST(Api, SessionThreadLimits) {
  ModelPtr model = MakeBuiltin("shufflenet_v2_x0_5");
  sn2_session_t session = nullptr;
  EXPECT_EQ(sn2_session_create(model.get(), 100000, &session), sn2_status_invalid_parameter);
  EXPECT_EQ(session, nullptr);
  ASSERT_EQ(sn2_session_create(model.get(), 2, &session), sn2_status_success);
  sn2_session_delete(session);
}

TEST(Api, OpInfoIndexOutOfRange) {
  ModelPtr model = MakeBuiltin("shufflenet_v1_g1");
  sn2_plan_stats stats{};
  ASSERT_EQ(sn2_model_get_stats(model.get(), &stats), sn2_status_success);
  sn2_op_info info{};
  EXPECT_EQ(sn2_model_get_op_info(model.get(), stats.op_count, &info),
            sn2_status_invalid_parameter);
  EXPECT_EQ(sn2_model_get_op_info(model.get(), stats.op_count - 1, &info), sn2_status_success);
  EXPECT_STREQ(info.type, "FullyConnected");
}

TEST(Api, ManySessionsOfOneModelRunConcurrently) {
  ModelPtr model = MakeBuiltin("shufflenet_v2_x0_5");
  const auto input = PatternInput(3 * 224 * 224);
  const auto expected = RunModel(model.get(), input);
  std::vector<std::vector<float>> results(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; t++) {
    threads.emplace_back([&, t] { results[t] = RunModel(model.get(), input); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, expected);
}

}  // namespace
