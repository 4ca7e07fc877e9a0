#!/usr/bin/env bash
# The host: section (KSM, transparent huge pages) on the bare-metal
# control, whose runs are seconds long (the settings are host-wide, a VM
# cell applies them the same way):
# - plan shows which cells change which host settings;
# - with host.ksm: [false, true] and host.thp: never, each run has its
#   cell's values while it runs (sampled from /sys), records them in its
#   result.json (run.json has the host's own), and the host's values are
#   back after the run;
# - a run interrupted with Ctrl-C restores them on its way out;
# - a run killed with SIGKILL leaves them changed and its journal in
#   /var/lib/vmbench; the next `vmbench run`, which changes nothing
#   itself, restores them and says so;
# - a second run that would change them while one holds them is refused,
#   and `doctor --restore` leaves a live run's settings alone.
# The host's values are put back by the trap whatever happens.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

KSM=/sys/kernel/mm/ksm/run
THP=/sys/kernel/mm/transparent_hugepage/enabled
JOURNAL=/var/lib/vmbench/host-settings.journal
[ -w "$KSM" ] && [ -w "$THP" ] || fail "this test needs root and $KSM, $THP"
ksm0=$(cat "$KSM")
thp0=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP")
T=$(mktemp -d /tmp/vmb-test-host-settings.XXXXXX)
pid=
cleanup() {
    [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null || true
    echo "$ksm0" >"$KSM"
    echo "$thp0" >"$THP"
    rm -f "$JOURNAL"
    rm -rf "$T"
}
trap cleanup EXIT
[ ! -e "$JOURNAL" ] || fail "a journal is already there: $(cat "$JOURNAL")"
thp_now() { sed 's/.*\[\(.*\)\].*/\1/' "$THP"; }
base=$((27000 + ($$ % 500) * 8))

matrix() { # file port duration ksm-axis
    cat >"$1" <<YAML
name: host-settings
repetitions: 1
probe: false
database:
  port: $2
load:
  connections: 2
  threads: 1
  keys: 500
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, n: 1000 }
    - { op: read, duration: $3 }
control:
  baremetal: true
guest:
  vcpus: 1
  memory: 256M
$4
YAML
}

# 1. Applied during each run, recorded, restored after.
matrix "$T/m.yaml" "$base" 3s "host:
  thp: never
matrix:
  host.ksm: [false, true]"
"$VMBENCH" plan "$T/m.yaml" >"$T/plan.out" 2>/dev/null || true
grep -q "host settings, applied before each run and restored after: host.ksm=on host.thp=never" \
    "$T/plan.out" || fail "plan does not show the host settings: $(cat "$T/plan.out")"
"$VMBENCH" run "$T/m.yaml" --out "$T/r" --only baremetal 2>"$T/run.err" &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
    echo "$(cat "$KSM") $(thp_now)" >>"$T/seen"
    sleep 0.2
done
wait "$pid" || { cat "$T/run.err"; fail "run exited $?"; }
pid=
grep -qx "1 never" "$T/seen" || fail "ksm on and thp never never seen: $(sort -u "$T/seen")"
[ "$(cat "$KSM")" = "$ksm0" ] || fail "ksm is $(cat "$KSM") after the run, was $ksm0"
[ "$(thp_now)" = "$thp0" ] || fail "thp is $(thp_now) after the run, was $thp0"
[ ! -e "$JOURNAL" ] || fail "the journal outlived the run"
# run.json: the host's own, as the session found it.
jq -e --arg k "$ksm0" --arg t "$thp0" '.host.ksm == $k and .host.thp == $t' "$T/r/run.json" >/dev/null ||
    fail "run.json host: $(jq -c .host "$T/r/run.json")"
for v in off:0 on:1; do
    id=$(jq -r --arg l "host.ksm=${v%:*}" '.controls[] | select(.label | contains($l)) | .id' "$T/r/plan.json")
    jq -e --arg k "${v#*:}" '.status == "ok" and .host_settings.ksm == $k and
        .host_settings.thp == "never"' "$T/r/control/$id/rep1/result.json" >/dev/null ||
        fail "result of host.ksm=${v%:*}: $(jq -c '{status, error, host_settings}' "$T/r/control/$id/rep1/result.json")"
done

# 2. Ctrl-C (SIGINT) in the middle of a run: torn down, then restored.
matrix "$T/i.yaml" $((base + 6)) 60s "host:
  thp: never"
"$VMBENCH" run "$T/i.yaml" --out "$T/i" --only baremetal 2>"$T/i.err" &
pid=$!
for _ in $(seq 1 300); do
    [ "$(thp_now)" = never ] && grep -q "1-read" "$T/i.err" && break
    sleep 0.1
done
[ "$(thp_now)" = never ] || { cat "$T/i.err"; fail "thp never not applied"; }
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
[ "$rc" != 0 ] || fail "an interrupted run exited 0"
[ "$(thp_now)" = "$thp0" ] || fail "thp is $(thp_now) after Ctrl-C, was $thp0"
[ ! -e "$JOURNAL" ] || fail "the journal outlived an interrupted run"

# 3. SIGKILL: left changed with its journal; a second changer is refused
# meanwhile; the next run restores.
matrix "$T/k.yaml" $((base + 2)) 60s "host:
  ksm: true
  thp: never"
"$VMBENCH" run "$T/k.yaml" --out "$T/k" --only baremetal 2>"$T/k.err" &
pid=$!
for _ in $(seq 1 300); do
    [ -e "$JOURNAL" ] && [ "$(thp_now)" = never ] && [ "$(cat "$KSM")" = 1 ] && break
    sleep 0.1
done
[ -e "$JOURNAL" ] || { cat "$T/k.err"; fail "no journal while the settings are changed"; }
grep -qx "pid $pid" "$JOURNAL" || fail "the journal does not name the run: $(cat "$JOURNAL")"
set +e
"$VMBENCH" run "$T/k.yaml" --out "$T/k2" --only baremetal 2>"$T/k2.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "a second changer ran ($rc): $(cat "$T/k2.err")"
grep -q "held by vmbench process $pid" "$T/k2.err" || fail "refusal: $(cat "$T/k2.err")"
[ ! -e "$T/k2" ] || fail "the refused run made its results directory"
"$VMBENCH" doctor --restore 2>"$T/d.err" || fail "doctor --restore: $(cat "$T/d.err")"
grep -q "left alone" "$T/d.err" || fail "doctor --restore: $(cat "$T/d.err")"
[ "$(thp_now)" = never ] && [ -e "$JOURNAL" ] || fail "doctor --restore undid a live run's settings"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
[ "$(thp_now)" = never ] && [ -e "$JOURNAL" ] ||
    fail "the kill left nothing to restore: thp $(thp_now)"
matrix "$T/n.yaml" $((base + 4)) 1s ""
"$VMBENCH" run "$T/n.yaml" --out "$T/n" --only baremetal 2>"$T/n.err" ||
    { cat "$T/n.err"; fail "the next run failed"; }
grep -q "restored the host settings" "$T/n.err" || fail "no note: $(cat "$T/n.err")"
[ "$(cat "$KSM")" = "$ksm0" ] && [ "$(thp_now)" = "$thp0" ] ||
    fail "not restored: ksm $(cat "$KSM"), thp $(thp_now)"
[ ! -e "$JOURNAL" ] || fail "the journal outlived its restore"
jq -e '.status == "ok" and .host_settings.thp != null' "$T"/n/control/*/rep1/result.json >/dev/null ||
    fail "the next run's result"
echo ok
