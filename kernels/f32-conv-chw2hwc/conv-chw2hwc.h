// Dense 3x3 stride-2 convolution from channel planes (N, C, H, W: the caller's image) to
// channels-last output (NHWC, any pixel stride): the stem of ShuffleNet. The pointwise kernels'
// taps driver puts output channels in the lanes, which fills 24 of 32 lanes and broadcasts
// every tap of every pixel; here the lanes hold 16 neighbouring output pixels of a row (their
// taps are every other column of an input row: two loads and a permute per row and plane),
// each output channel has its accumulators, and the weights are broadcast from memory into
// the FMAs. A transpose in registers turns the pixels' lanes into NHWC pixels for the store.
#ifndef SN2_KERNELS_F32_CONV_CHW2HWC_CONV_CHW2HWC_H
#define SN2_KERNELS_F32_CONV_CHW2HWC_CONV_CHW2HWC_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/f32-pwconv/pwconv.h"

#ifdef __cplusplus
extern "C" {
#endif

// At most 24 output channels (the packing's width) and 4 input channels (the tap vectors of a
// tile's input rows stay on the stack: 4 x 5 x 3 vectors, 3.75 KB).
#define SN2_CONV_CHW2HWC_MAX_CHANNELS 24
#define SN2_CONV_CHW2HWC_MAX_INPUT_CHANNELS 4

// Padding: at most one row on top and one column on the left (windows start at 2 * o - pad:
// PyTorch's stem pads 1, TensorFlow's "same" at an even size 0 there and 1 after); whatever
// else a window covers outside the image is zero, so any bottom/right padding is served.
struct sn2_conv_chw2hwc_problem {
  size_t batch, in_h, in_w, out_h, out_w, in_channels, out_channels;
  size_t pad_top, pad_left;  // 0 or 1
  const float* input;
  // Floats between images, channels, rows and columns: channel planes (the caller's N, C, H, W
  // image) have column_stride 1; pixels (a channels-last image) channel_stride 1 and
  // column_stride the pixel's width.
  size_t image_stride, channel_stride, row_stride, column_stride;
  const float* packed;  // sn2_f32_conv_chw2hwc_pack
  float* output;
  size_t output_stride;  // floats per output pixel; channels adjacent
  struct sn2_f32_minmax_params params;
};

// One tile: output rows oy and oy + 1 of `image` (rows = 1: oy only), pixels ox0 .. ox0 + count
// - 1 (count at most the kernel's tile width), every output channel, into out0 and out1 (pixel
// ox0 of each row). The loop over a map's rows and tiles is the driver's
// (sn2_f32_conv_chw2hwc_rows).
typedef void (*sn2_f32_conv_chw2hwc_ukernel_fn)(const struct sn2_conv_chw2hwc_problem* p, const float* image,
                                               size_t oy, size_t rows, size_t ox0, size_t count, float* out0,
                                               float* out1);

// Packed size in floats, and the packing: for every input channel and tap (ci, ky, kx) a row of
// 24 output-channel weights, then the 24 biases; zeros past out_channels. `weights` is
// [out_channels][3][3][in_channels] (sn2's conv layout), `bias` may be NULL.
size_t sn2_f32_conv_chw2hwc_packed_size(size_t in_channels);
void sn2_f32_conv_chw2hwc_pack(size_t in_channels, size_t out_channels, const float* weights,
                               const float* bias, float* packed);

void sn2_f32_conv_chw2hwc_3x3s2p1_minmax_ukernel_16x24__avx512f(const struct sn2_conv_chw2hwc_problem* p,
                                                                const float* image, size_t oy, size_t rows,
                                                                size_t ox0, size_t count, float* out0, float* out1);
void sn2_f32_conv_chw2hwc_3x3s2p1_minmax_ukernel_8x24__avx2(const struct sn2_conv_chw2hwc_problem* p,
                                                            const float* image, size_t oy, size_t rows, size_t ox0,
                                                            size_t count, float* out0, float* out1);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_F32_CONV_CHW2HWC_CONV_CHW2HWC_H
