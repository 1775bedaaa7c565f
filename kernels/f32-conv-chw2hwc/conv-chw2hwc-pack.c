#include <stddef.h>

#include "kernels/f32-conv-chw2hwc/conv-chw2hwc.h"

size_t sn2_f32_conv_chw2hwc_packed_size(size_t in_channels) {
  return (in_channels * 9 + 1) * SN2_CONV_CHW2HWC_MAX_CHANNELS;
}

void sn2_f32_conv_chw2hwc_pack(size_t in_channels, size_t out_channels, const float* weights,
                               const float* bias, float* packed) {
  const size_t nc = SN2_CONV_CHW2HWC_MAX_CHANNELS;
  for (size_t ci = 0; ci < in_channels; ci++) {
    for (size_t tap = 0; tap < 9; tap++) {
      for (size_t oc = 0; oc < nc; oc++) {
        packed[(ci * 9 + tap) * nc + oc] = oc < out_channels ? weights[(oc * 9 + tap) * in_channels + ci] : 0.0f;
      }
    }
  }
  for (size_t oc = 0; oc < nc; oc++) packed[in_channels * 9 * nc + oc] = bias && oc < out_channels ? bias[oc] : 0.0f;
}
