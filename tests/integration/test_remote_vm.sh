#!/usr/bin/env bash
# A VM node's files on another libvirt host go up as storage volumes
# (hosts.vm_node2, docs/remote.md), on two "hosts" made of network
# namespaces (twohosts.sh), "there" with a libvirtd of its own reached as
# qemu+ssh://root@THERE/system (its sshd and virt-ssh-helper):
# - `vmbench doctor --host URI` uploads a volume of known bytes into a
#   storage pool of its own there, reads it back (both ways across the
#   veth pair: its byte counters) and removes volume, pool and directory;
# - before that, pools that a dead vmbench of this boot and pid namespace
#   left there (the cleanup at the next start) are removed with their
#   volumes and directories; a pool of another pid namespace is left
#   alone, as its vmbench may still run;
# - a host whose key is in no known_hosts is refused, not accepted;
# - a host that never answers is refused at the connect deadline, naming
#   it, with nothing made on either side;
# - the preflight of a VM cell whose node 2 is there finds nothing
#   lacking there, and wants a route here to node 2's subnet there
#   until one is added, and node 2's pinned vCPUs and huge pages are
#   checked against the CPUs and free pages there;
# - a VM cell whose node 2 there shares over virtio-fs is refused at plan
#   time with a qemu+tcp:// URI (its directory is made over ssh), and by
#   the preflight when that host lacks the cell's virtiofsd;
# - a Redis cell on Kata's default virtio-fs share (the container root
#   and storage shared, node 2's directory made there over ssh, its
#   virtiofsd libvirt's) and a PostgreSQL cell on a block data volume run
#   with node 1's VM here and node 2's there (files uploaded, routed
#   networks, console and agent over libvirt streams): replication
#   reaches node 2, both hosts are named, nothing is left on either side;
#   after a Ctrl-C nothing is left there either, after a SIGKILL of
#   vmbench no domain, network or shared directory.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/twohosts.sh"
: "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"

T=$(mktemp -d /tmp/vmb-test-remote-vm.XXXXXX)
trap 'twohosts_down; rm -rf "$T"' EXIT
twohosts_up "$T"
twohosts_libvirt_up
uri="qemu+ssh://root@$TH_THERE/system"
images=/var/lib/libvirt/images
there_virsh() { twohosts_there virsh -q -c qemu:///system "$@"; }
pools() { there_virsh pool-list --all --name | grep '^vmbench-' || true; }

# vmbench runs in this pid namespace ("here" is a network namespace).
boot=$(tr -d '-' </proc/sys/kernel/random/boot_id | cut -c1-8)
pidns=$(stat -Lc %i /proc/self/ns/pid)
dead="vmbench-$boot-$pidns-999999-1"
other="vmbench-$boot-$((pidns + 1))-999999-1"
for p in "$dead" "$other"; do
    there_virsh pool-define-as "$p" dir --target "$images/$p" >/dev/null
    there_virsh pool-build "$p" >/dev/null
    there_virsh pool-start "$p" >/dev/null
    there_virsh vol-create-as "$p" left.raw 4096 >/dev/null
done
twohosts_there test -e "$images/$dead/left.raw" || fail "the stale pool has no volume"

veth_bytes() { # tx + rx of this side of the veth pair
    local tx rx
    tx=$(ip netns exec "$TH_A" cat "/sys/class/net/$TH_IF/statistics/tx_bytes")
    rx=$(ip netns exec "$TH_A" cat "/sys/class/net/$TH_IF/statistics/rx_bytes")
    echo $((tx + rx))
}
rc=0
before=$(veth_bytes)
start=$SECONDS
twohosts_here "$VMBENCH" doctor --host "$uri" --connect-timeout 60s \
    >"$T/doctor.out" 2>&1 || rc=$?
echo "doctor --host $uri: $((SECONDS - start)) s"
cat "$T/doctor.out"
[ "$rc" = 0 ] || fail "doctor --host exited $rc"
# The volume went there and came back across the veth pair.
crossed=$(($(veth_bytes) - before))
[ "$crossed" -ge $((2 * 65536)) ] || fail "only $crossed bytes crossed the veth pair"
line=$(grep -E '^ok +upload +65536 bytes uploaded to a storage pool at ' "$T/doctor.out") ||
    fail "no upload verdict"
dir=$(sed -E 's/.* at "([^"]+)".*/\1/' <<<"$line")
case "$dir" in "$images/vmbench-$boot-$pidns-"*) ;; *) fail "the pool was at \"$dir\"" ;; esac
if twohosts_there test -e "$dir"; then fail "the pool's directory \"$dir\" is left there"; fi
[ "$(pools)" = "$other" ] || fail "pools left there: $(pools | xargs)"
if twohosts_there test -e "$images/$dead"; then fail "the dead run's pool directory is left"; fi
twohosts_there test -e "$images/$other/left.raw" ||
    fail "another pid namespace's pool was touched"

