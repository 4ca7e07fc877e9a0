#!/usr/bin/env bash
# `vmbench run` end to end on the bare-metal control alone (no VM needed):
# - a run writes a complete results directory and its report: op counts
#   equal n per phase,
#   every run has numbers, the time series adds up, the control's pinning
#   and memory cap are recorded, and nothing is left running;
# - a database option Redis rejects fails that control with Redis's own
#   message while the other completes, and the exit status is 1;
# - --out never overwrites an existing directory;
# - a run killed with SIGKILL mid-way resumes to the same set of results as
#   a run that was never interrupted, and the resume is noted in run.json;
#   `--resume --dry-run` changes nothing; the resume rewrites cell files
#   the killed run had not written;
# - Ctrl-C (SIGINT) stops cleanly, keeps finished runs, and resumes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-run-bm.XXXXXX)
bg=""
cleanup() {
    if [ -n "$bg" ]; then kill -9 "$bg" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT

# Ports of this test, apart from other tests on the same host.
base=$((24000 + ($$ % 500) * 4))

matrix() { # name port phase_n repetitions [extra yaml for the matrix: section]
    cat <<EOF
name: $1
repetitions: $4
database:
  port: $2
load:
  connections: 4
  threads: 1
  keys: 500
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, n: $3 }
    - { op: read, n: $3 }
control:
  baremetal: true
  match_resources: true
matrix:
  vcpus: [1]
${5:-}
EOF
}

assert_nothing_left() { assert_ports_free "$1"; }

wait_for() { # file timeout_s
    local i
    for i in $(seq 1 $(($2 * 10))); do
        [ -e "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# ---- a complete run ----
matrix basic "$base" 2000 1 >"$T/basic.yaml"
set +e
"$VMBENCH" run "$T/basic.yaml" --out "$T/r1" --only baremetal 2>"$T/r1.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/r1.err"; fail "run exited $rc"; }
# The report is generated at the end of the run.
for f in matrix.yaml run.json plan.json summary.csv report.md; do
    [ -f "$T/r1/$f" ] || fail "missing $f"
done
cmp -s "$T/basic.yaml" "$T/r1/matrix.yaml" || fail "matrix.yaml is not a copy"
ctl=$(jq -r '.controls[0].id' "$T/r1/plan.json")
cell=$(jq -r '.cells[0].id' "$T/r1/plan.json")
[ -f "$T/r1/cells/$cell/config.json" ] || fail "missing cell config.json"
[ -f "$T/r1/cells/$cell/kata-configuration.toml" ] || fail "missing kata toml"
[ -f "$T/r1/control/$ctl/config.json" ] || fail "missing control config.json"
d="$T/r1/control/$ctl/rep1"
for f in result.json timeseries.csv latency-0-write.hgrm latency-1-read.hgrm \
    node1.db.log node2.db.log; do
    [ -s "$d/$f" ] || fail "missing or empty $d/$f"
done
r="$d/result.json"
[ "$(jq -r .status "$r")" = ok ] || fail "status: $(jq -r .error "$r")"
[ "$(jq -r .kind "$r")" = baremetal ] || fail "kind"
[ "$(jq '.phases | length' "$r")" = 2 ] || fail "phases"
for i in 0 1; do
    [ "$(jq ".phases[$i].ops" "$r")" = 2000 ] || fail "phase $i ops $(jq ".phases[$i].ops" "$r")"
    [ "$(jq ".phases[$i].errors" "$r")" = 0 ] || fail "phase $i errors"
    jq -e ".phases[$i].op_rate > 0 and .phases[$i].latency_us.p99 > 0" "$r" \
        >/dev/null || fail "phase $i has no numbers"
done
jq -e '.replication_lag_s >= 0' "$r" >/dev/null || fail "no replication lag"
jq -e '.control_applied.cpus == "0" and .control_applied.nodes.node2.cpus == "1"' \
    "$r" >/dev/null || fail "pinning not recorded: $(jq -c .control_applied "$r")"
jq -e '.control_applied.memory_max_bytes == 2147483648' "$r" >/dev/null ||
    fail "memory cap not recorded: $(jq -c .control_applied "$r")"
# The series adds up to each phase's operations.
for ph in 0-write 1-read; do
    sum=$(awk -F, -v p="$ph" '$1 == p { s += $4 } END { print s + 0 }' "$d/timeseries.csv")
    [ "$sum" = 2000 ] || fail "timeseries of $ph sums to $sum"
done
jq -e '.runs.ok == 1 and .runs.failed == 0 and .finished != null and
       (.resumed | length) == 0 and .host.kernel != null and
       .versions.redis != null' "$T/r1/run.json" >/dev/null ||
    fail "run.json: $(jq -c . "$T/r1/run.json")"
grep -q "runs ok" "$T/r1.err" || fail "no summary line"
[ ! -e "$T/r1/work" ] || fail "work directory left behind"
assert_nothing_left "$base"

# ---- --out never overwrites ----
set +e
"$VMBENCH" run "$T/basic.yaml" --out "$T/r1" --only baremetal 2>"$T/out.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "--out over an existing directory exited $rc"
grep -q "already exists" "$T/out.err" || fail "message: $(cat "$T/out.err")"
[ "$(jq -r .status "$r")" = ok ] || fail "existing results were touched"

# ---- a rejected option fails its control only, with Redis's message ----
matrix rejected $((base + 2)) 500 1 '  database.save: ["", "bogus"]' >"$T/rej.yaml"
set +e
"$VMBENCH" run "$T/rej.yaml" --out "$T/r2" --only baremetal --no-report \
    2>"$T/r2.err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$T/r2.err"; fail "rejected option: exit $rc, not 1"; }
