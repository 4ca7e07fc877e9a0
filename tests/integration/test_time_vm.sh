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
# - run.json has the emulation factor, measured from the host in the
#   vCPU threads' CPU time, and the report states it, with the section
#   "Where the time goes";
# - each VM's interface has its own rows, adding up to the nodes' total,
#   and node 2's carries the replication of every 1 KiB value; bare
#   metal's nodes share loopback and have none;
# - the guests' CPU shares over each window add up to at most about 100%
#   of their CPUs (less where a starved TCG vCPU lost clock ticks), and
#   with appendfsync always the virtio-blk guest writes at least a
#   value's bytes to its data disk per write;
# - with probe: false a run has no probe and summary.csv no probe rows.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox time-vm "$@"

t0=$SECONDS
"$VMBENCH" run "$VMB_SOURCE_DIR/tests/data/run-time.yaml" --out "$T/r" \
    2>"$T/r.err" || { cat "$T/r.err"; fail "run failed"; }
echo "run-time.yaml: $((SECONDS - t0))s"
R=$T/r
jq -e '.tcg_slowdown > 1' "$R/run.json" >/dev/null ||
    fail "run.json: tcg_slowdown $(jq .tcg_slowdown "$R/run.json")"
jq -e '.tcg_calibration.by == "vcpu" and .tcg_calibration.host_cpu_s >= 0.2 and
    .tcg_calibration.rounds == 3' "$R/run.json" >/dev/null ||
    fail "run.json: tcg_calibration $(jq -c .tcg_calibration "$R/run.json")"
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
    # Each node's interface per second: the VMs' two add up to both
    # nodes' figure; bare metal (one loopback) has none.
    vm=0
    case $d in "$R"/cells/*) vm=1 ;; esac
    awk -F, -v vm=$vm 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { t = $c["net_bytes_per_s"]; a = $c["node1_net_bytes_per_s"]
          b = $c["node2_net_bytes_per_s"]
          if (vm && t != "" && (a == "" || b == "" || (a + b - t) ^ 2 > (0.01 * t + 1) ^ 2)) bad++
          if (vm && a != "") n++
          if (!vm && (a != "" || b != "")) bad++ }
        END { exit !(bad == 0 && (!vm || n > 0)) }' "$d/timeseries.csv" ||
        fail "$d/timeseries.csv: per-node network columns do not add up"
    id=$(jq -r .id "$r")
    for ph in 0-write 1-read; do
        ops=$(jq ".phase_resources[\"$ph\"].ops" "$r")
        cpu=$(jq ".phase_resources[\"$ph\"].host_cpu_us.total" "$r")
        per=$(summary "$id" "$ph" cpu_us_per_op)
        awk -v p="$per" -v o="$ops" -v c="$cpu" 'BEGIN {
            exit !(o > 0 && c > 0 && (p * o - c) ^ 2 <= (0.01 * c) ^ 2) }' ||
            fail "$r $ph: cpu_us_per_op $per x ops $ops is not the window's $cpu us"
        # The per-second columns cover the same window: each a rate over
        # its second, the last one over the part inside the window.
        dur=$(jq ".phases[] | select(.index == ${ph%%-*}) | .duration_s" "$r")
        secs=$(awk -F, -v ph="$ph" -v dur="$dur" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "host_cpu_s") c = i }
            NR > 1 && $1 == ph { w = dur - ($2 - 1); if (w > 1) w = 1; if (w > 0) s += $c * w }
            END { print s + 0 }' "$d/timeseries.csv")
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
# Network per node: the VMs' interfaces, apart and adding up.
for id in "$tmpfs" "$blk"; do
    for ph in 0-write 1-read; do
        t=$(summary "$id" $ph net_bytes_per_op)
        n1=$(summary "$id" $ph net_bytes_per_op.node1)
        n2=$(summary "$id" $ph net_bytes_per_op.node2)
        p1=$(summary "$id" $ph net_packets_per_op.node1)
        p2=$(summary "$id" $ph net_packets_per_op.node2)
        awk -v t="$t" -v a="$n1" -v b="$n2" -v p="$p1" -v q="$p2" 'BEGIN {
            exit !(a > 0 && b > 0 && p > 0 && q > 0 &&
                   (a + b - t) ^ 2 <= (0.01 * t) ^ 2) }' ||
            fail "$id $ph: node bytes per op $n1 + $n2 (packets $p1, $p2) vs total $t"
    done
    n2=$(summary "$id" 0-write net_bytes_per_op.node2)
    awk -v b="$n2" 'BEGIN { exit !(b >= 512) }' ||
        fail "$id: node 2 gets $n2 bytes per write, not the replicated value"
done
for r in "$R"/control/*/rep1/result.json; do
    jq -e '.phase_resources["0-write"] | .net_source == "loopback" and
        .net_nodes == null' "$r" >/dev/null ||
        fail "$r: bare metal's network is not loopback's total"
