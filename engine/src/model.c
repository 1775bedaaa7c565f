// Models: compile a graph into a plan (a kernel per node, one arena) and answer queries on it.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/engine.h"
#include "engine/src/error.h"
#include "graph/builder.h"
#include "graph/memory-plan.h"
#include "graph/onnx-import.h"
#include "graph/passes.h"
#include "graph/rewrite.h"
#include "kernels/config/conv-chw2hwc-config.h"
#include "kernels/config/dwconv2d-config.h"
#include "kernels/config/hardware-config.h"
#include "kernels/config/maxpool2d-config.h"

// Arena offsets are cache-line aligned: no two values share a line, and SIMD loads align.
#define SN2_ARENA_ALIGNMENT 64

static void copy_dims(const struct sn2_value* v, uint32_t* dims, uint32_t* rank) {
  memcpy(dims, v->dims, v->rank * sizeof *dims);
  *rank = v->rank;
}

// True if the node reads and writes its feature maps as contiguous channel ranges.
static bool plain_access(const struct sn2_model* model, uint32_t n) {
  const struct sn2_graph* g = model->graph;
  const struct sn2_node* node = &g->nodes[n];
  for (uint32_t i = 0; i < node->input_count; i++) {
    const uint32_t v = node->inputs[i];
    const uint32_t* slots = model->views.slots[v];
    if (slots && !(i == 0 && model->views.read_offset[n] != UINT32_MAX) &&
        !sn2_slots_contiguous(slots, g->values[v].dims[1])) {
      return false;
    }
  }
  for (uint32_t o = 0; o < node->output_count; o++) {
    const uint32_t v = node->outputs[o];
    const uint32_t* slots = model->views.slots[v];
    if (slots && !(o == 0 && model->views.write_offset[n] != UINT32_MAX) &&
        !sn2_slots_contiguous(slots, g->values[v].dims[1])) {
      return false;
    }
  }
  return true;
}

// True if v is a whole buffer in plain storage order (for XNNPACK's nd ops): not inside a wider
// pixel, and, for a smaller-rank operand broadcast against a feature map, stored in the same
// order as its NHWC broadcast.
static bool dense_value(const struct sn2_model* model, uint32_t v, uint32_t out_rank) {
  const struct sn2_value* value = &model->graph->values[v];
  const uint32_t* slots = model->views.slots[v];
  if (slots && (!sn2_slots_contiguous(slots, value->dims[1]) || slots[0] != 0 ||
                model->views.width[model->views.root[v]] != value->dims[1])) {
    return false;
  }
  if (value->rank >= out_rank || out_rank != 4) return value->rank <= out_rank;
  uint32_t padded[4] = {1, 1, 1, 1};
  for (uint32_t d = 0; d < value->rank; d++) padded[4 - value->rank + d] = value->dims[d];
  return padded[1] == 1 || (uint64_t)padded[2] * padded[3] == 1;
}

static bool dense_access(const struct sn2_model* model, uint32_t n) {
  const struct sn2_node* node = &model->graph->nodes[n];
  const uint32_t rank = model->graph->values[node->outputs[0]].rank;
  for (uint32_t i = 0; i < node->input_count; i++) {
    if (!dense_value(model, node->inputs[i], rank)) return false;
  }
  return dense_value(model, node->outputs[0], rank);
}

// Where sn2's depthwise 3x3 kernels beat XNNPACK's, as measured by bench/f32-dwconv2d.cc
// (docs/performance.md): the AVX-512 and the AVX2 kernels, both with multi-pixel groups.
static bool prefer_sn2_depthwise(const struct sn2_model* model, const struct sn2_node* node) {
  return (model->isa == sn2_isa_avx512f || model->isa == sn2_isa_avx2) &&
         sn2_dwconv2d_supports(&node->params.conv2d);
}