# A host whose key is in no known_hosts: refused through libvirt's ssh
# too (batch mode), with ssh's words and no advice about a local libvirtd.
rc=0
twohosts_here "$VMBENCH" doctor --host "qemu+ssh://root@$TH_THERE:2223/system" \
    --connect-timeout 20s </dev/null >"$T/unknown.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "doctor on an unknown host key exited $rc: $(cat "$T/unknown.out")"
grep -Eq '^fail +libvirt +.*Host key verification failed' "$T/unknown.out" ||
    fail "no host key refusal: $(cat "$T/unknown.out")"
if grep -q "systemctl start libvirtd" "$T/unknown.out"; then
    fail "a remote host's failure advises a local libvirtd: $(cat "$T/unknown.out")"
fi

# The preflight of a VM cell with node 2 there: reached, QEMU there, the
# upload made; nothing lacking there, nothing left there.
cat >"$T/m.yaml" <<YAML
name: remote-vm
repetitions: 1
guest: { storage: block }
load: { phases: [{ op: write, n: 100 }] }
hosts: { vm_node2: "$uri", connect_timeout: 60s }
YAML
# Node 2's share is made there over ssh: a qemu+tcp:// host is refused at
# plan time, naming the key; a virtiofsd that is not there, by the
# preflight's remote-share need.
sed -e "s|$uri|qemu+tcp://$TH_THERE/system|" -e 's/storage: block/storage: shared/' \
    "$T/m.yaml" >"$T/tcp-share.yaml"
rc=0
twohosts_here "$VMBENCH" plan "$T/tcp-share.yaml" >"$T/tcp-share.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a virtio-fs cell over qemu+tcp: exit $rc: $(cat "$T/tcp-share.out")"
grep -q 'tcp-share.yaml:[0-9]*:[0-9]*: hosts.vm_node2: .*makes on node 2.s host over ssh' \
    "$T/tcp-share.out" || fail "no refusal of qemu+tcp for a share: $(cat "$T/tcp-share.out")"
sed -e 's/storage: block/storage: shared, virtio_fs_daemon: \/opt\/no-virtiofsd/' \
    "$T/m.yaml" >"$T/nofsd.yaml"
twohosts_here "$VMBENCH" plan "$T/nofsd.yaml" >"$T/nofsd.out" 2>&1 || true
grep -q 'remote-share: the host of "'"$uri"'" lacks /opt/no-virtiofsd' "$T/nofsd.out" ||
    fail "no remote-share refusal: $(cat "$T/nofsd.out")"
twohosts_here "$VMBENCH" plan "$T/m.yaml" >"$T/plan.out" 2>&1 || true
grep -q "remote-vm" "$T/plan.out" || fail "plan: $(cat "$T/plan.out")"
if grep -q "remote-libvirt" "$T/plan.out"; then
    fail "the preflight found the host lacking: $(grep -A3 remote-libvirt "$T/plan.out")"
