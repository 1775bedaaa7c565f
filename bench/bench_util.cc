#include "bench/bench_util.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <cpuinfo.h>
#include <xnnpack.h>

#include "engine/src/engine.h"
#include "kernels/config/hardware-config.h"

extern "C" float sn2_bench_fma_peak_avx512f(size_t iterations);
extern "C" float sn2_bench_fma_peak_avx2(size_t iterations);
extern "C" float sn2_bench_fma_peak_scalar(size_t iterations);

namespace sn2_bench {

namespace {

enum sn2_isa ResolvedIsa(enum sn2_isa requested = sn2_isa_auto) {
  enum sn2_isa isa = sn2_isa_scalar;
  if (sn2_resolve_isa(requested, &isa, nullptr) != sn2_status_success) isa = sn2_isa_scalar;
  return isa;
}

// FLOP/s of `loop` over a fixed count, best of three.
double TimeLoop(float (*loop)(size_t), double flops_per_iteration) {
  const size_t iterations = 1 << 20;
  double best = 0.0;
  for (int i = 0; i < 3; i++) {
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(loop(iterations));
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, iterations * flops_per_iteration / s);
  }
  return best;
}

// SN2_BENCH_CPU=avx2: the suite as on a CPU with AVX2 but no AVX-512. XNNPACK picks its kernels
// once, from cpuinfo's flags, whatever path sn2 is forced to: on an AVX-512 machine `--isa avx2`
// alone sets sn2's AVX2 kernels against XNNPACK's AVX-512 ones, and plans for a CPU it is not.
// The flags are cleared before sn2 or XNNPACK read them (sn2 then has no AVX-512 path either).
// Dev-time only, never in the library. A constructor of the highest priority: other static
// initializers of the suite (the network registrations) resolve sn2's ISA.
__attribute__((constructor(101))) void EmulateCpu() {
  const char* cpu = std::getenv("SN2_BENCH_CPU");
  if (!cpu || !*cpu) return;
  if (std::strcmp(cpu, "avx2") != 0) {
    std::fprintf(stderr, "SN2_BENCH_CPU=%s: only avx2 is supported\n", cpu);
    std::exit(2);
  }
#if defined(__x86_64__)
  cpuinfo_initialize();
  cpuinfo_isa.avx512f = cpuinfo_isa.avx512pf = cpuinfo_isa.avx512er = cpuinfo_isa.avx512cd = false;
  cpuinfo_isa.avx512dq = cpuinfo_isa.avx512bw = cpuinfo_isa.avx512vl = cpuinfo_isa.avx512ifma = false;
  cpuinfo_isa.avx512vbmi = cpuinfo_isa.avx512vbmi2 = cpuinfo_isa.avx512bitalg = false;
  cpuinfo_isa.avx512vpopcntdq = cpuinfo_isa.avx512vnni = cpuinfo_isa.avx512bf16 = false;
  cpuinfo_isa.avx512vp2intersect = cpuinfo_isa.avx512_4vnniw = cpuinfo_isa.avx512_4fmaps = false;
#endif
  if (sn2_get_hardware_config()->avx512f) {
    std::fprintf(stderr, "SN2_BENCH_CPU=avx2: sn2 had read the CPU's features already\n");
    std::exit(2);
  }
  benchmark::AddCustomContext("sn2_bench_cpu", cpu);
}

// The JSON context: which CPU, which ISA path, its peak.
int AddContext() {
  cpuinfo_initialize();
  const cpuinfo_processor* p = cpuinfo_get_processors_count() ? cpuinfo_get_processor(0) : nullptr;
  if (p && p->core) {
    benchmark::AddCustomContext("sn2_cpu_vendor", std::to_string(int(p->core->vendor)));
    benchmark::AddCustomContext("sn2_cpu_uarch", std::to_string(int(p->core->uarch)));
    if (p->package) benchmark::AddCustomContext("sn2_cpu_name", p->package->name);
  }
  benchmark::AddCustomContext("sn2_cores", std::to_string(cpuinfo_get_cores_count()));
  if (cpuinfo_get_l1d_caches_count()) {
    benchmark::AddCustomContext("sn2_l1d_bytes", std::to_string(cpuinfo_get_l1d_cache(0)->size));
  }
  if (cpuinfo_get_l2_caches_count()) {
    benchmark::AddCustomContext("sn2_l2_bytes", std::to_string(cpuinfo_get_l2_cache(0)->size));
  }
  if (cpuinfo_get_l3_caches_count()) {
    benchmark::AddCustomContext("sn2_l3_bytes", std::to_string(cpuinfo_get_l3_cache(0)->size));
  }
  benchmark::AddCustomContext("sn2_isa", sn2_isa_name(ResolvedIsa()));
  benchmark::AddCustomContext("sn2_peak_flops", std::to_string(PeakFlops()));
  return 0;
}

const int context_added = AddContext();

}  // namespace

