/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Database capture's one body: tracked sockets, stream copies and framing, shared by its backends. */
#ifndef BULWARK_DB_BPF_H
#define BULWARK_DB_BPF_H

#include "common.bpf.h"
#include "path.bpf.h"
#include <bpf/bpf_endian.h>

/*
 * Backends: db.bpf.c (syscall tracepoints for connect/accept/close, the
 * sock_{send,recv}_length BTF tracepoints of 6.2+, the uprobes) and
 * db_fentry.bpf.c (fentry/fexit on the same syscall functions, and fexit
 * on sock_sendmsg/sock_recvmsg where the 6.2 tracepoints are missing).
 * They call the same db_* functions below, so the records are the same.
 * db_fentry_legacy.bpf.c builds db_fentry's programs for 5.10 (DB_LOOP).
 */

#define AF_UNIX     1
#define AF_INET     2
#define AF_INET6    10
#define S_IFMT      00170000
#define S_IFSOCK    0140000
#define EINPROGRESS 115
#define TCP_CLOSE   7
#define MSG_PEEK    2

#define DB_IOV_MAX  16   /* iovecs copied per writev/sendmsg/readv/recvmsg */
#define DB_NAME_MAX 256  /* bytes of a user or database name (PostgreSQL: 63) */

/* MariaDB enum_server_command values whose packet is statement text. */
#define COM_INIT_DB      2
#define COM_QUERY        3
#define COM_STMT_PREPARE 22

/* Syscalls whose user buffer we can read at sock_{send,recv}_length. */
#if defined(__TARGET_ARCH_x86)
#define NR_read 0
#define NR_write 1
#define NR_readv 19
#define NR_writev 20
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#elif defined(__TARGET_ARCH_arm64)
#define NR_read 63
#define NR_write 64
#define NR_readv 65
#define NR_writev 66
#define NR_sendto 206
#define NR_recvfrom 207
#define NR_sendmsg 211
#define NR_recvmsg 212
#else
#error "db.bpf.c: add this architecture's syscall numbers"
#endif

/*
 * The 5.10 build (db_fentry_legacy.bpf.c, BW_NO_BPF_LOOP): Debian 11's
 * kernel has neither bpf_loop (5.17) nor bpf_task_pt_regs (5.15) nor
 * bpf_get_current_task_btf (5.11; cur_task() and TASK_RD() in
 * common.bpf.h cover that one). DB_LOOP runs a step function either as a
 * bpf_loop callback or, on 5.10, as a bounded loop over a global-function
 * twin of the step (db_*_step_g, at the end of this file): the verifier
 * checks a global function once, so 64 unrolled framing steps cost 64
 * calls, not 64 copies of the step's branches (which took 5.10's verifier
 * past its 1M instructions for the file walks, see path.bpf.h). Global
 * functions take scalars only on 5.10, so the loop state goes through a
 * per-CPU scratch (db_nl_ctx) and is copied back after the loop.
 */
#ifdef BW_NO_BPF_LOOP
#define DB_NL_CTX_MAX 64
struct db_nl_ctx {
	__u64 w[DB_NL_CTX_MAX / 8];  /* a struct db_iov_ctx or struct db_walk */
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_nl_ctx);
} db_nl_ctx_map SEC(".maps") __weak;

static __always_inline void *db_nl_ctx_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&db_nl_ctx_map, &zero);
}

int db_iov_step_g(__u32 i);
int db_walk_step_g(__u32 i);
int bw_hold_step_g(__u32 i);
#define DB_LOOP(n, step, ctx)                                                      \
	do {                                                                       \
		/* typed copies: a void * memcpy is done bytewise, and 5.10 */   \
		/* refuses the shifts that splits a pointer field into */         \
		typeof(ctx) __c = (typeof(ctx))db_nl_ctx_get();                    \
		_Static_assert(sizeof(*(ctx)) <= DB_NL_CTX_MAX, "db_nl_ctx too small"); \
		if (!__c)                                                          \
			break;                                                     \
		*__c = *(ctx);                                                     \
		for (int __i = 0; __i < (n); __i++)                                \
			if (step##_g(__i))                                         \
				break;                                             \
		*(ctx) = *__c;                                                     \
	} while (0)

/*
 * The current syscall's user registers without bpf_task_pt_regs
 * (stack_user_regs(), common.bpf.h). A wrong guess reads a syscall number
 * that matches nothing: the copy is then counted as unreadable
 * (BW_STAT_DB_UNREADABLE), not made.
 */
#define db_user_regs() stack_user_regs()
#else
#define DB_LOOP(n, step, ctx) bpf_loop((n), (step), (ctx), 0)
#define db_user_regs() ((struct pt_regs *)bpf_task_pt_regs(cur_task()))
#endif

struct pt_regs___arm64 { int syscallno; } __attribute__((preserve_access_index));
/* struct file before v6.13 counted references in f_count (1 = one). */
struct file___fcount { atomic_long_t f_count; } __attribute__((preserve_access_index));

/*
 * Database endpoints, filled by user space: the defaults, --db-port and
 * the ports discovery finds servers listening on (room for a server on
 * hundreds of ports). TCP port (host order) -> BW_DB_*.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u32);
} db_ports SEC(".maps") __weak;

/* Exact Unix socket paths, zero padded -> BW_DB_*. */
struct db_path_key {
	char path[BW_UNIX_PATH_MAX];
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct db_path_key);
	__type(value, __u32);
} db_paths SEC(".maps") __weak;

/*
 * Tracked sockets, keyed by the kernel's struct sock. A socket pointer is
 * stable across dup(), fork() and fd passing, which a {tgid, fd} key is
 * not: PostgreSQL's postmaster accepts and its forked backend reads, and
 * clients may dup or inherit the fd. The pointer is reused after the socket
 * is freed, so each entry keeps the socket's inode number and is checked on
 * every hit (sockets freed without close(), e.g. by a kill, are reclaimed).
 */
/* One client->server byte stream: on the wire, or decrypted inside a TLS server. */
struct db_stream {
	__u64 bytes;     /* bytes so far: the stream offset of the next syscall's first byte */
	__u64 next_msg;  /* stream offset of the next message boundary */
	__u8  phase;     /* DB_PH_*: where the framing is */
	__u8  gap;       /* DB_GAP_*: plain reads skipped since the last record */
	__u8  _pad[6];   /* always 0 */
};

struct db_sock {
	__u64 conn_id;   /* unique id, reported in every record */
	__u64 ino;       /* socket inode number: detects a reused struct sock */
	__u64 peer;      /* the other end's struct sock when both ends are tracked here, 0 = unknown */
	struct db_stream wire; /* what the client sent / the server received */
	struct db_stream tls;  /* server: what its TLS library decrypted from it */
	__u32 owner;     /* tgid that connected or accepted */
	__u32 sessionid; /* client: audit session of the process that connected */
	__u32 last_tid;  /* server: the thread that last received on it (db_threads is current) */
	__u8  system;    /* BW_DB_* */
	__u8  side;      /* BW_SIDE_* */
	__u8  family;    /* AF_* */
	__u8  tries;     /* client: attempts to find the server end */
};

