/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The one event ABI shared by the BPF programs (bpf/) and user space (user/). */
#ifndef BULWARK_ABI_H
#define BULWARK_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>  /* user space; the BPF side gets them from vmlinux.h */
#endif

/*
 * Bump BW_ABI_VERSION on any change to a struct below. The BPF object
 * carries the version it was built with (bw_abi_version, rodata) and the
 * loader refuses an object of another version.
 *   1: process and file events
 *   2: socket events (bw_sock_event); the object carries bw_abi_version
 *   3: signal and self-protection events (bw_ctl_event), pinned guard state
 *      (bw_guard_state): pins of another version are replaced, never reused
 */
#define BW_ABI_VERSION 3

#define BW_COMM_LEN      16
#define BW_PATH_MAX      4096  /* one absolute path, NUL included */
#define BW_ARGS_MAX      4096  /* argv bytes copied at exec (NUL separated) */
#define BW_DATA_MAX      4096  /* socket payload bytes copied per syscall */
#define BW_PATH_DEPTH    64    /* dentry components walked per path */

/* Event types. Values are never reused; add new ones at the end. */
enum bw_event_type {
	BW_EV_EXEC       = 1,  /* sched_process_exec */
	BW_EV_FORK       = 2,  /* sched_process_fork, new processes only */
	BW_EV_EXIT       = 3,  /* sched_process_exit, thread-group leader */
	BW_EV_UNLINK     = 4,
	BW_EV_UNLINKAT   = 5,
	BW_EV_RMDIR      = 6,
	BW_EV_RENAME     = 7,
	BW_EV_RENAMEAT   = 8,
	BW_EV_RENAMEAT2  = 9,
	BW_EV_TRUNCATE   = 10,
	BW_EV_FTRUNCATE  = 11,
	BW_EV_SOCK_DATA  = 12, /* bytes sent/received on a watched socket */
	BW_EV_SOCK_CLOSE = 13, /* a watched socket was closed */
	BW_EV_KILL       = 14, /* the kernel killed a task (quarantine/protect/guard); user space: kernel_kill */
	/* coverage (issue 11): opens that destroy, fallocate, io_uring; bw_file_event */
	BW_EV_OPEN       = 15, /* arg: open flags (O_*) */
	BW_EV_OPENAT     = 16,
	BW_EV_OPENAT2    = 17, /* arg: open_how.flags */
	BW_EV_CREAT      = 18, /* arg: O_CREAT|O_WRONLY|O_TRUNC, as the kernel takes it */
	BW_EV_FALLOCATE  = 19, /* arg: mode (FALLOC_FL_*), destructive modes only */
	BW_EV_IO_URING_SETUP = 20, /* a ring created by a login session: res fd, arg sq entries */
	/* --- signals and attempts on bulwark (bw_ctl_event); values 40-59 kept for this block --- */
	BW_EV_SIG_KILL          = 40, /* kill(2) */
	BW_EV_SIG_TKILL         = 41, /* tkill(2) */
	BW_EV_SIG_TGKILL        = 42, /* tgkill(2) */
	BW_EV_SIG_PIDFD         = 43, /* pidfd_send_signal(2) */
	BW_EV_SIG_QUEUE         = 44, /* rt_sigqueueinfo(2) */
	BW_EV_SIG_TGQUEUE       = 45, /* rt_tgsigqueueinfo(2) */
	BW_EV_PTRACE            = 46, /* ptrace(2) of bulwark */
	BW_EV_BPF               = 47, /* bpf(2) on bulwark's objects (detach, update, open pin) */
	BW_EV_UMOUNT2           = 48, /* umount2(2) of bpffs or tracefs */
	BW_EV_INIT_MODULE       = 49, /* init_module(2) */
	BW_EV_FINIT_MODULE      = 50, /* finit_module(2) */
	/* --- end of the signals/guard block --- */
	BW_EV_TYPE_MAX,
};

