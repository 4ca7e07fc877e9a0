#!/usr/bin/env bash
# A Kata-style guest kernel (an uncompressed ELF vmlinux, no modules
# directory) as a user meets it, no VM started: the host's Debian bzImage
# has its virtio drivers as modules; the vmlinux inside it
# (tests/vmlinux-from-bzimage.sh), under a release with no
# /lib/modules, has none of them.
# - `doctor --kernel` reads both: the bzImage's drivers are modules, the
#   vmlinux is an ELF with a PVH entry, and its virtio-fs is not built in
#   and has no module available; the bzImage under that release, with no
#   modules directory, is read through its xz payload to the same
#   verdicts;
# - `run` refuses a virtio-fs cell on the vmlinux with exit 2 before
#   anything exists, naming the driver, the kernel file and the fix;
#   `plan --json` carries the same finding;
# - a vmlinux without the PVH note, which QEMU cannot boot, is refused.
set -euo pipefail
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-kata-kernel.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

bz=$(ls -v /boot/vmlinuz-* | tail -1)
rel=${bz#/boot/vmlinuz-}
bash "$VMB_SOURCE_DIR/tests/vmlinux-from-bzimage.sh" "$bz" "$T/host-vmlinux"
# The same kernel under a release of the same length that has no modules
# directory on this host: only linux_banner, which vmbench reads, changes.
fake=$(printf '%s' "$rel" | sed 's/.....$/nomod/')
[ ! -e "/lib/modules/$fake" ] || fail "/lib/modules/$fake exists"
LC_ALL=C sed "s/Linux version $rel /Linux version $fake /" \
    "$T/host-vmlinux" >"$T/vmlinux"
rm "$T/host-vmlinux"

doctor() { # kernel out.json
    "$VMBENCH" doctor --no-kvm-probe --json --kernel "$1" \
        --connect 'qemu:///system?socket=/nonexistent/libvirt-sock' \
        >"$2" || true
}
field() { jq -r --arg c "$2" --arg f "$3" '.[] | select(.check == $c) | .[$f]' "$1"; }

echo "== doctor: the bzImage"
doctor "$bz" "$T/bz.json"
[ "$(field "$T/bz.json" guest-kernel status)" = ok ] || fail "$(cat "$T/bz.json")"
field "$T/bz.json" guest-kernel detail | grep -q "bzImage, release \"$rel\"" ||
    fail "bzImage: $(field "$T/bz.json" guest-kernel detail)"
for d in virtio-fs 9p virtio-scsi virtio-net; do
    [ "$(field "$T/bz.json" "$d" detail)" = "guest kernel driver: module" ] ||
        fail "bzImage $d: $(field "$T/bz.json" "$d" detail)"
done

echo "== doctor: the vmlinux without modules"
doctor "$T/vmlinux" "$T/vm.json"
jq '.[] | select(.check == "guest-kernel" or (.check | test("virtio|9p|vsock|ext4")))' "$T/vm.json"
field "$T/vm.json" guest-kernel detail |
    grep -q "ELF vmlinux (PVH entry), release \"$fake\", no modules" ||
    fail "vmlinux: $(field "$T/vm.json" guest-kernel detail)"
[ "$(field "$T/vm.json" virtio-fs status)" = warn ] || fail "virtio-fs not warned"
field "$T/vm.json" virtio-fs detail | grep -q "no module is available" ||
    fail "virtio-fs: $(field "$T/vm.json" virtio-fs detail)"
field "$T/vm.json" virtio-fs fix | grep -q "CONFIG_VIRTIO_FS=y" ||
    fail "virtio-fs fix: $(field "$T/vm.json" virtio-fs fix)"

echo "== doctor: the bzImage without modules, its xz payload read"
# The same release change in the bzImage's setup header: no modules
# directory, so its drivers come from the ELF inside its payload, and
# agree with what the vmlinux's own scan says.
LC_ALL=C sed "s/$rel (/$fake (/" "$bz" >"$T/bzimage"
cmp -s "$bz" "$T/bzimage" && fail "no version string to change"
doctor "$T/bzimage" "$T/bznomod.json"
[ "$(field "$T/bznomod.json" guest-kernel status)" = ok ] ||
    fail "bzImage without modules: $(field "$T/bznomod.json" guest-kernel detail)"
field "$T/bznomod.json" guest-kernel detail |
    grep -q "bzImage (xz payload, read), release \"$fake\", no modules" ||
    fail "bzImage without modules: $(field "$T/bznomod.json" guest-kernel detail)"
for d in virtio-pci virtio-blk virtio-net virtio-console ext4 virtio-fs 9p virtio-scsi vsock; do
    [ "$(field "$T/bznomod.json" "$d" detail)" = "$(field "$T/vm.json" "$d" detail)" ] ||
        fail "bzImage $d: $(field "$T/bznomod.json" "$d" detail), vmlinux: $(field "$T/vm.json" "$d" detail)"
done

echo "== run and plan refuse a virtio-fs cell on it"
cat >"$T/m.yaml" <<EOF
name: kata-kernel
repetitions: 1
guest:
  kernel: $T/vmlinux
network:
  vhost_fallback: true
load:
  phases:
    - { op: write, n: 100 }
control:
  baremetal: false
EOF
# Kata's default shared_fs, hence the cell's, is virtio-fs.
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r1" 2>"$T/run.err"
rc=$?
set -e
cat "$T/run.err"
[ "$rc" = 2 ] || fail "run exited $rc"
grep -q "^  guest-kernel: guest kernel \"$T/vmlinux\" lacks the driver(s) .*\"virtio-fs\"" \
    "$T/run.err" || fail "no guest-kernel shortfall"
grep -A3 '^  guest-kernel: ' "$T/run.err" | grep -q '^    fix: .*CONFIG_VIRTIO_FS=y' ||
    fail "no fix"
[ ! -e "$T/r1" ] || fail "run created its results directory"
"$VMBENCH" plan "$T/m.yaml" --json >"$T/plan.json" 2>/dev/null
jq -e '.preflight.findings | map(select(.need == "guest-kernel" and .level == "lack")) | length == 1' \
    "$T/plan.json" >/dev/null || fail "plan: $(jq -c .preflight "$T/plan.json")"

echo "== an ELF QEMU cannot boot"
# The PVH note (Xen's XEN_ELFNOTE_PHYS32_ENTRY, type 18) renamed away.
LC_ALL=C sed 's/\x04\x00\x00\x00\x08\x00\x00\x00\x12\x00\x00\x00Xen\x00/\x04\x00\x00\x00\x08\x00\x00\x00\x12\x00\x00\x00Nox\x00/' \
    "$T/vmlinux" >"$T/nopvh"
cmp -s "$T/vmlinux" "$T/nopvh" && fail "no PVH note to remove"
doctor "$T/nopvh" "$T/nopvh.json"
[ "$(field "$T/nopvh.json" guest-kernel status)" = fail ] || fail "no-PVH kernel not failed"
field "$T/nopvh.json" guest-kernel detail | grep -q "no PVH entry note" ||
    fail "no-PVH: $(field "$T/nopvh.json" guest-kernel detail)"
sed -i "s|kernel: .*|kernel: $T/nopvh|" "$T/m.yaml"
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r2" 2>"$T/nopvh.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "no-PVH run exited $rc"
grep -q "^  guest-kernel: .*no PVH entry note" "$T/nopvh.err" ||
    fail "no-PVH run: $(cat "$T/nopvh.err")"
[ ! -e "$T/r2" ] || fail "run created its results directory"
echo ok
