#!/usr/bin/env bash
# Runs a command next to a private libvirtd, inside a network namespace of
# its own, so that VMs it boots can reach nothing outside and never meet
# another libvirtd on the host or another sandbox.
#
#   scripts/sandbox.sh COMMAND [ARGS...]
#
# Creates the network namespace vmb-<pid> (only lo, up) and, in a private
# mount namespace inside it, tmpfs over libvirt's run, state, cache and log
# directories and a copy of /etc/libvirt without host-defined domains or
# networks. Starts virtlogd and libvirtd there, waits until qemu:///system
# answers, runs COMMAND in the same namespaces, then stops every process
# of the namespace and removes it, whatever happened. Exits with COMMAND's
# status (125 when the sandbox itself could not be set up).
#
# QEMU's capabilities, which libvirtd probes on first use (seconds), are kept
# in /var/cache/vmbench/libvirt-qemu-caps for the next sandbox; libvirtd
# probes again whenever QEMU, libvirt or the kernel changed.
#
# Environment: VMB_SANDBOX_TIMEOUT seconds to wait for libvirtd (default 60).
# VMB_SANDBOX_NETNS names a network namespace that exists already (a test's
# "host" with its links and routes) to run in instead of a new one; it is
# left in place, and what ran inside ends with the sandbox's PID namespace.
# VMB_SANDBOX_QEMU picks libvirt's QEMU user: "stock" (default) leaves the
# host's qemu.conf as it is, so on Debian QEMU runs as libvirt-qemu with
# dynamic ownership, as users' hosts have it; "root" adds user = "root"
# (and dynamic_ownership = 0) to the copy, for a test that keeps root QEMU
# working.
set -euo pipefail

if [ "$#" -eq 0 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
    [ "$#" -eq 0 ] && exit 2 || exit 0
fi
qemu_mode=${VMB_SANDBOX_QEMU:-stock}
case "$qemu_mode" in
stock | root) ;;
*)
    echo "sandbox.sh: VMB_SANDBOX_QEMU is \"$qemu_mode\"; expected \"stock\" or \"root\"" >&2
    exit 125
    ;;
esac
if [ "$(id -u)" -ne 0 ]; then
    echo "sandbox.sh: must run as root (it creates a network namespace)" >&2
    exit 125
fi

ns=${VMB_SANDBOX_NETNS:-vmb-$$}
own_ns=$([ -n "${VMB_SANDBOX_NETNS:-}" ] && echo no || echo yes)
tmp=$(mktemp -d /tmp/vmb-sandbox.XXXXXX)

stop_netns_processes() {
    local pids p
    # Everything started inside is in the namespace: libvirtd, virtlogd,
    # QEMU, virtiofsd, whatever the command left behind.
    for sig in TERM KILL; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [ -z "$pids" ] && return 0
        for p in $pids; do kill -s "$sig" "$p" 2>/dev/null || true; done
        for _ in $(seq 1 30); do
            pids=$(ip netns pids "$ns" 2>/dev/null || true)
            [ -z "$pids" ] && return 0
            sleep 0.1
        done
    done
}

