// The pointwise gather/scatter kernels as an op backend: weights packed per session for the
// kernel's NR, pixels split over the thread pool in tiles of MR (each tile writes only its own
// pixels, so results do not depend on the thread count).
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "kernels/backend.h"
#include "kernels/config/pwconv-config.h"
#include "kernels/f32-pwconv/conv-taps.h"
#include "kernels/parallel.h"

struct pwconv_state {
  const struct sn2_pwconv_config* config;
  float* packed;
  uint32_t* identity_slots;
  struct sn2_pwconv_run* runs;
  uint32_t* block_first;
  struct sn2_pwconv_problem* problems;  // one per group of a grouped conv
  size_t groups;
  size_t images;  // a fused global average: problems[0].pixels per image
};

struct pwconv_task {
  const struct sn2_pwconv_config* config;
  const struct sn2_pwconv_problem* problems;  // `groups` problems of one geometry
  size_t groups;
  size_t blocks, tiles;
  size_t blocks_per_chunk, tiles_per_chunk, tile_chunks;
  bool tiles_outer;
};

// One block of NR output channels for one tile of MR pixels; `prefetch`: this tile's share of
// the next block's weights.
static void run_block_tile(const struct pwconv_task* t, const struct sn2_pwconv_problem* p, size_t block,
                           size_t tile, const void* prefetch) {
  const size_t mr = t->config->mr, nr = t->config->nr;
  const size_t first = tile * mr, rows = p->pixels - first < mr ? p->pixels - first : mr;
  const size_t channel = block * nr, count = p->n - channel < nr ? p->n - channel : nr;
  const float* inputs[SN2_PWCONV_MAX_MR];
  float* outputs[SN2_PWCONV_MAX_MR];
  for (size_t r = 0; r < mr; r++) {
    const size_t pixel = first + (r < rows ? r : rows - 1);
    inputs[r] = p->input + pixel * p->input_stride;
    outputs[r] = p->output + pixel * p->output_stride;
  }
  const uint32_t run = p->block_first[block];
  t->config->ukernel(rows, p->k, count, inputs, p->input_slots, p->packed + block * nr * (p->k + 1),
                     outputs, p->runs + run, p->block_first[block + 1] - run, prefetch, &p->params);
}

// A chunk: consecutive blocks x consecutive tiles. Blocks outermost where a layer's weights
// outgrow L1 (a block's packed weights stay there while the chunk's pixels pass; the chunk's
// tiles share prefetching the next one's). Where all of them fit in a third of L1 (k = 24 up
// to 128 channels, 48 -> 48, 58 -> 58), tiles outermost: each tile's output lines are then
// written whole at once (blocks outermost wrote every pixel's line in a piece per block, and a
// 56x56x122 output, 1.5 MB, came back from L2 or L3 for each), and its input read once.
enum { TILES_OUTER_MAX_WEIGHT_BYTES = 16384 };

// Item = chunk * groups + group: a thread's contiguous range of items covers its chunks (pixels,
// or on small maps channel blocks) in every group, the split a single problem gets.
static void run_chunk(void* context, size_t item) {
  const struct pwconv_task* t = context;
  const struct sn2_pwconv_problem* p = &t->problems[item % t->groups];
  const size_t chunk = item / t->groups;
  const size_t nr = t->config->nr;
  const size_t first_block = chunk / t->tile_chunks * t->blocks_per_chunk;
  const size_t first = chunk % t->tile_chunks * t->tiles_per_chunk;
  const size_t last_block = first_block + t->blocks_per_chunk < t->blocks ? first_block + t->blocks_per_chunk : t->blocks;
  const size_t last = first + t->tiles_per_chunk < t->tiles ? first + t->tiles_per_chunk : t->tiles;
  if (t->tiles_outer) {
    for (size_t tile = first; tile < last; tile++) {
      for (size_t block = first_block; block < last_block; block++) run_block_tile(t, p, block, tile, NULL);
    }
    return;
  }
  for (size_t block = first_block; block < last_block; block++) {
    size_t share = 0;
    const char* plan = sn2_f32_pwconv_prefetch_plan(p->packed, p->k, p->n, nr, block, last - first, &share);
    for (size_t tile = first; tile < last; tile++) {
      run_block_tile(t, p, block, tile, sn2_f32_pwconv_prefetch_share(plan, share, p->k, nr, tile - first));
    }
  }
}

