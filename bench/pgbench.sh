#!/usr/bin/env bash
# `vmbench stress` against `pgbench -M prepared -j 1`, in the same run with
# the same client count and duration: one local PostgreSQL 15 on loopback
# pinned to CPU 0, the generator pinned to CPU 1, tables made by
# `pgbench -i -s 10` (vmbench runs on pgbench's own tables), 16
# connections, the two tools alternated REPS times; medians.
#
#   select-only   target: vmbench tps >= pgbench's, and vmbench's client
#                 CPU per transaction <= 0.7x pgbench's
#   tpcb-like     target: vmbench tps >= 0.95x pgbench's (the server sets
#                 this rate)
#   select-only with pipeline=16 (vmbench only: libpq's pipeline mode):
#                 how far past pgbench pipelining takes it
#
# Each line shows the transactions per second (each tool's own report),
# the client's CPU time per transaction (user + system, from getrusage,
# and the two apart), how often the client went to sleep per transaction
# (voluntary context switches: each is a wakeup, paid in the kernel) and
# how busy CPU 0 (the server's) was. Where `perf` can count syscalls
# (tracepoints readable), one more run of each tool on select-only counts
# the client's syscalls per transaction by kind; those runs are not in
# the medians.
#
# Reading the split: at pipeline 1 each tool sends once and receives once
# per select-only transaction (pgbench also makes a recv that finds
# nothing, and a ppoll over all its sockets where vmbench has an epoll
# wait). On loopback a send also runs the receiving socket's TCP
# processing and wakes the server's backend, all of it charged to the
# sender's system time. That system time is a floor the two tools share:
# what one client can save is its user time and its extra syscalls, and
# where system time is most of pgbench's CPU per transaction, a ratio
# well below 1 needs fewer sends per transaction (pipeline > 1). The server runs with
# synchronous_commit=off so that tpcb-like measures the server's CPU, not
# the disk's flush latency. Exit 0 when the targets are met, 1 when not,
# 2 when something is missing.
#
#   bench/pgbench.sh [BUILD_DIR]   (default: build)
#   env: REPS (default 3), DURATION (seconds, default 10), SCALE (10)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
vmbench=$(realpath "$build/vmbench")
reps=${REPS:-3}
duration=${DURATION:-10}
scale=${SCALE:-10}
clients=16
server_cpu=0
client_cpu=1
pgbin=/usr/lib/postgresql/15/bin

[ -x "$vmbench" ] || { echo "no $vmbench; build first" >&2; exit 2; }
[ -x "$pgbin/postgres" ] || { echo "postgresql-15 missing (scripts/setup.sh)" >&2; exit 2; }
[ "$(nproc)" -ge 2 ] || { echo "needs 2 CPUs" >&2; exit 2; }

