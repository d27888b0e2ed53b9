#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Resident memory of `bulwark run` with the default rules: idle, then while
# generators in a login session feed it EVENTS events (default 10M): a
# missing-file unlink loop (volume), create+unlink of 1,024 names (paths) and
# fork+exec (process churn: the process table grows and shrinks). Prints
# VmRSS and VmHWM (the peak) from /proc. Budget: peak <= 64 MiB.
# BENCH_SOAK=1 then keeps the same mix running for SOAK_SECS (600) and
# samples VmRSS every 30 s; budget: the last sample at most 2 MiB above the
# one taken after the first 2 minutes (no growth once warm).
#   bench/bench_memory.sh [EVENTS]
set -u
cd "$(dirname "$0")/.."
EVENTS=${1:-${MEM_EVENTS:-10000000}}
SOAK_SECS=${SOAK_SECS:-600}
LOOPS=${LOOPS:-build/bench/loops}
BW=${BULWARK:-build/bulwark}
BUDGET_KB=$((64 * 1024))
[ "$(id -u)" -eq 0 ] || { echo "bench_memory: needs root (it loads BPF)" >&2; exit 1; }
T=$(mktemp -d /tmp/bulwark-mem.XXXXXX)
SHM=$(mktemp -d /dev/shm/bulwark-mem.XXXXXX)
BW_PID=""; GEN=()
cleanup() {
	stop_gens
	[ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2>/dev/null && wait "$BW_PID" 2>/dev/null
	rm -rf "$T" "$SHM"
}
trap cleanup EXIT

rss() { awk -v k="$1:" '$1 == k { print $2 }' /proc/"$BW_PID"/status; }  # kB
events() { jq '.user.events' "$T/run/status.json" 2>/dev/null || echo 0; }
drops() { jq '.kernel.ringbuf_drops + .kernel.inflight_full_drops' "$T/run/status.json" 2>/dev/null || echo 0; }

# The generators, in a login session, until stopped: each one loops its loop.
start_gens() {
	local g
	for g in "enoent 200000 $SHM" "unlink 20000 $SHM/u" "forkexec 200"; do
		sh -c "echo 4400 > /proc/self/loginuid && while :; do $LOOPS $g > /dev/null || exit 1; done" &
		GEN+=($!)
	done
}
stop_gens() {
	local p
	# the loop shells stop; the loops they were running end within a second
	for p in "${GEN[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ ${#GEN[@]} = 0 ] || sleep 1
	GEN=()
}

mkdir -p "$SHM/u"
"$BW" run --pin-dir none --rules rules --journal "$T/journal" --run-dir "$T/run" --no-kill > /dev/null 2> "$T/bw.err" &
BW_PID=$!
for _ in $(seq 1 300); do grep -q ready "$T/bw.err" && [ -s "$T/run/status.json" ] && break; sleep 0.1; done
grep -q ready "$T/bw.err" || { echo "bench_memory: bulwark did not start:" >&2; cat "$T/bw.err" >&2; exit 1; }
sleep 2
idle=$(rss VmRSS)
printf 'memory: idle %d KiB resident\n' "$idle"

t0=$(date +%s)
start_gens
marks="2000000 $EVENTS"
for m in $marks; do
	while [ "$(events)" -lt "$m" ]; do
		sleep 1
		[ $(( $(date +%s) - t0 )) -lt 900 ] || { echo "bench_memory: $m events not reached in 15 min" >&2; exit 1; }
	done
	printf 'memory: after %d events: %d KiB resident, peak %d KiB (%d s, %d dropped)\n' \
		"$(events)" "$(rss VmRSS)" "$(rss VmHWM)" $(( $(date +%s) - t0 )) "$(drops)"
done
peak=$(rss VmHWM)
rc=0
ok=ok; [ "$peak" -le $BUDGET_KB ] || { ok=OVER; rc=1; }
printf 'memory: peak %.1f MiB resident after %d events (budget <= 64 MiB) %s\n' "$(awk -v k="$peak" 'BEGIN{print k/1024}')" "$EVENTS" "$ok"

if [ "${BENCH_SOAK:-0}" = 1 ]; then
	printf 'soak: %d s of the same mix, VmRSS every 30 s\n' "$SOAK_SECS"
	s0=$(date +%s); warm=""; samples=""
	while [ $(( $(date +%s) - s0 )) -lt "$SOAK_SECS" ]; do
		sleep 30
		r=$(rss VmRSS); samples+="$r "
		[ -z "$warm" ] && [ $(( $(date +%s) - s0 )) -ge 120 ] && warm=$r
	done
	last=$r
	growth=$(( last - ${warm:-$last} ))
	ok=ok; [ "$growth" -le 2048 ] || { ok=OVER; rc=1; }
	printf 'soak: VmRSS samples (KiB): %s\n' "$samples"
	printf 'soak: %d events in all, %d dropped; growth after warm-up %d KiB (budget <= 2048 KiB) %s\n' \
		"$(events)" "$(drops)" "$growth" "$ok"
fi
exit $rc
