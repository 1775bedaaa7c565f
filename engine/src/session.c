// Sessions: the arena, the thread pool and each op's tensors and state. Everything is
// prepared in sn2_session_create so that sn2_session_run only moves data and calls kernels.
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/src/engine.h"
#include "engine/src/error.h"

struct sn2_session_op {
  const struct sn2_plan_op* plan;
  struct sn2_op_context context;
  void* state;
};

struct sn2_session {
  const struct sn2_model* model;
  float* arena;
  pthreadpool_t threadpool;  // NULL for one thread: kernels then run on the caller
  struct sn2_tensor* tensors;     // per graph value
  struct sn2_tensor* op_tensors;  // every op's inputs then outputs, back to back
  struct sn2_session_op* ops;
  uint32_t* planar_slots;  // the input's channel planes, where the model keeps it N, C, H, W
  // Where the model keeps the input N, C, H, W, its one reader (the stem on the taps driver,
  // which takes its input pointer at each run) reads the caller's buffer in place: no copy.
  // Likewise a channels-last model's stem (channels_last_in_place_reader). This is that
  // reader's input tensor, and the arena's copy it points to between runs.
  struct sn2_tensor* input_in_place;
  float* arena_input;
};

void sn2_session_delete(sn2_session_t session) {
  if (!session) return;
  for (uint32_t i = 0; session->ops && i < session->model->op_count; i++) {
    struct sn2_session_op* op = &session->ops[i];
    if (op->state && op->plan->backend->destroy) op->plan->backend->destroy(op->state);
  }
  if (session->threadpool) pthreadpool_destroy(session->threadpool);
  free(session->planar_slots);
  free(session->ops);
  free(session->op_tensors);
  free(session->tensors);
  free(session->arena);
  free(session);
}

// True if a rank-4 value's storage is its NHWC pixels back to back, channels in order: the
// layout of a channels-last caller's buffer.
static bool pixels_in_order(const struct sn2_tensor* t) {
  bool in_order = t->rank == 4 && t->pixel_stride == t->shape.c &&
                  (size_t)t->strides[0] == (size_t)t->shape.h * t->shape.w * t->shape.c;
  for (uint32_t c = 0; in_order && t->channel_slots && c < t->shape.c; c++) in_order = t->channel_slots[c] == c;
  return in_order;
}

// Where a channels-last model keeps its input as the caller's NHWC pixels in order (the alias
// value: pixel stride = channels, no slot table) and one op reads that storage, as its first
// input, whole, and takes its input pointer at each run (the taps driver: the backends with
// reads_planar_input), that op reads the caller's buffer in place: the op's index, else
// UINT32_MAX. Every other reader of the storage must be a view (runs nothing).
static uint32_t channels_last_in_place_reader(const struct sn2_session* session) {
  const struct sn2_model* model = session->model;
  const struct sn2_graph* graph = model->graph;
  const uint32_t alias = model->views.input_alias;
  if (alias == SN2_INVALID_ID) return UINT32_MAX;
  const uint32_t root = model->views.root[alias];
  const bool in_order = pixels_in_order(&session->tensors[alias]) && model->views.root[graph->output] != root;
  uint32_t reader = UINT32_MAX, reads = 0;
  for (uint32_t i = 0; in_order && i < model->op_count; i++) {
    const uint32_t n = model->ops[i].node;
    if (model->views.is_view[n]) continue;
    const struct sn2_node* node = &graph->nodes[n];
    for (uint32_t k = 0; k < node->input_count; k++) {
      if (model->views.root[node->inputs[k]] != root) continue;
      reads++;
      if (k == 0 && node->inputs[0] == alias && model->views.read_offset[n] == UINT32_MAX &&
          model->ops[i].backend->reads_planar_input) {
        reader = i;
      }
    }
  }
  return in_order && reads == 1 ? reader : UINT32_MAX;
}