/*
 * The kernel follows each stream's message framing (headers only) so it
 * can tell a syscall that carries exactly one complete plain read, and
 * skip it (see db_plain_select). Framing is lost on anything unexpected;
 * then nothing is skipped and user space resynchronises as usual.
 */
#define DB_PH_STARTUP 0  /* PostgreSQL: untyped startup/SSL/cancel messages; MySQL: handshake */
#define DB_PH_TYPED   1  /* regular messages (PostgreSQL type+length, MySQL packets) */
#define DB_PH_OPAQUE  2  /* TLS, GSS or compression: nothing to follow, nothing to copy past the handshake */
#define DB_PH_LOST    3  /* framing unknown: copy everything, skip nothing */

/* Skipped plain reads between two records: user space fills the hole with one filler message. */
#define DB_GAP_NONE   0
#define DB_GAP_WHOLE  1  /* only whole skipped messages since the last record */
#define DB_GAP_BROKEN 2  /* a record was lost too: the hole is not whole messages */

#define DB_PAIR_TRIES 4  /* client sends that look for the server end */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct db_sock);
} db_socks SEC(".maps") __weak;

/* Loopback TCP pairs: (client end, server end) -> the server's struct sock. */
struct db_tuple {
	__u8  caddr[16];  /* client address, IPv6 or v4-mapped */
	__u8  saddr[16];  /* server address */
	__u16 cport;      /* client port, host order */
	__u16 sport;      /* server port */
	__u32 _pad;       /* always 0 */
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct db_tuple);
	__type(value, __u64);
} db_tuples SEC(".maps") __weak;

/* Processes that hold a tracked socket: the cheap first test in close(). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} db_procs SEC(".maps") __weak;

/* connect() arguments saved at sys_enter, for endpoints that matched. */
struct db_connect_args {
	__s32 fd;                        /* socket fd */
	__u32 system;                    /* BW_DB_* of the endpoint */
	char path[BW_UNIX_PATH_MAX];     /* Unix endpoints: the path */
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct db_connect_args);
} db_connect_inflight SEC(".maps") __weak;

/* Server threads -> the tracked socket they last received from (struct sock). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} db_threads SEC(".maps") __weak;

/* The record, with room behind data[] so masked offsets + sizes stay inside. */
struct db_scratch {
	struct bw_sock_event ev;
	char spill[2 * BW_DATA_MAX];  /* masked copy sizes (DB_SIZE) reach 2 * BW_DATA_MAX - 1 */
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_scratch);
} db_scratch_map SEC(".maps") __weak;

/* Settings, written by user space after load (index 0). */
struct db_config {
	__u32 match_pgsql;   /* any Unix path named ".s.PGSQL.<port>" is PostgreSQL */
	__u32 report_reads;  /* 1: also report plain SELECTs of clients outside login sessions */
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_config);
} db_config SEC(".maps") __weak;

static __always_inline struct db_config *db_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&db_config, &zero);
}

/*
 * conn_ids: a per-CPU sequence with the CPU in the low 12 bits, unique per
 * boot without an atomic fetch-and-add (BPF_FETCH needs 5.12; Debian 11
 * runs 5.10). Tracing programs do not migrate while they run, so the
 * per-CPU increment cannot race.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} db_conn_seq SEC(".maps") __weak;

static __always_inline __u64 db_next_id(void)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&db_conn_seq, &zero);

	if (!seq)
		return 0;
	*seq += 1;
	return *seq << 12 | (bpf_get_smp_processor_id() & 0xfff);
}

/*
 * Advances a stream by n bytes and returns its old length. A plain add of
 * the result-free kind (BPF_ADD without BPF_FETCH, which 5.10 verifies):
 * two threads sending on one socket at once could read the same offset,
 * but their bytes interleave on the wire anyway and the decoder resyncs.
 */
static __always_inline __u64 db_stream_advance(__u64 *bytes, __u64 n)
{
	__u64 old = *bytes;

	__sync_fetch_and_add(bytes, n);
	return old;
}

/* Fills every field of e but data[] (the scratch holds the previous record). */
static __always_inline void db_record_init(struct bw_sock_event *e, __u32 type, __u8 kind)
{
	fill_hdr(&e->hdr, cur_task(), type);
	e->conn_id = 0;
	e->peer_conn_id = 0;
	e->offset = 0;
	e->total = 0;
	e->arg = 0;
	e->kind = kind;
	e->system = 0;
	e->side = 0;
	e->family = 0;
	e->lport = 0;
	e->rport = 0;
	__builtin_memset(e->laddr, 0, sizeof(e->laddr));
	__builtin_memset(e->raddr, 0, sizeof(e->raddr));
	e->owner_pid = 0;
	e->data_len = 0;
	e->_pad0 = 0;
}

static __always_inline struct bw_sock_event *db_scratch_get(void)
{
	__u32 zero = 0;
	struct db_scratch *s = bpf_map_lookup_elem(&db_scratch_map, &zero);

	return s ? &s->ev : NULL;
}

static __always_inline struct bw_sock_event *db_record(__u32 type, __u8 kind)
{
	struct bw_sock_event *e = db_scratch_get();

	if (e)
		db_record_init(e, type, kind);
	return e;
}

static __always_inline void db_submit(struct bw_sock_event *e)
{
	__u32 n = e->data_len;

	if (n > BW_DATA_MAX)
		n = BW_DATA_MAX;
	e->hdr.size = offsetof(struct bw_sock_event, data) + n;
	submit(e, offsetof(struct bw_sock_event, data) + n);
}

static __always_inline void db_set_conn(struct bw_sock_event *e, const struct db_sock *s)
{
	e->conn_id = s->conn_id;
	e->system = s->system;
	e->side = s->side;
	e->family = s->family;
	e->owner_pid = s->owner;
}

/* Addresses and ports of an inet socket; Unix sockets have none. */
static __always_inline void db_addrs(struct bw_sock_event *e, struct sock *sk)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	__be32 a;

	e->family = (__u8)fam;
	if (fam == AF_INET) {
		a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(e->laddr, &a, 4);
		a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(e->raddr, &a, 4);
	} else if (fam == AF_INET6) {
		BPF_CORE_READ_INTO(&e->laddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->raddr, sk, __sk_common.skc_v6_daddr);
	} else {
		return;
	}
	e->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* sk is a BTF pointer (tp_btf): direct loads, no helper call per field. */
static __always_inline __u64 sock_ino(struct sock *sk)
{
	struct socket *so = sk->sk_socket;
	struct file *f = so ? so->file : NULL;
	struct inode *in = f ? f->f_inode : NULL;

	return in ? in->i_ino : 0;
}

