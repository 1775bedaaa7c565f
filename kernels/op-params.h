// Parameters of each op, shared by the graph IR (which owns them) and the kernels (which read
// them). Weights are laid out the way XNNPACK consumes them, so packing is a plain hand-over.
#ifndef SN2_KERNELS_OP_PARAMS_H
#define SN2_KERNELS_OP_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Logical shape of an activation: every value in sn2 is a 4-D feature map, stored NHWC.
// A fully-connected output is [n, 1, 1, k].
struct sn2_shape {
  uint32_t n, h, w, c;
};

// A strided view of an NHWC tensor: pixel (n, y, x) starts at
// data + ((n * h + y) * w + x) * pixel_stride, and holds `c` contiguous channels.
struct sn2_tensor {
  float* data;
  struct sn2_shape shape;
  size_t pixel_stride;  // in floats, >= shape.c
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
};

struct sn2_pool_params {
  uint32_t kernel_h, kernel_w;
  uint32_t stride_h, stride_w;
  uint32_t pad_top, pad_left, pad_bottom, pad_right;
  bool count_include_pad;  // average pool only: divide by the full window (PyTorch default)
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

#endif  // SN2_KERNELS_OP_PARAMS_H