dir=$(mktemp -d /tmp/vmb-pgbench-XXXXXX)
chmod 755 "$dir"
# As root, the server runs as postgres (it refuses root). setpriv execs in
# place, so $! below is the postmaster itself.
run_as=()
if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    run_as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
fi
server=
# Fast shutdown, immediate after 10 s, SIGKILL after 5 more; the directory
# goes once the server is gone.
cleanup() {
    if [ -n "$server" ]; then
        kill -INT "$server" 2>/dev/null || true
        for _ in $(seq 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
        kill -QUIT "$server" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"${run_as[@]}" "$pgbin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
taskset -c $server_cpu "${run_as[@]}" "$pgbin/postgres" -D "$dir/data" \
    -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
    -c shared_buffers=512MB -c synchronous_commit=off \
    -c max_connections=100 2>"$dir/server.log" &
server=$!
for _ in $(seq 200); do
    "$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.1
done
"$pgbin/pg_isready" -q -h 127.0.0.1 -p "$port" || { echo "postgres did not start" >&2; cat "$dir/server.log" >&2; exit 1; }
url="postgres://postgres@127.0.0.1:$port/postgres"

echo "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "postgres: $("$pgbin/postgres" --version | awk '{print $3}'), server on CPU $server_cpu, generator on CPU $client_cpu"
echo "settings: scale $scale, $clients connections, ${duration}s per run, $reps runs each, synchronous_commit=off"
t0=$(date +%s.%N)
"$pgbin/pgbench" -i -q -s "$scale" -h 127.0.0.1 -p "$port" -U postgres postgres >"$dir/init.log" 2>&1
echo "pgbench -i -s $scale: $(python3 -c "import time; print(f'{time.time() - $t0:.1f}')") s"
echo "columns: transactions/s, client CPU per transaction, CPU $server_cpu (server) busy"

# measure OUT CMD...: runs CMD on the client CPU and prints "tps
# client-CPU-us-per-transaction server-CPU-busy-percent user-us sys-us
# sleeps-per-transaction"; tps and the transaction count come from CMD's
# own report (OUT: a vmbench JSON file, or - for pgbench's text on
# standard output).
measure() {
    python3 - "$server_cpu" "$@" <<'EOF'
import json, os, re, resource, subprocess, sys, time
cpu, out, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
tck = os.sysconf("SC_CLK_TCK")
def cpu_busy():
    for line in open("/proc/stat"):
        f = line.split()
        if f[0] == "cpu" + cpu:
            v = list(map(int, f[1:]))
            return sum(v) - v[3] - v[4], sum(v)
b0, a0 = cpu_busy()
p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                   text=True)
b1, a1 = cpu_busy()
if p.returncode not in (0, 1):
    sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}")
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
if out == "-":
    tps = float(re.search(r"tps = ([0-9.]+) \(without", p.stdout).group(1))
    txns = int(re.search(r"number of transactions actually processed: (\d+)",
                         p.stdout).group(1))
else:
    j = json.load(open(out))
    tps, txns = j["op_rate"], j["ops"]
    if j["errors"]:
        sys.exit(f"vmbench counted {j['errors']} errors")
n = max(txns, 1)
cpu_us = (ru.ru_utime + ru.ru_stime) * 1e6 / n
busy = (b1 - b0) / max(a1 - a0, 1) * 100
print(f"{tps:.0f} {cpu_us:.3f} {busy:.0f} {ru.ru_utime * 1e6 / n:.3f} "
      f"{ru.ru_stime * 1e6 / n:.3f} {ru.ru_nvcsw / n:.3f}")
EOF
}

pgb() { # extra pgbench flags
    measure - taskset -c $client_cpu "$pgbin/pgbench" -M prepared -j 1 \
        -c $clients -T "$duration" -n -h 127.0.0.1 -p "$port" -U postgres \
        "$@" postgres
}

