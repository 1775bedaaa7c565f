#include "graph/channel-views.h"

#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "graph/rewrite.h"

bool sn2_slots_contiguous(const uint32_t* slots, uint32_t count) {
  for (uint32_t c = 1; c < count; c++) {
    if (slots[c] != slots[0] + c) return false;
  }
  return true;
}

// The first slot if slots[0..count) is a permutation of a contiguous range; else UINT32_MAX.
static uint32_t permutation_base(const uint32_t* slots, uint32_t count, bool* seen_scratch) {
  uint32_t lo = UINT32_MAX;
  for (uint32_t c = 0; c < count; c++) lo = slots[c] < lo ? slots[c] : lo;
  memset(seen_scratch, 0, count * sizeof *seen_scratch);
  for (uint32_t c = 0; c < count; c++) {
    const uint32_t k = slots[c] - lo;
    if (k >= count || seen_scratch[k]) return UINT32_MAX;
    seen_scratch[k] = true;
  }
  return lo;
}

struct planner;
static bool depthwise_absorbs(const struct planner* p, uint32_t n);
static bool gathers(const struct planner* p, const struct sn2_conv2d_params* conv);

struct planner {
  struct sn2_graph* graph;
  struct sn2_channel_views* v;
  bool grouped_gather;   // sn2_view_rules
  uint32_t* consumers;   // readers per value (graph output counts)
  uint32_t* last_use;    // last reading node per value (graph output: node_count)
  bool* no_view;         // per node: must stay a copy
  bool* contiguous_only; // per concat: place inputs only in contiguous runs
  bool* busy;            // scratch, per slot
  bool* seen;            // scratch
  size_t scratch_size;
};

static bool is_feature_map(const struct sn2_graph* g, uint32_t v) {
  return g->values[v].rank == 4 && !sn2_value_is_constant(&g->values[v]);
}

static enum sn2_status grow_scratch(struct planner* p, size_t size) {
  if (size <= p->scratch_size) return sn2_status_success;
  free(p->busy), free(p->seen);
  p->busy = malloc(size * sizeof *p->busy);
  p->seen = malloc(size * sizeof *p->seen);
  p->scratch_size = p->busy && p->seen ? size : 0;
  return p->scratch_size ? sn2_status_success : sn2_error(sn2_status_out_of_memory, "channel views: out of memory");
}

// Every value owns a plain buffer.
static enum sn2_status reset(struct planner* p) {
  struct sn2_graph* g = p->graph;
  for (uint32_t v = 0; v < g->value_count; v++) {
    p->v->root[v] = v;
    p->v->width[v] = 0;
    free(p->v->slots[v]);
    p->v->slots[v] = NULL;
    if (!is_feature_map(g, v)) continue;
    const uint32_t c = g->values[v].dims[1];
    p->v->width[v] = c;
    p->v->slots[v] = malloc(c * sizeof(uint32_t));
    if (!p->v->slots[v]) return sn2_error(sn2_status_out_of_memory, "channel views: out of memory");
    for (uint32_t k = 0; k < c; k++) p->v->slots[v][k] = k;
  }
  memset(p->v->is_view, 0, g->node_count * sizeof *p->v->is_view);
  p->v->input_alias = SN2_INVALID_ID;
  return sn2_status_success;
}

static bool is_input_to_nchw(const struct planner* p, const struct sn2_node* node) {
  static const uint32_t to_nchw[4] = {0, 3, 1, 2};
  const struct sn2_graph* g = p->graph;
  if (node->type != sn2_op_transpose || node->inputs[0] != g->input ||
      g->values[g->input].rank != 4 || p->consumers[g->input] != 1 || node->outputs[0] == g->output) {
    return false;
  }
  return memcmp(node->params.transpose.perm, to_nchw, sizeof to_nchw) == 0;
}

