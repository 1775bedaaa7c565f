// The reference kernels on cases computed by hand. They are the oracle for every other path,
// so each case here is small enough to check with a pencil.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "kernels/reference/ref-ops.h"

namespace {

constexpr float kCanary = -12345.0f;

// An NHWC tensor with `stride - c` canary floats after each pixel's channels.
struct Tensor {
  std::vector<float> data;
  sn2_tensor view;
  Tensor(uint32_t n, uint32_t h, uint32_t w, uint32_t c, size_t stride = 0) {
    if (stride == 0) stride = c;
    data.assign(size_t(n) * h * w * stride, kCanary);
    view = sn2_tensor{};
    view.data = data.data();
    view.rank = 4;
    const uint32_t dims[4] = {n, c, h, w};
    const ptrdiff_t strides[4] = {ptrdiff_t(h * w * stride), 1, ptrdiff_t(w * stride),
                                  ptrdiff_t(stride)};
    for (int d = 0; d < 4; d++) view.dims[d] = dims[d], view.strides[d] = strides[d];
    view.shape = {n, h, w, c};
    view.pixel_stride = stride;
  }
  float& at(uint32_t n, uint32_t y, uint32_t x, uint32_t c) {
    return sn2_tensor_pixel(&view, n, y, x)[c];
  }
  // Fills channel 0..c-1 of every pixel from a row-major list.
  void Fill(const std::vector<float>& values) {
    size_t i = 0;
    for (uint32_t n = 0; n < view.shape.n; n++)
      for (uint32_t y = 0; y < view.shape.h; y++)
        for (uint32_t x = 0; x < view.shape.w; x++)
          for (uint32_t c = 0; c < view.shape.c; c++) at(n, y, x, c) = values.at(i++);
  }
  std::vector<float> Values() {
    std::vector<float> out;
    for (uint32_t n = 0; n < view.shape.n; n++)
      for (uint32_t y = 0; y < view.shape.h; y++)
        for (uint32_t x = 0; x < view.shape.w; x++)
          for (uint32_t c = 0; c < view.shape.c; c++) out.push_back(at(n, y, x, c));
    return out;
  }
  // True if every float past the channels of each pixel still holds the canary.
  bool CanariesIntact() const {
    for (size_t i = 0; i < data.size(); i++) {
      if (i % view.pixel_stride >= view.shape.c && data[i] != kCanary) return false;
    }
    return true;
  }
};

std::vector<float> Iota(size_t n, float start = 1.0f) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = start + float(i);
  return v;
}

sn2_conv2d_params Conv(uint32_t k, uint32_t stride, uint32_t pad, uint32_t in_c, uint32_t out_c,
                       uint32_t groups, float* weights) {
  sn2_conv2d_params p{};
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.groups = groups;
  p.input_channels = in_c;
  p.output_channels = out_c;
  p.output_min = -INFINITY;
  p.output_max = INFINITY;
  p.weights = weights;
  return p;
}

TEST(ReferenceConv2d, Ones3x3Pad1SumsNeighbourhoods) {
  Tensor in(1, 3, 3, 1), out(1, 3, 3, 1);
  in.Fill(Iota(9));
  std::vector<float> w(9, 1.0f);
  auto p = Conv(3, 1, 1, 1, 1, 1, w.data());
  sn2_ref_conv2d(&p, &in.view, nullptr, &out.view, nullptr);
  EXPECT_EQ(out.Values(), (std::vector<float>{12, 21, 16, 27, 45, 33, 24, 39, 28}));
}

TEST(ReferenceConv2d, Stride2) {
  Tensor in(1, 3, 3, 1), out(1, 2, 2, 1);
  in.Fill(Iota(9));
  std::vector<float> w(9, 1.0f);
  auto p = Conv(3, 2, 1, 1, 1, 1, w.data());
  sn2_ref_conv2d(&p, &in.view, nullptr, &out.view, nullptr);
  EXPECT_EQ(out.Values(), (std::vector<float>{12, 16, 24, 28}));
}

