// Graph surgery shared by the passes: who reads a value, redirecting its readers, and
// deleting nodes (with the values only they made) while keeping ids dense.
#ifndef SN2_GRAPH_REWRITE_H
#define SN2_GRAPH_REWRITE_H

#include <stdbool.h>

#include "graph/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

// counts[v] = inputs of nodes that name v, plus 1 if v is the graph output. The caller frees.
enum sn2_status sn2_count_consumers(const struct sn2_graph* graph, uint32_t** counts_out);

// The scratch a rewriting pass starts from: consumer counts per value (as above) and a removal
// mark per node, all false. sn2_rewrite_finish removes the marked nodes when `status` is
// success, frees the scratch either way and returns the first failure.
struct sn2_rewrite {
  uint32_t* consumers;
  bool* remove;
};
enum sn2_status sn2_rewrite_start(const struct sn2_graph* graph, struct sn2_rewrite* rw);
enum sn2_status sn2_rewrite_finish(struct sn2_graph* graph, struct sn2_rewrite* rw,
                                   enum sn2_status status);

// True if `value` is read by exactly one node input and is not the graph output.
bool sn2_has_single_consumer(const uint32_t* counts, const struct sn2_graph* graph,
                             uint32_t value);

// The node producing `value` if it has `type` and `value` has exactly one reader; else NULL.
struct sn2_node* sn2_single_use_producer(struct sn2_graph* graph, const uint32_t* counts,
                                         uint32_t value, enum sn2_op_type type);

// Makes every reader of `from` (node inputs and the graph output) read `to` instead.
void sn2_replace_uses(struct sn2_graph* graph, uint32_t from, uint32_t to);

// Deletes the nodes with remove[n] set, and every value nothing refers to any more (other than
// the graph input); renumbers what is left in order. Node params and constant data of deleted
// nodes and values are freed.
enum sn2_status sn2_remove_nodes(struct sn2_graph* graph, const bool* remove);

// Logs one rewrite when SN2_LOG_PASSES is set in the environment ("pass: message").
void sn2_log_rewrite(const char* pass, const char* format, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_REWRITE_H
