#!/usr/bin/env bash
# Throughput of `vmbench stress` against redis-benchmark, measured in the
# same run with the same settings: the server pinned to CPU 0, the
# generator to CPU 1, 50 connections, 256-byte values, SET over 1M keys
# (both tools write the very same keys, key:000000000000 to
# key:000000999999), pipeline 1 and 16, the two tools alternated REPS
# times; medians and the median ratio of adjacent runs.
#
# 1. Against redis-server with persistence off: the comparison the targets
#    name. Each run also shows how busy the server's CPU was and the
#    generator's own CPU time per operation. Where redis-server's CPU is
#    saturated under redis-benchmark already, the op rate ratio measures
#    the server, not the generators, and the script says so.
# 2. Against resp_sink (bench/resp_sink.c), a RESP server that answers
#    without storing anything, so the server is not what limits the rate:
#    the same comparison measures the generators themselves.
# 3. The cost of latency recording: vmbench with and without --no-latency
#    against resp_sink at pipeline 16, where the generator works hardest
#    per op and its own speed shows in the op rate.
#
# Targets: ratio >= 1.2 at pipeline 1 and >= 2.0 at pipeline 16 (part 1);
# recording costs < 2% of the generator's time, so turning it off changes
# a generator-bound op rate by < 2% (part 3). Exit 0 when all are
# met, 1 when not.
#
#   bench/load_vs_redis_benchmark.sh [BUILD_DIR]   (default: build)
#   env: REPS (default 3), N1 (ops at pipeline 1, default 1000000),
#        N16 (ops at pipeline 16, default 4000000)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
vmbench=$build/vmbench
sink=$build/bench/resp_sink
reps=${REPS:-3}
n1=${N1:-1000000}
n16=${N16:-4000000}
server_cpu=0
client_cpu=1

