#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# make bench: every benchmark, each printing its figures and its budget.
set -u
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (it loads BPF and starts auditd)" >&2; exit 1; }
for b in bench/bench_*.sh; do
	echo "=== $b"
	"$b" || echo "bench: $b failed" >&2
done