/* Emits BW_SOCK_CLOSE for s and forgets the socket. */
static __always_inline void db_forget(__u64 key, struct db_sock *s)
{
	struct bw_sock_event *e = db_record(BW_EV_SOCK_CLOSE, BW_SOCK_CLOSE);
	__u32 tid = s->last_tid;
	__u64 *cur;

	if (e) {
		db_set_conn(e, s);
		db_submit(e);
	}
	/* its server thread no longer serves it: a recycled tid must not inherit it */
	cur = tid ? bpf_map_lookup_elem(&db_threads, &tid) : NULL;
	if (cur && *cur == key)
		bpf_map_delete_elem(&db_threads, &tid);
	bpf_map_delete_elem(&db_socks, &key);
}

/* s if it is still sk's entry; entries of freed, reused sockets are reclaimed (NULL). */
static __always_inline struct db_sock *db_check(struct sock *sk, struct db_sock *s)
{
	if (!s)
		return NULL;
	if (sock_ino(sk) != s->ino) {
		stat_inc(BW_STAT_DB_STALE);
		db_forget((__u64)sk, s);
		return NULL;
	}
	return s;
}

/* The Unix peer of a server socket, when the client side is tracked too. */
static __always_inline __u64 db_unix_peer_conn(struct sock *sk)
{
	__u64 peer = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
	struct db_sock *p;

	if (!peer)
		return 0;
	p = bpf_map_lookup_elem(&db_socks, &peer);
	return p ? p->conn_id : 0;
}

static __always_inline bool file_is_socket(struct file *f)
{
	return (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) == S_IFSOCK;
}

/* true when the caller holds the only reference to f (this close frees it). */
static __always_inline bool file_last_ref(struct file *f)
{
	if (bpf_core_field_exists(struct file, f_ref))
		return BPF_CORE_READ(f, f_ref.refcnt.counter) == 0; /* FILE_REF_ONEREF */
	return BPF_CORE_READ((struct file___fcount *)f, f_count.counter) == 1;
}

static __always_inline struct sock *file_sock(struct file *f)
{
	struct socket *so = BPF_CORE_READ(f, private_data);

	return so ? BPF_CORE_READ(so, sk) : NULL;
}

/* Unix paths being matched: map memory, so variable offsets need only a mask. */
struct db_path_scratch {
	struct db_path_key k;  /* the path, zero padded: the db_paths key */
	char spill[32];        /* keeps masked reads past the path inside */
};
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_path_scratch);
} db_path_scratch_map SEC(".maps") __weak;

static __always_inline struct db_path_scratch *db_path_get(void)
{
	__u32 zero = 0;
	struct db_path_scratch *ps = bpf_map_lookup_elem(&db_path_scratch_map, &zero);

	if (ps)
		__builtin_memset(ps->k.path, 0, sizeof(ps->k.path));
	return ps;
}

/*
 * A Unix path is a PostgreSQL socket when its name is ".s.PGSQL.<port>".
 * Checked from the end (len = strlen) for 1 to 5 port digits: a scan for
 * the last '/' gives the verifier one state per position.
 */
static __always_inline bool pgsql_socket_name(const char *p, long len)
{
	static const char pfx[] = "/.s.PGSQL.";
	long b;

	for (int digits = 1; digits <= 5; digits++) {
		bool ok = true;

		b = len - digits - (long)(sizeof(pfx) - 1);
		if (b < 0 || b > BW_UNIX_PATH_MAX - (long)(sizeof(pfx) - 1))
			continue;
		for (int i = 0; i < (int)sizeof(pfx) - 1; i++)
			if (p[(b + i) & 127] != pfx[i])
				ok = false;
		if (ok)
			return true;
	}
	return false;
}

/* BW_DB_* of the Unix endpoint path in ps (len = strlen), 0 if it is not one. */
static __always_inline __u32 unix_endpoint(struct db_path_scratch *ps, long len)
{
	__u32 *sys = bpf_map_lookup_elem(&db_paths, &ps->k);
	struct db_config *c;

	if (sys)
		return *sys;
	c = db_cfg();
	if (c && c->match_pgsql && pgsql_socket_name(ps->k.path, len))
		return BW_DB_PG;
	return 0;
}

/* The (client end, server end) of an inet socket; client says which end sk is. */
static __always_inline bool db_tuple_of(struct sock *sk, bool client, struct db_tuple *t)
{
	__u16 fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u8 *l = client ? t->caddr : t->saddr, *r = client ? t->saddr : t->caddr;
	__be32 a;

	__builtin_memset(t, 0, sizeof(*t));
	if (fam == AF_INET) {
		l[10] = l[11] = r[10] = r[11] = 0xff;
		a = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__builtin_memcpy(&l[12], &a, 4);
		a = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(&r[12], &a, 4);
	} else if (fam == AF_INET6) {
		BPF_CORE_READ_INTO(l, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(r, sk, __sk_common.skc_v6_daddr);
	} else {
		return false;
	}
	if (client) {
		t->cport = BPF_CORE_READ(sk, __sk_common.skc_num);
		t->sport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	} else {
		t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		t->cport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	}
	return true;
}

/*
 * Starts tracking sk: a new conn_id, the owner marked in db_procs, and a
 * CONNECT/ACCEPT record with the addresses (or the Unix path).
 */
static __always_inline void db_track(struct sock *sk, __u64 ino, __u32 system, __u8 side,
				     __u8 kind, const char *path, __s64 res)
{
	struct task_struct *t = cur_task();
	__u32 tgid = bpf_get_current_pid_tgid() >> 32, one = 1;
	struct db_sock s = {
		.conn_id = db_next_id(),
		.ino = ino, .owner = tgid, .sessionid = TASK_RD(t, sessionid), .system = (__u8)system,
		.side = side,
	};
	__u64 key = (__u64)sk;
	struct bw_sock_event *e;
	struct db_tuple tu;
	long n;

	s.family = (__u8)BPF_CORE_READ(sk, __sk_common.skc_family);
	if (side == BW_SIDE_SERVER && db_tuple_of(sk, false, &tu))
		bpf_map_update_elem(&db_tuples, &tu, &key, BPF_ANY);
	if (bpf_map_update_elem(&db_socks, &key, &s, BPF_ANY)) {
		stat_inc(BW_STAT_DB_TRACK_FULL);
		return;
	}
	bpf_map_update_elem(&db_procs, &tgid, &one, BPF_ANY);
	e = db_record(BW_EV_SOCK_DATA, kind);
	if (!e)
		return;
	db_set_conn(e, &s);
	db_addrs(e, sk);
	e->arg = (__u32)-res;
	if (side == BW_SIDE_SERVER && s.family == AF_UNIX)
		e->peer_conn_id = db_unix_peer_conn(sk);
	if (path) {
		n = bpf_probe_read_kernel_str(e->data, BW_UNIX_PATH_MAX, path);
		e->data_len = n > 1 ? n - 1 : 0;
	}
	db_submit(e);
}

/* connect(fd, ua, ...) entry: remember the call when ua is a database endpoint. */
static __always_inline int db_connect_enter(int fd, const char *ua)
{
	struct db_connect_args a = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), *sys;
	struct db_path_scratch *ps;
	__u16 family, port;
	long n;

	if (is_self() || bpf_probe_read_user(&family, sizeof(family), ua))
		return 0;
	if (family == AF_INET || family == AF_INET6) {
		/* sin_port and sin6_port are both at offset 2 */
		if (bpf_probe_read_user(&port, sizeof(port), ua + 2))
			return 0;
		port = bpf_ntohs(port);
		sys = bpf_map_lookup_elem(&db_ports, &port);
		if (!sys)
			return 0;
		a.system = *sys;
	} else if (family == AF_UNIX) {
		/* abstract names (leading NUL) read as "" and never match */
		ps = db_path_get();
		if (!ps)
			return 0;
		n = bpf_probe_read_user_str(ps->k.path, sizeof(ps->k.path), ua + 2);
		if (n <= 1)
			return 0;
		a.system = unix_endpoint(ps, n - 1);
		if (!a.system)
			return 0;
		__builtin_memcpy(a.path, ps->k.path, sizeof(a.path));
	} else {
		return 0;
	}
	a.fd = fd;
	if (bpf_map_update_elem(&db_connect_inflight, &tid, &a, BPF_ANY))
		stat_inc(BW_STAT_INFLIGHT_FULL);
	return 0;
}

