# shellcheck shell=bash
# What the bench scripts share: the refusal to measure with bulwark pinned,
# and starting and stopping one daemon. Sourced; BULWARK, TMP and BW_PID are
# the caller's.

# A pinned bulwark (a daemon stopped with its enforcement kept) would be in
# a no-monitor baseline: refuse to measure.
bench_refuse_pinned() {
	if [ -n "$(ls -A /sys/fs/bpf/bulwark/links 2>/dev/null)" ]; then
		echo "$(basename "$0"): bulwark is pinned in /sys/fs/bpf/bulwark, so 'no monitor' would not be; run: sudo build/bulwark unload" >&2
		exit 1
	fi
}

# bw_start ARGS...: $BULWARK run with its journal and run dir under $TMP,
# never pinned (a bench must leave nothing attached), until it is ready.
bw_start() {
	rm -rf "$TMP/journal" "$TMP/run"
	: > "$TMP/bw.err"
	"$BULWARK" run --pin-dir none --journal "$TMP/journal" --run-dir "$TMP/run" "$@" \
		> "$TMP/bw.out" 2> "$TMP/bw.err" &
	BW_PID=$!
	for _ in $(seq 1 200); do
		grep -q ready "$TMP/bw.err" && return 0
		kill -0 "$BW_PID" 2> /dev/null || break
		sleep 0.1
	done
	echo "$(basename "$0"): bulwark did not become ready:" >&2
	cat "$TMP/bw.err" >&2
	return 1
}

# bw_stop: its status into $TMP/status.txt, then the ordinary stop.
bw_stop() {
	"$BULWARK" status --run-dir "$TMP/run" > "$TMP/status.txt" 2>&1
	kill -TERM "$BW_PID" 2> /dev/null
	wait "$BW_PID" 2> /dev/null
	BW_PID=""
}
