#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Outputs end to end, with real receivers on loopback: a real rsyslog (TCP,
# and TLS through rsyslog-openssl) gets RFC 5424 alerts; an HTTP receiver is
# stopped for 30 s while alerts fire (and the sender restarts), then every
# spooled alert arrives in order, none twice; a file output reopens on
# SIGUSR1 after a logrotate-style rename; a program gets each alert on
# stdin; bad specs fail clearly. Uses build/tests/outputs_driver: the real
# output modules, no BPF. Never touches the host's syslog or /dev/log.
set -u
. "$(dirname "$0")/lib.sh"
DRIVER=$E2E_ROOT/build/tests/outputs_driver
T=$E2E_TMP
PIDS=()
cleanup_outputs() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; }
trap 'cleanup_outputs; e2e_cleanup' EXIT

for b in rsyslogd python3 openssl; do
	command -v "$b" >/dev/null || { echo "FAIL setup: $b missing; run scripts/deps.sh"; exit 1; }
done
[ -x "$DRIVER" ] || { echo "FAIL setup: $DRIVER missing; run make"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_lines() { # FILE N TIMEOUT_S
	local i
	for i in $(seq 1 $(($3 * 20))); do
		[ -f "$1" ] && [ "$(wc -l < "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
wait_port() { for _ in $(seq 1 100); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$1)).close()" 2>/dev/null && return 0; sleep 0.05; done; return 1; }

# rsyslog with its own config, work dir and port; $1 = name, $2 = port, $3 = extra config
start_rsyslog() {
	local d=$T/rsyslog-$1
	mkdir -p "$d"
	cat > "$d/rsyslog.conf" <<EOC
global(workDirectory="$d" net.enableDNS="off" $3)
module(load="imtcp" $4)
input(type="imtcp" port="$2" address="127.0.0.1")
template(name="fields" type="string" string="%pri%|%timereported:::date-rfc3339%|%hostname%|%app-name%|%procid%|%msgid%|%structured-data%|%msg%\n")
action(type="omfile" file="$d/received" template="fields")
EOC
	rsyslogd -n -f "$d/rsyslog.conf" -i "$d/pid" > "$d/log" 2>&1 &
	PIDS+=($!)
	wait_port "$2"
}

# --- syslog over TCP to a real rsyslog
P=$(free_port)
check rsyslog_tcp_started start_rsyslog tcp "$P" "" ""
printf 'seq 0\nburst 5 Critical\nburst 5 Warning kill\nwait 10\nclose 2000\n' |
	"$DRIVER" "syslog:transport=tcp,host=127.0.0.1,port=$P,spool=$T/spool-syslog" > "$T/syslog.drv" 2>&1
R=$T/rsyslog-tcp/received
wait_lines "$R" 10 5
check syslog_tcp_all_arrive test "$(wc -l < "$R")" = 10
# local0 (16) * 8 + critical (2) = 130; RFC 5424 fields parsed by rsyslog itself
check syslog_tcp_rfc5424_header grep -q "^130|2026-12-01T10:00:00\.[0-9]\{6\}Z|$(hostname)|bulwark|[0-9]*|alert|\[bulwark@32473 rule=\"E2E outputs\" priority=\"Critical\" action=\"alert\"\]|" "$R"
check syslog_tcp_kill_warning grep -q '^132|.*action="kill_session"' "$R"
check syslog_tcp_msg_is_json bash -c "cut -d'|' -f8- '$R' | sed 's/^ //' | jq -e -s 'length == 10 and (map(.output_fields.seq) == [range(10)])' >/dev/null"

# --- syslog over TLS to a real rsyslog (rsyslog-openssl), verifying its certificate
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bulwark-test-ca -keyout "$T/ca.key" -out "$T/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$T/srv.key" -out "$T/srv.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' > "$T/san.ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 -extfile "$T/san.ext" -out "$T/srv.pem" 2>/dev/null
P=$(free_port)
check rsyslog_tls_started start_rsyslog tls "$P" \
	"defaultNetstreamDriver=\"ossl\" defaultNetstreamDriverCAFile=\"$T/ca.pem\" defaultNetstreamDriverCertFile=\"$T/srv.pem\" defaultNetstreamDriverKeyFile=\"$T/srv.key\"" \
	'streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon"'
printf 'burst 3 Error\nwait 3\nclose 2000\n' |
	"$DRIVER" "syslog:transport=tls,host=localhost,port=$P,ca=$T/ca.pem" > "$T/tls.drv" 2>&1
wait_lines "$T/rsyslog-tls/received" 3 5
check syslog_tls_arrive test "$(wc -l < "$T/rsyslog-tls/received" 2>/dev/null || echo 0)" = 3
# a certificate from another CA is refused, and that is a counted retry, not a crash
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other -keyout "$T/o.key" -out "$T/other.pem" 2>/dev/null
printf 'burst 1 Error\nsleep 500\nstats\nclose 100\n' |
	"$DRIVER" "syslog:transport=tls,host=localhost,port=$P,ca=$T/other.pem,retry_min=100ms" > "$T/tls-bad.drv" 2>&1
check syslog_tls_wrong_ca_counted grep -q '"failed_attempts":[1-9].*certificate verification failed' "$T/tls-bad.drv"

# --- HTTP: a 30 s outage across a sender restart; everything arrives in order, once
HP=$(free_port)
H=$T/http.received
start_http() { python3 "$E2E_ROOT/tests/e2e/http_receiver.py" "$HP" "$H" & HTTP_PID=$!; PIDS+=($HTTP_PID); wait_port "$HP"; }
HSPEC="http:url=http://127.0.0.1:$HP/,spool=$T/spool-http,retry_min=200ms,retry_max=2s,timeout=1s,header=X-Bulwark-Test: yes"
check http_receiver_started start_http
{
	echo "seq 0"; echo "burst 20 Critical"; echo "wait 20"; echo "latency 200"
} > "$T/h1.cmd"
"$DRIVER" "$HSPEC" < "$T/h1.cmd" > "$T/h1.drv" 2>&1
check http_alerts_arrive test "$(wc -l < "$H")" = 220
grep latency "$T/h1.drv"
kill "$HTTP_PID"; wait "$HTTP_PID" 2>/dev/null
t0=$(date +%s)
# the sender fires for 30 s while the receiver is down, and restarts half way
{ echo "seq 220"; for i in $(seq 1 5); do echo "burst 10 Critical"; echo "sleep 1500"; done; echo "stats"; echo "close 500"; } |
	"$DRIVER" "$HSPEC" > "$T/h2.drv" 2>&1
check http_down_spooled grep -q '"spooled":50,"pending":50' "$T/h2.drv"
check http_down_reported grep -q "output http: POST http://127.0.0.1:$HP/.*spooling to disk" "$T/h2.drv"
{
	echo "seq 270"; for i in $(seq 1 5); do echo "burst 10 Critical"; echo "sleep 1500"; done
	echo "wait 100"; echo "stats"; echo "close 2000"
} > "$T/h3.cmd"
# restart the receiver 30 s after it went down, while the second sender retries
( sleep $(( 30 - ($(date +%s) - t0) )); start_http; echo "$HTTP_PID" > "$T/http.pid"; sleep 25 ) &
RESTARTER=$!
"$DRIVER" "$HSPEC" < "$T/h3.cmd" > "$T/h3.drv" 2>&1
echo "http outage: $(( $(date +%s) - t0 )) s from stop to all delivered"
[ -f "$T/http.pid" ] && PIDS+=("$(cat "$T/http.pid")")
kill "$RESTARTER" 2>/dev/null; wait "$RESTARTER" 2>/dev/null
check http_outage_all_in_order_once bash -c "jq -s -e 'map(.output_fields.seq) == [range(320)]' '$H' >/dev/null"
check http_outage_nothing_dropped grep -q '"dropped":0' "$T/h3.drv"
check http_body_falco_shape bash -c "tail -1 '$H' | jq -e 'has(\"time\") and has(\"rule\") and has(\"priority\") and has(\"output\") and has(\"output_fields\") and has(\"hostname\")' >/dev/null"

# --- file output: logrotate-style rename, SIGUSR1, the new file gets the next alerts
F=$T/alerts.json
coproc DRV { exec "$DRIVER" "file:path=$F" 2>&1; }
DRV_PID=$!
PIDS+=($DRV_PID)
read -r -u "${DRV[0]}" _ready
echo "burst 3 Critical" >&"${DRV[1]}"; echo "wait 3" >&"${DRV[1]}"; read -r -u "${DRV[0]}" _
mv "$F" "$F.1"
kill -USR1 "$DRV_PID"
sleep 0.2
echo "burst 2 Critical" >&"${DRV[1]}"; echo "wait 5" >&"${DRV[1]}"; read -r -u "${DRV[0]}" _
echo "close 1000" >&"${DRV[1]}"; wait "$DRV_PID" 2>/dev/null
check file_rotated_keeps_old test "$(wc -l < "$F.1")" = 3
check file_reopened_on_sigusr1 test "$(wc -l < "$F" 2>/dev/null || echo 0)" = 2

# --- program output: each alert on the command's stdin
printf 'burst 5 Critical\nwait 5\nclose 2000\n' | "$DRIVER" "program:command=cat >> $T/prog.out" > "$T/prog.drv" 2>&1
check program_gets_each_alert bash -c "jq -s -e 'map(.output_fields.seq) == [range(5)]' '$T/prog.out' >/dev/null"

# --- aggregation through a real output
printf 'burst 50 Warning\nburst 2 Critical kill\nclose 1000\n' | "$DRIVER" "file:path=$T/agg.json" "aggregate:after=10" > "$T/agg.drv" 2>&1
check aggregate_summary test "$(jq -s 'map(select(.aggregate)) | .[0].aggregate.count' "$T/agg.json")" = 40
check aggregate_lines test "$(wc -l < "$T/agg.json")" = 13

# --- bad specs: clear errors at parse time; an unreachable host is a counted retry
"$DRIVER" "http:urll=http://x/" < /dev/null > "$T/bad1" 2>&1; rc=$?
check bad_spec_unknown_key bash -c "[ $rc = 2 ] && grep -q \"unknown key 'urll' for http\" '$T/bad1'"
"$DRIVER" "syslog:transport=tcp,host=127.0.0.1,port=http" < /dev/null > "$T/bad2" 2>&1; rc=$?
check bad_spec_wrong_type bash -c "[ $rc = 2 ] && grep -q \"port 'http': need a port number\" '$T/bad2'"
"$DRIVER" "file:min_priority=warning" < /dev/null > "$T/bad3" 2>&1; rc=$?
check bad_spec_missing_key bash -c "[ $rc = 2 ] && grep -q 'a file output needs path=' '$T/bad3'"
printf 'burst 3 Critical\nsleep 700\nstats\nclose 100\n' |
	"$DRIVER" "syslog:transport=tcp,host=127.0.0.1,port=$(free_port),retry_min=100ms,spool=$T/spool-dead" > "$T/dead.drv" 2>&1; rc=$?
check unreachable_host_counted bash -c "[ $rc = 0 ] && grep -q '\"failed_attempts\":[1-9][0-9]*,\"rejected\":0,\"spooled\":3,\"pending\":3' '$T/dead.drv'"

"$DRIVER" --spool-bench "$T/spool-bench" 20000
e2e_summary
