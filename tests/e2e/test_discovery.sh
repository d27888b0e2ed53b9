#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Database discovery, with the default rules and no --db-port/--db-socket:
# two real PostgreSQL 15 servers (ports 5499 and 5433, each with its own
# socket directory) and two real MariaDB 10.11 servers (ports 3307 and
# 3308, each with its own socket path). One of each runs before bulwark
# starts, one starts after it. A DROP DATABASE from a fresh login session
# through each server's TCP port and Unix socket (eight in all) alerts,
# `bulwark status` lists every instance, and a stand-in "server" listening
# on 300 ports breaks nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db_servers.sh"
e2e_need_root
export PG_START_TIMEOUT=${PG_START_TIMEOUT:-30} MDB_START_TIMEOUT=${MDB_START_TIMEOUT:-60}

# db_servers.sh keeps one server of each kind in PG_*/MDB_*: each instance is saved under a name
pg_save() { eval "$1_PID=$PG_PID $1_DIR=$PG_DIR $1_SOCKDIR=$PG_SOCKDIR $1_PORT=$PG_PORT"; }
pg_load() { eval "PG_PID=\$$1_PID PG_DIR=\$$1_DIR PG_SOCKDIR=\$$1_SOCKDIR PG_PORT=\$$1_PORT"; }
mdb_save() { eval "$1_PID=$MDB_PID $1_DIR=$MDB_DIR $1_SOCK=$MDB_SOCK $1_PORT=$MDB_PORT"; }
mdb_load() { eval "MDB_PID=\$$1_PID MDB_DIR=\$$1_DIR MDB_SOCK=\$$1_SOCK MDB_PORT=\$$1_PORT"; }
FAKE_PID=""
cleanup() {
	bw_stop > /dev/null 2>&1
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
	for i in PGA PGB; do [ -n "$(eval echo "\${${i}_PID:-}")" ] && { pg_load $i; pg_stop; }; done
	for i in MYA MYB; do [ -n "$(eval echo "\${${i}_PID:-}")" ] && { mdb_load $i; mdb_stop; }; done
	e2e_cleanup
}
trap cleanup EXIT

# jqt ARGS...: jq -e, quietly (a check)
jqt() { jq -e "$@" > /dev/null; }
port_free() { ! ss -Htanl "( sport = :$1 )" | grep -q .; }
for p in 5499 5433 3307 3308; do
	port_free "$p" || { fail discovery_setup "port $p is taken on this host; the test needs it"; exit 1; }
done

# pg_instance NAME PORT; mdb_instance NAME PORT: started, saved, a database per statement
pg_instance() {
	PG_WANT_PORT=$2 pg_start || return 1
	pg_save "$1"
	for d in doomed_tcp doomed_unix; do pg_sql "CREATE DATABASE $d OWNER $DB_USER" > /dev/null; done
}
mdb_instance() {
	MDB_WANT_PORT=$2 mdb_start || return 1
	mdb_save "$1"
	for d in doomed_tcp doomed_unix; do
		mdb_sql "CREATE DATABASE $d; GRANT ALL ON $d.* TO '$DB_USER'@'%'" > /dev/null || return 1
	done
}

# one of each before the daemon: found by the scan at start
pg_instance PGA 5499 || { fail discovery_setup "postgres on 5499 did not start"; exit 1; }
mdb_instance MYA 3307 || { fail discovery_setup "mariadbd on 3307 did not start"; exit 1; }

bw_start --rules "$E2E_ROOT/rules" || { fail discovery_start "daemon did not start"; exit 1; }

# one of each after it: found by the rescans that follow a server's exec
pg_instance PGB 5433 || { fail discovery_setup "postgres on 5433 did not start"; exit 1; }
mdb_instance MYB 3308 || { fail discovery_setup "mariadbd on 3308 did not start"; exit 1; }

# every instance in status within 20 s (rescans at 1, 2, 4, 8, 16 s after each exec)
S=$E2E_TMP/status.json
want='[.discovery.instances[] | select(.port == 5499 or .port == 5433 or .port == 3307 or .port == 3308)] | length'
for _ in $(seq 1 200); do
	"$BULWARK" status --run-dir "$E2E_TMP/run" --json > "$S" 2>/dev/null
	[ "$(jq "$want" "$S" 2>/dev/null)" = 4 ] &&
		jq -e --arg a "$MYA_SOCK" --arg b "$MYB_SOCK" \
			'[.discovery.instances[] | select(.socket == $a or .socket == $b)] | length == 2' "$S" > /dev/null &&
		break
	sleep 0.1
done
check discovery_status_ports test "$(jq "$want" "$S")" = 4
for i in PGA PGB; do
	pg_load $i
	check "discovery_status_pg_${PG_PORT}_pid" test "$(jq ".discovery.instances[] | select(.port == $PG_PORT) | .pid" "$S")" = "$PG_PID"
	check "discovery_status_pg_${PG_PORT}_socket" jqt --arg s "$PG_SOCKDIR/.s.PGSQL.$PG_PORT" \
		'any(.discovery.instances[]; .socket == $s and .server == "postgres")' "$S"