static bool relocatable(const struct planner* p, uint32_t x) {
  const struct sn2_graph* g = p->graph;
  const uint32_t producer = g->values[x].producer;
  return is_feature_map(g, x) && producer != SN2_INVALID_ID && !p->v->is_view[producer] &&
         p->v->root[x] == x && p->consumers[x] == 1 && x != g->output &&
         sn2_slots_contiguous(p->v->slots[x], g->values[x].dims[1]) && p->v->slots[x][0] == 0 &&
         p->v->width[x] == g->values[x].dims[1];
}

// Slots of root r that some value still needs at or after node `from` (besides `skip`).
static void mark_busy(struct planner* p, uint32_t r, uint32_t from, uint32_t skip) {
  const struct sn2_graph* g = p->graph;
  memset(p->busy, 0, p->v->width[r] * sizeof *p->busy);
  for (uint32_t u = 0; u < g->value_count; u++) {
    if (u == skip || p->v->root[u] != r || !p->v->slots[u] || p->last_use[u] < from) continue;
    for (uint32_t c = 0; c < g->values[u].dims[1]; c++) p->busy[p->v->slots[u][c]] = true;
  }
}

// Concat on channels: a view over one root, or false (it stays a copy).
static enum sn2_status plan_concat(struct planner* p, uint32_t n, bool* viewed) {
  struct sn2_graph* g = p->graph;
  const struct sn2_node* node = &g->nodes[n];
  const uint32_t y = node->outputs[0];
  *viewed = false;
  uint32_t root = SN2_INVALID_ID;
  for (uint32_t i = 0; i < node->input_count; i++) {
    const uint32_t x = node->inputs[i];
    if (!is_feature_map(g, x)) return sn2_status_success;
    if (relocatable(p, x)) continue;
    if (root != SN2_INVALID_ID && p->v->root[x] != root) return sn2_status_success;  // two roots
    root = p->v->root[x];
  }
  // No two inputs may be the same value (it cannot sit in two places).
  for (uint32_t i = 0; i < node->input_count; i++)
    for (uint32_t j = i + 1; j < node->input_count; j++)
      if (node->inputs[i] == node->inputs[j] && relocatable(p, node->inputs[i])) return sn2_status_success;
  const uint32_t channels = g->values[y].dims[1];
  uint32_t* out = malloc(channels * sizeof *out);
  if (!out) return sn2_error(sn2_status_out_of_memory, "channel views: out of memory");
  uint32_t offset = 0;
  if (root == SN2_INVALID_ID) {
    // A new root: every input is written into its slice of the concat's buffer.
    root = y;
    p->v->width[y] = channels;
    for (uint32_t i = 0; i < node->input_count; i++) {
      const uint32_t x = node->inputs[i], c = g->values[x].dims[1];
      for (uint32_t k = 0; k < c; k++) p->v->slots[x][k] = offset + k, out[offset + k] = offset + k;
      p->v->root[x] = y;
      p->v->width[x] = 0;
      offset += c;
    }
  } else {
    for (uint32_t i = 0; i < node->input_count; i++) {
      const uint32_t x = node->inputs[i], c = g->values[x].dims[1];
      if (p->v->root[x] == root && !relocatable(p, x)) {
        memcpy(out + offset, p->v->slots[x], c * sizeof *out);
        offset += c;
        continue;
      }
      // Written into slots of `root` that nothing needs from x's production on.
      enum sn2_status status = grow_scratch(p, p->v->width[root] + c);
      if (status != sn2_status_success) {
        free(out);
        return status;
      }
      mark_busy(p, root, g->values[x].producer, x);
      for (uint32_t k = 0; k < offset; k++) p->busy[out[k]] = true;
      uint32_t found = 0;
      if (p->contiguous_only[n]) {
        for (uint32_t s = 0, run = 0; s < p->v->width[root] && found < c; s++) {
          run = p->busy[s] ? 0 : run + 1;
          if (run == c) {
            for (uint32_t k = 0; k < c; k++) p->v->slots[x][k] = s + 1 - c + k;
            found = c;
          }
        }
      } else {
        for (uint32_t s = 0; s < p->v->width[root] && found < c; s++) {
          if (!p->busy[s]) p->v->slots[x][found++] = s;
        }
      }
      if (found < c) {
        // Not enough room: append fresh slots.
        for (uint32_t k = 0; k < c; k++) p->v->slots[x][k] = p->v->width[root] + k;
        p->v->width[root] += c;
      }
      memcpy(out + offset, p->v->slots[x], c * sizeof *out);
      p->v->root[x] = root;
      p->v->width[x] = 0;
      offset += c;
    }
  }
  free(p->v->slots[y]);
  p->v->slots[y] = out;
  if (root != y) p->v->width[y] = 0;
  p->v->root[y] = root;
  *viewed = true;
  return sn2_status_success;
}

