// Pointwise (1x1) convolution micro-kernels that read input channels through a slot table
// (gather) and write output channels contiguously or through a slot table (scatter): the
// kernels that let a 1x1 conv consume and produce zero-copy channel views.
//
// One call computes `rows` (1..MR) pixels and one block of n <= NR output channels:
//   out[r][dest(j)] = clamp(bias[j] + sum_k in[r][in_slots[k]] * w[k][j])
// with weights packed by sn2_f32_pwconv_pack for the kernel's NR. Where the outputs go is a
// list of runs, so that a view's slots are written with contiguous (masked) vector stores: the
// slot tables the compiler makes are a few runs each, and a hardware scatter stores an element
// at a time. `prefetch` is how a driver hides the first pass over a layer's weights
// (they come from L3 or memory once per inference: 30 MB at x2.0): each tile of a block
// prefetches its share of the next block's weights while it computes.
#ifndef SN2_KERNELS_F32_PWCONV_PWCONV_H
#define SN2_KERNELS_F32_PWCONV_PWCONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Lanes [lo, hi) of a 16-lane vector as a bit mask: which lanes of a vector a run's store
// covers (the 16-lane kernels' store masks).
static inline uint16_t sn2_lanes16(int lo, int hi) {
  lo = lo < 0 ? 0 : lo;
  hi = hi > 16 ? 16 : hi;
  return hi <= lo ? 0 : (uint16_t)(((1u << (hi - lo)) - 1u) << lo);
}

struct sn2_f32_minmax_params {
  float min, max;
};

// The 1x1 kernels' epilogue: the clamp, and whether each output is first added to what its
// location holds (a residual fused in place, graph/pass-fuse-residual.c): then
//   out[r][dest(j)] = clamp(out[r][dest(j)] + bias[j] + sum_k ...).
// A pixel that tail rows repeat is added to once: the AVX-512 kernels load every row's prior
// value before any row stores, the others store only the call's `rows` distinct pixels.
struct sn2_f32_pwconv_params {
  float min, max;
  bool accumulate;
};

// Channels [begin, end) of a block go to out[offset + (j - begin)] in every output pixel.
struct sn2_pwconv_run {
  uint32_t begin, end, offset;
};

typedef void (*sn2_f32_pwconv_ukernel_fn)(
    size_t rows, size_t k, size_t n,
    const float* const* input_rows,   // MR pixel pointers (tail rows repeat the last one)
    const uint32_t* input_slots,      // k channel offsets within an input pixel
    const float* packed,              // this block's weights, from sn2_f32_pwconv_pack
    float* const* output_rows,        // MR pixel pointers (tail rows repeat the last one)
    const struct sn2_pwconv_run* runs, size_t run_count,  // cover [0, n) once
    const void* prefetch,             // k cache lines to bring toward L2 as it goes, or NULL
    const struct sn2_f32_pwconv_params* params);

// Packed size in floats, and the packing: for each block of NR output channels, the bias block
// then k rows of NR weights; padded with zeros past n. `weights` is [n][k].
size_t sn2_f32_pwconv_packed_size(size_t k, size_t n, size_t nr);
void sn2_f32_pwconv_pack(size_t k, size_t n, size_t nr, const float* weights, const float* bias,
                         float* packed);

// The runs of every block of NR channels: block b's are runs[block_first[b] .. block_first[b+1]).
// `slots`: n channel offsets within an output pixel, or NULL for contiguous channels. `runs`
// holds at most n entries (a run has at least one channel), block_first blocks + 1.
size_t sn2_f32_pwconv_make_runs(size_t n, size_t nr, const uint32_t* slots,
                                struct sn2_pwconv_run* runs, uint32_t* block_first);

// Where the tiles of block `block` prefetch the next block's weights: tile i's share starts at
// sn2_f32_pwconv_prefetch_share(plan, share_bytes, k, nr, i). NULL after the last block, and
// for layers whose packed weights stay in cache anyway (under SN2_PWCONV_PREFETCH_MIN_BYTES).
#define SN2_PWCONV_PREFETCH_MIN_BYTES (64 * 1024)
const char* sn2_f32_pwconv_prefetch_plan(const float* packed, size_t k, size_t n, size_t nr, size_t block,
                                        size_t tiles, size_t* share_bytes);
const void* sn2_f32_pwconv_prefetch_share(const char* plan, size_t share_bytes, size_t k, size_t nr, size_t tile);

#define SN2_PWCONV_UKERNELS(X)                                            \
  X(sn2_f32_pwconv_minmax_ukernel_7x32__avx512f, 7, 32, sn2_isa_avx512f) \
  X(sn2_f32_pwconv_minmax_ukernel_7x48__avx512f, 7, 48, sn2_isa_avx512f) \
  X(sn2_f32_pwconv_minmax_ukernel_6x16__avx2, 6, 16, sn2_isa_avx2)       \
  X(sn2_f32_pwconv_minmax_ukernel_4x16__neon, 4, 16, sn2_isa_neon)       \
  X(sn2_f32_pwconv_minmax_ukernel_4x4__scalar, 4, 4, sn2_isa_scalar)

#define SN2_DECLARE_PWCONV(fn, mr, nr, isa)                                                  \
  void fn(size_t rows, size_t k, size_t n, const float* const* input_rows,                 \
          const uint32_t* input_slots, const float* packed, float* const* output_rows,     \
          const struct sn2_pwconv_run* runs, size_t run_count, const void* prefetch,       \
          const struct sn2_f32_pwconv_params* params);
SN2_PWCONV_UKERNELS(SN2_DECLARE_PWCONV)
#undef SN2_DECLARE_PWCONV

#ifdef __cplusplus
}
#endif

#endif  // SN2_KERNELS_F32_PWCONV_PWCONV_H