// True if a conv's fused residual and its output are the same storage (the channel views put
// the output there where nothing else needed the residual's slots).
static bool residual_in_place(const struct sn2_model* model, uint32_t n) {
  const struct sn2_graph* g = model->graph;
  const uint32_t r = g->nodes[n].inputs[1], y = g->nodes[n].outputs[0];
  return g->values[r].rank == 4 && model->views.root[r] == model->views.root[y] &&
         memcmp(model->views.slots[r], model->views.slots[y], g->values[r].dims[1] * sizeof(uint32_t)) == 0;
}

// A max pool sn2's kernels compute: 3x3 stride 2 on a feature map, at most one padding row or
// column per side.
static bool maxpool_fits(const struct sn2_model* model, uint32_t n) {
  const struct sn2_graph* g = model->graph;
  const struct sn2_node* node = &g->nodes[n];
  if (node->type != sn2_op_max_pool) return false;
  const struct sn2_value* in = &g->values[node->inputs[0]];
  const struct sn2_value* out = &g->values[node->outputs[0]];
  return in->rank == 4 && sn2_maxpool2d_supports(&node->params.pool, in->dims[2], in->dims[3],
                                                 out->dims[2], out->dims[3]);
}

// sn2's 3x3 stride-2 max pool (the stem's) on the AVX-512 and AVX2 paths, where it measured
// faster than XNNPACK's, with XNNPACK's AVX-512 kernels as with its AVX2 ones
// (bench/f32-maxpool2d.cc, docs/performance.md).
static bool prefer_sn2_maxpool(const struct sn2_model* model, uint32_t n) {
  return (model->isa == sn2_isa_avx512f || model->isa == sn2_isa_avx2) && maxpool_fits(model, n);
}

// A 1x1 conv the pointwise backend runs: ungrouped, or grouped (ShuffleNet V1's, the G2
// experiment's) with groups wide enough for its blocks (sn2_conv_is_gather_pointwise; the
// graph's validation has checked that groups divide both channel counts), each group its own
// problem.
static bool pointwise_backend_serves(const struct sn2_conv2d_params* c) {
  return !c->averaging && !c->global_average && !c->max_pooled && sn2_conv_is_gather_pointwise(c);
}

static const struct sn2_op_backend* pointwise_backend(const struct sn2_model* model, const struct sn2_node* node) {
  const struct sn2_conv2d_params* c = &node->params.conv2d;
  return pointwise_backend_serves(c) ? sn2_pwconv_backend(model->isa, c->output_channels / c->groups) : NULL;
}

// The path is the CPU's best SIMD path: AVX-512, or AVX2 on a CPU without AVX-512. XNNPACK picks
// its kernels from the CPU, not from sn2's path, so only there does it run kernels of the same
// ISA as sn2's; the AVX2 path forced on an AVX-512 CPU keeps XNNPACK's AVX-512 ones, and the
// plan weighs sn2's kernels against those.
static bool cpu_best_simd_path(const struct sn2_model* model) {
  return model->isa == sn2_isa_avx512f || (model->isa == sn2_isa_avx2 && !sn2_get_hardware_config()->avx512f);
}

// True where sn2's pointwise kernels run every 1x1 conv they serve, grouped ones included, on
// plain tensors as on views: the AVX-512 path, where they beat XNNPACK's convolution on every
// ShuffleNet shape (bench/f32-pwconv.cc) and on V1's grouped convs (V1 networks 0.92-1.00x the
// time with them on XNNPACK); the AVX2 path of a CPU without AVX-512, where XNNPACK runs its
// AVX2 kernels and sn2's 6x16 one is 1.2-1.9x their speed from 48 input channels up, level at
// 24 (emulated, tools/kernel_bars.py --isa avx2); and the portable scalar path, which has no XNNPACK (docs/performance.md). Elsewhere
// (the AVX2 path forced on an AVX-512 CPU, whose XNNPACK still runs AVX-512 kernels) XNNPACK
// serves the 1x1 convs on plain tensors, sn2's kernels only those on views.
static bool pointwise_kernels_run_every_1x1(const struct sn2_model* model) {
  return !(model->options.flags & (SN2_FLAG_REFERENCE | SN2_FLAG_XNNPACK_ONLY)) &&
         (cpu_best_simd_path(model) || !model->xnnpack);
}

