#include "graph/ir.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"

// Largest activation we accept: keeps every offset and byte count far from overflow.
#define SN2_MAX_VALUE_ELEMENTS (UINT64_C(1) << 31)

static const char* const op_type_names[sn2_op_type_count] = {
    [sn2_op_conv2d] = "Conv",
    [sn2_op_batchnorm] = "BatchNorm",
    [sn2_op_clamp] = "Clamp",
    [sn2_op_max_pool] = "MaxPool",
    [sn2_op_avg_pool] = "AveragePool",
    [sn2_op_global_avg_pool] = "GlobalAveragePool",
    [sn2_op_fully_connected] = "FullyConnected",
    [sn2_op_add] = "Add",
    [sn2_op_concat] = "Concat",
    [sn2_op_split] = "Split",
    [sn2_op_channel_shuffle] = "ChannelShuffle",
    [sn2_op_softmax] = "Softmax",
};

const char* sn2_op_type_name(enum sn2_op_type type) {
  return (unsigned)type < sn2_op_type_count ? op_type_names[type] : "Unknown";
}

static char* duplicate_string(const char* s) {
  size_t n = strlen(s) + 1;
  char* copy = malloc(n);
  if (copy) memcpy(copy, s, n);
  return copy;
}

enum sn2_status sn2_graph_create(struct sn2_graph** graph_out) {
  struct sn2_graph* graph = calloc(1, sizeof *graph);
  if (!graph) return sn2_error(sn2_status_out_of_memory, "graph: out of memory");
  graph->input = graph->output = SN2_INVALID_ID;
  *graph_out = graph;
  return sn2_status_success;
}

void sn2_node_params_free(enum sn2_op_type type, union sn2_node_params* p) {
  switch (type) {
    case sn2_op_conv2d:
      free(p->conv2d.weights);
      free(p->conv2d.bias);
      break;
    case sn2_op_batchnorm:
      free(p->batchnorm.scale);
      free(p->batchnorm.bias);
      free(p->batchnorm.mean);
      free(p->batchnorm.var);
      break;
    case sn2_op_fully_connected:
      free(p->fully_connected.weights);
      free(p->fully_connected.bias);
      break;
    default:
      break;
  }
}

void sn2_graph_delete(struct sn2_graph* graph) {
  if (!graph) return;
  for (uint32_t i = 0; i < graph->node_count; i++) {
    struct sn2_node* node = &graph->nodes[i];
    sn2_node_params_free(node->type, &node->params);
    free(node->name);
    free(node->inputs);
    free(node->outputs);
  }
  for (uint32_t i = 0; i < graph->value_count; i++) free(graph->values[i].name);
  free(graph->nodes);
  free(graph->values);
  free(graph);
}

static enum sn2_status check_shape(const char* what, struct sn2_shape s) {
  if (s.n == 0 || s.h == 0 || s.w == 0 || s.c == 0) {
    return sn2_error(sn2_status_invalid_model, "%s: shape [%u,%u,%u,%u] (NHWC) has a zero dim",
                     what, s.n, s.h, s.w, s.c);
  }
  if (sn2_shape_elements(s) > SN2_MAX_VALUE_ELEMENTS) {
    return sn2_error(sn2_status_unsupported_parameter,
                     "%s: shape [%u,%u,%u,%u] (NHWC) exceeds 2^31 elements", what, s.n, s.h,
                     s.w, s.c);
  }
  return sn2_status_success;
}

static enum sn2_status add_value(struct sn2_graph* graph, const char* name,
                                 struct sn2_shape shape, uint32_t producer, uint32_t* id_out) {
  if (graph->value_count == graph->value_capacity) {
    uint32_t capacity = graph->value_capacity ? 2 * graph->value_capacity : 64;
    struct sn2_value* values = realloc(graph->values, capacity * sizeof *values);
    if (!values) return sn2_error(sn2_status_out_of_memory, "graph: out of memory");
    graph->values = values;
    graph->value_capacity = capacity;
  }
  char* copy = duplicate_string(name);
  if (!copy) return sn2_error(sn2_status_out_of_memory, "graph: out of memory");
  graph->values[graph->value_count] =
      (struct sn2_value){.shape = shape, .name = copy, .producer = producer};
  *id_out = graph->value_count++;
  return sn2_status_success;
}

