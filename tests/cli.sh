#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The one command line, without root or kernel: every command and
# sub-command (found from the --help tables) has --help with USAGE and
# EXAMPLES (exit 0), --usage and --version, and exits 2 naming a bad option;
# a long option has the same short option in every command, and the README
# shows the synopses and the short options as --help prints them; prefixes
# of options and commands work. Prints "PASS name" / "FAIL name: why" lines.
#   tests/cli.sh        (BULWARK=path, default build/bulwark)
set -u
cd "$(dirname "$0")/.."
BULWARK=${BULWARK:-build/bulwark}
tmp=$(mktemp -d /tmp/bw-cli-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
status=0
ok() { echo "PASS $1"; }
ko() { echo "FAIL $1: $2"; status=1; }

if [ ! -x "$BULWARK" ]; then
	ko cli_binary "$BULWARK is not built; run 'make all'"
	exit 1
fi

# run COMMAND-WORDS... : sets rc, out and err
run() {
	"$BULWARK" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# The command words of a --help's "Commands:" table.
table() { sed -n '/^Commands:$/,/^$/p' <<<"$1" | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'; }

# Every command, sub-commands too: "" is bulwark itself.
cmds=("")
for c in $(table "$("$BULWARK" --help)"); do
	cmds+=("$c")
	for s in $(table "$("$BULWARK" "$c" --help)"); do
		cmds+=("$c $s")
	done
done
if [ "${#cmds[@]}" -ge 9 ]; then
	ok cli_commands_found
else
	ko cli_commands_found "found only: ${cmds[*]}"
fi

declare -A short_of long_of where
for c in "${cmds[@]}"; do
	# shellcheck disable=SC2206
	words=($c)
	name="bulwark${c:+ $c}"
	id=${c// /_}; id=${id:-bulwark}

	run "${words[@]}" --help
	if [ "$rc" -eq 0 ] && [ -z "$err" ] && grep -q "^USAGE: $name" "$tmp/out" &&
		grep -q '^EXAMPLES:$' "$tmp/out" && grep -q "^  $name" "$tmp/out"; then
		ok "cli_help_$id"
	else
		ko "cli_help_$id" "rc=$rc; want exit 0, 'USAGE: $name' and EXAMPLES with '$name' lines; stderr: $err"
	fi
	help=$out
	run "${words[@]}" -h
	[ "$rc" -eq 0 ] && [ "$out" = "$help" ] && ok "cli_help_short_$id" ||
		ko "cli_help_short_$id" "-h (rc=$rc) did not print what --help prints"

	run "${words[@]}" --usage
	[ "$rc" -eq 0 ] && [[ "$out" == "Usage: $name "* ]] && ok "cli_usage_$id" ||
		ko "cli_usage_$id" "rc=$rc out: $out"

	run "${words[@]}" --version
	[ "$rc" -eq 0 ] && [[ "$out" =~ ^bulwark\ [0-9]+\.[0-9]+\.[0-9]+$ ]] && ok "cli_version_$id" ||
		ko "cli_version_$id" "rc=$rc out: $out"

	run "${words[@]}" --no-such-option
	if [ "$rc" -eq 2 ] && [ -z "$out" ] && [[ "$err" == *"$name: unrecognized option '--no-such-option'"* ]] &&
		[[ "$err" == *"Try \`$name --help'"* ]]; then
		ok "cli_bad_option_$id"
	else
		ko "cli_bad_option_$id" "rc=$rc (want 2); stderr: $err"
	fi
	run "${words[@]}" -Z
	[ "$rc" -eq 2 ] && [[ "$err" == *"invalid option -- 'Z'"* ]] && ok "cli_bad_short_option_$id" ||
		ko "cli_bad_short_option_$id" "rc=$rc (want 2); stderr: $err"

	# the synopsis in the README is the one --help prints
	missing=""
	while read -r line; do
		[ -z "$line" ] || grep -qF -- "$line" README.md || missing="$missing '$line'"
	done < <(sed -n '/^USAGE: /,/^$/p' <<<"$help" | sed 's/^USAGE: //; s/^ *//')
	[ -z "$missing" ] && ok "cli_readme_synopsis_$id" ||
		ko "cli_readme_synopsis_$id" "README.md lacks the synopsis lines$missing"

	# options: long -> short, across commands
	while read -r s l; do
		[ "$l" = help ] || [ "$l" = usage ] || [ "$l" = version ] || where[$l]+="$name, "
		if [ -n "${short_of[$l]+set}" ] && [ "${short_of[$l]}" != "$s" ]; then
			ko "cli_same_short_$l" "--$l is '${short_of[$l]}' in one command and '$s' in $name"
		fi
		short_of[$l]=$s
		if [ "$s" != - ]; then
			if [ -n "${long_of[$s]+set}" ] && [ "${long_of[$s]}" != "$l" ]; then
				ko "cli_same_long_$s" "-$s is --${long_of[$s]} in one command and --$l in $name"
			fi
			long_of[$s]=$l
		fi
	done < <(sed -n -e 's/^  -\(.\), --\([a-z][a-z-]*\).*/\1 \2/p' \
		-e 's/^      --\([a-z][a-z-]*\).*/- \1/p' <<<"$help")
done

# every short option is in the README's option table as "-x, --long"
bad=""
for l in "${!short_of[@]}"; do
	s=${short_of[$l]}
	[ "$s" = - ] || [ "$s" = h ] || [ "$s" = V ] && continue
	grep -qF -- "\`-$s, --$l" README.md || bad="$bad -$s/--$l"
done
[ -z "$bad" ] && ok cli_readme_option_table || ko cli_readme_option_table "missing from README.md:$bad"
# the options more than one command has are named in the table with all of them
bad=""
for l in rules journal run-dir; do
	[[ "${where[$l]:-}" == *", "*", "* ]] || bad="$bad --$l(${where[$l]:-none})"
done
[ -z "$bad" ] && ok cli_shared_options || ko cli_shared_options "not shared:$bad"

# --- prefixes and short options reach the same parser ---
run dump --journal "$tmp/none"; want=$err
run dump -j "$tmp/none"; e1=$err r1=$rc
run dump --jour "$tmp/none"
[ "$r1" -eq 1 ] && [ "$rc" -eq 1 ] && [ "$e1" = "$want" ] && [ "$err" = "$want" ] &&
	[[ "$want" == *"$tmp/none"* ]] && ok cli_dump_journal_forms ||
	ko cli_dump_journal_forms "-j, --jour and --journal differ: '$e1' / '$err' / '$want'"

run rules check rules/; want=$out
run rules check -r rules/; o1=$out r1=$rc
run rules check --rul rules/
[ "$r1" -eq 0 ] && [ "$rc" -eq 0 ] && [ "$o1" = "$want" ] && [ "$out" = "$want" ] &&
	ok cli_rules_forms || ko cli_rules_forms "PATH, -r PATH and --rul PATH differ: '$want' / '$o1' / '$out'"

run status --run "$tmp/none"
[ "$rc" -eq 1 ] && [[ "$err" == *"$tmp/none/status.json"* ]] && ok cli_status_prefix ||
	ko cli_status_prefix "rc=$rc err: $err"
run status -d "$tmp/none"
[ "$rc" -eq 1 ] && [[ "$err" == *"$tmp/none/status.json"* ]] && ok cli_status_short ||
	ko cli_status_short "rc=$rc err: $err"

run run --ringbuf 3
[ "$rc" -eq 2 ] && [[ "$err" == *"--ringbuf-mb '3'"* ]] && ok cli_run_prefix_and_bad_value ||
	ko cli_run_prefix_and_bad_value "rc=$rc err: $err"

echo '{"evt.type":"execve","proc.pid":1}' >"$tmp/ev.jsonl"
run replay -r rules/ --stat "$tmp/ev.jsonl"
[ "$rc" -eq 0 ] && [[ "$err" == "stats: events=1 "* ]] && ok cli_replay_prefix ||
	ko cli_replay_prefix "rc=$rc err: $err"

run dump -s x7
[ "$rc" -eq 2 ] && [[ "$err" == *"--session 'x7'"* ]] && ok cli_bad_value_named ||
	ko cli_bad_value_named "rc=$rc err: $err"

# --- commands ---
run stat --help; o1=$out
run status --help
[ "$o1" = "$out" ] && ok cli_command_prefix || ko cli_command_prefix "'stat' is not 'status'"
run r
[ "$rc" -eq 2 ] && [[ "$err" == *"ambiguous command 'r'"*run*rules*replay* ]] && ok cli_command_ambiguous ||
	ko cli_command_ambiguous "rc=$rc err: $err"
run frobnicate
[ "$rc" -eq 2 ] && [[ "$err" == *"unknown command 'frobnicate'"* ]] && ok cli_command_unknown ||
	ko cli_command_unknown "rc=$rc err: $err"
run rules frobnicate
[ "$rc" -eq 2 ] && [[ "$err" == *"bulwark rules: unknown command 'frobnicate'"* ]] &&
	ok cli_subcommand_unknown || ko cli_subcommand_unknown "rc=$rc err: $err"
run
[ "$rc" -eq 2 ] && [[ "$err" == *"no command given"* ]] && ok cli_no_command ||
	ko cli_no_command "rc=$rc err: $err"
run status extra
[ "$rc" -eq 2 ] && [[ "$err" == *"unexpected argument 'extra'"* ]] && ok cli_extra_argument ||
	ko cli_extra_argument "rc=$rc err: $err"
run replay -r rules/
[ "$rc" -eq 2 ] && [[ "$err" == *"no FILE given"* ]] && ok cli_missing_argument ||
	ko cli_missing_argument "rc=$rc err: $err"
exit $status
