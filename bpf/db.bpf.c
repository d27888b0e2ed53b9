// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Database capture, tracepoint backend and the hooks every kernel has:
 * connect/accept/close on syscall tracepoints (used only where fentry
 * cannot load: db_fentry.bpf.c), the 6.2+ sock_{send,recv}_length BTF
 * tracepoints for the streams, and fork/exit. TCP state and the uprobes
 * are in lib/db_progs.bpf.h, built twice (db_fentry.bpf.c and the 5.10
 * db_fentry_legacy.bpf.c).
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
