#!/usr/bin/env bash
# Runs the N shards of a matrix on the hosts of a GNU parallel
# --sshloginfile (one host a line; ":" is this machine), one shard at a
# time per host, brings each shard's results directory back, and merges
# them (docs/scale-out.md).
#
#   examples/scale-out/parallel.sh MATRIX.yaml N HOSTS_FILE OUT [RUN_ARGS...]
#
# RUN_ARGS go to every `vmbench run` (`--only baremetal`, `--kata FILE`
# with FILE present on every host).
# Every host needs vmbench on its PATH (VMBENCH overrides the command)
# and what the matrix needs (`vmbench plan MATRIX` on the host says).
# The shards' directories come back as OUT.shards/shard-K; OUT is the
# merged directory. The line itself, for a fleet in hosts.txt:
#
#   parallel --jobs 1 --sshloginfile hosts.txt --basefile matrix.yaml \
#       --return 'shard-{}' --cleanup \
#       vmbench run matrix.yaml --shard {}/24 --out shard-{} --no-report \
#       ::: $(seq 0 23)
#   vmbench merge merged shard-*
set -euo pipefail

if [ $# -lt 4 ]; then
    echo "usage: $0 MATRIX.yaml N HOSTS_FILE OUT [RUN_ARGS...]" >&2
    exit 2
fi
matrix=$1 n=$2 hosts=$3 out=$4
shift 4
vmbench=${VMBENCH:-vmbench}
case $n in '' | *[!0-9]* | 0*) echo "$0: N must be a whole number from 1" >&2; exit 2 ;; esac
[ ! -e "$out" ] || { echo "$0: \"$out\" already exists" >&2; exit 2; }

# The shards are run from a directory of their own: --return brings
# shard-K back relative to it, and the matrix goes with --basefile under
# the same name.
work="$out.shards"
mkdir -p "$work"
cp "$matrix" "$work/matrix.yaml"
cd "$work"
# --jobs 1: one shard per host at a time (a shard's ports and host-wide
# settings are the host's). A shard that fails leaves its directory for
# `vmbench run --resume`; merge then names it missing.
rc=0
parallel --jobs 1 --sshloginfile "$hosts" --basefile matrix.yaml \
    --return 'shard-{}' --cleanup \
    "$vmbench" run matrix.yaml --shard '{}/'"$n" --out 'shard-{}' --no-report \
    "$@" \
    ::: $(seq 0 $((n - 1))) || rc=$?
cd - >/dev/null
partial=()
if [ "$rc" != 0 ]; then
    echo "$0: $rc shards failed; merging what came back" >&2
    partial=(--partial)
fi
"$vmbench" merge "$out" "$work"/shard-* "${partial[@]}"
"$vmbench" report "$out"
