// The graph IR's checks (each bad graph gets a status and a message naming the node and the
// rule) and the memory planner (exact offsets on synthetic lifetimes; no overlap on real nets).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "graph/builder.h"
#include "graph/ir.h"
#include "graph/memory-plan.h"

namespace {

struct GraphOwner {
  sn2_graph* g = nullptr;
  GraphOwner() { EXPECT_EQ(sn2_graph_create(&g), sn2_status_success); }
  ~GraphOwner() { sn2_graph_delete(g); }
};

float* Floats(size_t n, float value = 1.0f) {
  float* p = static_cast<float*>(std::malloc(n * sizeof(float)));
  for (size_t i = 0; i < n; i++) p[i] = value;
  return p;
}

sn2_node_params ConvParams(uint32_t in_c, uint32_t out_c, uint32_t k, uint32_t groups = 1) {
  sn2_node_params p{};
  p.conv2d = {k, k, 1, 1, 1, 1, 0, 0, 0, 0, groups, in_c, out_c, -INFINITY, INFINITY,
              Floats(size_t(out_c) * k * k * in_c / groups), nullptr, false, false, false, {}, false};
  return p;
}

sn2_status AddInput(sn2_graph* g, std::vector<uint32_t> dims, uint32_t* x) {
  return sn2_graph_add_input(g, "x", uint32_t(dims.size()), dims.data(), x);
}

void ExpectErrorMentions(const std::vector<std::string>& words) {
  const std::string message = sn2_last_error();
  for (const auto& w : words) EXPECT_NE(message.find(w), std::string::npos) << message;
}

TEST(GraphIR, ConvInfersShapeAndCountsWork) {
  GraphOwner g;
  uint32_t x, y;
  ASSERT_EQ(AddInput(g.g, {1, 4, 8, 6}, &x), sn2_status_success);
  sn2_node_params p = ConvParams(4, 6, 3, 2);
  p.conv2d.stride_h = 2;
  ASSERT_EQ(sn2_graph_add_node(g.g, sn2_op_conv2d, "c", &x, 1, &p, 1, nullptr, &y),
            sn2_status_success);
  const sn2_value& v = g.g->values[y];
  EXPECT_EQ(std::vector<uint32_t>(v.dims, v.dims + v.rank),
            (std::vector<uint32_t>{1, 6, 3, 4}));  // H: (8 - 3) / 2 + 1
  EXPECT_EQ(sn2_node_macs(g.g, &g.g->nodes[0]), 3u * 4 * 6 * 9 * 2);
  EXPECT_EQ(sn2_node_weight_elements(&g.g->nodes[0]), 6u * 9 * 2);
  EXPECT_EQ(sn2_node_memory_access_elements(g.g, &g.g->nodes[0]),
            8u * 6 * 4 + 3u * 4 * 6 + 6u * 9 * 2);
  EXPECT_EQ(sn2_graph_validate(g.g), sn2_status_success);
}

TEST(GraphIR, ConvChannelMismatchNamesNode) {
  GraphOwner g;
  uint32_t x, y;
  ASSERT_EQ(AddInput(g.g, {1, 3, 4, 4}, &x), sn2_status_success);
  sn2_node_params p = ConvParams(5, 6, 1);
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_conv2d, "stem", &x, 1, &p, 1, nullptr, &y),
            sn2_status_invalid_model);
  ExpectErrorMentions({"stem", "3 channels"});
  EXPECT_EQ(g.g->node_count, 0u);
}

TEST(GraphIR, WindowLargerThanPaddedInput) {
  GraphOwner g;
  uint32_t x, y;
  ASSERT_EQ(AddInput(g.g, {1, 1, 2, 2}, &x), sn2_status_success);
  sn2_node_params p = ConvParams(1, 1, 5);
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_conv2d, "big", &x, 1, &p, 1, nullptr, &y),
            sn2_status_invalid_model);
  ExpectErrorMentions({"big", "does not fit"});
}

