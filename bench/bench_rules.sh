#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# Rule-evaluation rate: generates a realistic event mix (default 2M events:
# 40% unlinkat in varied directories, 25% execve, 15% fork, 15% exit,
# 2% renameat2, 2% ftruncate, 1% db_query), replays it with the default rules and
# prints the rate of rules_eval alone, without JSON parsing:
#   rules: N events/s per core (budget >= 1000000)
# Then the loading budgets (bench/rules_load_bench.c): 50,000 rules load in
# < 2 s, a pmatch list of 100,000 items compiles in < 1 s, and no hostile
# 1 MB input makes `rules check` use more than 256 MB or 5 s.
# Usage: bench/bench_rules.sh [EVENTS]   (BULWARK=path RULES=dir KEEP=1)
set -eu
cd "$(dirname "$0")/.."
N=${1:-2000000}
BULWARK=${BULWARK:-build/bulwark}
RULES=${RULES:-rules/}
BUDGET=1000000
[ -x "$BULWARK" ] || { echo "bench_rules: $BULWARK is not built; run 'make build/bulwark'" >&2; exit 1; }
work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
events=$work/events.jsonl

# Fixed seed: every run measures the same events. Each file event comes
# from an actor that plausibly touches that directory (the server in its
# data directory, developers in their build trees, dpkg under /usr...),
# so alerts stay as rare as on a real host and every rule is still tried.
awk -v n="$N" 'BEGIN {
	srand(42)
	t = 1790000000000000000
	# unlinkat actors: weight|proc|exe|parent|session(0 none, 1 login)|dirs (space separated)
	na = split("30|postgres|/usr/lib/postgresql/15/bin/postgres|postgres|0|/var/lib/postgresql/15/main/pg_wal /var/lib/postgresql/15/main/base/16384/pgsql_tmp;" \
		"15|mariadbd|/usr/sbin/mariadbd|systemd|0|/var/lib/mysql/shop /var/lib/mysql/#innodb_temp;" \
		"12|rm|/usr/bin/rm|make|1|/home/dev/project/build/obj /home/dev/project/build/lib;" \
		"8|cc1|/usr/lib/gcc/x86_64-linux-gnu/12/cc1|gcc|1|/tmp /home/dev/project/build;" \
		"15|python3|/usr/bin/python3.11|systemd|0|/tmp/sess /var/tmp/cache /run/user/1001 /var/cache/app;" \
		"10|dpkg|/usr/bin/dpkg|apt|1|/usr/lib/python3/dist-packages/pkg /var/lib/dpkg/info /var/cache/apt/archives;" \
		"5|logrotate|/usr/sbin/logrotate|systemd|0|/var/log/nginx /var/log/postgresql;" \
		"5|rm|/usr/bin/rm|bash|1|/srv/app/uploads /srv/app/tmp", actors, ";")
	wsum = 0
	for (a = 1; a <= na; a++) {
		split(actors[a], f, "|")
		wsum += f[1]; aw[a] = wsum; ap[a] = f[2]; ae[a] = f[3]; app[a] = f[4]; as[a] = f[5]
		adn[a] = split(f[6], tmp, " ")
		for (k = 1; k <= adn[a]; k++) ad[a, k] = tmp[k]
	}
	ncmds = split("ls -la|grep -r foo .|psql -U app shop|cp a b|sh -c true|cat /etc/hosts|" \
		"systemctl status postgresql|git status|sed -n 1p f|awk {print}|rm -f /tmp/x|mysql -e select 1|" \
		"ps aux|tail -f /var/log/syslog|vim notes.txt|du -sh /var/lib/postgresql|make -j2|" \
		"rm -rf /home/dev/project/build|dd if=/dev/sda of=/tmp/mbr bs=512 count=1|fdisk -l /dev/sda", cmds, "|")
	for (i = 0; i < n; i++) {
		t += 1000 + int(rand() * 50000)
		login = rand() < 0.3
		s = login ? 12 + int(rand() * 4) : 4294967295
		r = rand()
		if (r < 0.40) {
			x = rand() * wsum
			for (a = 1; a < na && x >= aw[a]; a++) ;
			login = as[a]
			s = login ? 12 + int(rand() * 4) : 4294967295
		}
		lu = login ? 1001 : 4294967295
		pid = 1000 + int(rand() * 60000)
		head = sprintf("{\"evt.time\":%d,", t)
		tail = sprintf("\"proc.pid\":%d,\"proc.tid\":%d,\"proc.ppid\":%d,\"user.uid\":0,\"user.loginuid\":%d,\"session.id\":%d", pid, pid, pid - 1, lu, s)
		if (r < 0.40) {
			d = ad[a, 1 + int(rand() * adn[a])]
			printf "%s\"evt.type\":\"unlinkat\",\"evt.rawres\":0,\"proc.name\":\"%s\",\"proc.exepath\":\"%s\",\"proc.cmdline\":\"%s\",\"proc.pname\":\"%s\",%s,\"fd.name\":\"%s/f%06d\",\"evt.arg\":0}\n", head, ap[a], ae[a], ap[a], app[a], tail, d, i
		} else if (r < 0.65) {
			c = cmds[1 + int(rand() * ncmds)]
			split(c, w, " ")
			printf "%s\"evt.type\":\"execve\",\"evt.rawres\":0,\"proc.name\":\"%s\",\"proc.exepath\":\"/usr/bin/%s\",\"proc.cmdline\":\"%s\",\"proc.pname\":\"bash\",%s}\n", head, w[1], w[1], c, tail
		} else if (r < 0.80) {
			printf "%s\"evt.type\":\"fork\",\"proc.name\":\"bash\",\"proc.exepath\":\"/usr/bin/bash\",\"proc.cmdline\":\"-bash\",%s}\n", head, tail
		} else if (r < 0.95) {
			printf "%s\"evt.type\":\"exit\",\"proc.name\":\"sh\",\"proc.exepath\":\"/usr/bin/dash\",\"proc.cmdline\":\"sh -c true\",%s,\"evt.arg\":0}\n", head, tail
		} else if (r < 0.97) {
			printf "%s\"evt.type\":\"renameat2\",\"evt.rawres\":0,\"proc.name\":\"dpkg\",\"proc.exepath\":\"/usr/bin/dpkg\",\"proc.cmdline\":\"dpkg --unpack\",\"proc.pname\":\"apt\",%s,\"fd.name\":\"/usr/lib/python3/dist-packages/g%06d.dpkg-new\",\"fd.newname\":\"/usr/lib/python3/dist-packages/g%06d\",\"evt.arg\":0}\n", head, tail, i, i
		} else if (r < 0.99) {
			printf "%s\"evt.type\":\"ftruncate\",\"evt.rawres\":0,\"proc.name\":\"postgres\",\"proc.exepath\":\"/usr/lib/postgresql/15/bin/postgres\",\"proc.cmdline\":\"postgres: 15/main: checkpointer\",\"proc.pname\":\"postgres\",%s,\"fd.name\":\"/var/lib/postgresql/15/main/base/16384/%d\",\"evt.arg\":8192}\n", head, tail, 16000 + i % 500
		} else {
			printf "%s\"evt.type\":\"db_query\",\"proc.name\":\"postgres\",\"proc.exepath\":\"/usr/lib/postgresql/15/bin/postgres\",\"proc.cmdline\":\"postgres: 15/main: app shop\",%s,\"db.system\":\"postgresql\",\"db.user\":\"app\",\"db.name\":\"shop\",\"db.query\":\"SELECT * FROM orders WHERE id = %d\",\"db.peer\":\"10.0.0.5:51234\",\"db.side\":\"server\",\"db.stmt\":\"SELECT\",\"db.has_where\":true,\"db.destructive\":false}\n", head, tail, i
		}
	}
}' >"$events"

