#!/usr/bin/env bash
# The bare-metal control with node 2 on another host over ssh
# (hosts.control_node2, docs/remote.md), on two "hosts" made of network
# namespaces (twohosts.sh):
# - a Redis control, a PostgreSQL one (its base backup taken there) and
#   a MariaDB one (made there, a GTID replica, semi-synchronous) run
#   with node 2 started over ssh on the other host:
#   both nodes answer, node 2 replicates across the veth pair (its byte
#   counters grow by at least the data written), result.json says where
#   node 2 ran, and nothing is left on either host afterwards;
# - vmbench killed with SIGKILL mid-run leaves nothing there either: node
#   2's server ends with the ssh connection that started it; Ctrl-C
#   stops it there before vmbench exits;
# - with match_resources node 2's memory is capped there as node 1's is
#   here (a memory group there, gone with the node);
# - a node directory a lost connection left there, and its memory group,
#   go at the next start;
# - an unreachable host fails within the connect deadline with an error
#   naming it, before anything starts anywhere (preflight, exit 2);
# - a host whose key is in no known_hosts is refused, not accepted;
# - a host without redis-server is refused by the preflight;
# - a VM cell whose node 2 names an unreachable libvirt host, or one
#   without libvirtd, is refused by the preflight within the deadline,
#   naming the host, with nothing made;
# - `vmbench doctor --host` says the same of each host.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/twohosts.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-remote.XXXXXX)
# PostgreSQL's node 1 runs as postgres, who must reach its data here.
chmod 0711 "$T"
trap 'twohosts_down; rm -rf "$T"' EXIT
twohosts_up "$T"
twohosts_cgroup_up
port=$((24000 + ($$ % 500) * 4))

matrix() { # name node2 [connect_timeout]
    cat <<YAML
name: $1
repetitions: 1
database: { engine: redis, port: $port }
load:
  connections: 4
  threads: 1
  keys: 500
  value_size: 1024
  warmup: 0s
  phases:
    - { op: write, n: 2000 }
    - { op: read, n: 2000 }
control: { baremetal: true, match_resources: true }
hosts: { control_node2: "$2", connect_timeout: ${3:-10s} }
YAML
}

here_ok() { # what command...
    local what=$1 rc=0
    shift
    twohosts_here "$@" >"$T/$what.out" 2>"$T/$what.err" || rc=$?
    [ "$rc" = 0 ] || { cat "$T/$what.err"; fail "$what exited $rc"; }
}

here_refused() { # what command...: exit 2 expected
    local what=$1 rc=0
    shift
    twohosts_here "$@" >"$T/$what.out" 2>"$T/$what.err" || rc=$?
    [ "$rc" = 2 ] || { cat "$T/$what.err"; fail "$what exited $rc, not 2"; }
}

# Memory groups of vmbench's there, in either hierarchy.
cgroups_there() {
    twohosts_there sh -c 'ls -d /sys/fs/cgroup/vmbench-control.* \
        /sys/fs/cgroup/memory/vmbench-control.* 2>/dev/null' || true
}

assert_nothing_left() { # after-what
    [ -z "$(twohosts_there_left)" ] ||
        fail "$1: left running there: $(twohosts_there_left | xargs)"
    [ -z "$(cgroups_there)" ] || fail "$1: memory groups left there: $(cgroups_there | xargs)"
    [ -z "$(twohosts_there sh -c 'ls -A /tmp/vmbench-control 2>/dev/null')" ] ||
        fail "$1: left there: $(twohosts_there ls -A /tmp/vmbench-control | xargs)"
    [ -z "$(ip netns pids "$TH_A")" ] || fail "$1: left running here"
}

# ---- a control with node 2 over ssh ----
# What a lost connection would leave there: a node directory whose shell
# is gone. The next start removes it.
twohosts_there sh -c 'mkdir -p -m 0711 /tmp/vmbench-control &&
    mkdir -p /tmp/vmbench-control/node.lost/data &&
    sh -c "echo \$\$" >/tmp/vmbench-control/node.lost/pid'
