#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Measures bulwark on Falco's own rule files, which stay outside this
# repository: per file, how many rules load enabled, load disabled and fail
# (bulwark rules check --falco-report), and that every rule that loads
# enabled fires in replay on a matching event (tests/falco/upstream_events.tsv;
# rules gated on a container must stay silent on a host event, as in Falco).
#   tests/falco/upstream.sh DIR     DIR holds falco_rules.yaml, falco-incubating_rules.yaml,
#                                   falco-sandbox_rules.yaml (falcosecurity/rules, rules/)
# Prints "PASS name" / "FAIL name: reason", the counts, and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
BULWARK=${BULWARK:-build/bulwark}
dir=${1:?usage: tests/falco/upstream.sh DIR (falcosecurity/rules rules/ directory)}
cases=tests/falco/upstream_events.tsv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }

for f in falco_rules.yaml falco-incubating_rules.yaml falco-sandbox_rules.yaml; do
	if [ ! -f "$dir/$f" ]; then
		ko "$f" "missing in $dir"
		continue
	fi
	"$BULWARK" rules check --falco-report "$dir/$f" >"$tmp/report" 2>"$tmp/err"
	rc=$?
	grep -E ': [0-9]+ rules: ' "$tmp/report" | sed "s|^$dir/||"
	if [ "$rc" -eq 0 ] && ! grep -v ': warning: ' "$tmp/err" | grep -q .; then
		ok "$f loads with warnings only"
	else
		ko "$f loads" "exit $rc: $(grep -v ': warning: ' "$tmp/err" | head -3)"
	fi
	# every rule that loads enabled needs a case
	grep -E ': loads$' "$tmp/report" | sed -E 's/^[^:]+:[0-9]+: //; s/: loads$//' >"$tmp/enabled"
	while IFS= read -r rule; do
		if ! awk -F'\t' -v f="$f" -v r="$rule" '$1 == f && $3 == r { found = 1 } END { exit !found }' "$cases"; then
			ko "$f: $rule" "loads enabled but has no case in $cases"
		fi
	done <"$tmp/enabled"
	while IFS=$'\t' read -r file expect rule event; do
		[ "$file" = "$f" ] || continue
		if ! grep -qxF "$rule" "$tmp/enabled"; then
			ko "$f: $rule" "does not load enabled: $(grep -F ": $rule: " "$tmp/report" | head -1)"
			continue
		fi
		printf '%s\n' "$event" | "$BULWARK" replay --rules "$dir/$f" --hostname test - >"$tmp/out" 2>/dev/null
		if grep -qF "\"rule\":\"$rule\"" "$tmp/out"; then
			[ "$expect" = fires ] && ok "$f: $rule fires" || ko "$f: $rule" "fired on a host event"
		else
			[ "$expect" = host ] && ok "$f: $rule is container-only: silent on a host event" ||
				ko "$f: $rule" "did not fire on $event"
		fi
	done < <(grep -v '^#' "$cases")
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
