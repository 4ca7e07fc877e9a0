#!/usr/bin/env bash
# The raw-limit probe (harness/base/rawprobe.c) against fio running the
# probe's three parts as jobs, in one bare-metal control run each, on the
# same host directory: 4 KiB writes each followed by fdatasync (fio: O_DSYNC
# writes, whose completion latency holds the sync), 1 MiB
# sequential writes with a closing fdatasync, 4 KiB O_DIRECT random reads.
# Prints each repetition's probe and fio figures and their ratios, to
# decide whether the probe can become fio jobs (docs/fio.md).
#
#   bench/rawprobe_vs_fio.sh [BUILD_DIR] [REPS] [SECONDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
reps=${2:-3}
secs=${3:-2}
command -v fio >/dev/null || { echo "fio is not installed" >&2; exit 2; }
T=$(mktemp -d /var/tmp/vmb-rawprobe-fio.XXXXXX)
trap 'rm -rf "$T"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
mkdir -p "$T/jobs"
printf '[dsync]\nrw=write\nbs=4k\nsync=dsync\nsize=64m\nioengine=psync\n' \
    >"$T/jobs/dsync.fio"
printf '[seqwrite]\nrw=write\nbs=1m\nend_fsync=1\nsize=256m\nioengine=psync\n' \
    >"$T/jobs/seqwrite.fio"
printf '[randread]\nrw=randread\nbs=4k\ndirect=1\nsize=64m\nioengine=psync\n' \
    >"$T/jobs/randread.fio"
cat >"$T/m.yaml" <<YAML
name: rawprobe-vs-fio
probe: true
probe_duration: ${secs}s
database:
  engine: fio
guest:
  data_size: 1G
load:
  warmup: 0s
  phases:
    - { fio: jobs/dsync.fio, duration: ${secs}s }
    - { fio: jobs/seqwrite.fio, duration: ${secs}s }
    - { fio: jobs/randread.fio, duration: ${secs}s }
control:
  baremetal: true
  match_resources: false
matrix:
  vcpus: [1]
YAML
printf '%-4s %-10s %12s %12s %12s %12s\n' rep who fsync_w/s fsync_p99us \
    seq_MB/s randread/s
for r in $(seq 1 "$reps"); do
    "$build/vmbench" run "$T/m.yaml" --out "$T/r$r" --only baremetal \
        >/dev/null 2>&1
    res=$(echo "$T"/r$r/control/*/rep1/result.json)
    jq -r --arg r "$r" '[$r, "probe", .probe.fsync_write_rate,
        .probe.fsync_write_p99_us, .probe.seqwrite_mb_s,
        .probe.randread_iops] | @tsv' "$res"
    jq -r --arg r "$r" '[$r, "fio", .phases[0].op_rate,
        .phases[0].latency_us.p99, .phases[1].op_rate * 1.048576,
        .phases[2].op_rate] | @tsv' "$res"
done | awk -F'\t' '{ printf "%-4s %-10s %12.0f %12.1f %12.1f %12.0f\n",
    $1, $2, $3, $4, $5, $6
    if ($2 == "probe") { for (i = 3; i <= 6; i++) p[i] = $i }
    else printf "%-4s %-10s %12.3f %12.3f %12.3f %12.3f\n", $1, "fio/probe",
        $3 / p[3], $4 / p[4], $5 / p[5], $6 / p[6] }'
