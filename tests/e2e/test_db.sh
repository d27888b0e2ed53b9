#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Database capture end to end: real PostgreSQL 15 and MariaDB 10.11 started
# here, real psql/mariadb clients in fresh login sessions over Unix sockets,
# loopback TCP, TLS, and from a "remote" host (a network namespace behind a
# veth pair made here); assert on the JSON that `bulwark run --events` printed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db_servers.sh"
e2e_need_root

db_test_cleanup() {
	bw_stop > /dev/null 2>&1
	db_servers_stop
	e2e_cleanup
}
trap db_test_cleanup EXIT

# The "remote" host: a namespace with one end of a veth pair; the servers
# listen on the host end too.
remote_host_start || { fail db_setup "veth pair"; exit 1; }

PG_SSL=1 MDB_SSL=1
pg_start "127.0.0.1,$HOST_IP" || { fail db_setup "postgres did not start"; exit 1; }
mdb_start "127.0.0.1,$HOST_IP" || { fail db_setup "mariadbd did not start"; exit 1; }
pass db_servers_started

PSQL="psql -X -v ON_ERROR_STOP=1 -U $DB_USER -d $DB_NAME"
PSQL_UNIX="$PSQL -h $PG_SOCKDIR -p $PG_PORT"
PSQL_TCP="env PGPASSWORD=$DB_PASS PGSSLMODE=disable $PSQL -h 127.0.0.1 -p $PG_PORT"
PSQL_TLS="env PGPASSWORD=$DB_PASS PGSSLMODE=require $PSQL -h 127.0.0.1 -p $PG_PORT"
PSQL_REMOTE="ip netns exec $REMOTE_NS env PGPASSWORD=$DB_PASS PGSSLMODE=disable $PSQL -h $HOST_IP -p $PG_PORT"
PSQL_REMOTE_TLS="ip netns exec $REMOTE_NS env PGPASSWORD=$DB_PASS PGSSLMODE=require $PSQL -h $HOST_IP -p $PG_PORT"
MDB="mariadb --no-defaults -u $DB_USER -p$DB_PASS $DB_NAME"
MDB_UNIX="$MDB --skip-ssl -S $MDB_SOCK"
MDB_TCP="$MDB --skip-ssl -h 127.0.0.1 -P $MDB_PORT"
MDB_TLS="$MDB --ssl -h 127.0.0.1 -P $MDB_PORT"
MDB_REMOTE="ip netns exec $REMOTE_NS $MDB --skip-ssl -h $HOST_IP -P $MDB_PORT"
DBOPTS=(--db-port "pg:$PG_PORT" --db-port "mysql:$MDB_PORT" --db-socket "mysql:$MDB_SOCK")
# a rule on the classifier's verdict, next to the default rules
cat > "$E2E_TMP/db_test.yaml" <<'EOF'
- rule: Destructive SQL (test_db)
  desc: A statement the classifier judged destructive, from a login session.
  condition: evt.type = db_query and db.destructive = true and session.id != 4294967295
  output: "destructive SQL %db.query by loginuid %user.loginuid (session %session.id, %db.peer)"
  priority: CRITICAL
  action: alert
EOF
RULES=(--rules "$E2E_ROOT/rules" --rules "$E2E_TMP/db_test.yaml")

# no_session CMD: runs CMD outside any login session (audit loginuid unset), like a daemon
no_session() { sh -c 'echo 4294967295 > /proc/self/loginuid || exit 99; exec sh -c "$1"' sh "$*"; }

# q UID QUERY: the db_query events of that session's statement
q() { echo "(.\"user.loginuid\" == $1 and .\"evt.type\" == \"db_query\" and .\"db.query\" == \"$2\")"; }
field() { echo "$1" | jq -r ".\"$2\""; }

# assert_query NAME UID QUERY SYSTEM SIDE PEER-PREFIX STMT [USER]: one event, every field
assert_query() {
	local n=$1 uid=$2 query=$3 sys=$4 side=$5 peer=$6 stmt=$7 user=${8-$DB_USER} l sid
	wait_json "$(q "$uid" "$query")" 5
	sid=$(session_of "$uid")
	check "${n}_one_event" test "$(json_count "$(q "$uid" "$query")")" = 1
	l=$(json_first "$(q "$uid" "$query")")
	check "${n}_system" test "$(field "$l" db.system)" = "$sys"
	check "${n}_user" test "$(field "$l" db.user)" = "$user"
	check "${n}_name" test "$(field "$l" db.name)" = "$DB_NAME"
	check "${n}_side" test "$(field "$l" db.side)" = "$side"
	check "${n}_peer" test "${peer}" = "$(field "$l" db.peer | cut -c1-${#peer})"
	check "${n}_session" test "$(field "$l" session.id)" = "$sid"
	check "${n}_loginuid" test "$(field "$l" user.loginuid)" = "$uid"
	check "${n}_stmt" test "$(field "$l" db.stmt)" = "$stmt"
	check "${n}_proc" sh -c "echo '$(field "$l" proc.name)' | grep -qE '^(psql|mariadb)$'"
}

