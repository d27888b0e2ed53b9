#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Short CI fuzz run: builds each tests/fuzz/fuzz_*.c target and runs it for
# FUZZ_TIME seconds (default 6: eight targets, with their build, keep the run under 100 s) from a
# copy of its committed corpus.
# Prints "PASS fuzz_x" or "FAIL fuzz_x: why" per target.
#   tests/fuzz/smoke.sh [TARGET...]
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
time_each=${FUZZ_TIME:-6}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The Makefile does not know that targets include tests/fuzz/*.h.
for t in "${targets[@]}"; do
	[ -e "$BUILD/fuzz/$t" ] && [ -n "$(find tests/fuzz -name '*.h' -newer "$BUILD/fuzz/$t")" ] &&
		rm -f "$BUILD/fuzz/$t"
done
# One make for all targets, so that two cores build two at a time.
make -j2 "${targets[@]/#/$BUILD/fuzz/}" > "$work/build.log" 2>&1
for t in "${targets[@]}"; do
	bin=$BUILD/fuzz/$t
	if [ ! -x "$bin" ]; then
		echo "FAIL $t: did not build (make $bin; log below)"
		tail -n 20 "$work/build.log" | sed 's/^/    /'
		continue
	fi
	mkdir -p "$work/$t" "$work/$t.art"
	[ -d "tests/fuzz/corpus/$t" ] && cp "tests/fuzz/corpus/$t"/* "$work/$t"/ 2>/dev/null
	"$bin" "$work/$t" -max_total_time="$time_each" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$t.art/" -print_final_stats=1 > "$work/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log")
	if [ $rc -eq 0 ]; then
		echo "PASS $t ($execs execs in ${time_each}s)"
	else
		crash=$(ls "$work/$t.art" 2>/dev/null | head -n 1)
		mkdir -p "$BUILD/fuzz/artifacts"
		[ -n "$crash" ] && cp "$work/$t.art/$crash" "$BUILD/fuzz/artifacts/"
		echo "FAIL $t: exit $rc; input saved as $BUILD/fuzz/artifacts/${crash:-?}; rerun: $bin $BUILD/fuzz/artifacts/${crash:-?}"
		grep -m 3 -E 'ERROR|SUMMARY|deadly' "$work/$t.log" | sed 's/^/    /'
	fi
done
