#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The one test runner: unit tests (no root), then end-to-end tests (root).
# Counts "PASS name" / "FAIL name" lines from every test and ends with
# "N passed, N failed". With CI=true, end-to-end tests fail instead of
# skipping when they cannot run.
#   tests/run.sh [--unit|--e2e] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.."
mode=all; filter=""
for a in "$@"; do
	case "$a" in
	--unit) mode=unit ;; --e2e) mode=e2e ;;
	-h|--help) sed -n '3,8p' "$0"; exit 0 ;;
	*) filter="$a" ;;
	esac
done
BUILD=${BUILD:-build}
LOGDIR=${LOGDIR:-$BUILD/test-logs}
mkdir -p "$LOGDIR"
passed=0; failed=0; failures=()

count() { # $1 = log file, $2 = suite name, $3 = exit code
	local p f
	p=$(grep -c '^PASS ' "$1"); f=$(grep -c '^FAIL ' "$1")
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $2: exited with $3 without reporting a failure (see $1)"
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
	grep '^FAIL ' "$1" | sed "s|^FAIL |FAIL [$2] |" | while read -r l; do failures+=("$l"); echo "  $l"; done
}

run_one() { # $1 = suite name, rest = command
	local name=$1; shift
	local log="$LOGDIR/$name.log" t0 rc
	t0=$(date +%s%N)
	timeout --kill-after=10 ${TEST_TIMEOUT:-300} "$@" > "$log" 2>&1; rc=$?
	printf '%-28s %3d passed %3d failed  %6d ms\n' "$name" "$(grep -c '^PASS ' "$log")" \
		"$(grep -c '^FAIL ' "$log")" "$(( ($(date +%s%N) - t0) / 1000000 ))"
	count "$log" "$name" "$rc"
}

if [ "$mode" != e2e ]; then
	echo "== unit tests"
	for t in "$BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		[ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
		run_one "$(basename "$t")" "$t"
	done
	for t in tests/layers.sh tests/cli.sh tests/replay/run.sh tests/fuzz/smoke.sh; do
		[ -x "$t" ] || continue
		[ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
		name=$(basename "$(dirname "$t")"); [ "$name" = tests ] && name=$(basename "$t" .sh)
		run_one "$name" "$t"
	done
fi

if [ "$mode" != unit ]; then
	echo "== end-to-end tests"
	if [ "$(id -u)" -ne 0 ]; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL e2e: end-to-end tests need root (CI=true)"; failed=$((failed + 1))
		else
			echo "SKIP e2e: end-to-end tests need root; run 'sudo make test'"
		fi
	else
		for t in tests/e2e/test_*.sh; do
			[ -x "$t" ] || continue
			[ -n "$filter" ] && [[ "$t" != *"$filter"* ]] && continue
			run_one "$(basename "$t" .sh)" "$t"
		done
	fi
fi

echo "logs: $LOGDIR"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
