#!/usr/bin/env bash
# Resident memory of `vmbench stress` holding 10,000 connections to one
# redis-server on loopback (target: under 100 MB). The run is open loop at
# a low rate so every connection stays open and in use for the whole
# phase; the peak RSS is the generator's ru_maxrss.
#
#   bench/conn_memory.sh [BUILD_DIR] [CONNECTIONS]   (default: build 10000)
set -euo pipefail
cd "$(dirname "$0")/.."

build=${1:-build}
conns=${2:-10000}
vmbench=$build/vmbench
[ -x "$vmbench" ] || { echo "no $vmbench; build first" >&2; exit 2; }

# Each side needs a descriptor per connection.
ulimit -n $((conns + 1024)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d /tmp/vmb-bench-XXXXXX)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --maxclients $((conns + 100)) --dir "$dir" --logfile "$dir/redis.log" &
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

echo "host load average: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$vmbench" "$port" "$conns" "$dir" <<'EOF'
import json, resource, subprocess, sys
vmbench, port, conns, d = sys.argv[1:5]
cmd = [vmbench, "stress", f"redis://127.0.0.1:{port}", "write",
       "duration=5s", f"connections={conns}", "rate=20000",
       "value_size=256", "keys=1000000", "connect_timeout=30s",
       "--json", f"{d}/out.json", "-q"]
rc = subprocess.run(cmd).returncode
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
res = json.load(open(f"{d}/out.json"))
print(f"{conns} connections: peak RSS {peak_mb:.1f} MB, "
      f"{res['ops']} ops, {res['errors']} errors, exit {rc}")
ok = peak_mb < 100 and res["errors"] == 0 and rc == 0
print("target: under 100 MB:", "met" if ok else "NOT met")
sys.exit(0 if ok else 1)
EOF
