#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The config file, -o and flags in a running daemon; /metrics scraped with
# curl and checked by promtool (Debian's prometheus); /healthz; per-rule
# match counts; SIGHUP reloads the config and rules together, all or
# nothing; READY=1, RELOADING=1 and WATCHDOG=1 reach $NOTIFY_SOCKET;
# bad configs stop the start with PATH:LINE:COL.
. "$(dirname "$0")/lib.sh"
e2e_need_root
cd "$E2E_ROOT"

PORT=$((20000 + RANDOM % 20000))
CFG=$E2E_TMP/bulwark.yaml
cat > "$E2E_TMP/r1.yaml" <<'YAML'
- rule: E2E metrics rule "one"
  desc: counted by /metrics
  condition: evt.type = execve and proc.name = true and proc.cmdline contains "bulwark-e2e-metrics"
  output: "metrics test %proc.cmdline"
  priority: WARNING
YAML
cat > "$E2E_TMP/r2.yaml" <<'YAML'
- rule: E2E metrics rule two
  desc: added by a reload
  condition: evt.type = execve and proc.name = false and proc.cmdline contains "bulwark-e2e-metrics"
  output: "metrics test two"
  priority: WARNING
YAML
write_cfg() { # $1 = extra rules path (optional)
	cat > "$CFG" <<YAML
rules:
  - $E2E_TMP/r1.yaml
${1:+  - $1}
no_kill: true
metrics:
  listen: 127.0.0.1:1
YAML
}
write_cfg

# start: bad configs first
printf 'journal:\n  dirr: /x\n' > "$E2E_TMP/bad.yaml"
"$BULWARK" run -c "$E2E_TMP/bad.yaml" > /dev/null 2> "$E2E_TMP/bad.err"; rc=$?
check config_bad_key_exit1 test "$rc" -eq 1
check config_bad_key_position grep -q "bad.yaml:2:3: unknown key 'journal.dirr'; did you mean 'journal.dir'" "$E2E_TMP/bad.err"
"$BULWARK" run -c "$E2E_TMP/missing.yaml" > /dev/null 2> "$E2E_TMP/missing.err"; rc=$?
check config_missing_explicit_exit1 test "$rc" -eq 1
check config_check_ok "$BULWARK" config check "$CFG"

# a notify socket to see what systemd would
NS=$E2E_TMP/notify.sock
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode() + "\n")
' "$NS" "$E2E_TMP/notify.log" &
LISTENER=$!
for _ in $(seq 1 50); do [ -S "$NS" ] && break; sleep 0.1; done

# the file says port 1; -o wins over the file
NOTIFY_SOCKET=$NS WATCHDOG_USEC=400000 bw_start -c "$CFG" -o "metrics.listen=127.0.0.1:$PORT" \
	|| { fail metrics_start "daemon did not start"; kill "$LISTENER"; exit 1; }
check config_no_kill_from_file grep -q -- '--no-kill' "$BW_ERR"

in_session 4911 "T=bulwark-e2e-; /bin/true \${T}metrics"
wait_json '.rule == "E2E metrics rule \"one\""' 5
sleep 1.5 # the snapshot is published each second
curl -sf "http://127.0.0.1:$PORT/metrics" > "$E2E_TMP/metrics.txt"
check metrics_scrape test -s "$E2E_TMP/metrics.txt"
if promtool check metrics < "$E2E_TMP/metrics.txt" > "$E2E_TMP/promtool.out" 2>&1; then
	pass metrics_promtool
else
	fail metrics_promtool "$(head -5 "$E2E_TMP/promtool.out")"
fi
check metrics_rule_matches grep -q '^bulwark_rule_matches_total{rule="E2E metrics rule \\"one\\""} 1$' "$E2E_TMP/metrics.txt"
check metrics_alerts grep -Eq '^bulwark_alerts_total [1-9]' "$E2E_TMP/metrics.txt"
check metrics_kernel grep -Eq '^bulwark_kernel_events_total [1-9]' "$E2E_TMP/metrics.txt"
check metrics_memory grep -Eq '^process_resident_memory_bytes [1-9]' "$E2E_TMP/metrics.txt"
check metrics_cpu grep -Eq '^process_cpu_seconds_total [0-9]' "$E2E_TMP/metrics.txt"
check healthz_ok test "$(curl -s "http://127.0.0.1:$PORT/healthz")" = ok
check metrics_404 test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/x")" = 404

# SIGHUP with a broken config: nothing changes
printf 'rules: [%s]\nno_kil: true\n' "$E2E_TMP/r1.yaml" > "$CFG"
kill -HUP "$BW_PID"; sleep 1
check reload_bad_config_reported grep -q "no_kil'; did you mean 'no_kill'" "$BW_ERR"
check reload_bad_config_kept grep -q "configuration did not load" "$BW_ERR"
# SIGHUP with a good config but broken rules: nothing changes either
printf -- '- rule: broken\n  condition: evt.type =\n' > "$E2E_TMP/r3.yaml"
write_cfg "$E2E_TMP/r3.yaml"
kill -HUP "$BW_PID"; sleep 1
check reload_bad_rules_kept grep -q "new rules did not load" "$BW_ERR"
# a change that needs a restart
write_cfg; printf 'journal:\n  dir: %s/other\n' "$E2E_TMP" >> "$CFG"
kill -HUP "$BW_PID"; sleep 1
# (the -j flag of bw_start wins over the file, so the journal does not change: no restart asked)
check reload_flag_wins_over_file grep -q "reloaded the configuration and 1 rules" "$BW_ERR"
write_cfg; echo 'ringbuf_mb: 32' >> "$CFG"
kill -HUP "$BW_PID"; sleep 1
check reload_restart_only grep -q "ringbuf_mb (--ringbuf-mb) changed, which takes a restart" "$BW_ERR"
# a good config with a second rule file
write_cfg "$E2E_TMP/r2.yaml"
kill -HUP "$BW_PID"; sleep 1.5
check reload_good grep -q "reloaded the configuration and 2 rules" "$BW_ERR"
curl -sf "http://127.0.0.1:$PORT/metrics" > "$E2E_TMP/metrics2.txt"
check metrics_reload_errors grep -q '^bulwark_reload_errors_total 3$' "$E2E_TMP/metrics2.txt"
check metrics_second_rule grep -q 'rule="E2E metrics rule two"' "$E2E_TMP/metrics2.txt"
check daemon_alive kill -0 "$BW_PID"

bw_stop; rc=$?
check metrics_clean_stop test "$rc" -eq 0
kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null
check notify_ready grep -q '^READY=1' "$E2E_TMP/notify.log"
check notify_reloading grep -q '^RELOADING=1' "$E2E_TMP/notify.log"
check notify_watchdog grep -q '^WATCHDOG=1' "$E2E_TMP/notify.log"
check notify_stopping grep -q '^STOPPING=1' "$E2E_TMP/notify.log"
e2e_summary
