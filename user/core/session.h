/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Session table: each audit login session's who, from where, since when, via what, and what it did. */
#ifndef BULWARK_SESSION_H
#define BULWARK_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include "core/event.h"
#include "core/json.h"
#include "core/proctable.h"

#define SESSION_ORIGIN_MAX 64   /* "[ipv6]:port" fits */
#define SESSION_VIA_MAX 256     /* "sshd -> bash -> sudo -> bash" */
#define SESSION_VIA_DEPTH 12    /* processes named in session.via, nearest first kept */

/* One audit session of this boot. Strings are NUL terminated, event fields point into them. */
struct session {
	uint32_t id;                 /* audit session id */
	uint32_t loginuid;           /* audit login uid */
	char loginname[33];          /* name of loginuid ("" when unknown) */
	uint64_t start_ns;           /* leader's start, else first event seen (epoch ns) */
	uint64_t last_ns;            /* last event */
	uint64_t end_ns;             /* leader exited (0 while alive) */
	char end[96];                /* "logout" or "killed by rule ..." ("" while alive) */
	uint32_t leader_pid;         /* topmost process of the session */
	char leader_exe[256];        /* its executable */
	char leader_comm[16];        /* its comm, the chain's first name */
	char tty[32];                /* "pts/3", "tty1" ("" until known) */
	char origin[SESSION_ORIGIN_MAX];    /* "203.0.113.5:50022", "[2001:db8::5]:50022", console, cron, systemd-run, unknown */
	char origin_ip[SESSION_ORIGIN_MAX]; /* the address alone ("" when origin is not an address) */
	uint8_t tty_tries;           /* exec-time tty lookups left */
	uint8_t origin_tries;        /* periodic origin lookups left while "unknown" */
	uint64_t execs, deletions, destructive, alerts, kills; /* counters */
	struct session *next;        /* hash chain */
};

struct session_table {
	struct session **buckets;    /* open hash on id */
	uint32_t nbuckets;           /* power of two */
	uint32_t count;              /* sessions held */
	char boot_id[40];            /* /proc/sys/kernel/random/boot_id: with id, the journal's key */
	const char *proc_root;       /* "/proc"; tests point it at a fake tree */
	uint64_t boot_to_epoch_ns;   /* CLOCK_REALTIME - CLOCK_BOOTTIME, for /proc start times */
	char via[SESSION_VIA_MAX];   /* session.via of the event being annotated */
};

int session_table_init(struct session_table *st, const char *proc_root, uint32_t nbuckets);
void session_table_free(struct session_table *st);

/* Session of id, or NULL. */
struct session *session_get(struct session_table *st, uint32_t id);

/*
 * Session of id, created on first sight: the leader is found by walking
 * up from pid through /proc while the parents are in the same session,
 * then the origin, tty and start are read. NULL for BW_NO_SESSION or ENOMEM.
 */
struct session *session_open(struct session_table *st, struct proctable *pt, uint32_t id,
			     uint32_t pid, uint64_t now_ns);

/* Creates the sessions of every process in the (seeded) process table. Returns how many. */
int session_seed(struct session_table *st, struct proctable *pt, uint64_t now_ns);

/*
 * Adds the session fields to e and counts it. Allocation-free after the
 * session exists: e's strings point into the session and st->via.
 */
void session_annotate(struct session_table *st, struct proctable *pt, struct bw_event *e);

/* An alert fired for e: counted; killed names the rule when the action killed the session. */
void session_note_alert(struct session_table *st, const struct bw_event *e, const char *rule,
			bool killed);

/* Re-reads origins still unknown, drops sessions ended more than keep_ns ago. */
void session_tick(struct session_table *st, struct proctable *pt, uint64_t now_ns, uint64_t keep_ns);

/*
 * The sessions as JSON lines: {"boot_id":...,"time":...,"sessions":N}, then
 * one object per session (so a reader parses flat objects, and jq reads it).
 */
void session_table_json(const struct session_table *st, struct jbuf *b, uint64_t now_ns);

/* session.via for pid: names from the leader down to pid, within the session. */
size_t session_via(struct proctable *pt, const struct session *s, uint32_t pid, char *out, size_t cap);

/*
 * Remote address of an established TCP socket with inode ino, from one
 * /proc/net/tcp or tcp6 text. 0 and origin/ip filled, or -ENOENT.
 */
int session_tcp_lookup(const char *text, bool v6, uint64_t ino, char *origin, char *ip, size_t cap);

/* Origin from an SSH_CONNECTION value "client port server port". 0 or -EINVAL. */
int session_ssh_connection(const char *val, char *origin, char *ip, size_t cap);

/* Formats an address (4 or 16 bytes) and port: IPv4-mapped IPv6 is shown as IPv4. */
void session_format_addr(const uint8_t *addr, bool v6, uint16_t port, char *origin, char *ip, size_t cap);

#endif /* BULWARK_SESSION_H */
