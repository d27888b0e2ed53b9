#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Host overhead against the floor, side by side and interleaved. Three
# configurations per round, in a rotating order: no monitor, the floor
# (bulwark's own hooks with empty programs: bench/floor.c builds them from
# the programs the running bulwark attached) and `bulwark run` with the
# default rules. Each loop (build/bench/loops) runs outside a login session
# (server workload: bulwark filters it in the kernel) and inside a fresh one
# (bulwark captures every event):
#   create+unlink in a tmpfs, fork+exec, open+close, open(O_TRUNC)+close.
# Per round each configuration's time is taken relative to that round's no
# monitor run; the table gives the medians over the rounds and their spread.
#   ours/floor = (bulwark - floor) / (floor - none): bulwark's own cost in
#   units of what attaching its hooks costs. Budget: <= 1.0 (total slowdown
#   at most twice the floor's).
# Then the highest event rate with zero drops, 1 and 2 generators.
#   bench/bench_loops.sh [ROUNDS]
# BENCH_AUDITD=1 adds auditd with equivalent syscall rules as a fourth
# configuration; BENCH_BEFORE=path/to/an/older/bulwark adds that build as
# "before" (same rules), for before/after tables; BENCH_DISK=1 adds create+unlink on the root filesystem;
# FLOOR_ONLY_LIST=1 prints the floor's program list and exits.
set -u
cd "$(dirname "$0")/.."
ROUNDS=${1:-${BENCH_ROUNDS:-7}}
N_UNLINK=${N_UNLINK:-60000}
N_FORK=${N_FORK:-600}
N_OPEN=${N_OPEN:-300000}
LOOPS=${LOOPS:-build/bench/loops}
FLOOR=${FLOOR:-build/bench/floor}
BW=${BULWARK:-build/bulwark}
BUDGET=1.0
[ "$(id -u)" -eq 0 ] || { echo "bench_loops: needs root (it loads BPF)" >&2; exit 1; }
for b in "$LOOPS" "$FLOOR" "$BW"; do
	[ -x "$b" ] || { echo "bench_loops: $b is not built; run 'make bench' (or make $b)" >&2; exit 1; }
done
. "$(dirname "$0")/lib.sh"
bench_refuse_pinned
T=$(mktemp -d /tmp/bulwark-bench.XXXXXX)
SHM=$(mktemp -d /dev/shm/bulwark-bench.XXXXXX)
mkdir -p "$T/disk"  # on the root filesystem (/tmp here)
BW_PID=""; FLOOR_PID=""; AUDITD_PID=""
AUDIT_WAS_ENABLED=$(auditctl -s 2>/dev/null | awk '/^enabled/ {print $2}')