// How threads share the work: chunks of balanced size (kernels/parallel.h). Large images
// are split by pixels: splitting by channels would have both threads write the same pixels'
// cache lines. Small ones (ShuffleNet's 7x7 stage: 7 tiles, weight-bound) are split by
// channel blocks, so that each core streams only its share of the weights; the threads
// then meet on at most one cache line per pixel.
// The groups of a grouped conv share one parallel region (one wake-up and barrier, not one per
// group).
void sn2_f32_pwconv_run_groups(const struct sn2_pwconv_config* config, const struct sn2_pwconv_problem* problems,
                               size_t groups, void* threadpool) {
  const struct sn2_pwconv_problem* problem = &problems[0];
  const size_t threads = threadpool ? pthreadpool_get_threads_count((pthreadpool_t)threadpool) : 1;
  struct pwconv_task task = {config, problems, groups, (problem->n + config->nr - 1) / config->nr,
                             (problem->pixels + config->mr - 1) / config->mr, 0, 0, 0, false};
  task.tiles_outer = sn2_f32_pwconv_packed_size(problem->k, problem->n, config->nr) * sizeof(float) <=
                     TILES_OUTER_MAX_WEIGHT_BYTES;
  const bool by_blocks = threads > 1 && task.tiles < 4 * threads && task.blocks >= task.tiles;
  const size_t per_chunk = sn2_balanced_chunk(by_blocks ? task.blocks : task.tiles, threads);
  task.blocks_per_chunk = by_blocks ? per_chunk : task.blocks;
  task.tiles_per_chunk = by_blocks ? task.tiles : per_chunk;
  task.tile_chunks = (task.tiles + task.tiles_per_chunk - 1) / task.tiles_per_chunk;
  const size_t block_chunks = (task.blocks + task.blocks_per_chunk - 1) / task.blocks_per_chunk;
  pthreadpool_parallelize_1d((pthreadpool_t)threadpool, run_chunk, &task, block_chunks * task.tile_chunks * groups, 0);
}

void sn2_f32_pwconv_run(const struct sn2_pwconv_config* config, const struct sn2_pwconv_problem* problem,
                        void* threadpool) {
  sn2_f32_pwconv_run_groups(config, problem, 1, threadpool);
}

struct global_average_task {
  const struct sn2_pwconv_config* config;
  const struct sn2_pwconv_problem* p;
  size_t tiles, blocks_per_chunk, block_chunks;
  float scale;
};

// Adds `rows` rows of a tile's scratch to the block's sums, in pixel order.
static void add_rows(float* sums, const float* scratch, size_t rows, size_t count, size_t nr) {
  for (size_t r = 0; r < rows; r++) {
    for (size_t j = 0; j < count; j++) sums[j] += scratch[r * nr + j];
  }
}

// One image's channel blocks of one chunk: per block, every tile through the micro-kernel into
// a scratch, each row added to the block's sums in pixel order; then mean = sum * scale, as
// the reference global average pool computes it. Two scratches: a tile's rows are added after
// the next tile is computed, when the kernel's 64-byte masked stores have long reached L1;
// adding them right after the stores took 1.03-1.07x the time of the pair (docs/performance.md),
// most likely narrower loads waiting on stores they cannot forward from. The next block's
// weights are prefetched as in sn2_f32_pwconv_run (conv5's 1.9 MB come from L3 once per
// inference).
static void run_global_average_chunk(void* context, size_t chunk) {
  const struct global_average_task* t = context;
  const struct sn2_pwconv_problem* p = t->p;
  const size_t mr = t->config->mr, nr = t->config->nr;
  const size_t image = chunk / t->block_chunks;
  const size_t blocks = (p->n + nr - 1) / nr;
  const size_t first_block = chunk % t->block_chunks * t->blocks_per_chunk;
  const size_t last_block = first_block + t->blocks_per_chunk < blocks ? first_block + t->blocks_per_chunk : blocks;
  const float* input = p->input + image * p->pixels * p->input_stride;
  float* output = p->output + image * p->output_stride;
  float scratch[2][SN2_PWCONV_MAX_MR * SN2_PWCONV_MAX_NR];
  float sums[SN2_PWCONV_MAX_NR];
  const float* inputs[SN2_PWCONV_MAX_MR];
  float* scratch_rows[2][SN2_PWCONV_MAX_MR];
  for (size_t r = 0; r < mr; r++) scratch_rows[0][r] = scratch[0] + r * nr, scratch_rows[1][r] = scratch[1] + r * nr;
  for (size_t block = first_block; block < last_block; block++) {
    const size_t channel = block * nr, count = p->n - channel < nr ? p->n - channel : nr;
    const struct sn2_pwconv_run whole = {0, (uint32_t)count, 0};
    size_t share = 0;
    const char* plan = sn2_f32_pwconv_prefetch_plan(p->packed, p->k, p->n, nr, block, t->tiles, &share);
    for (size_t j = 0; j < count; j++) sums[j] = 0.0f;
    size_t pending = 0;  // rows of the previous tile, in scratch[(tile - 1) % 2]
    for (size_t tile = 0; tile < t->tiles; tile++) {
      const size_t first = tile * mr, rows = p->pixels - first < mr ? p->pixels - first : mr;
      for (size_t r = 0; r < mr; r++) inputs[r] = input + (first + (r < rows ? r : rows - 1)) * p->input_stride;
      t->config->ukernel(rows, p->k, count, inputs, p->input_slots, p->packed + block * nr * (p->k + 1),
                         scratch_rows[tile % 2], &whole, 1,
                         sn2_f32_pwconv_prefetch_share(plan, share, p->k, nr, tile), &p->params);
      if (tile > 0) add_rows(sums, scratch[(tile - 1) % 2], pending, count, nr);
      pending = rows;
    }
    add_rows(sums, scratch[(t->tiles - 1) % 2], pending, count, nr);
    const uint32_t run_end = p->block_first[block + 1];
    for (uint32_t i = p->block_first[block]; i < run_end; i++) {
      const struct sn2_pwconv_run* run = &p->runs[i];
      for (uint32_t j = run->begin; j < run->end; j++) output[run->offset + (j - run->begin)] = sums[j] * t->scale;
    }
  }
}

