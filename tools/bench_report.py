#!/usr/bin/env python3
"""Turns sn2_bench JSON files (one per CPU / ISA path) into docs/bench/report.md and plots.

  python3 tools/bench_report.py build/bench-avx512f.json [more.json ...] --out docs/bench

- the ShuffleNet V2 paper's Tables 1-4 (guideline experiments) with this suite's relative
  speeds (first row of each group = 1.0) next to the paper's GPU and ARM columns;
- V1 against V2: units at stage shapes and whole networks (FLOPs, MAC, latency);
- the networks' ablation plans and other ISA paths, where a file holds them (same run);
- latency against FLOPs and against MAC for all blocks and networks, one colour per file.
Needs matplotlib (Debian python3-matplotlib or PyPI) for the plots. `make bench-report` runs it;
`make run` prints its short table (--run-table, standard library only).
"""
import argparse
import json
import os
import re
import sys

# The paper's numbers (Ma et al., ECCV 2018; ../shared/ANCHORS.md): GPU batches/s and ARM
# images/s per row, for sizes x1, x2, x4 (G1, G2) or the three channel settings (G3, G4).
PAPER = {
    "G1": {"rows": ["1:1", "1:2", "1:6", "1:12"],
           "GPU": [[1480, 723, 232], [1296, 586, 206], [876, 489, 189], [748, 392, 163]],
           "ARM": [[76.2, 21.7, 5.3], [72.9, 20.5, 5.1], [69.1, 17.9, 4.6], [57.6, 15.1, 4.4]]},
    "G2": {"rows": ["g=1", "g=2", "g=4", "g=8"],
           "GPU": [[2451, 1289, 437], [1725, 873, 341], [1026, 644, 338], [634, 445, 230]],
           "ARM": [[40.0, 10.2, 2.3], [35.0, 9.5, 2.2], [32.9, 8.7, 2.1], [27.8, 7.5, 1.8]]},
    "G3": {"rows": ["1-fragment", "2-fragment-series", "4-fragment-series", "2-fragment-parallel", "4-fragment-parallel"],
           "GPU": [[2446, 1274, 434], [1790, 909, 336], [752, 745, 349], [1537, 803, 320], [691, 572, 292]],
           "ARM": [[40.2, 10.1, 2.3], [38.6, 10.1, 2.2], [38.4, 10.1, 2.3], [33.4, 9.1, 2.2], [35.0, 8.4, 2.1]]},
    "G4": {"rows": ["ReLU + shortcut", "ReLU only", "shortcut only", "neither"],
           "GPU": [[2427, 2066, 1436], [2647, 2256, 1735], [2672, 2121, 1458], [2842, 2376, 1782]],
           "ARM": [[56.7, 16.9, 5.0], [61.9, 18.8, 5.2], [57.3, 18.2, 5.1], [66.3, 20.2, 5.4]]},
}
COLUMNS = {"G1": ["x1", "x2", "x4"], "G2": ["x1", "x2", "x4"], "G3": ["c=128", "c=256", "c=512"],
           "G4": ["c=32", "c=64", "c=128"]}


def md_table(header, rows):
    """A Markdown table: a header row, the separator, then one line per row of cells."""
    line = lambda cells: "| " + " | ".join(str(c) for c in cells) + " |"
    return [line(header), "|" + "---|" * len(header)] + [line(r) for r in rows]


def is_network_1t(name):
    return name.startswith("network/") and "/compiled/" in name and re.search(r"threads:1(/|$)", name)


def args_of(name):
    return {k: int(v) for k, v in re.findall(r"([a-z0-9_]+):(\d+)", name)}


def load(path):
    data = json.load(open(path))
    ctx = data.get("context", {})
    label = f"{ctx.get('sn2_cpu_name', ctx.get('host_name', '?'))} / {ctx.get('sn2_isa', '?')}"
    runs, medians = {}, {}
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            continue
        unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        entry = dict(b, ms=b["real_time"] * unit)
        if b.get("run_type") == "aggregate":
            # With --benchmark_repetitions: the median over the repetitions stands for the run.
            if b.get("aggregate_name") == "median":
                medians[b["run_name"]] = entry
            continue
        runs[b.get("run_name", b["name"])] = entry
    runs.update(medians)
    return label, ctx, runs


def guideline_cell(runs, table, row, col):
    """The benchmark of a paper table's row and column, or None."""
    for name, b in runs.items():
        if not name.startswith("guideline/" + table + "/"):
            continue
        a = args_of(name)
        if table == "G1" and (a["size"], [(128, 128), (90, 180), (52, 312), (36, 432)].index((a["c1"], a["c2"]))) == ([1, 2, 4][col], row):
            return b
        if table == "G2" and a["size"] == [1, 2, 4][col] and a["g"] == [1, 2, 4, 8][row]:
            return b
        if table == "G3" and a["c"] == [128, 256, 512][col] and (a["fragments"], a["parallel"]) == [(1, 0), (2, 0), (4, 0), (2, 1), (4, 1)][row]:
            return b
        if table == "G4" and a["c"] == [32, 64, 128][col] and (a["relu"], a["shortcut"]) == [(1, 1), (1, 0), (0, 1), (0, 0)][row]:
            return b
    return None


