#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Sessions end to end with real parts: a real sshd (own config and host keys
# in a temp dir, on a port of the host end of a veth pair), a real ssh client
# in a network namespace with its own address, a test user and key created
# here and removed after. The session's events carry the client's address as
# session.origin; bulwark sessions lists it; dump --text opens with its
# header; a rule on the origin kills that session (its own fresh audit
# session, from sshd's pam_loginuid); the HTML report renders in headless
# chromium. The shipped 60-sessions rules are replayed enabled.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db_servers.sh"
e2e_need_root

# Missing tools: SKIP normally, FAIL under CI=true (as tests/run.sh does for root).
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then fail "setup" "$1 is missing (scripts/deps.sh installs it)"; else
		echo "SKIP sessions: $1 is missing; run scripts/deps.sh"; fi
	e2e_summary; exit $?
}
need /usr/sbin/sshd; need ssh; need ssh-keygen; need useradd; need chromium; need python3

# ---- the shipped origin rules, enabled, over recorded events (no kernel) ----
cat > "$E2E_TMP/enable.yaml" <<'YAML'
- list: jump_hosts
  items: [10.20.0.5]
  override: {items: append}
- rule: Destructive act from a session that did not come through a jump host
  enabled: true
  override: {enabled: replace}
- rule: Database files touched from outside the bastion network
  enabled: true
  override: {enabled: replace}
YAML
ev() { # ORIGIN_IP EVENT-TYPE-AND-FIELDS
	printf '{"evt.time":1790000000600000000,%s,"proc.pid":41000,"proc.ppid":40990,"proc.name":"psql","user.uid":0,"user.loginuid":1001,"session.id":12,"session.origin":"%s:50122","session.origin_ip":"%s","session.via":"sshd -> bash -> psql"}\n' "$2" "$1" "$1"
}
Q='"evt.type":"db_query","db.system":"postgresql","db.side":"client","db.query":"DROP TABLE orders","db.stmt":"DROP TABLE","db.destructive":true'
R="Destructive act from a session that did not come through a jump host"
ev 198.51.100.7 "$Q" > "$E2E_TMP/q1.json"; ev 10.20.0.5 "$Q" > "$E2E_TMP/q2.json"
"$BULWARK" replay -r "$E2E_ROOT/rules" -r "$E2E_TMP/enable.yaml" "$E2E_TMP/q1.json" 2>/dev/null > "$E2E_TMP/r1"
"$BULWARK" replay -r "$E2E_ROOT/rules" -r "$E2E_TMP/enable.yaml" "$E2E_TMP/q2.json" 2>/dev/null > "$E2E_TMP/r2"
jqe() { jq -e "$@" >/dev/null; }  # a redirect after check would hide its PASS line
check sessions_rule_kills_non_jump_host jqe --arg r "$R" 'select(.rule == $r and .action == "kill_session")' "$E2E_TMP/r1"
check sessions_rule_spares_jump_host bash -c "! grep -qF '$R' '$E2E_TMP/r2'"

# ---- sshd, user, key, namespace ----
SD=$(mktemp -d /tmp/bulwark-sshd.XXXXXX); chmod 755 "$SD"
TU=bwsess$$; SSHD_PID=""; MADE_RUN_SSHD=""
sess_cleanup() {
	[ -n "$SSHD_PID" ] && kill -TERM "$SSHD_PID" 2>/dev/null && wait "$SSHD_PID" 2>/dev/null
	remote_host_stop
	id "$TU" >/dev/null 2>&1 && userdel "$TU" 2>/dev/null
	[ -n "$MADE_RUN_SSHD" ] && rmdir /run/sshd 2>/dev/null
	[ -n "${E2E_KEEP:-}" ] || rm -rf "$SD"
	e2e_cleanup
}
trap sess_cleanup EXIT

