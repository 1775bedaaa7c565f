// Zero-copy channel views: graphs run with views and with copies must agree, and the views
// must actually remove the copies.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <functional>

#include "engine/src/engine.h"
#include "graph/builder.h"
#include "kernels/config/hardware-config.h"
#include "test_util.h"

namespace {

// Builds the same graph twice and runs it with flags `a` and `b`; returns max relative error
// and fills the plan stats of the first.
double Compare(const std::function<sn2_graph*()>& make, uint32_t a_flags, uint32_t b_flags, sn2_plan_stats* a_stats,
               sn2_isa isa = sn2_isa_auto) {
  sn2_model_t a = nullptr, b = nullptr;
  sn2_options a_options{}, b_options{};
  a_options.flags = a_flags;
  b_options.flags = b_flags;
  a_options.isa = b_options.isa = isa;
  EXPECT_EQ(sn2_model_create_from_graph(make(), &a_options, &a), sn2_status_success) << sn2_last_error();
  EXPECT_EQ(sn2_model_create_from_graph(make(), &b_options, &b), sn2_status_success) << sn2_last_error();
  ModelPtr pa(a), pb(b);
  if (!a || !b) return 1.0;
  EXPECT_EQ(sn2_model_get_stats(a, a_stats), sn2_status_success);
  const auto input = PatternInput(Elements(InputShape(a)), 5);
  return RelativeMaxError(RunModel(a, input), RunModel(b, input));
}

// The same graph with and without views.
double CompareViews(const std::function<sn2_graph*()>& make, sn2_plan_stats* with_views,
                    uint32_t extra_flags = SN2_FLAG_REFERENCE, sn2_isa isa = sn2_isa_auto) {
  return Compare(make, extra_flags, extra_flags | SN2_FLAG_NO_CHANNEL_VIEWS, with_views, isa);
}

sn2_graph* Build(uint32_t c, uint32_t hw, const std::function<uint32_t(sn2_builder*, uint32_t)>& body) {
  sn2_builder b;
  uint32_t x;
  EXPECT_EQ(sn2_builder_init(&b, 11, {1, hw, hw, c}, &x), sn2_status_success);
  x = body(&b, x);
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, x, &g), sn2_status_success) << sn2_last_error();
  return g;
}

TEST(ChannelViews, ShuffleIntoPointwiseConv) {
  sn2_plan_stats stats{};
  double err = CompareViews([] {
    return Build(8, 3, [](sn2_builder* b, uint32_t x) {
      x = sn2_build_conv(b, "pw0", x, 8, 1, 1, 0, 1, true);
      x = sn2_build_channel_shuffle(b, "shuffle", x, 2);
      return sn2_build_conv(b, "pw1", x, 6, 1, 1, 0, 1, true);
    });
  }, &stats);
  EXPECT_LE(err, 1e-6);
  EXPECT_EQ(stats.copy_bytes, 0u);
}

TEST(ChannelViews, StrideTwoUnit) {
  sn2_plan_stats stats{};
  double err = CompareViews([] {
    return Build(8, 6, [](sn2_builder* b, uint32_t x) {
      x = sn2_build_conv(b, "stem", x, 8, 1, 1, 0, 1, true);
      x = sn2_build_shufflenet_v2_unit(b, "unit", x, 12, 2);
      return sn2_build_conv(b, "head", x, 4, 1, 1, 0, 1, true);
    });
  }, &stats);
  EXPECT_LE(err, 1e-6);
  EXPECT_EQ(stats.copy_bytes, 0u);
}

TEST(ChannelViews, StrideOneUnit) {
  sn2_plan_stats stats{};
  double err = CompareViews([] {
    return Build(8, 4, [](sn2_builder* b, uint32_t x) {
      x = sn2_build_conv(b, "stem", x, 8, 1, 1, 0, 1, true);
      x = sn2_build_shufflenet_v2_unit(b, "unit", x, 8, 1);
      return sn2_build_conv(b, "head", x, 4, 1, 1, 0, 1, true);
    });
  }, &stats);
  EXPECT_LE(err, 1e-6);
  EXPECT_EQ(stats.copy_bytes, 0u);
}