TEST(ReferenceConv2d, AsymmetricPads) {
  // 2x2 window of ones, padded left and bottom only: out(y, x) sums rows y..y+1, cols x-1..x.
  Tensor in(1, 3, 3, 1), out(1, 3, 3, 1);
  in.Fill(Iota(9));
  std::vector<float> w(4, 1.0f);
  auto p = Conv(2, 1, 0, 1, 1, 1, w.data());
  p.pad_left = 1;
  p.pad_bottom = 1;
  sn2_ref_conv2d(&p, &in.view, nullptr, &out.view, nullptr);
  EXPECT_EQ(out.Values(), (std::vector<float>{5, 12, 16, 11, 24, 28, 7, 15, 17}));
}

TEST(ReferenceConv2d, Dilation2) {
  // Taps at rows and cols 0, 2, 4 of a 5x5 grid holding 1..25.
  Tensor in(1, 5, 5, 1), out(1, 1, 1, 1);
  in.Fill(Iota(25));
  std::vector<float> w(9, 1.0f);
  auto p = Conv(3, 1, 0, 1, 1, 1, w.data());
  p.dilation_h = p.dilation_w = 2;
  sn2_ref_conv2d(&p, &in.view, nullptr, &out.view, nullptr);
  EXPECT_EQ(out.Values(), (std::vector<float>{1 + 3 + 5 + 11 + 13 + 15 + 21 + 23 + 25}));
}

TEST(ReferenceConv2d, GroupsBiasAndClamp) {
  // Group 0 reads channels 0-1 with weights (1, 2); group 1 reads 2-3 with (3, 4).
  Tensor in(1, 1, 1, 4), out(1, 1, 1, 2);
  in.Fill({1, 10, 100, 1000});
  std::vector<float> w{1, 2, 3, 4};
  std::vector<float> bias{0.5f, -1.0f};
  auto p = Conv(1, 1, 0, 4, 2, 2, w.data());
  p.bias = bias.data();
  sn2_ref_conv2d(&p, &in.view, nullptr, &out.view, nullptr);
  EXPECT_EQ(out.Values(), (std::vector<float>{21.5f, 4299.0f}));
  p.output_max = 1000.0f;
  p.output_min = 30.0f;
  sn2_ref_conv2d(&p, &in.view, nullptr, &out.view, nullptr);
  EXPECT_EQ(out.Values(), (std::vector<float>{30.0f, 1000.0f}));
}

TEST(ReferenceConv2d, DepthwiseWithStridedTensors) {
  // 3 channels, 3x3 depthwise on a 1x1 image with pad 1: only the centre tap sees data.
  Tensor in(1, 1, 1, 3, /*stride=*/5), out(1, 1, 1, 3, /*stride=*/7);
  in.Fill({2, 3, 4});
  std::vector<float> w(27, 100.0f);
  for (int c = 0; c < 3; c++) w[c * 9 + 4] = float(c + 1);  // [c][ky][kx][1]
  auto p = Conv(3, 1, 1, 3, 3, 3, w.data());
  sn2_ref_conv2d(&p, &in.view, nullptr, &out.view, nullptr);
  EXPECT_EQ(out.Values(), (std::vector<float>{2, 6, 12}));
  EXPECT_TRUE(out.CanariesIntact());
}

sn2_pool_params Pool(uint32_t k, uint32_t s, uint32_t pad, bool include_pad) {
  sn2_pool_params p{};
  p.kernel_h = p.kernel_w = k;
  p.stride_h = p.stride_w = s;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.count_include_pad = include_pad;
  return p;
}

TEST(ReferencePool, MaxPadsWithMinusInfinity) {
  Tensor in(1, 4, 4, 1), out(1, 2, 2, 1);
  in.Fill(Iota(16));
  auto p = Pool(3, 2, 1, true);
  sn2_ref_max_pool(&p, &in.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{6, 8, 14, 16}));
  std::vector<float> negative = Iota(16);
  for (float& v : negative) v = -v;
  in.Fill(negative);
  sn2_ref_max_pool(&p, &in.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{-1, -2, -5, -6}));
}

TEST(ReferencePool, AverageCountIncludePadOrNot) {
  Tensor in(1, 4, 4, 1), out(1, 2, 2, 1);
  in.Fill(Iota(16));
  auto p = Pool(3, 2, 1, true);
  sn2_ref_avg_pool(&p, &in.view, &out.view);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0, 0), 14.0f / 9.0f);
  EXPECT_FLOAT_EQ(out.at(0, 1, 1, 0), 99.0f / 9.0f);
  p.count_include_pad = false;
  sn2_ref_avg_pool(&p, &in.view, &out.view);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0, 0), 14.0f / 4.0f);
  EXPECT_FLOAT_EQ(out.at(0, 1, 1, 0), 99.0f / 9.0f);
}

