// The graph IR: values (tensors of rank 1..6 with logical dims in ONNX order) and nodes (ops)
// with producer links. Nodes are kept in topological order: a node's inputs are the graph
// input, constants, or outputs of earlier nodes. Weights live in node params or in constant
// values, all owned by the graph.
//
// Storage order is a function of rank, the same for every value: rank-4 values (N, C, H, W)
// are stored channels-last (NHWC), every other rank row-major. sn2_make_tensor gives the strides.
#ifndef SN2_GRAPH_IR_H
#define SN2_GRAPH_IR_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/op-params.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SN2_INVALID_ID UINT32_MAX

enum sn2_op_type {
  // Feature-map ops: rank-4 input.
  sn2_op_conv2d,
  sn2_op_batchnorm,
  sn2_op_max_pool,
  sn2_op_avg_pool,
  sn2_op_global_avg_pool,
  sn2_op_channel_shuffle,
  // Any rank.
  sn2_op_clamp,
  sn2_op_fully_connected,  // [N, C] or [N, C, 1, 1] -> [N, K]
  sn2_op_binary,           // add, sub, mul, div with numpy broadcasting
  sn2_op_concat,           // any number of inputs, along params.axis
  sn2_op_split,            // along params.axis; sizes are the outputs' extents
  sn2_op_slice,
  sn2_op_softmax,
  sn2_op_transpose,
  sn2_op_reshape,
  sn2_op_matmul,           // batched, numpy broadcasting of the batch dims
  sn2_op_reduce_mean,
  sn2_op_gather,           // constant indices
  sn2_op_type_count,
};

const char* sn2_op_type_name(enum sn2_op_type type);

struct sn2_value {
  uint32_t rank;
  uint32_t dims[SN2_MAX_RANK];
  char* name;
  uint32_t producer;  // node id, or SN2_INVALID_ID for the graph input and constants
  float* data;        // constants only, in storage order; owned
};

union sn2_node_params {
  struct sn2_conv2d_params conv2d;
  struct sn2_pool_params pool;
  struct sn2_batchnorm_params batchnorm;
  struct sn2_clamp_params clamp;
  struct sn2_fully_connected_params fully_connected;
  struct sn2_channel_shuffle_params channel_shuffle;
  struct sn2_axis_params axis;
  struct sn2_slice_params slice;
  struct sn2_transpose_params transpose;
  struct sn2_reshape_params reshape;
  struct sn2_reduce_params reduce;
  struct sn2_gather_params gather;
  struct sn2_binary_params binary;
  struct sn2_softmax_params softmax;
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
enum sn2_status sn2_graph_add_input(struct sn2_graph* graph, const char* name, uint32_t rank,
                                    const uint32_t* dims, uint32_t* value_out);

// Adds a constant. `row_major` holds its elements in logical row-major order; the graph takes
// ownership (also on failure) and reorders rank-4 data into NHWC storage order.
enum sn2_status sn2_graph_add_constant(struct sn2_graph* graph, const char* name, uint32_t rank,
                                       const uint32_t* dims, float* row_major,
                                       uint32_t* value_out);

// Adds a node reading `inputs` and writing `output_count` new values named "<name>" (or
// "<name>:<i>" for several), whose shapes are inferred and checked here. For a split, the
// outputs' extents along the axis are `split_sizes[0 .. output_count)`; otherwise NULL.
// `params` is copied; the graph takes ownership of the arrays it points to, even on failure.
enum sn2_status sn2_graph_add_node(struct sn2_graph* graph, enum sn2_op_type type,
                                   const char* name, const uint32_t* inputs,
                                   uint32_t input_count, const union sn2_node_params* params,
                                   uint32_t output_count, const uint32_t* split_sizes,
                                   uint32_t* outputs_out);

// Frees the arrays a node's params own (weights, bias, BatchNorm statistics, indices).
void sn2_node_params_free(enum sn2_op_type type, union sn2_node_params* params);

// Checks the whole graph: ids in range, topological order, every value but the input and the
// constants produced exactly once. Names the node and the rule on failure.
enum sn2_status sn2_graph_validate(const struct sn2_graph* graph);

// True if a conv is a plain pointwise one: 1x1, stride 1, no padding, one group.
bool sn2_conv_is_pointwise(const struct sn2_conv2d_params* c);
// The same with any number of groups (ShuffleNet V1's grouped 1x1 convs).
bool sn2_conv_is_grouped_pointwise(const struct sn2_conv2d_params* c);
// A 1x1 conv that reads and writes channels through slot tables (gather, scatter): ungrouped, or
// grouped with at least SN2_MIN_GATHER_GROUP_WIDTH output channels per group. The pointwise
// kernels compute a group's output channels in blocks of the tile's width, so narrower groups
// (a depthwise 1x1 conv: one lane of 16 per vector) are left to XNNPACK or the reference.
enum { SN2_MIN_GATHER_GROUP_WIDTH = 8 };
bool sn2_conv_is_gather_pointwise(const struct sn2_conv2d_params* c);

// Height and width of a conv's own output map on an in_h x in_w input (before a pool fused into
// it); 0 where its window does not fit the padded input.
void sn2_conv_map_size(const struct sn2_conv2d_params* c, uint32_t in_h, uint32_t in_w, uint32_t* h, uint32_t* w);

// Work and traffic of one node, in the paper's model: multiply-adds of conv, fully-connected
// and matmul ops; memory access = input + output elements + weight elements.
uint64_t sn2_node_macs(const struct sn2_graph* graph, const struct sn2_node* node);
uint64_t sn2_node_weight_elements(const struct sn2_node* node);
uint64_t sn2_node_memory_access_elements(const struct sn2_graph* graph,
                                         const struct sn2_node* node);
// True for ops that only relocate data (split, concat, shuffle, slice, transpose, reshape,
// gather): what zero-copy views remove.
bool sn2_op_is_data_movement(enum sn2_op_type type);

uint64_t sn2_value_elements(const struct sn2_value* value);
static inline bool sn2_value_is_constant(const struct sn2_value* value) {
  return value->data != NULL;
}
// The feature-map view of a rank-4 value.
static inline struct sn2_shape sn2_value_fmap(const struct sn2_value* v) {
  struct sn2_shape s = {v->dims[0], v->dims[2], v->dims[3], v->dims[1]};
  return s;
}

// A tensor descriptor for `rank` dims stored at `data` in the storage order above.
struct sn2_tensor sn2_make_tensor(uint32_t rank, const uint32_t* dims, float* data);
// The same for a rank-4 value inside a wider buffer: `pixel_stride` floats per pixel, and
// channel c at slot channel_slots[c] (NULL: at c).
struct sn2_tensor sn2_make_feature_map(const uint32_t* dims, float* data, size_t pixel_stride,
                                       const uint32_t* channel_slots);

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_IR_H
