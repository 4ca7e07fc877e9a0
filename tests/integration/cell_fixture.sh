#!/usr/bin/env bash
# The booted-cell fixture: one default cell (two VMs, TCG) in a sandbox of
# its own, booted once and shared by the integration tests that only
# inspect a booted cell (ctest fixture "vm_cell", see tests/CMakeLists.txt).
#
#   cell_fixture.sh up     boots the cell and returns once both VMs are up
#   cell_fixture.sh down   tears it down and checks nothing is left
#
# Its state lives in $VMB_BUILD_DIR/tests/cell-fixture: cell.json (what
# vmb_celltool reports of the live cell: boot stages, each agent's facts,
# libvirt's live XML, QEMU's command line, the cell's work directory), pid
# (a process in the sandbox's network and mount namespaces, for
# in_cell_fixture in lib.sh), log. The cell holds itself for at most
# VMB_CELL_FIXTURE_HOLD seconds (default 2700), so a suite killed before
# "down" leaves nothing running for long.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMB_BUILD_DIR:?}" "${VMB_SOURCE_DIR:?}"
dir="$VMB_BUILD_DIR/tests/cell-fixture"

# Inside the sandbox: becomes the celltool.
if [ "${1:-}" = inner ]; then
    exec "$VMB_BUILD_DIR/tests/vmb_celltool" cell --ready "$dir/cell.json" \
        --hold "${VMB_CELL_FIXTURE_HOLD:-2700}" hypervisor.accel=tcg \
        guest.boot_timeout=300s >"$dir/final.json"
fi

# Stops the sandbox of a fixture (a running one, or one an earlier
# suite left), within a deadline, and checks its namespace is gone.
stop() {
    [ -f "$dir/sandbox.pid" ] || return 0
    local sb ns cell
    sb=$(cat "$dir/sandbox.pid")
    ns="vmb-$sb"
    # A pid file outlives its process: signal only what is still the
    # fixture's (the sandbox script, the celltool in its namespace).
    if ! grep -qs sandbox.sh "/proc/$sb/cmdline"; then
        sb=0
    fi
    cell=$(cat "$dir/pid" 2>/dev/null || echo 0)
    if [ "$cell" != 0 ] && [ "$(ip netns identify "$cell" 2>/dev/null)" = "$ns" ]; then
        kill -TERM "$cell" 2>/dev/null || true
    fi
    if [ "$sb" = 0 ]; then
        ip netns list | grep -qw "$ns" && fail "a stale fixture's network namespace $ns is left"
        return 0
    fi
    for _ in $(seq 1 600); do
        kill -0 "$sb" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$sb" 2>/dev/null; then
        # The cell did not stop: end every process of its namespace, the
        # way the sandbox's own cleanup does, and report it.
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        for _ in $(seq 1 150); do
            kill -0 "$sb" 2>/dev/null || break
            sleep 0.2
        done
        kill -0 "$sb" 2>/dev/null || ip netns del "$ns" 2>/dev/null || true
        fail "the fixture's cell did not stop within 120 s of SIGTERM"
    fi
    if ip netns list | grep -qw "$ns"; then
        fail "the fixture's network namespace $ns was left behind"
    fi
}

case "${1:-}" in
up)
    stop
    rm -rf "$dir"
    mkdir -p "$dir"
    # Detached, with no pipe of ctest's open: the test returns while the
    # cell stays up.
    setsid bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash "$0" inner \
        </dev/null >"$dir/log" 2>&1 &
    echo $! >"$dir/sandbox.pid"
    for _ in $(seq 1 3000); do
        [ -f "$dir/cell.json" ] && break
        kill -0 "$(cat "$dir/sandbox.pid")" 2>/dev/null || break
        sleep 0.2
    done
    if [ ! -f "$dir/cell.json" ]; then
        cat "$dir/log" >&2
        if kill -0 "$(cat "$dir/sandbox.pid")" 2>/dev/null; then
            stop
            fail "the fixture's cell did not come up within 600 s"
        fi
        stop
        fail "the fixture's cell failed to boot (its log is above)"
    fi
    jq -e '.facts.node1.domain and .facts.node2.domain' "$dir/cell.json" >/dev/null ||
        fail "the fixture's cell.json names no domains"
    # The celltool as the host sees it (the sandbox has its own PID
    # namespace): the way into the sandbox's namespaces.
    # namespace): the way into the sandbox's namespaces. Its child of the
    # same name is the VM runtime's guard, which a SIGTERM does not stop.
    for p in $(ip netns pids "vmb-$(cat "$dir/sandbox.pid")"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = vmb_celltool ] || continue
        pp=$(awk '/^PPid:/ {print $2}' "/proc/$p/status" 2>/dev/null)
        [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = vmb_celltool ] && continue
        echo "$p" >"$dir/pid"
    done
    [ -f "$dir/pid" ] || { stop; fail "the fixture's celltool is not in its sandbox"; }
    echo "ok: cell up in $(jq -r '.boot | tostring' "$dir/cell.json" | head -c 200)"
    ;;
down)
    [ -d "$dir" ] || fail "no fixture to tear down"
    stop
    # An "up" that failed has said so and left nothing to check.
    if [ ! -f "$dir/cell.json" ]; then
        rm -rf "$dir"
        echo "ok: no cell was up"
        exit 0
    fi
    jq -e '.teardown_s >= 0' "$dir/final.json" >/dev/null ||
        { cat "$dir/log" >&2; fail "the fixture's cell was not torn down by its own teardown"; }
    work=$(jq -r .work_dir "$dir/cell.json")
    [ ! -e "$work" ] || fail "the cell's work directory $work was left behind"
    rm -rf "$dir"
    echo "ok"
    ;;
*)
    echo "usage: cell_fixture.sh up|down" >&2
    exit 2
    ;;
esac
