// The graph compiler's passes. Each rewrites the graph in place, keeps it valid and computing
// the same function (up to float rounding), and logs its rewrites (SN2_LOG_PASSES=1).
#ifndef SN2_GRAPH_PASSES_H
#define SN2_GRAPH_PASSES_H

#include "graph/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

// Evaluates every node whose inputs are all constants and makes its outputs constants.
enum sn2_status sn2_pass_fold_constants(struct sn2_graph* graph);

// Deletes nodes whose outputs nothing reads (and values nothing refers to).
enum sn2_status sn2_pass_remove_dead_nodes(struct sn2_graph* graph);

// Folds a per-channel affine op (BatchNorm; Add or Mul of a per-channel constant) into the
// conv or fully-connected op that produces its input, when that op has no other reader and
// no fused activation yet: w' = w * s, b' = b * s + t.
enum sn2_status sn2_pass_fold_affine(struct sn2_graph* graph);

// Fuses a Clamp (ReLU, ReLU6, a QDQ range) into the conv, fully-connected or Add/Sub/Mul/Div op
// that produces its input, and removes clamps whose input is already known to lie within their
// range.
enum sn2_status sn2_pass_fuse_clamp(struct sn2_graph* graph);

// Reshape [N,C,H,W] -> [N,g,C/g,H,W], Transpose (0,2,1,3,4), Reshape -> [N,C,H,W] becomes
// ChannelShuffle(g).
enum sn2_status sn2_pass_recognize_channel_shuffle(struct sn2_graph* graph);

// The NHWC form: Reshape [N,H,W,C] -> [N,H,W,g,C/g], Transpose (0,1,2,4,3), Reshape -> [N,H,W,C]
// becomes Transpose to NCHW, ChannelShuffle(g), Transpose to NHWC (which then cancel against
// the layout transposes around them).
enum sn2_status sn2_pass_recognize_nhwc_channel_shuffle(struct sn2_graph* graph);

// Transpose of a transpose becomes one transpose (or none); a split whose parts are all
// transposed back moves below the transpose.
enum sn2_status sn2_pass_cancel_transposes(struct sn2_graph* graph);

// AveragePool whose divisor is always the whole window (count_include_pad, or no padding)
// becomes a depthwise conv with weights 1 / (kh * kw): the same function, on a faster kernel.
enum sn2_status sn2_pass_avg_pool_as_depthwise(struct sn2_graph* graph);

// Pools fused into the conv before them (graph/pass-fuse-pool.c). Not part of
// sn2_optimize_graph: the plan runs them where a kernel serves the fused op (engine/src/model.c).
// A GlobalAveragePool whose input only it reads, made by a pointwise conv, becomes that conv's
// global_average: one op whose output is the pool's.
enum sn2_status sn2_pass_fuse_global_average(struct sn2_graph* graph);
// A MaxPool whose input only it reads, made by a conv that `accept` takes (NULL: any), becomes
// that conv's max_pool. `consumers`: the readers of each value (sn2_count_consumers).
typedef bool (*sn2_fuse_max_pool_filter)(const struct sn2_graph* graph, const uint32_t* consumers,
                                         const struct sn2_node* conv, const struct sn2_node* pool);
enum sn2_status sn2_pass_fuse_max_pool(struct sn2_graph* graph, sn2_fuse_max_pool_filter accept);

// An Add of a 1x1 conv's unclamped output (its only reader) and a feature map of the same shape
// (made before the conv, read by nothing else from the conv on) becomes that conv's residual
// input, the Add's clamp the conv's (graph/pass-fuse-residual.c). Not part of
// sn2_optimize_graph: the plan runs it where a kernel serves the fused op (engine/src/model.c).
enum sn2_status sn2_pass_fuse_residual_add(struct sn2_graph* graph);

// All of the above but the pool and residual fusions, in order.
enum sn2_status sn2_optimize_graph(struct sn2_graph* graph);

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_PASSES_H
