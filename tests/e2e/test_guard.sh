#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Self-protection end to end, each attempt from its own fresh login session:
# kill -9 of the daemon and then rm -rf of a protected tree, the daemon
# killed from outside and the tree attacked while no daemon runs, bpftool
# link detach, removing the pins, and unmounting the bpffs that holds them.
# Each is alerted, the session stopped, and enforcement holds. The pins
# live in this test's own bpffs instance (lib.sh), and are unloaded at the
# end. Prints a table: attempt, backend, outcome, files lost.
# Only the daemon started here is signalled; only trees made here are removed.
. "$(dirname "$0")/lib.sh"
e2e_need_root

N=${GUARD_FILES:-2000}
TABLE=$E2E_TMP/table.txt
: > "$TABLE"
row() { printf '%-44s | %-10s | %-58s | %s\n' "$1" "$2" "$3" "$4" >> "$TABLE"; }

make_tree() { rm -rf "$1"; mkdir -p "$1/base"; (cd "$1/base" && seq 1 "$N" | xargs touch); }
left_in() { find "$1" -type f 2>/dev/null | wc -l; }
dead() { [ ! -e "/proc/$1" ] || grep -q ') Z' "/proc/$1/stat" 2>/dev/null; }
links() { ls "$BW_PIN_DIR/links" 2>/dev/null | wc -l; }
backend() { grep -o 'enforcement [a-z-]*' "$BW_ERR" | head -1 | cut -d' ' -f2; }

P=$E2E_TMP/protected
make_tree "$P"
BW_KEEP_PINS=1
trap 'e2e_cleanup' EXIT INT TERM
start() { bw_start --rules "$E2E_ROOT/rules" --protect "$P" "$@"; }
# kill9_daemon: SIGKILL from this script (not a login session), as the OOM killer or a crash would
kill9_daemon() { kill -9 "$BW_PID"; wait "$BW_PID" 2>/dev/null; BW_PID=""; }

start || { fail guard_start "daemon did not start"; cat "$BW_ERR"; exit 1; }
BACKEND=$(backend)
check guard_pinned test "$(links)" -gt 10
check guard_ready_says_pinned grep -q "pinned in $BW_PIN_DIR" "$BW_ERR"

# --- 1. kill -9 of the daemon from a session, then rm -rf: the sender's session dies at once
in_session 7101 "/bin/kill -9 $BW_PID; sleep 2; rm -rf $P; /bin/touch $E2E_TMP/s1" 2>/dev/null
SID1=$(session_of 7101)
sleep 0.5
check guard_kill9_daemon_died dead "$BW_PID"
wait "$BW_PID" 2>/dev/null; BW_PID=""
lost=$((N - $(left_in "$P")))
check guard_kill9_at_most_one_lost test "$lost" -le 1
check guard_kill9_session_stopped test ! -e "$E2E_TMP/s1"
check guard_kill9_pins_survive test "$(links)" -gt 10
cp "$BW_OUT" "$E2E_TMP/out.run1"
start || { fail guard_restart "daemon did not start again"; exit 1; }
wait_json '.rule == "Monitor was down"' 5
gap=$(json_first '.rule == "Monitor was down"')
check guard_gap_alerted test -n "$gap"
check guard_gap_names_sigkill sh -c "echo '$gap' | grep -q 'stopped by SIGKILL'"
check guard_gap_names_session sh -c "echo '$gap' | grep -q 'session $SID1'"
wait_json ".rule == \"Signal sent to bulwark\" and .output_fields[\"session.id\"] == $SID1" 5
check guard_kill9_attempt_reported test -n "$(json_first ".rule == \"Signal sent to bulwark\" and .output_fields[\"session.id\"] == $SID1")"
check guard_kill9_quarantine_seen test -n "$(json_first ".[\"evt.type\"] == \"kernel_kill\" and .[\"session.id\"] == $SID1")"
row "kill -9 daemon, then rm -rf (same session)" "$BACKEND" "sender killed, session quarantined; daemon died; gap alerted" "$lost"

