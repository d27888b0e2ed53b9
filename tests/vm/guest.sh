#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The kernel-matrix scenarios, run INSIDE a test guest by tests/vm/init:
# the real build/bulwark with the default rules and --protect, real rm,
# truncate, io_uring, and real PostgreSQL and MariaDB servers started here.
# Each destructive scenario runs in its own login session (tests/e2e/lib.sh).
#
# Writes PASS/FAIL/SKIP/INFO lines (and "# " diagnostics) to stdout, which
# init sends to the console, and a copy to $VM_RESULTS/results.txt, with
# status.json, the daemon's stderr and its JSON output beside it.
#
# Where BPF-LSM enforces, open(O_TRUNC) and io_uring must lose nothing and
# alert like rm -rf. Without it the capture backends kill at open entry
# (one file truncated at most), and io_uring is seen at submission where
# the kernel has tp_btf/io_uring_submit_req (6.4+) or io_uring_submit_sqe
# with a request (6.1, Debian 11's 5.10); where status says the io_uring
# hooks are off and BPF-LSM is not there, io_uring is measured, not
# failed (INFO and SKIP), unless VM_EXPECT_URING_TP=1.
VM_EXPECT_URING_TP=${VM_EXPECT_URING_TP:-0}
VM_FILES=${VM_FILES:-200}
VM_KERNEL=${VM_KERNEL:-$(uname -r)}
VM_RESULTS=${VM_RESULTS:-/tmp/vm-results}
# everything is slower under emulation: generous waits
export BW_READY_TIMEOUT=${BW_READY_TIMEOUT:-180}
export PG_START_TIMEOUT=${PG_START_TIMEOUT:-120} MDB_START_TIMEOUT=${MDB_START_TIMEOUT:-180}
# the guest runs nothing else: the servers take the ports bulwark always captures
export PG_WANT_PORT=5432 MDB_WANT_PORT=3306
WAIT=${VM_WAIT:-15}

mkdir -p "$VM_RESULTS"
exec > >(tee "$VM_RESULTS/results.txt") 2>&1
TEE_PID=$!
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/../e2e/db_servers.sh"
e2e_need_root
URING=$E2E_ROOT/build/helpers/uring_unlink
URING2=$E2E_ROOT/build/helpers/uring_destroy

