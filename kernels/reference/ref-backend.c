// The reference kernels as a backend: stateless, one run function per op type.
#include "kernels/backend.h"
#include "kernels/reference/ref-ops.h"

static void run_conv2d(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s;
  sn2_ref_conv2d(&c->node->params.conv2d, &c->inputs[0], &c->outputs[0], pool);
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
static void run_add(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_add(&c->inputs[0], &c->inputs[1], &c->outputs[0]);
}
static void run_concat(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_concat(c->inputs, c->node->input_count, &c->outputs[0]);
}
static void run_split(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_split(&c->inputs[0], c->outputs, c->node->output_count);
}
static void run_channel_shuffle(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_channel_shuffle(&c->node->params.channel_shuffle, &c->inputs[0], &c->outputs[0]);
}
static void run_softmax(const struct sn2_op_context* c, void* s, pthreadpool_t pool) {
  (void)s, (void)pool;
  sn2_ref_softmax(&c->inputs[0], &c->outputs[0]);
}

#define REF(type, name) [type] = {"ref:" #name, NULL, run_##name, NULL}
static const struct sn2_op_backend reference_backends[sn2_op_type_count] = {
    REF(sn2_op_conv2d, conv2d),
    REF(sn2_op_batchnorm, batchnorm),
    REF(sn2_op_clamp, clamp),
    REF(sn2_op_max_pool, max_pool),
    REF(sn2_op_avg_pool, avg_pool),
    REF(sn2_op_global_avg_pool, global_avg_pool),
    REF(sn2_op_fully_connected, fully_connected),
    REF(sn2_op_add, add),
    REF(sn2_op_concat, concat),
    REF(sn2_op_split, split),
    REF(sn2_op_channel_shuffle, channel_shuffle),
    REF(sn2_op_softmax, softmax),
};

const struct sn2_op_backend* sn2_reference_backend(enum sn2_op_type type) {
  return (unsigned)type < sn2_op_type_count ? &reference_backends[type] : NULL;
}
