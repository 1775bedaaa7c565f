#include "graph/rewrite.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"

enum sn2_status sn2_count_consumers(const struct sn2_graph* graph, uint32_t** counts_out) {
  uint32_t* counts = calloc(graph->value_count ? graph->value_count : 1, sizeof *counts);
  if (!counts) return sn2_error(sn2_status_out_of_memory, "graph pass: out of memory");
  for (uint32_t n = 0; n < graph->node_count; n++) {
    const struct sn2_node* node = &graph->nodes[n];
    for (uint32_t i = 0; i < node->input_count; i++) counts[node->inputs[i]]++;
  }
  if (graph->output < graph->value_count) counts[graph->output]++;
  *counts_out = counts;
  return sn2_status_success;
}

enum sn2_status sn2_rewrite_start(const struct sn2_graph* graph, struct sn2_rewrite* rw) {
  rw->remove = NULL;
  enum sn2_status status = sn2_count_consumers(graph, &rw->consumers);
  if (status != sn2_status_success) return status;
  rw->remove = calloc(graph->node_count + 1, sizeof *rw->remove);
  if (!rw->remove) {
    free(rw->consumers);
    return sn2_error(sn2_status_out_of_memory, "graph pass: out of memory");
  }
  return sn2_status_success;
}

enum sn2_status sn2_rewrite_finish(struct sn2_graph* graph, struct sn2_rewrite* rw,
                                   enum sn2_status status) {
  if (status == sn2_status_success) status = sn2_remove_nodes(graph, rw->remove);
  free(rw->remove);
  free(rw->consumers);
  return status;
}

bool sn2_has_single_consumer(const uint32_t* counts, const struct sn2_graph* graph,
                             uint32_t value) {
  return counts[value] == 1 && value != graph->output;
}

struct sn2_node* sn2_single_use_producer(struct sn2_graph* graph, const uint32_t* counts,
                                         uint32_t value, enum sn2_op_type type) {
  const uint32_t p = graph->values[value].producer;
  if (p == SN2_INVALID_ID || graph->nodes[p].type != type) return NULL;
  return sn2_has_single_consumer(counts, graph, value) ? &graph->nodes[p] : NULL;
}

void sn2_replace_uses(struct sn2_graph* graph, uint32_t from, uint32_t to) {
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* node = &graph->nodes[n];
    for (uint32_t i = 0; i < node->input_count; i++) {
      if (node->inputs[i] == from) node->inputs[i] = to;
    }
  }
  if (graph->output == from) graph->output = to;
}

enum sn2_status sn2_remove_nodes(struct sn2_graph* graph, const bool* remove) {
  uint32_t* node_id = malloc((graph->node_count + 1) * sizeof *node_id);
  uint32_t* value_id = malloc((graph->value_count + 1) * sizeof *value_id);
  bool* referenced = calloc(graph->value_count + 1, sizeof *referenced);
  if (!node_id || !value_id || !referenced) {
    free(node_id), free(value_id), free(referenced);
    return sn2_error(sn2_status_out_of_memory, "graph pass: out of memory");
  }
  uint32_t kept = 0;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* node = &graph->nodes[n];
    if (remove[n]) {
      node_id[n] = SN2_INVALID_ID;
      sn2_node_params_free(node->type, &node->params);
      free(node->name);
      free(node->inputs);
      free(node->outputs);
      continue;
    }
    for (uint32_t i = 0; i < node->input_count; i++) referenced[node->inputs[i]] = true;
    for (uint32_t o = 0; o < node->output_count; o++) referenced[node->outputs[o]] = true;
    node_id[n] = kept;
    graph->nodes[kept++] = *node;
  }
  graph->node_count = kept;
  referenced[graph->input] = true;
  referenced[graph->output] = true;
  uint32_t values = 0;
  for (uint32_t v = 0; v < graph->value_count; v++) {
    struct sn2_value* value = &graph->values[v];
    if (!referenced[v]) {
      value_id[v] = SN2_INVALID_ID;
      free(value->name);
      free(value->data);
      continue;
    }
    value_id[v] = values;
    if (value->producer != SN2_INVALID_ID) value->producer = node_id[value->producer];
    graph->values[values++] = *value;
  }
  graph->value_count = values;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    struct sn2_node* node = &graph->nodes[n];
    for (uint32_t i = 0; i < node->input_count; i++) node->inputs[i] = value_id[node->inputs[i]];
    for (uint32_t o = 0; o < node->output_count; o++) node->outputs[o] = value_id[node->outputs[o]];
  }
  graph->input = value_id[graph->input];
  graph->output = value_id[graph->output];
  free(node_id);
  free(value_id);
  free(referenced);
  return sn2_status_success;
}

void sn2_log_rewrite(const char* pass, const char* format, ...) {
  if (!getenv("SN2_LOG_PASSES")) return;  // read each time: passes run at compile time only
  va_list args;
  va_start(args, format);
  fprintf(stderr, "%s: ", pass);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
}