/* connect() exit: track the socket if the call was remembered and went through. */
static __always_inline int db_connect_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct db_connect_args *a = bpf_map_lookup_elem(&db_connect_inflight, &tid);
	struct file *f;
	struct sock *sk;

	if (!a)
		return 0;
	/* a non-blocking connect is tracked at EINPROGRESS: its sends come later */
	if (ret == 0 || ret == -EINPROGRESS) {
		f = fd_to_file(a->fd);
		sk = f ? file_sock(f) : NULL;
		if (sk)
			db_track(sk, BPF_CORE_READ(f, f_inode, i_ino), a->system, BW_SIDE_CLIENT,
				 BW_SOCK_CONNECT, a->path[0] ? a->path : NULL, ret);
	}
	bpf_map_delete_elem(&db_connect_inflight, &tid);
	return 0;
}

/* A server accepted fd: track it when its local endpoint is a database one. */
static __always_inline int db_accepted(long fd)
{
	struct db_path_scratch *ps;
	struct unix_address *ua;
	struct file *f;
	struct sock *sk;
	__u32 system = 0, *sys;
	__u16 fam, port;
	long n;

	if (fd < 0 || is_self())
		return 0;
	f = fd_to_file((int)fd);
	sk = f ? file_sock(f) : NULL;
	if (!sk)
		return 0;
	fam = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (fam == AF_INET || fam == AF_INET6) {
		port = BPF_CORE_READ(sk, __sk_common.skc_num);
		sys = bpf_map_lookup_elem(&db_ports, &port);
		if (!sys)
			return 0;
		system = *sys;
		db_track(sk, BPF_CORE_READ(f, f_inode, i_ino), system, BW_SIDE_SERVER,
			 BW_SOCK_ACCEPT, NULL, 0);
	} else if (fam == AF_UNIX) {
		/* an accepted Unix socket shares the listener's address */
		ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
		ps = ua ? db_path_get() : NULL;
		if (!ps)
			return 0;
		n = bpf_probe_read_kernel_str(ps->k.path, sizeof(ps->k.path),
					      (void *)ua + bpf_core_field_offset(struct unix_address, name) +
						      offsetof(struct sockaddr_un, sun_path));
		if (n <= 1)
			return 0;
		system = unix_endpoint(ps, n - 1);
		if (system)
			db_track(sk, BPF_CORE_READ(f, f_inode, i_ino), system, BW_SIDE_SERVER,
				 BW_SOCK_ACCEPT, ps->k.path, 0);
	}
	return 0;
}

/* close(fd): forget the socket when this is its last reference. */
static __always_inline int db_close(int fd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct file *f;
	struct sock *sk;
	struct db_sock *s;
	__u64 key;

	if (!bpf_map_lookup_elem(&db_procs, &tgid))
		return 0;
	f = fd_to_file(fd);
	if (!f || !file_is_socket(f) || !file_last_ref(f))
		return 0;
	sk = file_sock(f);
	key = (__u64)sk;
	s = sk ? bpf_map_lookup_elem(&db_socks, &key) : NULL;
	if (s)
		db_forget(key, s);
	return 0;
}




/*
 * Copies up to want bytes of what the current syscall moved, from its user
 * buffer(s), into e->data. The syscall is the one in progress: its
 * arguments are in the task's saved user registers. Syscalls whose buffers
 * we cannot find (sendmmsg, recvmmsg, splice, io_uring) copy nothing and
 * are counted.
 */
/*
 * A copy size the verifier can bound on every kernel: want is at most
 * BW_DATA_MAX already, but 6.1's verifier loses that clamp when clang
 * spills the value before comparing it ("R2 unbounded memory access").
 * The mask is a no-op on the value; barrier_var keeps clang from folding
 * it away, so the verifier sees it right before the call. data[] has
 * spill[] behind it, so any masked size fits.
 */
#define DB_SIZE(v) ({ __u32 __n = (v); barrier_var(__n); __n & (2 * BW_DATA_MAX - 1); })

/*
 * One iovec of a writev/sendmsg/readv/recvmsg copied into the scratch
 * record, as a bpf_loop step: verified once, where an open-coded loop
 * over DB_IOV_MAX iovecs took 6.1's verifier past its 1M instructions.
 */
struct db_iov_ctx {
	const struct iovec *uiov;  /* the user's iovec array */
	__u64 cnt;                 /* its length */
	__u32 want;                /* bytes to copy in all */
	__u32 off;                 /* bytes copied so far */
};

static long __attribute__((unused)) db_iov_step(__u32 i, void *arg)
{
	struct db_iov_ctx *c = arg;
	struct bw_sock_event *e = db_scratch_get();  /* the record being filled */
	struct iovec iov;
	__u32 off = c->off;
	__u64 len;

	if (!e || i >= c->cnt || off >= c->want || off >= BW_DATA_MAX)
		return 1;
	if (bpf_probe_read_user(&iov, sizeof(iov), &c->uiov[i]))
		return 1;
	len = c->want - off;
	if (iov.iov_len < len)
		len = iov.iov_len;
	/* off < BW_DATA_MAX and len <= BW_DATA_MAX: inside data[] + spill[] */
	if (bpf_probe_read_user(&e->data[off & (BW_DATA_MAX - 1)], DB_SIZE(len), iov.iov_base))
		return 1;
	c->off = off + (__u32)len;
	return 0;
}

