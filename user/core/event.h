/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The decoded event that every user-space module works on, and its fields. */
#ifndef BULWARK_EVENT_H
#define BULWARK_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A byte string that is not necessarily NUL terminated. p may be NULL. */
struct bw_str {
	const char *p;   /* bytes, any value (db.query may hold NUL inside quotes) */
	uint32_t len;    /* length in bytes */
};

#define BW_STR(s) ((struct bw_str){ (s), (uint32_t)sizeof(s) - 1 })

/* Kinds of evt.type that user space knows. Kernel types map 1:1 (ABI enum);
 * the rest are produced by user space. */
enum bw_evt {
	BW_EVT_UNKNOWN = 0,
	BW_EVT_EXECVE,     /* "execve" */
	BW_EVT_FORK,       /* "fork" */
	BW_EVT_EXIT,       /* "exit" */
	BW_EVT_UNLINK,     /* "unlink" */
	BW_EVT_UNLINKAT,   /* "unlinkat" */
	BW_EVT_RMDIR,      /* "rmdir" */
	BW_EVT_RENAME,     /* "rename" */
	BW_EVT_RENAMEAT,   /* "renameat" */
	BW_EVT_RENAMEAT2,  /* "renameat2" */
	BW_EVT_TRUNCATE,   /* "truncate" */
	BW_EVT_FTRUNCATE,  /* "ftruncate" */
	BW_EVT_DB_QUERY,   /* "db_query" */
	BW_EVT_DB_CONNECT, /* "db_connect": startup/handshake seen */
	BW_EVT_DB_TLS,     /* "db_tls": encrypted, statements not inspected */
	BW_EVT_KERNEL_KILL, /* "kernel_kill": the kernel killed a task (journals before: "kill") */
	BW_EVT_DROP,       /* "drop": records were lost; see drop.* fields */
	/* --- signals and attempts on bulwark (Falco's evt.type names) --- */
	BW_EVT_KILL,              /* "kill": kill(2) */
	BW_EVT_TKILL,             /* "tkill" */
	BW_EVT_TGKILL,            /* "tgkill" */
	BW_EVT_PIDFD_SEND_SIGNAL, /* "pidfd_send_signal" */
	BW_EVT_RT_SIGQUEUEINFO,   /* "rt_sigqueueinfo" */
	BW_EVT_RT_TGSIGQUEUEINFO, /* "rt_tgsigqueueinfo" */
	BW_EVT_PTRACE,            /* "ptrace" */
	BW_EVT_BPF,               /* "bpf": a command on bulwark's objects, or any BPF_PROG_LOAD */
	BW_EVT_UMOUNT2,           /* "umount2" */
	BW_EVT_INIT_MODULE,       /* "init_module" */
	BW_EVT_FINIT_MODULE,      /* "finit_module" */
	BW_EVT_BULWARK,           /* "bulwark": the monitor itself (gap, unload, pins replaced); guard.event */
	/* --- end of the signals/guard block --- */
	/* issue 11: opens that destroy, fallocate, io_uring */
	BW_EVT_OPEN,       /* "open" */
	BW_EVT_OPENAT,     /* "openat" */
	BW_EVT_OPENAT2,    /* "openat2" */
	BW_EVT_CREAT,      /* "creat" */
	BW_EVT_FALLOCATE,  /* "fallocate": destructive modes only */
	BW_EVT_IO_URING_SETUP, /* "io_uring_setup": a ring created by a login session */
	BW_EVT_MAX,
};

const char *event_type_name(enum bw_evt t);
enum bw_evt event_type_from_name(const char *name, size_t len);

/*
 * Every field a rule, an output format or the JSON encoder can name.
 * Order is the JSON key order. Add new ones anywhere before FLD_MAX; the
 * table in event.c gives name, kind and offset.
 */