skip() { echo "SKIP $1: $2"; }
info() { echo "INFO $1: $2"; }
diag() { sed 's/^/# /' "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
T_START=$(now_ms)
stamp() { echo "# t=$(( ($(now_ms) - T_START) / 1000 ))s $*"; }
# alert_first JQ-FILTER: the first alert matching; only alert lines are parsed
# (the full event stream is megabytes, and jq is slow under emulation)
alert_first() { grep -F '"rule":' "$BW_OUT" | jq -c "select($1)" 2>/dev/null | head -1; }

guest_cleanup() {
	bw_stop > /dev/null 2>&1
	db_servers_stop > /dev/null 2>&1
	[ -n "${BW_OUT:-}" ] && cp "$BW_OUT" "$VM_RESULTS/events.json" 2>/dev/null
	[ -n "${BW_ERR:-}" ] && cp "$BW_ERR" "$VM_RESULTS/daemon.err" 2>/dev/null
	e2e_cleanup
	# init unmounts the results share next: let tee write its last lines first
	exec >&- 2>&-
	wait "$TEE_PID" 2>/dev/null
}
trap guest_cleanup EXIT

# dead PID: gone, or a zombie waiting to be reaped
dead() { [ ! -e "/proc/$1" ] || grep -q ') Z' "/proc/$1/stat" 2>/dev/null; }

# files_in DIR: regular files left below DIR
files_in() { find "$1" -type f 2>/dev/null | wc -l; }
# nonempty_in DIR: regular files below DIR that still have their bytes
nonempty_in() { find "$1" -type f -size +0 2>/dev/null | wc -l; }

# make_tree DIR: $VM_FILES files of 8 bytes each
make_tree() {
	rm -rf "$1"; mkdir -p "$1"
	(cd "$1" && seq 1 "$VM_FILES" | while read -r i; do echo "row $i" > "$i"; done)
}

# attack UID NAME CMD: runs CMD in a new login session of UID from a shell
# that tries to go on afterwards; sets SID. Did the session die?
# $E2E_TMP/NAME.survived exists if the shell carried on.
attack() {
	local uid=$1 name=$2 cmd=$3
	cat > "$E2E_TMP/$name.sh" <<SH
echo \$\$ > $E2E_TMP/$name.pid
$cmd
sleep 1
echo survived > $E2E_TMP/$name.survived
SH
	in_session "$uid" "sh $E2E_TMP/$name.sh" > "$E2E_TMP/$name.out" 2>&1
	SID=$(session_of "$uid")
}

# killed_check NAME UID: the kernel-enforcement alert names the session,
# and the session's shell died before it could carry on
PROTECT_RULE="Deletion below a protected tree (kernel enforcement)"
killed_check() {
	local name=$1 uid=$2 a k
	wait_json ".rule == \"$PROTECT_RULE\" and .output_fields.\"user.loginuid\" == $uid" "$WAIT"
	a=$(alert_first ".rule == \"$PROTECT_RULE\" and .output_fields.\"user.loginuid\" == $uid")
	if [ -n "$a" ]; then
		check "${name}_alert_names_session" test "$(echo "$a" | jq '.output_fields."session.id"')" = "$SID"
	else
		k=$(grep -F '"evt.type":"kill"' "$BW_OUT" | jq -c "select(.\"session.id\" == $SID)" | head -1)
		fail "${name}_alert_names_session" "no alert for loginuid $uid${k:+, only a kernel kill event}"
		[ -n "$k" ] && echo "# kernel kill event: $k"
	fi
	if [ ! -e "$E2E_TMP/$name.survived" ] && dead "$(cat "$E2E_TMP/$name.pid")"; then
		pass "${name}_session_killed"
	else
		fail "${name}_session_killed" "the shell carried on (action_result: $(echo "$a" | jq -c .action_result 2>/dev/null))"
	fi
}

# lost_check NAME LOST: at most one file lost to a tracepoint SIGKILL, none where LSM denies
lost_check() {
	local name=$1 lost=$2 max=1
	[ "$LSM" = 1 ] && max=0
	info "$name" "$lost of $VM_FILES lost (enforcement: $ENFORCEMENT)"
	if [ "$lost" -le "$max" ]; then pass "${name}_lost_at_most_$max"
	else fail "${name}_lost_at_most_$max" "$lost of $VM_FILES files lost"; fi
}

# --- bad hosts: no BTF, BPF refused (ENOSYS as without CONFIG_BPF_SYSCALL,
# EPERM as in a locked container). Each start must fail with an error that
# names what is missing and what to do, and leave the journal the daemon
# wrote above as it was: the same dump, the same files. Lockdown is
# irreversible, so it runs after every scenario (guest_lockdown.sh, from
# init) on the journal copied to $VM_RESULTS/journal here.
# bad_start NAME EXPECTED-TEXT CMD-PREFIX...: bulwark run fails, says EXPECTED-TEXT, journal intact
bad_start() {
	local name=$1 want=$2 rc
	shift 2
	"$@" "$BULWARK" run --rules "$E2E_ROOT/rules" --journal "$E2E_TMP/journal" --pin-dir none \
		--run-dir "$E2E_TMP/run-$name" > "$E2E_TMP/$name.out" 2> "$E2E_TMP/$name.err"
	rc=$?
	check "${name}_exit_1" test "$rc" = 1
	if grep -qF "$want" "$E2E_TMP/$name.err"; then pass "${name}_says_what_to_do"
	else fail "${name}_says_what_to_do" "no '$want' in: $(head -c 400 "$E2E_TMP/$name.err")"; fi
	echo "# $name: $(head -c 300 "$E2E_TMP/$name.err")"
	"$BULWARK" dump --journal "$E2E_TMP/journal" > "$E2E_TMP/$name.dump" 2>&1
	check "${name}_journal_dump_same" cmp -s "$E2E_TMP/journal.dump" "$E2E_TMP/$name.dump"
	check "${name}_journal_files_same" test "$(journal_files)" = "$JOURNAL_FILES"
}
journal_files() { find "$E2E_TMP/journal" -type f -printf '%P %s %T@\n' | sort; }
vm_error_paths() {
	local empty=$E2E_TMP/empty-btf
	stamp error_paths
	"$BULWARK" dump --journal "$E2E_TMP/journal" > "$E2E_TMP/journal.dump" 2>&1
	JOURNAL_FILES=$(journal_files)
	check error_paths_journal_has_events test "$(wc -l < "$E2E_TMP/journal.dump")" -ge 10
	# no BTF: /sys/kernel/btf hidden under an empty directory, in this guest only
	mkdir -p "$empty"
	if mount --bind "$empty" /sys/kernel/btf; then
		bad_start no_btf "CONFIG_DEBUG_INFO_BTF=y"
		umount /sys/kernel/btf
	else
		fail no_btf "cannot hide /sys/kernel/btf"
	fi
	bad_start bpf_enosys "CONFIG_BPF_SYSCALL=y" "$E2E_ROOT/build/helpers/no_bpf" ENOSYS
	bad_start bpf_eperm "CAP_BPF" "$E2E_ROOT/build/helpers/no_bpf" EPERM
	mkdir -p "$VM_RESULTS/journal"
	cp -a "$E2E_TMP/journal/." "$VM_RESULTS/journal/" && cp "$E2E_TMP/journal.dump" "$VM_RESULTS/journal.dump"
}

# --- syscall cost with and without bulwark, same guest, same idle servers:
# a getpid loop (any attached syscall tracepoint puts every syscall on the
# slow path; fentry/LSM backends add nothing to it) and a create+unlink
# loop (the deletion hooks themselves), outside any login session like the
# host's own daemons. Under TCG emulation this is indicative only: ratios
# between backends, not absolute costs. VM_BENCH_N scales the loops.
VM_BENCH_N=${VM_BENCH_N:-1}
LOOPS=$E2E_ROOT/build/bench/loops
vm_bench() {  # with|without
	local mode=$1 g u d=$E2E_TMP/bench
	[ -x "$LOOPS" ] || { skip "bench_$mode" "$LOOPS missing (make vmtest builds it)"; return; }
	mkdir -p "$d"
	# the best of three runs each: other guest work (idle servers, the daemon's ticks) only adds
	g=$(for _ in 1 2 3; do "$LOOPS" getpid $((200000 * VM_BENCH_N)); done | sort -n | head -1)
	u=$(for _ in 1 2 3; do "$LOOPS" unlink $((5000 * VM_BENCH_N)) "$d"; done | sort -n | head -1)
	echo "BENCH_${mode}_getpid=$g BENCH_${mode}_unlink=$u" >> "$VM_RESULTS/bench.env"
	if [ "$mode" = without ] && [ -n "${BENCH_G_WITH:-}" ]; then
		info bench_getpid "$(awk -v a="$g" -v b="$BENCH_G_WITH" 'BEGIN { printf "%.0f ns without bulwark, %.0f ns with (x%.2f); files: %s (TCG: indicative only)", a, b, b / a, ENVIRON["BENCH_FILES"] }')"
		info bench_unlink "$(awk -v a="$u" -v b="$BENCH_U_WITH" 'BEGIN { printf "%.0f ns without bulwark, %.0f ns with (x%.2f) per create+unlink; enforcement: %s (TCG: indicative only)", a, b, b / a, ENVIRON["BENCH_ENF"] }')"
	else
		BENCH_G_WITH=$g; BENCH_U_WITH=$u
		BENCH_FILES=$(jq -r '.backends[] | select(.family == "files") | .backend' "$VM_RESULTS/status.json" 2>/dev/null)
		BENCH_ENF=$ENFORCEMENT
		export BENCH_FILES BENCH_ENF
	fi
}

SCENARIOS="start exec_attributed rm_rf truncate o_trunc io_uring dd_of dd_notrunc punch_hole uring_rename uring_trunc symlink_trunc psql_drop_database psql_drop_disguised mariadb_drop_database mariadb_drop_disguised guard status"
echo "# kernel $(uname -r); lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"
uname -r > "$VM_RESULTS/uname"
cat /sys/kernel/security/lsm > "$VM_RESULTS/lsm" 2>/dev/null

# The servers take most of a guest's time under emulation (initdb,
# mariadb-install-db): both start in the background, side by side, while
# the daemon loads and the file scenarios run. Their variables come back
# through a file each.
pg_boot() {
	local t0
	t0=$(now_ms)
	if pg_start 127.0.0.1 && pg_sql "CREATE DATABASE doomed_pg OWNER $DB_USER" > /dev/null; then
		echo "PG_MS=$(( $(now_ms) - t0 ))"; declare -p PG_PID PG_DIR PG_SOCKDIR PG_PORT
	else
		echo "PG_FAILED_MS=$(( $(now_ms) - t0 ))"
	fi
}
mdb_boot() {
	local t0
	t0=$(now_ms)
	if mdb_start 127.0.0.1 && mdb_sql "CREATE DATABASE doomed_my" > /dev/null; then
		echo "MDB_MS=$(( $(now_ms) - t0 ))"; declare -p MDB_PID MDB_DIR MDB_SOCK MDB_PORT
	else
		echo "MDB_FAILED_MS=$(( $(now_ms) - t0 ))"
	fi
}
pg_boot > "$E2E_TMP/pg.env" 2> "$E2E_TMP/pg.err" < /dev/null &
PG_JOB=$!
mdb_boot > "$E2E_TMP/mdb.env" 2> "$E2E_TMP/mdb.err" < /dev/null &
MDB_JOB=$!

# --- start: the default rules and a protected tree
P=$E2E_TMP/protected
mkdir -p "$P"
t0=$(now_ms)
if ! bw_start --rules "$E2E_ROOT/rules" --protect "$P" 2> "$E2E_TMP/start.err"; then
	echo "# bulwark did not start on $(uname -r); its stderr:"
	diag "$BW_ERR"
	for s in $SCENARIOS; do fail "$s" "bulwark did not start (stderr above)"; done
	e2e_summary
	exit 1
fi
info start "ready after $(( $(now_ms) - t0 )) ms: $(grep ready "$BW_ERR" | head -1)"
pass start_ready
"$BULWARK" status --run-dir "$E2E_TMP/run" --json > "$VM_RESULTS/status.json"
ENFORCEMENT=$(jq -r .enforcement "$VM_RESULTS/status.json")
LSM=0; case "$ENFORCEMENT" in bpf-lsm*) LSM=1 ;; esac
URING_TP=$(jq -r '[.backends[] | select(.family == "io_uring") | .on] | first // false' "$VM_RESULTS/status.json")
info enforcement "$ENFORCEMENT (bpf-lsm: $(jq -r .lsm "$VM_RESULTS/status.json"))"

