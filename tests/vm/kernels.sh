#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Fetches Debian's stock kernels for the VM matrix and lays out, per kernel,
# vmlinuz and the few modules the guest needs (decompressed, in load order).
# Cached under build/vm/: a second run with everything present touches no
# network. Source it (tests/vm/run.sh does) or run it: kernels.sh [VER...]
#
#   vm_suite VER          the Debian suite whose stock kernel is VER
#   vm_kernel_prepare VER  fetches and unpacks VER into $VM_DIR/kernel/VER
#
# Downloads go through apt with a private sources list, state and cache per
# suite (nothing of the host's apt state is read or changed), from the Debian
# mirror already configured on this host, checked with the archive keyring.
# VM_REFRESH=1 asks the mirror again for each suite's current kernel.
set -u
VM_ROOT=${VM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VM_DIR=${VM_DIR:-$VM_ROOT/build/vm}
HOST_KEYRING=${HOST_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
# Modules the guest loads: 9p root, virtio transport, overlay for a writable root.
VM_MODULES=${VM_MODULES:-"virtio_pci 9pnet_virtio 9p overlay"}

vm_suite() {
	case "$1" in
	5.10) echo bullseye ;; 6.1) echo bookworm ;; 6.12) echo trixie ;;
	*) return 1 ;;
	esac
}
vm_suite_number() {
	case "$1" in bullseye) echo 11 ;; bookworm) echo 12 ;; trixie) echo 13 ;; *) return 1 ;; esac
}

# The Debian mirror configured on this host (deb822 .sources or one-line .list),
# the one that serves the main archive, not -security. VM_MIRROR overrides.
vm_mirror() {
	if [ -n "${VM_MIRROR:-}" ]; then echo "$VM_MIRROR"; return 0; fi
	local f u
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		u=$(awk 'tolower($1) == "uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" |
			grep -E '/debian/?$' | head -1)
		[ -n "$u" ] && { echo "${u%/}"; return 0; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		u=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f" |
			grep -E '/debian/?$' | head -1)
		[ -n "$u" ] && { echo "${u%/}"; return 0; }
	done
	echo "vm: no Debian mirror (a URI ending in /debian) in /etc/apt/sources.list.d/ or" \
		"/etc/apt/sources.list; set VM_MIRROR=http://.../debian" >&2
	return 1
}

# _vm_apt SUITE ARGS...: apt-get/apt-cache on the private state of SUITE.
_vm_apt() {
	local suite=$1 tool=$2; shift 2
	local a=$VM_DIR/apt/$suite
	"$tool" -q -o Dir::Etc::SourceList="$a/sources.list" -o Dir::Etc::SourceParts="$a/sources.list.d" \
		-o Dir::State="$a/state" -o Dir::State::status="$a/state/status" -o Dir::Cache="$a/cache" \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts="$a/preferences.d" \
		-o APT::Architecture=amd64 -o APT::Sandbox::User=root "$@"
}

# _vm_keyring_has FILE SUITE: the keyring holds the archive key of that release.
_vm_keyring_has() {
	gpg --batch --show-keys --with-colons "$1" 2>/dev/null |
		grep -q "^uid:.*Debian Archive Automatic Signing Key ($(vm_suite_number "$2")/$2)"
}

# _vm_keyring SUITE: prints the keyring that verifies SUITE. The host's
# keyring first; if it predates SUITE, the debian-archive-keyring package of
# bookworm (verified with the host's keyring) carries the newer keys.
_vm_keyring() {
	local suite=$1 k=$VM_DIR/keyring/debian-archive-keyring.gpg
	if _vm_keyring_has "$HOST_KEYRING" "$suite"; then echo "$HOST_KEYRING"; return 0; fi
	if [ -s "$k" ] && _vm_keyring_has "$k" "$suite"; then echo "$k"; return 0; fi
	echo "vm: $HOST_KEYRING has no key for $suite; fetching debian-archive-keyring from bookworm" >&2
	_vm_apt_setup bookworm "$HOST_KEYRING" || return 1
	local d=$VM_DIR/keyring/deb
	rm -rf "$d"; mkdir -p "$d"
	(cd "$d" && _vm_apt bookworm apt-get download debian-archive-keyring > "$d/download.log" 2>&1) || {
		cat "$d/download.log" >&2; echo "vm: cannot download debian-archive-keyring from bookworm" >&2; return 1; }
	dpkg-deb -x "$d"/debian-archive-keyring_*.deb "$d/x" || return 1
	cp "$d/x/usr/share/keyrings/debian-archive-keyring.gpg" "$k" || return 1
	if ! _vm_keyring_has "$k" "$suite"; then
		echo "vm: no keyring with the $suite archive key: install a newer debian-archive-keyring" >&2
		return 1
	fi
	echo "$k"
}

# _vm_apt_setup SUITE KEYRING: sources list for SUITE and apt-get update.
_vm_apt_setup() {
	local suite=$1 keyring=$2 a=$VM_DIR/apt/$1 mirror
	mirror=$(vm_mirror) || return 1
	mkdir -p "$a/sources.list.d" "$a/preferences.d" "$a/state/lists/partial" "$a/cache/archives/partial"
	: > "$a/state/status"
	echo "deb [signed-by=$keyring] $mirror $suite main" > "$a/sources.list"
	echo "vm: apt-get update for $suite from $mirror" >&2
	_vm_apt "$suite" apt-get update > "$a/update.log" 2>&1 || {
		cat "$a/update.log" >&2
		echo "vm: apt-get update of $suite failed (mirror $mirror, keyring $keyring)" >&2; return 1; }
}

