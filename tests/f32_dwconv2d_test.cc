// The depthwise 3x3 micro-kernels against a scalar loop written here, on every ISA this CPU
// runs: channel counts around the vector widths, strides 1 and 2, symmetric, asymmetric and no
// padding, odd and 1x1 sizes, pixels wider than their channels (with canaries that must stay),
// with a clamp and without one (as ShuffleNet runs them: the AVX-512 kernel has separate paths),
// rows wider than the kernel's groups of 7 and not a multiple of them, and output rows handed to
// the micro-kernel in chunks that start anywhere, and the driver on 2 and 3 threads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <pthreadpool.h>

#include "kernels/config/dwconv2d-config.h"
#include "kernels/config/hardware-config.h"

namespace {

constexpr float kCanary = -5555.0f;

struct Case {
  size_t h, w, c;
  uint32_t stride, pad_top, pad_left, pad_bottom, pad_right;
};

constexpr float kInf = std::numeric_limits<float>::infinity();

// clamp: the output bounds (else none); chunk: rows per micro-kernel call (0: the whole conv
// through sn2_f32_dwconv2d_run, on `pool`), blocks_per_call: channel blocks per call (the last
// call of a row chunk takes what is left).
void Check(sn2_isa isa, const Case& t, bool clamp = true, size_t chunk = 0, size_t blocks_per_call = 1,
           pthreadpool_t pool = nullptr) {
  const sn2_dwconv2d_config* config = sn2_get_dwconv2d_config(isa);
  ASSERT_NE(config, nullptr);
  const size_t out_h = (t.h + t.pad_top + t.pad_bottom - 3) / t.stride + 1;
  const size_t out_w = (t.w + t.pad_left + t.pad_right - 3) / t.stride + 1;
  const size_t in_stride = t.c + 3, out_stride = t.c + 5;
  std::mt19937 rng(uint32_t(t.h * 1000 + t.w * 100 + t.c));
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> input(2 * t.h * t.w * in_stride), weights(t.c * 9), bias(t.c);
  for (float& v : input) v = dist(rng);
  for (float& v : weights) v = dist(rng);
  for (float& v : bias) v = dist(rng);
  std::vector<float> packed(sn2_f32_dwconv2d_packed_size(t.c, config->cb));
  sn2_f32_dwconv2d_pack(t.c, config->cb, weights.data(), bias.data(), packed.data());
  std::vector<float> output(2 * out_h * out_w * out_stride, kCanary);
  const sn2_dwconv2d_problem problem = {2, t.h, t.w, out_h, out_w, t.c, t.stride, t.pad_top, t.pad_left,
                                        input.data(), in_stride, packed.data(), output.data(),
                                        out_stride, {clamp ? -1.5f : -kInf, clamp ? 1.75f : kInf}};
  if (chunk == 0) {
    sn2_f32_dwconv2d_run(config, &problem, pool);
  } else {
    const size_t blocks = (t.c + config->cb - 1) / config->cb, rows = 2 * out_h;
    for (size_t first = 0; first < rows; first += chunk)
      for (size_t block = 0; block < blocks; block += blocks_per_call)
        config->ukernel(&problem, block, std::min(blocks_per_call, blocks - block), first, std::min(chunk, rows - first));
  }
  for (size_t n = 0; n < 2; n++)
    for (size_t oy = 0; oy < out_h; oy++)
      for (size_t ox = 0; ox < out_w; ox++) {
        const float* pixel = output.data() + ((n * out_h + oy) * out_w + ox) * out_stride;
        for (size_t c = 0; c < t.c; c++) {
          double acc = bias[c];
          for (size_t ky = 0; ky < 3; ky++)
            for (size_t kx = 0; kx < 3; kx++) {
              const long iy = long(oy * t.stride + ky) - long(t.pad_top);
              const long ix = long(ox * t.stride + kx) - long(t.pad_left);
              if (iy < 0 || ix < 0 || iy >= long(t.h) || ix >= long(t.w)) continue;
              acc += double(input[((n * t.h + iy) * t.w + ix) * in_stride + c]) * weights[c * 9 + ky * 3 + kx];
            }
          const float expected = clamp ? std::min(std::max(float(acc), -1.5f), 1.75f) : float(acc);
          ASSERT_NEAR(pixel[c], expected, 1e-5f) << config->name << " c=" << c << " at " << n << ":" << oy << ","
                                                 << ox << " (" << t.h << "x" << t.w << " stride " << t.stride
                                                 << (clamp ? ", clamped" : "") << ", chunk " << chunk << " x "
                                                 << blocks_per_call << " blocks)";
        }
        for (size_t c = t.c; c < out_stride; c++) ASSERT_EQ(pixel[c], kCanary) << config->name << " wrote past the channels";
      }
}

class DwconvUkernel : public ::testing::TestWithParam<sn2_isa> {
 protected:
  void SetUp() override {
    const sn2_hardware_config* hw = sn2_get_hardware_config();
    if (!sn2_get_dwconv2d_config(GetParam())) GTEST_SKIP() << "this build has no kernel for the ISA";
    if ((GetParam() == sn2_isa_avx512f && !hw->avx512f) || (GetParam() == sn2_isa_avx2 && !hw->avx2_fma) ||
        (GetParam() == sn2_isa_neon && !hw->neon)) {
      GTEST_SKIP() << "this CPU cannot run " << sn2_isa_name(GetParam());
    }
  }
};

TEST_P(DwconvUkernel, MatchesScalarLoop) {
  for (size_t c : {1, 7, 8, 9, 15, 16, 17, 24, 58}) {
    for (uint32_t stride : {1u, 2u}) {
      Check(GetParam(), {6, 7, c, stride, 1, 1, 1, 1});
      Check(GetParam(), {5, 5, c, stride, 0, 0, 0, 0});
      Check(GetParam(), {8, 6, c, stride, 0, 1, 1, 0});  // TF-style: some sides only
      Check(GetParam(), {1, 1, c, stride, 1, 1, 1, 1});
      if (HasFatalFailure()) return;
    }
  }
  Check(GetParam(), {28, 28, 116, 2, 1, 1, 1, 1});
  Check(GetParam(), {28, 28, 116, 2, 1, 1, 1, 1}, false);
}

// 58 and 72 channels: at least 4 blocks of every kernel, so that the run takes small maps at
// stride 1 through all blocks per call as well.
TEST_P(DwconvUkernel, UnclampedRowsOfEveryWidth) {
  for (size_t c : {1, 16, 17, 24, 58, 72}) {
    for (uint32_t stride : {1u, 2u}) {
      for (size_t w : {1, 5, 6, 7, 8, 13, 14, 15, 16, 22, 29}) {
        for (const Case& t : {Case{7, w, c, stride, 1, 1, 1, 1}, Case{6, w, c, stride, 0, 0, 0, 0},
                              Case{8, w, c, stride, 0, 1, 1, 0},  // TF-style: some sides only
                              Case{5, w, c, stride, 1, 0, 0, 1}}) {
          if (t.w + t.pad_left + t.pad_right >= 3) Check(GetParam(), t, false);
        }
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Calls that start at any row and at any block, over one block or several (58 channels: 4
// blocks of 16 with a tail of 10, 8 of 8, 15 of 4).
TEST_P(DwconvUkernel, RowsInChunksThatStartAnywhere) {
  for (size_t chunk : {1, 2, 3, 5}) {
    for (uint32_t stride : {1u, 2u}) {
      for (size_t blocks_per_call : {1, 2, 3}) {
        Check(GetParam(), {7, 14, 58, stride, 1, 1, 1, 1}, false, chunk, blocks_per_call);
        Check(GetParam(), {7, 14, 58, stride, 1, 1, 1, 1}, true, chunk, blocks_per_call);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// The driver's thread split: 2 or 3 threads over 2 images give chunks of odd and even row
// counts that cross images, in each block order the driver picks (small and large maps, 2 to 5
// blocks, both strides).
TEST_P(DwconvUkernel, ThreadChunksOfAnyRowCount) {
  for (size_t threads : {2, 3}) {
    pthreadpool_t pool = pthreadpool_create(threads);
    ASSERT_NE(pool, nullptr);
    for (uint32_t stride : {1u, 2u}) {
      for (size_t c : {17, 58, 72}) {
        Check(GetParam(), {14, 14, c, stride, 1, 1, 1, 1}, false, 0, 1, pool);
        Check(GetParam(), {13, 28, c, stride, 1, 1, 1, 1}, false, 0, 1, pool);
        Check(GetParam(), {28, 28, c, stride, 1, 1, 1, 1}, false, 0, 1, pool);
      }
    }
    pthreadpool_destroy(pool);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, DwconvUkernel,
                         ::testing::Values(sn2_isa_scalar, sn2_isa_avx2, sn2_isa_avx512f, sn2_isa_neon),
                         [](const ::testing::TestParamInfo<sn2_isa>& info) {
                           return std::string(sn2_isa_name(info.param));
                         });

}  // namespace