// A reshape whose input and output have the same bytes in the same order: a rank-4 value stored
// NHWC is row-major when H = W = 1 (and it owns its buffer, so no pixel padding); any other rank
// is row-major already.
static bool reshape_keeps_storage(const struct planner* p, const struct sn2_node* node) {
  const struct sn2_graph* g = p->graph;
  const uint32_t x = node->inputs[0], y = node->outputs[0];
  if (sn2_value_is_constant(&g->values[x]) || x == g->input || y == g->output) return false;
  if (g->values[x].rank == 4) {
    const struct sn2_value* v = &g->values[x];
    if (v->dims[2] * v->dims[3] != 1 || p->v->root[x] != x || p->v->width[x] != v->dims[1] ||
        !sn2_slots_contiguous(p->v->slots[x], v->dims[1]) || p->v->slots[x][0] != 0) {
      return false;
    }
  } else if (p->v->root[x] != x) {
    return false;
  }
  // A rank-4 result would need a pixel width in a root that has none.
  return g->values[y].rank != 4;
}

// Elementwise ops may write over their first input when nothing else reads it: same shape,
// a plain (contiguous) layout, and a runtime value the caller does not own.
static bool can_run_in_place(const struct planner* p, const struct sn2_node* node) {
  const struct sn2_graph* g = p->graph;
  if (node->type != sn2_op_clamp && node->type != sn2_op_binary && node->type != sn2_op_softmax) {
    return false;
  }
  const uint32_t x = node->inputs[0], y = node->outputs[0];
  const struct sn2_value* xv = &g->values[x];
  const struct sn2_value* yv = &g->values[y];
  if (sn2_value_is_constant(xv) || x == g->input || x == g->output || p->consumers[x] != 1 ||
      xv->rank != yv->rank || memcmp(xv->dims, yv->dims, sizeof xv->dims) != 0) {
    return false;
  }
  if (node->type == sn2_op_binary && node->inputs[1] == x) return false;
  return !p->v->slots[x] || sn2_slots_contiguous(p->v->slots[x], xv->dims[1]);
}

// A conv with a fused residual r (graph/pass-fuse-residual.c) writes its output y where r lives
// when nothing else needs r's slots from the conv on and its other input is not stored there;
// the graph output only where those slots are a plain run (it is handed to the caller as one).
// The graph input, read by two nodes, is the session's copy in the arena.
static bool residual_in_place(struct planner* p, uint32_t n) {
  const struct sn2_graph* g = p->graph;
  const struct sn2_node* node = &g->nodes[n];
  const uint32_t x = node->inputs[0], r = node->inputs[1], y = node->outputs[0];
  if (!is_feature_map(g, r) || r == g->output || p->last_use[r] != n || r == p->v->input_alias) return false;
  const uint32_t root = p->v->root[r], c = g->values[r].dims[1];
  if (y == g->output && !sn2_slots_contiguous(p->v->slots[r], c)) return false;
  if (grow_scratch(p, p->v->width[root]) != sn2_status_success) return false;
  mark_busy(p, root, n + 1, r);
  if (p->v->root[x] == root) {
    for (uint32_t k = 0; k < g->values[x].dims[1]; k++) p->busy[p->v->slots[x][k]] = true;
  }
  for (uint32_t k = 0; k < c; k++) {
    if (p->busy[p->v->slots[r][k]]) return false;
  }
  return true;
}

