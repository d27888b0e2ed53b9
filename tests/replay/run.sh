#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Replays recorded events (tests/replay/cases.tsv, plus generated mass
# deletions) through the real `build/bulwark replay` with the default rules,
# and checks which rules fire; then checks the rules/replay command line.
# Prints "PASS name" or "FAIL name: reason" per case.
#   tests/replay/run.sh [NAME-FILTER]     BULWARK=path RULES=dir to override
set -u
cd "$(dirname "$0")/../.."
BULWARK=${BULWARK:-build/bulwark}
RULES=${RULES:-rules/}
filter=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
want() { [ -z "$filter" ] || [[ "$1" == *"$filter"* ]]; }

if [ ! -x "$BULWARK" ]; then
	ko replay "$BULWARK is not built; run 'make build/bulwark'"
	exit 1
fi

# replay FILE [extra args]: sets rc; output in $tmp/out, $tmp/err
replay() {
	local f=$1
	shift
	# shellcheck disable=SC2086 # RULES may hold "A --rules B"
	"$BULWARK" replay --rules $RULES "$@" --hostname test "$f" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

fired() { grep -o '"rule":"[^"]*"' "$tmp/out" | sed 's/^"rule":"//; s/"$//'; }
# stderr may carry rule-load warnings, nothing else
clean_stderr() { ! grep -v ': warning: ' "$tmp/err" | grep -q .; }

# check NAME EXPECT EVENTS-FILE
check() {
	local name=$1 expect=$2 f=$3 rule action n
	replay "$f"
	if [ "$rc" -ne 0 ]; then
		ko "$name" "replay exited $rc: $(head -c 300 "$tmp/err")"
		return
	fi
	if ! clean_stderr; then
		ko "$name" "unexpected stderr: $(head -c 300 "$tmp/err")"
		return
	fi
	case "$expect" in
	none)
		if [ -s "$tmp/out" ]; then
			ko "$name" "expected no alert, got: $(fired | paste -sd '|' -)"
		else
			ok "$name"
		fi
		;;
	+*)
		rule=${expect#+}
		action=
		if [[ "$rule" == *@* ]]; then
			action=${rule##*@}
			rule=${rule%@*}
		fi
		n=$(fired | grep -cxF "$rule")
		if [ "$n" -eq 0 ]; then
			ko "$name" "expected '$rule' to fire, got: $(fired | paste -sd '|' -)"
		elif [ -n "$action" ] &&
			! grep -F "\"rule\":\"$rule\"" "$tmp/out" | grep -qF "\"action\":\"$action\""; then
			ko "$name" "'$rule' fired without \"action\":\"$action\""
		else
			ok "$name"
		fi
		;;
	-*)
		rule=${expect#-}
		if fired | grep -qxF "$rule"; then
			ko "$name" "'$rule' fired and must not"
		else
			ok "$name"
		fi
		;;
	*)
		ko "$name" "bad EXPECT '$expect' in cases.tsv"
		;;
	esac
}

# ---- recorded single events ----
while IFS=$'\t' read -r name expect event; do
	case "$name" in '#'* | '') continue ;; esac
	want "$name" || continue
	printf '%s\n' "$event" >"$tmp/ev.jsonl"
	check "$name" "$expect" "$tmp/ev.jsonl"
done <tests/replay/cases.tsv

# ---- Falco's dialect: tests/falco/dialect.yaml, each construct, and a local file after it ----
saved_rules=$RULES
RULES="tests/falco/dialect.yaml --rules tests/falco/dialect-local.yaml"
while IFS=$'\t' read -r name expect event; do
	case "$name" in '#'* | '') continue ;; esac
	want "$name" || continue
	printf '%s\n' "$event" >"$tmp/ev.jsonl"
	check "$name" "$expect" "$tmp/ev.jsonl"
done <tests/falco/cases.tsv
RULES=$saved_rules

