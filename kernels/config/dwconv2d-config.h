// Which depthwise 3x3 micro-kernel serves each ISA path.
#ifndef SN2_KERNELS_CONFIG_DWCONV2D_CONFIG_H
#define SN2_KERNELS_CONFIG_DWCONV2D_CONFIG_H

#include <stdbool.h>

#include "kernels/f32-dwconv2d/dwconv2d.h"
#include "kernels/op-params.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_dwconv2d_config {
  sn2_f32_dwconv2d_ukernel_fn ukernel;
  uint32_t cb;  // channels per block
  enum sn2_isa isa;
  const char* name;
  // The kernel takes each group of output pixels through all the blocks of a call (else it
  // walks the blocks one by one, and the driver orders them itself).
  bool groups_through_blocks;
};

// The kernel for `isa`, or NULL where this build has none.
const struct sn2_dwconv2d_config* sn2_get_dwconv2d_config(enum sn2_isa isa);

// True for the convs these kernels compute: depthwise 3x3, stride 1 or 2, no dilation.
bool sn2_dwconv2d_supports(const struct sn2_conv2d_params* params);

// A whole depthwise conv: (channel block, output row) pairs over `threadpool` (NULL: caller).
void sn2_f32_dwconv2d_run(const struct sn2_dwconv2d_config* config,
                          const struct sn2_dwconv2d_problem* problem, void* threadpool);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_CONFIG_DWCONV2D_CONFIG_H
