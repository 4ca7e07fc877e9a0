#!/usr/bin/env bash
# A VM node's files on a libvirt host go up as storage volumes
# (hosts.vm_node2, docs/remote.md), next to a private libvirtd
# (scripts/sandbox.sh), through libvirt's RPC as to any remote host:
# - `vmbench doctor --host URI` uploads a volume of known bytes into a
#   storage pool of its own there, reads it back and removes volume, pool
#   and directory;
# - before that, pools that a dead vmbench of this boot and pid namespace
#   left there (the cleanup at the next start) are removed with their
#   volumes and directories; a pool of another pid namespace is left
#   alone, as its vmbench may still run.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox remote-vm "$@"

uri=qemu:///system
images=/var/lib/libvirt/images
pools() { virsh -q -c "$uri" pool-list --all --name | grep '^vmbench-' || true; }

boot=$(tr -d '-' </proc/sys/kernel/random/boot_id | cut -c1-8)
pidns=$(stat -Lc %i /proc/self/ns/pid)
dead="vmbench-$boot-$pidns-999999-1"
other="vmbench-$boot-$((pidns + 1))-999999-1"
for p in "$dead" "$other"; do
    virsh -q -c "$uri" pool-define-as "$p" dir --target "$images/$p" >/dev/null
    virsh -q -c "$uri" pool-build "$p" >/dev/null
    virsh -q -c "$uri" pool-start "$p" >/dev/null
    virsh -q -c "$uri" vol-create-as "$p" left.raw 4096 >/dev/null
done
drop_pools() {
    local p
    for p in "$other" "$dead"; do
        virsh -q -c "$uri" pool-destroy "$p" >/dev/null 2>&1 || true
        virsh -q -c "$uri" pool-delete "$p" >/dev/null 2>&1 || true
        virsh -q -c "$uri" pool-undefine "$p" >/dev/null 2>&1 || true
        rm -rf "${images:?}/$p"
    done
}
trap drop_pools EXIT
[ -e "$images/$dead/left.raw" ] || fail "the stale pool has no volume"

rc=0
"$VMBENCH" doctor --host "$uri" --connect-timeout 30s >"$T/doctor.out" 2>&1 || rc=$?
cat "$T/doctor.out"
[ "$rc" = 0 ] || fail "doctor --host exited $rc"
line=$(grep -E '^ok +upload +65536 bytes uploaded to a storage pool at ' "$T/doctor.out") ||
    fail "no upload verdict"
dir=$(sed -E 's/.* at "([^"]+)".*/\1/' <<<"$line")
case "$dir" in "$images"/vmbench-"$boot"-*) ;; *) fail "the pool was at \"$dir\"" ;; esac
[ ! -e "$dir" ] || fail "the pool's directory \"$dir\" is left"
[ "$(pools)" = "$other" ] || fail "pools left: $(pools | xargs)"
[ ! -e "$images/$dead" ] || fail "the dead run's pool directory is left"
[ -e "$images/$other/left.raw" ] || fail "another pid namespace's pool was touched"
echo "ok"