fi
# No route here to node 2's subnet there (network.subnet's next block):
# refused with the routes to add; with the route, nothing lacking.
grep -q 'remote-route: no route of this host reaches node 2.s subnet "10.213.1.0/24"' \
    "$T/plan.out" || fail "no route shortfall: $(cat "$T/plan.out")"
grep -q 'ip route add 10.213.1.0/24 via ITS-ADDRESS' "$T/plan.out" ||
    fail "no route fix: $(cat "$T/plan.out")"
ip -n "$TH_A" route add 10.213.1.0/24 via "$TH_THERE"
# With the route, nothing lacking, for a cell on a data volume and one
# on Kata's default share (its directory made there over ssh).
printf 'matrix:\n  guest.storage: [block, shared]\n' | cat "$T/m.yaml" - >"$T/m2.yaml"
twohosts_here "$VMBENCH" plan "$T/m2.yaml" >"$T/plan2.out" 2>&1 || true
grep -q "2 VM cells" "$T/plan2.out" || fail "plan of two cells: $(cat "$T/plan2.out")"
if grep -Eq "remote-(route|libvirt|share):" "$T/plan2.out"; then
    fail "the preflight still found node 2 lacking: $(cat "$T/plan2.out")"
fi
# Node 2's VM is checked against its own host's CPUs and free huge
# pages, as its libvirt reports them: refused before anything starts.
# (The other host is this machine: a pinned cell with one vCPU more than
# its CPUs, and a hugepage cell with more 2 MiB pages than it has free.)
cpus=$(getconf _NPROCESSORS_ONLN)
free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
pages=$((free < 8192 ? 8192 : free + 1))
sed -e "s/storage: block/storage: block, vcpus: $((cpus + 1)), memory: $((pages * 2))/" \
    "$T/m.yaml" >"$T/fit.yaml"
cat >>"$T/fit.yaml" <<YAML
matrix:
  guest.vcpus_pinning: [true, false]
  guest.hugepages: [false, true]
exclude:
  - { guest.vcpus_pinning: true, guest.hugepages: true }
  - { guest.vcpus_pinning: false, guest.hugepages: false }
YAML
twohosts_here "$VMBENCH" plan "$T/fit.yaml" >"$T/fit.out" 2>&1 || true
grep -q "remote-libvirt: enable_vcpus_pinning gives node 2's $((cpus + 1)) vCPUs a CPU each on \"$uri\", which has $cpus online" \
    "$T/fit.out" || fail "no refusal of node 2's pinning there: $(cat "$T/fit.out")"
grep -q "remote-libvirt: enable_hugepages: node 2's VM needs $pages free 2 MiB pages on \"$uri\"" \
    "$T/fit.out" || fail "no refusal of node 2's huge pages there: $(cat "$T/fit.out")"
[ "$(pools)" = "$other" ] || fail "pools left there after the preflight: $(pools | xargs)"

# A Redis cell and a PostgreSQL cell with node 2 there: node 1's VM boots
# here (a libvirtd of its own in "here": scripts/sandbox.sh in that
# namespace), node 2's there from the files uploaded into a pool there,
# its console and agent over libvirt streams; replication crosses the
# veth pair between the two routed VM networks. Redis runs on Kata's
# default share (the container root and its data over virtio-fs: node
# 2's directory made there over ssh, its virtiofsd started by libvirt
# there), PostgreSQL on a data volume (a sparse upload). Nothing is left
# on either side.
ip -n "$TH_B" route add 10.213.0.0/24 via "$TH_HERE"
cat >"$T/run.yaml" <<YAML
name: remote-run
repetitions: 1
hypervisor: { accel: tcg }
guest: { memory: 768, data_size: 256M }
network: { vhost_fallback: true }
database: { ready_timeout: 10m }
load:
  connections: 2
  threads: 1
  keys: 200
  value_size: 4096
  warmup: 0s
  phases: [{ op: write, n: 400 }, { op: read, duration: 2s }]
