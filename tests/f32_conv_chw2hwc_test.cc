// The stem kernel (3x3 stride 2 from channel planes to NHWC) against a scalar loop written
// here: image sizes from 1x1 up to the stem's 224x224 (partial tiles, odd rows, windows past
// every edge), 1-4 input planes, 1-24 output channels, batches of 2, output pixels wider than
// their channels (canaries in the gap), clamps, and rows computed in chunks that start anywhere
// (the kernel pairs rows; a chunk may split a pair or an image).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/config/conv-chw2hwc-config.h"
#include "kernels/config/hardware-config.h"

namespace {

constexpr float kCanary = -7777.0f;

struct Case {
  size_t batch, c, h, w, n;
  bool pad_after;  // one row/column of padding at the bottom/right too (ONNX pads 1,1,1,1)
  sn2_f32_minmax_params params;
  bool pad_before = true;  // one row/column on top/left (PyTorch); false: TensorFlow's "same"
};

// out[b][oy][ox][o] = clamp(bias[o] + sum over c, ky, kx of in[b][c][2oy-p+ky][2ox-p+kx] * w[o][ky][kx][c]),
// p = pad_before.
std::vector<float> Reference(const Case& t, size_t out_h, size_t out_w, size_t stride, const std::vector<float>& in,
                             const std::vector<float>& w, const std::vector<float>& bias) {
  std::vector<float> out(t.batch * out_h * out_w * stride, kCanary);
  for (size_t b = 0; b < t.batch; b++)
    for (size_t oy = 0; oy < out_h; oy++)
      for (size_t ox = 0; ox < out_w; ox++)
        for (size_t o = 0; o < t.n; o++) {
          double sum = bias[o];
          for (size_t ky = 0; ky < 3; ky++)
            for (size_t kx = 0; kx < 3; kx++) {
              const long iy = long(2 * oy + ky) - long(t.pad_before), ix = long(2 * ox + kx) - long(t.pad_before);
              if (iy < 0 || ix < 0 || iy >= long(t.h) || ix >= long(t.w)) continue;
              for (size_t c = 0; c < t.c; c++) {
                sum += double(in[((b * t.c + c) * t.h + size_t(iy)) * t.w + size_t(ix)]) * w[((o * 3 + ky) * 3 + kx) * t.c + c];
              }
            }
          const float v = float(sum);
          out[((b * out_h + oy) * out_w + ox) * stride + o] = std::fmin(std::fmax(v, t.params.min), t.params.max);
        }
  return out;
}

void Check(const sn2_conv_chw2hwc_config* config, const Case& t) {
  SCOPED_TRACE(testing::Message() << "batch " << t.batch << " c " << t.c << " " << t.h << "x" << t.w << " n " << t.n
                                  << " pad_before " << t.pad_before << " pad_after " << t.pad_after << " clamp ["
                                  << t.params.min << ", " << t.params.max << "]");
  // ONNX's output size, floor((in + pads - 3) / 2) + 1 (none where the padded image is under 3).
  const size_t pads = size_t(t.pad_before) + t.pad_after;
  if (t.h + pads < 3 || t.w + pads < 3) return;
  const size_t out_h = (t.h + pads - 3) / 2 + 1, out_w = (t.w + pads - 3) / 2 + 1;
  const size_t stride = t.n + 3;
  std::mt19937 rng(uint32_t(t.h * 977 + t.w * 31 + t.c * 7 + t.n));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> in(t.batch * t.c * t.h * t.w), w(t.n * 9 * t.c), bias(t.n);
  for (float& v : in) v = dist(rng);
  for (float& v : w) v = dist(rng);
  for (float& v : bias) v = dist(rng);
  std::vector<float> packed(sn2_f32_conv_chw2hwc_packed_size(t.c));
  sn2_f32_conv_chw2hwc_pack(t.c, t.n, w.data(), bias.data(), packed.data());
  const std::vector<float> expected = Reference(t, out_h, out_w, stride, in, w, bias);
  sn2_conv_chw2hwc_problem p = {t.batch, t.h, t.w, out_h, out_w, t.c, t.n, t.pad_before, t.pad_before, in.data(),
                                t.c * t.h * t.w, t.h * t.w,
                                t.w, 1, packed.data(), nullptr, stride, t.params};
  // The same image as pixels (channels-last), each pixel `pixel` floats wide.
  const size_t pixel = t.c + (t.c % 2);
  std::vector<float> pixels(t.batch * t.h * t.w * pixel, kCanary);
  for (size_t b = 0; b < t.batch; b++)
    for (size_t c = 0; c < t.c; c++)
      for (size_t i = 0; i < t.h * t.w; i++) pixels[(b * t.h * t.w + i) * pixel + c] = in[(b * t.c + c) * t.h * t.w + i];
  sn2_conv_chw2hwc_problem q = p;
  q.input = pixels.data(), q.image_stride = t.h * t.w * pixel, q.channel_stride = 1, q.row_stride = t.w * pixel;
  q.column_stride = pixel;
  const size_t rows = t.batch * out_h;
  for (sn2_conv_chw2hwc_problem* layout : {&p, &q}) {
    for (size_t chunk : {rows, size_t(1), size_t(3)}) {
      std::vector<float> out(expected.size(), kCanary);
      layout->output = out.data();
      const char* what = layout == &p ? "planes" : "pixels";
      const size_t row_floats = layout->out_w * layout->output_stride;
      for (size_t row = 0; row < rows; row += chunk) {
        const size_t end = std::min(row + chunk, rows);
        sn2_f32_conv_chw2hwc_rows(config, layout, row, end - row, layout->output + row * row_floats);
        // A chunk writes its own rows only (threads own chunks): the rows after it are untouched.
        for (size_t i = end * row_floats; i < out.size(); i++) {
          ASSERT_EQ(out[i], kCanary) << what << ": rows " << row << ".." << end << " wrote past their end, index " << i;
        }
      }
      for (size_t i = 0; i < out.size(); i++) {
        if (expected[i] == kCanary) {
          ASSERT_EQ(out[i], kCanary) << what << ": wrote a slot outside the channels, index " << i << ", chunks of " << chunk;
        } else {
          ASSERT_NEAR(out[i], expected[i], 1e-5f * (1.0f + std::fabs(expected[i])))
              << what << ": index " << i << ", chunks of " << chunk;
        }
      }
    }
  }
}

class ConvChw2hwcUkernel : public ::testing::TestWithParam<sn2_isa> {
 protected:
  void SetUp() override {
    const sn2_hardware_config* hw = sn2_get_hardware_config();
    config_ = sn2_get_conv_chw2hwc_config(GetParam());
    if (!config_) GTEST_SKIP() << "this build has no stem kernel for the ISA";
    if ((GetParam() == sn2_isa_avx512f && !hw->avx512f) || (GetParam() == sn2_isa_avx2 && !hw->avx2_fma)) {
      GTEST_SKIP() << "this CPU cannot run " << sn2_isa_name(GetParam());
    }
  }
  const sn2_conv_chw2hwc_config* config_ = nullptr;
};

TEST_P(ConvChw2hwcUkernel, MatchesScalarLoop) {
  const sn2_conv_chw2hwc_config* config = config_;
  const float inf = INFINITY;
  const sn2_f32_minmax_params relu{0.0f, inf}, clamp{-0.5f, 0.75f}, none{-inf, inf};
  Check(config, {1, 3, 224, 224, 24, true, relu});         // ShuffleNet's stem (PyTorch)
  Check(config, {1, 3, 224, 224, 24, true, relu, false});  // the Keras export's ("same")
  for (size_t h : {1, 2, 5, 18}) {
    for (size_t w : {1, 3, 32, 33, 47}) {
      for (size_t c : {1, 2, 3, 4}) {
        for (size_t n : {1, 8, 13, 24}) {
          for (bool pad_after : {false, true}) {
            for (bool pad_before : {true, false}) {
              Check(config, {h % 2 + 1, c, h, w, n, pad_after, n % 2 ? clamp : relu, pad_before});
              if (HasFatalFailure()) return;
            }
          }
        }
      }
    }
  }
  Check(config, {2, 3, 31, 65, 17, true, none});
}

INSTANTIATE_TEST_SUITE_P(Isa, ConvChw2hwcUkernel, ::testing::Values(sn2_isa_avx2, sn2_isa_avx512f),
                         [](const ::testing::TestParamInfo<sn2_isa>& info) {
                           return std::string(sn2_isa_name(info.param));
                         });

TEST(ConvChw2hwcSupports, OnlyItsGeometry) {
  sn2_conv2d_params p{};
  p.kernel_h = p.kernel_w = 3, p.stride_h = p.stride_w = 2, p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1, p.groups = 1, p.input_channels = 3, p.output_channels = 24;
  EXPECT_TRUE(sn2_conv_chw2hwc_supports(&p));
  sn2_conv2d_params q = p;
  q.output_channels = 25;
  EXPECT_FALSE(sn2_conv_chw2hwc_supports(&q));
  q = p, q.input_channels = 5;
  EXPECT_FALSE(sn2_conv_chw2hwc_supports(&q));
  q = p, q.pad_left = q.pad_top = 0;  // TensorFlow's "same" at an even size
  EXPECT_TRUE(sn2_conv_chw2hwc_supports(&q));
  q = p, q.pad_left = 2;
  EXPECT_FALSE(sn2_conv_chw2hwc_supports(&q));
  q = p, q.stride_w = 1;
  EXPECT_FALSE(sn2_conv_chw2hwc_supports(&q));
  q = p, q.pad_bottom = 2;
  EXPECT_FALSE(sn2_conv_chw2hwc_supports(&q));
}

}  // namespace