enum sn2_status sn2_graph_add_input(struct sn2_graph* graph, const char* name,
                                    struct sn2_shape shape, uint32_t* value_out) {
  if (!graph || !name || !value_out) {
    return sn2_error(sn2_status_invalid_parameter, "graph input: null argument");
  }
  if (graph->input != SN2_INVALID_ID) {
    return sn2_error(sn2_status_unsupported_parameter,
                     "graph input '%s': the graph already has input '%s' (one input only)", name,
                     graph->values[graph->input].name);
  }
  enum sn2_status status = check_shape(name, shape);
  if (status != sn2_status_success) return status;
  status = add_value(graph, name, shape, SN2_INVALID_ID, value_out);
  if (status == sn2_status_success) graph->input = *value_out;
  return status;
}

// Output size of a sliding window; 0 when the (dilated) window does not fit the padded input.
static uint32_t window_output_size(uint32_t in, uint32_t pad_before, uint32_t pad_after,
                                   uint32_t kernel, uint32_t stride, uint32_t dilation) {
  uint64_t padded = (uint64_t)in + pad_before + pad_after;
  uint64_t effective = (uint64_t)dilation * (kernel - 1) + 1;
  if (padded < effective) return 0;
  return (uint32_t)((padded - effective) / stride + 1);
}

static enum sn2_status infer_window(const char* node, uint32_t kernel_h, uint32_t kernel_w,
                                    uint32_t stride_h, uint32_t stride_w, uint32_t dilation_h,
                                    uint32_t dilation_w, uint32_t pt, uint32_t pl, uint32_t pb,
                                    uint32_t pr, struct sn2_shape in, struct sn2_shape* out) {
  if (kernel_h == 0 || kernel_w == 0 || stride_h == 0 || stride_w == 0 || dilation_h == 0 ||
      dilation_w == 0) {
    return sn2_error(sn2_status_invalid_model,
                     "node %s: kernel %ux%u, stride %ux%u, dilation %ux%u must all be >= 1",
                     node, kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w);
  }
  if (kernel_h > 65536 || kernel_w > 65536 || pt > 65536 || pl > 65536 || pb > 65536 ||
      pr > 65536 || dilation_h > 65536 || dilation_w > 65536) {
    return sn2_error(sn2_status_unsupported_parameter,
                     "node %s: kernel, dilation and pads must be <= 65536", node);
  }
  out->n = in.n;
  out->h = window_output_size(in.h, pt, pb, kernel_h, stride_h, dilation_h);
  out->w = window_output_size(in.w, pl, pr, kernel_w, stride_w, dilation_w);
  if (out->h == 0 || out->w == 0) {
    return sn2_error(sn2_status_invalid_model,
                     "node %s: window %ux%u (dilation %ux%u) does not fit input %ux%u padded "
                     "by t%u l%u b%u r%u",
                     node, kernel_h, kernel_w, dilation_h, dilation_w, in.h, in.w, pt, pl, pb,
                     pr);
  }
  return sn2_status_success;
}

