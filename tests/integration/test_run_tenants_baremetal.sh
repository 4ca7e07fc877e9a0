#!/usr/bin/env bash
# `vmbench run` with tenants: [1, 2] on the bare-metal control alone:
# - the tenants: 2 control runs two process pairs at once, on ports of
#   their own, each tenant's artefacts in its own directory;
# - every tenant gets the phase's n; result.json has each tenant's part,
#   the aggregate op rate and the fairness;
# - the phases' host CPU (where the time goes) is every tenant's;
# - summary.csv has aggregate_op_rate, tenant_min_op_rate,
#   tenant_fairness and scaling_efficiency (against the tenants: 1
#   control) about the whole cell, and per-tenant rows with the tenant
#   column set;
# - result.json's memory has each process's RSS and PSS after each phase,
#   and summary.csv the host memory per tenant;
# - the report has a tenants section with the scaling chart (aggregate op
#   rate against tenants, the linear line from tenants: 1) and a bar
#   chart of each tenant's op rate;
# - plan, run.json and the report say the run is oversubscribed where the host has
#   fewer than 4 CPUs; nothing is left running.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-tenants-bm.XXXXXX)
trap 'rm -rf "$T"' EXIT
base=$((26000 + ($$ % 500) * 8))

cat >"$T/m.yaml" <<EOF
name: tenants
repetitions: 1
probe: false
database:
  port: $base
load:
  connections: 2
  threads: 1
  keys: 500
  value_size: 64
  warmup: 0s
  phases:
    - { op: write, n: 2000 }
    - { op: read, n: 2000 }
    - { op: read, duration: 2s }
control:
  baremetal: true
  match_resources: true
guest:
  vcpus: 1
  memory: 256M
matrix:
  tenants: [1, 2]
EOF

cpus=$(nproc)
"$VMBENCH" plan "$T/m.yaml" >"$T/plan.out" 2>"$T/plan.err" || true
if [ "$cpus" -lt 4 ]; then
    grep -q "oversubscribed" "$T/plan.err" ||
        fail "plan does not flag oversubscription: $(cat "$T/plan.err")"
fi

set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r" --only baremetal 2>"$T/run.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/run.err"; fail "run exited $rc"; }

one=$(jq -r '.controls[] | select(.label | test("tenants=1")) | .id' "$T/r/plan.json")
two=$(jq -r '.controls[] | select(.label | test("tenants=2")) | .id' "$T/r/plan.json")
[ -n "$one" ] && [ -n "$two" ] || fail "controls: $(jq -c .controls "$T/r/plan.json")"
d="$T/r/control/$two/rep1"
r="$d/result.json"
[ "$(jq -r .status "$r")" = ok ] || fail "status: $(jq -r .error "$r")"
for i in 0 1; do
    jq -e ".phases[$i] | .ops == 4000 and .errors == 0 and
        (.tenants | length) == 2 and .tenants[0].tenant == 1 and
        .tenants[0].ops == 2000 and .tenants[1].ops == 2000 and
        .aggregate_op_rate == .op_rate and .tenant_min_op_rate > 0 and
        .tenant_min_op_rate <= .tenant_max_op_rate and
        .tenant_fairness > 0.5 and .tenant_fairness <= 1 and
        .tenants[1].latency_us.p99 > 0" "$r" >/dev/null ||
        fail "phase $i: $(jq -c ".phases[$i] | del(.percentiles)" "$r")"
done
# Tenant 1's ports are base and base+1, tenant 2's the next two.
grep -q "^port $base\$" "$d/node1.redis.conf" || fail "tenant 1 node 1 port"
grep -q "^port $((base + 2))\$" "$d/tenant2/node1.redis.conf" ||
    fail "tenant 2 node 1 port: $(grep ^port "$d/tenant2/node1.redis.conf")"
grep -q "^port $((base + 3))\$" "$d/tenant2/node2.redis.conf" ||
    fail "tenant 2 node 2 port"
[ -s "$d/tenant2/node2.db.log" ] || fail "no tenant 2 log"
jq -e '.tenants == 2 and .tenant_runtimes[0].tenant == 2 and
    .tenant_runtimes[0].control_applied.match_resources' "$r" >/dev/null ||
    fail "tenant runtimes: $(jq -c .tenant_runtimes "$r")"