done
for i in MYA MYB; do
	mdb_load $i
	check "discovery_status_mysql_${MDB_PORT}_socket" jqt --arg s "$MDB_SOCK" --argjson p "$MDB_PID" \
		'any(.discovery.instances[]; .socket == $s and .pid == $p and .system == "mysql")' "$S"
done
"$BULWARK" status --run-dir "$E2E_TMP/run" > "$E2E_TMP/status.txt" 2>&1
check discovery_status_text grep -q "^database instances (discovered):" "$E2E_TMP/status.txt"
check discovery_status_text_line grep -Eq "postgresql +postgres +pid $PGB_PID +port 5433" "$E2E_TMP/status.txt"
check discovery_status_text_socket grep -Fq "socket $MYB_SOCK" "$E2E_TMP/status.txt"
grep -A12 "^database instances" "$E2E_TMP/status.txt" | sed 's/^/# /'

# a DROP DATABASE through each endpoint, each from its own login session
R="Database dropped from a login session"
uid=5300
drop() {  # NAME CLIENT-COMMAND
	local name=$1 cmd=$2 a
	uid=$((uid + 1))
	cat > "$E2E_TMP/$name.sh" <<SH
$cmd > $E2E_TMP/$name.out 2>&1
SH
	in_session "$uid" "sh $E2E_TMP/$name.sh" 2> /dev/null
	wait_json ".rule == \"$R\" and .output_fields.\"user.loginuid\" == $uid" 8
	a=$(json_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == $uid")
	check "${name}_alert" test -n "$a"
	check "${name}_session" test "$(echo "$a" | jq '.output_fields."session.id"')" = "$(session_of "$uid")"
}
for i in PGA PGB; do
	pg_load $i
	drop "pg_${PG_PORT}_tcp" "env PGPASSWORD=$DB_PASS PGSSLMODE=disable psql -X -U $DB_USER -d $DB_NAME -h 127.0.0.1 -p $PG_PORT -c 'DROP DATABASE doomed_tcp' -c 'SELECT pg_sleep(3)'"
	drop "pg_${PG_PORT}_unix" "psql -X -U $DB_USER -d $DB_NAME -h $PG_SOCKDIR -p $PG_PORT -c 'DROP DATABASE doomed_unix' -c 'SELECT pg_sleep(3)'"
done
for i in MYA MYB; do
	mdb_load $i
	drop "mysql_${MDB_PORT}_tcp" "mariadb --no-defaults --skip-ssl -u $DB_USER -p$DB_PASS -h 127.0.0.1 -P $MDB_PORT -e 'DROP DATABASE doomed_tcp; SELECT SLEEP(3)'"
	drop "mysql_${MDB_PORT}_unix" "mariadb --no-defaults --skip-ssl -u $DB_USER -p$DB_PASS -S $MDB_SOCK -e 'DROP DATABASE doomed_unix; SELECT SLEEP(3)'"
done

# a stand-in "server" (a copy of python3 named postgres) listening on 300 ports
mkdir -p "$E2E_TMP/fake"
cp "$(readlink -f /usr/bin/python3)" "$E2E_TMP/fake/postgres"  # the binary itself, not a wrapper script
base=$((41000 + RANDOM % 20000))
"$E2E_TMP/fake/postgres" -c "
import socket, time
s = []
for p in range($base, $base + 300):
    k = socket.socket(); k.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        k.bind(('127.0.0.1', p)); k.listen(1); s.append(k)
    except OSError:
        pass
open('$E2E_TMP/fake/ready', 'w').write(str(len(s)))
time.sleep(120)
" &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -e "$E2E_TMP/fake/ready" ] && break; sleep 0.1; done
echo "# stand-in listens on $(cat "$E2E_TMP/fake/ready" 2>/dev/null) ports"
for _ in $(seq 1 200); do
	"$BULWARK" status --run-dir "$E2E_TMP/run" --json > "$S" 2>/dev/null
	n=$(jq "[.discovery.instances[] | select(.pid == $FAKE_PID)] | length" "$S" 2>/dev/null)
	[ "${n:-0}" -ge 250 ] && break
	sleep 0.1
done
check discovery_many_ports_found test "${n:-0}" -ge 250
check discovery_many_ports_in_maps test "$(jq .db_endpoints_not_in_maps "$S")" = 0
echo "# $(jq -c '.discovery | del(.instances)' "$S")"
check discovery_many_ports_daemon_alive kill -0 "$BW_PID"
"$BULWARK" status --run-dir "$E2E_TMP/run" > "$E2E_TMP/status.txt" 2>&1
check discovery_many_ports_status_capped grep -q "and [0-9]* more" "$E2E_TMP/status.txt"
# capture still works beside it
pg_load PGA
pg_sql "CREATE DATABASE doomed_late OWNER $DB_USER" > /dev/null
drop pg_after_many_ports "env PGPASSWORD=$DB_PASS PGSSLMODE=disable psql -X -U $DB_USER -d $DB_NAME -h 127.0.0.1 -p $PG_PORT -c 'DROP DATABASE doomed_late' -c 'SELECT pg_sleep(3)'"
# the stand-in stops: its ports leave the maps at the next scan (the backstop, or an exec)
kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null; FAKE_PID=""

bw_stop; rc=$?
check discovery_clean_stop test "$rc" = 0
e2e_summary
