#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Boots one prepared Debian kernel under qemu (TCG) with a busybox initramfs
# whose init (tests/vm/init) runs a scenario script from this repo inside
# the guest, on the host's root filesystem shared read-only over 9p with a
# tmpfs overlay. Source it after kernels.sh.
#
#   vm_boot VER SCRIPT [LAST]  SCRIPT (and LAST, run after it) relative to the repo; results land in
#                        $VM_DIR/results/VER (writable 9p share), the serial
#                        console in $VM_DIR/results/VER/console.log.
#                        Returns qemu's status (124 on VM_TIMEOUT).
VM_TIMEOUT=${VM_TIMEOUT:-600}
VM_MEM=${VM_MEM:-2G}
VM_SMP=${VM_SMP:-2}
BUSYBOX=${BUSYBOX:-/bin/busybox}
# host variables passed on to tests/vm/guest.sh when set
VM_GUEST_VARS="VM_EXPECT_O_TRUNC VM_EXPECT_URING_TP VM_FILES VM_WAIT BULWARK BW_READY_TIMEOUT
	PG_START_TIMEOUT MDB_START_TIMEOUT"

# vm_initramfs VER: $VM_DIR/kernel/VER/initramfs.gz with busybox, the modules, init.
vm_initramfs() {
	local ver=$1 kd=$VM_DIR/kernel/$1 d
	d=$kd/initramfs.d
	rm -rf "$d"; mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/modules"
	cp "$BUSYBOX" "$d/bin/busybox" && ln -s busybox "$d/bin/sh" || return 1
	file -L "$BUSYBOX" | grep -q 'statically linked' || {
		echo "vm: $BUSYBOX is not static; install busybox-static" >&2; return 1; }
	cp "$kd"/modules/*.ko "$d/modules/" && cp "$kd/modules.order" "$d/" || return 1
	install -m 0755 "$VM_ROOT/tests/vm/init" "$d/init" || return 1
	cat > "$d/vm.conf" <<CONF
VM_KERNEL='$ver'
VM_REPO='$VM_ROOT'
VM_RESULTS='$VM_DIR/results/$ver'
VM_SCRIPT='$2'
VM_SCRIPT_LAST='${3:-}'
CONF
	# the scenario switches reach the guest's environment
	local v
	for v in $VM_GUEST_VARS; do
		[ -n "${!v+x}" ] && printf "%s='%s'\nexport %s\n" "$v" "${!v}" "$v" >> "$d/vm.conf"
	done
	(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) > "$kd/initramfs.gz" || return 1
	rm -rf "$d"
}

vm_boot() {
	local ver=$1 script=$2 last=${3:-} kd=$VM_DIR/kernel/$1 res=$VM_DIR/results/$1 rc
	rm -rf "$res"; mkdir -p "$res"
	vm_initramfs "$ver" "$script" "${3:-}" || { echo "vm: cannot build the initramfs for $ver" >&2; return 1; }
	# No lsm= and nothing else that changes the LSM list: each kernel runs
	# with its distribution default. panic=-1 with -no-reboot ends qemu on a panic.
	timeout --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp "$VM_SMP" -m "$VM_MEM" \
		-nographic -monitor none -serial "file:$res/console.log" -no-reboot \
		-kernel "$kd/vmlinuz" -initrd "$kd/initramfs.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4" \
		-fsdev local,id=hostroot,path=/,readonly=on,security_model=passthrough,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev local,id=results,path="$res",security_model=passthrough \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		-nic none < /dev/null > "$res/qemu.log" 2>&1
	rc=$?
	return $rc
}
