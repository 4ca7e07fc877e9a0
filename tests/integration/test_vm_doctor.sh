#!/usr/bin/env bash
# `vmbench doctor`: with libvirtd unreachable it fails and says how to
# start it; next to a running libvirtd (the booted-cell fixture's, with
# its cell up) libvirt is ok, the KVM verdict comes from a real probe boot,
# and every line that is not ok carries a fix.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== libvirtd unreachable"
set +e
"$VMBENCH" doctor --no-kvm-probe \
    --connect 'qemu:///system?socket=/nonexistent/libvirt-sock' >"$out/down.txt"
rc=$?
set -e
cat "$out/down.txt"
[ "$rc" -eq 1 ] || { echo "expected exit 1, got $rc"; exit 1; }
grep -q '^fail  libvirt' "$out/down.txt"
grep -q 'fix: start it: `systemctl start libvirtd`' "$out/down.txt"

echo "== next to a running libvirtd"
in_cell_fixture "$VMBENCH" doctor --json --results "$out/results" >"$out/up.json"
jq . "$out/up.json"
status() { jq -r --arg c "$1" '.[] | select(.check == $c) | .status' "$out/up.json"; }
[ "$(status libvirt)" = ok ]
[ "$(status qemu)" = ok ]
case "$(status kvm)" in ok | warn) ;; *) echo "no KVM verdict"; exit 1 ;; esac
# With /dev/kvm the verdict comes from a probe boot; without it there is
# nothing to probe and the detail says so.
if [ -e /dev/kvm ]; then
    jq -e '.[] | select(.check == "kvm") | .detail | test("probe guest")' \
        "$out/up.json" >/dev/null
else
    jq -e '.[] | select(.check == "kvm") | .detail | test("no /dev/kvm")' \
        "$out/up.json" >/dev/null
fi
for c in vhost-net vhost-vsock hugepages cgroup cpufreq thp swap memory disk emulator; do
    [ -n "$(status "$c")" ] || { echo "check $c missing"; exit 1; }
done
# Every warning or failure says how to fix it.
[ "$(jq '[.[] | select(.status != "ok" and (.fix == null or .fix == ""))] | length' "$out/up.json")" -eq 0 ]
echo "ok"