/* bw_event_hdr.flags */
#define BW_F_PATH_TRUNC    (1u << 0) /* path did not fit BW_PATH_MAX/DEPTH */
#define BW_F_NEWPATH_TRUNC (1u << 1)
#define BW_F_ARGS_TRUNC    (1u << 2) /* argv longer than BW_ARGS_MAX */
#define BW_F_DATA_TRUNC    (1u << 3) /* payload longer than BW_DATA_MAX */
#define BW_F_PATH_REL      (1u << 4) /* path could not be made absolute */
#define BW_F_PROTECTED     (1u << 5) /* target is inside a protected tree */
#define BW_F_KILLED        (1u << 6) /* the kernel sent SIGKILL for this */
#define BW_F_SESSION_KILL  (1u << 7) /* ... and quarantined the caller's session */
#define BW_F_CREATED       (1u << 8) /* an open that created the file (FMODE_CREATED) */
#define BW_F_IO_URING      (1u << 9) /* an io_uring request, seen at submission */

/* Common header, first in every record on the ring buffer. */
struct bw_event_hdr {
	__u64 ts_ns;        /* bpf_ktime_get_boot_ns() at the event */
	__u32 type;         /* enum bw_event_type */
	__u32 size;         /* whole record in bytes, header included */
	__u32 pid;          /* thread-group id (user-visible pid) */
	__u32 tid;          /* thread id */
	__u32 ppid;         /* real parent's tgid */
	__u32 uid;          /* real uid */
	__u32 loginuid;     /* audit login uid, 4294967295 when unset */
	__u32 sessionid;    /* audit session id, 4294967295 when unset */
	__u64 cgroup_id;    /* cgroup v2 id */
	__u32 flags;        /* BW_F_* */
	__u32 _pad0;        /* explicit padding, always 0 */
	char  comm[BW_COMM_LEN]; /* task comm */
};

/* BW_EV_UNLINK..BW_EV_FTRUNCATE, BW_EV_OPEN..BW_EV_IO_URING_SETUP. data[] holds path then newpath. */
struct bw_file_event {
	struct bw_event_hdr hdr;  /* common header */
	__s64 res;                /* syscall return value */
	__s64 arg;                /* unlinkat/renameat2 flags, truncate length */
	__u16 path_len;           /* bytes of path in data[], NUL excluded */
	__u16 newpath_len;        /* bytes of newpath after path, renames only */
	__u32 _pad0;              /* explicit padding, always 0 */
	char  data[2 * BW_PATH_MAX]; /* path, newpath; not NUL terminated */
};

/* BW_EV_EXEC. data[] holds the exe path then the argv bytes. */
struct bw_exec_event {
	struct bw_event_hdr hdr;  /* common header */
	__u16 exe_len;            /* bytes of exe path in data[] */
	__u16 args_len;           /* bytes of argv after the exe, NUL separated */
	__u32 _pad0;              /* explicit padding, always 0 */
	char  data[BW_PATH_MAX + BW_ARGS_MAX]; /* exe, argv */
};

/* BW_EV_FORK and BW_EV_EXIT. */
struct bw_proc_event {
	struct bw_event_hdr hdr;  /* common header; pid is the new/exiting one */
	__u32 child_pid;          /* fork: the child tgid; exit: unused */
	__s32 exit_code;          /* exit: task->exit_code; fork: 0 */
};

/* BW_EV_KILL: the kernel sent SIGKILL synchronously. */
struct bw_kill_event {
	struct bw_event_hdr hdr;  /* common header: the killed task */
	__u32 reason;             /* 1 = quarantined session, 2 = protected tree */
	__u32 syscall_type;       /* enum bw_event_type of the syscall stopped */
};

/*
 * Signals and attempts on bulwark (BW_EV_SIG_* .. BW_EV_FINIT_MODULE).
 * Reported at syscall exit with the result; the kernel's response (kill +
 * quarantine of a login session) was decided at entry. data[] holds the
 * path argument: umount2 target, the pin path of BPF_OBJ_GET.
 */
