// Static memory plan: every activation gets an offset in one arena, so that values whose
// lifetimes overlap never share bytes. Lifetimes are in node indices (topological order).
#ifndef SN2_GRAPH_MEMORY_PLAN_H
#define SN2_GRAPH_MEMORY_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "graph/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_usage_record {
  uint32_t first_node;  // produced by (or, for the graph input, live from) this node
  uint32_t last_node;   // last read by this node (inclusive)
  size_t size;          // bytes; 0 = needs no memory
  size_t offset;        // bytes from the arena start, filled by sn2_memory_plan
};

// Places the records (greedy by size, lowest free offset first). Offsets are multiples of
// `alignment` (a power of two). *arena_size_out receives the bytes the arena needs.
enum sn2_status sn2_memory_plan(struct sn2_usage_record* records, uint32_t count,
                                size_t alignment, size_t* arena_size_out);

// The least any placement needs: the largest total size of records alive at one node.
size_t sn2_memory_lower_bound(const struct sn2_usage_record* records, uint32_t count,
                              size_t alignment);

// Fills records[graph->value_count] with each value's lifetime and float size. The graph input
// lives from node 0, the graph output to the last node.
void sn2_graph_value_lifetimes(const struct sn2_graph* graph, struct sn2_usage_record* records);

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_MEMORY_PLAN_H
