#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

// With count_include_pad every window counts kh * kw cells (windows never reach past the
// padding), and without padding every window is whole: either way the average is a depthwise
// conv with equal weights.
enum sn2_status sn2_pass_avg_pool_as_depthwise(struct sn2_graph* graph) {
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* node = &graph->nodes[n];
    if (node->type != sn2_op_avg_pool) continue;
    const struct sn2_pool_params pool = node->params.pool;
    const bool padded = pool.pad_top || pool.pad_left || pool.pad_bottom || pool.pad_right;
    if (padded && !pool.count_include_pad) continue;
    const uint32_t channels = graph->values[node->inputs[0]].dims[1];
    const size_t taps = (size_t)pool.kernel_h * pool.kernel_w;
    float* weights = malloc(channels * taps * sizeof *weights);
    if (!weights) return sn2_error(sn2_status_out_of_memory, "average pool: out of memory");
    for (size_t i = 0; i < channels * taps; i++) weights[i] = 1.0f / (float)taps;
    memset(&node->params, 0, sizeof node->params);
    node->type = sn2_op_conv2d;
    node->params.conv2d = (struct sn2_conv2d_params){
        .kernel_h = pool.kernel_h, .kernel_w = pool.kernel_w,
        .stride_h = pool.stride_h, .stride_w = pool.stride_w,
        .dilation_h = 1, .dilation_w = 1,
        .pad_top = pool.pad_top, .pad_left = pool.pad_left,
        .pad_bottom = pool.pad_bottom, .pad_right = pool.pad_right,
        .groups = channels, .input_channels = channels, .output_channels = channels,
        .output_min = -__builtin_inff(), .output_max = __builtin_inff(),
        .weights = weights, .bias = NULL, .averaging = true};
    sn2_log_rewrite("average pool", "node %s became a depthwise conv with weights 1/%zu", node->name, taps);
  }
  return sn2_status_success;
}
