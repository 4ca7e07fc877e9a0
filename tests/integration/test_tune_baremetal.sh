#!/usr/bin/env bash
# `vmbench tune` end to end on the bare-metal controls (no VM needed),
# racing open-loop rates of 500, 2000 and 8000 writes/s, so one cell is
# clearly best (4 times the next: a stalled repetition does not blur it):
# - the clearly worse cells are dropped after the first round, with the
#   reason and numbers in tune.json, and the best never is;
# - the winner is the full factorial's (`vmbench run` of the same matrix),
#   with fewer runs (9 against 18), and the results directory is an
#   ordinary one (`vmbench report` reads it) whose report shows when and
#   why each cell was dropped;
# - a tune killed with SIGKILL mid-round and resumed ends the same, runs
#   only the race's runs, and a resume of a finished tune replays the race
#   to the same tune.json without running anything; nothing is left running;
# - bad objectives, limits and budgets are refused before anything runs;
# - --kata FILE is the base of every cell (its memory reaches the matched
#   control), the results directory keeps a copy, and a resume after the
#   user's file is gone races the same cells from that copy.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-tune.XXXXXX)
bg=""
cleanup() {
    if [ -n "$bg" ]; then kill -9 "$bg" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT

base=$((26000 + ($$ % 500) * 4))

matrix() { # name port
    cat <<EOF2
name: $1
repetitions: 6
probe: false # the race is the subject here, not the storage's limits
database:
  port: $2
load:
  connections: 4
  threads: 1
  keys: 500
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, duration: 1s }
    - { op: read, n: 500 }
control:
  baremetal: true
  match_resources: true
matrix:
  load.rate: [500, 2000, 8000]
EOF2
}

assert_nothing_left() { assert_ports_free "$1"; }
results() { find "$1" -name result.json -path '*/rep*' | wc -l; }
id_of_rate() { # dir rate
    for f in "$1"/control/*/config.json; do
        if [ "$(jq -r '.config.load.rate' "$f")" = "$2" ]; then
            jq -r .id "$f"
            return
        fi
    done
}

# ---- bad input: refused, nothing created ----
matrix bad "$base" >"$T/bad.yaml"
expect_2() { # what... (args)
    local what=$1
    shift
    set +e
    "$VMBENCH" tune "$@" 2>"$T/err"
    local rc=$?
    set -e
    [ "$rc" = 2 ] || fail "$what: exit $rc, want 2: $(cat "$T/err")"
}
expect_2 "unknown metric" "$T/bad.yaml" --objective write.speed --out "$T/x"
expect_2 "unknown phase" "$T/bad.yaml" --objective scan.op_rate --out "$T/x"
expect_2 "limit on a rate" "$T/bad.yaml" --objective write.op_rate \
    --limit write.op_rate=5 --out "$T/x"
expect_2 "budget under the first round" "$T/bad.yaml" --objective \
    write.op_rate --only baremetal --budget 8 --out "$T/x"
expect_2 "no objective" "$T/bad.yaml" --out "$T/x"
[ ! -e "$T/x" ] || fail "a refused tune created its directory"
mkdir "$T/notune"
expect_2 "resume of a directory without tune.json" --resume "$T/notune"

# ---- the race ----
matrix race "$base" >"$T/race.yaml"
"$VMBENCH" tune "$T/race.yaml" --objective write.op_rate --only baremetal \
    --out "$T/t1" >"$T/t1.out" 2>"$T/t1.err" ||
    { cat "$T/t1.err"; fail "tune exited $?"; }
assert_nothing_left "$base"
fast=$(id_of_rate "$T/t1" 8000)
[ -n "$fast" ] || fail "no control with rate 8000"
tj="$T/t1/tune.json"
jq -e --arg f "$fast" '.winner.id == $f and .stopped == "separated" and
    .runs == 9 and .factorial_runs == 18' "$tj" >/dev/null ||
    fail "tune.json: $(jq -c '{winner, stopped, runs, factorial_runs, rounds}' "$tj")"
# Round 1 drops the two slower rates, with the reason and the numbers.
jq -e '.rounds | length == 1' "$tj" >/dev/null || fail "rounds"
jq -e '[.rounds[0].cells[] | select(.status == "dropped")] | length == 2 and
    all(.why == "interval" and .median < 2500 and .n == 3)' "$tj" \
    >/dev/null || fail "drops: $(jq -c .rounds "$tj")"
# The best is never dropped, in any round.
jq -e '[.rounds[] | .best as $b | .cells[] |
    select(.id == $b and .status == "dropped")] | length == 0' "$tj" \
    >/dev/null || fail "the best was dropped"
[ "$(results "$T/t1")" = 9 ] || fail "$(results "$T/t1") runs on disk, want 9"
grep -q "^winner: .*load.rate=8000" "$T/t1.out" || fail "winner line"
grep -q "race: 9 runs.*full factorial: 18 runs" "$T/t1.out" ||
    fail "runs line: $(cat "$T/t1.out")"
# An ordinary results directory: the report reads it.
[ -f "$T/t1/report.md" ] || fail "no report"
"$VMBENCH" report "$T/t1" >/dev/null 2>&1 || fail "report of the tune"
# The report says when and why each cell left the race.
grep -q "^## Tune" "$T/t1/report.md" || fail "no tune section in the report"
[ "$(grep -c '| 1 | 3 | .* | dropped (interval) |' "$T/t1/report.md")" = 2 ] ||
    fail "report: $(sed -n '/^## Tune/,$p' "$T/t1/report.md")"

# ---- the full factorial names the same winner ----
"$VMBENCH" run "$T/race.yaml" --only baremetal --no-report --out "$T/full" \
    2>"$T/full.err" || { cat "$T/full.err"; fail "full run"; }
[ "$(results "$T/full")" = 18 ] || fail "full factorial: $(results "$T/full")"
best_full=$(for d in "$T"/full/control/*; do
    med=$(jq -s 'map(.phases[0].op_rate) | sort | (.[2] + .[3]) / 2' \
        "$d"/rep*/result.json)
    echo "$med $(basename "$d")"
