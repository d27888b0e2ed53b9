// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Database prevention at the client, BPF-LSM (docs/database.md,
 * Prevention): a process of a login session sending, on a tracked
 * database connection, bytes that hold a deny pair (derived in user space
 * from the kill rules: include/bulwark_hold_words.h) is refused the send
 * (-EPERM) before any byte is queued, so the server never sees the
 * statement. The refused bytes are reported (BW_SOCK_DENIED) so user
 * space classifies them and runs the rules, which kill the session. Only
 * loaded where BPF-LSM is active (user/kernel/dbprobes.c probes it).
 */
#include "lib/db.bpf.h"

#define EPERM 1

struct db_deny_cfg {
	__u32 on;    /* 1: deny (kill rules on statements, no --no-kill) */
	__u32 _pad;  /* always 0 */
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct db_deny_cfg);
} db_deny_cfg SEC(".maps");

struct db_pair_key {
	__u64 first, second;  /* bw_hold_key() of the words; second 0: the first alone */
};
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct db_pair_key);
	__type(value, __u8);
} db_deny_pairs SEC(".maps");

/* What the check saw: [0] sends checked, [1] not a tracked client past its handshake,
 * [2] nothing copied, [3] refused. Printed when bulwark stops. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} db_deny_stat SEC(".maps");

static __always_inline void deny_count(__u32 i)
{
	__u64 *v = bpf_map_lookup_elem(&db_deny_stat, &i);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* the key lives in the loop's context (the program's frame), as the hold test's does */
#define BW_PAIR_LOOKUP(c, a, b) \
	((c)->pair[0] = (a), (c)->pair[1] = (b), bpf_map_lookup_elem(&db_deny_pairs, (c)->pair))
#include "bulwark_hold_words.h"

SEC("lsm/socket_sendmsg")
int BPF_PROG(lsm_socket_sendmsg_db, struct socket *sock, struct msghdr *msg, int size, int ret)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task_btf();
	struct bw_pair_ctx c;
	struct bw_sock_event *e;
	struct db_deny_cfg *cfg;
	__u32 zero = 0, n;
	__u64 key, off;
	struct db_sock *s;

	if (ret || size <= 0)
		return ret;
	cfg = bpf_map_lookup_elem(&db_deny_cfg, &zero);
	if (!cfg || !cfg->on || t->sessionid == NO_SESSION)
		return 0;
	deny_count(0);
	key = (__u64)sock->sk;
	s = bpf_map_lookup_elem(&db_socks, &key);
	/* past the first send (the startup/handshake); encrypted streams are opaque */
	if (!s || s->side != BW_SIDE_CLIENT || !s->wire.bytes || s->wire.phase == DB_PH_OPAQUE) {
		deny_count(1);
		return 0;
	}
	e = db_scratch_get();
	if (!e)
		return 0;
	n = db_copy_user(e, (__u32)size, NULL);
	if (!n)
		deny_count(2);
	BW_LOOP_CTX_ZERO(&c);  /* not = {}: see common.bpf.h */
	c.p = e->data;
	c.n = n;
	bpf_loop(BW_DATA_MAX + 1, bw_pair_step, &c, 0);
	if (!c.hit)
		return 0;
	deny_count(3);
	/* the stream advances past the refused bytes: offsets stay those of the sends */
	off = db_stream_advance(&s->wire.bytes, (__u64)size);
	s->wire.next_msg = off + (__u64)size;
	db_record_init(e, BW_EV_SOCK_DATA, BW_SOCK_DENIED);
	db_set_conn(e, s);
	e->offset = off;
	e->total = (__u32)size;
	if (n < e->total)
		e->hdr.flags |= BW_F_DATA_TRUNC;
	/* clang drops a clamp it can prove; the mask keeps the size bounded for the verifier */
	barrier_var(n);
	if (n > BW_DATA_MAX)
		n = BW_DATA_MAX;
	e->data_len = (__u16)n;
	e->hdr.size = offsetof(struct bw_sock_event, data) + n;
	/* the session is to be killed on this record: wake the daemon now */
	if (bpf_ringbuf_output(&rb, e, offsetof(struct bw_sock_event, data) + DB_SIZE(n),
			       BPF_RB_FORCE_WAKEUP))
		stat_inc(BW_STAT_RB_DROPS);
	else
		stat_inc(BW_STAT_EVENTS);
	return -EPERM;
}
