#!/usr/bin/env bash
# Wall time of `vmbench report` on the fixture results directory
# (tests/data/results-fixture: 3 VM cells and a control, 3 repetitions,
# 2 phases, 10 charts as PNG and SVG). Target: under 10 s, well inside a
# minute, on a 2-core machine. Prints the load average first, since other
# work on the host shows in the figure.
#
#   bench/report_fixture.sh [BUILD_DIR] [REPS]   (default: build 5)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
reps=${2:-5}
vmbench=$build/vmbench
[ -x "$vmbench" ] || { echo "no $vmbench; build first" >&2; exit 2; }

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
dir=$(mktemp -d /tmp/vmb-bench-XXXXXX)
trap 'rm -rf "$dir"' EXIT

times=()
for i in $(seq "$reps"); do
    rm -rf "$dir/run"
    cp -r tests/data/results-fixture "$dir/run"
    start=$(date +%s%N)
    "$vmbench" report --quiet "$dir/run"
    end=$(date +%s%N)
    times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
done
n=$(ls "$dir/run/plots"/*.png | wc -l)
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'vmbench report: %d charts; runs (s): %s; median %.2f s\n' \
    "$n" "$(printf '%.2f ' "${times[@]}")" "$median"
awk -v m="$median" 'BEGIN { exit !(m < 10) }' && echo "target met (< 10 s)" && exit 0
echo "target missed (>= 10 s)"
exit 1
