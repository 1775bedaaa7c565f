// The graph IR: values (4-D activations, NHWC) and nodes (ops) with producer/consumer links.
// Nodes are kept in topological order: a node's inputs are produced by earlier nodes or are the
// graph input. Weights live in the nodes' params and are owned by the graph.
#ifndef SN2_GRAPH_IR_H
#define SN2_GRAPH_IR_H

#include <stdint.h>

#include "kernels/op-params.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SN2_INVALID_ID UINT32_MAX

enum sn2_op_type {
  sn2_op_conv2d,
  sn2_op_batchnorm,
  sn2_op_clamp,
  sn2_op_max_pool,
  sn2_op_avg_pool,
  sn2_op_global_avg_pool,
  sn2_op_fully_connected,
  sn2_op_add,
  sn2_op_concat,         // along channels, any number of inputs
  sn2_op_split,          // along channels; output sizes are the outputs' channel counts
  sn2_op_channel_shuffle,
  sn2_op_softmax,        // over channels
  sn2_op_type_count,
};

const char* sn2_op_type_name(enum sn2_op_type type);

struct sn2_value {
  struct sn2_shape shape;
  char* name;
  uint32_t producer;  // node id, or SN2_INVALID_ID for the graph input
};

union sn2_node_params {
  struct sn2_conv2d_params conv2d;
  struct sn2_pool_params pool;
  struct sn2_batchnorm_params batchnorm;
  struct sn2_clamp_params clamp;
  struct sn2_fully_connected_params fully_connected;
  struct sn2_channel_shuffle_params channel_shuffle;
};

struct sn2_node {
  enum sn2_op_type type;
  char* name;
  uint32_t* inputs;
  uint32_t input_count;
  uint32_t* outputs;
  uint32_t output_count;
  union sn2_node_params params;
};

struct sn2_graph {
  struct sn2_value* values;
  uint32_t value_count, value_capacity;
  struct sn2_node* nodes;
  uint32_t node_count, node_capacity;
  uint32_t input;   // value id
  uint32_t output;  // value id
};

enum sn2_status sn2_graph_create(struct sn2_graph** graph_out);
void sn2_graph_delete(struct sn2_graph* graph);

// Adds the graph input (a value with no producer).
enum sn2_status sn2_graph_add_input(struct sn2_graph* graph, const char* name,
                                    struct sn2_shape shape, uint32_t* value_out);

// Adds a node reading `inputs` and writing `output_count` new values named "<name>" (or
// "<name>:<i>" for several), whose shapes are inferred and checked here. For a split, the
// outputs' channel counts are `split_sizes[0 .. output_count)`; otherwise split_sizes is NULL.
// `params` is copied; the graph takes ownership of the arrays it points to, even on failure.
enum sn2_status sn2_graph_add_node(struct sn2_graph* graph, enum sn2_op_type type,
                                   const char* name, const uint32_t* inputs,
                                   uint32_t input_count, const union sn2_node_params* params,
                                   uint32_t output_count, const uint32_t* split_sizes,
                                   uint32_t* outputs_out);

// Frees the arrays a node's params own (weights, bias, BatchNorm statistics).
void sn2_node_params_free(enum sn2_op_type type, union sn2_node_params* params);

// Checks the whole graph: ids in range, topological order, every value but the input produced
// exactly once, shapes consistent. Names the node and the rule on failure.
enum sn2_status sn2_graph_validate(const struct sn2_graph* graph);

// Work and traffic of one node, in the paper's model: multiply-adds of conv and fully-connected
// ops; memory access = input + output elements + weight elements.
uint64_t sn2_node_macs(const struct sn2_graph* graph, const struct sn2_node* node);
uint64_t sn2_node_weight_elements(const struct sn2_node* node);
uint64_t sn2_node_memory_access_elements(const struct sn2_graph* graph,
                                         const struct sn2_node* node);
// True for ops that only relocate data (split, concat, shuffle): what zero-copy views remove.
int sn2_op_is_data_movement(enum sn2_op_type type);

static inline uint64_t sn2_shape_elements(struct sn2_shape s) {
  return (uint64_t)s.n * s.h * s.w * s.c;
}

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_IR_H
