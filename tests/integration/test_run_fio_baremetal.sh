#!/usr/bin/env bash
# database.engine: fio on the bare-metal control (no VM needed):
# - two built-in jobs and a user's job file run as phases: every phase has
#   operations and latencies from fio's histogram, the mixed user job
#   keeps reads and writes apart, the job file is copied into the results,
#   fio's job and JSON are kept per phase, the report is drawn, and no fio
#   is left running; a resume runs the user's job from the results' copy;
# - a job file naming a raw device (the typo that overwrites a host disk)
#   is refused by plan and by run with file, line and option, exit 2 and
#   nothing written; a job whose runtime contradicts the phase likewise;
# - a fio that dies, hangs past the phase's deadline or prints something
#   other than its JSON fails the run with fio's own words, killed and
#   gone (a stand-in fio on PATH plays each);
# - a host without fio is told so, with the fix, before anything starts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-run-fio.XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/jobs"

matrix() { # user-job-file
    cat <<EOF
name: fio-bm
repetitions: 1
database:
  engine: fio
guest:
  data_size: 64M
load:
  warmup: 0s
  phases:
    - { op: randread-4k, duration: 1s }
    - { op: fsync-write-4k, duration: 1s }
    - { fio: $1, duration: 1s }
control:
  baremetal: true
  match_resources: true
matrix:
  fio.direct: ["0"]
EOF
}

cp "$VMB_SOURCE_DIR/tests/data/fio/randrw.fio" "$T/jobs/mine.fio"
matrix jobs/mine.fio >"$T/m.yaml"

# ---- a complete run ----
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r" --only baremetal 2>"$T/r.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/r.err"; fail "run exited $rc"; }
cmp -s "$T/jobs/mine.fio" "$T/r/jobs/mine.fio" ||
    fail "the job file is not copied into the results"
ctl=$(jq -r '.controls[0].id' "$T/r/plan.json")
rep="$T/r/control/$ctl/rep1"
res="$rep/result.json"
[ "$(jq -r .status "$res")" = ok ] || fail "control failed: $(jq -r .error "$res")"
[ "$(jq -r '[.phases[].op] | join(",")' "$res")" = \
    "randread-4k,fsync-write-4k,fio-job" ] || fail "phases: $(jq -c '[.phases[].op]' "$res")"
for i in 0 1 2; do
    ops=$(jq -r ".phases[$i].ops" "$res")
    [ "$ops" -gt 0 ] || fail "phase $i has no operations"
    p99=$(jq -r ".phases[$i].latency_us.p99" "$res")
    awk -v v="$p99" 'BEGIN { exit !(v > 0) }' || fail "phase $i has no p99"
done
# vmbench's rate is fio's: ops over fio's runtime, against fio's IOPS.
fio_iops=$(jq '[.jobs[].read.iops] | add' "$rep/fio-0-randread-4k.json")
ours=$(jq '.phases[0].op_rate' "$res")
awk -v a="$ours" -v b="$fio_iops" 'BEGIN { d = a - b; if (d < 0) d = -d;
    exit !(d <= 0.03 * b) }' || fail "op rate $ours against fio's $fio_iops"
# reads and writes of the 70/30 user job kept apart
jq -e '.phases[2].op_rate_by_kind | (.read > 0 and .write > 0)' "$res" \
    >/dev/null || fail "the mixed job's kinds: $(jq -c .phases[2].op_rate_by_kind "$res")"
jq -e '.phases[1].op_rate_by_kind | (has("write") and (has("read") | not))' \
    "$res" >/dev/null || fail "the write job reads"
grep -q '^sync=dsync$' "$rep/fio-1-fsync-write-4k.job" || fail "no sync in the job"
grep -q '^direct=0$' "$rep/fio-2-fio-job.job" || fail "fio.direct not applied"
grep -q "^directory=$T/r/work/" "$rep/fio-2-fio-job.job" ||
    fail "the job does not run in the node's data directory"
for f in latency-0-randread-4k.hgrm latency-2-fio-job.hgrm; do
    [ -s "$rep/$f" ] || fail "missing $f"
done
grep -q "randread-4k for 1 s, fsync-write-4k for 1 s, fio-job for 1 s; fio jobs" \
    "$T/r/report.md" || fail "the report lacks the phases"
ls "$T/r/plots/"*randread-4k* >/dev/null 2>&1 || fail "no chart drawn"
[ ! -e "$T/r/work" ] || [ -z "$(ls -A "$T/r/work")" ] || fail "work left"
if pgrep -f "$T/r/work" >/dev/null; then fail "fio left running"; fi

