// The reference kernels as a backend: stateless, one run function per op type.
#include "kernels/backend.h"
#include "kernels/reference/ref-ops.h"

static void run_conv2d(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s;
  const struct sn2_conv2d_params* p = &c->node->params.conv2d;
  sn2_ref_conv2d(p, &c->inputs[0], p->residual ? &c->inputs[1] : NULL, &c->outputs[0], pool);
}
static void run_batchnorm(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_batchnorm(&c->node->params.batchnorm, &c->inputs[0], &c->outputs[0]);
}
static void run_clamp(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_clamp(&c->node->params.clamp, &c->inputs[0], &c->outputs[0]);
}
static void run_max_pool(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_max_pool(&c->node->params.pool, &c->inputs[0], &c->outputs[0]);
}
static void run_avg_pool(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_avg_pool(&c->node->params.pool, &c->inputs[0], &c->outputs[0]);
}
static void run_global_avg_pool(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_global_avg_pool(&c->inputs[0], &c->outputs[0]);
}
static void run_fully_connected(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_fully_connected(&c->node->params.fully_connected, &c->inputs[0], &c->outputs[0]);
}
static void run_binary(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_binary(&c->node->params.binary, &c->inputs[0], &c->inputs[1], &c->outputs[0]);
}
static void run_concat(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_concat(c->node->params.axis.axis, c->inputs, c->node->input_count, &c->outputs[0]);
}
static void run_split(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_split(c->node->params.axis.axis, &c->inputs[0], c->outputs, c->node->output_count);
}
static void run_slice(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_slice(&c->node->params.slice, &c->inputs[0], &c->outputs[0]);
}
static void run_channel_shuffle(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_channel_shuffle(&c->node->params.channel_shuffle, &c->inputs[0], &c->outputs[0]);
}
static void run_softmax(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_softmax(&c->node->params.softmax, &c->inputs[0], &c->outputs[0]);
}
static void run_transpose(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_transpose(&c->node->params.transpose, &c->inputs[0], &c->outputs[0]);
}
static void run_reshape(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_reshape(&c->inputs[0], &c->outputs[0]);
}
static void run_matmul(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_matmul(&c->inputs[0], &c->inputs[1], &c->outputs[0]);
}
static void run_reduce_mean(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_reduce_mean(&c->node->params.reduce, &c->inputs[0], &c->outputs[0]);
}
static void run_gather(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_gather(&c->node->params.gather, &c->inputs[0], &c->outputs[0]);
}

#define REF(type, name) [type] = {"ref:" #name, NULL, run_##name, NULL, NULL, false}
static const struct sn2_op_backend reference_backends[sn2_op_type_count] = {
    REF(sn2_op_conv2d, conv2d),
    REF(sn2_op_batchnorm, batchnorm),
    REF(sn2_op_max_pool, max_pool),
    REF(sn2_op_avg_pool, avg_pool),
    REF(sn2_op_global_avg_pool, global_avg_pool),
    REF(sn2_op_channel_shuffle, channel_shuffle),
    REF(sn2_op_clamp, clamp),
    REF(sn2_op_fully_connected, fully_connected),
    REF(sn2_op_binary, binary),
    REF(sn2_op_concat, concat),
    REF(sn2_op_split, split),
    REF(sn2_op_slice, slice),
    REF(sn2_op_softmax, softmax),
    REF(sn2_op_transpose, transpose),
    REF(sn2_op_reshape, reshape),
    REF(sn2_op_matmul, matmul),
    REF(sn2_op_reduce_mean, reduce_mean),
    REF(sn2_op_gather, gather),
};

const struct sn2_op_backend* sn2_reference_backend(enum sn2_op_type type) {
  return (unsigned)type < sn2_op_type_count ? &reference_backends[type] : NULL;
}

static void run_nothing(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)c, (void)s, (void)pool;
}

static const struct sn2_op_backend view_backend = {"view", NULL, run_nothing, NULL, NULL, false};

const struct sn2_op_backend* sn2_view_backend(void) { return &view_backend; }
