// The stem kernels as an op backend: weights packed per session; pairs of output rows spread
// over the thread pool, each writing only its own outputs. The input is the caller's image in
// its own N, C, H, W layout (the plan keeps it so for this backend), read where it lies.
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/src/error.h"
#include "kernels/backend.h"
#include "kernels/config/conv-chw2hwc-config.h"
#include "kernels/config/maxpool2d-config.h"
#include "kernels/parallel.h"

struct conv_chw2hwc_task {
  const struct sn2_conv_chw2hwc_config* config;
  const struct sn2_conv_chw2hwc_problem* problem;
  size_t rows, rows_per_chunk;
};

void sn2_f32_conv_chw2hwc_rows(const struct sn2_conv_chw2hwc_config* config,
                               const struct sn2_conv_chw2hwc_problem* p, size_t row, size_t rows, float* output) {
  for (size_t r = row; r < row + rows;) {
    const size_t n = r / p->out_h, oy = r % p->out_h;
    // Two rows when both lie in the same image and in the range: each weight a tile loads
    // feeds both.
    const size_t pair = r + 1 < row + rows && oy + 1 < p->out_h ? 2 : 1;
    const float* image = p->input + n * p->image_stride;
    float* out = output + (r - row) * p->out_w * p->output_stride;
    for (size_t ox0 = 0; ox0 < p->out_w; ox0 += config->tile_width) {
      const size_t count = p->out_w - ox0 < config->tile_width ? p->out_w - ox0 : config->tile_width;
      float* out0 = out + ox0 * p->output_stride;
      config->ukernel(p, image, oy, pair, ox0, count, out0, out0 + p->out_w * p->output_stride);
    }
    r += pair;
  }
}

static void run_chunk(void* context, size_t chunk) {
  const struct conv_chw2hwc_task* t = context;
  const size_t first = chunk * t->rows_per_chunk;
  const size_t last = first + t->rows_per_chunk < t->rows ? first + t->rows_per_chunk : t->rows;
  const struct sn2_conv_chw2hwc_problem* p = t->problem;
  sn2_f32_conv_chw2hwc_rows(t->config, p, first, last - first, p->output + first * p->out_w * p->output_stride);
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
         p->dilation_h == 1 && p->dilation_w == 1 && p->pad_top <= 1 && p->pad_left <= 1 &&
         p->pad_bottom <= 1 && p->pad_right <= 1 && p->groups == 1 && !p->averaging &&
         p->input_channels >= 1 && p->input_channels <= SN2_CONV_CHW2HWC_MAX_INPUT_CHANNELS &&
         p->output_channels >= 1 && p->output_channels <= SN2_CONV_CHW2HWC_MAX_CHANNELS;
}

// The stem with the max pool after it (conv2d params' max_pooled): each chunk of pool rows
// computes the conv rows its windows need, in pairs, into a ring of four rows (43 KB at 112
// pixels x 24 channels: L1), and pools each row from there as soon as its window's three rows
// exist; the conv's map (1.2 MB at 224x224) is never stored. A chunk also computes the conv
// row above its first window, which the chunk before it computes too: one chunk per thread.
struct stem_pool_task {
  const struct sn2_conv_chw2hwc_config* conv;
  const struct sn2_maxpool2d_config* pool;
  const struct sn2_conv_chw2hwc_problem* conv_problem;
  const struct sn2_maxpool2d_problem* pool_problem;
  float* rings;
  size_t ring_floats, rows, rows_per_chunk;
};

enum { RING_ROWS = 4 };  // a window's 3 rows + the pair being computed overlap by one

size_t sn2_f32_conv_chw2hwc_maxpool_ring_floats(const struct sn2_conv_chw2hwc_problem* conv) {
  return (RING_ROWS * conv->out_w * conv->output_stride + 15) / 16 * 16;
}