ok=0; bad=0
for r in "$T"/r2/control/*/rep1/result.json; do
    case "$(jq -r .status "$r")" in
    ok) ok=$((ok + 1)) ;;
    failed)
        bad=$((bad + 1))
        jq -r .error "$r" | grep -q "Invalid save parameters" ||
            fail "error lacks Redis's message: $(jq -r .error "$r")"
        [ -s "$(dirname "$r")/node1.db.log" ] || fail "failed run kept no log"
        ;;
    esac
done
[ "$ok" = 1 ] && [ "$bad" = 1 ] || fail "ok=$ok failed=$bad, wanted 1 and 1"
grep -q "failed runs:" "$T/r2.err" || fail "no list of failures"
grep -q "Invalid save parameters" "$T/r2.err" || fail "failure list lacks the reason"
assert_nothing_left $((base + 2))

# ---- SIGKILL mid-way, then --resume ----
matrix resume $((base + 2)) 20000 3 >"$T/res.yaml"
"$VMBENCH" run "$T/res.yaml" --out "$T/r3" --only baremetal --no-report \
    2>"$T/r3.err" &
bg=$!
ctl=""
for i in $(seq 1 300); do
    ctl=$(jq -r '.controls[0].id' "$T/r3/plan.json" 2>/dev/null || true)
    [ -n "$ctl" ] && [ -e "$T/r3/control/$ctl/rep1/result.json" ] && break
    sleep 0.1
done
[ -e "$T/r3/control/$ctl/rep1/result.json" ] || fail "first run never finished"
# Kill inside the second run, once its servers are up.
for i in $(seq 1 100); do
    listening $((base + 2)) && break
    sleep 0.05
done
kill -9 "$bg"
wait "$bg" 2>/dev/null || true
bg=""
[ ! -e "$T/r3/control/$ctl/rep3/result.json" ] || fail "killed too late"
# The servers die with vmbench (parent-death signal).
for i in $(seq 1 50); do
    listening $((base + 2)) || listening $((base + 3)) || break
    sleep 0.1
done
assert_nothing_left $((base + 2))
# A dry run of the resume changes nothing: leftovers and all stay.
mkdir -p "$T/r3/work/leftover"
echo partial >"$T/r3/plan.json.tmp.abc123"
(cd "$T/r3" && find . | sort) >"$T/r3.before"
"$VMBENCH" run --resume "$T/r3" --dry-run >/dev/null 2>&1 ||
    fail "resume --dry-run failed"
(cd "$T/r3" && find . | sort) >"$T/r3.after"
diff "$T/r3.before" "$T/r3.after" || fail "resume --dry-run changed the directory"
# Cell files the killed run had not written are written by the resume.
rm "$T/r3/control/$ctl/config.json"
"$VMBENCH" run --resume "$T/r3" --only baremetal --no-report 2>"$T/r3b.err" ||
    { cat "$T/r3b.err"; fail "resume exited $?"; }
grep -Eq "^vmbench: [12] of 6 runs to do" "$T/r3b.err" || fail "resume: $(head -1 "$T/r3b.err")"
jq -e '(.resumed | length) == 1 and .runs.ok == 3' "$T/r3/run.json" >/dev/null ||
    fail "run.json after resume: $(jq -c '{resumed, runs}' "$T/r3/run.json")"
[ -s "$T/r3/control/$ctl/config.json" ] || fail "resume did not rewrite config.json"
[ ! -e "$T/r3/plan.json.tmp.abc123" ] && [ ! -e "$T/r3/work" ] ||
    fail "resume left the killed run's temporary files"
# A group of a vmbench in another pid namespace (a container beside this
# one) is not this namespace's to judge: its pid says nothing here.
cg2=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
other=/sys/fs/cgroup${cg2%/}/vmbench-4194000-ns1-node1
mkdir "$other" 2>/dev/null || other=""
# The same results as a run that was never interrupted.
"$VMBENCH" run "$T/res.yaml" --out "$T/r4" --only baremetal --no-report \
    2>"$T/r4.err" || fail "uninterrupted run failed"
if [ -n "$other" ]; then
    [ -d "$other" ] || fail "another pid namespace's cgroup was removed"
    rmdir "$other"
fi
(cd "$T/r3" && find . -type f | sort) >"$T/r3.files"
(cd "$T/r4" && find . -type f | sort) >"$T/r4.files"
diff "$T/r3.files" "$T/r4.files" || fail "resumed results differ from uninterrupted ones"
for r in "$T"/r3/control/*/rep*/result.json; do
    [ "$(jq -r .status "$r")" = ok ] || fail "$r not ok"
    [ "$(jq '.phases[0].ops' "$r")" = 20000 ] || fail "$r ops"
