#!/usr/bin/env python3
"""Times a bundle written by tools/threads/prepare.sh on the machine it was carried to: each
model, batch and thread count, ONNX Runtime's row (the Python onnxruntime there: intra-op
threads T, inter-op 1, sequential, all graph optimizations, as ../shared/bench's runner sets
it) and then kerasgen's saved timing program (GOMAXPROCS=T KERASGEN_THREADS=T), each a fresh
process, interleaved as ../shared/bench/run_all.sh does. Writes OUT/pass<P>.jsonl and, before
each pass, the cores' round trips (OUT/roundtrip.jsonl), and prints the table (table.py's).
  python3 run.py OUT [PASSES] [THREADS, e.g. 1,2,4,8,16] [MODELS, comma-separated] [BATCHES]
VARIANTS (environment), e.g. "pw21:KERASGEN_PART_WORK=2097152 pw19:KERASGEN_PART_WORK=524288", adds
a kerasgen row per variant (runner kerasgen-<name>, that environment added) at more than one thread.
  python3 run.py ort MODEL.onnx INPUT.npy THREADS BUDGET_S     (one ORT row, a child process)
"""
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def ort_row(model, inp, threads, budget):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    x = np.load(inp)
    feeds = {sess.get_inputs()[0].name: x}
    for _ in range(3):
        sess.run(None, feeds)
    t = []
    t0 = time.perf_counter()
    while len(t) < 500 and (len(t) < 5 or time.perf_counter() - t0 < budget):
        a = time.perf_counter()
        sess.run(None, feeds)
        t.append((time.perf_counter() - a) * 1e3)
    t.sort()
    print(json.dumps({"runner": "ort-python", "ort_version": ort.__version__, "median_ms": statistics.median(t),
                      "min_ms": t[0], "max_ms": t[-1], "n": len(t)}))


def data_dir(m, b):
    d = os.path.join(HERE, "in", m, f"b{b}")
    link = os.path.join(d, "in_0.npy")
    if os.path.lexists(link) and not os.path.exists(link):
        os.remove(link)  # a link made on another machine
    if not os.path.exists(link):
        f = os.path.join(HERE, "in", m, f"input_b{b}.npy")
        if not os.path.exists(f):
            subprocess.run([sys.executable, os.path.join(HERE, "in", "gen_input.py"), m, str(b)], check=True,
                           stdout=subprocess.DEVNULL)
        os.makedirs(d, exist_ok=True)
        os.symlink(f, link)
    return d


def roundtrip(out, p):
    """Appends to OUT/roundtrip.jsonl, before pass p, the cache-line round trip from CPU 0 to
    every CPU (the bundle's roundtrip program): how far apart the cores the pass runs on are
    (BENCHMARKS.md "Session 24")."""
    prog = os.path.join(HERE, "roundtrip")
    if not os.path.exists(prog):
        return
    r = subprocess.run([prog, "-json"], capture_output=True, text=True)
    with open(os.path.join(out, "roundtrip.jsonl"), "a") as f:
        if r.returncode == 0:
            f.write(json.dumps({"pass": p, "time": time.strftime("%H:%M:%S"), **json.loads(r.stdout)}) + "\n")
        else:
            print("FAILED roundtrip", r.stderr[-2000:], file=sys.stderr)


def main():
    out = sys.argv[1]
    passes = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    threads = [int(t) for t in (sys.argv[3] if len(sys.argv) > 3 else "1,2,4,8,16").split(",")]
    models = (sys.argv[4] if len(sys.argv) > 4 else "mlp,cnn,lstm,mobilenetv2,transformer,resnet_small").split(",")
    batches = [int(b) for b in (sys.argv[5] if len(sys.argv) > 5 else "1,32").split(",")]
    variants = []
    for v in os.environ.get("VARIANTS", "").split():
        name, _, kv = v.partition(":")
        variants.append((name, dict(a.split("=", 1) for a in kv.split(","))))
    os.makedirs(out, exist_ok=True)
    for p in range(1, passes + 1):
        roundtrip(out, p)
        with open(os.path.join(out, f"pass{p}.jsonl"), "a") as f:
            for m in models:
                meta = json.load(open(os.path.join(HERE, m, "bench.json")))
                for b in batches:
                    d = data_dir(m, b)
                    for t in threads:
                        row = {"model": m, "batch": b, "threads": t}
                        r = subprocess.run([sys.executable, os.path.abspath(__file__), "ort", os.path.join(HERE, "onnx", m + ".onnx"),
                                            os.path.join(d, "in_0.npy"), str(t), "2"], capture_output=True, text=True)
                        if r.returncode == 0:
                            f.write(json.dumps({**json.loads(r.stdout), **row}) + "\n")
                        else:
                            print("FAILED ort", m, b, t, r.stderr[-2000:], file=sys.stderr)
                        for name, extra in [("", {})] + (variants if t > 1 else []):
                            env = dict(os.environ, GOMAXPROCS=str(t), KERASGEN_THREADS=str(t), **extra)
                            r = subprocess.run([os.path.join(HERE, m, "bench"), d], capture_output=True, text=True, env=env)
                            if r.returncode == 0:
                                k = json.loads(r.stdout)
                                k.update(row, runner=meta["runner"] + (f"-{name}" if name else ""), precision=meta["precision"],
                                         gflops=meta["flops_per_sample"] * b / (k["median_ms"] / 1e3) / 1e9, env=extra)
                                f.write(json.dumps(k) + "\n")
                            else:
                                print("FAILED kerasgen", name, m, b, t, r.stderr[-2000:], file=sys.stderr)
                        f.flush()
    subprocess.run([sys.executable, os.path.join(HERE, "table.py"), out])


if __name__ == "__main__":
    if sys.argv[1] == "ort":
        ort_row(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
    else:
        main()
