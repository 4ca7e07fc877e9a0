#!/usr/bin/env bash
# `vmbench kata-diff MATRIX CELL_ID KATA_SOURCE`: the cell's side is the
# QEMU command line libvirt renders from the domain XML vmbench would
# give it (virConnectDomainXMLToNative), nothing booted, inside the
# sandbox's own libvirtd. It carries what every cell has as Kata has it
# (the RTC, the virtio-scsi controller, no USB controller, Kata's kernel
# parameters) and is held against a real Kata line; an unknown cell id
# is bad input; no domain is left defined or running.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
in_sandbox kata-diff "$@"

kata="$VMB_SOURCE_DIR/tests/data/kata-cmdlines/kata-2.0.1-virtiofs-ps.txt"
cat >"$T/m.yaml" <<'YAML'
name: kata-diff
hypervisor:
  accel: tcg
network:
  vhost_fallback: true
YAML
id=$("$VMBENCH" plan "$T/m.yaml" --json | jq -r '.cells[0].id')
[ -n "$id" ] && [ "$id" != null ] || fail "no cell id from plan"

rc=0
"$VMBENCH" kata-diff --json "$T/m.yaml" "$id" "$kata" >"$T/d.json" \
    2>"$T/d.err" || rc=$?
[ "$rc" = 1 ] || fail "exit $rc (TCG's CPU differs from Kata's): $(cat "$T/d.err")"
jq -e '.cell | test("libvirt.s qemu-argv")' "$T/d.json" >/dev/null ||
    fail "cell side: $(jq -r .cell "$T/d.json")"
aspect() { jq -r --arg a "$1" '.aspects[] | select(.aspect == $a) | "\(.status) \(.cell_value)"' "$T/d.json"; }
[ "$(aspect 'device virtio-scsi controller')" = "match virtio-scsi" ] ||
    fail "virtio-scsi: $(aspect 'device virtio-scsi controller')"
[ "$(aspect 'accelerator')" = "differs tcg" ] || fail "accel: $(aspect accelerator)"
[ -z "$(aspect 'device usb')" ] || fail "usb: $(aspect 'device usb')"
[ "$(aspect 'memory')" = "match 2048 MiB" ] || fail "memory: $(aspect memory)"
# Kata's RTC on the rendered line (the cut-off Kata line does not show it).
[ "$(aspect rtc)" = "not-shown base=utc,clock=host,driftfix=slew" ] ||
    fail "rtc: $(aspect rtc)"
[ "$(aspect 'kernel tsc')" = "not-shown tsc=reliable" ] ||
    fail "kernel tsc: $(aspect 'kernel tsc')"

rc=0
"$VMBENCH" kata-diff "$T/m.yaml" 0000dead "$kata" >/dev/null 2>"$T/e.err" ||
    rc=$?
[ "$rc" = 2 ] || fail "unknown cell: exit $rc"
grep -q 'no VM cell "0000dead"' "$T/e.err" || fail "$(cat "$T/e.err")"

[ -z "$($V list --all --name)" ] || fail "a domain is left: $($V list --all)"
