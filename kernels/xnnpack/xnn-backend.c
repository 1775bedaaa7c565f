// XNNPACK operators as a backend. Operators are created per session (XNNPACK packs the weights
// then) and set up once with the session's fixed arena pointers, so a run is xnn_run_operator.
#include <math.h>
#include <stdlib.h>
#include <pthread.h>
#include <xnnpack.h>

#include "engine/src/error.h"
#include "kernels/backend.h"

static pthread_once_t xnnpack_once = PTHREAD_ONCE_INIT;
static enum xnn_status xnnpack_init_status = xnn_status_uninitialized;

static void initialize_xnnpack(void) { xnnpack_init_status = xnn_initialize(NULL); }

enum sn2_status sn2_xnnpack_initialize(void) {
  pthread_once(&xnnpack_once, initialize_xnnpack);
  if (xnnpack_init_status != xnn_status_success) {
    return sn2_error(sn2_status_invalid_state, "XNNPACK failed to initialise (xnn_status %d)",
                     (int)xnnpack_init_status);
  }
  return sn2_status_success;
}

static enum sn2_status check(enum xnn_status status, const struct sn2_node* node,
                             const char* call) {
  if (status == xnn_status_success) return sn2_status_success;
  enum sn2_status mapped = status == xnn_status_out_of_memory ? sn2_status_out_of_memory
                           : status == xnn_status_unsupported_hardware
                               ? sn2_status_unsupported_hardware
                               : sn2_status_unsupported_parameter;
  return sn2_error(mapped, "node %s: XNNPACK %s failed (xnn_status %d)", node->name, call,
                   (int)status);
}

static void run_operator(const struct sn2_op_context* context, void* state,
                         pthreadpool_t threadpool) {
  (void)context;
  // Inputs were validated when the operator was set up; nothing is left to fail here.
  (void)xnn_run_operator((xnn_operator_t)state, threadpool);
}

static void delete_operator(void* state) { xnn_delete_operator((xnn_operator_t)state); }

// Finishes create: set up with the fixed pointers, or delete the operator on any failure.
static enum sn2_status finish(enum xnn_status created, enum xnn_status (*setup)(xnn_operator_t,
                                                                                const struct sn2_op_context*,
                                                                                pthreadpool_t),
                              xnn_operator_t op, const struct sn2_op_context* context,
                              pthreadpool_t threadpool, void** state_out) {
  enum sn2_status status = check(created, context->node, "create");
  if (status == sn2_status_success) {
    status = check(setup(op, context, threadpool), context->node, "setup");
  }
  if (status != sn2_status_success) {
    if (op) xnn_delete_operator(op);
    return status;
  }
  *state_out = op;
  return sn2_status_success;
}

static enum xnn_status setup_conv2d(xnn_operator_t op, const struct sn2_op_context* c,
                                    pthreadpool_t pool) {
  const struct sn2_tensor* in = &c->inputs[0];
  return xnn_setup_convolution2d_nhwc_f32(op, in->shape.n, in->shape.h, in->shape.w, in->data,
                                          c->outputs[0].data, pool);
}

static enum sn2_status create_conv2d(const struct sn2_op_context* c, pthreadpool_t pool,
                                     void** state_out) {
  const struct sn2_conv2d_params* p = &c->node->params.conv2d;
  xnn_operator_t op = NULL;
  enum xnn_status created = xnn_create_convolution2d_nhwc_f32(
      p->pad_top, p->pad_right, p->pad_bottom, p->pad_left, p->kernel_h, p->kernel_w,
      p->stride_h, p->stride_w, p->dilation_h, p->dilation_w, p->groups,
      p->input_channels / p->groups, p->output_channels / p->groups, c->inputs[0].pixel_stride,
      c->outputs[0].pixel_stride, p->weights, p->bias, p->output_min, p->output_max, 0, &op);
  return finish(created, setup_conv2d, op, c, pool, state_out);
}

static enum xnn_status setup_max_pool(xnn_operator_t op, const struct sn2_op_context* c,
                                      pthreadpool_t pool) {
  const struct sn2_tensor* in = &c->inputs[0];
  return xnn_setup_max_pooling2d_nhwc_f32(op, in->shape.n, in->shape.h, in->shape.w, in->data,
                                          c->outputs[0].data, pool);
}

static enum sn2_status create_max_pool(const struct sn2_op_context* c, pthreadpool_t pool,
                                       void** state_out) {
  const struct sn2_pool_params* p = &c->node->params.pool;
  xnn_operator_t op = NULL;
  enum xnn_status created = xnn_create_max_pooling2d_nhwc_f32(
      p->pad_top, p->pad_right, p->pad_bottom, p->pad_left, p->kernel_h, p->kernel_w,
      p->stride_h, p->stride_w, 1, 1, c->inputs[0].shape.c, c->inputs[0].pixel_stride,
      c->outputs[0].pixel_stride, -INFINITY, INFINITY, 0, &op);
  return finish(created, setup_max_pool, op, c, pool, state_out);
}