// Where the grouped 1x1 convs run on kernels that read and write slot tables, so that they may
// take a channel view (ShuffleNet V1's shuffle, which the depthwise conv before them absorbs):
// the reference executor, and sn2's pointwise kernels where they run every 1x1 conv. Elsewhere
// XNNPACK runs them on plain tensors, after the shuffle's copy: on the AVX2 path sn2's kernel
// gathering the view was about a quarter slower than that (V1 g=3, docs/performance.md).
static bool grouped_pointwise_reads_slots(const struct sn2_model* model) {
  return (model->options.flags & SN2_FLAG_REFERENCE) || pointwise_kernels_run_every_1x1(model);
}

// Dense k x k convs (groups 1) on the taps driver over the same kernels, on the AVX-512 path:
// measured on ShuffleNet's stem, under half XNNPACK's time (docs/performance.md); and on the
// AVX2 path of a CPU without AVX-512 (networks 0.87-0.98x the time with the stem there rather
// than on XNNPACK's AVX2 kernels, emulated: docs/performance.md). Other dense convs take the
// same kernels, unmeasured. Other paths: XNNPACK.
static bool prefer_sn2_taps(const struct sn2_model* model, const struct sn2_node* node) {
  const struct sn2_conv2d_params* c = &node->params.conv2d;
  return cpu_best_simd_path(model) && c->groups == 1 && !c->averaging &&
         !sn2_conv_is_pointwise(c);
}

// The node that may read the graph input in the caller's N, C, H, W layout, or SN2_INVALID_ID:
// the input is a plain rank-4 feature map read by one node, as its first input, whole.
static uint32_t planar_input_reader(const struct sn2_model* model) {
  const struct sn2_graph* g = model->graph;
  const uint32_t x = g->input;
  const struct sn2_value* value = &g->values[x];
  if (value->rank != 4 || model->views.input_alias != SN2_INVALID_ID || model->views.root[x] != x ||
      model->views.width[x] != value->dims[1]) {
    return SN2_INVALID_ID;
  }
  const uint32_t* slots = model->views.slots[x];
  if (slots && (!sn2_slots_contiguous(slots, value->dims[1]) || slots[0] != 0)) return SN2_INVALID_ID;
  uint32_t readers = 0, reader = 0;
  for (uint32_t n = 0; n < g->node_count; n++) {
    for (uint32_t i = 0; i < g->nodes[n].input_count; i++) {
      if (g->nodes[n].inputs[i] == x) readers++, reader = n;
    }
  }
  return readers == 1 && g->nodes[reader].inputs[0] == x && model->views.read_offset[reader] == UINT32_MAX
             ? reader
             : SN2_INVALID_ID;
}

// The stem (3x3 stride 2 from the image, up to 24 channels) on sn2's kernel that reads the
// caller's channel planes, on the AVX-512 path: in x1.0 about 0.75x the time of the taps driver
// (conv1 211-220 -> 155-172 us, `--profile-ops`), 1.8-1.9x XNNPACK's convolution
// (bench/f32-conv-chw2hwc.cc; docs/performance.md); and on the AVX2 path of a CPU without
// AVX-512, where its AVX2 kernel is faster than the taps driver and XNNPACK's AVX2 convolution
// alike (emulated, docs/performance.md).
static bool prefer_sn2_chw2hwc(const struct sn2_model* model, uint32_t n) {
  const struct sn2_node* node = &model->graph->nodes[n];
  // The graph input's one reader gets it as the caller's planes (plan_planar_input); any other
  // reader, e.g. a channels-last model's stem, reads pixels (the kernel gathers their columns:
  // on the Keras export's stem 190-203 us against 203-217 on the taps driver, --profile-ops).
  return cpu_best_simd_path(model) && node->type == sn2_op_conv2d &&
         sn2_conv_chw2hwc_supports(&node->params.conv2d) && model->views.read_offset[n] == UINT32_MAX;
}

