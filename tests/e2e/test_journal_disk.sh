#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Journal on a really full disk (root: mounts its own 4 MiB tmpfs). The
# journal is written at 20k events/s into a tmpfs left with ~200 KiB free;
# after 3 s a filler file is deleted, so space comes back, then runs out
# again. Asserts: every record is on disk or counted lost; nothing written
# is damaged (failed writes are truncated back); the gap is on record as a
# "drop" note; `bulwark dump` reads it all and exits 0.
set -u
. "$(dirname "$0")/lib.sh"
JB=${JOURNAL_BENCH:-$E2E_ROOT/build/bench/journal_bench}
MNT=$E2E_TMP/small
EVENTS=160000

if [ ! -x "$JB" ]; then
	make -C "$E2E_ROOT" -s "${JB#"$E2E_ROOT"/}" >/dev/null 2>&1
fi
if [ ! -x "$JB" ] || [ ! -x "$BULWARK" ]; then
	fail journal_disk_setup "needs $JB and $BULWARK; run 'make all build/bench/journal_bench'"
	exit 1
fi
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=4m,mode=0700 bulwark-e2e-journal "$MNT"; then
	fail journal_disk_setup "cannot mount a tmpfs on $MNT (needs root)"
	exit 1
fi
trap 'umount "$MNT" 2>/dev/null; e2e_cleanup' EXIT

# Leave about 200 KiB: dd stops with ENOSPC at the end, which is expected.
dd if=/dev/zero of="$MNT/filler" bs=64k count=61 status=none 2>/dev/null
"$JB" "$MNT/journal" "$EVENTS" 1 128 20000 > "$E2E_TMP/bench.out" 2> "$E2E_TMP/bench.err" &
JB_PID=$!
sleep 3
rm -f "$MNT/filler"
wait "$JB_PID"; rc=$?
cat "$E2E_TMP/bench.out" "$E2E_TMP/bench.err" > "$E2E_TMP/bench.log"

check journal_disk_writer_survives_enospc [ "$rc" -eq 0 ]
ondisk=$(awk '/^records on disk/ {print $4}' "$E2E_TMP/bench.out")
lost=$(awk '/^records on disk/ {gsub(/[()]/, ""); print $6}' "$E2E_TMP/bench.out")
ondisk=${ondisk:-0}; lost=${lost:-0}
check journal_disk_some_records_lost_and_counted [ "$lost" -gt 0 ]
check journal_disk_some_records_written [ "$ondisk" -gt 0 ]
check journal_disk_every_record_written_or_counted [ $((ondisk + lost)) -eq "$EVENTS" ]

"$BULWARK" dump --journal "$MNT/journal" > "$E2E_TMP/dump.out" 2> "$E2E_TMP/dump.err"; drc=$?
check journal_disk_dump_exits_0 [ "$drc" -eq 0 ]
check journal_disk_nothing_damaged bash -c "! grep -q damaged '$E2E_TMP/dump.err'"
notes=$(grep -c '"drop.reason":"journal: records not written' "$E2E_TMP/dump.out")
events=$(grep -vc '"drop.reason":"journal: records not written' "$E2E_TMP/dump.out")
check journal_disk_dump_reads_every_written_record [ "$events" -eq "$ondisk" ]
check journal_disk_gap_is_on_record [ "$notes" -ge 1 ]
check journal_disk_dump_output_is_json bash -c "jq -e . '$E2E_TMP/dump.out' > /dev/null"

echo "journal_disk: $ondisk written, $lost lost and counted, $notes drop notes"
[ "$E2E_FAILED" -eq 0 ]
