#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The shipped rules on a live daemon: real destructive commands in fresh
# login sessions raise the right alerts (one kills its session); benign
# look-alikes stay silent; a local file extends a shipped list; SIGHUP
# reloads, and a broken reload keeps the old rules.
. "$(dirname "$0")/lib.sh"
e2e_need_root
cd "$E2E_ROOT"

D=$E2E_TMP/pgdata; H=$E2E_TMP/home; S=/srv/bulwark-e2e-$$
mkdir -p "$D/base/16384" "$H/dev/build/obj" "$S"
trap 'rm -rf "$S"; e2e_cleanup' EXIT
(cd "$D/base/16384" && seq 1 50 | xargs touch)
(cd "$H/dev/build/obj" && seq 1 400 | xargs touch)
(cd "$S" && seq 1 300 | xargs touch)
echo "secret" > "$E2E_TMP/secret.txt"
echo "ls" > "$H/.bash_history"

# a local file extends the shipped list of data directories
cat > "$E2E_TMP/local.yaml" <<YAML
- list: db_data_dirs
  items: [$D]
  override: {items: append}
YAML
bw_start --rules rules/ --rules "$E2E_TMP/local.yaml" || { fail default_start "daemon did not start"; exit 1; }
pass default_rules_load

# rm of a data file in a login session: alert and the session is killed
cat > "$E2E_TMP/dba.sh" <<SH
sleep 300 &
echo \$! > $E2E_TMP/dba.child
rm $D/base/16384/7
sleep 3
echo survived > $E2E_TMP/dba.survived
SH
in_session 4801 "sh $E2E_TMP/dba.sh" 2>/dev/null
R="Database files destroyed from a login session"
wait_json ".rule == \"$R\"" 5
a=$(json_first ".rule == \"$R\"")
check datafile_alert test -n "$a"
check datafile_names_file test "$(echo "$a" | jq -r '.output_fields."fd.name"')" = "$D/base/16384/7"
check datafile_names_person test "$(echo "$a" | jq '.output_fields."user.loginuid"')" = 4801
check datafile_session test "$(echo "$a" | jq '.output_fields."session.id"')" = "$(session_of 4801)"
check datafile_priority test "$(echo "$a" | jq -r .priority)" = Critical
falco_shape() { echo "$1" | jq -e 'has("time") and has("rule") and has("output") and has("output_fields") and has("source") and has("hostname") and has("tags") and has("action") and has("action_result")' > /dev/null; }
check datafile_falco_shape falco_shape "$a"
not_newline_terminated() { echo "$1" | jq -e '.output | endswith("\n") | not' > /dev/null; }
check datafile_output_trimmed not_newline_terminated "$a"
check datafile_session_killed test "$(echo "$a" | jq -r .action_result.status)" = killed
check datafile_shell_stopped test ! -e "$E2E_TMP/dba.survived"
# the response starts within a second of the deletion (normally under 1 ms)
check datafile_kill_prompt test "$(echo "$a" | jq '.action_result.after_event_us')" -lt 1000000
[ -e "$E2E_TMP/dba.survived" ] && echo "  action_result: $(echo "$a" | jq -c .action_result)"
check datafile_other_files_kept test "$(ls "$D/base/16384" | wc -l)" -ge 40

# shred in a login session
in_session 4802 "shred -u $E2E_TMP/secret.txt"
wait_json '.rule == "Secure-erase tool run from a login session"' 5
check shred_alert test "$(json_count '.rule == "Secure-erase tool run from a login session" and .output_fields."user.loginuid" == 4802')" -ge 1

# shell history erased
in_session 4803 "HOME=$H; rm $H/.bash_history"
wait_json '.rule == "Shell or database client history erased"' 5
check history_alert test "$(json_count '.rule == "Shell or database client history erased" and .output_fields."user.loginuid" == 4803')" -ge 1

# mass deletion outside home/tmp: the threshold fires once for the session
in_session 4804 "rm -rf $S"
wait_json '.rule == "Mass file deletion by a login session"' 5
check mass_deletion_alert test "$(json_count '.rule == "Mass file deletion by a login session" and .output_fields."user.loginuid" == 4804')" = 1

# benign: a developer removes their build tree; nothing outside sessions
in_session 4805 "cd $H/dev && rm -rf build"
sh -c "touch $E2E_TMP/x.log && rm $E2E_TMP/x.log"
sleep 1
check benign_build_tree_silent test "$(json_count '.output_fields."user.loginuid" == 4805')" = 0

# SIGHUP: a broken file keeps the old rules; a fixed one loads
echo "- rule: broken" > "$E2E_TMP/local.yaml"
kill -HUP "$BW_PID"
sleep 1
check reload_error_reported grep -q "SIGHUP: the new rules did not load" "$BW_ERR"
check reload_error_has_position grep -q "local.yaml:1:" "$BW_ERR"
in_session 4806 "shred -u $E2E_TMP/home/dev/.gitkeep 2>/dev/null; touch $E2E_TMP/s2; shred -u $E2E_TMP/s2"
wait_json '.rule == "Secure-erase tool run from a login session" and .output_fields."user.loginuid" == 4806' 5
check old_rules_still_active test "$(json_count '.output_fields."user.loginuid" == 4806')" -ge 1
: > "$E2E_TMP/local.yaml"
kill -HUP "$BW_PID"
sleep 1
check reload_ok grep -q "SIGHUP: reloaded" "$BW_ERR"
bw_stop

# rules check: errors as PATH:LINE:COL with a hint
printf -- '- rule: x\n  desc: d\n  condition: evt.type = unlinkat and proc.nmae = rm\n  output: o\n  priority: WARNING\n' > "$E2E_TMP/bad.yaml"
out=$("$BULWARK" rules check "$E2E_TMP/bad.yaml" 2>&1); rc=$?
check rules_check_exit_1 test "$rc" = 1
has_position() { echo "$out" | grep -q "bad.yaml:3:[0-9]*: unknown field 'proc.nmae'; did you mean 'proc.name'?"; }
check rules_check_position has_position
check rules_check_shipped_ok "$BULWARK" rules check rules/
e2e_summary
