#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Covering tracks, with the shipped rules on a live daemon: the real
# auditctl, journalctl, systemctl and ln run in fresh login sessions and
# each raises its alert; the benign look-alikes stay silent. The host's
# audit state is saved first and restored after; journalctl vacuums a
# journal directory of the test's own.
. "$(dirname "$0")/lib.sh"
e2e_need_root
cd "$E2E_ROOT"

H=$E2E_TMP/home; J=$E2E_TMP/journal-dir
mkdir -p "$H" "$J"
echo "ls" > "$H/.bash_history"
audit_enabled=$(auditctl -s 2>/dev/null | awk '$1 == "enabled" { print $2 }')
auditctl -l 2>/dev/null | grep -v '^No rules' > "$E2E_TMP/audit.rules"
restore_audit() {
	[ -s "$E2E_TMP/audit.rules" ] && auditctl -R "$E2E_TMP/audit.rules" >/dev/null 2>&1
	[ -n "$audit_enabled" ] && auditctl -e "$audit_enabled" >/dev/null 2>&1
}
trap 'restore_audit; e2e_cleanup' EXIT

bw_start --rules rules/ --output "file:path=$E2E_TMP/alerts.jsonl" || { fail tracks_start "daemon did not start"; exit 1; }
pass tracks_rules_load

fired() { # fired RULE UID: number of alerts of RULE for loginuid UID
	json_count ".rule == \"$1\" and .output_fields.\"user.loginuid\" == $2"
}

A="Audit rules deleted or auditing turned off"
in_session 4901 "auditctl -D; auditctl -e 0" >/dev/null 2>&1
wait_json ".rule == \"$A\"" 5
check auditctl_delete_and_disable test "$(fired "$A" 4901)" -ge 2
restore_audit
# the same alerts reach a file output given with --output
file_has_alert() { sleep 0.5; grep -c "\"rule\":\"$A\"" "$E2E_TMP/alerts.jsonl" | grep -qx 2; }
check output_file_receives_alerts file_has_alert
in_session 4902 "auditctl -l; auditctl -s" >/dev/null 2>&1

J_RULE="System journal vacuumed from a login session"
in_session 4903 "journalctl --directory=$J --vacuum-time=1s" >/dev/null 2>&1
wait_json ".rule == \"$J_RULE\"" 5
check journal_vacuum test "$(fired "$J_RULE" 4903)" = 1
in_session 4904 "journalctl --directory=$J -n 5" >/dev/null 2>&1

L="Logging or audit service stopped from a login session"
# systemctl needs no running systemd for its exec to be seen
in_session 4905 "systemctl stop rsyslog systemd-journald; systemctl mask auditd" >/dev/null 2>&1
wait_json ".rule == \"$L\"" 5
check log_service_stop test "$(fired "$L" 4905)" -ge 2
in_session 4906 "systemctl status rsyslog; systemctl restart systemd-journald" >/dev/null 2>&1

R="Shell or database client history replaced"
in_session 4907 "ln -sf /dev/null $H/.bash_history"
wait_json ".rule == \"$R\"" 5
check history_symlinked_to_dev_null test "$(fired "$R" 4907)" = 1
check history_is_now_a_symlink test -L "$H/.bash_history"

sleep 1
for uid in 4902 4904 4906; do
	check "benign_silent_$uid" test "$(json_count ".rule != null and .output_fields.\"user.loginuid\" == $uid")" = 0
done
bw_stop
e2e_summary
