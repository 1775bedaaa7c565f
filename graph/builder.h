// A builder for composing ShuffleNet units, blocks and whole networks on the graph IR, with
// seeded random weights (He-uniform convs, BatchNorm statistics in realistic ranges).
//
// Errors are sticky: after the first failure every call returns SN2_INVALID_ID and does
// nothing, and sn2_builder_finish reports the first error. So a network is written as a plain
// sequence of calls and checked once at the end.
#ifndef SN2_GRAPH_BUILDER_H
#define SN2_GRAPH_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "graph/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_builder {
  struct sn2_graph* graph;
  uint64_t rng_state;
  enum sn2_status status;
};

// Starts a graph whose input is the feature map [n, c, h, w] (given as a struct sn2_shape).
enum sn2_status sn2_builder_init(struct sn2_builder* b, uint64_t seed, struct sn2_shape input,
                                 uint32_t* input_value_out);
// Marks `output` as the graph output and hands over the graph (or frees it on error).
enum sn2_status sn2_builder_finish(struct sn2_builder* b, uint32_t output,
                                   struct sn2_graph** graph_out);

// Plain ops. `name` identifies the node in inspect output and errors.
uint32_t sn2_build_conv(struct sn2_builder* b, const char* name, uint32_t x,
                        uint32_t output_channels, uint32_t kernel, uint32_t stride,
                        uint32_t pad, uint32_t groups, bool with_bias);
uint32_t sn2_build_batchnorm(struct sn2_builder* b, const char* name, uint32_t x);
uint32_t sn2_build_relu(struct sn2_builder* b, const char* name, uint32_t x);
uint32_t sn2_build_max_pool(struct sn2_builder* b, const char* name, uint32_t x,
                            uint32_t kernel, uint32_t stride, uint32_t pad);
uint32_t sn2_build_avg_pool(struct sn2_builder* b, const char* name, uint32_t x,
                            uint32_t kernel, uint32_t stride, uint32_t pad);
uint32_t sn2_build_global_avg_pool(struct sn2_builder* b, const char* name, uint32_t x);
uint32_t sn2_build_fully_connected(struct sn2_builder* b, const char* name, uint32_t x,
                                   uint32_t output_channels);
uint32_t sn2_build_add(struct sn2_builder* b, const char* name, uint32_t x, uint32_t y);
uint32_t sn2_build_concat2(struct sn2_builder* b, const char* name, uint32_t x, uint32_t y);
// Splits x's channels into [0, first) and [first, c).
void sn2_build_split2(struct sn2_builder* b, const char* name, uint32_t x, uint32_t first,
                      uint32_t* x1_out, uint32_t* x2_out);
uint32_t sn2_build_channel_shuffle(struct sn2_builder* b, const char* name, uint32_t x,
                                   uint32_t groups);
uint32_t sn2_build_softmax(struct sn2_builder* b, const char* name, uint32_t x);  // axis 1

// conv (no bias) -> BatchNorm -> optional ReLU, the seed's ConvBNReLU / conv+BN pairs.
uint32_t sn2_build_conv_bn(struct sn2_builder* b, const char* name, uint32_t x,
                           uint32_t output_channels, uint32_t kernel, uint32_t stride,
                           uint32_t pad, uint32_t groups, bool relu);

// ShuffleNet V2 unit (the seed's InvertedResidual): stride 1 splits the channels in half and
// runs branch2 on the second half; stride 2 runs branch1 and branch2 on the whole input. Then
// concat and channel shuffle with 2 groups.
uint32_t sn2_build_shufflenet_v2_unit(struct sn2_builder* b, const char* prefix, uint32_t x,
                                      uint32_t output_channels, uint32_t stride);
// ShuffleNet V1 unit: 1x1 group conv -> BN -> ReLU -> shuffle(groups) -> 3x3 depthwise (stride)
// -> BN -> 1x1 group conv -> BN; stride 1 adds the input, stride 2 concatenates a 3x3/2
// average-pooled shortcut; then ReLU. `ungrouped_first_conv` for the first unit of stage 2.
uint32_t sn2_build_shufflenet_v1_unit(struct sn2_builder* b, const char* prefix, uint32_t x,
                                      uint32_t output_channels, uint32_t groups,
                                      uint32_t stride, bool ungrouped_first_conv);

// Whole networks on a [1, 224, 224, 3] input, ending in 1000 logits.
// channels = the seed's stages_out_channels (5 entries), repeats = stages_repeats (3).
uint32_t sn2_build_shufflenet_v2(struct sn2_builder* b, uint32_t x, const uint32_t channels[5],
                                 const uint32_t repeats[3], uint32_t classes);
// groups in {1, 2, 3, 4, 8}: 1x stage channels from the ShuffleNet V1 paper.
uint32_t sn2_build_shufflenet_v1(struct sn2_builder* b, uint32_t x, uint32_t groups,
                                 uint32_t classes);

// Builds a built-in architecture by name (see sn2_builtin_names()).
enum sn2_status sn2_build_builtin(const char* name, uint64_t seed, struct sn2_graph** graph_out);

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_BUILDER_H