// One forward pass: which ops become views, where each value lives.
static enum sn2_status assign(struct planner* p) {
  struct sn2_graph* g = p->graph;
  enum sn2_status status = reset(p);
  for (uint32_t n = 0; n < g->node_count && status == sn2_status_success; n++) {
    const struct sn2_node* node = &g->nodes[n];
    if (node->type == sn2_op_conv2d && node->params.conv2d.residual && residual_in_place(p, n)) {
      // It runs; its output takes its residual's place. Not a view: the copy ablation keeps it,
      // as the fused op's kernels need it.
      const uint32_t r = node->inputs[1], y = node->outputs[0];
      p->v->root[y] = p->v->root[r];
      p->v->width[y] = 0;
      memcpy(p->v->slots[y], p->v->slots[r], g->values[r].dims[1] * sizeof(uint32_t));
      continue;
    }
    if (p->no_view[n]) continue;
    if (is_input_to_nchw(p, node)) {
      p->v->input_alias = node->outputs[0];
      p->v->is_view[n] = true;
      continue;
    }
    if (can_run_in_place(p, node)) {
      // Not a view (it runs), but its output takes its input's place.
      const uint32_t x = node->inputs[0], y = node->outputs[0];
      p->v->root[y] = p->v->root[x];
      p->v->width[y] = 0;
      if (p->v->slots[y]) memcpy(p->v->slots[y], p->v->slots[x], g->values[x].dims[1] * sizeof(uint32_t));
      continue;
    }
    if (node->type == sn2_op_reshape && reshape_keeps_storage(p, node)) {
      const uint32_t y = node->outputs[0];
      p->v->root[y] = p->v->root[node->inputs[0]];
      p->v->width[y] = 0;
      p->v->is_view[n] = true;
      continue;
    }
    if (!is_feature_map(g, node->inputs[0])) continue;
    const uint32_t x = node->inputs[0];
    const uint32_t* xs = p->v->slots[x];
    bool viewed = false;
    switch (node->type) {
      case sn2_op_split:
        if (node->params.axis.axis != 1) break;
        for (uint32_t o = 0, offset = 0; o < node->output_count; o++) {
          const uint32_t y = node->outputs[o], c = g->values[y].dims[1];
          memcpy(p->v->slots[y], xs + offset, c * sizeof(uint32_t));
          p->v->root[y] = p->v->root[x];
          p->v->width[y] = 0;
          offset += c;
        }
        viewed = true;
        break;
      case sn2_op_slice: {
        const struct sn2_slice_params* s = &node->params.slice;
        bool channels_only = true;
        for (uint32_t d = 0; d < 4; d++) {
          if (d != 1) channels_only = channels_only && s->starts[d] == 0 && s->steps[d] == 1 && s->counts[d] == g->values[x].dims[d];
        }
        if (!channels_only) break;
        const uint32_t y = node->outputs[0];
        for (uint32_t c = 0; c < s->counts[1]; c++) p->v->slots[y][c] = xs[s->starts[1] + (int64_t)c * s->steps[1]];
        p->v->root[y] = p->v->root[x];
        p->v->width[y] = 0;
        viewed = true;
        break;
      }
      case sn2_op_channel_shuffle: {
        const uint32_t y = node->outputs[0], c = g->values[y].dims[1];
        const uint32_t groups = node->params.channel_shuffle.groups, per_group = c / groups;
        for (uint32_t i = 0; i < per_group; i++)
          for (uint32_t j = 0; j < groups; j++) p->v->slots[y][i * groups + j] = xs[j * per_group + i];
        p->v->root[y] = p->v->root[x];
        p->v->width[y] = 0;
        viewed = true;
        break;
      }
      case sn2_op_concat:
        if (node->params.axis.axis == 1) status = plan_concat(p, n, &viewed);
        break;
      default:
        break;
    }
    p->v->is_view[n] = viewed;
  }
  return status;
}

