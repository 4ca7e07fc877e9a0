#!/usr/bin/env bash
# The default cell is Kata's default sandbox, seen from outside vmbench's
# own checks, on the booted-cell fixture (cell_fixture.sh): one vCPU and
# 2048 MiB per VM (default_vcpus, default_memory), q35, the container root
# and so the data directory over virtio-fs (shared_fs with
# disable_block_device_use true: no root disk, the guest's mount table
# shows the root from the share) with Kata's queue size, guest memory
# shared with virtiofsd, pmu=off; and, on the live cell, libvirt runs both
# domains with that memory and what runs is the command line the results
# keep, under the QEMU user libvirt's configuration names, and kata-diff
# --pid finds it the same as the saved default cell.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMB_BUILD_DIR:?}" "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"
j="$CELL_FIXTURE/cell.json"
[ -f "$j" ] || fail "no booted-cell fixture at $CELL_FIXTURE"
q() { jq -r "$1" "$j"; }

for n in node1 node2; do
    [ "$(q ".facts.$n.nproc")" = 1 ] || fail "$n: $(q ".facts.$n.nproc") vCPUs, Kata's default_vcpus is 1"
    # 2048 MiB as the firmware handed it over, less a few holes.
    ram=$(q ".facts.$n.ram_kib")
    if [ "$ram" -gt 2097152 ] || [ "$ram" -lt $((2097152 - 16384)) ]; then
        fail "$n: $ram KiB of RAM, Kata's default_memory is 2048 MiB"
    fi
    q ".facts.$n.dmi_product" | grep -q Q35 || fail "$n: not q35: $(q ".facts.$n.dmi_product")"
    [ "$(q ".facts.$n.data_fstype")" = virtiofs ] ||
        fail "$n: data on $(q ".facts.$n.data_fstype"), not on the shared virtio-fs root"
    # The container root itself, binaries and all, in the guest's mount
    # table: the share's virtio-fs, no root disk.
    [ "$(q ".facts.$n.root_fstype") $(q ".facts.$n.root_source")" = "virtiofs vmbdata" ] ||
        fail "$n: container root is $(q ".facts.$n.root_fstype") from $(q ".facts.$n.root_source"), not the virtio-fs share"
done
grep -q vmbroot <<<"$(q .qemu_cmdline)" && fail "the default cell has a root disk"

c=$(q .qemu_cmdline)
grep -q '"driver":"vhost-user-fs-pci"' <<<"$c" || fail "no vhost-user-fs-pci device"
grep -q '"queue-size":1024' <<<"$c" || fail "virtio-fs queue size is not Kata's 1024"
grep -q 'pmu=off' <<<"$c" || fail "no pmu=off"
grep -Eq '"share":true' <<<"$c" || fail "guest memory not shared with virtiofsd"

echo "== the live cell"
mapfile -t doms < <(in_cell_fixture virsh -q -c qemu:///system list --name | sed '/^$/d')
[ "${#doms[@]}" = 2 ] || fail "expected the cell's 2 domains, libvirt lists: ${doms[*]}"
for d in "${doms[@]}"; do
    mem=$(in_cell_fixture virsh -q -c qemu:///system dominfo "$d" | awk '/^Used memory/ {print $3}')
    [ "$mem" = 2097152 ] || fail "$d: libvirt gives it $mem KiB"
done
# The QEMU of node 1 runs the command line saved for the results, as the
# user that libvirt's qemu.conf names (libvirt-qemu on a stock Debian).
# (libvirt's pid file holds the pid in the fixture's PID namespace.)
pid=$(in_cell_fixture cat "/run/libvirt/qemu/$(q .facts.node1.domain).pid")
[ -n "$pid" ] || fail "no pid file for node 1's QEMU"
live=$(in_cell_fixture sh -c "tr '\\0' ' ' </proc/$pid/cmdline")
[ "$(echo "$live" | sed 's/ *$//')" = "$(echo "$c" | tr '\n' ' ' | sed 's/ *$//')" ] ||
    fail "node 1's QEMU runs another command line than the one saved"
want=$(awk -F'"' '/^[[:space:]]*user[[:space:]]*=/ {u=$2} END {print u ? u : "libvirt-qemu"}' /etc/libvirt/qemu.conf)
user=$(in_cell_fixture ps -o user= -p "$pid" | tr -d ' ')
[ "$user" = "$want" ] || fail "node 1's QEMU runs as $user, libvirt's configuration says $want"

# kata-diff --pid reads a running QEMU: the live default cell against the
# default cell the kata-diff tests keep (tests/data/kata-diff-results), a
# vmbench cell against itself, differs in nothing that can change
# performance; a stale saved cell fails here.
rc=0
in_cell_fixture "$VMBENCH" kata-diff --json "$VMB_SOURCE_DIR/tests/data/kata-diff-results" \
    default-tcg --pid "$pid" >"$CELL_FIXTURE/kata-diff.json" 2>"$CELL_FIXTURE/kata-diff.err" || rc=$?
[ "$rc" = 0 ] || fail "kata-diff --pid of the live default cell: exit $rc: $(cat "$CELL_FIXTURE/kata-diff.err") $(jq -c '[.aspects[] | select(.status != "match")]' "$CELL_FIXTURE/kata-diff.json" 2>/dev/null)"
jq -e '[.aspects[] | select(.status == "match")] | length >= 10' "$CELL_FIXTURE/kata-diff.json" >/dev/null ||
    fail "kata-diff --pid compared too little: $(jq -c . "$CELL_FIXTURE/kata-diff.json")"
jq -r '.aspects[] | select(.status != "match") | "  \(.status) \(.aspect)"' "$CELL_FIXTURE/kata-diff.json"
echo ok