cleanup() {
	[ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2>/dev/null && wait "$BW_PID" 2>/dev/null
	[ -n "$FLOOR_PID" ] && kill -TERM "$FLOOR_PID" 2>/dev/null && wait "$FLOOR_PID" 2>/dev/null
	stop_auditd
	rm -rf "$T" "$SHM"
}
trap cleanup EXIT

start_bulwark() {
	rm -rf "$T/run" "$T/journal"
	"${1:-$BW}" run --rules rules --pin-dir none --journal "$T/journal" --run-dir "$T/run" --no-kill \
		> "$T/bw.out" 2> "$T/bw.err" &
	BW_PID=$!
	for _ in $(seq 1 300); do
		grep -q ready "$T/bw.err" && [ -s "$T/run/status.json" ] && return 0
		sleep 0.1
	done
	echo "bench_loops: bulwark did not start:" >&2; cat "$T/bw.err" >&2; exit 1
}
stop_bulwark() { kill -TERM "$BW_PID"; wait "$BW_PID" 2>/dev/null; BW_PID=""; }

start_floor() {
	"$FLOOR" run "$T/floor.bpf.o" 2> "$T/floor.err" &
	FLOOR_PID=$!
	for _ in $(seq 1 100); do grep -q ready "$T/floor.err" && return 0; sleep 0.1; done
	echo "bench_loops: the floor did not attach:" >&2; cat "$T/floor.err" >&2; exit 1
}
stop_floor() { kill -TERM "$FLOOR_PID"; wait "$FLOOR_PID" 2>/dev/null; FLOOR_PID=""; }

# The floor object: one empty program on every hook bulwark attached here.
build_floor() {
	local names arch
	start_bulwark
	names=$(jq -r '.programs[] | select(.attached) | .name' "$T/run/status.json")
	stop_bulwark
	"$FLOOR" gen build/bulwark.bpf.o $names > "$T/floor.bpf.c" || exit 1
	arch=$(uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
	clang -g -O2 -target bpf -D__TARGET_ARCH_"$arch" -I/usr/include/"$(uname -m)"-linux-gnu \
		-c "$T/floor.bpf.c" -o "$T/floor.bpf.o" || exit 1
	echo "floor: $(echo $names | wc -w) empty programs on bulwark's hooks:" $names
}

start_auditd() {
	mkdir -p "$T/audit"
	cat > "$T/audit/auditd.conf" <<CONF
log_file = $T/audit/audit.log
log_format = ENRICHED
flush = INCREMENTAL_ASYNC
freq = 50
max_log_file = 64
num_logs = 2
max_log_file_action = ROTATE
space_left = 75
space_left_action = IGNORE
admin_space_left = 50
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = IGNORE
CONF
	chmod 0640 "$T/audit/auditd.conf"
	auditd -c "$T/audit" -n > "$T/audit/auditd.out" 2>&1 &
	AUDITD_PID=$!
	sleep 1
	auditctl -D > /dev/null
	# equivalent rules: the deletion family and exec, every process
	auditctl -a always,exit -F arch=b64 -S unlink -S unlinkat -S rmdir -S rename -S renameat \
		-S renameat2 -S truncate -S ftruncate -k bulwark_bench_del > /dev/null
	auditctl -a always,exit -F arch=b64 -S execve -S execveat -k bulwark_bench_exec > /dev/null
	auditctl -e 1 > /dev/null
}
stop_auditd() {
	[ -n "$AUDITD_PID" ] || return 0
	auditctl -D > /dev/null 2>&1
	kill -TERM "$AUDITD_PID" 2>/dev/null; wait "$AUDITD_PID" 2>/dev/null
	AUDITD_PID=""
	[ -n "$AUDIT_WAS_ENABLED" ] && auditctl -e "$AUDIT_WAS_ENABLED" > /dev/null 2>&1
}

# run_loop CONTEXT KIND -> "wall-ns cpu-ns" per iteration. CONTEXT: nosess | sess (new login session)
run_loop() {
	local ctx=$1 kind=$2 cmd
	case $kind in
	unlink) cmd="$LOOPS unlink $N_UNLINK $SHM" ;;
	unlinkdisk) cmd="$LOOPS unlink $N_UNLINK $T/disk" ;;
	forkexec) cmd="$LOOPS forkexec $N_FORK" ;;
	open) cmd="$LOOPS open $N_OPEN $SHM" ;;
	trunc) cmd="$LOOPS trunc $N_OPEN $SHM" ;;
	esac
	if [ "$ctx" = sess ]; then
		LOOPS_CPU=1 sh -c "echo 4200 > /proc/self/loginuid && exec $cmd"
	else
		LOOPS_CPU=1 sh -c "echo 4294967295 > /proc/self/loginuid 2>/dev/null; exec $cmd"
	fi
}
iters() { case $1 in unlink | unlinkdisk) echo "$N_UNLINK" ;; forkexec) echo "$N_FORK" ;; *) echo "$N_OPEN" ;; esac; }

