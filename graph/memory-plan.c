#include "graph/memory-plan.h"

#include <stdlib.h>

#include "engine/src/error.h"

static int lifetimes_overlap(const struct sn2_usage_record* a, const struct sn2_usage_record* b) {
  return a->first_node <= b->last_node && b->first_node <= a->last_node;
}

enum sn2_status sn2_memory_plan(struct sn2_usage_record* records, uint32_t count,
                                size_t alignment, size_t* arena_size_out) {
  if ((count && !records) || !arena_size_out || alignment == 0 ||
      (alignment & (alignment - 1)) != 0) {
    return sn2_error(sn2_status_invalid_parameter, "memory plan: bad arguments");
  }
  uint32_t* order = malloc((count + 1) * sizeof *order);  // records by decreasing size
  uint32_t* placed = malloc((count + 1) * sizeof *placed);  // placed, by increasing offset
  if (!order || !placed) {
    free(order);
    free(placed);
    return sn2_error(sn2_status_out_of_memory, "memory plan: out of memory");
  }
  for (uint32_t i = 0; i < count; i++) order[i] = i;
  // Insertion sort: stable, so equal sizes keep graph order and the plan is reproducible.
  for (uint32_t i = 1; i < count; i++) {
    uint32_t r = order[i], j = i;
    while (j > 0 && records[order[j - 1]].size < records[r].size) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = r;
  }
  size_t arena = 0;
  uint32_t placed_count = 0;
  for (uint32_t i = 0; i < count; i++) {
    struct sn2_usage_record* r = &records[order[i]];
    r->offset = 0;
    if (r->size == 0) continue;
    const size_t size = (r->size + alignment - 1) & ~(alignment - 1);
    // Scan the placed records that are alive at the same time, lowest offset first.
    size_t candidate = 0;
    for (uint32_t k = 0; k < placed_count; k++) {
      const struct sn2_usage_record* other = &records[placed[k]];
      if (!lifetimes_overlap(r, other)) continue;
      if (other->offset >= candidate + size) break;  // the gap before `other` fits
      const size_t other_end = other->offset + ((other->size + alignment - 1) & ~(alignment - 1));
      if (other_end > candidate) candidate = other_end;
    }
    r->offset = candidate;
    if (candidate + size > arena) arena = candidate + size;
    uint32_t j = placed_count++;
    while (j > 0 && records[placed[j - 1]].offset > candidate) {
      placed[j] = placed[j - 1];
      j--;
    }
    placed[j] = order[i];
  }
  free(order);
  free(placed);
  *arena_size_out = arena;
  return sn2_status_success;
}

void sn2_graph_value_lifetimes(const struct sn2_graph* graph, struct sn2_usage_record* records) {
  for (uint32_t v = 0; v < graph->value_count; v++) {
    const struct sn2_value* value = &graph->values[v];
    const uint32_t first = value->producer == SN2_INVALID_ID ? 0 : value->producer;
    records[v] = (struct sn2_usage_record){
        .first_node = first,
        .last_node = first,
        // Constants keep their own storage in the graph.
        .size = sn2_value_is_constant(value) ? 0 : sn2_value_elements(value) * sizeof(float),
    };
  }
  for (uint32_t n = 0; n < graph->node_count; n++) {
    const struct sn2_node* node = &graph->nodes[n];
    for (uint32_t i = 0; i < node->input_count; i++) {
      struct sn2_usage_record* r = &records[node->inputs[i]];
      if (n > r->last_node) r->last_node = n;
    }
  }
  if (graph->node_count) records[graph->output].last_node = graph->node_count - 1;
}

size_t sn2_memory_lower_bound(const struct sn2_usage_record* records, uint32_t count,
                              size_t alignment) {
  uint32_t last = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (records[i].size && records[i].last_node > last) last = records[i].last_node;
  }
  size_t bound = 0;
  for (uint32_t t = 0; t <= last; t++) {
    size_t live = 0;
    for (uint32_t i = 0; i < count; i++) {
      if (records[i].size && records[i].first_node <= t && t <= records[i].last_node) {
        live += (records[i].size + alignment - 1) & ~(alignment - 1);
      }
    }
    if (live > bound) bound = live;
  }
  return bound;
}