done | sort -g | tail -1 | cut -d' ' -f2)
[ "$best_full" = "$fast" ] || fail "full factorial's best $best_full, tune's $fast"

# ---- killed mid-round and resumed ----
"$VMBENCH" tune "$T/race.yaml" --objective write.op_rate --only baremetal \
    --out "$T/t2" >"$T/t2.out" 2>"$T/t2.err" &
bg=$!
for _ in $(seq 1 600); do
    [ -d "$T/t2" ] && [ "$(results "$T/t2")" -ge 4 ] && break
    sleep 0.1
done
kill -9 "$bg"
wait "$bg" 2>/dev/null || true
bg=""
[ "$(results "$T/t2")" -lt 9 ] || fail "the tune finished before the kill"
jq -e '.stopped == null and .winner == null' "$T/t2/tune.json" >/dev/null ||
    fail "killed tune.json: $(jq -c . "$T/t2/tune.json")"
# The servers die with vmbench (parent-death signal).
for _ in $(seq 1 50); do
    listening "$base" || listening $((base + 1)) || break
    sleep 0.1
done
assert_nothing_left "$base"
"$VMBENCH" tune --resume "$T/t2" >"$T/t2r.out" 2>"$T/t2r.err" ||
    { cat "$T/t2r.err"; fail "resume exited $?"; }
assert_nothing_left "$base"
jq -e --arg f "$fast" '.winner.id == $f and .runs == 9 and
    .stopped == "separated" and (.rounds | length) == 1' "$T/t2/tune.json" \
    >/dev/null || fail "resumed tune.json: $(jq -c . "$T/t2/tune.json")"
[ "$(results "$T/t2")" = 9 ] || fail "resumed: $(results "$T/t2") runs"
grep -q "^winner: .*load.rate=8000" "$T/t2r.out" || fail "resumed winner"
# A resume of a finished tune replays the same race and runs nothing.
cp "$T/t2/tune.json" "$T/tune.before"
"$VMBENCH" tune --resume "$T/t2" --no-report >/dev/null 2>"$T/t3.err" 2>&1 ||
    fail "second resume"
expect_2 "resume with settings" --resume "$T/t2" --objective read.p99
cmp -s "$T/tune.before" "$T/t2/tune.json" || fail "replay changed tune.json"
[ "$(results "$T/t2")" = 9 ] || fail "replay ran something"

# ---- --kata: the base of every cell, kept for a resume ----
mkdir "$T/kb"
printf '[hypervisor.qemu]\ndefault_memory = 1024\n' >"$T/kb/configuration.toml"
matrix kb "$base" | sed 's/^  load.rate: .*/  load.rate: [8000]/' >"$T/kb.yaml"
"$VMBENCH" tune "$T/kb.yaml" --objective write.op_rate --only baremetal \
    --kata "$T/kb/configuration.toml" --no-report --out "$T/t4" \
    >"$T/t4.out" 2>"$T/t4.err" || { cat "$T/t4.err"; fail "tune --kata"; }
assert_nothing_left "$base"
cmp -s "$T/kb/configuration.toml" "$T/t4/kata-base.toml" ||
    fail "the Kata base was not kept in the results directory"
jq -e '.kata.base != null' "$T/t4/run.json" >/dev/null ||
    fail "run.json: $(jq -c .kata "$T/t4/run.json")"
jq -e '.config.guest.memory == "1024"' "$T/t4"/control/*/config.json \
    >/dev/null || fail "the base's memory did not reach the control"
runs4=$(results "$T/t4")
cp "$T/t4/tune.json" "$T/tune4.before"
rm -rf "$T/kb" # the user's file is gone (or changed) by the resume
"$VMBENCH" tune --resume "$T/t4" --no-report >/dev/null 2>"$T/t4r.err" ||
    { cat "$T/t4r.err"; fail "resume of tune --kata"; }
cmp -s "$T/tune4.before" "$T/t4/tune.json" || fail "resume changed tune.json"
[ "$(results "$T/t4")" = "$runs4" ] || fail "the resume ran other cells"
expect_2 "--kata with --resume" --resume "$T/t4" --kata "$T/t4/kata-base.toml"
grep -q "^vmbench tune: --kata and --resume cannot be used together$" \
    "$T/err" || fail "--kata with --resume: $(cat "$T/err")"
echo PASS
