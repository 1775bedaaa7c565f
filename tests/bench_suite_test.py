#!/usr/bin/env python3
"""The benchmark suite's counters and the report tool, on a few small benchmarks.

usage: bench_suite_test.py PATH/TO/sn2_bench PROJECT_SOURCE_DIR
Checks what the suite reports (FLOPs, the paper's memory access cost, plan and copy bytes, the
ISA paths, the CPU context) against values computed here by hand, and that
tools/bench_report.py turns the JSON into the report. Times are not asserted: speed is shown by
the benchmarks themselves.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

BENCH = sys.argv[1]
SOURCE = sys.argv[2]
REPORT = os.path.join(SOURCE, "tools", "bench_report.py")

FILTER = ("guideline/G1/.*/size:1$|guideline/G4/c:32/|block/v2/stage:2/stride:1/c:116$|"
          "block/v1/stage:2/stride:1/g:3/|network/shufflenet_v2_x0_5/[a-z_0-9]+/threads:1/")


TMP = tempfile.TemporaryDirectory()
JSON_PATH = os.path.join(TMP.name, "bench.json")
_suite_result = []


def run_suite_once():
    """Runs the filtered suite into JSON_PATH (once for all tests); returns the process result."""
    if not _suite_result:
        _suite_result.append(subprocess.run(
            [BENCH, f"--benchmark_filter={FILTER}", "--benchmark_min_time=0.001",
             f"--benchmark_out={JSON_PATH}", "--benchmark_out_format=json"],
            capture_output=True, text=True, timeout=280))
    return _suite_result[0]


def conv_mac(hw, c_in, c_out, k=1, groups=1):
    """The paper's memory access cost of one conv, in elements: maps in and out plus weights."""
    return hw * (c_in + c_out) + c_out * (c_in // groups) * k * k


class Suite(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.result = run_suite_once()
        cls.data = None
        if os.path.exists(JSON_PATH):
            with open(JSON_PATH) as f:
                cls.data = json.load(f)
        cls.runs = {b["name"]: b for b in (cls.data or {}).get("benchmarks", [])}

    def bench(self, pattern):
        hits = [b for name, b in self.runs.items() if re.search(pattern, name)]
        self.assertEqual(len(hits), 1, f"{pattern}: {sorted(self.runs)}")
        return hits[0]

    def test_runs_without_errors(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        errors = [b["name"] for b in self.runs.values() if b.get("error_occurred")]
        self.assertEqual(errors, [])
        # 4 G1 rows + 4 G4 rows + 2 units + the x0.5 network under every plan at one thread.
        self.assertGreaterEqual(len(self.runs), 4 + 4 + 2 + 4)

    def test_context_names_the_cpu_and_path(self):
        ctx = self.data["context"]
        for key in ("sn2_cpu_name", "sn2_cores", "sn2_isa", "sn2_peak_flops", "sn2_l1d_bytes"):
            self.assertIn(key, ctx)
        self.assertGreater(float(ctx["sn2_peak_flops"]), 1e9)
        self.assertIn(ctx["sn2_isa"], ("scalar", "avx2", "avx512f", "neon"))

    def test_networks_at_one_thread_and_one_per_core(self):
        r = subprocess.run([BENCH, "--benchmark_list_tests", "--benchmark_filter=network/"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        names = r.stdout.splitlines()
        cores = int(self.data["context"]["sn2_cores"])
        counts = {1, cores}
        plans = ("compiled", "copies", "xnnpack_only", "unoptimized")
        for model in ("shufflenet_v2_x0_5", "shufflenet_v2_x2_0", "shufflenet_v1_g1", "shufflenet_v1_g8"):
            for plan in plans:
                found = {int(re.search(r"threads:(\d+)", n).group(1)) for n in names
                         if n.startswith(f"network/{model}/{plan}/")}
                self.assertEqual(found, counts, f"{model}/{plan}")

    def test_g1_equal_flops_and_the_papers_mac(self):
        # Two 1x1 convs c1 -> c2 -> c1 per block, 10 blocks, 56x56; Table 1's channels.
        hw = 56 * 56
        rows = [(128, 128), (90, 180), (52, 312), (36, 432)]
        macs = []
        for c1, c2 in rows:
            b = self.bench(f"guideline/G1/c1:{c1}/c2:{c2}/size:1")
            self.assertEqual(b["FLOPs"], 10 * 2 * 2 * hw * c1 * c2)
            expected = 10 * (conv_mac(hw, c1, c2) + conv_mac(hw, c2, c1))
            self.assertAlmostEqual(b["MAC_elements"] / expected, 1.0, delta=0.002)
            self.assertEqual(b["MAC_bytes"], 4 * b["MAC_elements"])
            macs.append(b["MAC_elements"])
        # Guideline 1: at equal FLOPs, equal widths have the least memory access.
        self.assertEqual(macs, sorted(macs))
        for b in (self.bench(f"guideline/G1/c1:{c1}/c2:{c2}/size:1") for c1, c2 in rows):
            self.assertGreater(b["peak_fraction"], 0.0)
            self.assertLess(b["peak_fraction"], 1.5)

    def test_g4_rows_share_the_convolutions(self):
        flops = {self.bench(f"guideline/G4/c:32/relu:{r}/shortcut:{s}$")["FLOPs"] for r in (0, 1) for s in (0, 1)}
        self.assertEqual(len(flops), 1)

    def test_v2_and_v1_units(self):
        hw = 28 * 28
        v2 = self.bench(r"block/v2/stage:2/stride:1/c:116$")
        b = 58  # the branch: half of 116 channels
        self.assertEqual(v2["FLOPs"], 2 * (2 * hw * b * b + hw * b * 9))
        expected = 2 * conv_mac(hw, b, b) + conv_mac(hw, b, b, 3, b)
        self.assertAlmostEqual(v2["MAC_elements"] / expected, 1.0, delta=0.002)
        # Split, concat and shuffle are views; only the unit's output, the graph output here,
        # is written out once in the shuffled order a dense output needs.
        self.assertEqual(v2["copy_bytes"], 4 * hw * 116)
        v1 = self.bench(r"block/v1/stage:2/stride:1/g:3/c:240$")
        self.assertGreater(v1["MAC_elements"], v2["MAC_elements"])

    def test_avx2_cpu_emulation(self):
        # SN2_BENCH_CPU=avx2: neither sn2 nor XNNPACK sees AVX-512: the context names it, the
        # path is AVX2 (where the CPU has it), sn2's AVX-512 kernel refuses to run and its AVX2
        # one runs; any other value is refused.
        path = os.path.join(TMP.name, "avx2_cpu.json")
        env = dict(os.environ, SN2_BENCH_CPU="avx2")
        r = subprocess.run([BENCH, "--benchmark_filter=f32_dwconv2d_3x3/(xnnpack|sn2_16c_avx512f|sn2_8c_avx2)/hw:7/c:96/s:1$",
                            "--benchmark_min_time=0.001", f"--benchmark_out={path}",
                            "--benchmark_out_format=json"], capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(path) as f:
            emulated = json.load(f)
        self.assertIsNotNone(self.data)
        native = self.data["context"]["sn2_isa"]
        self.assertEqual(emulated["context"].get("sn2_bench_cpu"), "avx2")
        self.assertNotIn("sn2_bench_cpu", self.data["context"])
        self.assertEqual(emulated["context"]["sn2_isa"], "avx2" if native in ("avx512f", "avx2") else native)
        errors = {b["name"]: b.get("error_occurred", False) for b in emulated["benchmarks"]}
        self.assertTrue(errors["f32_dwconv2d_3x3/sn2_16c_avx512f/hw:7/c:96/s:1"])
        if native in ("avx512f", "avx2"):
            self.assertFalse(errors["f32_dwconv2d_3x3/sn2_8c_avx2/hw:7/c:96/s:1"])
        self.assertFalse(errors["f32_dwconv2d_3x3/xnnpack/hw:7/c:96/s:1"])
        env["SN2_BENCH_CPU"] = "sse2"
        r = subprocess.run([BENCH, "--benchmark_filter=none"], capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(r.returncode, 2)
        self.assertIn("SN2_BENCH_CPU=sse2", r.stderr)

    def test_network_plans(self):
        compiled = self.bench(r"network/shufflenet_v2_x0_5/compiled/threads:1/")
        copies = self.bench(r"network/shufflenet_v2_x0_5/copies/threads:1/")
        xnn = self.bench(r"network/shufflenet_v2_x0_5/xnnpack_only/threads:1/")
        self.assertEqual(round(compiled["FLOPs"] / 2e6, 2), 40.48)
        self.assertEqual(compiled["copy_bytes"], 0)
        self.assertGreater(copies["copy_bytes"], 0)
        self.assertGreater(copies["plan_bytes"], compiled["plan_bytes"])
        for b in (copies, xnn):
            self.assertEqual(b["FLOPs"], compiled["FLOPs"])
            self.assertEqual(b["MAC_bytes"], compiled["MAC_bytes"])
        # Every other ISA path this CPU runs, compiled in the same run; scalar always runs.
        if self.data["context"]["sn2_isa"] != "scalar":
            scalar = self.bench(r"network/shufflenet_v2_x0_5/compiled_scalar/threads:1/")
            self.assertEqual(scalar["FLOPs"], compiled["FLOPs"])
            self.assertEqual(scalar["copy_bytes"], 0)


class Report(unittest.TestCase):
    def test_markdown_and_run_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = JSON_PATH
            self.assertEqual(run_suite_once().returncode, 0)
            r = subprocess.run([sys.executable, REPORT, path, "--out", tmp, "--no-plots"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(tmp, "report.md")) as f:
                report = f.read()
            # Table 1 with the paper's columns and this run's, first row = 1.00.
            self.assertIn("### G1", report)
            # The paper's columns, then this run's x1 (only size 1 was run here).
            self.assertRegex(report, r"\| 1:1 \| (1\.00 \| ){7}- \| - \|")
            self.assertRegex(report, r"\| 1:12 \| 0\.51 \| 0\.54 \| 0\.70 \| 0\.76 \| 0\.70 \| 0\.83 \| \d\.\d\d \| - \| - \|")
            self.assertIn("| network/shufflenet_v2_x0_5/compiled/threads:1", report)
            # V2 1x and V1 g=3 units of stage 2 side by side: FLOPs and MAC computed above.
            self.assertRegex(report, r"\| stage, stride \| V2 1x \| V1 g=3 \|")
            self.assertRegex(report, r"\| 2, 1 \| [0-9.]+ \(11\.4, 1\.12\) \| [0-9.]+ \(15\.9, 2\.30\) \|")
            # The plans of one run side by side, as ratios to the compiled plan.
            self.assertRegex(report, r"\| network \| compiled \(ms\) \| .*copies.*xnnpack_only")
            self.assertRegex(report, r"\| shufflenet_v2_x0_5 \| [0-9.]+ \| [0-9.]+ \([0-9.]+x\)")
            r = subprocess.run([sys.executable, REPORT, "--run-table", path],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"shufflenet_v2_x0_5 +40\.48 ")


if __name__ == "__main__":
    try:
        unittest.main(argv=sys.argv[:1], verbosity=2)
    finally:
        TMP.cleanup()
