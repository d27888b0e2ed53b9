#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Enforces the folder layering of user/: a folder includes headers only from
# the folders it may depend on (the DAG below), and only the folders listed in
# KERNEL_FACING call libbpf. Prints "PASS name" / "FAIL name: why" lines.
#   tests/layers.sh
set -u
cd "$(dirname "$0")/.."

# folder -> the folders whose headers it may include (its own is implied).
declare -A ALLOWED=(
	[core]=""
	[sql]=""
	[journal]="core"
	[rules]="core"
	[db]="core sql"
	[kernel]="core db"
	[actions]="core rules"
	[outputs]="core rules"
	[daemon]="core sql db rules journal actions kernel outputs"
	[config]=""
	[cli]="core sql db rules journal actions kernel daemon outputs config"
)
# Folders whose code may include libbpf (drives the kernel).
KERNEL_FACING="kernel daemon"

status=0
for dir in user/*/; do
	f=$(basename "$dir")
	if [ -z "${ALLOWED[$f]+set}" ]; then
		echo "FAIL layers_$f: user/$f is not in tests/layers.sh; add it to the DAG"
		status=1; continue
	fi
	bad=""
	while IFS=: read -r file inc; do
		dep=${inc%%/*}
		[ "$dep" = "$f" ] && continue
		case " ${ALLOWED[$f]} " in *" $dep "*) ;; *) bad="$bad $file->$inc" ;; esac
	done < <(grep -Ho '#include "[a-z_]*/[a-z_.]*"' "$dir"*.[ch] 2>/dev/null | sed 's/#include "//;s/"$//')
	if [ -n "$bad" ]; then
		echo "FAIL layers_$f: includes outside its allowed folders (${ALLOWED[$f]:-none}):$bad"
		status=1
	else
		echo "PASS layers_$f"
	fi
	if grep -lq '<bpf/' "$dir"*.[ch] 2>/dev/null && [[ " $KERNEL_FACING " != *" $f "* ]]; then
		echo "FAIL libbpf_$f: user/$f calls libbpf but is not kernel-facing"
		status=1
	fi
done
exit $status
