// The k x k convolution driver on the pointwise micro-kernels (conv-taps-backend.c); its
// backend rows sit next to the pointwise ones in pwconv-backend.c, sharing their configs.
#ifndef SN2_KERNELS_F32_PWCONV_CONV_TAPS_H
#define SN2_KERNELS_F32_PWCONV_CONV_TAPS_H

#include "kernels/backend.h"

enum sn2_status sn2_conv_taps_create(const struct sn2_op_context* context, pthreadpool_t threadpool,
                                     void** state_out);
void sn2_conv_taps_run(const struct sn2_op_context* context, void* state, pthreadpool_t threadpool);
void sn2_conv_taps_destroy(void* state);

#endif  // SN2_KERNELS_F32_PWCONV_CONV_TAPS_H
