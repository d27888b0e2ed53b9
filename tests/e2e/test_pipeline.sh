#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Event pipeline end to end: real rm, mv, rmdir, truncate, exec in a fresh
# login session; assert on the JSON that `bulwark run --events` printed.
. "$(dirname "$0")/lib.sh"
e2e_need_root

W=$E2E_TMP/work
mkdir -p "$W"
bw_start || { fail pipeline_start "daemon did not start"; exit 1; }
pass pipeline_ready_line

UIDX=4101
in_session $UIDX "
set -e
cd '$W'
mkdir -p tree/a/b keep dir
touch f1 f2 tree/a/x tree/a/b/y 'odd
name' \"\$(printf 'bad\\377byte')\" big
echo data > big
rm f1
mv f2 f2.moved
rmdir dir
cd tree && rm -r a && cd ..
truncate -s 0 big
truncate -s 0 'odd
name'
rm -f 'odd
name' \"\$(printf 'bad\\377byte')\"
/bin/true short-lived-exec-marker
echo done > /dev/null
"
SID=$(session_of $UIDX)
sel="(.\"user.loginuid\" == $UIDX)"
wait_json "$sel and .\"evt.type\" == \"execve\" and .\"proc.cmdline\" == \"/bin/true short-lived-exec-marker\"" 5

check session_id_is_new test "$SID" != 4294967295 -a -n "$SID"

# rm FILE: unlinkat with an absolute path, result 0, rm's cmdline
l=$(json_first "$sel and .\"evt.type\" == \"unlinkat\" and .\"fd.name\" == \"$W/f1\"")
check rm_unlinkat_absolute test -n "$l"
check rm_result_zero test "$(echo "$l" | jq '."evt.rawres"')" = 0
check rm_cmdline test "$(echo "$l" | jq -r '."proc.cmdline"')" = "rm f1"
check rm_exe test "$(echo "$l" | jq -r '."proc.exepath"')" = "$(readlink -f "$(command -v rm)")"
check rm_session_id test "$(echo "$l" | jq '."session.id"')" = "$SID"
check rm_loginuid test "$(echo "$l" | jq '."user.loginuid"')" = "$UIDX"
check rm_parent_is_shell test "$(echo "$l" | jq -r '."proc.pname"')" = sh

# mv: renameat2 (or rename/renameat) with both paths absolute
l=$(json_first "$sel and (.\"evt.type\" | test(\"^rename\")) and .\"fd.name\" == \"$W/f2\"")
check mv_rename_event test -n "$l"
check mv_newname test "$(echo "$l" | jq -r '."fd.newname"')" = "$W/f2.moved"

# rmdir
check rmdir_event test "$(json_count "$sel and .\"evt.type\" == \"rmdir\" and .\"fd.name\" == \"$W/dir\"")" -ge 1

# rm -r from a relative cwd: every file and directory, absolute, via dirfds
for p in tree/a/x tree/a/b/y tree/a/b tree/a; do
	check "rm_r_relative_${p//\//_}" test "$(json_count "$sel and .\"evt.type\" == \"unlinkat\" and .\"fd.name\" == \"$W/$p\"")" -ge 1
done
l=$(json_first "$sel and .\"evt.type\" == \"unlinkat\" and .\"fd.name\" == \"$W/tree/a\"")
check rm_r_dir_flag test "$(echo "$l" | jq '."evt.arg"')" = 512   # AT_REMOVEDIR

# truncate: the coreutils tool opens and ftruncates
check truncate_event test "$(json_count "$sel and (.\"evt.type\" == \"ftruncate\" or .\"evt.type\" == \"truncate\") and .\"fd.name\" == \"$W/big\"")" -ge 1

# hostile bytes: a newline and an invalid UTF-8 byte survive JSON exactly
check newline_path test "$(json_count "$sel and .\"fd.name\" == \"$W/odd\\nname\"")" -ge 2
check invalid_utf8_escaped grep -q 'bad\\udcffbyte' "$BW_OUT"
check output_is_valid_json sh -c "jq -c . '$BW_OUT' > /dev/null"

