#include "graph/passes.h"

enum sn2_status sn2_optimize_graph(struct sn2_graph* graph) {
  enum sn2_status (*const passes[])(struct sn2_graph*) = {
      sn2_pass_fold_constants,
      sn2_pass_remove_dead_nodes,
      // Affine ops fold before clamps fuse: a bias or BatchNorm cannot move past an activation.
      sn2_pass_fold_affine,
      // Removing redundant clamps (a QDQ model has one around every reshape) exposes patterns.
      sn2_pass_fuse_clamp,
      sn2_pass_recognize_channel_shuffle,
      sn2_pass_recognize_nhwc_channel_shuffle,
      sn2_pass_cancel_transposes,
      sn2_pass_cancel_transposes,
      sn2_pass_fuse_clamp,
      sn2_pass_avg_pool_as_depthwise,
      sn2_pass_remove_dead_nodes,
  };
  for (size_t k = 0; k < sizeof passes / sizeof *passes; k++) {
    enum sn2_status status = passes[k](graph);
    if (status != sn2_status_success) return status;
  }
  return sn2_graph_validate(graph);
}
