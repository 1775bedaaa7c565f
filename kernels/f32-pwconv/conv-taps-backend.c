// A dense k x k convolution (groups 1: ShuffleNet's stem) on the pointwise micro-kernels: an
// output pixel is a gathered GEMM row whose kh * kw * c "input channels" are its window's taps,
// each a fixed offset from the window's top-left corner (an implicit im2col, no copy). Pixels
// whose window crosses the padding have their taps gathered, zeros included, into one patch
// each before the run (the stem at 224x224: 223 of 12544 pixels). Tiles are MR pixels of one
// output row; each writes only its own pixels, so results do not depend on the thread count.
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "kernels/backend.h"
#include "kernels/config/pwconv-config.h"
#include "kernels/f32-pwconv/conv-taps.h"

struct taps_state {
  const struct sn2_pwconv_config* config;
  const struct sn2_conv2d_params* conv;
  const float* input;
  float* output;
  size_t k, n, blocks;
  size_t in_h, in_w, out_h, out_w, out_pixel_stride;
  size_t in_image_stride, in_row_stride, in_pixel_stride;  // NHWC, or the caller's planes
  size_t oy0, oy1, ox0, ox1;  // the interior: every tap of these pixels is inside the image
  size_t row_tiles;           // tiles per interior output row
  size_t interior_tiles;
  float* packed;
  uint32_t* tap_slots;        // k offsets from a window's top-left input float
  uint32_t* in_slots;         // c channel offsets within an input pixel
  uint32_t* patch_slots;      // 0 .. k-1
  uint32_t* edges;            // (image * out_h + oy) * out_w + ox of every other pixel
  size_t edge_count;
  float* patches;             // edge_count * k
  struct sn2_pwconv_run* runs;
  uint32_t* block_first;
  struct sn2_f32_pwconv_params params;
};

void sn2_conv_taps_destroy(void* state) {
  struct taps_state* s = state;
  if (!s) return;
  free(s->packed);
  free(s->tap_slots);
  free(s->in_slots);
  free(s->patch_slots);
  free(s->edges);
  free(s->patches);
  free(s->runs);
  free(s->block_first);
  free(s);
}

// First input row (or column) of output row `o`'s window; negative inside the padding.
static ptrdiff_t window_start(size_t o, uint32_t stride, uint32_t pad) {
  return (ptrdiff_t)(o * stride) - (ptrdiff_t)pad;
}

// [lo, hi): the output rows (or columns) whose window lies inside [0, size).
static void interior(size_t out, size_t size, uint32_t kernel, uint32_t stride, uint32_t dilation,
                     uint32_t pad, size_t* lo, size_t* hi) {
  *lo = out;
  *hi = out;
  for (size_t o = 0; o < out; o++) {
    const ptrdiff_t first = window_start(o, stride, pad);
    const ptrdiff_t last = first + (ptrdiff_t)(kernel - 1) * dilation;
    if (first >= 0 && last < (ptrdiff_t)size) {
      if (*lo == out) *lo = o;
      *hi = o + 1;
    }
  }
}

static void call_kernel(const struct taps_state* s, size_t block, size_t rows, const float* const* inputs,
                        const uint32_t* slots, float* const* outputs, const void* prefetch) {
  const size_t nr = s->config->nr, channel = block * nr;
  const uint32_t run = s->block_first[block];
  s->config->ukernel(rows, s->k, s->n - channel < nr ? s->n - channel : nr, inputs, slots,
                     s->packed + block * nr * (s->k + 1), outputs, s->runs + run,
                     s->block_first[block + 1] - run, prefetch, &s->params);
}