done
killed_groups=$(find /sys/fs/cgroup -maxdepth 4 -name "vmbench-*" 2>/dev/null | wc -l)
[ "$killed_groups" = 0 ] || fail "cgroups left: $(find /sys/fs/cgroup -maxdepth 4 -name 'vmbench-*')"

# ---- Ctrl-C stops cleanly and keeps finished work ----
"$VMBENCH" run "$T/res.yaml" --out "$T/r5" --only baremetal --no-report \
    2>"$T/r5.err" &
bg=$!
wait_for "$T/r5/control/$ctl/rep1/result.json" 60 || fail "r5 first run"
kill -INT "$bg"
set +e
wait "$bg"
rc=$?
set -e
bg=""
[ "$rc" = 1 ] || fail "Ctrl-C exit status $rc"
grep -q "interrupted" "$T/r5.err" || fail "no interrupted message"
jq -e '.interrupted == true and .runs.ok >= 1' "$T/r5/run.json" >/dev/null ||
    fail "run.json after Ctrl-C: $(jq -c '{interrupted, runs}' "$T/r5/run.json")"
assert_nothing_left $((base + 2))
if [ -d "$T/r5/work" ] && [ -n "$(ls -A "$T/r5/work")" ]; then
    fail "work directory left after Ctrl-C"
fi
"$VMBENCH" run --resume "$T/r5" --only baremetal --no-report 2>"$T/r5b.err" ||
    fail "resume after Ctrl-C"
jq -e '.interrupted == false and .runs.ok == 3' "$T/r5/run.json" >/dev/null ||
    fail "run.json after the second resume"

# ---- a Kata base file by a path relative to the matrix: kept for resume ----
mkdir -p "$T/kb/kata"
cp "$VMB_SOURCE_DIR/tests/golden/kata/configuration.toml" "$T/kb/kata/"
{ echo "kata: kata/configuration.toml"; matrix kb $((base + 2)) 200 2; } \
    >"$T/kb/m.yaml"
"$VMBENCH" run "$T/kb/m.yaml" --out "$T/r6" --only baremetal --no-report \
    2>"$T/r6.err" || fail "run on a Kata base: $(cat "$T/r6.err")"
cmp -s "$T/kb/kata/configuration.toml" "$T/r6/kata-base.toml" ||
    fail "the Kata base file is not kept in the results"
rm -rf "$T/kb/kata" # the user's file is gone (or changed) by the resume
rm "$T"/r6/control/*/rep2/result.json
"$VMBENCH" run --resume "$T/r6" --only baremetal --no-report 2>"$T/r6b.err" ||
    fail "resume without the user's Kata file: $(cat "$T/r6b.err")"
jq -e '.runs.ok == 2' "$T/r6/run.json" >/dev/null ||
    fail "run.json after the resume: $(jq -c .runs "$T/r6/run.json")"
assert_nothing_left $((base + 2))
echo "ok"
