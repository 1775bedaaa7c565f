// Zero-copy channel views: decides where every rank-4 value lives so that channel split,
// channel slice, concat and channel shuffle move no bytes.
//
// Each rank-4 value gets a root (the value whose buffer holds it; the buffer has `width` floats
// per pixel) and a slot map: logical channel c lives at slot slots[c] of each pixel of the root.
// - Split / channel Slice / ChannelShuffle: the output is the input's root with remapped slots.
// - Concat: either a new root whose inputs are written by their producers straight into
//   contiguous slices of it, or, when an input already lives in a root (a pass-through half),
//   that root: the other inputs are written into slots that are dead by the time they are made
//   (in a ShuffleNet V2 unit, the slots the branch's input occupied) or appended.
// - A conv absorbs a slot map that is a permutation of a contiguous range into its weights
//   (input channels; for a depthwise conv also its outputs). A 1x1 conv reads any slot set
//   (gather) and writes any (scatter); a grouped one too where the rules allow it and its
//   groups are wide enough (sn2_conv_is_gather_pointwise). Everything else reads contiguous
//   channels.
// - Clamp, Add/Sub/Mul/Div and Softmax run in place over their first input when nothing else
//   reads it (their reference kernels read each element before writing it).
// Where these rules cannot hold, the op stays a real copy: the plan is never wrong, only less
// free.
#ifndef SN2_GRAPH_CHANNEL_VIEWS_H
#define SN2_GRAPH_CHANNEL_VIEWS_H

#include <stdbool.h>

#include "graph/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_channel_views {
  uint32_t* root;        // per value: whose buffer it lives in (itself for owners)
  uint32_t* width;       // per value: for roots, floats per pixel (rank 4) or 0
  uint32_t** slots;      // per value: rank-4 values' slot maps (NULL for other ranks)
  bool* is_view;         // per node: moves no data; its outputs are views
  uint32_t* read_offset; // per node: for a conv that absorbed its input's permutation, the first
                         // slot of the contiguous range it reads; UINT32_MAX otherwise
  uint32_t* write_offset; // per node: for a depthwise conv that absorbed one, the first slot of
                          // the range it writes in physical order; UINT32_MAX otherwise
  // A channels-last model input whose only reader transposes it to N, C, H, W: that value's
  // storage is the caller's buffer layout, so the input is loaded straight into it and the
  // transpose is a view. SN2_INVALID_ID otherwise.
  uint32_t input_alias;
};

// What the plan's kernels allow.
struct sn2_view_rules {
  bool enable;          // false: every value owns a plain buffer (the copy ablation)
  bool grouped_gather;  // grouped 1x1 convs run on kernels that read and write slot tables
};

// Plans the views. May permute conv weights in the graph (absorption). The result is freed
// with sn2_channel_views_free.
enum sn2_status sn2_plan_channel_views(struct sn2_graph* graph, const struct sn2_view_rules* rules,
                                       struct sn2_channel_views* views);
void sn2_channel_views_free(struct sn2_channel_views* views, uint32_t value_count);

// True if slots[0..count) are first, first+1, ...
bool sn2_slots_contiguous(const uint32_t* slots, uint32_t count);

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_CHANNEL_VIEWS_H
