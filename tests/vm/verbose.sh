#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Run INSIDE a test guest instead of guest.sh (VM_GUEST=tests/vm/verbose.sh
# tests/vm/run.sh): starts bulwark with --verbose and the default rules,
# keeps libbpf's load log with each refused program's verifier log in
# $VM_RESULTS/verbose.log, and prints its "refused" lines and the ready
# line. For finding why a kernel refuses a program; no scenario runs.
VM_RESULTS=${VM_RESULTS:-/tmp/vm-results}
mkdir -p "$VM_RESULTS"
exec > >(tee "$VM_RESULTS/results.txt") 2>&1
cd "$(dirname "$0")/../.." || exit 1
run=$(mktemp -d)
build/bulwark run --verbose --no-kill --rules rules --journal "$run/journal" --run-dir "$run/run" \
	> /dev/null 2> "$VM_RESULTS/verbose.log" &
pid=$!
for _ in $(seq 1 1800); do
	grep -q ' ready' "$VM_RESULTS/verbose.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
grep -E 'refused|ready|^bulwark:' "$VM_RESULTS/verbose.log" | cut -c1-600 | sed 's/^/# /'
build/bulwark status --run-dir "$run/run" > "$VM_RESULTS/status.txt" 2>&1
kill -TERM "$pid" 2>/dev/null
wait "$pid"
echo "0 passed, 0 failed"