TEST(ChannelViews, StageOfUnits) {
  sn2_plan_stats stats{};
  double err = CompareViews([] {
    return Build(6, 8, [](sn2_builder* b, uint32_t x) {
      x = sn2_build_conv(b, "stem", x, 6, 1, 1, 0, 1, true);
      x = sn2_build_shufflenet_v2_unit(b, "u0", x, 10, 2);
      for (int i = 1; i < 5; i++) {
        char name[8];
        snprintf(name, sizeof name, "u%d", i);
        x = sn2_build_shufflenet_v2_unit(b, name, x, 10, 1);
      }
      return sn2_build_conv(b, "head", x, 4, 1, 1, 0, 1, true);
    });
  }, &stats);
  EXPECT_LE(err, 1e-6);
  EXPECT_EQ(stats.copy_bytes, 0u);
}

// ShuffleNet V1 units (grouped 1x1 convs around the shuffle and the depthwise conv): the
// depthwise conv absorbs the shuffle, the grouped conv after it gathers, on the reference and
// where sn2's kernels run grouped convs (the scalar and AVX-512 paths; also against the
// reference without views, since the copy plan runs the same grouped kernels). Group widths 8
// and 16 (gconv2), channels not a multiple of a vector.
TEST(ChannelViews, ShuffleNetV1UnitsMoveNoBytes) {
  const auto units = [] {
    return Build(24, 8, [](sn2_builder* b, uint32_t x) {
      x = sn2_build_shufflenet_v1_unit(b, "u0", x, 48, 3, 2, false);
      return sn2_build_shufflenet_v1_unit(b, "u1", x, 48, 3, 1, false);
    });
  };
  sn2_plan_stats stats{};
  EXPECT_LE(CompareViews(units, &stats), 1e-5);
  EXPECT_EQ(stats.copy_bytes, 0u);
  for (sn2_isa isa : {sn2_isa_scalar, sn2_isa_avx512f}) {
    if (isa == sn2_isa_avx512f && !sn2_get_hardware_config()->avx512f) continue;
    EXPECT_LE(CompareViews(units, &stats, 0, isa), 1e-5) << sn2_isa_name(isa);
    EXPECT_EQ(stats.copy_bytes, 0u) << sn2_isa_name(isa);
    EXPECT_LE(Compare(units, 0, SN2_FLAG_REFERENCE | SN2_FLAG_NO_CHANNEL_VIEWS, &stats, isa), 1e-5)
        << sn2_isa_name(isa);
  }
}

// A grouped 1x1 conv with groups narrower than the pointwise kernels' blocks does not gather:
// the shuffle before the depthwise conv stays a copy, and the results still agree.
TEST(ChannelViews, NarrowGroupsKeepTheShuffleACopy) {
  for (uint32_t flags : {uint32_t(SN2_FLAG_REFERENCE), 0u}) {
    sn2_plan_stats stats{};
    double err = CompareViews([] {
      // 16 -> 24 channels at stride 2, 2 groups: gconv2 makes 8 channels, 4 per group.
      return Build(16, 6, [](sn2_builder* b, uint32_t x) {
        return sn2_build_shufflenet_v1_unit(b, "u", x, 24, 2, 2, false);
      });
    }, &stats, flags);
    EXPECT_LE(err, 1e-5) << flags;
    EXPECT_EQ(stats.copy_bytes, 6u * 6 * 6 * sizeof(float)) << flags;  // the shuffle of 6 channels
  }
}

TEST(ChannelViews, AShuffleThatIsTheGraphOutputIsMaterialized) {
  sn2_plan_stats stats{};
  double err = CompareViews([] {
    return Build(8, 3, [](sn2_builder* b, uint32_t x) {
      x = sn2_build_conv(b, "pw0", x, 8, 1, 1, 0, 1, true);
      return sn2_build_channel_shuffle(b, "shuffle", x, 2);
    });
  }, &stats);
  EXPECT_EQ(err, 0.0);
  EXPECT_EQ(stats.copy_bytes, 8u * 9 * 4);
}

