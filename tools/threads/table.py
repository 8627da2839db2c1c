#!/usr/bin/env python3
"""Prints the thread-scaling table of tools/threads/run.py's results (or of ../shared/bench's
run_all.sh, whose ORT runner is ort-node): per model, batch, thread
count and runner, the median over passes of the runner's per-process medians, its time over
ORT's in the same row, its speed-up over its one-thread time (a variant without a one-thread
row: kerasgen's), and GFLOP/s per thread.
  python3 table.py OUT [BENCH]   (BENCH: ../shared/bench, for the FLOPs of a results directory
                                 kept without the bundle's bench.json files)"""
import glob
import json
import os
import statistics
import sys

rows = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], "pass*.jsonl"))):
    for line in open(f):
        r = json.loads(line)
        rows.setdefault((r["model"], r["batch"], r["threads"], r["runner"]), []).append(r)
med = {k: statistics.median(r["median_ms"] for r in v) for k, v in rows.items()}
flops = {}
for m in {k[0] for k in rows}:
    p = os.path.join(os.path.dirname(os.path.abspath(__file__)), m, "bench.json")
    q = os.path.join(sys.argv[2], "models", m, "meta.json") if len(sys.argv) > 2 else ""
    if os.path.exists(p):
        flops[m] = json.load(open(p))["flops_per_sample"]
    elif q and os.path.exists(q):
        flops[m] = json.load(open(q))["flops_per_sample"]
print("| model | batch | threads | runner | median ms | per-pass medians | / ORT | speed-up over 1 thread | GFLOP/s per thread |")
print("|---|---|---|---|---|---|---|---|---|")
for k in sorted(rows, key=lambda k: (list(dict.fromkeys(x[0] for x in rows)).index(k[0]), k[1], k[2], not k[3].startswith("ort-"), k[3])):
    m, b, t, runner = k
    ms = med[k]
    o = med.get((m, b, t, "ort-python")) or med.get((m, b, t, "ort-node"))
    one = med.get((m, b, 1, runner)) or med.get((m, b, 1, "kerasgen"))
    gf = f"{flops[m] * b / (ms / 1e3) / 1e9 / t:.1f}" if m in flops else "-"
    per = " / ".join(f"{r['median_ms']:.3f}" for r in rows[k])
    print(f"| {m} | {b} | {t} | {runner} | **{ms:.3f}** | {per} | {f'{ms / o:.2f}' if o else '-'} | "
          f"{f'{one / ms:.2f}' if one else '-'} | {gf} |")