static __always_inline __u32 db_copy_user(struct bw_sock_event *e, __u32 want, const void *buf)
{
	struct pt_regs *regs = db_user_regs();
	struct db_iov_ctx ic = {};
	struct user_msghdr msg;
	struct iovec *uiov;
	__u64 nr, cnt, a2, a3;
	__u32 off = 0, n;

	/* volatile: clang would size the reads with the caller's unbounded 64-bit ret */
	volatile __u32 vw = want;

	want = vw;
	if (want > BW_DATA_MAX)
		want = BW_DATA_MAX;
	if (buf) {  /* a library's buffer (TLS read uretprobe) */
		n = DB_SIZE(want);
		if (bpf_probe_read_user(e->data, n, buf)) {
			stat_inc(BW_STAT_READ_ERR);
			return 0;
		}
		return n;
	}
#if defined(__TARGET_ARCH_x86)
	/* dx, si, di, orig_ax are adjacent: one read for the three we need */
	struct { unsigned long dx, si, di, orig_ax; } r4;

	if (bpf_probe_read_kernel(&r4, sizeof(r4), (void *)regs + bpf_core_field_offset(struct pt_regs, dx))) {
		stat_inc(BW_STAT_READ_ERR);
		return 0;
	}
	nr = r4.orig_ax;
	a2 = r4.si;
	a3 = r4.dx;
#else
	nr = BPF_CORE_READ((struct pt_regs___arm64 *)regs, syscallno);
	a2 = PT_REGS_PARM2_CORE_SYSCALL(regs);
	a3 = PT_REGS_PARM3_CORE_SYSCALL(regs);
#endif

	switch (nr) {
	case NR_write: case NR_sendto: case NR_read: case NR_recvfrom:
		n = DB_SIZE(want);
		if (bpf_probe_read_user(e->data, n, (void *)a2)) {
			stat_inc(BW_STAT_READ_ERR);
			return 0;
		}
		return n;
	case NR_writev: case NR_readv:
		uiov = (struct iovec *)a2;
		cnt = a3;
		break;
	case NR_sendmsg: case NR_recvmsg:
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)a2)) {
			stat_inc(BW_STAT_READ_ERR);
			return 0;
		}
		uiov = msg.msg_iov;
		cnt = msg.msg_iovlen;
		break;
	default:
		stat_inc(BW_STAT_DB_UNREADABLE);
		return 0;
	}
	ic.uiov = uiov;
	ic.cnt = cnt;
	ic.want = want;
	DB_LOOP(DB_IOV_MAX, db_iov_step, &ic);
	off = ic.off;
	return off > BW_DATA_MAX ? BW_DATA_MAX : off;
}

/*
 * Plain reads: one SELECT, no '(' (no function call), no ';' but a last
 * one, no comment or escape character ('/', '-', '#', '\\'), no NUL.
 * Outside login sessions these are the bulk of an application's traffic
 * and no destructive-operation rule can want them: they are counted
 * (BW_STAT_DB_READS_SKIPPED), not copied, unless db_config.report_reads.
 * Anything else goes to the classifier. The test is defined once, in
 * include/bulwark_plain_read.h; user/db/dbcapture_emit.c applies it to
 * what reaches user space.
 */
#include "bulwark_plain_read.h"

static __always_inline bool db_plain_select(const char *p, __u32 n)
{
#ifdef BW_NO_BPF_LOOP
	/*
	 * 5.10 build: no kernel-side plain-read filter (its 256-step scan is a
	 * bpf_loop). Plain reads outside sessions then reach user space, which
	 * applies the same test (dbcapture_emit.c) and drops them: the same
	 * events, more ring-buffer traffic.
	 */
	return false;
#else
	return bw_plain_select(p, n);
#endif
}

/* Framing walk over the copied bytes of one syscall (see DB_PH_*). */
struct db_walk {
	const __u8 *p;     /* copied bytes (scratch map memory) */
	__u64 off;         /* stream offset of p[0] */
	__u32 copied;      /* bytes at p */
	__u32 ret;         /* bytes the syscall moved */
	__u32 pos;         /* next boundary, relative to p[0] */
	__u32 nmsg;        /* messages that start in this syscall */
	__u32 query;       /* the first message is a statement (PostgreSQL 'Q', MySQL COM_QUERY) */
	__u8  system;      /* BW_DB_* */
	__u8  phase;       /* DB_PH_*, updated */
	__u8  _pad[2];
};

#define PG_SSL_REQUEST    80877103u
#define PG_GSSENC_REQUEST 80877104u
#define PG_CANCEL_REQUEST 80877102u
#define PG_PROTO_3        196608u
#define MY_CLIENT_SSL      0x800u
#define MY_CLIENT_COMPRESS 0x20u

static __always_inline __u32 be32(const __u8 *q)
{
	return (__u32)q[0] << 24 | (__u32)q[1] << 16 | (__u32)q[2] << 8 | q[3];
}

static long __attribute__((unused)) db_walk_step(__u32 i, void *arg)
{
	struct db_walk *w = arg;
	__u32 pos = w->pos, len, code, next;
	const __u8 *q;

	if (pos >= w->ret || w->phase >= DB_PH_OPAQUE)
		return 1;
	q = w->p + (pos & (BW_DATA_MAX - 1));
	if (w->system == BW_DB_PG && w->phase == DB_PH_STARTUP) {
		if (pos + 8 > w->copied) {
			/* a TLS ClientHello after an SSLRequest may be shorter than a header */
			w->phase = pos < w->copied && q[0] == 0x16 ? DB_PH_OPAQUE : DB_PH_LOST;
			return 1;
		}
		if (q[0] == 0x16) {  /* TLS record: never a startup length's first byte */
			w->phase = DB_PH_OPAQUE;
			return 1;
		}
		len = be32(q);
		code = be32(q + 4);
		if ((code == PG_SSL_REQUEST || code == PG_GSSENC_REQUEST) && len == 8) {
			next = pos + 8;  /* the answer decides: TLS/GSS tokens or a startup */
		} else if (code == PG_PROTO_3 && len >= 8) {
			next = pos + len;
			w->phase = DB_PH_TYPED;
		} else {
			w->phase = code == PG_CANCEL_REQUEST ? DB_PH_OPAQUE : DB_PH_LOST;
			return 1;
		}
	} else if (w->system == BW_DB_PG) {
		if (pos + 5 > w->copied) {
			w->phase = DB_PH_LOST;
			return 1;
		}
		len = be32(q + 1);
		if (len < 4 || len > 0x40000000) {
			w->phase = DB_PH_LOST;
			return 1;
		}
		next = pos + 1 + len;
		if (pos == 0)
			w->query = q[0] == 'Q';
	} else {
		if (pos + 5 > w->copied) {
			w->phase = DB_PH_LOST;
			return 1;
		}
		len = q[0] | (__u32)q[1] << 8 | (__u32)q[2] << 16;
		next = pos + 4 + len;
		/* the first client packet says whether TLS or compression follow */
		if (w->off + pos == 0 && w->phase == DB_PH_STARTUP) {
			if (pos + 8 > w->copied) {
				w->phase = DB_PH_LOST;
				return 1;
			}
			code = q[4] | (__u32)q[5] << 8;
			/* an SSLRequest is the capabilities alone (32 bytes); inside TLS the full
			 * handshake response repeats CLIENT_SSL */
			w->phase = (code & MY_CLIENT_COMPRESS) || ((code & MY_CLIENT_SSL) && len == 32)
					   ? DB_PH_OPAQUE : DB_PH_TYPED;
		}
		if (pos == 0)
			w->query = q[3] == 0 && q[4] == 3;  /* sequence 0, COM_QUERY */
	}
	w->nmsg++;
	w->pos = next;
	return 0;
}