TEST(ReferencePool, TensorFlowSamePaddingOnlyBottomRight) {
  // 'same' 3x3/2 on 4x4: total padding 1 per axis, all of it bottom/right.
  Tensor in(1, 4, 4, 1), out(1, 2, 2, 1);
  in.Fill(Iota(16));
  sn2_pool_params p = Pool(3, 2, 0, false);
  p.pad_bottom = p.pad_right = 1;
  sn2_ref_avg_pool(&p, &in.view, &out.view);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0, 0), 54.0f / 9.0f);
  EXPECT_FLOAT_EQ(out.at(0, 1, 1, 0), 54.0f / 4.0f);
  p.count_include_pad = true;  // the padded cell counts, cells past the padding do not
  sn2_ref_avg_pool(&p, &in.view, &out.view);
  EXPECT_FLOAT_EQ(out.at(0, 1, 1, 0), 54.0f / 9.0f);
  sn2_ref_max_pool(&p, &in.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{11, 12, 15, 16}));
}

TEST(ReferencePool, GlobalAverage) {
  Tensor in(2, 2, 2, 2), out(2, 1, 1, 2);
  in.Fill(Iota(16));
  sn2_ref_global_avg_pool(&in.view, &out.view);
  // Image 0, channel 0: 1, 3, 5, 7; channel 1: 2, 4, 6, 8. Image 1 adds 8.
  EXPECT_EQ(out.Values(), (std::vector<float>{4, 5, 12, 13}));
}

TEST(ReferenceElementwise, FullyConnected) {
  Tensor in(1, 1, 1, 3), out(1, 1, 1, 2);
  in.Fill({1, 2, 3});
  std::vector<float> w{1, 0, -1, 0.5f, 0.5f, 0.5f};  // [out][in]
  std::vector<float> bias{10, 20};
  sn2_fully_connected_params p{3, 2, -INFINITY, INFINITY, w.data(), bias.data()};
  sn2_ref_fully_connected(&p, &in.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{8, 23}));
}

TEST(ReferenceElementwise, BatchNorm) {
  Tensor in(1, 1, 1, 2), out(1, 1, 1, 2);
  in.Fill({3, 3});
  std::vector<float> scale{2, 1}, bias{0.5f, 0}, mean{1, 3}, var{3, 1};
  sn2_batchnorm_params p{2, 1.0f, scale.data(), bias.data(), mean.data(), var.data()};
  sn2_ref_batchnorm(&p, &in.view, &out.view);
  // (3 - 1) / sqrt(3 + 1) * 2 + 0.5 = 2.5; (3 - 3) / sqrt(2) * 1 + 0 = 0.
  EXPECT_EQ(out.Values(), (std::vector<float>{2.5f, 0.0f}));
}

TEST(ReferenceElementwise, ClampAddSoftmax) {
  Tensor a(1, 1, 2, 2), b(1, 1, 2, 2), out(1, 1, 2, 2);
  a.Fill({-1, 2, 7, 0.5f});
  b.Fill({1, 1, 1, 1});
  sn2_clamp_params relu6{0.0f, 6.0f};
  sn2_ref_clamp(&relu6, &a.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{0, 2, 6, 0.5f}));
  const sn2_binary_params add{sn2_binary_add, false, 0, 0};
  sn2_ref_binary(&add, &a.view, &b.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{0, 3, 8, 1.5f}));
  a.Fill({0, std::log(3.0f), 5, 5});
  sn2_softmax_params channels{1, false};
  sn2_ref_softmax(&channels, &a.view, &out.view);
  EXPECT_NEAR(out.at(0, 0, 0, 0), 0.25f, 1e-6);
  EXPECT_NEAR(out.at(0, 0, 0, 1), 0.75f, 1e-6);
  EXPECT_NEAR(out.at(0, 0, 1, 0), 0.5f, 1e-6);
}