static void run_pooled_chunk(void* context, size_t chunk) {
  const struct stem_pool_task* t = context;
  const struct sn2_conv_chw2hwc_problem* c = t->conv_problem;
  const struct sn2_maxpool2d_problem* q = t->pool_problem;
  const size_t first = chunk * t->rows_per_chunk;
  const size_t last = first + t->rows_per_chunk < t->rows ? first + t->rows_per_chunk : t->rows;
  float* ring = t->rings + chunk * t->ring_floats;
  const size_t row_floats = c->out_w * c->output_stride;
  size_t image = SIZE_MAX, next = 0;  // the next conv row of `image` to compute
  for (size_t r = first; r < last; r++) {
    const size_t n = r / q->out_h, oy = r % q->out_h;
    const ptrdiff_t top = (ptrdiff_t)(2 * oy) - (ptrdiff_t)q->pad_top;
    const size_t y0 = sn2_maxpool2d_clamp_index(top, c->out_h);
    const size_t y1 = sn2_maxpool2d_clamp_index(top + 1, c->out_h);
    const size_t y2 = sn2_maxpool2d_clamp_index(top + 2, c->out_h);
    // Pairs start on even rows, so a pair's two rows are adjacent in the ring.
    if (n != image) image = n, next = y0 & ~(size_t)1;
    while (next <= y2) {
      const size_t pair = c->out_h - next < 2 ? 1 : 2;
      sn2_f32_conv_chw2hwc_rows(t->conv, c, n * c->out_h + next, pair, ring + next % RING_ROWS * row_floats);
      next += pair;
    }
    const float* const rows[3] = {ring + y0 % RING_ROWS * row_floats, ring + y1 % RING_ROWS * row_floats,
                                  ring + y2 % RING_ROWS * row_floats};
    t->pool->row(q, rows, q->output + r * q->out_w * q->output_stride);
  }
}

void sn2_f32_conv_chw2hwc_maxpool_run(const struct sn2_conv_chw2hwc_config* conv_config,
                                      const struct sn2_maxpool2d_config* pool_config,
                                      const struct sn2_conv_chw2hwc_problem* conv,
                                      const struct sn2_maxpool2d_problem* pool, float* rings, size_t chunks,
                                      void* threadpool) {
  const size_t rows = pool->batch * pool->out_h;
  if (rows == 0 || chunks == 0) return;  // pthreadpool divides by the range
  struct stem_pool_task task = {conv_config, pool_config, conv, pool, rings,
                                sn2_f32_conv_chw2hwc_maxpool_ring_floats(conv), rows, (rows + chunks - 1) / chunks};
  pthreadpool_parallelize_1d((pthreadpool_t)threadpool, run_pooled_chunk, &task,
                             (rows + task.rows_per_chunk - 1) / task.rows_per_chunk, 0);
}

struct conv_chw2hwc_state {
  const struct sn2_conv_chw2hwc_config* config;
  float* packed;
  struct sn2_conv_chw2hwc_problem problem;
  // The max-pooled form only:
  const struct sn2_maxpool2d_config* pool_config;
  struct sn2_maxpool2d_problem pool_problem;
  float* rings;  // one ring per chunk, sn2_f32_conv_chw2hwc_maxpool_ring_floats each
  size_t chunks;
};

static void destroy(void* state) {
  struct conv_chw2hwc_state* s = state;
  if (!s) return;
  free(s->packed);
  free(s->rings);
  free(s);
}