// A depthwise conv can take a permuted input by permuting its channels (weights, bias, output)
// when its output owns a contiguous buffer and only convs that take the permuted output read
// it: by absorbing it too, or by gathering (ShuffleNet V1's shuffle between its grouped 1x1
// convs: absorbed by the depthwise conv, gathered by the grouped conv after it).
static bool depthwise_absorbs(const struct planner* p, uint32_t n) {
  const struct sn2_graph* g = p->graph;
  const struct sn2_node* node = &g->nodes[n];
  const struct sn2_conv2d_params* conv = &node->params.conv2d;
  const uint32_t x = node->inputs[0], y = node->outputs[0], c = g->values[x].dims[1];
  if (conv->groups != c || conv->output_channels != c || y == g->output || p->v->root[y] != y ||
      !sn2_slots_contiguous(p->v->slots[y], c)) {
    return false;
  }
  for (uint32_t m = n + 1; m < g->node_count; m++) {
    const struct sn2_node* reader = &g->nodes[m];
    for (uint32_t k = 0; k < reader->input_count; k++) {
      if (reader->inputs[k] != y) continue;
      if (reader->type != sn2_op_conv2d) return false;
      const struct sn2_conv2d_params* rc = &reader->params.conv2d;
      const bool reader_depthwise = rc->groups == c && rc->output_channels == c;
      if (rc->groups != 1 && !reader_depthwise && !gathers(p, rc)) return false;
    }
  }
  return true;
}

// A 1x1 conv that reads (and writes) any slot set: ungrouped, or grouped where the rules say the
// plan's kernels for grouped convs read slot tables.
static bool gathers(const struct planner* p, const struct sn2_conv2d_params* conv) {
  return sn2_conv_is_gather_pointwise(conv) && (conv->groups == 1 || p->grouped_gather);
}

// What a node can read from a value laid out as `slots`: true if it can read it fast.
static bool readable(const struct planner* p, const struct sn2_node* node, uint32_t x) {
  const struct sn2_graph* g = p->graph;
  const uint32_t c = g->values[x].dims[1];
  const uint32_t* s = p->v->slots[x];
  if (sn2_slots_contiguous(s, c)) return true;
  switch (node->type) {
    case sn2_op_concat:
    case sn2_op_split:
    case sn2_op_channel_shuffle:
      return true;  // views compose; as copies they read through slot tables
    case sn2_op_conv2d: {
      const struct sn2_conv2d_params* conv = &node->params.conv2d;
      if (gathers(p, conv)) return true;
      bool* seen = p->seen;
      if (permutation_base(s, c, seen) == UINT32_MAX) return false;
      if (conv->groups == 1) return true;  // absorbed into the weights' input channels
      return depthwise_absorbs(p, (uint32_t)(node - g->nodes));
    }
    default:
      return false;
  }
}

static bool writable(const struct planner* p, const struct sn2_node* node, uint32_t y) {
  const uint32_t c = p->graph->values[y].dims[1];
  if (sn2_slots_contiguous(p->v->slots[y], c)) return true;
  return node->type == sn2_op_conv2d && gathers(p, &node->params.conv2d);
}