static enum sn2_status infer_shapes(struct sn2_graph* graph, enum sn2_op_type type,
                                    const char* name, const uint32_t* inputs,
                                    uint32_t input_count, const union sn2_node_params* p,
                                    uint32_t output_count, const uint32_t* split_sizes,
                                    struct sn2_shape* out_shapes) {
  const struct sn2_shape in = graph->values[inputs[0]].shape;
  uint32_t expected_inputs = 1;
  if (type == sn2_op_add) expected_inputs = 2;
  if (type != sn2_op_concat && input_count != expected_inputs) {
    return sn2_error(sn2_status_invalid_model, "node %s (%s): has %u inputs, needs %u", name,
                     sn2_op_type_name(type), input_count, expected_inputs);
  }
  if (type != sn2_op_split && output_count != 1) {
    return sn2_error(sn2_status_invalid_model, "node %s (%s): has %u outputs, needs 1", name,
                     sn2_op_type_name(type), output_count);
  }
  struct sn2_shape out = in;
  enum sn2_status status = sn2_status_success;
  switch (type) {
    case sn2_op_conv2d: {
      const struct sn2_conv2d_params* c = &p->conv2d;
      if (!c->weights) {
        return sn2_error(sn2_status_invalid_model, "node %s (Conv): no weights", name);
      }
      if (c->groups == 0 || c->input_channels != in.c || c->input_channels % c->groups != 0 ||
          c->output_channels == 0 || c->output_channels % c->groups != 0) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (Conv): input has %u channels; weights expect %u in, %u out "
                         "in %u groups (both must divide by groups)",
                         name, in.c, c->input_channels, c->output_channels, c->groups);
      }
      if (isnan(c->output_min) || isnan(c->output_max) || c->output_min > c->output_max) {
        return sn2_error(sn2_status_invalid_model, "node %s (Conv): output range [%g, %g]",
                         name, c->output_min, c->output_max);
      }
      status = infer_window(name, c->kernel_h, c->kernel_w, c->stride_h, c->stride_w,
                            c->dilation_h, c->dilation_w, c->pad_top, c->pad_left,
                            c->pad_bottom, c->pad_right, in, &out);
      out.c = c->output_channels;
      break;
    }
    case sn2_op_max_pool:
    case sn2_op_avg_pool: {
      const struct sn2_pool_params* q = &p->pool;
      status = infer_window(name, q->kernel_h, q->kernel_w, q->stride_h, q->stride_w, 1, 1,
                            q->pad_top, q->pad_left, q->pad_bottom, q->pad_right, in, &out);
      if (status == sn2_status_success &&
          (q->pad_top >= q->kernel_h || q->pad_bottom >= q->kernel_h ||
           q->pad_left >= q->kernel_w || q->pad_right >= q->kernel_w)) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (%s): pads must be smaller than the %ux%u window", name,
                         sn2_op_type_name(type), q->kernel_h, q->kernel_w);
      }
      break;
    }
    case sn2_op_batchnorm: {
      const struct sn2_batchnorm_params* b = &p->batchnorm;
      if (!b->scale || !b->bias || !b->mean || !b->var || b->channels != in.c) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (BatchNorm): needs scale, bias, mean, var of %u channels", name,
                         in.c);
      }
      if (!(b->epsilon >= 0.0f)) {
        return sn2_error(sn2_status_invalid_model, "node %s (BatchNorm): epsilon %g < 0", name,
                         b->epsilon);
      }
      break;
    }
    case sn2_op_clamp:
      if (isnan(p->clamp.min) || isnan(p->clamp.max) || p->clamp.min > p->clamp.max) {
        return sn2_error(sn2_status_invalid_model, "node %s (Clamp): range [%g, %g]", name,
                         p->clamp.min, p->clamp.max);
      }
      break;
    case sn2_op_global_avg_pool:
      out.h = out.w = 1;
      break;
    case sn2_op_fully_connected: {
      const struct sn2_fully_connected_params* f = &p->fully_connected;
      if (in.h != 1 || in.w != 1) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (FullyConnected): input is %ux%u spatially, must be 1x1", name,
                         in.h, in.w);
      }
      if (!f->weights || f->input_channels != in.c || f->output_channels == 0) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (FullyConnected): input has %u channels, weights expect %u",
                         name, in.c, f->input_channels);
      }
      out.c = f->output_channels;
      break;
    }
    case sn2_op_add: {
      struct sn2_shape b = graph->values[inputs[1]].shape;
      if (memcmp(&b, &in, sizeof in) != 0) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (Add): shapes [%u,%u,%u,%u] and [%u,%u,%u,%u] differ (no "
                         "broadcasting)",
                         name, in.n, in.h, in.w, in.c, b.n, b.h, b.w, b.c);
      }
      break;
    }
    case sn2_op_concat: {
      if (input_count == 0) {
        return sn2_error(sn2_status_invalid_model, "node %s (Concat): no inputs", name);
      }
      uint64_t channels = 0;
      for (uint32_t i = 0; i < input_count; i++) {
        struct sn2_shape s = graph->values[inputs[i]].shape;
        if (s.n != in.n || s.h != in.h || s.w != in.w) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (Concat): input %u is %ux%ux%u (NHW), input 0 is %ux%ux%u",
                           name, i, s.n, s.h, s.w, in.n, in.h, in.w);
        }
        channels += s.c;
      }
      if (channels > UINT32_MAX) {
        return sn2_error(sn2_status_unsupported_parameter, "node %s (Concat): too many channels",
                         name);
      }
      out.c = (uint32_t)channels;
      break;
    }
    case sn2_op_split: {
      if (output_count == 0 || !split_sizes) {
        return sn2_error(sn2_status_invalid_model, "node %s (Split): no output sizes", name);
      }
      uint64_t channels = 0;
      for (uint32_t i = 0; i < output_count; i++) {
        if (split_sizes[i] == 0) {
          return sn2_error(sn2_status_invalid_model, "node %s (Split): output %u is empty",
                           name, i);
        }
        channels += split_sizes[i];
        out_shapes[i] = in;
        out_shapes[i].c = split_sizes[i];
      }
      if (channels != in.c) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (Split): output sizes sum to %llu, input has %u channels", name,
                         (unsigned long long)channels, in.c);
      }
      return sn2_status_success;
    }
    case sn2_op_channel_shuffle:
      if (p->channel_shuffle.groups == 0 || in.c % p->channel_shuffle.groups != 0) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (ChannelShuffle): %u groups do not divide %u channels", name,
                         p->channel_shuffle.groups, in.c);
      }
      break;
    case sn2_op_softmax:
      break;
    default:
      return sn2_error(sn2_status_invalid_model, "node %s: unknown op type %d", name, (int)type);
  }
  if (status == sn2_status_success) {
    status = check_shape(name, out);
    out_shapes[0] = out;
  }
  return status;
}

