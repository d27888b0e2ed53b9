#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Prevention (docs/database.md, Prevention), against real PostgreSQL 15 and
# MariaDB 10.11 started here: destructive statements that a kill rule
# matches, sent over a Unix socket, over TCP and from a "remote host" (a
# network namespace behind a veth pair made here). After each the server is
# ASKED whether the object still exists, the alert's
# action_result.statement must say what the server says, and the server
# must keep serving a bystander. Each client runs in its own login session.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db_servers.sh"
e2e_need_root

cleanup() {
	bw_stop > /dev/null 2>&1
	[ -n "${BYSTANDER:-}" ] && kill "$BYSTANDER" 2> /dev/null
	db_servers_stop
	e2e_cleanup
}
trap cleanup EXIT

remote_host_start || { fail prevent_setup "veth pair"; exit 1; }
pg_start "127.0.0.1,$HOST_IP" || { fail prevent_setup "postgres did not start"; exit 1; }
mdb_start "127.0.0.1,$HOST_IP" || { fail prevent_setup "mariadbd did not start"; exit 1; }

PSQL="psql -X -U $DB_USER"
MDB="mariadb --no-defaults -u $DB_USER -p$DB_PASS --skip-ssl"

# kill rules for every statement of the table below, on this test's user only
cat > "$E2E_TMP/prevent.yaml" <<YAML
- rule: Prevent test destructive statement from a login session
  desc: test rule
  condition: >
    db_statement and db.user = "$DB_USER" and db.destructive = true and db_client_in_login_session
    and db.stmt in ("DROP DATABASE", "DROP TABLE", "TRUNCATE", "DELETE")
  output: "%db.stmt %db.objects (query=%db.query loginuid=%user.loginuid session=%session.id pid=%proc.pid peer=%db.peer system=%db.system)"
  priority: CRITICAL
  action: kill_session
- rule: Prevent test destructive statement from a remote client
  desc: test rule
  condition: >
    db_statement and db.user = "$DB_USER" and db.destructive = true and db_remote_client
    and db.stmt in ("DROP DATABASE", "DROP TABLE", "TRUNCATE", "DELETE")
  output: "%db.stmt %db.objects (query=%db.query loginuid=%user.loginuid session=%session.id pid=%proc.pid peer=%db.peer system=%db.system)"
  priority: CRITICAL
  action: kill_session
YAML

# ---- PostgreSQL ----
# pg_exists KIND NAME: t when the server still has it ("db", "table", "rows" = table not empty)
pg_exists() {
	case $1 in
	db) pg_sql "SELECT count(*) FROM pg_database WHERE datname = '$2'" ;;
	table) pg_sql "SELECT count(*) FROM pg_class WHERE relname = '$2' AND relkind = 'r'" ;;
	rows) pg_sql "SELECT least(count(*), 1) FROM $2" 2> /dev/null || echo 0 ;;
	esac
}

pg_sql "CREATE TABLE keep_a (id int)" "INSERT INTO keep_a VALUES (1)" > /dev/null
bw_start --rules "$E2E_ROOT/rules" --rules "$E2E_TMP/prevent.yaml" --db-port "pg:$PG_PORT" \
	--db-port "mysql:$MDB_PORT" --db-socket "mysql:$MDB_SOCK" || { fail prevent_start "daemon did not start"; exit 1; }
check prevent_hold_on grep -q "database hold: on" "$BW_ERR"

# a bystander on its own connection all along: it must finish its work
$PSQL -h "$PG_SOCKDIR" -p "$PG_PORT" -d "$DB_NAME" -tAc 'SELECT pg_sleep(20)' > "$E2E_TMP/bystander.out" 2>&1 &
BYSTANDER=$!