// The stem and the max pool after it as one op (the AVX-512 plan; the AVX2 plan of a CPU
// without AVX-512), where both have sn2's kernels: the conv reads the graph input (its only
// reader), directly or through the transpose of a channels-last model, and the pool's windows
// fit the pool kernel. Measured in docs/performance.md.
static bool stem_pool_fusable(const struct sn2_graph* graph, const uint32_t* consumers, const struct sn2_node* conv,
                              const struct sn2_node* pool) {
  const struct sn2_conv2d_params* c = &conv->params.conv2d;
  const struct sn2_value* map = &graph->values[pool->inputs[0]];
  const struct sn2_value* out = &graph->values[pool->outputs[0]];
  uint32_t image = conv->inputs[0];
  const uint32_t producer = graph->values[image].producer;
  if (producer != SN2_INVALID_ID && graph->nodes[producer].type == sn2_op_transpose) {
    static const uint32_t to_nchw[4] = {0, 3, 1, 2};
    const struct sn2_node* t = &graph->nodes[producer];
    if (graph->values[image].rank != 4 || memcmp(t->params.transpose.perm, to_nchw, sizeof to_nchw) != 0) return false;
    image = t->inputs[0];
  }
  // The image and, through a transpose, its transposed form have one reader each.
  const bool one_reader = sn2_has_single_consumer(consumers, graph, image) &&
                          sn2_has_single_consumer(consumers, graph, conv->inputs[0]);
  return image == graph->input && one_reader && graph->values[conv->inputs[0]].rank == 4 &&
         sn2_conv_chw2hwc_supports(c) &&
         sn2_maxpool2d_supports(&pool->params.pool, map->dims[2], map->dims[3], out->dims[2], out->dims[3]);
}

// Ops fused into the conv before them where sn2's own kernels run that conv, as the fused ops
// have no XNNPACK operator (so neither the XNNPACK-only plan nor the reference plan gets them):
// residual adds into 1x1 convs where sn2's pointwise kernels run every 1x1 conv; the pools
// where this build has the fused op's kernel: conv5 + global pool and the stem + max pool, on
// the AVX-512 path and on the AVX2 path of a CPU without AVX-512 (where sn2's kernels run conv5
// and the stem anyway). Measured in docs/performance.md.
static enum sn2_status fuse_into_convs(struct sn2_model* model) {
  if (model->options.flags & (SN2_FLAG_REFERENCE | SN2_FLAG_XNNPACK_ONLY)) return sn2_status_success;
  enum sn2_status status = sn2_status_success;
  if (pointwise_kernels_run_every_1x1(model)) status = sn2_pass_fuse_residual_add(model->graph);
  if (status != sn2_status_success || !cpu_best_simd_path(model)) return status;
  if (sn2_pwconv_global_average_backend(model->isa, 1)) status = sn2_pass_fuse_global_average(model->graph);
  if (status == sn2_status_success && sn2_conv_chw2hwc_maxpool_backend(model->isa)) {
    status = sn2_pass_fuse_max_pool(model->graph, stem_pool_fusable);
  }
  return status;
}

// A scalar path that was asked for (`--isa scalar`, SN2_FORCE_ISA=scalar: the portable path, and
// what the tests run it as) has no XNNPACK: sn2's scalar kernels run the 3x3 stride-2 max pools,
// the depthwise 3x3 convs, every 1x1 conv (views included; grouped ones, ShuffleNet V1's and the
// G2 experiment's, a problem per group) and the dense k x k ones (the stem, on the taps
// driver); the reference kernels the rest.
static const struct sn2_op_backend* choose_scalar_backend(const struct sn2_model* model, uint32_t n) {
  const struct sn2_node* node = &model->graph->nodes[n];
  if (node->type == sn2_op_max_pool && plain_access(model, n) && maxpool_fits(model, n)) {
    const struct sn2_op_backend* backend = sn2_maxpool2d_backend(model->isa);
    if (backend) return backend;
  }
  const struct sn2_conv2d_params* c = &node->params.conv2d;
  if (node->type != sn2_op_conv2d || c->global_average || c->max_pooled) return sn2_reference_backend(node->type);
  const struct sn2_op_backend* backend = NULL;
  if (plain_access(model, n) && sn2_dwconv2d_supports(c)) backend = sn2_dwconv2d_backend(model->isa);
  if (!backend) backend = pointwise_backend(model, node);
  if (!backend && c->groups == 1 && !c->averaging) backend = sn2_conv_taps_backend(model->isa, c->output_channels);
  return backend ? backend : sn2_reference_backend(node->type);
}

