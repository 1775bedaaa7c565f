// What this CPU (and its OS) can run, detected once with cpuinfo.
#ifndef SN2_KERNELS_CONFIG_HARDWARE_CONFIG_H
#define SN2_KERNELS_CONFIG_HARDWARE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_hardware_config {
  bool avx2_fma;  // AVX2 and FMA3, with the OS saving YMM state
  bool avx512f;   // AVX-512F, with the OS saving ZMM state
  bool neon;
  size_t l1d_bytes;  // data cache of the first core; 32 KiB where cpuinfo cannot tell
};

// Never NULL; where cpuinfo cannot initialise, every flag is false (scalar only).
const struct sn2_hardware_config* sn2_get_hardware_config(void);

// Resolves the ISA a model runs with: `requested`, or for sn2_isa_auto the SN2_FORCE_ISA
// environment variable if set, else the best one available. Fails (naming the ISA) where the
// CPU cannot run it or the variable holds an unknown name. *forced_out (if not NULL): the path
// was asked for, by `requested` or the variable, rather than picked for this CPU.
enum sn2_status sn2_resolve_isa(enum sn2_isa requested, enum sn2_isa* isa_out, bool* forced_out);

const char* sn2_isa_name(enum sn2_isa isa);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_CONFIG_HARDWARE_CONFIG_H
