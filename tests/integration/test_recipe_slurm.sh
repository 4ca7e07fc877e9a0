#!/usr/bin/env bash
# examples/scale-out/slurm-shards.sbatch for real: a single-node Slurm
# on this machine (munged, slurmctld and slurmd, each with its own
# files, socket and ports under a scratch directory, started here and
# stopped at the end), an array job of 2 tasks over a bare-metal matrix,
# then the merge the recipe's dependent job runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"
for c in munged slurmctld slurmd sbatch sinfo; do
    command -v "$c" >/dev/null ||
        fail "$c is not installed (scripts/setup.sh: slurm-wlm, munge)"
done

T=$(mktemp -d /tmp/vmb-test-recipe-slurm.XXXXXX)
chmod 755 "$T"
pids=()
cleanup() {
    local p
    if [ -f "$T/slurm.conf" ]; then
        SLURM_CONF="$T/slurm.conf" scancel --quiet --user root 2>/dev/null || true
    fi
    for f in slurmd slurmctld munged; do
        [ -f "$T/$f.pid" ] || continue
        p=$(cat "$T/$f.pid")
        kill "$p" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap cleanup EXIT
base=$((27000 + ($$ % 500) * 4))
sport=$((29000 + ($$ % 400) * 2))

# munge: a key and a socket of our own.
mkdir -p "$T/munge"
chmod 700 "$T/munge"
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge/munge.key"
munged --force --key-file="$T/munge/munge.key" --socket="$T/munge/sock" \
    --pid-file="$T/munged.pid" --log-file="$T/munge/log" \
    --seed-file="$T/munge/seed" || fail "munged did not start"

node=$(hostname -s)
mkdir -p "$T/state" "$T/spool"
cat >"$T/slurm.conf" <<CONF
ClusterName=vmbtest$$
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$sport
SlurmdPort=$((sport + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge/sock
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/linear
SwitchType=switch/none
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
SlurmdTimeout=30
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=vmbtest Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$T/slurm.conf"
slurmctld -f "$T/slurm.conf" || fail "slurmctld did not start: $(cat "$T/slurmctld.log")"
slurmd -f "$T/slurm.conf" || fail "slurmd did not start: $(cat "$T/slurmd.log")"
ready=""
for _ in $(seq 1 100); do
    if [ "$(sinfo -h -N -o %t 2>/dev/null)" = idle ]; then ready=1; break; fi
    sleep 0.3
done
[ -n "$ready" ] || fail "the node is not idle after 30 s: $(sinfo -N 2>&1; tail -5 "$T/slurmctld.log" "$T/slurmd.log")"

bash "$VMB_SOURCE_DIR/tests/integration/recipe_matrix.sh" "$base" >"$T/m.yaml"
# The recipe's two commands: the array job, then the merge its
# dependent job would run. (Polled here: sbatch --wait backs off to
# checks many seconds apart.)
job=$(VMBENCH="$VMBENCH" sbatch --parsable --chdir="$T" --export=ALL \
    --array=0-1 "$VMB_SOURCE_DIR/examples/scale-out/slurm-shards.sbatch" \
    "$T/m.yaml" "$T/results" --only baremetal) || fail "sbatch refused the job"
done=""
for _ in $(seq 1 600); do
    if [ -z "$(squeue -h -j "$job" 2>/dev/null)" ]; then done=1; break; fi
    sleep 0.5
done
[ -n "$done" ] || fail "the array job did not end in 300 s"
codes=$(scontrol -o show job "$job" | grep -o ' ExitCode=[0-9:]*' | sort -u)
[ "$codes" = " ExitCode=0:0" ] || {
    cat "$T"/vmbench-shard-*.log 2>/dev/null
    fail "the array's tasks exited with$codes"
}
"$VMBENCH" merge "$T/merged" "$T"/results/shard-* >/dev/null ||
    fail "merge of the array's shards"
"$VMBENCH" report "$T/merged" >/dev/null 2>&1 || fail "report"
bash "$VMB_SOURCE_DIR/tests/integration/recipe_check.sh" "$T/merged" "$T/m.yaml"
assert_ports_free "$base"
echo ok