def guideline_tables(files):
    out = []
    for table in ["G1", "G2", "G3", "G4"]:
        p = PAPER[table]
        cols = COLUMNS[table]
        out.append(f"### {table}\n")
        header = (["row"] + [f"GPU {c}" for c in cols] + [f"ARM {c}" for c in cols] +
                  [f"{label} {c}" for label, _, _ in files for c in cols])
        rows = []
        for r, row in enumerate(p["rows"]):
            cells = [row]
            for device in ["GPU", "ARM"]:
                cells += [f"{p[device][r][c] / p[device][0][c]:.2f}" for c in range(3)]
            for _, _, runs in files:
                for c in range(3):
                    b, first = guideline_cell(runs, table, r, c), guideline_cell(runs, table, 0, c)
                    cells.append(f"{first['ms'] / b['ms']:.2f}" if b and first else "-")
            rows.append(cells)
        out += md_table(header, rows)
        out.append("")
        # Absolute latency and MAC of this CPU, first file.
        label, _, runs = files[0]
        out.append(f"{label}: ms per 10-block stack (MAC MB in the paper's model)\n")
        rows = []
        for r, row in enumerate(p["rows"]):
            cells = [row]
            for c in range(3):
                b = guideline_cell(runs, table, r, c)
                cells.append(f"{b['ms']:.2f} ({b['MAC_bytes'] / 1e6:.0f})" if b else "-")
            rows.append(cells)
        out += md_table(["row"] + cols, rows)
        out.append("")
    return out


def units_and_networks(files):
    out = []
    for label, _, runs in files:
        out.append(f"### {label}\n")
        rows = [[name, f"{b['FLOPs'] / 1e6:.1f}", f"{b['MAC_bytes'] / 1e6:.2f}",
                 f"{b['plan_bytes'] / 1e6:.2f}", f"{b['ms']:.3f}", f"{b['FLOPs'] / b['ms'] / 1e6:.1f}",
                 f"{b['peak_fraction']:.2f}"]
                for name, b in sorted(runs.items()) if name.startswith("block/") or is_network_1t(name)]
        out += md_table(["unit or network", "FLOPs (M)", "MAC (MB)", "plan bytes (MB)", "latency (ms)",
                         "GFLOP/s", "fraction of peak"], rows)
        out.append("")
    return out


V2_X1_STAGE2_CHANNELS = 116  # ShuffleNet V2 1x (the paper's Table 5); block names carry stage 2's width


def matched_units(files):
    """V2 1x units next to V1 1x units (g = 1-8) at the same stage: the networks' FLOPs match."""
    out = []
    for label, _, runs in files:
        cells = {}
        for name, b in runs.items():
            a = args_of(name)
            if name.startswith("block/v2/") and a.get("c") == V2_X1_STAGE2_CHANNELS:
                cells[(a["stage"], a["stride"], "V2 1x")] = b
            elif name.startswith("block/v1/"):
                cells[(a["stage"], a["stride"], f"V1 g={a['g']}")] = b
        cols = ["V2 1x"] + sorted({k[2] for k in cells if k[2] != "V2 1x"}, key=lambda c: int(c.split("=")[1]))
        rows = sorted({k[:2] for k in cells}, key=lambda r: (r[0], -r[1]))
        if not rows or not any(k[2] == "V2 1x" for k in cells):
            continue
        out.append(f"### {label}: ms (MFLOPs, MAC MB)\n")
        def cell(b):
            return f"{b['ms']:.3f} ({b['FLOPs'] / 1e6:.1f}, {b['MAC_bytes'] / 1e6:.2f})" if b else "-"
        out += md_table(["stage, stride"] + cols,
                        [[f"{stage}, {stride}"] + [cell(cells.get((stage, stride, c))) for c in cols]
                         for stage, stride in rows])
        out.append("")
    return out


def plans_table(files):
    """Networks at one thread under every plan a file holds, as latency over the compiled plan's."""
    out = []
    for label, _, runs in files:
        table = {}
        for name, b in runs.items():
            parts = name.split("/")
            if name.startswith("network/") and re.search(r"threads:1(/|$)", name):
                table.setdefault(parts[1], {})[parts[2]] = b["ms"]
        plans = sorted({p for row in table.values() for p in row if p != "compiled"})
        if not plans:
            continue
        out.append(f"### {label}\n")
        rows = []
        for model, row in sorted(table.items()):
            base = row.get("compiled")
            rows.append([model, f"{base:.3f}" if base else "-"] +
                        [f"{row[p]:.2f} ({row[p] / base:.2f}x)" if base and p in row else "-" for p in plans])
        out += md_table(["network", "compiled (ms)"] + plans, rows)
        out.append("")
    return out


