// The pointwise gather/scatter micro-kernels against a scalar loop written here, on every ISA
// this CPU runs (the others are skipped, and say so): channel counts around the vector widths,
// row tails, gathered inputs, scattered outputs, clamping to both bounds and ReLU (no upper
// bound), a residual added in place (each output's prior value, tail rows included), and
// canaries in every slot a kernel must not write.
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/config/hardware-config.h"
#include "kernels/config/pwconv-config.h"
#include "kernels/parallel.h"

namespace {

struct Shape {
  size_t rows, k, n;
  bool gather, scatter, runs;
  bool relu = false;  // bounds [0, inf) (the AVX-512 kernels skip the min there), else [-0.75, 0.5]
  bool accumulate = false;  // outputs start as a residual, added before the clamp
};

constexpr float kCanary = -7777.0f;

const void* PrefetchShare(const float* packed, size_t k, size_t n, size_t nr, size_t block, size_t tile,
                          size_t tiles) {
  size_t share = 0;
  const char* plan = sn2_f32_pwconv_prefetch_plan(packed, k, n, nr, block, tiles, &share);
  return sn2_f32_pwconv_prefetch_share(plan, share, k, nr, tile);
}

void Check(const sn2_pwconv_config* config, const Shape& shape) {
  std::mt19937 rng(uint32_t(shape.k * 131 + shape.n * 7 + shape.rows));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const size_t in_width = shape.gather ? 2 * shape.k + 3 : shape.k;
  const size_t out_width = shape.scatter ? 2 * shape.n + 1 : shape.n;
  std::vector<float> input(shape.rows * in_width), weights(shape.n * shape.k), bias(shape.n);
  for (float& v : input) v = dist(rng);
  for (float& v : weights) v = dist(rng);
  for (float& v : bias) v = dist(rng);
  // Gather: the k channels sit at shuffled odd slots. Scatter: outputs go to even slots,
  // shuffled (runs of one channel), or as runs of 1-19 channels in a shuffled order, which is
  // what the compiler's slot tables look like.
  std::vector<uint32_t> in_slots(shape.k), out_slots(shape.n);
  for (size_t q = 0; q < shape.k; q++) in_slots[q] = uint32_t(shape.gather ? 2 * q + 1 : q);
  if (shape.gather) std::shuffle(in_slots.begin(), in_slots.end(), rng);
  if (shape.runs) {
    std::vector<std::vector<uint32_t>> pieces;
    for (size_t j = 0; j < shape.n;) {
      const size_t length = std::min<size_t>(shape.n - j, 1 + rng() % 19);
      pieces.emplace_back();
      for (size_t i = 0; i < length; i++) pieces.back().push_back(uint32_t(2 * j + i));
      j += length;
    }
    std::shuffle(pieces.begin(), pieces.end(), rng);
    size_t j = 0;
    for (const auto& piece : pieces)
      for (uint32_t slot : piece) out_slots[j++] = slot;
  } else {
    for (size_t j = 0; j < shape.n; j++) out_slots[j] = uint32_t(2 * j);
    std::shuffle(out_slots.begin(), out_slots.end(), rng);
  }
  const sn2_f32_pwconv_params params = shape.relu ? sn2_f32_pwconv_params{0.0f, INFINITY, shape.accumulate}
                                                  : sn2_f32_pwconv_params{-0.75f, 0.5f, shape.accumulate};

  std::vector<float> packed(sn2_f32_pwconv_packed_size(shape.k, shape.n, config->nr));
  sn2_f32_pwconv_pack(shape.k, shape.n, config->nr, weights.data(), bias.data(), packed.data());
  const size_t blocks = (shape.n + config->nr - 1) / config->nr;
  std::vector<sn2_pwconv_run> runs(shape.n);
  std::vector<uint32_t> block_first(blocks + 1);
  sn2_f32_pwconv_make_runs(shape.n, config->nr, shape.scatter ? out_slots.data() : nullptr, runs.data(),
                           block_first.data());
  std::vector<float> output(shape.rows * out_width, kCanary), prior(shape.rows * shape.n, 0.0f);
  if (shape.accumulate) {
    for (size_t p = 0; p < shape.rows; p++)
      for (size_t j = 0; j < shape.n; j++) {
        prior[p * shape.n + j] = dist(rng);
        output[p * out_width + (shape.scatter ? out_slots[j] : j)] = prior[p * shape.n + j];
      }
  }
  std::vector<const float*> in_rows(config->mr);
  std::vector<float*> out_rows(config->mr);
  for (size_t first = 0; first < shape.rows; first += config->mr) {
    const size_t rows = std::min<size_t>(config->mr, shape.rows - first);
    for (size_t r = 0; r < config->mr; r++) {
      const size_t pixel = first + std::min(r, rows - 1);
      in_rows[r] = input.data() + pixel * in_width;
      out_rows[r] = output.data() + pixel * out_width;
    }
    for (size_t b = 0; b < blocks; b++) {
      config->ukernel(rows, shape.k, std::min<size_t>(config->nr, shape.n - b * config->nr), in_rows.data(),
                      in_slots.data(), packed.data() + b * config->nr * (shape.k + 1), out_rows.data(),
                      runs.data() + block_first[b], block_first[b + 1] - block_first[b],
                      PrefetchShare(packed.data(), shape.k, shape.n, config->nr, b, first / config->mr,
                                    (shape.rows + config->mr - 1) / config->mr),
                      &params);
    }
  }
  for (size_t p = 0; p < shape.rows; p++) {
    std::vector<bool> written(out_width, false);
    for (size_t j = 0; j < shape.n; j++) {
      double acc = bias[j];
      for (size_t q = 0; q < shape.k; q++) acc += double(input[p * in_width + in_slots[q]]) * weights[j * shape.k + q];
      acc += prior[p * shape.n + j];
      const float expected = std::min(std::max(float(acc), params.min), params.max);
      const size_t slot = shape.scatter ? out_slots[j] : j;
      written[slot] = true;
      ASSERT_NEAR(output[p * out_width + slot], expected, 1e-5f * std::max(1.0f, std::fabs(expected)))
          << config->name << " pixel " << p << " channel " << j;
    }
    for (size_t slot = 0; slot < out_width; slot++) {
      if (!written[slot]) {
        ASSERT_EQ(output[p * out_width + slot], kCanary) << config->name << " wrote slot " << slot;
      }
    }
  }
}

bool Available(sn2_isa isa) {
  const sn2_hardware_config* hw = sn2_get_hardware_config();
  return isa == sn2_isa_scalar || (isa == sn2_isa_avx2 && hw->avx2_fma) ||
         (isa == sn2_isa_avx512f && hw->avx512f) || (isa == sn2_isa_neon && hw->neon);
}

class PwconvUkernel : public ::testing::TestWithParam<sn2_isa> {};

// Every kernel of the ISA (the plan picks among them by layer width).
TEST_P(PwconvUkernel, MatchesScalarLoop) {
  if (!sn2_get_pwconv_config(GetParam())) GTEST_SKIP() << "this build has no kernel for the ISA";
  if (!Available(GetParam())) GTEST_SKIP() << "this CPU cannot run " << sn2_isa_name(GetParam());
  size_t count = 0;
  const sn2_pwconv_config* configs = sn2_get_pwconv_configs(&count);
  const size_t widths[] = {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 48, 49, 58, 63, 64, 65, 96, 116, 128};
  for (size_t c = 0; c < count; c++) {
    if (configs[c].isa != GetParam()) continue;
    for (size_t n : widths) {
      // k = 233 with n > 32: weights past SN2_PWCONV_PREFETCH_MIN_BYTES, so the tiles prefetch.
      for (size_t k : {size_t(1), size_t(3), size_t(29), size_t(116), size_t(233)}) {
        for (size_t rows : {size_t(1), size_t(3), size_t(4), size_t(7), size_t(9), size_t(15)}) {
          for (int mode = 0; mode < 6; mode++) {
            Check(&configs[c], Shape{rows, k, n, (mode & 1) != 0, mode >= 2, mode >= 4, rows % 2 == 1});
            if (HasFatalFailure()) return;
          }
          // A residual in place: plain, and gathered with outputs scattered in runs.
          for (int mode : {0, 5}) {
            Check(&configs[c], Shape{rows, k, n, (mode & 1) != 0, mode >= 2, mode >= 4, rows % 2 == 1, true});
            if (HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

// The conv + global average driver against a scalar loop (the conv in double, clamped, then
// averaged): images after one another, pixel counts with tail tiles, layers of several blocks
// with a partial last one, gathered inputs, outputs scattered in runs; and the same bits at one
// and at two threads (each channel's sum is one thread's, in pixel order).
TEST_P(PwconvUkernel, GlobalAverageMatchesScalarLoop) {
  if (!sn2_get_pwconv_config(GetParam())) GTEST_SKIP() << "this build has no kernel for the ISA";
  if (!Available(GetParam())) GTEST_SKIP() << "this CPU cannot run " << sn2_isa_name(GetParam());
  pthreadpool_t pool = pthreadpool_create(2);
  ASSERT_NE(pool, nullptr);
  size_t count = 0;
  const sn2_pwconv_config* configs = sn2_get_pwconv_configs(&count);
  for (size_t c = 0; c < count; c++) {
    const sn2_pwconv_config* config = &configs[c];
    if (config->isa != GetParam()) continue;
    ASSERT_LE(config->mr, size_t(SN2_PWCONV_MAX_MR));
    ASSERT_LE(config->nr, size_t(SN2_PWCONV_MAX_NR));
    for (size_t n : {size_t(1), size_t(17), size_t(48), size_t(116), size_t(1024)}) {
      for (size_t k : {size_t(3), size_t(233)}) {
        for (size_t pixels : {size_t(1), size_t(15), size_t(49)}) {
          const size_t images = 2, in_width = 2 * k + 3, out_width = 6 * ((n + 2) / 3) + 1;
          std::mt19937 rng(uint32_t(n * 31 + k * 7 + pixels));
          std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
          std::vector<float> input(images * pixels * in_width), weights(n * k), bias(n);
          for (float& v : input) v = dist(rng);
          for (float& v : weights) v = dist(rng);
          for (float& v : bias) v = dist(rng);
          std::vector<uint32_t> in_slots(k), out_slots(n);
          for (size_t q = 0; q < k; q++) in_slots[q] = uint32_t(2 * q + 1);
          std::shuffle(in_slots.begin(), in_slots.end(), rng);
          // Outputs in runs of three at even slots, the runs in reverse order.
          for (size_t j = 0; j < n; j++) out_slots[j] = uint32_t(2 * ((n - 1) / 3 - j / 3) * 3 + 2 * (j % 3));
          const size_t blocks = (n + config->nr - 1) / config->nr;
          std::vector<float> packed(sn2_f32_pwconv_packed_size(k, n, config->nr));
          sn2_f32_pwconv_pack(k, n, config->nr, weights.data(), bias.data(), packed.data());
          std::vector<sn2_pwconv_run> runs(n);
          std::vector<uint32_t> block_first(blocks + 1);
          sn2_f32_pwconv_make_runs(n, config->nr, out_slots.data(), runs.data(), block_first.data());
          const sn2_f32_pwconv_params params{0.0f, INFINITY, false};
          std::vector<float> one(images * out_width, kCanary), two(images * out_width, kCanary);
          sn2_pwconv_problem problem{pixels, k, n, input.data(), in_width, in_slots.data(), packed.data(),
                                     one.data(), out_width, runs.data(), block_first.data(), params};
          sn2_f32_pwconv_global_average_run(config, &problem, images, nullptr);
          problem.output = two.data();
          sn2_f32_pwconv_global_average_run(config, &problem, images, pool);
          ASSERT_EQ(one, two) << config->name << " n " << n << " k " << k << " pixels " << pixels;
          for (size_t i = 0; i < images; i++) {
            std::vector<bool> written(out_width, false);
            for (size_t j = 0; j < n; j++) {
              double sum = 0.0;
              for (size_t p = 0; p < pixels; p++) {
                const float* pixel = input.data() + (i * pixels + p) * in_width;
                double acc = bias[j];
                for (size_t q = 0; q < k; q++) acc += double(pixel[in_slots[q]]) * weights[j * k + q];
                sum += std::max(acc, 0.0);
              }
              const float expected = float(sum / double(pixels));
              written[out_slots[j]] = true;
              ASSERT_NEAR(one[i * out_width + out_slots[j]], expected, 1e-5f * std::max(1.0f, std::fabs(expected)))
                  << config->name << " image " << i << " channel " << j << " n " << n << " k " << k;
            }
            for (size_t slot = 0; slot < out_width; slot++) {
              if (!written[slot]) {
                ASSERT_EQ(one[i * out_width + slot], kCanary) << config->name << " wrote " << slot;
              }
            }
          }
        }
      }
    }
  }
  pthreadpool_destroy(pool);
}

// How the drivers split work over threads (kernels/parallel.h).
TEST(BalancedChunk, BusiestThreadHasTheFewestItems) {
  EXPECT_EQ(sn2_balanced_chunk(28, 2), 7u);  // 4 chunks of 7 (14 per thread), not 7 of 4 (16)
  EXPECT_EQ(sn2_balanced_chunk(7, 2), 1u);   // 7 x 1: 4 + 3, the most chunks among equals
  EXPECT_EQ(sn2_balanced_chunk(112, 2), 14u);
  EXPECT_EQ(sn2_balanced_chunk(1, 2), 1u);
  EXPECT_EQ(sn2_balanced_chunk(28, 1), 28u);  // one thread: one chunk
  EXPECT_EQ(sn2_balanced_chunk(0, 2), 1u);    // never a zero-sized chunk
}

TEST(PwconvChoice, CheapestBlocksForTheWidth) {
  const sn2_pwconv_config* c58 = sn2_choose_pwconv_config(sn2_isa_avx512f, 58);
  if (!c58) GTEST_SKIP() << "this build has no AVX-512 kernels";
  auto nr = [](size_t n) { return sn2_choose_pwconv_config(sn2_isa_avx512f, n)->nr; };
  EXPECT_EQ(c58->nr, 32u);   // two 2-vector blocks, not a 3-vector one and a 1-vector one
  EXPECT_EQ(nr(24), 32u);    // one 2-vector block either way: the first row
  EXPECT_EQ(nr(48), 48u);    // one block of 3, not one of 2 and one of 1
  EXPECT_EQ(nr(116), 48u);   // 3 + 3 + 2 vectors, not 2 + 2 + 2 + 2
  EXPECT_EQ(nr(352), 48u);   // seven blocks of 3 and one of 1, not eleven of 2
  EXPECT_EQ(nr(1024), 48u);
}

// The scalar path's kernel is in every build, whatever the CPU: one tile, for any width.
TEST(PwconvChoice, EveryBuildHasTheScalarKernel) {
  for (size_t n : {1, 4, 24, 58, 1024}) {
    const sn2_pwconv_config* c = sn2_choose_pwconv_config(sn2_isa_scalar, n);
    ASSERT_NE(c, nullptr) << n;
    EXPECT_EQ(c->isa, sn2_isa_scalar);
    EXPECT_EQ(c->nr, 4u);
    EXPECT_STREQ(c->name, "sn2:f32_pwconv_4x4__scalar");
  }
}

INSTANTIATE_TEST_SUITE_P(Isa, PwconvUkernel,
                         ::testing::Values(sn2_isa_scalar, sn2_isa_avx2, sn2_isa_avx512f, sn2_isa_neon),
                         [](const ::testing::TestParamInfo<sn2_isa>& info) {
                           return std::string(sn2_isa_name(info.param));
                         });

}  // namespace
