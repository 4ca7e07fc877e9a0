#!/usr/bin/env bash
# examples/scale-out/ansible/shards.yml for real, with this machine as a
# fleet of two hosts (Ansible's local connection, each with its own work
# directory, one at a time: both are the same machine, with the same
# ports): a bare-metal matrix in 2 shards, fetched back and merged.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"
command -v ansible-playbook >/dev/null ||
    fail "ansible is not installed (scripts/setup.sh)"

T=$(mktemp -d /tmp/vmb-test-recipe-ansible.XXXXXX)
trap 'rm -rf "$T"' EXIT
base=$((26500 + ($$ % 500) * 4))
bash "$VMB_SOURCE_DIR/tests/integration/recipe_matrix.sh" "$base" >"$T/m.yaml"
py=$(command -v python3)
cat >"$T/inventory.ini" <<INV
[vmbench_fleet]
host0 ansible_connection=local ansible_python_interpreter=$py work=$T/host0
host1 ansible_connection=local ansible_python_interpreter=$py work=$T/host1
INV

rc=0
ANSIBLE_HOME="$T/ansible-home" ANSIBLE_LOCAL_TEMP="$T/ansible-tmp" \
    ANSIBLE_REMOTE_TEMP="$T/ansible-tmp" \
    ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 \
    timeout 300 ansible-playbook --forks 1 -i "$T/inventory.ini" \
    "$VMB_SOURCE_DIR/examples/scale-out/ansible/shards.yml" \
    -e "matrix=$T/m.yaml" -e "out=$T/merged" -e "vmbench=$VMBENCH" \
    -e "run_args='--only baremetal'" >"$T/out" 2>&1 || rc=$?
[ "$rc" = 0 ] || { cat "$T/out"; fail "ansible-playbook exited $rc"; }
bash "$VMB_SOURCE_DIR/tests/integration/recipe_check.sh" "$T/merged" "$T/m.yaml"
# Each host's shard ran in its own work directory.
[ -f "$T/host0/shard-0/run.json" ] && [ -f "$T/host1/shard-1/run.json" ] ||
    fail "the shards did not run where the inventory says"
assert_ports_free "$base"
echo ok
