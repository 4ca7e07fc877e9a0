#!/usr/bin/env bash
# database.engine: fio in container VMs under TCG, inside a network
# namespace with a private libvirtd (scripts/sandbox.sh), on the three
# placements users compare: the shared directory over virtio-9p and over
# virtio-fs, and a disk of its own (block); two built-in jobs and a
# user's job file, and the bare-metal control:
# - `plan` says the cells have one node; each run boots one VM (no node
#   2: no domain, boot stages, memory figures or artefacts of it) from
#   fio's own guest image, and fio runs in the guest on the cell's data
#   directory: every job fio ran names /data, and the guest's mount table
#   (node1.mounts) has /data on 9p, virtio-fs or the disk's ext4;
# - the user's job file is copied into the results and run as is, after
#   vmbench's [global];
# - the bare-metal control ran the same jobs, but for their directory,
#   on one node too;
# - `vmbench report` draws the charts of the three jobs;
# - nothing is left running: no domain, network, QEMU, virtiofsd or fio.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox run-fio-vm "$@"

mkdir -p "$T/jobs"
cat >"$T/jobs/mine.fio" <<'FIO'
; a user's job: random 8k writes at queue depth 4, synced at the end
[mine]
rw=randwrite
bs=8k
size=4m
iodepth=4
end_fsync=1
FIO
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
    - { op: randread-4k, duration: 1s }
    - { op: fsync-write-4k, duration: 1s }
    - { fio: jobs/mine.fio, duration: 1s }
control:
  baremetal: true
  match_resources: true
fio:
  direct: "1"                  # past the guest's page cache: every I/O
                               # reaches 9p, virtiofsd or the disk
matrix:
  storage: [9p, virtio-fs, block]
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

ctl=$(jq -r '.controls[0].id' "$T/r/plan.json")
c="$T/r/control/$ctl/rep1"
[ "$(jq '.cells | length' "$T/r/plan.json")" = 3 ] ||
    fail "not three cells: $(jq -c '[.cells[].label]' "$T/r/plan.json")"
[ "$(jq -r .status "$c/result.json")" = ok ] ||
    fail "control: $(jq -r .error "$c/result.json")"
cmp -s "$T/jobs/mine.fio" "$T/r/jobs/mine.fio" ||
    fail "the user's job file is not in the results"
phases="0-randread-4k 1-fsync-write-4k 2-fio-job"

# The mount type of the guest's /data for each placement.
declare -A fstype=([9p]=9p [virtio-fs]=virtiofs [block]=ext4)
for i in 0 1 2; do
    id=$(jq -r ".cells[$i].id" "$T/r/plan.json")
    st=$(jq -r ".cells[$i].axes[\"guest.storage\"]" "$T/r/plan.json")
    d="$T/r/cells/$id/rep1"
    r="$d/result.json"
    [ "$(jq -r .status "$r")" = ok ] || fail "$st: $(jq -r .error "$r")"
    jq -e '.kind == "vm" and (.phases | length) == 3 and
           all(.phases[]; .ops > 0 and .latency_us.p99 > 0)' "$r" >/dev/null ||
        fail "$st has no numbers: $(jq -c .phases "$r")"
    # One VM: node 1's boot and memory, nothing of node 2.
    jq -e '.boot.node1.agent_s > 0 and (.boot | has("node2") | not) and
           (.boot | has("replica_sync_s") | not) and
           (.memory["0-randread-4k"][0] | has("node1") and (has("node2") | not))' \
        "$r" >/dev/null ||
        fail "$st: node 2 in the result: $(jq -c '{boot, memory}' "$r")"
    [ -s "$d/node1.xml" ] || fail "$st: no node1.xml"
    [ -z "$(ls "$d" | grep '^node2' || true)" ] ||
        fail "$st: node 2 artefacts: $(ls "$d")"
    # fio ran every job in the guest, at /data, on the placement's mount.
    for p in $phases; do
        jq -e '[.jobs[] | .["job options"].directory //
                 $g.directory] | all(. == "/data")' \
            --argjson g "$(jq '."global options" // {}' "$d/fio-$p.json")" \
            "$d/fio-$p.json" >/dev/null ||
            fail "$st $p: fio's JSON does not run in /data"
        grep -q '^directory=/data$' "$d/fio-$p.job" || fail "$st $p: directory"
        grep -q '^direct=1$' "$d/fio-$p.job" || fail "$st $p: fio.direct"
        jq -e '[.jobs[] | .read.io_bytes + .write.io_bytes] | add > 0' \
            "$d/fio-$p.json" >/dev/null || fail "$st $p: fio moved nothing"
        # The control ran the same job, in its own directory.
        diff <(grep -v '^directory=' "$d/fio-$p.job") \
            <(grep -v '^directory=' "$c/fio-$p.job") ||
            fail "$st $p: the control ran another job"
    done
    grep -q 'fio-3' "$d/fio-0-randread-4k.json" ||
        fail "$st: no fio version in its JSON"
    grep -q '^rw=randwrite$' "$d/fio-2-fio-job.job" &&
        grep -q '^bs=8k$' "$d/fio-2-fio-job.job" ||
        fail "$st: the user's job is not what ran: $(cat "$d/fio-2-fio-job.job")"
    jq -e '.jobs[0].write.io_bytes > 0 and .jobs[0].read.io_bytes == 0' \
        "$d/fio-2-fio-job.json" >/dev/null || fail "$st: the user's job read"
    grep -Eq "^[^ ]+ /container/data ${fstype[$st]} " "$d/node1.mounts" ||
        fail "$st: the guest's /data is not ${fstype[$st]}: $(cat "$d/node1.mounts")"
    if [ "$st" = virtio-fs ]; then
        [ -s "$d/node1.virtiofsd.cmdline" ] || fail "no virtiofsd command line"
    fi
done

# Its control has one node too: no CPUs, cgroup or figures of a node 2.
jq -e '(.control_applied.nodes | has("node1") and (has("node2") | not)) and
       (.resources | has("node2") | not)' "$c/result.json" >/dev/null ||
    fail "node 2 in the control: $(jq -c '{control_applied, resources}' "$c/result.json")"

# The report draws each job's charts.
"$VMBENCH" report "$T/r" >"$T/report.out" 2>&1 ||
    { cat "$T/report.out"; fail "report failed"; }
[ -s "$T/r/report.md" ] || fail "no report.md"
for p in $phases; do
    for ch in oprate latency hdr; do
        [ -s "$T/r/plots/$ch-$p.svg" ] || fail "no chart $ch-$p: $(ls "$T/r/plots")"
    done
done
assert_vms_gone 'qemu-system*' virtiofsd fio
