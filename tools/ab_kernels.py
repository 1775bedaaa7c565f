#!/usr/bin/env python3
"""Kernel benchmarks of two or more sn2_bench builds side by side, alternating A B A B.

  python3 tools/ab_kernels.py --filter REGEX [--rounds 7] [--min-time 0.2] \
      --bench NAME=PATH --bench NAME=PATH [...]

Each round runs every build once over the benchmarks REGEX selects, in the order given; the
table gives each benchmark's median over the rounds per build and its ratio to the first build
(below 1: faster than the first). What tools/ab_bench.py does for whole models, for kernels: a
change to a kernel measured against a build of the commit before it in one run
(`git worktree add /tmp/old HEAD~1`, build sn2_bench there, `--bench before=/tmp/old/build/sn2_bench
--bench after=build/sn2_bench`). Dev-time only.
"""
import argparse
import collections
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernel_bars import load, time_units  # noqa: E402  (one reader of Google Benchmark's JSON)


def parse_bench(spec):
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"--bench wants NAME=PATH, got '{spec}'")
    return name, path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--filter", required=True, help="Google Benchmark's --benchmark_filter")
    ap.add_argument("--bench", type=parse_bench, action="append", required=True, metavar="NAME=PATH")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--min-time", type=float, default=0.2)
    args = ap.parse_args()
    if len(args.bench) < 2:
        ap.error("give at least two --bench builds to compare")
    names = [name for name, _ in args.bench]
    if len(set(names)) != len(names):
        ap.error("--bench names must differ")

    times = collections.defaultdict(list)  # (benchmark, build) -> one median per round
    units = {}  # benchmark -> its time unit (a network's ms, a kernel's us)
    cpu = platform.machine()
    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "round.json")
        for _ in range(args.rounds):
            for name, path in args.bench:
                cmd = [path, f"--benchmark_filter={args.filter}", f"--benchmark_min_time={args.min_time}",
                       f"--benchmark_out={out}", "--benchmark_out_format=json"]
                r = subprocess.run(cmd, capture_output=True, text=True)
                if r.returncode != 0:
                    sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
                context, med, _, _ = load(out)
                units.update(time_units(out))
                cpu = context.get("sn2_cpu_name", cpu)
                for benchmark, t in med.items():
                    times[(benchmark, name)].append(t)
    benchmarks = sorted({b for b, _ in times})
    if not benchmarks:
        sys.exit(f"no benchmark matches '{args.filter}'")

    print(f"{args.rounds} alternating rounds of {', '.join(names)}; {cpu}; "
          f"{started} UTC; medians over the rounds, in each benchmark's unit")
    print()
    print("| benchmark | unit | " + " | ".join(names) + " | " + " | ".join(f"{n} / {names[0]}" for n in names[1:]) + " |")
    print("|---|---|" + "---|" * (2 * len(names) - 1))
    for b in benchmarks:
        med = [statistics.median(times[(b, n)]) if times[(b, n)] else None for n in names]
        cells = [f"{m:.2f}" if m is not None else "-" for m in med]
        ratios = [f"{m / med[0]:.3f}" if m is not None and med[0] else "-" for m in med[1:]]
        print(f"| {b} | {units.get(b, '?')} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")


if __name__ == "__main__":
    main()