double PeakFlops(enum sn2_isa isa) {
  static double peaks[sn2_isa_neon + 1] = {};
  const enum sn2_isa path = ResolvedIsa(isa);
  double& peak = peaks[path];
  if (peak == 0.0) {
    switch (path) {
      case sn2_isa_avx512f: peak = TimeLoop(sn2_bench_fma_peak_avx512f, 12.0 * 16 * 2); break;
      case sn2_isa_avx2: peak = TimeLoop(sn2_bench_fma_peak_avx2, 12.0 * 8 * 2); break;
      default: peak = TimeLoop(sn2_bench_fma_peak_scalar, 12.0 * 2); break;
    }
  }
  return peak;
}

void RunGraph(benchmark::State& state, uint32_t channels, uint32_t hw, const BlockBody& body,
              uint32_t flags) {
  sn2_builder b;
  uint32_t x = SN2_INVALID_ID;
  sn2_builder_init(&b, 1, {1, hw, hw, channels}, &x);
  x = body(&b, x);
  sn2_graph* graph = nullptr;
  if (sn2_builder_finish(&b, x, &graph) != sn2_status_success) {
    state.SkipWithError(sn2_last_error());
    return;
  }
  sn2_options options{};
  options.flags = flags;
  sn2_model_t model = nullptr;
  if (sn2_model_create_from_graph(graph, &options, &model) != sn2_status_success) {
    state.SkipWithError(sn2_last_error());
    return;
  }
  RunModelAndCount(state, model, 1);
}

void RunModelAndCount(benchmark::State& state, sn2_model_t model, uint32_t threads, enum sn2_isa isa) {
  sn2_session_t session = nullptr;
  if (sn2_session_create(model, threads, &session) != sn2_status_success) {
    state.SkipWithError(sn2_last_error());
    sn2_model_delete(model);
    return;
  }
  uint32_t dims[SN2_MAX_DIMS], rank = 0;
  sn2_model_get_output_shape(model, dims, &rank);
  size_t out_count = 1;
  for (uint32_t d = 0; d < rank; d++) out_count *= dims[d];
  sn2_model_get_input_shape(model, dims, &rank);
  size_t in_count = 1;
  for (uint32_t d = 0; d < rank; d++) in_count *= dims[d];
  std::vector<float> input(in_count, 0.25f), output(out_count);
  for (int i = 0; i < 3; i++) sn2_session_run(session, input.data(), input.size(), output.data(), output.size(), 0);
  for (auto _ : state) {
    sn2_session_run(session, input.data(), input.size(), output.data(), output.size(), 0);
  }
  sn2_plan_stats stats{};
  sn2_model_get_stats(model, &stats);
  // The paper's memory access cost counts convolutions (and the classifier): their input and
  // output feature maps plus their weights. The plan's traffic: every op that runs.
  double conv_mac_bytes = 0, plan_bytes = 0;
  for (uint32_t i = 0; i < stats.op_count; i++) {
    sn2_op_info op{};
    sn2_model_get_op_info(model, i, &op);
    if (!std::strcmp(op.type, "Conv") || !std::strcmp(op.type, "FullyConnected")) conv_mac_bytes += double(op.mac_bytes);
    if (std::strcmp(op.kernel, "view") != 0) plan_bytes += double(op.mac_bytes);
  }
  const double flops = 2.0 * double(stats.macs);
  state.counters["FLOPs"] = flops;
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["MAC_bytes"] = conv_mac_bytes;
  state.counters["MAC_elements"] = conv_mac_bytes / 4;
  state.counters["plan_bytes"] = plan_bytes;
  state.counters["copy_bytes"] = double(stats.copy_bytes);
  state.counters["peak_fraction"] = benchmark::Counter(flops / PeakFlops(isa), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = threads;
  sn2_session_delete(session);
  sn2_model_delete(model);
}

void RunXnnpackPair(benchmark::State& state, bool ready, xnn_operator_t first, xnn_operator_t second) {
  if (ready) {
    for (auto _ : state) {
      xnn_run_operator(first, nullptr);
      xnn_run_operator(second, nullptr);
    }
  } else {
    state.SkipWithError("XNNPACK refused an operator");
  }
  if (first) xnn_delete_operator(first);
  if (second) xnn_delete_operator(second);
}

}  // namespace sn2_bench
