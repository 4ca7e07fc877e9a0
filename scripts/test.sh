#!/usr/bin/env bash
# Sets up a fresh machine, builds vmbench from scratch and runs the whole
# test suite: unit tests (also under ASan/UBSan), the bounded fuzz run,
# and the integration tests that boot real VMs under TCG inside network
# namespaces the tests create.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

jobs=$(nproc)
rm -rf build build-asan build-fuzz
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVMB_SANITIZE=ON
cmake --build build-asan -j "$jobs"
# The fuzz target needs clang's libFuzzer; only the loader and its target.
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DVMB_FUZZ=ON \
    -DVMB_FUZZ_SECONDS="${VMB_FUZZ_SECONDS:-60}"
cmake --build build-fuzz -j "$jobs" --target fuzz_matrix

echo "== unit tests (ASan/UBSan build)"
ctest --test-dir build-asan -L unit --output-on-failure
echo "== fuzzing the matrix loader (bounded)"
ctest --test-dir build-fuzz -L fuzz --output-on-failure
echo "== all tests"
ctest --test-dir build --output-on-failure
