// The calling thread's last error message, and helpers that set it.
#ifndef SN2_ENGINE_ERROR_H
#define SN2_ENGINE_ERROR_H

#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

// Records a printf-style message for sn2_last_error() and returns `status`, so that error paths
// read `return sn2_error(sn2_status_invalid_parameter, "node %s: ...", name);`.
enum sn2_status sn2_error(enum sn2_status status, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

void sn2_clear_error(void);

#ifdef __cplusplus
}
#endif

#endif  // SN2_ENGINE_ERROR_H