## Run 1: default capture. Plaintext statements come from the client's
## own sends; TLS ones from the server's TLS reads (uretprobes: the
## decrypted stream), tied to the client process through the socket pair.
## One event per statement either way.
bw_start --no-kill "${RULES[@]}" "${DBOPTS[@]}" || { fail db_start "daemon did not start"; exit 1; }
check db_ready_line_mentions_capture grep -q 'db capture client+server' "$BW_ERR"

in_session 4301 "$PSQL_UNIX -c 'CREATE TABLE t_unix(a int)' -c 'DROP TABLE t_unix'" > /dev/null
assert_query pg_unix 4301 "DROP TABLE t_unix" postgresql client "unix:$PG_SOCKDIR/.s.PGSQL.$PG_PORT" "DROP TABLE"
l=$(json_first "$(q 4301 "DROP TABLE t_unix")")
check pg_unix_destructive test "$(field "$l" db.destructive)" = true
check pg_unix_objects test "$(field "$l" db.objects)" = t_unix
check pg_unix_cmdline sh -c "echo '$(field "$l" proc.cmdline)' | grep -q 'DROP TABLE t_unix'"
l=$(json_first "(.\"user.loginuid\" == 4301 and .\"evt.type\" == \"db_connect\")")
check pg_unix_connect_event test "$(field "$l" db.user)" = "$DB_USER"

in_session 4302 "$PSQL_TCP -c 'CREATE TABLE t_tcp(a int)' -c 'DROP TABLE t_tcp'" > /dev/null
assert_query pg_tcp 4302 "DROP TABLE t_tcp" postgresql client "127.0.0.1:" "DROP TABLE"

# TLS: the client sends ciphertext; the server's uprobe sees the statement
in_session 4303 "$PSQL_TLS -c 'CREATE TABLE t_tls(a int)' -c 'DROP TABLE t_tls'" > /dev/null
assert_query pg_tls 4303 "DROP TABLE t_tls" postgresql server "127.0.0.1:" "DROP TABLE"
check pg_tls_no_db_tls_event test "$(json_count "(.\"user.loginuid\" == 4303 and .\"evt.type\" == \"db_tls\")")" = 0

in_session 4304 "$MDB_UNIX -e 'CREATE TABLE t_unix(a int); DROP TABLE t_unix'" > /dev/null
assert_query mysql_unix 4304 "DROP TABLE t_unix" mysql client "unix:$MDB_SOCK" "DROP TABLE"

in_session 4305 "$MDB_TCP -e 'CREATE TABLE t_tcp(a int); DROP TABLE t_tcp'" > /dev/null
assert_query mysql_tcp 4305 "DROP TABLE t_tcp" mysql client "127.0.0.1:" "DROP TABLE"

# MariaDB over TLS (its client's default when the server offers it)
in_session 4306 "$MDB_TLS -e 'CREATE TABLE t_tls(a int); DROP TABLE t_tls'" > /dev/null
assert_query mysql_tls 4306 "DROP TABLE t_tls" mysql server "127.0.0.1:" "DROP TABLE"

# remote client (another host behind the veth): db.peer is its address
in_session 4307 "$PSQL_REMOTE -c 'CREATE TABLE t_remote(a int)' -c 'DROP TABLE t_remote'" > /dev/null
assert_query pg_remote 4307 "DROP TABLE t_remote" postgresql client "$NS_IP:" "DROP TABLE"
in_session 4308 "$MDB_REMOTE -e 'CREATE TABLE t_remote(a int); DROP TABLE t_remote'" > /dev/null
assert_query mysql_remote 4308 "DROP TABLE t_remote" mysql client "$NS_IP:" "DROP TABLE"

# benign workload: classified, not destructive, no alert names the session
in_session 4309 "$PSQL_UNIX -c 'CREATE TABLE t_b(a int)' -c 'INSERT INTO t_b VALUES (1),(2)' \
	-c 'SELECT count(*) FROM t_b' -c 'UPDATE t_b SET a = 3 WHERE a = 1' \
	-c 'DELETE FROM t_b WHERE a = 2'; $MDB_UNIX -e 'SELECT 1; SHOW TABLES'" > /dev/null