# and its memory group, where this host has a memory controller
cg_base=$(twohosts_there sh -c 'if grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null;
    then echo /sys/fs/cgroup; elif [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ];
    then echo /sys/fs/cgroup/memory; fi')
[ -z "$cg_base" ] || twohosts_there mkdir "$cg_base/vmbench-control.node.lost"
matrix remote "ssh://root@$TH_THERE" >"$T/remote.yaml"
tx() { ip netns exec "$TH_A" cat "/sys/class/net/$TH_IF/statistics/tx_bytes"; }
tx0=$(tx)
here_ok run "$VMBENCH" run "$T/remote.yaml" --out "$T/r" --only baremetal
tx1=$(tx)
r=$(ls "$T"/r/control/*/rep1/result.json)
[ "$(jq -r .status "$r")" = ok ] || fail "status: $(jq -r .error "$r")"
for i in 0 1; do
    [ "$(jq ".phases[$i].ops" "$r")" = 2000 ] || fail "phase $i ops"
    [ "$(jq ".phases[$i].errors" "$r")" = 0 ] || fail "phase $i errors"
done
jq -e '.replication_lag_s >= 0' "$r" >/dev/null || fail "no replication lag"
jq -e --arg h "ssh://root@$TH_THERE" \
    '.control_applied.nodes.node2.host == $h and
     .control_applied.nodes.node2.hostname == "'"$(hostname)"'" and
     (.control_applied.nodes.node2.kernel | length) > 0 and
     .control_applied.nodes.node2.cpus == "0" and
     .control_applied.nodes.node1.host == ""' "$r" >/dev/null ||
    fail "hosts not recorded: $(jq -c .control_applied.nodes "$r")"
# match_resources caps node 2's memory there as node 1's here: the VM's
# 2048 MiB, in a group of its own, gone with the node.
if [ -n "$cg_base" ]; then
    jq -e --arg b "$cg_base/vmbench-control.node." \
        '.control_applied.nodes.node2.memory_max_bytes == 2147483648 and
         (.control_applied.nodes.node2.memory_cgroup | startswith($b))' "$r" >/dev/null ||
        fail "node 2's memory cap: $(jq -c .control_applied.nodes.node2 "$r")"
    grep -q "memory capped at 2048 MiB there" "$T/run.err" ||
        fail "no note of node 2's cap: $(cat "$T/run.err")"
    echo "node 2's memory group there: $(jq -r .control_applied.nodes.node2.memory_cgroup "$r")"
else
    grep -q "memory not capped there: no cgroup memory controller" "$T/run.err" ||
        fail "no note of node 2's uncapped memory: $(cat "$T/run.err")"
fi
# 2000 writes of 1 KiB values crossed to node 2 (and node 1's answers to
# the load generator never leave this host).
[ $((tx1 - tx0)) -ge 2048000 ] ||
    fail "only $((tx1 - tx0)) bytes left this host over the veth pair"
grep -q "MASTER <-> REPLICA sync" "$T"/r/control/*/rep1/node2.db.log ||
    fail "node 2's log (over ssh) lacks its sync"
# The round trip of node 2's host crosses the veth, not loopback.
jq -e '[.. | objects | .rtt_us? | numbers] | length > 0 and all(. > 0)' \
    "$r" >/dev/null || fail "no round trip to node 2: $(jq -c '.. | objects | .rtt_us? // empty' "$r")"
grep -q "node 2 on \` ssh://root@$TH_THERE \`" "$T/r/report.md" ||
    fail "the report does not say where node 2 ran"
assert_nothing_left "the run"
echo "replication crossed the veth: $((tx1 - tx0)) bytes"

# ---- PostgreSQL: node 2's base backup and standby there ----
cat >"$T/pg.yaml" <<YAML
name: pg
repetitions: 1
database: { engine: postgres, port: $((port + 2)), shared_buffers: 32MB,
            sync_replica: true }
load:
  connections: 4
  threads: 1
  keys: 1000
  value_size: 1024
  warmup: 0s
  phases:
    - { op: write, n: 2000 }
    - { op: read, n: 2000 }
control: { baremetal: true, match_resources: true }
hosts: { control_node2: "ssh://root@$TH_THERE" }
YAML
tx0=$(tx)
here_ok pg "$VMBENCH" run "$T/pg.yaml" --out "$T/p" --only baremetal
tx1=$(tx)
r=$(ls "$T"/p/control/*/rep1/result.json)
[ "$(jq -r .status "$r")" = ok ] || fail "postgres status: $(jq -r .error "$r")"
[ "$(jq ".phases[0].ops" "$r")" = 2000 ] || fail "postgres write ops"
# Synchronous replication: every 1 KiB write reached node 2 over the veth.
[ $((tx1 - tx0)) -ge 2048000 ] ||
    fail "only $((tx1 - tx0)) bytes of postgres left this host"
grep -q "pg_basebackup: base backup completed" "$T"/p/control/*/rep1/node2.init.log ||
    fail "node 2's base backup log: $(cat "$T"/p/control/*/rep1/node2.init.log)"
assert_nothing_left "the postgres run"
echo "postgres replication crossed the veth: $((tx1 - tx0)) bytes"

# ---- MariaDB: node 2 made there (mariadb-install-db), a GTID replica ----
sed -e "s/engine: postgres, port: $((port + 2)), shared_buffers: 32MB,/engine: mariadb, port: $((port + 2)),/" \
    -e 's/^name: pg/name: my/' "$T/pg.yaml" >"$T/my.yaml"
tx0=$(tx)
here_ok my "$VMBENCH" run "$T/my.yaml" --out "$T/m" --only baremetal
tx1=$(tx)
r=$(ls "$T"/m/control/*/rep1/result.json)
[ "$(jq -r .status "$r")" = ok ] || fail "mariadb status: $(jq -r .error "$r")"
[ "$(jq -r .config.database.engine "$T"/m/control/*/config.json)" = mariadb ] ||
    fail "the control was not mariadb's"
grep -q "Slave I/O thread.*connected to master '[^']*@$TH_HERE:" "$T"/m/control/*/rep1/node2.db.log ||
    fail "node 2 there did not replicate from node 1 here: $(tail -5 "$T"/m/control/*/rep1/node2.db.log)"
[ "$(jq ".phases[0].ops" "$r")" = 2000 ] || fail "mariadb write ops"
# Semi-synchronous replication: every 1 KiB write reached node 2 there.
[ $((tx1 - tx0)) -ge 2048000 ] ||
    fail "only $((tx1 - tx0)) bytes of mariadb left this host"
jq -e '.replication_lag_s >= 0' "$r" >/dev/null || fail "no mariadb replication lag"
assert_nothing_left "the mariadb run"
echo "mariadb replication crossed the veth: $((tx1 - tx0)) bytes"

# ---- vmbench killed mid-run: its ssh goes with it, and so does node 2 ----
sed 's/n: 2000 }/duration: 60s }/' "$T/remote.yaml" >"$T/kill.yaml"
twohosts_here "$VMBENCH" run "$T/kill.yaml" --out "$T/k" --only baremetal \
    >"$T/kill.out" 2>"$T/kill.err" &
victim=$!
for _ in $(seq 1 150); do
    twohosts_there_left | grep redis-server >/dev/null && break
    sleep 0.1
done
twohosts_there_left | grep redis-server >/dev/null ||
    fail "node 2 never started there: $(cat "$T/kill.err")"
# Node 2's server runs in its memory group there.
if [ -n "$cg_base" ]; then
    rpid=$(twohosts_there_left | awk '$2 == "redis-server" { print $1 }')
    # shellcheck disable=SC2016 # expanded by the inner shell
    twohosts_there sh -c 'cat "$1"/vmbench-control.node.*/cgroup.procs' sh "$cg_base" |
        grep -qx "$rpid" || fail "node 2's server $rpid is in no memory group of vmbench's there"
fi
# vmbench itself: the process of "here" named so whose parent is not.
vmbench_pid() {
    local p pp
    for p in $(ip netns pids "$TH_A"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = vmbench ] || continue
        pp=$(awk '{ print $4 }' "/proc/$p/stat")
        [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = vmbench ] || echo "$p"
    done
}
kill -9 "$(vmbench_pid)"
wait "$victim" 2>/dev/null || true
for _ in $(seq 1 100); do
    [ -z "$(twohosts_there_left)" ] && [ -z "$(cgroups_there)" ] && break
    sleep 0.2
done
assert_nothing_left "the killed run"

# ---- Ctrl-C mid-run: vmbench stops node 2 there itself and exits ----
twohosts_here "$VMBENCH" run "$T/kill.yaml" --out "$T/c" --only baremetal \
    >"$T/int.out" 2>"$T/int.err" &
victim=$!
for _ in $(seq 1 150); do
    twohosts_there_left | grep redis-server >/dev/null && break
    sleep 0.1
done
twohosts_there_left | grep redis-server >/dev/null ||
    fail "node 2 never started there: $(cat "$T/int.err")"
kill -INT "$(vmbench_pid)"
rc=0
wait "$victim" || rc=$?
[ "$rc" != 0 ] || fail "an interrupted run exited 0"
# The shell there ends with the server; give its last steps a moment.
for _ in $(seq 1 10); do
    [ -z "$(twohosts_there_left)" ] && break
    sleep 0.2
done
assert_nothing_left "the interrupted run"

# ---- an unreachable host: named, within the deadline, nothing started ----
matrix gone "ssh://root@${TH_THERE%.2}.9" 2s >"$T/gone.yaml"
start=$SECONDS
here_refused gone "$VMBENCH" run "$T/gone.yaml" --out "$T/g" --only baremetal
[ $((SECONDS - start)) -le 8 ] || fail "the refusal took $((SECONDS - start)) s"
grep -q "host \"ssh://root@${TH_THERE%.2}.9\"" "$T/gone.err" ||
    fail "the error does not name the host: $(cat "$T/gone.err")"
[ ! -e "$T/g" ] || fail "a results directory was made"
assert_nothing_left "the unreachable host"

# ---- an unknown host key: refused ----
matrix unknown "ssh://root@$TH_THERE:2223" >"$T/unknown.yaml"
here_refused unknown "$VMBENCH" run "$T/unknown.yaml" --out "$T/u" --only baremetal
grep -q "Host key verification failed" "$T/unknown.err" ||
    fail "no host key refusal: $(cat "$T/unknown.err")"
[ ! -e "$T/u" ] || fail "a results directory was made"

# ---- a host without the engine: the preflight refuses ----
matrix noredis "ssh://root@$TH_THERE:2222" >"$T/noredis.yaml"
here_refused noredis "$VMBENCH" run "$T/noredis.yaml" --out "$T/n" --only baremetal
grep -q "lacks \"redis-server\"" "$T/noredis.err" ||
    fail "no missing-program refusal: $(cat "$T/noredis.err")"
assert_nothing_left "the host without redis"

# ---- a VM cell's node 2 on an unreachable libvirt host: named within
# the deadline, before any VM, network or results directory is made ----
cat >"$T/vmgone.yaml" <<YAML
name: vmgone
repetitions: 1
guest: { storage: block }
database: { engine: redis, port: $port }
load: { phases: [{ op: write, n: 100 }] }
hosts: { vm_node2: "qemu+tcp://${TH_THERE%.2}.9/system", connect_timeout: 2s }
YAML
start=$SECONDS
here_refused vmgone "$VMBENCH" run "$T/vmgone.yaml" --out "$T/vg" --only vm
[ $((SECONDS - start)) -le 8 ] || fail "the refusal took $((SECONDS - start)) s"
# Past the deadline, or at once where the neighbour table remembers the
# address as unreachable from the runs above.
grep -q "remote-libvirt: libvirtd at \"qemu+tcp://${TH_THERE%.2}.9/system\"" \
    "$T/vmgone.err" || fail "the error does not name the host: $(cat "$T/vmgone.err")"
[ ! -e "$T/vg" ] || fail "a results directory was made"
# A host without libvirtd: libvirt's own words, over ssh.
sed "s|qemu+tcp://${TH_THERE%.2}.9/system|qemu+ssh://root@$TH_THERE/system|" \
    "$T/vmgone.yaml" >"$T/vmnovirt.yaml"
here_refused vmnovirt "$VMBENCH" run "$T/vmnovirt.yaml" --out "$T/vn" --only vm
grep -q "remote-libvirt: libvirtd at \"qemu+ssh://root@$TH_THERE/system\": " \
    "$T/vmnovirt.err" || fail "no libvirt refusal: $(cat "$T/vmnovirt.err")"
[ ! -e "$T/vn" ] || fail "a results directory was made"
assert_nothing_left "the unreachable libvirt hosts"

# ---- doctor --host: the same verdicts for one host ----
here_ok doctor "$VMBENCH" doctor --host "ssh://root@$TH_THERE"
grep -Eq "^ok +ssh +reached \"ssh://root@$TH_THERE\" at $TH_THERE from $TH_HERE" \
    "$T/doctor.out" || fail "doctor: $(cat "$T/doctor.out")"
grep -Eq "^ok +redis " "$T/doctor.out" || fail "doctor: $(cat "$T/doctor.out")"
here_ok doctor-noredis "$VMBENCH" doctor --host "ssh://root@$TH_THERE:2222"
grep -Eq "^warn +redis +.*lacks \"redis-server\"" "$T/doctor-noredis.out" ||
    fail "doctor: $(cat "$T/doctor-noredis.out")"
rc=0
twohosts_here "$VMBENCH" doctor --host "ssh://root@$TH_THERE:2223" \
    >"$T/doctor-unknown.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "doctor on an unknown host key exited $rc"
grep -Eq "^fail +ssh +.*Host key verification failed" "$T/doctor-unknown.out" ||
    fail "doctor: $(cat "$T/doctor-unknown.out")"
here_refused doctor-bad "$VMBENCH" doctor --host "-oProxyCommand=x"
grep -q "^vmbench doctor: --host: expected" "$T/doctor-bad.err" ||
    fail "doctor: $(cat "$T/doctor-bad.err")"
# A libvirt host: an unreachable one named within the deadline, one
# without libvirtd named with libvirt's words, a URI ssh could misread
# refused.
rc=0
start=$SECONDS
twohosts_here "$VMBENCH" doctor --host "qemu+tcp://${TH_THERE%.2}.9/system" \
    --connect-timeout 2s >"$T/doctor-virt.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "doctor on an unreachable libvirt host exited $rc"
[ $((SECONDS - start)) -le 6 ] || fail "doctor took $((SECONDS - start)) s"
grep -Eq "^fail +libvirt +libvirtd at \"qemu\+tcp://${TH_THERE%.2}.9/system\"" \
    "$T/doctor-virt.out" || fail "doctor: $(cat "$T/doctor-virt.out")"
rc=0
twohosts_here "$VMBENCH" doctor --host "qemu+ssh://root@$TH_THERE/system" \
    >"$T/doctor-virt2.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "doctor on a host without libvirtd exited $rc"
grep -Eq "^fail +libvirt +libvirtd at \"qemu\+ssh://root@$TH_THERE/system\": " \
    "$T/doctor-virt2.out" || fail "doctor: $(cat "$T/doctor-virt2.out")"
here_refused doctor-virt-bad "$VMBENCH" doctor --host "qemu+ssh://-oX=y/system"
assert_nothing_left "doctor"
echo "ok"
