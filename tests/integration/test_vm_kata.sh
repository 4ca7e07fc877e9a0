#!/usr/bin/env bash
# Kata knobs take effect in the VMs a cell boots (TCG, in the sandbox):
# two cells of two VMs each, every knob checked from outside vmbench's own
# verification too: in the guest (its /proc/cmdline, its mount options,
# the disk it finds), through libvirt (vCPU pin info) and on QEMU's
# command line.
#   block: 256 MiB guests with Kata's default memory hotplug headroom, the
#          data disk on virtio-scsi with its IOThread, io_uring and cache
#          "none" (block_device_cache_set + _direct), vCPUs pinned 1:1,
#          kernel_params, default_maxvcpus, pmu=off, entropy_source,
#          Kata's RTC and kernel parameters (scsi_mod.scan=none, the
#          disk found by the agent's own scan), q35 as libvirt
#          resolves it, and the rate limiters where the host kernel can
#          shape traffic (where it cannot, a cell asking for them must be
#          refused when its first domain starts)
#   local: the container-root placement with disable_block_device_use
#          true, so over the shared filesystem (virtio-9p with msize_9p),
#          on machine_type pc, guest memory on 2 MiB huge pages the test
#          reserves and releases
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
# libvirt shapes a NIC with tc: htb and sfq towards the guest, a police
# filter on its ingress. Whether this host's kernel has them decides
# whether the rate limiters can run here at all.
ip tuntap add dev vmbtcprobe mode tap
shape=no
if tc qdisc add dev vmbtcprobe root handle 1: htb default 1 &&
    tc class add dev vmbtcprobe parent 1: classid 1:1 htb rate 1mbit &&
    tc qdisc add dev vmbtcprobe parent 1:1 handle 2: sfq perturb 10 &&
    tc qdisc add dev vmbtcprobe ingress &&
    tc filter add dev vmbtcprobe parent ffff: protocol all u32 match u32 0 0 \
        police rate 1mbit burst 10k drop flowid :1; then
    shape=yes
fi 2>/dev/null
ip link del vmbtcprobe
echo "$shape" >"$out/shape"
limits="rx_rate_limiter_max_rate=80000000 tx_rate_limiter_max_rate=40000000"
if [ "$shape" = no ]; then
    # The cell is refused when its first domain starts: nothing boots.
    rc=0
    # shellcheck disable=SC2086
    "$tool" cell hypervisor.accel=tcg guest.storage=tmpfs guest.memory=256 \
        $limits >/dev/null 2>"$out/limits.err" || rc=$?
    echo "$rc" >"$out/limits.rc"
    limits=
fi
# shellcheck disable=SC2086
"$tool" cell hypervisor.accel=tcg guest.boot_timeout=300s guest.memory=256 \
    guest.storage=block guest.iothreads=on guest.vcpus_pinning=on \
    guest.maxvcpus=2 "guest.kernel_params=vmb.kata_test=1 nosmt" \
    block_device_cache_set=true block_device_cache_direct=true \
    entropy_source=/dev/random $limits \
    >"$out/block.json"
"$tool" cell hypervisor.accel=tcg guest.boot_timeout=300s guest.memory=512 \
    guest.storage=local disable_block_device_use=true shared_fs=virtio-9p \
    msize_9p=64k machine_type=pc guest.hugepages=on >"$out/local.json"
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
    # Kata's own parameters for QEMU on x86_64 reached the guest kernel.
    jq -e ".facts.$n.cmdline | split(\" \") | index(\"tsc=reliable\") and index(\"rcupdate.rcu_expedited=1\") and index(\"pci=lastbus=0\") and index(\"scsi_mod.scan=none\")" \
        "$j" >/dev/null || no "block $n: Kata's kernel parameters not in /proc/cmdline"
    # scsi_mod (a module here) took scan=none, as a Kata kernel's built-in
    # one does: the data disk was found by the agent's scan, not the boot's.
    [ "$(jq -r ".facts.$n.scsi_scan" "$j")" = none ] ||
        no "block $n: scsi_mod scans \"$(jq -r ".facts.$n.scsi_scan" "$j")\""
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
# Kata's RTC: UTC, slewed drift, the host's clock (no PIT policy: TCG).
rtc=$(grep -A1 -x -- '-rtc' <<<"$q" | tail -1)
for want in base=utc clock=host driftfix=slew; do
    grep -q "$want" <<<"$rtc" || no "block: -rtc \"$rtc\" lacks $want"