void sn2_f32_pwconv_global_average_run(const struct sn2_pwconv_config* config,
                                       const struct sn2_pwconv_problem* problem, size_t images,
                                       void* threadpool) {
  const size_t threads = threadpool ? pthreadpool_get_threads_count((pthreadpool_t)threadpool) : 1;
  const size_t blocks = (problem->n + config->nr - 1) / config->nr;
  struct global_average_task task = {config, problem, (problem->pixels + config->mr - 1) / config->mr, 0, 0,
                                     1.0f / (float)problem->pixels};
  task.blocks_per_chunk = sn2_balanced_chunk(blocks, images >= threads ? 1 : threads);
  task.block_chunks = (blocks + task.blocks_per_chunk - 1) / task.blocks_per_chunk;
  pthreadpool_parallelize_1d((pthreadpool_t)threadpool, run_global_average_chunk, &task,
                             images * task.block_chunks, 0);
}

static void destroy(void* state) {
  struct pwconv_state* s = state;
  if (!s) return;
  free(s->packed);
  free(s->identity_slots);
  free(s->runs);
  free(s->block_first);
  free(s->problems);
  free(s);
}

// The kernels add a residual as each output's prior value: it must be stored exactly where the
// output goes (the plan puts the output there, engine/src/model.c).
static bool residual_in_place(const struct sn2_tensor* residual, const struct sn2_tensor* out) {
  if (residual->data != out->data || residual->pixel_stride != out->pixel_stride) return false;
  for (uint32_t q = 0; q < out->shape.c; q++) {
    const uint32_t r = residual->channel_slots ? residual->channel_slots[q] : q;
    const uint32_t o = out->channel_slots ? out->channel_slots[q] : q;
    if (r != o) return false;
  }
  return true;
}

