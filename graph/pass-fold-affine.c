#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "graph/passes.h"
#include "graph/rewrite.h"

// The weights, bias and activation range of a conv or fully-connected node, seen alike:
// `rows` output channels of `row_size` weights each.
struct linear {
  float* weights;
  float** bias;
  uint32_t rows;
  size_t row_size;
  float output_min, output_max;
};

static bool as_linear(struct sn2_node* node, struct linear* l) {
  if (node->type == sn2_op_conv2d) {
    struct sn2_conv2d_params* c = &node->params.conv2d;
    *l = (struct linear){c->weights, &c->bias, c->output_channels,
                         (size_t)c->kernel_h * c->kernel_w * (c->input_channels / c->groups),
                         c->output_min, c->output_max};
    return true;
  }
  if (node->type == sn2_op_fully_connected) {
    struct sn2_fully_connected_params* f = &node->params.fully_connected;
    *l = (struct linear){f->weights, &f->bias, f->output_channels, f->input_channels,
                         f->output_min, f->output_max};
    return true;
  }
  return false;
}

// Reads a constant that broadcasts along the channel axis (axis 1) of a rank-`rank` output
// into vector[channels]; false if it varies along any other axis.
static bool per_channel(const struct sn2_value* c, uint32_t rank, uint32_t channels,
                        float* vector) {
  if (!sn2_value_is_constant(c) || c->rank > rank) return false;
  const struct sn2_tensor t = sn2_make_tensor(c->rank, c->dims, c->data);
  ptrdiff_t stride = 0;
  for (uint32_t d = 0; d < rank; d++) {
    const int64_t j = (int64_t)d - (int64_t)(rank - c->rank);
    const uint32_t dim = j >= 0 ? c->dims[j] : 1;
    if (d == 1 && dim == channels && j >= 0) {
      stride = t.strides[j];
    } else if (dim != 1) {
      return false;
    }
  }
  for (uint32_t ch = 0; ch < channels; ch++) vector[ch] = c->data[(ptrdiff_t)ch * stride];
  return true;
}

// Applies y' = y * scale + shift per output channel to a linear op.
static enum sn2_status apply_affine(struct linear* l, const float* scale, const float* shift) {
  if (!*l->bias) {
    *l->bias = calloc(l->rows, sizeof(float));
    if (!*l->bias) return sn2_error(sn2_status_out_of_memory, "fold affine: out of memory");
  }
  for (uint32_t o = 0; o < l->rows; o++) {
    const float s = scale ? scale[o] : 1.0f;
    float* row = l->weights + (size_t)o * l->row_size;
    if (scale) {
      for (size_t k = 0; k < l->row_size; k++) row[k] *= s;
    }
    (*l->bias)[o] = (*l->bias)[o] * s + (shift ? shift[o] : 0.0f);
  }
  return sn2_status_success;
}

enum sn2_status sn2_pass_fold_affine(struct sn2_graph* graph) {
  struct sn2_rewrite rw;
  enum sn2_status status = sn2_rewrite_start(graph, &rw);
  if (status != sn2_status_success) return status;
  uint32_t* consumers = rw.consumers;
  bool* remove = rw.remove;
  float* scale = NULL;
  float* shift = NULL;
  for (uint32_t n = 0; n < graph->node_count && status == sn2_status_success; n++) {
    struct sn2_node* node = &graph->nodes[n];
    if (node->type != sn2_op_batchnorm && node->type != sn2_op_binary) continue;
    // Which input comes from a linear op, and which (for Add/Mul) is the constant.
    for (uint32_t side = 0; side < node->input_count && side < 2; side++) {
      const uint32_t x = node->inputs[side];
      const uint32_t producer = graph->values[x].producer;
      if (producer == SN2_INVALID_ID || remove[producer]) continue;
      struct sn2_node* p = &graph->nodes[producer];
      struct linear l;
      if (!as_linear(p, &l) || !sn2_has_single_consumer(consumers, graph, x)) continue;
      if (l.output_min != -INFINITY || l.output_max != INFINITY) continue;  // after an activation
      const struct sn2_value* out = &graph->values[node->outputs[0]];
      if (out->rank != graph->values[x].rank) continue;  // would broadcast the op's output
      free(scale), free(shift);
      scale = malloc(l.rows * sizeof *scale);
      shift = malloc(l.rows * sizeof *shift);
      if (!scale || !shift) {
        status = sn2_error(sn2_status_out_of_memory, "fold affine: out of memory");
        break;
      }
      bool fold = false;
      if (node->type == sn2_op_batchnorm) {
        const struct sn2_batchnorm_params* b = &node->params.batchnorm;
        for (uint32_t o = 0; o < l.rows; o++) {
          scale[o] = b->scale[o] / sqrtf(b->var[o] + b->epsilon);
          shift[o] = b->bias[o] - b->mean[o] * scale[o];
        }
        fold = true;
      } else if (node->params.binary.kind == sn2_binary_add ||
                 node->params.binary.kind == sn2_binary_mul ||
                 (node->params.binary.kind == sn2_binary_sub && side == 0)) {
        const struct sn2_value* c = &graph->values[node->inputs[1 - side]];
        if (per_channel(c, out->rank, l.rows, shift)) {
          fold = true;
          if (node->params.binary.kind == sn2_binary_mul) {
            memcpy(scale, shift, l.rows * sizeof *scale);
            memset(shift, 0, l.rows * sizeof *shift);
          } else {
            if (node->params.binary.kind == sn2_binary_sub) {
              for (uint32_t o = 0; o < l.rows; o++) shift[o] = -shift[o];
            }
            for (uint32_t o = 0; o < l.rows; o++) scale[o] = 1.0f;
          }
        }
      }
      if (!fold) continue;
      status = apply_affine(&l, scale, shift);
      if (status != sn2_status_success) break;
      sn2_log_rewrite("fold affine", "node %s (%s) folded into node %s (%s)", node->name,
                      sn2_op_type_name(node->type), p->name, sn2_op_type_name(p->type));
      sn2_replace_uses(graph, node->outputs[0], x);
      consumers[x] = consumers[node->outputs[0]];
      remove[n] = true;
      break;
    }
  }
  free(scale);
  free(shift);
  return sn2_rewrite_finish(graph, &rw, status);
}
