#include "image.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <stb/stb_image.h>

// One axis of PIL's separable bilinear resize: output pixel i covers input coordinates around
// (i + 0.5) * scale with a triangle filter widened by the scale factor when shrinking.
// Resamples `lines` lines of `in_len` samples (stride `in_step` within a line, `line_step`
// between lines) into `out_len` samples.
static void resample_axis(const float* in, size_t in_len, size_t in_step, float* out,
                          size_t out_len, size_t out_step, size_t lines, size_t in_line_step,
                          size_t out_line_step) {
  const double scale = (double)in_len / (double)out_len;
  const double filter_scale = scale > 1.0 ? scale : 1.0;
  const double support = filter_scale;  // bilinear support is 1, widened when shrinking
  for (size_t i = 0; i < out_len; i++) {
    const double center = ((double)i + 0.5) * scale;
    long lo = (long)(center - support + 0.5);
    long hi = (long)(center + support + 0.5);
    if (lo < 0) lo = 0;
    if (hi > (long)in_len) hi = (long)in_len;
    double weights[64];
    double total = 0.0;
    long count = hi - lo;
    if (count > 64) count = 64;  // shrinking by more than 32x: the filter is truncated
    for (long k = 0; k < count; k++) {
      const double t = fabs(((double)(lo + k) - center + 0.5) / filter_scale);
      weights[k] = t < 1.0 ? 1.0 - t : 0.0;
      total += weights[k];
    }
    for (size_t line = 0; line < lines; line++) {
      const float* src = in + line * in_line_step;
      double acc = 0.0;
      for (long k = 0; k < count; k++) acc += weights[k] * src[(size_t)(lo + k) * in_step];
      out[line * out_line_step + i * out_step] = (float)(total > 0.0 ? acc / total : 0.0);
    }
  }
}

int sn2_cli_load_image(const char* path, unsigned resize_to, unsigned size, float* nchw,
                       char* error, size_t error_size) {
  int width = 0, height = 0, channels = 0;
  unsigned char* pixels = stbi_load(path, &width, &height, &channels, 3);
  if (!pixels) {
    snprintf(error, error_size, "cannot decode image %s: %s", path, stbi_failure_reason());
    return -1;
  }
  // torchvision Resize(int): the shorter side becomes resize_to, the other keeps the ratio.
  size_t out_w, out_h;
  if (width <= height) {
    out_w = resize_to;
    out_h = (size_t)((double)resize_to * height / width);
  } else {
    out_h = resize_to;
    out_w = (size_t)((double)resize_to * width / height);
  }
  if (out_w < size || out_h < size) {
    snprintf(error, error_size, "image %s (%dx%d) is too small to crop %ux%u", path, width,
             height, size, size);
    stbi_image_free(pixels);
    return -1;
  }
  const size_t w = (size_t)width, h = (size_t)height;
  float* source = malloc(w * h * 3 * sizeof(float));
  float* wide = malloc(out_w * h * 3 * sizeof(float));
  float* resized = malloc(out_w * out_h * 3 * sizeof(float));
  if (!source || !wide || !resized) {
    snprintf(error, error_size, "out of memory decoding %s", path);
    free(source), free(wide), free(resized);
    stbi_image_free(pixels);
    return -1;
  }
  for (size_t i = 0; i < w * h * 3; i++) source[i] = pixels[i];
  stbi_image_free(pixels);
  for (size_t c = 0; c < 3; c++) {
    // Horizontal pass: each row (stride w*3) of channel c; then the vertical pass per column.
    resample_axis(source + c, w, 3, wide + c, out_w, 3, h, w * 3, out_w * 3);
    resample_axis(wide + c, h, out_w * 3, resized + c, out_h, out_w * 3, out_w, 3, 3);
  }
  static const float mean[3] = {0.485f, 0.456f, 0.406f};
  static const float stddev[3] = {0.229f, 0.224f, 0.225f};
  // torchvision CenterCrop: offsets round((len - size) / 2).
  const size_t top = (size_t)lround((double)(out_h - size) / 2.0);
  const size_t left = (size_t)lround((double)(out_w - size) / 2.0);
  for (size_t c = 0; c < 3; c++) {
    for (size_t y = 0; y < size; y++) {
      for (size_t x = 0; x < size; x++) {
        float v = resized[((top + y) * out_w + left + x) * 3 + c];
        v = roundf(fminf(fmaxf(v, 0.0f), 255.0f));  // PIL keeps 8-bit pixels
        nchw[(c * size + y) * size + x] = (v / 255.0f - mean[c]) / stddev[c];
      }
    }
  }
  free(source);
  free(wide);
  free(resized);
  return 0;
}
