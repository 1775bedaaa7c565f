// Which pointwise gather/scatter micro-kernel serves each ISA path.
#ifndef SN2_KERNELS_CONFIG_PWCONV_CONFIG_H
#define SN2_KERNELS_CONFIG_PWCONV_CONFIG_H

#include "kernels/f32-pwconv/pwconv.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SN2_PWCONV_MAX_MR 8
#define SN2_PWCONV_MAX_NR 48

struct sn2_pwconv_config {
  sn2_f32_pwconv_ukernel_fn ukernel;
  uint32_t mr, nr;
  enum sn2_isa isa;
  const char* name;       // "sn2:f32_pwconv_7x32__avx512f"
  const char* taps_name;  // the same kernel under the k x k conv driver
  const char* global_average_name;  // under the driver of a 1x1 conv + global average pool
};

// The default kernel for `isa`, or NULL where this build has none (scalar: the reference conv).
const struct sn2_pwconv_config* sn2_get_pwconv_config(enum sn2_isa isa);
// Every kernel this build has (for tests and benchmarks).
const struct sn2_pwconv_config* sn2_get_pwconv_configs(size_t* count);
// The kernel of `isa` for n output channels: the tile whose blocks cost the fewest cycles per
// input channel in a model of the kernels (48, 116, 352, 1024 channels: 7x48; 24, 58: 7x32).
const struct sn2_pwconv_config* sn2_choose_pwconv_config(enum sn2_isa isa, size_t n);

// A whole pointwise conv with `config`'s kernel: blocks of NR output channels outermost (a
// block's packed weights stay in L1 while every pixel passes), tiles of MR pixels inside; the
// tiles are spread over `threadpool` (NULL: the caller). Pixel p starts at input + p * in_stride.
struct sn2_pwconv_problem {
  size_t pixels, k, n;
  const float* input;
  size_t input_stride;
  const uint32_t* input_slots;  // k entries (never NULL)
  const float* packed;
  float* output;
  size_t output_stride;
  const struct sn2_pwconv_run* runs;  // from sn2_f32_pwconv_make_runs for the config's NR
  const uint32_t* block_first;
  struct sn2_f32_pwconv_params params;
};
void sn2_f32_pwconv_run(const struct sn2_pwconv_config* config,
                        const struct sn2_pwconv_problem* problem, void* threadpool);
// A grouped conv: `groups` problems that differ only in their slot tables, packed weights and
// runs, in one pass over the thread pool (each thread the same pixels in every group).
void sn2_f32_pwconv_run_groups(const struct sn2_pwconv_config* config, const struct sn2_pwconv_problem* problems,
                               size_t groups, void* threadpool);

// A pointwise conv followed by a global average pool (`problem->pixels` per image, `images`
// of them; output image i's n channels at problem->output + i * output_stride, through the
// runs): each tile's outputs go to a scratch on the stack and are added up per channel, pixel
// by pixel in order, so the conv's output never reaches memory. Channel blocks are spread over
// `threadpool`: every channel's sum is made by one thread in the same order (results do not
// depend on the thread count).
void sn2_f32_pwconv_global_average_run(const struct sn2_pwconv_config* config,
                                       const struct sn2_pwconv_problem* problem, size_t images,
                                       void* threadpool);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_CONFIG_PWCONV_CONFIG_H
