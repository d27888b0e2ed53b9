# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Shared helpers for end-to-end tests: start/stop the daemon, run commands in
# a fresh login session, assert on the JSON it printed. Source it.
#
# Every scenario runs in its own audit session: in_session writes a uid to
# /proc/self/loginuid in a child, which starts a new session; nothing here
# touches the caller's session. Only processes started here are signalled.
set -u
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BULWARK=${BULWARK:-$E2E_ROOT/build/bulwark}
E2E_TMP=$(mktemp -d /tmp/bulwark-e2e.XXXXXX)
BW_PID=""
E2E_PASSED=0
E2E_FAILED=0

pass() { echo "PASS $1"; E2E_PASSED=$((E2E_PASSED + 1)); }
fail() { echo "FAIL $1: $2"; E2E_FAILED=$((E2E_FAILED + 1)); }
# check NAME CONDITION-COMMAND... : PASS if the command succeeds
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "'$*' failed"; fi; }

e2e_cleanup() {
	bw_stop >/dev/null 2>&1
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

# bw_start [run options...]: starts the daemon with --events, a private
# journal and run dir; waits for "ready" on stderr (BW_READY_TIMEOUT s,
# default 20; emulated kernels need more). Output in $BW_OUT.
bw_start() {
	BW_OUT=$E2E_TMP/out.json; BW_ERR=$E2E_TMP/err.log
	: > "$BW_OUT"; : > "$BW_ERR"
	"$BULWARK" run --events --journal "$E2E_TMP/journal" --run-dir "$E2E_TMP/run" "$@" \
		> "$BW_OUT" 2> "$BW_ERR" &
	BW_PID=$!
	for _ in $(seq 1 $((${BW_READY_TIMEOUT:-20} * 10))); do
		grep -q 'ready' "$BW_ERR" && return 0
		kill -0 "$BW_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "bulwark did not become ready:" >&2; cat "$BW_ERR" >&2
	return 1
}

# bw_stop: SIGTERM, wait; returns the daemon's exit code.
bw_stop() {
	local rc=0
	[ -n "$BW_PID" ] || return 0
	kill -TERM "$BW_PID" 2>/dev/null
	wait "$BW_PID" 2>/dev/null; rc=$?
	BW_PID=""
	return $rc
}

# in_session UID CMD...: runs CMD (via sh -c) in a new login session of UID.
# The session id is written to $E2E_TMP/session.<UID>.
in_session() {
	local uid=$1; shift
	sh -c 'echo "$1" > /proc/self/loginuid || exit 99; cat /proc/self/sessionid > "$2"; shift 2; exec sh -c "$@"' \
		sh "$uid" "$E2E_TMP/session.$uid" "$*"
}
session_of() { cat "$E2E_TMP/session.$1"; }

# wait_json JQ-FILTER [TIMEOUT_S]: waits until a line of $BW_OUT matches.
# Each complete line is parsed once: a large output does not slow the wait.
# The timeout is wall-clock time: under emulation one poll can take a second.
wait_json() {
	local filter=$1 t=${2:-5} seen=0 total end
	end=$(( ${EPOCHREALTIME/./} + t * 1000000 ))
	while [ "${EPOCHREALTIME/./}" -lt "$end" ]; do
		total=$(wc -l < "$BW_OUT")
		if [ "$total" -gt "$seen" ]; then
			sed -n "$((seen + 1)),${total}p" "$BW_OUT" | jq -c "select($filter)" 2>/dev/null |
				grep -q . && return 0
			seen=$total
		fi
		sleep 0.1
	done
	return 1
}

# json_count JQ-FILTER: number of lines of $BW_OUT matching.
json_count() { jq -c "select($1)" "$BW_OUT" 2>/dev/null | wc -l; }

# json_first JQ-FILTER: the first matching line.
json_first() { jq -c "select($1)" "$BW_OUT" 2>/dev/null | head -1; }

e2e_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "FAIL setup: end-to-end tests need root"; exit 1
	fi
}

e2e_summary() {
	echo "$E2E_PASSED passed, $E2E_FAILED failed" >&2
	[ "$E2E_FAILED" -eq 0 ]
}
