#!/usr/bin/env python3
"""sn2 against torch across torchvision ShuffleNet V2 variants: widths, input sizes, batch, opsets.

Dev-time only; run with the Python that has torch (Debian: /usr/bin/python3 with python3-torch,
python3-torchvision). Each variant is exported by tools/export_torchvision.py, run by
`sn2 run MODEL --input-raw --output-raw`, and compared: max |sn2 - torch| / max |torch| must be
<= 1e-4. Prints a Markdown table (docs/correctness.md holds its output).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

VARIANTS = [  # width, opset, batch, height, width
    ("x0_5", 13, 1, 224, 224),
    ("x1_0", 13, 1, 224, 224),
    ("x1_5", 13, 1, 224, 224),
    ("x2_0", 13, 1, 224, 224),
    ("x1_0", 9, 1, 224, 224),
    ("x1_0", 11, 1, 224, 224),
    ("x1_0", 17, 1, 224, 224),
    ("x1_0", 13, 1, 160, 160),
    ("x1_0", 13, 1, 192, 256),
    ("x1_0", 13, 2, 224, 224),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sn2", default=os.path.join(here, "..", "build", "sn2"))
    args = ap.parse_args()
    print("| width | opset | input | chunk exported as | ops in sn2's plan | copy bytes | max rel. error | top-1 equal |")
    print("|---|---|---|---|---|---|---|---|")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for i, (width, opset, batch, h, w) in enumerate(VARIANTS):
            out = os.path.join(tmp, str(i))
            subprocess.run([sys.executable, os.path.join(here, "export_torchvision.py"), "--width", width,
                            "--opset", str(opset), "--batch", str(batch), "--height", str(h),
                            "--input-width", str(w), "--seed", str(i), "--out", out],
                           check=True, capture_output=True)
            y_path = os.path.join(out, "sn2.f32")
            subprocess.run([args.sn2, "run", os.path.join(out, "model.onnx"), "--input-raw",
                            os.path.join(out, "input.f32"), "--output-raw", y_path],
                           check=True, capture_output=True)
            inspect = subprocess.run([args.sn2, "inspect", os.path.join(out, "model.onnx"), "--json"],
                                     check=True, capture_output=True, text=True).stdout
            plan = json.loads(inspect)
            ops = {}
            for op in plan["ops"]:
                key = op["type"] + (" (view)" if op["kernel"] == "view" else "")
                ops[key] = ops.get(key, 0) + 1
            y = np.fromfile(y_path, "<f4").reshape(batch, -1)
            t = np.fromfile(os.path.join(out, "output.f32"), "<f4").reshape(batch, -1)
            err = float(np.abs(y - t).max() / np.abs(t).max())
            same = bool((y.argmax(1) == t.argmax(1)).all())
            ok = ok and err <= 1e-4 and same
            summary = ", ".join(f"{k} {v}" for k, v in sorted(ops.items(), key=lambda kv: -kv[1]))
            form = "Split" if any(k.startswith("Split") for k in ops) else "Slice"
            print(f"| {width} | {opset} | {batch}x3x{h}x{w} | {form} | {summary} | {plan['copy_bytes']} | {err:.1e} | {same} |")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