// A channels-last model (as tf2onnx exports Keras): input [N, H, W, C], transposed to NCHW.
sn2_graph* ChannelsLastInput() {
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_graph_create(&g), sn2_status_success);
  const uint32_t dims[4] = {1, 3, 4, 2};
  uint32_t x, t, y;
  EXPECT_EQ(sn2_graph_add_input(g, "x", 4, dims, &x), sn2_status_success);
  sn2_node_params to_nchw{};
  to_nchw.transpose = {{0, 3, 1, 2}};
  EXPECT_EQ(sn2_graph_add_node(g, sn2_op_transpose, "to_nchw", &x, 1, &to_nchw, 1, nullptr, &t),
            sn2_status_success);
  sn2_node_params conv{};
  conv.conv2d = {1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 2, 3, -INFINITY, INFINITY,
                 static_cast<float*>(malloc(6 * sizeof(float))), nullptr, false, false, false, {}, false};
  for (int i = 0; i < 6; i++) conv.conv2d.weights[i] = float(i) - 2.5f;
  EXPECT_EQ(sn2_graph_add_node(g, sn2_op_conv2d, "conv", &t, 1, &conv, 1, nullptr, &y),
            sn2_status_success);
  g->output = y;
  return g;
}

TEST(ChannelViews, ChannelsLastInputIsLoadedStraightIntoItsTranspose) {
  sn2_plan_stats stats{};
  for (uint32_t flags : {uint32_t(SN2_FLAG_REFERENCE), 0u}) {
    EXPECT_EQ(CompareViews(ChannelsLastInput, &stats, flags), 0.0);
    EXPECT_EQ(stats.copy_bytes, 0u);
  }
  sn2_model_t model = nullptr;
  ASSERT_EQ(sn2_model_create_from_graph(ChannelsLastInput(), nullptr, &model), sn2_status_success);
  ModelPtr owner(model);
  sn2_session_t session = nullptr;
  ASSERT_EQ(sn2_session_create(model, 1, &session), sn2_status_success);
  SessionPtr session_owner(session);
  std::vector<float> in(24, 1.0f), out(36);
  EXPECT_EQ(sn2_session_run(session, in.data(), 24, out.data(), 36, SN2_RUN_INPUT_NHWC),
            sn2_status_invalid_parameter);
  EXPECT_NE(std::string(sn2_last_error()).find("already channels-last"), std::string::npos);
}

// A channels-last image into a 3x3 stride-2 stem (on the AVX-512 path the taps driver, which
// then reads the caller's buffer in place); `two_readers`: a second conv reads the image too,
// so the session copies it into its own storage.
sn2_graph* ChannelsLastStem(bool two_readers) {
  sn2_graph* g = nullptr;
  EXPECT_EQ(sn2_graph_create(&g), sn2_status_success);
  const uint32_t dims[4] = {1, 9, 10, 3};
  uint32_t x, t, y, z;
  EXPECT_EQ(sn2_graph_add_input(g, "x", 4, dims, &x), sn2_status_success);
  sn2_node_params to_nchw{};
  to_nchw.transpose = {{0, 3, 1, 2}};
  EXPECT_EQ(sn2_graph_add_node(g, sn2_op_transpose, "to_nchw", &x, 1, &to_nchw, 1, nullptr, &t), sn2_status_success);
  auto conv = [&](const char* name, float scale, uint32_t* out) {
    sn2_node_params p{};
    p.conv2d = {3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 3, 8, -INFINITY, INFINITY,
                static_cast<float*>(malloc(8 * 27 * sizeof(float))), nullptr, false, false, false, {}, false};
    for (int i = 0; i < 8 * 27; i++) p.conv2d.weights[i] = scale * float(i % 11 - 5);
    EXPECT_EQ(sn2_graph_add_node(g, sn2_op_conv2d, name, &t, 1, &p, 1, nullptr, out), sn2_status_success);
  };
  conv("stem", 0.1f, &y);
  g->output = y;
  if (two_readers) {
    conv("stem2", -0.05f, &z);
    sn2_node_params add{};
    add.binary = {sn2_binary_add, false, -INFINITY, INFINITY};
    const uint32_t both[2] = {y, z};
    EXPECT_EQ(sn2_graph_add_node(g, sn2_op_binary, "add", both, 2, &add, 1, nullptr, &g->output), sn2_status_success);
  }
  return g;
}

