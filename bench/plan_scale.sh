#!/usr/bin/env bash
# How `vmbench plan` scales: times it on generated matrices at the size
# limits and beyond them, and prints seconds, exit status and peak memory
# per case. The goals: 10^5 cells plan in under 2 s, files over a limit
# are refused in well under a second, before using much memory (issue
# 11); five 10-value axes and 5 repetitions (10^5 cells, 5*10^5 runs)
# plan in under 1 s and 100 MB, --json too (issue 21). Wall time on a
# shared host says little: the CPU column (user + system) is the figure
# to compare.
#
#   bench/plan_scale.sh [VMBENCH]      (default: build/vmbench)
#
# Rerunnable; writes its matrices to a temporary directory it removes
# (VMB_BENCH_KEEP=1 keeps it); VMB_BENCH_TIMEOUT caps each case (120 s).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/vmbench}
[ -x "$bin" ] || { echo "no vmbench binary at $bin" >&2; exit 2; }
limit=${VMB_BENCH_TIMEOUT:-120}
dir=$(mktemp -d /tmp/vmb-plan-scale.XXXXXX)
[ -n "${VMB_BENCH_KEEP:-}" ] || trap 'rm -rf "$dir"' EXIT

seq_list() { # seq_list FIRST LAST -> "[a,b,...]"
    printf '['; seq -s , "$1" "$2" | tr -d '\n'; printf ']'
}

# 10^5 cells, 10^4 controls (load.connections is not VM-only).
{
    echo "name: scale"
    echo "repetitions: 1"
    echo "matrix:"
    echo "  vcpus: $(seq_list 1 10)"
    echo "  memory: $(seq_list 1025 1034)"
    echo "  load.connections: $(seq_list 1 100)"
    echo "  storage: [9p, virtio-fs, virtio-blk, local, tmpfs]"
    echo "  iothreads: [false, true]"
} >"$dir/cells-1e5.yaml"

# 10^5 cells, each with its own control (both axes reach the control),
# and an exclude list to match against every combination.
{
    echo "name: scale-controls"
    echo "repetitions: 1"
    echo "matrix:"
    echo "  load.connections: $(seq_list 1 1000)"
    echo "  load.pipeline: $(seq_list 1 100)"
    echo "exclude:"
    for i in $(seq 1 50); do echo "  - { load.connections: $i, load.pipeline: $i }"; done
} >"$dir/controls-1e5.yaml"

# Five 10-value axes, 5 repetitions, no controls: 10^5 cells, 5*10^5
# runs, inside the limits.
{
    echo "name: limits"
    echo "repetitions: 5"
    echo "control:"
    echo "  baremetal: false"
    echo "matrix:"
    echo "  vcpus: $(seq_list 1 10)"
    echo "  memory: $(seq_list 1024 1033)"
    echo "  load.connections: $(seq_list 1 10)"
    echo "  load.pipeline: $(seq_list 1 10)"
    echo "  kernel_params: [$(seq -f 'a=%g' -s , 0 9)]"
} >"$dir/axes-5x10.yaml"

# One axis of 2*10^5 values: over the cell limit.
{
    echo "matrix:"
    echo "  load.keys: $(seq_list 1 200000)"
} >"$dir/axis-2e5.yaml"

# The same count in under 1 MiB: 2*10^5 distinct three-letter strings.
awk 'BEGIN {
    d = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    printf "matrix:\n  hypervisor.machine: ["
    for (i = 0; i < 200000; i++)
        printf "%s%s%s%s", i ? "," : "", substr(d, int(i / 3844) + 1, 1),
            substr(d, int(i / 62) % 62 + 1, 1), substr(d, i % 62 + 1, 1)
    print "]"
}' >"$dir/axis-2e5-small.yaml"

# 661 bytes: two 100-value axes and 1000 repetitions, 10^7 runs.
{
    echo "repetitions: 1000"
    echo "matrix:"
    echo "  load.connections: $(seq_list 1 100)"
    echo "  load.pipeline: $(seq_list 1 100)"
} >"$dir/runs-1e7.yaml"

# 10^4 aliased phases in each of 1000 cells.
{
    echo "load:"
    echo "  phases:"
    echo "    - &p { op: write, n: 10 }"
    for _ in $(seq 2 10000); do echo "    - *p"; done
    echo "matrix:"
    echo "  load.connections: $(seq_list 1 1000)"
} >"$dir/phases-1e7.yaml"

# 10^5 nested flow sequences.
{ printf 'name: '; head -c 100000 /dev/zero | tr '\0' '['; echo; } >"$dir/nested-1e5.yaml"

# A 100 MB scalar.
{ printf 'name: '; head -c 100000000 /dev/zero | tr '\0' 'a'; echo; } >"$dir/scalar-100M.yaml"

run_case() { # run_case LABEL FILE [ARGS...]
    local label=$1 file=$2
    shift 2
    local t0 t1 rc=0
    t0=$(date +%s.%N)
    /usr/bin/time -f '%U %S %M' -o "$dir/rss" timeout "$limit" \
        "$bin" plan "$@" "$file" >/dev/null 2>"$dir/err" || rc=$?
    t1=$(date +%s.%N)
    local user=0 sys=0 rss=0
    read -r user sys rss < <(tail -n 1 "$dir/rss" 2>/dev/null) || true
    printf '%-34s %8.2f s %6.2f s  exit %-3s %6s MiB  %s\n' "$label" \
        "$(echo "$t1 - $t0" | bc)" "$(echo "${user:-0} + ${sys:-0}" | bc)" \
        "$rc" "$((${rss:-0} / 1024))" "$(head -c 110 "$dir/err" | head -n 1)"
}

echo "vmbench: $bin"
printf '%-34s %10s %8s  %-8s %10s  %s\n' case wall CPU status 'peak RSS' \
    message
run_case "$(wc -c <"$dir/axes-5x10.yaml") bytes, 5 axes x 10, 5 reps" \
    "$dir/axes-5x10.yaml"
run_case "the same --json" "$dir/axes-5x10.yaml" --json
run_case "10^5 cells, 10^4 controls" "$dir/cells-1e5.yaml"
run_case "10^5 cells, 10^4 controls --json" "$dir/cells-1e5.yaml" --json
run_case "10^5 cells, 10^5 controls" "$dir/controls-1e5.yaml"
run_case "axis of 2*10^5 values" "$dir/axis-2e5.yaml"
run_case "axis of 2*10^5 values, < 1 MiB" "$dir/axis-2e5-small.yaml"
run_case "$(wc -c <"$dir/runs-1e7.yaml") bytes, 10^7 runs" "$dir/runs-1e7.yaml"
run_case "10^4 aliased phases x 1000 cells" "$dir/phases-1e7.yaml"
run_case "10^5 nested [" "$dir/nested-1e5.yaml"
run_case "100 MB scalar" "$dir/scalar-100M.yaml"
run_case "/dev/zero" /dev/zero