static const struct sn2_op_backend* choose_backend(const struct sn2_model* model, uint32_t n) {
  const struct sn2_node* node = &model->graph->nodes[n];
  if (model->views.is_view[n]) return sn2_view_backend();
  if (model->options.flags & SN2_FLAG_REFERENCE) return sn2_reference_backend(node->type);
  const bool own_kernels = !(model->options.flags & SN2_FLAG_XNNPACK_ONLY);
  if (node->type == sn2_op_conv2d && node->params.conv2d.residual) {
    // The pointwise kernels add the residual in place (the output's prior value); where the
    // views could not put the output there, the reference reads it apart.
    const struct sn2_op_backend* backend = own_kernels && residual_in_place(model, n) ? pointwise_backend(model, node) : NULL;
    return backend ? backend : sn2_reference_backend(node->type);
  }
  if (!model->xnnpack) return own_kernels ? choose_scalar_backend(model, n) : sn2_reference_backend(node->type);
  if (node->type == sn2_op_conv2d && node->params.conv2d.global_average) {
    // Reads and writes channel views through its slot tables, like the pointwise kernels.
    const struct sn2_op_backend* backend =
        sn2_pwconv_global_average_backend(model->isa, node->params.conv2d.output_channels);
    return backend ? backend : sn2_reference_backend(node->type);
  }
  if (node->type == sn2_op_conv2d && node->params.conv2d.max_pooled) {
    // The fused stem reads planes (the caller's image) or plain pixels; where this plan gives
    // it neither (a channel view), the reference computes the pair.
    const struct sn2_op_backend* backend = sn2_conv_chw2hwc_maxpool_backend(model->isa);
    return backend && plain_access(model, n) && prefer_sn2_chw2hwc(model, n) ? backend
                                                                             : sn2_reference_backend(node->type);
  }
  if (own_kernels && plain_access(model, n) && node->type == sn2_op_conv2d &&
      prefer_sn2_depthwise(model, node)) {
    const struct sn2_op_backend* backend = sn2_dwconv2d_backend(model->isa);
    if (backend) return backend;
  }
  if (own_kernels && plain_access(model, n) && prefer_sn2_maxpool(model, n)) {
    const struct sn2_op_backend* backend = sn2_maxpool2d_backend(model->isa);
    if (backend) return backend;
  }
  if (node->type == sn2_op_conv2d && pointwise_kernels_run_every_1x1(model)) {
    const struct sn2_op_backend* backend = pointwise_backend(model, node);
    if (backend) return backend;
  }
  if (own_kernels && plain_access(model, n) && prefer_sn2_chw2hwc(model, n)) {
    const struct sn2_op_backend* backend = sn2_conv_chw2hwc_backend(model->isa);
    if (backend) return backend;
  }
  if (own_kernels && node->type == sn2_op_conv2d && prefer_sn2_taps(model, node)) {
    const struct sn2_op_backend* backend = sn2_conv_taps_backend(model->isa, node->params.conv2d.output_channels);
    if (backend) return backend;
  }
  if (plain_access(model, n)) {
    const struct sn2_op_backend* backend = sn2_xnnpack_backend(model->graph, node, dense_access(model, n));
    if (backend) return backend;
  } else if (own_kernels && node->type == sn2_op_conv2d) {
    // A 1x1 conv reading or writing a channel view: the gather/scatter kernel of this ISA.
    const struct sn2_op_backend* backend = pointwise_backend(model, node);
    if (backend) return backend;
  }
  return sn2_reference_backend(node->type);
}

