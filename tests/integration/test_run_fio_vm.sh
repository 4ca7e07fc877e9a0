#!/usr/bin/env bash
# database.engine: fio in a container VM under TCG, inside a network
# namespace with a private libvirtd (scripts/sandbox.sh):
# - `plan` says the cell has one node; the run boots one VM (no node 2:
#   no domain, boot stages, memory figures or artefacts of it) from fio's
#   own guest image, and fio runs in the guest on the cell's virtio-fs
#   data directory: fio's JSON names /data, the guest's mount table (the
#   agent's facts, checked before the run) holds it, and the virtiofsd
#   vmbench started served fio's I/O;
# - the bare-metal control ran the same job, but for its directory;
# - nothing is left running: no domain, network, QEMU, virtiofsd or fio.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox run-fio-vm "$@"

cat >"$T/m.yaml" <<'YAML'
name: fio-vm
repetitions: 1
hypervisor:
  accel: tcg
guest:
  memory: 512
  data_size: 64M
network:
  vhost_fallback: true
database:
  engine: fio
load:
  warmup: 0s
  phases:
    - { op: randread-4k, duration: 2s }
control:
  baremetal: true
  match_resources: true
matrix:
  storage: [shared]
  shared_fs: [virtio-fs]
YAML

"$VMBENCH" plan "$T/m.yaml" >"$T/plan.out" 2>&1 ||
    { cat "$T/plan.out"; fail "plan refused the fio VM cell"; }
grep -q "one node: one VM, node 2 not started" "$T/plan.out" ||
    fail "plan does not say one node: $(cat "$T/plan.out")"

t0=$SECONDS
set +e
"$VMBENCH" run "$T/m.yaml" --out "$T/r" --no-report 2>"$T/r.err"
rc=$?
set -e
echo "fio-vm: exit $rc after $((SECONDS - t0))s"
[ "$rc" = 0 ] || { cat "$T/r.err"; fail "run exited $rc"; }
assert_vms_gone 'qemu-system*' virtiofsd fio

id=$(jq -r '.cells[0].id' "$T/r/plan.json")
ctl=$(jq -r '.controls[0].id' "$T/r/plan.json")
d="$T/r/cells/$id/rep1"
c="$T/r/control/$ctl/rep1"
r="$d/result.json"
[ "$(jq -r .status "$r")" = ok ] || fail "cell: $(jq -r .error "$r")"
[ "$(jq -r .status "$c/result.json")" = ok ] ||
    fail "control: $(jq -r .error "$c/result.json")"
jq -e '.kind == "vm" and .phases[0].ops > 0 and .phases[0].latency_us.p99 > 0' \
    "$r" >/dev/null || fail "cell has no numbers: $(jq -c .phases "$r")"

# One VM: node 1's boot and memory, nothing of node 2.
jq -e '.boot.node1.agent_s > 0 and (.boot | has("node2") | not) and
       (.boot | has("replica_sync_s") | not) and
       (.memory["0-randread-4k"][0] | has("node1") and (has("node2") | not))' \
    "$r" >/dev/null || fail "node 2 in the result: $(jq -c '{boot, memory}' "$r")"
[ -s "$d/node1.xml" ] || fail "no node1.xml"
[ -z "$(ls "$d" | grep '^node2' || true)" ] || fail "node 2 artefacts: $(ls "$d")"

# fio ran in the guest, on the shared directory at /data.
jq -e '.jobs[0]["job options"].directory // ."global options".directory |
       . == "/data"' "$d/fio-0-randread-4k.json" >/dev/null ||
    fail "fio's JSON does not run in /data"
grep -q '^directory=/data$' "$d/fio-0-randread-4k.job" || fail "job directory"
grep -q 'fio-3' "$d/fio-0-randread-4k.json" || fail "no fio version in its JSON"
jq -e '.phase_resources["0-randread-4k"].host_cpu_us.virtiofsd > 0' "$r" \
    >/dev/null || fail "virtiofsd served no I/O: $(jq -c .phase_resources "$r")"
[ -s "$d/node1.virtiofsd.cmdline" ] || fail "no virtiofsd command line"

# The control ran the same job, in its own directory.
diff <(grep -v '^directory=' "$d/fio-0-randread-4k.job") \
    <(grep -v '^directory=' "$c/fio-0-randread-4k.job") ||
    fail "the control ran another job"
