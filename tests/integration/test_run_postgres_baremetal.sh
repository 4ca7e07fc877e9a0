#!/usr/bin/env bash
# `vmbench run` of a PostgreSQL cell end to end on the bare-metal control:
# - both nodes come up (initdb, a base backup), the prepare step runs
#   before the first phase and is recorded, write/read phases of n do
#   exactly n operations, tpcb-like and select-only phases run for their
#   duration without errors, replication lag is recorded in seconds and
#   bytes after each writing phase (and only those), the effective
#   settings and the nodes' configuration files and logs are kept;
# - a setting PostgreSQL rejects fails that run with PostgreSQL's own
#   message, and the exit status is 1;
# - a results directory the server's user cannot reach fails clearly;
# - nothing is left running or listening afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}"

T=$(mktemp -d /tmp/vmb-test-run-pg.XXXXXX)
cleanup() { rm -rf "$T"; }
trap cleanup EXIT

base=$((26000 + ($$ % 500) * 4))

matrix() { # name port wal_sync_method
    cat <<YAML
name: $1
repetitions: 1
database:
  engine: postgres
  port: $2
  shared_buffers: 32MB
  wal_sync_method: $3
  sync_replica: true
load:
  connections: 4
  threads: 1
  keys: 1000
  value_size: 64
  scale: 1
  warmup: 0s
  phases:
    - { op: write, n: 2000 }
    - { op: read, n: 2000 }
    - { op: tpcb-like, duration: 2s }
    - { op: select-only, duration: 2s }
control:
  baremetal: true
  match_resources: true
matrix:
  vcpus: [1]
YAML
}

assert_nothing_left() { # port
    assert_ports_free "$1"
    if pgrep -f "config_file=$T/" >/dev/null; then
        fail "a postgres of this test is still running"
    fi
}

# ---- a results directory the server's user cannot reach ----
# mktemp made $T mode 0700: the run fails at once, saying what to change.
matrix pg "$base" fdatasync >"$T/pg.yaml"
set +e
"$VMBENCH" run "$T/pg.yaml" --out "$T/r0" --only baremetal 2>"$T/r0.err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$T/r0.err"; fail "unreachable data: exit $rc"; }
grep -qF "user \"postgres\", who cannot reach its data under \"$T\"" \
    "$T/r0.err" || { cat "$T/r0.err"; fail "unreachable data: no clear message"; }
assert_nothing_left "$base"
chmod 755 "$T"

# ---- a complete run ----
set +e
"$VMBENCH" run "$T/pg.yaml" --out "$T/r1" --only baremetal 2>"$T/r1.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/r1.err"; fail "run exited $rc"; }
ctl=$(jq -r '.controls[0].id' "$T/r1/plan.json")
d="$T/r1/control/$ctl/rep1"
r="$d/result.json"
[ "$(jq -r .status "$r")" = ok ] || fail "status: $(jq -r .error "$r")"
for f in node1.postgresql.conf node2.postgresql.conf node1.db.log \
    node2.db.log node1.init.log node2.init.log node1.settings.tsv \
    node2.settings.tsv latency-2-tpcb-like.hgrm latency-3-select-only.hgrm; do
    [ -s "$d/$f" ] || fail "missing or empty $d/$f"
done
grep -q "primary_conninfo = " "$d/node2.postgresql.conf" ||
    fail "node 2 is not configured as a standby"
grep -q "synchronous_standby_names = 'node2'" "$d/node1.postgresql.conf" ||
    fail "sync_replica not written"
# What the servers really ran with, not only what was written.
grep -qx "shared_buffers	32MB" "$d/node1.settings.tsv" ||
    fail "node 1 settings: $(grep shared_buffers "$d/node1.settings.tsv")"
grep -qx "synchronous_standby_names	node2" "$d/node1.settings.tsv" ||
    fail "node 1 is not synchronous"
grep -qx "transaction_read_only	on" "$d/node2.settings.tsv" ||
    fail "node 2 is not a read-only standby"
jq -e '.prepare.seconds > 0 and .prepare.rows > 0' "$r" >/dev/null ||
    fail "prepare not recorded: $(jq -c .prepare "$r")"
for i in 0 1; do
    [ "$(jq ".phases[$i].ops" "$r")" = 2000 ] ||
        fail "phase $i ops $(jq ".phases[$i].ops" "$r")"
done
for i in 0 1 2 3; do
    [ "$(jq ".phases[$i].errors" "$r")" = 0 ] ||
        fail "phase $i errors: $(jq -c ".phases[$i]" "$r")"
    jq -e ".phases[$i].ops > 0 and .phases[$i].latency_us.p99 > 0" "$r" \
        >/dev/null || fail "phase $i has no numbers"
done
# Lag after the writing phases (write, tpcb-like), none after the reads.
jq -e '(.replication_lag_by_phase_s | keys) == ["0-write", "2-tpcb-like"]
       and (.replication_lag_by_phase_bytes | keys) == ["0-write", "2-tpcb-like"]
       and ([.replication_lag_by_phase_bytes[]] | all(. >= 0))
       and .replication_lag_s >= 0' "$r" >/dev/null ||
    fail "lag: $(jq -c '[.replication_lag_by_phase_s, .replication_lag_by_phase_bytes]' "$r")"
jq -e '.versions.postgres != null' "$T/r1/run.json" >/dev/null ||
    fail "no postgres version in run.json"
assert_nothing_left "$base"

# ---- a setting PostgreSQL rejects ----
matrix bad $((base + 2)) bogus >"$T/bad.yaml"
set +e
"$VMBENCH" run "$T/bad.yaml" --out "$T/r2" --only baremetal 2>"$T/r2.err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$T/r2.err"; fail "rejected setting: exit $rc"; }
ctl=$(jq -r '.controls[0].id' "$T/r2/plan.json")
r="$T/r2/control/$ctl/rep1/result.json"
[ "$(jq -r .status "$r")" = failed ] || fail "the bad run did not fail"
jq -r .error "$r" | grep -qF 'invalid value for parameter "wal_sync_method": "bogus"' ||
    fail "not PostgreSQL's message: $(jq -r .error "$r")"
assert_nothing_left $((base + 2))
echo "ok"
