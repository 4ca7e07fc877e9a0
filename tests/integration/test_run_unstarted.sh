#!/usr/bin/env bash
# Runs that failed for the host are not results (no VM is booted):
# - the README's workflow, `--only baremetal` and then `--resume` where
#   libvirt is unreachable (a connect URI whose socket does not exist):
#   the VM runs could not start, so they are not recorded (no
#   result.json, run.json counts them as not_started, exit 1) and a later
#   resume still has them to do; `tune` stops (exit 1) instead of racing
#   on runs that never started;
# - a bare-metal run that failed (its port was taken) is kept by a plain
#   resume and done again by `--resume --retry-failed`, which needs
#   --resume.
set -euo pipefail
: "${VMBENCH:?}"

T=$(mktemp -d /tmp/vmb-test-unstarted.XXXXXX)
holder=""
cleanup() {
    if [ -n "$holder" ]; then kill "$holder" 2>/dev/null || true; fi
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Ports of this test, apart from other tests on the same host.
base=$((26000 + ($$ % 500) * 4))

cat >"$T/m.yaml" <<EOF
name: unstarted
repetitions: 1
seed: 3
hypervisor:
  connect: "qemu+unix:///system?socket=$T/no-libvirt.sock"
guest:
  memory: 512M
  storage: 9p
network:
  vhost_fallback: true
database:
  port: $base
load:
  connections: 2
  threads: 1
  keys: 100
  warmup: 0s
  phases:
    - { op: write, n: 500 }
control:
  baremetal: true
EOF

"$VMBENCH" run "$T/m.yaml" --out "$T/r" --only baremetal --no-report \
    2>"$T/bm.err" || fail "baremetal run: $(cat "$T/bm.err")"
ctl=$(jq -r '.controls[0].id' "$T/r/plan.json")
cell=$(jq -r '.cells[0].id' "$T/r/plan.json")
[ "$(jq -r .status "$T/r/control/$ctl/rep1/result.json")" = ok ] ||
    fail "the control did not run"

# ---- libvirt unreachable: the VM run is not recorded ----
set +e
"$VMBENCH" run --resume "$T/r" --no-report 2>"$T/vm.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "resume without libvirt exited $rc: $(cat "$T/vm.err")"
[ ! -e "$T/r/cells/$cell/rep1/result.json" ] ||
    fail "a run that could not start was recorded: $(cat "$T/r/cells/$cell/rep1/result.json")"
grep -q "could not start" "$T/vm.err" || fail "not said: $(cat "$T/vm.err")"
grep -q "cells/$cell/rep1" "$T/vm.err" || fail "the run is not named"
jq -e '.runs.not_started == 1 and .runs.failed == 0 and .runs.ok == 1' \
    "$T/r/run.json" >/dev/null || fail "run.json: $(jq -c .runs "$T/r/run.json")"
# A later resume still has it to do.
"$VMBENCH" run --resume "$T/r" --dry-run >"$T/dry.out" 2>&1 ||
    fail "dry run: $(cat "$T/dry.out")"
grep "cells/$cell/rep1" "$T/dry.out" | grep -vq "done, skipped" ||
    fail "the VM run counts as done: $(cat "$T/dry.out")"

# tune stops rather than racing on runs that never started.
set +e
"$VMBENCH" tune "$T/m.yaml" --objective write.op_rate --out "$T/t" \
    --no-report >/dev/null 2>"$T/tune.err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "tune without libvirt exited $rc: $(cat "$T/tune.err")"
grep -q "runs could not start" "$T/tune.err" || fail "tune: $(tail -3 "$T/tune.err")"
grep -q "median nan" "$T/tune.err" && fail "tune raced on nothing"
[ -z "$(find "$T/t/cells" -name result.json 2>/dev/null)" ] ||
    fail "tune recorded runs that could not start"

# ---- --retry-failed ----
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r2" --retry-failed 2>"$T/rf.err"
rc=$?
set -e
[ "$rc" = 2 ] && grep -q -- "--retry-failed needs --resume" "$T/rf.err" ||
    fail "--retry-failed without --resume: exit $rc, $(cat "$T/rf.err")"

# The control fails: something else holds its port.
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(600)' \
    "$base" &
holder=$!
sleep 0.5
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r3" --only baremetal --no-report \
    2>"$T/r3.err"
rc=$?
set -e
kill "$holder"
wait "$holder" 2>/dev/null || true
holder=""
res="$T/r3/control/$ctl/rep1/result.json"
[ "$rc" = 1 ] && [ "$(jq -r .status "$res")" = failed ] ||
    fail "the control with its port taken: exit $rc, $(jq -c '{status, error}' "$res")"
# A plain resume keeps the failed run ...
"$VMBENCH" run --resume "$T/r3" --only baremetal --no-report 2>"$T/r3b.err" ||
    true
grep -q "^vmbench: 0 of 2 runs to do" "$T/r3b.err" ||
    fail "plain resume: $(head -1 "$T/r3b.err")"
[ "$(jq -r .status "$res")" = failed ] || fail "plain resume redid the run"
# ... --retry-failed does it again, and now it passes.
"$VMBENCH" run --resume "$T/r3" --only baremetal --retry-failed --no-report \
    2>"$T/r3c.err" || fail "retry: $(cat "$T/r3c.err")"
grep -q "^vmbench: 1 of 2 runs to do" "$T/r3c.err" ||
    fail "retry: $(head -1 "$T/r3c.err")"
[ "$(jq -r .status "$res")" = ok ] || fail "retried run: $(jq -c '{status, error}' "$res")"

echo "ok"
