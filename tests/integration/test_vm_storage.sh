#!/usr/bin/env bash
# Two container VMs per storage backend, booted under TCG next to the
# sandbox's libvirtd: each agent reports the vCPUs and memory the cell asks
# for and a data directory on the right filesystem, node 2 reaches node 1
# over TCP, a file written in the guest's data directory shows up on the
# host (9p, virtio-fs) or inside the data volume (virtio-blk), the
# guest's postgres user can be given the data directory and write in it,
# whoever libvirt runs QEMU as, and the container root is over the share
# (9p, virtio-fs; tmpfs keeps it on virtio-fs) or on its disk
# (virtio-blk, local with disable_block_device_use off), as the guest's
# mount table says, and Redis and PostgreSQL's server run from it. virtio-fs runs vmbench's own virtiofsd as
# Kata starts it, as root, with Kata's virtio_fs_extra_args translated for
# QEMU's C daemon on its running command line and saved with the results.
set -euo pipefail
: "${VMB_BUILD_DIR:?}" "${VMB_SOURCE_DIR:?}"
tool="$VMB_BUILD_DIR/tests/vmb_celltool"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# One sandbox for all backends: libvirtd starts once. Sizes vary so a VM
# that got the default instead of the cell's value is caught; virtio-blk
# runs with its own IOThread and native AIO, which QEMU must accept; local
# is the container root as a block device (Kata's default serves it over
# shared_fs, as the other cells but virtio-blk have it).
cat >"$out/cells" <<'CELLS'
9p         1 512
virtio-fs  1 640 guest.virtio_fs_cache=always 'guest.virtio_fs_extra_args=--thread-pool-size=4 --writeback'
virtio-blk 2 512 guest.iothreads=on guest.blk_aio=native guest.blk_cache_set=on guest.blk_cache_direct=on
local      1 768 guest.disable_block_device_use=off
tmpfs      2 640
CELLS

cat >"$out/run.sh" <<'RUN'
set -euo pipefail
tool=$1 out=$2
while read -r storage vcpus mem extra; do
    echo "== $storage vcpus=$vcpus memory=$mem $extra" >&2
    # extra holds key=value words, quoted where a value has spaces.
    eval "args=($extra)"
    "$tool" cell --checks hypervisor.accel=tcg guest.storage="$storage" \
        guest.vcpus="$vcpus" guest.memory="$mem" guest.boot_timeout=300s \
        "${args[@]}" >"$out/$storage.json"
    # Nothing of the cell runs once it is down: no daemon either.
    if pgrep -x virtiofsd >/dev/null; then
        echo "FAIL $storage: virtiofsd left: $(pgrep -a -x virtiofsd)" >&2
        exit 1
    fi
done <"$out/cells"
RUN
bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash "$out/run.sh" "$tool" "$out"