// A grouped 1x1 conv is one problem per group: its slice of the input's slot table, its panel
// of packed weights, the runs of its output channels. Each group's packed weights start on a
// cache line: a 64-byte vector load never straddles two.
static enum sn2_status create(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  (void)pool;
  const struct sn2_conv2d_params* p = &c->node->params.conv2d;
  const struct sn2_tensor* in = &c->inputs[0];
  const struct sn2_tensor* out = &c->outputs[0];
  const struct sn2_pwconv_config* config = c->kernel_data;
  if (p->global_average && (config->mr > SN2_PWCONV_MAX_MR || config->nr > SN2_PWCONV_MAX_NR)) {
    return sn2_error(sn2_status_unsupported_parameter, "node %s: %s has tiles wider than its scratch",
                     c->node->name, config->global_average_name);
  }
  const size_t groups = p->groups;  // dividing both channel counts: the graph's validation
  if (p->global_average && groups != 1) {
    return sn2_error(sn2_status_unsupported_parameter, "node %s: %s fuses a global average into ungrouped convs only",
                     c->node->name, config->global_average_name);
  }
  if (p->residual && !residual_in_place(&c->inputs[1], out)) {
    return sn2_error(sn2_status_unsupported_parameter,
                     "node %s: %s adds a residual only in place (the residual stored where the output goes)",
                     c->node->name, config->name);
  }
  struct pwconv_state* s = calloc(1, sizeof *s);
  if (!s) return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  s->config = config;
  s->groups = groups;
  const size_t k = p->input_channels / groups, n = p->output_channels / groups, nr = config->nr;
  const size_t panel = (sn2_f32_pwconv_packed_size(k, n, nr) + 15) / 16 * 16;  // floats, whole lines
  const size_t blocks = (n + nr - 1) / nr;
  const size_t identity = p->input_channels > p->output_channels ? p->input_channels : p->output_channels;
  s->packed = aligned_alloc(64, groups * panel * sizeof(float));
  if (!in->channel_slots || !out->channel_slots) s->identity_slots = malloc(identity * sizeof(uint32_t));
  s->runs = malloc(groups * n * sizeof *s->runs);
  s->block_first = malloc(groups * (blocks + 1) * sizeof *s->block_first);
  s->problems = calloc(groups, sizeof *s->problems);
  if (!s->packed || ((!in->channel_slots || !out->channel_slots) && !s->identity_slots) || !s->runs ||
      !s->block_first || !s->problems) {
    destroy(s);
    return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  }
  for (size_t q = 0; s->identity_slots && q < identity; q++) s->identity_slots[q] = (uint32_t)q;
  const uint32_t* in_slots = in->channel_slots ? in->channel_slots : s->identity_slots;
  const uint32_t* out_slots = out->channel_slots ? out->channel_slots : s->identity_slots;
  // A fused global average runs the conv over each image's pixels; its output has one.
  s->images = p->global_average ? in->shape.n : 1;
  for (size_t g = 0; g < groups; g++) {
    float* packed = s->packed + g * panel;
    sn2_f32_pwconv_pack(k, n, nr, p->weights + g * n * k, p->bias ? p->bias + g * n : NULL, packed);
    sn2_f32_pwconv_make_runs(n, nr, out_slots + g * n, s->runs + g * n, s->block_first + g * (blocks + 1));
    s->problems[g] = (struct sn2_pwconv_problem){
        .pixels = p->global_average ? (size_t)in->shape.h * in->shape.w
                                    : (size_t)out->shape.n * out->shape.h * out->shape.w,
        .k = k, .n = n,
        .input = in->data, .input_stride = in->pixel_stride,
        .input_slots = in_slots + g * k,
        .packed = packed,
        .output = out->data, .output_stride = out->pixel_stride,
        .runs = s->runs + g * n, .block_first = s->block_first + g * (blocks + 1),
        .params = {p->output_min, p->output_max, p->residual},
    };
  }
  *state_out = s;
  return sn2_status_success;
}

static void run(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  (void)c;
  const struct pwconv_state* s = state;
  sn2_f32_pwconv_run_groups(s->config, s->problems, s->groups, pool);
}

static void run_global_average(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  (void)c;
  const struct pwconv_state* s = state;
  sn2_f32_pwconv_global_average_run(s->config, &s->problems[0], s->images, pool);
}

// The kernels this build has, the default first per ISA; the backends are built from these
// rows once, named by them (C cannot initialise one table from the other at file scope).
static const struct sn2_pwconv_config configs[] = {
#if SN2_ARCH_X86
    {sn2_f32_pwconv_minmax_ukernel_7x32__avx512f, 7, 32, sn2_isa_avx512f, "sn2:f32_pwconv_7x32__avx512f",
     "sn2:f32_conv2d_taps_7x32__avx512f", "sn2:f32_pwconv_global_average_7x32__avx512f"},
    {sn2_f32_pwconv_minmax_ukernel_7x48__avx512f, 7, 48, sn2_isa_avx512f, "sn2:f32_pwconv_7x48__avx512f",
     "sn2:f32_conv2d_taps_7x48__avx512f", "sn2:f32_pwconv_global_average_7x48__avx512f"},
    {sn2_f32_pwconv_minmax_ukernel_6x16__avx2, 6, 16, sn2_isa_avx2, "sn2:f32_pwconv_6x16__avx2",
     "sn2:f32_conv2d_taps_6x16__avx2", "sn2:f32_pwconv_global_average_6x16__avx2"},
#elif SN2_ARCH_ARM64
    {sn2_f32_pwconv_minmax_ukernel_4x16__neon, 4, 16, sn2_isa_neon, "sn2:f32_pwconv_4x16__neon",
     "sn2:f32_conv2d_taps_4x16__neon", "sn2:f32_pwconv_global_average_4x16__neon"},
#endif
    {sn2_f32_pwconv_minmax_ukernel_4x4__scalar, 4, 4, sn2_isa_scalar, "sn2:f32_pwconv_4x4__scalar",
     "sn2:f32_conv2d_taps_4x4__scalar", "sn2:f32_pwconv_global_average_4x4__scalar"},
};
#define CONFIG_COUNT (sizeof configs / sizeof configs[0])
static struct sn2_op_backend backends[CONFIG_COUNT], taps_backends[CONFIG_COUNT],
    global_average_backends[CONFIG_COUNT];
