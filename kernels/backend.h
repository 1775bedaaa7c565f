// How the engine runs one op: a backend per kind of kernel (reference, XNNPACK, and the custom
// SIMD kernels later), each able to prepare per-session state once and then run allocation-free.
#ifndef SN2_KERNELS_BACKEND_H
#define SN2_KERNELS_BACKEND_H

#include <pthread.h>
#include <pthreadpool.h>
#include <stdbool.h>

#include "graph/ir.h"
#include "kernels/op-params.h"
#include "sn2.h"

#ifdef __cplusplus
extern "C" {
#endif

// The tensors of one op in one session; their data pointers stay fixed for its lifetime.
struct sn2_op_context {
  const struct sn2_node* node;
  const struct sn2_tensor* inputs;   // node->input_count
  const struct sn2_tensor* outputs;  // node->output_count
  const void* kernel_data;           // the backend's kernel_data
};

struct sn2_op_backend {
  const char* kernel_name;  // shown by `sn2 inspect`, e.g. "xnnpack:convolution_nhwc_f32"
  // Creates per-session state (may allocate, e.g. packed weights). NULL = stateless.
  enum sn2_status (*create)(const struct sn2_op_context* context, pthreadpool_t threadpool,
                            void** state_out);
  // Runs the op; allocates nothing.
  void (*run)(const struct sn2_op_context* context, void* state, pthreadpool_t threadpool);
  void (*destroy)(void* state);
  const void* kernel_data;  // what a backend family tells its functions apart by (or NULL)
  // Reads its input in the caller's N, C, H, W layout (pixel stride 1, a plane per channel), so
  // the plan may hand it the caller's image as is: the k x k conv backends (the taps driver reads
  // any strides and slots; the stem kernel needs planes). Such a backend takes its input pointer
  // at each run, so a session may also point it at a channels-last caller's buffer.
  bool reads_planar_input;
};

// The op backends of a kernel family, one per row of its config table: `configs` (a static
// array of rows with `isa` and `name`, or a NULL pointer) and CONFIG_COUNT must be defined
// first. Defines `get_config` (the row for an ISA, or NULL) and `get_backend` (that row's
// backend, or NULL), the backends named by their rows and built once (C cannot initialise one
// table from the other).
#define SN2_DEFINE_CONFIG_BACKENDS(config_type, get_config, get_backend, create, run, destroy, \
                                   reads_planar)                                               \
  static struct sn2_op_backend backends_[CONFIG_COUNT > 0 ? CONFIG_COUNT : 1];                 \
  static const size_t config_count_ = CONFIG_COUNT; /* 0 where the build has no kernel */      \
  static pthread_once_t backends_once_ = PTHREAD_ONCE_INIT;                                    \
  static void init_backends_(void) {                                                           \
    for (size_t i = 0; i < config_count_; i++) {                                               \
      backends_[i] = (struct sn2_op_backend){configs[i].name, create, run, destroy, &configs[i], \
                                             reads_planar};                                    \
    }                                                                                          \
  }                                                                                            \
  const struct config_type* get_config(enum sn2_isa isa) {                                     \
    for (size_t i = 0; i < config_count_; i++) {                                               \
      if (configs[i].isa == isa) return &configs[i];                                           \
    }                                                                                          \
    return NULL;                                                                               \
  }                                                                                            \
  const struct sn2_op_backend* get_backend(enum sn2_isa isa) {                                 \
    const struct config_type* config = get_config(isa);                                        \
    if (!config) return NULL;                                                                  \
    pthread_once(&backends_once_, init_backends_);                                             \
    return &backends_[config - configs];                                                       \
  }

// Ops that move no data (channel views) run nothing.
const struct sn2_op_backend* sn2_view_backend(void);

// The reference backend serves every op type.
const struct sn2_op_backend* sn2_reference_backend(enum sn2_op_type type);

// The XNNPACK backend for this node, or NULL where XNNPACK has no operator for it. `dense`:
// its tensors are whole buffers (no wider pixels, no channel views) whose storage order XNNPACK's
// row-major nd ops can address.
const struct sn2_op_backend* sn2_xnnpack_backend(const struct sn2_graph* graph,
                                                 const struct sn2_node* node, bool dense);

// The pointwise gather/scatter backend for an ISA path and a layer's width (its tile chosen by
// sn2_choose_pwconv_config), or NULL where this build has none.
const struct sn2_op_backend* sn2_pwconv_backend(enum sn2_isa isa, size_t output_channels);

// A pointwise conv with a fused global average pool (conv2d params' global_average) on the
// same kernels, or NULL where this build has none.
const struct sn2_op_backend* sn2_pwconv_global_average_backend(enum sn2_isa isa, size_t output_channels);

// A dense k x k conv (groups 1) on the pointwise micro-kernels, gathering its taps; NULL where
// this build has none.
const struct sn2_op_backend* sn2_conv_taps_backend(enum sn2_isa isa, size_t output_channels);

// The stem kernel (3x3 stride 2 from channel planes to NHWC, kernels/f32-conv-chw2hwc), or NULL
// where this build has none. Only for an input the plan keeps in the caller's N, C, H, W layout.
const struct sn2_op_backend* sn2_conv_chw2hwc_backend(enum sn2_isa isa);

// The stem kernel with the 3x3 stride-2 max pool after it (conv2d params' max_pooled), conv
// rows pooled from a ring, or NULL where this build lacks either kernel.
const struct sn2_op_backend* sn2_conv_chw2hwc_maxpool_backend(enum sn2_isa isa);

// The depthwise 3x3 backend for an ISA path, or NULL where this build has none.
const struct sn2_op_backend* sn2_dwconv2d_backend(enum sn2_isa isa);

// The 3x3 stride-2 max-pooling backend for an ISA path, or NULL where this build has none.
const struct sn2_op_backend* sn2_maxpool2d_backend(enum sn2_isa isa);

// Initialises XNNPACK once per process; fails (invalid_state) where XNNPACK cannot run.
enum sn2_status sn2_xnnpack_initialize(void);

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_BACKEND_H
