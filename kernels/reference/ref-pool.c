#include <math.h>

#include "kernels/reference/ref-ops.h"

// Visits the window of output pixel (n, oy, ox); `max` selects max pooling, else average.
static void pool(const struct sn2_pool_params* p, const struct sn2_tensor* in,
                 const struct sn2_tensor* out, int max) {
  for (uint32_t n = 0; n < out->shape.n; n++) {
    for (uint32_t oy = 0; oy < out->shape.h; oy++) {
      for (uint32_t ox = 0; ox < out->shape.w; ox++) {
        float* dst = sn2_tensor_pixel(out, n, oy, ox);
        for (uint32_t c = 0; c < out->shape.c; c++) {
          float acc = max ? -INFINITY : 0.0f;
          uint32_t count = 0;
          for (uint32_t ky = 0; ky < p->kernel_h; ky++) {
            const int64_t iy = (int64_t)oy * p->stride_h + ky - p->pad_top;
            if (iy < 0 || iy >= in->shape.h) continue;
            for (uint32_t kx = 0; kx < p->kernel_w; kx++) {
              const int64_t ix = (int64_t)ox * p->stride_w + kx - p->pad_left;
              if (ix < 0 || ix >= in->shape.w) continue;
              const float v = sn2_tensor_pixel(in, n, (uint32_t)iy, (uint32_t)ix)[c];
              acc = max ? fmaxf(acc, v) : acc + v;
              count++;
            }
          }
          if (!max) {
            // Window cells inside the padded input (cut at its far edge), as PyTorch counts.
            if (p->count_include_pad) {
              const int64_t y0 = (int64_t)oy * p->stride_h - p->pad_top;
              const int64_t x0 = (int64_t)ox * p->stride_w - p->pad_left;
              int64_t y1 = y0 + p->kernel_h, x1 = x0 + p->kernel_w;
              if (y1 > (int64_t)in->shape.h + p->pad_bottom) y1 = in->shape.h + p->pad_bottom;
              if (x1 > (int64_t)in->shape.w + p->pad_right) x1 = in->shape.w + p->pad_right;
              count = (uint32_t)((y1 - y0) * (x1 - x0));
            }
            acc = count ? acc / (float)count : 0.0f;
          }
          dst[c] = acc;
        }
      }
    }
  }
}

void sn2_ref_max_pool(const struct sn2_pool_params* params, const struct sn2_tensor* input,
                      const struct sn2_tensor* output) {
  pool(params, input, output, 1);
}

void sn2_ref_avg_pool(const struct sn2_pool_params* params, const struct sn2_tensor* input,
                      const struct sn2_tensor* output) {
  pool(params, input, output, 0);
}

void sn2_ref_global_avg_pool(const struct sn2_tensor* input, const struct sn2_tensor* output) {
  const float scale = 1.0f / (float)((size_t)input->shape.h * input->shape.w);
  for (uint32_t n = 0; n < input->shape.n; n++) {
    float* dst = sn2_tensor_pixel(output, n, 0, 0);
    for (uint32_t c = 0; c < input->shape.c; c++) {
      float sum = 0.0f;
      for (uint32_t y = 0; y < input->shape.h; y++) {
        for (uint32_t x = 0; x < input->shape.w; x++) sum += sn2_tensor_pixel(input, n, y, x)[c];
      }
      dst[c] = sum * scale;
    }
  }
}
