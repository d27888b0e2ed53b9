#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# SQL classifier and decoder throughput (statements/s, one core): the
# prefilter path for select-only traffic and the full parse path.
set -u
cd "$(dirname "$0")/.."
[ -x build/bench/sql_bench ] || make -s build/bench/sql_bench
build/bench/sql_bench 2