enum bw_field {
	FLD_EVT_TIME,        /* evt.time: ns since the epoch (u64) */
	FLD_EVT_TYPE,        /* evt.type: name of enum bw_evt (str) */
	FLD_EVT_RAWRES,      /* evt.rawres: syscall result, 0 or -errno (s64); evt.res is its name */
	FLD_EVT_FLAGS,       /* evt.flags: BW_F_* truncation bits (u64) */
	FLD_PROC_PID,        /* proc.pid */
	FLD_PROC_TID,        /* proc.tid */
	FLD_PROC_PPID,       /* proc.ppid */
	FLD_PROC_NAME,       /* proc.name: comm */
	FLD_PROC_EXEPATH,    /* proc.exepath: absolute path of the executable (proc.exe is argv[0]) */
	FLD_PROC_CMDLINE,    /* proc.cmdline: argv joined by spaces */
	FLD_PROC_PNAME,      /* proc.pname: parent's comm */
	FLD_PROC_PEXEPATH,   /* proc.pexepath: the parent's executable path */
	FLD_PROC_PCMDLINE,   /* proc.pcmdline */
	FLD_PROC_CGROUP,     /* proc.cgroup: cgroup v2 id (u64) */
	FLD_USER_UID,        /* user.uid */
	FLD_USER_NAME,       /* user.name: name of uid */
	FLD_USER_LOGINUID,   /* user.loginuid: audit login uid; shown as -1 when unset (s64) */
	FLD_USER_LOGINNAME,  /* user.loginname: name of loginuid */
	FLD_SESSION_ID,      /* session.id: audit session id */
	FLD_SESSION_LOGINUID,  /* session.loginuid: the session leader's login uid */
	FLD_SESSION_LOGINNAME, /* session.loginname */
	FLD_SESSION_START,     /* session.start: ns since the epoch */
	FLD_SESSION_TTY,       /* session.tty: "pts/3" */
	FLD_SESSION_ORIGIN,    /* session.origin: "ip:port", "[ip6]:port", console, cron, systemd-run, unknown */
	FLD_SESSION_ORIGIN_IP, /* session.origin_ip: the address of session.origin alone */
	FLD_SESSION_LEADER,    /* session.leader: pid of the session's topmost process */
	FLD_SESSION_LEADER_EXE,/* session.leader_exe */
	FLD_SESSION_VIA,       /* session.via: "sshd -> bash -> sudo -> bash" */
	FLD_SESSION_BOOT,      /* session.boot: boot id; with session.id the key across reboots */
	FLD_FD_NAME,         /* fd.name: absolute path */
	FLD_FD_DIRECTORY,    /* fd.directory: fd.name up to the last '/' */
	FLD_FD_FILENAME,     /* fd.filename: fd.name after the last '/' */
	FLD_FD_NEWNAME,      /* fd.newname: rename target */
	FLD_EVT_ARG,         /* evt.arg: unlinkat/renameat2 flags, truncate length (s64) */
	FLD_EVT_KILL,        /* evt.kill: "protect", "protect_session" or "quarantine": the kernel killed the caller */
	FLD_DB_SYSTEM,       /* db.system: "mysql" or "postgresql" */
	FLD_DB_USER,         /* db.user */
	FLD_DB_NAME,         /* db.name */
	FLD_DB_QUERY,        /* db.query */
	FLD_DB_PEER,         /* db.peer: "ip:port" or "unix:/path" of the client */
	FLD_DB_SIDE,         /* db.side: "client" or "server" capture */
	FLD_DB_STMT,         /* db.stmt: statement kind, e.g. "DROP TABLE" */
	FLD_DB_OBJECTS,      /* db.objects: objects named, comma separated */
	FLD_DB_HAS_WHERE,    /* db.has_where: UPDATE/DELETE has WHERE or LIMIT (bool) */
	FLD_DB_DESTRUCTIVE,  /* db.destructive: classifier verdict (bool) */
	FLD_DROP_COUNT,      /* drop.count: records lost since the last report (u64) */
	FLD_DROP_REASON,     /* drop.reason */
	/* --- signals and attempts on bulwark --- */
	FLD_EVT_ARG_SIG,     /* evt.arg.sig: signal number (u64) */
	FLD_EVT_ARG_PID,     /* evt.arg.pid: the pid/tid argument of a signal or ptrace (s64) */
	FLD_EVT_ARG_CMD,     /* evt.arg.cmd: bpf command or ptrace request, by name */
	FLD_TARGET_PID,      /* target.pid: the target process (tgid) */
	FLD_TARGET_NAME,     /* target.name: its comm */
	FLD_TARGET_EXE,      /* target.exepath: its executable */
	FLD_GUARD_TARGET,    /* guard.target: what of bulwark it touches: daemon, pins, links, maps, fs, module */
	FLD_GUARD_DENIED,    /* guard.denied: BPF-LSM refused it (bool) */
	FLD_GUARD_EVENT,     /* guard.event: evt.type bulwark: gap, unload, pins_replaced, pins_lost */
	FLD_GUARD_DETAIL,    /* guard.detail: its text */
	/* --- end of the signals/guard block --- */
	/* issue 11 */
	FLD_EVT_ARG_FLAGS,   /* evt.arg.flags: open flags by name, "O_WRONLY|O_CREAT|O_TRUNC" */
	FLD_EVT_ARG_MODE,    /* evt.arg.mode: fallocate mode by name, "FALLOC_FL_PUNCH_HOLE|..." */
	FLD_EVT_IS_OPEN_WRITE,  /* evt.is_open_write: an open for writing (bool) */
	FLD_EVT_IS_OPEN_CREATE, /* evt.is_open_create: the open created the file (bool) */
	FLD_EVT_IS_IO_URING, /* evt.is_io_uring: an io_uring request, not a syscall (bool) */
	/* Falco fields (issue 14). Stored ones first: they are in the event JSON. */
	FLD_EVT_NUM,         /* evt.num: event number, from 1 (u64) */
	FLD_PROC_ARGV0,      /* proc.exe: argv[0], as Falco */
	FLD_PROC_PARGV0,     /* proc.pexe: the parent's argv[0] */
	FLD_PROC_SID,        /* proc.sid: POSIX session id, as of the last exec (u64) */
	FLD_PROC_VPGID,      /* proc.vpgid: process group id, as of the last exec (u64) */
	FLD_GROUP_GID,       /* group.gid: real gid, as of the last exec (u64) */
	FLD_GROUP_NAME,      /* group.name */
	FLD_PROC_CWD,        /* proc.cwd: working directory, as of the last exec */
	FLD_PROC_IS_EXE_UPPER_LAYER, /* proc.is_exe_upper_layer: false off overlayfs (bool) */
	/* Derived: computed from the fields above, never in the event JSON
	 * (BW_FF_DERIVED); the ancestors are in bw_event.anc. */
	FLD_EVT_RES_NAME,         /* evt.res: "SUCCESS" or the errno name, from evt.rawres */
	FLD_EVT_FAILED,      /* evt.failed: evt.rawres < 0 (bool) */
	FLD_EVT_DIR,         /* evt.dir: "<": every syscall event is reported on exit */
	FLD_EVT_ARGNAMED,    /* evt.arg.NAME / evt.arg[N]: a syscall argument, as text */
	FLD_EVT_RAWARGNAMED, /* evt.rawarg.NAME: the same, raw */
	FLD_PROC_ARGS,       /* proc.args: the arguments after argv[0] */
	FLD_PROC_TTY,        /* proc.tty: tty device number of the login session, 0 for none (u64) */
	FLD_PROC_VPID,       /* proc.vpid: pid in its namespace; bulwark reports the host's (u64) */
	FLD_PROC_IS_SID_LEADER,   /* proc.is_sid_leader (bool) */
	FLD_PROC_IS_VPGID_LEADER, /* proc.is_vpgid_leader (bool) */
	FLD_PROC_ANAME,      /* proc.aname[N]: name of the Nth ancestor; no [N]: any ancestor */
	FLD_PROC_APID,       /* proc.apid[N] (u64) */
	FLD_PROC_AEXE,       /* proc.aexe[N]: argv[0] of the Nth ancestor */
	FLD_PROC_AEXEPATH,   /* proc.aexepath[N] */
	FLD_PROC_ANAMES,     /* proc.anames: every ancestor's name (a list) */
	FLD_FS_PATH_NAME,    /* fs.path.name: path of unlink, rmdir, truncate */
	FLD_FS_PATH_NAMERAW, /* fs.path.nameraw */
	FLD_FS_PATH_SOURCE,  /* fs.path.source: rename source */
	FLD_FS_PATH_SOURCERAW,
	FLD_FS_PATH_TARGET,  /* fs.path.target: rename target */
	FLD_FS_PATH_TARGETRAW,
	FLD_CONTAINER_ID,    /* container.id: "host" */
	FLD_CONTAINER_NAME,  /* container.name: "host" */
	FLD_PROC_IS_EXE_FROM_MEMFD, /* proc.is_exe_from_memfd: the executable is a memfd (bool) */
	FLD_FD_NUM,          /* fd.num: the fd an open returned, -1 when it failed */
	FLD_FD_TYPECHAR,     /* fd.typechar: f (file) or d (O_DIRECTORY), as Falco */
	FLD_FD_TYPE,         /* fd.type: file or directory */
	FLD_PROC_ENV,        /* proc.env: the environment at exec (private: never in JSON) */
	FLD_PROC_CAP_PERMITTED,   /* proc.cap_permitted: CapPrm mask at exec (u64) */
	FLD_PROC_CAP_EFFECTIVE,   /* proc.cap_effective: CapEff mask */
	FLD_PROC_CAP_INHERITABLE, /* proc.cap_inheritable: CapInh mask */
	FLD_THREAD_CAP_PERMITTED,   /* thread.cap_permitted: the names, as Falco */
	FLD_THREAD_CAP_EFFECTIVE,   /* thread.cap_effective */
	FLD_THREAD_CAP_INHERITABLE, /* thread.cap_inheritable */
	/* end of the Falco fields (issue 14) */
	FLD_MAX,
};

