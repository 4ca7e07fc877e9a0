#!/usr/bin/env bash
# A matrix run as 2 shards and merged is the matrix run whole (bare-metal
# controls only, so no VM is needed; the VM cells' path through the
# partition and merge is the same code):
# - the merged directory has the same cells, controls, ids and
#   repetitions as the whole run, every run ok;
# - the first control ran on both shards; the copy of the shard that
#   does not own it is kept under hosts/shard-K/, not as the control;
# - every shard's provenance is kept, and run.json says which shard ran
#   which cell;
# - report, compare and kata-config read the merged directory; the
#   report's Hosts section lists each cell's host and flags a host whose
#   calibration differs beyond the noise; compare warns of a cell whose
#   host changed;
# - a missing shard is refused and named, and merged with --partial;
# - nothing is left listening.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-merge-bm.XXXXXX)
trap 'rm -rf "$T"' EXIT
base=$((25000 + ($$ % 500) * 4))

cat >"$T/m.yaml" <<YAML
name: merge-bm
repetitions: 2
database:
  port: $base
load:
  connections: 4
  threads: 1
  keys: 500
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, n: 1000 }
    - { op: read, n: 1000 }
control:
  baremetal: true
  match_resources: true
matrix:
  vcpus: [1, 2]
YAML

run() { # out [args...]
    local out=$1 rc=0
    shift
    "$VMBENCH" run "$T/m.yaml" --only baremetal --no-report --out "$out" "$@" \
        2>"$out.err" || rc=$?
    [ "$rc" = 0 ] || { cat "$out.err"; fail "run $* exited $rc"; }
}
run "$T/whole"
run "$T/s0" --shard 0/2
run "$T/s1" --shard 1/2

"$VMBENCH" merge "$T/merged" "$T/s1" "$T/s0" >"$T/merge.out" ||
    fail "merge exited $?"
grep -q "merged 2 of 2 shards" "$T/merge.out" || fail "$(cat "$T/merge.out")"

# Same cells, controls and ids; the same runs, each ok.
for k in cells controls; do
    a=$(jq -c "[.$k[].id] | sort" "$T/whole/plan.json")
    b=$(jq -c "[.$k[].id] | sort" "$T/merged/plan.json")
    [ "$a" = "$b" ] || fail "$k differ: whole $a, merged $b"
done
[ "$(jq .repetitions "$T/merged/plan.json")" = 2 ] || fail "repetitions"
runs() { (cd "$1" && find cells control -name result.json | sort); }
[ "$(runs "$T/whole")" = "$(runs "$T/merged")" ] ||
    fail "runs differ: $(runs "$T/whole") vs $(runs "$T/merged")"
[ "$(runs "$T/merged" | wc -l)" = 4 ] || fail "expected 4 runs"
for f in $(cd "$T/merged" && find cells control -name result.json); do
    [ "$(jq -r .status "$T/merged/$f")" = ok ] || fail "$f not ok"
done
[ "$(jq .runs.total "$T/merged/run.json")" = \
    "$(jq .runs.total "$T/whole/run.json")" ] || fail "runs.total"
[ "$(jq .runs.ok "$T/merged/run.json")" = 4 ] || fail "runs.ok"

# The calibration: the first control ran on both shards; the copy of the
# shard that does not own it is kept beside that shard's provenance.
first=$(jq -r '.controls[0].id' "$T/whole/plan.json")
owner=$(jq -r --arg id "$first" \
    '.merged.shards[] | select(.controls | index($id)) | .index' \
    "$T/merged/run.json")
other=$((1 - owner))
[ "$(jq -r ".merged.shards[] | select(.index == $other) | .calibration" \
    "$T/merged/run.json")" = "$first" ] || fail "calibration not recorded"
for r in 1 2; do
    [ -f "$T/merged/hosts/shard-$other/control/$first/rep$r/result.json" ] ||
        fail "calibration copy rep$r of shard $other missing"
    cmp -s "$T/s$owner/control/$first/rep$r/result.json" \
        "$T/merged/control/$first/rep$r/result.json" ||
        fail "the control is not the owner's copy"