TEST(GraphIR, RejectsZeroAndHugeShapes) {
  GraphOwner g;
  uint32_t x;
  EXPECT_EQ(AddInput(g.g, {1, 3, 0, 4}, &x), sn2_status_unsupported_parameter);
  ExpectErrorMentions({"dim 2 is 0"});
  EXPECT_EQ(AddInput(g.g, {65536, 3, 65536, 65536}, &x), sn2_status_unsupported_parameter);
  ExpectErrorMentions({"2^31"});
  EXPECT_EQ(AddInput(g.g, {1, 1, 1, 1, 1, 1, 1}, &x), sn2_status_unsupported_parameter);
  ExpectErrorMentions({"rank 7"});
}

TEST(GraphIR, ShapeRulesOfEachOp) {
  GraphOwner g;
  uint32_t x, small, out[2];
  ASSERT_EQ(AddInput(g.g, {1, 6, 4, 4}, &x), sn2_status_success);
  sn2_node_params pool{};
  pool.pool = {2, 2, 2, 2, 0, 0, 0, 0, true};
  ASSERT_EQ(sn2_graph_add_node(g.g, sn2_op_max_pool, "pool", &x, 1, &pool, 1, nullptr, &small),
            sn2_status_success);

  const uint32_t bad_sizes[2] = {2, 3};
  sn2_node_params channels{};
  channels.axis.axis = 1;
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_split, "split", &x, 1, &channels, 2, bad_sizes, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"split", "sum to 5", "has 6 along axis 1"});

  const uint32_t pair[2] = {x, small};
  sn2_node_params add{};
  add.binary.kind = sn2_binary_add;
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_binary, "add", pair, 2, &add, 1, nullptr, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"add", "do not broadcast"});
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_concat, "cat", pair, 2, &channels, 1, nullptr, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"cat", "input 1"});

  sn2_node_params perm{};
  perm.transpose = {{0, 1, 1, 3}};
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_transpose, "t", &x, 1, &perm, 1, nullptr, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"t (Transpose)", "permutation"});
  sn2_node_params reshape{};
  reshape.reshape = {2, {5, 19}};
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_reshape, "r", &x, 1, &reshape, 1, nullptr, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"96 elements cannot become 95"});

  sn2_node_params shuffle{};
  shuffle.channel_shuffle.groups = 4;
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_channel_shuffle, "shuffle", &x, 1, &shuffle, 1,
                               nullptr, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"shuffle", "4 groups", "6 channels"});

  sn2_node_params fc{};
  fc.fully_connected = {6, 10, -INFINITY, INFINITY, Floats(60), nullptr};
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_fully_connected, "fc", &x, 1, &fc, 1, nullptr, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"fc", "[N, C] or [N, C, 1, 1]"});

  sn2_node_params clamp{};
  clamp.clamp = {1.0f, 0.0f};
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_clamp, "clip", &x, 1, &clamp, 1, nullptr, out),
            sn2_status_invalid_model);

  const uint32_t missing = 99;
  EXPECT_EQ(sn2_graph_add_node(g.g, sn2_op_softmax, "sm", &missing, 1, nullptr, 1, nullptr, out),
            sn2_status_invalid_model);
  ExpectErrorMentions({"sm", "not a known value"});
  EXPECT_EQ(g.g->node_count, 1u);  // only the pool was added
  EXPECT_EQ(sn2_graph_validate(g.g), sn2_status_success);
}

TEST(GraphIR, ValidateFindsOutOfOrderNodes) {
  GraphOwner g;
  uint32_t x, a, b;
  ASSERT_EQ(AddInput(g.g, {1, 2, 2, 2}, &x), sn2_status_success);
  sn2_node_params relu{};
  relu.clamp = {0.0f, INFINITY};
  ASSERT_EQ(sn2_graph_add_node(g.g, sn2_op_clamp, "first", &x, 1, &relu, 1, nullptr, &a),
            sn2_status_success);
  ASSERT_EQ(sn2_graph_add_node(g.g, sn2_op_clamp, "second", &a, 1, &relu, 1, nullptr, &b),
            sn2_status_success);
  // Swap the two nodes (and their producer links): "second" now reads a value made later.
  std::swap(g.g->nodes[0], g.g->nodes[1]);
  g.g->values[a].producer = 1;
  g.g->values[b].producer = 0;
  EXPECT_EQ(sn2_graph_validate(g.g), sn2_status_invalid_model);
  ExpectErrorMentions({"second", "topological"});
}