#define BW_GUARD_DAEMON  1u  /* the target is the bulwark daemon (signal, ptrace) */
#define BW_GUARD_PINS    2u  /* bulwark's pinned objects (BPF_OBJ_GET of a pin) */
#define BW_GUARD_LINKS   4u  /* bulwark's links (BPF_LINK_DETACH, BPF_LINK_UPDATE) */
#define BW_GUARD_MAPS    8u  /* bulwark's maps (update, delete, freeze) */
#define BW_GUARD_FS      16u /* bpffs or tracefs unmounted */
#define BW_GUARD_MODULE  32u /* a kernel module loaded: it could undo anything */
#define BW_GUARD_DENIED  64u /* BPF-LSM refused it (res is -EPERM) */

struct bw_ctl_event {
	struct bw_event_hdr hdr;  /* common header: the caller */
	__s64 res;                /* syscall return value */
	__s32 target;             /* signals, ptrace: the pid/tid argument (kill: may be <= 0) */
	__u32 arg;                /* signal number; ptrace request; bpf cmd; umount2/module flags */
	__u32 obj_id;             /* bpf: id of the map/link the command names, 0 = none */
	__u32 guard;              /* BW_GUARD_*: what of bulwark it touches, 0 = nothing */
	__u32 target_tgid;        /* signals, ptrace: the target's tgid when the kernel knew it */
	__u16 path_len;           /* bytes of data[] */
	__u16 _pad0;              /* explicit padding, always 0 */
	char  target_comm[BW_COMM_LEN]; /* the target's comm when known, else "" */
	char  data[BW_PATH_MAX];  /* path argument, not NUL terminated */
};

/*
 * The pinned guard state (one entry of the guard_state array map): what a
 * daemon that takes over the pins needs to report the gap. The kernel
 * writes last_sig_*; the daemon writes the rest each second.
 */
struct bw_guard_state {
	__u32 abi;                /* BW_ABI_VERSION of the daemon that pinned */
	__u32 daemon_tgid;        /* that daemon */
	__u64 alive_ns;           /* boot ns of its last heartbeat (1 s) */
	__u64 started_ns;         /* boot ns it started */
	__u64 drops_reported;     /* BW_STAT_RB_DROPS it had reported */
	__u32 unload_pid;         /* `bulwark unload` asks the daemon to remove everything */
	__u32 stop_sig;           /* the daemon stopped on this signal (SIGTERM/SIGINT), 0 = not cleanly */
	__u32 stop_pid;           /* ... sent by this pid (siginfo) */
	__u32 last_sig;           /* last signal sent to the daemon from outside (kernel) */
	__u64 last_sig_ns;        /* when (boot ns) */
	__u32 last_sig_pid;       /* by this tgid */
	__u32 last_sig_uid;       /* uid */
	__u32 last_sig_loginuid;  /* loginuid */
	__u32 last_sig_session;   /* audit session */
	char  last_sig_comm[BW_COMM_LEN]; /* comm */
};

#define BW_KILL_GUARD_REASON 3  /* bw_kill_event.reason: an attempt on bulwark */

/* Per-CPU counters in the stats map. Index = enum bw_stat. */
enum bw_stat {
	BW_STAT_EVENTS       = 0, /* records submitted */
	BW_STAT_RB_DROPS     = 1, /* ring buffer full: record lost */
	BW_STAT_PATH_TRUNC   = 2, /* paths truncated */
	BW_STAT_ARGS_TRUNC   = 3, /* argv truncated */
	BW_STAT_DATA_TRUNC   = 4, /* socket payload truncated */
	BW_STAT_INFLIGHT_FULL= 5, /* enter/exit join map full: record lost */
	BW_STAT_READ_ERR     = 6, /* bpf_probe_read failed */
	BW_STAT_KILLS        = 7, /* SIGKILLs sent by the kernel */
	BW_STAT_MAX          = 16,
};

/*
 * Database capture (bpf/db.bpf.c -> user/dbcapture.c). One record layout
 * for both BW_EV_SOCK_DATA and BW_EV_SOCK_CLOSE; kind says what it carries.
 * Only the client->server direction is captured: what a client sends, or
 * what a server receives, plus the statement text a server parses (uprobe).
 */
