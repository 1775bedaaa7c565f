#!/usr/bin/env python3
"""Export the seed's TF2/Keras ShuffleNet V2 (../shared/seed/shufflenet_v2_seed.md, as written
there) to ONNX with tf2onnx, with seeded random weights and BatchNorm statistics, plus an
input and Keras's output: the check that sn2 runs the Keras variant.

Dev-time only (PyPI: tensorflow-cpu, tf2onnx). The model code is the seed's, read from the
design note at run time (this script only extracts and executes its Keras block).
  python3 tools/export_keras.py --width x1_0 --out DIR [--tflite]
writes DIR/model.onnx, DIR/input.f32 (NHWC), DIR/output.f32 and prints a summary; --tflite also
DIR/model.tflite, the same Keras model through TensorFlow Lite's converter (fp32, no
optimizations): LiteRT's input for tools/ab_bench.py --peer litert.
"""
import argparse
import json
import os
import textwrap

import numpy as np
import tensorflow as tf
import tf2onnx


def seed_keras_code(seed_path):
    text = open(seed_path, encoding="utf-8").read()
    start = text.rindex("\n", 0, text.index("import tensorflow as tf")) + 1
    end = text.rindex("\n", 0, text.index("```", start))
    return textwrap.dedent(text[start:end])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed-note", default=os.path.join(here, "..", "..", "shared", "seed", "shufflenet_v2_seed.md"))
    ap.add_argument("--width", default="x1_0", choices=["x0_5", "x1_0", "x2_0"])
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--check", action="store_true", help="run sn2 on the export and compare")
    ap.add_argument("--tflite", action="store_true", help="also write model.tflite (fp32)")
    ap.add_argument("--sn2", default=os.path.join(here, "..", "build", "sn2"))
    args = ap.parse_args()

    code = seed_keras_code(args.seed_note)
    scope = {}
    exec(compile(code, "shufflenet_v2_seed.md (Keras)", "exec"), scope)
    model = scope["shufflenet_v2_" + args.width](num_classes=1000)
    rng = np.random.default_rng(args.seed)
    # Random weights in every variable; BatchNorm moving statistics in realistic ranges.
    for v in model.variables:
        name, shape = getattr(v, "path", v.name), v.shape
        if "moving_mean" in name:
            v.assign(rng.uniform(-0.2, 0.2, shape).astype("float32"))
        elif "moving_variance" in name:
            v.assign(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif "gamma" in name:
            v.assign(rng.uniform(0.7, 1.3, shape).astype("float32"))
        elif "beta" in name:
            v.assign(rng.uniform(-0.2, 0.2, shape).astype("float32"))
        else:
            fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else int(shape[0])
            bound = np.sqrt(6.0 / max(fan_in, 1))
            v.assign(rng.uniform(-bound, bound, shape).astype("float32"))
    x = rng.uniform(-2, 2, (1, 224, 224, 3)).astype("float32")
    y = model(x, training=False).numpy()
    os.makedirs(args.out, exist_ok=True)
    spec = (tf.TensorSpec((1, 224, 224, 3), tf.float32, name="input"),)
    tf2onnx.convert.from_keras(model, input_signature=spec, opset=args.opset,
                               output_path=os.path.join(args.out, "model.onnx"))
    if args.tflite:
        with open(os.path.join(args.out, "model.tflite"), "wb") as f:
            f.write(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    x.tofile(os.path.join(args.out, "input.f32"))
    y.astype("<f4").tofile(os.path.join(args.out, "output.f32"))
    summary = {"width": args.width, "opset": args.opset, "tensorflow": tf.__version__,
               "tf2onnx": tf2onnx.__version__, "output_shape": list(y.shape)}
    if args.check:
        import subprocess
        model = os.path.join(args.out, "model.onnx")
        got_path = os.path.join(args.out, "sn2.f32")
        subprocess.run([args.sn2, "run", model, "--input-raw", os.path.join(args.out, "input.f32"),
                        "--output-raw", got_path], check=True, capture_output=True)
        got = np.fromfile(got_path, "<f4")
        plan = json.loads(subprocess.run([args.sn2, "inspect", model, "--json"], check=True,
                                         capture_output=True, text=True).stdout)
        ops = {}
        for op in plan["ops"]:
            key = op["type"] + ("(view)" if op["kernel"] == "view" else "")
            ops[key] = ops.get(key, 0) + 1
        summary.update({"max_rel_error": float(np.abs(got - y.reshape(-1)).max() / np.abs(y).max()),
                        "top1_equal": bool(got.argmax() == y.argmax()),
                        "copy_bytes": plan["copy_bytes"], "plan_ops": ops})
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