static enum xnn_status setup_global_avg_pool(xnn_operator_t op, const struct sn2_op_context* c,
                                             pthreadpool_t pool) {
  const struct sn2_tensor* in = &c->inputs[0];
  return xnn_setup_global_average_pooling_nwc_f32(op, in->shape.n,
                                                  (size_t)in->shape.h * in->shape.w, in->data,
                                                  c->outputs[0].data, pool);
}

static enum sn2_status create_global_avg_pool(const struct sn2_op_context* c, pthreadpool_t pool,
                                              void** state_out) {
  xnn_operator_t op = NULL;
  enum xnn_status created = xnn_create_global_average_pooling_nwc_f32(
      c->inputs[0].shape.c, c->inputs[0].pixel_stride, c->outputs[0].pixel_stride, -INFINITY,
      INFINITY, 0, &op);
  return finish(created, setup_global_avg_pool, op, c, pool, state_out);
}

static enum xnn_status setup_fully_connected(xnn_operator_t op, const struct sn2_op_context* c,
                                             pthreadpool_t pool) {
  return xnn_setup_fully_connected_nc_f32(op, c->inputs[0].dims[0], c->inputs[0].data,
                                          c->outputs[0].data, pool);
}

static enum sn2_status create_fully_connected(const struct sn2_op_context* c, pthreadpool_t pool,
                                              void** state_out) {
  const struct sn2_fully_connected_params* p = &c->node->params.fully_connected;
  xnn_operator_t op = NULL;
  enum xnn_status created = xnn_create_fully_connected_nc_f32(
      p->input_channels, p->output_channels, (size_t)c->inputs[0].strides[0],
      (size_t)c->outputs[0].strides[0], p->weights, p->bias, p->output_min, p->output_max, 0, &op);
  return finish(created, setup_fully_connected, op, c, pool, state_out);
}

// Softmax over trailing axes of a dense row-major tensor (sn2_xnnpack_backend checks): rows of
// the axes from `axis` on, one after the other.
static size_t softmax_row(const struct sn2_op_context* c) {
  size_t row = 1;
  for (uint32_t d = c->node->params.softmax.axis; d < c->inputs[0].rank; d++) row *= c->inputs[0].dims[d];
  return row;
}

static enum xnn_status setup_softmax(xnn_operator_t op, const struct sn2_op_context* c, pthreadpool_t pool) {
  size_t rows = 1;
  for (uint32_t d = 0; d < c->node->params.softmax.axis; d++) rows *= c->inputs[0].dims[d];
  return xnn_setup_softmax_nc_f32(op, rows, c->inputs[0].data, c->outputs[0].data, pool);
}

static enum sn2_status create_softmax(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  xnn_operator_t op = NULL;
  const size_t row = softmax_row(c);
  enum xnn_status created = xnn_create_softmax_nc_f32(row, row, row, 0, &op);
  return finish(created, setup_softmax, op, c, pool, state_out);
}

// Elementwise ops see tensors as dense arrays: a feature map as its NHWC pixels.
static size_t dense_elements(const struct sn2_tensor* t) {
  size_t n = 1;
  for (uint32_t d = 0; d < t->rank; d++) n *= t->dims[d];
  return n;
}

static enum xnn_status setup_clamp(xnn_operator_t op, const struct sn2_op_context* c, pthreadpool_t pool) {
  const struct sn2_tensor* in = &c->inputs[0];
  const size_t batch = in->rank == 4 ? (size_t)in->shape.n * in->shape.h * in->shape.w : 1;
  return xnn_setup_clamp_nc_f32(op, batch, in->data, c->outputs[0].data, pool);
}

static enum sn2_status create_clamp(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  const struct sn2_tensor* in = &c->inputs[0];
  const struct sn2_tensor* out = &c->outputs[0];
  const size_t channels = in->rank == 4 ? in->shape.c : dense_elements(in);
  const size_t in_stride = in->rank == 4 ? in->pixel_stride : channels;
  const size_t out_stride = out->rank == 4 ? out->pixel_stride : channels;
  xnn_operator_t op = NULL;
  enum xnn_status created = xnn_create_clamp_nc_f32(channels, in_stride, out_stride, c->node->params.clamp.min,
                                                    c->node->params.clamp.max, 0, &op);
  return finish(created, setup_clamp, op, c, pool, state_out);
}

