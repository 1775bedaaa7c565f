#!/usr/bin/env python3
"""tools/ab_kernels.py with two stand-in benchmark binaries made here: its medians and ratios.

usage: ab_kernels_test.py PROJECT_SOURCE_DIR
Each stand-in writes Google Benchmark's JSON with times that change from round to round (no
benchmark runs); what is checked is that every build's median is taken over its own rounds and
set against the first build, and that a failing build stops the tool with its message.
"""
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest

TOOL = os.path.join(sys.argv[1], "tools", "ab_kernels.py")

# A stand-in sn2_bench: round r (counted in a file next to it) reports TIMES[r] for "k/a" and
# twice that for "k/b"; it checks that it was given the filter.
STAND_IN = textwrap.dedent("""\
    #!{python}
    import json, os, sys
    here = os.path.dirname(os.path.abspath(__file__))
    count = os.path.join(here, os.path.basename(__file__) + ".round")
    r = int(open(count).read()) if os.path.exists(count) else 0
    open(count, "w").write(str(r + 1))
    args = dict(a.split("=", 1) for a in sys.argv[1:])
    if args.get("--benchmark_filter") != "k/":
        sys.exit("wrong filter")
    if {fail}:
        sys.exit("stand-in failure")
    t = {times}[r]
    runs = [{{"name": n, "run_name": n, "run_type": "iteration", "real_time": v, "time_unit": u}}
            for n, v, u in (("k/a", t, "us"), ("k/b", 2 * t, "ms"))]
    json.dump({{"context": {{"sn2_cpu_name": "Test CPU"}}, "benchmarks": runs}}, open(args["--benchmark_out"], "w"))
    """)


class AbKernels(unittest.TestCase):
    def stand_in(self, tmp, name, times, fail=False):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(STAND_IN.format(python=sys.executable, times=times, fail=fail))
        os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)
        return path

    def run_tool(self, *benches, rounds=3):
        cmd = [sys.executable, TOOL, "--filter", "k/", "--rounds", str(rounds), "--min-time", "0.01"]
        for name, path in benches:
            cmd += ["--bench", f"{name}={path}"]
        return subprocess.run(cmd, capture_output=True, text=True)

    def test_medians_over_rounds_and_ratios(self):
        with tempfile.TemporaryDirectory() as tmp:
            # before: medians 10 (k/a) and 20 (k/b); after: 8 and 16, so 0.800 both.
            before = self.stand_in(tmp, "before", [10.0, 30.0, 9.0])
            after = self.stand_in(tmp, "after", [8.0, 7.0, 50.0])
            r = self.run_tool(("before", before), ("after", after))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("3 alternating rounds of before, after; Test CPU;", r.stdout)
            self.assertIn("| k/a | us | 10.00 | 8.00 | 0.800 |", r.stdout)
            self.assertIn("| k/b | ms | 20.00 | 16.00 | 0.800 |", r.stdout)
            for name in ("before", "after"):
                with open(os.path.join(tmp, name + ".round")) as f:
                    self.assertEqual(f.read(), "3")

    def test_a_failing_build_stops_the_tool(self):
        with tempfile.TemporaryDirectory() as tmp:
            good = self.stand_in(tmp, "good", [1.0, 1.0, 1.0])
            bad = self.stand_in(tmp, "bad", [1.0, 1.0, 1.0], fail=True)
            r = self.run_tool(("good", good), ("bad", bad))
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("stand-in failure", r.stderr)

    def test_one_build_is_refused(self):
        r = self.run_tool(("only", "/bin/true"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("at least two", r.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
