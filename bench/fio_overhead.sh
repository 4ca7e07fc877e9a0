#!/usr/bin/env bash
# What vmbench adds to fio: the same job run by fio directly and by
# `vmbench run` (database.engine: fio, a user job file, the bare-metal
# control unpinned like the direct fio), alternating, on one host
# directory. Figures: median IOPS and p50/p99 completion latency of each,
# and vmbench's over fio's. vmbench reads fio's own JSON, so the op rate
# must be within 3% (it adds no work to fio's I/O and loses no
# precision); latencies come from the same bins through vmbench's
# histogram (3 significant figures). "inrun" is what fio itself reported
# inside vmbench's runs: vmbench against it is the precision alone, free
# of run-to-run noise; vmbench against "fio" (separate runs) is the
# overhead, within that noise.
#
# With WHERE "vm" the same in a VM, in a sandbox (scripts/sandbox.sh):
# `vmbench run --only vm` of a fio cell (one VM, data on a disk of its
# own, KVM where the host has it, else TCG), and fio run by hand in the
# same kind of VM (tests' vmb_celltool: the VM vmbench boots, fio
# started through the agent with the job vmbench ran, no run around it),
# alternating.
#
#   bench/fio_overhead.sh [BUILD_DIR] [REPS] [SECONDS] [host|vm]
# Exit 0 when vmbench's median op rate is within 3% of fio's.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
reps=${2:-5}
secs=${3:-5}
where=${4:-host}
command -v fio >/dev/null || { echo "fio is not installed" >&2; exit 2; }
case $where in host | vm) ;; *) echo "WHERE is host or vm" >&2; exit 2 ;; esac
T=$(mktemp -d /var/tmp/vmb-fio-overhead.XXXXXX)
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

mkdir -p "$T/jobs" "$T/direct"
cat >"$T/jobs/job.fio" <<JOB
[randread]
rw=randread
bs=4k
size=64m
ioengine=psync
JOB
cat >"$T/m.yaml" <<YAML
name: fio-overhead
database:
  engine: fio
guest:
  data_size: 1G
load:
  warmup: 0s
  phases:
    - { fio: jobs/job.fio, duration: ${secs}s }
control:
  baremetal: true
  match_resources: false
matrix:
  vcpus: [1]
YAML

if [ "$where" = vm ]; then
    cat >"$T/vm.yaml" <<YAML
name: fio-overhead-vm
database:
  engine: fio
guest:
  vcpus: 1
  memory: 1024
  storage: block
  data_size: 1G
network:
  vhost_fallback: true
load:
  warmup: 0s
  phases:
    - { fio: jobs/job.fio, duration: ${secs}s }
control:
  baremetal: false
YAML
    cat >"$T/vm.sh" <<'RUN'
set -euo pipefail
build=$1 T=$2 reps=$3
for r in $(seq 1 "$reps"); do
    "$build/vmbench" run "$T/vm.yaml" --out "$T/vmb$r" --only vm \
        --no-report >/dev/null 2>"$T/vmb$r.err"
    # By hand: the job vmbench ran (its [global], /data, and the user's).
    "$build/tests/vmb_celltool" cell database.engine=fio guest.vcpus=1 \
        guest.memory=1024 guest.storage=block guest.data_size=1G \
        --fio "$(echo "$T"/vmb1/cells/*/rep1/fio-0-fio-job.job)" \
        --fio-out "$T/fio$r.json" >/dev/null 2>"$T/fio$r.err"
