#include <stdlib.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"


enum sn2_status sn2_pass_recognize_channel_shuffle(struct sn2_graph* graph) {
  struct sn2_rewrite rw;
  const enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  const uint32_t* consumers = rw.consumers;
  bool* remove = rw.remove;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* last = &graph->nodes[n];  // Reshape -> [N, C, H, W]
    if (last->type != sn2_op_reshape) continue;
    struct sn2_node* transpose = sn2_single_use_producer(graph, consumers, last->inputs[0], sn2_op_transpose);
    if (!transpose) continue;
    struct sn2_node* first = sn2_single_use_producer(graph, consumers, transpose->inputs[0], sn2_op_reshape);
    if (!first) continue;
    const struct sn2_value* x = &graph->values[first->inputs[0]];
    const struct sn2_value* grouped = &graph->values[first->outputs[0]];  // [N, g, C/g, H, W]
    const struct sn2_value* y = &graph->values[last->outputs[0]];
    static const uint32_t swap_groups[5] = {0, 2, 1, 3, 4};
    bool match = x->rank == 4 && y->rank == 4 && grouped->rank == 5;
    for (uint32_t d = 0; match && d < 4; d++) match = x->dims[d] == y->dims[d];
    match = match && grouped->dims[0] == x->dims[0] && grouped->dims[3] == x->dims[2] &&
            grouped->dims[4] == x->dims[3] && (uint64_t)grouped->dims[1] * grouped->dims[2] == x->dims[1];
    for (uint32_t d = 0; match && d < 5; d++) match = transpose->params.transpose.perm[d] == swap_groups[d];
    if (!match) continue;
    const uint32_t groups = grouped->dims[1];
    // The last reshape becomes the shuffle: it already sits after x's producer.
    last->type = sn2_op_channel_shuffle;
    last->inputs[0] = first->inputs[0];
    last->params.channel_shuffle.groups = groups;
    remove[transpose - graph->nodes] = true;
    remove[first - graph->nodes] = true;
    sn2_log_rewrite("channel shuffle", "nodes %s, %s, %s became ChannelShuffle(%u)", first->name,
                    transpose->name, last->name, groups);
  }
  return sn2_rewrite_finish(graph, &rw, status);
}