enum bw_kind { BW_K_STR, BW_K_U64, BW_K_S64, BW_K_BOOL };

/* bw_field_info.flags */
#define BW_FF_DERIVED  1u  /* computed by event_value(); not stored, not in the event JSON */
#define BW_FF_INDEXED  2u  /* takes an argument: proc.aname[2], evt.arg.flags */
#define BW_FF_LIST     4u  /* several values (proc.anames): in, intersects, exists */
#define BW_FF_AUDIT    8u  /* an audit id: 4294967295 ("unset") reads as -1, as in Falco */
#define BW_FF_PRIVATE 16u  /* for rules and alert outputs only: never in the event JSON or the journal */

struct bw_field_info {
	const char *name;     /* "proc.name" */
	enum bw_kind kind;    /* value kind */
	size_t offset;        /* offset into struct bw_event (stored fields) */
	const char *desc;     /* one line for --help and the README */
	unsigned flags;       /* BW_FF_* */
};

extern const struct bw_field_info bw_fields[FLD_MAX];

/* Field id by name, -1 when unknown. */
int event_field_lookup(const char *name, size_t len);

/* Ancestors carried by an event (proc.aname[N], N = 1..BW_ANC_MAX). */
#define BW_ANC_MAX 16

struct bw_ancestor {
	uint64_t pid;                /* proc.apid[N] */
	struct bw_str name, exe, exepath; /* proc.aname[N], proc.aexe[N], proc.aexepath[N] */
};

