#!/usr/bin/env bash
# The host preflight as a user meets it (no VM, no server is started):
# - a matrix that needs what this host lacks (vhost-net without
#   network.vhost_fallback, huge pages beyond those reserved, a
#   virtio_fs_extra_args word virtiofsd cannot be given, an engine whose
#   server is not installed) is refused by `run` and `tune` with exit 2
#   before anything exists: every shortfall listed with its fix, no
#   results directory; `run --dry-run` lists the same;
# - a cell that demands vsock for the agent (agent_transport: vsock) is
#   refused with its fix, `modprobe vhost_vsock`, where the host has no
#   /dev/vhost-vsock (this one), and no shortfall where it has; the
#   default (auto) is no shortfall, and `plan` (text and --json) says
#   which channel the agents get and why;
# - --only baremetal checks only the controls' needs;
# - `plan` lists the same verdicts and exits 0; `plan --json` carries them
#   in "preflight", apart from the plan: plans made where the host differs
#   compare equal without it.
set -euo pipefail
: "${VMBENCH:?}"

T=$(mktemp -d /tmp/vmb-test-preflight.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Huge pages: more than this host has free, whatever it has reserved.
free_pages=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
mem=$((2 * (${free_pages:-0} + 1)))
[ "$mem" -ge 256 ] || mem=256
vhost=no
[ -r /dev/vhost-net ] && [ -w /dev/vhost-net ] && vhost=yes

cat >"$T/m.yaml" <<EOF
name: preflight
repetitions: 2
seed: 7
guest:
  memory: ${mem}M
  virtio_fs_extra_args: "--thread-pool-size=1 --sandbox=none"
load:
  phases:
    - { op: write, n: 100 }
matrix:
  enable_hugepages: [true, false]
EOF

# The shortfalls every refusal must list, each as "  NEED: ...".
needs="hugepages virtio_fs_extra_args"
[ "$vhost" = no ] && needs="$needs vhost-net"

assert_listed() { # stderr-file what
    local n
    for n in $needs; do
        grep -q "^  $n: " "$1" || fail "$2: shortfall $n not listed: $(cat "$1")"
    done
    [ "$(grep -c '^    fix: ' "$1")" -ge "$(echo $needs | wc -w)" ] ||
        fail "$2: a shortfall without its fix: $(cat "$1")"
}

# ---- run: exit 2, nothing created ----
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r1" 2>"$T/run.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "run exited $rc: $(cat "$T/run.err")"
assert_listed "$T/run.err" run
grep -q "nothing was started" "$T/run.err" || fail "run: $(tail -1 "$T/run.err")"
[ ! -e "$T/r1" ] || fail "run created its results directory"

# The default directory is not made either.
mkdir "$T/cwd"
set +e
(cd "$T/cwd" && "$VMBENCH" run "$T/m.yaml" 2>/dev/null)
rc=$?
set -e
[ "$rc" = 2 ] || fail "run without --out exited $rc"
[ -z "$(ls -A "$T/cwd")" ] || fail "run created $(ls -A "$T/cwd")"

# A dry run starts nothing either way: it lists the same and exits 0.
"$VMBENCH" run "$T/m.yaml" --out "$T/r2" --dry-run >/dev/null 2>"$T/dry.err" ||
    fail "run --dry-run exited $?"
assert_listed "$T/dry.err" "run --dry-run"
[ ! -e "$T/r2" ] || fail "run --dry-run created its results directory"

set +e
"$VMBENCH" tune "$T/m.yaml" --objective write.op_rate --out "$T/t1" \
    2>"$T/tune.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "tune exited $rc: $(cat "$T/tune.err")"
assert_listed "$T/tune.err" tune
[ ! -e "$T/t1" ] || fail "tune created its results directory"

# ---- the agent's transport: vsock demanded ----
cat >"$T/vsock.yaml" <<EOF
name: vsock
repetitions: 1
guest:
  agent_transport: vsock
network:
  vhost_fallback: true
load:
  phases:
    - { op: write, n: 100 }
control:
  baremetal: false
EOF
if [ -r /dev/vhost-vsock ] && [ -w /dev/vhost-vsock ]; then
    "$VMBENCH" plan "$T/vsock.yaml" --json >"$T/vsock-plan.json" 2>/dev/null
    jq -e '.preflight.findings | map(.need) | index("vhost-vsock") == null' \
        "$T/vsock-plan.json" >/dev/null ||
        fail "vsock: a shortfall with the device: $(jq -c .preflight "$T/vsock-plan.json")"
    auto=vsock why=null
else
    set +e
    "$VMBENCH" run "$T/vsock.yaml" --out "$T/v1" 2>"$T/vsock.err"
    rc=$?
    set -e
    [ "$rc" = 2 ] || fail "vsock: run exited $rc: $(cat "$T/vsock.err")"
    grep -q '^  vhost-vsock: agent_transport is "vsock"' "$T/vsock.err" ||
        fail "vsock: shortfall not listed: $(cat "$T/vsock.err")"
    grep -A3 '^  vhost-vsock: ' "$T/vsock.err" |
        grep -q "^    fix: .*modprobe vhost_vsock" ||
        fail "vsock: no fix saying modprobe vhost_vsock: $(cat "$T/vsock.err")"
    [ ! -e "$T/v1" ] || fail "vsock: run created its results directory"
    auto=virtio-serial why='"this host has no usable /dev/vhost-vsock"'
fi
# The default (auto) is no shortfall: it falls back to virtio-serial,
# and plan says which channel the agents get and why.
sed -i 's/agent_transport: vsock/agent_transport: auto/' "$T/vsock.yaml"
"$VMBENCH" plan "$T/vsock.yaml" --json >"$T/vsock-plan.json" 2>/dev/null
jq -e '.preflight.findings | map(.need) | index("vhost-vsock") == null' \
    "$T/vsock-plan.json" >/dev/null ||
    fail "vsock: auto is a shortfall: $(jq -c .preflight "$T/vsock-plan.json")"
jq -e --arg auto "$auto" --argjson why "$why" \
    '.preflight.agent_transport == {"auto": $auto, "why": $why}' \
    "$T/vsock-plan.json" >/dev/null ||
    fail "vsock: plan --json: $(jq -c .preflight "$T/vsock-plan.json")"
"$VMBENCH" plan "$T/vsock.yaml" >/dev/null 2>"$T/vsock-plan.err"
grep -q "^vmbench: the agents answer on $auto" "$T/vsock-plan.err" ||
    fail "vsock: plan does not say the channel: $(cat "$T/vsock-plan.err")"

# ---- --only baremetal: the controls' needs alone ----
"$VMBENCH" run "$T/m.yaml" --out "$T/r3" --only baremetal --dry-run \
    >/dev/null 2>"$T/bm.err" || fail "baremetal dry run: $(cat "$T/bm.err")"
# ... and the engine's server, which a PATH without it lacks.
mkdir "$T/bin"
set +e
PATH="$T/bin" "$VMBENCH" run "$T/m.yaml" --out "$T/r3" --only baremetal \
    2>"$T/bm2.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "baremetal run without redis-server exited $rc"
grep -q '^  engine: .*"redis-server"' "$T/bm2.err" ||
    fail "engine shortfall not listed: $(cat "$T/bm2.err")"
grep -q '^  hugepages: ' "$T/bm2.err" && fail "--only baremetal checked the VMs"
[ ! -e "$T/r3" ] || fail "run created its results directory"

# ---- plan: the same verdicts, exit 0 ----
"$VMBENCH" plan "$T/m.yaml" >"$T/plan.out" 2>"$T/plan.err" ||
    fail "plan exited $?: $(cat "$T/plan.err")"
assert_listed "$T/plan.err" plan
grep -q "^cells" "$T/plan.out" || fail "plan printed no plan"
"$VMBENCH" plan "$T/m.yaml" --json >"$T/plan.json" 2>/dev/null
PATH="$T/bin" "$VMBENCH" plan "$T/m.yaml" --json >"$T/plan2.json" 2>/dev/null
jq -e '.preflight.ok == false and (.preflight.findings | map(.need) |
       index("hugepages") != null) and (.cells | length) == 2' \
    "$T/plan.json" >/dev/null || fail "plan --json: $(jq -c .preflight "$T/plan.json")"
jq -e '.preflight.findings | map(.need) | index("engine") != null' \
    "$T/plan2.json" >/dev/null || fail "plan --json without redis-server"
diff <(jq -S 'del(.preflight)' "$T/plan.json") \
    <(jq -S 'del(.preflight)' "$T/plan2.json") ||
    fail "plans made where the host differs are not equal"

echo "ok"
