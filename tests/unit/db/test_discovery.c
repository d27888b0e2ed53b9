// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Database discovery over a proc tree built here: servers by name, their listening sockets, children skipped, rescans. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "core/json.h"
#include "db/discovery.h"
#include "unit.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (!f) {
		UNIT_FAIL("cannot write %s: %s", path, strerror(errno));
		return;
	}
	fputs(text, f);
	fclose(f);
}

static void dir(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir(path, 0755);
}

static void lnk(const char *rel, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	if (symlink(target, path))
		UNIT_FAIL("symlink %s: %s", path, strerror(errno));
}

static const char tcp_hdr[] =
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
static const char unix_hdr[] = "Num       RefCount Protocol Flags    Type St Inode Path\n";

/* A process: pid, comm, ppid, its socket inodes (0-terminated), its netns. */
static void proc(int pid, const char *comm, int ppid, const unsigned long *socks, const char *netns)
{
	char rel[64], text[256];

	snprintf(rel, sizeof(rel), "%d", pid);
	dir(rel);
	snprintf(rel, sizeof(rel), "%d/fd", pid);
	dir(rel);
	snprintf(rel, sizeof(rel), "%d/ns", pid);
	dir(rel);
	snprintf(rel, sizeof(rel), "%d/net", pid);
	dir(rel);
	snprintf(rel, sizeof(rel), "%d/stat", pid);
	snprintf(text, sizeof(text), "%d (%s) S %d 1 1 0 -1 4194560 0 0 0 0\n", pid, comm, ppid);
	put(rel, text);
	snprintf(rel, sizeof(rel), "%d/fd/0", pid);
	lnk(rel, "/dev/null");
	for (int i = 0; socks && socks[i]; i++) {
		snprintf(rel, sizeof(rel), "%d/fd/%d", pid, i + 3);
		snprintf(text, sizeof(text), "socket:[%lu]", socks[i]);
		lnk(rel, text);
	}
	snprintf(rel, sizeof(rel), "%d/ns/net", pid);
	lnk(rel, netns);
}

/* The namespace's socket tables, the same in every process's net/ (as in /proc). */
static void put2(const char *rel, const char *a, const char *b)
{
	char *text = malloc(strlen(a) + strlen(b) + 1);

	if (!text)
		return;
	strcpy(text, a);
	strcat(text, b);
	put(rel, text);
	free(text);
}

static void net(int pid, const char *tcp, const char *tcp6, const char *unx)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%d/net/tcp", pid);
	put2(rel, tcp_hdr, tcp);
	snprintf(rel, sizeof(rel), "%d/net/tcp6", pid);
	put2(rel, tcp_hdr, tcp6);
	snprintf(rel, sizeof(rel), "%d/net/unix", pid);
	put2(rel, unix_hdr, unx);
}

static const char TCP[] =
	/* 127.0.0.1:5499 LISTEN inode 5001 (postgres) */
	"   0: 0100007F:157B 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 5001 1 0 100 0 0 10 0\n"
	/* 0.0.0.0:3307 LISTEN inode 6001 (mariadbd) */
	"   1: 00000000:0CEB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 6001 1 0 100 0 0 10 0\n"
	/* 127.0.0.1:22 LISTEN inode 7001 (sshd, not a server) */
	"   2: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7001 1 0 100 0 0 10 0\n"
	/* an established connection of postgres (inode 5003), not a listener */
	"   3: 0100007F:157B 0100007F:A000 01 00000000:00000000 00:00000000 00000000   108        0 5003 1 0 20 4 30 10 -1\n";
static const char TCP6[] =
	/* [::1]:5499 LISTEN inode 5002: the same port again */
	"   0: 00000000000000000000000001000000:157B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 5002 1 0 100 0 0 10 0\n";
static const char UNX[] =
	"0000000000000000: 00000002 00000000 00010000 0001 01 5004 /tmp/pg one/.s.PGSQL.5499\n"
	"0000000000000000: 00000002 00000000 00010000 0001 01 6002 /srv/my/a.sock\n"
	/* abstract and unnamed listeners of mariadbd, a connected one: left out */
	"0000000000000000: 00000002 00000000 00010000 0001 01 6003 @abstract\n"
	"0000000000000000: 00000002 00000000 00010000 0001 01 6004\n"
	"0000000000000000: 00000003 00000000 00000000 0001 03 6005 /srv/my/a.sock\n";

static void build_tree(void)
{
	static const unsigned long pg[] = { 5001, 5002, 5003, 5004, 0 };
	static const unsigned long child[] = { 5001, 5002, 5004, 0 };  /* before closing them */
	static const unsigned long my[] = { 6001, 6002, 6003, 6004, 6005, 0 };
	static const unsigned long ssh[] = { 7001, 0 };

	snprintf(root, sizeof(root), "/tmp/bw-test-discovery.XXXXXX");
	if (!mkdtemp(root))
		UNIT_FAIL("mkdtemp: %s", strerror(errno));
	proc(100, "postgres", 1, pg, "net:[4026531840]");
	net(100, TCP, TCP6, UNX);
	proc(101, "postgres", 100, child, "net:[4026531840]");
	net(101, TCP, TCP6, UNX);
	proc(200, "mariadbd", 1, my, "net:[4026531840]");
	net(200, TCP, TCP6, UNX);
	proc(300, "sshd", 1, ssh, "net:[4026531840]");
	net(300, TCP, TCP6, UNX);
	dir("self");  /* not a pid */
}