static enum sn2_status create(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  (void)pool;
  const struct sn2_conv2d_params* p = &c->node->params.conv2d;
  const struct sn2_tensor* in = &c->inputs[0];
  const struct sn2_tensor* out = &c->outputs[0];
  // Channel planes (the caller's N, C, H, W image: pixel stride 1, plane c at c times the first
  // plane's distance), or pixels (a channels-last image: channels in order in each pixel).
  const size_t plane = in->shape.c > 1 && in->channel_slots ? in->channel_slots[1] - in->channel_slots[0] : 0;
  bool planar = in->pixel_stride == 1 && (in->shape.c == 1 || in->channel_slots);
  for (uint32_t ch = 0; planar && in->channel_slots && ch < in->shape.c; ch++) {
    planar = in->channel_slots[ch] == ch * plane;
  }
  bool pixels = !planar && in->pixel_stride >= in->shape.c;
  for (uint32_t ch = 0; pixels && in->channel_slots && ch < in->shape.c; ch++) pixels = in->channel_slots[ch] == ch;
  if ((!planar && !pixels) || out->channel_slots) {
    return sn2_error(sn2_status_invalid_parameter,
                     "node %s: the stem kernel reads channel planes or pixels and writes plain channels; "
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
  // The conv's own map: the node's output unless a pool follows inside the op.
  uint32_t conv_h = 0, conv_w = 0;
  sn2_conv_map_size(p, in->shape.h, in->shape.w, &conv_h, &conv_w);
  s->problem = (struct sn2_conv_chw2hwc_problem){
      .batch = in->shape.n, .in_h = in->shape.h, .in_w = in->shape.w,
      .out_h = conv_h, .out_w = conv_w,
      .in_channels = p->input_channels, .out_channels = p->output_channels,
      .pad_top = p->pad_top, .pad_left = p->pad_left,
      .input = in->data, .image_stride = (size_t)in->strides[0], .channel_stride = planar ? plane : 1,
      .row_stride = (size_t)in->strides[2], .column_stride = planar ? 1 : in->pixel_stride, .packed = s->packed,
      .output = out->data, .output_stride = out->pixel_stride,
      .params = {p->output_min, p->output_max},
  };
  if (p->max_pooled) {
    const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
    const size_t rows = (size_t)out->shape.n * out->shape.h;
    s->pool_config = sn2_get_maxpool2d_config(s->config->isa);
    s->problem.output = NULL;  // rows go to the rings
    s->problem.output_stride = p->output_channels;
    s->pool_problem = (struct sn2_maxpool2d_problem){
        .batch = out->shape.n, .in_h = conv_h, .in_w = conv_w,
        .out_h = out->shape.h, .out_w = out->shape.w, .channels = p->output_channels,
        .pad_top = p->max_pool.pad_top, .pad_left = p->max_pool.pad_left,
        .input = NULL, .input_stride = p->output_channels,
        .output = out->data, .output_stride = out->pixel_stride,
    };
    s->chunks = rows < threads ? rows : threads;
    const size_t ring_floats = sn2_f32_conv_chw2hwc_maxpool_ring_floats(&s->problem);
    s->rings = s->chunks ? aligned_alloc(64, s->chunks * ring_floats * sizeof(float)) : NULL;
    const bool have_pool = s->pool_config != NULL;
    if (!have_pool || (s->chunks && !s->rings)) {
      destroy(s);
      return sn2_error(have_pool ? sn2_status_out_of_memory : sn2_status_unsupported_parameter, "node %s: %s",
                       c->node->name, have_pool ? "out of memory" : "no max-pool kernel for this ISA");
    }
  }
  *state_out = s;
  return sn2_status_success;
}

static void run(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  struct conv_chw2hwc_state* s = state;
  // Taken at each run: the session may hand over the caller's buffer in place of its own copy.
  s->problem.input = c->inputs[0].data;
  sn2_f32_conv_chw2hwc_run(s->config, &s->problem, pool);
}

static void run_pooled(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  struct conv_chw2hwc_state* s = state;
  s->problem.input = c->inputs[0].data;
  sn2_f32_conv_chw2hwc_maxpool_run(s->config, s->pool_config, &s->problem, &s->pool_problem, s->rings, s->chunks,
                                   pool);
}

#if SN2_ARCH_X86
static const struct sn2_conv_chw2hwc_config configs[] = {
    {sn2_f32_conv_chw2hwc_3x3s2p1_minmax_ukernel_16x24__avx512f, 16, sn2_isa_avx512f,
     "sn2:f32_conv_chw2hwc_3x3s2p1_16x24__avx512f", "sn2:f32_conv_chw2hwc_maxpool_3x3s2p1_16x24__avx512f"},
    {sn2_f32_conv_chw2hwc_3x3s2p1_minmax_ukernel_8x24__avx2, 8, sn2_isa_avx2,
     "sn2:f32_conv_chw2hwc_3x3s2p1_8x24__avx2", "sn2:f32_conv_chw2hwc_maxpool_3x3s2p1_8x24__avx2"},
};
#define CONFIG_COUNT (sizeof configs / sizeof configs[0])
#else
static const struct sn2_conv_chw2hwc_config* const configs = NULL;
#define CONFIG_COUNT 0
#endif

SN2_DEFINE_CONFIG_BACKENDS(sn2_conv_chw2hwc_config, sn2_get_conv_chw2hwc_config, sn2_conv_chw2hwc_backend, create,
                           run, destroy, true)

// The same kernels with the max pool after them (run_pooled), where the ISA has both.
static struct sn2_op_backend pooled_backends[CONFIG_COUNT > 0 ? CONFIG_COUNT : 1];
static pthread_once_t pooled_once = PTHREAD_ONCE_INIT;
static void init_pooled_backends(void) {
  for (size_t i = 0; i < config_count_; i++) {
    pooled_backends[i] = (struct sn2_op_backend){configs[i].pooled_name, create, run_pooled, destroy, &configs[i], true};
  }
}

const struct sn2_op_backend* sn2_conv_chw2hwc_maxpool_backend(enum sn2_isa isa) {
  const struct sn2_conv_chw2hwc_config* config = sn2_get_conv_chw2hwc_config(isa);
  if (!config || !sn2_get_maxpool2d_config(isa)) return NULL;
  pthread_once(&pooled_once, init_pooled_backends);
  return &pooled_backends[config - configs];
}
