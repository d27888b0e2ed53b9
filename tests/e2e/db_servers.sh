# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Real PostgreSQL 15 and MariaDB 10.11 servers for end-to-end tests and
# benchmarks, each in its own temporary directory, on a free loopback port
# and a private Unix socket. Source it (after lib.sh, or on its own).
#
#   pg_start [LISTEN]   initdb + postgres; sets PG_DIR PG_PORT PG_SOCKDIR PG_PID
#   pg_stop             fast shutdown of that postmaster (by pid), removes PG_DIR
#   pg_sql SQL...       runs SQL as the superuser over the Unix socket
#   mdb_start [BIND]    mariadb-install-db + mariadbd; sets MDB_DIR MDB_PORT MDB_SOCK MDB_PID
#   mdb_stop            shutdown of that mariadbd (by pid), removes MDB_DIR
#   mdb_sql SQL...      runs SQL as root over the Unix socket
#   db_free_port        prints a TCP port nothing listens on
#   remote_host_start   a "remote host": a network namespace behind a veth
#                       pair; sets REMOTE_NS HOST_IP (the host end) NS_IP
#   remote_host_stop    removes that namespace and veth pair
#   db_servers_stop     both servers and the remote host
#
# Both servers have a password user for realistic logins over TCP:
#   user $DB_USER, password $DB_PASS, database $DB_NAME (owner, all rights).
# LISTEN/BIND is a comma-separated address list (default 127.0.0.1); pass
# an extra veth address for remote-client scenarios. With PG_SSL=1 or
# MDB_SSL=1 the server also offers TLS (a self-signed certificate made
# here); psql then prefers TLS over TCP, so pass sslmode=disable for a
# plaintext TCP session. Only the processes started here are ever
# signalled, by the pid recorded at start. PG_START_TIMEOUT and
# MDB_START_TIMEOUT (seconds, default 10 and 15) bound the wait for a
# server to answer; emulated kernels need more. PG_WANT_PORT and
# MDB_WANT_PORT pick the port instead of a free one (a guest with nothing
# else running takes the default ports 5432 and 3306).
DB_USER=${DB_USER:-bwtest}
DB_PASS=${DB_PASS:-bwtest-pw}
DB_NAME=${DB_NAME:-bwdb}
PG_SSL=${PG_SSL:-0}
MDB_SSL=${MDB_SSL:-0}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
MDB_BIN=${MDB_BIN:-/usr/sbin/mariadbd}
PG_PID=""; MDB_PID=""; PG_DIR=""; MDB_DIR=""

db_free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 20000))
		if ! ss -Htanl "( sport = :$p )" | grep -q .; then
			echo "$p"; return 0
		fi
	done
	return 1
}

# _db_cert DIR OWNER: a self-signed certificate and key in DIR (server.crt, server.key).
_db_cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-keyout "$1/server.key" -out "$1/server.crt" > /dev/null 2>&1 || return 1
	chown "$2": "$1/server.key" "$1/server.crt"
	chmod 600 "$1/server.key"
}

