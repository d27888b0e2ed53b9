#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Every other way to destroy a file, on a live daemon with the default rules
# and a protected tree: open(O_TRUNC) by shell redirects and dd, overwriting
# in place (dd conv=notrunc), fallocate punch/collapse/zero, io_uring
# unlink/rename/truncate with hundreds of requests in flight, a history file
# emptied or replaced, odd bytes in the names. Each scenario runs in its own
# login session on its own directory and asserts both the alert and how
# many files were lost (at most 1 on syscall tracepoints, 0 with BPF-LSM).
. "$(dirname "$0")/lib.sh"
e2e_need_root
cd "$E2E_ROOT"

N=${COV_FILES:-200}
URING=$E2E_ROOT/build/helpers/uring_destroy
[ -x "$URING" ] || make -s build/helpers/uring_destroy > /dev/null 2>&1 || { fail coverage_setup "cannot build $URING (apt-get install liburing-dev)"; e2e_summary; exit 1; }
P=$E2E_TMP/protected; W=$E2E_TMP/plain; H=$E2E_TMP/home
mkdir -p "$P" "$W" "$H"
# a test rule on the plain (unprotected) tree: the fallocate and open
# events themselves, where the kernel does not stop them
cat > "$E2E_TMP/cov-test.yaml" <<EOF
- rule: coverage test destroy in plain tree
  desc: the coverage e2e test's own rule
  condition: evt.type in (openat, fallocate, unlinkat) and fd.name startswith "$W/" and login_session
  output: "test %evt.type %fd.name flags=%evt.arg.flags mode=%evt.arg.mode"
  priority: NOTICE
EOF

bw_start --rules rules/ --rules "$E2E_TMP/cov-test.yaml" --protect "$P" ||
	{ fail coverage_start "daemon did not start"; e2e_summary; exit 1; }
pass coverage_start
LSM=0; grep -q 'enforcement bpf-lsm' "$BW_ERR" && LSM=1
MAX=1; [ "$LSM" = 1 ] && MAX=0
echo "# enforcement: $(grep -o 'enforcement [^,]*' "$BW_ERR" | head -1); at most $MAX file(s) lost per scenario"

# make_tree DIR: N files of 8 bytes
make_tree() {
	mkdir -p "$1"
	(cd "$1" && for i in $(seq 1 "$N"); do printf 'row %04d' "$i" > "f$i"; done)
}
# changed DIR: files of DIR no longer holding their 8 original bytes, or gone
changed() {
	local n=0 i
	for i in $(seq 1 "$N"); do
		[ "$(cat "$1/f$i" 2>/dev/null)" = "$(printf 'row %04d' "$i")" ] || n=$((n + 1))
	done
	echo "$n"
}
PROTECT_RULE="Deletion below a protected tree (kernel enforcement)"
# attack UID NAME CMD: CMD in a new login session, from a shell that would
# go on; then the kernel-enforcement alert names that session, the shell
# died, and at most MAX files of $P/NAME were lost
attack() {
	local uid=$1 name=$2 cmd=$3 lost sid
	make_tree "$P/$name"
	cat > "$E2E_TMP/$name.sh" <<SH
cd $P/$name
$cmd
sleep 1
echo survived > $E2E_TMP/$name.survived
SH
	in_session "$uid" "sh $E2E_TMP/$name.sh" > "$E2E_TMP/$name.out" 2>&1
	sid=$(session_of "$uid")
	lost=$(changed "$P/$name")
	echo "# $name: $lost of $N files lost"
	if [ "$lost" -le "$MAX" ]; then pass "${name}_lost_at_most_$MAX"
	else fail "${name}_lost_at_most_$MAX" "$lost of $N files lost"; fi
	if wait_json ".rule == \"$PROTECT_RULE\" and .output_fields.\"session.id\" == $sid" 5; then
		pass "${name}_alert"
	else
		fail "${name}_alert" "no '$PROTECT_RULE' alert for session $sid"
	fi
	check "${name}_session_killed" test ! -e "$E2E_TMP/$name.survived"
}