vb() { # op [k=v...]
    local op=$1
    shift
    measure "$dir/out.json" taskset -c $client_cpu "$vmbench" stress "$url" \
        "$op" duration="${duration}s" connections=$clients threads=1 \
        scale="$scale" --json "$dir/out.json" -q "$@"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

status=0
# compare LABEL "PGBENCH FLAGS" VMBENCH-OP [k=v...]: alternated runs,
# medians, the ratios.
compare() {
    local label=$1 pflags=$2 op=$3
    shift 3
    local ptps=() pcpu=() vtps=() vcpu=() pu=() ps=() vu=() vs=() pw=() vw=()
    echo
    echo "== $label =="
    for i in $(seq "$reps"); do
        # shellcheck disable=SC2086
        read -r t c b u y w < <(pgb $pflags)
        ptps+=("$t"); pcpu+=("$c"); pu+=("$u"); ps+=("$y"); pw+=("$w")
        printf '  run %d: pgbench %7.0f tps %6.2f us/txn (user %5.2f sys %5.2f, %.2f sleeps/txn, server %3.0f%% busy)\n' "$i" "$t" "$c" "$u" "$y" "$w" "$b"
        read -r t c b u y w < <(vb "$op" "$@")
        vtps+=("$t"); vcpu+=("$c"); vu+=("$u"); vs+=("$y"); vw+=("$w")
        printf '         vmbench %7.0f tps %6.2f us/txn (user %5.2f sys %5.2f, %.2f sleeps/txn, server %3.0f%% busy)\n' "$t" "$c" "$u" "$y" "$w" "$b"
    done
    pt=$(printf '%s\n' "${ptps[@]}" | median)
    pc=$(printf '%s\n' "${pcpu[@]}" | median)
    vt=$(printf '%s\n' "${vtps[@]}" | median)
    vc=$(printf '%s\n' "${vcpu[@]}" | median)
    ratio=$(python3 -c "print(f'{$vt / $pt:.2f}')")
    cpu_ratio=$(python3 -c "print(f'{$vc / $pc:.2f}')")
    echo "median: pgbench $pt tps $pc us/txn (user $(printf '%s\n' "${pu[@]}" | median), sys $(printf '%s\n' "${ps[@]}" | median), $(printf '%s\n' "${pw[@]}" | median) sleeps/txn)"
    echo "        vmbench $vt tps $vc us/txn (user $(printf '%s\n' "${vu[@]}" | median), sys $(printf '%s\n' "${vs[@]}" | median), $(printf '%s\n' "${vw[@]}" | median) sleeps/txn)"
    echo "        tps ratio ${ratio}x, CPU per txn ${cpu_ratio}x"
}

# syscalls TOOL CMD...: runs CMD (perf stat writing $dir/perf.csv) and
# prints the client's syscalls per transaction by kind; the transaction
# count comes from the tool's own report, as in measure.
syscalls() {
    local tool=$1 out
    shift
    out=$("$@" 2>&1) || true
    python3 - "$tool" "$dir/perf.csv" "$dir/out.json" "$out" <<'EOF'
import json, re, sys
tool, csv, js, text = sys.argv[1:]
m = re.search(r"actually processed: (\d+)", text)
n = max(int(m.group(1)) if m else json.load(open(js))["ops"], 1)
c = {}
for line in open(csv):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].isdigit():
        c[f[2].split(":")[-1].replace("sys_enter_", "")] = int(f[0])
total = c.pop("sys_enter", 0)
other = total - sum(c.values())
parts = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(c.items()) if v)
print(f"  {tool}: {total / n:.2f} syscalls/txn ({parts}, other {other / n:.2f})")
EOF
}

check() { # description ok(0/1)
    if [ "$2" = 1 ]; then echo "  target $1: met"; else echo "  target $1: NOT met"; status=1; fi
}

compare "select-only, pipeline 1" "-S" select-only
check "tps ratio >= 1.0" "$(python3 -c "print(int($ratio >= 1.0))")"
check "client CPU per transaction <= 0.7x" "$(python3 -c "print(int($cpu_ratio <= 0.7))")"

events=raw_syscalls:sys_enter
for k in sendto recvfrom epoll_pwait2 epoll_wait epoll_ctl ppoll poll select pselect6; do
    events="$events,syscalls:sys_enter_$k"
done
echo
if command -v perf >/dev/null &&
    perf stat -e "$events" -o /dev/null -- true >/dev/null 2>&1; then
    echo "select-only, syscalls per transaction (one more run each, not in the medians):"
    perf_stat=(perf stat -x, -e "$events" -o "$dir/perf.csv" --)
    syscalls pgbench "${perf_stat[@]}" taskset -c $client_cpu "$pgbin/pgbench" \
        -M prepared -j 1 -c $clients -T "$duration" -n -S -h 127.0.0.1 \
        -p "$port" -U postgres postgres
    syscalls vmbench "${perf_stat[@]}" taskset -c $client_cpu "$vmbench" \
        stress "$url" select-only duration="${duration}s" connections=$clients \
        threads=1 scale="$scale" --json "$dir/out.json" -q
else
    echo "(no perf with readable syscall tracepoints: syscalls per transaction not counted)"
fi

compare "tpcb-like, pipeline 1" "-b tpcb-like" tpcb-like
check "tps ratio >= 0.95" "$(python3 -c "print(int($ratio >= 0.95))")"

compare "select-only, vmbench pipeline=16 (pgbench has none)" "-S" select-only pipeline=16
echo "  pipelining: ${ratio}x pgbench's rate"

echo "host load afterwards: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