# CPU time (ns) the running daemon's threads have used: /proc/PID/task/*/schedstat
daemon_cpu() {
	[ -n "$BW_PID" ] || { echo 0; return; }
	cat /proc/"$BW_PID"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

label() {
	local l
	case $1 in
	unlink) l="create+unlink tmpfs" ;; unlinkdisk) l="create+unlink root fs" ;;
	forkexec) l="fork+exec" ;; open) l="open+close tmpfs" ;; trunc) l="open(O_TRUNC) tmpfs" ;;
	esac
	[ "$2" = sess ] && echo "$l, session" || echo "$l, no session"
}

[ "${FLOOR_ONLY_LIST:-0}" = 1 ] && { build_floor; exit 0; }
build_floor
loops="unlink forkexec open trunc"
[ "${BENCH_DISK:-0}" = 1 ] && loops="unlink unlinkdisk forkexec open trunc"
configs="none floor bulwark"
[ -n "${BENCH_BEFORE:-}" ] && configs="$configs before"
[ "${BENCH_AUDITD:-0}" = 1 ] && configs="$configs auditd"
# W: wall ns/iteration, C: the loop's CPU ns/iteration, M: C + the daemon's CPU ns/iteration
declare -A W C M
for round in $(seq 1 "$ROUNDS"); do
	# rotate the order so no configuration always runs first or last
	read -r -a cf <<< "$configs"
	order=""
	for i in $(seq 0 $((${#cf[@]} - 1))); do order+="${cf[(i + round - 1) % ${#cf[@]}]} "; done
	for cfg in $order; do
		case $cfg in bulwark) start_bulwark ;; before) start_bulwark "$BENCH_BEFORE" ;; floor) start_floor ;; auditd) start_auditd ;; esac
		for w in $loops; do
			for ctx in nosess sess; do
				d0=$(daemon_cpu)
				read -r wall cpu <<< "$(run_loop $ctx $w)"
				d1=$(daemon_cpu)
				k=$round.$cfg.$w.$ctx
				W[$k]=$wall; C[$k]=$cpu
				M[$k]=$(awk -v c="$cpu" -v a="$d0" -v b="$d1" -v n="$(iters $w)" 'BEGIN { print c + (b - a) / n }')
			done
		done
		case $cfg in bulwark | before) stop_bulwark ;; floor) stop_floor ;; auditd) stop_auditd ;; esac
	done
	echo "bench_loops: round $round/$ROUNDS done (order: $order)" >&2
done

# stats VALUES... -> "median min max"
stats() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {m=(NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); print m, a[1], a[NR]}'; }
# ours_floor FLOOR% BULWARK% -> (b - f) / f, n/a when the floor is too small to divide by
ours_floor() { awk -v f="$1" -v b="$2" 'BEGIN { if (f <= 0.5) print "n/a"; else printf "%.2f", (b - f) / f }'; }