TEST(MemoryPlan, ExactOffsetsOnSyntheticLifetimes) {
  // B is largest and goes first at 0; A and C overlap B in time so sit above it; C and A do
  // not overlap each other, so they share; D overlaps only C, so it reuses B's bytes.
  sn2_usage_record r[4] = {
      {0, 1, 64, 0},   // A
      {1, 2, 128, 0},  // B
      {2, 3, 64, 0},   // C
      {3, 4, 64, 0},   // D
  };
  size_t arena = 0;
  ASSERT_EQ(sn2_memory_plan(r, 4, 64, &arena), sn2_status_success);
  EXPECT_EQ(r[1].offset, 0u);
  EXPECT_EQ(r[0].offset, 128u);
  EXPECT_EQ(r[2].offset, 128u);
  EXPECT_EQ(r[3].offset, 0u);
  EXPECT_EQ(arena, 192u);
  EXPECT_EQ(sn2_memory_lower_bound(r, 4, 64), 192u);  // A + B at node 1
}

TEST(MemoryPlan, LowerBoundCountsAlignedLiveBytes) {
  sn2_usage_record r[3] = {{0, 5, 10, 0}, {2, 3, 100, 0}, {4, 6, 0, 0}};
  EXPECT_EQ(sn2_memory_lower_bound(r, 3, 64), 64u + 128u);
}

TEST(MemoryPlan, AlignsEveryOffset) {
  sn2_usage_record r[3] = {{0, 2, 4, 0}, {0, 2, 8, 0}, {0, 2, 100, 0}};
  size_t arena = 0;
  ASSERT_EQ(sn2_memory_plan(r, 3, 64, &arena), sn2_status_success);
  for (const auto& rec : r) EXPECT_EQ(rec.offset % 64, 0u);
  EXPECT_EQ(arena, 128u + 64 + 64);
  EXPECT_EQ(sn2_memory_plan(r, 3, 48, &arena), sn2_status_invalid_parameter);
}

TEST(MemoryPlan, LiveValuesNeverShareBytesInBuiltins) {
  for (const char* name : {"shufflenet_v2_x0_5", "shufflenet_v1_g3"}) {
    sn2_graph* graph = nullptr;
    ASSERT_EQ(sn2_build_builtin(name, 1, &graph), sn2_status_success);
    std::vector<sn2_usage_record> r(graph->value_count);
    sn2_graph_value_lifetimes(graph, r.data());
    size_t arena = 0;
    ASSERT_EQ(sn2_memory_plan(r.data(), graph->value_count, 64, &arena), sn2_status_success);
    size_t largest = 0;
    for (size_t i = 0; i < r.size(); i++) {
      largest = std::max(largest, r[i].size);
      EXPECT_LE(r[i].offset + r[i].size, arena);
      for (size_t j = i + 1; j < r.size(); j++) {
        const bool live_together =
            r[i].first_node <= r[j].last_node && r[j].first_node <= r[i].last_node;
        const bool share_bytes =
            r[i].offset < r[j].offset + r[j].size && r[j].offset < r[i].offset + r[i].size;
        EXPECT_FALSE(live_together && share_bytes) << name << ": " << graph->values[i].name
                                                   << " and " << graph->values[j].name;
      }
    }
    // The plan reuses memory: far less than the sum of all values, at least the largest.
    EXPECT_GE(arena, largest);
    sn2_graph_delete(graph);
  }
}

TEST(Builder, ErrorsAreStickyAndFreeEverything) {
  sn2_builder b;
  uint32_t x;
  ASSERT_EQ(sn2_builder_init(&b, 0, {1, 8, 8, 6}, &x), sn2_status_success);
  uint32_t y = sn2_build_conv_bn(&b, "bad", x, 8, 1, 1, 0, 4, true);  // 4 groups, 6 channels
  EXPECT_EQ(y, SN2_INVALID_ID);
  y = sn2_build_conv_bn(&b, "after", x, 8, 1, 1, 0, 1, true);  // ignored after the error
  EXPECT_EQ(y, SN2_INVALID_ID);
  sn2_graph* graph = nullptr;
  EXPECT_EQ(sn2_builder_finish(&b, y, &graph), sn2_status_invalid_parameter);
  EXPECT_EQ(graph, nullptr);
  ExpectErrorMentions({"bad", "4 groups"});
}

}  // namespace
