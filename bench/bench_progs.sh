#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Where the time goes in the kernel: with kernel.bpf_stats_enabled=1, runs
# each loop of bench_loops.sh once under `bulwark run` (default rules) and
# prints, per BPF program that ran, its runs per loop iteration and its mean
# run time (bpftool prog show: run_time_ns / run_cnt), then the total BPF
# time per iteration. The rest of bulwark's cost over the floor is outside
# its programs: ring buffer wakeups, the daemon's CPU on a shared core.
#   bench/bench_progs.sh
set -u
cd "$(dirname "$0")/.."
N_UNLINK=${N_UNLINK:-50000}
N_FORK=${N_FORK:-500}
N_OPEN=${N_OPEN:-200000}
LOOPS=${LOOPS:-build/bench/loops}
BW=${BULWARK:-build/bulwark}
[ "$(id -u)" -eq 0 ] || { echo "bench_progs: needs root (it loads BPF)" >&2; exit 1; }
T=$(mktemp -d /tmp/bulwark-progs.XXXXXX)
SHM=$(mktemp -d /dev/shm/bulwark-progs.XXXXXX)
BW_PID=""
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	[ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2>/dev/null && wait "$BW_PID" 2>/dev/null
	sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"
	rm -rf "$T" "$SHM"
}
trap cleanup EXIT
sysctl -q kernel.bpf_stats_enabled=1

"$BW" run --pin-dir none --rules rules --journal "$T/journal" --run-dir "$T/run" --no-kill > "$T/bw.out" 2> "$T/bw.err" &
BW_PID=$!
for _ in $(seq 1 300); do grep -q ready "$T/bw.err" && [ -s "$T/run/status.json" ] && break; sleep 0.1; done
names=$(jq -r '.programs[] | select(.attached) | .name' "$T/run/status.json" | paste -sd'|')
[ -n "$names" ] || { echo "bench_progs: bulwark did not start:" >&2; cat "$T/bw.err" >&2; exit 1; }

# bulwark's programs (by name, loaded after it started: we hold the BPF lock) -> "name run_time_ns run_cnt"
snap() {
	bpftool prog show -j | jq -r --arg re "^($names)\$" \
		'.[] | select(.name | test($re)) | "\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"' | sort
}

for w in unlink forkexec open trunc; do
	for ctx in nosess sess; do
		case $w in
		unlink) n=$N_UNLINK; cmd="$LOOPS unlink $n $SHM" ;;
		forkexec) n=$N_FORK; cmd="$LOOPS forkexec $n" ;;
		open) n=$N_OPEN; cmd="$LOOPS open $n $SHM" ;;
		trunc) n=$N_OPEN; cmd="$LOOPS trunc $n $SHM" ;;
		esac
		lu=4294967295; [ $ctx = sess ] && lu=4202
		snap > "$T/a"
		ns=$(sh -c "echo $lu > /proc/self/loginuid 2>/dev/null; exec $cmd")
		snap > "$T/b"
		printf '\n%s, %s: %.0f ns per iteration\n' "$w" "$([ $ctx = sess ] && echo session || echo 'no session')" "$ns"
		join "$T/a" "$T/b" | awk -v n="$n" '
			{ dt = $4 - $2; dc = $5 - $3; if (dc <= 0) next
			  printf "  %-30s %6.2f runs/iter %8.0f ns/run %8.0f ns/iter\n", $1, dc / n, dt / dc, dt / n
			  tot += dt }
			END { printf "  %-30s %42.0f ns/iter\n", "all bulwark programs", tot / n }'
	done
done
