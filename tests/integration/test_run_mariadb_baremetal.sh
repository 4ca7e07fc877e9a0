#!/usr/bin/env bash
# `vmbench run` of a MariaDB cell end to end on the bare-metal control:
# - both nodes come up (mariadb-install-db each), node 2 replicates node
#   1 by GTID and semi-synchronously (sync_replica), the prepare step
#   makes sysbench's tables before the first phase, write of n does
#   exactly n operations, oltp_read_write and oltp_point_select run for
#   their duration without errors, replication lag is recorded after the
#   writing phases only, the effective settings (SHOW GLOBAL VARIABLES)
#   and the nodes' configuration files and logs are kept, and node 2 has
#   every row node 1 has;
# - a setting MariaDB rejects fails that run with mariadbd's own message,
#   and the exit status is 1; the value is markup (HTML, Markdown) and
#   stays text in that line on the terminal, in report.md and in
#   report.html; a value with a terminal escape is refused before
#   anything starts (exit 2), so none reaches a server or a terminal;
# - nothing is left running or listening afterwards.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
: "${VMBENCH:?}"
command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
    fail "mariadbd is not installed (scripts/setup.sh)"

T=$(mktemp -d /tmp/vmb-test-run-mdb.XXXXXX)
cleanup() { rm -rf "$T"; }
trap cleanup EXIT
chmod 755 "$T"

base=$((27000 + ($$ % 500) * 4))

matrix() { # name port innodb_flush_method
    cat <<YAML
name: $1
repetitions: 1
database:
  engine: mariadb
  port: $2
  innodb_buffer_pool_size: 64M
  innodb_log_file_size: 48M
  innodb_flush_method: $3
  sync_replica: true
load:
  connections: 4
  threads: 1
  keys: 500
  value_size: 64
  tables: 2
  table_size: 1000
  warmup: 0s
  phases:
    - { op: write, n: 1000 }
    - { op: oltp_read_write, duration: 2s }
    - { op: oltp_point_select, duration: 2s }
control:
  baremetal: true
  match_resources: true
matrix:
  vcpus: [1]
YAML
}

assert_nothing_left() { # port
    assert_ports_free "$1"
    if pgrep -f "defaults-file=$T/" >/dev/null; then
        fail "a mariadbd of this test is still running"
    fi
}

# ---- a complete run ----
matrix mdb "$base" O_DSYNC >"$T/mdb.yaml"
set +e
"$VMBENCH" run "$T/mdb.yaml" --out "$T/r1" --only baremetal --no-report \
    2>"$T/r1.err"
rc=$?
set -e
[ "$rc" = 0 ] || { cat "$T/r1.err"; fail "run exited $rc"; }
ctl=$(jq -r '.controls[0].id' "$T/r1/plan.json")
d="$T/r1/control/$ctl/rep1"
r="$d/result.json"
[ "$(jq -r .status "$r")" = ok ] || fail "status: $(jq -r .error "$r")"
for f in node1.my.cnf node2.my.cnf node1.db.log node2.db.log \
    node1.init.log node2.init.log node1.settings.tsv node2.settings.tsv \
    latency-1-oltp_read_write.hgrm latency-2-oltp_point_select.hgrm; do
    [ -s "$d/$f" ] || fail "missing or empty $d/$f"
done
# What the servers really ran with, not only what was written.
grep -qx "innodb_flush_method	O_DSYNC" "$d/node1.settings.tsv" ||
    fail "node 1: $(grep innodb_flush_method "$d/node1.settings.tsv")"
grep -qx "innodb_buffer_pool_size	67108864" "$d/node1.settings.tsv" ||
    fail "node 1: $(grep innodb_buffer_pool_size "$d/node1.settings.tsv")"
grep -qx "rpl_semi_sync_master_enabled	ON" "$d/node1.settings.tsv" ||
    fail "node 1 is not semi-synchronous"
grep -qx "rpl_semi_sync_slave_enabled	ON" "$d/node2.settings.tsv" ||
    fail "node 2 is not semi-synchronous"