wait_json "$(q 4309 "SHOW TABLES")" 5
l=$(json_first "$(q 4309 "SELECT count(*) FROM t_b")")
check benign_select_stmt test "$(field "$l" db.stmt)" = SELECT
check benign_select_not_destructive test "$(field "$l" db.destructive)" = false
l=$(json_first "$(q 4309 "DELETE FROM t_b WHERE a = 2")")
check benign_delete_has_where test "$(field "$l" db.has_where)" = true
check benign_delete_not_destructive test "$(field "$l" db.destructive)" = false
check benign_no_alerts test "$(json_count "(.rule and .output_fields.\"user.loginuid\" == 4309)")" = 0
check benign_all_queries test "$(json_count "(.\"user.loginuid\" == 4309 and .\"evt.type\" == \"db_query\")")" -ge 7

# outside login sessions (applications): plain reads are counted, not
# reported; anything else is reported
no_session "$PSQL_UNIX -c 'SELECT 4242 AS app_read' -c 'CREATE TABLE t_app(a int)' -c 'DROP TABLE t_app'; \
	$MDB_UNIX -e 'SELECT 4343 AS app_read; CREATE TABLE t_app(a int); DROP TABLE t_app'" > /dev/null
sel="(.\"evt.type\" == \"db_query\" and .\"db.query\" == \"DROP TABLE t_app\")"
wait_json "$sel and .\"db.system\" == \"mysql\"" 5
check app_drop_reported test "$(json_count "$sel")" = 2
check app_drop_no_session test "$(json_first "$sel" | jq '."session.id"')" = 4294967295
check app_read_not_reported test "$(json_count "(.\"db.query\" // \"\" | test(\"AS app_read\"))")" = 0

# a destructive statement raises an alert naming the person
sel="(.rule == \"Destructive SQL (test_db)\" and .output_fields.\"user.loginuid\" == 4301)"
check drop_alerted test "$(json_count "$sel")" -ge 1
check drop_alert_session test "$(json_first "$sel" | jq '.output_fields."session.id"')" = "$(session_of 4301)"

# status shows the uprobes and no losses (it is rewritten every second)
sleep 1.2
"$BULWARK" status --run-dir "$E2E_TMP/run" > "$E2E_TMP/status.txt" 2>&1
check status_pg_binary grep -q 'binary .*postgres (postgresql): .*pg_parse_query' "$E2E_TMP/status.txt"
check status_mysql_binary grep -q 'binary .*mariadbd (mysql): .*_Z16dispatch_command' "$E2E_TMP/status.txt"
check status_tls_read_uprobes grep -q 'uprobe .*postgres:be_tls_read (+return) attached' "$E2E_TMP/status.txt"
check status_decrypted_records grep -qE '^  decrypted_records +[1-9]' "$E2E_TMP/status.txt"
check status_no_bad_records grep -qE '^  bad_records +0$' "$E2E_TMP/status.txt"
check status_no_desync grep -qE '^  desyncs +0$' "$E2E_TMP/status.txt"
check status_reads_counted grep -qE '^  db_reads_not_reported +[1-9]' "$E2E_TMP/status.txt"
check db_output_is_valid_json sh -c "jq -c . '$BW_OUT' > /dev/null"
bw_stop
check db_sigterm_clean test $? = 0

## Run 2: server side only (a database host reached through a jump host):
## plaintext from the server's receives, TLS from its decrypted reads
bw_start --no-kill --db-side server "${DBOPTS[@]}" || { fail db_start2 "daemon did not start"; exit 1; }
in_session 4311 "$PSQL_REMOTE_TLS -c 'CREATE TABLE t_srv(a int)' -c 'DROP TABLE t_srv'" > /dev/null
in_session 4312 "$MDB_REMOTE -e 'CREATE TABLE t_srv(a int); DROP TABLE t_srv'" > /dev/null
for sys in postgresql:4311 mysql:4312; do
	s=${sys%%:*}
	sel="(.\"evt.type\" == \"db_query\" and .\"db.query\" == \"DROP TABLE t_srv\" and .\"db.system\" == \"$s\")"
	wait_json "$sel" 5
	l=$(json_first "$sel")
	check "server_only_${s}_seen" test -n "$l"
	check "server_only_${s}_side" test "$(field "$l" db.side)" = server
	check "server_only_${s}_peer_is_remote" test "$NS_IP:" = "$(field "$l" db.peer | cut -c1-$((${#NS_IP} + 1)))"
	check "server_only_${s}_name" test "$(field "$l" db.name)" = "$DB_NAME"
	check "server_only_${s}_stmt" test "$(field "$l" db.stmt)" = "DROP TABLE"
	check "server_only_${s}_one_event" test "$(json_count "$sel")" = 1
	# the statement ran in the server process; the person is on another host
	check "server_only_${s}_server_process" sh -c "echo '$(field "$l" proc.name)' | grep -qE '^(postgres|mariadbd)$'"