static void rm_tree(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		printf("# could not remove %s\n", root);
}

static const struct disc_endpoint *find(const struct discovery *d, uint16_t port, const char *path)
{
	for (int i = 0; i < d->n; i++)
		if (d->ep[i].port == port && (port || !strcmp(d->ep[i].path, path)))
			return &d->ep[i];
	return NULL;
}

TEST(discovery_server_names)
{
	CHECK(discovery_server_kind("postgres") == BW_DB_PG);
	CHECK(discovery_server_kind("postmaster") == BW_DB_PG);
	CHECK(discovery_server_kind("mariadbd") == BW_DB_MYSQL);
	CHECK(discovery_server_kind("mysqld") == BW_DB_MYSQL);
	CHECK(discovery_server_kind("mysql") == 0);
	CHECK(discovery_server_kind("psql") == 0);
	CHECK(discovery_server_kind("") == 0);
}

TEST(discovery_finds_listeners)
{
	struct discovery d;
	const struct disc_endpoint *e;
	struct jbuf b = { 0 };
	char cmd[900];

	build_tree();
	discovery_init(&d, root);
	CHECK(discovery_scan(&d, 1000) == 1);
	CHECK(d.servers == 3);
	/* 5499 once (v4 and v6), the PostgreSQL socket, 3307, the MariaDB socket */
	CHECK(d.n == 4);
	e = find(&d, 5499, NULL);
	CHECK(e && e->system == BW_DB_PG && e->pid == 100 && !strcmp(e->server, "postgres"));
	e = find(&d, 0, "/tmp/pg one/.s.PGSQL.5499");
	CHECK(e && e->system == BW_DB_PG && e->pid == 100);
	e = find(&d, 3307, NULL);
	CHECK(e && e->system == BW_DB_MYSQL && e->pid == 200 && !strcmp(e->server, "mariadbd"));
	e = find(&d, 0, "/srv/my/a.sock");
	CHECK(e && e->system == BW_DB_MYSQL && e->pid == 200);
	CHECK(!find(&d, 22, NULL));
	CHECK(!find(&d, 0, "@abstract"));
	/* nothing changed: a rescan says so */
	CHECK(discovery_scan(&d, 2000) == 0);
	discovery_status_json(&d, &b);
	jbuf_putc(&b, 0);
	CHECK(b.p && strstr(b.p, "{\"system\":\"postgresql\",\"server\":\"postgres\",\"pid\":100,\"port\":5499}"));
	CHECK(b.p && strstr(b.p, "\"socket\":\"/srv/my/a.sock\""));
	jbuf_free(&b);
	/* the servers stop: their endpoints go */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/100' '%s/101' '%s/200'", root, root, root);
	CHECK(system(cmd) == 0);
	CHECK(discovery_scan(&d, 3000) == 1);
	CHECK(d.n == 0);
	discovery_free(&d);
	rm_tree();
}

TEST(discovery_many_ports)
{
	static unsigned long socks[602];
	char tcp[128 * 601], line[160];
	struct discovery d;
	size_t len = 0;

	build_tree();
	/* a "postgres" listening on 600 ports */
	for (int i = 0; i < 600; i++) {
		socks[i] = 9000 + (unsigned long)i;
		snprintf(line, sizeof(line),
			 "%4d: 0100007F:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 %lu 1 0 100 0 0 10 0\n",
			 i, 20000 + i, socks[i]);
		memcpy(tcp + len, line, strlen(line) + 1);
		len += strlen(line);
	}
	socks[600] = 0;
	proc(400, "postgres", 1, socks, "net:[4026532000]");
	net(400, tcp, "", "");
	discovery_init(&d, root);
	CHECK(discovery_scan(&d, 1000) == 1);
	CHECK(find(&d, 20000, NULL) && find(&d, 20599, NULL) && find(&d, 5499, NULL));
	CHECK(d.n == 604);
	CHECK(d.dropped == 0);
	discovery_free(&d);
	rm_tree();
}

TEST(discovery_schedule)
{
	struct discovery d;
	const uint64_t s = 1000000000ull;

	snprintf(root, sizeof(root), "/tmp/bw-test-discovery-none");
	discovery_init(&d, root);
	CHECK(discovery_due(&d, 0));
	CHECK(discovery_scan(&d, 10 * s) < 0);  /* no such tree: an error, the old list kept */
	CHECK(!discovery_due(&d, 11 * s));
	CHECK(discovery_due(&d, 70 * s));       /* the backstop */
	discovery_exec(&d, "/usr/bin/bash", 13, 20 * s);
	CHECK(!discovery_due(&d, 21 * s));
	discovery_exec(&d, "/usr/lib/postgresql/15/bin/postgres", 35, 20 * s);
	CHECK(discovery_due(&d, 21 * s));
	/* rescans at 1, 2, 4 ... 64 s after the exec */
	for (int k = 0; k < DISC_AFTER_EXEC_SCANS; k++) {
		uint64_t at = 20 * s + (1ull << k) * s;

		CHECK(!discovery_due(&d, at - 1));
		CHECK(discovery_due(&d, at));
		discovery_scan(&d, at);
	}
	CHECK(!discovery_due(&d, (20 + 64 + 59) * s));
	CHECK(discovery_due(&d, (20 + 64 + 60) * s));
	discovery_free(&d);
}

int main(void)
{
	return unit_main();
}