cleanup() {
    trap - EXIT INT TERM HUP
    if [ "$own_ns" = yes ]; then
        stop_netns_processes
        ip netns del "$ns" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if [ "$own_ns" = no ]; then
    if ! ip netns exec "$ns" true; then
        echo "sandbox.sh: no network namespace \"$ns\" (VMB_SANDBOX_NETNS)" >&2
        exit 125
    fi
elif ! ip netns add "$ns"; then
    echo "sandbox.sh: cannot create network namespace \"$ns\"" >&2
    exit 125
fi
ip netns exec "$ns" ip link set lo up

# A copy of the host's libvirt configuration, minus anything defined on the
# host: the sandbox starts with no domains, networks or autostart.
mkdir -p "$tmp/etc" "$tmp/run"
cp -a /etc/libvirt "$tmp/etc/libvirt"
rm -rf "$tmp/etc/libvirt/qemu" "$tmp/etc/libvirt/storage" \
    "$tmp/etc/libvirt/secrets" "$tmp/etc/libvirt/nodedev"
mkdir -p "$tmp/etc/libvirt/qemu/networks/autostart"
# A root QEMU needs no file given to it: without dynamic ownership this
# libvirtd changes no owner, so it never fights a stock sandbox beside it
# over a shared file (libvirt refuses to label a file that another
# user's QEMU has in use).
if [ "$qemu_mode" = root ]; then
    printf '\nuser = "root"\ngroup = "root"\ndynamic_ownership = 0\n' \
        >>"$tmp/etc/libvirt/qemu.conf"
fi

# `ip netns exec` mounts a fresh /sys, which hides the cgroup hierarchies;
# they are mounted again inside so libvirt and the bare-metal control
# see the host's cgroups.
findmnt -rn -o FSTYPE /sys/fs/cgroup >"$tmp/cgroup-root" 2>/dev/null || true
findmnt -rn -t cgroup,cgroup2 -o TARGET,FSTYPE,FS-OPTIONS >"$tmp/cgroups" \
    2>/dev/null || true

inner='
set -euo pipefail
tmp=$1; shift
timeout=${VMB_SANDBOX_TIMEOUT:-60}
mount --bind "$tmp/etc/libvirt" /etc/libvirt
if [ "$(cat "$tmp/cgroup-root")" = tmpfs ]; then
    mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup
fi
while read -r target fstype opts; do
    [ -n "$target" ] || continue
    mkdir -p "$target"
    mount -t "$fstype" -o "$opts" "$fstype" "$target"
done <"$tmp/cgroups"
for d in /run/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=0755 vmb-sandbox "$d"
done
# /var/run is a link to /run on Debian; mount it too where it is not.
if [ "$(readlink -f /var/run/libvirt)" != /run/libvirt ]; then
    mkdir -p /var/run/libvirt
    mount -t tmpfs -o mode=0755 vmb-sandbox /var/run/libvirt
fi
install -d -m 0755 /var/lib/libvirt/dnsmasq /var/lib/libvirt/network \
    /var/log/libvirt/qemu /var/cache/libvirt/qemu
install -d -m 0711 /var/lib/libvirt/images /var/lib/libvirt/boot
qemu_user=$(id -u libvirt-qemu 2>/dev/null || echo 0)
qemu_group=$(id -g libvirt-qemu 2>/dev/null || echo 0)
install -d -m 0750 -o "$qemu_user" -g "$qemu_group" \
    /var/lib/libvirt/qemu /var/lib/libvirt/qemu/channel \
    /var/lib/libvirt/qemu/channel/target

caps=/var/cache/vmbench/libvirt-qemu-caps
if [ -d "$caps" ]; then
    cp -r "$caps" /var/cache/libvirt/qemu/capabilities
fi

virtlogd -d -p "$tmp/run/virtlogd.pid"
libvirtd -d -p "$tmp/run/libvirtd.pid"
deadline=$((SECONDS + timeout))
until virsh -q -c qemu:///system uri >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "sandbox.sh: libvirtd did not answer on qemu:///system within ${timeout}s" >&2
        exit 125
    fi
    sleep 0.1
done
export VMB_SANDBOX=1
set +e
"$@"
status=$?
set -e
if [ -d /var/cache/libvirt/qemu/capabilities ]; then
    mkdir -p "$caps"
    for f in /var/cache/libvirt/qemu/capabilities/*.xml; do
        [ -f "$f" ] || continue
        cp "$f" "$caps/.$(basename "$f").$$" && mv -f "$caps/.$(basename "$f").$$" "$caps/$(basename "$f")"
    done
fi
# Domains and networks first, so QEMU shuts down through libvirt.
for d in $(virsh -q -c qemu:///system list --name 2>/dev/null); do
    virsh -q -c qemu:///system destroy "$d" >/dev/null 2>&1 || true
done
for n in $(virsh -q -c qemu:///system net-list --name 2>/dev/null); do
    virsh -q -c qemu:///system net-destroy "$n" >/dev/null 2>&1 || true
done
exit "$status"
'

set +e
# A PID namespace makes the inner shell PID 1 for everything started here,
# so exited QEMU processes are reaped at once (libvirt waits for that when
# it destroys a domain) whatever the host's init does.
ip netns exec "$ns" unshare --mount --propagation private --pid --fork \
    --mount-proc bash -c "$inner" sandbox "$tmp" "$@"
status=$?
set -e
exit "$status"