// One interior output row: its tiles of MR pixels for every block, blocks outermost.
static void interior_row(void* context, size_t row) {
  const struct taps_state* s = context;
  const size_t mr = s->config->mr, nr = s->config->nr, rows_per_image = s->oy1 - s->oy0;
  const size_t image = row / rows_per_image, oy = s->oy0 + row % rows_per_image;
  const float* row_input = s->input + image * s->in_image_stride +
                           (size_t)window_start(oy, s->conv->stride_h, s->conv->pad_top) * s->in_row_stride;
  float* row_output = s->output + (image * s->out_h + oy) * s->out_w * s->out_pixel_stride;
  for (size_t block = 0; block < s->blocks; block++) {
    size_t share = 0;
    const char* plan = sn2_f32_pwconv_prefetch_plan(s->packed, s->k, s->n, nr, block, s->row_tiles, &share);
    for (size_t tile = 0; tile < s->row_tiles; tile++) {
      const size_t first = s->ox0 + tile * mr, rows = s->ox1 - first < mr ? s->ox1 - first : mr;
      const float* inputs[SN2_PWCONV_MAX_MR];
      float* outputs[SN2_PWCONV_MAX_MR];
      for (size_t r = 0; r < mr; r++) {
        const size_t ox = first + (r < rows ? r : rows - 1);
        inputs[r] = row_input + (size_t)window_start(ox, s->conv->stride_w, s->conv->pad_left) * s->in_pixel_stride;
        outputs[r] = row_output + ox * s->out_pixel_stride;
      }
      call_kernel(s, block, rows, inputs, s->tap_slots, outputs,
                  sn2_f32_pwconv_prefetch_share(plan, share, s->k, nr, tile));
    }
  }
}

static void edge_tile(void* context, size_t tile, size_t block) {
  const struct taps_state* s = context;
  const size_t mr = s->config->mr, first = tile * mr;
  const size_t rows = s->edge_count - first < mr ? s->edge_count - first : mr;
  const float* inputs[SN2_PWCONV_MAX_MR];
  float* outputs[SN2_PWCONV_MAX_MR];
  for (size_t r = 0; r < mr; r++) {
    const size_t e = first + (r < rows ? r : rows - 1);
    inputs[r] = s->patches + e * s->k;
    outputs[r] = s->output + (size_t)s->edges[e] * s->out_pixel_stride;
  }
  call_kernel(s, block, rows, inputs, s->patch_slots, outputs, NULL);
}

// The taps of every edge pixel, zeros where the window is in the padding.
static void gather_patches(const struct taps_state* s) {
  const struct sn2_conv2d_params* c = s->conv;
  const size_t channels = c->input_channels, per_image = s->out_h * s->out_w;
  for (size_t e = 0; e < s->edge_count; e++) {
    const size_t image = s->edges[e] / per_image, oy = s->edges[e] % per_image / s->out_w;
    const size_t ox = s->edges[e] % s->out_w;
    float* patch = s->patches + e * s->k;
    for (uint32_t ky = 0; ky < c->kernel_h; ky++) {
      const ptrdiff_t iy = window_start(oy, c->stride_h, c->pad_top) + (ptrdiff_t)(ky * c->dilation_h);
      for (uint32_t kx = 0; kx < c->kernel_w; kx++) {
        const ptrdiff_t ix = window_start(ox, c->stride_w, c->pad_left) + (ptrdiff_t)(kx * c->dilation_w);
        const bool inside = iy >= 0 && iy < (ptrdiff_t)s->in_h && ix >= 0 && ix < (ptrdiff_t)s->in_w;
        const float* pixel = inside ? s->input + image * s->in_image_stride + (size_t)iy * s->in_row_stride +
                                          (size_t)ix * s->in_pixel_stride
                                    : NULL;
        for (size_t ch = 0; ch < channels; ch++) *patch++ = pixel ? pixel[s->in_slots[ch]] : 0.0f;
      }
    }
  }
}

enum sn2_status sn2_conv_taps_create(const struct sn2_op_context* ctx, pthreadpool_t pool, void** state_out) {
  (void)pool;
  const struct sn2_conv2d_params* c = &ctx->node->params.conv2d;
  const struct sn2_tensor* in = &ctx->inputs[0];
  const struct sn2_tensor* out = &ctx->outputs[0];
  struct taps_state* s = calloc(1, sizeof *s);
  if (!s) return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", ctx->node->name);
  s->config = ctx->kernel_data;
  s->conv = c;
  s->input = in->data;
  s->output = out->data;
  s->k = (size_t)c->kernel_h * c->kernel_w * c->input_channels;
  s->n = c->output_channels;
  s->blocks = (s->n + s->config->nr - 1) / s->config->nr;
  s->in_h = in->shape.h, s->in_w = in->shape.w;
  s->in_image_stride = (size_t)in->strides[0], s->in_row_stride = (size_t)in->strides[2];
  s->in_pixel_stride = (size_t)in->strides[3];
  s->out_h = out->shape.h, s->out_w = out->shape.w, s->out_pixel_stride = out->pixel_stride;
  s->params = (struct sn2_f32_pwconv_params){c->output_min, c->output_max, false};
  interior(s->out_h, s->in_h, c->kernel_h, c->stride_h, c->dilation_h, c->pad_top, &s->oy0, &s->oy1);
  interior(s->out_w, s->in_w, c->kernel_w, c->stride_w, c->dilation_w, c->pad_left, &s->ox0, &s->ox1);
  if (s->oy0 == s->oy1 || s->ox0 == s->ox1) s->oy0 = s->oy1 = s->ox0 = s->ox1 = 0;
  const size_t images = out->shape.n, mr = s->config->mr;
  s->row_tiles = (s->ox1 - s->ox0 + mr - 1) / mr;
  s->interior_tiles = images * (s->oy1 - s->oy0) * s->row_tiles;
  const size_t pixels = images * s->out_h * s->out_w;
  s->edge_count = pixels - images * (s->oy1 - s->oy0) * (s->ox1 - s->ox0);

