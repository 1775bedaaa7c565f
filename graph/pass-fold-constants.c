#include <stdlib.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"
#include "kernels/backend.h"

enum sn2_status sn2_pass_fold_constants(struct sn2_graph* graph) {
  bool* remove = calloc(graph->node_count + 1, sizeof *remove);
  if (!remove) return sn2_error(sn2_status_out_of_memory, "fold constants: out of memory");
  enum sn2_status status = sn2_status_success;
  uint32_t folded = 0;
  for (uint32_t n = 0; n < graph->node_count && status == sn2_status_success; n++) {
    struct sn2_node* node = &graph->nodes[n];
    bool all_constant = true;
    for (uint32_t i = 0; i < node->input_count; i++) {
      all_constant = all_constant && sn2_value_is_constant(&graph->values[node->inputs[i]]);
    }
    if (!all_constant) continue;
    struct sn2_tensor* tensors = calloc(node->input_count + node->output_count, sizeof *tensors);
    if (!tensors) {
      status = sn2_error(sn2_status_out_of_memory, "fold constants: out of memory");
      break;
    }
    for (uint32_t i = 0; i < node->input_count; i++) {
      const struct sn2_value* v = &graph->values[node->inputs[i]];
      tensors[i] = sn2_make_tensor(v->rank, v->dims, v->data);
    }
    for (uint32_t o = 0; o < node->output_count && status == sn2_status_success; o++) {
      struct sn2_value* v = &graph->values[node->outputs[o]];
      v->data = malloc(sn2_value_elements(v) * sizeof(float));
      if (!v->data) status = sn2_error(sn2_status_out_of_memory, "fold constants: out of memory");
      tensors[node->input_count + o] = sn2_make_tensor(v->rank, v->dims, v->data);
    }
    if (status == sn2_status_success) {
      const struct sn2_op_context context = {node, tensors, tensors + node->input_count, NULL};
      sn2_reference_backend(node->type)->run(&context, NULL, NULL);
      for (uint32_t o = 0; o < node->output_count; o++) graph->values[node->outputs[o]].producer = SN2_INVALID_ID;
      remove[n] = true;
      folded++;
      sn2_log_rewrite("fold constants", "node %s (%s) evaluated at compile time", node->name,
                      sn2_op_type_name(node->type));
    }
    free(tensors);
  }
  if (status == sn2_status_success && folded) status = sn2_remove_nodes(graph, remove);
  free(remove);
  return status;
}