# ---- mass deletion (thresholds) ----
# gen N SESSION DIR PROC PARENT STEP_MS [PID_VARIES]: N unlinkat events
gen() {
	awk -v n="$1" -v s="$2" -v dir="$3" -v p="$4" -v pp="$5" -v step="$6" -v pv="${7:-0}" 'BEGIN {
		t = 1790000000000000000
		for (i = 0; i < n; i++) {
			pid = pv ? 30000 + i : 30000
			lu = s == 4294967295 ? 4294967295 : 1001
			printf "{\"evt.time\":%d,\"evt.type\":\"unlinkat\",\"evt.rawres\":0,\"proc.pid\":%d,\"proc.tid\":%d,\"proc.ppid\":29999,\"proc.name\":\"%s\",\"proc.exepath\":\"/usr/bin/%s\",\"proc.cmdline\":\"%s -rf %s\",\"proc.pname\":\"%s\",\"user.uid\":0,\"user.loginuid\":%d,\"session.id\":%d,\"fd.name\":\"%s/f%05d.dat\",\"evt.arg\":0}\n", t + i * step * 1000000, pid, pid, p, p, p, dir, pp, lu, s, dir, i
		}
	}'
}

MASS="Mass file deletion by a login session"
mass_case() { # NAME WANT-COUNT gen-args...
	local name=$1 want_n=$2 n
	shift 2
	want "$name" || return
	gen "$@" >"$tmp/mass.jsonl"
	replay "$tmp/mass.jsonl"
	n=$(fired | grep -cxF "$MASS")
	if [ "$rc" -ne 0 ] || ! clean_stderr; then
		ko "$name" "replay exited $rc: $(head -c 300 "$tmp/err")"
	elif [ "$n" -ne "$want_n" ]; then
		ko "$name" "'$MASS' fired $n times, expected $want_n"
	else
		ok "$name"
	fi
}

mass_case mass_200_in_one_second_fires 1 200 31 /srv/app/uploads rm bash 5
mass_case mass_199_does_not_fire 0 199 31 /srv/app/uploads rm bash 5
mass_case mass_600_in_3s_fires_once 1 600 31 /srv/app/uploads rm bash 5
mass_case mass_200_spread_over_20s_does_not_fire 0 200 31 /srv/app/uploads rm bash 100
mass_case mass_build_tree_under_home_is_silent 0 2000 31 /home/dev/project/build rm bash 1
mass_case mass_apt_in_session_is_silent 0 500 31 /usr/lib/python3/dist-packages dpkg apt 2
mass_case mass_no_session_is_never_one_session 0 1000 4294967295 /var/lib/app rm systemd 1 1
# two sessions, 150 each: neither reaches 200
if want mass_split_across_sessions_does_not_fire; then
	{ gen 150 31 /srv/a rm bash 5; gen 150 32 /srv/b rm bash 5; } | sort -t: -k2,2n >"$tmp/mass.jsonl"
	replay "$tmp/mass.jsonl"
	if [ "$rc" -eq 0 ] && ! fired | grep -qxF "$MASS"; then
		ok mass_split_across_sessions_does_not_fire
	else
		ko mass_split_across_sessions_does_not_fire "rc=$rc fired: $(fired | sort | uniq -c | paste -sd, -)"
	fi
fi

# ---- the command line ----
if want cli_rules_check_default; then
	out=$("$BULWARK" rules check "$RULES" 2>"$tmp/err")
	rc=$?
	if [ "$rc" -eq 0 ] && [[ "$out" =~ ^${RULES}:\ [0-9]+\ rules.*,\ [0-9]+\ macros,\ [0-9]+\ lists:\ OK ]]; then
		ok cli_rules_check_default
	else
		ko cli_rules_check_default "rc=$rc out='$out' err='$(head -c 300 "$tmp/err")'"
	fi
fi

if want cli_rules_check_reports_errors; then
	cat >"$tmp/bad.yaml" <<'EOF'
- rule: Typo
  desc: field name misspelt
  condition: evt.type = unlinkat and proc.nmae = rm
  output: "%proc.name"
  priority: WARNING
- rule: Type mismatch
  condition: >
    evt.type = unlinkat
    and fd.name > 3
  output: x
  priority: urgent
EOF
	"$BULWARK" rules check "$tmp/bad.yaml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expected="$tmp/bad.yaml:3:38: unknown field 'proc.nmae'; did you mean 'proc.name'?