def plots(files, out_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    written = []
    for key, xlabel, fname in [("FLOPs", "FLOPs (M)", "latency_vs_flops.png"),
                               ("MAC_bytes", "memory access cost, paper's model (MB)", "latency_vs_mac.png")]:
        fig, ax = plt.subplots(figsize=(7, 5))
        for i, (label, _, runs) in enumerate(files):
            for kind, marker in [("block/v2", "o"), ("block/v1", "s"), ("network/", "^")]:
                xs, ys = [], []
                for name, b in runs.items():
                    if not name.startswith(kind) or (kind == "network/" and not is_network_1t(name)):
                        continue
                    xs.append(b[key] / 1e6)
                    ys.append(b["ms"])
                if xs:
                    ax.scatter(xs, ys, marker=marker, color=f"C{i}", alpha=0.7, label=f"{label}: {kind.rstrip('/')}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("latency (ms, one thread)")
        ax.legend(fontsize=7)
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(out_dir, fname), dpi=110)
        plt.close(fig)
        written.append(fname)
    return written


def run_table(files):
    """The short table of `make run`: one row per network benchmarked."""
    print(f"{'model':22s} {'MACs (M)':>9s} {'MAC (MB)':>9s} {'plan MB':>8s} {'copies MB':>9s} "
          f"{'median ms':>9s} {'GFLOP/s':>8s} {'of peak':>8s}")
    for label, ctx, runs in files:
        for name, b in sorted(runs.items()):
            if not name.startswith("network/"):
                continue
            model = name.split("/")[1]
            flops = b.get("FLOPs", 0)
            print(f"{model:22s} {flops / 2e6:9.2f} {b.get('MAC_bytes', 0) / 1e6:9.2f} "
                  f"{b.get('plan_bytes', 0) / 1e6:8.2f} {b.get('copy_bytes', 0) / 1e6:9.2f} "
                  f"{b['ms']:9.3f} {flops / b['ms'] / 1e6:8.1f} {b.get('peak_fraction', 0):8.2f}")
        print(f"({label}, one thread; MACs = multiply-adds; MAC = memory access cost of the convs and "
              f"the classifier, paper's model; plan MB = bytes of every op that runs; median of "
              f"the repetitions; peak {float(ctx.get('sn2_peak_flops', 0)) / 1e9:.0f} GFLOP/s measured)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("json", nargs="+")
    ap.add_argument("--out", default="docs/bench")
    ap.add_argument("--run-table", action="store_true", help="print make run's short table only")
    ap.add_argument("--no-plots", action="store_true", help="write report.md only (no matplotlib needed)")
    args = ap.parse_args()
    if args.run_table:
        run_table([load(p) for p in args.json])
        return 0
    os.makedirs(args.out, exist_ok=True)
    # Files of the same CPU and ISA path merge (e.g. a later run of more benchmarks).
    files = []
    for p in args.json:
        label, ctx, runs = load(p)
        for existing in files:
            if existing[0] == label:
                existing[2].update(runs)
                break
        else:
            files.append((label, ctx, runs))
    lines = ["# Benchmark report", "",
             "Made by `tools/bench_report.py` from " + ", ".join(f"`{os.path.basename(p)}`" for p in args.json) +
             " (`make bench-report`). Each file is one run of `build/sn2_bench` on one ISA path.", ""]
    lines.append("| run | CPU / ISA path | measured FMA peak (GFLOP/s) | date |")
    lines.append("|---|---|---|---|")
    for label, ctx, _ in files:
        lines.append(f"| {label} | {label} | {float(ctx.get('sn2_peak_flops', 0)) / 1e9:.1f} | {ctx.get('date', '?')} |")
    lines += ["", "## The paper's guideline experiments (relative speed, first row = 1.00)", "",
              "GPU and ARM: the paper's Tables 1-4. The other columns: this suite, one thread, speed = 1 / latency.", ""]
    lines += guideline_tables(files)
    lines += ["## V1 and V2 units side by side (1x widths, matched network FLOPs, one thread)", ""]
    lines += matched_units(files)
    lines += ["## ShuffleNet units and networks (V1 against V2)", ""]
    lines += units_and_networks(files)
    plans = plans_table(files)
    if plans:
        lines += ["## What the compiler and the kernels are worth (networks, one thread, one run)", "",
                  "Milliseconds (ratio to the compiled plan). compiled_<isa>: the same plan compiled for "
                  "another ISA path (sn2's kernels follow it; XNNPACK's do not, scalar runs no XNNPACK). "
                  "copies: channel views off. xnnpack_only: views off, XNNPACK operators only. "
                  "unoptimized: graph passes and views off.", ""]
        lines += plans
    if not args.no_plots:
        lines += ["## Latency against FLOPs and against MAC", ""]
        for fname in plots(files, args.out):
            lines.append(f"![{fname}]({fname})")
        lines.append("")
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}/report.md")


if __name__ == "__main__":
    sys.exit(main())