echo "bench_rules: $N events, $(du -h "$events" | cut -f1), rules from $RULES" >&2
"$BULWARK" replay --rules "$RULES" --stats --hostname bench "$events" >"$work/alerts.jsonl" 2>"$work/stats" || true
grep -v '^stats:' "$work/stats" | grep -v ': warning: ' | head -5 >&2 || true
stats=$(grep '^stats:' "$work/stats") || { echo "bench_rules: replay printed no stats:" >&2; cat "$work/stats" >&2; exit 1; }
echo "$stats" >&2
rate=$(sed -n 's/.* eval_events_per_s=\([0-9]*\).*/\1/p' <<<"$stats")
parse=$(sed -n 's/.* read_parse_events_per_s=\([0-9]*\).*/\1/p' <<<"$stats")
echo "alerts: $(wc -l <"$work/alerts.jsonl") ($(grep -o '"rule":"[^"]*"' "$work/alerts.jsonl" | sort | uniq -c | sort -rn | head -3 | tr -s ' ' | paste -sd ';' -))" >&2
echo "json: $parse events/s per core (reading and parsing, for reference)"
echo "rules: $rate events/s per core (budget >= $BUDGET)"
load_ok=0
if [ -x "${LOAD_BENCH:-build/bench/rules_load_bench}" ]; then
	"${LOAD_BENCH:-build/bench/rules_load_bench}" "$BULWARK" || load_ok=1
else
	echo "bench_rules: build/bench/rules_load_bench is not built; run 'make build/bench/rules_load_bench'" >&2
	load_ok=1
fi
[ "$rate" -ge "$BUDGET" ] && [ $load_ok -eq 0 ]