// A tensor's shape as XNNPACK's row-major nd ops see it, padded with leading 1s to `rank`:
// a rank-4 value is stored N, H, W, C; a smaller one (a broadcast constant) row-major, which
// matches only when its channel axis or its spatial axes are 1 (checked in binary_dense()).
static void physical_shape(const struct sn2_tensor* t, uint32_t rank, size_t* shape) {
  size_t logical[SN2_MAX_RANK];
  for (uint32_t d = 0; d < rank; d++) {
    const int64_t j = (int64_t)d - (int64_t)(rank - t->rank);
    logical[d] = j >= 0 ? t->dims[j] : 1;
  }
  if (rank == 4) {
    shape[0] = logical[0], shape[1] = logical[2], shape[2] = logical[3], shape[3] = logical[1];
  } else {
    for (uint32_t d = 0; d < rank; d++) shape[d] = logical[d];
  }
}

static enum xnn_status setup_binary(xnn_operator_t op, const struct sn2_op_context* c, pthreadpool_t pool) {
  const uint32_t rank = c->outputs[0].rank;
  size_t a[SN2_MAX_RANK], b[SN2_MAX_RANK];
  physical_shape(&c->inputs[0], rank, a);
  physical_shape(&c->inputs[1], rank, b);
  const float* x = c->inputs[0].data;
  const float* y = c->inputs[1].data;
  float* out = c->outputs[0].data;
  switch (c->node->params.binary.kind) {
    case sn2_binary_add: return xnn_setup_add_nd_f32(op, rank, a, rank, b, x, y, out, pool);
    case sn2_binary_sub: return xnn_setup_subtract_nd_f32(op, rank, a, rank, b, x, y, out, pool);
    case sn2_binary_mul: return xnn_setup_multiply_nd_f32(op, rank, a, rank, b, x, y, out, pool);
    default: return xnn_setup_divide_nd_f32(op, rank, a, rank, b, x, y, out, pool);
  }
}

static enum sn2_status create_binary(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  const struct sn2_binary_params* p = &c->node->params.binary;
  const float lo = p->clamped ? p->output_min : -INFINITY, hi = p->clamped ? p->output_max : INFINITY;
  xnn_operator_t op = NULL;
  enum xnn_status created;
  switch (p->kind) {
    case sn2_binary_add: created = xnn_create_add_nd_f32(lo, hi, 0, &op); break;
    case sn2_binary_sub: created = xnn_create_subtract_nd_f32(lo, hi, 0, &op); break;
    case sn2_binary_mul: created = xnn_create_multiply_nd_f32(lo, hi, 0, &op); break;
    default: created = xnn_create_divide_nd_f32(lo, hi, 0, &op); break;
  }
  return finish(created, setup_binary, op, c, pool, state_out);
}

static enum xnn_status setup_shuffle(xnn_operator_t op, const struct sn2_op_context* c, pthreadpool_t pool) {
  const struct sn2_tensor* in = &c->inputs[0];
  return xnn_setup_channel_shuffle_nc_x32(op, (size_t)in->shape.n * in->shape.h * in->shape.w,
                                          in->data, c->outputs[0].data, pool);
}

static enum sn2_status create_shuffle(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  const uint32_t groups = c->node->params.channel_shuffle.groups;
  xnn_operator_t op = NULL;
  enum xnn_status created = xnn_create_channel_shuffle_nc_x32(
      groups, c->inputs[0].shape.c / groups, c->inputs[0].pixel_stride, c->outputs[0].pixel_stride, 0, &op);
  return finish(created, setup_shuffle, op, c, pool, state_out);
}

// Channel split and concat on feature maps: one copy_nc_x32 per part, each moving its channel
// slice between pixels of different widths.
struct parts_state {
  uint32_t count;
  xnn_operator_t ops[];
};

static void delete_parts(void* state) {
  struct parts_state* s = state;
  if (!s) return;
  for (uint32_t i = 0; i < s->count; i++) {
    if (s->ops[i]) xnn_delete_operator(s->ops[i]);
  }
  free(s);
}

static void run_parts(const struct sn2_op_context* c, void* state, pthreadpool_t pool) {
  (void)c;
  const struct parts_state* s = state;
  for (uint32_t i = 0; i < s->count; i++) (void)xnn_run_operator(s->ops[i], pool);
}

