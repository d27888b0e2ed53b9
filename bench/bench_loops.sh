#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Host overhead, side by side and interleaved: a create+unlink loop (in a
# tmpfs, and on the root filesystem that holds the watched data directories) and a
# fork+exec loop with no monitor, with `bulwark run` (default rules) and with
# auditd loaded with equivalent syscall rules. Each loop runs outside a login
# session (server workload: bulwark filters it in the kernel) and inside one
# (bulwark captures every event). Then the highest event rate with no drops.
#   bench/bench_loops.sh [ROUNDS]
set -u
cd "$(dirname "$0")/.."
ROUNDS=${1:-${BENCH_ROUNDS:-5}}
N_UNLINK=${N_UNLINK:-100000}
N_FORK=${N_FORK:-1000}
LOOPS=${LOOPS:-build/bench/loops}
BW=${BULWARK:-build/bulwark}
T=$(mktemp -d /tmp/bulwark-bench.XXXXXX)
SHM=$(mktemp -d /dev/shm/bulwark-bench.XXXXXX)
mkdir -p "$T/disk"  # on the root filesystem (/tmp here), with the watched data directories
BW_PID=""; AUDITD_PID=""
AUDIT_WAS_ENABLED=$(auditctl -s 2>/dev/null | awk '/^enabled/ {print $2}')

cleanup() {
	[ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2>/dev/null && wait "$BW_PID" 2>/dev/null
	stop_auditd
	rm -rf "$T" "$SHM"
}
trap cleanup EXIT

start_bulwark() {
	"$BW" run --rules rules --journal "$T/journal" --run-dir "$T/run" --no-kill \
		> "$T/bw.out" 2> "$T/bw.err" &
	BW_PID=$!
	for _ in $(seq 1 200); do grep -q ready "$T/bw.err" && return 0; sleep 0.1; done
	echo "bench: bulwark did not start:" >&2; cat "$T/bw.err" >&2; exit 1
}
stop_bulwark() { kill -TERM "$BW_PID"; wait "$BW_PID" 2>/dev/null; BW_PID=""; }

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

# run_loop CONTEXT KIND -> ns/iteration. CONTEXT: nosess | sess (new login session)
run_loop() {
	local ctx=$1 kind=$2 cmd
	case $kind in
	unlink) cmd="$LOOPS unlink $N_UNLINK $SHM" ;;
	unlinkdisk) cmd="$LOOPS unlink $N_UNLINK $T/disk" ;;
	forkexec) cmd="$LOOPS forkexec $N_FORK" ;;
	esac
	if [ "$ctx" = sess ]; then
		sh -c "echo 4200 > /proc/self/loginuid && exec $cmd"
	else
		$cmd
	fi
}

declare -A R
configs="none bulwark auditd"
for round in $(seq 1 "$ROUNDS"); do
	for cfg in $configs; do
		case $cfg in bulwark) start_bulwark ;; auditd) start_auditd ;; esac
		for w in unlink unlinkdisk forkexec; do
			for ctx in nosess sess; do
				R[$cfg.$w.$ctx]+="$(run_loop $ctx $w) "
			done
		done
		case $cfg in bulwark) stop_bulwark ;; auditd) stop_auditd ;; esac
	done
	echo "bench: round $round/$ROUNDS done" >&2
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf '\nHost overhead (median of %d interleaved rounds; ns per iteration; slowdown vs no monitor)\n' "$ROUNDS"
printf '%-40s %12s %12s %9s %12s %9s\n' workload none bulwark slowdown auditd slowdown
for w in unlink unlinkdisk forkexec; do
	for ctx in nosess sess; do
		n=$(echo "${R[none.$w.$ctx]}" | median); b=$(echo "${R[bulwark.$w.$ctx]}" | median)
		a=$(echo "${R[auditd.$w.$ctx]}" | median)
		label="$w ($([ $ctx = sess ] && echo 'in a login session' || echo 'no session'))"
		[ $w = unlink ] && label="unlink tmpfs ${label#unlink }"
		[ $w = unlinkdisk ] && label="unlink root fs ${label#unlinkdisk }"
		printf '%-40s %12.0f %12.0f %+8.1f%% %12.0f %+8.1f%%\n' "$label" "$n" "$b" \
			"$(awk "BEGIN{print ($b/$n-1)*100}")" \
			"$a" "$(awk "BEGIN{print ($a/$n-1)*100}")"
	done
done
echo "budget: <= +3% slowdown on both loops (auditd measured about +250% on the unlink loop)"
for w in open otrunc; do for ctx in nosess sess; do c="$LOOPS $w $N_UNLINK $SHM"; s="sh -c 'echo 4200 > /proc/self/loginuid && exec $c'"; [ $ctx = sess ] || s=$c; n=$(eval "$s"); start_bulwark; b=$(eval "$s"); stop_bulwark; printf '%-40s %12.0f %12.0f %+8.1f%%  (issue 11: open/close, open(O_TRUNC); side by side, one run)\n' "$w ($ctx)" "$n" "$b" "$(awk "BEGIN{print ($b/$n-1)*100}")"; done; done

# Highest event rate with zero drops: unlink of a missing file in a login
# session, one event per syscall, 1 then 2 generators.
printf '\nEvent rate (unlink ENOENT loop in a login session; bulwark default rules)\n'
start_bulwark
for gens in 1 2; do
	before=$(jq '.kernel.ringbuf_drops + .kernel.inflight_full_drops' "$T/run/status.json" 2>/dev/null || echo 0)
	ev0=$(jq '.user.events' "$T/run/status.json")
	t0=$(date +%s%N)
	for g in $(seq 1 $gens); do
		sh -c "echo 4201 > /proc/self/loginuid && exec $LOOPS enoent 600000 $SHM" > /dev/null &
	done
	wait $(jobs -p | grep -v "^$BW_PID$") 2>/dev/null
	t1=$(date +%s%N)
	sleep 2.5  # let the daemon drain and write its status
	after=$(jq '.kernel.ringbuf_drops + .kernel.inflight_full_drops' "$T/run/status.json")
	ev1=$(jq '.user.events' "$T/run/status.json")
	rate=$(awk "BEGIN{printf \"%d\", ($ev1-$ev0)/(($t1-$t0)/1e9)}")
	printf '%d generator(s): %d events/s processed, %d dropped\n' "$gens" "$rate" "$((after - before))"
done
stop_bulwark
echo "budget: >= 200000 events/s with no drops"