// True if the graph input stays N, C, H, W: its one reader's backend reads that layout.
static bool plan_planar_input(const struct sn2_model* model) {
  const uint32_t reader = planar_input_reader(model);
  return reader != SN2_INVALID_ID && model->ops[reader].backend->reads_planar_input;
}

// One buffer per root (a value that owns storage), alive while any value inside it is.
static enum sn2_status plan_memory(struct sn2_model* model) {
  const struct sn2_graph* graph = model->graph;
  struct sn2_usage_record* records = malloc((graph->value_count + 1) * sizeof *records);
  struct sn2_usage_record* roots = calloc(graph->value_count + 1, sizeof *roots);
  model->value_offsets = malloc((graph->value_count + 1) * sizeof *model->value_offsets);
  if (!records || !roots || !model->value_offsets) {
    free(records);
    free(roots);
    return sn2_error(sn2_status_out_of_memory, "memory plan: out of memory");
  }
  sn2_graph_value_lifetimes(graph, records);
  for (uint32_t v = 0; v < graph->value_count; v++) {
    roots[v] = (struct sn2_usage_record){.first_node = UINT32_MAX, .last_node = 0};
  }
  for (uint32_t v = 0; v < graph->value_count; v++) {
    struct sn2_usage_record* r = &roots[model->views.root[v]];
    if (records[v].first_node < r->first_node) r->first_node = records[v].first_node;
    if (records[v].last_node > r->last_node) r->last_node = records[v].last_node;
  }
  for (uint32_t v = 0; v < graph->value_count; v++) {
    const struct sn2_value* value = &graph->values[v];
    if (model->views.root[v] != v || sn2_value_is_constant(value) ||
        (v == graph->input && model->views.input_alias != SN2_INVALID_ID)) {
      roots[v].size = 0;
    } else if (value->rank == 4) {
      roots[v].size = (size_t)value->dims[0] * value->dims[2] * value->dims[3] *
                      model->views.width[v] * sizeof(float);
    } else {
      roots[v].size = records[v].size;
    }
  }
  size_t arena = 0;
  model->stats.arena_lower_bound_bytes =
      sn2_memory_lower_bound(roots, graph->value_count, SN2_ARENA_ALIGNMENT);
  enum sn2_status status = sn2_memory_plan(roots, graph->value_count, SN2_ARENA_ALIGNMENT, &arena);
  for (uint32_t v = 0; status == sn2_status_success && v < graph->value_count; v++) {
    model->value_offsets[v] = roots[model->views.root[v]].offset;
  }
  free(roots);
  model->stats.arena_bytes = arena;
  free(records);
  return status;
}

