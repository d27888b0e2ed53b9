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
skip() { echo "SKIP $1: $2"; }  # not counted: what this kernel cannot show, with the reason
# check NAME CONDITION-COMMAND... : PASS if the command succeeds
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "'$*' failed"; fi; }

# Every daemon a test starts pins its enforcement in the test's own bpffs
# instance, never in /sys/fs/bpf/bulwark (the host's service): tests in
# parallel worktrees never meet. bw_stop and e2e_cleanup remove the pins
# with `bulwark unload`, so nothing stays attached after a test.
E2E_BPFFS=$E2E_TMP/bpffs
BW_PIN_DIR=$E2E_BPFFS/bulwark
bw_pin_setup() {
	mountpoint -q "$E2E_BPFFS" 2>/dev/null && return 0
	mkdir -p "$E2E_BPFFS" && mount -t bpf bulwark-e2e-bpffs "$E2E_BPFFS" && return 0
	echo "# cannot mount a bpffs on $E2E_BPFFS: the daemon runs with --pin-dir none" >&2
	BW_PIN_DIR=none
}
# bw_unload: removes the test's pins (quietly; its alert goes to a journal of its own)
bw_unload() {
	[ "$BW_PIN_DIR" != none ] && [ -d "$BW_PIN_DIR" ] || return 0
	"$BULWARK" unload --pin-dir "$BW_PIN_DIR" -j "$E2E_TMP/unload-journal" >/dev/null 2>&1
}
# bw_pin_args: the options a test's own `bulwark run` needs (lib's bw_start adds them)
bw_pin_args() { bw_pin_setup; echo "--pin-dir $BW_PIN_DIR --heartbeat 0"; }

e2e_cleanup() {
	bw_stop >/dev/null 2>&1
	bw_unload
	mountpoint -q "$E2E_BPFFS" 2>/dev/null && umount "$E2E_BPFFS"
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$E2E_TMP"
}
trap e2e_cleanup EXIT

# bw_start [run options...]: starts the daemon with --events, a private
# journal and run dir; waits for "ready" on stderr (BW_READY_TIMEOUT s,
# default 20; emulated kernels need more). Output in $BW_OUT.
bw_start() {
	BW_OUT=$E2E_TMP/out.json; BW_ERR=$E2E_TMP/err.log
	: > "$BW_OUT"; : > "$BW_ERR"
	bw_pin_setup
	"$BULWARK" run --events --journal "$E2E_TMP/journal" --run-dir "$E2E_TMP/run" \
		--pin-dir "$BW_PIN_DIR" --heartbeat 0 "$@" \
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

# bw_stop: SIGTERM, wait, then unload the pins (BW_KEEP_PINS=1 keeps them,
# as a service stop does); returns the daemon's exit code.
bw_stop() {
	local rc=0
	[ -n "$BW_PID" ] || return 0
	kill -TERM "$BW_PID" 2>/dev/null
	for _ in $(seq 1 30); do kill -0 "$BW_PID" 2>/dev/null || break; sleep 0.1; done
	# BPF-LSM refuses signals to the daemon from anyone but pid 1: ask it through its pins
	kill -0 "$BW_PID" 2>/dev/null && bw_unload
	wait "$BW_PID" 2>/dev/null; rc=$?
	BW_PID=""
	[ -n "${BW_KEEP_PINS:-}" ] || bw_unload
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
