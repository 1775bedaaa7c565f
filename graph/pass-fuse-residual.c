// A residual Add fused into the 1x1 conv that makes one of its operands: y = clamp(conv(x) + r)
// as one op. The plan writes y where r lives (engine/src/model.c), so the sum is made in the
// conv's epilogue while its outputs are in registers, instead of a pass that reads both maps
// and writes a third (ShuffleNet V1's stride-1 units: 8 % of V1 g=3's time as separate adds).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

// True if every reader of `value` but node `except` comes before node `before`: writing over
// `value` at `before` then harms no one.
static bool read_only_before(const struct sn2_graph* graph, uint32_t value, uint32_t before, uint32_t except) {
  for (uint32_t n = before; n < graph->node_count; n++) {
    if (n == except) continue;
    const struct sn2_node* node = &graph->nodes[n];
    for (uint32_t i = 0; i < node->input_count; i++) {
      if (node->inputs[i] == value) return false;
    }
  }
  return true;
}

// The conv making `operand` (its only reader the add `add`), if it can take `residual` as its
// fused second input; else NULL.
static struct sn2_node* fusable_conv(struct sn2_graph* graph, const uint32_t* consumers, uint32_t add,
                                     uint32_t operand, uint32_t residual) {
  struct sn2_node* conv = sn2_single_use_producer(graph, consumers, operand, sn2_op_conv2d);
  if (!conv) return NULL;
  const struct sn2_conv2d_params* c = &conv->params.conv2d;
  // The clamp of a conv applies before the add: a clamped conv's sum is not the fused op's.
  if (!sn2_conv_is_gather_pointwise(c) || c->averaging || c->global_average || c->max_pooled || c->residual ||
      c->output_min != -INFINITY || c->output_max != INFINITY) {
    return NULL;
  }
  const struct sn2_value* r = &graph->values[residual];
  const struct sn2_value* y = &graph->values[operand];
  const uint32_t at = (uint32_t)(conv - graph->nodes);
  // The fused op runs where the conv ran: the residual must exist by then (the graph input, or
  // made before the conv), and nothing but the add may read it from there on (the fused op
  // writes over it; the graph input read twice is the session's copy, never the caller's
  // buffer).
  const bool made_before = r->producer == SN2_INVALID_ID ? residual == graph->input : r->producer < at;
  if (residual == operand || residual == graph->output || sn2_value_is_constant(r) || r->rank != 4 ||
      memcmp(r->dims, y->dims, 4 * sizeof *r->dims) != 0 || !made_before ||
      !read_only_before(graph, residual, at, add)) {
    return NULL;
  }
  return conv;
}

enum sn2_status sn2_pass_fuse_residual_add(struct sn2_graph* graph) {
  struct sn2_rewrite rw;
  enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  for (uint32_t n = 0; n < graph->node_count && status == sn2_status_success; n++) {
    const struct sn2_node* add = &graph->nodes[n];
    if (add->type != sn2_op_binary || add->params.binary.kind != sn2_binary_add || add->input_count != 2) continue;
    for (uint32_t side = 0; side < 2; side++) {
      const uint32_t operand = add->inputs[side], residual = add->inputs[1 - side];
      struct sn2_node* conv = fusable_conv(graph, rw.consumers, n, operand, residual);
      if (!conv) continue;
      uint32_t* inputs = realloc(conv->inputs, 2 * sizeof *inputs);
      if (!inputs) {
        status = sn2_error(sn2_status_out_of_memory, "fuse residual add: out of memory");
        break;
      }
      inputs[1] = residual;
      conv->inputs = inputs;
      conv->input_count = 2;
      struct sn2_conv2d_params* c = &conv->params.conv2d;
      c->residual = true;
      if (add->params.binary.clamped) c->output_min = add->params.binary.output_min, c->output_max = add->params.binary.output_max;
      const uint32_t y = add->outputs[0];
      conv->outputs[0] = y;
      graph->values[y].producer = (uint32_t)(conv - graph->nodes);
      graph->values[operand].producer = SN2_INVALID_ID;  // read by the add alone: removed with it
      rw.remove[n] = true;
      sn2_log_rewrite("fuse residual add", "node %s (Add) fused into node %s (Conv 1x1)", add->name, conv->name);
      break;
    }
  }
  return sn2_rewrite_finish(graph, &rw, status);
}