#define BW_SOCK_CONNECT  1  /* a client connected to a database endpoint */
#define BW_SOCK_ACCEPT   2  /* a server accepted a database connection */
#define BW_SOCK_DATA     3  /* client->server bytes at stream offset `offset` */
#define BW_SOCK_QUERY    4  /* server uprobe: statement text being parsed */
#define BW_SOCK_LOGIN    5  /* server uprobe: data[] = "user\0database\0" (either may be "") */
#define BW_SOCK_CLOSE    6  /* the socket was closed (type BW_EV_SOCK_CLOSE) */
/* Hold and decide (docs/database.md, Prevention): appended, never renumber. */
#define BW_SOCK_HOLD     7  /* server: a PostgreSQL backend was stopped (SIGSTOP) on receiving
			     * bytes the hold words flag; offset/total: its receive */
#define BW_SOCK_DENIED   8  /* client: BPF-LSM refused this send (-EPERM); data: its bytes at
			     * stream offset `offset` (the stream advances past them) */

#define BW_DB_MYSQL      1  /* MySQL/MariaDB wire protocol */
#define BW_DB_PG         2  /* PostgreSQL wire protocol v3 */

#define BW_SIDE_CLIENT   1  /* seen in the client process (its send syscalls) */
#define BW_SIDE_SERVER   2  /* seen in the server process (its receives, uprobes) */

#define BW_UNIX_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */

/* Counters in the stats map used by database capture (after enum bw_stat). */
#define BW_STAT_DB_TRACK_FULL  8  /* connection not tracked: socket map full */
#define BW_STAT_DB_UNREADABLE  9  /* bytes moved by a syscall we cannot read (sendmmsg, io_uring...) */
#define BW_STAT_DB_STALE      10  /* entries of sockets freed without close(), reclaimed */
#define BW_STAT_DB_READS_SKIPPED 11 /* plain SELECTs outside login sessions, counted not copied */
/* Counters of the signals/guard block. */
#define BW_STAT_GUARD          12 /* attempts on bulwark seen by the kernel */
#define BW_STAT_GUARD_DENIED   13 /* ... of which BPF-LSM refused */
#define BW_STAT_DB_HELD       14  /* PostgreSQL backends held (SIGSTOP) for a decision */
#define BW_STAT_DB_HOLD_ERR   15  /* holds that could not be made (signal or map failed) */

/* bw_sock_event.arg of DATA records */
#define BW_SOCK_F_GAP_WHOLE (1u << 0) /* the bytes before offset (since the last record) were
				       * whole plain-read messages the kernel skipped */
#define BW_SOCK_F_DECRYPTED (1u << 1) /* server: the connection's decrypted stream (TLS read
				       * uretprobe), with its own offsets */

struct bw_sock_event {
	struct bw_event_hdr hdr;  /* common header: the task that did it */
	__u64 conn_id;            /* tracked socket, unique per boot; 0 = not tracked */
	__u64 peer_conn_id;       /* server side: conn_id of the local client socket, 0 = unknown */
	__u64 offset;             /* DATA: client->server stream offset of data[0] */
	__u32 total;              /* DATA: bytes the syscall moved; QUERY: statement length */
	__u32 arg;                /* QUERY (mysql): server command; CONNECT: -connect() result;
				   * DATA: BW_SOCK_F_* */
	__u8  kind;               /* BW_SOCK_* */
	__u8  system;             /* BW_DB_* */
	__u8  side;               /* BW_SIDE_* */
	__u8  family;             /* AF_INET, AF_INET6, AF_UNIX; 0 = unknown */
	__u16 lport;              /* local port, host order (inet) */
	__u16 rport;              /* remote port, host order (inet) */
	__u8  laddr[16];          /* local address: IPv4 in laddr[0..3], or IPv6 */
	__u8  raddr[16];          /* remote address, same encoding */
	__u32 owner_pid;          /* tgid that connected/accepted the socket */
	__u16 data_len;           /* bytes in data[] */
	__u16 _pad0;              /* explicit padding, always 0 */
	char  data[BW_DATA_MAX];  /* payload, statement, or the Unix socket path */
};

#endif /* BULWARK_ABI_H */
