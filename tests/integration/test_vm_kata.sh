#!/usr/bin/env bash
# Kata knobs take effect in the VMs a cell boots (TCG, in the sandbox):
# two cells of two VMs each, every knob checked from outside vmbench's own
# verification too: in the guest (its /proc/cmdline, its mount options,
# the disk it finds), through libvirt (vCPU pin info) and on QEMU's
# command line.
#   block: the data disk on virtio-scsi with its IOThread and io_uring,
#          vCPUs pinned 1:1, kernel_params, default_maxvcpus, pmu=off
#   9p:    shared over virtio-9p with msize_9p, guest memory on 2 MiB huge
#          pages the test reserves and releases
set -euo pipefail
: "${VMB_BUILD_DIR:?}" "${VMB_SOURCE_DIR:?}"
tool="$VMB_BUILD_DIR/tests/vmb_celltool"
out=$(mktemp -d)
nr=/proc/sys/vm/nr_hugepages
old_pages=$(cat "$nr")
cleanup() {
    echo "$old_pages" >"$nr" || true
    rm -rf "$out"
}
trap cleanup EXIT
[ "$(nproc)" -ge 2 ] || { echo "pinning two 1-vCPU VMs 1:1 needs 2 CPUs"; exit 1; }

# Two VMs of 512 MiB: 512 pages of 2 MiB, on top of what the host keeps.
echo $((old_pages + 512)) >"$nr"
[ "$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)" -ge 512 ] ||
    { echo "could not reserve 512 huge pages"; exit 1; }

cat >"$out/run.sh" <<'RUN'
set -euo pipefail
tool=$1 out=$2
"$tool" cell hypervisor.accel=tcg guest.boot_timeout=300s guest.memory=512 \
    guest.storage=block guest.iothreads=on guest.vcpus_pinning=on \
    guest.maxvcpus=2 "guest.kernel_params=vmb.kata_test=1 nosmt" \
    >"$out/block.json"
"$tool" cell hypervisor.accel=tcg guest.boot_timeout=300s guest.memory=512 \
    guest.storage=shared shared_fs=virtio-9p msize_9p=64k \
    guest.hugepages=on >"$out/9p.json"
RUN
bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash "$out/run.sh" "$tool" "$out"

fail=0
no() { echo "$1"; fail=1; }
j="$out/block.json"
for i in 1 2; do
    n=node$i
    jq -e ".facts.$n.data_source | startswith(\"/dev/sd\")" "$j" >/dev/null ||
        no "block $n: data not on a SCSI disk: $(jq -r ".facts.$n.data_source" "$j")"
    jq -e ".facts.$n.cmdline | split(\" \") | index(\"vmb.kata_test=1\") and index(\"nosmt\")" \
        "$j" >/dev/null || no "block $n: kernel_params not in /proc/cmdline"
    # vCPU 0 of node i on host CPU i-1 alone (vCPU 1, hotpluggable up to
    # default_maxvcpus, is not plugged and not pinned).
    [ "$(jq -c ".facts.$n.vcpu_pins[0]" "$j")" = "$((1 << (i - 1)))" ] ||
        no "block $n: pin info $(jq -c ".facts.$n.vcpu_pins" "$j")"
done
q=$(jq -r .qemu_cmdline "$j")
grep -q '"driver":"virtio-scsi-pci","iothread":"iothread1"' <<<"$q" ||
    no "block: no virtio-scsi controller on the IOThread"
grep -q '"aio":"io_uring"' <<<"$q" || no "block: data disk not on io_uring"
grep -q 'pmu=off' <<<"$q" || no "block: cpu_features pmu=off missing"
grep -q 'maxcpus=2' <<<"$q" || no "block: default_maxvcpus missing"

j="$out/9p.json"
for n in node1 node2; do
    [ "$(jq -r ".facts.$n.data_fstype" "$j")" = 9p ] || no "9p $n: not on 9p"
    jq -e ".facts.$n.data_options | test(\"msize=65536\")" "$j" >/dev/null ||
        no "9p $n: mount options $(jq -r ".facts.$n.data_options" "$j")"
done
q=$(jq -r .qemu_cmdline "$j")
grep -q '"hugetlb":true' <<<"$q" || no "9p: guest memory not on huge pages"
grep -q '"prealloc":true' <<<"$q" || no "9p: huge pages not preallocated"
[ "$fail" -eq 0 ] && echo ok
exit "$fail"
