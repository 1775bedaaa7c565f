#include <stdlib.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

enum sn2_status sn2_pass_remove_dead_nodes(struct sn2_graph* graph) {
  bool* used = calloc(graph->value_count + 1, sizeof *used);
  bool* remove = calloc(graph->node_count + 1, sizeof *remove);
  if (!used || !remove) {
    free(used), free(remove);
    return sn2_error(sn2_status_out_of_memory, "remove dead nodes: out of memory");
  }
  used[graph->output] = true;
  uint32_t dead = 0;
  // Backwards: a node lives if a live node (or the graph output) reads one of its outputs.
  for (uint32_t n = graph->node_count; n-- > 0;) {
    const struct sn2_node* node = &graph->nodes[n];
    bool live = false;
    for (uint32_t o = 0; o < node->output_count; o++) live = live || used[node->outputs[o]];
    if (!live) {
      remove[n] = true;
      dead++;
      sn2_log_rewrite("remove dead nodes", "node %s (%s) computes nothing that is read",
                      node->name, sn2_op_type_name(node->type));
      continue;
    }
    for (uint32_t i = 0; i < node->input_count; i++) used[node->inputs[i]] = true;
  }
  // Always compact: values no node refers to any more (e.g. unused constants) go too.
  enum sn2_status status = sn2_remove_nodes(graph, remove);
  (void)dead;
  free(used);
  free(remove);
  return status;
}
