#!/usr/bin/env python3
"""The sn2 command line, as a user runs it: inspect, run, bench, compare, and its errors.

usage: cli_test.py PATH/TO/sn2 PROJECT_SOURCE_DIR
Uses ../shared/images/coffee.png next to the project (see ../shared/README.md).
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import unittest

SN2 = sys.argv[1]
SOURCE = sys.argv[2]
SHARED = os.path.join(SOURCE, "..", "shared")


def sn2(*args, env=None):
    return subprocess.run([SN2, *args], capture_output=True, text=True, timeout=120, env=env)


class Inspect(unittest.TestCase):
    def test_json_totals_for_v2_x1_0(self):
        r = sn2("inspect", "builtin:shufflenet_v2_x1_0", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertEqual(round(d["macs"] / 1e6, 2), 144.91)
        for key in ("arena_bytes", "weight_bytes", "mac_bytes"):
            self.assertGreater(d[key], 0, key)
        # Channel split, concat and shuffle are views: no op moves activation bytes.
        self.assertEqual(d["copy_bytes"], 0)
        self.assertIn("view", {op["kernel"] for op in d["ops"]})
        self.assertEqual(len(d["ops"]), d["op_count"])
        self.assertEqual(sum(op["macs"] for op in d["ops"]), d["macs"])
        self.assertEqual(d["ops"][0]["type"], "Conv")
        # The stem's map, or the max pool's where the stem's op pools its rows (AVX-512 path).
        pooled = "maxpool" in d["ops"][0]["kernel"]
        self.assertEqual(d["ops"][0]["output"], [1, 24, 56, 56] if pooled else [1, 24, 112, 112])
        # Weights: 2.28 M parameters plus 4 floats per BatchNorm channel, in fp32.
        self.assertGreater(d["weight_bytes"], 2.27e6 * 4)

    def test_text_table_names_kernels(self):
        r = sn2("inspect", "builtin:shufflenet_v1_g3", "--isa", "scalar")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sn2:f32_pwconv_4x4__scalar", r.stdout)  # the grouped 1x1 convs
        # The residual adds run inside the 1x1 convs before them, the ReLUs after the stride-2
        # units' concats inside the concats' inputs: neither is an op of its own.
        self.assertNotIn("Binary", r.stdout)
        self.assertNotIn("Clamp", r.stdout)
        # V1's shuffles move no bytes: the depthwise conv absorbs, the grouped conv gathers.
        self.assertRegex(r.stdout, r"stage2\.1\.shuffle +ChannelShuffle +view ")
        self.assertIn("isa scalar", r.stdout)


class Run(unittest.TestCase):
    def test_image_prints_top_k_with_labels(self):
        image = os.path.join(SHARED, "images", "coffee.png")
        self.assertTrue(os.path.exists(image), f"needs {image} (../shared, see its README)")
        labels = os.path.join(SHARED, "labels", "imagenet_classes.txt")
        r = sn2("run", "builtin:shufflenet_v2_x0_5", image, "--top", "3", "--labels", labels)
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().split("\n")
        self.assertEqual(len(lines), 3)
        names = open(labels).read().split("\n")
        scores = []
        for line in lines:
            index, score, label = line.split("\t")
            self.assertEqual(label, names[int(index)])
            scores.append(float(score))
        self.assertEqual(scores, sorted(scores, reverse=True))

    def test_raw_input_and_output_round_trip(self):
        with tempfile.TemporaryDirectory() as tmp:
            raw_in = os.path.join(tmp, "in.f32")
            raw_out = os.path.join(tmp, "out.f32")
            with open(raw_in, "wb") as f:
                f.write(struct.pack("<%df" % (3 * 224 * 224), *([0.25] * (3 * 224 * 224))))
            r = sn2("run", "builtin:shufflenet_v2_x0_5", "--input-raw", raw_in,
                    "--output-raw", raw_out, "--top", "1")
            self.assertEqual(r.returncode, 0, r.stderr)
            logits = struct.unpack("<1000f", open(raw_out, "rb").read())
            top = max(range(1000), key=lambda i: logits[i])
            self.assertEqual(int(r.stdout.split("\t")[0]), top)
            # A file of the wrong size is refused with one line.
            with open(raw_in, "wb") as f:
                f.write(b"\0" * 12)
            r = sn2("run", "builtin:shufflenet_v2_x0_5", "--input-raw", raw_in)
            self.assertEqual(r.returncode, 1)
            self.assertIn("150528", r.stderr)
            self.assertEqual(len(r.stderr.strip().split("\n")), 1)

    def test_bad_image_is_one_line_error(self):
        with tempfile.NamedTemporaryFile(suffix=".png") as f:
            f.write(b"not a png")
            f.flush()
            r = sn2("run", "builtin:shufflenet_v2_x0_5", f.name)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot decode image", r.stderr)
        self.assertEqual(len(r.stderr.strip().split("\n")), 1)


class Errors(unittest.TestCase):
    def test_unknown_model(self):
        r = sn2("inspect", "builtin:resnet")
        self.assertEqual(r.returncode, 1)
        self.assertIn("resnet", r.stderr)
        self.assertEqual(len(r.stderr.strip().split("\n")), 1)

    def test_missing_model_file(self):
        r = sn2("inspect", "no-such-model.onnx")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot open no-such-model.onnx", r.stderr)
        self.assertEqual(len(r.stderr.strip().split("\n")), 1)

    def test_file_that_is_not_onnx(self):
        r = sn2("inspect", os.path.join(SHARED, "images", "coffee.png"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("do not parse as a ModelProto", r.stderr)


class RealModel(unittest.TestCase):
    """The ONNX Model Zoo's ImageNet ShuffleNet V2 (QDQ), run in fp32 (see ../shared/README.md)."""

    MODEL = os.path.join(SHARED, "models", "shufflenet-v2-12-qdq.onnx")

    def top1(self, image):
        self.assertTrue(os.path.exists(self.MODEL), f"needs {self.MODEL} (../shared)")
        r = sn2("run", self.MODEL, os.path.join(SHARED, "images", image), "--top", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        index, _, label = r.stdout.strip().split("\t")
        return int(index), label

    def test_chelsea_is_an_egyptian_cat(self):
        self.assertEqual(self.top1("chelsea.png"), (285, "Egyptian cat"))

    def test_coffee_is_espresso(self):
        self.assertEqual(self.top1("coffee.png"), (967, "espresso"))

    def test_bad_options(self):
        self.assertEqual(sn2("bench", "builtin:shufflenet_v1_g1", "--threads", "0").returncode, 2)
        self.assertEqual(sn2("bench", "builtin:shufflenet_v1_g1", "--runs", "x").returncode, 2)
        self.assertEqual(sn2("bench", "builtin:shufflenet_v1_g1", "--frobnicate").returncode, 2)
        self.assertEqual(sn2("inspect", "builtin:shufflenet_v1_g1", "--isa", "mmx").returncode, 2)
        self.assertEqual(sn2().returncode, 2)
        env = dict(os.environ, SN2_FORCE_ISA="neon" if os.uname().machine == "x86_64" else "avx2")
        r = sn2("inspect", "builtin:shufflenet_v1_g1", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not available", r.stderr)


class Bench(unittest.TestCase):
    def test_json_fields(self):
        r = sn2("bench", "builtin:shufflenet_v2_x0_5", "--runs", "3", "--warmup", "1", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertGreater(d["median_ms"], 0)
        self.assertLessEqual(d["min_ms"], d["median_ms"])
        self.assertEqual(d["runs"], 3)

    def test_profile_ops_lists_every_op_and_the_transfer(self):
        inspect = json.loads(sn2("inspect", "builtin:shufflenet_v2_x0_5", "--json").stdout)
        r = sn2("bench", "builtin:shufflenet_v2_x0_5", "--runs", "2", "--warmup", "0", "--profile-ops")
        self.assertEqual(r.returncode, 0, r.stderr)
        names = [op["name"] for op in inspect["ops"]]
        listed = [l.split()[0] for l in r.stdout.split("\n") if l.split() and l.split()[0] in names]
        self.assertEqual(listed, names)
        self.assertIn("layout transfer", r.stdout)

    def test_compare_table_has_a_row_per_model(self):
        r = sn2("compare", "builtin:shufflenet_v2_x0_5", "builtin:shufflenet_v1_g1",
                "--runs", "2", "--warmup", "0")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [l for l in r.stdout.split("\n") if l.startswith("shufflenet")]
        self.assertEqual([row.split()[0] for row in rows],
                         ["shufflenet_v2_x0_5", "shufflenet_v1_g1"])
        self.assertEqual(float(rows[0].split()[1]), 40.48)


if __name__ == "__main__":
    unittest.main(argv=[sys.argv[0], "-v"])
