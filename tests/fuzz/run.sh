#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Long fuzz runs, one target at a time in one process, so the machine stays usable.
# The working corpus lives in build/fuzz/corpus/<target> (seeded from
# tests/fuzz/corpus/<target>) and grows across runs; crashes go to
# build/fuzz/artifacts/. FUZZ_TIME seconds per target (default 300).
#   tests/fuzz/run.sh [build/fuzz/fuzz_x ...]     (make fuzz passes all of them)
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
time_each=${FUZZ_TIME:-300}
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do bins+=("$BUILD/fuzz/$(basename "$f" .c)"); done
	# the Makefile does not know that targets include tests/fuzz/*.h
	for b in "${bins[@]}"; do
		[ -e "$b" ] && [ -n "$(find tests/fuzz -name '*.h' -newer "$b")" ] && rm -f "$b"
	done
	make -j2 "${bins[@]}" || exit 1
fi
mkdir -p "$BUILD/fuzz/artifacts"
status=0
for bin in "${bins[@]}"; do
	t=$(basename "$bin")
	corpus=$BUILD/fuzz/corpus/$t
	mkdir -p "$corpus"
	[ -d "tests/fuzz/corpus/$t" ] && cp -n "tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null
	echo "== $t: ${time_each}s, corpus $corpus"
	"$bin" "$corpus" -max_total_time="$time_each" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$BUILD/fuzz/artifacts/" -print_final_stats=1 2>&1 |
		grep -E '^(stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)'
	rc=${PIPESTATUS[0]}
	[ "$rc" -ne 0 ] && { echo "FAIL $t: exit $rc"; status=1; }
done
exit $status
