// Which stem kernel (dense 3x3 stride-2 conv from channel planes to NHWC) serves each ISA path.
#ifndef SN2_KERNELS_CONFIG_CONV_CHW2HWC_CONFIG_H
#define SN2_KERNELS_CONFIG_CONV_CHW2HWC_CONFIG_H

#include <stdbool.h>

#include "kernels/config/maxpool2d-config.h"
#include "kernels/f32-conv-chw2hwc/conv-chw2hwc.h"
#include "kernels/op-params.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_conv_chw2hwc_config {
  sn2_f32_conv_chw2hwc_ukernel_fn ukernel;
  size_t tile_width;  // output pixels per tile
  enum sn2_isa isa;
  const char* name;
  const char* pooled_name;  // with a 3x3 stride-2 max pool after it, in one op
};

// The kernel for `isa`, or NULL where this build has none.
const struct sn2_conv_chw2hwc_config* sn2_get_conv_chw2hwc_config(enum sn2_isa isa);

// True for the convs these kernels compute: 3x3, stride 2, one row and one column of padding on
// top and left (at most one on the other sides), groups 1, no dilation, up to 4 input and 24
// output channels.
bool sn2_conv_chw2hwc_supports(const struct sn2_conv2d_params* params);

// Output rows row .. row + rows - 1 (row = n * out_h + oy; may cross images) into `output` (row
// `row`'s first pixel; the next rows follow at out_w * output_stride), on the caller's thread:
// pairs of rows within an image, tile by tile.
void sn2_f32_conv_chw2hwc_rows(const struct sn2_conv_chw2hwc_config* config,
                               const struct sn2_conv_chw2hwc_problem* problem, size_t row, size_t rows, float* output);

// A whole conv: pairs of output rows over `threadpool` (NULL: the caller's thread).
void sn2_f32_conv_chw2hwc_run(const struct sn2_conv_chw2hwc_config* config,
                              const struct sn2_conv_chw2hwc_problem* problem, void* threadpool);

// The stem with a 3x3 stride-2 max pool after it, as one pass: `conv` describes the conv's own
// map (its output is not used: rows go to the rings, output_stride floats per pixel; the
// pool's input_stride must match), `pool` reads that map and writes the op's output. `rings`: `chunks` rings of
// sn2_f32_conv_chw2hwc_maxpool_ring_floats(conv) floats, 64-byte aligned; the pool's rows are
// split into `chunks` chunks (one per thread: each also computes the conv row above its first
// window). Results do not depend on `chunks` or the thread count.
size_t sn2_f32_conv_chw2hwc_maxpool_ring_floats(const struct sn2_conv_chw2hwc_problem* conv);
void sn2_f32_conv_chw2hwc_maxpool_run(const struct sn2_conv_chw2hwc_config* conv_config,
                                      const struct sn2_maxpool2d_config* pool_config,
                                      const struct sn2_conv_chw2hwc_problem* conv,
                                      const struct sn2_maxpool2d_problem* pool, float* rings, size_t chunks,
                                      void* threadpool);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_CONFIG_CONV_CHW2HWC_CONFIG_H