enum sn2_status sn2_graph_add_node(struct sn2_graph* graph, enum sn2_op_type type,
                                   const char* name, const uint32_t* inputs,
                                   uint32_t input_count, const union sn2_node_params* params,
                                   uint32_t output_count, const uint32_t* split_sizes,
                                   uint32_t* outputs_out) {
  union sn2_node_params p;
  memset(&p, 0, sizeof p);
  if (params) p = *params;
  struct sn2_shape* shapes = NULL;
  uint32_t* node_inputs = NULL;
  uint32_t* node_outputs = NULL;
  char* node_name = NULL;
  enum sn2_status status;
  if (!graph || !name || (input_count && !inputs) || !outputs_out ||
      (unsigned)type >= sn2_op_type_count) {
    status = sn2_error(sn2_status_invalid_parameter, "add node: null argument or bad op type");
    goto error;
  }
  if (input_count == 0 || output_count == 0 || output_count > 65536 || input_count > 65536) {
    status = sn2_error(sn2_status_invalid_model, "node %s: has %u inputs and %u outputs", name,
                       input_count, output_count);
    goto error;
  }
  for (uint32_t i = 0; i < input_count; i++) {
    if (inputs[i] >= graph->value_count) {
      status = sn2_error(sn2_status_invalid_model, "node %s: input %u is not a known value",
                         name, i);
      goto error;
    }
  }
  status = sn2_status_out_of_memory;
  shapes = calloc(output_count, sizeof *shapes);
  node_inputs = malloc(input_count * sizeof *node_inputs);
  node_outputs = malloc(output_count * sizeof *node_outputs);
  node_name = duplicate_string(name);
  if (!shapes || !node_inputs || !node_outputs || !node_name) {
    sn2_error(status, "node %s: out of memory", name);
    goto error;
  }
  status = infer_shapes(graph, type, name, inputs, input_count, &p, output_count, split_sizes,
                        shapes);
  if (status != sn2_status_success) goto error;
  if (graph->node_count == graph->node_capacity) {
    uint32_t capacity = graph->node_capacity ? 2 * graph->node_capacity : 64;
    struct sn2_node* nodes = realloc(graph->nodes, capacity * sizeof *nodes);
    if (!nodes) {
      status = sn2_error(sn2_status_out_of_memory, "node %s: out of memory", name);
      goto error;
    }
    graph->nodes = nodes;
    graph->node_capacity = capacity;
  }
  const uint32_t node_id = graph->node_count;
  const uint32_t first_value = graph->value_count;
  for (uint32_t i = 0; i < output_count; i++) {
    char value_name[256];
    if (output_count == 1) {
      snprintf(value_name, sizeof value_name, "%s", name);
    } else {
      snprintf(value_name, sizeof value_name, "%s:%u", name, i);
    }
    status = add_value(graph, value_name, shapes[i], node_id, &node_outputs[i]);
    if (status != sn2_status_success) {
      while (graph->value_count > first_value) free(graph->values[--graph->value_count].name);
      goto error;
    }
  }
  memcpy(node_inputs, inputs, input_count * sizeof *node_inputs);
  graph->nodes[graph->node_count++] = (struct sn2_node){
      .type = type,
      .name = node_name,
      .inputs = node_inputs,
      .input_count = input_count,
      .outputs = node_outputs,
      .output_count = output_count,
      .params = p,
  };
  memcpy(outputs_out, node_outputs, output_count * sizeof *outputs_out);
  graph->output = node_outputs[0];
  free(shapes);
  return sn2_status_success;

error:
  if ((unsigned)type < sn2_op_type_count) sn2_node_params_free(type, &p);
  free(shapes);
  free(node_inputs);
  free(node_outputs);
  free(node_name);
  return status;
}