control: { baremetal: false }
hosts: { vm_node2: "$uri", connect_timeout: 60s }
matrix:
  database.engine: [redis, postgres]
  guest.storage: [shared, block]
exclude:
  - { database.engine: redis, guest.storage: block }
  - { database.engine: postgres, guest.storage: shared }
YAML
before=$(veth_bytes)
start=$SECONDS
rc=0
# shellcheck disable=SC2016 # expanded by the inner shell
VMB_SANDBOX_NETNS=$TH_A bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash -c '
    set -e
    mount -t tmpfs -o mode=0700 vmb-here /root
    install -d -m 0700 /root/.ssh
    install -m 0600 "$1"/id_ed25519 "$1"/known_hosts "$1"/config /root/.ssh/
    exec "$2" run "$3" --out "$4" --no-report' bash "$T/here" "$VMBENCH" \
    "$T/run.yaml" "$T/run" >"$T/run.out" 2>&1 || rc=$?
crossed=$(($(veth_bytes) - before))
echo "a run with node 2 there: exit $rc after $((SECONDS - start)) s, $crossed bytes across the veth pair"
[ "$rc" = 0 ] || { cat "$T/run.out"; fail "the run with node 2 there exited $rc"; }
jq -e '.runs.total == 2 and .runs.ok == 2' "$T/run/run.json" >/dev/null ||
    fail "run.json: $(jq -c .runs "$T/run/run.json")"
# The uploads (kernel, initramfs and an image of about 100 MB or more,
# once per run) crossed; the replication's share is checked on node 2's
# NIC below.
[ "$crossed" -ge $((2 * 50 * 1024 * 1024)) ] || fail "only $crossed bytes crossed the veth pair"
shares=0
for id in $(jq -r '.cells[].id' "$T/run/plan.json"); do
    d="$T/run/cells/$id/rep1"
    r="$d/result.json"
    [ "$(jq -r .status "$r")" = ok ] || fail "cell $id: $(jq -r .error "$r")"
    [ "$(jq '.phases[0].ops' "$r")" = 400 ] || fail "cell $id: write ops"
    jq -e '.replication_lag_s >= 0' "$r" >/dev/null || fail "cell $id: no replication lag"
    # What node 2's NIC there received while the phases ran: the 400
    # replicated writes (Redis: their 4 KiB values; PostgreSQL: their
    # WAL), which have no way there but the veth pair; an idle NIC gets
    # a few hundred bytes.
    rx=$(jq '.resources.node2.net_rx_bytes' "$r")
    echo "cell $id: node 2 received $rx bytes during the phases"
    [ "$rx" -ge 100000 ] || fail "cell $id: node 2 received only $rx bytes"
    # node 2's console came back over its stream; its QEMU was sampled
    # through libvirt there; the CPU split by thread, read from this
    # host's /proc, is null, not 0.
    grep -q "Linux version" "$d/node2.console.log" || fail "cell $id: node 2's console"
    [ -s "$d/node2.xml" ] || fail "cell $id: node 2's live XML"
    grep -q "<source network='vmb-" "$d/node2.xml" || fail "cell $id: node 2's network"
    jq -e '.resources.node2.process_cpu_s > 0 and .resources.node2.net_rx_bytes > 0' \
        "$r" >/dev/null || fail "cell $id: node 2's counters: $(jq -c .resources.node2 "$r")"
    jq -e '(.phase_resources | length) > 0 and
           ([.phase_resources[]][0].host_cpu_us == null)' "$r" >/dev/null ||
        fail "cell $id: host CPU split: $(jq -c '[.phase_resources[]][0].host_cpu_us' "$r")"
    jq -e --arg u "$uri" '.hosts.node1.uri == "" and .hosts.node2.uri == $u and
           (.hosts.node2.hostname | length > 0) and (.hosts.node2.libvirt | length > 0)' \
        "$r" >/dev/null || fail "cell $id: hosts: $(jq -c .hosts "$r")"
    if [ "$(jq -r .config.guest.storage "$T/run/cells/$id/config.json")" = block ]; then
        # Its data volume, uploaded as a sparse stream, is the file system
        # it ran on (a SCSI disk: Kata's default block_device_driver).
        grep -Eq '^/dev/[sv]d[a-z]+ /container/data ext4 ' "$d/node2.mounts" ||
            fail "cell $id: node 2's data: $(grep container/data "$d/node2.mounts")"
        continue
    fi
    # The share there: its container root and data over virtio-fs, from
    # the directory made there, served by the virtiofsd libvirt started.
    grep -Eq '^vmbdata /container virtiofs ' "$d/node2.mounts" ||
        fail "cell $id: node 2's root: $(cat "$d/node2.mounts")"
    grep -q "<source dir='/var/lib/vmbench/vm-remote/node\.[A-Za-z0-9]*/share'/>" \
        "$d/node2.xml" || fail "cell $id: node 2's share: $(grep -A6 '<filesystem' "$d/node2.xml")"
    grep -q "<thread_pool size='1'/>" "$d/node2.xml" ||
        fail "cell $id: node 2's virtiofsd: $(grep -A6 '<filesystem' "$d/node2.xml")"
    shares=$((shares + 1))