fstype() {
    case "$1" in
    9p) echo 9p ;; virtio-fs) echo virtiofs ;; tmpfs) echo tmpfs ;; *) echo ext4 ;;
    esac
}
fail=0
while read -r storage vcpus mem _; do
    j="$out/$storage.json"
    cat "$j"
    for n in node1 node2; do
        q() { jq -r "$1" "$j"; }
        [ "$(q ".facts.$n.nproc")" = "$vcpus" ] || { echo "$storage $n: vcpus"; fail=1; }
        # The RAM the firmware handed the guest: the cell's less a few
        # firmware holes (MemTotal also loses the kernel's reservations,
        # 64 MiB of swiotlb alone with Kata's hotplug headroom).
        kib=$(q ".facts.$n.ram_kib")
        if [ "$kib" -gt $((mem * 1024)) ] || [ "$kib" -lt $((mem * 1024 - 4096 - mem * 16)) ]; then
            echo "$storage $n: RAM $kib KiB for $mem MiB"; fail=1
        fi
        [ "$(q ".facts.$n.data_fstype")" = "$(fstype "$storage")" ] || { echo "$storage $n: fstype"; fail=1; }
        # local with disable_block_device_use off: the container root's disk.
        if [ "$storage" = local ]; then
            q ".facts.$n.data_source" | grep -q '^/dev/vd' ||
                { echo "$storage $n: not on the root disk: $(q ".facts.$n.data_source")"; fail=1; }
        fi
        case "$storage" in 9p | virtio-fs | virtio-blk)
            [ "$(q ".checks.$n.host_sees_file")" = true ] || { echo "$storage $n: file not on the host side"; fail=1; } ;;
        esac
        # A server's user owns the data directory and writes in it, QEMU
        # running as whom libvirt says (the stock libvirt-qemu here).
        if [ "$(q ".checks.$n.own_exit")" != 0 ] || ! q ".checks.$n.own_output" | grep -qx owner; then
            echo "$storage $n: postgres cannot own /data: $(jq -c ".checks.$n" "$j")"; fail=1
        fi
        [ "$(q ".boot.$n.agent_s")" != null ] || { echo "$storage $n: no agent stage"; fail=1; }
        # PostgreSQL's server runs from the container root.
        q ".checks.$n.postgres_version" | grep -q 'PostgreSQL' ||
            { echo "$storage $n: postgres does not run: $(jq -c ".checks.$n" "$j")"; fail=1; }
        # The container root in the guest's mount table: over the share
        # (disable_block_device_use, Kata's default) unless the cell has
        # a disk, so Redis below and PostgreSQL above run from the share.
        want_root=$(fstype "$storage")
        case "$storage" in virtio-blk | local) want_root=ext4 ;; tmpfs) want_root=virtiofs ;; esac
        got_root="$(q ".facts.$n.root_fstype") $(q ".facts.$n.root_source")"
        case "$want_root" in
        ext4) grep -q '^ext4 /dev/vd' <<<"$got_root" || { echo "$storage $n: container root $got_root, not its disk"; fail=1; } ;;
        *) [ "$got_root" = "$want_root vmbdata" ] || { echo "$storage $n: container root $got_root, not $want_root from the share"; fail=1; } ;;
        esac
    done
    jq -e '.checks.tcp_reply | test("PONG")' "$j" >/dev/null || { echo "$storage: node 2 did not reach node 1"; fail=1; }
    jq -e '.saved_cmdline' "$j" >/dev/null || { echo "$storage: qemu command line not saved"; fail=1; }
    if [ "$storage" = virtio-fs ]; then
        # Kata's words in QEMU 7.2's C virtiofsd's spelling, on the
        # running daemon (root, as Kata runs it) and in the results.
        for n in node1 node2; do
            c=$(jq -r ".facts.$n.virtiofsd_cmdline" "$j")
            for w in "-o cache=always" "-o source=" "--fd=3" \
                "--thread-pool-size=4" "-o writeback"; do
                grep -q -- "$w" <<<"$c" || { echo "$storage $n: virtiofsd runs without \"$w\": $c"; fail=1; }
            done
            [ "$(jq -r ".facts.$n.virtiofsd_uid" "$j")" = 0 ] || { echo "$storage $n: virtiofsd not root"; fail=1; }
        done
        jq -e '.virtiofsd_saved | split("\n") | index("writeback") and index("--thread-pool-size=4")' \
            "$j" >/dev/null || { echo "$storage: virtiofsd command line not saved"; fail=1; }
        jq -e '.qemu_cmdline | test("vhost-user-fs-pci")' "$j" >/dev/null ||
            { echo "$storage: no vhost-user-fs device"; fail=1; }
    fi
    if [ "$storage" = virtio-blk ]; then
        jq -e '.qemu_cmdline | test("iothread")' "$j" >/dev/null ||
            { echo "$storage: the data disk has no IOThread"; fail=1; }
    fi
done <"$out/cells"
[ "$fail" -eq 0 ] && echo ok
exit "$fail"
