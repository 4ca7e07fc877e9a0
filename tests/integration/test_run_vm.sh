#!/usr/bin/env bash
# `vmbench run` end to end in container VMs under TCG, inside a network
# namespace with a private libvirtd (scripts/sandbox.sh):
# - tests/data/run-vm.yaml (two VM cells, their bare-metal controls):
#   the results directory is complete, op counts equal n per phase, every
#   VM run and control that should succeed has numbers, boot stages and
#   its VM artefacts (virtiofsd's command line and CPU among them: local
#   is on virtio-fs); the cell whose save line Redis rejects fails with
#   Redis's message while the others complete, and the exit status is 1;
#   a host without vhost-net is noted once for the session;
# - the agents' channel (guest.agent_transport auto) follows the host:
#   virtio-serial where there is no usable /dev/vhost-vsock (this host,
#   and CI), vsock where there is; run.json says which and why, each
#   result.json which channel its run used, and the domain XML and the
#   guest's command line agree;
# - QEMU runs as libvirt-qemu (libvirt's stock configuration) on files
#   under /var/lib/vmbench/vm, which a killed run does not leave behind;
# - nothing is left running afterwards: no domain, network, QEMU or Redis
#   process, and the namespace is gone once the sandbox exits;
# - a run killed with SIGKILL while its VMs run leaves no domain, network
#   or process behind, and --resume completes it with the same files as a
#   run that was never interrupted.
set -euo pipefail

. "$(dirname "$0")/lib.sh"
in_sandbox run-vm "$@"

# Nothing a run may start is left: domain, network, QEMU, Redis, virtiofsd.
assert_nothing_left() { assert_vms_gone 'qemu-system*' redis-server virtiofsd; }

# ---- two cells and their controls ----
t0=$SECONDS
set +e
"$VMBENCH" run "$VMB_SOURCE_DIR/tests/data/run-vm.yaml" --out "$T/r1" --no-report \
    2>"$T/r1.err"
rc=$?
set -e
echo "run-vm.yaml: exit $rc after $((SECONDS - t0))s"
[ "$rc" = 1 ] || { cat "$T/r1.err"; fail "exit status $rc, wanted 1 (one cell fails)"; }
assert_nothing_left
# Running without vhost is the session's note: said once, not per run.
notes=$(grep -c "no /dev/vhost-net" "$T/r1.err" || true)
want=1
if [ -r /dev/vhost-net ] && [ -w /dev/vhost-net ]; then want=0; fi
[ "$notes" = "$want" ] || fail "the vhost note was said $notes times, wanted $want"
# The agents' channel: auto gives vsock only with the host's device.
assert_agent_transport "$T/r1/run.json"
jq -e '.accel.used == "tcg" and .runs.total == 4 and .runs.ok == 2 and
       .runs.failed == 2' "$T/r1/run.json" >/dev/null ||
    fail "run.json: $(jq -c '{accel, runs}' "$T/r1/run.json")"
