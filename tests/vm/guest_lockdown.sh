#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Run INSIDE a test guest by tests/vm/init after guest.sh, as the very last
# step: lockdown cannot be lowered once raised. Raises the kernel to
# lockdown=confidentiality at run time (what the boot parameter sets), then
# starts bulwark on the journal guest.sh left in $VM_RESULTS/journal: it
# must fail with an error naming the lockdown mode and what to boot with,
# and the journal must dump as before. Appends to $VM_RESULTS/results.txt.
VM_RESULTS=${VM_RESULTS:-/tmp/vm-results}
cd "$(dirname "$0")/../.." || exit 1
exec >> "$VM_RESULTS/results.txt" 2>&1
p=0; f=0
pass() { echo "PASS $1"; p=$((p + 1)); }
fail() { echo "FAIL $1: $2"; f=$((f + 1)); }
J=$VM_RESULTS/journal
L=/sys/kernel/security/lockdown
if [ ! -s "$VM_RESULTS/journal.dump" ]; then
	fail lockdown "guest.sh left no journal to check (did its error paths run?)"
elif [ ! -w "$L" ]; then
	echo "SKIP lockdown: this kernel has no lockdown LSM ($L)"
elif ! echo confidentiality > "$L" 2>/dev/null || ! grep -q '\[confidentiality\]' "$L"; then
	fail lockdown "cannot raise $L to confidentiality: $(cat "$L")"
else
	echo "# lockdown: $(cat "$L")"
	before=$(find "$J" -type f -printf '%P %s %T@\n' | sort)
	t=$(mktemp -d)
	build/bulwark run --rules rules --journal "$J" --run-dir "$t/run" > "$t/out" 2> "$t/err"
	rc=$?
	[ "$rc" = 1 ] && pass lockdown_exit_1 || fail lockdown_exit_1 "exit $rc"
	if grep -q "confidentiality" "$t/err" && grep -q "lockdown=integrity" "$t/err"; then
		pass lockdown_says_what_to_do
	else
		fail lockdown_says_what_to_do "stderr: $(head -c 400 "$t/err")"
	fi
	echo "# lockdown: $(head -c 300 "$t/err")"
	build/bulwark dump --journal "$J" > "$t/dump" 2>&1
	cmp -s "$VM_RESULTS/journal.dump" "$t/dump" && pass lockdown_journal_dump_same ||
		fail lockdown_journal_dump_same "the dump changed"
	[ "$(find "$J" -type f -printf '%P %s %T@\n' | sort)" = "$before" ] &&
		pass lockdown_journal_files_same || fail lockdown_journal_files_same "journal files changed"
	rm -rf "$t"
fi
echo "$p passed, $f failed"