# --- 2. daemon killed from outside, then rm -rf while no daemon runs: the pinned kernel path holds
make_tree "$P"
kill9_daemon
# no daemon to finish the session: its next fork or exec dies (the quarantine is pinned)
in_session 7102 "rm -rf $P; /bin/touch $E2E_TMP/s2" 2>/dev/null
SID2=$(session_of 7102)
lost=$((N - $(left_in "$P")))
check guard_down_at_most_one_lost test "$lost" -le 1
check guard_down_session_stopped test ! -e "$E2E_TMP/s2"
start || { fail guard_restart2 "daemon did not start again"; exit 1; }
wait_json '.rule == "Monitor was down"' 5
wait_json ".rule == \"Deletion below a protected tree (kernel enforcement)\" and .output_fields[\"session.id\"] == $SID2" 5
check guard_down_deletion_reported_after_restart test -n "$(json_first ".rule == \"Deletion below a protected tree (kernel enforcement)\" and .output_fields[\"session.id\"] == $SID2")"
row "daemon killed (no session), rm -rf while down" "$BACKEND" "rm killed by the pinned program; reported after restart" "$lost"

# --- 3. bpftool link detach of one of bulwark's links
make_tree "$P"
# the link of this daemon's newest kill hook (names are cut to 15 bytes: tp_enter_kill_g)
PID_=$(bpftool prog show -j 2>/dev/null | jq -r '[.[] | select(.name == "tp_enter_kill_g" or .name == "fentry_guard_ki") | .id] | max')
LID=$(bpftool link show -j 2>/dev/null | jq -r ".[] | select(.prog_id == $PID_) | .id" | head -1)
in_session 7103 "bpftool link detach id $LID; /bin/touch $E2E_TMP/s3" 2>/dev/null
SID3=$(session_of 7103)
wait_json ".rule == \"bulwark's BPF objects tampered with\" and .output_fields[\"session.id\"] == $SID3" 5
check guard_link_detach_alerted test -n "$(json_first ".rule == \"bulwark's BPF objects tampered with\" and .output_fields[\"session.id\"] == $SID3")"
check guard_link_detach_session_stopped test ! -e "$E2E_TMP/s3"
in_session 7113 "rm -rf $P" 2>/dev/null
lost=$((N - $(left_in "$P")))
check guard_link_detach_enforcement_holds test "$lost" -le 1
res=$(json_first ".[\"evt.type\"] == \"bpf\" and .[\"guard.target\"] != null and .[\"session.id\"] == $SID3" | jq -r '.["evt.rawres"]')
row "bpftool link detach id $LID" "$BACKEND" "caller killed, session quarantined; detach res $res" "$lost"

# --- 4. removing the pins
make_tree "$P"
before=$(links)
in_session 7104 "rm -rf $BW_PIN_DIR; /bin/touch $E2E_TMP/s4" 2>/dev/null
SID4=$(session_of 7104)
check guard_rm_pins_session_stopped test ! -e "$E2E_TMP/s4"
wait_json ".output_fields[\"session.id\"] == $SID4 and (.rule | test(\"protected tree\"))" 5
check guard_rm_pins_alerted test -n "$(json_first ".output_fields[\"session.id\"] == $SID4 and (.rule | test(\"protected tree\"))")"
sleep 2
check guard_rm_pins_restored test "$(links)" -ge "$before"
in_session 7114 "rm -rf $P" 2>/dev/null
lost=$((N - $(left_in "$P")))
check guard_rm_pins_enforcement_holds test "$lost" -le 1
row "rm -rf of the pin dir" "$BACKEND" "rm killed at its first unlink, session quarantined; re-pinned" "$lost"

# --- 5. unmounting the bpffs that holds the pins (this test's own instance, lazily)
make_tree "$P"
in_session 7105 "umount -l $E2E_BPFFS; /bin/touch $E2E_TMP/s5" 2>/dev/null
SID5=$(session_of 7105)
check guard_umount_session_stopped test ! -e "$E2E_TMP/s5"
wait_json ".rule == \"bpffs or tracefs unmounted\" and .output_fields[\"session.id\"] == $SID5" 5
check guard_umount_alerted test -n "$(json_first ".rule == \"bpffs or tracefs unmounted\" and .output_fields[\"session.id\"] == $SID5")"
wait_json '.rule == "Pins removed"' 5
sleep 1
check guard_umount_repinned test "$(links)" -gt 10
kill9_daemon
in_session 7115 "rm -rf $P" 2>/dev/null
lost=$((N - $(left_in "$P")))
check guard_umount_enforcement_holds_after_kill test "$lost" -le 1
res=$(json_first ".[\"evt.type\"] == \"umount2\" and .[\"session.id\"] == $SID5" | jq -r '.["evt.rawres"]')
row "umount -l of the pins' bpffs" "$BACKEND" "caller killed, session quarantined; umount res $res; re-pinned" "$lost"