done
[ "$shares" = 1 ] || fail "$shares cells shared a directory there"
left=$(twohosts_there find /var/lib/vmbench/vm-remote -mindepth 1 -maxdepth 1)
[ -z "$left" ] || fail "shared directories left there: $left"
[ "$(pools)" = "$other" ] || fail "pools left there after the run: $(pools | xargs)"
[ -z "$(there_virsh list --all --name)" ] || fail "a domain there: $(there_virsh list --all --name)"
[ -z "$(there_virsh net-list --all --name)" ] || fail "a network there: $(there_virsh net-list --all --name)"
for ns in "$TH_A" "$TH_B"; do
    for p in $(ip netns pids "$ns"); do
        case "$(cat "/proc/$p/comm" 2>/dev/null)" in
        qemu* | redis* | postgres* | virtiofsd) fail "left running in $ns: $(cat "/proc/$p/comm")" ;;
        esac
    done
done

# vmbench stopped while node 2 runs there on its share. Ctrl-C (SIGINT):
# the run tears down in order, and nothing is left there, pool included.
# SIGKILL: libvirt there destroys the domain (and its virtiofsd) as the
# run's connection drops (auto-destroy), vmbench's guard process destroys
# the network there, the shared directory goes with the ssh session that
# held it;
# the pool stays for the cleanup at the next start of a vmbench of the
# killed one's pid namespace (the sandbox's own, which no later vmbench
# shares here, so the test removes it).
sed -e 's/database.engine: \[redis, postgres\]/database.engine: [redis]/' \
    -e 's/guest.storage: \[shared, block\]/guest.storage: [shared]/' -e '/^exclude:/,$d' \
    -e 's/phases: .*/phases: [{ op: read, duration: 300s }]/' "$T/run.yaml" >"$T/stop.yaml"