enum sn2_status sn2_model_create_from_graph(struct sn2_graph* graph,
                                            const struct sn2_options* options,
                                            sn2_model_t* model_out) {
  enum sn2_status status = sn2_status_invalid_parameter;
  struct sn2_model* model = NULL;
  if (!graph || !model_out) {
    sn2_error(status, "model: null graph or model_out");
    goto error;
  }
  *model_out = NULL;
  status = sn2_graph_validate(graph);
  if (status != sn2_status_success) goto error;
  model = calloc(1, sizeof *model);
  if (!model) {
    status = sn2_error(sn2_status_out_of_memory, "model: out of memory");
    goto error;
  }
  model->graph = graph;
  graph = NULL;
  if (options) model->options = *options;
  if (model->options.threads > 1024) {
    status = sn2_error(sn2_status_invalid_parameter, "options.threads: %u exceeds 1024",
                       model->options.threads);
    goto error;
  }
  const uint32_t known_flags = SN2_FLAG_REFERENCE | SN2_FLAG_NO_GRAPH_PASSES |
                               SN2_FLAG_NO_CHANNEL_VIEWS | SN2_FLAG_XNNPACK_ONLY;
  if (model->options.flags & ~known_flags) {
    status = sn2_error(sn2_status_invalid_parameter, "options.flags: unknown bits 0x%x",
                       model->options.flags & ~known_flags);
    goto error;
  }
  bool forced = false;
  status = sn2_resolve_isa(model->options.isa, &model->isa, &forced);
  if (status != sn2_status_success) goto error;
  model->xnnpack = !(model->isa == sn2_isa_scalar && forced);
  if (!(model->options.flags & SN2_FLAG_NO_GRAPH_PASSES)) {
    status = sn2_optimize_graph(model->graph);
    if (status == sn2_status_success) status = fuse_into_convs(model);
    if (status != sn2_status_success) goto error;
  }
  if (model->xnnpack && !(model->options.flags & SN2_FLAG_REFERENCE)) {
    status = sn2_xnnpack_initialize();
    if (status != sn2_status_success) goto error;
  }

  const struct sn2_view_rules view_rules = {!(model->options.flags & SN2_FLAG_NO_CHANNEL_VIEWS),
                                            grouped_pointwise_reads_slots(model)};
  status = sn2_plan_channel_views(model->graph, &view_rules, &model->views);
  if (status != sn2_status_success) goto error;
  const struct sn2_graph* g = model->graph;
  model->ops = calloc(g->node_count ? g->node_count : 1, sizeof *model->ops);
  if (!model->ops) {
    status = sn2_error(sn2_status_out_of_memory, "model: out of memory");
    goto error;
  }
  model->op_count = g->node_count;
  for (uint32_t n = 0; n < g->node_count; n++) {
    const struct sn2_node* node = &g->nodes[n];
    struct sn2_plan_op* op = &model->ops[n];
    op->node = n;
    op->backend = choose_backend(model, n);
    struct sn2_op_info* info = &op->info;
    info->name = node->name;
    info->type = node->type == sn2_op_conv2d && node->params.conv2d.averaging
                     ? "AveragePool"
                     : sn2_op_type_name(node->type);
    info->kernel = op->backend->kernel_name;
    copy_dims(&g->values[node->inputs[0]], info->input_dims, &info->input_rank);
    copy_dims(&g->values[node->outputs[0]], info->output_dims, &info->output_rank);
    info->macs = sn2_node_macs(g, node);
    info->mac_bytes = sn2_node_memory_access_elements(g, node) * sizeof(float);
    if (sn2_op_is_data_movement(node->type) && !model->views.is_view[n]) {
      for (uint32_t o = 0; o < node->output_count; o++) {
        info->copy_bytes += sn2_value_elements(&g->values[node->outputs[o]]) * sizeof(float);
      }
    }
    model->stats.macs += info->macs;
    model->stats.mac_bytes += info->mac_bytes;
    model->stats.copy_bytes += info->copy_bytes;
    model->stats.weight_bytes += sn2_node_weight_elements(node) * sizeof(float);
  }
  model->stats.op_count = model->op_count;
  model->planar_input = plan_planar_input(model);
  status = plan_memory(model);
  if (status != sn2_status_success) goto error;
  *model_out = model;
  return sn2_status_success;

error:
  sn2_graph_delete(graph);
  sn2_model_delete(model);
  return status;
}

enum sn2_status sn2_model_create_builtin(const char* name, const struct sn2_options* options,
                                         sn2_model_t* model_out) {
  if (!name || !model_out) {
    return sn2_error(sn2_status_invalid_parameter, "sn2_model_create_builtin: null %s",
                     name ? "model_out" : "name");
  }
  *model_out = NULL;
  struct sn2_graph* graph = NULL;
  enum sn2_status status = sn2_build_builtin(name, options ? options->seed : 0, &graph);
  if (status != sn2_status_success) return status;
  return sn2_model_create_from_graph(graph, options, model_out);
}

void sn2_model_delete(sn2_model_t model) {
  if (!model) return;
  if (model->graph) sn2_channel_views_free(&model->views, model->graph->value_count);
  sn2_graph_delete(model->graph);
  free(model->ops);
  free(model->value_offsets);
  free(model);
}

static enum sn2_status check_model(sn2_model_t model, const void* out, const char* call) {
  if (!model || !out) {
    return sn2_error(sn2_status_invalid_parameter, "%s: null %s", call, model ? "output" : "model");
  }
  return sn2_status_success;
}

