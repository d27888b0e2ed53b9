// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Session table: leader, origin (sockets, SSH_CONNECTION, IPv6, mapped), via chain, counters, on a fake /proc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "unit.h"
#include "core/session.h"

static char root[256];

static void put(const char *rel, const char *text, size_t n)
{
	char path[512], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fwrite(text, 1, n, f);
		fclose(f);
	}
}

static void link_to(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	symlink(target, path);
}

static void fake_proc(struct proctable *pt, uint32_t pid, uint32_t ppid, uint32_t sid, const char *comm,
		      const char *exe)
{
	char rel[64], text[256];
	struct proc *p = proctable_add(pt, pid);

	p->ppid = ppid;
	p->sessionid = sid;
	p->loginuid = sid == BW_NO_SESSION ? BW_NO_SESSION : 0;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	proc_set_str(&p->exe, &p->exe_len, &p->exe_cap, exe, (uint32_t)strlen(exe));
	snprintf(rel, sizeof(rel), "%u/stat", pid);
	snprintf(text, sizeof(text), "%u (%s) S %u 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 100 0 0\n", pid, comm, ppid);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%u/sessionid", pid);
	snprintf(text, sizeof(text), "%u", sid);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%u/loginuid", pid);
	snprintf(text, sizeof(text), "%u", sid == BW_NO_SESSION ? BW_NO_SESSION : 0);
	put(rel, text, strlen(text));
	snprintf(rel, sizeof(rel), "%u/fd/.keep", pid);
	put(rel, "", 0);
}

