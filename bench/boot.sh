#!/usr/bin/env bash
# Boot and teardown of a cell's two container VMs through libvirt, as
# `vmbench run` does them, against the floor, in one sandbox:
#   floor: the two VMs with the same kernel, machine, QEMU, vCPUs and
#          memory, but the trivial init (prints one line, powers off);
#   hello: the cell's two VMs (vm.h: overlays, network, agent initramfs)
#          to the agents' hello, then the teardown.
# Each repetition boots floor then cell; the figures are medians of the
# slower VM of each boot.
#
#   bench/boot.sh [BUILD_DIR] [REPS] [key=value...]
#   e.g. bench/boot.sh build 3 hypervisor.accel=kvm guest.storage=9p
# Targets: hello <= 1.5x floor; teardown < 1 s. Exit 0 when both are met.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
[ "$#" -gt 0 ] && shift
reps=${1:-3}
[ "$#" -gt 0 ] && shift
args=(hypervisor.accel=tcg guest.storage=tmpfs guest.memory=512 "$@")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

cat >"$out/run.sh" <<'RUN'
set -euo pipefail
build=$1 out=$2 reps=$3; shift 3
for r in $(seq 1 "$reps"); do
    "$build/tests/vmb_celltool" floor --count 2 \
        --initrd "$build/tests/trivial-initrd.cpio" "$@" >"$out/floor$r.json"
    "$build/tests/vmb_celltool" cell "$@" >"$out/cell$r.json" 2>/dev/null
done
RUN
bash "$src/scripts/sandbox.sh" bash "$out/run.sh" "$build" "$out" "$reps" \
    "${args[@]}"

echo "floor, per repetition:" >&2
cat "$out"/floor*.json >&2
echo "cell boot stages, per repetition:" >&2
jq -c .boot "$out"/cell*.json >&2
jq -n --argjson reps "$reps" \
    --slurpfile f <(cat "$out"/floor*.json) \
    --slurpfile c <(cat "$out"/cell*.json) '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor]
              else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def r3: . * 1000 | round / 1000;
  ($f | map(map(.init_s) | max) | median) as $floor
  | ($c | map([.boot.node1.agent_s, .boot.node2.agent_s] | max) | median) as $hello
  | ($c | map([.boot.node1.kernel_s, .boot.node2.kernel_s] | max) | median) as $kernel
  | ($c | map(.teardown_s) | median) as $down
  | {accel: $c[0].accel, reps: $reps,
     floor_s: ($floor | r3), kernel_s: ($kernel | r3), hello_s: ($hello | r3),
     hello_over_floor: ($hello / $floor * 100 | round / 100),
     teardown_s: ($down | r3),
     ok: ($hello <= 1.5 * $floor and $down < 1)}' | tee "$out/summary.json"
jq -e .ok "$out/summary.json" >/dev/null
