#!/usr/bin/env bash
# Static analysis: cppcheck over harness/ and guest/, with the compiler
# flags, include paths and definitions of a configured build (its
# compile_commands.json). Any finding fails; a suppression says why on
# its line, inline (`// cppcheck-suppress id ; why`) or in
# scripts/cppcheck-suppressions.txt. About 25 s on 2 cores, less when
# the build's cppcheck cache is warm.
#
#   scripts/check-static.sh [BUILD_DIR]     (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

if ! command -v cppcheck >/dev/null; then
    echo "check-static: cppcheck is not installed (scripts/setup.sh installs it)" >&2
    exit 2
fi
if [ ! -f "$build/compile_commands.json" ]; then
    echo "check-static: no $build/compile_commands.json; configure the build first" >&2
    exit 2
fi

# Only our sources: tests, benches and the fuzz targets are left out.
src=$(pwd)
work="$build/cppcheck"
mkdir -p "$work/cache"
jq --arg src "$src" \
    '[.[] | select(.file | startswith($src + "/harness/") or startswith($src + "/guest/"))]' \
    "$build/compile_commands.json" >"$work/compile_commands.json"

jobs=$(nproc)
cppcheck --project="$work/compile_commands.json" \
    --enable=warning,style,performance,portability \
    --inline-suppr --suppressions-list=scripts/cppcheck-suppressions.txt \
    --cppcheck-build-dir="$work/cache" -j "$jobs" -q \
    --error-exitcode=1 \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]\n{code}'
echo "check-static: cppcheck found nothing in harness/ and guest/"