enum sn2_status sn2_session_create(sn2_model_t model, uint32_t threads,
                                   sn2_session_t* session_out) {
  if (!model || !session_out) {
    return sn2_error(sn2_status_invalid_parameter, "sn2_session_create: null %s",
                     model ? "session_out" : "model");
  }
  *session_out = NULL;
  if (threads == 0) threads = model->options.threads ? model->options.threads : 1;
  if (threads > 1024) {
    return sn2_error(sn2_status_invalid_parameter, "sn2_session_create: %u threads exceeds 1024",
                     threads);
  }
  const struct sn2_graph* graph = model->graph;
  enum sn2_status status = sn2_status_out_of_memory;
  struct sn2_session* session = calloc(1, sizeof *session);
  if (!session) return sn2_error(status, "session: out of memory");
  session->model = model;
  size_t io_count = 0;
  for (uint32_t n = 0; n < graph->node_count; n++) {
    io_count += graph->nodes[n].input_count + graph->nodes[n].output_count;
  }
  session->arena = aligned_alloc(64, model->stats.arena_bytes ? model->stats.arena_bytes : 64);
  session->tensors = calloc(graph->value_count, sizeof *session->tensors);
  session->op_tensors = calloc(io_count ? io_count : 1, sizeof *session->op_tensors);
  session->ops = calloc(model->op_count ? model->op_count : 1, sizeof *session->ops);
  if (!session->arena || !session->tensors || !session->op_tensors || !session->ops) {
    sn2_error(status, "session: out of memory for a %llu-byte arena",
              (unsigned long long)model->stats.arena_bytes);
    goto error;
  }
  if (threads > 1) {
    session->threadpool = pthreadpool_create(threads);
    if (!session->threadpool) {
      sn2_error(status, "session: could not start %u threads", threads);
      goto error;
    }
  }
  for (uint32_t v = 0; v < graph->value_count; v++) {
    const struct sn2_value* value = &graph->values[v];
    float* data = value->data ? value->data
                              : (float*)((char*)session->arena + model->value_offsets[v]);
    const uint32_t* slots = model->views.slots[v];
    if (!slots) {
      session->tensors[v] = sn2_make_tensor(value->rank, value->dims, data);
      continue;
    }
    // A feature map inside its root's buffer: contiguous channels become an offset.
    const uint32_t width = model->views.width[model->views.root[v]];
    if (sn2_slots_contiguous(slots, value->dims[1])) {
      session->tensors[v] = sn2_make_feature_map(value->dims, data + slots[0], width, NULL);
    } else {
      session->tensors[v] = sn2_make_feature_map(value->dims, data, width, slots);
    }
  }
  if (model->planar_input) {
    // The caller's layout: pixel stride 1, channel c at plane c.
    const uint32_t x = graph->input;
    const uint32_t* dims = graph->values[x].dims;
    session->planar_slots = malloc(dims[1] * sizeof *session->planar_slots);
    if (!session->planar_slots) {
      sn2_error(status, "session: out of memory");
      goto error;
    }
    for (uint32_t c = 0; c < dims[1]; c++) session->planar_slots[c] = c * dims[2] * dims[3];
    struct sn2_tensor* t = &session->tensors[x];
    *t = sn2_make_feature_map(dims, t->data, 1, session->planar_slots);
    t->strides[0] = (ptrdiff_t)dims[1] * dims[2] * dims[3];
  }
  const uint32_t in_place_reader = channels_last_in_place_reader(session);
  struct sn2_tensor* io = session->op_tensors;
  for (uint32_t i = 0; i < model->op_count; i++) {
    struct sn2_session_op* op = &session->ops[i];
    op->plan = &model->ops[i];
    const struct sn2_node* node = &graph->nodes[op->plan->node];
    for (uint32_t k = 0; k < node->input_count; k++) io[k] = session->tensors[node->inputs[k]];
    const uint32_t read_offset = model->views.read_offset[op->plan->node];
    if (read_offset != UINT32_MAX) {
      // A conv that absorbed its input's channel permutation reads the range physically.
      const uint32_t v = node->inputs[0];
      float* root = (float*)((char*)session->arena + model->value_offsets[v]);
      io[0] = sn2_make_feature_map(graph->values[v].dims, root + read_offset,
                                   model->views.width[model->views.root[v]], NULL);
    }
    op->context.inputs = io;
    io += node->input_count;
    for (uint32_t k = 0; k < node->output_count; k++) io[k] = session->tensors[node->outputs[k]];
    const uint32_t write_offset = model->views.write_offset[op->plan->node];
    if (write_offset != UINT32_MAX) {
      // A depthwise conv that absorbed a permutation writes its channels in physical order.
      const uint32_t v = node->outputs[0];
      float* root = (float*)((char*)session->arena + model->value_offsets[v]);
      io[0] = sn2_make_feature_map(graph->values[v].dims, root + write_offset,
                                   model->views.width[model->views.root[v]], NULL);
    }
    op->context.outputs = io;
    io += node->output_count;
    op->context.node = node;
    op->context.kernel_data = op->plan->backend->kernel_data;
    if ((model->planar_input && node->inputs[0] == graph->input && op->plan->backend->reads_planar_input) ||
        i == in_place_reader) {
      session->input_in_place = (struct sn2_tensor*)&op->context.inputs[0];  // the session's own
      session->arena_input = op->context.inputs[0].data;
    }
    if (op->plan->backend->create) {
      status = op->plan->backend->create(&op->context, session->threadpool, &op->state);
      if (status != sn2_status_success) goto error;
    }
  }
  *session_out = session;
  return sn2_status_success;

error:
  sn2_session_delete(session);
  return status;
}