# --- 6. a second daemon on the same pins is refused; unload removes everything
start || { fail guard_restart3 "daemon did not start again"; exit 1; }
# --- 6a. a BPF program loaded by anyone is reported, and is no attempt: nobody is killed
LOADER=$E2E_ROOT/build/helpers/bpf_prog_load
[ -x "$LOADER" ] || make -s build/helpers/bpf_prog_load > /dev/null 2>&1
in_session 7106 "$LOADER && /bin/touch $E2E_TMP/s6" 2>/dev/null
SID6=$(session_of 7106)
"$LOADER"
load_ev=".[\"evt.type\"] == \"bpf\" and .[\"evt.arg.cmd\"] == \"BPF_PROG_LOAD\""
wait_json "$load_ev and .[\"session.id\"] == $SID6" 5
l=$(json_first "$load_ev and .[\"session.id\"] == $SID6")
check guard_prog_load_reported test -n "$l"
check guard_prog_load_loaded test "$(echo "$l" | jq '.["evt.rawres"] >= 0')" = true
check guard_prog_load_no_target test "$(echo "$l" | jq -r '.["guard.target"] // "none"')" = none
check guard_prog_load_session_lives test -e "$E2E_TMP/s6"
wait_json "$load_ev and .[\"session.id\"] == 4294967295 and .[\"proc.name\"] == \"bpf_prog_load\"" 5
check guard_prog_load_reported_outside_sessions test -n "$(json_first "$load_ev and .[\"session.id\"] == 4294967295 and .[\"proc.name\"] == \"bpf_prog_load\"")"
check guard_prog_load_no_alert test -z "$(json_first ".output_fields[\"session.id\"] == $SID6")"

# --- 6b. loading a kernel module from a session (finit_module(2) of a file that is no module:
# the kernel refuses it, nothing is loaded; the attempt is what counts): alerted, session stopped
if [ ! -e /proc/modules ]; then
	skip guard_module "this kernel has no module support (CONFIG_MODULES=n, no /proc/modules): nothing to load; make vmtest covers it on Debian's kernels"
else
	FINIT=$E2E_ROOT/build/helpers/finit_module
	[ -x "$FINIT" ] || make -s build/helpers/finit_module > /dev/null 2>&1
	printf 'not a module\n' > "$E2E_TMP/notamodule.ko"
	in_session 7107 "$FINIT $E2E_TMP/notamodule.ko; sleep 2; /bin/touch $E2E_TMP/s7" 2>/dev/null
	SID7=$(session_of 7107)
	R7=".rule == \"Kernel module loaded from a login session\" and .output_fields[\"session.id\"] == $SID7"
	wait_json "$R7" 5
	m=$(json_first "$R7")
	check guard_module_alerted test -n "$m"
	check guard_module_names_loginuid test "$(echo "$m" | jq '.output_fields["user.loginuid"]')" = 7107
	check guard_module_session_stopped test ! -e "$E2E_TMP/s7"
	mres=$(json_first ".[\"evt.type\"] == \"finit_module\" and .[\"session.id\"] == $SID7" | jq -r '.["evt.res"]')
	check guard_module_event_finit test -n "$mres"
	row "finit_module(2) of a file" "$BACKEND" "alerted, session killed; finit_module res $mres" 0
fi

out=$("$BULWARK" run --rules "$E2E_ROOT/rules" --journal "$E2E_TMP/j2" --run-dir "$E2E_TMP/run2" \
	--pin-dir "$BW_PIN_DIR" --heartbeat 0 2>&1); rc=$?
check guard_second_daemon_refused test "$rc" -eq 1
check guard_second_daemon_says_why sh -c "echo '$out' | grep -q 'another bulwark daemon'"
"$BULWARK" unload --pin-dir "$BW_PIN_DIR" -j "$E2E_TMP/unload-journal" > "$E2E_TMP/unload.out" 2>&1
check guard_unload_ok test $? -eq 0
wait "$BW_PID" 2>/dev/null; BW_PID=""
check guard_unload_alerted grep -q '"rule":"Enforcement unloaded"' "$BW_OUT"
check guard_unload_removed test ! -e "$BW_PIN_DIR/links"
check guard_unload_nothing_attached test "$(bpftool prog show 2>/dev/null | grep -c '_g  ')" -eq 0

echo "# attempt | backend | outcome | files lost (of $N)"
sed 's/^/# /' "$TABLE"
cp "$TABLE" "${GUARD_TABLE:-/dev/null}" 2>/dev/null
e2e_summary
