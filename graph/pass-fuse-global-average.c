#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

// The conv's output then never reaches memory: the fused op sums each tile's outputs while they
// are in registers or L1 (kernels/f32-pwconv/pwconv-backend.c), where the pool would read the
// whole H x W x C map back (conv5 of ShuffleNet V2 x1.0: 200 KB).
enum sn2_status sn2_pass_fuse_global_average(struct sn2_graph* graph) {
  struct sn2_rewrite rw;
  enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    const struct sn2_node* pool = &graph->nodes[n];
    if (pool->type != sn2_op_global_avg_pool) continue;
    const uint32_t x = pool->inputs[0], y = pool->outputs[0];
    struct sn2_node* conv = sn2_single_use_producer(graph, rw.consumers, x, sn2_op_conv2d);
    if (!conv) continue;
    struct sn2_conv2d_params* c = &conv->params.conv2d;
    if (!sn2_conv_is_pointwise(c) || c->averaging || c->global_average) continue;
    c->global_average = true;
    conv->outputs[0] = y;
    graph->values[y].producer = graph->values[x].producer;
    graph->values[x].producer = SN2_INVALID_ID;  // read by the pool alone: goes with it
    rw.remove[n] = true;
    sn2_log_rewrite("fuse global average", "node %s (GlobalAveragePool) fused into node %s (Conv 1x1)",
                    pool->name, conv->name);
  }
  return sn2_rewrite_finish(graph, &rw, status);
}
