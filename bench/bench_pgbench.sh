#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# pgbench TPS, select-only (-S) and TPC-B-like with updates (-N), with no
# monitor and with `bulwark run` (default rules, journal in a temp dir,
# database capture on, kill rules active so PostgreSQL backends are held
# on flagged statements: docs/database.md, Prevention), over a Unix socket
# and over loopback TCP. Runs come in adjacent pairs (none then bulwark,
# bulwark then none, alternating) so drift hits both sides; the result is
# the median of the pairs' ratios, with the median TPS of each side, the
# spread of the ratios (min, quartiles, max) and a stability check: the
# medians of the odd and of the even pairs (each half alone) differ by at
# most 0.02, else more pairs are needed (REPEATS). One discarded warm-up
# run per transport first (caches, the server's buffers).
# Budget: TPS with bulwark >= 0.97 of TPS without.
#
# pgbench runs like an application: outside any login session, so its
# plain SELECTs are counted in the kernel, not reported (see
# docs/capture.md). IN_SESSION=1 runs it in a fresh login session and
# ALL=1 passes --db-all-statements: every statement becomes an event
# (rules, journal), the worst case.
#
# The kill rules are live (no --no-kill): pgbench runs outside login
# sessions and sends no DROP DATABASE, so nothing is killed; NO_KILL=1
# runs with --no-kill (then nothing is held either).
#
#   bench/bench_pgbench.sh            # 8 pairs x 5 s per transport and mode
#   MODES=N bench/bench_pgbench.sh    # -N only (MODES="S N" by default)
#   BW_ARGS=--no-db-hold bench/bench_pgbench.sh   # the same without holding
#   REPEATS=10 SECS=15 CLIENTS=4 JOBS=2 SCALE=10 bench/bench_pgbench.sh
#   IN_SESSION=1 bench/bench_pgbench.sh
#   BW_ARGS="--db-binary none" bench/bench_pgbench.sh   # any extra run option
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BULWARK=${BULWARK:-$ROOT/build/bulwark}
REPEATS=${REPEATS:-8}
SECS=${SECS:-5}
CLIENTS=${CLIENTS:-4}
JOBS=${JOBS:-2}
SCALE=${SCALE:-10}
IN_SESSION=${IN_SESSION:-0}
ALL=${ALL:-0}
MODES=${MODES:-S N}
NO_KILL=${NO_KILL:-0}
BUDGET=0.97
[ "$(id -u)" -eq 0 ] || { echo "bench_pgbench: needs root (it loads BPF)" >&2; exit 1; }
[ -x "$BULWARK" ] || { echo "bench_pgbench: build first: make" >&2; exit 1; }
. "$ROOT/tests/e2e/db_servers.sh"
. "$ROOT/bench/lib.sh"
bench_refuse_pinned

