#!/usr/bin/env python3
"""Export torchvision's ShuffleNet V2 to ONNX with seeded random weights, plus an input and
torch's output for it: the fixtures sn2 is checked against.

Dev-time only. Needs torch and torchvision (Debian: python3-torch python3-torchvision; run with
/usr/bin/python3). Weights: torchvision's init, then snapped to a per-tensor grid of 2*LEVELS+1
values so the files compress well (the arithmetic sn2 is tested on is unchanged); BatchNorm gets
non-trivial statistics (mean, var, gamma, beta) the same way.

  /usr/bin/python3 tools/export_torchvision.py --width x0_5 --opset 13 --out DIR
writes DIR/model.onnx, DIR/input.f32, DIR/output.f32 (raw little-endian float32, NCHW) and
DIR/meta.json.
"""
import argparse
import json
import os

import torch
import torchvision

LEVELS = 7


def snap(t, generator, lo=None, hi=None):
    """Seeded values on a grid of 2*LEVELS+1 steps spanning t's scale (or [lo, hi])."""
    if lo is None:
        bound = float(t.abs().max()) or 1.0
        lo, hi = -bound, bound
    q = torch.randint(0, 2 * LEVELS + 1, t.shape, generator=generator).float()
    return lo + (hi - lo) * q / (2 * LEVELS)


def make_model(width, seed):
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = getattr(torchvision.models, "shufflenet_v2_" + width)()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
                m.weight.copy_(snap(m.weight, g))
                if m.bias is not None:
                    m.bias.copy_(snap(m.bias, g, -0.1, 0.1))
            elif isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(snap(m.weight, g, 0.7, 1.3))
                m.bias.copy_(snap(m.bias, g, -0.2, 0.2))
                m.running_mean.copy_(snap(m.running_mean, g, -0.2, 0.2))
                m.running_var.copy_(snap(m.running_var, g, 0.5, 1.5))
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--width", default="x0_5", choices=["x0_5", "x1_0", "x1_5", "x2_0"])
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--height", type=int, default=224)
    ap.add_argument("--input-width", type=int, default=224)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    model = make_model(args.width, args.seed)
    g = torch.Generator().manual_seed(args.seed + 1)
    shape = (args.batch, 3, args.height, args.input_width)
    x = (torch.randint(-32, 33, shape, generator=g).float() / 16.0)  # compressible too
    with torch.no_grad():
        y = model(x)
    os.makedirs(args.out, exist_ok=True)
    torch.onnx.export(model, x, os.path.join(args.out, "model.onnx"), opset_version=args.opset,
                      input_names=["input"], output_names=["output"])
    x.numpy().astype("<f4").tofile(os.path.join(args.out, "input.f32"))
    y.numpy().astype("<f4").tofile(os.path.join(args.out, "output.f32"))
    meta = {"width": args.width, "opset": args.opset, "input_shape": list(shape),
            "output_shape": list(y.shape), "seed": args.seed, "torch": torch.__version__,
            "torchvision": torchvision.__version__}
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