# --- an exec in a login session is attributed
stamp exec_attributed
in_session 6001 "/bin/true bulwark-vm-exec-marker"
SID=$(session_of 6001)
# the exec of true itself: the shells before it carry the marker in argv too
E='.["evt.type"] == "execve" and .["proc.name"] == "true" and (.["proc.cmdline"] // "" | contains("bulwark-vm-exec-marker"))'
wait_json "$E" "$WAIT"
a=$(grep -F bulwark-vm-exec-marker "$BW_OUT" | jq -c "select($E)" | head -1)
check exec_attributed_seen test -n "$a"
check exec_attributed_loginuid test "$(echo "$a" | jq '."user.loginuid"')" = 6001
check exec_attributed_session test "$(echo "$a" | jq '."session.id"')" = "$SID"

# --- rm -rf of a protected tree
stamp rm_rf
make_tree "$P/rmrf/base"
attack 6002 rm_rf "rm -rf $P/rmrf"
lost_check rm_rf $(( VM_FILES - $(files_in "$P/rmrf") ))
killed_check rm_rf 6002

# --- truncate -s0 (ftruncate) of protected files
stamp truncate
make_tree "$P/trunc"
attack 6003 truncate "truncate -s0 $P/trunc/*"
lost_check truncate $(( VM_FILES - $(nonempty_in "$P/trunc") ))
killed_check truncate 6003

