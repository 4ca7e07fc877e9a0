#!/usr/bin/env bash
# `vmbench run` of PostgreSQL in container VMs under TCG, inside a network
# namespace with a private libvirtd (scripts/sandbox.sh), on two data
# placements, virtio-fs and virtio-blk (tests/data/run-postgres-vm.yaml):
# - in each VM the agent runs initdb (node 1) or pg_basebackup (node 2)
#   and the server as the unprivileged user postgres; both runs complete
#   with exact op counts for the n phase, numbers for the select-only
#   phase, a replication lag, the settings of both nodes (node 2 a
#   standby), and the nodes' configuration files and logs;
# - nothing is left running afterwards: no domain, network, QEMU process,
#   and the namespace is gone once the sandbox exits.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox run-pgvm "$@"

assert_nothing_left() { assert_vms_gone 'qemu-system*' postgres virtiofsd; }

t0=$SECONDS
set +e
"$VMBENCH" run "$VMB_SOURCE_DIR/tests/data/run-postgres-vm.yaml" --out "$T/r1" \
    --no-report 2>"$T/r1.err"
rc=$?
set -e
echo "run-postgres-vm.yaml: exit $rc after $((SECONDS - t0))s"
[ "$rc" = 0 ] || { cat "$T/r1.err"; fail "exit status $rc"; }
assert_nothing_left
jq -e '.accel.used == "tcg" and .runs.total == 2 and .runs.ok == 2' \
    "$T/r1/run.json" >/dev/null ||
    fail "run.json: $(jq -c '{accel, runs}' "$T/r1/run.json")"
for id in $(jq -r '.cells[].id' "$T/r1/plan.json"); do
    d="$T/r1/cells/$id/rep1"
    r="$d/result.json"
    [ "$(jq -r .status "$r")" = ok ] || fail "cell $id: $(jq -r .error "$r")"
    [ "$(jq '.phases[0].ops' "$r")" = 300 ] || fail "cell $id: write ops"
    jq -e '.phases[1].ops > 0 and .phases[1].errors == 0 and
           .prepare.rows > 0 and .replication_lag_s >= 0 and
           .replication_lag_by_phase_bytes["0-write"] >= 0' "$r" >/dev/null ||
        fail "cell $id: $(jq -c '{phases: [.phases[] | {op, ops, errors}], prepare, replication_lag_by_phase_bytes}' "$r")"
    for f in node1.postgresql.conf node2.postgresql.conf node1.db.log \
        node2.db.log node1.init.log node2.init.log node1.settings.tsv \
        node2.settings.tsv node1.xml node1.console.log; do
        [ -s "$d/$f" ] || fail "cell $id: missing or empty $f"
    done
    grep -qx "transaction_read_only	on" "$d/node2.settings.tsv" ||
        fail "cell $id: node 2 is not a standby"
    grep -qx "shared_buffers	32MB" "$d/node1.settings.tsv" ||
        fail "cell $id: shared_buffers not applied"
    grep -q "ready to accept connections" "$d/node1.db.log" ||
        fail "cell $id: node 1's log"
done