TMP=$(mktemp -d /tmp/bulwark-pgbench.XXXXXX)
BW_PID=""
cleanup() {
	[ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2> /dev/null && wait "$BW_PID" 2> /dev/null
	pg_stop
	rm -rf "$TMP"
}
trap cleanup EXIT

pg_start || { echo "bench_pgbench: postgres did not start" >&2; exit 1; }
pgbench -i -q -s "$SCALE" -h "$PG_SOCKDIR" -p "$PG_PORT" -U "$DB_USER" "$DB_NAME" > "$TMP/init.log" 2>&1 ||
	{ cat "$TMP/init.log" >&2; exit 1; }

# bulwark for pgbench's server, with the options of this run
bw_start_pg() {
	local extra=()
	[ "$ALL" = 1 ] && extra=(--db-all-statements)
	[ "$NO_KILL" = 1 ] && extra+=(--no-kill)
	# shellcheck disable=SC2206
	extra+=(${BW_ARGS:-})
	bw_start --db-port "pg:$PG_PORT" "${extra[@]}"
}

# run_pgbench TRANSPORT: prints the TPS
run_pgbench() {
	local host=$PG_SOCKDIR session=4294967295
	[ "$1" = tcp ] && host=127.0.0.1
	[ "$IN_SESSION" = 1 ] && session=4250
	# a fresh login session (or none: loginuid unset), whatever the caller's
	sh -c 'echo "$1" > /proc/self/loginuid && shift && exec "$@"' sh "$session" \
		env PGPASSWORD="$DB_PASS" PGSSLMODE=disable pgbench -n "-$MODE" -M simple -c "$CLIENTS" \
		-j "$JOBS" -T "$SECS" -h "$host" -p "$PG_PORT" -U "$DB_USER" "$DB_NAME" 2> /dev/null |
		awk '/^tps = / { printf "%.0f\n", $3; exit }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# one configuration run: MODE (none|bulwark) TRANSPORT
one() {
	local tps
	if [ "$1" = bulwark ]; then
		bw_start_pg || return 1
		sleep 1
	fi
	tps=$(run_pgbench "$2")
	if [ "$1" = bulwark ]; then
		bw_stop
		grep -E 'ringbuf_drops|^  events |db_reads|reads_not|server_dups|backends_held' "$TMP/status.txt" |
			tr -s ' ' | paste -sd' ' > "$TMP/last_status"
	fi
	echo "${tps:-0}"
}

rc=0
for MODE in $MODES; do
	echo "pgbench -$MODE -M simple -c $CLIENTS -j $JOBS -T $SECS, scale $SCALE, $REPEATS pairs;" \
		"$([ "$IN_SESSION" = 1 ] && echo "in a login session" || echo "outside login sessions")" \
		"$([ "$ALL" = 1 ] && echo "(--db-all-statements)") ${BW_ARGS:-}"
	declare -A results
	for transport in unix tcp; do
		: > "$TMP/none.$transport"; : > "$TMP/bulwark.$transport"; : > "$TMP/ratio.$transport"
		printf '  %-5s warm-up  %8s tps (discarded)\n' "$transport" "$(run_pgbench "$transport")"
		for r in $(seq 1 "$REPEATS"); do
			# ABBA order: none first on odd pairs, bulwark first on even pairs
			if [ $((r % 2)) = 1 ]; then order="none bulwark"; else order="bulwark none"; fi
			declare -A pair=()
			for mode in $order; do
				tps=$(one "$mode" "$transport")
				pair[$mode]=$tps
				echo "$tps" >> "$TMP/$mode.$transport"
				printf '  %-5s pair %d %-8s %8s tps' "$transport" "$r" "$mode" "$tps"
				[ "$mode" = bulwark ] && printf '   (%s)' "$(cat "$TMP/last_status")"
				printf '\n'
			done
			awk -v a="${pair[bulwark]}" -v b="${pair[none]}" 'BEGIN { if (b > 0) printf "%.4f\n", a / b }' \
				>> "$TMP/ratio.$transport"
		done
		results[$transport]="$(median < "$TMP/none.$transport") $(median < "$TMP/bulwark.$transport") $(median < "$TMP/ratio.$transport")"
	done

	for transport in unix tcp; do
		read -r none bw ratio <<< "${results[$transport]}"
		ratio=$(awk -v r="$ratio" 'BEGIN { printf "%.3f", r }')
		ok=$(awk -v r="$ratio" -v b="$BUDGET" 'BEGIN { print (r >= b) ? "ok" : "OVER BUDGET" }')
		[ "$ok" = ok ] || rc=1
		printf 'pgbench -%s %s: no monitor %.0f tps, bulwark %.0f tps, ratio %s (budget >= %s) %s\n' \
			"$MODE" "$transport" "$none" "$bw" "$ratio" "$BUDGET" "$ok"
		printf '  pair ratios: %s\n' "$(sort -n "$TMP/ratio.$transport" | paste -sd' ')"
		sort -n "$TMP/ratio.$transport" | awk '{ v[NR] = $1 } END {
			printf "  spread: min %.3f, quartiles %.3f..%.3f, max %.3f\n", v[1], v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)], v[NR] }'
		odd=$(awk 'NR % 2 == 1' "$TMP/ratio.$transport" | median); even=$(awk 'NR % 2 == 0' "$TMP/ratio.$transport" | median)
		awk -v a="$odd" -v b="$even" 'BEGIN { d = a - b; if (d < 0) d = -d
			printf "  stability: median of odd pairs %.3f, of even pairs %.3f: %s\n", a, b,
				(d <= 0.02) ? "stable" : "NOT STABLE (run more pairs: REPEATS=16)" }'
	done
done
exit $rc