# --- open(O_TRUNC) by a shell and by dd: no truncate syscall is made
attack 5101 colon_redirect 'for f in *; do : > "$f"; done'
attack 5102 echo_redirect 'for f in *; do echo "" > "$f"; done'
attack 5103 cat_dev_null 'for f in *; do cat /dev/null > "$f"; done'
attack 5104 dd_of 'for f in *; do dd if=/dev/zero of="$f" bs=8 count=1 2>/dev/null; done'
# --- overwriting in place: the open for writing is what the kernel stops
attack 5105 dd_notrunc 'for f in *; do dd if=/dev/zero of="$f" bs=8 count=1 conv=notrunc 2>/dev/null; done'
attack 5106 zeros_script 'for f in *; do python3 -c "import sys; open(sys.argv[1], \"r+b\").write(bytes(8))" "$f"; done'
# --- fallocate (util-linux) punch hole, collapse range, zero range
attack 5107 punch_hole 'for f in *; do fallocate --punch-hole -o 0 -l 8 "$f"; done'
attack 5108 collapse_range 'for f in *; do fallocate --collapse-range -o 0 -l 4096 "$f"; done'
attack 5109 zero_range 'for f in *; do fallocate --zero-range -o 0 -l 8 "$f"; done'
# --- io_uring: the whole tree in one submission (N requests in flight)
attack 5110 uring_unlink "$URING unlink . $N"
attack 5111 uring_rename "$URING rename . $N"
attack 5112 uring_trunc "$URING trunc f*"
# --- a symlink from an ordinary directory into the protected tree: the file opened is judged
attack 5114 symlink_in 'for f in *; do ln -sf "$PWD/$f" '"$W"'/lnk; : > '"$W"'/lnk; done'
# --- odd bytes in the names: newline, tab, a byte that is not UTF-8
ODD=$(printf 'odd\n\t\377name')
mkdir -p "$P/odd"; printf 'keep' > "$P/odd/$ODD"
in_session 5113 "cd $P/odd && : > \"\$(printf 'odd\\n\\t\\377name')\"; sleep 1; echo survived > $E2E_TMP/odd.survived" > /dev/null 2>&1
sid=$(session_of 5113)
wait_json ".rule == \"$PROTECT_RULE\" and .output_fields.\"session.id\" == $sid" 5
a=$(json_first ".rule == \"$PROTECT_RULE\" and .output_fields.\"session.id\" == $sid")
check odd_bytes_alert test -n "$a"
# the name byte for byte: \n, \t and the lossless escape of 0xff
check odd_bytes_name_exact grep -qF "\"fd.name\":\"$P/odd/odd\\n\\t\\udcffname\"" "$BW_OUT"
check odd_bytes_session_killed test ! -e "$E2E_TMP/odd.survived"

# --- the events themselves where nothing stops them (plain tree, test rule)
T="coverage test destroy in plain tree"
make_tree "$W/fa"
in_session 5120 "cd $W/fa && fallocate --punch-hole -o 0 -l 4096 f1 && : > f2 && $URING unlink . 4" > /dev/null 2>&1
wait_json ".rule == \"$T\" and .output_fields.\"user.loginuid\" == 5120 and .output_fields.\"evt.type\" == \"unlinkat\"" 5
ev() { json_count ".\"user.loginuid\" == 5120 and .\"evt.type\" == \"$1\" and ($2)"; }
check fallocate_event_mode test "$(ev fallocate '."evt.arg.mode" == "FALLOC_FL_KEEP_SIZE|FALLOC_FL_PUNCH_HOLE" and ."fd.name" == "'"$W"'/fa/f1"')" = 1
check otrunc_event_flags test "$(ev openat '."evt.arg.flags" == "O_WRONLY|O_CREAT|O_TRUNC" and ."fd.name" == "'"$W"'/fa/f2" and ."evt.is_open_create" == false')" = 1
check uring_unlink_events test "$(ev unlinkat '."evt.is_io_uring" == true')" -ge 2
check io_uring_setup_event test "$(ev io_uring_setup 'true')" = 1
check io_uring_setup_alert test "$(json_count '.rule == "io_uring ring created from a login session" and .output_fields."user.loginuid" == 5120')" = 1

# --- a busy ring: 1000 unlinks in one submission, every one reported
mkdir -p "$W/busy"; (cd "$W/busy" && seq 1 1000 | xargs touch)
in_session 5121 "$URING unlink $W/busy 1000" > "$E2E_TMP/busy.out" 2>&1
sleep 1
check uring_busy_all_unlinked grep -q '1000 done' "$E2E_TMP/busy.out"
check uring_busy_all_reported test "$(json_count '."user.loginuid" == 5121 and ."evt.type" == "unlinkat" and ."evt.is_io_uring" == true')" = 1000

# --- history emptied by a redirect, or replaced by a symlink
echo "ls" > "$H/.bash_history"; echo "select 1;" > "$H/.psql_history"
in_session 5130 ": > $H/.bash_history; cat /dev/null > $H/.psql_history" > /dev/null 2>&1
R="Shell or database client history emptied by an open"
wait_json ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 5130" 5
sleep 0.5
check history_emptied_alerts test "$(json_count ".rule == \"$R\" and .output_fields.\"user.loginuid\" == 5130")" = 2
echo "ls" > "$H/.bash_history"
in_session 5131 "ln -sf /dev/null $H/.bash_history" > /dev/null 2>&1
wait_json '.rule == "Shell or database client history replaced" and .output_fields."user.loginuid" == 5131' 5
check history_symlinked_alert test "$(json_count '.rule == "Shell or database client history replaced" and .output_fields."user.loginuid" == 5131')" = 1

# --- benign: new files by redirect, a build writing its objects, bash saving history
rm -f "$H/.bash_history"; echo "ls" > "$H/.bash_history"
mkdir -p "$W/build"; echo old > "$W/build/main.o"
in_session 5140 "echo hi > $E2E_TMP/new-$$.txt; echo obj > $W/build/main.o; cp $W/build/main.o $W/build/copy.o; HISTFILE=$H/.bash_history bash -i -c 'history -w' < /dev/null" > /dev/null 2>&1
sleep 1
check benign_silent test "$(json_count '.rule != null and .rule != "coverage test destroy in plain tree" and .output_fields."user.loginuid" == 5140')" = 0

bw_stop
check daemon_clean_stop test $? = 0
e2e_summary