for f in matrix.yaml plan.json; do [ -s "$T/r1/$f" ] || fail "missing $f"; done
ok_dir=""
for id in $(jq -r '.cells[].id' "$T/r1/plan.json"); do
    [ -s "$T/r1/cells/$id/config.json" ] || fail "cell $id: no config.json"
    [ -s "$T/r1/cells/$id/kata-configuration.toml" ] || fail "cell $id: no kata toml"
    d="$T/r1/cells/$id/rep1"
    r="$d/result.json"
    [ -s "$r" ] || fail "cell $id: no result.json"
    save=$(jq -r '.config.database.save' "$T/r1/cells/$id/config.json")
    if [ "$save" = bogus ]; then
        [ "$(jq -r .status "$r")" = failed ] || fail "bogus cell did not fail"
        jq -r .error "$r" | grep -q "Invalid save parameters" ||
            fail "bogus cell error lacks Redis's message: $(jq -r .error "$r")"
        [ -s "$d/node1.db.log" ] || fail "bogus cell kept no database log"
        continue
    fi
    ok_dir=$d
    [ "$(jq -r .status "$r")" = ok ] || fail "cell $id: $(jq -r .error "$r")"
    jq -e '.kind == "vm" and .accel == "tcg"' "$r" >/dev/null || fail "cell $id: kind/accel"
    for i in 0 1; do
        [ "$(jq ".phases[$i].ops" "$r")" = 2000 ] || fail "cell $id phase $i ops"
        jq -e ".phases[$i].op_rate > 0 and .phases[$i].latency_us.p99 > 0" "$r" \
            >/dev/null || fail "cell $id phase $i has no numbers"
    done
    jq -e '.boot.node1.kernel_s > 0 and .boot.node1.agent_s > 0 and
           .boot.node2.db_ready_s > 0 and .boot.replica_sync_s > 0 and
           .replication_lag_s >= 0 and .resources.node1.vcpu_time_s > 0' "$r" \
        >/dev/null || fail "cell $id: boot/resources: $(jq -c '{boot, resources}' "$r")"
    [ "$(jq -r .boot.agent_transport "$r")" = "$AGENT_AUTO" ] ||
        fail "cell $id: agent transport $(jq -c .boot.agent_transport "$r")"
    for n in 1 2; do
        if [ "$AGENT_AUTO" = vsock ]; then
            grep -q "<vsock model='virtio'>" "$d/node$n.xml" &&
                grep -q "vmb.agent=vsock" "$d/node$n.qemu.cmdline" ||
                fail "cell $id: node $n has no vsock agent"
        else
            grep -q "name='org.vmbench.agent.0'" "$d/node$n.xml" ||
                fail "cell $id: node $n has no virtio-serial agent channel"
            ! grep -q "<vsock" "$d/node$n.xml" ||
                fail "cell $id: node $n has a vsock device"
            ! grep -q "vmb.agent=" "$d/node$n.qemu.cmdline" ||
                fail "cell $id: node $n's agent was told another channel"
        fi
    done
    for f in timeseries.csv latency-0-write.hgrm latency-1-read.hgrm \
        node1.xml node1.qemu.cmdline node1.console.log node1.db.log \
        node2.xml node2.qemu.cmdline node2.console.log node2.db.log \
        node1.virtiofsd.cmdline node2.virtiofsd.cmdline; do
        [ -s "$d/$f" ] || fail "cell $id: missing $f"
    done
    # local is on virtio-fs here: the daemon vmbench started, by its pid,
    # served the writes of Redis's append-only file.
    jq -e '.phase_resources["0-write"].host_cpu_us.virtiofsd > 0' "$r" \
        >/dev/null || fail "cell $id: no virtiofsd CPU: $(jq -c '.phase_resources["0-write"].host_cpu_us' "$r")"
done
[ -n "$ok_dir" ] || fail "no successful VM cell"
for r in "$T"/r1/control/*/rep1/result.json; do
    case "$(jq -r .status "$r")" in
    ok) [ "$(jq '.phases[0].ops' "$r")" = 2000 ] || fail "control ops" ;;
    failed) jq -r .error "$r" | grep -q "Invalid save parameters" || fail "control error" ;;
    esac
done

# ---- SIGKILL while the VMs run, then --resume ----
sed -e 's/database.save: \["", "bogus"\]/database.save: [""]/' \
    "$VMB_SOURCE_DIR/tests/data/run-vm.yaml" >"$T/one.yaml"
"$VMBENCH" run "$T/one.yaml" --out "$T/r2" --only vm --no-report 2>"$T/r2.err" &
pid=$!
for i in $(seq 1 600); do
    [ "$($V list --name | grep -c .)" -ge 2 ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
[ "$($V list --name | grep -c .)" -ge 2 ] || { cat "$T/r2.err"; fail "the VMs never ran"; }
# The sandbox keeps libvirt's stock configuration: QEMU is unprivileged.
[ "$(qemu_users)" = libvirt-qemu ] || fail "QEMU runs as [$(qemu_users)], wanted libvirt-qemu"
# The directory of the VMs' files, which vmbench owns, not the user.
vmdir=$($V dumpxml "$($V list --name | head -1)" | grep -o "/var/lib/vmbench/vm/[^/']*" | head -1)
[ -n "$vmdir" ] && [ -d "$vmdir" ] || fail "the VMs' files are not under /var/lib/vmbench/vm"
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
assert_nothing_left
for _ in $(seq 1 50); do [ -e "$vmdir" ] || break; sleep 0.2; done
[ ! -e "$vmdir" ] || fail "the killed run left $vmdir behind"
"$VMBENCH" run --resume "$T/r2" --only vm --no-report 2>"$T/r2b.err" ||
    { cat "$T/r2b.err"; fail "resume failed"; }
assert_nothing_left
id=$(jq -r '.cells[0].id' "$T/r2/plan.json")
[ "$(jq -r .status "$T/r2/cells/$id/rep1/result.json")" = ok ] || fail "resumed run not ok"
jq -e '(.resumed | length) == 1' "$T/r2/run.json" >/dev/null || fail "resume not noted"
# Same files as the uninterrupted VM run of the same cell settings.
(cd "$ok_dir" && ls) >"$T/a"
(cd "$T/r2/cells/$id/rep1" && ls) >"$T/b"
diff "$T/a" "$T/b" || fail "resumed run's files differ"
echo "inner ok"