TEST(ReferenceChannel, ConcatAndSplitRoundTripThroughStridedViews) {
  Tensor a(1, 1, 2, 1, 3), b(1, 1, 2, 2), joined(1, 1, 2, 3, 4);
  a.Fill({1, 2});
  b.Fill({10, 11, 20, 21});
  sn2_tensor parts[2] = {a.view, b.view};
  sn2_ref_concat(1, parts, 2, &joined.view);
  EXPECT_EQ(joined.Values(), (std::vector<float>{1, 10, 11, 2, 20, 21}));
  EXPECT_TRUE(joined.CanariesIntact());
  Tensor x(1, 1, 2, 1, 2), y(1, 1, 2, 2, 5);
  sn2_tensor outs[2] = {x.view, y.view};
  sn2_ref_split(1, &joined.view, outs, 2);
  EXPECT_EQ(x.Values(), (std::vector<float>{1, 2}));
  EXPECT_EQ(y.Values(), (std::vector<float>{10, 11, 20, 21}));
  EXPECT_TRUE(x.CanariesIntact());
  EXPECT_TRUE(y.CanariesIntact());
}

TEST(ReferenceChannel, ShuffleInterleavesGroups) {
  Tensor in(1, 1, 1, 6), out(1, 1, 1, 6);
  in.Fill(Iota(6, 0.0f));
  sn2_channel_shuffle_params two{2}, three{3};
  sn2_ref_channel_shuffle(&two, &in.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  sn2_ref_channel_shuffle(&three, &in.view, &out.view);
  EXPECT_EQ(out.Values(), (std::vector<float>{0, 2, 4, 1, 3, 5}));
}

// A row-major tensor of any rank (no canaries).
struct Nd {
  std::vector<float> data;
  sn2_tensor view{};
  Nd(std::vector<uint32_t> dims, std::vector<float> values = {}) {
    size_t n = 1;
    for (uint32_t d : dims) n *= d;
    data = values.empty() ? std::vector<float>(n, NAN) : values;
    EXPECT_EQ(data.size(), n);
    view.data = data.data();
    view.rank = uint32_t(dims.size());
    ptrdiff_t stride = 1;
    for (size_t d = dims.size(); d-- > 0;) {
      view.dims[d] = dims[d];
      view.strides[d] = stride;
      stride *= dims[d];
    }
  }
};

TEST(ReferenceGeneric, TransposeRank3) {
  Nd in({2, 3, 1}, Iota(6, 0.0f)), out({3, 1, 2});
  sn2_transpose_params p{{1, 2, 0}};
  sn2_ref_transpose(&p, &in.view, &out.view);
  // out[i][0][k] = in[k][i][0]
  EXPECT_EQ(out.data, (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(ReferenceGeneric, ReshapeReadsNhwcStorageInLogicalOrder) {
  // A rank-4 NHWC tensor [N=1, C=2, H=1, W=2] holding logical (c, w) = 10c + w.
  Tensor in(1, 1, 2, 2);
  in.Fill({0, 10, 1, 11});  // pixel-major storage order
  Nd out({4});
  sn2_ref_reshape(&in.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{0, 1, 10, 11}));
}

TEST(ReferenceGeneric, SliceWithNegativeStep) {
  Nd in({2, 5}, Iota(10, 0.0f)), out({2, 2});
  sn2_slice_params p{};
  p.starts[0] = 0, p.steps[0] = 1, p.counts[0] = 2;
  p.starts[1] = 4, p.steps[1] = -2, p.counts[1] = 2;  // columns 4, 2
  sn2_ref_slice(&p, &in.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{4, 2, 9, 7}));
}

TEST(ReferenceGeneric, ConcatAndSplitAlongAxis0) {
  Nd a({1, 2}, {1, 2}), b({2, 2}, {3, 4, 5, 6}), out({3, 2});
  sn2_tensor parts[2] = {a.view, b.view};
  sn2_ref_concat(0, parts, 2, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  Nd x({3, 1}), y({3, 1});
  sn2_tensor outs[2] = {x.view, y.view};
  sn2_ref_split(1, &out.view, outs, 2);
  EXPECT_EQ(x.data, (std::vector<float>{1, 3, 5}));
  EXPECT_EQ(y.data, (std::vector<float>{2, 4, 6}));
}

TEST(ReferenceGeneric, BinaryBroadcasts) {
  Nd a({2, 3}, {1, 2, 3, 4, 5, 6}), row({3}, {10, 20, 30}), col({2, 1}, {2, 4}), out({2, 3});
  const sn2_binary_params add{sn2_binary_add, false, 0, 0}, div{sn2_binary_div, false, 0, 0};
  const sn2_binary_params sub{sn2_binary_sub, false, 0, 0}, mul{sn2_binary_mul, false, 0, 0};
  sn2_ref_binary(&add, &a.view, &row.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{11, 22, 33, 14, 25, 36}));
  sn2_ref_binary(&div, &a.view, &col.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{0.5f, 1, 1.5f, 1, 1.25f, 1.5f}));
  sn2_ref_binary(&sub, &row.view, &a.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{9, 18, 27, 6, 15, 24}));
  sn2_ref_binary(&mul, &col.view, &row.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{20, 40, 60, 40, 80, 120}));
  const sn2_binary_params relu_add{sn2_binary_add, true, 0.0f, 30.0f};
  sn2_ref_binary(&relu_add, &a.view, &row.view, &out.view);  // fused activation
  EXPECT_EQ(out.data, (std::vector<float>{11, 22, 30, 14, 25, 30}));
}