/*
 * Follows the framing of the bytes just copied; returns true when they
 * are exactly one complete statement message starting at a boundary.
 */
static __always_inline bool db_frame(struct db_stream *st, __u8 system, const char *p, __u64 off,
				     __u32 copied, __u32 ret)
{
	struct db_walk w = {
		.p = (const __u8 *)p, .off = off, .copied = copied, .ret = ret,
		.system = system, .phase = st->phase,
	};
	__u32 start;

	if (st->phase >= DB_PH_OPAQUE)
		return false;
	if (st->next_msg >= off + ret)
		return false;  /* inside a long message */
	if (st->next_msg < off) {
		st->phase = DB_PH_LOST;  /* bytes went by unseen */
		return false;
	}
	w.pos = (__u32)(st->next_msg - off);
	start = w.pos;
	/* the common case first: one whole statement message, nothing to loop over */
	if (start == 0 && st->phase == DB_PH_TYPED && copied == ret && ret >= 6) {
		const __u8 *q = (const __u8 *)p;
		bool one;

		if (system == BW_DB_PG)
			one = q[0] == 'Q' && be32(q + 1) + 1 == ret;
		else
			one = (q[0] | (__u32)q[1] << 8 | (__u32)q[2] << 16) + 4 == ret && q[3] == 0 &&
			      q[4] == 3;
		if (one) {
			st->next_msg = off + ret;
			return true;
		}
	}
	DB_LOOP(64, db_walk_step, &w);
	if (w.phase < DB_PH_OPAQUE && w.pos < ret)
		w.phase = DB_PH_LOST;  /* more than 64 messages */
	st->phase = w.phase;
	st->next_msg = off + w.pos;
	return w.phase == DB_PH_TYPED && start == 0 && w.nmsg == 1 && w.query && w.pos == ret &&
	       copied == ret;
}

/* The statement text of the one message in p[0..n) (see db_frame). */
static __always_inline bool db_read_only(struct db_sock *s, const char *p, __u32 n)
{
	if (s->system == BW_DB_PG)  /* 'Q', length, text, NUL */
		return n > 6 && p[(n - 1) & (BW_DATA_MAX - 1)] == 0 && db_plain_select(p + 5, n - 6);
	return n > 5 && db_plain_select(p + 5, n - 5);  /* header, COM_QUERY, text */
}

/* Submits a DATA record; the hole before it is whole skipped messages when it says so. */
static __always_inline void db_data_submit(struct db_stream *st, struct bw_sock_event *e)
{
	__u32 n = e->data_len;

	if (n > BW_DATA_MAX)
		n = BW_DATA_MAX;
	if (st->gap == DB_GAP_WHOLE)
		e->arg |= BW_SOCK_F_GAP_WHOLE;
	e->hdr.size = offsetof(struct bw_sock_event, data) + n;
	if (bpf_ringbuf_output(&rb, e, offsetof(struct bw_sock_event, data) + n, wake_flags())) {
		stat_inc(BW_STAT_RB_DROPS);
		st->gap = DB_GAP_BROKEN;  /* the next hole holds part of this record */
		return;
	}
	stat_inc(BW_STAT_EVENTS);
	st->gap = DB_GAP_NONE;
}

/*
 * A DATA record for ret bytes at stream offset off of s (socket sk), or
 * nothing when those bytes are one plain read of a process outside any
 * login session (session: the sender's, or the local client's for a
 * server; NO_SESSION when the client is on another host).
 */
static __always_inline void db_data(struct sock *sk, struct db_sock *s, struct db_stream *st,
				    __u64 off, int ret, __u32 session, const void *buf)
{
	struct bw_sock_event *e = db_scratch_get();
	struct db_config *c;
	__u32 want = (__u32)ret, n;
	bool one;

	if (!e)
		return;
	if (want > BW_DATA_MAX)
		want = BW_DATA_MAX;
	n = db_copy_user(e, want, buf);
	one = db_frame(st, s->system, e->data, off, n, (__u32)ret);
	c = db_cfg();
	if (one && session == NO_SESSION && c && !c->report_reads && db_read_only(s, e->data, n)) {
		stat_inc(BW_STAT_DB_READS_SKIPPED);
		if (st->gap == DB_GAP_NONE)
			st->gap = DB_GAP_WHOLE;
		return;
	}
	db_record_init(e, BW_EV_SOCK_DATA, BW_SOCK_DATA);
	db_set_conn(e, s);
	/* the client end of a pair may have been tracked after the accept */
	if (s->side == BW_SIDE_SERVER) {
		struct db_sock *cs = s->peer ? bpf_map_lookup_elem(&db_socks, &s->peer) : NULL;

		if (cs && cs->side == BW_SIDE_CLIENT)
			e->peer_conn_id = cs->conn_id;
		else if (s->family == AF_UNIX && sk)
			e->peer_conn_id = db_unix_peer_conn(sk);
	}
	if (st == &s->tls)
		e->arg |= BW_SOCK_F_DECRYPTED;
	e->offset = off;
	e->total = (__u32)ret;
	e->data_len = (__u16)n;
	if (n < e->total) {
		e->hdr.flags |= BW_F_DATA_TRUNC;
		stat_inc(BW_STAT_DATA_TRUNC);
	}
	db_data_submit(st, e);
}

/* Finds the server end of client socket sk, when it is tracked here too. */
static __always_inline void db_pair(struct sock *sk, struct db_sock *s)
{
	struct db_sock *srv = NULL;
	struct db_tuple tu;
	__u64 key = (__u64)sk, peer = 0, *p;

	s->tries++;
	if (s->family == AF_UNIX) {
		peer = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
	} else if (db_tuple_of(sk, true, &tu)) {
		p = bpf_map_lookup_elem(&db_tuples, &tu);
		peer = p ? *p : 0;
	}
	if (peer)
		srv = bpf_map_lookup_elem(&db_socks, &peer);
	if (srv && srv->side == BW_SIDE_SERVER) {
		s->peer = peer;
		srv->peer = key;
	}
}

/*
 * A socket send of ret bytes on sk. Every socket send on the host passes
 * here (not every write: the hooks fire for sockets only). Untracked
 * sockets cost one hash lookup that misses.
 */
