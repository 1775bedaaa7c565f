#!/usr/bin/env python3
"""Side-by-side latency of sn2 configurations (and optionally other runtimes), alternating A B A B.

These machines are shared and noisy: each configuration is timed in rounds that alternate with
the others; the table gives each one's median over all rounds and its ratio to the first.
Dev-time only; the peers come from PyPI (onnx to read the input shape; onnxruntime; openvino;
ncnn with pnnx to convert; ai-edge-litert).

  python3 tools/ab_bench.py MODEL [--threads N] [--rounds R] [--runs N] [--ort] \
      [--peer onnxruntime|openvino|ncnn|litert ...] [--config NAME=FLAGS ...]
MODEL is builtin:NAME or an .onnx file; each --config is a label and sn2 flags
(e.g. "copies=--no-views"). Without --config: default, --no-views, --no-passes --no-views.
Flags that start with @PATH run another sn2 binary (e.g. a build of the commit before a change:
"before=@/tmp/old/build/sn2", "after="), so that two builds alternate in one run.
--peer times another runtime on the same ONNX file and input, fp32, N threads (--ort is
--peer onnxruntime): onnxruntime with all graph optimizations; OpenVINO's CPU plugin with
f32 inference precision (it would otherwise run bf16 where the CPU has it) and the latency
hint; ncnn on pnnx's conversion of the file; LiteRT (ai-edge-litert, its default XNNPACK
delegate) on the .tflite file next to the ONNX one, converted from the same Keras model
(tools/export_keras.py --tflite). Each peer's output on the input is checked against the first
peer's, so that a broken conversion shows.
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


def onnxruntime_runner(model, threads, x):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x}
    return lambda: session.run(None, feed)[0]


def openvino_runner(model, threads, x):
    import openvino as ov
    compiled = ov.Core().compile_model(model, "CPU", {
        "INFERENCE_NUM_THREADS": str(threads), "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": "1",
        "INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    return lambda: request.infer({0: x})[compiled.output(0)]


def ncnn_runner(model, threads, x):
    import ncnn
    import numpy as np
    import tempfile
    if x.ndim != 4 or x.shape[0] != 1 or x.shape[1] > 4:
        raise ValueError(f"the ncnn peer takes a 1 x C x H x W image input, not {list(x.shape)} "
                         "(pnnx's conversion of a channels-last file crashes ncnn)")
    net = ncnn.Net()
    net.opt.num_threads = threads
    net.opt.use_vulkan_compute = False
    net.opt.use_fp16_packed = net.opt.use_fp16_storage = net.opt.use_fp16_arithmetic = False
    net.opt.use_bf16_storage = False
    with tempfile.TemporaryDirectory(prefix="ab_bench_ncnn_") as work:
        base = os.path.join(work, "model")
        os.symlink(os.path.abspath(model), base + ".onnx")
        shape = ",".join(str(d) for d in x.shape)
        subprocess.run(["pnnx", base + ".onnx", f"inputshape=[{shape}]"], check=True, capture_output=True, cwd=work)
        if net.load_param(base + ".ncnn.param") or net.load_model(base + ".ncnn.bin"):
            raise RuntimeError(f"ncnn could not load pnnx's conversion of {model}")
    image = ncnn.Mat(np.ascontiguousarray(x[0]))

    def run():
        ex = net.create_extractor()
        ex.input("in0", image)
        _, out = ex.extract("out0")
        return np.array(out).reshape(1, -1)
    return run


def litert_runner(model, threads, x):
    from ai_edge_litert.interpreter import Interpreter
    tflite = os.path.splitext(model)[0] + ".tflite"
    if not os.path.exists(tflite):
        raise FileNotFoundError(f"litert needs {tflite} (tools/export_keras.py --tflite writes it)")
    interpreter = Interpreter(model_path=tflite, num_threads=threads)  # XNNPACK: its default delegate
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def run():
        interpreter.set_tensor(inp, x)
        interpreter.invoke()
        return interpreter.get_tensor(out)
    return run


PEERS = {"onnxruntime": onnxruntime_runner, "openvino": openvino_runner, "ncnn": ncnn_runner,
         "litert": litert_runner}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--sn2", default=os.path.join(here, "..", "build", "sn2"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--ort", action="store_true", help="also time onnxruntime on the same ONNX file")
    ap.add_argument("--peer", action="append", default=[], choices=sorted(PEERS),
                    help="also time this runtime on the same ONNX file (repeatable)")
    ap.add_argument("--config", action="append", default=[])
    args = ap.parse_args()
    configs = [c.split("=", 1) for c in args.config] or [
        ["sn2", ""], ["sn2 --no-views", "--no-views"], ["sn2 --no-passes --no-views", "--no-passes --no-views"]]
    configs = [(label, flags.split()) for label, flags in configs]
    # (label, binary, flags): "@PATH" as the first flag names the binary.
    configs = [(label, flags[0][1:] if flags and flags[0].startswith("@") else args.sn2,
                flags[1:] if flags and flags[0].startswith("@") else flags) for label, flags in configs]
    peers = list(dict.fromkeys((["onnxruntime"] if args.ort else []) + args.peer))
    runners = {}
    if peers:
        import numpy as np
        import onnx
        graph = onnx.load(args.model, load_external_data=False).graph
        initializers = {i.name for i in graph.initializer}
        first = next(i for i in graph.input if i.name not in initializers)
        shape = [d.dim_value or 1 for d in first.type.tensor_type.shape.dim]  # symbolic dims: 1
        x = np.random.default_rng(0).standard_normal(shape).astype("float32")
        reference = None
        for name in peers:
            runners[name] = PEERS[name](args.model, args.threads, x)
            y = np.asarray(runners[name]()).reshape(-1)
            if reference is None:
                reference = y
            else:
                err = float(np.max(np.abs(y - reference)) / np.max(np.abs(reference)))
                print(f"{name} against {peers[0]}: max |difference| / max |{peers[0]}| = {err:.1e}", file=sys.stderr)
                if err > 1e-3:
                    sys.exit(f"{name}'s output differs from {peers[0]}'s ({err:.1e}): not timing a wrong model")
    results = {label: [] for label, _, _ in configs}
    results.update({name: [] for name in runners})
    for _ in range(args.rounds):
        for label, binary, flags in configs:
            results[label].append(sn2_median(binary, args.model, flags, args.threads, args.runs))
        for name, run in runners.items():
            for _ in range(10):
                run()
            times = []
            for _ in range(args.runs):
                t = time.perf_counter()
                run()
                times.append((time.perf_counter() - t) * 1e3)
            results[name].append(statistics.median(times))
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
