#!/usr/bin/env bash
# What a scale-out recipe must have made: MERGED, the merge of both
# shards of MATRIX, with every control's run ok and the report.
# usage: recipe_check.sh MERGED MATRIX
set -euo pipefail
. "$(dirname "$0")/lib.sh"
merged=$1 matrix=$2
[ -f "$merged/run.json" ] || fail "no merged directory at $merged"
[ "$(jq .merged.count "$merged/run.json")" = 2 ] || fail "not 2 shards"
[ "$(jq -c .merged.missing "$merged/run.json")" = "[]" ] ||
    fail "shards missing: $(jq -c .merged.missing "$merged/run.json")"
want=$("$VMBENCH" plan "$matrix" --json 2>/dev/null | jq -c '[.controls[].id] | sort')
got=$(jq -c '[.controls[].id] | sort' "$merged/plan.json")
[ "$want" = "$got" ] || fail "controls: want $want, got $got"
for id in $(jq -r '.controls[].id' "$merged/plan.json"); do
    f="$merged/control/$id/rep1/result.json"
    [ -f "$f" ] || fail "missing $f"
    [ "$(jq -r .status "$f")" = ok ] || fail "$f not ok"
done
for k in 0 1; do
    [ -f "$merged/hosts/shard-$k/run.json" ] || fail "shard $k provenance"
done
grep -q '^## Hosts' "$merged/report.md" || fail "no report with its Hosts"
