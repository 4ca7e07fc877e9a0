#!/usr/bin/env bash
# `vmbench image`: builds the guest image into a cache, says that it did;
# a second build finds it cached and builds nothing; --force rebuilds and
# says so; show reports the same key. The manifest lists the database
# binaries and the libraries they load, and the image holds them.
set -euo pipefail
: "${VMBENCH:?}"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

echo "== show before build"
"$VMBENCH" image show --cache "$cache" | tee "$cache/show0.txt"
grep -q 'not built yet' "$cache/show0.txt"
key=$(awk '/^  key/ {print $2}' "$cache/show0.txt")

echo "== first build"
"$VMBENCH" image build --cache "$cache" | tee "$cache/b1.txt"
grep -q "^guest image $key built in " "$cache/b1.txt"
test -s "$cache/$key/root.qcow2"
qemu-img info "$cache/$key/root.qcow2" | grep -q 'file format: qcow2'
for f in /usr/bin/redis-server /usr/bin/redis-cli libc.so.6 libjemalloc.so.2 \
         /lib64/ld-linux-x86-64.so.2; do
    grep -q "\"path\": \".*$f\"" "$cache/$key/manifest.json" ||
        { echo "manifest lacks $f"; exit 1; }
done

echo "== second build: cached"
"$VMBENCH" image build --cache "$cache" | tee "$cache/b2.txt"
grep -q "^guest image $key is up to date in the cache; nothing built" \
    "$cache/b2.txt"

echo "== forced"
"$VMBENCH" image build --force --cache "$cache" | tee "$cache/b3.txt"
grep -q "^guest image $key rebuilt in .* replacing the cached one" \
    "$cache/b3.txt"
test -z "$(find "$cache" -maxdepth 1 -name '.*-*')" ||
    { echo "temporary directories left behind"; ls -a "$cache"; exit 1; }

echo "== show after build"
"$VMBENCH" image show --cache "$cache" | grep -q "^guest image $key: cached"

echo "== bad usage is exit 2"
set +e
"$VMBENCH" image frobnicate >/dev/null 2>"$cache/err.txt"
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "expected exit 2, got $rc"; exit 1; }
grep -q 'expected "build" or "show"' "$cache/err.txt"
echo "ok"
