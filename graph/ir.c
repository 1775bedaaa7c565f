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
    [sn2_op_max_pool] = "MaxPool",
    [sn2_op_avg_pool] = "AveragePool",
    [sn2_op_global_avg_pool] = "GlobalAveragePool",
    [sn2_op_channel_shuffle] = "ChannelShuffle",
    [sn2_op_clamp] = "Clamp",
    [sn2_op_fully_connected] = "FullyConnected",
    [sn2_op_binary] = "Binary",
    [sn2_op_concat] = "Concat",
    [sn2_op_split] = "Split",
    [sn2_op_slice] = "Slice",
    [sn2_op_softmax] = "Softmax",
    [sn2_op_transpose] = "Transpose",
    [sn2_op_reshape] = "Reshape",
    [sn2_op_matmul] = "MatMul",
    [sn2_op_reduce_mean] = "ReduceMean",
    [sn2_op_gather] = "Gather",
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
    case sn2_op_gather:
      free(p->gather.indices);
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
  for (uint32_t i = 0; i < graph->value_count; i++) {
    free(graph->values[i].name);
    free(graph->values[i].data);
  }
  free(graph->nodes);
  free(graph->values);
  free(graph);
}

// A value's shape: its rank and dims, as shape inference produces it.
struct dims {
  uint32_t rank;
  uint32_t d[SN2_MAX_RANK];
};

uint64_t sn2_value_elements(const struct sn2_value* value) {
  uint64_t n = 1;
  for (uint32_t i = 0; i < value->rank; i++) n *= value->dims[i];
  return n;
}

static enum sn2_status check_dims(const char* what, uint32_t rank, const uint32_t* dims) {
  if (rank == 0 || rank > SN2_MAX_RANK) {
    return sn2_error(sn2_status_unsupported_parameter, "%s: rank %u (sn2 supports 1 to %d)",
                     what, rank, SN2_MAX_RANK);
  }
  uint64_t elements = 1;
  for (uint32_t i = 0; i < rank; i++) {
    if (dims[i] == 0) {
      return sn2_error(sn2_status_unsupported_parameter,
                       "%s: dim %u is 0 (empty tensors are not supported)", what, i);
    }
    elements *= dims[i];
    if (elements > SN2_MAX_VALUE_ELEMENTS) {
      return sn2_error(sn2_status_unsupported_parameter, "%s: more than 2^31 elements", what);
    }
  }
  return sn2_status_success;
}

struct sn2_tensor sn2_make_tensor(uint32_t rank, const uint32_t* dims, float* data) {
  struct sn2_tensor t;
  memset(&t, 0, sizeof t);
  t.data = data;
  t.rank = rank;
  memcpy(t.dims, dims, rank * sizeof *dims);
  if (rank == 4) {
    const ptrdiff_t c = dims[1], w = dims[3], h = dims[2];
    t.strides[0] = h * w * c;
    t.strides[1] = 1;
    t.strides[2] = w * c;
    t.strides[3] = c;
    t.shape = (struct sn2_shape){dims[0], dims[2], dims[3], dims[1]};
    t.pixel_stride = dims[1];
  } else {
    ptrdiff_t stride = 1;
    for (uint32_t i = rank; i-- > 0;) {
      t.strides[i] = stride;
      stride *= dims[i];
    }
  }
  return t;
}

struct sn2_tensor sn2_make_feature_map(const uint32_t* dims, float* data, size_t pixel_stride,
                                       const uint32_t* channel_slots) {
  struct sn2_tensor t = sn2_make_tensor(4, dims, data);
  const ptrdiff_t w = dims[3], h = dims[2], p = (ptrdiff_t)pixel_stride;
  t.strides[0] = h * w * p;
  t.strides[2] = w * p;
  t.strides[3] = p;
  t.pixel_stride = pixel_stride;
  t.channel_slots = channel_slots;
  return t;
}

