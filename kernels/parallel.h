// How sn2's kernel drivers split an op over threads: chunks of consecutive items (pixel tiles,
// output rows), each thread writing only its own pixels.
#ifndef SN2_KERNELS_PARALLEL_H
#define SN2_KERNELS_PARALLEL_H

#include <stddef.h>
#include <stdint.h>

// Items per chunk for `items` over `threads`, between one and four chunks per thread: the split
// whose busiest thread has the fewest items (28 tiles on 2 threads: 4 chunks of 7, not 7 chunks
// of 4), the most chunks among equals (they even out uneven progress). One chunk for one thread.
static inline size_t sn2_balanced_chunk(size_t items, size_t threads) {
  if (threads <= 1 || items == 0) return items ? items : 1;
  size_t best = items, best_load = SIZE_MAX;
  for (size_t chunks = threads; chunks <= 4 * threads; chunks++) {
    const size_t per_chunk = (items + chunks - 1) / chunks;
    const size_t actual = (items + per_chunk - 1) / per_chunk;
    const size_t load = (actual + threads - 1) / threads * per_chunk;
    if (load <= best_load) best = per_chunk, best_load = load;
  }
  return best;
}

#endif  // SN2_KERNELS_PARALLEL_H