# _vm_modules_closure MODDIR NAMES...: the .ko paths (relative to MODDIR) to
# load, dependencies first, each once; built-in modules are left out.
_vm_modules_closure() {
	local md=$1; shift
	awk -v want="$*" '
	function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.[a-z]+)?$/, "", p); gsub(/-/, "_", p); return p }
	FILENAME ~ /modules\.builtin$/ { builtin[base($1)] = 1; next }
	{ m = $1; sub(/:$/, "", m); path[base(m)] = m; deps[base(m)] = ""
	  for (i = 2; i <= NF; i++) deps[base(m)] = deps[base(m)] " " base($i) }
	function visit(n,   d, k, i) {
		if (n in done) return
		done[n] = 1
		if (n in builtin) return
		if (!(n in path)) { print "MISSING " n; return }
		k = split(deps[n], d, " ")
		# modules.dep lists a module'\''s dependencies deepest last: load from the end
		for (i = k; i >= 1; i--) visit(d[i])
		print path[n]
	}
	END { k = split(want, w, " "); for (i = 1; i <= k; i++) visit(w[i]) }
	' "$md/modules.builtin" "$md/modules.dep"
}

# vm_kernel_prepare VER: $VM_DIR/kernel/VER/{vmlinuz,modules/*.ko,modules.order,release}
vm_kernel_prepare() {
	local ver=$1 suite kd=$VM_DIR/kernel/$1 keyring pkg deb x rel md m
	suite=$(vm_suite "$ver") || { echo "vm: unknown kernel '$ver' (known: 5.10 6.1 6.12)" >&2; return 1; }
	if [ "${VM_REFRESH:-0}" != 1 ] && [ -s "$kd/vmlinuz" ] && [ -s "$kd/modules.order" ] && [ -s "$kd/release" ]; then
		return 0   # cached
	fi
	mkdir -p "$VM_DIR/debs"
	deb=$(ls "$VM_DIR/debs/"linux-image-"$ver".*-amd64_*.deb 2>/dev/null | sort -V | tail -1)
	[ "${VM_REFRESH:-0}" = 1 ] && deb=""
	if [ -z "$deb" ]; then
		keyring=$(_vm_keyring "$suite") || return 1
		_vm_apt_setup "$suite" "$keyring" || return 1
		# the metapackage names the suite's current kernel
		pkg=$(_vm_apt "$suite" apt-cache depends linux-image-amd64 |
			awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
		[ -n "$pkg" ] || { echo "vm: linux-image-amd64 in $suite names no kernel package" >&2; return 1; }
		echo "vm: downloading $pkg ($suite)" >&2
		(cd "$VM_DIR/debs" && _vm_apt "$suite" apt-get download "$pkg" > "$VM_DIR/apt/$suite/download.log" 2>&1) || {
			cat "$VM_DIR/apt/$suite/download.log" >&2
			echo "vm: apt-get download $pkg failed" >&2; return 1; }
		deb=$(ls "$VM_DIR/debs/${pkg}"_*.deb | sort -V | tail -1)
	fi
	rm -rf "$kd"; mkdir -p "$kd/modules"
	x=$kd/x
	dpkg-deb -x "$deb" "$x" || { echo "vm: cannot unpack $deb" >&2; return 1; }
	rel=$(ls "$x/lib/modules" 2>/dev/null | head -1)
	[ -n "$rel" ] || rel=$(ls "$x/usr/lib/modules" | head -1)
	md=$x/lib/modules/$rel; [ -d "$md" ] || md=$x/usr/lib/modules/$rel
	cp "$x/boot/vmlinuz-$rel" "$kd/vmlinuz" || { echo "vm: no boot/vmlinuz-$rel in $deb" >&2; return 1; }
	# modules.dep is made by depmod at install time, not shipped in the
	# package; depmod -b looks in BASE/lib/modules, trixie ships usr/lib/modules
	[ -e "$x/lib" ] || ln -s usr/lib "$x/lib"
	depmod -b "$x" "$rel" || { echo "vm: depmod -b $x $rel failed" >&2; return 1; }
	[ -s "$md/modules.dep" ] || { echo "vm: depmod made no $md/modules.dep" >&2; return 1; }
	: > "$kd/modules.order.tmp"
	while read -r m; do
		case "$m" in MISSING*) echo "vm: $rel has no module ${m#MISSING }" >&2; return 1 ;; esac
		local name; name=$(basename "$m"); name=${name%%.ko*}.ko
		case "$m" in
		*.ko.xz) xz -dc "$md/$m" > "$kd/modules/$name" ;;
		*.ko.zst) zstd -qdc "$md/$m" > "$kd/modules/$name" ;;
		*.ko.gz) gzip -dc "$md/$m" > "$kd/modules/$name" ;;
		*) cp "$md/$m" "$kd/modules/$name" ;;
		esac || { echo "vm: cannot decompress $m" >&2; return 1; }
		echo "$name" >> "$kd/modules.order.tmp"
	done < <(_vm_modules_closure "$md" $VM_MODULES)
	[ -s "$kd/modules.order.tmp" ] || { echo "vm: no modules resolved for $rel" >&2; return 1; }
	mv "$kd/modules.order.tmp" "$kd/modules.order"
	echo "$rel" > "$kd/release"
	basename "$deb" > "$kd/package"
	rm -rf "$x"
	echo "vm: $ver is $rel ($(basename "$deb")); modules: $(tr '\n' ' ' < "$kd/modules.order")" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -e
	for v in "${@:-5.10 6.1 6.12}"; do for w in $v; do vm_kernel_prepare "$w"; done; done
fi
