#include <math.h>

#include "graph/ir.h"
#include "kernels/reference/ref-ops.h"

struct conv2d_task {
  const struct sn2_conv2d_params* params;
  const struct sn2_tensor* input;
  const struct sn2_tensor* residual;  // NULL unless params->residual
  const struct sn2_tensor* output;
};

// Output (n, oy, ox, oc) of the conv plus `addend` (a residual's value, or 0), clamped.
static float conv_value(const struct sn2_conv2d_params* p, const struct sn2_tensor* in, uint32_t n, uint32_t oy,
                        uint32_t ox, uint32_t oc, float addend) {
  const uint32_t group_in = p->input_channels / p->groups;
  const uint32_t group = oc / (p->output_channels / p->groups);
  float acc = p->bias ? p->bias[oc] : 0.0f;
  for (uint32_t ky = 0; ky < p->kernel_h; ky++) {
    const int64_t iy = (int64_t)oy * p->stride_h + (int64_t)ky * p->dilation_h - p->pad_top;
    if (iy < 0 || iy >= in->shape.h) continue;
    for (uint32_t kx = 0; kx < p->kernel_w; kx++) {
      const int64_t ix = (int64_t)ox * p->stride_w + (int64_t)kx * p->dilation_w - p->pad_left;
      if (ix < 0 || ix >= in->shape.w) continue;
      const float* src = sn2_tensor_pixel(in, n, (uint32_t)iy, (uint32_t)ix);
      const float* w = p->weights + (((size_t)oc * p->kernel_h + ky) * p->kernel_w + kx) * group_in;
      for (uint32_t ic = 0; ic < group_in; ic++) acc += src[sn2_channel_slot(in, group * group_in + ic)] * w[ic];
    }
  }
  if (p->residual) acc += addend;
  return fminf(fmaxf(acc, p->output_min), p->output_max);
}

// One output row (n, oy): every x and every output channel. A residual is read at each
// output just before that output is written, so the output may be the residual's own storage.
static void conv2d_row(void* context, size_t row) {
  const struct conv2d_task* task = context;
  const struct sn2_conv2d_params* p = task->params;
  const struct sn2_tensor* out = task->output;
  const struct sn2_tensor* res = task->residual;
  const uint32_t n = (uint32_t)(row / out->shape.h);
  const uint32_t oy = (uint32_t)(row % out->shape.h);
  for (uint32_t ox = 0; ox < out->shape.w; ox++) {
    float* dst = sn2_tensor_pixel(out, n, oy, ox);
    const float* add = res ? sn2_tensor_pixel(res, n, oy, ox) : NULL;
    for (uint32_t oc = 0; oc < p->output_channels; oc++) {
      const float addend = add ? add[sn2_channel_slot(res, oc)] : 0.0f;
      dst[sn2_channel_slot(out, oc)] = conv_value(p, task->input, n, oy, ox, oc, addend);
    }
  }
}

// One output row (n, py) of a conv with a fused max pool: each pool window's max over the conv
// outputs it covers (padding never enters, as in sn2_ref_max_pool), each computed on the spot.
static void max_pooled_row(void* context, size_t row) {
  const struct conv2d_task* task = context;
  const struct sn2_conv2d_params* p = task->params;
  const struct sn2_pool_params* q = &p->max_pool;
  const struct sn2_tensor* in = task->input;
  const struct sn2_tensor* out = task->output;
  const uint32_t n = (uint32_t)(row / out->shape.h), py = (uint32_t)(row % out->shape.h);
  uint32_t conv_h = 0, conv_w = 0;
  sn2_conv_map_size(p, in->shape.h, in->shape.w, &conv_h, &conv_w);
  for (uint32_t px = 0; px < out->shape.w; px++) {
    float* dst = sn2_tensor_pixel(out, n, py, px);
    for (uint32_t oc = 0; oc < p->output_channels; oc++) {
      float best = -INFINITY;
      for (uint32_t ky = 0; ky < q->kernel_h; ky++) {
        const int64_t cy = (int64_t)py * q->stride_h + ky - q->pad_top;
        if (cy < 0 || cy >= conv_h) continue;
        for (uint32_t kx = 0; kx < q->kernel_w; kx++) {
          const int64_t cx = (int64_t)px * q->stride_w + kx - q->pad_left;
          if (cx < 0 || cx >= conv_w) continue;
          best = fmaxf(best, conv_value(p, in, n, (uint32_t)cy, (uint32_t)cx, oc, 0.0f));
        }
      }
      dst[sn2_channel_slot(out, oc)] = best;
    }
  }
}

// One output channel of one image of a conv with a fused global average (a 1x1 conv): the mean
// of its clamped outputs over the input's pixels, as sn2_ref_global_avg_pool divides.
static void global_average_channel(void* context, size_t index) {
  const struct conv2d_task* task = context;
  const struct sn2_conv2d_params* p = task->params;
  const struct sn2_tensor* in = task->input;
  const uint32_t n = (uint32_t)(index / p->output_channels);
  const uint32_t oc = (uint32_t)(index % p->output_channels);
  float sum = 0.0f;
  for (uint32_t y = 0; y < in->shape.h; y++) {
    for (uint32_t x = 0; x < in->shape.w; x++) sum += conv_value(p, in, n, y, x, oc, 0.0f);
  }
  const float scale = 1.0f / (float)((size_t)in->shape.h * in->shape.w);
  sn2_tensor_pixel(task->output, n, 0, 0)[sn2_channel_slot(task->output, oc)] = sum * scale;
}

void sn2_ref_conv2d(const struct sn2_conv2d_params* params, const struct sn2_tensor* input,
                    const struct sn2_tensor* residual, const struct sn2_tensor* output, pthreadpool_t threadpool) {
  struct conv2d_task task = {params, input, params->residual ? residual : NULL, output};
  if (params->global_average) {
    pthreadpool_parallelize_1d(threadpool, global_average_channel, &task,
                               (size_t)output->shape.n * params->output_channels, 0);
    return;
  }
  if (params->max_pooled) {
    pthreadpool_parallelize_1d(threadpool, max_pooled_row, &task, (size_t)output->shape.n * output->shape.h, 0);
    return;
  }
  pthreadpool_parallelize_1d(threadpool, conv2d_row, &task,
                             (size_t)output->shape.n * output->shape.h, 0);
}