# --- : > f, an open(O_TRUNC): no truncate syscall is made
stamp o_trunc
make_tree "$P/otrunc"
attack 6004 o_trunc "for f in $P/otrunc/*; do : > \"\$f\"; done"
emptied=$(( VM_FILES - $(nonempty_in "$P/otrunc") ))
lost_check o_trunc "$emptied"
killed_check o_trunc 6004

# --- io_uring unlinkat: never enters the unlink syscalls
stamp io_uring
make_tree "$P/uring"
attack 6005 io_uring "$URING $P/uring"
diag "$E2E_TMP/io_uring.out"
lost=$(( VM_FILES - $(files_in "$P/uring") ))
if grep -q 'no IORING_OP_UNLINKAT\|io_uring_queue_init' "$E2E_TMP/io_uring.out"; then
	skip io_uring "$(grep uring_unlink: "$E2E_TMP/io_uring.out" | head -1)"
elif [ "$LSM" = 1 ] || [ "$URING_TP" = true ] || [ "$VM_EXPECT_URING_TP" = 1 ]; then
	lost_check io_uring "$lost"
	killed_check io_uring 6005
else
	info io_uring "$lost of $VM_FILES lost (enforcement: $ENFORCEMENT)"
	skip io_uring "measured, not asserted: no BPF-LSM and no io_uring submission hook here (VM_EXPECT_URING_TP=1 asserts)"
