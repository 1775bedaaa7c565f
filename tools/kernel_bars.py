#!/usr/bin/env python3
"""Issue 4's per-kernel bars on this CPU, from one run of the benchmark suite.

  python3 tools/kernel_bars.py [--isa avx512f|avx2] [--bench build/sn2_bench] [--repetitions 9]
                               [--min-time 0.1] [--runs R] [--json OUT.json] [--from IN.json ...]

Runs sn2_bench once (Google Benchmark's random interleaving, so that the machine's drift falls on
both sides alike) over the depthwise 3x3 family (calls repeated on the same buffers), its
after-producer family (the input rewritten before each timed call, as the 1x1 conv before it
does in the network), the pointwise shapes in each access and XNNPACK beside each, then prints,
per ShuffleNet V2 shape (x0.5-x2.0), the medians over the repetitions and sn2's speed against
XNNPACK with the bars: depthwise at least 1.3x, pointwise at least 0.95x in the access the
network gives the layer (the lowest of its accesses). AVX-512 kernels; needs an AVX-512 CPU.
--isa avx2: sn2's AVX2 kernels against XNNPACK's AVX2 ones (the suite runs with
SN2_BENCH_CPU=avx2, as on a CPU without AVX-512; --from reads only such runs).
--runs R runs the suite R times one after another and prints, per shape, its speed in every
run, the lowest, and in how many runs it met the bar. --from reads earlier runs' JSON files
instead of running (one file: the single-run tables; several: as --runs).
"""
import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys

DW_BAR, PW_BAR = 1.30, 0.95
BRANCH = (24, 58, 88, 122)  # x0.5, x1.0, x1.5, x2.0 branch channels at stage 2
CONV5 = (1024, 1024, 1024, 2048)


def network_accesses():
    """(hw, k, n) -> the accesses the network gives that 1x1 conv (bench/f32-pwconv.cc): the
    stride-1 units' convs read a gather and write a scatter; unit 0's first convs and conv5
    run on plain tensors."""
    accesses = collections.defaultdict(set)
    for c, c5 in zip(BRANCH, CONV5):
        for shape, kinds in (((56, 24, c), {"contiguous"}), ((28, 24, c), {"contiguous"}),
                             ((28, c, c), {"gather", "scatter"}), ((28, 2 * c, 2 * c), {"contiguous"}),
                             ((14, 2 * c, 2 * c), {"gather", "scatter"}), ((14, 4 * c, 4 * c), {"contiguous"}),
                             ((7, 4 * c, 4 * c), {"gather", "scatter"}), ((7, 8 * c, c5), {"contiguous"})):
            accesses[shape] |= kinds
    return accesses


def depthwise_shapes():
    """(hw, c, stride) of every depthwise conv of x0.5-x2.0, width by width (bench/f32-dwconv2d.cc)."""
    shapes = []
    for c in BRANCH:
        for shape in ((56, c, 2), (28, c, 1), (28, 2 * c, 2), (14, 2 * c, 1), (14, 4 * c, 2), (7, 4 * c, 1)):
            if shape not in shapes:
                shapes.append(shape)
    return shapes


# Per ISA path: sn2's depthwise and pointwise benchmark names, the FMA peak loop, and the CPU the
# suite emulates (SN2_BENCH_CPU; None: this CPU as it is, XNNPACK's best kernels on it).
ISAS = {"avx512f": {"dw": "sn2_16c_avx512f", "pw": "sn2_chosen_avx512f", "peak": "peak/fma_avx512f", "cpu": None},
        "avx2": {"dw": "sn2_8c_avx2", "pw": "sn2_6x16_avx2", "peak": "peak/fma_avx2", "cpu": "avx2"}}


def run_bench(isa, bench, repetitions, min_time, out):
    names = ISAS[isa]
    pattern = (f"f32_dwconv2d_3x3(_after_producer)?/(xnnpack|{names['dw']})/"
               f"|f32_pwconv/(xnnpack|{names['pw']}/(gather|scatter|contiguous))/|{names['peak']}")
    cmd = [bench, f"--benchmark_filter={pattern}", f"--benchmark_repetitions={repetitions}",
           "--benchmark_enable_random_interleaving=true", f"--benchmark_min_time={min_time}",
           f"--benchmark_out={out}", "--benchmark_out_format=json"]
    env = dict(os.environ)
    env.pop("SN2_BENCH_CPU", None)
    if names["cpu"]:
        env["SN2_BENCH_CPU"] = names["cpu"]
    print(("$ SN2_BENCH_CPU=%s " % names["cpu"] if names["cpu"] else "$ ") + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)