// Finds an op the current assignment makes slow or impossible and forbids the view behind it.
static bool repair(struct planner* p) {
  struct sn2_graph* g = p->graph;
  bool changed = false;
  for (uint32_t n = 0; n < g->node_count; n++) {
    const struct sn2_node* node = &g->nodes[n];
    if (p->v->is_view[n]) continue;
    for (uint32_t i = 0; i < node->input_count; i++) {
      const uint32_t x = node->inputs[i];
      // A conv's residual is read where its output is written, through the same slots.
      if (node->type == sn2_op_conv2d && i == 1) continue;
      if (!is_feature_map(g, x) || readable(p, node, x)) continue;
      const uint32_t producer = g->values[x].producer;
      if (producer != SN2_INVALID_ID && p->v->is_view[producer]) {
        p->no_view[producer] = true;
        changed = true;
      }
    }
    for (uint32_t o = 0; o < node->output_count; o++) {
      const uint32_t y = node->outputs[o];
      if (!is_feature_map(g, y) || writable(p, node, y)) continue;
      // y was placed into scattered slots by a concat: ask that concat for a contiguous run.
      for (uint32_t m = n + 1; m < g->node_count; m++) {
        const struct sn2_node* reader = &g->nodes[m];
        for (uint32_t k = 0; k < reader->input_count; k++) {
          if (reader->inputs[k] == y && reader->type == sn2_op_concat && p->v->is_view[m] && !p->contiguous_only[m]) {
            p->contiguous_only[m] = true;
            changed = true;
          }
        }
      }
    }
  }
  // The graph output is handed to the caller as a plain tensor.
  const uint32_t out = g->output;
  if (is_feature_map(g, out) && !sn2_slots_contiguous(p->v->slots[out], g->values[out].dims[1])) {
    const uint32_t producer = g->values[out].producer;
    if (producer != SN2_INVALID_ID && p->v->is_view[producer] && !p->no_view[producer]) {
      p->no_view[producer] = true;
      changed = true;
    }
  }
  return changed;
}

// Permutes conv weights so that convs read (and depthwise convs write) contiguous ranges.
static enum sn2_status absorb(struct planner* p) {
  struct sn2_graph* g = p->graph;
  for (uint32_t n = 0; n < g->node_count; n++) {
    p->v->read_offset[n] = p->v->write_offset[n] = UINT32_MAX;
    struct sn2_node* node = &g->nodes[n];
    if (node->type != sn2_op_conv2d) continue;
    const uint32_t x = node->inputs[0], y = node->outputs[0];
    if (!is_feature_map(g, x)) continue;
    struct sn2_conv2d_params* conv = &node->params.conv2d;
    const uint32_t c = g->values[x].dims[1];
    const uint32_t* s = p->v->slots[x];
    if (sn2_slots_contiguous(s, c)) continue;
    enum sn2_status status = grow_scratch(p, c);
    if (status != sn2_status_success) return status;
    const uint32_t lo = permutation_base(s, c, p->seen);
    if (lo == UINT32_MAX) continue;  // a pointwise conv gathers
    const bool depthwise = conv->groups == c && conv->output_channels == c;
    if (depthwise && !depthwise_absorbs(p, n)) continue;  // left to the reference gather
    if (conv->groups != 1 && !depthwise) continue;
    const size_t taps = (size_t)conv->kernel_h * conv->kernel_w;
    const size_t row = taps * (conv->input_channels / conv->groups);
    float* w = malloc((size_t)conv->output_channels * row * sizeof *w);
    if (!w) return sn2_error(sn2_status_out_of_memory, "channel views: out of memory");
    if (conv->groups == 1) {
      // Input channel i is read at physical position s[i] - lo.
      for (uint32_t o = 0; o < conv->output_channels; o++)
        for (size_t t = 0; t < taps; t++)
          for (uint32_t i = 0; i < c; i++) {
            w[o * row + t * c + (s[i] - lo)] = conv->weights[o * row + t * c + i];
          }
    } else {
      // Depthwise: channel i moves to position s[i] - lo, weights, bias and output alike.
      for (uint32_t i = 0; i < c; i++) memcpy(w + (size_t)(s[i] - lo) * taps, conv->weights + (size_t)i * taps, taps * sizeof *w);
      if (conv->bias) {
        float* b = malloc(c * sizeof *b);
        if (!b) {
          free(w);
          return sn2_error(sn2_status_out_of_memory, "channel views: out of memory");
        }
        for (uint32_t i = 0; i < c; i++) b[s[i] - lo] = conv->bias[i];
        free(conv->bias);
        conv->bias = b;
      }
      const uint32_t base = p->v->slots[y][0];
      for (uint32_t i = 0; i < c; i++) p->v->slots[y][i] = base + (s[i] - lo);
      p->v->write_offset[n] = base;  // it writes its channels in physical order
    }
    free(conv->weights);
    conv->weights = w;
    p->v->read_offset[n] = lo;
    sn2_log_rewrite("channel views", "node %s reads a permuted input: absorbed into its weights",
                    node->name);
  }
  return sn2_status_success;
}