fi

# --- issue 11: dd over files, overwriting in place, fallocate, io_uring rename
# and O_TRUNC, a symlink into the tree. "lost" = files not holding their bytes.
changed_in() { local n=0 i; for i in $(seq 1 "$VM_FILES"); do
	[ "$(cat "$1/$i" 2>/dev/null)" = "row $i" ] || n=$((n + 1)); done; echo "$n"; }
cover() { # cover NAME UID CMD: CMD runs in $P/NAME, a fresh tree
	stamp "$1"
	make_tree "$P/$1"
	attack "$2" "$1" "cd $P/$1; $3"
	lost_check "$1" "$(changed_in "$P/$1")"
	killed_check "$1" "$2"
}
cover dd_of 6010 'for f in *; do dd if=/dev/zero of="$f" bs=8 count=1 2>/dev/null; done'
cover dd_notrunc 6011 'for f in *; do dd if=/dev/zero of="$f" bs=8 count=1 conv=notrunc 2>/dev/null; done'
cover punch_hole 6012 'for f in *; do fallocate --punch-hole -o 0 -l 8 "$f"; done'
if [ "$LSM" = 1 ] || [ "$URING_TP" = true ] || [ "$VM_EXPECT_URING_TP" = 1 ]; then
	cover uring_rename 6013 "$URING2 rename . $VM_FILES"
	cover uring_trunc 6014 "$URING2 trunc *"
else
	skip uring_rename "no BPF-LSM and no io_uring submission hook here"
	skip uring_trunc "no BPF-LSM and no io_uring submission hook here"
fi
mkdir -p "$E2E_TMP/plain"
cover symlink_trunc 6015 'for f in *; do ln -sf "$PWD/$f" '"$E2E_TMP"'/plain/lnk; : > '"$E2E_TMP"'/plain/lnk; done'

# --- DROP DATABASE from psql and mariadb to real servers
R="Database dropped from a login session"
# db_drop NAME UID CLIENT-COMMAND
db_drop() {
	local name=$1 uid=$2 cmd=$3 a
	attack "$uid" "$name" "$cmd"
	wait_json ".rule == \"$R\" and .output_fields.\"user.loginuid\" == $uid" "$WAIT"
	a=$(alert_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == $uid")
	if [ -z "$a" ]; then
		fail "${name}_alert" "no '$R' alert for loginuid $uid"
		diag "$E2E_TMP/$name.out"
		return
	fi
	pass "${name}_alert"
	check "${name}_alert_names_session" test "$(echo "$a" | jq '.output_fields."session.id"')" = "$SID"
	check "${name}_session_killed" test "$(echo "$a" | jq -r .action_result.status)" = killed
}
# Prevention: BPF-LSM refuses the send where it runs (the ready output says so)
DENY=0; grep -q "database deny: on" "$BW_ERR" && DENY=1
PG_OUTCOME=rolled_back; [ "$DENY" = 1 ] && PG_OUTCOME=prevented
info prevention "deny at send (BPF-LSM): $DENY; PostgreSQL outcome expected: $PG_OUTCOME"
# where BPF-LSM enforces files, it refuses database sends too: the deny must be on
if [ "$LSM" = 1 ]; then
	check prevention_deny_on_with_bpf_lsm test "$DENY" = 1
fi
stamp db_wait
t0=$(now_ms)
wait "$PG_JOB" "$MDB_JOB"
PG_MS=""; PG_FAILED_MS=""; MDB_MS=""; MDB_FAILED_MS=""
. "$E2E_TMP/pg.env"; . "$E2E_TMP/mdb.env"
stamp "db servers up (waited $(( $(now_ms) - t0 )) ms for them)"
if [ -n "$PG_MS" ]; then
	info pg_start "PostgreSQL 15 ready after $PG_MS ms (initdb + postmaster, beside MariaDB's, while the daemon loaded)"
	db_drop psql_drop_database 6006 \
		"psql -X -U $DB_USER -d $DB_NAME -h $PG_SOCKDIR -p $PG_PORT -c 'DROP DATABASE doomed_pg' -c 'SELECT pg_sleep(3)'"
	# Prevention: with BPF-LSM the send is refused (the server never sees it); without, the
	# backend is held at its receive (fexit or tp_btf) and ended before the DROP runs
	check psql_drop_database_kept test "$(pg_sql "SELECT count(*) FROM pg_database WHERE datname = 'doomed_pg'")" = 1
	check psql_drop_database_outcome test "$(alert_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 6006" | jq -r .action_result.statement)" = "$PG_OUTCOME"
	info psql_drop_database "$(alert_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 6006" | jq -c '.action_result | {statement, statement_source}')"
	# the same statement split by comments, in odd case, second in a multi-statement text:
	# the kernel's scans (deny pairs, hold words) must not be fooled on any kernel
	if pg_sql "CREATE DATABASE doomed_pg2 OWNER $DB_USER" > /dev/null; then
		db_drop psql_drop_disguised 6008 \
			"psql -X -U $DB_USER -d $DB_NAME -h $PG_SOCKDIR -p $PG_PORT -c 'SELECT 1; /* a */ dRoP /* b */ DaTaBaSe doomed_pg2' -c 'SELECT pg_sleep(3)'"
		check psql_drop_disguised_kept test "$(pg_sql "SELECT count(*) FROM pg_database WHERE datname = 'doomed_pg2'")" = 1
		check psql_drop_disguised_outcome test "$(alert_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 6008" | jq -r .action_result.statement)" = "$PG_OUTCOME"
	else
		fail psql_drop_disguised "CREATE DATABASE doomed_pg2 failed"
	fi
