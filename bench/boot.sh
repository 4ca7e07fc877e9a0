#!/usr/bin/env bash
# Boot time of container VMs against its floor, and teardown time, in one
# sandbox (rerunnable; not a test):
#   floor: the cell's two VMs with the same kernel, machine and QEMU but a
#          trivial init that prints one line and powers off;
#   agent: the cell's two VMs to the guest agent's hello (vm.h, as
#          `vmbench run` boots them), then the teardown.
#
#   bench/boot.sh [BUILD_DIR] [key=value...]   e.g. hypervisor.accel=kvm
# Prints one JSON object; run it a few times, the figures move under load.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ "$#" -gt 0 ] && shift
accel=hypervisor.accel=tcg
for a in "$@"; do case "$a" in hypervisor.accel=*) accel=$a ;; esac; done
tool="$build/tests/vmb_celltool"
initrd="$build/tests/trivial-initrd.cpio"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cat >"$out/run.sh" <<'RUN'
set -euo pipefail
tool=$1 initrd=$2 out=$3; shift 3
"$tool" floor --count 2 --initrd "$initrd" "$@" >"$out/floor.json"
"$tool" cell "$@" >"$out/cell.json"
RUN
bash "$src/scripts/sandbox.sh" bash "$out/run.sh" "$tool" "$initrd" "$out" \
    guest.storage=tmpfs "$accel" "$@"
jq -n --slurpfile f "$out/floor.json" --slurpfile c "$out/cell.json" '
  ($f[0] | map(.init_s) | max) as $floor
  | ([$c[0].boot.node1.agent_s, $c[0].boot.node2.agent_s] | max) as $hello
  | {accel: $c[0].accel,
     floor_init_s: $f[0], agent: $c[0].boot,
     floor_s: $floor, hello_s: $hello,
     hello_over_floor: (($hello / $floor * 100 | round) / 100),
     teardown_s: $c[0].teardown_s}'