$tmp/bad.yaml:9:17: operator '>' needs a numeric field, but 'fd.name' is a string
$tmp/bad.yaml:11:13: unknown priority 'urgent' in rule 'Type mismatch'; use EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL or DEBUG
bulwark rules check: 3 errors"
	if [ "$rc" -eq 1 ] && [ "$(cat "$tmp/err")" = "$expected" ] && [ ! -s "$tmp/out" ]; then
		ok cli_rules_check_reports_errors
	else
		ko cli_rules_check_reports_errors "rc=$rc stderr: $(cat "$tmp/err")"
	fi
fi

if want cli_help; then
	if "$BULWARK" rules --help | grep -q '^  check ' &&
		"$BULWARK" rules check --help | grep -q 'USAGE: bulwark rules check' &&
		"$BULWARK" replay --help | grep -q 'USAGE: bulwark replay'; then
		ok cli_help
	else
		ko cli_help "--help did not print usage"
	fi
fi

ev_rm=$(grep -P '^db_rm_rf_datadir_in_session\t' tests/replay/cases.tsv | cut -f3)
if want cli_replay_bad_lines_counted; then
	{
		echo "$ev_rm"
		echo 'this is not json'
		echo '{"rule":"x","priority":"Critical","output":"an alert line from run"}'
		echo ''
		echo '{"evt.type":"unlinkat","proc.pid":"12"}'
		echo "$ev_rm"
	} >"$tmp/mixed.jsonl"
	replay "$tmp/mixed.jsonl"
	if [ "$rc" -eq 1 ] && [ "$(fired | wc -l)" -eq 2 ] &&
		grep -qxF "$tmp/mixed.jsonl:2: expected '{' at byte 0" "$tmp/err" &&
		grep -qxF "$tmp/mixed.jsonl:5: field \"proc.pid\" has the wrong type (expected an integer)" "$tmp/err" &&
		grep -qF "2 bad lines" "$tmp/err"; then
		ok cli_replay_bad_lines_counted
	else
		ko cli_replay_bad_lines_counted "rc=$rc alerts=$(fired | wc -l) err: $(cat "$tmp/err")"
	fi
fi

if want cli_replay_skips_alert_lines; then
	{
		echo "$ev_rm"
		echo '{"time":"2026-09-21T14:13:20.1Z","rule":"x","priority":"Critical","output":"o","output_fields":{"evt.type":"unlinkat"}}'
	} >"$tmp/run-output.jsonl"
	replay "$tmp/run-output.jsonl"
	if [ "$rc" -eq 0 ] && [ "$(fired | wc -l)" -eq 1 ] && grep -qF "skipped 1 alert lines" "$tmp/err"; then
		ok cli_replay_skips_alert_lines
	else
		ko cli_replay_skips_alert_lines "rc=$rc err: $(cat "$tmp/err")"
	fi
fi

if want cli_replay_stdin_and_stats; then
	out=$(echo "$ev_rm" | "$BULWARK" replay --rules "$RULES" --stats - 2>"$tmp/err")
	rc=$?
	if [ "$rc" -eq 0 ] && [[ "$out" == *'"action_result":{"mode":"replay"}'* ]] &&
		grep -q '^stats: events=1 alerts=1 bad=0 ' "$tmp/err"; then
		ok cli_replay_stdin_and_stats
	else
		ko cli_replay_stdin_and_stats "rc=$rc out=$out err: $(cat "$tmp/err")"
	fi
fi

if want cli_replay_local_override; then
	printf -- '- rule: Database files destroyed from a login session\n  enabled: false\n' >"$tmp/local.yaml"
	echo "$ev_rm" >"$tmp/one.jsonl"
	replay "$tmp/one.jsonl" --rules "$tmp/local.yaml"
	if [ "$rc" -eq 0 ] && ! fired | grep -qF "Database files destroyed from a login session"; then
		ok cli_replay_local_override
	else
		ko cli_replay_local_override "rc=$rc fired: $(fired | paste -sd '|' -)"
	fi
fi

if want cli_replay_missing_file; then
	"$BULWARK" replay --rules "$RULES" "$tmp/nope.jsonl" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qF "cannot open $tmp/nope.jsonl" "$tmp/err"; then
		ok cli_replay_missing_file
	else
		ko cli_replay_missing_file "rc=$rc err: $(cat "$tmp/err")"
	fi
fi

echo "$pass passed, $fail failed" >&2
[ "$fail" -eq 0 ]
