// Pools fused into the conv before them: the conv's output map then never reaches memory (the
// fused ops' drivers pool each tile or row while it is in registers or L1).
#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

// The conv whose output only `pool` reads, if nothing is fused into it yet (the fused ops'
// kernels take a plain conv: no pool, no residual); else NULL.
static struct sn2_node* conv_before(struct sn2_graph* graph, const uint32_t* consumers, const struct sn2_node* pool) {
  struct sn2_node* conv = sn2_single_use_producer(graph, consumers, pool->inputs[0], sn2_op_conv2d);
  if (!conv) return NULL;
  const struct sn2_conv2d_params* c = &conv->params.conv2d;
  return c->averaging || c->global_average || c->max_pooled || c->residual ? NULL : conv;
}

// The conv takes over the pool's output value; the pool and the map between them go.
static void absorb(struct sn2_graph* graph, struct sn2_node* conv, const struct sn2_node* pool) {
  const uint32_t x = pool->inputs[0], y = pool->outputs[0];
  conv->outputs[0] = y;
  graph->values[y].producer = graph->values[x].producer;
  graph->values[x].producer = SN2_INVALID_ID;  // read by the pool alone: removed with it
}

// conv5 of ShuffleNet V2 x1.0: a 200 KB map the pool would read back.
enum sn2_status sn2_pass_fuse_global_average(struct sn2_graph* graph) {
  struct sn2_rewrite rw;
  enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    const struct sn2_node* pool = &graph->nodes[n];
    if (pool->type != sn2_op_global_avg_pool) continue;
    struct sn2_node* conv = conv_before(graph, rw.consumers, pool);
    if (!conv || !sn2_conv_is_pointwise(&conv->params.conv2d)) continue;
    conv->params.conv2d.global_average = true;
    absorb(graph, conv, pool);
    rw.remove[n] = true;
    sn2_log_rewrite("fuse global average", "node %s (GlobalAveragePool) fused into node %s (Conv 1x1)",
                    pool->name, conv->name);
  }
  return sn2_rewrite_finish(graph, &rw, status);
}

// The stem of ShuffleNet V2: a 1.2 MB map at 224x224.
enum sn2_status sn2_pass_fuse_max_pool(struct sn2_graph* graph, sn2_fuse_max_pool_filter accept) {
  struct sn2_rewrite rw;
  enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    const struct sn2_node* pool = &graph->nodes[n];
    if (pool->type != sn2_op_max_pool) continue;
    struct sn2_node* conv = conv_before(graph, rw.consumers, pool);
    if (!conv || (accept && !accept(graph, rw.consumers, conv, pool))) continue;
    conv->params.conv2d.max_pooled = true;
    conv->params.conv2d.max_pool = pool->params.pool;
    absorb(graph, conv, pool);
    rw.remove[n] = true;
    sn2_log_rewrite("fuse max pool", "node %s (MaxPool) fused into node %s (Conv)", pool->name, conv->name);
  }
  return sn2_rewrite_finish(graph, &rw, status);
}
