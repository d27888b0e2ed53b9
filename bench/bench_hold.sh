#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# What a held statement costs (docs/database.md, Prevention): the latency
# of N statements that the kernel flags (they hold a hold word) but the
# rules let through, so each one holds its PostgreSQL backend (SIGSTOP),
# is classified in user space and resumed (SIGCONT). One client, one
# statement per transaction, over a Unix socket, outside login sessions,
# measured three ways: no monitor, bulwark with --no-db-hold (capture
# only) and bulwark holding. Prints p50/p99 of each and the hold's added
# p50/p99 (holding minus capture only).
#
#   bench/bench_hold.sh                # 1000 statements
#   N=5000 bench/bench_hold.sh
#   STMT="CREATE TEMP TABLE IF NOT EXISTS t (i int)" bench/bench_hold.sh
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BULWARK=${BULWARK:-$ROOT/build/bulwark}
N=${N:-1000}
# DO is a hold word whenever any kill rule on statements is loaded (a DO
# body can run anything); this one does nothing destructive
STMT=${STMT:-DO \$\$BEGIN PERFORM 1; END\$\$}
[ "$(id -u)" -eq 0 ] || { echo "bench_hold: needs root (it loads BPF)" >&2; exit 1; }
[ -x "$BULWARK" ] || { echo "bench_hold: build first: make" >&2; exit 1; }
. "$ROOT/tests/e2e/db_servers.sh"
. "$ROOT/bench/lib.sh"

TMP=$(mktemp -d /tmp/bulwark-hold.XXXXXX)
BW_PID=""
cleanup() {
	[ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2> /dev/null && wait "$BW_PID" 2> /dev/null
	pg_stop
	rm -rf "$TMP"
}
trap cleanup EXIT

pg_start || { echo "bench_hold: postgres did not start" >&2; exit 1; }
printf '%s;\n' "$STMT" > "$TMP/stmt.sql"


# run NAME: N transactions of one statement, per-transaction latency (us) in $TMP/NAME.lat
run() {
	rm -f "$TMP"/pgbench_log.*
	(cd "$TMP" && sh -c 'echo 4294967295 > /proc/self/loginuid; exec "$@"' sh \
		pgbench -n -M simple -c 1 -t "$N" -l -f "$TMP/stmt.sql" -h "$PG_SOCKDIR" -p "$PG_PORT" \
		-U "$DB_USER" "$DB_NAME" > "$TMP/$1.log" 2>&1) || { cat "$TMP/$1.log" >&2; return 1; }
	# log lines: client_id transaction_no time(us) script_no time_epoch time_us
	cat "$TMP"/pgbench_log.* | awk '{ print $3 }' | sort -n > "$TMP/$1.lat"
}
pct() { awk -v p="$2" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }' "$TMP/$1.lat"; }

run none || exit 1
bw_start --db-port "pg:$PG_PORT" --no-db-hold || exit 1
run capture || exit 1
bw_stop
bw_start --db-port "pg:$PG_PORT" || exit 1
grep -q "database hold: on" "$TMP/bw.err" || { echo "bench_hold: holding did not turn on:" >&2; cat "$TMP/bw.err" >&2; exit 1; }
run hold || exit 1
sleep 2  # the status file's counters are refreshed once a second
bw_stop
held=$(grep -iE 'backends.held' "$TMP/status.txt" | grep -oE '[0-9]+' | tail -1)

echo "held statements: $N x '$STMT' over a Unix socket, one client (pgbench -c 1 -t $N -l)"
for m in none capture hold; do
	printf '  %-8s p50 %6s us  p99 %6s us\n' "$m" "$(pct $m 50)" "$(pct $m 99)"
done
printf 'hold added latency: p50 %s us, p99 %s us (holding minus capture only); backends held: %s\n' \
	"$(( $(pct hold 50) - $(pct capture 50) ))" "$(( $(pct hold 99) - $(pct capture 99) ))" "${held:-?}"