# a short-lived exec: exe, argv and the session are known
l=$(json_first "$sel and .\"evt.type\" == \"execve\" and .\"proc.cmdline\" == \"/bin/true short-lived-exec-marker\"")
check exec_cmdline test "$(echo "$l" | jq -r '."proc.cmdline"')" = "/bin/true short-lived-exec-marker"
check exec_exe test "$(echo "$l" | jq -r '."proc.exepath"')" = "$(readlink -f /bin/true)"
check exec_session test "$(echo "$l" | jq '."session.id"')" = "$SID"
pid=$(echo "$l" | jq '."proc.pid"')
check fork_seen test "$(json_count "$sel and .\"evt.type\" == \"fork\" and .\"proc.pid\" == $pid")" -ge 1
wait_json "$sel and .\"evt.type\" == \"exit\" and .\"proc.pid\" == $pid" 3
check exit_seen test "$(json_count "$sel and .\"evt.type\" == \"exit\" and .\"proc.pid\" == $pid")" -ge 1

# the daemon never reports itself
check no_self_events test "$(json_count ".\"proc.pid\" == $BW_PID")" = 0

# status shows attached programs and zero drops
"$BULWARK" status --run-dir "$E2E_TMP/run" > "$E2E_TMP/status.txt" 2>&1
check status_runs grep -q 'tp_enter_unlinkat.*attached' "$E2E_TMP/status.txt"
check status_no_drops grep -qE 'ringbuf_drops +0$' "$E2E_TMP/status.txt"

# outside login sessions, file events are not captured unless watched
sh -c "cd '$W' && touch quiet && rm quiet"
sleep 0.5
check no_session_not_captured test "$(json_count ".\"fd.name\" == \"$W/quiet\"")" = 0

# SIGTERM stops cleanly
bw_stop; rc=$?
check sigterm_exit_zero test "$rc" = 0
check sigterm_stopped_line grep -q 'stopped:' "$BW_ERR"

# --watch: a watched tree is captured outside sessions too
mkdir -p "$W/watched/sub"
bw_start --watch "$W/watched" || fail watch_start "daemon did not start"
sh -c "cd '$W/watched/sub' && touch w1 && rm w1 && touch '$W/watched/w2' && rm '$W/watched/w2'"
wait_json ".\"fd.name\" == \"$W/watched/w2\"" 3
check watch_relative_captured test "$(json_count ".\"fd.name\" == \"$W/watched/sub/w1\"")" -ge 1
check watch_absolute_captured test "$(json_count ".\"fd.name\" == \"$W/watched/w2\"")" -ge 1
# a filesystem mounted inside the watched tree is inside it too: at once
# (the kernel walks across the new mount) and after the daemon has learnt
# the mount (its verdict comes from the mount table); one mounted outside
# is not
mkdir -p "$W/watched/m" "$W/outside"
mount -t tmpfs bw-e2e "$W/watched/m" && mount -t tmpfs bw-e2e "$W/outside" &&
	trap 'umount "$W/watched/m" "$W/outside" 2> /dev/null; e2e_cleanup' EXIT
sh -c "cd '$W/watched/m' && touch m1 && rm m1 && cd '$W/outside' && touch o1 && rm o1"
sleep 3
sh -c "cd '$W/watched/m' && touch m2 && rm m2 && cd '$W/outside' && touch o2 && rm o2"
wait_json ".\"fd.name\" == \"$W/watched/m/m2\"" 3
check watch_new_mount_captured test "$(json_count ".\"fd.name\" == \"$W/watched/m/m1\"")" -ge 1
check watch_known_mount_captured test "$(json_count ".\"fd.name\" == \"$W/watched/m/m2\"")" -ge 1
check watch_outside_mount_quiet test "$(json_count "(.\"fd.name\" // \"\") | startswith(\"$W/outside/\")")" = 0
umount "$W/watched/m" "$W/outside"
bw_stop

# refusals: not root
if command -v setpriv > /dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$BULWARK" run 2>&1); rc=$?
	check not_root_refused test "$rc" -ne 0
	check not_root_message sh -c "echo '$out' | grep -q 'needs root'"
fi
e2e_summary
