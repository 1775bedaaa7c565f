// What a parallel region costs before any work: one pthreadpool_parallelize_1d call over items
// that do nothing, the caller and the pool's workers meeting at its start and end. Every op of
// a plan on two threads pays it once (docs/performance.md, "Two threads").
#include <benchmark/benchmark.h>
#include <pthreadpool.h>

#include <atomic>
#include <memory>

namespace {

std::atomic<size_t> items_done{0};

void Nothing(void*, size_t) { items_done.fetch_add(1, std::memory_order_relaxed); }

void ParallelizeEmpty(benchmark::State& state) {
  const size_t threads = size_t(state.range(0)), items = size_t(state.range(1));
  std::unique_ptr<pthreadpool, decltype(&pthreadpool_destroy)> pool(pthreadpool_create(threads), &pthreadpool_destroy);
  if (!pool) {
    state.SkipWithError("pthreadpool_create failed");
    return;
  }
  items_done = 0;
  for (auto _ : state) pthreadpool_parallelize_1d(pool.get(), Nothing, nullptr, items, 0);
  if (items_done != items * size_t(state.iterations())) state.SkipWithError("an item did not run");
}

BENCHMARK(ParallelizeEmpty)->Name("threadpool/parallelize_1d_empty")->ArgNames({"threads", "items"})
    ->Args({1, 2})->Args({2, 2})->Args({2, 16})->Unit(benchmark::kMicrosecond);

}  // namespace
