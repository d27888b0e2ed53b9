#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Prints the "Supported kernels" markdown table from the kernel matrix's
# results (build/vm/results/VER/: status.json from `bulwark status --json`
# inside the guest, results.txt, daemon.err), for the README.
#   tests/vm/kernels_md.sh VER...
set -u
cd "$(dirname "$0")/../.."
VM_DIR=${VM_DIR:-build/vm}

# hook kind of one program's hook string, as a person names it
KIND='def kind: if startswith("lsm/") then "BPF-LSM"
	elif startswith("fentry/") or startswith("fexit/") then "fentry/fexit"
	elif startswith("kprobe/") or startswith("kretprobe/") then "kprobes"
	elif startswith("tp/syscalls/") then "syscall tracepoints"
	elif startswith("tp_btf/") or startswith("raw_tp/") or startswith("tp/") then "BTF tracepoints"
	elif startswith("uprobe") or startswith("uretprobe") then "uprobes"
	else . end;'
# family of a program, from its hook: what it captures
FAMILY='def family: if test("unlink|rmdir|rename|truncate|open") then "files"
	elif test("sched_process_exec|execve|bprm") then "exec"
	elif test("sched_process") then "process"
	else "database" end;'

echo "Measured by \`make vmtest\` on $(date -u +%Y-%m-%d), ${BULWARK:-build/bulwark of $(git rev-parse --short HEAD 2>/dev/null || echo '?')}, under qemu (TCG)."
echo
echo "| kernel | Debian package | bulwark starts | enforcement path | capture path | what is missing | syscall cost with bulwark (TCG, indicative) | vmtest |"
echo "|---|---|---|---|---|---|---|---|"
for ver in "$@"; do
	r=$VM_DIR/results/$ver
	pkg=$(cat "$VM_DIR/kernel/$ver/package" 2>/dev/null | sed 's/_amd64\.deb$//; s/_/ /')
	p=$(grep -c '^PASS ' "$r/results.txt" 2>/dev/null); f=$(grep -c '^FAIL ' "$r/results.txt" 2>/dev/null)
	tally="${p:-0} passed, ${f:-0} failed"
	# guest.sh's vm_bench: ns per iteration without and with the daemon, same guest
	cost=$(awk -F'[= ]' '{ for (i = 1; i < NF; i += 2) v[$i] = $(i + 1) }
		END { if (v["BENCH_without_getpid"] > 0 && v["BENCH_with_getpid"] > 0)
			printf "getpid x%.2f, create+unlink x%.2f", v["BENCH_with_getpid"] / v["BENCH_without_getpid"],
				v["BENCH_with_unlink"] / v["BENCH_without_unlink"]; else printf "-" }' "$r/bench.env" 2>/dev/null)
	cost=${cost:--}
	if [ ! -s "$r/status.json" ]; then
		# the refused program and the kernel's reason, from libbpf's lines
		prog=$(grep -o "prog '[^']*'" "$r/daemon.err" 2>/dev/null | head -1)
		why=$(grep -v -E '^libbpf: (prog|failed)|^processed |^-- |^$' "$r/daemon.err" 2>/dev/null | grep -v '^bulwark:' | head -1)
		[ -n "$why" ] || why=$(grep -o 'failed to find kernel BTF type ID of [^:]*' "$r/daemon.err" 2>/dev/null | head -1)
		if [ -n "$prog" ]; then missing="does not start: $prog refused: ${why:-see $r/daemon.err}"
		else
			# the daemon's own message, with the indented reasons that follow it
			why=$(awk '/^bulwark:/ && !n { n = 1; out = $0; next }
				n == 1 && /^  / { sub(/^ +/, ""); out = out " " $0 "."; next }
				n == 1 { n = 2 } END { print out }' "$r/daemon.err" 2>/dev/null)
			missing="does not start: ${why:-no results, see $r/console.log}"
		fi
		echo "| $ver | ${pkg:-?} | no | - | - | ${missing//|/\\|} | - | $tally |"
		continue
	fi
	# status lists per-family backends ("backends": [{family, backend, fell_back, on}])
	# where the build has them; older builds only list programs and hooks
	row=$(jq -r "$KIND $FAMILY"'
		. as $s
		| if (.backends | type) == "array" then
			([.enforcement] + [.backends[] | select(.family | test("O_TRUNC")) | "\(.family): \(.backend)"]
			  | join("; ")) as $enf
			| ([.backends[] | select(.on and (.family | test("enforcement|O_TRUNC") | not))
			    | "\(.family): \(.backend)"] | join("; ")) as $cap
			| ([.backends[] | select(.on | not) | "\(.family) off"]
			   + [.backends[] | select(.fell_back != "") | "\(.family) fell back (\(.fell_back))"]
			   | join("; ")) as $missing
			| "\($enf)\t\($cap)\t\($missing)"
		  else
			(["files", "exec", "database"] | map(. as $f | "\($f): \($s.programs
				| [.[] | select(.attached and (.hook | family) == $f and (.hook | startswith("lsm/") | not))
				     | .hook | kind] | unique | join(" + "))") | join("; ")) as $cap
			| ([.programs[] | select(.attached | not) | select(.hook | test("^uprobe|^uretprobe") | not)
			    | "\(.name) (\(.hook))"] | join(", ")) as $missing
			| "\(.enforcement)\t\($cap)\t\($missing)"
		  end' "$r/status.json")
	enf=${row%%$'\t'*}; rest=${row#*$'\t'}; cap=${rest%%$'\t'*}; missing=${rest#*$'\t'}
	# per scenario that did not pass: its measurement and the checks that did not pass
	gaps=$(awk -v scen="exec_attributed rm_rf truncate o_trunc io_uring psql_drop_database mariadb_drop_database status error_paths no_btf bpf_enosys bpf_eperm lockdown" '
		BEGIN { n = split(scen, S, " ") }
		function owner(name,   i) { for (i = 1; i <= n; i++) if (index(name, S[i]) == 1) return S[i]; return name }
		/^INFO / { k = $2; sub(/:$/, "", k); m = $0; sub(/^INFO [^:]*: /, "", m); sub(/ \(enforcement.*/, "", m); info[k] = m }
		/^(FAIL|SKIP) / { k = $2; sub(/:$/, "", k); o = owner(k); r = $0; sub(/^[A-Z]+ [^:]*: /, "", r)
			sub(/ \(.*/, "", r); c = substr(k, length(o) + 2); bad[o] = bad[o] (bad[o] ? ", " : "") $1 (c ? " " c : "") ": " r }
		END { for (i = 1; i <= n; i++) if (S[i] in bad)
			out = out (out ? "; " : "") S[i] ": " (S[i] in info ? info[S[i]] " (" bad[S[i]] ")" : bad[S[i]])
			print out }' "$r/results.txt")
	[ -n "$gaps" ] && missing="${missing:+$missing; }$gaps"
	echo "| $ver | ${pkg:-?} | yes | ${enf//|/\\|} | ${cap//|/\\|} | ${missing:-nothing} | $cost | $tally |"
done
