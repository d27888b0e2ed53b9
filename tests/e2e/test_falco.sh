#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Falco's field meanings on live events: a real exec with its own argv[0]
# (bash's exec -a) in a fresh login session; asserts on the event JSON
# (proc.exe, proc.exepath, ancestors, proc.cwd, proc.sid, group.*) and on the
# alert of a Falco-dialect rule (tests/falco/e2e.yaml) with an exception.
. "$(dirname "$0")/lib.sh"
e2e_need_root

W=$E2E_TMP/work
mkdir -p "$W"
bw_start --rules "$E2E_ROOT/tests/falco/e2e.yaml" || { fail falco_start "daemon did not start"; exit 1; }
pass falco_ready_line

UIDX=4114
# a secret in the environment only, not on any command line
printf 'export BW_E2E_SECRET=hunter2-e2e\n' > "$W/secret.env"
printf 'hunter2-e2e\n' > "$W/secret.pat"
# no command line may hold the secret either (the daemon reports every exec)
no_secret() { ! grep -q -f "$W/secret.pat" "$1"; }
in_session $UIDX "
cd '$W'
cut -d' ' -f6 /proc/self/stat > '$W/sid'
bash -c 'exec -a bw-e2e-argv0 sleep 0.2'
bash -c 'exec -a bw-e2e-argv0 sleep 0.01'
: > e2e.log
python3 -c 'import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)'
(. '$W/secret.env'; GLIBC_TUNABLES=glibc.malloc.check=0 bash -c 'exec -a bw-e2e-env sleep 0.3')
bash -c 'exec -a bw-e2e-caps sleep 0.3'
grep CapEff /proc/self/status | cut -f2 > '$W/capeff'
"
SID=$(session_of $UIDX)
sel="(.\"user.loginuid\" == $UIDX)"
ev="$sel and .\"evt.type\" == \"execve\" and .\"proc.exe\" == \"bw-e2e-argv0\""
wait_json "$ev and .\"proc.cmdline\" == \"bw-e2e-argv0 0.01\"" 5
l=$(json_first "$ev and .\"proc.cmdline\" == \"bw-e2e-argv0 0.2\"")
check falco_exec_event test -n "$l"
check falco_proc_exe_is_argv0 test "$(echo "$l" | jq -r '."proc.exe"')" = bw-e2e-argv0
check falco_proc_exepath test "$(echo "$l" | jq -r '."proc.exepath"')" = "$(readlink -f "$(command -v sleep)")"
check falco_proc_cwd test "$(echo "$l" | jq -r '."proc.cwd"')" = "$(readlink -f "$W")"
check falco_ancestor_2 test -n "$(echo "$l" | jq -r '."proc.aname[2]" // empty')"
# proc.sid is the session id procfs shows (0 in a container whose session
# leader lies outside its pid namespace, as on CI): the shell's, inherited
check falco_proc_sid test "$(echo "$l" | jq '."proc.sid"')" = "$(cat "$W/sid")"
check falco_group_gid test "$(echo "$l" | jq '."group.gid"')" = "$(id -g)"
check falco_session test "$(echo "$l" | jq '."session.id"')" = "$SID"

a=$(jq -c 'select(.rule == "E2E renamed argv0 under a shell")' "$BW_OUT")
check falco_rule_fired_once test "$(echo "$a" | grep -c .)" = 1
check falco_alert_fields test "$(echo "$a" | jq -r '.output_fields."proc.exe"')" = bw-e2e-argv0
check falco_alert_aname test "$(echo "$a" | jq -r '.output_fields."proc.aname[1]"')" = sh
check falco_alert_loginuid test "$(echo "$a" | jq '.output_fields."user.loginuid"')" = "$UIDX"
check falco_exception_silences_0_01 sh -c "! echo '$a' | grep -q '0.01'"

# Falco's open_write macro (fd.typechar, fd.num) on a live O_TRUNC open
wait_json '.rule == "E2E log truncated"' 5
t=$(json_first '.rule == "E2E log truncated"')
check falco_open_write_fired test -n "$t"
check falco_open_write_fd_num test "$(echo "$t" | jq '.output_fields."fd.num" >= 0')" = true
check falco_open_write_typechar test "$(echo "$t" | jq -r '.output_fields."fd.typechar"')" = f
check falco_open_write_name test "$(echo "$t" | jq -r '.output_fields."fd.name"')" = "$(readlink -f "$W")/e2e.log"

# a live ptrace(PTRACE_TRACEME) by Falco's argument name
wait_json '.rule == "E2E ptrace traceme"' 5
p=$(json_first '.rule == "E2E ptrace traceme"')
check falco_ptrace_request_fired test -n "$p"
check falco_ptrace_request_name test "$(echo "$p" | jq -r '.output')" = "traceme by python3 request=PTRACE_TRACEME"

# proc.env: rules see it; the event JSON and the journal never hold it
wait_json '.rule == "E2E glibc tunables"' 5
check falco_env_rule_fired test -n "$(json_first '.rule == "E2E glibc tunables"')"
check falco_env_not_in_events no_secret "$BW_OUT"
# thread.cap_effective by name, proc.cap_effective the mask /proc shows
wait_json '.rule == "E2E capable exec"' 5
c=$(json_first '.rule == "E2E capable exec"')
check falco_caps_rule_fired test -n "$c"
check falco_caps_mask test "$(echo "$c" | jq -r '.output_fields."proc.cap_effective"')" = "$((16#$(cat "$W/capeff")))"
check falco_caps_names sh -c "echo '$c' | jq -r .output | grep -q 'CAP_CHOWN CAP_DAC_OVERRIDE'"
bw_stop
"$BULWARK" dump --journal "$E2E_TMP/journal" > "$E2E_TMP/dump.json" 2>/dev/null
check falco_env_exec_in_journal grep -q bw-e2e-env "$E2E_TMP/dump.json"
check falco_env_not_in_journal no_secret "$E2E_TMP/dump.json"
e2e_summary