# report TITLE ARRAY: the table of one measure; ARRAY holds the bulwark/before
# figures, none and floor always come from the same measure's loop figures
fails=0
report() {
	local title=$1 w ctx r n f b nm fm fmin fmax bm bmin bmax o ok xm xmin xmax
	local -n A=$2 L=$3
	printf '\n%s (%d interleaved rounds; per round, slowdown vs that round'"'"'s no-monitor run;\n' "$title" "$ROUNDS"
	printf 'median [min..max]; ours/floor = (bulwark - floor) / (floor - none), budget <= %s)\n' "$BUDGET"
	printf '%-34s %10s %22s %22s %20s\n' loop "none ns" "floor" "bulwark" "ours/floor"
	for w in $loops; do
		for ctx in nosess sess; do
			local nones=() fl=() bw=() au=() bf=()
			for r in $(seq 1 "$ROUNDS"); do
				n=${L[$r.none.$w.$ctx]}; f=${L[$r.floor.$w.$ctx]}; b=${A[$r.bulwark.$w.$ctx]}
				nones+=("$n")
				fl+=("$(awk "BEGIN{print ($f/$n-1)*100}")")
				bw+=("$(awk "BEGIN{print ($b/$n-1)*100}")")
				[ -n "${BENCH_BEFORE:-}" ] && bf+=("$(awk "BEGIN{print (${A[$r.before.$w.$ctx]}/$n-1)*100}")")
				[ "${BENCH_AUDITD:-0}" = 1 ] && au+=("$(awk "BEGIN{print (${A[$r.auditd.$w.$ctx]}/$n-1)*100}")")
			done
			read -r nm _ _ <<< "$(stats "${nones[@]}")"
			read -r fm fmin fmax <<< "$(stats "${fl[@]}")"
			read -r bm bmin bmax <<< "$(stats "${bw[@]}")"
			# from the medians: per-round ratios explode when a round's floor is ~0
			o=$(ours_floor "$fm" "$bm")
			ok=$(awk -v o="$o" -v B="$BUDGET" 'BEGIN { print (o == "n/a") ? "not judged" : (o <= B) ? "ok" : "OVER" }')
			[ "$ok" = OVER ] && fails=$((fails + 1))
			printf '%-34s %10.0f %+7.1f%% [%+.0f..%+.0f] %+7.1f%% [%+.0f..%+.0f] %6s (<= %s) %s' \
				"$(label $w $ctx)" "$nm" "$fm" "$fmin" "$fmax" "$bm" "$bmin" "$bmax" "$o" "$BUDGET" "$ok"
			if [ -n "${BENCH_BEFORE:-}" ]; then
				read -r xm xmin xmax <<< "$(stats "${bf[@]}")"
				printf '  | before %+.1f%% [%+.0f..%+.0f] ours/floor %s' "$xm" "$xmin" "$xmax" "$(ours_floor "$fm" "$xm")"
			fi
			if [ "${BENCH_AUDITD:-0}" = 1 ]; then
				read -r xm _ _ <<< "$(stats "${au[@]}")"
				printf '  | auditd %+.1f%%' "$xm"
			fi
			printf '\n'
		done
	done
}
report "Host overhead against the floor, wall clock" W W
report "CPU against the floor: the loop's CPU (none, floor) and the loop's + the daemon's CPU (bulwark)" M C
echo "The wall-clock table is the budget on a quiet machine; the CPU table charges bulwark the daemon's"
echo "CPU too, and on a loaded machine it is the steadier figure (time waiting for a core is not counted)."
echo "ours/floor n/a: the floor costs under 0.5% on that loop, too little to divide by (bulwark's slowdown is the figure)"
echo "figures over budget: $fails"

# Highest event rate with zero drops: unlink of a missing file in a login
# session, one event per syscall, 1 then 2 generators.
printf '\nEvent rate (unlink ENOENT loop in a login session; bulwark default rules)\n'
start_bulwark
for gens in 1 2; do
	before=$(jq '.kernel.ringbuf_drops + .kernel.inflight_full_drops' "$T/run/status.json" 2>/dev/null || echo 0)
	ev0=$(jq '.user.events' "$T/run/status.json")
	t0=$(date +%s%N)
	pids=()
	for g in $(seq 1 $gens); do
		sh -c "echo 4201 > /proc/self/loginuid && exec $LOOPS enoent 600000 $SHM" > /dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"
	t1=$(date +%s%N)
	sleep 2.5  # let the daemon drain and write its status
	after=$(jq '.kernel.ringbuf_drops + .kernel.inflight_full_drops' "$T/run/status.json")
	ev1=$(jq '.user.events' "$T/run/status.json")
	rate=$(awk "BEGIN{printf \"%d\", ($ev1-$ev0)/(($t1-$t0)/1e9)}")
	printf '%d generator(s): %d events/s processed, %d dropped\n' "$gens" "$rate" "$((after - before))"
done
stop_bulwark
echo "budget: >= 200000 events/s with no drops"