def bench_name(b):
    """A benchmark's name without the suffixes of its fixed-iteration, manual-time runs."""
    return b["run_name"].replace("/iterations:300/manual_time", "").replace("/manual_time", "")


def time_units(path):
    """Benchmark name -> the unit of its times in the file at `path` (us, ms, ...)."""
    return {bench_name(b): b.get("time_unit", "ns") for b in json.load(open(path))["benchmarks"]
            if b.get("run_type") == "iteration"}


def load(path):
    data = json.load(open(path))
    times, flops = collections.defaultdict(list), collections.defaultdict(list)
    for b in data["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        name = bench_name(b)
        times[name].append(b["real_time"])
        if "FLOPS" in b:
            flops[name].append(b["FLOPS"])
    med = {k: statistics.median(v) for k, v in times.items()}
    return data.get("context", {}), med, {k: statistics.median(v) for k, v in flops.items()}, \
        {k: len(v) for k, v in times.items()}


def args_of(name):
    return tuple(int(v) for v in re.findall(r":(\d+)", name))


def verdict(label, speeds, bar):
    """One summary line: how many shapes meet the bar, and the lowest."""
    if not speeds:
        return f"{label}: no results in this file"
    low = min(speeds)
    return (f"{label}: {sum(v >= bar for v, _ in speeds)} of {len(speeds)} shapes at {bar}x or more "
            f"(lowest {low[1]} {low[0]:.2f})")


def table(header, rows):
    line = lambda cells: "| " + " | ".join(str(c) for c in cells) + " |"
    return "\n".join([line(header), "|" + "---|" * len(header)] + [line(r) for r in rows])


DW_LABELS = {"f32_dwconv2d_3x3": "depthwise, repeated calls",
             "f32_dwconv2d_3x3_after_producer": "depthwise, after its producer"}
PW_LABEL = "pointwise"


def evaluate(med, isa="avx512f"):
    """Per family label: (shape, table cells, speed) for every shape with both sides in `med`."""
    names = ISAS[isa]
    results = {}
    for family, label in DW_LABELS.items():
        results[label] = []
        for shape in depthwise_shapes():
            tail = "hw:%d/c:%d/s:%d" % shape
            x, s = med.get(f"{family}/xnnpack/{tail}"), med.get(f"{family}/{names['dw']}/{tail}")
            if x is not None and s is not None:
                results[label].append((tail, [f"{x:.2f}", f"{s:.2f}"], x / s))
    results[PW_LABEL] = []
    for shape, kinds in network_accesses().items():
        tail = "hw:%d/k:%d/n:%d" % shape
        x = med.get(f"f32_pwconv/xnnpack/{tail}")
        per = {kind: med.get(f"f32_pwconv/{names['pw']}/{kind}/{tail}") for kind in sorted(kinds)}
        if x is not None and None not in per.values():
            cells = [" + ".join(sorted(kinds)), f"{x:.2f}", ", ".join(f"{k} {t:.2f}" for k, t in per.items())]
            results[PW_LABEL].append((tail, cells, min(x / t for t in per.values())))
    return results


def bar_of(label):
    return PW_BAR if label == PW_LABEL else DW_BAR


def heading(label):
    if label == PW_LABEL:
        return f"pointwise, in the network's access (us; bar {PW_BAR}x XNNPACK's speed, the lowest of the accesses)"
    return f"{label} (us; bar {DW_BAR}x XNNPACK's speed)"


def print_one(results):
    verdicts = []
    for label, rows in results.items():
        bar = bar_of(label)
        header = (["shape", "access", "XNNPACK", "sn2", "speed", "bar"] if label == PW_LABEL
                  else ["shape", "XNNPACK", "sn2", "speed", "bar"])
        print(heading(label) + ":\n")
        print(table(header, [[t] + c + [f"{v:.2f}", "yes" if v >= bar else "**no**"] for t, c, v in rows]) + "\n")
        verdicts.append(verdict(label, [(v, t) for t, _, v in rows], bar))
    print("\n".join("- " + v for v in verdicts))


def print_several(all_results):
    """Several runs: each shape's speed in every run, its lowest, and in how many runs it met the bar."""
    verdicts = []
    runs = len(all_results)
    for label in all_results[0]:
        bar = bar_of(label)
        per_shape = {}
        for results in all_results:
            for tail, _, v in results[label]:
                per_shape.setdefault(tail, []).append(v)
        rows = [[t, ", ".join(f"{v:.2f}" for v in vs), f"{min(vs):.2f}", f"{sum(v >= bar for v in vs)} of {len(vs)}"]
                for t, vs in per_shape.items()]
        print(heading(label).replace("(us; ", "(sn2's speed against XNNPACK in each run; ") + ":\n")
        print(table(["shape", "speed per run", "lowest", "runs at the bar"], rows) + "\n")
        always = sum(all(v >= bar for v in vs) and len(vs) == runs for vs in per_shape.values())
        if per_shape:
            low_tail, low_vs = min(per_shape.items(), key=lambda kv: min(kv[1]))
            verdicts.append(f"{label}: {always} of {len(per_shape)} shapes at {bar}x or more in all {runs} runs "
                            f"(lowest {low_tail} {min(low_vs):.2f})")
        else:
            verdicts.append(f"{label}: no results in these files")
    print("\n".join("- " + v for v in verdicts))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--isa", choices=sorted(ISAS), default="avx512f",
                    help="sn2's kernels of this path; avx2 runs the suite as on a CPU without AVX-512")
    ap.add_argument("--bench", default=os.path.join(here, "..", "build", "sn2_bench"))
    ap.add_argument("--repetitions", type=int, default=9)
    ap.add_argument("--min-time", default="0.1")
    ap.add_argument("--runs", type=int, default=1, help="run the suite this many times, one after another")
    ap.add_argument("--json", default=os.path.join(here, "..", "build", "kernel-bars.json"),
                    help="where the run goes (with --runs R: -1 ... -R before .json)")
    ap.add_argument("--from", dest="sources", nargs="+", help="earlier runs' JSON files instead of running")
    a = ap.parse_args()
    paths = a.sources
    if not paths:
        paths = [a.json] if a.runs == 1 else [a.json.replace(".json", f"-{i + 1}.json") for i in range(a.runs)]
        for path in paths:
            run_bench(a.isa, a.bench, a.repetitions, a.min_time, path)
    names = ISAS[a.isa]
    loaded = [load(path) for path in paths]
    for path, (ctx, med, _, _) in zip(paths, loaded):
        if not any(k.startswith(f"f32_dwconv2d_3x3/{names['dw']}/") for k in med):
            sys.exit("no %s depthwise results in %s (a CPU or build without it?)" % (a.isa, path))
        if ctx.get("sn2_bench_cpu") != names["cpu"]:
            sys.exit("%s: a run %s; --isa %s reads runs %s" % (
                path, "as on an %s CPU" % ctx["sn2_bench_cpu"] if ctx.get("sn2_bench_cpu") else "on this CPU as it is",
                a.isa, "as on an %s CPU (SN2_BENCH_CPU)" % names["cpu"] if names["cpu"] else "on this CPU as it is"))
    for ctx, _, flops, reps in loaded:
        print(f"{ctx.get('sn2_cpu_name', ctx.get('host_name', '?'))}, {ctx.get('date', '?')}; "
              f"{min(reps.values())}-{max(reps.values())} repetitions per benchmark; medians; "
              f"sn2's {a.isa} kernels against XNNPACK's {names['cpu'] or 'best'}; "
              f"FMA peak loop {flops.get(names['peak'], 0) / 1e9:.0f} GFLOP/s in the same run")
    print()
    results = [evaluate(med, a.isa) for _, med, _, _ in loaded]
    if len(results) == 1:
        print_one(results[0])
    else:
        print_several(results)


if __name__ == "__main__":
    main()
