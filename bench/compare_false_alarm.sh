#!/usr/bin/env bash
# How often `vmbench compare` cries wolf: runs the same bare-metal matrix
# twice on an unchanged host (five controls that differ in connection
# count, four phases each: 20 cell/phase pairs, 3 repetitions a side) and
# compares the second run with the first at the default metrics, threshold
# and alpha. A cell/phase pair is a false alarm when any of its metrics is
# called slower. The target (issue 15): no regression in at least 19 of 20
# pairs. Prints the host's load average before and after, since a host
# that changed between the runs is no longer "unchanged".
#
#   bench/compare_false_alarm.sh [VMBENCH] [ROUNDS]   (default build/vmbench, 1)
#
# Each round is a fresh pair of runs. Needs redis-server; binds loopback
# ports 27000 and up. VMB_BENCH_KEEP=1 keeps the results directories.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/vmbench}
rounds=${2:-1}
[ -x "$bin" ] || { echo "no vmbench binary at $bin" >&2; exit 2; }
command -v jq >/dev/null || { echo "needs jq" >&2; exit 2; }
dir=$(mktemp -d /tmp/vmb-false-alarm.XXXXXX)
[ -n "${VMB_BENCH_KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT
echo "results in $dir"

cat >"$dir/matrix.yaml" <<EOF2
name: false-alarm
repetitions: 3
database:
  port: $((27000 + ($$ % 200) * 4))
load:
  threads: 1
  keys: 10000
  value_size: 128
  warmup: 1s
  phases:
    - { op: write, duration: 2s }
    - { op: read, duration: 2s }
    - { op: mixed, duration: 2s }
    - { op: read, n: 20000 }
control:
  baremetal: true
  match_resources: true
matrix:
  load.connections: [1, 2, 4, 8, 16]
EOF2

total=0
alarms=0
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
    for side in a b; do
        "$bin" run "$dir/matrix.yaml" --only control --no-report \
            --out "$dir/$r-$side" >"$dir/$r-$side.log" 2>&1 ||
            { echo "run $r-$side failed:"; tail -5 "$dir/$r-$side.log"; exit 2; }
    done
    rc=0
    "$bin" compare "$dir/$r-a" "$dir/$r-b" --json "$dir/$r.json" \
        >"$dir/$r.txt" || rc=$?
    [ "$rc" -le 1 ] || { cat "$dir/$r.txt"; exit 2; }
    pairs=$(jq '[.rows[] | "\(.id_a)/\(.phase)"] | unique | length' "$dir/$r.json")
    bad=$(jq '[.rows[] | select(.verdict == "slower") | "\(.id_a)/\(.phase)"]
              | unique | length' "$dir/$r.json")
    fast=$(jq '[.rows[] | select(.verdict == "faster") | "\(.id_a)/\(.phase)"]
              | unique | length' "$dir/$r.json")
    echo "round $r: $bad of $pairs cell/phase pairs called slower ($fast faster)"
    jq -r '.rows[] | select(.verdict == "slower")
           | "  \(.label) \(.phase) \(.metric): ratio \(.ratio) [\(.ratio_lo), \(.ratio_hi)] p=\(.p)"' \
        "$dir/$r.json" 2>/dev/null || true
    total=$((total + pairs))
    alarms=$((alarms + bad))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
ok=$((total - alarms))
echo "no regression in $ok of $total cell/phase pairs"
# At least 19 of every 20: ok * 20 >= total * 19.
[ $((ok * 20)) -ge $((total * 19)) ]
