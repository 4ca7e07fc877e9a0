#!/usr/bin/env bash
# Throughput of `vmbench stress` against redis-benchmark, measured in the
# same run with the same settings: one redis-server on loopback with
# persistence off pinned to CPU 0, the generator pinned to CPU 1,
# 50 connections, 256-byte values, SET over 1M keys, pipeline 1 and 16.
# Each configuration alternates the two tools REPS times and reports the
# medians and the median ratio of adjacent runs, then the cost of latency
# recording (vmbench with and without --no-latency).
#
# Targets: ratio >= 1.2 at pipeline 1, >= 2.0 at pipeline 16; recording
# off changes throughput by < 2%.
#
#   bench/load_vs_redis_benchmark.sh [BUILD_DIR]   (default: build)
#   env: REPS (default 3), N1 (ops at pipeline 1, default 1000000),
#        N16 (ops at pipeline 16, default 4000000)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
vmbench=$build/vmbench
reps=${REPS:-3}
n1=${N1:-1000000}
n16=${N16:-4000000}
server_cpu=0
client_cpu=1

[ -x "$vmbench" ] || { echo "no $vmbench; build first" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-server missing (scripts/setup.sh)" >&2; exit 2; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark missing (scripts/setup.sh)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs" >&2; exit 2; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/vmb-bench-XXXXXX)
taskset -c $server_cpu redis-server --port "$port" --bind 127.0.0.1 \
    --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
done

rb() { # pipeline n -> ops/s
    taskset -c $client_cpu redis-benchmark -p "$port" -t set -n "$2" -c 50 \
        -d 256 -r 1000000 -P "$1" --csv 2>/dev/null |
        awk -F'"' '/"SET"/ { print $4 }'
}

vb() { # pipeline n [flags] -> "ops/s generator-CPU-us-per-op"
    local p=$1 n=$2
    shift 2
    python3 - "$dir/out.json" taskset -c $client_cpu "$vmbench" stress \
        "redis://127.0.0.1:$port" write n="$n" connections=50 pipeline="$p" \
        value_size=256 keys=1000000 threads=1 --json "$dir/out.json" -q "$@" <<'EOF'
import json, resource, subprocess, sys
subprocess.run(sys.argv[2:])
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
res = json.load(open(sys.argv[1]))
cpu_us = (ru.ru_utime + ru.ru_stime) * 1e6 / max(res["ops"], 1)
print(res["op_rate"], f"{cpu_us:.3f}")
EOF
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis: $(redis-server --version | awk '{ print $3 }'), server on CPU $server_cpu, generator on CPU $client_cpu"
echo "settings: SET, 50 connections, 256-byte values, 1M keys, $reps runs each"
echo

# Fill the key space once so both tools overwrite existing keys.
taskset -c $client_cpu "$vmbench" stress "redis://127.0.0.1:$port" write \
    n=1000000 keys=1000000 key_dist=sequential connections=50 pipeline=16 \
    value_size=256 threads=1 -q || true

status=0
for p in 1 16; do
    n=$n1
    [ "$p" = 16 ] && n=$n16
    : >"$dir/rb" ; : >"$dir/vb"
    for i in $(seq "$reps"); do
        r=$(rb "$p" "$n"); echo "$r" >>"$dir/rb"
        v=$(vb "$p" "$n" | cut -d' ' -f1); echo "$v" >>"$dir/vb"
        printf '  pipeline %-2s run %d: redis-benchmark %10.0f ops/s   vmbench %10.0f ops/s\n' "$p" "$i" "$r" "$v"
    done
    mr=$(median <"$dir/rb"); mv=$(median <"$dir/vb")
    # The ratio of each pair of adjacent runs, then their median: other
    # load on a shared host drifts, and a pair sees the same drift.
    ratio=$(paste "$dir/vb" "$dir/rb" | awk '{ printf "%.4f\n", $1 / $2 }' | median)
    ratio=$(awk -v r="$ratio" 'BEGIN { printf "%.2f", r }')
    want=1.2; [ "$p" = 16 ] && want=2.0
    ok=$(awk -v r="$ratio" -v w="$want" 'BEGIN { print (r >= w) ? "met" : "NOT met" }')
    [ "$ok" = met ] || status=1
    printf 'pipeline %-2s median: redis-benchmark %10.0f  vmbench %10.0f  paired ratio %sx (target %sx: %s)\n\n' \
        "$p" "$mr" "$mv" "$ratio" "$want" "$ok"
done

# Recording cost, pipeline 16 (where the generator works hardest per op),
# with and without latency recording, alternated. Where the server is the
# bottleneck the op rates match whatever recording costs, so the
# generator's own CPU time per operation is reported too: it bounds the
# throughput change when the generator is the bottleneck.
: >"$dir/on"; : >"$dir/off"
for i in $(seq "$reps"); do
    vb 16 "$n16" >>"$dir/on"
    vb 16 "$n16" --no-latency >>"$dir/off"
done
on=$(cut -d' ' -f1 "$dir/on" | median); off=$(cut -d' ' -f1 "$dir/off" | median)
pdiff=$(paste "$dir/on" "$dir/off" | awk '{ printf "%.4f\n", ($3 - $1) / $3 * 100 }' | median)
con=$(cut -d' ' -f2 "$dir/on" | median); coff=$(cut -d' ' -f2 "$dir/off" | median)
cdiff=$(awk -v a="$con" -v b="$coff" 'BEGIN { printf "%.2f", (a - b) / a * 100 }')
printf 'latency recording, pipeline 16 median: on %.0f  off %.0f ops/s  (paired: off is %.2f%% faster; target < 2%%)\n' \
    "$on" "$off" "$pdiff"
printf 'generator CPU per op: on %.3f us  off %.3f us  (recording is %s%% of it)\n' \
    "$con" "$coff" "$cdiff"
echo "host load afterwards: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