grep -qx "log_bin	ON" "$d/node1.settings.tsv" || fail "node 1 logs no binlog"
jq -e '.prepare.seconds > 0 and .prepare.rows == 2500' "$r" >/dev/null ||
    fail "prepare not recorded: $(jq -c .prepare "$r")"
[ "$(jq ".phases[0].ops" "$r")" = 1000 ] ||
    fail "phase 0 ops $(jq ".phases[0].ops" "$r")"
for i in 0 1 2; do
    [ "$(jq ".phases[$i].errors" "$r")" = 0 ] ||
        fail "phase $i errors: $(jq -c ".phases[$i]" "$r")"
    jq -e ".phases[$i].ops > 0 and .phases[$i].latency_us.p99 > 0" "$r" \
        >/dev/null || fail "phase $i has no numbers"
done
jq -e '(.replication_lag_by_phase_s | keys) == ["0-write", "1-oltp_read_write"]
       and ([.replication_lag_by_phase_bytes[]] | all(. >= 0))
       and .replication_lag_s >= 0' "$r" >/dev/null ||
    fail "lag: $(jq -c '[.replication_lag_by_phase_s, .replication_lag_by_phase_bytes]' "$r")"
jq -e '.versions.mariadb != null' "$T/r1/run.json" >/dev/null ||
    fail "no mariadb version in run.json"
assert_nothing_left "$base"

# ---- a setting MariaDB rejects, its value markup ----
# The server's line quotes the value: "Error while setting value 'V' to
# 'innodb-flush-method'".
bad='<b>bo`gus</b>**x**[y](z)'
matrix bad $((base + 2)) "'$bad'" >"$T/bad.yaml"
set +e
"$VMBENCH" run "$T/bad.yaml" --out "$T/r2" --only baremetal 2>"$T/r2.err"
rc=$?
set -e
[ "$rc" = 1 ] || { cat "$T/r2.err"; fail "rejected setting: exit $rc"; }
ctl=$(jq -r '.controls[0].id' "$T/r2/plan.json")
r="$T/r2/control/$ctl/rep1/result.json"
[ "$(jq -r .status "$r")" = failed ] || fail "the bad run did not fail"
jq -r .error "$r" | grep -qF "mariadbd said:" ||
    fail "not mariadbd's message: $(jq -r .error "$r")"
jq -r .error "$r" | grep -qF "'$bad' to 'innodb-flush-method'" ||
    fail "the message does not name the setting: $(jq -r .error "$r")"
grep -F "failed:" "$T/r2.err" | grep -qF "'$bad' to 'innodb-flush-method'" ||
    fail "the terminal lacks the server's line: $(cat "$T/r2.err")"
# The report lists the failed run with the line as text, not markup.
grep -qF "value '\\<b\\>bo\\\`gus\\</b\\>\\*\\*x\\*\\*\\[y](z)' to" \
    "$T/r2/report.md" ||
    fail "report.md: $(grep -F innodb-flush-method "$T/r2/report.md")"
grep -qF '&lt;b&gt;bo`gus&lt;/b&gt;**x**[y](z)' "$T/r2/report.html" ||
    fail "report.html: $(grep -F innodb-flush-method "$T/r2/report.html")"
if grep -qF '<b>bo' "$T/r2/report.html"; then
    fail "report.html carries the server's markup"
fi
assert_nothing_left $((base + 2))

# ---- a terminal escape in a setting ----
matrix esc $((base + 2)) '"\e]2;owned\a\e[31mO_DSYNC"' >"$T/esc.yaml"
set +e
"$VMBENCH" run "$T/esc.yaml" --out "$T/r3" --only baremetal 2>"$T/r3.err"
rc=$?
set -e
[ "$rc" = 2 ] || { cat "$T/r3.err"; fail "an escape in a setting: exit $rc"; }
grep -qF innodb_flush_method "$T/r3.err" ||
    fail "the refusal does not name the key: $(cat "$T/r3.err")"
if grep -q $'\e' "$T/r3.err"; then
    fail "a raw escape reached the terminal"
fi
[ ! -e "$T/r3" ] || fail "a refused matrix left $T/r3"
assert_nothing_left $((base + 2))
echo "ok"
