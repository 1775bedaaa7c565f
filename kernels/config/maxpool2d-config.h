// Which max-pooling micro-kernel serves each ISA path.
#ifndef SN2_KERNELS_CONFIG_MAXPOOL2D_CONFIG_H
#define SN2_KERNELS_CONFIG_MAXPOOL2D_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/f32-maxpool2d/maxpool2d.h"
#include "kernels/op-params.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_maxpool2d_config {
  sn2_f32_maxpool2d_row_fn row;
  enum sn2_isa isa;
  const char* name;
};

// The kernel for `isa`, or NULL where this build has none.
const struct sn2_maxpool2d_config* sn2_get_maxpool2d_config(enum sn2_isa isa);

// True for the pools these kernels compute: 3x3, stride 2, at most one padding row or column on
// each side, every window holding at least one input pixel.
bool sn2_maxpool2d_supports(const struct sn2_pool_params* params, size_t in_h, size_t in_w,
                            size_t out_h, size_t out_w);

// Output rows row .. row + rows - 1 of a map (row = n * out_h + oy; may cross images), on the
// caller's thread.
void sn2_f32_maxpool2d_rows(const struct sn2_maxpool2d_config* config, const struct sn2_maxpool2d_problem* problem,
                            size_t row, size_t rows);

// A whole max pool: chunks of output rows over `threadpool` (NULL: the caller's thread).
void sn2_f32_maxpool2d_run(const struct sn2_maxpool2d_config* config,
                           const struct sn2_maxpool2d_problem* problem, void* threadpool);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_CONFIG_MAXPOOL2D_CONFIG_H