enum sn2_status sn2_graph_validate(const struct sn2_graph* graph) {
  if (!graph) return sn2_error(sn2_status_invalid_parameter, "graph: null");
  if (graph->input >= graph->value_count || graph->output >= graph->value_count) {
    return sn2_error(sn2_status_invalid_model, "graph: no input or no output");
  }
  if (graph->values[graph->input].producer != SN2_INVALID_ID) {
    return sn2_error(sn2_status_invalid_model, "graph: input '%s' is produced by a node",
                     graph->values[graph->input].name);
  }
  for (uint32_t v = 0; v < graph->value_count; v++) {
    const struct sn2_value* value = &graph->values[v];
    if (v != graph->input && value->producer >= graph->node_count) {
      return sn2_error(sn2_status_invalid_model, "value '%s' has no producer", value->name);
    }
  }
  for (uint32_t n = 0; n < graph->node_count; n++) {
    const struct sn2_node* node = &graph->nodes[n];
    for (uint32_t i = 0; i < node->input_count; i++) {
      uint32_t v = node->inputs[i];
      if (v >= graph->value_count) {
        return sn2_error(sn2_status_invalid_model, "node %s: input %u is not a value",
                         node->name, i);
      }
      uint32_t producer = graph->values[v].producer;
      if (v != graph->input && producer >= n) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s: input '%s' is produced later (a cycle, or not in "
                         "topological order)",
                         node->name, graph->values[v].name);
      }
    }
    for (uint32_t o = 0; o < node->output_count; o++) {
      uint32_t v = node->outputs[o];
      if (v >= graph->value_count || graph->values[v].producer != n) {
        return sn2_error(sn2_status_invalid_model, "node %s: output %u is not its own value",
                         node->name, o);
      }
    }
  }
  return sn2_status_success;
}

uint64_t sn2_node_macs(const struct sn2_graph* graph, const struct sn2_node* node) {
  const struct sn2_shape out = graph->values[node->outputs[0]].shape;
  switch (node->type) {
    case sn2_op_conv2d: {
      const struct sn2_conv2d_params* c = &node->params.conv2d;
      return sn2_shape_elements(out) * c->kernel_h * c->kernel_w *
             (c->input_channels / c->groups);
    }
    case sn2_op_fully_connected:
      return (uint64_t)out.n * node->params.fully_connected.output_channels *
             node->params.fully_connected.input_channels;
    default:
      return 0;
  }
}

uint64_t sn2_node_weight_elements(const struct sn2_node* node) {
  switch (node->type) {
    case sn2_op_conv2d: {
      const struct sn2_conv2d_params* c = &node->params.conv2d;
      uint64_t weights = (uint64_t)c->output_channels * c->kernel_h * c->kernel_w *
                         (c->input_channels / c->groups);
      return weights + (c->bias ? c->output_channels : 0);
    }
    case sn2_op_fully_connected: {
      const struct sn2_fully_connected_params* f = &node->params.fully_connected;
      return (uint64_t)f->output_channels * f->input_channels + (f->bias ? f->output_channels : 0);
    }
    case sn2_op_batchnorm:
      return 4 * (uint64_t)node->params.batchnorm.channels;
    default:
      return 0;
  }
}

uint64_t sn2_node_memory_access_elements(const struct sn2_graph* graph,
                                         const struct sn2_node* node) {
  uint64_t elements = sn2_node_weight_elements(node);
  for (uint32_t i = 0; i < node->input_count; i++) {
    elements += sn2_shape_elements(graph->values[node->inputs[i]].shape);
  }
  for (uint32_t o = 0; o < node->output_count; o++) {
    elements += sn2_shape_elements(graph->values[node->outputs[o]].shape);
  }
  return elements;
}

int sn2_op_is_data_movement(enum sn2_op_type type) {
  return type == sn2_op_concat || type == sn2_op_split || type == sn2_op_channel_shuffle;
}
