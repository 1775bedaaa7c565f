// Layout transposes (what converters such as tf2onnx leave around NHWC code): the NHWC form of
// the channel shuffle, transposes that cancel, and splits that sink below a transpose.
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

static const uint32_t to_nhwc[4] = {0, 2, 3, 1};
static const uint32_t to_nchw[4] = {0, 3, 1, 2};


static bool perm_is(const struct sn2_node* t, const uint32_t* perm, uint32_t rank) {
  for (uint32_t d = 0; d < rank; d++) {
    if (t->params.transpose.perm[d] != perm[d]) return false;
  }
  return true;
}

static void set_dims(struct sn2_value* v, uint32_t rank, const uint32_t* dims) {
  memset(v->dims, 0, sizeof v->dims);
  v->rank = rank;
  memcpy(v->dims, dims, rank * sizeof *dims);
}

enum sn2_status sn2_pass_recognize_nhwc_channel_shuffle(struct sn2_graph* graph) {
  uint32_t* consumers = NULL;
  enum sn2_status status = sn2_count_consumers(graph, &consumers);
  if (status != sn2_status_success) return status;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* last = &graph->nodes[n];  // Reshape -> [N, H, W, C]
    if (last->type != sn2_op_reshape) continue;
    struct sn2_node* swap = sn2_single_use_producer(graph, consumers, last->inputs[0], sn2_op_transpose);
    if (!swap) continue;
    struct sn2_node* first = sn2_single_use_producer(graph, consumers, swap->inputs[0], sn2_op_reshape);
    if (!first) continue;
    const struct sn2_value* x = &graph->values[first->inputs[0]];         // [N, H, W, C]
    const struct sn2_value* grouped = &graph->values[first->outputs[0]];  // [N, H, W, g, C/g]
    const struct sn2_value* y = &graph->values[last->outputs[0]];
    static const uint32_t swap_last[5] = {0, 1, 2, 4, 3};
    bool match = x->rank == 4 && y->rank == 4 && grouped->rank == 5 && perm_is(swap, swap_last, 5);
    for (uint32_t d = 0; match && d < 4; d++) match = x->dims[d] == y->dims[d];
    for (uint32_t d = 0; match && d < 3; d++) match = grouped->dims[d] == x->dims[d];
    match = match && (uint64_t)grouped->dims[3] * grouped->dims[4] == x->dims[3];
    if (!match) continue;
    // In place: first -> Transpose to NCHW, swap -> ChannelShuffle, last -> Transpose to NHWC.
    const uint32_t groups = grouped->dims[3];
    const uint32_t nchw[4] = {x->dims[0], x->dims[3], x->dims[1], x->dims[2]};
    first->type = sn2_op_transpose;
    memset(&first->params, 0, sizeof first->params);
    memcpy(first->params.transpose.perm, to_nchw, sizeof to_nchw);
    set_dims(&graph->values[first->outputs[0]], 4, nchw);
    swap->type = sn2_op_channel_shuffle;
    memset(&swap->params, 0, sizeof swap->params);
    swap->params.channel_shuffle.groups = groups;
    set_dims(&graph->values[swap->outputs[0]], 4, nchw);
    last->type = sn2_op_transpose;
    memset(&last->params, 0, sizeof last->params);
    memcpy(last->params.transpose.perm, to_nhwc, sizeof to_nhwc);
    sn2_log_rewrite("nhwc channel shuffle", "nodes %s, %s, %s became ChannelShuffle(%u) between transposes",
                    first->name, swap->name, last->name, groups);
  }
  free(consumers);
  return sn2_status_success;
}

enum sn2_status sn2_pass_cancel_transposes(struct sn2_graph* graph) {
  struct sn2_rewrite rw;
  const enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  uint32_t* consumers = rw.consumers;
  bool* remove = rw.remove;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* node = &graph->nodes[n];
    if (node->type == sn2_op_transpose) {
      // Transpose(p) of Transpose(q): one transpose by q∘p, or none.
      const uint32_t inner_id = graph->values[node->inputs[0]].producer;
      if (inner_id == SN2_INVALID_ID || remove[inner_id]) continue;
      struct sn2_node* inner = &graph->nodes[inner_id];
      if (inner->type != sn2_op_transpose) continue;
      const uint32_t rank = graph->values[node->inputs[0]].rank;
      uint32_t composed[SN2_MAX_RANK];
      bool identity = true;
      for (uint32_t d = 0; d < rank; d++) {
        composed[d] = inner->params.transpose.perm[node->params.transpose.perm[d]];
        identity = identity && composed[d] == d;
      }
      const uint32_t source = inner->inputs[0];
      if (identity) {
        sn2_replace_uses(graph, node->outputs[0], source);
        consumers[source] += consumers[node->outputs[0]];
        remove[n] = true;
        sn2_log_rewrite("cancel transposes", "nodes %s and %s cancel", inner->name, node->name);
      } else {
        node->inputs[0] = source;
        memcpy(node->params.transpose.perm, composed, rank * sizeof *composed);
        consumers[source]++;
        sn2_log_rewrite("cancel transposes", "nodes %s and %s merged", inner->name, node->name);
      }
      if (--consumers[inner->outputs[0]] == 0 && inner->outputs[0] != graph->output) remove[inner_id] = true;
      continue;
    }
    if (node->type != sn2_op_split) continue;
    // Split(axis a) of Transpose(q), every part transposed back by q^-1: split the source on
    // axis q[a] instead and drop all the transposes.
    struct sn2_node* t = sn2_single_use_producer(graph, consumers, node->inputs[0], sn2_op_transpose);
    if (!t || remove[t - graph->nodes]) continue;
    const uint32_t rank = graph->values[node->inputs[0]].rank;
    const uint32_t* q = t->params.transpose.perm;
    bool all_back = true;
    for (uint32_t o = 0; all_back && o < node->output_count; o++) {
      const uint32_t part = node->outputs[o];
      uint32_t readers = 0;
      for (uint32_t m = n + 1; m < graph->node_count; m++) {
        const struct sn2_node* r = &graph->nodes[m];
        for (uint32_t k = 0; k < r->input_count; k++) {
          if (r->inputs[k] != part) continue;
          readers++;
          bool inverse = r->type == sn2_op_transpose;
          for (uint32_t d = 0; inverse && d < rank; d++) inverse = q[r->params.transpose.perm[d]] == d;
          all_back = all_back && inverse;
        }
      }
      all_back = all_back && readers == consumers[part] && part != graph->output;
    }
    if (!all_back) continue;
    const uint32_t axis = q[node->params.axis.axis];
    node->inputs[0] = t->inputs[0];
    node->params.axis.axis = axis;
    remove[t - graph->nodes] = true;
    for (uint32_t o = 0; o < node->output_count; o++) {
      const uint32_t part = node->outputs[o];
      for (uint32_t m = n + 1; m < graph->node_count; m++) {
        struct sn2_node* r = &graph->nodes[m];
        if (remove[m] || r->type != sn2_op_transpose || r->inputs[0] != part) continue;
        set_dims(&graph->values[part], rank, graph->values[r->outputs[0]].dims);
        sn2_replace_uses(graph, r->outputs[0], part);
        remove[m] = true;
      }
    }
    sn2_log_rewrite("cancel transposes", "split %s moved below transpose %s", node->name, t->name);
  }
  return sn2_rewrite_finish(graph, &rw, status);
}
