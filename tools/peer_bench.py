#!/usr/bin/env python3
"""sn2 against its own XNNPACK-only plan and other runtimes, for each model and thread count.

Dev-time only (PyPI: onnx, onnxruntime; with --peers also openvino, ncnn and pnnx,
ai-edge-litert; litert reads the .tflite file tools/export_keras.py --tflite writes beside the
ONNX one, so it runs on the Keras exports). For every
MODEL.onnx and thread count it runs tools/ab_bench.py (alternating rounds: sn2, sn2
--xnnpack-only --no-views, then each peer) and prints one Markdown table of medians and ratios.

  python3 tools/peer_bench.py MODEL.onnx... [--threads 1 2] [--rounds 5] [--runs 100]
                              [--peers onnxruntime openvino ncnn litert]
"""
import argparse
import os
import re
import subprocess
import sys


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--peers", nargs="+", default=["onnxruntime"], choices=["onnxruntime", "openvino", "ncnn", "litert"])
    args = ap.parse_args()
    peers = list(dict.fromkeys(args.peers))
    print("| model | threads | sn2 ms | sn2 XNNPACK-only ms | " + " | ".join(f"{p} ms" for p in peers) + " | "
          + " | ".join(f"sn2 / {p}" for p in peers) + " | XNNPACK-only / sn2 |")
    print("|---|---|" + "---|" * (3 + 2 * len(peers)))
    header = None
    for model in args.models:
        for threads in args.threads:
            cmd = [sys.executable, os.path.join(here, "ab_bench.py"), model, "--threads", str(threads),
                   "--rounds", str(args.rounds), "--runs", str(args.runs), "--config", "sn2=",
                   "--config", "xnnpack=--xnnpack-only --no-views"]
            for p in peers:
                cmd += ["--peer", p]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            header = header or out.split("\n")[0]
            ms = {m.group(1): float(m.group(2)) for m in re.finditer(r"\| (\S+) \| ([0-9.]+) \|", out)}
            sn2, xnn = ms["sn2"], ms["xnnpack"]
            name = os.path.basename(os.path.dirname(os.path.abspath(model))) or model
            print(f"| {name} | {threads} | {sn2:.3f} | {xnn:.3f} | " + " | ".join(f"{ms[p]:.3f}" for p in peers)
                  + " | " + " | ".join(f"{sn2 / ms[p]:.2f}" for p in peers) + f" | {xnn / sn2:.2f} |")
    print()
    # The run's circumstances from the first row's header, without that row's model and threads.
    rest = re.sub(r"^model \S+, \d+ thread\(s\), ", "", header or "")
    print("Each row from one run of tools/ab_bench.py (sn2, its XNNPACK-only plan and "
          + ", ".join(peers) + " alternating): " + rest)


if __name__ == "__main__":
    sys.exit(main())
