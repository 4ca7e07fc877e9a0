# Setup shared by the shell integration tests. A test sources it after
# `set -euo pipefail`:
#
#   . "$(dirname "$0")/lib.sh"
#
# It defines functions and the variable V only; nothing runs on sourcing.
# shellcheck shell=bash

V="virsh -q -c qemu:///system"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Is anything listening on TCP port $1?
listening() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

# Fails if a server still listens on port $1 or the next (a cell's two
# nodes).
assert_ports_free() { # port
    local p
    for p in "$1" $(($1 + 1)); do
        if listening "$p"; then fail "a server still listens on port $p"; fi
    done
}

# Runs the calling test again inside scripts/sandbox.sh (a network
# namespace with its own libvirtd) and returns only there, with T set to
# a scratch directory the outer run made and removes. Outside, it waits
# for the inner run, fails unless it passed and the sandbox's namespace
# is gone, prints "ok" and exits. Call it as `in_sandbox NAME "$@"`.
in_sandbox() { # name args...
    local name=$1 rc ns
    shift
    if [ "${1:-}" = --inner ]; then
        T=$2
        ip netns identify $$ >"$T/netns"
        return 0
    fi
    : "${VMBENCH:?}" "${VMB_SOURCE_DIR:?}"
    T=$(mktemp -d "/tmp/vmb-test-$name.XXXXXX")
    # Mode 0700, as mktemp makes it: vmbench must not need QEMU's user to
    # reach the results directory.
    trap 'rm -rf "$T"' EXIT
    rc=0
    bash "$VMB_SOURCE_DIR/scripts/sandbox.sh" bash "$0" --inner "$T" || rc=$?
    [ "$rc" = 0 ] || fail "the test inside the sandbox exited $rc"
    ns=$(cat "$T/netns")
    if ip netns list | grep -qw "$ns"; then
        fail "network namespace $ns left behind"
    fi
    echo "ok"
    exit 0
}

# Processes of this network namespace whose name matches one of the
# patterns (qemu-system*, virtiofsd, an engine's server): "pid name" lines.
netns_procs() { # pattern...
    local me p comm pat
    me=$(readlink /proc/self/ns/net)
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] || continue
        comm=$(cat "$p/comm" 2>/dev/null) || continue
        for pat in "$@"; do
            # shellcheck disable=SC2254 # the pattern is meant to match
            case "$comm" in $pat) echo "${p#/proc/} $comm"; break ;; esac
        done
    done
}

# Fails unless, within 20 s (the guard of a killed vmbench needs a moment
# to notice), the sandbox's libvirtd has no domain and no network and no
# process matching the patterns runs in this namespace.
assert_vms_gone() { # pattern...
    for _ in $(seq 1 100); do
        [ -z "$($V list --all --name)" ] && [ -z "$($V net-list --all --name)" ] &&
            [ -z "$(netns_procs "$@")" ] && return 0
        sleep 0.2
    done
    fail "left running: domains [$($V list --all --name | xargs)] networks [$($V net-list --all --name | xargs)] processes [$(netns_procs "$@" | xargs)]"
}

# run.json's agents' channel: auto gives vsock only where this host has a
# usable /dev/vhost-vsock, virtio-serial with the reason elsewhere. Sets
# AGENT_AUTO to the channel each run's agents must have had.
AGENT_AUTO=""
assert_agent_transport() { # run.json
    local vsock why
    if [ -r /dev/vhost-vsock ] && [ -w /dev/vhost-vsock ]; then
        vsock=true AGENT_AUTO=vsock why=null
    else
        vsock=false AGENT_AUTO=virtio-serial
        why='"this host has no usable /dev/vhost-vsock"'
    fi
    jq -e --argjson v "$vsock" --arg auto "$AGENT_AUTO" --argjson why "$why" \
        '.vhost_vsock == $v and .agent_transport == {"auto": $auto, "why": $why}' \
        "$1" >/dev/null ||
        fail "$1: $(jq -c '{vhost_vsock, agent_transport}' "$1")"
}

# The users QEMU processes of this network namespace run as, sorted, on
# one line ("libvirt-qemu" under libvirt's stock configuration).
qemu_users() {
    local pid _
    netns_procs 'qemu-system*' | while read -r pid _; do
        stat -c %U "/proc/$pid" 2>/dev/null || true
    done | sort -u | xargs
}

# The booted-cell fixture (cell_fixture.sh): a test listed among its users
# in tests/CMakeLists.txt finds the live default cell's report in
# $CELL_FIXTURE/cell.json and runs commands next to it (virsh, vmbench)
# with in_cell_fixture, inside the fixture's network, mount and PID
# namespaces.
CELL_FIXTURE="${VMB_BUILD_DIR:-}/tests/cell-fixture"
in_cell_fixture() { # command...
    local pid
    pid=$(cat "$CELL_FIXTURE/pid" 2>/dev/null) ||
        fail "no booted-cell fixture: run it through ctest, which starts cell_fixture_up"
    kill -0 "$pid" 2>/dev/null || fail "the booted-cell fixture is not running"
    nsenter -t "$pid" -n -m -p -- "$@"
}