# ---- a resume reads the results' copy of the job file ----
mv "$T/jobs/mine.fio" "$T/mine.fio.away"
rm -rf "$rep"
"$VMBENCH" run --resume "$T/r" --only baremetal >"$T/resume.out" 2>&1 ||
    { cat "$T/resume.out"; fail "resume failed"; }
[ "$(jq -r .status "$res")" = ok ] || fail "resumed control failed"
grep -q '^rwmixread=70$' "$rep/fio-2-fio-job.job" || fail "resumed job text"
mv "$T/mine.fio.away" "$T/jobs/mine.fio"

# ---- a job file that names a raw device ----
printf '[global]\nbs=4k\n\n[oops]\nrw=write\nfilename=/dev/sda\n' \
    >"$T/jobs/bad.fio"
matrix jobs/bad.fio >"$T/bad.yaml"
for cmd in plan run; do
    args=()
    [ "$cmd" = run ] && args=(--out "$T/bad-$cmd" --only baremetal)
    set +e
    "$VMBENCH" $cmd "$T/bad.yaml" "${args[@]}" >"$T/bad.out" 2>&1
    rc=$?
    set -e
    [ "$rc" = 2 ] || fail "$cmd of a raw-device job exited $rc"
    grep -q 'load.phases\[2\]: .*jobs/bad.fio:6: option "filename" names a file or device' \
        "$T/bad.out" || { cat "$T/bad.out"; fail "$cmd: message"; }
    [ ! -e "$T/bad-$cmd" ] || fail "$cmd wrote results"
done

# ---- a job whose runtime the phase contradicts ----
printf '[j]\nrw=read\nsize=1m\nruntime=5s\n' >"$T/jobs/long.fio"
matrix jobs/long.fio >"$T/long.yaml"
set +e
"$VMBENCH" plan "$T/long.yaml" >"$T/long.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "plan of a conflicting job exited $rc"
grep -q 'jobs/long.fio:4: option "runtime" is "5s" and the phase.s duration is "1s"' \
    "$T/long.out" || { cat "$T/long.out"; fail "conflict message"; }

# ---- a fio that dies, hangs or prints no JSON ----
mkdir -p "$T/fake"
cat >"$T/fake/fio" <<'FAKE'
#!/bin/sh
[ "$1" = --version ] && { echo fio-3.33; exit 0; }
out=
for a; do case $a in --output=*) out=${a#--output=} ;; esac; done
case $FAKE_FIO in
die) echo "fio: engine libaio not loadable" >&2; exit 1 ;;
hang) exec sleep 600 ;;
junk) echo "fio: this is not json" >"$out"; exit 0 ;;
esac
FAKE
chmod +x "$T/fake/fio"
cat >"$T/short.yaml" <<EOF
name: fio-fake
database:
  engine: fio
guest:
  data_size: 64M
load:
  warmup: 0s
  phases:
    - { op: randread-4k, duration: 1s, phase_timeout: 2s }
EOF
for mode in die hang junk; do
    set +e
    FAKE_FIO=$mode PATH="$T/fake:$PATH" "$VMBENCH" run "$T/short.yaml" \
        --out "$T/f-$mode" --only baremetal >"$T/f.out" 2>&1
    rc=$?
    set -e
    [ "$rc" = 1 ] || { cat "$T/f.out"; fail "fake fio $mode: exit $rc"; }
    err=$(jq -r .error "$T/f-$mode"/control/*/rep1/result.json)
    case $mode in
    die) want='fio exited with status 1; output: fio: engine libaio not loadable' ;;
    hang) want='fio did not finish within 2s' ;;
    junk) want='fio printed no JSON: "fio: this is not json' ;;
    esac
    case $err in *"$want"*) ;; *) fail "fake fio $mode: error \"$err\"" ;; esac
    if pgrep -f "$T/f-$mode" >/dev/null || pgrep -f "sleep 600" -P $$ >/dev/null
    then fail "fake fio $mode left running"; fi
done

# ---- no fio on the host ----
mkdir -p "$T/bin"
set +e
PATH="$T/bin" "$VMBENCH" run "$T/m.yaml" --out "$T/nofio" --only baremetal \
    >"$T/nofio.out" 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$T/nofio.out"; fail "run without fio exited $rc"; }
grep -q 'database.engine fio needs "fio" on this host' "$T/nofio.out" ||
    { cat "$T/nofio.out"; fail "no fio: message"; }
grep -q 'apt-get install fio' "$T/nofio.out" || fail "no fio: no fix"
[ ! -e "$T/nofio" ] || fail "a run without fio wrote results"
echo "ok"
