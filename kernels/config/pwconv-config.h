// Which pointwise gather/scatter micro-kernel serves each ISA path.
#ifndef SN2_KERNELS_CONFIG_PWCONV_CONFIG_H
#define SN2_KERNELS_CONFIG_PWCONV_CONFIG_H

#include "kernels/f32-pwconv/pwconv.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_pwconv_config {
  sn2_f32_pwconv_ukernel_fn ukernel;
  uint32_t mr, nr;
  enum sn2_isa isa;
  const char* name;  // "sn2:f32_pwconv_4x64__avx512f"
};

// The kernel for `isa`, or NULL where this build has none (scalar: the reference conv).
const struct sn2_pwconv_config* sn2_get_pwconv_config(enum sn2_isa isa);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_CONFIG_PWCONV_CONFIG_H
