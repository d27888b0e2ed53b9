#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Cost of the watched-tree walk as protected trees grow: bulwark with 1, 10,
# 100 and 1,000 protected trees (sibling directories on the root filesystem,
# given to a local rule's protect key),
# and a create+unlink loop in a directory beside them that none contains, so
# every walk goes up to the filesystem's root. Outside a login session the
# kernel filter walks inodes (watch_ancestry); in a session the protection
# check also resolves the name (watch_resolved). Figures: the enter
# program's mean run time (kernel.bpf_stats_enabled, bpftool) and the
# loop's wall time, medians of ROUNDS interleaved rounds.
# Budget: the walk's cost does not grow with the number of trees (hash
# lookups): 1,000 trees at most 1.25x the cost of 1 tree.
#   bench/bench_trees.sh [ROUNDS]
set -u
cd "$(dirname "$0")/.."
ROUNDS=${1:-${BENCH_ROUNDS:-2}}
N_UNLINK=${N_UNLINK:-40000}
COUNTS=${TREE_COUNTS:-1 10 100 1000}
LOOPS=${LOOPS:-build/bench/loops}
BW=${BULWARK:-build/bulwark}
[ "$(id -u)" -eq 0 ] || { echo "bench_trees: needs root (it loads BPF)" >&2; exit 1; }
T=$(mktemp -d /var/tmp/bulwark-trees.XXXXXX)
BW_PID=""
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	[ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2>/dev/null && wait "$BW_PID" 2>/dev/null
	sysctl -q kernel.bpf_stats_enabled="$STATS_WAS"
	rm -rf "$T"
}
trap cleanup EXIT
sysctl -q kernel.bpf_stats_enabled=1
mkdir -p "$T/work"
max=0; for c in $COUNTS; do [ "$c" -gt $max ] && max=$c; done
for i in $(seq 1 "$max"); do mkdir -p "$T/trees/t$i/data"; done

# The trees come from a local rule's protect key (--protect takes at most 64).
start_bulwark() {
	local i
	mkdir -p "$T/rules$1"
	{
		echo "- list: bench_trees"
		echo "  items:"
		for i in $(seq 1 "$1"); do echo "    - $T/trees/t$i"; done
		echo "- rule: Database files destroyed from a login session"
		echo "  protect: [bench_trees]"
		echo "  override: {protect: replace}"
	} > "$T/rules$1/90-trees.yaml"
	rm -rf "$T/run" "$T/journal"
	"$BW" run --pin-dir none --rules rules --rules "$T/rules$1" --journal "$T/journal" --run-dir "$T/run" --no-kill \
		> "$T/bw.out" 2> "$T/bw.err" &
	BW_PID=$!
	for _ in $(seq 1 300); do
		grep -q ready "$T/bw.err" && [ -s "$T/run/status.json" ] && return 0
		kill -0 "$BW_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench_trees: bulwark with $1 trees did not start:" >&2; cat "$T/bw.err" >&2; exit 1
}
stop_bulwark() { kill -TERM "$BW_PID"; wait "$BW_PID" 2>/dev/null; BW_PID=""; }
# "run_time_ns run_cnt" of the running bulwark's tp_enter_unlink (we hold the BPF lock: it is the only one)
enter_stats() {
	bpftool prog show -j | jq -r '[.[] | select(.name == "tp_enter_unlink")] | last | "\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

declare -A WALL PROG
for round in $(seq 1 "$ROUNDS"); do
	# alternate the direction so drift does not favour small or large counts
	order=$COUNTS; [ $((round % 2)) = 0 ] && order=$(echo $COUNTS | tr ' ' '\n' | tac | paste -sd' ')
	for c in $order; do
		start_bulwark "$c"
		for ctx in nosess sess; do
			lu=4294967295; [ $ctx = sess ] && lu=4300
			read -r t0 n0 <<< "$(enter_stats)"
			WALL[$round.$c.$ctx]=$(sh -c "echo $lu > /proc/self/loginuid 2>/dev/null; exec $LOOPS unlink $N_UNLINK $T/work")
			read -r t1 n1 <<< "$(enter_stats)"
			PROG[$round.$c.$ctx]=$(awk -v a="$t0" -v b="$t1" -v x="$n0" -v y="$n1" 'BEGIN { print (y > x) ? (b - a) / (y - x) : 0 }')
		done
		stop_bulwark
	done
	echo "bench_trees: round $round/$ROUNDS done" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '\nWatched-tree walk vs protected trees (create+unlink beside the trees, root filesystem; median of %d rounds)\n' "$ROUNDS"
printf '%-8s %24s %24s %24s %24s\n' trees "enter ns/run, no sess" "loop ns/iter, no sess" "enter ns/run, session" "loop ns/iter, session"
first=""; rc=0
for c in $COUNTS; do
	line=$(printf '%-8s' "$c")
	for ctx in nosess sess; do
		p=(); w=()
		for r in $(seq 1 "$ROUNDS"); do p+=("${PROG[$r.$c.$ctx]}"); w+=("${WALL[$r.$c.$ctx]}"); done
		pm=$(median "${p[@]}"); wm=$(median "${w[@]}")
		line+=$(printf ' %24.0f %24.0f' "$pm" "$wm")
		[ -z "$first" ] || [ "$ctx" != nosess ] || last_n=$pm
		[ -n "$first" ] || [ "$ctx" != nosess ] || first=$pm
	done
	echo "$line"
done
ratio=$(awk -v a="$first" -v b="${last_n:-$first}" 'BEGIN { printf "%.2f", (a > 0) ? b / a : 0 }')
ok=$(awk -v r="$ratio" 'BEGIN { print (r <= 1.25) ? "ok" : "OVER" }')
[ "$ok" = ok ] || rc=1
echo "walk cost, most trees / fewest trees (no session, enter program): ${ratio}x (budget <= 1.25x) $ok"
exit $rc