stop_while_there() { # signal
    local sandbox vpid p left
    # shellcheck disable=SC2016 # expanded by the inner shell
    VMB_SANDBOX_NETNS=$TH_A bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash -c '
        mount -t tmpfs -o mode=0700 vmb-here /root
        install -d -m 0700 /root/.ssh
        install -m 0600 "$1"/id_ed25519 "$1"/known_hosts "$1"/config /root/.ssh/
        "$2" run "$3" --out "$4" --no-report
        # A killed vmbench'"'"'s guard outlives it by its cleanup.
        for _ in $(seq 1 300); do pgrep -x vmbench >/dev/null || break; sleep 0.1; done' \
        bash "$T/here" "$VMBENCH" "$T/stop.yaml" "$T/stop-$1" >"$T/stop-$1.out" 2>&1 &
    sandbox=$!
    for _ in $(seq 1 900); do
        [ -n "$(there_virsh list --name)" ] && grep -q "0-read" "$T/stop-$1.out" && break
        sleep 0.2
    done
    grep -q "0-read" "$T/stop-$1.out" || { cat "$T/stop-$1.out"; fail "$1: the phase never started"; }
    [ -n "$(there_virsh list --name)" ] || { cat "$T/stop-$1.out"; fail "node 2 never ran there"; }
    [ -n "$(twohosts_there find /var/lib/vmbench/vm-remote -mindepth 1 -maxdepth 1)" ] ||
        fail "$1: node 2's shared directory is not there"
    vpid=$(pgrep -o -f "^$VMBENCH run $T/stop.yaml") || fail "no vmbench to stop"
    kill -s "$1" "$vpid"
    wait "$sandbox" || true
    shared_left() { twohosts_there find /var/lib/vmbench/vm-remote -mindepth 1 -maxdepth 1; }
    for _ in $(seq 1 150); do
        [ -z "$(there_virsh list --all --name)" ] && [ -z "$(there_virsh net-list --all --name)" ] &&
            [ -z "$(shared_left)" ] && break
        sleep 0.2
    done
    # The shared directory goes with the session that held it there, and
    # node 2's virtiofsd with its domain.
    [ -z "$(shared_left)" ] || fail "$1: shared directories left there: $(shared_left)"
    for p in $(ip netns pids "$TH_B"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" != virtiofsd ] || fail "$1: a virtiofsd left there"
    done
    [ -z "$(there_virsh list --all --name)" ] || fail "$1: a domain there: $(there_virsh list --all --name)"
    [ -z "$(there_virsh net-list --all --name)" ] ||
        fail "$1: a network there: $(there_virsh net-list --all --name)"
    left=$(pools | grep -vx "$other" || true)
    if [ "$1" = INT ]; then
        [ -z "$left" ] || fail "INT: pools left there: $left"
        grep -q "interrupted" "$T/stop-INT.out" || fail "INT: $(tail -3 "$T/stop-INT.out")"
        return 0
    fi
    [ -n "$left" ] || fail "KILL: the killed run's pool is not there to sweep"
    for p in $left; do
        there_virsh pool-destroy "$p" >/dev/null
        twohosts_there rm -rf "$images/$p"
        there_virsh pool-undefine "$p" >/dev/null
    done
}
stop_while_there INT
stop_while_there KILL

# A libvirt host that accepts the connection and never answers: the run
# is refused at the connect deadline, naming the host, nothing made on
# either side.
twohosts_there python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 16600))
s.listen(4)
held = [s.accept()[0] for _ in range(4)]
time.sleep(120)' "$TH_THERE" &
for _ in $(seq 1 50); do
    ip netns exec "$TH_B" ss -Hltn "sport = :16600" | grep -q . && break
    sleep 0.1
done
sed -e "s|$uri|qemu+tcp://$TH_THERE:16600/system|" -e 's|connect_timeout: 60s|connect_timeout: 2s|' \
    "$T/m.yaml" >"$T/silent.yaml"
rc=0
start=$SECONDS
twohosts_here "$VMBENCH" run "$T/silent.yaml" --out "$T/silent" --only vm \
    >"$T/silent.out" 2>&1 || rc=$?
took=$((SECONDS - start))
[ "$rc" = 2 ] || fail "a silent libvirt host: exit $rc: $(cat "$T/silent.out")"
[ "$took" -ge 2 ] && [ "$took" -le 8 ] || fail "the refusal took $took s"
grep -q "remote-libvirt: libvirtd at \"qemu+tcp://$TH_THERE:16600/system\" did not answer within 2s" \
    "$T/silent.out" || fail "the error does not name the host: $(cat "$T/silent.out")"
[ ! -e "$T/silent" ] || fail "a results directory was made"
[ "$(pools)" = "$other" ] || fail "pools there after the refusal: $(pools | xargs)"
[ -z "$(there_virsh list --all --name)" ] || fail "a domain there: $(there_virsh list --all --name)"
echo "ok"