done
[ -z "$(summary "$ctl" 0-write net_bytes_per_op.node1)" ] ||
    fail "bare metal has per-node network rows"
# The guests' own CPU over each window.
for id in "$tmpfs" "$blk"; do
    for ph in 0-write 1-read; do
        u=$(summary "$id" $ph guest_cpu_user_pct)
        sy=$(summary "$id" $ph guest_cpu_system_pct)
        io=$(summary "$id" $ph guest_cpu_iowait_pct)
        st=$(summary "$id" $ph guest_cpu_steal_pct)
        id_=$(summary "$id" $ph guest_cpu_idle_pct)
        # Not above 100% of the window (a window too long, CPUs miscounted);
        # below only by the ticks a TCG guest loses when the busy host
        # leaves its vCPU waiting (its busy time is counted in ticks).
        awk -v u="$u" -v s="$sy" -v i="$io" -v t="$st" -v d="$id_" 'BEGIN {
            a = u + s + i + t + d; exit !(u + s > 0 && a >= 20 && a <= 115) }' ||
            fail "$id $ph: guest CPU user $u system $sy iowait $io steal $st idle $id_ %"
    done
done
gw=$(summary "$blk" 0-write guest_disk_write_bytes_per_op)
awk -v w="$gw" 'BEGIN { exit !(w >= 1024) }' ||
    fail "$blk: the guest wrote $gw bytes per write to its data disk"
[ -z "$(summary "$tmpfs" 0-write guest_disk_write_bytes_per_op)" ] ||
    fail "the tmpfs cell has a guest data disk"
[ -z "$(summary "$ctl" 0-write guest_cpu_user_pct)" ] ||
    fail "bare metal has guest CPU rows"
grep -q "Inside the guests" "$R/report.md" || fail "no guest table in the report"
grep -q "The network per node" "$R/report.md" || fail "no network per node in the report"
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
echo "tcg_calibration $(jq -c .tcg_calibration "$R/run.json")"
echo "guest CPU % (user system iowait idle) virtio-blk 0-write:" \
    "$(summary "$blk" 0-write guest_cpu_user_pct)" \
    "$(summary "$blk" 0-write guest_cpu_system_pct)" \
    "$(summary "$blk" 0-write guest_cpu_iowait_pct)" \
    "$(summary "$blk" 0-write guest_cpu_idle_pct); guest disk bytes per write $gw;" \
    "net bytes per write node1 $(summary "$blk" 0-write net_bytes_per_op.node1)" \
    "node2 $(summary "$blk" 0-write net_bytes_per_op.node2)"
echo "tcg_slowdown $(jq .tcg_slowdown "$R/run.json"); fsync'ed writes/s tmpfs $ft" \
    "virtio-blk $fb; host CPU us per write: control $c0" \
    "tmpfs $(summary "$tmpfs" 0-write cpu_us_per_op)" \
    "virtio-blk $(summary "$blk" 0-write cpu_us_per_op); disk bytes per write:" \
    "control $(summary "$ctl" 0-write disk_write_bytes_per_op)" \
    "virtio-blk $(summary "$blk" 0-write disk_write_bytes_per_op); sampling" \
    "$(jq -s 'map(.sampling.cpu_share) | max' "$R"/cells/*/rep1/result.json \
        "$R"/control/*/rep1/result.json) of one CPU at most"
echo "time: $((SECONDS - t0))s"