done
for k in 0 1; do
    cmp -s "$T/s$k/run.json" "$T/merged/hosts/shard-$k/run.json" ||
        fail "shard $k provenance not kept"
    [ "$(jq -r ".merged.shards[$k].host.hostname" "$T/merged/run.json")" = \
        "$(hostname)" ] || fail "shard $k host"
done

# The readers work on it.
"$VMBENCH" report "$T/merged" >/dev/null 2>"$T/report.err" ||
    { cat "$T/report.err"; fail "report on the merged directory"; }
[ -s "$T/merged/report.md" ] || fail "no report.md"
rc=0
"$VMBENCH" compare "$T/whole" "$T/merged" >"$T/cmp.out" 2>&1 || rc=$?
[ "$rc" != 2 ] || { cat "$T/cmp.out"; fail "compare refused the merge"; }
cell=$(jq -r '.cells[0].id' "$T/merged/plan.json")
"$VMBENCH" kata-config "$T/merged" "$cell" >/dev/null ||
    fail "kata-config on the merged directory"

# The report's Hosts section: each cell's shard and host.
grep -q '^## Hosts' "$T/merged/report.md" || fail "no Hosts section"
for id in $(jq -r '.cells[].id, .controls[].id' "$T/merged/plan.json"); do
    k=$(jq -r --arg id "$id" \
        '.merged.shards[] | select((.cells + .controls) | index($id)) | .index' \
        "$T/merged/run.json")
    grep -q "^| $id | .* | $k | $(hostname) |" "$T/merged/report.md" ||
        fail "cell $id not listed with shard $k"
done

# The flag compares the hosts' intervals: with op rates set (1000 and
# 1010 per second on the owner's copy; the same, then half, on the
# calibration copy), alike hosts are not flagged and the slower one is.
setrate() { # dir shard-copy rep rate
    local f=$1/$2/control/$first/rep$3/result.json
    jq --argjson v "$4" '.phases |= map(.op_rate = $v)' "$f" >"$f.new"
    mv "$f.new" "$f"
}
for d in same slow; do
    cp -r "$T/merged" "$T/$d"
    rm -f "$T/$d/report.md"
    setrate "$T/$d" . 1 1000
    setrate "$T/$d" . 2 1010
done
setrate "$T/same" "hosts/shard-$other" 1 1000
setrate "$T/same" "hosts/shard-$other" 2 1010
setrate "$T/slow" "hosts/shard-$other" 1 500
setrate "$T/slow" "hosts/shard-$other" 2 505
for d in same slow; do
    "$VMBENCH" report "$T/$d" >/dev/null 2>&1 || fail "report on $d"
done
grep -q "Hosts differ by more than the noise" "$T/same/report.md" &&
    fail "alike hosts flagged"
grep -q "Hosts differ by more than the noise: 0-write on shard $other" \
    "$T/slow/report.md" || fail "a slower host is not flagged"

# compare warns when a cell's host changed, and only then.
jq --arg o "$owner" \
    '(.merged.shards[] | select(.index == ($o | tonumber)) | .host.hostname) = "elsewhere"' \
    "$T/slow/run.json" >"$T/run.json.new" && mv "$T/run.json.new" "$T/slow/run.json"
"$VMBENCH" compare "$T/merged" "$T/slow" >/dev/null 2>"$T/cmp.err" || true
grep -q "($first) ran on host \"$(hostname)\" in A and on \"elsewhere\" in B" \
    "$T/cmp.err" || fail "no warning of the changed host: $(cat "$T/cmp.err")"
"$VMBENCH" compare "$T/whole" "$T/merged" >/dev/null 2>"$T/cmp.err" || true
! grep -q "ran on host" "$T/cmp.err" || fail "warned with the same host"

# A missing shard is named; --partial merges the rest.
rc=0
"$VMBENCH" merge "$T/part" "$T/s0" 2>"$T/part.err" || rc=$?
[ "$rc" = 2 ] || fail "a missing shard: exit $rc"
grep -q "shard 1 of 2 is missing" "$T/part.err" || fail "$(cat "$T/part.err")"
[ ! -e "$T/part" ] || fail "a refused merge created its directory"
"$VMBENCH" merge "$T/part" "$T/s0" --partial >/dev/null 2>&1 ||
    fail "--partial"

assert_ports_free "$base"
echo ok