static enum sn2_status add_value(struct sn2_graph* graph, const char* name, struct dims shape,
                                 uint32_t producer, uint32_t* id_out) {
  if (graph->value_count == graph->value_capacity) {
    uint32_t capacity = graph->value_capacity ? 2 * graph->value_capacity : 64;
    struct sn2_value* values = realloc(graph->values, capacity * sizeof *values);
    if (!values) return sn2_error(sn2_status_out_of_memory, "graph: out of memory");
    graph->values = values;
    graph->value_capacity = capacity;
  }
  char* copy = duplicate_string(name);
  if (!copy) return sn2_error(sn2_status_out_of_memory, "graph: out of memory");
  struct sn2_value* v = &graph->values[graph->value_count];
  memset(v, 0, sizeof *v);
  v->rank = shape.rank;
  memcpy(v->dims, shape.d, sizeof v->dims);
  v->name = copy;
  v->producer = producer;
  *id_out = graph->value_count++;
  return sn2_status_success;
}

static enum sn2_status make_dims(const char* name, uint32_t rank, const uint32_t* dims,
                                 struct dims* out) {
  if (!dims && rank) return sn2_error(sn2_status_invalid_parameter, "%s: null dims", name);
  enum sn2_status status = check_dims(name, rank, dims);
  if (status != sn2_status_success) return status;
  memset(out, 0, sizeof *out);
  out->rank = rank;
  memcpy(out->d, dims, rank * sizeof *dims);
  return sn2_status_success;
}

enum sn2_status sn2_graph_add_input(struct sn2_graph* graph, const char* name, uint32_t rank,
                                    const uint32_t* dims, uint32_t* value_out) {
  if (!graph || !name || !value_out) {
    return sn2_error(sn2_status_invalid_parameter, "graph input: null argument");
  }
  if (graph->input != SN2_INVALID_ID) {
    return sn2_error(sn2_status_unsupported_parameter,
                     "graph input '%s': the graph already has input '%s' (one input only)", name,
                     graph->values[graph->input].name);
  }
  struct dims shape;
  enum sn2_status status = make_dims(name, rank, dims, &shape);
  if (status == sn2_status_success) {
    status = add_value(graph, name, shape, SN2_INVALID_ID, value_out);
  }
  if (status == sn2_status_success) graph->input = *value_out;
  return status;
}

enum sn2_status sn2_graph_add_constant(struct sn2_graph* graph, const char* name, uint32_t rank,
                                       const uint32_t* dims, float* row_major,
                                       uint32_t* value_out) {
  if (!graph || !name || !value_out || !row_major) {
    free(row_major);
    return sn2_error(sn2_status_invalid_parameter, "graph constant: null argument");
  }
  struct dims shape;
  enum sn2_status status = make_dims(name, rank, dims, &shape);
  float* data = row_major;
  if (status == sn2_status_success && rank == 4) {
    // Reorder N, C, H, W into the NHWC storage every rank-4 value has.
    const size_t n = dims[0], c = dims[1], hw = (size_t)dims[2] * dims[3];
    data = malloc(n * c * hw * sizeof *data);
    if (!data) {
      data = row_major;
      status = sn2_error(sn2_status_out_of_memory, "constant %s: out of memory", name);
    } else {
      for (size_t b = 0; b < n; b++)
        for (size_t ch = 0; ch < c; ch++)
          for (size_t q = 0; q < hw; q++) data[(b * hw + q) * c + ch] = row_major[(b * c + ch) * hw + q];
    }
  }
  if (status == sn2_status_success) {
    status = add_value(graph, name, shape, SN2_INVALID_ID, value_out);
  }
  if (data != row_major) free(row_major);
  if (status != sn2_status_success) {
    free(data);
    return status;
  }
  graph->values[*value_out].data = data;
  return sn2_status_success;
}

// Output size of a sliding window; 0 when the (dilated) window does not fit the padded input.
static uint32_t window_output_size(uint32_t in, uint32_t pad_before, uint32_t pad_after,
                                   uint32_t kernel, uint32_t stride, uint32_t dilation) {
  uint64_t padded = (uint64_t)in + pad_before + pad_after;
  uint64_t effective = (uint64_t)dilation * (kernel - 1) + 1;
  if (padded < effective) return 0;
  return (uint32_t)((padded - effective) / stride + 1);
}