uid=6200
# alerts of the kill rules (ours and the default ones), which carry the outcome
KILL_ALERT='.rule != null and (.rule | test("^Prevent test|^Database dropped from a login session|^Database dropped by a remote client")) and .action_result.statement != null'
# pg_case NAME TRANSPORT STATEMENT KIND OBJECT: one client in a new session
pg_case() {
	local name=$1 tr=$2 stmt=$3 kind=$4 obj=$5 conn a out
	uid=$((uid + 1))
	case $tr in
	unix) conn="$PSQL -h $PG_SOCKDIR -p $PG_PORT" ;;
	tcp) conn="env PGPASSWORD=$DB_PASS PGSSLMODE=disable $PSQL -h 127.0.0.1 -p $PG_PORT" ;;
	esac
	pg_sql "DROP TABLE IF EXISTS $obj" > /dev/null 2>&1
	case $kind in
	db) pg_sql "CREATE DATABASE $obj OWNER $DB_USER" > /dev/null ;;
	table|rows) pg_sql "CREATE TABLE $obj (id int)" "INSERT INTO $obj VALUES (1), (2)" > /dev/null ;;
	esac
	printf '%s\n' "$stmt" > "$E2E_TMP/$name.sql"
	case $tr in
	unix|tcp) echo "$conn -d $DB_NAME -c \"\$(cat $E2E_TMP/$name.sql)\"" ;;
	# the extended protocol: Parse/Bind/Execute (pgbench -M extended)
	*-ext) echo "PGPASSWORD=$DB_PASS PGSSLMODE=disable pgbench -n -M extended -t 1 -U $DB_USER" \
		"$([ $tr = unix-ext ] && echo "-h $PG_SOCKDIR" || echo "-h 127.0.0.1") -p $PG_PORT" \
		"-f $E2E_TMP/$name.sql $DB_NAME" ;;
	esac > "$E2E_TMP/$name.sh"
	in_session $uid "sh $E2E_TMP/$name.sh > $E2E_TMP/$name.out 2>&1" 2> /dev/null
	wait_json "$KILL_ALERT and .output_fields.\"user.loginuid\" == $uid" 5
	a=$(json_first "$KILL_ALERT and .output_fields.\"user.loginuid\" == $uid")
	out=$(echo "$a" | jq -r '.action_result.statement')
	check "pg_${name}_alert" test -n "$a"
	check "pg_${name}_object_kept" test "$(pg_exists "$kind" "$obj")" = 1
	check "pg_${name}_outcome_rolled_back" test "$out" = rolled_back
	check "pg_${name}_server_serves" test "$($PSQL -h "$PG_SOCKDIR" -p "$PG_PORT" -d "$DB_NAME" -tAc 'SELECT 41+1')" = 42
	echo "OUTCOME postgresql $tr $(echo "$a" | jq -r '.output_fields."db.stmt"') asked=$(pg_exists "$kind" "$obj") alert=$out source=$(echo "$a" | jq -r .action_result.statement_source)"
}

for tr in unix tcp; do
	pg_case "${tr}_drop_database" $tr "DROP DATABASE pv_db_$tr;" db "pv_db_$tr"
	pg_case "${tr}_drop_table" $tr "DROP TABLE pv_t_$tr;" table "pv_t_$tr"
	pg_case "${tr}_truncate" $tr "/* routine */ TrUnCaTe pv_tr_$tr;" rows "pv_tr_$tr"
	pg_case "${tr}_delete" $tr "SELECT 1; DELETE FROM pv_del_$tr;" rows "pv_del_$tr"
	pg_case "${tr}_do_block" $tr "DO \$\$BEGIN EXECUTE 'DROP TABLE pv_do_$tr'; END\$\$;" table "pv_do_$tr"
done
# the extended protocol: a Parse message
pg_case unix_prepared unix-ext 'DELETE FROM pv_prep;' rows pv_prep
pg_case tcp_prepared tcp-ext 'DROP TABLE pv_prep2;' table pv_prep2

