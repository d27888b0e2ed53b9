/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Database capture's programs on BPF trampolines, BTF tracepoints and uprobes; DB_PROG names them (two builds). */
#ifndef BULWARK_DB_PROGS_BPF_H
#define BULWARK_DB_PROGS_BPF_H

/*
 * Included by db_fentry.bpf.c (DB_PROG(n) is n) and by
 * db_fentry_legacy.bpf.c, the 5.10 build (BW_NO_BPF_LOOP, DB_PROG(n) is
 * n_legacy): the same bodies in lib/db.bpf.h, verified for each kernel
 * generation. The loader chooses one build per slot (user/kernel/loader.c).
 *
 * fentry/fexit: connect/accept/close on the syscall functions instead of
 * syscall tracepoints (which would put every syscall of the host on the
 * tracing slow path), and the streams on fexit of the protocols'
 * sendmsg/recvmsg (inet, inet6, unix stream) where the
 * sock_{send,recv}_length tracepoints (6.2+) are missing.
 *
 * Why those: they have kept their signatures from 5.10 to 6.12 and are
 * where write/send/sendto/sendmsg (and read/recv/recvfrom/recvmsg) on a
 * socket all meet, io_uring's included; the 6.2 tracepoints fire in their
 * caller, sock_sendmsg_nosec/sock_recvmsg_nosec, with the same values. Like
 * those, the copy reads the buffers from the syscall's own registers
 * (db_copy_user); kprobes would need pt_regs arguments and cost more.
 */
#include "db.bpf.h"

/* BPF_PROG and friends paste their name argument: expand DB_PROG first. */
#define DB_BPF_PROG_(name, args...) BPF_PROG(name, ##args)
#define DB_BPF_PROG(name, args...) DB_BPF_PROG_(name, ##args)
#define DB_BPF_KPROBE_(name, args...) BPF_KPROBE(name, ##args)
#define DB_BPF_KPROBE(name, args...) DB_BPF_KPROBE_(name, ##args)
#define DB_BPF_KRETPROBE_(name, args...) BPF_KRETPROBE(name, ##args)
#define DB_BPF_KRETPROBE(name, args...) DB_BPF_KRETPROBE_(name, ##args)

#ifdef BW_NO_BPF_LOOP
/*
 * 5.10's BTF gives __x64_sys_{connect,accept,accept4} a forward-declared
 * struct pt_regs, which its verifier refuses to read through ("arg0 type
 * FWD is not a struct"). The 5.10 build hooks the functions behind them,
 * whose arguments are the syscall's own: __sys_connect, and
 * __sys_accept4 for both accept and accept4 (so role accept4 has no
 * program of its own, see the loader's dbsock_fentry_legacy).
 */
SEC("fentry/__sys_connect")
int DB_BPF_PROG(DB_PROG(fentry_connect), int fd, const char *uaddr, int len)
{
	return db_connect_enter(fd, uaddr);
}

SEC("fexit/__sys_connect")
int DB_BPF_PROG(DB_PROG(fexit_connect), int fd, const char *uaddr, int len, int ret)
{
	return db_connect_exit(ret);
}

SEC("fexit/__sys_accept4")
int DB_BPF_PROG(DB_PROG(fexit_accept), int fd, void *uaddr, int *ulen, int flags, int ret)
{
	return db_accepted(ret);
}
#else
SEC("fentry/" SYSCALL_FN(connect))
int DB_BPF_PROG(DB_PROG(fentry_connect), struct pt_regs *regs)
{
	return db_connect_enter((int)SC_ARG1(regs), (const char *)SC_ARG2(regs));
}

SEC("fexit/" SYSCALL_FN(connect))
int DB_BPF_PROG(DB_PROG(fexit_connect), struct pt_regs *regs, long ret)
{
	return db_connect_exit(ret);
}

SEC("fexit/" SYSCALL_FN(accept))
int DB_BPF_PROG(DB_PROG(fexit_accept), struct pt_regs *regs, long ret)
{
	return db_accepted(ret);
}

SEC("fexit/" SYSCALL_FN(accept4))
int DB_BPF_PROG(DB_PROG(fexit_accept4), struct pt_regs *regs, long ret)
{
	return db_accepted(ret);
}
#endif

SEC("fentry/" SYSCALL_FN(close))
int DB_BPF_PROG(DB_PROG(fentry_close), struct pt_regs *regs)
{
	return db_close((int)SC_ARG1(regs));
}

/*
 * One program per protocol: sock_ops' sendmsg/recvmsg are reached through
 * function pointers (or INDIRECT_CALL to another file), so the compiler
 * can never inline them away. sock_sendmsg/sock_recvmsg could: on 6.1,
 * __sys_sendto has sock_sendmsg inlined and fexit on it never fires for
 * send(2), so a client's statements were never seen.
 */
SEC("fexit/inet_sendmsg")
int DB_BPF_PROG(DB_PROG(fexit_inet_sendmsg), struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	return db_sent(sock->sk, ret);
}

SEC("fexit/inet_recvmsg")
int DB_BPF_PROG(DB_PROG(fexit_inet_recvmsg), struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	return db_received(sock->sk, ret, flags);
}

SEC("fexit/inet6_sendmsg")
int DB_BPF_PROG(DB_PROG(fexit_inet6_sendmsg), struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	return db_sent(sock->sk, ret);
}

SEC("fexit/inet6_recvmsg")
int DB_BPF_PROG(DB_PROG(fexit_inet6_recvmsg), struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	return db_received(sock->sk, ret, flags);
}

