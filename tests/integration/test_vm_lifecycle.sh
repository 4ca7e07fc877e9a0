#!/usr/bin/env bash
# The life of a cell's VMs around failures, next to the sandbox's libvirtd:
# bad input is a clear error (exit 2) before anything starts, a
# virtio_fs_extra_args word the host's virtiofsd has no equivalent for
# among it; SIGKILL of the process during a virtio-fs boot leaves no
# domain, no network and no virtiofsd once the guard acted; SIGINT during
# a boot tears down, leaves none, and exits non-zero with a message; a
# user's virtiofsd that dies when QEMU connects fails the start with the
# daemon's own last words; a virtiofsd that a dead run whose guard died
# too left is stopped by the next start, and its container root's overlay
# unmounted and removed; the guard unmounts the overlays of a killed
# process before it removes its work directory. libvirt runs QEMU as root in
# this test's sandbox.
set -euo pipefail
: "${VMB_BUILD_DIR:?}" "${VMB_SOURCE_DIR:?}"
tool="$VMB_BUILD_DIR/tests/vmb_celltool"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cat >"$out/run.sh" <<'RUN'
set -uo pipefail
tool=$1 out=$2
virsh() { command virsh -q -c qemu:///system "$@"; }
fail=0
nothing_left() {
    local d n
    d=$(virsh list --all --name | grep -c . || true)
    n=$(virsh net-list --all --name | grep -c . || true)
    [ "$d" -eq 0 ] && [ "$n" -eq 0 ] && ! pgrep -x virtiofsd >/dev/null &&
        ! rootfs_mounted
}
# A container root's overlay mounted in this sandbox (vm/rootfs.h).
rootfs_mounted() { grep -q ' overlay overlay ' /proc/self/mountinfo; }
expect_input_error() { # what pattern key=value...
    local what=$1 pattern=$2; shift 2
    "$tool" cell hypervisor.accel=tcg "$@" >/dev/null 2>"$out/err"
    local rc=$?
    cat "$out/err"
    if [ "$rc" -ne 2 ] || ! grep -q -- "$pattern" "$out/err"; then
        echo "FAIL $what: exit $rc, wanted 2 and \"$pattern\""; fail=1
    fi
    nothing_left || { echo "FAIL $what: something was started"; fail=1; }
}

echo "== bad input"
expect_input_error "missing kernel" "guest.kernel" guest.kernel=/nonexistent/vmlinuz
expect_input_error "missing emulator" "hypervisor.emulator" \
    hypervisor.emulator=/nonexistent/qemu-system-x86_64
expect_input_error "too many vCPUs" "guest.vcpus" guest.vcpus=$(($(nproc) + 1))
# A route inside this namespace that the configured subnet overlaps.
ip link add vmbtaken type bridge && ip addr add 10.213.7.1/24 dev vmbtaken &&
    ip link set vmbtaken up
expect_input_error "subnet in use" "collides" network.subnet=10.213.0.0/16
ip link del vmbtaken
# Debian 12's virtiofsd is QEMU's C one, which always sandboxes itself.
expect_input_error "virtiofsd word" '"--sandbox=none" has no equivalent in QEMU.s C virtiofsd' \
    guest.storage=virtio-fs guest.virtio_fs_extra_args=--sandbox=none

echo "== a virtiofsd that dies when QEMU comes"
# A user's daemon (virtio_fs_daemon) of QEMU's C flavour by its --help,
# which gives up once started: the run fails with the daemon's own last
# words, and nothing is left.
cat >"$out/fake-virtiofsd" <<'FAKE'
#!/bin/sh
[ "$1" = --help ] && { echo '    -o source=PATH             shared directory tree'; exit 0; }
sleep 0.3
echo "fake virtiofsd: cannot serve this" >&2
exit 1
FAKE
chmod +x "$out/fake-virtiofsd"
"$tool" cell hypervisor.accel=tcg guest.storage=virtio-fs guest.memory=256 \
    guest.virtio_fs_daemon="$out/fake-virtiofsd" >/dev/null 2>"$out/err"
rc=$?
cat "$out/err"
[ "$rc" -eq 1 ] && grep -q "virtiofsd's last words: fake virtiofsd: cannot serve this" "$out/err" ||
    { echo "FAIL dying virtiofsd: exit $rc without its words"; fail=1; }
nothing_left || { echo "FAIL dying virtiofsd: something was left"; fail=1; }

echo "== accelerator"
# Whether KVM works is the host's business; the verdict must be consistent:
# accel kvm boots under KVM or fails clearly, auto falls back loudly. The
# VMs have 256 MiB with Kata's memory hotplug headroom (default_maxmemory),
# which costs such a guest 64 MiB of swiotlb and must still pass the check.
"$tool" cell hypervisor.accel=kvm guest.storage=tmpfs guest.memory=256 \
    >"$out/kvm.json" 2>"$out/kvm.err"
rc=$?
cat "$out/kvm.err"
if [ "$rc" -eq 0 ]; then
    kvm_works=1
    [ "$(jq -r .accel "$out/kvm.json")" = kvm ] || { echo "FAIL accel kvm: not kvm"; fail=1; }
else
    kvm_works=0
    [ "$rc" -eq 1 ] && grep -q 'hypervisor.accel is "kvm" but KVM does not work here' "$out/kvm.err" ||
        { echo "FAIL accel kvm: exit $rc without a clear error"; fail=1; }
fi
nothing_left || { echo "FAIL accel kvm: something was left"; fail=1; }
if [ "$kvm_works" -eq 0 ]; then
    "$tool" cell hypervisor.accel=auto guest.storage=tmpfs guest.memory=256 \
        >"$out/auto.json" 2>"$out/auto.err"
    rc=$?
    cat "$out/auto.err"
    [ "$rc" -eq 0 ] && [ "$(jq -r .accel "$out/auto.json")" = tcg ] &&
        grep -q "falling back to TCG" "$out/auto.err" ||
        { echo "FAIL accel auto: no loud fallback to TCG"; fail=1; }
fi

# Starts a boot in the background and waits until its domains exist.
# Its files go under $out, so what a killed tool cannot remove goes with
# the test's scratch directory.
start_boot() { # storage
    mkdir -p -m 0755 "$out/cells"
    TMPDIR="$out/cells" "$tool" cell hypervisor.accel=tcg guest.storage="$1" \
        guest.memory=256 >"$out/boot.out" 2>"$out/boot.err" &
    pid=$!
    for _ in $(seq 1 600); do
        [ "$(virsh list --name | grep -c . || true)" -ge 2 ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "FAIL: the boot did not start two domains"; cat "$out/boot.err"; fail=1
    return 1
}

echo "== SIGKILL during a boot"
if start_boot virtio-fs; then
    u=$(ps -o user= -C qemu-system-x86_64 | sort -u | xargs)
    [ "$u" = root ] || { echo "FAIL: QEMU runs as [$u], wanted root"; fail=1; }
    # vmbench's own daemons, one per node, children of the process.
    [ "$(pgrep -P "$pid" -x virtiofsd | grep -c . || true)" -eq 2 ] ||
        { echo "FAIL: not two virtiofsd: $(pgrep -a -x virtiofsd)"; fail=1; }
    sleep 1
    # Stopped, a daemon cannot end itself when its QEMU goes: only the
    # guard's SIGKILL ends it.
    for p in $(pgrep -x virtiofsd); do kill -STOP "$p"; done
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null
    # libvirt destroys auto-destroy domains when the connection drops; the
    # guard process destroys the network, stops the daemons, unmounts the
    # container roots and removes the work directory. All are quick;
    # allow 20 s.
    for _ in $(seq 1 200); do nothing_left && break; sleep 0.1; done
    if nothing_left; then echo "nothing left"; else
        echo "FAIL SIGKILL: left behind:"; virsh list --all; virsh net-list --all
        grep ' overlay ' /proc/self/mountinfo; fail=1
    fi
    left=$(find "$out/cells" -maxdepth 1 -name 'vmb-cell-*' | head -1)
    [ -z "$left" ] || { echo "FAIL SIGKILL: work directory $left left"; fail=1; }
fi

echo "== SIGINT during a boot"
if start_boot virtio-fs; then
    sleep 1
    kill -INT "$pid"
    wait "$pid"
    rc=$?
    cat "$out/boot.err"
    [ "$rc" -ne 0 ] || { echo "FAIL SIGINT: exit 0"; fail=1; }
    grep -q "interrupted" "$out/boot.err" || { echo "FAIL SIGINT: no message"; fail=1; }
    # Teardown is synchronous: nothing may be left the moment it exits.
    nothing_left || { echo "FAIL SIGINT: left behind:"; virsh list --all; virsh net-list --all; pgrep -a virtiofsd; fail=1; }
fi

echo "== a dead run's virtiofsd, its guard dead too"
# A daemon still waiting for its QEMU, and the pid file a run writes next
# to it (pid, start time, owner, owner's start time, pid namespace) with
# an owner that is gone.
mkdir -p /var/lib/vmbench/vm
stale=$(mktemp -d /var/lib/vmbench/vm/stale.XXXXXX)
mkdir "$stale/node1.data"
setsid /usr/lib/qemu/virtiofsd -o source="$stale/node1.data" \
    --socket-path="$stale/node1.virtiofsd.sock" >/dev/null 2>&1 </dev/null &
vpid=$!
bash -c 'exit 0' &
owner=$!
wait "$owner"
sleep 0.5
# Running, not a zombie of this shell's.
alive() { [ -r "/proc/$1/stat" ] && ! grep -q ') Z ' "/proc/$1/stat"; }
start=$(sed 's/.*) //' "/proc/$vpid/stat" | cut -d' ' -f20)
ns=$(stat -L -c %i /proc/self/ns/pid)
echo "$vpid $start $owner 1 $ns" >"$stale/node1.virtiofsd.pid"
alive "$vpid" || { echo "FAIL: the stale daemon did not start"; fail=1; }
# A start that is refused at its first check still stops it.
"$tool" cell hypervisor.accel=tcg guest.vcpus=$(($(nproc) + 1)) \
    >/dev/null 2>"$out/err"
rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL start after a dead run: exit $rc"; cat "$out/err"; fail=1; }
for _ in $(seq 1 50); do alive "$vpid" || break; sleep 0.1; done
if alive "$vpid"; then
    echo "FAIL: the next start left the dead run's virtiofsd running"; fail=1
    kill -KILL "$vpid"
fi
wait "$vpid" 2>/dev/null
[ ! -e "$stale/node1.virtiofsd.pid" ] || { echo "FAIL: stale pid file kept"; fail=1; }
rm -rf "$stale"
nothing_left || { echo "FAIL: left behind after a dead run"; pgrep -a virtiofsd; fail=1; }

echo "== a dead run's container root, its guard dead too"
# The overlay a run mounts (vm/rootfs.h) and its pid file (owner, owner's
# start time, pid namespace) with an owner that is gone.
stale=$(mktemp -d /var/lib/vmbench/vm/stale.XXXXXX)
mkdir -p "$out/lower/etc" "$stale/node1.snapshot/upper" "$stale/node1.snapshot/work" \
    "$stale/node1.share/rootfs"
echo kept >"$out/lower/etc/hostname"
mount -t overlay overlay -o "lowerdir=$out/lower,upperdir=$stale/node1.snapshot/upper,workdir=$stale/node1.snapshot/work" \
    "$stale/node1.share/rootfs" || { echo "FAIL: cannot mount an overlay here"; fail=1; }
bash -c 'exit 0' &
owner=$!
wait "$owner"
echo "$owner 1 $(stat -L -c %i /proc/self/ns/pid)" >"$stale/node1.rootfs.pid"
rootfs_mounted || { echo "FAIL: the stale overlay is not mounted"; fail=1; }
"$tool" cell hypervisor.accel=tcg guest.vcpus=$(($(nproc) + 1)) \
    >/dev/null 2>"$out/err"
rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL start after a dead run: exit $rc"; cat "$out/err"; fail=1; }
if rootfs_mounted || [ -e "$stale" ]; then
    echo "FAIL: the next start left the dead run's container root"
    grep ' overlay ' /proc/self/mountinfo; fail=1
    umount -l "$stale/node1.share/rootfs" 2>/dev/null; rm -rf "$stale"
fi
# The image's tree under it is untouched.
[ "$(cat "$out/lower/etc/hostname")" = kept ] || { echo "FAIL: the lower layer changed"; fail=1; }
exit "$fail"
RUN
# QEMU as root here (the other VM tests run libvirt's stock user), so a
# host configured that way stays covered.
VMB_SANDBOX_QEMU=root bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash "$out/run.sh" "$tool" "$out"
echo ok