[ -x "$vmbench" ] || { echo "no $vmbench; build first" >&2; exit 2; }
[ -x "$sink" ] || { echo "no $sink; build first" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-server missing (scripts/setup.sh)" >&2; exit 2; }
command -v redis-benchmark >/dev/null || { echo "redis-benchmark missing (scripts/setup.sh)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs" >&2; exit 2; }

dir=$(mktemp -d /tmp/vmb-bench-XXXXXX)
server=
stop_server() {
    if [ -n "$server" ]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    server=
}
cleanup() {
    stop_server
    rm -rf "$dir"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_redis() {
    port=$(free_port)
    taskset -c $server_cpu redis-server --port "$port" --bind 127.0.0.1 \
        --save '' --appendonly no --dir "$dir" --logfile "$dir/redis.log" &
    server=$!
    for _ in $(seq 100); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "redis-server did not start" >&2
    exit 1
}

start_sink() {
    taskset -c $server_cpu "$sink" >"$dir/sink.out" &
    server=$!
    for _ in $(seq 100); do
        port=$(awk '/^port/ { print $2 }' "$dir/sink.out")
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    echo "resp_sink did not start" >&2
    exit 1
}

# measure OPS OUT CMD...: runs CMD on the generator CPU and prints
# "ops/s generator-CPU-us-per-op server-busy-percent"; the op rate comes
# from CMD's own report (OUT: a vmbench JSON file, or - for
# redis-benchmark's CSV on standard output).
measure() {
    python3 - "$server" "$@" <<'EOF'
import json, os, resource, subprocess, sys, time
server, ops, out, cmd = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
tck = os.sysconf("SC_CLK_TCK")
def server_ticks():
    with open(f"/proc/{server}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])
s0, t0 = server_ticks(), time.monotonic()
p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
s1, t1 = server_ticks(), time.monotonic()
if p.returncode != 0:
    sys.exit(f"{cmd[3]} failed with exit status {p.returncode}")
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
if out == "-":
    rate = next(float(l.split('"')[3]) for l in p.stdout.splitlines()
                if l.startswith('"SET"'))
else:
    rate = json.load(open(out))["op_rate"]
cpu_us = (ru.ru_utime + ru.ru_stime) * 1e6 / ops
busy = (s1 - s0) / tck / (t1 - t0) * 100
print(f"{rate:.0f} {cpu_us:.3f} {busy:.0f}")
EOF
}

rb() { # pipeline ops
    measure "$2" - taskset -c $client_cpu redis-benchmark -p "$port" -t set \
        -n "$2" -c 50 -d 256 -r 1000000 -P "$1" --csv
}

vb() { # pipeline ops [flags]
    local p=$1 n=$2
    shift 2
    measure "$n" "$dir/out.json" taskset -c $client_cpu "$vmbench" stress \
        "redis://127.0.0.1:$port" write n="$n" connections=50 pipeline="$p" \
        value_size=256 keys=1000000 key_prefix=key:000000 threads=1 \
        --json "$dir/out.json" -q "$@"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

status=0

# compare LABEL: both tools at pipelines 1 and 16 against the running
# server; checks the targets when LABEL is "redis-server".
compare() {
    local label=$1 p n
    for p in 1 16; do
        n=$n1
        [ "$p" = 16 ] && n=$n16
        : >"$dir/rb"; : >"$dir/vb"
        for i in $(seq "$reps"); do
            read -r r rc rs < <(rb "$p" "$n")
            read -r v vc vs < <(vb "$p" "$n")
            echo "$r $rc $rs" >>"$dir/rb"
            echo "$v $vc $vs" >>"$dir/vb"
            printf '  pipeline %-2s run %d: redis-benchmark %8.0f ops/s %6.3f us/op (server %3s%% busy)   vmbench %8.0f ops/s %6.3f us/op (server %3s%% busy)\n' \
                "$p" "$i" "$r" "$rc" "$rs" "$v" "$vc" "$vs"
        done
        local mr mv ratio cratio busy
        mr=$(cut -d' ' -f1 "$dir/rb" | median)
        mv=$(cut -d' ' -f1 "$dir/vb" | median)
        ratio=$(paste -d' ' "$dir/vb" "$dir/rb" | awk '{ printf "%.4f\n", $1 / $4 }' | median)
        cratio=$(paste -d' ' "$dir/rb" "$dir/vb" | awk '{ printf "%.4f\n", $2 / $5 }' | median)
        busy=$(cut -d' ' -f3 "$dir/rb" | median)
        printf 'pipeline %-2s median: redis-benchmark %8.0f  vmbench %8.0f ops/s  paired ratio %.2fx;' \
            "$p" "$mr" "$mv" "$ratio"
        printf ' generator CPU per op: vmbench uses %.2fx less\n' "$cratio"
        if [ "$label" = redis-server ]; then
            local want=1.2 ok
            [ "$p" = 16 ] && want=2.0
            ok=$(awk -v r="$ratio" -v w="$want" 'BEGIN { print (r >= w) ? "met" : "NOT met" }')
            printf '  target %sx: %s\n' "$want" "$ok"
            if [ "$ok" != met ]; then
                status=1
                if [ "$busy" -ge 90 ]; then
                    printf '  redis-server was %s%% busy under redis-benchmark alone: the server, not the\n' "$busy"
                    printf '  generator, sets this rate, and no client reaches %.0f ops/s here unless the\n' \
                        "$(awk -v r="$mr" -v w="$want" 'BEGIN { print r * w }')"
                    printf '  server does less work per operation\n'
                fi
            fi
        fi
        echo
    done
}

echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "redis: $(redis-server --version | awk '{ print $3 }'), server on CPU $server_cpu, generator on CPU $client_cpu"
echo "settings: SET, 50 connections, 256-byte values, 1M keys, $reps runs each"
echo "columns: op rate, the generator's CPU time per op, the server's CPU busy share"
echo

echo "== 1. against redis-server =="
start_redis
# Write every key once so that both tools overwrite existing keys.
taskset -c $client_cpu "$vmbench" stress "redis://127.0.0.1:$port" write \
    n=1000000 keys=1000000 key_prefix=key:000000 key_dist=sequential \
    connections=50 pipeline=16 value_size=256 threads=1 -q
compare redis-server
stop_server

echo "== 2. against resp_sink: a server that stores nothing =="
start_sink
compare resp_sink

# 3. Recording cost, alternated, against the sink. The generator's CPU
# time per op decides the target: where the generator is the limit its op
# rate is the inverse of that time, and on a shared host the op rates of
# two identical runs differ by more than the 2% sought, while CPU time per
# op is steady to a fraction of that.
echo "== 3. latency recording on and off, resp_sink, pipeline 16 =="
: >"$dir/on"; : >"$dir/off"
for i in $(seq "$reps"); do
    read -r a ac as < <(vb 16 "$n16")
    read -r b bc bs < <(vb 16 "$n16" --no-latency)
    echo "$a $ac $as" >>"$dir/on"
    echo "$b $bc $bs" >>"$dir/off"
    printf '  run %d: recording on %8.0f ops/s %6.3f us/op (server %3s%% busy)   off %8.0f ops/s %6.3f us/op (server %3s%% busy)\n' \
        "$i" "$a" "$ac" "$as" "$b" "$bc" "$bs"
done
stop_server
on=$(cut -d' ' -f1 "$dir/on" | median); off=$(cut -d' ' -f1 "$dir/off" | median)
pdiff=$(paste -d' ' "$dir/on" "$dir/off" | awk '{ printf "%.4f\n", ($4 - $1) / $4 * 100 }' | median)
con=$(cut -d' ' -f2 "$dir/on" | median); coff=$(cut -d' ' -f2 "$dir/off" | median)
cdiff=$(awk -v a="$con" -v b="$coff" 'BEGIN { printf "%.2f", (a - b) / a * 100 }')
okr=$(awk -v d="$cdiff" 'BEGIN { print (d < 2) ? "met" : "NOT met" }')
[ "$okr" = met ] || status=1
printf 'median: on %.0f  off %.0f ops/s  (paired: off is %.2f%% faster)\n' \
    "$on" "$off" "$pdiff"
printf 'generator CPU per op: on %.3f us  off %.3f us: recording costs %s%% of the generator'"'"'s time (target < 2%%: %s)\n' \
    "$con" "$coff" "$cdiff" "$okr"
echo "host load afterwards: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
