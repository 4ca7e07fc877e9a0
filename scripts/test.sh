#!/usr/bin/env bash
# Sets up a fresh machine, builds vmbench from scratch and runs the whole
# test suite: the formatting check, the build with warnings as errors,
# static analysis (cppcheck), the proof that the leaf layers need no heavy
# library, unit tests (also under ASan/UBSan), a bounded fuzz run of each
# parser of outside input (the matrix, Kata's TOML, results directories,
# tune.json, compare's bounds, QEMU command lines, fio job files and
# output), and the
# integration tests that boot real VMs under TCG inside network namespaces
# the tests create.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== formatting"
bash scripts/check-format.sh

jobs=$(nproc)
rm -rf build build-asan build-fuzz build-leaves
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVMB_WERROR=ON
cmake --build build -j "$jobs"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVMB_SANITIZE=ON \
    -DVMB_WERROR=ON
cmake --build build-asan -j "$jobs"
# The fuzz targets need clang's libFuzzer; only they and what they link.
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DVMB_FUZZ=ON \
    -DVMB_FUZZ_SECONDS="${VMB_FUZZ_SECONDS:-35}"
cmake --build build-fuzz -j "$jobs" --target vmb_fuzz_all

echo "== static analysis"
bash scripts/check-static.sh build
echo "== the leaves build and test alone"
bash scripts/check-leaves.sh build
echo "== unit tests (ASan/UBSan build)"
ctest --test-dir build-asan -L unit --output-on-failure
echo "== fuzzing each parser of outside input (bounded)"
# Each target runs in its own corpus directory on one core, for its own
# seconds: side by side they fuzz as long and finish sooner.
ctest --test-dir build-fuzz -L fuzz -j "$jobs" --output-on-failure
# The unit tests ran above under the sanitizers; the optimised build runs
# the integration tests, which boot VMs and start real servers.
echo "== integration tests"
ctest --test-dir build -L integration --output-on-failure
