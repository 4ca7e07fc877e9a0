#!/usr/bin/env bash
# Density: one Redis cell with tenants 1, 2 and 3 in container VMs (and
# the bare-metal control beside them), the smallest VMs that boot, one
# repetition, in a sandbox (scripts/sandbox.sh). Prints what vmbench
# measured (aggregate op rate, scaling efficiency against tenants: 1,
# host memory per tenant, overhead per VM, tenants per host by memory)
# and cross-checks the memory figures against an independent one: the
# host's MemAvailable sampled every 0.5 s before the VMs start and while
# they run, against the sum of the VMs' PSS that vmbench recorded.
#
#   bench/density.sh [BUILD] [OUT]   (default: build, /tmp/vmb-density-<time>)
#   bench/density.sh --analyze OUT   the figures of an earlier OUT again
#
# Environment: MEM (guest MiB, default 256), ACCEL (tcg or kvm, default
# auto), READ (the read phase's length, default 10s).
#
# MemAvailable while a run's 2N VMs are up is the median of the second
# half of the samples with exactly 2N of this sandbox's QEMUs alive (the
# phases, after the boot). Two differences are printed: from the idle
# samples just before the VMs started ("start"), and to those just after
# they were torn down ("teardown"). Teardown frees the VMs' memory within
# a second, so that difference has the least of the host's other
# activity in it, and it is the one held to within 20% of the PSS sum;
# the start difference spans the boot (tens of seconds under TCG) and
# also moves with whatever else the host does meanwhile (on a shared
# machine, other people's VMs), which the script cannot separate. Both
# differ from PSS by what PSS does not count and MemAvailable does: page
# tables and the kernel's and libvirt's per-VM structures (more
# MemAvailable used), and the file pages QEMU maps (binary, libraries,
# kernel and initramfs), which stay in the page cache after it exits and
# which MemAvailable counts as only partly available (less returned at
# teardown). On a host with
# fewer CPUs than tenants x 2 x vCPUs (2 cores here) the op rates and the
# scaling efficiency measure contention for CPUs, not the VMs' cost.
set -euo pipefail

if [ "${1:-}" = --inner ]; then
    shift
    build=$1 out=$2
    vmbench=$build/vmbench
    ns=$(readlink /proc/self/ns/net)
    # Our QEMUs: those in this sandbox's network namespace.
    ours() {
        local n=0 p
        for p in $(pgrep -f '^[^ ]*qemu-system' || true); do
            [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$ns" ] && n=$((n + 1))
        done
        echo "$n"
    }
    sampler() {
        while :; do
            echo "$(date +%s.%N) $(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) $(ours)"
            sleep 0.5
        done
    }
    sampler >"$out/memavailable.log" &
    spid=$!
    trap 'kill $spid 2>/dev/null || true' EXIT
    rc=0
    "$vmbench" run "$out/density.yaml" --out "$out/r" 2>"$out/run.err" || rc=$?
    kill "$spid" 2>/dev/null || true
    exit "$rc"
fi

cd "$(dirname "$0")/.."
analyze_only=false
if [ "${1:-}" = --analyze ]; then
    analyze_only=true
    out=$(realpath "${2:?bench/density.sh --analyze OUT}")
fi
if ! $analyze_only; then
build=$(realpath "${1:-build}")
out=${2:-/tmp/vmb-density-$(date -u +%Y%m%dT%H%M%S)}
mkdir -p "$out"
out=$(realpath "$out")
[ -x "$build/vmbench" ] || { echo "no $build/vmbench; build first" >&2; exit 2; }
mem=${MEM:-256}
cat >"$out/density.yaml" <<EOF
name: density
repetitions: 1
probe: false
hypervisor:
  accel: ${ACCEL:-auto}
guest:
  vcpus: 1
  memory: $mem
network:
  vhost_fallback: true
  subnet: 10.214.0.0/24
load:
  connections: 2
  threads: 1
  keys: 1000
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, n: 2000 }
    - { op: read, duration: ${READ:-10s} }
control:
  baremetal: true
matrix:
  storage: [local]
  tenants: [1, 2, 3]
