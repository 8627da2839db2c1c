#!/bin/bash
# sgemm_vs_openblas.sh: kerasgen's sgemm against OpenBLAS's on the same core, alternated.
#
# A reference for BENCHMARKS.md's sgemm rows: each round times `kerasgen bench --gemm`
# (which reports the core's FMA peak probed beside it), then numpy.matmul on float32
# through OpenBLAS with one thread, then a probe alone; it prints the medians and each one's
# share of the probe. OpenBLAS runs its Cooperlake (AVX-512) kernels, which it picks on this
# Zen 5 by itself, or those OPENBLAS_CORE names; the OPENBLAS_* settings an environment may
# carry (a core type, an L2 size) are dropped.
#
# Needs Debian's numpy and OpenBLAS (apt-get install -y python3-numpy libopenblas0-pthread,
# which makes OpenBLAS numpy's BLAS) and a kerasgen binary:
#
#	go build -o /tmp/kg ./cmd/kerasgen && tools/sgemm_vs_openblas.sh /tmp/kg [rounds] [sizes]
set -euo pipefail
kg=${1:?usage: sgemm_vs_openblas.sh KERASGEN [ROUNDS] [SIZES]}
rounds=${2:-4}
sizes=${3:-512,1024,2048}
py=/usr/bin/python3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$rounds"); do
	"$kg" bench --gemm "$sizes" --json | sed 's/^/kg /' >>"$out"
	env -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OPENBLAS_CORETYPE="${OPENBLAS_CORE:-Cooperlake}" SIZES="$sizes" \
		"$py" - >>"$out" <<'PY'
import os, time
import numpy as np
for n in map(int, os.environ["SIZES"].split(",")):
    a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
    c = np.empty((n, n), np.float32)
    for _ in range(3):
        np.matmul(a, b, out=c)
    ts = []
    for _ in range(max(5, int(2e9 / (2 * n**3)))):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        ts.append(time.perf_counter() - t)
    ts.sort()
    print(f"ob {n} {2 * n**3 / ts[len(ts) // 2] / 1e9}")
PY
	"$kg" bench --gemm 128 --json | sed 's/^/probe /' >>"$out"
done
"$py" - "$out" <<'PY'
import collections, json, statistics as st, sys
kg, ob, probes = collections.defaultdict(list), collections.defaultdict(list), []
for line in open(sys.argv[1]):
    tag, rest = line.split(" ", 1)
    if tag == "kg":
        j = json.loads(rest)
        kg[j["size"]].append((j["gflops"], j["peak_gflops"]))
    elif tag == "probe":
        probes.append(json.loads(rest)["peak_gflops"])
    else:
        n, g = rest.split()
        ob[int(n)].append(float(g))
pm = st.median(probes)
print(f"probes alone: {', '.join(f'{p:.0f}' for p in probes)} GFLOP/s (median {pm:.0f})")
print("| size | kerasgen GFLOP/s | % of its probe | OpenBLAS GFLOP/s | % of the probes' median | kerasgen / OpenBLAS |")
print("|---|---|---|---|---|---|")
for n in sorted(kg):
    g = st.median(a for a, _ in kg[n])
    s = st.median(100 * a / b for a, b in kg[n])
    o = st.median(ob[n])
    print(f"| {n} | {g:.1f} | {s:.1f}% | {o:.1f} | {100 * o / pm:.1f}% | {g / o:.3f} |")
PY
