#!/usr/bin/env python3
"""Side-by-side latency of sn2 configurations (and optionally onnxruntime), alternating A B A B.

These machines are shared and noisy: each configuration is timed in rounds that alternate with
the others; the table gives each one's median over all rounds and its ratio to the first.
Dev-time only; onnxruntime (PyPI) only for --ort.

  python3 tools/ab_bench.py MODEL [--threads N] [--rounds R] [--runs N] [--ort] \
      [--config NAME=FLAGS ...]
MODEL is builtin:NAME or an .onnx file; each --config is a label and sn2 flags
(e.g. "copies=--no-views"). Without --config: default, --no-views, --no-passes --no-views.
Flags that start with @PATH run another sn2 binary (e.g. a build of the commit before a change:
"before=@/tmp/old/build/sn2", "after="), so that two builds alternate in one run.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def sn2_median(sn2, model, flags, threads, runs):
    out = subprocess.run([sn2, "bench", model, "--json", "--threads", str(threads), "--runs",
                          str(runs), "--warmup", "10"] + flags, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out)["median_ms"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--sn2", default=os.path.join(here, "..", "build", "sn2"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--ort", action="store_true", help="also time onnxruntime on the same ONNX file")
    ap.add_argument("--config", action="append", default=[])
    args = ap.parse_args()
    configs = [c.split("=", 1) for c in args.config] or [
        ["sn2", ""], ["sn2 --no-views", "--no-views"], ["sn2 --no-passes --no-views", "--no-passes --no-views"]]
    configs = [(label, flags.split()) for label, flags in configs]
    # (label, binary, flags): "@PATH" as the first flag names the binary.
    configs = [(label, flags[0][1:] if flags and flags[0].startswith("@") else args.sn2,
                flags[1:] if flags and flags[0].startswith("@") else flags) for label, flags in configs]
    session = None
    if args.ort:
        import numpy as np
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
        inp = session.get_inputs()[0]
        feed = {inp.name: np.random.default_rng(0).standard_normal(inp.shape).astype("float32")}
    results = {label: [] for label, _, _ in configs}
    if session:
        results["onnxruntime"] = []
    for _ in range(args.rounds):
        for label, binary, flags in configs:
            results[label].append(sn2_median(binary, args.model, flags, args.threads, args.runs))
        if session:
            for _ in range(10):
                session.run(None, feed)
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                session.run(None, feed)
                times.append((time.perf_counter() - t) * 1e3)
            results["onnxruntime"].append(statistics.median(times))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
    print(f"model {args.model}, {args.threads} thread(s), {args.rounds} alternating rounds of {args.runs} runs; "
          f"{cpu}; {time.strftime('%Y-%m-%d')}")
    print("| configuration | median ms | ratio to first |")
    print("|---|---|---|")
    base = None
    for label, values in results.items():
        m = statistics.median(values)
        base = base or m
        print(f"| {label} | {m:.3f} | {m / base:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