# _db_wait_pid PID SECONDS: waits for a process we started to exit.
_db_wait_pid() {
	local pid=$1 t=$2 i
	for i in $(seq 1 $((t * 10))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# pg_start [LISTEN]: a fresh cluster owned by postgres, trust on the socket,
# scram-sha-256 over TCP (loopback and 169.254.0.0/16 for veth clients).
pg_start() {
	local listen=${1:-127.0.0.1} i
	PG_DIR=$(mktemp -d /tmp/bulwark-pg.XXXXXX) || return 1
	chown postgres: "$PG_DIR"
	PG_SOCKDIR=$PG_DIR
	PG_PORT=${PG_WANT_PORT:-}
	[ -n "$PG_PORT" ] || PG_PORT=$(db_free_port) || return 1
	echo "$DB_PASS" > "$PG_DIR/pw"; chown postgres: "$PG_DIR/pw"
	setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -E UTF8 --no-sync \
		--auth-local=trust --auth-host=scram-sha-256 --pwfile="$PG_DIR/pw" \
		> "$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
	echo "host all all 169.254.0.0/16 scram-sha-256" >> "$PG_DIR/data/pg_hba.conf"
	local ssl=()
	if [ "$PG_SSL" = 1 ]; then
		_db_cert "$PG_DIR" postgres || return 1
		ssl=(-c ssl=on -c ssl_cert_file="$PG_DIR/server.crt" -c ssl_key_file="$PG_DIR/server.key")
	fi
	setpriv --reuid=postgres --regid=postgres --init-groups -- \
		"$PG_BIN/postgres" -D "$PG_DIR/data" -k "$PG_SOCKDIR" -p "$PG_PORT" \
		-c listen_addresses="$listen" -c fsync=off -c synchronous_commit=off \
		-c full_page_writes=off -c max_connections=40 -c shared_buffers=32MB \
		"${ssl[@]}" ${PG_EXTRA_OPTS:-} > "$PG_DIR/server.log" 2>&1 < /dev/null &
	PG_PID=$!
	for i in $(seq 1 $((${PG_START_TIMEOUT:-10} * 10))); do
		"$PG_BIN/pg_isready" -q -h "$PG_SOCKDIR" -p "$PG_PORT" && break
		kill -0 "$PG_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! "$PG_BIN/pg_isready" -q -h "$PG_SOCKDIR" -p "$PG_PORT"; then
		echo "postgres did not start:" >&2; cat "$PG_DIR/server.log" >&2; return 1
	fi
	pg_sql "CREATE ROLE $DB_USER LOGIN SUPERUSER PASSWORD '$DB_PASS'" \
		"CREATE DATABASE $DB_NAME OWNER $DB_USER" > /dev/null
}

# pg_sql SQL...: each argument is one -c command, as postgres, database $DB_NAME when it exists.
pg_sql() {
	local args=() s db=postgres
	for s in "$@"; do args+=(-c "$s"); done
	[ -n "$(psql -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d postgres -XAtq \
		-c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" 2>/dev/null)" ] && db=$DB_NAME
	psql -h "$PG_SOCKDIR" -p "$PG_PORT" -U postgres -d "$db" -XAtq -v ON_ERROR_STOP=1 "${args[@]}"
}

pg_stop() {
	if [ -n "$PG_PID" ]; then
		kill -INT "$PG_PID" 2>/dev/null   # fast shutdown
		_db_wait_pid "$PG_PID" 20 || kill -QUIT "$PG_PID" 2>/dev/null
		_db_wait_pid "$PG_PID" 5
		wait "$PG_PID" 2>/dev/null
	fi
	PG_PID=""
	[ -n "$PG_DIR" ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$PG_DIR"
	PG_DIR=""
	return 0
}

# mdb_start [BIND]: a fresh datadir owned by mysql; root by socket, $DB_USER by password.
mdb_start() {
	local bind=${1:-127.0.0.1} i
	MDB_DIR=$(mktemp -d /tmp/bulwark-mdb.XXXXXX) || return 1
	chown mysql: "$MDB_DIR"
	MDB_SOCK=$MDB_DIR/mysqld.sock
	MDB_PORT=${MDB_WANT_PORT:-}
	[ -n "$MDB_PORT" ] || MDB_PORT=$(db_free_port) || return 1
	mariadb-install-db --no-defaults --datadir="$MDB_DIR/data" --user=mysql \
		--auth-root-authentication-method=socket --skip-test-db \
		> "$MDB_DIR/install.log" 2>&1 || { cat "$MDB_DIR/install.log" >&2; return 1; }
	local ssl=()
	if [ "$MDB_SSL" = 1 ]; then
		_db_cert "$MDB_DIR" mysql || return 1
		ssl=(--ssl-cert="$MDB_DIR/server.crt" --ssl-key="$MDB_DIR/server.key")
	fi
	"$MDB_BIN" --no-defaults --user=mysql --datadir="$MDB_DIR/data" --socket="$MDB_SOCK" \
		--port="$MDB_PORT" --bind-address="$bind" --pid-file="$MDB_DIR/mysqld.pid" \
		--log-error="$MDB_DIR/error.log" --skip-log-bin --skip-name-resolve \
		--innodb-buffer-pool-size=32M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=0 \
		--max-connections=40 "${ssl[@]}" ${MDB_EXTRA_OPTS:-} > /dev/null 2>&1 < /dev/null &
	MDB_PID=$!
	for i in $(seq 1 $((${MDB_START_TIMEOUT:-15} * 10))); do
		mariadb --no-defaults -S "$MDB_SOCK" -u root -e 'SELECT 1' > /dev/null 2>&1 && break
		kill -0 "$MDB_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! mariadb --no-defaults -S "$MDB_SOCK" -u root -e 'SELECT 1' > /dev/null 2>&1; then
		echo "mariadbd did not start:" >&2; cat "$MDB_DIR/error.log" >&2; return 1
	fi
	mdb_sql "CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS'" \
		"GRANT ALL ON *.* TO '$DB_USER'@'%'" "CREATE DATABASE $DB_NAME"
}

# mdb_sql SQL...: as root over the socket.
mdb_sql() {
	local s q=""
	for s in "$@"; do q="$q$s;"; done
	mariadb --no-defaults -S "$MDB_SOCK" -u root -N -B -e "$q"
}

mdb_stop() {
	if [ -n "$MDB_PID" ]; then
		kill -TERM "$MDB_PID" 2>/dev/null
		_db_wait_pid "$MDB_PID" 30 || kill -KILL "$MDB_PID" 2>/dev/null
		_db_wait_pid "$MDB_PID" 5
		wait "$MDB_PID" 2>/dev/null
	fi
	MDB_PID=""
	[ -n "$MDB_DIR" ] && [ -z "${E2E_KEEP:-}" ] && rm -rf "$MDB_DIR"
	MDB_DIR=""
	return 0
}

# Link-local addresses on a random /30, gone with the namespace. Run a
# client there with: ip netns exec "$REMOTE_NS" CMD...
REMOTE_NS=""; _REMOTE_VH=""
remote_host_start() {
	local sub=$((RANDOM % 200 + 20)) vn=bwn$$
	REMOTE_NS=bwns$$ _REMOTE_VH=bwh$$
	HOST_IP=169.254.$sub.1 NS_IP=169.254.$sub.2
	ip netns add "$REMOTE_NS" && ip link add "$_REMOTE_VH" type veth peer name "$vn" &&
		ip link set "$vn" netns "$REMOTE_NS" &&
		ip addr add "$HOST_IP/30" dev "$_REMOTE_VH" && ip link set "$_REMOTE_VH" up &&
		ip -n "$REMOTE_NS" addr add "$NS_IP/30" dev "$vn" && ip -n "$REMOTE_NS" link set "$vn" up &&
		ip -n "$REMOTE_NS" link set lo up
}

remote_host_stop() {
	[ -n "$REMOTE_NS" ] && ip netns del "$REMOTE_NS" 2> /dev/null
	[ -n "$_REMOTE_VH" ] && ip link del "$_REMOTE_VH" 2> /dev/null
	REMOTE_NS=""; _REMOTE_VH=""
	return 0
}

db_servers_stop() {
	pg_stop
	mdb_stop
	remote_host_stop
}