# ---- MariaDB: one process for every connection, never stopped ----
# Nothing on this kernel holds one MariaDB connection without stopping the
# whole server (docs/database.md, Prevention): the statement runs. What is
# checked is that the alert does not claim otherwise, against what the
# server says.
my_exists() {
	case $1 in
	db) mdb_sql "SELECT count(*) FROM information_schema.schemata WHERE schema_name = '$2'" ;;
	table) mdb_sql "SELECT count(*) FROM information_schema.tables WHERE table_schema = '$DB_NAME' AND table_name = '$2'" ;;
	rows) mdb_sql "SELECT least(count(*), 1) FROM $DB_NAME.$2" 2> /dev/null || echo 0 ;;
	esac
}
# my_honest ASKED OUTCOME: a kept object may be reported anyhow; a lost one never as kept
my_honest() { [ "$1" = 1 ] || { [ "$2" != prevented ] && [ "$2" != rolled_back ]; }; }
my_prepare() {
	case $1 in
	db) mdb_sql "DROP DATABASE IF EXISTS $2" "CREATE DATABASE $2" > /dev/null ;;
	table|rows) mdb_sql "DROP TABLE IF EXISTS $DB_NAME.$2" "CREATE TABLE $DB_NAME.$2 (id int)" \
		"INSERT INTO $DB_NAME.$2 VALUES (1), (2)" > /dev/null ;;
	esac
}
my_case() {
	local name=$1 tr=$2 stmt=$3 kind=$4 obj=$5 conn a out asked
	uid=$((uid + 1))
	case $tr in
	unix) conn="$MDB -S $MDB_SOCK" ;;
	tcp) conn="$MDB -h 127.0.0.1 -P $MDB_PORT" ;;
	esac
	my_prepare "$kind" "$obj"
	printf '%s\n' "$stmt" > "$E2E_TMP/$name.sql"
	echo "$conn $DB_NAME < $E2E_TMP/$name.sql" > "$E2E_TMP/$name.sh"
	in_session $uid "sh $E2E_TMP/$name.sh > $E2E_TMP/$name.out 2>&1" 2> /dev/null
	wait_json "$KILL_ALERT and .output_fields.\"user.loginuid\" == $uid" 5
	a=$(json_first "$KILL_ALERT and .output_fields.\"user.loginuid\" == $uid")
	out=$(echo "$a" | jq -r '.action_result.statement')
	asked=$(my_exists "$kind" "$obj")
	check "mysql_${name}_alert" test -n "$a"
	check "mysql_${name}_outcome_honest" my_honest "$asked" "$out"
	check "mysql_${name}_server_serves" test "$($MDB -S "$MDB_SOCK" -N -e 'SELECT 41+1')" = 42
	echo "OUTCOME mariadb $tr $(echo "$a" | jq -r '.output_fields."db.stmt"') asked=$asked alert=$out source=$(echo "$a" | jq -r .action_result.statement_source)"
}
for tr in unix tcp; do
	my_case "${tr}_drop_database" $tr "DROP DATABASE mv_db_$tr;" db "mv_db_$tr"
	my_case "${tr}_drop_table" $tr "DROP TABLE mv_t_$tr;" table "mv_t_$tr"
	my_case "${tr}_truncate" $tr "/* x */ TRUNCATE mv_tr_$tr;" rows "mv_tr_$tr"
	my_case "${tr}_delete" $tr "SELECT 1; DELETE FROM mv_del_$tr;" rows "mv_del_$tr"
	my_case "${tr}_prepared" $tr "PREPARE s FROM 'DROP TABLE mv_prep_$tr'; EXECUTE s;" table "mv_prep_$tr"
done
check mysql_server_alive kill -0 "$MDB_PID"

# ---- a client on another host: the server's view only ----
bw_stop
bw_start --rules "$E2E_ROOT/rules" --rules "$E2E_TMP/prevent.yaml" --db-side server \
	--db-port "pg:$PG_PORT" --db-port "mysql:$MDB_PORT" --db-socket "mysql:$MDB_SOCK" ||
	{ fail prevent_start2 "daemon did not start"; exit 1; }
