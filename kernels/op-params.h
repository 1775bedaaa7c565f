// Parameters of each op, shared by the graph IR (which owns them) and the kernels (which read
// them). Weights are laid out the way XNNPACK consumes them, so packing is a plain hand-over.
#ifndef SN2_KERNELS_OP_PARAMS_H
#define SN2_KERNELS_OP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SN2_MAX_RANK 6

// Feature-map shape of a rank-4 value, whose logical (ONNX) dims are N, C, H, W.
struct sn2_shape {
  uint32_t n, h, w, c;
};

// A strided view of a tensor. dims are logical, in ONNX order; strides are in elements.
// Rank-4 values are stored channels-last (NHWC): for them `shape` and `pixel_stride` give the
// feature-map view the spatial kernels use, and pixel (n, y, x) starts at
// data + ((n * h + y) * w + x) * pixel_stride with `c` contiguous channels.
//
// A rank-4 tensor may be a channel view: channel c of a pixel then sits at
// pixel + channel_slots[c] instead of pixel + c (strides[1] is meaningless then). Only the ops
// documented to accept views are ever given one; channel_slots is NULL otherwise.
struct sn2_tensor {
  float* data;
  uint32_t rank;
  uint32_t dims[SN2_MAX_RANK];
  ptrdiff_t strides[SN2_MAX_RANK];
  struct sn2_shape shape;  // rank 4 only
  size_t pixel_stride;     // rank 4 only, in floats, >= shape.c
  const uint32_t* channel_slots;  // rank 4 only; NULL = channels contiguous
};

struct sn2_pool_params {
  uint32_t kernel_h, kernel_w;
  uint32_t stride_h, stride_w;
  uint32_t pad_top, pad_left, pad_bottom, pad_right;
  bool count_include_pad;  // average pool only: divide by the full window (PyTorch default)
};

struct sn2_conv2d_params {
  uint32_t kernel_h, kernel_w;
  uint32_t stride_h, stride_w;
  uint32_t dilation_h, dilation_w;
  uint32_t pad_top, pad_left, pad_bottom, pad_right;
  uint32_t groups;
  uint32_t input_channels, output_channels;
  float output_min, output_max;  // fused activation; -INF/+INF for none
  float* weights;  // [output_channels][kernel_h][kernel_w][input_channels / groups], owned
  float* bias;     // [output_channels] or NULL, owned
  bool averaging;  // an average pool run as a depthwise conv: reported as AveragePool, 0 MACs
  // A 1x1 conv (stride 1, no padding, groups 1) followed by a global average pool, as one op
  // (graph/pass-fuse-pool.c): its output is [N, C, 1, 1], each channel's mean over
  // the conv's pixels after the clamp.
  bool global_average;
  // A max pool fused after the conv (graph/pass-fuse-pool.c): the output is the pool's,
  // `max_pool` applied to the conv's clamped output map.
  bool max_pooled;
  struct sn2_pool_params max_pool;
  // A residual Add fused after a 1x1 conv (graph/pass-fuse-residual.c): the node's second input,
  // of the output's shape, is added to the conv's sums before the clamp. The plan writes the
  // output where that input lives where it can (engine/src/model.c), so the sum replaces it.
  bool residual;
};

struct sn2_batchnorm_params {
  uint32_t channels;
  float epsilon;
  float* scale;  // gamma [channels], owned; likewise below
  float* bias;   // beta
  float* mean;
  float* var;
};

struct sn2_clamp_params {
  float min, max;  // ReLU = [0, +INF]
};

struct sn2_fully_connected_params {
  uint32_t input_channels, output_channels;
  float output_min, output_max;
  float* weights;  // [output_channels][input_channels], owned
  float* bias;     // [output_channels] or NULL, owned
};

struct sn2_channel_shuffle_params {
  uint32_t groups;  // out[i * groups + j] = in[j * (c / groups) + i]
};

// Generic (any-rank) ops. Axes are normalised to [0, rank) by whoever builds the node.
struct sn2_axis_params {
  uint32_t axis;  // concat, split, softmax
};

struct sn2_slice_params {
  int64_t starts[SN2_MAX_RANK];  // normalised and clamped, per axis
  int64_t steps[SN2_MAX_RANK];   // non-zero; 1 on axes not sliced
  uint32_t counts[SN2_MAX_RANK]; // output extent per axis
};

struct sn2_transpose_params {
  uint32_t perm[SN2_MAX_RANK];  // output axis i is input axis perm[i]
};

struct sn2_reshape_params {
  uint32_t rank;
  uint32_t dims[SN2_MAX_RANK];  // fully resolved: no 0 or -1
};

struct sn2_reduce_params {
  uint32_t axes_mask;  // bit i: reduce axis i
  bool keepdims;
};

struct sn2_gather_params {
  uint32_t axis;
  uint32_t index_rank;
  uint32_t index_dims[SN2_MAX_RANK];
  int64_t* indices;  // normalised to [0, dims[axis]), owned
};

enum sn2_binary_kind {
  sn2_binary_add,
  sn2_binary_sub,
  sn2_binary_mul,
  sn2_binary_div,
};

struct sn2_binary_params {
  enum sn2_binary_kind kind;  // numpy broadcasting
  bool clamped;               // a fused activation: the result is clamped to [output_min, output_max]
  float output_min, output_max;
};

struct sn2_softmax_params {
  uint32_t axis;
  bool coerce_2d;  // opset < 13: normalise over all axes from `axis` on, as one row
};

#endif  // SN2_KERNELS_OP_PARAMS_H