done
RUN
    bash "$src/scripts/sandbox.sh" bash "$T/vm.sh" "$build" "$T" "$reps"
    for r in $(seq 1 "$reps"); do
        res=$(echo "$T"/vmb$r/cells/*/rep1/result.json)
        jq -r '[.jobs[0].read.iops, .jobs[0].read.clat_ns.percentile["50.000000"] / 1000,
                .jobs[0].read.clat_ns.percentile["99.000000"] / 1000] | @tsv' \
            "$T/fio$r.json" >>"$T/fio.tsv"
        jq -r '.phases[0] | [.op_rate, .latency_us.p50, .latency_us.p99] | @tsv' \
            "$res" >>"$T/vmb.tsv"
        jq -r '[.jobs[0].read.iops, .jobs[0].read.clat_ns.percentile["50.000000"] / 1000,
                .jobs[0].read.clat_ns.percentile["99.000000"] / 1000] | @tsv' \
            "$(dirname "$res")/fio-0-fio-job.json" >>"$T/inrun.tsv"
    done
    echo "in a VM ($(jq -r .accel "$(echo "$T"/vmb1/cells/*/rep1/result.json)"))"
fi

for r in $(seq 1 "$reps"); do
    [ "$where" = host ] || break
    # fio alone, with the job vmbench writes (its [global] and the user's).
    printf '[global]\ndirectory=%s\ntime_based\nruntime=%ss\n\n' \
        "$T/direct" "$secs" >"$T/direct.fio"
    cat "$T/jobs/job.fio" >>"$T/direct.fio"
    fio --output-format=json+ --output="$T/fio$r.json" "$T/direct.fio" \
        >/dev/null
    rm -f "$T/direct/"*
    "$build/vmbench" run "$T/m.yaml" --out "$T/vmb$r" --only baremetal \
        >/dev/null 2>&1
    jq -r '[.jobs[0].read.iops, .jobs[0].read.clat_ns.percentile["50.000000"] / 1000,
            .jobs[0].read.clat_ns.percentile["99.000000"] / 1000] | @tsv' \
        "$T/fio$r.json" >>"$T/fio.tsv"
    jq -r '.phases[0] | [.op_rate, .latency_us.p50, .latency_us.p99] | @tsv' \
        "$T"/vmb$r/control/*/rep1/result.json >>"$T/vmb.tsv"
    # What fio itself said in vmbench's run: precision, apart from noise.
    jq -r '[.jobs[0].read.iops, .jobs[0].read.clat_ns.percentile["50.000000"] / 1000,
            .jobs[0].read.clat_ns.percentile["99.000000"] / 1000] | @tsv' \
        "$T"/vmb$r/control/*/rep1/fio-0-fio-job.json >>"$T/inrun.tsv"
done

paste "$T/fio.tsv" "$T/vmb.tsv" | awk '{ printf "rep %d: fio %.0f IOPS p99 %.1f us, vmbench %.0f IOPS p99 %.1f us\n",
    NR, $1, $3, $4, $6 }' >&2
median() { # column file
    cut -f"$1" "$2" | sort -g | awk '{ v[NR] = $1 } END {
        print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf '%-8s %12s %10s %10s\n' "" "IOPS" "p50_us" "p99_us"
for who in fio vmb inrun; do
    printf '%-8s %12.0f %10.2f %10.2f\n' "$who" "$(median 1 "$T/$who.tsv")" \
        "$(median 2 "$T/$who.tsv")" "$(median 3 "$T/$who.tsv")"
done
paste "$T/vmb.tsv" "$T/inrun.tsv" | awk '{ r = $1 / $4; m = $3 / $6
    if (r > rmax) rmax = r; if (NR == 1 || r < rmin) rmin = r
    if (m > mmax) mmax = m; if (NR == 1 || m < mmin) mmin = m }
    END { printf "vmbench/fio in the same run: IOPS %.4f..%.4f, p99 %.4f..%.4f\n",
          rmin, rmax, mmin, mmax }'
awk -v a="$(median 1 "$T/vmb.tsv")" -v b="$(median 1 "$T/fio.tsv")" \
    -v p="$(median 3 "$T/vmb.tsv")" -v q="$(median 3 "$T/fio.tsv")" 'BEGIN {
    printf "vmbench/fio, separate runs: IOPS %.4f, p99 %.4f (%d reps)\n", a / b, p / q, '"$reps"'
    d = a / b - 1; if (d < 0) d = -d; exit !(d <= 0.03) }'
