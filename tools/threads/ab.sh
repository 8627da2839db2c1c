#!/bin/bash
# ab.sh THREADS ROUNDS DIR... — alternate saved timing programs (`kerasgen bench MODEL --input X
# --save DIR`, one DIR per build) at THREADS threads, ROUNDS rounds of one process each, and
# print each round's medians with the round trip of a cache line between CPU 0 and CPU 1
# (tools/threads/roundtrip) before and after it; then, per program, the median of all rounds,
# of those with both round trips under 200 ns ("near") and of those with both over 300 ns
# ("far"). On the Zen 5 VMs the two vCPUs sit now on one core complex (~80–130 ns), now on two
# (~400 ns and more), for seconds to minutes at a time (BENCHMARKS.md "Session 24"). E.g.:
#
#   git worktree add /tmp/old HEAD~1
#   KERASGEN_ROOT=/tmp/old kerasgen bench M --input X --save /tmp/A
#   kerasgen bench M --input X --save /tmp/B
#   tools/threads/ab.sh 2 24 /tmp/A /tmp/B
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
threads=$1 rounds=$2
shift 2
rt=$(mktemp)
out=$(mktemp)
trap 'rm -f "$rt" "$out"' EXIT
(cd "$(dirname "$0")/roundtrip" && go build -o "$rt" .)
trip() { "$rt" -json 0 1 | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["max_ns"]))'; }
for _ in $(seq "$rounds"); do
  before=$(trip)
  line=""
  for d in "$@"; do
    ms=$(GOMAXPROCS=$threads KERASGEN_THREADS=$threads "$d/bench" "$d/data" | python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["median_ms"])')
    line="$line $ms"
  done
  after=$(trip)
  echo "$before $after$line" | tee -a "$out"
done
python3 - "$out" "$@" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1])]
for name, keep in (("all", lambda a, b: True), ("near (< 200 ns)", lambda a, b: a < 200 and b < 200), ("far (> 300 ns)", lambda a, b: a > 300 and b > 300)):
    sel = [r for r in rows if keep(float(r[0]), float(r[1]))]
    if sel:
        print(name, len(sel), "rounds:", "  ".join("%s %.3f ms" % (d, st.median(float(r[2 + i]) for r in sel)) for i, d in enumerate(sys.argv[2:])))
PY
