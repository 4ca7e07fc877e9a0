#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds vmbench, and runs the main job
# on configs/quickstart.yaml: two container VMs per cell and the bare-metal
# control, inside a network namespace with a private libvirtd, so nothing
# the run starts can reach outside. Results land in results/.
#
#   scripts/quickstart.sh [MATRIX.yaml] [vmbench run options...]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"

matrix=${1:-configs/quickstart.yaml}
[ "$#" -gt 0 ] && shift
exec bash scripts/sandbox.sh ./build/vmbench run "$matrix" "$@"
