#!/bin/bash
# sgemm_ab.sh KG ROUNDS SIZES CFG... — alternate `kerasgen bench --gemm SIZES --json` under
# several environments, ROUNDS rounds of one run each, and print per size and environment the
# median GFLOP/s and the median, min and max share of the core's peak probed beside each run.
#
# Each CFG is a space-separated list of VAR=value assignments ("-" for none), e.g. two trees of
# the runtime (a worktree of the commit before, and this one):
#
#   git worktree add /tmp/old HEAD~1
#   go build -o /tmp/kg ./cmd/kerasgen
#   tools/sgemm_ab.sh /tmp/kg 8 256,512,1024,2048 KERASGEN_ROOT=/tmp/old KERASGEN_ROOT=$PWD
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
kg=$1 rounds=$2 sizes=$3
shift 3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$rounds"); do
  for cfg in "$@"; do
    e=$cfg
    [ "$e" = "-" ] && e=""
    # shellcheck disable=SC2086 # the assignments are meant to split
    env $e "$kg" bench --gemm "$sizes" --json | while read -r l; do echo "$cfg|$l" >>"$out"; done
  done
done
python3 - "$out" <<'PY'
import collections, json, statistics as st, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    cfg, j = line.rstrip("\n").split("|", 1)
    for r in (json.loads(j) if j.startswith("[") else [json.loads(j)]):
        share = 100 * r["gflops"] / r["peak_gflops"] if r.get("peak_gflops") else float("nan")
        d[(r["size"], cfg)].append((r["gflops"], share))
print("| size | environment | GFLOP/s (median) | % of probe: median (min–max) | runs |")
print("|---|---|---|---|---|")
for (size, cfg), v in sorted(d.items()):
    g, p = [a for a, _ in v], [b for _, b in v]
    print(f"| {size} | {cfg} | {st.median(g):.1f} | {st.median(p):.1f} ({min(p):.1f}–{max(p):.1f}) | {len(v)} |")
PY
