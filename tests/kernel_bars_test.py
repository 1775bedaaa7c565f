#!/usr/bin/env python3
"""tools/kernel_bars.py on a benchmark file made here: its medians, speeds and verdicts.

usage: kernel_bars_test.py PROJECT_SOURCE_DIR
The times are invented (no benchmark runs); what is checked is the tool's arithmetic and which
shapes it holds to which bar.
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

TOOL = os.path.join(sys.argv[1], "tools", "kernel_bars.py")


def runs(name, times, manual=False):
    suffix = "/iterations:300/manual_time" if manual else ""
    return [{"name": name + suffix, "run_name": name + suffix, "run_type": "iteration",
             "real_time": t, "time_unit": "us"} for t in times]


class KernelBars(unittest.TestCase):
    def run_tool(self, *files, args=(), context=None):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for i, benchmarks in enumerate(files):
                paths.append(os.path.join(tmp, f"bench{i}.json"))
                with open(paths[-1], "w") as f:
                    json.dump({"context": dict({"sn2_cpu_name": "Test CPU", "date": "today"}, **(context or {})),
                               "benchmarks": benchmarks}, f)
            return subprocess.run([sys.executable, TOOL, *args, "--from"] + paths, capture_output=True, text=True)

    def test_several_runs(self):
        # 56x56x24 at 2.0x then 1.25x: at the bar in one run of two, lowest 1.25.
        first = runs("f32_dwconv2d_3x3/xnnpack/hw:56/c:24/s:2", [10.0])
        first += runs("f32_dwconv2d_3x3/sn2_16c_avx512f/hw:56/c:24/s:2", [5.0])
        second = runs("f32_dwconv2d_3x3/xnnpack/hw:56/c:24/s:2", [5.0])
        second += runs("f32_dwconv2d_3x3/sn2_16c_avx512f/hw:56/c:24/s:2", [4.0])
        r = self.run_tool(first, second)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("| hw:56/c:24/s:2 | 2.00, 1.25 | 1.25 | 1 of 2 |", r.stdout)
        self.assertIn("depthwise, repeated calls: 0 of 1 shapes at 1.3x or more in all 2 runs "
                      "(lowest hw:56/c:24/s:2 1.25)", r.stdout)

    def test_medians_speeds_and_verdicts(self):
        b = []
        # Depthwise, repeated calls: 2.0x and 1.25x (below the bar); medians of odd counts.
        b += runs("f32_dwconv2d_3x3/xnnpack/hw:56/c:24/s:2", [10.0, 11.0, 9.0])
        b += runs("f32_dwconv2d_3x3/sn2_16c_avx512f/hw:56/c:24/s:2", [5.0, 4.0, 6.0])
        b += runs("f32_dwconv2d_3x3/xnnpack/hw:14/c:352/s:2", [5.0])
        b += runs("f32_dwconv2d_3x3/sn2_16c_avx512f/hw:14/c:352/s:2", [4.0])
        # After the producer (manual time in the names): 1.5x.
        b += runs("f32_dwconv2d_3x3_after_producer/xnnpack/hw:56/c:24/s:2", [6.0], manual=True)
        b += runs("f32_dwconv2d_3x3_after_producer/sn2_16c_avx512f/hw:56/c:24/s:2", [4.0], manual=True)
        # Pointwise: a stride-1 unit's shape is held to the lower of gather and scatter
        # (10 / 10.4 = 0.96 and 10 / 11 = 0.91); a contiguous one to its only access (1.25).
        b += runs("f32_pwconv/xnnpack/hw:28/k:58/n:58", [10.0])
        b += runs("f32_pwconv/sn2_chosen_avx512f/gather/hw:28/k:58/n:58", [10.4])
        b += runs("f32_pwconv/sn2_chosen_avx512f/scatter/hw:28/k:58/n:58", [11.0])
        b += runs("f32_pwconv/sn2_chosen_avx512f/contiguous/hw:28/k:58/n:58", [5.0])  # not this shape's access
        b += runs("f32_pwconv/xnnpack/hw:7/k:464/n:1024", [100.0])
        b += runs("f32_pwconv/sn2_chosen_avx512f/contiguous/hw:7/k:464/n:1024", [80.0])
        r = self.run_tool(b)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("| hw:56/c:24/s:2 | 10.00 | 5.00 | 2.00 | yes |", out)
        self.assertIn("| hw:14/c:352/s:2 | 5.00 | 4.00 | 1.25 | **no** |", out)
        self.assertIn("| hw:56/c:24/s:2 | 6.00 | 4.00 | 1.50 | yes |", out)
        self.assertIn("| hw:28/k:58/n:58 | gather + scatter | 10.00 | gather 10.40, scatter 11.00 | 0.91 | **no** |", out)
        self.assertIn("| hw:7/k:464/n:1024 | contiguous | 100.00 | contiguous 80.00 | 1.25 | yes |", out)
        self.assertIn("depthwise, repeated calls: 1 of 2 shapes at 1.3x or more (lowest hw:14/c:352/s:2 1.25)", out)
        self.assertIn("depthwise, after its producer: 1 of 1 shapes at 1.3x or more", out)
        self.assertIn("pointwise: 1 of 2 shapes at 0.95x or more (lowest hw:28/k:58/n:58 0.91)", out)

    def test_families_missing_from_the_file(self):
        b = runs("f32_dwconv2d_3x3/xnnpack/hw:56/c:24/s:2", [10.0])
        b += runs("f32_dwconv2d_3x3/sn2_16c_avx512f/hw:56/c:24/s:2", [5.0])
        r = self.run_tool(b)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("depthwise, after its producer: no results in this file", r.stdout)
        self.assertIn("pointwise: no results in this file", r.stdout)

    def test_a_file_without_avx512_results_is_refused(self):
        r = self.run_tool(runs("f32_pwconv/xnnpack/hw:7/k:464/n:1024", [100.0]))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no avx512f depthwise results", r.stderr)


    def test_avx2_kernels_against_capped_xnnpack(self):
        # --isa avx2 reads sn2's AVX2 benchmarks (AVX-512 ones in the file are not its) from a run
        # made as on a CPU without AVX-512.
        b = runs("f32_dwconv2d_3x3/xnnpack/hw:56/c:24/s:2", [10.0])
        b += runs("f32_dwconv2d_3x3/sn2_8c_avx2/hw:56/c:24/s:2", [8.0])
        b += runs("f32_dwconv2d_3x3/sn2_16c_avx512f/hw:56/c:24/s:2", [2.0])
        b += runs("f32_pwconv/xnnpack/hw:7/k:464/n:1024", [100.0])
        b += runs("f32_pwconv/sn2_6x16_avx2/contiguous/hw:7/k:464/n:1024", [104.0])
        r = self.run_tool(b, args=("--isa", "avx2"), context={"sn2_bench_cpu": "avx2"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("sn2's avx2 kernels against XNNPACK's avx2", r.stdout)
        self.assertIn("| hw:56/c:24/s:2 | 10.00 | 8.00 | 1.25 | **no** |", r.stdout)
        self.assertIn("| hw:7/k:464/n:1024 | contiguous | 100.00 | contiguous 104.00 | 0.96 | yes |", r.stdout)

    def test_the_runs_cpu_must_match_the_isa(self):
        b = runs("f32_dwconv2d_3x3/xnnpack/hw:56/c:24/s:2", [10.0])
        b += runs("f32_dwconv2d_3x3/sn2_8c_avx2/hw:56/c:24/s:2", [8.0])
        b += runs("f32_dwconv2d_3x3/sn2_16c_avx512f/hw:56/c:24/s:2", [5.0])
        r = self.run_tool(b, args=("--isa", "avx2"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("a run on this CPU as it is; --isa avx2 reads runs as on an avx2 CPU", r.stderr)
        r = self.run_tool(b, context={"sn2_bench_cpu": "avx2"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("a run as on an avx2 CPU; --isa avx512f reads runs on this CPU as it is", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