useradd -M -d "$SD/home" -s /bin/bash "$TU" && usermod -p '*' "$TU" || { fail setup "useradd $TU failed"; e2e_summary; exit 1; }
mkdir -p "$SD/home" && chown "$TU" "$SD/home"
ssh-keygen -q -t ed25519 -N '' -f "$SD/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$SD/user_key"
cp "$SD/user_key.pub" "$SD/authorized_keys"; chmod 644 "$SD/authorized_keys"
[ -d /run/sshd ] || { mkdir -p /run/sshd && chmod 755 /run/sshd && MADE_RUN_SSHD=1; }
remote_host_start || { fail setup "network namespace"; e2e_summary; exit 1; }
PORT=$((20000 + RANDOM % 20000))
cat > "$SD/sshd_config" <<CFG
Port $PORT
ListenAddress $HOST_IP
HostKey $SD/host_key
PidFile $SD/sshd.pid
AuthorizedKeysFile $SD/authorized_keys
AllowUsers $TU
UsePAM yes
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
PrintMotd no
CFG
/usr/sbin/sshd -D -e -f "$SD/sshd_config" 2> "$SD/sshd.log" &
SSHD_PID=$!
for _ in $(seq 1 50); do ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done
rssh() { ip netns exec "$REMOTE_NS" ssh -q -i "$SD/user_key" -p "$PORT" -o BatchMode=yes \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "$TU@$HOST_IP" "$@"; }

# The kill rule matches on the origin only: the client's address in the namespace.
cat > "$E2E_TMP/origin.yaml" <<YAML
- rule: E2E session from the test namespace
  desc: kills a session by where it came from
  condition: evt.type = execve and session.origin_ip = "$NS_IP" and proc.name = true and proc.cmdline contains "bulwark-e2e-origin"
  output: "session %session.id from %session.origin via %session.via"
  priority: CRITICAL
  action: kill_session
YAML
bw_start --rules "$E2E_TMP/origin.yaml" || { fail setup "bulwark did not start"; e2e_summary; exit 1; }

# ---- a login: origin, via, tty-less, listed by bulwark sessions ----
rssh 'cat /proc/self/sessionid > '"$SD"'/home/sid1; sleep 2; echo done' > "$SD/out1" 2>&1 &
SSH1=$!
for _ in $(seq 1 50); do [ -s "$SD/home/sid1" ] && break; sleep 0.1; done
SID1=$(cat "$SD/home/sid1" 2>/dev/null)
OWN=$(cat /proc/self/sessionid)
check sessions_ssh_fresh_session bash -c "[ -n '$SID1' ] && [ '$SID1' != 4294967295 ] && [ '$SID1' != '$OWN' ]"
wait_json ".\"session.id\" == ${SID1:-0} and .\"evt.type\" == \"execve\" and .\"proc.name\" == \"sleep\"" 5
E=$(json_first ".\"session.id\" == ${SID1:-0} and .\"proc.name\" == \"sleep\" and .\"evt.type\" == \"execve\"")
check sessions_event_origin_is_client bash -c "[ -n '$E' ] && jq -e --arg ip '$NS_IP' '.\"session.origin_ip\" == \$ip and (.\"session.origin\" | startswith(\$ip + \":\"))' <<< '$E' >/dev/null"
check sessions_event_via_sshd bash -c "jq -e '(.\"session.via\" | startswith(\"sshd -> \")) and (.\"session.via\" | endswith(\"sleep\"))' <<< '$E' >/dev/null"
check sessions_event_loginname bash -c "jq -e --arg u '$TU' '.\"session.loginname\" == \$u and .\"session.start\" > 0 and .\"session.leader\" > 0' <<< '$E' >/dev/null"
sleep 1.2
"$BULWARK" sessions -d "$E2E_TMP/run" --json > "$SD/sessions.json" 2>&1
check sessions_cmd_lists_it jqe --argjson s "${SID1:-0}" --arg ip "$NS_IP" 'select(."session.id" == $s and ."session.origin_ip" == $ip and .execs >= 1)' "$SD/sessions.json"
"$BULWARK" sessions -d "$E2E_TMP/run" > "$SD/sessions.txt" 2>&1
check sessions_cmd_table grep -q "^${SID1:-x} .*$NS_IP" "$SD/sessions.txt"
wait "$SSH1"
check sessions_first_login_finished grep -q done "$SD/out1"

# ---- a rule on the origin kills that session ----
# the marker is in the script, not in the shell's own command line (that would match at once)
printf '/bin/true bulwark-e2e-origin\n' > "$SD/home/trigger.sh"
rssh 'cat /proc/self/sessionid > '"$SD"'/home/sid2; sleep 0.3; sh '"$SD"'/home/trigger.sh; sleep 20; echo survived' > "$SD/out2" 2>&1 &
SSH2=$!
for _ in $(seq 1 50); do [ -s "$SD/home/sid2" ] && break; sleep 0.1; done
SID2=$(cat "$SD/home/sid2" 2>/dev/null)
wait_json ".rule == \"E2E session from the test namespace\" and .output_fields.\"session.id\" == ${SID2:-0}" 8 ||
	wait_json ".rule == \"E2E session from the test namespace\"" 2
