// The 3x3 stride-2 max-pooling micro-kernels against a scalar loop written here, on every ISA
// this CPU runs: maps from 1x1 up, odd and even sizes, no padding, one row/column on every side
// and on some sides only, output sizes rounded down and up (ceil mode), channel counts around
// the 16- and 32-channel steps, pixels wider than their channels (canaries that must stay),
// negative values (so a zero in place of the padding would show), batch 2, and output rows in
// chunks that start anywhere (as the thread split does).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/config/hardware-config.h"
#include "kernels/config/maxpool2d-config.h"

namespace {

constexpr float kCanary = -5555.0f;

struct Case {
  size_t h, w, c;
  uint32_t pad_top, pad_left, pad_bottom, pad_right;
  bool ceil;  // output size rounded up
};

size_t OutSize(size_t in, uint32_t before, uint32_t after, bool ceil) {
  const size_t span = in + before + after - 3;
  return (ceil ? (span + 1) / 2 : span / 2) + 1;
}

// chunk: output rows per micro-kernel call (0: the whole pool through sn2_f32_maxpool2d_run).
void Check(const sn2_maxpool2d_config* config, const Case& t, size_t chunk = 0) {
  const size_t out_h = OutSize(t.h, t.pad_top, t.pad_bottom, t.ceil);
  const size_t out_w = OutSize(t.w, t.pad_left, t.pad_right, t.ceil);
  sn2_pool_params params{3, 3, 2, 2, t.pad_top, t.pad_left, t.pad_bottom, t.pad_right, false};
  if (!sn2_maxpool2d_supports(&params, t.h, t.w, out_h, out_w)) return;  // a window of padding only
  const size_t in_stride = t.c + 3, out_stride = t.c + 5;
  std::mt19937 rng(uint32_t(t.h * 1000 + t.w * 100 + t.c));
  std::uniform_real_distribution<float> dist(-2, -0.5);  // all negative: padding is no zero
  std::vector<float> input(2 * t.h * t.w * in_stride);
  for (float& v : input) v = dist(rng);
  std::vector<float> output(2 * out_h * out_w * out_stride, kCanary);
  const sn2_maxpool2d_problem problem = {2, t.h, t.w, out_h, out_w, t.c, t.pad_top, t.pad_left,
                                         input.data(), in_stride, output.data(), out_stride};
  if (chunk == 0) {
    sn2_f32_maxpool2d_run(config, &problem, nullptr);
  } else {
    for (size_t first = 0; first < 2 * out_h; first += chunk) sn2_f32_maxpool2d_rows(config, &problem, first, std::min(chunk, 2 * out_h - first));
  }
  for (size_t n = 0; n < 2; n++)
    for (size_t oy = 0; oy < out_h; oy++)
      for (size_t ox = 0; ox < out_w; ox++) {
        const float* pixel = output.data() + ((n * out_h + oy) * out_w + ox) * out_stride;
        for (size_t c = 0; c < t.c; c++) {
          float expected = -std::numeric_limits<float>::infinity();
          for (size_t ky = 0; ky < 3; ky++)
            for (size_t kx = 0; kx < 3; kx++) {
              const long iy = long(oy * 2 + ky) - long(t.pad_top);
              const long ix = long(ox * 2 + kx) - long(t.pad_left);
              if (iy < 0 || ix < 0 || iy >= long(t.h) || ix >= long(t.w)) continue;
              expected = std::max(expected, input[((n * t.h + iy) * t.w + ix) * in_stride + c]);
            }
          ASSERT_EQ(pixel[c], expected) << config->name << " c=" << c << " at " << n << ":" << oy << "," << ox
                                        << " (" << t.h << "x" << t.w << "x" << t.c << ", chunk " << chunk << ")";
        }
        for (size_t c = t.c; c < out_stride; c++) ASSERT_EQ(pixel[c], kCanary) << config->name << " wrote past the channels";
      }
}

class MaxpoolUkernel : public ::testing::TestWithParam<sn2_isa> {
 protected:
  void SetUp() override {
    const sn2_hardware_config* hw = sn2_get_hardware_config();
    config_ = sn2_get_maxpool2d_config(GetParam());
    if (!config_) GTEST_SKIP() << "this build has no kernel for the ISA";
    if ((GetParam() == sn2_isa_avx512f && !hw->avx512f) || (GetParam() == sn2_isa_avx2 && !hw->avx2_fma) ||
        (GetParam() == sn2_isa_neon && !hw->neon)) {
      GTEST_SKIP() << "this CPU cannot run " << sn2_isa_name(GetParam());
    }
  }
  const sn2_maxpool2d_config* config_ = nullptr;
};

TEST_P(MaxpoolUkernel, MatchesScalarLoop) {
  for (size_t c : {1, 7, 16, 17, 24, 31, 32, 33, 50}) {
    for (size_t hw : {1, 2, 3, 6, 7, 14}) {
      for (bool ceil : {false, true}) {
        Check(config_, {hw, hw, c, 1, 1, 1, 1, ceil});
        Check(config_, {hw + 1, hw, c, 0, 0, 0, 0, ceil});
        Check(config_, {hw, hw + 2, c, 0, 0, 1, 1, ceil});  // TF SAME: bottom and right only
        Check(config_, {hw + 2, hw + 1, c, 1, 0, 0, 1, ceil});
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST_P(MaxpoolUkernel, RowsInChunksThatStartAnywhere) {
  for (size_t chunk : {1, 2, 3, 5}) {
    Check(config_, {13, 13, 24, 1, 1, 1, 1, false}, chunk);
    if (HasFatalFailure()) return;
  }
}

TEST(MaxpoolSupports, OnlyThreeByThreeStrideTwoWithinOnePixelOfPadding) {
  sn2_pool_params p{3, 3, 2, 2, 1, 1, 1, 1, false};
  EXPECT_TRUE(sn2_maxpool2d_supports(&p, 112, 112, 56, 56));
  EXPECT_FALSE(sn2_maxpool2d_supports(&p, 112, 112, 58, 56)) << "a window beyond the map";
  sn2_pool_params stride1 = p;
  stride1.stride_h = stride1.stride_w = 1;
  EXPECT_FALSE(sn2_maxpool2d_supports(&stride1, 112, 112, 112, 112));
  sn2_pool_params wide_pad = p;
  wide_pad.pad_left = 2;
  EXPECT_FALSE(sn2_maxpool2d_supports(&wide_pad, 112, 112, 57, 57));
  sn2_pool_params five = p;
  five.kernel_h = five.kernel_w = 5;
  EXPECT_FALSE(sn2_maxpool2d_supports(&five, 112, 112, 56, 56));
}

INSTANTIATE_TEST_SUITE_P(Isa, MaxpoolUkernel,
                         ::testing::Values(sn2_isa_scalar, sn2_isa_avx2, sn2_isa_avx512f, sn2_isa_neon),
                         [](const ::testing::TestParamInfo<sn2_isa>& info) {
                           return std::string(sn2_isa_name(info.param));
                         });

}  // namespace