done
l=$(json_first "(.\"evt.type\" == \"db_query\" and .\"db.query\" == \"DROP TABLE t_srv\" and .\"db.system\" == \"postgresql\")")
check server_only_pg_user_from_login test "$(field "$l" db.user)" = "$DB_USER"
check server_only_no_client_side test "$(json_count "(.\"db.side\" == \"client\")")" = 0
bw_stop

## Run 3: no server view (no uprobes): clients' own sends carry the
## statements; TLS is reported, never silent
bw_start --no-kill --db-binary none "${DBOPTS[@]}" || { fail db_start3 "daemon did not start"; exit 1; }
in_session 4322 "$PSQL_UNIX -c 'CREATE TABLE t_c(a int)' -c 'DROP TABLE t_c'" > /dev/null
assert_query client_pg_unix 4322 "DROP TABLE t_c" postgresql client "unix:$PG_SOCKDIR/.s.PGSQL.$PG_PORT" "DROP TABLE"
in_session 4323 "$PSQL_TCP -c 'CREATE TABLE t_c(a int)' -c 'DROP TABLE t_c'" > /dev/null
assert_query client_pg_tcp 4323 "DROP TABLE t_c" postgresql client "127.0.0.1:" "DROP TABLE"
in_session 4324 "$MDB_UNIX -e 'CREATE TABLE t_c(a int); DROP TABLE t_c'" > /dev/null
assert_query client_mysql_unix 4324 "DROP TABLE t_c" mysql client "unix:$MDB_SOCK" "DROP TABLE"
in_session 4325 "$MDB_TCP -e 'CREATE TABLE t_c(a int); DROP TABLE t_c'" > /dev/null
assert_query client_mysql_tcp 4325 "DROP TABLE t_c" mysql client "127.0.0.1:" "DROP TABLE"
in_session 4321 "$PSQL_TLS -c 'SELECT 1'" > /dev/null
sel="(.\"user.loginuid\" == 4321 and .\"evt.type\" == \"db_tls\")"
wait_json "$sel" 6
l=$(json_first "$sel")
check tls_reported test -n "$l"
check tls_session test "$(field "$l" session.id)" = "$(session_of 4321)"
check tls_system test "$(field "$l" db.system)" = postgresql
check tls_peer test "127.0.0.1:" = "$(field "$l" db.peer | cut -c1-10)"
check tls_no_query test "$(json_count "$(q 4321 "SELECT 1")")" = 0
bw_stop

## Run 4: statement uprobes (--db-uprobes statements): TLS statements from
## pg_parse_query/dispatch_command, plaintext ones still once, from streams
bw_start --no-kill --db-uprobes statements "${DBOPTS[@]}" || { fail db_start5 "daemon did not start"; exit 1; }
in_session 4341 "$PSQL_TLS -c 'CREATE TABLE t_st(a int)' -c 'DROP TABLE t_st'" > /dev/null
assert_query stmt_pg_tls 4341 "DROP TABLE t_st" postgresql server "127.0.0.1:" "DROP TABLE"
in_session 4342 "$PSQL_UNIX -c 'CREATE TABLE t_st2(a int)' -c 'DROP TABLE t_st2'" > /dev/null
assert_query stmt_pg_plain 4342 "DROP TABLE t_st2" postgresql client "unix:$PG_SOCKDIR/.s.PGSQL.$PG_PORT" "DROP TABLE"
in_session 4343 "$MDB_TLS -e 'CREATE TABLE t_st(a int); DROP TABLE t_st'" > /dev/null
assert_query stmt_mysql_tls 4343 "DROP TABLE t_st" mysql server "127.0.0.1:" "DROP TABLE" ""
bw_stop

## Run 5: --no-db loads nothing of it
bw_start --no-kill --no-db "${DBOPTS[@]}" || { fail db_start4 "daemon did not start"; exit 1; }
in_session 4331 "$PSQL_UNIX -c 'SELECT 1'" > /dev/null
sleep 0.5
check no_db_no_events test "$(json_count "(.\"evt.type\" | startswith(\"db_\"))")" = 0
check no_db_ready_line grep -q 'db capture off' "$BW_ERR"
bw_stop
e2e_summary