else
	fail psql_drop_database "PostgreSQL did not start within ${PG_START_TIMEOUT}s (gave up after $PG_FAILED_MS ms)"
fi
if [ -n "$MDB_MS" ]; then
	info mdb_start "MariaDB ready after $MDB_MS ms (install-db + mariadbd, beside PostgreSQL's, while the daemon loaded)"
	db_drop mariadb_drop_database 6007 \
		"mariadb --no-defaults --skip-ssl -u $DB_USER -p$DB_PASS -h 127.0.0.1 -P $MDB_PORT -e 'DROP DATABASE doomed_my; SELECT SLEEP(3)'"
	# MariaDB is never held: only BPF-LSM's refusal at the client keeps the database
	a=$(alert_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 6007")
	info mariadb_drop_database "$(echo "$a" | jq -c '.action_result | {statement, statement_source}')"
	if [ "$DENY" = 1 ]; then
		check mariadb_drop_database_kept test "$(mdb_sql "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'doomed_my'")" = 1
		check mariadb_drop_database_prevented test "$(echo "$a" | jq -r .action_result.statement)" = prevented
	else
		check mariadb_drop_database_statement_unknown test "$(echo "$a" | jq -r .action_result.statement)" = unknown
	fi
	# disguised as for psql (--comments: the client strips comments otherwise)
	if mdb_sql "CREATE DATABASE doomed_my2" > /dev/null; then
		db_drop mariadb_drop_disguised 6009 \
			"mariadb --no-defaults --skip-ssl --comments -u $DB_USER -p$DB_PASS -h 127.0.0.1 -P $MDB_PORT -e 'SELECT 1; /* a */ dRoP /* b */ DaTaBaSe doomed_my2; SELECT SLEEP(3)'"
		if [ "$DENY" = 1 ]; then
			check mariadb_drop_disguised_kept test "$(mdb_sql "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'doomed_my2'")" = 1
			check mariadb_drop_disguised_prevented test "$(alert_first ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 6009" | jq -r .action_result.statement)" = prevented
		fi
	else
		fail mariadb_drop_disguised "CREATE DATABASE doomed_my2 failed"
	fi
else
	fail mariadb_drop_database "MariaDB did not start within ${MDB_START_TIMEOUT}s (gave up after $MDB_FAILED_MS ms)"
fi
[ -n "$PG_MS" ] || diag "$E2E_TMP/pg.err"
[ -n "$MDB_MS" ] || diag "$E2E_TMP/mdb.err"