check sessions_origin_rule_fired test "$(json_count '.rule == "E2E session from the test namespace"')" -ge 1
for _ in $(seq 1 50); do kill -0 "$SSH2" 2>/dev/null || break; sleep 0.1; done
check sessions_origin_rule_killed_it bash -c "! kill -0 $SSH2 2>/dev/null && ! grep -q survived '$SD/out2'"
wait "$SSH2" 2>/dev/null
check sessions_own_session_alive test -e /proc/$$
check sessions_sshd_listener_alive kill -0 "$SSHD_PID"
sleep 1.2
bw_stop

# ---- dump --text header and the report ----
"$BULWARK" dump -j "$E2E_TMP/journal" --session "${SID2:-0}" --text > "$SD/dump.txt" 2>/dev/null
check sessions_dump_header_origin grep -q "^# session ${SID2:-x}: $TU (loginuid [0-9]*) from $NS_IP:" "$SD/dump.txt"
check sessions_dump_header_killed grep -q '^# started: .* (killed by rule "E2E session from the test namespace")' "$SD/dump.txt"
"$BULWARK" dump -j "$E2E_TMP/journal" --session "${SID1:-0}" --text > "$SD/dump1.txt" 2>/dev/null
check sessions_dump_header_logout grep -q '(logout)' "$SD/dump1.txt"
"$BULWARK" report -j "$E2E_TMP/journal" -s "${SID2:-0}" --output "$SD/report.html" 2>"$SD/report.err"
check sessions_report_written grep -q 'id="timeline"' "$SD/report.html"
check sessions_report_offline bash -c "! grep -Eq '(src|href)=\"?(https?:)?//' '$SD/report.html'"

CHR=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
     --disable-sync --no-first-run --user-data-dir="$SD/chrome" --window-size=1280,900)
timeout 60 "${CHR[@]}" --dump-dom "file://$SD/report.html" > "$SD/dom.html" 2>"$SD/chrome.err"
check sessions_report_js_rendered grep -q 'data-rendered="1"' "$SD/dom.html"
check sessions_report_timeline_marks bash -c "[ \$(grep -o 'class=\"ev ev-exec\"' '$SD/dom.html' | wc -l) -ge 2 ] && grep -q 'class=\"ev ev-kill\"' '$SD/dom.html'"
check sessions_report_tree grep -q 'bulwark-e2e-origin' "$SD/dom.html"
rm -rf "$SD/chrome"
timeout 60 "${CHR[@]}" --screenshot="$SD/shot.png" "file://$SD/report.html" >/dev/null 2>>"$SD/chrome.err"
# The kill mark (#dd0000 bar) must be drawn in the screenshot's timeline region.
check sessions_report_screenshot_kill_mark python3 - "$SD/shot.png" <<'PY'
import sys, zlib, struct
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n'
i, idat, w = 8, b'', 0
while i < len(d):
    n, t = struct.unpack('>I4s', d[i:i + 8]); c = d[i + 8:i + 8 + n]; i += 12 + n
    if t == b'IHDR': w, h, bd, ct = struct.unpack('>IIBB', c[:10]); assert bd == 8 and ct in (2, 6)
    if t == b'IDAT': idat += c
bpp = 4 if ct == 6 else 3; raw = zlib.decompress(idat); st = w * bpp; prev = bytearray(st); red = {}; pos = 0
for y in range(h):
    f = raw[pos]; line = bytearray(raw[pos + 1:pos + 1 + st]); pos += 1 + st
    for x in range(st):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; cc = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - cc; pa, pb, pc = abs(p - a), abs(p - b), abs(p - cc)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else cc)) & 255
    if y < 600:
        for x in range(0, st, bpp):
            if line[x] > 200 and line[x + 1] < 30 and line[x + 2] < 30: red[x] = red.get(x, 0) + 1
    prev = line
# the kill mark is a 10x20 bar: columns of 15+ red pixels (the legend's glyphs are smaller)
sys.exit(0 if sum(1 for v in red.values() if v >= 15) >= 5 else 1)
PY
e2e_summary
