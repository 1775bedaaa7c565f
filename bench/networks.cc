// Whole networks on the engine's own plan: every built-in at 1 thread and at one per core, each also as the
// ablation plans (channel views off; XNNPACK only; graph passes and views off) and, at one
// thread, compiled for every other ISA path this CPU runs (compiled_<isa>), so every run shows
// what the compiler and the kernels are worth. Counters as for every graph benchmark
// (bench_util.h).
#include <benchmark/benchmark.h>

#include <cpuinfo.h>

#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "kernels/config/hardware-config.h"
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

void RunNetwork(benchmark::State& state, const std::string& model_name, uint32_t flags,
                enum sn2_isa isa = sn2_isa_auto) {
  sn2_options options{};
  options.flags = flags;
  options.isa = isa;
  sn2_model_t model = nullptr;
  if (sn2_model_create_builtin(model_name.c_str(), &options, &model) != sn2_status_success) {
    state.SkipWithError(sn2_last_error());
    return;
  }
  sn2_bench::RunModelAndCount(state, model, uint32_t(state.range(0)), isa);
}

// The paths other than the default one that this CPU and build can run.
std::vector<enum sn2_isa> OtherIsaPaths() {
  enum sn2_isa default_path = sn2_isa_scalar;
  sn2_resolve_isa(sn2_isa_auto, &default_path, nullptr);
  std::vector<enum sn2_isa> paths;
  for (enum sn2_isa isa : {sn2_isa_avx512f, sn2_isa_avx2, sn2_isa_neon, sn2_isa_scalar}) {
    enum sn2_isa resolved = sn2_isa_scalar;
    if (isa != default_path && sn2_resolve_isa(isa, &resolved, nullptr) == sn2_status_success) paths.push_back(isa);
  }
  return paths;
}

// One thread per core (cpuinfo), when there is more than one.
std::vector<int64_t> ThreadCounts() {
  const uint32_t cores = cpuinfo_initialize() ? cpuinfo_get_cores_count() : 1;
  if (cores > 1) return {1, int64_t(cores)};
  return {1};
}

int RegisterNetworks() {
  const std::vector<int64_t> thread_counts = ThreadCounts();
  for (const char* const* name = sn2_builtin_names(); *name; name++) {
    for (const Plan& plan : kPlans) {
      const std::string model = *name;
      const uint32_t flags = plan.flags;
      benchmark::RegisterBenchmark(("network/" + model + "/" + plan.name).c_str(),
                                   [model, flags](benchmark::State& s) { RunNetwork(s, model, flags); })
          ->ArgsProduct({thread_counts})
          ->ArgName("threads")
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime()
          ->MeasureProcessCPUTime();
    }
    for (enum sn2_isa isa : OtherIsaPaths()) {
      const std::string model = *name;
      benchmark::RegisterBenchmark(("network/" + model + "/compiled_" + sn2_isa_name(isa)).c_str(),
                                   [model, isa](benchmark::State& s) { RunNetwork(s, model, 0, isa); })
          ->Arg(1)
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
