// The depthwise 3x3 kernels as an op backend: weights packed per session; chunks of output rows
// spread over the thread pool, each writing only its own outputs.
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "engine/src/error.h"
#include "kernels/backend.h"
#include "kernels/config/dwconv2d-config.h"
#include "kernels/config/hardware-config.h"
#include "kernels/parallel.h"

struct dwconv2d_state {
  const struct sn2_dwconv2d_config* config;
  float* packed;
  struct sn2_dwconv2d_problem problem;
};

// The order a chunk of output rows walks the channel blocks in.
enum block_order {
  // Each block through all the chunk's rows: on a small map a block's 64-byte column through
  // the map fits in L1, and its rows reuse the input rows the row before loaded.
  blocks_outer,
  // Every block of a pair of output rows, then the next pair: from 28x28 (784 lines, 49 KB) a
  // block's column no longer fits, and a block finds the lines next to the ones the block
  // before it read (the L1 prefetchers' next line) still in L1.
  blocks_per_row_pair,
  // One kernel call for all blocks, which takes each group of 7 output pixels through every
  // block: the loads sweep each input row's pixels front to back.
  blocks_per_group,
};

struct dwconv2d_task {
  const struct sn2_dwconv2d_config* config;
  const struct sn2_dwconv2d_problem* problem;
  size_t blocks, rows, rows_per_chunk;
  enum block_order order;
};

// Measured on ShuffleNet's depthwise shapes (bench/f32-dwconv2d.cc, docs/performance.md):
// blocks per row pair took 0.78-1.11x the time of blocks outermost on 28x28 and 56x56 maps,
// 0.95-1.26x on 14x14 and 7x7 ones. Blocks per group (8e0e149) took 0.75-0.98x the time of
// the order those chose on the stride-2 shapes, and 0.74-1.00x on the stride-1 shapes it now
// runs: at stride 1 consecutive row pairs share two input rows, read back from L1 only while
// the pair's four input rows, every channel, fit there; a throwaway build that ran every
// stride-1 shape this way was slower on the larger maps and with fewer than 4 blocks (its
// weight loads per group and block).
// A block narrower than a cache line (AVX2's 8 channels: half a line) takes the groups'
// order on every shape: walked block by block, each line would come into L1 once per block (a
// throwaway build forcing each order on the AVX2 kernel found the other two slower on every
// shape it ran, most on the large-channel and stride-2 ones).
enum { BLOCKS_PER_ROW_PAIR_FROM_PIXELS = 512, MIN_BLOCKS_PER_GROUP = 4, CACHE_LINE_BYTES = 64 };

static enum block_order choose_order(const struct sn2_dwconv2d_config* config,
                                     const struct sn2_dwconv2d_problem* p, size_t blocks) {
  const size_t pair_input_bytes = 4 * p->in_w * p->channels * sizeof(float);
  const bool block_spans_line = config->cb * sizeof(float) >= CACHE_LINE_BYTES;
  if (config->groups_through_blocks &&
      (!block_spans_line || p->stride == 2 ||
       (blocks >= MIN_BLOCKS_PER_GROUP && pair_input_bytes <= sn2_get_hardware_config()->l1d_bytes)))
    return blocks_per_group;
  return p->in_h * p->in_w >= BLOCKS_PER_ROW_PAIR_FROM_PIXELS ? blocks_per_row_pair : blocks_outer;
}

static void run_chunk(void* context, size_t chunk) {
  const struct dwconv2d_task* t = context;
  const size_t first = chunk * t->rows_per_chunk;
  const size_t last = first + t->rows_per_chunk < t->rows ? first + t->rows_per_chunk : t->rows;
  switch (t->order) {
    case blocks_outer:
      for (size_t block = 0; block < t->blocks; block++) t->config->ukernel(t->problem, block, 1, first, last - first);
      break;
    case blocks_per_row_pair:
      for (size_t row = first; row < last; row += 2) {
        const size_t rows = last - row < 2 ? last - row : 2;
        for (size_t block = 0; block < t->blocks; block++) t->config->ukernel(t->problem, block, 1, row, rows);
      }
      break;
    case blocks_per_group:
      t->config->ukernel(t->problem, 0, t->blocks, first, last - first);
      break;
  }
}

