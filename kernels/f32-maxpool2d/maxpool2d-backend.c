// The max-pooling kernels as an op backend: chunks of output rows spread over the thread pool,
// each writing only its own outputs.
#include <pthread.h>
#include <stdlib.h>

#include "engine/src/error.h"
#include "kernels/backend.h"
#include "kernels/config/maxpool2d-config.h"
#include "kernels/parallel.h"

struct maxpool2d_task {
  const struct sn2_maxpool2d_config* config;
  const struct sn2_maxpool2d_problem* problem;
  size_t rows, rows_per_chunk;
};

void sn2_f32_maxpool2d_rows(const struct sn2_maxpool2d_config* config, const struct sn2_maxpool2d_problem* p,
                            size_t row, size_t rows) {
  for (size_t r = row; r < row + rows; r++) {
    const float* window[3];
    sn2_maxpool2d_window_rows(p, r, window);
    config->row(p, window, p->output + r * p->out_w * p->output_stride);
  }
}

static void run_chunk(void* context, size_t chunk) {
  const struct maxpool2d_task* t = context;
  const size_t first = chunk * t->rows_per_chunk;
  const size_t last = first + t->rows_per_chunk < t->rows ? first + t->rows_per_chunk : t->rows;
  sn2_f32_maxpool2d_rows(t->config, t->problem, first, last - first);
}

void sn2_f32_maxpool2d_run(const struct sn2_maxpool2d_config* config,
                           const struct sn2_maxpool2d_problem* problem, void* threadpool) {
  const size_t threads = threadpool ? pthreadpool_get_threads_count((pthreadpool_t)threadpool) : 1;
  struct maxpool2d_task task = {config, problem, problem->batch * problem->out_h, 0};
  if (task.rows == 0) return;  // pthreadpool divides by the range
  task.rows_per_chunk = sn2_balanced_chunk(task.rows, threads);
  pthreadpool_parallelize_1d((pthreadpool_t)threadpool, run_chunk, &task,
                             (task.rows + task.rows_per_chunk - 1) / task.rows_per_chunk, 0);
}

static bool covers(size_t in, size_t out, uint32_t pad_before, uint32_t pad_after) {
  return pad_before <= 1 && pad_after <= 1 && out > 0 && (out - 1) * 2 <= in - 1 + pad_before;
}

bool sn2_maxpool2d_supports(const struct sn2_pool_params* p, size_t in_h, size_t in_w,
                            size_t out_h, size_t out_w) {
  return p->kernel_h == 3 && p->kernel_w == 3 && p->stride_h == 2 && p->stride_w == 2 &&
         in_h > 0 && in_w > 0 && covers(in_h, out_h, p->pad_top, p->pad_bottom) &&
         covers(in_w, out_w, p->pad_left, p->pad_right);
}

static void destroy(void* state) { free(state); }

static enum sn2_status create(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  (void)pool;
  const struct sn2_pool_params* p = &c->node->params.pool;
  const struct sn2_tensor* in = &c->inputs[0];
  const struct sn2_tensor* out = &c->outputs[0];
  struct sn2_maxpool2d_problem* problem = malloc(sizeof *problem);
  if (!problem) return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  *problem = (struct sn2_maxpool2d_problem){
      .batch = in->shape.n, .in_h = in->shape.h, .in_w = in->shape.w,
      .out_h = out->shape.h, .out_w = out->shape.w, .channels = in->shape.c,
      .pad_top = p->pad_top, .pad_left = p->pad_left,
      .input = in->data, .input_stride = in->pixel_stride,
      .output = out->data, .output_stride = out->pixel_stride,
  };
  *state_out = problem;
  return sn2_status_success;
}

static void run(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  sn2_f32_maxpool2d_run(c->kernel_data, state, pool);
}

static const struct sn2_maxpool2d_config configs[] = {
#if SN2_ARCH_X86
    {sn2_f32_maxpool2d_3x3s2_row_16c__avx512f, sn2_isa_avx512f,
     "sn2:f32_maxpool2d_3x3s2_16c__avx512f"},
    {sn2_f32_maxpool2d_3x3s2_row_8c__avx2, sn2_isa_avx2,
     "sn2:f32_maxpool2d_3x3s2_8c__avx2"},
#endif
    {sn2_f32_maxpool2d_3x3s2_row_1c__scalar, sn2_isa_scalar,
     "sn2:f32_maxpool2d_3x3s2_1c__scalar"},
};
#define CONFIG_COUNT (sizeof configs / sizeof configs[0])

SN2_DEFINE_CONFIG_BACKENDS(sn2_maxpool2d_config, sn2_get_maxpool2d_config, sn2_maxpool2d_backend, create, run,
                           destroy, false)
