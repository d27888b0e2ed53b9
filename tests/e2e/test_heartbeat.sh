#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# --heartbeat: the live daemon sends "monitor is alive" alerts through its
# outputs at the interval, so a collector notices a host that goes silent;
# they stop when the daemon stops.
. "$(dirname "$0")/lib.sh"
e2e_need_root
cd "$E2E_ROOT"

A=$E2E_TMP/alerts.jsonl
bw_start --rules rules/ --heartbeat 1s --output "file:path=$A" ||
	{ fail heartbeat_start "daemon did not start"; exit 1; }
sleep 3.5
beats() { [ -s "$A" ] && jq -c 'select(.rule == "Heartbeat" and (.tags | index("heartbeat")))' "$A" | wc -l || echo 0; }
n=$(beats)
check heartbeat_sent_each_second test "$n" -ge 2
check heartbeat_not_flooding test "$n" -le 5
check heartbeat_says_alive grep -q "bulwark alive on" "$A"
bw_stop
n1=$(beats); sleep 2; n2=$(beats)
check heartbeat_stops_with_daemon test "$n1" -eq "$n2"
e2e_summary