/*
 * A decoded event. Strings point into buffers owned by whoever filled the
 * event (the decoder's per-event scratch, the process table, the replay
 * line buffer); they stay valid until the next event is decoded.
 * present[] says which fields this event carries (JSON omits the rest and
 * rules treat them as absent).
 */
struct bw_event {
	uint64_t time_ns;        /* evt.time */
	struct bw_str type_name; /* evt.type as a string */
	enum bw_evt type;        /* evt.type */
	int64_t res;             /* evt.res */
	uint64_t flags;          /* evt.flags */
	uint64_t pid, tid, ppid; /* proc.pid, proc.tid, proc.ppid */
	struct bw_str name, exe, cmdline;     /* proc.name, proc.exe, proc.cmdline */
	struct bw_str pname, pexe, pcmdline;  /* parent's */
	uint64_t cgroup;         /* proc.cgroup */
	uint64_t uid;            /* user.uid */
	struct bw_str user_name; /* user.name */
	uint64_t loginuid;       /* user.loginuid */
	struct bw_str login_name;/* user.loginname */
	uint64_t sessionid;      /* session.id */
	uint64_t session_loginuid, session_start, session_leader; /* session.loginuid, .start, .leader */
	struct bw_str session_loginname, session_tty, session_origin, session_origin_ip;
	struct bw_str session_leader_exe, session_via, session_boot; /* the rest of session.* */
	struct bw_str path, directory, filename, newpath; /* fd.* */
	int64_t arg;             /* evt.arg */
	struct bw_str kill;      /* evt.kill */
	struct bw_str db_system, db_user, db_name, db_query, db_peer, db_side;
	struct bw_str db_stmt, db_objects;
	bool db_has_where, db_destructive;
	uint64_t drop_count;     /* drop.count */
	struct bw_str drop_reason;
	uint64_t sig;            /* evt.arg.sig */
	int64_t arg_pid;         /* evt.arg.pid */
	uint64_t target_pid;     /* target.pid */
	struct bw_str arg_cmd, target_name, target_exe; /* evt.arg.cmd, target.name, target.exe */
	struct bw_str guard_target, guard_event, guard_detail; /* guard.* */
	bool guard_denied;       /* guard.denied */
	struct bw_str arg_flags, arg_mode;  /* evt.arg.flags, evt.arg.mode */
	bool is_open_write, is_open_create, is_io_uring; /* evt.is_* */
	/* Falco fields (issue 14) */
	uint64_t evt_num;        /* evt.num */
	struct bw_str argv0, pargv0; /* proc.exe, proc.pexe */
	uint64_t sid, vpgid;     /* proc.sid, proc.vpgid */
	uint64_t gid;            /* group.gid */
	struct bw_str group_name;/* group.name */
	struct bw_str cwd;       /* proc.cwd */
	bool exe_upper;          /* proc.is_exe_upper_layer */
	struct bw_str env;       /* proc.env */
	uint64_t cap_prm, cap_eff, cap_inh; /* proc.cap_* */
	uint32_t nanc;           /* ancestors known: anc[0] is the parent */
	struct bw_ancestor anc[BW_ANC_MAX];
	uint64_t db_conn_id;     /* db_query: the capture's connection id (not a field; Prevention) */
	bool db_denied;          /* db_query: the kernel refused the client's send (BPF-LSM; not a field) */
	uint64_t present[(FLD_MAX + 63) / 64]; /* bit per enum bw_field */
};