static enum sn2_status get_shape(sn2_model_t model, uint32_t value, uint32_t* dims,
                                 uint32_t* rank, const char* call) {
  if (!rank) return sn2_error(sn2_status_invalid_parameter, "%s: null rank_out", call);
  enum sn2_status status = check_model(model, dims, call);
  if (status == sn2_status_success) copy_dims(&model->graph->values[value], dims, rank);
  return status;
}

enum sn2_status sn2_model_get_input_shape(sn2_model_t model, uint32_t dims[SN2_MAX_DIMS],
                                          uint32_t* rank_out) {
  return get_shape(model, model ? model->graph->input : 0, dims, rank_out,
                   "sn2_model_get_input_shape");
}

enum sn2_status sn2_model_get_output_shape(sn2_model_t model, uint32_t dims[SN2_MAX_DIMS],
                                           uint32_t* rank_out) {
  return get_shape(model, model ? model->graph->output : 0, dims, rank_out,
                   "sn2_model_get_output_shape");
}

enum sn2_status sn2_model_get_stats(sn2_model_t model, struct sn2_plan_stats* stats_out) {
  enum sn2_status status = check_model(model, stats_out, "sn2_model_get_stats");
  if (status == sn2_status_success) *stats_out = model->stats;
  return status;
}

enum sn2_status sn2_model_get_op_info(sn2_model_t model, uint32_t index,
                                      struct sn2_op_info* info_out) {
  enum sn2_status status = check_model(model, info_out, "sn2_model_get_op_info");
  if (status != sn2_status_success) return status;
  if (index >= model->op_count) {
    return sn2_error(sn2_status_invalid_parameter,
                     "sn2_model_get_op_info: index %u, the plan has %u ops", index,
                     model->op_count);
  }
  *info_out = model->ops[index].info;
  return sn2_status_success;
}

enum sn2_status sn2_model_create_from_onnx_buffer(const void* data, size_t size,
                                                  const struct sn2_options* options,
                                                  sn2_model_t* model_out) {
  if (!data || !model_out) {
    return sn2_error(sn2_status_invalid_parameter, "sn2_model_create_from_onnx_buffer: null %s",
                     data ? "model_out" : "data");
  }
  *model_out = NULL;
  struct sn2_graph* graph = NULL;
  enum sn2_status status = sn2_onnx_import(data, size, NULL, &graph);
  if (status != sn2_status_success) return status;
  return sn2_model_create_from_graph(graph, options, model_out);
}

enum sn2_status sn2_model_create_from_onnx_file(const char* path,
                                                const struct sn2_options* options,
                                                sn2_model_t* model_out) {
  if (!path || !model_out) {
    return sn2_error(sn2_status_invalid_parameter, "sn2_model_create_from_onnx_file: null %s",
                     path ? "model_out" : "path");
  }
  *model_out = NULL;
  FILE* f = fopen(path, "rb");
  if (!f) return sn2_error(sn2_status_io_error, "cannot open %s: %s", path, strerror(errno));
  uint8_t* data = NULL;
  long size = -1;
  if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
  // protobuf messages are limited to 2 GiB; larger weights belong in external data.
  if (size >= 0 && size < (INT64_C(1) << 31) && fseek(f, 0, SEEK_SET) == 0) {
    data = malloc(size ? (size_t)size : 1);
    if (data && fread(data, 1, (size_t)size, f) != (size_t)size) {
      free(data);
      data = NULL;
    }
  }
  fclose(f);
  if (!data) return sn2_error(sn2_status_io_error, "cannot read %s", path);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char* slash = strrchr(dir, '/');
  if (slash) {
    *slash = '\0';
  } else {
    snprintf(dir, sizeof dir, ".");
  }
  const struct sn2_onnx_import_options import_options = {.model_dir = dir};
  struct sn2_graph* graph = NULL;
  enum sn2_status status = sn2_onnx_import(data, (size_t)size, &import_options, &graph);
  free(data);
  if (status != sn2_status_success) return status;
  return sn2_model_create_from_graph(graph, options, model_out);
}
