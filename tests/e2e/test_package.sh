#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# The Debian package: `make deb` (debhelper, reusing build/), lintian's tags
# shown, `dpkg -i`, then the installed bulwark --version, config check of
# /etc/bulwark/bulwark.yaml, systemd-analyze verify of the unit, man pages
# that render; then the package is purged and the machine left as it was.
# Refuses to run when bulwark is already installed (not ours to remove).
. "$(dirname "$0")/lib.sh"
e2e_need_root
cd "$E2E_ROOT"

if dpkg-query -W -f='${Status}' bulwark 2>/dev/null | grep -q 'ok installed'; then
	fail package_clean_machine "a bulwark package is already installed; not touching it"
	e2e_summary
fi
for t in dpkg-buildpackage dh lintian systemd-analyze; do
	command -v "$t" >/dev/null || { fail package_tools "$t is missing: make deps"; e2e_summary; }
done
if [ -e /etc/bulwark ]; then
	fail package_clean_machine "/etc/bulwark exists; a test would change it"
	e2e_summary
fi
purge() { dpkg --purge bulwark >/dev/null 2>&1; rm -rf /etc/bulwark; }
trap 'purge; e2e_cleanup' EXIT

make -s deb > "$E2E_TMP/deb.log" 2>&1; rc=$?
check package_built test "$rc" -eq 0
deb=$(ls build/deb/bulwark_*_*.deb 2>/dev/null | grep -v dbgsym | head -1)
check package_exists test -n "$deb"
[ -n "$deb" ] || { tail -20 "$E2E_TMP/deb.log"; e2e_summary; }
echo "lintian tags:"; grep -E '^[EWIPX]: ' "$E2E_TMP/deb.log" || echo "  (none)"
if grep -q '^E: ' "$E2E_TMP/deb.log"; then
	fail package_lintian_errors "$(grep '^E: ' "$E2E_TMP/deb.log" | head -3)"
else
	pass package_lintian_errors
fi

if dpkg -i "$deb" > "$E2E_TMP/dpkg.log" 2>&1; then pass package_installs; else
	fail package_installs "$(tail -3 "$E2E_TMP/dpkg.log")"; fi
check package_version sh -c '/usr/sbin/bulwark --version | grep -q "^bulwark "'
check package_config_check /usr/sbin/bulwark config check /etc/bulwark/bulwark.yaml
check package_rules_dir test -d /etc/bulwark/rules.d
check package_rules_shipped test -e /usr/share/bulwark/rules/10-base.yaml
check package_conffile sh -c 'dpkg-query -W -f="\${Conffiles}" bulwark | grep -q /etc/bulwark/bulwark.yaml'
check package_completion test -e /usr/share/bash-completion/completions/bulwark
if systemd-analyze verify /lib/systemd/system/bulwark.service > "$E2E_TMP/verify.log" 2>&1; then
	pass package_unit_verify
else
	fail package_unit_verify "$(head -3 "$E2E_TMP/verify.log")"
fi
check package_unit_not_enabled sh -c '! test -e /etc/systemd/system/multi-user.target.wants/bulwark.service'
for m in 8/bulwark 5/bulwark.yaml 5/bulwark-rules; do
	if man --warnings -l "/usr/share/man/man${m%%/*}/${m#*/}.${m%%/*}.gz" 2>&1 >/dev/null | grep -q .; then
		fail "package_man_${m#*/}" "warnings from man"
	else
		check "package_man_${m#*/}" sh -c "man -l /usr/share/man/man${m%%/*}/${m#*/}.${m%%/*}.gz | grep -q NAME"
	fi
done

purge
check package_purged sh -c '! dpkg-query -W -f="\${Status}" bulwark 2>/dev/null | grep -q installed'
check package_no_leftovers sh -c '! test -e /usr/sbin/bulwark && ! test -e /etc/bulwark && ! test -e /lib/systemd/system/bulwark.service'
e2e_summary
