#!/usr/bin/env python3
"""The fp32 reference for the ImageNet QDQ ShuffleNet V2, and sn2 checked against it.

Dev-time only (PyPI: onnxruntime onnx numpy pillow). The QDQ model runs in fp32 the way sn2 runs
it: DequantizeLinear of constant weights is folded into float initializers, and each
QuantizeLinear -> DequantizeLinear pair on an activation becomes Clip((qmin - zp) * s,
(qmax - zp) * s): the saturation the quantized model encodes (its ReLUs) stays, the rounding goes.
onnxruntime runs that graph.

For each image of ../shared/images/imagenet-sample-100 (labels.tsv):
  1. `sn2 run MODEL IMAGE --dump-input x --output-raw y` : sn2's preprocessing and logits;
     onnxruntime on the same x: logits compared (max |sn2 - ort| / max |ort|) and top-1 agreement.
  2. torchvision's preprocessing in PIL (Resize(256) bilinear, CenterCrop(224), ToTensor,
     Normalize) fed to sn2 with --input-raw: top-1 / top-5 accuracy against the labels.
With --write-fixture F it also writes the onnxruntime logits of step 1 (float32, in labels.tsv
order) for tests/real_model_test.cc (tests/fixtures/imagenet100.tar.xz holds them as
ort_logits.f32).
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from PIL import Image

QRANGE = {onnx.TensorProto.UINT8: (0, 255), onnx.TensorProto.INT8: (-128, 127)}


def fp32_reference(path):
    m = onnx.load(path)
    g = m.graph
    init = {t.name: t for t in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    rename, new_nodes, new_inits = {}, [], []
    drop = set()
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in init:
            q = numpy_helper.to_array(init[n.input[0]]).astype(np.float64)
            s = numpy_helper.to_array(init[n.input[1]]).astype(np.float64)
            z = numpy_helper.to_array(init[n.input[2]]).astype(np.float64) if len(n.input) > 2 else 0.0
            axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
            if np.ndim(s) == 1 and q.ndim > 1:
                shape = [1] * q.ndim
                shape[axis] = -1
                s, z = s.reshape(shape), np.reshape(z, shape)
            new_inits.append(numpy_helper.from_array(((q - z) * s).astype(np.float32), n.output[0]))
            drop.add(id(n))
        elif n.op_type == "QuantizeLinear" and n.input[0] not in init:
            dqs = consumers.get(n.output[0], [])
            assert all(d.op_type == "DequantizeLinear" for d in dqs), n.name
            s = float(numpy_helper.to_array(init[n.input[1]]))
            zt = init[n.input[2]]
            z = int(numpy_helper.to_array(zt))
            lo, hi = QRANGE[zt.data_type]
            drop.add(id(n))
            for d in dqs:
                drop.add(id(d))
                lo_name, hi_name = d.output[0] + "_lo", d.output[0] + "_hi"
                new_inits += [numpy_helper.from_array(np.array((lo - z) * s, np.float32), lo_name),
                              numpy_helper.from_array(np.array((hi - z) * s, np.float32), hi_name)]
                new_nodes.append(helper.make_node("Clip", [n.input[0], lo_name, hi_name], [d.output[0]]))
    kept = [n for n in g.node if id(n) not in drop]
    del g.node[:]
    g.node.extend(new_nodes + kept)
    used = {i for n in g.node for i in n.input}
    keep_inits = [t for t in g.initializer if t.name in used]
    del g.initializer[:]
    g.initializer.extend(keep_inits + new_inits)
    # Topological order for onnxruntime.
    order, ready = [], {i.name for i in g.input} | {t.name for t in g.initializer}
    pending = list(g.node)
    while pending:
        progress = [n for n in pending if all(i in ready or not i for i in n.input)]
        assert progress, "cycle"
        for n in progress:
            order.append(n)
            ready.update(n.output)
        pending = [n for n in pending if n not in progress]
    del g.node[:]
    g.node.extend(order)
    return m


def torchvision_preprocess(path):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    if w <= h:
        nw, nh = 256, int(256 * h / w)
    else:
        nh, nw = 256, int(256 * w / h)
    img = img.resize((nw, nh), Image.BILINEAR)
    top, left = int(round((nh - 224) / 2.0)), int(round((nw - 224) / 2.0))
    img = img.crop((left, top, left + 224, top + 224))
    x = np.asarray(img, np.float32) / 255.0
    x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.path.join(here, "..", "..", "shared")
    ap.add_argument("--sn2", default=os.path.join(here, "..", "build", "sn2"))
    ap.add_argument("--model", default=os.path.join(shared, "models", "shufflenet-v2-12-qdq.onnx"))
    ap.add_argument("--images", default=os.path.join(shared, "images", "imagenet-sample-100"))
    ap.add_argument("--write-fixture")
    args = ap.parse_args()

    ref = fp32_reference(args.model)
    sess = ort.InferenceSession(ref.SerializeToString(), providers=["CPUExecutionProvider"])
    rows = [l.split("\t") for l in open(os.path.join(args.images, "labels.tsv")).read().split("\n") if l.strip()]
    rows = [(r[0], int(r[1])) for r in rows if r[1].strip().isdigit()]
    agree = top1 = top5 = own_top1 = own_top5 = 0
    worst = 0.0
    fixture = []
    with tempfile.TemporaryDirectory() as tmp:
        x_path, y_path = os.path.join(tmp, "x.f32"), os.path.join(tmp, "y.f32")
        for name, label in rows:
            image = os.path.join(args.images, name)
            subprocess.run([args.sn2, "run", args.model, image, "--dump-input", x_path,
                            "--output-raw", y_path, "--top", "1"], check=True, capture_output=True)
            x = np.fromfile(x_path, "<f4").reshape(1, 3, 224, 224)
            y_sn2 = np.fromfile(y_path, "<f4")
            y_ort = sess.run(None, {"input": x})[0].reshape(-1)
            fixture.append(y_ort)
            worst = max(worst, float(np.abs(y_sn2 - y_ort).max() / np.abs(y_ort).max()))
            agree += int(y_sn2.argmax() == y_ort.argmax())
            own = np.argsort(-y_sn2)[:5]
            own_top1 += int(own[0] == label)
            own_top5 += int(label in own)
            # torchvision preprocessing -> sn2 -> accuracy
            torchvision_preprocess(image).tofile(x_path)
            subprocess.run([args.sn2, "run", args.model, "--input-raw", x_path, "--output-raw",
                            y_path, "--top", "1"], check=True, capture_output=True)
            y = np.fromfile(y_path, "<f4")
            best = np.argsort(-y)[:5]
            top1 += int(best[0] == label)
            top5 += int(label in best)
    n = len(rows)
    print(f"images: {n}")
    print(f"sn2 vs onnxruntime (fp32 reference, same input tensors): top-1 agrees on {agree}/{n}, "
          f"max relative logit error {worst:.2e}")
    print(f"sn2 accuracy with its own preprocessing (stb, PIL-style bilinear): top-1 {own_top1}/{n}, top-5 {own_top5}/{n}")
    print(f"sn2 accuracy with torchvision preprocessing (PIL): top-1 {top1}/{n}, top-5 {top5}/{n}")
    if args.write_fixture:
        np.stack(fixture).astype("<f4").tofile(args.write_fixture)
        print(f"wrote {args.write_fixture}")
    return 0 if agree >= 98 and worst <= 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
