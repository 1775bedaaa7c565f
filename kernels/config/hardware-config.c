#include "kernels/config/hardware-config.h"

#include <cpuinfo.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"

static struct sn2_hardware_config config = {.l1d_bytes = 32 * 1024};
static pthread_once_t config_once = PTHREAD_ONCE_INIT;

static void detect(void) {
  if (!cpuinfo_initialize()) return;
  // cpuinfo reports these only when the OS also enables the register state (XCR0).
  config.avx2_fma = cpuinfo_has_x86_avx2() && cpuinfo_has_x86_fma3();
  config.avx512f = cpuinfo_has_x86_avx512f();
  config.neon = cpuinfo_has_arm_neon();
  const struct cpuinfo_cache* l1d = cpuinfo_get_l1d_caches_count() ? cpuinfo_get_l1d_cache(0) : NULL;
  if (l1d && l1d->size) config.l1d_bytes = l1d->size;
}

const struct sn2_hardware_config* sn2_get_hardware_config(void) {
  pthread_once(&config_once, detect);
  return &config;
}

static const char* const isa_names[] = {
    [sn2_isa_auto] = "auto", [sn2_isa_scalar] = "scalar", [sn2_isa_avx2] = "avx2",
    [sn2_isa_avx512f] = "avx512f", [sn2_isa_neon] = "neon",
};

const char* sn2_isa_name(enum sn2_isa isa) {
  return (unsigned)isa < sizeof isa_names / sizeof *isa_names ? isa_names[isa] : "unknown";
}

enum sn2_status sn2_resolve_isa(enum sn2_isa requested, enum sn2_isa* isa_out, bool* forced_out) {
  const struct sn2_hardware_config* hw = sn2_get_hardware_config();
  enum sn2_isa isa = requested;
  bool was_forced = requested != sn2_isa_auto;
  if (isa == sn2_isa_auto) {
    const char* forced = getenv("SN2_FORCE_ISA");
    was_forced = forced && *forced;
    if (was_forced) {
      isa = sn2_isa_auto;
      for (unsigned i = sn2_isa_scalar; i <= sn2_isa_neon; i++) {
        if (strcmp(forced, isa_names[i]) == 0) isa = (enum sn2_isa)i;
      }
      if (isa == sn2_isa_auto) {
        return sn2_error(sn2_status_invalid_parameter,
                         "SN2_FORCE_ISA=%s: expected scalar, avx2, avx512f or neon", forced);
      }
    } else {
      isa = hw->avx512f ? sn2_isa_avx512f
            : hw->avx2_fma ? sn2_isa_avx2
            : hw->neon ? sn2_isa_neon
                       : sn2_isa_scalar;
    }
  }
  bool available;
  switch (isa) {
    case sn2_isa_scalar: available = true; break;
    case sn2_isa_avx2: available = hw->avx2_fma; break;
    case sn2_isa_avx512f: available = hw->avx512f; break;
    case sn2_isa_neon: available = hw->neon; break;
    default:
      return sn2_error(sn2_status_invalid_parameter, "options.isa: unknown value %d", (int)isa);
  }
  if (!available) {
    return sn2_error(sn2_status_unsupported_hardware, "ISA %s is not available on this CPU",
                     sn2_isa_name(isa));
  }
  *isa_out = isa;
  if (forced_out) *forced_out = was_forced;
  return sn2_status_success;
}
