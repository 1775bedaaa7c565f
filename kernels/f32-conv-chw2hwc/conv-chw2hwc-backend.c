// The stem kernels as an op backend: weights packed per session; pairs of output rows spread
// over the thread pool, each writing only its own outputs. The input is the caller's image in
// its own N, C, H, W layout (the plan keeps it so for this backend), read where it lies.
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/src/error.h"
#include "kernels/backend.h"
#include "kernels/config/conv-chw2hwc-config.h"
#include "kernels/parallel.h"

struct conv_chw2hwc_task {
  const struct sn2_conv_chw2hwc_config* config;
  const struct sn2_conv_chw2hwc_problem* problem;
  size_t rows, rows_per_chunk;
};

static void run_chunk(void* context, size_t chunk) {
  const struct conv_chw2hwc_task* t = context;
  const size_t first = chunk * t->rows_per_chunk;
  const size_t last = first + t->rows_per_chunk < t->rows ? first + t->rows_per_chunk : t->rows;
  t->config->ukernel(t->problem, first, last - first);
}

// Chunks of an even number of rows: the kernel computes rows in pairs (each weight it loads
// feeds both), which a chunk boundary inside a pair would split.
void sn2_f32_conv_chw2hwc_run(const struct sn2_conv_chw2hwc_config* config,
                              const struct sn2_conv_chw2hwc_problem* problem, void* threadpool) {
  const size_t threads = threadpool ? pthreadpool_get_threads_count((pthreadpool_t)threadpool) : 1;
  struct conv_chw2hwc_task task = {config, problem, problem->batch * problem->out_h, 0};
  if (task.rows == 0) return;  // pthreadpool divides by the range
  task.rows_per_chunk = 2 * sn2_balanced_chunk((task.rows + 1) / 2, threads);
  pthreadpool_parallelize_1d((pthreadpool_t)threadpool, run_chunk, &task,
                             (task.rows + task.rows_per_chunk - 1) / task.rows_per_chunk, 0);
}

bool sn2_conv_chw2hwc_supports(const struct sn2_conv2d_params* p) {
  return p->kernel_h == 3 && p->kernel_w == 3 && p->stride_h == 2 && p->stride_w == 2 &&
         p->dilation_h == 1 && p->dilation_w == 1 && p->pad_top == 1 && p->pad_left == 1 &&
         p->pad_bottom <= 1 && p->pad_right <= 1 && p->groups == 1 && !p->averaging &&
         p->input_channels >= 1 && p->input_channels <= SN2_CONV_CHW2HWC_MAX_INPUT_CHANNELS &&
         p->output_channels >= 1 && p->output_channels <= SN2_CONV_CHW2HWC_MAX_CHANNELS;
}

struct conv_chw2hwc_state {
  const struct sn2_conv_chw2hwc_config* config;
  float* packed;
  struct sn2_conv_chw2hwc_problem problem;
};

static void destroy(void* state) {
  struct conv_chw2hwc_state* s = state;
  if (!s) return;
  free(s->packed);
  free(s);
}

static enum sn2_status create(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  (void)pool;
  const struct sn2_conv2d_params* p = &c->node->params.conv2d;
  const struct sn2_tensor* in = &c->inputs[0];
  const struct sn2_tensor* out = &c->outputs[0];
  // Channel planes: pixel stride 1, plane c at c times the first plane's distance.
  const size_t plane = in->shape.c > 1 && in->channel_slots ? in->channel_slots[1] - in->channel_slots[0] : 0;
  bool planar = in->pixel_stride == 1 && out->channel_slots == NULL && (in->shape.c == 1 || in->channel_slots);
  for (uint32_t ch = 0; planar && in->channel_slots && ch < in->shape.c; ch++) {
    planar = in->channel_slots[ch] == ch * plane;
  }
  if (!planar) {
    return sn2_error(sn2_status_invalid_parameter,
                     "node %s: the stem kernel reads channel planes and writes plain channels; "
                     "this plan gave it another layout", c->node->name);
  }
  struct conv_chw2hwc_state* s = calloc(1, sizeof *s);
  if (!s) return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  s->config = c->kernel_data;
  s->packed = aligned_alloc(64, (sn2_f32_conv_chw2hwc_packed_size(p->input_channels) * sizeof(float) + 63) / 64 * 64);
  if (!s->packed) {
    destroy(s);
    return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  }
  sn2_f32_conv_chw2hwc_pack(p->input_channels, p->output_channels, p->weights, p->bias, s->packed);
  s->problem = (struct sn2_conv_chw2hwc_problem){
      .batch = in->shape.n, .in_h = in->shape.h, .in_w = in->shape.w,
      .out_h = out->shape.h, .out_w = out->shape.w,
      .in_channels = p->input_channels, .out_channels = p->output_channels,
      .input = in->data, .image_stride = (size_t)in->strides[0], .channel_stride = plane,
      .row_stride = (size_t)in->strides[2], .packed = s->packed,
      .output = out->data, .output_stride = out->pixel_stride,
      .params = {p->output_min, p->output_max},
  };
  *state_out = s;
  return sn2_status_success;
}

static void run(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  struct conv_chw2hwc_state* s = state;
  // Taken at each run: the session may hand over the caller's buffer in place of its own copy.
  s->problem.input = c->inputs[0].data;
  sn2_f32_conv_chw2hwc_run(s->config, &s->problem, pool);
}

#if SN2_ARCH_X86
static const struct sn2_conv_chw2hwc_config configs[] = {
    {sn2_f32_conv_chw2hwc_3x3s2p1_minmax_ukernel_16x24__avx512f, sn2_isa_avx512f,
     "sn2:f32_conv_chw2hwc_3x3s2p1_16x24__avx512f"},
};
#define CONFIG_COUNT (sizeof configs / sizeof configs[0])
#else
static const struct sn2_conv_chw2hwc_config* const configs = NULL;
#define CONFIG_COUNT 0
#endif

SN2_DEFINE_CONFIG_BACKENDS(sn2_conv_chw2hwc_config, sn2_get_conv_chw2hwc_config, sn2_conv_chw2hwc_backend, create,
                           run, destroy, true)
