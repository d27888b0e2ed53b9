#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Response figures: time from the kill decision to the last process of the
# session dead (p50, p99 over many sessions, as measured by the daemon on
# pidfds), and files lost per `rm -rf` of a protected 10,000-file tree.
# Every victim is a fresh login session created here.
#   bench/bench_kill.sh [RUNS] [RM_RUNS]
set -u
cd "$(dirname "$0")/.."
RUNS=${1:-100}; RM_RUNS=${2:-10}
BW=${BULWARK:-build/bulwark}
T=$(mktemp -d /tmp/bulwark-bench-kill.XXXXXX)
P=$T/protected
BW_PID=""
cleanup() { [ -n "$BW_PID" ] && kill -TERM "$BW_PID" 2>/dev/null && wait "$BW_PID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

cat > "$T/kill.yaml" <<'YAML'
- rule: Bench kill trigger
  desc: kills the session that runs the trigger
  condition: evt.type = execve and proc.name = true and proc.cmdline contains "bulwark-bench-kill"
  output: "bench kill"
  priority: CRITICAL
  action: kill_session
YAML
mkdir -p "$P"
"$BW" run --pin-dir none --rules "$T/kill.yaml" --protect "$P" --journal "$T/j" --run-dir "$T/run" \
	> "$T/out.json" 2> "$T/err" &
BW_PID=$!
for _ in $(seq 1 200); do grep -q ready "$T/err" && break; sleep 0.1; done
grep -q ready "$T/err" || { echo "bench_kill: bulwark did not start" >&2; cat "$T/err" >&2; exit 1; }

# a session of a shell with three background children, then the trigger
cat > "$T/victim.sh" <<'SH'
sleep 300 & sleep 300 & (while :; do sleep 1; done) &
T=bulwark-bench-
/bin/true ${T}kill
sleep 300
SH
for i in $(seq 1 "$RUNS"); do
	sh -c "echo $((6000 + i % 100)) > /proc/self/loginuid && exec sh $T/victim.sh" 2>/dev/null
done
sleep 0.5

lost_all=""
for i in $(seq 1 "$RM_RUNS"); do
	rm -rf "$P"; mkdir -p "$P/d"
	(cd "$P/d" && seq 1 10000 | xargs touch)
	sleep 2.5  # a re-created protected directory is re-resolved within 2 s
	sh -c "echo 6500 > /proc/self/loginuid && exec rm -rf $P" 2>/dev/null
	lost_all+="$((10000 - $(find "$P" -type f | wc -l))) "
done
sleep 0.5

jq -r 'select(.rule == "Bench kill trigger") | .action_result.dead_us' "$T/out.json" | sort -n > "$T/lat"
n=$(wc -l < "$T/lat")
pct() { awk -v p="$1" '{a[NR]=$1} END {i=int((NR*p+99)/100); if (i<1) i=1; print a[i]}' "$T/lat"; }
killed=$(jq -r 'select(.rule == "Bench kill trigger") | .action_result.killed' "$T/out.json" | sort -n | uniq -c | tr '\n' ' ')
printf '\nKill latency: decision to the last process of the session dead (%d sessions of 5 processes)\n' "$n"
printf 'p50 %.2f ms, p99 %.2f ms, max %.2f ms (budget: p99 <= 10 ms)\n' \
	"$(echo "$(pct 50) / 1000" | awk '{print $1/1000}')" "$(awk -v v="$(pct 99)" 'BEGIN{print v/1000}')" \
	"$(awk -v v="$(tail -1 "$T/lat")" 'BEGIN{print v/1000}')"
echo "processes killed per session (count x sessions): $killed"
printf '\nFiles lost per rm -rf of a protected 10000-file tree (%d runs): %s\n' "$RM_RUNS" "$lost_all"
echo "max $(echo $lost_all | tr ' ' '\n' | sort -n | tail -1) (budget: <= 1; 0 with BPF-LSM); enforcement: $(jq -r .enforcement "$T/run/status.json")"