static enum sn2_status create_parts(const struct sn2_op_context* c, pthreadpool_t pool, void** state_out) {
  const bool split = c->node->type == sn2_op_split;
  const struct sn2_tensor* whole = split ? &c->inputs[0] : &c->outputs[0];
  const uint32_t count = split ? c->node->output_count : c->node->input_count;
  struct parts_state* s = calloc(1, sizeof *s + count * sizeof(xnn_operator_t));
  if (!s) return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", c->node->name);
  s->count = count;
  const size_t pixels = (size_t)whole->shape.n * whole->shape.h * whole->shape.w;
  uint32_t offset = 0;
  for (uint32_t i = 0; i < count; i++) {
    const struct sn2_tensor* part = split ? &c->outputs[i] : &c->inputs[i];
    const size_t in_stride = split ? whole->pixel_stride : part->pixel_stride;
    const size_t out_stride = split ? part->pixel_stride : whole->pixel_stride;
    const float* from = split ? whole->data + offset : part->data;
    float* to = split ? part->data : whole->data + offset;
    enum sn2_status status = check(xnn_create_copy_nc_x32(part->shape.c, in_stride, out_stride, 0, &s->ops[i]),
                                   c->node, "create copy");
    if (status == sn2_status_success) {
      status = check(xnn_setup_copy_nc_x32(s->ops[i], pixels, from, to, pool), c->node, "setup copy");
    }
    if (status != sn2_status_success) {
      delete_parts(s);
      return status;
    }
    offset += part->shape.c;
  }
  *state_out = s;
  return sn2_status_success;
}

static const struct sn2_op_backend parts_backend = {
    "xnnpack:copy_nc_x32", create_parts, run_parts, delete_parts, NULL, false};

static const struct sn2_op_backend shuffle_backend = {
    "xnnpack:channel_shuffle_nc_x32", create_shuffle, run_operator, delete_operator, NULL, false};

static const struct sn2_op_backend clamp_backend = {
    "xnnpack:clamp_nc_f32", create_clamp, run_operator, delete_operator, NULL, false};
static const struct sn2_op_backend binary_backend = {
    "xnnpack:binary_nd_f32", create_binary, run_operator, delete_operator, NULL, false};

static const struct sn2_op_backend conv2d_backend = {
    "xnnpack:convolution2d_nhwc_f32", create_conv2d, run_operator, delete_operator, NULL, false};
static const struct sn2_op_backend max_pool_backend = {
    "xnnpack:max_pooling2d_nhwc_f32", create_max_pool, run_operator, delete_operator, NULL, false};
static const struct sn2_op_backend global_avg_pool_backend = {
    "xnnpack:global_average_pooling_nwc_f32", create_global_avg_pool, run_operator,
    delete_operator, NULL, false};
static const struct sn2_op_backend softmax_backend = {
    "xnnpack:softmax_nc_f32", create_softmax, run_operator, delete_operator, NULL, false};
static const struct sn2_op_backend fully_connected_backend = {
    "xnnpack:fully_connected_nc_f32", create_fully_connected, run_operator, delete_operator, NULL, false};

const struct sn2_op_backend* sn2_xnnpack_backend(const struct sn2_graph* graph,
                                                 const struct sn2_node* node, bool dense) {
  const bool feature_maps = graph->values[node->inputs[0]].rank == 4;
  switch (node->type) {
    case sn2_op_clamp:
      return &clamp_backend;
    case sn2_op_split:
    case sn2_op_concat:
      // Channel split / concat of feature maps whose channels are contiguous.
      return feature_maps && node->params.axis.axis == 1 && dense ? &parts_backend : NULL;
    case sn2_op_channel_shuffle:
      // XNNPACK wants two groups or more; one group is a plain copy.
      return node->params.channel_shuffle.groups > 1 ? &shuffle_backend : NULL;
    case sn2_op_binary:
      return dense ? &binary_backend : NULL;
    case sn2_op_conv2d:
      // XNNPACK has no conv with a pool fused into it.
      return node->params.conv2d.global_average || node->params.conv2d.max_pooled ? NULL : &conv2d_backend;
    case sn2_op_max_pool:
      // XNNPACK has no 1x1 max pooling (it is an identity there).
      return node->params.pool.kernel_h * node->params.pool.kernel_w > 1 ? &max_pool_backend
                                                                          : NULL;
    case sn2_op_global_avg_pool:
      return &global_avg_pool_backend;
    case sn2_op_fully_connected:
      return &fully_connected_backend;
    case sn2_op_softmax: {
      // Rows along the last axis (or, opset < 13, every axis from `axis` on) of a dense
      // row-major tensor; a feature map's channels are not its last axis in storage order.
      const struct sn2_value* x = &graph->values[node->inputs[0]];
      const struct sn2_softmax_params* p = &node->params.softmax;
      const bool trailing = p->axis + 1 == x->rank || p->coerce_2d;
      return !feature_maps && dense && trailing ? &softmax_backend : NULL;
    }
    default:
      // Average pooling stays on the reference kernel: XNNPACK divides by the valid cells
      // only, PyTorch's default (count_include_pad) by the whole window.
      return NULL;
  }
}
