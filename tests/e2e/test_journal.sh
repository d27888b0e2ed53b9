#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The journal through the daemon: events of a login session survive a
# kill -9 of the daemon and come back from `bulwark dump --session`;
# filters and --text; a full disk keeps the daemon running with one alert;
# an unwritable journal directory is a clear error at start.
. "$(dirname "$0")/lib.sh"
e2e_need_root
cd "$E2E_ROOT"

W=$E2E_TMP/w; J=$E2E_TMP/journal
mkdir -p "$W/tree/sub"
cat > "$E2E_TMP/r.yaml" <<'YAML'
- rule: E2E journal alert
  desc: an alert inside the session under test
  condition: evt.type = execve and proc.name = true and proc.cmdline contains "bulwark-e2e-journal"
  output: "journal test alert in session %session.id"
  priority: WARNING
YAML

bw_start --rules "$E2E_TMP/r.yaml" || { fail journal_start "daemon did not start"; exit 1; }
in_session 4901 "
cd $W
touch a b tree/sub/c 'odd
name'
rm a
mv b b2
rm -r tree
rm 'odd
name'
T=bulwark-e2e-
/bin/true \${T}journal
"
SID=$(session_of 4901)
wait_json ".rule == \"E2E journal alert\"" 5
sleep 1.5   # blocks are flushed at least once a second
victim=$BW_PID
kill -9 "$victim"; wait "$victim" 2>/dev/null; BW_PID=""
check journal_daemon_killed test ! -e "/proc/$victim"

jq -c "select(.\"session.id\" == $SID)" "$BW_OUT" | sort > "$E2E_TMP/stream.s"
"$BULWARK" dump --journal "$J" --session "$SID" > "$E2E_TMP/dump.json" 2> "$E2E_TMP/dump.err"
check dump_exit_0 test $? = 0
jq -c "select(.\"evt.type\")" "$E2E_TMP/dump.json" | sort > "$E2E_TMP/dump.s"
check dump_session_has_events test "$(wc -l < "$E2E_TMP/dump.s")" -ge 10
check dump_session_every_streamed_event diff -q "$E2E_TMP/stream.s" "$E2E_TMP/dump.s"
check dump_session_has_alert test "$(jq -c 'select(.rule == "E2E journal alert")' "$E2E_TMP/dump.json" | wc -l)" = 1
check dump_only_that_session test "$(jq -c "select(.\"session.id\" and .\"session.id\" != $SID)" "$E2E_TMP/dump.json" | wc -l)" = 0

# filters
n=$("$BULWARK" dump --journal "$J" --session "$SID" --type unlinkat | wc -l)
check dump_type_filter test "$n" = "$(jq -c "select(.\"evt.type\" == \"unlinkat\")" "$E2E_TMP/dump.s" | wc -l)"
check dump_alerts_filter test "$("$BULWARK" dump --journal "$J" --alerts | jq -r .rule | sort -u)" = "E2E journal alert"
rm_pid=$(jq -r 'select(."evt.type" == "unlinkat" and ."fd.name" == "'"$W"'/a") | ."proc.pid"' "$E2E_TMP/dump.s" | head -1)
check dump_pid_filter test "$("$BULWARK" dump --journal "$J" --pid "$rm_pid" | jq -r '."proc.pid" // empty' | sort -u)" = "$rm_pid"
check dump_since_relative test "$("$BULWARK" dump --journal "$J" --session "$SID" --since 10m | wc -l)" -ge 10
check dump_until_past_is_empty test "$("$BULWARK" dump --journal "$J" --session "$SID" --until 2000-01-01T00:00:00Z | wc -l)" = 0

# --text: a readable timeline with the process tree; hostile bytes escaped
"$BULWARK" dump --journal "$J" --session "$SID" --text > "$E2E_TMP/dump.txt"
check text_has_rm grep -q "rm -r tree" "$E2E_TMP/dump.txt"
check text_has_path grep -q "$W/tree/sub/c" "$E2E_TMP/dump.txt"
check text_has_alert grep -q "E2E journal alert" "$E2E_TMP/dump.txt"
check text_escapes_newline grep -q 'odd\\nname' "$E2E_TMP/dump.txt"
check text_no_raw_control sh -c "! grep -qP '[\x00-\x08\x0b-\x1f]' '$E2E_TMP/dump.txt'"

# a torn tail (as after kill -9 mid-write) is skipped with a warning; the rest is read
seg=$(ls "$J"/seg-*.bwj | tail -1)
printf 'BWB1torn' >> "$seg"
"$BULWARK" dump --journal "$J" --session "$SID" > "$E2E_TMP/dump2.json" 2> "$E2E_TMP/dump2.err"
check torn_tail_exit_0 test $? = 0
check torn_tail_warns grep -q "$(basename "$seg")" "$E2E_TMP/dump2.err"
check torn_tail_rest_intact test "$(wc -l < "$E2E_TMP/dump2.json")" = "$(wc -l < "$E2E_TMP/dump.json")"

# full disk: the daemon keeps running, raises one alert, counts what it lost
M=$E2E_TMP/small
mkdir -p "$M"
if mount -t tmpfs -o size=1m bulwark-e2e-full "$M"; then
	trap 'umount "$M" 2>/dev/null; e2e_cleanup' EXIT
	dd if=/dev/zero of="$M/filler" bs=4k count=1000 status=none 2>/dev/null
	BW_OUT_SAVE=$BW_OUT
	"$BULWARK" run --events --journal "$M/j" --run-dir "$E2E_TMP/run2" --rules "$E2E_TMP/r.yaml" $(bw_pin_args) \
		> "$E2E_TMP/full.out" 2> "$E2E_TMP/full.err" &
	BW_PID=$!; BW_OUT=$E2E_TMP/full.out
	for _ in $(seq 1 100); do grep -q ready "$E2E_TMP/full.err" && break; sleep 0.1; done
	in_session 4902 "cd $W && for i in \$(seq 1 3000); do touch f\$i; done && rm -f f* && T=bulwark-e2e- && /bin/true \${T}journal"
	wait_json '.rule == "Journal disk full"' 8
	check disk_full_one_alert test "$(json_count '.rule == "Journal disk full"')" = 1
	check disk_full_daemon_alive kill -0 "$BW_PID"
	wait_json '.rule == "E2E journal alert"' 5
	check disk_full_still_alerting test "$(json_count '.rule == "E2E journal alert"')" -ge 1
	sleep 1.2
	check disk_full_counted sh -c "jq -e '.journal_stats.lost > 0 and .journal_stats.disk_full' '$E2E_TMP/run2/status.json' > /dev/null"
	bw_stop
	BW_OUT=$BW_OUT_SAVE
	umount "$M"
else
	fail disk_full_setup "cannot mount a tmpfs"
fi

# an unwritable journal directory: clear error, exit 1, before attaching anything
out=$("$BULWARK" run --journal /proc/bulwark-no/journal --run-dir "$E2E_TMP/run3" 2>&1); rc=$?
check journal_unwritable_exit_1 test "$rc" = 1
check journal_unwritable_says_path sh -c "echo \"\$0\" | grep -q '/proc/bulwark-no' && echo \"\$0\" | grep -q -- '--journal'" "$out"
e2e_summary
