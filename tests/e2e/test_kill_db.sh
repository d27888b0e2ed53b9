#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Response to SQL, with the default rules, against real PostgreSQL 15 and
# MariaDB 10.11 started here: DROP DATABASE from psql and from mariadb in a
# fresh login session kills the client and its session, the server keeps
# serving other connections, and PostgreSQL keeps the database (its backend
# was held and ended before running the statement); from a "remote" host (a network namespace
# behind a veth pair made here) only that one connection is ended.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db_servers.sh"
e2e_need_root

cleanup() {
	bw_stop > /dev/null 2>&1
	db_servers_stop
	e2e_cleanup
}
trap cleanup EXIT

remote_host_start || { fail kill_db_setup "veth pair"; exit 1; }
pg_start "127.0.0.1,$HOST_IP" || { fail kill_db_setup "postgres did not start"; exit 1; }
mdb_start "127.0.0.1,$HOST_IP" || { fail kill_db_setup "mariadbd did not start"; exit 1; }

PSQL="psql -X -U $DB_USER -d $DB_NAME"
PSQL_UNIX="$PSQL -h $PG_SOCKDIR -p $PG_PORT"
PSQL_REMOTE="ip netns exec $REMOTE_NS env PGPASSWORD=$DB_PASS PGSSLMODE=disable $PSQL -h $HOST_IP -p $PG_PORT"
MDB="mariadb --no-defaults -u $DB_USER -p$DB_PASS"
MDB_UNIX="$MDB --skip-ssl -S $MDB_SOCK"
MDB_REMOTE="ip netns exec $REMOTE_NS $MDB --skip-ssl -h $HOST_IP -P $MDB_PORT"
for d in doomed_pg doomed_pg2; do pg_sql "CREATE DATABASE $d OWNER $DB_USER" > /dev/null; done
for d in doomed_my doomed_my2; do mdb_sql "CREATE DATABASE $d; GRANT ALL ON $d.* TO '$DB_USER'@'%'; GRANT ALL ON $d.* TO '$DB_USER'@'localhost'" > /dev/null; done

bw_start --rules "$E2E_ROOT/rules" --db-port "pg:$PG_PORT" --db-port "mysql:$MDB_PORT" \
	--db-socket "mysql:$MDB_SOCK" || { fail kill_db_start "daemon did not start"; exit 1; }

# a client in a login session: it and its session die; the server lives on
R="Database dropped from a login session"
cat > "$E2E_TMP/pg.sh" <<SH
sleep 300 &
echo \$! > $E2E_TMP/pg.child
$PSQL_UNIX -c 'DROP DATABASE doomed_pg' -c 'SELECT pg_sleep(3)' > /dev/null 2>&1
sleep 0.5
echo survived > $E2E_TMP/pg.survived
SH
in_session 5101 "sh $E2E_TMP/pg.sh" 2> /dev/null
wait_json ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 5101" 5
a=$(json_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 5101")
check pg_local_alert test -n "$a"
check pg_local_session_killed test "$(echo "$a" | jq -r .action_result.status)" = killed
check pg_local_session_id test "$(echo "$a" | jq .action_result.\"session.id\")" = "$(session_of 5101)"
check pg_local_shell_stopped test ! -e "$E2E_TMP/pg.survived"
sleep 0.2
check pg_local_child_dead sh -c "! [ -e /proc/$(cat "$E2E_TMP/pg.child") ] || grep -q ') Z' /proc/$(cat "$E2E_TMP/pg.child")/stat"
# the statement itself did not run: the backend was held and ended (Prevention)
check pg_local_database_kept test "$(pg_sql "SELECT count(*) FROM pg_database WHERE datname = 'doomed_pg'")" = 1
check pg_local_statement_rolled_back test "$(echo "$a" | jq -r .action_result.statement)" = rolled_back
check pg_server_alive kill -0 "$PG_PID"
check pg_server_serves test "$($PSQL_UNIX -tAc 'SELECT 41+1')" = 42

cat > "$E2E_TMP/my.sh" <<SH
$MDB_UNIX -e 'DROP DATABASE doomed_my; SELECT SLEEP(3)' > /dev/null 2>&1
sleep 0.5
echo survived > $E2E_TMP/my.survived
SH
in_session 5102 "sh $E2E_TMP/my.sh" 2> /dev/null
wait_json ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 5102" 5
a=$(json_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 5102")
check mysql_local_alert test -n "$a"
check mysql_local_session_killed test "$(echo "$a" | jq -r .action_result.status)" = killed
check mysql_local_shell_stopped test ! -e "$E2E_TMP/my.survived"
# MariaDB is one process, never held: the alert must not claim the statement was stopped
check mysql_local_statement_unknown test "$(echo "$a" | jq -r .action_result.statement)" = unknown
check mysql_server_alive kill -0 "$MDB_PID"
check mysql_server_serves test "$($MDB_UNIX -N -e 'SELECT 41+1')" = 42

# a remote client: only that connection ends; the server and a bystander carry on.
# The namespace's client is still a process on this kernel, which client-side
# capture would see; a client on another host is only visible to the server,
# so the daemon watches the server side alone here.
bw_stop
bw_start --rules "$E2E_ROOT/rules" --db-side server --db-port "pg:$PG_PORT" \
	--db-port "mysql:$MDB_PORT" --db-socket "mysql:$MDB_SOCK" || { fail kill_db_start2 "daemon did not start"; exit 1; }
R="Database dropped by a remote client"
$PSQL_UNIX -c 'SELECT pg_sleep(6)' > /dev/null 2>&1 &
bystander=$!
$PSQL_REMOTE -c 'DROP DATABASE doomed_pg2' -c 'SELECT pg_sleep(5)' > /dev/null 2> "$E2E_TMP/pg_remote.err"
rc=$?
wait_json ".rule == \"$R\" and .output_fields.\"db.system\" == \"postgresql\"" 5
a=$(json_first ".rule == \"$R\" and .output_fields.\"db.system\" == \"postgresql\"")
check pg_remote_alert test -n "$a"
check pg_remote_peer sh -c "echo '$(echo "$a" | jq -r '.output_fields."db.peer"')' | grep -q '^$NS_IP:'"
check pg_remote_connection_dropped test "$(echo "$a" | jq -r .action_result.status)" = connection_dropped
check pg_remote_client_disconnected test "$rc" != 0
check pg_remote_database_kept test "$(pg_sql "SELECT count(*) FROM pg_database WHERE datname = 'doomed_pg2'")" = 1
check pg_remote_statement_rolled_back test "$(echo "$a" | jq -r .action_result.statement)" = rolled_back
check pg_remote_server_alive kill -0 "$PG_PID"
wait $bystander
check pg_remote_bystander_unharmed test $? = 0

$MDB_REMOTE -e 'DROP DATABASE doomed_my2; SELECT SLEEP(5)' > /dev/null 2> "$E2E_TMP/my_remote.err"
rc=$?
wait_json ".rule == \"$R\" and .output_fields.\"db.system\" == \"mysql\"" 5
a=$(json_first ".rule == \"$R\" and .output_fields.\"db.system\" == \"mysql\"")
check mysql_remote_alert test -n "$a"
check mysql_remote_connection_dropped test "$(echo "$a" | jq -r .action_result.status)" = connection_dropped
check mysql_remote_client_disconnected test "$rc" != 0
check mysql_remote_server_alive kill -0 "$MDB_PID"
check mysql_remote_server_serves test "$($MDB_UNIX -N -e 'SELECT 41+1')" = 42
bw_stop
e2e_summary
