#include <math.h>
#include <stdlib.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

struct range {
  float lo, hi;
};

static struct range hull(struct range a, struct range b) {
  return (struct range){fminf(a.lo, b.lo), fmaxf(a.hi, b.hi)};
}

// Bounds known for a node's output from its inputs' bounds: ops that only move, select or
// average values keep them inside the hull of their inputs.
static struct range output_range(const struct sn2_graph* graph, const struct sn2_node* node,
                                 const struct range* ranges) {
  const struct range all = {-INFINITY, INFINITY};
  switch (node->type) {
    case sn2_op_conv2d:
      return (struct range){node->params.conv2d.output_min, node->params.conv2d.output_max};
    case sn2_op_fully_connected:
      return (struct range){node->params.fully_connected.output_min,
                            node->params.fully_connected.output_max};
    case sn2_op_binary:
      return node->params.binary.clamped
                 ? (struct range){node->params.binary.output_min, node->params.binary.output_max}
                 : all;
    case sn2_op_clamp: {
      const struct range in = ranges[node->inputs[0]];
      return (struct range){fmaxf(in.lo, node->params.clamp.min), fminf(in.hi, node->params.clamp.max)};
    }
    case sn2_op_avg_pool: {
      // Zero padding may enter the average.
      const struct range in = ranges[node->inputs[0]];
      return node->params.pool.count_include_pad ? hull(in, (struct range){0.0f, 0.0f}) : in;
    }
    case sn2_op_max_pool:
    case sn2_op_global_avg_pool:
    case sn2_op_channel_shuffle:
    case sn2_op_concat:
    case sn2_op_split:
    case sn2_op_slice:
    case sn2_op_transpose:
    case sn2_op_reshape:
    case sn2_op_gather: {
      struct range r = ranges[node->inputs[0]];
      for (uint32_t i = 1; i < node->input_count; i++) r = hull(r, ranges[node->inputs[i]]);
      return r;
    }
    default:
      (void)graph;
      return all;
  }
}

// Where a node's output range is set (a fused activation): its bounds, or NULLs.
static void clamp_bounds(struct sn2_node* p, float** lo, float** hi) {
  *lo = *hi = NULL;
  if (p->type == sn2_op_conv2d) *lo = &p->params.conv2d.output_min, *hi = &p->params.conv2d.output_max;
  if (p->type == sn2_op_fully_connected) *lo = &p->params.fully_connected.output_min, *hi = &p->params.fully_connected.output_max;
  if (p->type == sn2_op_clamp) *lo = &p->params.clamp.min, *hi = &p->params.clamp.max;
  if (p->type == sn2_op_binary) *lo = &p->params.binary.output_min, *hi = &p->params.binary.output_max;
}

// Narrows the bounds clamp_bounds gave to `c` (an unclamped Add/Sub/Mul/Div's bounds start
// unbounded: they were not set).
static void narrow(struct sn2_node* p, float* lo, float* hi, struct sn2_clamp_params c) {
  if (p->type == sn2_op_binary && !p->params.binary.clamped) {
    *lo = -INFINITY, *hi = INFINITY;
    p->params.binary.clamped = true;
  }
  *lo = fmaxf(*lo, c.min);
  *hi = fminf(*hi, c.max);
  if (*lo > *hi) *lo = *hi;
}

// A clamp after a concat that only it reads goes into the concat's inputs instead: each input
// already within its range, or made by an op that takes the clamp and read by the concat alone
// (ShuffleNet V1's stride-2 units: the ReLU after concatenating the shortcut, already
// non-negative, and the grouped conv's output). False, changing nothing, where some input is
// neither.
static bool clamp_through_concat(struct sn2_graph* graph, const uint32_t* consumers, struct range* ranges,
                                 const struct sn2_node* concat, struct sn2_clamp_params c) {
  for (uint32_t pass = 0; pass < 2; pass++) {  // check every input, then rewrite
    for (uint32_t i = 0; i < concat->input_count; i++) {
      const uint32_t x = concat->inputs[i];
      if (ranges[x].lo >= c.min && ranges[x].hi <= c.max) continue;
      const uint32_t producer = graph->values[x].producer;
      float* lo = NULL;
      float* hi = NULL;
      if (producer != SN2_INVALID_ID && sn2_has_single_consumer(consumers, graph, x)) {
        clamp_bounds(&graph->nodes[producer], &lo, &hi);
      }
      if (!lo) return false;
      if (pass == 1) {
        narrow(&graph->nodes[producer], lo, hi, c);
        ranges[x] = (struct range){*lo, *hi};
      }
    }
  }
  return true;
}

enum sn2_status sn2_pass_fuse_clamp(struct sn2_graph* graph) {
  struct sn2_rewrite rw;
  enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  uint32_t* consumers = rw.consumers;
  bool* remove = rw.remove;
  struct range* ranges = malloc((graph->value_count + 1) * sizeof *ranges);
  if (!ranges) {
    return sn2_rewrite_finish(graph, &rw, sn2_error(sn2_status_out_of_memory, "fuse clamp: out of memory"));
  }
  for (uint32_t v = 0; v < graph->value_count; v++) ranges[v] = (struct range){-INFINITY, INFINITY};
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* node = &graph->nodes[n];
    if (node->type == sn2_op_clamp) {
      const uint32_t x = node->inputs[0];
      const struct sn2_clamp_params c = node->params.clamp;
      const uint32_t producer = graph->values[x].producer;
      struct sn2_node* p = producer != SN2_INVALID_ID ? &graph->nodes[producer] : NULL;
      float* lo = NULL;
      float* hi = NULL;
      if (p) clamp_bounds(p, &lo, &hi);
      const bool redundant = ranges[x].lo >= c.min && ranges[x].hi <= c.max;
      const bool fusable = lo && sn2_has_single_consumer(consumers, graph, x);
      const bool through_concat = !redundant && !fusable && p && p->type == sn2_op_concat &&
                                  sn2_has_single_consumer(consumers, graph, x) &&
                                  clamp_through_concat(graph, consumers, ranges, p, c);
      if (redundant || fusable || through_concat) {
        if (redundant) {
          sn2_log_rewrite("fuse clamp", "node %s (Clamp [%g, %g]) removed: its input lies in [%g, %g]",
                          node->name, c.min, c.max, ranges[x].lo, ranges[x].hi);
        } else if (through_concat) {
          ranges[x] = output_range(graph, p, ranges);
          sn2_log_rewrite("fuse clamp", "node %s (Clamp) fused into the inputs of node %s (Concat)", node->name,
                          p->name);
        } else {
          narrow(p, lo, hi, c);
          ranges[x] = (struct range){*lo, *hi};
          sn2_log_rewrite("fuse clamp", "node %s (Clamp) fused into node %s (%s)", node->name,
                          p->name, sn2_op_type_name(p->type));
        }
        sn2_replace_uses(graph, node->outputs[0], x);
        consumers[x] += consumers[node->outputs[0]] - 1;
        remove[n] = true;
        continue;
      }
    }
    const struct range r = output_range(graph, node, ranges);
    for (uint32_t o = 0; o < node->output_count; o++) ranges[node->outputs[o]] = r;
  }
  free(ranges);
  return sn2_rewrite_finish(graph, &rw, status);
}