// Threads take rows, never channel blocks: two threads writing different channels of the same
// pixels would share their cache lines (measured: 2.3x slower on two threads).
void sn2_f32_dwconv2d_run(const struct sn2_dwconv2d_config* config,
                          const struct sn2_dwconv2d_problem* problem, void* threadpool) {
  const size_t threads = threadpool ? pthreadpool_get_threads_count((pthreadpool_t)threadpool) : 1;
  const size_t blocks = (problem->channels + config->cb - 1) / config->cb;
  struct dwconv2d_task task = {config, problem, blocks, problem->batch * problem->out_h, 0,
                               choose_order(config, problem, blocks)};
  task.rows_per_chunk = sn2_balanced_chunk(task.rows, threads);
  pthreadpool_parallelize_1d((pthreadpool_t)threadpool, run_chunk, &task,
                             (task.rows + task.rows_per_chunk - 1) / task.rows_per_chunk, 0);
}

static void destroy(void* state) {
  struct dwconv2d_state* s = state;
  if (!s) return;
  free(s->packed);
  free(s);
}

// Packed weights start on a cache line: a 64-byte vector load never straddles two.
static enum sn2_status create(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  (void)pool;
  const struct sn2_conv2d_params* p = &c->node->params.conv2d;
  const struct sn2_tensor* in = &c->inputs[0];
  const struct sn2_tensor* out = &c->outputs[0];
  struct dwconv2d_state* s = calloc(1, sizeof *s);
  if (!s) return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  s->config = c->kernel_data;
  s->packed = aligned_alloc(64, ((sn2_f32_dwconv2d_packed_size(p->output_channels, s->config->cb) * sizeof(float)) + 63) / 64 * 64);
  if (!s->packed) {
    destroy(s);
    return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  }
  sn2_f32_dwconv2d_pack(p->output_channels, s->config->cb, p->weights, p->bias, s->packed);
  s->problem = (struct sn2_dwconv2d_problem){
      .batch = in->shape.n, .in_h = in->shape.h, .in_w = in->shape.w,
      .out_h = out->shape.h, .out_w = out->shape.w, .channels = p->output_channels,
      .stride = p->stride_h, .pad_top = p->pad_top, .pad_left = p->pad_left,
      .input = in->data, .input_stride = in->pixel_stride, .packed = s->packed,
      .output = out->data, .output_stride = out->pixel_stride,
      .params = {p->output_min, p->output_max},
  };
  *state_out = s;
  return sn2_status_success;
}

static void run(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  (void)c;
  const struct dwconv2d_state* s = state;
  sn2_f32_dwconv2d_run(s->config, &s->problem, pool);
}

static const struct sn2_dwconv2d_config configs[] = {
#if SN2_ARCH_X86
    {sn2_f32_dwconv2d_3x3_minmax_ukernel_16c__avx512f, 16, sn2_isa_avx512f, "sn2:f32_dwconv2d_3x3_16c__avx512f", true},
    {sn2_f32_dwconv2d_3x3_minmax_ukernel_8c__avx2, 8, sn2_isa_avx2, "sn2:f32_dwconv2d_3x3_8c__avx2", true},
#elif SN2_ARCH_ARM64
    {sn2_f32_dwconv2d_3x3_minmax_ukernel_4c__neon, 4, sn2_isa_neon, "sn2:f32_dwconv2d_3x3_4c__neon", false},
#endif
    {sn2_f32_dwconv2d_3x3_minmax_ukernel_4c__scalar, 4, sn2_isa_scalar, "sn2:f32_dwconv2d_3x3_4c__scalar", false},
};
#define CONFIG_COUNT (sizeof configs / sizeof configs[0])

bool sn2_dwconv2d_supports(const struct sn2_conv2d_params* p) {
  return p->kernel_h == 3 && p->kernel_w == 3 && p->groups == p->input_channels &&
         p->groups == p->output_channels && p->dilation_h == 1 && p->dilation_w == 1 &&
         p->stride_h == p->stride_w && (p->stride_h == 1 || p->stride_h == 2);
}

SN2_DEFINE_CONFIG_BACKENDS(sn2_dwconv2d_config, sn2_get_dwconv2d_config, sn2_dwconv2d_backend, create, run,
                           destroy, false)