done
if grep -q 'kvm-pit' <<<"$q"; then no "block: a kvm-pit policy under TCG"; fi
# entropy_source: the virtio-rng device reads the host's /dev/random.
grep -q '"filename":"/dev/random"' <<<"$q" ||
    no "block: entropy_source /dev/random not on QEMU's command line"
# No USB controller and no display device, as Kata.
dev='"driver":"[^"]*(usb|xhci|uhci|ehci|vga|qxl|bochs|ramfb)[^"]*"'
if grep -Eqi "$dev" <<<"$q"; then
    no "block: a USB controller or a display: $(grep -Eio "$dev" <<<"$q")"
fi
# The data disk's own -blockdev: io_uring, O_DIRECT, flushes honoured.
d=$(grep -o '{[^ ]*node1\.data\.img[^ ]*}' <<<"$q" | head -1)
grep -q '"aio":"io_uring"' <<<"$d" || no "block: data disk aio: $d"
grep -q '"cache":{"direct":true,"no-flush":false}' <<<"$d" ||
    no "block: data disk cache is not \"none\": $d"
for i in 1 2; do
    n=node$i
    # 256 MiB of RAM as the firmware handed it over (a few holes less),
    # whatever the hotplug headroom's swiotlb takes off MemTotal.
    ram=$(jq -r ".facts.$n.ram_kib" "$j")
    if [ "$ram" -gt 262144 ] || [ "$ram" -lt $((262144 - 8192)) ]; then
        no "block $n: $ram KiB of RAM for 256 MiB"
    fi
    jq -e ".facts.$n.dmi_product | test(\"Q35\")" "$j" >/dev/null ||
        no "block $n: the firmware says $(jq -r ".facts.$n.dmi_product" "$j")"
    jq -e ".facts.$n.live_xml | test(\"machine='pc-q35-[0-9.]+'\")" "$j" \
        >/dev/null || no "block $n: libvirt did not resolve q35"
done
if [ "$(cat "$out/shape")" = yes ]; then
    # 80 Mbit/s in and 40 out are 9765 and 4882 KiB/s in libvirt's terms.
    x=$(jq -r .facts.node1.live_xml "$j")
    grep -q "<inbound average='9765'" <<<"$x" || no "block: no inbound limit"
    grep -q "<outbound average='4882'" <<<"$x" || no "block: no outbound limit"
    t=$(jq -r .facts.node1.tc "$j")
    if ! grep -q 'htb' <<<"$t" || ! grep -q 'police' <<<"$t"; then
        no "block: the tap has no shaping: $t"
    fi
else
    [ "$(cat "$out/limits.rc")" = 1 ] ||
        no "rate limiters on a host without sfq: exit $(cat "$out/limits.rc")"
    grep -q 'sfq' "$out/limits.err" ||
        no "rate limiters: no clear reason: $(cat "$out/limits.err")"
fi

j="$out/local.json"
for n in node1 node2; do
    # local with disable_block_device_use: the shared filesystem's mount.
    [ "$(jq -r ".facts.$n.data_fstype" "$j")" = 9p ] || no "local $n: not on 9p"
    [ "$(jq -r ".facts.$n.data_source" "$j")" = vmbdata ] ||
        no "local $n: not the shared tag: $(jq -r ".facts.$n.data_source" "$j")"
    jq -e ".facts.$n.data_options | test(\"msize=65536\")" "$j" >/dev/null ||
        no "local $n: mount options $(jq -r ".facts.$n.data_options" "$j")"
    jq -e ".facts.$n.dmi_product | test(\"i440FX\")" "$j" >/dev/null ||
        no "local $n: the firmware says $(jq -r ".facts.$n.dmi_product" "$j")"
    jq -e ".facts.$n.live_xml | test(\"machine='pc-i440fx-[0-9.]+'\")" \
        "$j" >/dev/null || no "local $n: libvirt did not resolve pc"
done
q=$(jq -r .qemu_cmdline "$j")
grep -q '"hugetlb":true' <<<"$q" || no "local: guest memory not on huge pages"
grep -q '"prealloc":true' <<<"$q" || no "local: huge pages not preallocated"
# Kata's virtio-scsi controller is there with no disk on it yet.
grep -q '"driver":"virtio-scsi-pci"' <<<"$q" ||
    no "local: no virtio-scsi controller (block_device_driver's default)"
[ "$fail" -eq 0 ] && echo ok
exit "$fail"
