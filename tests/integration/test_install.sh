#!/usr/bin/env bash
# An installed vmbench works with the source and build trees gone:
# `cmake --install` into a temporary prefix, then, in a private mount
# namespace with empty tmpfs mounted over both trees, the installed binary
# run from another directory writes a report with charts from a copy of
# the results fixture (the plots' templates from share/vmbench/plots),
# finds the guest agent in libexec/vmbench and builds the guest image.
# The environment overrides still win. No VM boots.
set -euo pipefail
: "${VMB_BUILD_DIR:?}" "${VMB_SOURCE_DIR:?}"
unset VMB_PLOTS_DIR VMB_GUEST_DIR

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

tmp=$(mktemp -d /tmp/vmb-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$(realpath "$VMB_SOURCE_DIR")
build=$(realpath "$VMB_BUILD_DIR")
case "$tmp/" in
"$src"/* | "$build"/*) fail "temporary directory $tmp is inside a tree" ;;
esac

echo "== install"
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
for f in bin/vmbench libexec/vmbench/vmb-agent share/vmbench/plots/common.gp \
    share/doc/vmbench/README.md share/doc/vmbench/HACKING.md \
    share/doc/vmbench/results-format.md; do
    [ -e "$prefix/$f" ] || fail "the install lacks $f"
done
cp -r "$src/tests/data/results-fixture" "$tmp/results"
mkdir "$tmp/elsewhere"

# Runs the installed binary with both trees hidden under empty tmpfs.
hidden() {
    local un=(unshare --mount)
    [ "$(id -u)" -eq 0 ] || un+=(--map-root-user)
    "${un[@]}" bash -c '
        set -e
        mount -t tmpfs vmb-hidden "$1"
        mount -t tmpfs vmb-hidden "$2"
        for d in "$1" "$2"; do
            [ ! -e "$d" ] || [ -z "$(ls -A "$d")" ]
        done
        cd "$3"
        shift 3
        exec "$@"' hidden "$build" "$src" "$tmp/elsewhere" "$@"
}

echo "== report from the installed binary"
hidden "$prefix/bin/vmbench" report "$tmp/results" >"$tmp/report.log" 2>&1 ||
    { cat "$tmp/report.log"; fail "vmbench report failed"; }
[ -s "$tmp/results/report.md" ] || fail "no report.md"
n=$(find "$tmp/results/plots" -name '*.png' -size +0 | wc -l)
[ "$n" -gt 0 ] || fail "no charts in plots/"
grep -q '](plots/.*\.png)' "$tmp/results/report.md" ||
    fail "report.md links no chart"
echo "report.md and $n charts"

echo "== the guest's inputs: agent and image"
hidden "$prefix/bin/vmbench" image build --cache "$tmp/cache" \
    >"$tmp/image.log" 2>&1 || { cat "$tmp/image.log"; fail "image build failed"; }
cat "$tmp/image.log"
grep -q '^guest image .* built in ' "$tmp/image.log" || fail "no image built"
grep -qx "  agent     $prefix/libexec/vmbench/vmb-agent" "$tmp/image.log" ||
    fail "the installed agent was not found"

echo "== the environment still wins"
hidden env VMB_GUEST_DIR=/nonexistent "$prefix/bin/vmbench" image show \
    --cache "$tmp/cache" >"$tmp/show.log"
grep -q '^  agent     /nonexistent/vmb-agent (missing' "$tmp/show.log" ||
    fail "VMB_GUEST_DIR was not used"
rm -rf "$tmp/results/plots"
if hidden env VMB_PLOTS_DIR=/nonexistent "$prefix/bin/vmbench" report \
    --quiet "$tmp/results" >"$tmp/report2.log" 2>&1; then
    fail "report with VMB_PLOTS_DIR=/nonexistent succeeded"
fi
grep -q '/nonexistent/' "$tmp/report2.log" || fail "VMB_PLOTS_DIR was not used"
echo "ok"
