#!/usr/bin/env bash
# `vmbench run` of one tiny Redis cell with tenants: 2 in container VMs
# under TCG, inside a network namespace with a private libvirtd
# (scripts/sandbox.sh):
# - four VMs come up at once, each tenant its own pair on its own
#   host-only network (network.subnet, then the next subnet of its size),
#   and one load generator drives both pairs: each tenant gets the
#   phase's n, result.json has each tenant's part and the aggregates;
# - result.json's boot_storm times the first VM's start to the last
#   agent's hello and to the last replica in sync;
# - tenant 2's artefacts (domain XML, console and database logs) are under
#   tenant2/;
# - result.json's memory has each VM's QEMU PSS and the guest's own view,
#   summary.csv the host memory per tenant and the overhead per VM;
# - nothing is left running afterwards: no domain, network, QEMU or Redis.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox run-tenants-vm "$@"

assert_nothing_left() { assert_vms_gone 'qemu-system*' redis-server virtiofsd; }

cat >"$T/m.yaml" <<EOF
name: tenants-vm
repetitions: 1
probe: false
tenants: 2
hypervisor:
  accel: tcg
guest:
  memory: 512
network:
  vhost_fallback: true
  subnet: 10.213.8.0/24
load:
  connections: 2
  threads: 1
  keys: 200
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, n: 500 }
    - { op: read, n: 500 }
control:
  baremetal: false
matrix:
  storage: [local]
EOF

t0=$SECONDS
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r" 2>"$T/r.err"
rc=$?
set -e
echo "tenants: 2 in VMs: exit $rc after $((SECONDS - t0))s"
[ "$rc" = 0 ] || { cat "$T/r.err"; fail "exit status $rc"; }
assert_nothing_left
id=$(jq -r '.cells[0].id' "$T/r/plan.json")
d="$T/r/cells/$id/rep1"
r="$d/result.json"
[ "$(jq -r .status "$r")" = ok ] || fail "status: $(jq -r .error "$r")"
for i in 0 1; do
    jq -e ".phases[$i] | .ops == 1000 and .errors == 0 and
        (.tenants | length) == 2 and .tenants[0].ops == 500 and
        .tenants[1].ops == 500 and .aggregate_op_rate > 0 and
        .tenant_fairness > 0 and .tenant_fairness <= 1" "$r" >/dev/null ||
        fail "phase $i: $(jq -c ".phases[$i] | del(.percentiles)" "$r")"
done
jq -e '.boot_storm | .tenants == 2 and .vms == 4 and .last_agent_s > 0 and
    .last_sync_s >= .last_agent_s and (.agent_s | length) == 2 and
    (.sync_s | length) == 2' "$r" >/dev/null ||
    fail "boot_storm: $(jq -c .boot_storm "$r")"
jq -e '.tenants == 2 and .tenant_runtimes[0].boot.node1.agent_s > 0' "$r" \
    >/dev/null || fail "tenant 2's boot: $(jq -c .tenant_runtimes "$r")"
# Each tenant on its own network: tenant 1 in 10.213.8.0/24, tenant 2 in
# the next /24.
for f in node1.xml node1.console.log node1.db.log node2.db.log; do
    [ -s "$d/tenant2/$f" ] || fail "missing tenant2/$f"
done
net1=$(grep -o "network='[^']*'" "$d/node1.xml" | head -1)
net2=$(grep -o "network='[^']*'" "$d/tenant2/node1.xml" | head -1)
[ -n "$net1" ] && [ "$net1" != "$net2" ] || fail "tenants share network $net1"
grep -q "10.213.9.2" "$d/tenant2/node1.console.log" "$d/tenant2/node1.xml" \
    "$d/tenant2/node1.qemu.cmdline" 2>/dev/null ||
    fail "tenant 2's node 1 is not at 10.213.9.2"
# What each VM costs: QEMU's PSS, the guest's own view, and in summary.csv
# the host memory per tenant and the overhead per VM.
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
jq -e --argjson host "$((mem_kb * 1024))" '.memory["0-write"] | length == 2 and
    all(.[]; .node1.pss_bytes > 0 and .node1.pss_bytes < $host and
        .node2.pss_bytes > 0 and .node1.guest_total_bytes > 0 and
        .node1.guest_used_bytes > 0 and
        .node1.guest_used_bytes < .node1.guest_total_bytes)' "$r" >/dev/null ||
    fail "memory: $(jq -c '.memory["0-write"]' "$r")"
"$VMBENCH" report "$T/r" >/dev/null 2>&1 || fail "report failed"
for m in host_mem_per_tenant_mib vm_overhead_mib aggregate_op_rate tenant_fairness; do
    grep -q ",0-write,$m," "$T/r/summary.csv" || fail "summary.csv has no $m"
done
jq -e --arg id "$id" '.oversubscribed | map(.id) | index($id) != null' \
    "$T/r/run.json" >/dev/null || [ "$(nproc)" -ge 4 ] ||
    fail "run.json does not flag the oversubscribed cell"