static __always_inline int db_sent(struct sock *sk, int ret)
{
	struct task_struct *t = cur_task();
	__u64 key = (__u64)sk, off;
	struct db_sock *s;

	if (ret <= 0)
		return 0;
	s = bpf_map_lookup_elem(&db_socks, &key);
	if (!s || s->side != BW_SIDE_CLIENT)
		return 0;
	s = db_check(sk, s);
	if (!s)
		return 0;
	if (!s->peer && s->tries < DB_PAIR_TRIES)
		db_pair(sk, s);
	off = db_stream_advance(&s->wire.bytes, (__u64)ret);
	/* encrypted or compressed: the handshake only (TLS is seen in it) */
	if (s->wire.phase == DB_PH_OPAQUE && off >= BW_DATA_MAX)
		return 0;
	db_data(sk, s, &s->wire, off, ret, TASK_RD(t, sessionid), NULL);
	return 0;
}

/* ==== Hold and decide (PostgreSQL backends; docs/database.md, Prevention) ====
 *
 * A PostgreSQL backend serves one connection in its own process. When it
 * receives bytes holding a word of the hold set (derived in user space
 * from the kill rules, include/bulwark_hold_words.h), it is stopped with
 * SIGSTOP before the receive returns, so it cannot run what it just read
 * until user space has classified the statement against the rules: then
 * it resumes (SIGCONT) or is ended before the statement runs (SIGTERM,
 * as pg_terminate_backend(), then SIGCONT). The process that accepted the
 * socket is never held: that is the postmaster, and for MariaDB (one
 * process) the whole server. A plain read (include/bulwark_plain_read.h)
 * is never held. Kept apart from the capture above: it only reads it.
 */
#define SIGSTOP 19

struct db_hold_cfg {
	__u32 on;       /* 1: hold (kill rules on db_query are loaded and --no-kill is off) */
	__u32 _pad;     /* always 0 */
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_hold_cfg);
} db_hold_cfg SEC(".maps") __weak;

/* The hold set: bw_hold_key() of each word -> 1. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32);  /* BW_HOLD_WORDS_MAX, checked below */
	__type(key, __u64);
	__type(value, __u8);
} db_hold_words SEC(".maps") __weak;

/* Held backends, by tgid: user space (and its watchdog) resumes or ends each and deletes it. */
struct db_held {
	__u64 since_ns;      /* bpf_ktime_get_ns() of the hold (CLOCK_MONOTONIC) */
	__u64 conn_id;       /* the backend's socket */
	__u64 peer_conn_id;  /* the local client's socket, 0 = another host or untracked */
	__u64 offset;        /* server stream offset of the receive */
	__u32 total;         /* bytes received */
	__u32 _pad;          /* always 0 */
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct db_held);
} db_held SEC(".maps") __weak;

#define BW_HOLD_LOOKUP(k) bpf_map_lookup_elem(&db_hold_words, &(k))
#include "bulwark_hold_words.h"
_Static_assert(BW_HOLD_WORDS_MAX == 32, "db_hold_words: max_entries");

static __always_inline bool db_hold_flagged(const char *p, __u32 n, __u32 ret)
{
	struct bw_hold_ctx c;
	const __u8 *q = (const __u8 *)p;

	if (n < 6)
		return false;
	/* one whole 'Q' that is a plain read: never destructive */
	if (n == ret && q[0] == 'Q' && be32(q + 1) + 1 == ret && p[(n - 1) & BW_HOLD_MASK] == 0 &&
	    db_plain_select(p + 5, n - 6))
		return false;
	/* a statement longer than the copy: its unseen part may hold anything */
	if (n < ret && (q[0] == 'Q' || q[0] == 'P') && be32(q + 1) + 1 > n)
		return true;
	BW_LOOP_CTX_ZERO(&c);  /* not = {}: see common.bpf.h */
	c.p = p;
	c.n = n;
	DB_LOOP(BW_DATA_MAX + 1, bw_hold_step, &c);
	return c.hit;
}

/*
 * A PostgreSQL backend's receive of ret bytes at offset off of s: holds it
 * when the bytes are flagged, and reports the hold. true when held.
 */
static __always_inline bool db_hold_recv(struct sock *sk, struct db_sock *s, __u64 off, int ret)
{
	__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32, n;
	struct db_hold_cfg *cfg = bpf_map_lookup_elem(&db_hold_cfg, &zero);
	struct db_held h = {};
	struct bw_sock_event *e;
	struct db_sock *cs;

	if (!cfg || !cfg->on || s->system != BW_DB_PG || tgid == s->owner || off == 0 ||
	    s->wire.phase == DB_PH_OPAQUE || s->wire.phase == DB_PH_STARTUP)
		return false;
	e = db_scratch_get();
	if (!e)
		return false;
	n = db_copy_user(e, (__u32)ret, NULL);
	if (!db_hold_flagged(e->data, n, (__u32)ret))
		return false;
	h.since_ns = bpf_ktime_get_ns();
	h.conn_id = s->conn_id;
	cs = s->peer ? bpf_map_lookup_elem(&db_socks, &s->peer) : NULL;
	if (cs && cs->side == BW_SIDE_CLIENT)
		h.peer_conn_id = cs->conn_id;
	else if (s->family == AF_UNIX)
		h.peer_conn_id = db_unix_peer_conn(sk);
	h.offset = off;
	h.total = (__u32)ret;
	/* the entry first: user space must find every stopped backend in the map */
	if (bpf_map_update_elem(&db_held, &tgid, &h, BPF_ANY)) {
		stat_inc(BW_STAT_DB_HOLD_ERR);
		return false;
	}
	if (bpf_send_signal(SIGSTOP)) {
		bpf_map_delete_elem(&db_held, &tgid);
		stat_inc(BW_STAT_DB_HOLD_ERR);
		return false;
	}
	stat_inc(BW_STAT_DB_HELD);
	db_record_init(e, BW_EV_SOCK_DATA, BW_SOCK_HOLD);
	db_set_conn(e, s);
	e->peer_conn_id = h.peer_conn_id;
	e->offset = off;
	e->total = (__u32)ret;
	/* a backend is waiting on this record: wake the daemon now, never batch it */
	e->hdr.size = offsetof(struct bw_sock_event, data);
	if (bpf_ringbuf_output(&rb, e, offsetof(struct bw_sock_event, data), BPF_RB_FORCE_WAKEUP))
		stat_inc(BW_STAT_RB_DROPS);
	else
		stat_inc(BW_STAT_EVENTS);
	return true;
}


/*
 * Servers' receives on tracked sockets: remember which connection the
 * thread serves (for the query uprobes), and copy the stream: its
 * handshake always (user, database, TLS), the rest only when no local
 * client reports it, i.e. for clients on other hosts.
 */