# Where the time goes covers every tenant: the servers' CPU in the
# phases' windows (the last phase, 2 s long, is most of the run's
# window) is most of what all four processes used in the run's window,
# not tenant 1's half of it.
jq -e '([.phase_resources[].host_cpu_us.db] | add) >
    0.7 * ([.resources, .tenant_runtimes[0].resources | .node1.process_cpu_s,
            .node2.process_cpu_s] | add) * 1e6' "$r" >/dev/null ||
    fail "phase CPU is not every tenant's: $(jq -c '[.phase_resources[].host_cpu_us]' "$r")"
# The tenants: 1 control is as before: no tenants anywhere.
jq -e '.phases[0].tenants == null and .tenants == null' \
    "$T/r/control/$one/rep1/result.json" >/dev/null || fail "tenants: 1 changed"

s="$T/r/summary.csv"
col=$(head -1 "$s" | tr , '\n' | grep -nx tenant | cut -d: -f1)
[ -n "$col" ] || fail "no tenant column"
has() { # id phase metric tenant
    awk -F, -v id="$1" -v ph="$2" -v m="$3" -v t="$4" -v c="$col" \
        '$1 == id && $5 == ph && $6 == m && $c == t && $9 != "" { f = 1 }
         END { exit !f }' "$s"
}
for m in aggregate_op_rate tenant_min_op_rate tenant_fairness \
    scaling_efficiency op_rate; do
    has "$two" 0-write "$m" "" || fail "no $m row"
done
for t in 1 2; do
    has "$two" 1-read op_rate "$t" || fail "no op_rate row of tenant $t"
    has "$two" 1-read p99 "$t" || fail "no p99 row of tenant $t"
done
has "$one" 0-write scaling_efficiency "" && fail "tenants: 1 has a scaling row"
# Host memory: each process's PSS after each phase, non-zero and less
# than the host's memory; per tenant in summary.csv.
mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
jq -e --argjson host "$((mem_kb * 1024))" '.memory["1-read"] | length == 2 and
    all(.[]; .node1.pss_bytes > 0 and .node1.pss_bytes < $host and
        .node2.pss_bytes > 0 and .node2.rss_bytes >= .node2.pss_bytes and
        .node1.guest_used_bytes == null)' "$r" >/dev/null ||
    fail "memory: $(jq -c .memory "$r")"
has "$two" 0-write host_mem_per_tenant_mib "" || fail "no host memory row"
has "$two" 0-write host_mem_per_tenant_mib 2 || fail "no tenant 2 host memory row"
has "$one" 0-write host_mem_per_tenant_mib "" || fail "no tenants: 1 host memory row"
has "$two" 0-write vm_overhead_mib "" && fail "bare metal has a VM overhead"
has "$one" 0-write op_rate 1 && fail "tenants: 1 has per-tenant rows"

if [ "$cpus" -lt 4 ]; then
    jq -e --arg id "$two" '[.oversubscribed[] | select(.id == $id)] | length == 1' \
        "$T/r/run.json" >/dev/null || fail "run.json: $(jq -c .oversubscribed "$T/r/run.json")"
fi
jq -e --arg id "$one" '[.oversubscribed[] | select(.id == $id)] | length == 0' \
    "$T/r/run.json" >/dev/null || fail "tenants: 1 flagged"
# The report: the tenants section, the scaling chart (tenants: 1 and 2
# of the control) and the per-tenant chart of the tenants: 2 control.
for c in scaling-0-write scaling-1-read "tenants-0-write-$two"; do
    [ -s "$T/r/plots/$c.svg" ] || fail "no chart $c"
done
[ ! -e "$T/r/plots/tenants-0-write-$one.svg" ] || fail "a tenants: 1 chart"
grep -q "^## Tenants" "$T/r/report.md" || fail "no tenants section"
grep -q "(plots/scaling-0-write.png)" "$T/r/report.md" || fail "scaling chart not shown"
if [ "$cpus" -lt 4 ]; then
    grep -q "| 2 (oversubscribed) |" "$T/r/report.md" ||
        fail "the report does not flag oversubscription"
fi
for p in 0 1 2 3; do assert_ports_free $((base + p)); done
echo "ok"