static pthread_once_t backends_once = PTHREAD_ONCE_INIT;
static void init_backends(void) {
  for (size_t i = 0; i < CONFIG_COUNT; i++) {
    backends[i] = (struct sn2_op_backend){configs[i].name, create, run, destroy, &configs[i], false};
    taps_backends[i] = (struct sn2_op_backend){configs[i].taps_name, sn2_conv_taps_create, sn2_conv_taps_run,
                                               sn2_conv_taps_destroy, &configs[i], true};
    global_average_backends[i] = (struct sn2_op_backend){configs[i].global_average_name, create,
                                                         run_global_average, destroy, &configs[i], false};
  }
}

const struct sn2_pwconv_config* sn2_get_pwconv_configs(size_t* count) {
  *count = CONFIG_COUNT;
  return configs;
}

const struct sn2_pwconv_config* sn2_get_pwconv_config(enum sn2_isa isa) {
  for (size_t i = 0; i < CONFIG_COUNT; i++) {
    if (configs[i].isa == isa) return &configs[i];
  }
  return NULL;
}

// The tile with the cheapest k-loop for the layer's width. Each block computes only the 16-lane
// vectors that hold its channels, so both tiles compute the same whole vectors; what differs
// is the blocks. Per input channel, a block of V vectors issues 7V FMAs (2 per cycle) beside
// 9 + V loads (7 broadcasts, the channel's slot, a prefetch, V weight vectors), and this core
// sustains about 1.4 loads per cycle beside FMAs (a throwaway probe of loads mixed with FMAs):
// a block of one vector costs about 7.1 cycles, of two 7.9, of three 10.5. Fewest cycles; on a
// tie the first row (the narrower tile). Measured per shape (build/sn2_bench,
// f32_pwconv/sn2_7x(32|48)_avx512f/contiguous, 17:47, both with partial blocks): 7x48 0.91x the
// time of 7x32 at 352 channels, 0.95x at 116, 0.98x at 244, 1.08x at 58 (a 48-lane block and
// a 16-lane one against two 32-lane ones); the model picks the faster tile on each.
static unsigned block_tenths_of_cycles(size_t vectors) {
  const unsigned fmas = (unsigned)(35 * vectors), loads = (unsigned)((9 + vectors) * 100 / 14);
  return fmas > loads ? fmas : loads;
}

static unsigned cost(size_t i, size_t n) {
  const size_t nr = configs[i].nr, rest = n % nr;
  return (unsigned)(n / nr) * block_tenths_of_cycles(nr / 16) + (rest ? block_tenths_of_cycles((rest + 15) / 16) : 0);
}

static size_t choose(enum sn2_isa isa, size_t n) {
  size_t best = CONFIG_COUNT;
  for (size_t i = 0; i < CONFIG_COUNT; i++) {
    if (configs[i].isa == isa && (best == CONFIG_COUNT || cost(i, n) < cost(best, n))) best = i;
  }
  return best;
}

const struct sn2_pwconv_config* sn2_choose_pwconv_config(enum sn2_isa isa, size_t n) {
  const size_t i = choose(isa, n);
  return i < CONFIG_COUNT ? &configs[i] : NULL;
}

// `table`'s row for the kernel chosen for n output channels.
static const struct sn2_op_backend* backend_for(const struct sn2_op_backend* table, enum sn2_isa isa, size_t n) {
  const size_t i = choose(isa, n);
  if (i == CONFIG_COUNT) return NULL;
  pthread_once(&backends_once, init_backends);
  return &table[i];
}

const struct sn2_op_backend* sn2_pwconv_backend(enum sn2_isa isa, size_t output_channels) {
  return backend_for(backends, isa, output_channels);
}

const struct sn2_op_backend* sn2_conv_taps_backend(enum sn2_isa isa, size_t output_channels) {
  return backend_for(taps_backends, isa, output_channels);
}

const struct sn2_op_backend* sn2_pwconv_global_average_backend(enum sn2_isa isa, size_t output_channels) {
  return backend_for(global_average_backends, isa, output_channels);
}
