#!/usr/bin/env bash
# examples/scale-out/parallel.sh for real, this machine as the fleet
# (GNU parallel's ":" login): a bare-metal matrix in 2 shards, brought
# back and merged; the merged directory has every control's run and the
# report; nothing is left listening.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"
command -v parallel >/dev/null || fail "GNU parallel is not installed (scripts/setup.sh)"

T=$(mktemp -d /tmp/vmb-test-recipe-parallel.XXXXXX)
trap 'rm -rf "$T"' EXIT
base=$((26000 + ($$ % 500) * 4))
bash "$VMB_SOURCE_DIR/tests/integration/recipe_matrix.sh" "$base" >"$T/m.yaml"
echo : >"$T/hosts"

rc=0
VMBENCH="$VMBENCH" bash "$VMB_SOURCE_DIR/examples/scale-out/parallel.sh" \
    "$T/m.yaml" 2 "$T/hosts" "$T/merged" --only baremetal >"$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "parallel.sh exited $rc"; }
bash "$VMB_SOURCE_DIR/tests/integration/recipe_check.sh" "$T/merged" "$T/m.yaml"
assert_ports_free "$base"
echo ok