SEC("fexit/unix_stream_sendmsg")
int DB_BPF_PROG(DB_PROG(fexit_unix_stream_sendmsg), struct socket *sock, struct msghdr *msg, size_t len, int ret)
{
	return db_sent(sock->sk, ret);
}

SEC("fexit/unix_stream_recvmsg")
int DB_BPF_PROG(DB_PROG(fexit_unix_stream_recvmsg), struct socket *sock, struct msghdr *msg, size_t size,
	     int flags, int ret)
{
	return db_received(sock->sk, ret, flags);
}

/* TCP sockets also end here when no close() was made (process killed, reset). */
SEC("tp_btf/inet_sock_set_state")
int DB_BPF_PROG(DB_PROG(tp_btf_inet_sock_set_state), const struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct db_sock *s;

	if (newstate != TCP_CLOSE)
		return 0;
	s = bpf_map_lookup_elem(&db_socks, &key);
	if (s)
		db_forget(key, s);
	return 0;
}

/* PostgreSQL: List *pg_parse_query(const char *query_string), simple and extended protocol. */
SEC("uprobe")
int DB_BPF_KPROBE(DB_PROG(uprobe_pg_parse_query), const char *query)
{
	db_statement(BW_DB_PG, query, -1, 0);
	return 0;
}

/* MariaDB: dispatch_command(enum_server_command, THD *, char *packet, uint length, bool). */
SEC("uprobe")
int DB_BPF_KPROBE(DB_PROG(uprobe_dispatch_command), int command, void *thd, const char *packet,
	       unsigned int length)
{
	if (command != COM_QUERY && command != COM_INIT_DB && command != COM_STMT_PREPARE)
		return 0;
	db_statement(BW_DB_MYSQL, packet, length, (__u32)command);
	return 0;
}

/* data[] = user "\0" database "\0", each read from user memory (NULL -> ""). */
static __always_inline void db_login(__u8 system, const char *user, const char *db)
{
	struct bw_sock_event *e = db_scratch_get();
	struct db_served v;
	long n = 0, m = 0;

	if (!e)
		return;
	db_served_get(&v);
	db_served_record(e, &v, system, BW_SOCK_LOGIN);
	if (user)
		n = bpf_probe_read_user_str(e->data, DB_NAME_MAX, user);
	if (n <= 0) {
		e->data[0] = 0;
		n = 1;
	}
	n &= DB_NAME_MAX - 1 + DB_NAME_MAX;  /* n <= DB_NAME_MAX */
	if (db)
		m = bpf_probe_read_user_str(&e->data[n], DB_NAME_MAX, db);
	if (m <= 0) {
		e->data[n] = 0;
		m = 1;
	}
	e->data_len = (__u16)(n + (m & (2 * DB_NAME_MAX - 1)));
	db_submit(e);
}

/* PostgreSQL: InitPostgres(const char *in_dbname, Oid dboid, const char *username, ...). */
SEC("uprobe")
int DB_BPF_KPROBE(DB_PROG(uprobe_InitPostgres), const char *dbname, __u32 dboid, const char *username)
{
	db_login(BW_DB_PG, username, dbname);
	return 0;
}

/* MariaDB: mysql_change_db(THD *, const LEX_CSTRING *new_db_name, bool force): login and USE. */
SEC("uprobe")
int DB_BPF_KPROBE(DB_PROG(uprobe_mysql_change_db), void *thd, const void *name)
{
	struct { const char *str; __u64 length; } lex;

	if (bpf_probe_read_user(&lex, sizeof(lex), name))
		return 0;
	db_login(BW_DB_MYSQL, NULL, lex.str);
	return 0;
}

/*
 * TLS inside the server: PostgreSQL's be_tls_read(Port *, void *ptr,
 * size_t len, int *waitfor) and MariaDB's vio_ssl_read(Vio *, uchar *buf,
 * size_t size) return decrypted client bytes in their buffer. The entry
 * saves the buffer, the return copies what was read: the connection's
 * decrypted stream, decoded like a plaintext one (user, database and
 * statements, plain reads skipped). Only TLS connections call these, so
 * plaintext traffic pays nothing for them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} db_tls_bufs SEC(".maps") __weak;

SEC("uprobe")
int DB_BPF_KPROBE(DB_PROG(uprobe_tls_read), void *conn, void *buf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 b = (__u64)buf;

	bpf_map_update_elem(&db_tls_bufs, &tid, &b, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int DB_BPF_KRETPROBE(DB_PROG(uretprobe_tls_read), long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), session = NO_SESSION;
	__u64 *buf = bpf_map_lookup_elem(&db_tls_bufs, &tid), *skp, off;
	struct db_sock *s = NULL, *cs = NULL;

	if (!buf)
		return 0;
	/* the ciphertext was just read from this thread's connection */
	skp = ret > 0 ? bpf_map_lookup_elem(&db_threads, &tid) : NULL;
	if (skp)
		s = bpf_map_lookup_elem(&db_socks, skp);
	if (s && s->side == BW_SIDE_SERVER) {
		off = db_stream_advance(&s->tls.bytes, (__u64)ret);
		if (s->peer)
			cs = bpf_map_lookup_elem(&db_socks, &s->peer);
		if (cs && cs->side == BW_SIDE_CLIENT)
			session = cs->sessionid;
		db_data(NULL, s, &s->tls, off, (int)ret, session, (const void *)*buf);
	}
	bpf_map_delete_elem(&db_tls_bufs, &tid);
	return 0;
}

#endif /* BULWARK_DB_PROGS_BPF_H */
