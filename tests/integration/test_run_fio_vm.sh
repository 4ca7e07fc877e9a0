#!/usr/bin/env bash
# database.engine: fio in a container VM under TCG, inside a network
# namespace with a private libvirtd (scripts/sandbox.sh):
# - `plan` says the cell has one node; the run boots one VM (no node 2:
#   no domain, boot stages, memory figures or artefacts of it) from fio's
#   own guest image, and fio runs in the guest on the cell's virtio-fs
#   data directory: fio's JSON names /data with O_DIRECT reads, and the
#   guest's mount table (node1.mounts) has /data on virtio-fs;
# - the bare-metal control ran the same job, but for its directory, on
#   one node too;
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
fio:
  direct: "1"                  # past the guest's page cache: every read
                               # reaches virtiofsd
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
grep -q '^direct=1$' "$d/fio-0-randread-4k.job" || fail "fio.direct not applied"
grep -q 'fio-3' "$d/fio-0-randread-4k.json" || fail "no fio version in its JSON"
grep -Eq '^vmbdata /container/data virtiofs ' "$d/node1.mounts" ||
    fail "the guest's /data is not on virtio-fs: $(cat "$d/node1.mounts")"
jq -e '.jobs[0].read.io_bytes > 0' "$d/fio-0-randread-4k.json" >/dev/null ||
    fail "fio read nothing"
[ -s "$d/node1.virtiofsd.cmdline" ] || fail "no virtiofsd command line"

# Its control has one node too: no CPUs, cgroup or figures of a node 2.
jq -e '(.control_applied.nodes | has("node1") and (has("node2") | not)) and
       (.resources | has("node2") | not)' "$c/result.json" >/dev/null ||
    fail "node 2 in the control: $(jq -c '{control_applied, resources}' "$c/result.json")"
# The control ran the same job, in its own directory.
diff <(grep -v '^directory=' "$d/fio-0-randread-4k.job") \
    <(grep -v '^directory=' "$c/fio-0-randread-4k.job") ||
    fail "the control ran another job"
