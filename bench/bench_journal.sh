#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Journal throughput: a realistic event mix (unlinkat, execve, fork, exit,
# db_query JSON lines) through journal_append into a temporary directory,
# timed until everything is written and fdatasynced. Budget: >= 500k
# events/s written. Then the cost at the daemon's 200k events/s budget
# (plain journal_append, paced): nothing lost, CPU share shown.
# Needs no root. Uses the disk behind TMPDIR (default /tmp).
#   bench/bench_journal.sh [EVENTS]
set -u
cd "$(dirname "$0")/.."
EVENTS=${1:-${JOURNAL_EVENTS:-3000000}}
BIN=${JOURNAL_BENCH:-build/bench/journal_bench}
BUDGET=500000
[ -x "$BIN" ] || { echo "bench_journal: $BIN is missing; run 'make $BIN'" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/bulwark-journal-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

echo "== journal, full speed ($EVENTS events, zlib level 1, 128 KiB blocks)"
"$BIN" "$T/full" "$EVENTS" | tee "$T/full.out" || exit 1
rate=$(awk '/^events\/s written/ {print $3}' "$T/full.out")
rm -rf "$T/full"

echo "== journal, paced at the daemon's budget (200k events/s for 10 s)"
"$BIN" "$T/paced" 2000000 1 128 200000 | tee "$T/paced.out" || exit 1
lost=$(awk '/^records on disk/ {gsub(/[()]/, ""); print $6}' "$T/paced.out")

status=0
if [ "${rate%.*}" -ge "$BUDGET" ]; then
	echo "journal: ${rate} events/s written (budget >= $BUDGET): ok"
else
	echo "journal: ${rate} events/s written (budget >= $BUDGET): OVER BUDGET"; status=1
fi
if [ "$lost" = 0 ]; then
	echo "journal: 0 records lost at 200k events/s: ok"
else
	echo "journal: $lost records lost at 200k events/s: OVER BUDGET"; status=1
fi
exit $status
