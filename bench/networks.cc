// Whole networks on the engine's own plan: every built-in at 1 and 2 threads, each also as the
// ablation plans (channel views off; graph passes and views off), so every run shows what the
// compiler is worth. Counters: FLOPS (2 x multiply-adds per second), MACs, the paper's memory
// access cost and the bytes the plan copies.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "sn2.h"

namespace {

struct Plan {
  const char* name;
  uint32_t flags;
};

const Plan kPlans[] = {
    {"compiled", 0},
    {"copies", SN2_FLAG_NO_CHANNEL_VIEWS},
    // The plain XNNPACK pipeline: passes, but copies and XNNPACK operators only.
    {"xnnpack_only", SN2_FLAG_NO_CHANNEL_VIEWS | SN2_FLAG_XNNPACK_ONLY},
    {"unoptimized", SN2_FLAG_NO_CHANNEL_VIEWS | SN2_FLAG_NO_GRAPH_PASSES},
};

void RunNetwork(benchmark::State& state, const std::string& model_name, uint32_t flags) {
  const uint32_t threads = uint32_t(state.range(0));
  sn2_options options{};
  options.flags = flags;
  sn2_model_t model = nullptr;
  if (sn2_model_create_builtin(model_name.c_str(), &options, &model) != sn2_status_success) {
    state.SkipWithError(sn2_last_error());
    return;
  }
  sn2_session_t session = nullptr;
  if (sn2_session_create(model, threads, &session) != sn2_status_success) {
    state.SkipWithError(sn2_last_error());
    sn2_model_delete(model);
    return;
  }
  sn2_plan_stats stats{};
  sn2_model_get_stats(model, &stats);
  std::vector<float> input(3 * 224 * 224, 0.25f), output(1000);
  for (int i = 0; i < 5; i++) sn2_session_run(session, input.data(), input.size(), output.data(), output.size(), 0);
  for (auto _ : state) {
    sn2_session_run(session, input.data(), input.size(), output.data(), output.size(), 0);
  }
  state.counters["FLOPS"] = benchmark::Counter(2.0 * double(stats.macs), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MACs"] = double(stats.macs);
  state.counters["mac_bytes"] = double(stats.mac_bytes);
  state.counters["copy_bytes"] = double(stats.copy_bytes);
  state.counters["threads"] = threads;
  sn2_session_delete(session);
  sn2_model_delete(model);
}

int RegisterNetworks() {
  for (const char* const* name = sn2_builtin_names(); *name; name++) {
    for (const Plan& plan : kPlans) {
      const std::string model = *name;
      const uint32_t flags = plan.flags;
      benchmark::RegisterBenchmark(("network/" + model + "/" + plan.name).c_str(),
                                   [model, flags](benchmark::State& s) { RunNetwork(s, model, flags); })
          ->Arg(1)
          ->Arg(2)
          ->ArgName("threads")
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MeasureProcessCPUTime();
    }
  }
  return 0;
}

const int registered = RegisterNetworks();

}  // namespace