  s->packed = aligned_alloc(64, (sn2_f32_pwconv_packed_size(s->k, s->n, s->config->nr) * sizeof(float) + 63) / 64 * 64);
  s->tap_slots = malloc(s->k * sizeof *s->tap_slots);
  s->in_slots = malloc(c->input_channels * sizeof *s->in_slots);
  s->patch_slots = malloc(s->k * sizeof *s->patch_slots);
  s->edges = malloc((s->edge_count + 1) * sizeof *s->edges);
  s->patches = malloc((s->edge_count * s->k + 1) * sizeof *s->patches);
  s->runs = malloc(s->n * sizeof *s->runs);
  s->block_first = malloc((s->blocks + 1) * sizeof *s->block_first);
  if (!s->packed || !s->tap_slots || !s->in_slots || !s->patch_slots || !s->edges || !s->patches ||
      !s->runs || !s->block_first || pixels > UINT32_MAX) {
    sn2_conv_taps_destroy(s);
    return sn2_error(sn2_status_out_of_memory, "node %s: out of memory", ctx->node->name);
  }
  for (uint32_t ch = 0; ch < c->input_channels; ch++) s->in_slots[ch] = in->channel_slots ? in->channel_slots[ch] : ch;
  // Weights are [n][kh][kw][c]: the same order as the taps.
  for (uint32_t ky = 0, q = 0; ky < c->kernel_h; ky++)
    for (uint32_t kx = 0; kx < c->kernel_w; kx++)
      for (uint32_t ch = 0; ch < c->input_channels; ch++, q++) {
        s->tap_slots[q] = (uint32_t)((size_t)ky * c->dilation_h * s->in_row_stride +
                                     (size_t)kx * c->dilation_w * s->in_pixel_stride + s->in_slots[ch]);
        s->patch_slots[q] = q;
      }
  size_t e = 0;
  for (size_t p = 0; p < pixels; p++) {
    const size_t oy = p % (s->out_h * s->out_w) / s->out_w, ox = p % s->out_w;
    if (!(oy >= s->oy0 && oy < s->oy1 && ox >= s->ox0 && ox < s->ox1)) s->edges[e++] = (uint32_t)p;
  }
  sn2_f32_pwconv_pack(s->k, s->n, s->config->nr, c->weights, c->bias, s->packed);
  sn2_f32_pwconv_make_runs(s->n, s->config->nr, out->channel_slots, s->runs, s->block_first);
  *state_out = s;
  return sn2_status_success;
}

void sn2_conv_taps_run(const struct sn2_op_context* ctx, void* state, pthreadpool_t pool) {
  struct taps_state* s = state;
  // The input pointer is taken at each run: the session may hand over the caller's N, C, H, W
  // buffer in place of its own copy (same layout, only read).
  s->input = ctx->inputs[0].data;
  gather_patches(s);
  // Threads take rows or tiles of pixels, never channel blocks (which would share output cache
  // lines). Debian's pthreadpool divides by the range: an empty one must not reach it.
  const size_t interior_rows = s->row_tiles ? s->interior_tiles / s->row_tiles : 0;
  if (interior_rows) pthreadpool_parallelize_1d(pool, interior_row, (void*)s, interior_rows, 0);
  const size_t edge_tiles = (s->edge_count + s->config->mr - 1) / s->config->mr;
  if (edge_tiles) pthreadpool_parallelize_2d(pool, edge_tile, (void*)s, edge_tiles, s->blocks, 0);
}