pg_remote() {
	local name=$1 stmt=$2 kind=$3 obj=$4 a out
	pg_sql "DROP TABLE IF EXISTS $obj" > /dev/null 2>&1
	case $kind in
	db) pg_sql "CREATE DATABASE $obj OWNER $DB_USER" > /dev/null ;;
	table|rows) pg_sql "CREATE TABLE $obj (id int)" "INSERT INTO $obj VALUES (1), (2)" > /dev/null ;;
	esac
	ip netns exec "$REMOTE_NS" env PGPASSWORD=$DB_PASS PGSSLMODE=disable $PSQL -h "$HOST_IP" \
		-p "$PG_PORT" -d "$DB_NAME" -c "$stmt" > "$E2E_TMP/$name.out" 2>&1
	wait_json "$KILL_ALERT and (.output_fields.\"db.objects\" | tostring | test(\"$obj\"))" 5
	a=$(json_first "$KILL_ALERT and (.output_fields.\"db.objects\" | tostring | test(\"$obj\"))")
	out=$(echo "$a" | jq -r '.action_result.statement')
	check "pg_remote_${name}_alert" test -n "$a"
	check "pg_remote_${name}_object_kept" test "$(pg_exists "$kind" "$obj")" = 1
	check "pg_remote_${name}_outcome_rolled_back" test "$out" = rolled_back
	check "pg_remote_${name}_server_serves" test "$($PSQL -h "$PG_SOCKDIR" -p "$PG_PORT" -d "$DB_NAME" -tAc 'SELECT 41+1')" = 42
	echo "OUTCOME postgresql remote-tcp $(echo "$a" | jq -r '.output_fields."db.stmt"') asked=$(pg_exists "$kind" "$obj") alert=$out source=$(echo "$a" | jq -r .action_result.statement_source)"
}
pg_remote drop_database "DROP DATABASE pv_rdb" db pv_rdb
pg_remote drop_table "DROP TABLE pv_rt" table pv_rt
pg_remote truncate "TRUNCATE pv_rtr" rows pv_rtr
pg_remote delete "DELETE FROM pv_rdel" rows pv_rdel
pg_remote do_block "DO \$\$BEGIN EXECUTE 'DROP TABLE pv_rdo'; END\$\$" table pv_rdo

my_remote() {
	local name=$1 stmt=$2 kind=$3 obj=$4 a out asked
	my_prepare "$kind" "$obj"
	ip netns exec "$REMOTE_NS" $MDB -h "$HOST_IP" -P "$MDB_PORT" "$DB_NAME" -e "$stmt" \
		> "$E2E_TMP/$name.out" 2>&1
	wait_json "$KILL_ALERT and .output_fields.\"db.system\" == \"mysql\" and (.output_fields.\"db.objects\" | tostring | test(\"$obj\"))" 5
	a=$(json_first "$KILL_ALERT and .output_fields.\"db.system\" == \"mysql\" and (.output_fields.\"db.objects\" | tostring | test(\"$obj\"))")
	out=$(echo "$a" | jq -r '.action_result.statement')
	asked=$(my_exists "$kind" "$obj")
	check "mysql_remote_${name}_alert" test -n "$a"
	check "mysql_remote_${name}_outcome_honest" my_honest "$asked" "$out"
	check "mysql_remote_${name}_server_serves" test "$($MDB -S "$MDB_SOCK" -N -e 'SELECT 41+1')" = 42
	echo "OUTCOME mariadb remote-tcp $(echo "$a" | jq -r '.output_fields."db.stmt"') asked=$asked alert=$out source=$(echo "$a" | jq -r .action_result.statement_source)"
}
my_remote drop_database "DROP DATABASE mv_rdb" db mv_rdb
my_remote drop_table "DROP TABLE mv_rt" table mv_rt
my_remote truncate "TRUNCATE mv_rtr" rows mv_rtr
my_remote delete "DELETE FROM mv_rdel" rows mv_rdel
my_remote prepared "PREPARE s FROM 'DROP TABLE mv_rprep'; EXECUTE s" table mv_rprep
check mysql_server_alive_remote kill -0 "$MDB_PID"

wait "$BYSTANDER"
check pg_bystander_finished test $? = 0
BYSTANDER=""
check pg_postmaster_alive kill -0 "$PG_PID"
bw_stop

e2e_summary