# --- self-protection (tests/e2e/test_guard.sh on the dev VM): kill -9 of the daemon from a
# login session, then rm -rf of the protected tree. BPF-LSM refuses the signal; elsewhere it
# lands, the pinned enforcement holds, and the restarted daemon reports the gap.
stamp guard
G=$P/guard
mkdir -p "$G" && (cd "$G" && seq 1 "$VM_FILES" | xargs touch)
BW_PID_G=$BW_PID
in_session 6010 "/bin/kill -9 $BW_PID_G; sleep 1; rm -rf $G; /bin/touch $E2E_TMP/guard.survived" 2>/dev/null
SIDG=$(session_of 6010)
sleep 1
if [ "$LSM" = 1 ]; then
	check guard_kill9_denied kill -0 "$BW_PID_G"
	wait_json ".rule == \"Signal sent to bulwark\" and .output_fields[\"session.id\"] == $SIDG" "$WAIT"
	a=$(alert_first ".rule == \"Signal sent to bulwark\" and .output_fields[\"session.id\"] == $SIDG")
	check guard_kill9_alerted test -n "$a"
	check guard_kill9_reported_denied sh -c "echo '$a' | grep -q 'denied=true'"
	# bpftool link detach and unmounting the pins' bpffs are refused too
	LIDG=$(bpftool link show -j 2>/dev/null | jq -r '.[] | select(.type == "tracing") | .id' | tail -1)
	in_session 6011 "bpftool link detach id $LIDG" > /dev/null 2>&1
	check guard_link_detach_refused sh -c "bpftool link show id $LIDG > /dev/null 2>&1"
	in_session 6012 "umount -l $E2E_BPFFS" > /dev/null 2>&1
	check guard_umount_refused test -e "$BW_PIN_DIR/maps/guard_state"
	info guard "kill -9 of the daemon denied by BPF-LSM; link detach and umount -l refused"
else
	if dead "$BW_PID_G"; then pass guard_kill9_lands; else fail guard_kill9_lands "the daemon survived SIGKILL without BPF-LSM"; fi
	wait "$BW_PID_G" 2>/dev/null
	cp "$BW_OUT" "$VM_RESULTS/events.before-guard.json" 2>/dev/null
	if bw_start --rules "$E2E_ROOT/rules" --protect "$P" 2>> "$E2E_TMP/start.err"; then
		wait_json '.rule == "Monitor was down"' "$WAIT"
		check guard_gap_alerted test -n "$(alert_first '.rule == "Monitor was down"')"
		wait_json ".rule == \"Signal sent to bulwark\" and .output_fields[\"session.id\"] == $SIDG" "$WAIT"
		check guard_kill9_alerted test -n "$(alert_first ".rule == \"Signal sent to bulwark\" and .output_fields[\"session.id\"] == $SIDG")"
	else
		fail guard_restart "bulwark did not start again on the pins"
	fi
fi
check guard_session_stopped test ! -e "$E2E_TMP/guard.survived"
# loading a kernel module from a session (a file that is no module: nothing is loaded)
printf 'not a module\n' > "$E2E_TMP/notamodule.ko"
in_session 6016 "$E2E_ROOT/build/helpers/finit_module $E2E_TMP/notamodule.ko; sleep 2; /bin/touch $E2E_TMP/module.survived" 2>/dev/null
SIDM=$(session_of 6016)
RM=".rule == \"Kernel module loaded from a login session\" and .output_fields.\"session.id\" == $SIDM"
wait_json "$RM" "$WAIT"
check guard_module_alerted test -n "$(alert_first "$RM")"
check guard_module_session_stopped test ! -e "$E2E_TMP/module.survived"
lost_check guard_rm_after_kill9 $((VM_FILES - $(find "$G" -type f 2>/dev/null | wc -l)))

# --- status shows the backends, and the counters after all that
stamp status
"$BULWARK" status --run-dir "$E2E_TMP/run" > "$E2E_TMP/status.txt" 2>&1
check status_runs test $? = 0
check status_shows_enforcement grep -q 'enforcement' "$E2E_TMP/status.txt"
check status_shows_programs grep -q 'attached' "$E2E_TMP/status.txt"
"$BULWARK" status --run-dir "$E2E_TMP/run" --json > "$VM_RESULTS/status.json"
cp "$E2E_TMP/status.txt" "$VM_RESULTS/status.txt"
vm_bench with
not_attached=$(jq -r '[.programs[] | select(.attached | not) | .name] | join(" ")' "$VM_RESULTS/status.json")
info status "programs not attached: ${not_attached:-none}"
bw_stop; rc=$?
check daemon_clean_stop test "$rc" = 0
grep "database \(deny\|hold\)" "$BW_ERR" | sed 's/^/# /'
vm_bench without
vm_error_paths
stamp done
e2e_summary
