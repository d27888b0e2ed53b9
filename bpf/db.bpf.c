// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Database capture, tracepoint backend and the hooks every kernel has:
 * connect/accept/close on syscall tracepoints (used only where fentry
 * cannot load: db_fentry.bpf.c), the 6.2+ sock_{send,recv}_length BTF
 * tracepoints for the streams, TCP state, fork/exit, and the uprobes.
 */
#include "lib/db.bpf.h"

SEC("tp/syscalls/sys_enter_connect")
int tp_enter_connect(struct trace_event_raw_sys_enter *ctx)
{
	return db_connect_enter((int)ctx->args[0], (const char *)ctx->args[1]);
}

SEC("tp/syscalls/sys_exit_connect")
int tp_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	return db_connect_exit(ctx->ret);
}

SEC("tp/syscalls/sys_exit_accept")
int tp_exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	return db_accepted(ctx->ret);
}

SEC("tp/syscalls/sys_exit_accept4")
int tp_exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	return db_accepted(ctx->ret);
}

SEC("tp/syscalls/sys_enter_close")
int tp_enter_close(struct trace_event_raw_sys_enter *ctx)
{
	return db_close((int)ctx->args[0]);
}

/* Streams, 6.2+: fired from sock_sendmsg_nosec/sock_recvmsg_nosec for sockets only. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(tp_btf_sock_send_length, struct sock *sk, int ret, int flags)
{
	return db_sent(sk, ret);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tp_btf_sock_recv_length, struct sock *sk, int ret, int flags)
{
	return db_received(sk, ret, flags);
}

/* TCP sockets also end here when no close() was made (process killed, reset). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tp_btf_inet_sock_set_state, const struct sock *sk, int oldstate, int newstate)
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

/* Children inherit their parent's sockets (PostgreSQL backends, shells). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf_sched_process_fork_db, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid, one = 1;

	if (child->pid != ctgid || !bpf_map_lookup_elem(&db_procs, &ptgid))
		return 0;
	bpf_map_update_elem(&db_procs, &ctgid, &one, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf_sched_process_exit_db, struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (BPF_CORE_READ(p, signal, live.counter) == 0)
		bpf_map_delete_elem(&db_procs, &tgid);
	return 0;
}

/* PostgreSQL: List *pg_parse_query(const char *query_string), simple and extended protocol. */
SEC("uprobe")
int BPF_KPROBE(uprobe_pg_parse_query, const char *query)
{
	db_statement(BW_DB_PG, query, -1, 0);
	return 0;
}

/* MariaDB: dispatch_command(enum_server_command, THD *, char *packet, uint length, bool). */
SEC("uprobe")
int BPF_KPROBE(uprobe_dispatch_command, int command, void *thd, const char *packet,
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
int BPF_KPROBE(uprobe_InitPostgres, const char *dbname, __u32 dboid, const char *username)
{
	db_login(BW_DB_PG, username, dbname);
	return 0;
}

/* MariaDB: mysql_change_db(THD *, const LEX_CSTRING *new_db_name, bool force): login and USE. */
SEC("uprobe")
int BPF_KPROBE(uprobe_mysql_change_db, void *thd, const void *name)
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
} db_tls_bufs SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(uprobe_tls_read, void *conn, void *buf)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 b = (__u64)buf;

	bpf_map_update_elem(&db_tls_bufs, &tid, &b, BPF_ANY);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(uretprobe_tls_read, long ret)
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