// Output N, C(unchanged), H, W of a window op on a rank-4 input.
static enum sn2_status infer_window(const char* node, uint32_t kernel_h, uint32_t kernel_w,
                                    uint32_t stride_h, uint32_t stride_w, uint32_t dilation_h,
                                    uint32_t dilation_w, uint32_t pt, uint32_t pl, uint32_t pb,
                                    uint32_t pr, struct dims* out) {
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
  const uint32_t in_h = out->d[2], in_w = out->d[3];
  out->d[2] = window_output_size(in_h, pt, pb, kernel_h, stride_h, dilation_h);
  out->d[3] = window_output_size(in_w, pl, pr, kernel_w, stride_w, dilation_w);
  if (out->d[2] == 0 || out->d[3] == 0) {
    return sn2_error(sn2_status_invalid_model,
                     "node %s: window %ux%u (dilation %ux%u) does not fit input %ux%u padded "
                     "by t%u l%u b%u r%u",
                     node, kernel_h, kernel_w, dilation_h, dilation_w, in_h, in_w, pt, pl, pb,
                     pr);
  }
  return sn2_status_success;
}

static const char* const binary_names[] = {"Add", "Sub", "Mul", "Div"};

static enum sn2_status infer_shapes(struct sn2_graph* graph, enum sn2_op_type type,
                                    const char* name, const uint32_t* inputs,
                                    uint32_t input_count, const union sn2_node_params* p,
                                    uint32_t output_count, const uint32_t* split_sizes,
                                    struct dims* outs) {
  const struct sn2_value* x = &graph->values[inputs[0]];
  const char* op = sn2_op_type_name(type);
  uint32_t expected_inputs = 1;
  if (type == sn2_op_binary || type == sn2_op_matmul || (type == sn2_op_conv2d && p->conv2d.residual)) {
    expected_inputs = 2;
  }
  if (type != sn2_op_concat && input_count != expected_inputs) {
    return sn2_error(sn2_status_invalid_model, "node %s (%s): has %u inputs, needs %u", name, op,
                     input_count, expected_inputs);
  }
  if (type != sn2_op_split && output_count != 1) {
    return sn2_error(sn2_status_invalid_model, "node %s (%s): has %u outputs, needs 1", name, op,
                     output_count);
  }
  const bool feature_map_op = type <= sn2_op_channel_shuffle;
  if (feature_map_op && x->rank != 4) {
    return sn2_error(sn2_status_unsupported_parameter,
                     "node %s (%s): input '%s' has rank %u; sn2 runs %s on rank-4 (N, C, H, W) "
                     "tensors only",
                     name, op, x->name, x->rank, op);
  }
  struct dims out = {x->rank, {0}};
  memcpy(out.d, x->dims, sizeof out.d);
  const uint32_t channels = x->rank >= 2 ? x->dims[1] : 0;
  enum sn2_status status = sn2_status_success;
  switch (type) {
    case sn2_op_conv2d: {
      const struct sn2_conv2d_params* c = &p->conv2d;
      if (!c->weights) {
        return sn2_error(sn2_status_invalid_model, "node %s (Conv): no weights", name);
      }
      if (c->groups == 0 || c->input_channels != channels ||
          c->input_channels % c->groups != 0 || c->output_channels == 0 ||
          c->output_channels % c->groups != 0) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (Conv): input has %u channels; weights expect %u in, %u out "
                         "in %u groups (both must divide by groups)",
                         name, channels, c->input_channels, c->output_channels, c->groups);
      }
      if (isnan(c->output_min) || isnan(c->output_max) || c->output_min > c->output_max) {
        return sn2_error(sn2_status_invalid_model, "node %s (Conv): output range [%g, %g]",
                         name, c->output_min, c->output_max);
      }
      status = infer_window(name, c->kernel_h, c->kernel_w, c->stride_h, c->stride_w,
                            c->dilation_h, c->dilation_w, c->pad_top, c->pad_left,
                            c->pad_bottom, c->pad_right, &out);
      out.d[1] = c->output_channels;
      if (c->global_average) {
        if (!sn2_conv_is_pointwise(c) || c->averaging) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (Conv): a global average fused into a conv needs a 1x1 conv "
                           "(stride 1, no padding, groups 1)",
                           name);
        }
        out.d[2] = out.d[3] = 1;
      }
      if (c->residual && status == sn2_status_success) {
        const struct sn2_value* r = &graph->values[inputs[1]];
        if (!sn2_conv_is_grouped_pointwise(c) || c->averaging || c->global_average || c->max_pooled) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (Conv): a fused residual input needs a plain 1x1 conv (stride 1, no padding, "
                           "no fused pool)",
                           name);
        }
        if (r->rank != 4 || memcmp(r->dims, out.d, 4 * sizeof *r->dims) != 0) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (Conv): residual input '%s' is not of the output's shape [%u, %u, %u, %u]",
                           name, r->name, out.d[0], out.d[1], out.d[2], out.d[3]);
        }
      }
      if (c->max_pooled && status == sn2_status_success) {
        const struct sn2_pool_params* q = &c->max_pool;
        if (c->global_average || c->averaging) {
          return sn2_error(sn2_status_invalid_model, "node %s (Conv): a fused max pool after a fused average", name);
        }
        status = infer_window(name, q->kernel_h, q->kernel_w, q->stride_h, q->stride_w, 1, 1, q->pad_top,
                              q->pad_left, q->pad_bottom, q->pad_right, &out);
        if (status == sn2_status_success && (q->pad_top >= q->kernel_h || q->pad_bottom >= q->kernel_h ||
                                             q->pad_left >= q->kernel_w || q->pad_right >= q->kernel_w)) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (Conv): the fused max pool's pads must be smaller than its %ux%u window",
                           name, q->kernel_h, q->kernel_w);
        }
      }
      break;
    }
    case sn2_op_max_pool:
    case sn2_op_avg_pool: {
      const struct sn2_pool_params* q = &p->pool;
      status = infer_window(name, q->kernel_h, q->kernel_w, q->stride_h, q->stride_w, 1, 1,
                            q->pad_top, q->pad_left, q->pad_bottom, q->pad_right, &out);
      if (status == sn2_status_success &&
          (q->pad_top >= q->kernel_h || q->pad_bottom >= q->kernel_h ||
           q->pad_left >= q->kernel_w || q->pad_right >= q->kernel_w)) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (%s): pads must be smaller than the %ux%u window", name, op,
                         q->kernel_h, q->kernel_w);
      }
      break;
    }
    case sn2_op_batchnorm: {
      const struct sn2_batchnorm_params* b = &p->batchnorm;
      if (!b->scale || !b->bias || !b->mean || !b->var || b->channels != channels) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (BatchNorm): needs scale, bias, mean, var of %u channels", name,
                         channels);
      }
      if (!(b->epsilon >= 0.0f)) {
        return sn2_error(sn2_status_invalid_model, "node %s (BatchNorm): epsilon %g < 0", name,
                         b->epsilon);
      }
      break;
    }
    case sn2_op_global_avg_pool:
      out.d[2] = out.d[3] = 1;
      break;
    case sn2_op_channel_shuffle:
      if (p->channel_shuffle.groups == 0 || channels % p->channel_shuffle.groups != 0) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (ChannelShuffle): %u groups do not divide %u channels", name,
                         p->channel_shuffle.groups, channels);
      }
      break;
    case sn2_op_clamp:
      if (isnan(p->clamp.min) || isnan(p->clamp.max) || p->clamp.min > p->clamp.max) {
        return sn2_error(sn2_status_invalid_model, "node %s (Clamp): range [%g, %g]", name,
                         p->clamp.min, p->clamp.max);
      }
      break;
    case sn2_op_fully_connected: {
      const struct sn2_fully_connected_params* f = &p->fully_connected;
      const bool flat = x->rank == 2 || (x->rank == 4 && x->dims[2] == 1 && x->dims[3] == 1);
      if (!flat) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (FullyConnected): input '%s' must be [N, C] or [N, C, 1, 1]",
                         name, x->name);
      }
      if (!f->weights || f->input_channels != channels || f->output_channels == 0) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (FullyConnected): input has %u channels, weights expect %u",
                         name, channels, f->input_channels);
      }
      out.rank = 2;
      out.d[1] = f->output_channels;
      out.d[2] = out.d[3] = 0;
      break;
    }
    case sn2_op_binary: {
      const struct sn2_value* y = &graph->values[inputs[1]];
      if ((unsigned)p->binary.kind > sn2_binary_div) {
        return sn2_error(sn2_status_invalid_model, "node %s: unknown binary op", name);
      }
      out.rank = x->rank > y->rank ? x->rank : y->rank;
      for (uint32_t i = 0; i < out.rank; i++) {
        // Right-aligned numpy broadcasting.
        const uint32_t a = i + x->rank >= out.rank ? x->dims[i + x->rank - out.rank] : 1;
        const uint32_t b = i + y->rank >= out.rank ? y->dims[i + y->rank - out.rank] : 1;
        if (a != b && a != 1 && b != 1) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (%s): dims %u and %u of '%s' and '%s' do not broadcast",
                           name, binary_names[p->binary.kind], a, b, x->name, y->name);
        }
        out.d[i] = a > b ? a : b;
      }
      break;
    }
    case sn2_op_concat: {
      const uint32_t axis = p->axis.axis;
      if (input_count == 0 || axis >= x->rank) {
        return sn2_error(sn2_status_invalid_model, "node %s (Concat): axis %u, rank %u", name,
                         axis, x->rank);
      }
      uint64_t total = 0;
      for (uint32_t i = 0; i < input_count; i++) {
        const struct sn2_value* v = &graph->values[inputs[i]];
        bool same = v->rank == x->rank;
        for (uint32_t d = 0; same && d < x->rank; d++) same = d == axis || v->dims[d] == x->dims[d];
        if (!same) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (Concat): input %u '%s' differs from input 0 outside axis %u",
                           name, i, v->name, axis);
        }
        total += v->dims[axis];
      }
      if (total > UINT32_MAX) {
        return sn2_error(sn2_status_unsupported_parameter, "node %s (Concat): too large", name);
      }
      out.d[axis] = (uint32_t)total;
      break;
    }
    case sn2_op_split: {
      const uint32_t axis = p->axis.axis;
      if (axis >= x->rank || !split_sizes) {
        return sn2_error(sn2_status_invalid_model, "node %s (Split): axis %u, rank %u", name,
                         axis, x->rank);
      }
      uint64_t total = 0;
      for (uint32_t i = 0; i < output_count; i++) {
        if (split_sizes[i] == 0) {
          return sn2_error(sn2_status_unsupported_parameter,
                           "node %s (Split): output %u is empty", name, i);
        }
        total += split_sizes[i];
        outs[i] = out;
        outs[i].d[axis] = split_sizes[i];
      }
      if (total != x->dims[axis]) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (Split): output sizes sum to %llu, input has %u along axis %u",
                         name, (unsigned long long)total, x->dims[axis], axis);
      }
      return sn2_status_success;
    }
    case sn2_op_slice: {
      const struct sn2_slice_params* s = &p->slice;
      for (uint32_t d = 0; d < x->rank; d++) {
        const int64_t last = s->starts[d] + (int64_t)(s->counts[d] ? s->counts[d] - 1 : 0) * s->steps[d];
        if (s->counts[d] == 0 || s->steps[d] == 0 || s->starts[d] < 0 ||
            s->starts[d] >= x->dims[d] || last < 0 || last >= x->dims[d]) {
          return sn2_error(sn2_status_unsupported_parameter,
                           "node %s (Slice): axis %u takes %u elements from %lld by %lld of %u "
                           "(empty or out-of-range slices are not supported)",
                           name, d, s->counts[d], (long long)s->starts[d], (long long)s->steps[d],
                           x->dims[d]);
        }
        out.d[d] = s->counts[d];
      }
      break;
    }
    case sn2_op_softmax:
      if (p->softmax.axis >= x->rank) {
        return sn2_error(sn2_status_invalid_model, "node %s (Softmax): axis %u, rank %u", name,
                         p->softmax.axis, x->rank);
      }
      break;
    case sn2_op_transpose: {
      uint32_t seen = 0;
      for (uint32_t d = 0; d < x->rank; d++) {
        const uint32_t a = p->transpose.perm[d];
        if (a >= x->rank || (seen >> a & 1)) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (Transpose): perm is not a permutation of %u axes", name,
                           x->rank);
        }
        seen |= 1u << a;
        out.d[d] = x->dims[a];
      }
      break;
    }
    case sn2_op_reshape: {
      const struct sn2_reshape_params* r = &p->reshape;
      status = check_dims(name, r->rank, r->dims);
      if (status != sn2_status_success) return status;
      memset(&out, 0, sizeof out);
      out.rank = r->rank;
      memcpy(out.d, r->dims, r->rank * sizeof *r->dims);
      uint64_t n = 1;
      for (uint32_t d = 0; d < r->rank; d++) n *= r->dims[d];
      if (n != sn2_value_elements(x)) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (Reshape): %llu elements cannot become %llu", name,
                         (unsigned long long)sn2_value_elements(x), (unsigned long long)n);
      }
      break;
    }
    case sn2_op_matmul: {
      const struct sn2_value* y = &graph->values[inputs[1]];
      if (x->rank < 2 || y->rank < 2) {
        return sn2_error(sn2_status_unsupported_parameter,
                         "node %s (MatMul): 1-D operands are not supported", name);
      }
      if (x->dims[x->rank - 1] != y->dims[y->rank - 2]) {
        return sn2_error(sn2_status_invalid_model,
                         "node %s (MatMul): inner dims %u and %u differ", name,
                         x->dims[x->rank - 1], y->dims[y->rank - 2]);
      }
      out.rank = x->rank > y->rank ? x->rank : y->rank;
      for (uint32_t i = 0; i + 2 < out.rank; i++) {
        const uint32_t a = i + x->rank >= out.rank ? x->dims[i + x->rank - out.rank] : 1;
        const uint32_t b = i + y->rank >= out.rank ? y->dims[i + y->rank - out.rank] : 1;
        if (a != b && a != 1 && b != 1) {
          return sn2_error(sn2_status_invalid_model,
                           "node %s (MatMul): batch dims %u and %u do not broadcast", name, a, b);
        }
        out.d[i] = a > b ? a : b;
      }
      out.d[out.rank - 2] = x->dims[x->rank - 2];
      out.d[out.rank - 1] = y->dims[y->rank - 1];
      break;
    }
    case sn2_op_reduce_mean: {
      const struct sn2_reduce_params* r = &p->reduce;
      if (r->axes_mask == 0 || (r->axes_mask >> x->rank) != 0) {
        return sn2_error(sn2_status_invalid_model, "node %s (ReduceMean): axes out of range",
                         name);
      }
      memset(&out, 0, sizeof out);
      for (uint32_t d = 0; d < x->rank; d++) {
        if (!(r->axes_mask >> d & 1)) {
          out.d[out.rank++] = x->dims[d];
        } else if (r->keepdims) {
          out.d[out.rank++] = 1;
        }
      }
      if (out.rank == 0) out.d[out.rank++] = 1;  // a full reduction is kept as [1]
      break;
    }
    case sn2_op_gather: {
      const struct sn2_gather_params* g = &p->gather;
      if (g->axis >= x->rank || !g->indices || x->rank - 1 + g->index_rank > SN2_MAX_RANK) {
        return sn2_error(sn2_status_unsupported_parameter,
                         "node %s (Gather): axis %u of rank %u with %u-D indices", name, g->axis,
                         x->rank, g->index_rank);
      }
      memset(&out, 0, sizeof out);
      for (uint32_t d = 0; d < g->axis; d++) out.d[out.rank++] = x->dims[d];
      for (uint32_t d = 0; d < g->index_rank; d++) out.d[out.rank++] = g->index_dims[d];
      for (uint32_t d = g->axis + 1; d < x->rank; d++) out.d[out.rank++] = x->dims[d];
      if (out.rank == 0) out.d[out.rank++] = 1;  // a scalar result is kept as [1]
      uint64_t count = 1;
      for (uint32_t d = 0; d < g->index_rank; d++) count *= g->index_dims[d];
      for (uint64_t i = 0; i < count; i++) {
        if (g->indices[i] < 0 || g->indices[i] >= x->dims[g->axis]) {
          return sn2_error(sn2_status_invalid_model, "node %s (Gather): index %lld out of range",
                           name, (long long)g->indices[i]);
        }
      }
      break;
    }
    default:
      return sn2_error(sn2_status_invalid_model, "node %s: unknown op type %d", name, (int)type);
  }
  if (status == sn2_status_success) {
    status = check_dims(name, out.rank, out.d);
    outs[0] = out;
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
  struct dims* shapes = NULL;
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
  const struct sn2_value* input = &graph->values[graph->input];
  if (input->producer != SN2_INVALID_ID || input->data) {
    return sn2_error(sn2_status_invalid_model, "graph: input '%s' is produced or constant",
                     input->name);
  }
  for (uint32_t v = 0; v < graph->value_count; v++) {
    const struct sn2_value* value = &graph->values[v];
    const bool source = v == graph->input || value->data;
    if (!source && value->producer >= graph->node_count) {
      return sn2_error(sn2_status_invalid_model, "value '%s' has no producer", value->name);
    }
    if (value->data && value->producer != SN2_INVALID_ID) {
      return sn2_error(sn2_status_invalid_model, "constant '%s' has a producer", value->name);
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
      if (producer != SN2_INVALID_ID && producer >= n) {
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

bool sn2_conv_is_grouped_pointwise(const struct sn2_conv2d_params* c) {
  return c->kernel_h == 1 && c->kernel_w == 1 && c->stride_h == 1 && c->stride_w == 1 &&
         c->pad_top == 0 && c->pad_left == 0 && c->pad_bottom == 0 && c->pad_right == 0;
}

bool sn2_conv_is_pointwise(const struct sn2_conv2d_params* c) {
  return sn2_conv_is_grouped_pointwise(c) && c->groups == 1;
}

bool sn2_conv_is_gather_pointwise(const struct sn2_conv2d_params* c) {
  return sn2_conv_is_grouped_pointwise(c) &&
         (c->groups == 1 || c->output_channels / c->groups >= SN2_MIN_GATHER_GROUP_WIDTH);
}

// The elements of a conv's own output map: its node's output, or, where a pool is fused into
// the conv, the map that pool reads.
void sn2_conv_map_size(const struct sn2_conv2d_params* c, uint32_t in_h, uint32_t in_w, uint32_t* h, uint32_t* w) {
  *h = window_output_size(in_h, c->pad_top, c->pad_bottom, c->kernel_h, c->stride_h, c->dilation_h);
  *w = window_output_size(in_w, c->pad_left, c->pad_right, c->kernel_w, c->stride_w, c->dilation_w);
}

static uint64_t conv_map_elements(const struct sn2_graph* graph, const struct sn2_node* node) {
  const struct sn2_value* in = &graph->values[node->inputs[0]];
  uint32_t h = 0, w = 0;
  sn2_conv_map_size(&node->params.conv2d, in->dims[2], in->dims[3], &h, &w);
  return (uint64_t)in->dims[0] * node->params.conv2d.output_channels * h * w;
}

uint64_t sn2_node_macs(const struct sn2_graph* graph, const struct sn2_node* node) {
  const struct sn2_value* out = &graph->values[node->outputs[0]];
  switch (node->type) {
    case sn2_op_conv2d: {
      const struct sn2_conv2d_params* c = &node->params.conv2d;
      if (c->averaging) return 0;  // a pool: no multiply-adds in the paper's count
      return conv_map_elements(graph, node) * c->kernel_h * c->kernel_w * (c->input_channels / c->groups);
    }
    case sn2_op_fully_connected:
      return (uint64_t)out->dims[0] * node->params.fully_connected.output_channels *
             node->params.fully_connected.input_channels;
    case sn2_op_matmul: {
      const struct sn2_value* a = &graph->values[node->inputs[0]];
      return sn2_value_elements(out) * a->dims[a->rank - 1];
    }
    default:
      return 0;
  }
}

uint64_t sn2_node_weight_elements(const struct sn2_node* node) {
  switch (node->type) {
    case sn2_op_conv2d: {
      const struct sn2_conv2d_params* c = &node->params.conv2d;
      if (c->averaging) return 0;
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
  // A conv counts its own input and output map, even where a pool fused into it never stores
  // that map or a residual Add fused into it reads a second input: the paper's model is a
  // property of the network, the same in every plan (the pool and the Add are not convs and
  // were never counted).
  if (node->type == sn2_op_conv2d) {
    return elements + sn2_value_elements(&graph->values[node->inputs[0]]) + conv_map_elements(graph, node);
  }
  for (uint32_t i = 0; i < node->input_count; i++) {
    elements += sn2_value_elements(&graph->values[node->inputs[i]]);
  }
  for (uint32_t o = 0; o < node->output_count; o++) {
    elements += sn2_value_elements(&graph->values[node->outputs[o]]);
  }
  return elements;
}

bool sn2_op_is_data_movement(enum sn2_op_type type) {
  switch (type) {
    case sn2_op_concat:
    case sn2_op_split:
    case sn2_op_channel_shuffle:
    case sn2_op_slice:
    case sn2_op_transpose:
    case sn2_op_reshape:
    case sn2_op_gather:
      return true;
    default:
      return false;
  }
}
