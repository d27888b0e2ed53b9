#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Rewrites rule files, recorded events and tests from bulwark's old field
# names to Falco's meanings (issue 14), in place:
#   proc.exe (was the executable path)  -> proc.exepath  (proc.exe is now argv[0])
#   proc.pexe (the parent's path)       -> proc.pexepath (proc.pexe is the parent's argv[0])
#   evt.res (was the integer)           -> evt.rawres    (evt.res is now SUCCESS or ENOENT...)
#   user.loginuid 4294967295 ("unset")  -> -1
# Idempotent: running it twice changes nothing more.
#   tests/falco/migrate-fields.sh FILE...
set -eu
[ $# -gt 0 ] || { echo "usage: $0 FILE..." >&2; exit 2; }
sed -E -i \
	-e 's/\bproc\.exe\b/proc.exepath/g' \
	-e 's/\bproc\.pexe\b/proc.pexepath/g' \
	-e 's/\bevt\.res\b/evt.rawres/g' \
	-e 's/(user\.loginuid *(=|==|!=) *)4294967295\b/\1-1/g' \
	-e 's/("user\.loginuid" *: *)4294967295\b/\1-1/g' \
	"$@"