EOF
echo "host: $(nproc) CPUs, $(awk '/^MemTotal:/ {print $2/1024}' /proc/meminfo) MiB;" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$SECONDS
rc=0
bash scripts/sandbox.sh bash "$0" --inner "$build" "$out" || rc=$?
echo "vmbench run: exit $rc after $((SECONDS - t0)) s; results in $out/r"
[ "$rc" = 0 ] || { tail -20 "$out/run.err"; exit 1; }
"$build/vmbench" report "$out/r" >/dev/null 2>&1 || true
fi

python3 - "$out" <<'PY'
import csv, json, statistics, sys
out = sys.argv[1]
plan = json.load(open(f"{out}/r/plan.json"))
samples = []
for line in open(f"{out}/memavailable.log"):
    p = line.split()
    if len(p) == 3:
        samples.append((float(p[0]), int(p[1]), int(p[2])))
rows = {}
with open(f"{out}/r/summary.csv") as f:
    for r in csv.DictReader(f):
        if r.get("tenant", "") == "" and r["phase"].endswith("read"):
            rows[(r["cell_id"], r["metric"])] = r
def med(cid, metric):
    r = rows.get((cid, metric))
    try:
        return float(r["median"])
    except (TypeError, ValueError, KeyError):
        return float("nan")
print(f"{'cell':<34} {'agg op/s':>9} {'scaling':>8} {'MiB/tenant':>10} "
      f"{'overhead':>9} {'tenants/host':>12}")
for kind, key in (("vm", "cells"), ("baremetal", "controls")):
    for c in plan[key]:
        cid = c["id"]
        agg = med(cid, "aggregate_op_rate")
        if agg != agg:
            agg = med(cid, "op_rate")
        print(f"{c['label'][:34]:<34} {agg:9.0f} "
              f"{med(cid, 'scaling_efficiency'):8.2f} "
              f"{med(cid, 'host_mem_per_tenant_mib'):10.1f} "
              f"{med(cid, 'vm_overhead_mib'):9.1f} "
              f"{med(cid, 'tenants_per_host_by_memory'):12.0f}")
print()
print("cross-check: MemAvailable drop while the VMs run vs the sum of their PSS")
ok = True
for c in plan["cells"]:
    res = json.load(open(f"{out}/r/cells/{c['id']}/rep1/result.json"))
    n = res.get("tenants", 1)
    # vmbench's figure: every tenant's QEMUs and virtiofsd, the largest
    # over the phases (sampled at each phase's end).
    pss = 0
    for phase, ts in res.get("memory", {}).items():
        s = 0
        for t in ts:
            for node in ("node1", "node2"):
                d = t.get(node) or {}
                s += (d.get("pss_bytes") or 0) + (d.get("helpers_pss_bytes") or 0)
        pss = max(pss, s)
    want = 2 * n
    idx = [i for i, s in enumerate(samples) if s[2] == want]
    if not idx:
        print(f"  tenants={n}: no sample with {want} VMs up"); ok = False
        continue
    # The first stretch with all 2N up; the idle samples either side.
    first = end = idx[0]
    while end + 1 < len(samples) and samples[end + 1][2] == want:
        end += 1
    seg = samples[first:end + 1]
    during = statistics.median(s[1] for s in seg[len(seg) // 2:]) * 1024
    before = [s[1] for s in samples[:first] if s[2] == 0][-4:]
    after = [s[1] for s in samples[end + 1:] if s[2] == 0][:4]
    def diff(side, idle):
        if not idle or not pss:
            return f"{side}: no idle samples", None
        d = statistics.median(idle) * 1024 - during
        return (f"{side} {d / 2**20:7.1f} MiB ({d / pss:.2f}x)", d / pss)
    start, _ = diff("start", before)
    down, ratio = diff("teardown", after)
    within = ratio is not None and 0.8 <= ratio <= 1.2
    ok = ok and within
    print(f"  tenants={n}: {want} VMs, PSS sum {pss / 2**20:7.1f} MiB; "
          f"MemAvailable while up {during / 2**20:8.1f} MiB; difference "
          f"{start}, {down}: {'within 20%' if within else 'NOT within 20%'}")
print()
print(f"charts: {out}/r/plots/ (scaling-*, tenants-*, boot*)")
sys.exit(0 if ok else 1)
PY