// Run after run on one session, each with its own buffer, the plan matches the reference, and
// the caller's buffer is left as it was.
TEST(ChannelViews, ChannelsLastStemReadsEachRunsBuffer) {
  for (bool two_readers : {false, true}) {
    sn2_options reference{};
    reference.flags = SN2_FLAG_REFERENCE;
    sn2_model_t ref = nullptr, model = nullptr;
    ASSERT_EQ(sn2_model_create_from_graph(ChannelsLastStem(two_readers), &reference, &ref), sn2_status_success);
    ASSERT_EQ(sn2_model_create_from_graph(ChannelsLastStem(two_readers), nullptr, &model), sn2_status_success)
        << sn2_last_error();
    ModelPtr ref_owner(ref), owner(model);
    sn2_session_t session = nullptr;
    ASSERT_EQ(sn2_session_create(model, 1, &session), sn2_status_success);
    SessionPtr session_owner(session);
    const size_t in_count = 9 * 10 * 3, out_count = Elements(OutputShape(model));
    for (uint32_t salt : {1u, 2u, 3u}) {
      const auto input = PatternInput(in_count, salt);
      auto buffer = input;
      std::vector<float> out(out_count, NAN);
      ASSERT_EQ(sn2_session_run(session, buffer.data(), in_count, out.data(), out_count, 0), sn2_status_success);
      EXPECT_LE(RelativeMaxError(out, RunModel(ref, input)), 1e-5) << "salt " << salt << " two readers " << two_readers;
      EXPECT_EQ(buffer, input);
    }
  }
}

TEST(ChannelViews, ElementwiseOpsRunInPlaceWhenNothingElseReadsTheirInput) {
  auto make = [] {
    return Build(4, 3, [](sn2_builder* b, uint32_t x) {
      const uint32_t y = sn2_build_conv(b, "conv", x, 4, 1, 1, 0, 1, true);
      const uint32_t z = sn2_build_add(b, "add", y, x);       // y has one reader: in place
      const uint32_t r = sn2_build_relu(b, "relu", z);        // likewise
      return sn2_build_add(b, "add2", r, x);                  // r has one reader too
    });
  };
  sn2_plan_stats stats{};
  EXPECT_EQ(CompareViews(make, &stats, SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES), 0.0);
  sn2_options options{};
  options.flags = SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES;
  sn2_model_t model = nullptr;
  ASSERT_EQ(sn2_model_create_from_graph(make(), &options, &model), sn2_status_success);
  ModelPtr owner(model);
  const sn2_graph* g = model->graph;
  const uint32_t conv_out = g->nodes[0].outputs[0];
  for (uint32_t n = 1; n < g->node_count; n++) {
    EXPECT_EQ(model->views.root[g->nodes[n].outputs[0]], model->views.root[conv_out]) << g->nodes[n].name;
  }
  // The graph input is read by three nodes: it keeps its own buffer.
  EXPECT_EQ(model->views.root[g->input], g->input);
}

class WholeNetwork : public ::testing::TestWithParam<const char*> {};

TEST_P(WholeNetwork, ViewsMatchCopies) {
  for (uint32_t flags : {uint32_t(SN2_FLAG_REFERENCE), 0u}) {
    sn2_plan_stats stats{};
    double err = CompareViews([] {
      sn2_graph* g = nullptr;
      EXPECT_EQ(sn2_build_builtin(GetParam(), 4, &g), sn2_status_success);
      return g;
    }, &stats, flags);
    EXPECT_LE(err, 1e-4) << GetParam() << " flags " << flags;
  }
}

INSTANTIATE_TEST_SUITE_P(Builtins, WholeNetwork,
                         ::testing::Values("shufflenet_v2_x0_5", "shufflenet_v1_g3"));

}  // namespace