static inline void event_set_present(struct bw_event *e, enum bw_field f)
{
	e->present[f / 64] |= 1ull << (f % 64);
}

static inline bool event_has(const struct bw_event *e, enum bw_field f)
{
	return e->present[f / 64] & (1ull << (f % 64));
}

/* Clears e. */
void event_reset(struct bw_event *e);

/* Sets fd.directory and fd.filename from fd.name. */
void event_split_path(struct bw_event *e);

/* Value of field f, for rules and output formatting. */
struct bw_value {
	enum bw_kind kind;
	struct bw_str s;   /* BW_K_STR */
	uint64_t u;        /* BW_K_U64, BW_K_BOOL */
	int64_t i;         /* BW_K_S64 */
};

/* Returns false when the event does not carry the field. Stored fields
 * only (BW_FF_DERIVED fields need event_value()). For BW_FF_AUDIT fields
 * v->i is -1 when unset and v->u keeps the raw 4294967295. */
bool event_get(const struct bw_event *e, enum bw_field f, struct bw_value *v);

/*
 * Value of any field, derived and indexed ones included: idx is the
 * ancestor level of proc.a*[N] (0 the process itself, 1 the parent) or the
 * evt_arg id of evt.arg.NAME / evt.rawarg.NAME; -1 when none. Text made up
 * for the value (evt.arg.flags) goes to buf (cap bytes). False when the
 * event does not carry it. Does not allocate.
 */
bool event_value(const struct bw_event *e, int f, int idx, struct bw_value *v, char *buf,
		 size_t cap);

/*
 * Parses a field reference: "proc.name", "proc.aname[2]", "evt.arg.flags",
 * "evt.arg[0]". Returns the field and sets *idx (-1 when it takes none), or
 * -1 when bulwark has no such field.
 */
int event_field_parse(const char *name, size_t len, int *idx);

/* Falco's syscall argument names that bulwark fills (evt.arg.NAME), by id. */
int event_arg_lookup(const char *name, size_t len);   /* -1 if unknown */
const char *event_arg_name(int id);
enum bw_kind event_arg_kind(int id);  /* kind of evt.rawarg.NAME: text or a number */

/* Sets anc[0] from the parent fields and nanc (after the parent fields are set). */
void event_sync_parent(struct bw_event *e);

/* Errno name of a negative result ("ENOENT"), or NULL. */
const char *event_errno_name(int64_t res);

#define BW_NO_SESSION 4294967295u  /* audit "unset" id: never a session */

#endif /* BULWARK_EVENT_H */
