#include "graph/builder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"

// splitmix64: tiny, seedable, and the same on every platform.
static uint64_t next_random(struct sn2_builder* b) {
  uint64_t z = (b->rng_state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

static float uniform(struct sn2_builder* b, float lo, float hi) {
  const float unit = (float)(next_random(b) >> 40) * (1.0f / 16777216.0f);  // [0, 1)
  return lo + (hi - lo) * unit;
}

// Allocates n floats drawn from U(lo, hi); records out-of-memory in the builder.
static float* random_array(struct sn2_builder* b, size_t n, float lo, float hi) {
  float* a = malloc(n * sizeof *a);
  if (!a) {
    b->status = sn2_error(sn2_status_out_of_memory, "builder: out of memory");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) a[i] = uniform(b, lo, hi);
  return a;
}

enum sn2_status sn2_builder_init(struct sn2_builder* b, uint64_t seed, struct sn2_shape input,
                                 uint32_t* input_value_out) {
  memset(b, 0, sizeof *b);
  b->rng_state = seed;
  b->status = sn2_graph_create(&b->graph);
  if (b->status == sn2_status_success) {
    const uint32_t dims[4] = {input.n, input.c, input.h, input.w};
    b->status = sn2_graph_add_input(b->graph, "input", 4, dims, input_value_out);
  }
  return b->status;
}

enum sn2_status sn2_builder_finish(struct sn2_builder* b, uint32_t output,
                                   struct sn2_graph** graph_out) {
  if (b->status == sn2_status_success && output >= b->graph->value_count) {
    b->status = sn2_error(sn2_status_invalid_parameter, "builder: output is not a value");
  }
  if (b->status == sn2_status_success) b->status = sn2_graph_validate(b->graph);
  if (b->status != sn2_status_success) {
    sn2_graph_delete(b->graph);
    b->graph = NULL;
    return b->status;
  }
  b->graph->output = output;
  *graph_out = b->graph;
  b->graph = NULL;
  return sn2_status_success;
}

static uint32_t add_node(struct sn2_builder* b, enum sn2_op_type type, const char* name,
                         const uint32_t* inputs, uint32_t input_count,
                         union sn2_node_params* params) {
  uint32_t output = SN2_INVALID_ID;
  if (b->status != sn2_status_success) {
    // The graph would own params' arrays even had it refused the node; here there is no node.
    if (params) sn2_node_params_free(type, params);
    return SN2_INVALID_ID;
  }
  b->status = sn2_graph_add_node(b->graph, type, name, inputs, input_count, params, 1, NULL,
                                 &output);
  return b->status == sn2_status_success ? output : SN2_INVALID_ID;
}

// The feature-map shape of x; records an error unless x is a rank-4 value.
static struct sn2_shape shape_of(struct sn2_builder* b, uint32_t x) {
  if (b->status != sn2_status_success) return (struct sn2_shape){0, 0, 0, 0};
  if (x >= b->graph->value_count || b->graph->values[x].rank != 4) {
    b->status = sn2_error(sn2_status_invalid_parameter, "builder: value %u is not a feature map", x);
    return (struct sn2_shape){0, 0, 0, 0};
  }
  return sn2_value_fmap(&b->graph->values[x]);
}

uint32_t sn2_build_conv(struct sn2_builder* b, const char* name, uint32_t x,
                        uint32_t output_channels, uint32_t kernel, uint32_t stride,
                        uint32_t pad, uint32_t groups, bool with_bias) {
  const struct sn2_shape in = shape_of(b, x);
  if (b->status != sn2_status_success) return SN2_INVALID_ID;
  if (groups == 0 || in.c % groups != 0) {
    b->status = sn2_error(sn2_status_invalid_parameter,
                          "builder: conv %s: %u groups do not divide %u input channels", name,
                          groups, in.c);
    return SN2_INVALID_ID;
  }
  const size_t fan_in = (size_t)kernel * kernel * (in.c / groups);
  const float bound = sqrtf(6.0f / (float)fan_in);  // He-uniform: keeps ReLU nets' scale
  union sn2_node_params p = {.conv2d = {
      .kernel_h = kernel, .kernel_w = kernel, .stride_h = stride, .stride_w = stride,
      .dilation_h = 1, .dilation_w = 1,
      .pad_top = pad, .pad_left = pad, .pad_bottom = pad, .pad_right = pad,
      .groups = groups, .input_channels = in.c, .output_channels = output_channels,
      .output_min = -INFINITY, .output_max = INFINITY,
  }};
  p.conv2d.weights = random_array(b, fan_in * output_channels, -bound, bound);
  if (with_bias && p.conv2d.weights) {
    p.conv2d.bias = random_array(b, output_channels, -0.1f, 0.1f);
  }
  return add_node(b, sn2_op_conv2d, name, &x, 1, &p);
}

uint32_t sn2_build_batchnorm(struct sn2_builder* b, const char* name, uint32_t x) {
  const struct sn2_shape in = shape_of(b, x);
  if (b->status != sn2_status_success) return SN2_INVALID_ID;
  union sn2_node_params p = {.batchnorm = {.channels = in.c, .epsilon = 1e-5f}};
  p.batchnorm.scale = random_array(b, in.c, 0.7f, 1.3f);
  p.batchnorm.bias = random_array(b, in.c, -0.2f, 0.2f);
  p.batchnorm.mean = random_array(b, in.c, -0.2f, 0.2f);
  p.batchnorm.var = random_array(b, in.c, 0.5f, 1.5f);
  return add_node(b, sn2_op_batchnorm, name, &x, 1, &p);
}

uint32_t sn2_build_relu(struct sn2_builder* b, const char* name, uint32_t x) {
  union sn2_node_params p = {.clamp = {.min = 0.0f, .max = INFINITY}};
  return add_node(b, sn2_op_clamp, name, &x, 1, &p);
}

static uint32_t build_pool(struct sn2_builder* b, enum sn2_op_type type, const char* name,
                           uint32_t x, uint32_t kernel, uint32_t stride, uint32_t pad) {
  union sn2_node_params p = {.pool = {
      .kernel_h = kernel, .kernel_w = kernel, .stride_h = stride, .stride_w = stride,
      .pad_top = pad, .pad_left = pad, .pad_bottom = pad, .pad_right = pad,
      .count_include_pad = true,
  }};
  return add_node(b, type, name, &x, 1, &p);
}

uint32_t sn2_build_max_pool(struct sn2_builder* b, const char* name, uint32_t x,
                            uint32_t kernel, uint32_t stride, uint32_t pad) {
  return build_pool(b, sn2_op_max_pool, name, x, kernel, stride, pad);
}

uint32_t sn2_build_avg_pool(struct sn2_builder* b, const char* name, uint32_t x,
                            uint32_t kernel, uint32_t stride, uint32_t pad) {
  return build_pool(b, sn2_op_avg_pool, name, x, kernel, stride, pad);
}

uint32_t sn2_build_global_avg_pool(struct sn2_builder* b, const char* name, uint32_t x) {
  return add_node(b, sn2_op_global_avg_pool, name, &x, 1, NULL);
}

uint32_t sn2_build_fully_connected(struct sn2_builder* b, const char* name, uint32_t x,
                                   uint32_t output_channels) {
  const struct sn2_shape in = shape_of(b, x);
  if (b->status != sn2_status_success) return SN2_INVALID_ID;
  const float bound = 1.0f / sqrtf((float)in.c);  // PyTorch's nn.Linear default
  union sn2_node_params p = {.fully_connected = {
      .input_channels = in.c, .output_channels = output_channels,
      .output_min = -INFINITY, .output_max = INFINITY,
  }};
  p.fully_connected.weights = random_array(b, (size_t)in.c * output_channels, -bound, bound);
  if (p.fully_connected.weights) {
    p.fully_connected.bias = random_array(b, output_channels, -bound, bound);
  }
  return add_node(b, sn2_op_fully_connected, name, &x, 1, &p);
}

uint32_t sn2_build_add(struct sn2_builder* b, const char* name, uint32_t x, uint32_t y) {
  const uint32_t inputs[2] = {x, y};
  union sn2_node_params p = {.binary = {.kind = sn2_binary_add}};
  return add_node(b, sn2_op_binary, name, inputs, 2, &p);
}

uint32_t sn2_build_concat2(struct sn2_builder* b, const char* name, uint32_t x, uint32_t y) {
  const uint32_t inputs[2] = {x, y};
  union sn2_node_params p = {.axis = {.axis = 1}};
  return add_node(b, sn2_op_concat, name, inputs, 2, &p);
}

void sn2_build_split2(struct sn2_builder* b, const char* name, uint32_t x, uint32_t first,
                      uint32_t* x1_out, uint32_t* x2_out) {
  *x1_out = *x2_out = SN2_INVALID_ID;
  const struct sn2_shape in = shape_of(b, x);
  if (b->status != sn2_status_success) return;
  if (first == 0 || first >= in.c) {
    b->status = sn2_error(sn2_status_invalid_parameter,
                          "builder: split %s: first part of %u channels out of %u", name, first,
                          in.c);
    return;
  }
  const uint32_t sizes[2] = {first, in.c - first};
  uint32_t outputs[2];
  union sn2_node_params p = {.axis = {.axis = 1}};
  b->status = sn2_graph_add_node(b->graph, sn2_op_split, name, &x, 1, &p, 2, sizes, outputs);
  if (b->status == sn2_status_success) {
    *x1_out = outputs[0];
    *x2_out = outputs[1];
  }
}

uint32_t sn2_build_channel_shuffle(struct sn2_builder* b, const char* name, uint32_t x,
                                   uint32_t groups) {
  union sn2_node_params p = {.channel_shuffle = {.groups = groups}};
  return add_node(b, sn2_op_channel_shuffle, name, &x, 1, &p);
}

uint32_t sn2_build_softmax(struct sn2_builder* b, const char* name, uint32_t x) {
  union sn2_node_params p = {.softmax = {.axis = 1}};
  return add_node(b, sn2_op_softmax, name, &x, 1, &p);
}

// Joins a prefix and a suffix into a node name (kept short: names are for people).
#define NAME(buffer, prefix, suffix) (snprintf(buffer, sizeof buffer, "%s.%s", prefix, suffix), buffer)

uint32_t sn2_build_conv_bn(struct sn2_builder* b, const char* name, uint32_t x,
                           uint32_t output_channels, uint32_t kernel, uint32_t stride,
                           uint32_t pad, uint32_t groups, bool relu) {
  char n[200];
  x = sn2_build_conv(b, name, x, output_channels, kernel, stride, pad, groups, false);
  x = sn2_build_batchnorm(b, NAME(n, name, "bn"), x);
  if (relu) x = sn2_build_relu(b, NAME(n, name, "relu"), x);
  return x;
}

uint32_t sn2_build_shufflenet_v2_unit(struct sn2_builder* b, const char* prefix, uint32_t x,
                                      uint32_t output_channels, uint32_t stride) {
  const struct sn2_shape in = shape_of(b, x);
  if (b->status != sn2_status_success) return SN2_INVALID_ID;
  const uint32_t branch = output_channels / 2;
  if (output_channels % 2 != 0 || (stride != 1 && stride != 2) ||
      (stride == 1 && in.c != 2 * branch)) {
    b->status = sn2_error(sn2_status_invalid_parameter,
                          "builder: V2 unit %s: %u -> %u channels at stride %u (stride 1 needs "
                          "in == out, out even; stride is 1 or 2)",
                          prefix, in.c, output_channels, stride);
    return SN2_INVALID_ID;
  }
  char n[200];
  uint32_t x1, x2;
  if (stride == 1) {
    sn2_build_split2(b, NAME(n, prefix, "split"), x, branch, &x1, &x2);
  } else {
    x1 = sn2_build_conv_bn(b, NAME(n, prefix, "branch1.dw"), x, in.c, 3, 2, 1, in.c, false);
    x1 = sn2_build_conv_bn(b, NAME(n, prefix, "branch1.pw"), x1, branch, 1, 1, 0, 1, true);
    x2 = x;
  }
  x2 = sn2_build_conv_bn(b, NAME(n, prefix, "branch2.pw1"), x2, branch, 1, 1, 0, 1, true);
  x2 = sn2_build_conv_bn(b, NAME(n, prefix, "branch2.dw"), x2, branch, 3, stride, 1, branch,
                         false);
  x2 = sn2_build_conv_bn(b, NAME(n, prefix, "branch2.pw2"), x2, branch, 1, 1, 0, 1, true);
  const uint32_t out = sn2_build_concat2(b, NAME(n, prefix, "concat"), x1, x2);
  return sn2_build_channel_shuffle(b, NAME(n, prefix, "shuffle"), out, 2);
}

uint32_t sn2_build_shufflenet_v1_unit(struct sn2_builder* b, const char* prefix, uint32_t x,
                                      uint32_t output_channels, uint32_t groups,
                                      uint32_t stride, bool ungrouped_first_conv) {
  const struct sn2_shape in = shape_of(b, x);
  if (b->status != sn2_status_success) return SN2_INVALID_ID;
  const uint32_t bottleneck = output_channels / 4;
  const uint32_t branch_out = stride == 2 ? output_channels - in.c : output_channels;
  if ((stride != 1 && stride != 2) || (stride == 1 && in.c != output_channels) ||
      output_channels <= in.c * (stride == 2) || bottleneck % groups != 0 ||
      branch_out % groups != 0) {
    b->status = sn2_error(sn2_status_invalid_parameter,
                          "builder: V1 unit %s: %u -> %u channels, %u groups, stride %u",
                          prefix, in.c, output_channels, groups, stride);
    return SN2_INVALID_ID;
  }
  char n[200];
  const uint32_t first_groups = ungrouped_first_conv ? 1 : groups;
  uint32_t y = sn2_build_conv_bn(b, NAME(n, prefix, "gconv1"), x, bottleneck, 1, 1, 0,
                                 first_groups, true);
  if (groups > 1) y = sn2_build_channel_shuffle(b, NAME(n, prefix, "shuffle"), y, groups);
  y = sn2_build_conv_bn(b, NAME(n, prefix, "dw"), y, bottleneck, 3, stride, 1, bottleneck,
                        false);
  y = sn2_build_conv_bn(b, NAME(n, prefix, "gconv2"), y, branch_out, 1, 1, 0, groups, false);
  if (stride == 1) {
    y = sn2_build_add(b, NAME(n, prefix, "add"), x, y);
  } else {
    const uint32_t shortcut = sn2_build_avg_pool(b, NAME(n, prefix, "avgpool"), x, 3, 2, 1);
    y = sn2_build_concat2(b, NAME(n, prefix, "concat"), shortcut, y);
  }
  return sn2_build_relu(b, NAME(n, prefix, "relu"), y);
}

uint32_t sn2_build_shufflenet_v2(struct sn2_builder* b, uint32_t x, const uint32_t channels[5],
                                 const uint32_t repeats[3], uint32_t classes) {
  x = sn2_build_conv_bn(b, "conv1", x, channels[0], 3, 2, 1, 1, true);
  x = sn2_build_max_pool(b, "maxpool", x, 3, 2, 1);
  for (uint32_t stage = 0; stage < 3; stage++) {
    for (uint32_t i = 0; i < repeats[stage]; i++) {
      char prefix[32];
      snprintf(prefix, sizeof prefix, "stage%u.%u", stage + 2, i);
      x = sn2_build_shufflenet_v2_unit(b, prefix, x, channels[stage + 1], i == 0 ? 2 : 1);
    }
  }
  x = sn2_build_conv_bn(b, "conv5", x, channels[4], 1, 1, 0, 1, true);
  x = sn2_build_global_avg_pool(b, "globalpool", x);
  return sn2_build_fully_connected(b, "fc", x, classes);
}

uint32_t sn2_build_shufflenet_v1(struct sn2_builder* b, uint32_t x, uint32_t groups,
                                 uint32_t classes) {
  static const uint32_t stage2_channels[9] = {0, 144, 200, 240, 272, 0, 0, 0, 384};
  if (groups > 8 || stage2_channels[groups] == 0) {
    if (b->status == sn2_status_success) {
      b->status = sn2_error(sn2_status_invalid_parameter,
                            "builder: ShuffleNet V1 has groups 1, 2, 3, 4 or 8, not %u", groups);
    }
    return SN2_INVALID_ID;
  }
  static const uint32_t repeats[3] = {4, 8, 4};
  x = sn2_build_conv_bn(b, "conv1", x, 24, 3, 2, 1, 1, true);
  x = sn2_build_max_pool(b, "maxpool", x, 3, 2, 1);
  for (uint32_t stage = 0; stage < 3; stage++) {
    const uint32_t channels = stage2_channels[groups] << stage;
    for (uint32_t i = 0; i < repeats[stage]; i++) {
      char prefix[32];
      snprintf(prefix, sizeof prefix, "stage%u.%u", stage + 2, i);
      x = sn2_build_shufflenet_v1_unit(b, prefix, x, channels, groups, i == 0 ? 2 : 1,
                                       stage == 0 && i == 0);
    }
  }
  x = sn2_build_global_avg_pool(b, "globalpool", x);
  return sn2_build_fully_connected(b, "fc", x, classes);
}

// name, V1 groups (0 for V2), V2 stages_out_channels.
#define SN2_BUILTINS(X)                                   \
  X("shufflenet_v2_x0_5", 0, 24, 48, 96, 192, 1024)      \
  X("shufflenet_v2_x1_0", 0, 24, 116, 232, 464, 1024)    \
  X("shufflenet_v2_x1_5", 0, 24, 176, 352, 704, 1024)    \
  X("shufflenet_v2_x2_0", 0, 24, 244, 488, 976, 2048)    \
  X("shufflenet_v1_g1", 1, 0, 0, 0, 0, 0)                \
  X("shufflenet_v1_g2", 2, 0, 0, 0, 0, 0)                \
  X("shufflenet_v1_g3", 3, 0, 0, 0, 0, 0)                \
  X("shufflenet_v1_g4", 4, 0, 0, 0, 0, 0)                \
  X("shufflenet_v1_g8", 8, 0, 0, 0, 0, 0)

struct builtin {
  const char* name;
  uint32_t v1_groups;
  uint32_t channels[5];
};

#define BUILTIN_ROW(name, groups, c0, c1, c2, c3, c4) {name, groups, {c0, c1, c2, c3, c4}},
static const struct builtin builtins[] = {SN2_BUILTINS(BUILTIN_ROW)};
#define BUILTIN_NAME(name, ...) name,
static const char* const builtin_names[] = {SN2_BUILTINS(BUILTIN_NAME) NULL};
#define BUILTIN_COUNT (sizeof builtins / sizeof builtins[0])

const char* const* sn2_builtin_names(void) { return builtin_names; }

enum sn2_status sn2_build_builtin(const char* name, uint64_t seed, struct sn2_graph** graph_out) {
  const struct builtin* arch = NULL;
  for (size_t i = 0; name && i < BUILTIN_COUNT; i++) {
    if (strcmp(name, builtins[i].name) == 0) arch = &builtins[i];
  }
  if (!arch) {
    return sn2_error(sn2_status_invalid_parameter,
                     "unknown built-in model '%s' (try shufflenet_v2_x1_0 or shufflenet_v1_g3)",
                     name ? name : "(null)");
  }
  static const uint32_t repeats[3] = {4, 8, 4};
  struct sn2_builder b;
  uint32_t x = SN2_INVALID_ID;
  sn2_builder_init(&b, seed, (struct sn2_shape){1, 224, 224, 3}, &x);
  if (arch->v1_groups) {
    x = sn2_build_shufflenet_v1(&b, x, arch->v1_groups, 1000);
  } else {
    x = sn2_build_shufflenet_v2(&b, x, arch->channels, repeats, 1000);
  }
  return sn2_builder_finish(&b, x, graph_out);
}