TEST(ReferenceGeneric, MatMulBroadcastsBatch) {
  // Batch 2 of [1x2] times one shared [2x2].
  Nd a({2, 1, 2}, {1, 2, 3, 4}), b({2, 2}, {1, 10, 100, 1000}), out({2, 1, 2});
  sn2_ref_matmul(&a.view, &b.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{201, 2010, 403, 4030}));
}

TEST(ReferenceGeneric, ReduceMeanKeepOrDropAxes) {
  Nd in({2, 2, 2}, Iota(8)), keep({2, 1, 1}), drop({2});
  sn2_reduce_params p{0b110, true};
  sn2_ref_reduce_mean(&p, &in.view, &keep.view);
  EXPECT_EQ(keep.data, (std::vector<float>{2.5f, 6.5f}));
  p.keepdims = false;
  sn2_ref_reduce_mean(&p, &in.view, &drop.view);
  EXPECT_EQ(drop.data, (std::vector<float>{2.5f, 6.5f}));
  Nd first({2, 2}), all({1});
  sn2_reduce_params axis0{0b001, false}, every{0b111, false};
  sn2_ref_reduce_mean(&axis0, &in.view, &first.view);
  EXPECT_EQ(first.data, (std::vector<float>{3, 4, 5, 6}));
  sn2_ref_reduce_mean(&every, &in.view, &all.view);
  EXPECT_EQ(all.data, (std::vector<float>{4.5f}));
}

TEST(ReferenceGeneric, GatherWith2dIndices) {
  Nd in({3, 2}, {1, 2, 3, 4, 5, 6}), out({2, 2, 2});
  int64_t indices[4] = {2, 0, 1, 1};
  sn2_gather_params p{0, 2, {2, 2}, indices};
  sn2_ref_gather(&p, &in.view, &out.view);
  EXPECT_EQ(out.data, (std::vector<float>{5, 6, 1, 2, 3, 4, 3, 4}));
  Nd col({3});
  int64_t second[1] = {1};
  sn2_gather_params q{1, 0, {}, second};
  sn2_ref_gather(&q, &in.view, &col.view);
  EXPECT_EQ(col.data, (std::vector<float>{2, 4, 6}));
}

TEST(ReferenceGeneric, SoftmaxAxisAndCoerced) {
  const float l3 = std::log(3.0f);
  Nd in({1, 2, 2}, {0, 0, l3, 0}), out({1, 2, 2});
  sn2_softmax_params axis1{1, false}, coerced{1, true};
  sn2_ref_softmax(&axis1, &in.view, &out.view);  // columns (0, ln 3) and (0, 0)
  EXPECT_NEAR(out.data[0], 0.25f, 1e-6);
  EXPECT_NEAR(out.data[2], 0.75f, 1e-6);
  EXPECT_NEAR(out.data[1], 0.5f, 1e-6);
  sn2_ref_softmax(&coerced, &in.view, &out.view);  // one row of 4: weights 1, 1, 3, 1
  EXPECT_NEAR(out.data[0], 1.0f / 6, 1e-6);
  EXPECT_NEAR(out.data[2], 3.0f / 6, 1e-6);
}

}  // namespace
