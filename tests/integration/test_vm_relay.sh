#!/usr/bin/env bash
# A domain's agent channel and serial console reached through libvirt's
# streams alone (vm/virt_relay.h), as for a VM on another libvirt host:
# one small domain with no path of ours for either, next to the sandbox's
# libvirtd under its stock configuration, driven by vmb_relay_check at
# the local URI (the relay cannot tell it from a remote one). The
# agent's hello and facts come over the relay, the kernel's output
# reaches the console file, a libvirtd that stops answering (SIGSTOP)
# fails the agent's next request by the relay's keepalive and a new
# relay takes the channel over, a destroyed domain fails the agent's
# next request at once and the relays free without waiting; nothing is
# left.
set -euo pipefail
: "${VMB_BUILD_DIR:?}" "${VMB_SOURCE_DIR:?}"
. "$(dirname "$0")/lib.sh"
in_sandbox vm-relay "$@"

# The sandbox's libvirtd, which the driver stops for a moment.
read -r libvirtd _ < <(netns_procs libvirtd)
[ -n "$libvirtd" ] || fail "no libvirtd in the sandbox"
"$VMB_BUILD_DIR/tests/vmb_relay_check" qemu:///system \
    "$VMB_BUILD_DIR/guest/initramfs-cache" "$libvirtd" ||
    fail "vmb_relay_check failed"
assert_vms_gone 'qemu-system*'