static uint64_t tensor_elements(const struct sn2_tensor* t) {
  uint64_t n = 1;
  for (uint32_t d = 0; d < t->rank; d++) n *= t->dims[d];
  return n;
}

// Copies between the caller's row-major buffer (ONNX order; NHWC if `nhwc`) and a value's
// storage: rank-4 values are stored as pixels (NHWC, maybe inside a wider buffer) or, for a
// planar input (pixel stride 1), N, C, H, W; all others row-major.
struct copy_task {
  char* to;
  const char* from;
  size_t bytes, chunk;
};

static void copy_chunk(void* context, size_t i) {
  const struct copy_task* t = context;
  const size_t first = i * t->chunk;
  memcpy(t->to + first, t->from + first, t->bytes - first < t->chunk ? t->bytes - first : t->chunk);
}

// A plain copy, split over the pool's threads when it is large (the planar input: 600 KB at
// 224x224, copied by one core at 30-40 us); chunks on cache-line boundaries.
static void copy(void* to, const void* from, size_t bytes, pthreadpool_t pool) {
  const size_t threads = pool ? pthreadpool_get_threads_count(pool) : 1;
  if (threads <= 1 || bytes < ((size_t)1 << 18)) {
    memcpy(to, from, bytes);
    return;
  }
  struct copy_task task = {to, from, bytes, (bytes / threads + 63) / 64 * 64};
  pthreadpool_parallelize_1d(pool, copy_chunk, &task, (bytes + task.chunk - 1) / task.chunk, 0);
}

static void transfer(const struct sn2_tensor* value, float* buffer, int nhwc, int to_value,
                     pthreadpool_t pool) {
  // Where the storage is the caller's layout as it is, one copy: a planar input, any other
  // rank, and NHWC pixels in order (a channels-last model's input: 600 KB at 224x224, element
  // by element through the slots 77 us, as one copy a third of that).
  if (value->rank != 4 || (value->pixel_stride == 1 && !nhwc) || (nhwc && pixels_in_order(value))) {
    const size_t bytes = tensor_elements(value) * sizeof(float);
    if (to_value) {
      copy(value->data, buffer, bytes, pool);
    } else {
      copy(buffer, value->data, bytes, pool);
    }
    return;
  }
  const struct sn2_shape s = value->shape;
  const size_t plane = (size_t)s.h * s.w;
  // Where channel c of a pixel sits in the caller's buffer, relative to the pixel's first.
  const size_t channel_step = nhwc ? 1 : plane, pixel_step = nhwc ? s.c : 1;
  if (!value->channel_slots && !nhwc && to_value) {
    // The usual case, an N, C, H, W image into the plan's pixels: plane by plane, so that the
    // reads are sequential and no slot table is consulted per element.
    for (uint32_t n = 0; n < s.n; n++) {
      const float* image = buffer + (size_t)n * s.c * plane;
      float* stored = value->data + (size_t)n * (size_t)value->strides[0];
      for (uint32_t c = 0; c < s.c; c++) {
        for (size_t p = 0; p < plane; p++) stored[p * value->pixel_stride + c] = image[c * plane + p];
      }
    }
    return;
  }
  for (uint32_t n = 0; n < s.n; n++) {
    float* image = buffer + (size_t)n * s.c * plane;
    float* stored = value->data + (size_t)n * (size_t)value->strides[0];
    for (size_t p = 0; p < plane; p++) {
      float* pixel = stored + p * value->pixel_stride;
      float* outside = image + p * pixel_step;
      for (uint32_t c = 0; c < s.c; c++) {
        const size_t slot = value->channel_slots ? value->channel_slots[c] : c;
        if (to_value) {
          pixel[slot] = outside[c * channel_step];
        } else {
          outside[c * channel_step] = pixel[slot];
        }
      }
    }
  }
}

