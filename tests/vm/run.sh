#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# make vmtest: boots each Debian stock kernel under qemu and runs the
# kernel-matrix scenarios (tests/vm/guest.sh) inside, then prints every
# result prefixed with its kernel, writes build/vm/kernels.md and ends with
# "N passed, N failed" like tests/run.sh.
#   tests/vm/run.sh            VM_KERNELS="5.10 6.1 6.12" (default), VM_TIMEOUT=600 per boot
set -u
cd "$(dirname "$0")/../.."
VM_ROOT=$(pwd)
# the guest mounts tmpfs on /tmp, /run and /var/tmp over the host's root: a tree there is hidden from it
case "$VM_ROOT/" in
/tmp/*|/run/*|/var/tmp/*)
	echo "vmtest: the tree is in $VM_ROOT, under a directory the guest mounts a tmpfs on; clone it elsewhere (e.g. under /srv or your home)" >&2
	echo "0 passed, 1 failed"
	exit 1 ;;
esac
. tests/vm/kernels.sh
. tests/vm/boot.sh
VM_KERNELS=${VM_KERNELS:-5.10 6.1 6.12}
# the script run in each guest: the scenarios, or tests/vm/verbose.sh (the load log)
VM_GUEST=${VM_GUEST:-tests/vm/guest.sh}
# run after it in the same guest: irreversible steps (lockdown); none with another VM_GUEST
if [ "$VM_GUEST" = tests/vm/guest.sh ]; then VM_GUEST_LAST=${VM_GUEST_LAST-tests/vm/guest_lockdown.sh}; else VM_GUEST_LAST=${VM_GUEST_LAST:-}; fi
case "${1:-}" in -h|--help) sed -n '3,7p' "$0"; exit 0 ;; esac

passed=0; failed=0
fail_host() { echo "FAIL [$1] $2"; failed=$((failed + 1)); }

for t in build/bulwark build/helpers/uring_unlink build/helpers/no_bpf build/helpers/uring_destroy build/helpers/finit_module; do
	[ -x "$t" ] || { echo "FAIL vmtest: $t is missing; run 'make vmtest' (it builds both)"; exit 1; }
done
for t in qemu-system-x86_64 cpio gzip depmod apt-get dpkg-deb gpg jq; do
	command -v "$t" > /dev/null || {
		echo "FAIL vmtest: $t not found; run 'make deps' (scripts/deps.sh installs it)"; exit 1; }
done

t_all=$(date +%s)
for ver in $VM_KERNELS; do
	t0=$(date +%s)
	if ! vm_kernel_prepare "$ver"; then
		fail_host "$ver" "kernel_fetch: could not fetch or unpack the $ver kernel (messages above)"
		continue
	fi
	t1=$(date +%s)
	vm_boot "$ver" "$VM_GUEST" "$VM_GUEST_LAST"; rc=$?
	t2=$(date +%s)
	res=$VM_DIR/results/$ver
	echo "== [$ver] $(cat "$VM_DIR/kernel/$ver/release") ($(cat "$VM_DIR/kernel/$ver/package")):" \
		"boot+scenarios $((t2 - t1)) s, fetch $((t1 - t0)) s"
	if [ -s "$res/results.txt" ]; then
		while IFS= read -r l; do
			case "$l" in
			PASS\ *) passed=$((passed + 1)); echo "PASS [$ver] ${l#PASS }" ;;
			FAIL\ *) failed=$((failed + 1)); echo "FAIL [$ver] ${l#FAIL }" ;;
			SKIP\ *|INFO\ *) echo "${l%% *} [$ver] ${l#* }" ;;
			"# "*) echo "  [$ver] ${l#\# }" ;;
			esac
		done < "$res/results.txt"
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail_host "$ver" "vm_timeout: the guest did not power off within VM_TIMEOUT=${VM_TIMEOUT}s"
	elif ! grep -q '^[0-9]* passed, [0-9]* failed' "$res/results.txt" 2>/dev/null; then
		fail_host "$ver" "vm_incomplete: the scenarios did not finish (qemu exit $rc)"
	fi
	if ! grep -q '^[0-9]* passed, [0-9]* failed' "$res/results.txt" 2>/dev/null; then
		echo "  [$ver] console ($res/console.log), last lines:"
		tail -n 25 "$res/console.log" 2>/dev/null | sed "s/^/  [$ver] /"
	fi
done
t_end=$(date +%s)

tests/vm/kernels_md.sh $VM_KERNELS > "$VM_DIR/kernels.md" ||
	fail_host all "kernels_md: could not write $VM_DIR/kernels.md"
echo "kernel table: $VM_DIR/kernels.md; results and consoles: $VM_DIR/results/"
echo "vmtest: $((t_end - t_all)) s for: $VM_KERNELS"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