static __always_inline int db_received(struct sock *sk, int ret, int flags)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), session = NO_SESSION;
	__u64 key = (__u64)sk, off, *cur;
	struct db_sock *s, *cs = NULL;
	bool held;

	if (ret <= 0 || (flags & MSG_PEEK))
		return 0;
	s = bpf_map_lookup_elem(&db_socks, &key);
	if (!s || s->side != BW_SIDE_SERVER)
		return 0;
	s = db_check(sk, s);
	if (!s)
		return 0;
	/*
	 * One thread per connection (PostgreSQL, MariaDB's default): nothing to
	 * do after the first receive. A thread that moves to another socket
	 * (thread pools) clears its mark on the one it leaves.
	 */
	if (s->last_tid != tid) {
		cur = bpf_map_lookup_elem(&db_threads, &tid);
		if (cur && *cur != key) {
			struct db_sock *old = bpf_map_lookup_elem(&db_socks, cur);

			if (old && old->last_tid == tid)
				old->last_tid = 0;
		}
		if (!cur || *cur != key)
			bpf_map_update_elem(&db_threads, &tid, &key, BPF_ANY);
		s->last_tid = tid;
	}
	off = db_stream_advance(&s->wire.bytes, (__u64)ret);
	held = db_hold_recv(sk, s, off, ret);  /* Hold and decide, below */
	if (off >= BW_DATA_MAX) {
		if (s->wire.phase == DB_PH_OPAQUE || s->peer)
			return 0;  /* ciphertext, or the local client's own sends report it */
	}
	if (s->peer)
		cs = bpf_map_lookup_elem(&db_socks, &s->peer);
	if (cs && cs->side == BW_SIDE_CLIENT)
		session = cs->sessionid;
	/* held bytes are always reported: a session other than NO_SESSION skips nothing */
	db_data(sk, s, &s->wire, off, ret, held ? 0 : session, NULL);
	return 0;
}

/* The connection a server thread serves, and its local client's session. */
struct db_served {
	struct db_sock *s;   /* the server's accepted socket, NULL if untracked */
	__u64 peer_conn_id;  /* conn_id of the local client socket, 0 if unknown */
	__u32 session;       /* that client's audit session; NO_SESSION for daemons, other hosts */
	bool streamed;       /* a plaintext stream (the client's, else the server's) reports it */
};

static __always_inline void db_served_get(struct db_served *v)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct db_sock *cs = NULL;
	__u64 *skp, peer;

	v->s = NULL;
	v->peer_conn_id = 0;
	v->session = NO_SESSION;
	v->streamed = false;
	skp = bpf_map_lookup_elem(&db_threads, &tid);
	if (skp)
		v->s = bpf_map_lookup_elem(&db_socks, skp);
	if (!skp || !v->s)
		return;
	peer = v->s->peer;
	if (!peer && v->s->family == AF_UNIX)
		peer = (__u64)BPF_CORE_READ((struct unix_sock *)*skp, peer);
	if (peer)
		cs = bpf_map_lookup_elem(&db_socks, &peer);
	if (cs && cs->side == BW_SIDE_CLIENT) {
		v->peer_conn_id = cs->conn_id;
		v->session = cs->sessionid;
		v->streamed = cs->wire.phase != DB_PH_OPAQUE;
	} else {
		v->streamed = v->s->wire.phase != DB_PH_OPAQUE;
	}
	/* decrypted by a TLS read uretprobe: that stream reports it */
	if (v->s->tls.bytes)
		v->streamed = true;
}

/* Header and connection fields of a QUERY/LOGIN record (its addresses came with ACCEPT). */
static __always_inline void db_served_record(struct bw_sock_event *e, struct db_served *v,
					     __u8 system, __u8 kind)
{
	db_record_init(e, BW_EV_SOCK_DATA, kind);
	if (v->s)
		db_set_conn(e, v->s);
	e->system = system;
	e->side = BW_SIDE_SERVER;
	e->peer_conn_id = v->peer_conn_id;
}

/* Statement text: a NUL-terminated string (len < 0) or len bytes. */
static __always_inline void db_statement(__u8 system, const char *text, long len, __u32 arg)
{
	struct bw_sock_event *e = db_scratch_get();
	struct db_served v;
	struct db_config *c;
	__u32 total;
	bool trunc;
	long n;

	if (!e)
		return;
	db_served_get(&v);
	/* one event per statement: plaintext connections are decoded from their streams */
	if (v.streamed)
		return;
	/* the text first: plain reads outside sessions stop here, before any header work */
	if (len < 0) {
		n = bpf_probe_read_user_str(e->data, BW_DATA_MAX, text);
		n = n > 0 ? n - 1 : 0;
		total = (__u32)n;
		/* a full buffer means the text may go on: flag it */
		trunc = n >= BW_DATA_MAX - 1;
	} else {
		total = (__u32)len;
		n = len > BW_DATA_MAX ? BW_DATA_MAX : len;
		if (n < 0)
			n = 0;
		if (n && bpf_probe_read_user(e->data, n, text))
			n = 0;
		trunc = n < len;
	}
	c = db_cfg();
	if (v.session == NO_SESSION && c && !c->report_reads && arg != COM_INIT_DB &&
	    arg != COM_STMT_PREPARE && !trunc && db_plain_select(e->data, (__u32)n)) {
		stat_inc(BW_STAT_DB_READS_SKIPPED);
		return;
	}
	db_served_record(e, &v, system, BW_SOCK_QUERY);
	e->arg = arg;
	e->total = total;
	e->data_len = (__u16)n;
	if (trunc) {
		e->hdr.flags |= BW_F_DATA_TRUNC;
		stat_inc(BW_STAT_DATA_TRUNC);
	}
	db_submit(e);
}

#ifdef BW_NO_BPF_LOOP
/* 5.10: the DB_LOOP steps as global functions (see DB_LOOP). */
__noinline int db_iov_step_g(__u32 i)
{
	void *c = db_nl_ctx_get();

	return c ? (int)db_iov_step(i, c) : 1;
}

/* The walk reads the copied bytes through w.p: a map pointer, which only the stack can hold. */
__noinline int db_walk_step_g(__u32 i)
{
	struct bw_sock_event *e = db_scratch_get();
	struct db_walk *c = db_nl_ctx_get(), w;
	int r;

	/* i is used here: clang passes garbage for an argument its callee ignores, 5.10 refuses it */
	if (!c || !e || i >= 64)
		return 1;
	w = *c;
	w.p = (const __u8 *)e->data;
	r = (int)db_walk_step(i, &w);
	w.p = NULL;
	*c = w;
	return r;
}

/* The hold scan reads the scratch's copied bytes the same way (db_hold_recv copies them there). */
__noinline int bw_hold_step_g(__u32 i)
{
	struct bw_sock_event *e = db_scratch_get();
	struct bw_hold_ctx *c = db_nl_ctx_get(), h;
	int r;

	if (!c || !e || i > BW_DATA_MAX)
		return 1;
	h = *c;
	h.p = (const char *)e->data;
	r = (int)bw_hold_step(i, &h);
	h.p = NULL;
	*c = h;
	return r;
}
#endif

#endif /* BULWARK_DB_BPF_H */