void sn2_channel_views_free(struct sn2_channel_views* v, uint32_t value_count) {
  if (v->slots) {
    for (uint32_t k = 0; k < value_count; k++) free(v->slots[k]);
  }
  free(v->slots);
  free(v->root);
  free(v->width);
  free(v->is_view);
  free(v->read_offset);
  free(v->write_offset);
  memset(v, 0, sizeof *v);
}

enum sn2_status sn2_plan_channel_views(struct sn2_graph* graph, const struct sn2_view_rules* rules,
                                       struct sn2_channel_views* v) {
  memset(v, 0, sizeof *v);
  const uint32_t values = graph->value_count, nodes = graph->node_count;
  struct planner p = {.graph = graph, .v = v, .grouped_gather = rules->grouped_gather};
  v->root = calloc(values + 1, sizeof *v->root);
  v->width = calloc(values + 1, sizeof *v->width);
  v->slots = calloc(values + 1, sizeof *v->slots);
  v->is_view = calloc(nodes + 1, sizeof *v->is_view);
  v->read_offset = calloc(nodes + 1, sizeof *v->read_offset);
  v->write_offset = calloc(nodes + 1, sizeof *v->write_offset);
  p.last_use = calloc(values + 1, sizeof *p.last_use);
  p.no_view = calloc(nodes + 1, sizeof *p.no_view);
  p.contiguous_only = calloc(nodes + 1, sizeof *p.contiguous_only);
  enum sn2_status status = sn2_count_consumers(graph, &p.consumers);
  if (status == sn2_status_success &&
      (!v->root || !v->width || !v->slots || !v->is_view || !v->read_offset || !v->write_offset || !p.last_use ||
       !p.no_view || !p.contiguous_only)) {
    status = sn2_error(sn2_status_out_of_memory, "channel views: out of memory");
  }
  // Scratch for slot sets: no root is wider than all channels of all values together.
  size_t all_channels = 1;
  for (uint32_t k = 0; k < values; k++) {
    if (is_feature_map(graph, k)) all_channels += graph->values[k].dims[1];
  }
  if (status == sn2_status_success) status = grow_scratch(&p, all_channels);
  if (status == sn2_status_success) {
    for (uint32_t n = 0; n < nodes; n++) {
      for (uint32_t i = 0; i < graph->nodes[n].input_count; i++) p.last_use[graph->nodes[n].inputs[i]] = n;
    }
    p.last_use[graph->output] = nodes;
    if (!rules->enable) {
      for (uint32_t n = 0; n < nodes; n++) p.no_view[n] = true;
    }
    // Each repair forbids one more view or contiguity; the loop ends within 2 * nodes rounds.
    for (uint32_t round = 0; status == sn2_status_success && round <= 2 * nodes + 1; round++) {
      status = assign(&p);
      if (status != sn2_status_success || !repair(&p)) break;
    }
    if (status == sn2_status_success) status = absorb(&p);
  }
  free(p.consumers);
  free(p.last_use);
  free(p.no_view);
  free(p.contiguous_only);
  free(p.busy);
  free(p.seen);
  if (status != sn2_status_success) sn2_channel_views_free(v, values);
  return status;
}
