// Internal definitions of models and sessions, shared by the engine's files, the CLI, the tests
// and the benchmarks (which build models from graphs of their own).
#ifndef SN2_ENGINE_ENGINE_H
#define SN2_ENGINE_ENGINE_H

#include "graph/channel-views.h"
#include "graph/ir.h"
#include "kernels/backend.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_plan_op {
  uint32_t node;  // index in the graph
  const struct sn2_op_backend* backend;
  struct sn2_op_info info;
};

struct sn2_model {
  struct sn2_graph* graph;  // owned
  struct sn2_options options;
  enum sn2_isa isa;  // resolved
  // XNNPACK's operators may serve ops: everywhere but on a scalar path that was asked for (the
  // portable path, C only). Auto on a CPU with none of sn2's SIMD paths keeps XNNPACK (its SSE
  // kernels) and sn2's scalar kernels where a 1x1 conv reads or writes a channel view.
  bool xnnpack;
  struct sn2_plan_op* ops;
  uint32_t op_count;
  size_t* value_offsets;  // bytes into the arena, per graph value (of its root's buffer)
  struct sn2_channel_views views;
  // The input stays in the caller's N, C, H, W layout (its only reader takes any strides): the
  // input transfer is a copy instead of a transposition.
  bool planar_input;
  struct sn2_plan_stats stats;
};

// Compiles a graph into a model; takes ownership of the graph, also on failure.
enum sn2_status sn2_model_create_from_graph(struct sn2_graph* graph,
                                            const struct sn2_options* options,
                                            sn2_model_t* model_out);

// sn2_session_run that also adds each op's wall time (seconds) to op_seconds[op index]: the
// profile behind `sn2 bench --profile`. op_seconds has sn2_plan_stats.op_count + 1 entries: the
// last gets the time spent moving the input and output between the caller's layout and the plan's.
enum sn2_status sn2_session_run_profiled(sn2_session_t session, const float* input,
                                         size_t input_count, float* output,
                                         size_t output_count, double* op_seconds);

#ifdef __cplusplus
}
#endif

#endif  // SN2_ENGINE_ENGINE_H