static const char tcp4[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1\n"
	"   1: 0100007F:0016 0700A8C0:C350 06 00000000:00000000 00:00000000 00000000     0        0 5555 1\n"
	"   2: 0100007F:0016 0700A8C0:C351 01 00000000:00000000 00:00000000 00000000     0        0 5555 1\n";
static const char tcp6[] =
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	"   0: 00000000000000000000000001000000:0016 B80D0120000000000000000007000000:D431 01 00000000:00000000 00:00000000 00000000     0        0 6666 1\n"
	"   1: 00000000000000000000000001000000:0016 0000000000000000FFFF0000076433C6:D432 01 00000000:00000000 00:00000000 00000000     0        0 7777 1\n";

TEST(session_tcp_tables)
{
	char o[64], ip[64];

	/* a TIME_WAIT line with the same inode is not the connection */
	CHECK_EQ(session_tcp_lookup(tcp4, false, 5555, o, ip, sizeof(o)), 0);
	CHECK_STREQ(o, "192.168.0.7:50001");
	CHECK_STREQ(ip, "192.168.0.7");
	CHECK_EQ(session_tcp_lookup(tcp6, true, 6666, o, ip, sizeof(o)), 0);
	CHECK_STREQ(o, "[2001:db8::7]:54321");
	CHECK_STREQ(ip, "2001:db8::7");
	CHECK_EQ(session_tcp_lookup(tcp6, true, 7777, o, ip, sizeof(o)), 0);
	CHECK_STREQ(o, "198.51.100.7:54322"); /* IPv4-mapped: shown as IPv4 */
	CHECK_EQ(session_tcp_lookup(tcp4, false, 4242, o, ip, sizeof(o)), -ENOENT);
	CHECK_EQ(session_tcp_lookup("", false, 1, o, ip, sizeof(o)), -ENOENT);
}

TEST(session_ssh_connection_values)
{
	char o[64], ip[64];

	CHECK_EQ(session_ssh_connection("203.0.113.9 40000 10.0.0.1 22", o, ip, sizeof(o)), 0);
	CHECK_STREQ(o, "203.0.113.9:40000");
	CHECK_EQ(session_ssh_connection("::ffff:203.0.113.9 40001 ::ffff:10.0.0.1 22", o, ip, sizeof(o)), 0);
	CHECK_STREQ(o, "203.0.113.9:40001");
	CHECK_EQ(session_ssh_connection("fe80::1 40002 fe80::2 22", o, ip, sizeof(o)), 0);
	CHECK_STREQ(o, "[fe80::1]:40002");
	CHECK_EQ(session_ssh_connection("not-an-address 1 2 3", o, ip, sizeof(o)), -EINVAL);
	CHECK_EQ(session_ssh_connection("1.2.3.4 99999 5.6.7.8 22", o, ip, sizeof(o)), -EINVAL);
	CHECK_EQ(session_ssh_connection("", o, ip, sizeof(o)), -EINVAL);
}

/* sshd (listener, no session) -> sshd (session 7, the accepted socket) -> bash -> sudo -> bash */
static void build_ssh_tree(struct proctable *pt)
{
	fake_proc(pt, 100, 1, BW_NO_SESSION, "sshd", "/usr/sbin/sshd");
	fake_proc(pt, 200, 100, 7, "sshd", "/usr/sbin/sshd");
	fake_proc(pt, 300, 200, 7, "bash", "/usr/bin/bash");
	fake_proc(pt, 400, 300, 7, "sudo", "/usr/bin/sudo");
	fake_proc(pt, 500, 400, 7, "bash", "/usr/bin/bash");
	link_to("200/fd/3", "socket:[5555]");
	link_to("200/fd/4", "pipe:[9]");
	link_to("300/fd/0", "/dev/pts/4");
	put("200/net/tcp", tcp4, sizeof(tcp4) - 1);
	put("200/net/tcp6", tcp6, sizeof(tcp6) - 1);
}

static void mkroot(void)
{
	snprintf(root, sizeof(root), "/tmp/bw-test-session.XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	put("sys/kernel/random/boot_id", "0b5e7f1c-0000-4000-8000-000000000001\n", 37);
}

static void rmroot(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		UNIT_FAIL("cleanup of %s failed", root);
}

TEST(session_leader_origin_via)
{
	struct proctable pt;
	struct session_table st;
	struct session *s;
	struct bw_event e;
	char via[256];

	mkroot();
	CHECK_EQ(proctable_init(&pt, 64), 0);
	build_ssh_tree(&pt);
	CHECK_EQ(session_table_init(&st, root, 16), 0);
	CHECK_STREQ(st.boot_id, "0b5e7f1c-0000-4000-8000-000000000001");
	s = session_open(&st, &pt, 7, 500, 1000);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(s->leader_pid, 200);
	CHECK_STREQ(s->leader_exe, "/usr/sbin/sshd");
	CHECK_STREQ(s->origin, "192.168.0.7:50001");
	CHECK_STREQ(s->origin_ip, "192.168.0.7");
	CHECK_EQ(session_open(&st, &pt, 7, 300, 2000), s); /* one entry per id */
	CHECK(session_open(&st, &pt, BW_NO_SESSION, 100, 1) == NULL);
	session_via(&pt, s, 500, via, sizeof(via));
	CHECK_STREQ(via, "sshd -> bash -> sudo -> bash");
	session_via(&pt, s, 200, via, sizeof(via));
	CHECK_STREQ(via, "sshd");

	/* an event gets every session field and counts */
	event_reset(&e);
	e.type = BW_EVT_EXECVE;
	e.pid = 300;
	e.sessionid = 7;
	e.time_ns = 5000;
	event_set_present(&e, FLD_SESSION_ID);
	session_annotate(&st, &pt, &e);
	CHECK(event_has(&e, FLD_SESSION_ORIGIN));
	CHECK_MEMEQ(e.session_origin.p, e.session_origin.len, "192.168.0.7:50001", 17);
	CHECK_MEMEQ(e.session_via.p, e.session_via.len, "sshd -> bash", 12);
	CHECK_MEMEQ(e.session_tty.p, e.session_tty.len, "pts/4", 5);
	CHECK_EQ(e.session_leader, 200);
	CHECK(event_has(&e, FLD_SESSION_BOOT));
	CHECK_EQ(s->execs, 1);
	e.type = BW_EVT_UNLINKAT;
	session_annotate(&st, &pt, &e);
	e.res = -2; /* a failed unlink deleted nothing */
	session_annotate(&st, &pt, &e);
	CHECK_EQ(s->deletions, 1);

	/* no session: nothing added */
	event_reset(&e);
	e.sessionid = BW_NO_SESSION;
	event_set_present(&e, FLD_SESSION_ID);
	session_annotate(&st, &pt, &e);
	CHECK(!event_has(&e, FLD_SESSION_ORIGIN));

	/* the kill names the rule; the leader's exit does not overwrite it */
	e.sessionid = 7;
	session_note_alert(&st, &e, "Destructive act", true);
	CHECK_EQ(s->alerts, 1);
	CHECK_EQ(s->kills, 1);
	e.type = BW_EVT_EXIT;
	e.pid = 200;
	e.time_ns = 9000;
	session_annotate(&st, &pt, &e);
	CHECK_EQ(s->end_ns, 9000);
	CHECK_STREQ(s->end, "killed by rule Destructive act");
	/* ended long ago: dropped */
	session_tick(&st, &pt, 9000 + 100, 50);
	CHECK(session_get(&st, 7) == NULL);
	CHECK_EQ(st.count, 0);
	session_table_free(&st);
	proctable_free(&pt);
	rmroot();
}

TEST(session_origin_never_guessed)
{
	struct proctable pt;
	struct session_table st;
	struct session *s;

	mkroot();
	CHECK_EQ(proctable_init(&pt, 64), 0);
	/* sshd gone: session 8's shell has ppid 1 now and no socket anywhere */
	fake_proc(&pt, 600, 1, 8, "bash", "/usr/bin/bash");
	/* an SSH_CONNECTION a process inherited outside sshd is not taken */
	put("600/environ", "SSH_CONNECTION=203.0.113.1 1 10.0.0.1 22\0", 41);
	CHECK_EQ(session_table_init(&st, root, 16), 0);
	s = session_open(&st, &pt, 8, 600, 1);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_STREQ(s->origin, "unknown");
	CHECK_STREQ(s->origin_ip, "");

	/* sshd alive but its socket not in the tables: SSH_CONNECTION of its child */
	fake_proc(&pt, 700, 1, BW_NO_SESSION, "sshd", "/usr/sbin/sshd");
	fake_proc(&pt, 710, 700, 9, "sshd", "/usr/sbin/sshd");
	fake_proc(&pt, 720, 710, 9, "bash", "/usr/bin/bash");
	put("720/environ", "A=b\0SSH_CONNECTION=::ffff:203.0.113.2 2222 10.0.0.1 22\0", 55);
	s = session_open(&st, &pt, 9, 720, 1);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ(s->leader_pid, 710);
	CHECK_STREQ(s->origin, "203.0.113.2:2222");

	/* a console login */
	fake_proc(&pt, 800, 1, 10, "login", "/usr/bin/login");
	fake_proc(&pt, 810, 800, 10, "bash", "/usr/bin/bash");
	s = session_open(&st, &pt, 10, 810, 1);
	if (!s)
		return;
	CHECK_STREQ(s->origin, "console");

	/* seeding finds no new session; the JSON lists all three */
	CHECK_EQ(session_seed(&st, &pt, 1), 0);
	{
		struct jbuf b = { 0 };
		int lines = 0;

		session_table_json(&st, &b, 2);
		CHECK(jbuf_ok(&b));
		for (size_t i = 0; i < b.len; i++)
			lines += b.p[i] == '\n';
		CHECK_EQ(lines, 4);
		CHECK(strstr(b.p, "\"session.origin\":\"203.0.113.2:2222\"") != NULL);
		jbuf_free(&b);
	}
	session_table_free(&st);
	proctable_free(&pt);
	rmroot();
}

int main(void)
{
	return unit_main();
}
