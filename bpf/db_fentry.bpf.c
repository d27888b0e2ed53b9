// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Database capture on fentry/fexit, for kernels with BPF trampolines:
 * connect/accept/close on the syscall functions instead of syscall
 * tracepoints (which would put every syscall of the host on the tracing
 * slow path), and the streams on fexit of the protocols' sendmsg/recvmsg
 * (inet, inet6, unix stream) where the sock_{send,recv}_length tracepoints
 * (6.2+) are missing.
 *
 * Why those: they have kept their signatures from 5.10 to 6.12 and are
 * where write/send/sendto/sendmsg (and read/recv/recvfrom/recvmsg) on a
 * socket all meet, io_uring's included; the 6.2 tracepoints fire in their
 * caller, sock_sendmsg_nosec/sock_recvmsg_nosec, with the same values. Like
 * those, the copy reads the buffers from the syscall's own registers
 * (db_copy_user); kprobes would need pt_regs arguments and cost more.
 */
#include "lib/db.bpf.h"

SEC("fentry/" SYSCALL_FN(connect))
int BPF_PROG(fentry_connect, struct pt_regs *regs)
{
	return db_connect_enter((int)SC_ARG1(regs), (const char *)SC_ARG2(regs));
}

SEC("fexit/" SYSCALL_FN(connect))
int BPF_PROG(fexit_connect, struct pt_regs *regs, long ret)
{
	return db_connect_exit(ret);
}

SEC("fexit/" SYSCALL_FN(accept))
int BPF_PROG(fexit_accept, struct pt_regs *regs, long ret)
{
	return db_accepted(ret);
}

SEC("fexit/" SYSCALL_FN(accept4))
int BPF_PROG(fexit_accept4, struct pt_regs *regs, long ret)
{
	return db_accepted(ret);
}

SEC("fentry/" SYSCALL_FN(close))
int BPF_PROG(fentry_close, struct pt_regs *regs)
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
int BPF_PROG(fexit_inet_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	return db_sent(sock->sk, ret);
}

SEC("fexit/inet_recvmsg")
int BPF_PROG(fexit_inet_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	return db_received(sock->sk, ret, flags);
}

SEC("fexit/inet6_sendmsg")
int BPF_PROG(fexit_inet6_sendmsg, struct socket *sock, struct msghdr *msg, size_t size, int ret)
{
	return db_sent(sock->sk, ret);
}

SEC("fexit/inet6_recvmsg")
int BPF_PROG(fexit_inet6_recvmsg, struct socket *sock, struct msghdr *msg, size_t size, int flags,
	     int ret)
{
	return db_received(sock->sk, ret, flags);
}

SEC("fexit/unix_stream_sendmsg")
int BPF_PROG(fexit_unix_stream_sendmsg, struct socket *sock, struct msghdr *msg, size_t len, int ret)
{
	return db_sent(sock->sk, ret);
}

SEC("fexit/unix_stream_recvmsg")
int BPF_PROG(fexit_unix_stream_recvmsg, struct socket *sock, struct msghdr *msg, size_t size,
	     int flags, int ret)
{
	return db_received(sock->sk, ret, flags);
}
