#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Installs the Debian 12 packages bulwark needs to build, run, test and bench,
# and to boot the kernel matrix (make vmtest: qemu, busybox, liburing).
# Does nothing when they are all present. --list prints the package names.
set -euo pipefail
PKGS=(make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libyaml-dev
      libpg-query-dev libclang-rt-14-dev pkg-config iproute2 procps util-linux
      coreutils findutils postgresql-15 postgresql-client-15 postgresql-contrib
      mariadb-server mariadb-client auditd jq python3 libcurl4-openssl-dev libssl-dev
      rsyslog rsyslog-openssl openssl libmicrohttpd-dev curl
      prometheus debhelper lintian dpkg-dev bash-completion man-db
      liburing-dev qemu-system-x86 busybox-static cpio kmod xz-utils zstd gnupg file
      openssh-server openssh-client chromium passwd)
if [ "${1:-}" = --list ]; then echo "${PKGS[*]}"; exit 0; fi
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep the distro's services from starting: tests start their own servers.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
