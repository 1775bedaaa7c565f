// Shared by the suite's graph benchmarks: run a graph on the engine's own plan and report the
// counters every benchmark carries (FLOPs, the paper's memory access cost, the bytes the plan
// moves, the fraction of the core's peak), and the CPU context of the JSON output.
#ifndef SN2_BENCH_BENCH_UTIL_H
#define SN2_BENCH_BENCH_UTIL_H

#include <benchmark/benchmark.h>

#include <functional>

#include "graph/builder.h"
#include "sn2.h"

namespace sn2_bench {

// Builds a graph with the builder from an input of [1, c, hw, hw]; returns the output value.
using BlockBody = std::function<uint32_t(sn2_builder*, uint32_t)>;

// Runs a compiled model with `threads` threads (model input filled with a constant) and sets
// the counters; deletes the model. `isa` is the path the model was compiled for (its peak is
// the one peak_fraction divides by).
void RunModelAndCount(benchmark::State& state, sn2_model_t model, uint32_t threads,
                      enum sn2_isa isa = sn2_isa_auto);

// Runs the graph `body` builds on one thread with `flags`; sets the counters.
void RunGraph(benchmark::State& state, uint32_t channels, uint32_t hw, const BlockBody& body,
              uint32_t flags = 0);

// Runs two XNNPACK operators one after the other per iteration (a pair a network runs in a
// row), then deletes both; where `ready` is false (creation or setup failed) it skips with an
// error instead. Either operator may be NULL then.
void RunXnnpackPair(benchmark::State& state, bool ready, struct xnn_operator* first, struct xnn_operator* second);

// The peak FLOP/s of an ISA path (auto: the one models run on by default), measured once per
// path and process.
double PeakFlops(enum sn2_isa isa = sn2_isa_auto);

}  // namespace sn2_bench

#endif  // SN2_BENCH_BENCH_UTIL_H
