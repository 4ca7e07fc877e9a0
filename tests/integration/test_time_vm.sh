#!/usr/bin/env bash
# Where the time goes, end to end under TCG inside the sandbox
# (scripts/sandbox.sh), with tests/data/run-time.yaml (a tmpfs cell, a
# virtio-blk cell, their bare-metal control, Redis syncing every write):
# - every phase's host CPU per op times its ops is the window's host CPU,
#   and the per-second host CPU of timeseries.csv adds up to it;
# - with appendfsync always, a write costs at least its value in disk
#   bytes, on the VM's data disk and on bare metal;
# - the tmpfs cell's probed fsync'ed write rate is far above the
#   virtio-blk cell's;
# - a VM's host CPU per op is above the control's;
# - run.json has the emulation factor and the report states it, with the
#   section "Where the time goes";
# - with probe: false a run has no probe and summary.csv no probe rows.
set -euo pipefail

if [ "${1:-}" != --inner ]; then
    : "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"
    T=$(mktemp -d /tmp/vmb-test-time-vm.XXXXXX)
    trap 'rm -rf "$T"' EXIT
    chmod 0755 "$T" # QEMU runs as an unprivileged user and reads its disks here
    rc=0
    bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash "$0" --inner "$T" || rc=$?
    [ "$rc" = 0 ] || { echo "FAIL: the test inside the sandbox exited $rc" >&2; exit 1; }
    echo "ok"
    exit 0
fi

T=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

t0=$SECONDS
"$VMBENCH" run "$VMB_SOURCE_DIR/tests/data/run-time.yaml" --out "$T/r" \
    2>"$T/r.err" || { cat "$T/r.err"; fail "run failed"; }
echo "run-time.yaml: $((SECONDS - t0))s"
R=$T/r
jq -e '.tcg_slowdown > 1' "$R/run.json" >/dev/null ||
    fail "run.json: tcg_slowdown $(jq .tcg_slowdown "$R/run.json")"
grep -q "slower than the host" "$R/report.md" || fail "the TCG banner lacks the factor"
grep -q "^## Where the time goes" "$R/report.md" || fail "no section Where the time goes"
[ -s "$R/plots/cpu-0-write.svg" ] || fail "no CPU per op chart"

# The summary's median for a row (one repetition: the run's value).
summary() { # id phase metric
    awk -F, -v id="$1" -v ph="$2" -v m="$3" \
        '$1 == id && $5 == ph && $6 == m { print $9 }' "$R/summary.csv"
}
ctl=$(jq -r '.controls[0].id' "$R/plan.json")
tmpfs=$(jq -r '.cells[] | select(.label | test("tmpfs")) | .id' "$R/plan.json")
blk=$(jq -r '.cells[] | select(.label | test("virtio-blk")) | .id' "$R/plan.json")
for d in "$R"/cells/*/rep1 "$R"/control/*/rep1; do
    r=$d/result.json
    jq -e '.status == "ok"' "$r" >/dev/null || fail "$r: $(jq -r .error "$r")"
    head -1 "$d/timeseries.csv" | grep -q ',host_cpu_s,disk_iops,' ||
        fail "$d/timeseries.csv lacks the resource columns"
    id=$(jq -r .id "$r")
    for ph in 0-write 1-read; do
        ops=$(jq ".phase_resources[\"$ph\"].ops" "$r")
        cpu=$(jq ".phase_resources[\"$ph\"].host_cpu_us.total" "$r")
        per=$(summary "$id" "$ph" cpu_us_per_op)
        awk -v p="$per" -v o="$ops" -v c="$cpu" 'BEGIN {
            exit !(o > 0 && c > 0 && (p * o - c) ^ 2 <= (0.01 * c) ^ 2) }' ||
            fail "$r $ph: cpu_us_per_op $per x ops $ops is not the window's $cpu us"
        # The per-second columns cover the same window.
        secs=$(awk -F, -v ph="$ph" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "host_cpu_s") c = i }
            NR > 1 && $1 == ph { s += $c } END { print s + 0 }' "$d/timeseries.csv")
        awk -v s="$secs" -v c="$cpu" 'BEGIN {
            d = s - c / 1e6; if (d < 0) d = -d; exit !(d <= 0.15 * c / 1e6 + 0.05) }' ||
            fail "$r $ph: per-second host CPU sums to $secs s, the window has $cpu us"
    done
done
# appendfsync always: every write reaches the disk with its 1 KiB value.
for id in "$ctl" "$blk"; do
    w=$(summary "$id" 0-write disk_write_bytes_per_op)
    awk -v w="$w" 'BEGIN { exit !(w >= 1024) }' ||
        fail "$id: $w disk bytes per write, below the 1024-byte value"
done
ft=$(summary "$tmpfs" probe fsync_write_rate)
fb=$(summary "$blk" probe fsync_write_rate)
awk -v t="$ft" -v b="$fb" 'BEGIN { exit !(b > 0 && t > 5 * b) }' ||
    fail "tmpfs fsync'ed writes $ft/s, not far above virtio-blk's $fb/s"
c0=$(summary "$ctl" 0-write cpu_us_per_op)
for id in "$tmpfs" "$blk"; do
    v=$(summary "$id" 0-write cpu_us_per_op)
    awk -v v="$v" -v c="$c0" 'BEGIN { exit !(v > c) }' ||
        fail "$id: host CPU per write $v us, not above the control's $c0 us"
done
for m in rtt_us rtt_loadgen_us randread_iops seqwrite_mb_s; do
    [ -n "$(summary "$blk" probe $m)" ] || fail "no probe $m for the virtio-blk cell"
done

# probe: false: no probe, no probe rows (the control alone is enough).
sed -e 's/^probe_duration: .*/probe: false/' \
    "$VMB_SOURCE_DIR/tests/data/run-time.yaml" >"$T/noprobe.yaml"
"$VMBENCH" run "$T/noprobe.yaml" --out "$T/n" --only baremetal 2>"$T/n.err" ||
    { cat "$T/n.err"; fail "probe: false run failed"; }
jq -e '.probe == null' "$T"/n/control/*/rep1/result.json >/dev/null ||
    fail "probe: false still probed"
if awk -F, '$5 == "probe"' "$T/n/summary.csv" | grep -q .; then
    fail "probe: false has probe rows in summary.csv"
fi
echo "tcg_slowdown $(jq .tcg_slowdown "$R/run.json"); fsync'ed writes/s tmpfs $ft" \
    "virtio-blk $fb; host CPU us per write: control $c0" \
    "tmpfs $(summary "$tmpfs" 0-write cpu_us_per_op)" \
    "virtio-blk $(summary "$blk" 0-write cpu_us_per_op); disk bytes per write:" \
    "control $(summary "$ctl" 0-write disk_write_bytes_per_op)" \
    "virtio-blk $(summary "$blk" 0-write disk_write_bytes_per_op); sampling" \
    "$(jq -s 'map(.sampling.cpu_share) | max' "$R"/cells/*/rep1/result.json \
        "$R"/control/*/rep1/result.json) of one CPU at most"
echo "time: $((SECONDS - t0))s"
