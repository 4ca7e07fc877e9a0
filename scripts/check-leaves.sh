#!/usr/bin/env bash
# Proves that the leaf layers (harness/base, harness/load) and their tests
# need nothing but libc, libm and pthreads (docs/architecture.md):
#  1. the leaves include only headers of the leaves and of the C library;
#  2. they and their tests build with VMB_LEAVES_ONLY, which does not look
#     for libyaml, json-c, libvirt or libpq at all, and the tests pass;
#  3. in the full build (BUILD_DIR, default build), the leaf tests link no
#     library beyond libc, libm, pthreads and Criterion.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
fail=0

bad=$(grep -Hn '^#include "' harness/base/*.[ch] harness/load/*.[ch] |
    grep -v -E '#include "(base|load)/[a-z_]+\.h"' || true)
if [ -n "$bad" ]; then
    echo "check-leaves: a leaf includes a header above the leaves:" >&2
    echo "$bad" >&2
    fail=1
fi
bad=$(grep -Hn -E '#include <(yaml|json-c/|libvirt/|guestfs|libpq)' \
    harness/base/*.[ch] harness/load/*.[ch] || true)
if [ -n "$bad" ]; then
    echo "check-leaves: a leaf includes an external library:" >&2
    echo "$bad" >&2
    fail=1
fi

leaves=build-leaves
rm -rf "$leaves"
cmake -S . -B "$leaves" -DVMB_LEAVES_ONLY=ON -DVMB_WERROR=ON >/dev/null
cmake --build "$leaves" -j "$(nproc)" >/dev/null
if grep -q -E 'YAML|JSONC|LIBVIRT|GUESTFS|LIBPQ' "$leaves/CMakeCache.txt"; then
    echo "check-leaves: the leaves-only build looked for a heavy library" >&2
    fail=1
fi
ctest --test-dir "$leaves" --output-on-failure

tests=$(awk '/^set\(VMB_LEAF_TESTS/ {on = 1; sub(/.*VMB_LEAF_TESTS/, "")}
    on {line = $0; gsub(/[()]/, " ", line); print line}
    on && /\)/ {exit}' tests/CMakeLists.txt)
for t in $tests; do
    bin="$build_dir/tests/$t"
    if [ ! -x "$bin" ]; then
        echo "check-leaves: $bin is not built" >&2
        fail=1
        continue
    fi
    extra=$(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' |
        grep -v -E '^(libc|libm|libpthread|libcriterion|ld-linux[^ ]*)\.so' ||
        true)
    if [ -n "$extra" ]; then
        echo "check-leaves: $t links $extra" >&2
        fail=1
    fi
done
[ "$fail" -eq 0 ] && echo "check-leaves: the leaves need only libc, libm and pthreads"
exit "$fail"