static double seconds_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static enum sn2_status run(sn2_session_t session, const float* input, size_t input_count,
                           float* output, size_t output_count, uint32_t flags,
                           double* op_seconds);

enum sn2_status sn2_session_run(sn2_session_t session, const float* input, size_t input_count,
                                float* output, size_t output_count, uint32_t flags) {
  return run(session, input, input_count, output, output_count, flags, NULL);
}

enum sn2_status sn2_session_run_profiled(sn2_session_t session, const float* input,
                                         size_t input_count, float* output,
                                         size_t output_count, double* op_seconds) {
  if (!op_seconds) return sn2_error(sn2_status_invalid_parameter, "profile: null op_seconds");
  return run(session, input, input_count, output, output_count, 0, op_seconds);
}

static enum sn2_status run(sn2_session_t session, const float* input, size_t input_count,
                           float* output, size_t output_count, uint32_t flags,
                           double* op_seconds) {
  if (!session || !input || !output) {
    return sn2_error(sn2_status_invalid_parameter, "sn2_session_run: null %s",
                     !session ? "session" : !input ? "input" : "output");
  }
  const struct sn2_graph* graph = session->model->graph;
  const struct sn2_tensor* in = &session->tensors[graph->input];
  const struct sn2_tensor* out = &session->tensors[graph->output];
  if (input_count != tensor_elements(in)) {
    return sn2_error(sn2_status_invalid_parameter,
                     "sn2_session_run: input has %zu floats, the model's input '%s' needs %llu",
                     input_count, graph->values[graph->input].name,
                     (unsigned long long)tensor_elements(in));
  }
  if (output_count != tensor_elements(out)) {
    return sn2_error(sn2_status_invalid_parameter,
                     "sn2_session_run: output has room for %zu floats, the model's output '%s' "
                     "has %llu",
                     output_count, graph->values[graph->output].name,
                     (unsigned long long)tensor_elements(out));
  }
  if (flags & ~SN2_RUN_INPUT_NHWC) {
    return sn2_error(sn2_status_invalid_parameter, "sn2_session_run: unknown flags 0x%x",
                     flags & ~SN2_RUN_INPUT_NHWC);
  }
  if ((flags & SN2_RUN_INPUT_NHWC) && in->rank != 4) {
    return sn2_error(sn2_status_invalid_parameter,
                     "sn2_session_run: SN2_RUN_INPUT_NHWC needs a rank-4 input, '%s' has rank %u",
                     graph->values[graph->input].name, in->rank);
  }
  const double transfer_start = op_seconds ? seconds_now() : 0.0;
  // The input buffer is only read: transfer() writes into the value when to_value is set.
  const uint32_t alias = session->model->views.input_alias;
  if (alias != SN2_INVALID_ID) {
    // A channels-last model: the caller's buffer is already in the transposed value's layout.
    if (flags & SN2_RUN_INPUT_NHWC) {
      return sn2_error(sn2_status_invalid_parameter,
                       "sn2_session_run: the model's input '%s' is already channels-last; "
                       "SN2_RUN_INPUT_NHWC applies to N, C, H, W inputs",
                       graph->values[graph->input].name);
    }
    if (session->input_in_place) {
      session->input_in_place->data = (float*)input;  // read, never written
    } else {
      transfer(&session->tensors[alias], (float*)input, 1, 1, session->threadpool);
    }
  } else if (session->input_in_place && !(flags & SN2_RUN_INPUT_NHWC)) {
    session->input_in_place->data = (float*)input;  // read, never written
  } else {
    if (session->input_in_place) session->input_in_place->data = session->arena_input;
    transfer(in, (float*)input, flags & SN2_RUN_INPUT_NHWC, 1, session->threadpool);
  }
  const double transfer_seconds = op_seconds ? seconds_now() - transfer_start : 0.0;
  for (uint32_t i = 0; i < session->model->op_count; i++) {
    struct sn2_session_op* op = &session->ops[i];
    const double start = op_seconds ? seconds_now() : 0.0;
    op->plan->backend->run(&op->context, op->state, session->threadpool);
    if (op_seconds) op_seconds[i] += seconds_now() - start;
  }
  const double output_start = op_seconds ? seconds_now() : 0.0;
  transfer(out, output, 0, 0, session->threadpool);
  if (op_seconds) {
    op_seconds[session->model->op_count] += transfer_seconds + seconds_now() - output_start;
  }
  return sn2_status_success;
}
