#!/usr/bin/env bash
# `vmbench run` of MariaDB in container VMs under TCG, inside a network
# namespace with a private libvirtd (scripts/sandbox.sh), on two data
# placements (tests/data/run-mariadb-vm.yaml, one cell each): the shared
# filesystem Kata gives a container's files, virtio-fs, and a virtio-blk
# volume (mariadb-install-db on two nodes under TCG is most of each
# cell's time):
# - in each VM the agent runs mariadb-install-db and the server as the
#   unprivileged user mysql; node 2 replicates node 1 by GTID; both runs
#   complete with exact transaction counts for the n phase, numbers for
#   the point-select phase, a replication lag, the settings of both
#   nodes, and the nodes' configuration files and logs;
# - the guest's mount table (node<i>.mounts) has the data directory on
#   virtio-fs for the one cell and on ext4 on a virtio disk (/dev/vdX)
#   for the other;
# - the default innodb_flush_method O_DIRECT, which virtiofsd drops
#   without --allow-direct-io, is recorded in result.json and said on
#   the terminal as a setting that did not apply on virtio-fs, and not
#   on the block device, where the server runs with it and it applies;
# - the agent talks over virtio-serial where the host has no usable
#   /dev/vhost-vsock (this host), over vsock where it has, and run.json
#   says which and why;
# - nothing is left running afterwards: no domain, network, QEMU process,
#   and the namespace is gone once the sandbox exits.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox run-mdbvm "$@"

assert_nothing_left() { assert_vms_gone 'qemu-system*' mariadbd virtiofsd; }

t0=$SECONDS
set +e
"$VMBENCH" run "$VMB_SOURCE_DIR/tests/data/run-mariadb-vm.yaml" --out "$T/r1" \
    --no-report 2>"$T/r1.err"
rc=$?
set -e
echo "run-mariadb-vm.yaml: exit $rc after $((SECONDS - t0))s"
[ "$rc" = 0 ] || { cat "$T/r1.err"; fail "exit status $rc"; }
assert_nothing_left
jq -e '.accel.used == "tcg" and .runs.total == 2 and .runs.ok == 2' \
    "$T/r1/run.json" >/dev/null ||
    fail "run.json: $(jq -c '{accel, runs}' "$T/r1/run.json")"
storages=
while read -r id storage; do
    storages="$storages $storage"
    d="$T/r1/cells/$id/rep1"
    r="$d/result.json"
    [ "$(jq -r .status "$r")" = ok ] || fail "cell $id: $(jq -r .error "$r")"
    jq -e '.phases[0].ops + .phases[0].errors == 30 and
           .phases[1].ops > 0 and .phases[1].errors == 0 and
           .prepare.rows == 200 and .replication_lag_s >= 0' "$r" \
        >/dev/null ||
        fail "cell $id: $(jq -c '{phases: [.phases[] | {op, ops, errors}], prepare, replication_lag_s}' "$r")"
    for f in node1.my.cnf node2.my.cnf node1.db.log node2.db.log \
        node1.init.log node2.init.log node1.settings.tsv node2.settings.tsv \
        node1.xml node1.console.log; do
        [ -s "$d/$f" ] || fail "cell $id: missing or empty $f"
    done
    grep -qx "innodb_buffer_pool_size	33554432" "$d/node1.settings.tsv" ||
        fail "cell $id: innodb_buffer_pool_size not applied"
    grep -q "Slave I/O thread: connected to master 'vmbench@.*replication starts at GTID position" \
        "$d/node2.db.log" || fail "cell $id: node 2 did not replicate by GTID"
    grep -q "ready for connections" "$d/node1.db.log" ||
        fail "cell $id: node 1's log"
    grep -qx "innodb_flush_method	O_DIRECT" "$d/node1.settings.tsv" ||
        fail "cell $id: node 1 does not run with O_DIRECT"
    for n in node1 node2; do
        [ -s "$d/$n.mounts" ] || fail "cell $id: missing or empty $n.mounts"
        case "$storage" in
        virtio-fs)
            grep -Eq '^vmbdata /container/data virtiofs ' "$d/$n.mounts" ||
                fail "cell $id: $n's /data is not on virtio-fs: $(cat "$d/$n.mounts")"
            ;;
        virtio-blk)
            grep -Eq '^/dev/vd[a-z]+ /container/data ext4 ' "$d/$n.mounts" ||
                fail "cell $id: $n's /data is not ext4 on a virtio disk: $(cat "$d/$n.mounts")"
            ;;
        *) fail "cell $id: unexpected storage \"$storage\"" ;;
        esac
    done
    if [ "$storage" = virtio-fs ]; then
        jq -e '.ignored_settings | length == 1 and .[0].setting ==
               "innodb_flush_method" and .[0].value == "O_DIRECT" and
               (.[0].why | contains("--allow-direct-io"))' "$r" >/dev/null ||
            fail "cell $id: ignored settings $(jq -c .ignored_settings "$r")"
    else
        jq -e '.ignored_settings == []' "$r" >/dev/null ||
            fail "cell $id: ignored settings $(jq -c .ignored_settings "$r")"
    fi
    if [ -r /dev/vhost-vsock ] && [ -w /dev/vhost-vsock ]; then
        grep -q "<vsock model='virtio'>" "$d/node1.xml" ||
            fail "cell $id: no vsock device for the agent"
    else
        grep -q "name='org.vmbench.agent.0'" \
            "$d/node1.xml" || fail "cell $id: no virtio-serial agent channel"
        if grep -q "<vsock" "$d/node1.xml"; then
            fail "cell $id: a vsock device"
        fi
    fi
done < <(jq -r '.cells[] | "\(.id) \(.axes["guest.storage"])"' "$T/r1/plan.json")
[ "$storages" = " virtio-fs virtio-blk" ] || fail "cells' storage:$storages"
grep -q 'cell "storage=virtio-fs": innodb_flush_method "O_DIRECT" did not apply: virtiofsd' \
    "$T/r1.err" || fail "not said on the terminal: $(cat "$T/r1.err")"
if grep -q 'cell "storage=virtio-blk": .* did not apply' "$T/r1.err"; then
    fail "the block device's cell said to ignore a setting: $(cat "$T/r1.err")"
fi
assert_agent_transport "$T/r1/run.json"
