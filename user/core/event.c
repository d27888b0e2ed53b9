// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The field table: names, kinds and offsets of every event field. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "core/event.h"

static const char *const type_names[BW_EVT_MAX] = {
	[BW_EVT_UNKNOWN] = "unknown",
	[BW_EVT_EXECVE] = "execve",
	[BW_EVT_FORK] = "fork",
	[BW_EVT_EXIT] = "exit",
	[BW_EVT_UNLINK] = "unlink",
	[BW_EVT_UNLINKAT] = "unlinkat",
	[BW_EVT_RMDIR] = "rmdir",
	[BW_EVT_RENAME] = "rename",
	[BW_EVT_RENAMEAT] = "renameat",
	[BW_EVT_RENAMEAT2] = "renameat2",
	[BW_EVT_TRUNCATE] = "truncate",
	[BW_EVT_FTRUNCATE] = "ftruncate",
	[BW_EVT_DB_QUERY] = "db_query",
	[BW_EVT_DB_CONNECT] = "db_connect",
	[BW_EVT_DB_TLS] = "db_tls",
	[BW_EVT_KERNEL_KILL] = "kernel_kill",
	[BW_EVT_DROP] = "drop",
	[BW_EVT_KILL] = "kill",
	[BW_EVT_TKILL] = "tkill",
	[BW_EVT_TGKILL] = "tgkill",
	[BW_EVT_PIDFD_SEND_SIGNAL] = "pidfd_send_signal",
	[BW_EVT_RT_SIGQUEUEINFO] = "rt_sigqueueinfo",
	[BW_EVT_RT_TGSIGQUEUEINFO] = "rt_tgsigqueueinfo",
	[BW_EVT_PTRACE] = "ptrace",
	[BW_EVT_BPF] = "bpf",
	[BW_EVT_UMOUNT2] = "umount2",
	[BW_EVT_INIT_MODULE] = "init_module",
	[BW_EVT_FINIT_MODULE] = "finit_module",
	[BW_EVT_BULWARK] = "bulwark",
	[BW_EVT_OPEN] = "open",
	[BW_EVT_OPENAT] = "openat",
	[BW_EVT_OPENAT2] = "openat2",
	[BW_EVT_CREAT] = "creat",
	[BW_EVT_FALLOCATE] = "fallocate",
	[BW_EVT_IO_URING_SETUP] = "io_uring_setup",
};

const char *event_type_name(enum bw_evt t)
{
	return (unsigned)t < BW_EVT_MAX && type_names[t] ? type_names[t] : "unknown";
}

enum bw_evt event_type_from_name(const char *name, size_t len)
{
	for (int i = 1; i < BW_EVT_MAX; i++)
		if (strlen(type_names[i]) == len && !memcmp(type_names[i], name, len))
			return i;
	return BW_EVT_UNKNOWN;
}

#define F(id, nm, k, member, d) \
	[id] = { .name = nm, .kind = k, .offset = offsetof(struct bw_event, member), .desc = d }
#define FX(id, nm, k, member, d, fl) \
	[id] = { .name = nm, .kind = k, .offset = offsetof(struct bw_event, member), .desc = d, \
		 .flags = fl }
#define D(id, nm, k, d, fl) [id] = { .name = nm, .kind = k, .desc = d, .flags = BW_FF_DERIVED | (fl) }

const struct bw_field_info bw_fields[FLD_MAX] = {
	F(FLD_EVT_TIME, "evt.time", BW_K_U64, time_ns, "event time, ns since the epoch"),
	F(FLD_EVT_TYPE, "evt.type", BW_K_STR, type_name, "syscall name (unlinkat, openat, execve, kill...), io_uring_setup, db_query, fork, exit, kernel_kill, drop, bulwark"),
	F(FLD_EVT_RAWRES, "evt.rawres", BW_K_S64, res, "syscall result as a number: 0 (or more) on success, -errno on failure"),
	F(FLD_EVT_FLAGS, "evt.flags", BW_K_U64, flags, "truncation bits: 1 path, 2 newpath, 4 argv, 8 payload, 16 relative path"),
	F(FLD_PROC_PID, "proc.pid", BW_K_U64, pid, "process id (thread-group id)"),
	F(FLD_PROC_TID, "proc.tid", BW_K_U64, tid, "thread id"),
	F(FLD_PROC_PPID, "proc.ppid", BW_K_U64, ppid, "parent process id"),
	F(FLD_PROC_NAME, "proc.name", BW_K_STR, name, "process name (comm, at most 15 bytes)"),
	F(FLD_PROC_EXEPATH, "proc.exepath", BW_K_STR, exe, "absolute path of the executable"),
	F(FLD_PROC_CMDLINE, "proc.cmdline", BW_K_STR, cmdline, "argv joined by spaces"),
	F(FLD_PROC_PNAME, "proc.pname", BW_K_STR, pname, "parent's process name"),
	F(FLD_PROC_PEXEPATH, "proc.pexepath", BW_K_STR, pexe, "absolute path of the parent's executable"),
	F(FLD_PROC_PCMDLINE, "proc.pcmdline", BW_K_STR, pcmdline, "parent's command line"),
	F(FLD_PROC_CGROUP, "proc.cgroup", BW_K_U64, cgroup, "cgroup v2 id"),
	F(FLD_USER_UID, "user.uid", BW_K_U64, uid, "real user id"),
	F(FLD_USER_NAME, "user.name", BW_K_STR, user_name, "name of user.uid"),
	FX(FLD_USER_LOGINUID, "user.loginuid", BW_K_S64, loginuid, "audit login uid: who logged in, survives sudo and su; -1 when unset (daemons, cron)", BW_FF_AUDIT),
	F(FLD_USER_LOGINNAME, "user.loginname", BW_K_STR, login_name, "name of user.loginuid"),
	F(FLD_SESSION_ID, "session.id", BW_K_U64, sessionid, "audit session id; 4294967295 means no session"),
	F(FLD_SESSION_LOGINUID, "session.loginuid", BW_K_U64, session_loginuid, "login uid of the session's leader"),
	F(FLD_SESSION_LOGINNAME, "session.loginname", BW_K_STR, session_loginname, "name of session.loginuid"),
	F(FLD_SESSION_START, "session.start", BW_K_U64, session_start, "when the session began, ns since the epoch"),
	F(FLD_SESSION_TTY, "session.tty", BW_K_STR, session_tty, "the session's terminal (pts/3), when it has one"),
	F(FLD_SESSION_ORIGIN, "session.origin", BW_K_STR, session_origin, "where the session came from: ip:port of the ssh client ([ip6]:port), console, cron, systemd-run or unknown"),
	F(FLD_SESSION_ORIGIN_IP, "session.origin_ip", BW_K_STR, session_origin_ip, "the client address of session.origin alone (IPv4-mapped shown as IPv4)"),
	F(FLD_SESSION_LEADER, "session.leader", BW_K_U64, session_leader, "pid of the session's topmost process (sshd, login)"),
	F(FLD_SESSION_LEADER_EXE, "session.leader_exe", BW_K_STR, session_leader_exe, "executable of session.leader"),
	F(FLD_SESSION_VIA, "session.via", BW_K_STR, session_via, "process chain from the leader to this process: sshd -> bash -> sudo -> bash"),
	F(FLD_SESSION_BOOT, "session.boot", BW_K_STR, session_boot, "boot id: with session.id, names a session across reboots"),
	F(FLD_FD_NAME, "fd.name", BW_K_STR, path, "absolute path the syscall acted on"),
	F(FLD_FD_DIRECTORY, "fd.directory", BW_K_STR, directory, "fd.name up to its last '/'"),
	F(FLD_FD_FILENAME, "fd.filename", BW_K_STR, filename, "fd.name after its last '/'"),
	F(FLD_FD_NEWNAME, "fd.newname", BW_K_STR, newpath, "absolute target path of a rename"),
	F(FLD_EVT_ARG, "evt.arg", BW_K_S64, arg, "unlinkat/renameat2 flags, or the truncate length"),
	F(FLD_EVT_KILL, "evt.kill", BW_K_STR, kill, "the kernel killed the caller: protect, protect_session (protected tree) or quarantine (session being killed)"),
	F(FLD_DB_SYSTEM, "db.system", BW_K_STR, db_system, "mysql or postgresql"),
	F(FLD_DB_USER, "db.user", BW_K_STR, db_user, "database user from the handshake"),
	F(FLD_DB_NAME, "db.name", BW_K_STR, db_name, "database (schema) in use"),
	F(FLD_DB_QUERY, "db.query", BW_K_STR, db_query, "statement text, bounded"),
	F(FLD_DB_PEER, "db.peer", BW_K_STR, db_peer, "client address: ip:port or unix:PATH"),
	F(FLD_DB_SIDE, "db.side", BW_K_STR, db_side, "where it was captured: client or server"),
	F(FLD_DB_STMT, "db.stmt", BW_K_STR, db_stmt, "statement kind, e.g. DROP TABLE"),
	F(FLD_DB_OBJECTS, "db.objects", BW_K_STR, db_objects, "objects the statement names, comma separated"),
	F(FLD_DB_HAS_WHERE, "db.has_where", BW_K_BOOL, db_has_where, "UPDATE/DELETE has a WHERE or LIMIT"),
	F(FLD_DB_DESTRUCTIVE, "db.destructive", BW_K_BOOL, db_destructive, "the classifier judged the statement destructive"),
	F(FLD_DROP_COUNT, "drop.count", BW_K_U64, drop_count, "records lost since the last drop event"),
	F(FLD_DROP_REASON, "drop.reason", BW_K_STR, drop_reason, "why records were lost"),
	F(FLD_EVT_ARG_SIG, "evt.arg.sig", BW_K_U64, sig, "signal number of kill, tkill, tgkill, pidfd_send_signal, rt_(tg)sigqueueinfo"),
	F(FLD_EVT_ARG_PID, "evt.arg.pid", BW_K_S64, arg_pid, "pid or tid argument of a signal or ptrace (kill: 0 and negative are process groups)"),
	F(FLD_EVT_ARG_CMD, "evt.arg.cmd", BW_K_STR, arg_cmd, "bpf command (BPF_LINK_DETACH...) or ptrace request (PTRACE_ATTACH...)"),
	F(FLD_TARGET_PID, "target.pid", BW_K_U64, target_pid, "the process a signal or ptrace targets (thread-group id)"),
	F(FLD_TARGET_NAME, "target.name", BW_K_STR, target_name, "its process name; absent when it had already exited"),
	F(FLD_TARGET_EXE, "target.exepath", BW_K_STR, target_exe, "its executable; absent when it had already exited"),
	F(FLD_GUARD_TARGET, "guard.target", BW_K_STR, guard_target, "what of bulwark the syscall touches: daemon, pins, links, maps, fs, module (comma separated)"),
	F(FLD_GUARD_DENIED, "guard.denied", BW_K_BOOL, guard_denied, "BPF-LSM refused the attempt on bulwark"),
	F(FLD_GUARD_EVENT, "guard.event", BW_K_STR, guard_event, "evt.type bulwark: gap (the monitor was down), unload, pins_replaced, pins_lost"),
	F(FLD_GUARD_DETAIL, "guard.detail", BW_K_STR, guard_detail, "evt.type bulwark: what happened, in words"),
	F(FLD_EVT_ARG_FLAGS, "evt.arg.flags", BW_K_STR, arg_flags, "open, openat, openat2, creat: the open flags by name, O_WRONLY|O_CREAT|O_TRUNC, plus O_F_CREATED when the open made the file (evt.arg holds the number)"),
	F(FLD_EVT_ARG_MODE, "evt.arg.mode", BW_K_STR, arg_mode, "fallocate: the mode by name, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE (only modes that destroy data are reported)"),
	F(FLD_EVT_IS_OPEN_WRITE, "evt.is_open_write", BW_K_BOOL, is_open_write, "an open for writing (O_WRONLY or O_RDWR)"),
	F(FLD_EVT_IS_OPEN_CREATE, "evt.is_open_create", BW_K_BOOL, is_open_create, "the open created the file: an O_TRUNC open of a new file truncated nothing"),
	F(FLD_EVT_IS_IO_URING, "evt.is_io_uring", BW_K_BOOL, is_io_uring, "the operation came as an io_uring request, seen at submission (evt.res is then 0)"),
	/* Falco fields (issue 14) */
	F(FLD_EVT_NUM, "evt.num", BW_K_U64, evt_num, "event number, counting from 1 since the daemon started (kept in the journal, so replay sees it)"),
	F(FLD_PROC_ARGV0, "proc.exe", BW_K_STR, argv0, "argv[0] as the program was started (Falco's proc.exe); proc.exepath is the file"),
	F(FLD_PROC_PARGV0, "proc.pexe", BW_K_STR, pargv0, "the parent's argv[0]"),
	F(FLD_PROC_SID, "proc.sid", BW_K_U64, sid, "POSIX session id (setsid), as of the process's last exec"),
	F(FLD_PROC_VPGID, "proc.vpgid", BW_K_U64, vpgid, "process group id, as of the process's last exec"),
	F(FLD_GROUP_GID, "group.gid", BW_K_U64, gid, "real group id, as of the process's last exec"),
	F(FLD_GROUP_NAME, "group.name", BW_K_STR, group_name, "name of group.gid"),
	F(FLD_PROC_CWD, "proc.cwd", BW_K_STR, cwd, "working directory, as of the process's last exec (a later chdir is not seen)"),
	F(FLD_PROC_IS_EXE_UPPER_LAYER, "proc.is_exe_upper_layer", BW_K_BOOL, exe_upper, "the executable is in an overlayfs upper layer: false off overlayfs; absent on overlayfs, where bulwark cannot tell the layer"),
	D(FLD_EVT_RES_NAME, "evt.res", BW_K_STR, "syscall result: SUCCESS, or the errno name (ENOENT...) when it failed", 0),
	D(FLD_EVT_FAILED, "evt.failed", BW_K_BOOL, "the syscall failed (evt.rawres < 0)", 0),
	D(FLD_EVT_DIR, "evt.dir", BW_K_STR, "< on every syscall event: bulwark reports syscalls when they return, with their result", 0),
	D(FLD_EVT_ARGNAMED, "evt.arg", BW_K_STR, "evt.arg.NAME: a syscall argument as text, by Falco's name (see below)", BW_FF_INDEXED),
	D(FLD_EVT_RAWARGNAMED, "evt.rawarg", BW_K_S64, "evt.rawarg.NAME: the same argument raw: numbers as numbers", BW_FF_INDEXED),
	D(FLD_PROC_ARGS, "proc.args", BW_K_STR, "the command-line arguments after argv[0], joined by spaces", 0),
	D(FLD_PROC_TTY, "proc.tty", BW_K_U64, "terminal device number of the login session (pts/3 = 34819), 0 without one", 0),
	D(FLD_PROC_VPID, "proc.vpid", BW_K_U64, "pid as the process sees it; bulwark reports the host's (proc.pid)", 0),
	D(FLD_PROC_IS_SID_LEADER, "proc.is_sid_leader", BW_K_BOOL, "proc.pid = proc.sid", 0),
	D(FLD_PROC_IS_VPGID_LEADER, "proc.is_vpgid_leader", BW_K_BOOL, "proc.pid = proc.vpgid", 0),
	D(FLD_PROC_ANAME, "proc.aname", BW_K_STR, "proc.aname[N]: name of the Nth ancestor (0 itself, 1 the parent, up to 16); without [N], any ancestor", BW_FF_INDEXED),
	D(FLD_PROC_APID, "proc.apid", BW_K_U64, "proc.apid[N]: pid of the Nth ancestor; without [N], any ancestor", BW_FF_INDEXED),
	D(FLD_PROC_AEXE, "proc.aexe", BW_K_STR, "proc.aexe[N]: argv[0] of the Nth ancestor; without [N], any ancestor", BW_FF_INDEXED),
	D(FLD_PROC_AEXEPATH, "proc.aexepath", BW_K_STR, "proc.aexepath[N]: executable path of the Nth ancestor; without [N], any ancestor", BW_FF_INDEXED),
	D(FLD_PROC_ANAMES, "proc.anames", BW_K_STR, "names of all ancestors, parent first (a list: in, intersects, exists)", BW_FF_LIST),
	D(FLD_FS_PATH_NAME, "fs.path.name", BW_K_STR, "path of unlink, unlinkat, rmdir, truncate, ftruncate (resolved, as fd.name)", 0),
	D(FLD_FS_PATH_NAMERAW, "fs.path.nameraw", BW_K_STR, "the same; bulwark keeps only the resolved path", 0),
	D(FLD_FS_PATH_SOURCE, "fs.path.source", BW_K_STR, "source path of a rename (fd.name)", 0),
	D(FLD_FS_PATH_SOURCERAW, "fs.path.sourceraw", BW_K_STR, "the same; bulwark keeps only the resolved path", 0),
	D(FLD_FS_PATH_TARGET, "fs.path.target", BW_K_STR, "target path of a rename (fd.newname)", 0),
	D(FLD_FS_PATH_TARGETRAW, "fs.path.targetraw", BW_K_STR, "the same; bulwark keeps only the resolved path", 0),
	D(FLD_CONTAINER_ID, "container.id", BW_K_STR, "host: bulwark does not resolve containers, so every process is the host's, as Falco reports host processes", 0),
	D(FLD_CONTAINER_NAME, "container.name", BW_K_STR, "host, as container.id", 0),
	D(FLD_PROC_IS_EXE_FROM_MEMFD, "proc.is_exe_from_memfd", BW_K_BOOL, "the executable is a memfd (fileless: proc.exepath starts with /memfd:)", 0),
	D(FLD_FD_NUM, "fd.num", BW_K_S64, "open, openat, openat2, creat: the fd the open returned, -1 when it failed; absent for io_uring opens (bulwark sees the submission)", 0),
	D(FLD_FD_TYPECHAR, "fd.typechar", BW_K_STR, "f for a file: opens (d with O_DIRECTORY), ftruncate, fallocate; as Falco, a failed open (not openat) gives o; absent for calls without an fd", 0),
	D(FLD_FD_TYPE, "fd.type", BW_K_STR, "file or directory, as fd.typechar f or d", 0),
	FX(FLD_PROC_ENV, "proc.env", BW_K_STR, env, "execve: the new program's environment, NAME=VALUE separated by spaces (the first 4096 bytes), read from /proc when a loaded rule uses proc.env; never written to the event JSON or the journal (environments hold secrets), so replaying a journal cannot match on it", BW_FF_PRIVATE),
	F(FLD_PROC_CAP_PERMITTED, "proc.cap_permitted", BW_K_U64, cap_prm, "execve, init_module, finit_module: the permitted capability mask (CapPrm of /proc/PID/status), as of the last exec"),
	F(FLD_PROC_CAP_EFFECTIVE, "proc.cap_effective", BW_K_U64, cap_eff, "the same for the effective set (CapEff)"),
	F(FLD_PROC_CAP_INHERITABLE, "proc.cap_inheritable", BW_K_U64, cap_inh, "the same for the inheritable set (CapInh)"),
	D(FLD_THREAD_CAP_PERMITTED, "thread.cap_permitted", BW_K_STR, "proc.cap_permitted by name, as Falco: CAP_CHOWN CAP_KILL ... (space separated)", 0),
	D(FLD_THREAD_CAP_EFFECTIVE, "thread.cap_effective", BW_K_STR, "proc.cap_effective by name", 0),
	D(FLD_THREAD_CAP_INHERITABLE, "thread.cap_inheritable", BW_K_STR, "proc.cap_inheritable by name", 0),
};

int event_field_lookup(const char *name, size_t len)
{
	for (int i = 0; i < FLD_MAX; i++)
		if (strlen(bw_fields[i].name) == len && !memcmp(bw_fields[i].name, name, len))
			return i;
	return -1;
}

void event_reset(struct bw_event *e)
{
	memset(e, 0, sizeof(*e));
}

void event_split_path(struct bw_event *e)
{
	const char *p = e->path.p;
	uint32_t n = e->path.len, cut = 0;

	if (!p)
		return;
	for (uint32_t i = 0; i < n; i++)
		if (p[i] == '/')
			cut = i + 1;
	/* "/x" -> directory "/"; "/a/b" -> "/a" */
	e->directory = (struct bw_str){ p, cut > 1 ? cut - 1 : cut };
	e->filename = (struct bw_str){ p + cut, n - cut };
	event_set_present(e, FLD_FD_DIRECTORY);
	event_set_present(e, FLD_FD_FILENAME);
}

bool event_get(const struct bw_event *e, enum bw_field f, struct bw_value *v)
{
	const struct bw_field_info *fi;
	const char *base = (const char *)e;

	if ((unsigned)f >= FLD_MAX || !event_has(e, f))
		return false;
	fi = &bw_fields[f];
	v->kind = fi->kind;
	switch (fi->kind) {
	case BW_K_STR:
		memcpy(&v->s, base + fi->offset, sizeof(v->s));
		if (!v->s.p)
			v->s = (struct bw_str){ "", 0 };
		break;
	case BW_K_U64:
		memcpy(&v->u, base + fi->offset, sizeof(v->u));
		break;
	case BW_K_S64:
		memcpy(&v->i, base + fi->offset, sizeof(v->i));
		if (fi->flags & BW_FF_AUDIT) {
			v->u = (uint64_t)v->i;
			if (v->u == BW_NO_SESSION)
				v->i = -1;
		}
		break;
	case BW_K_BOOL:
		v->u = *(const bool *)(base + fi->offset);
		break;
	}
	return true;
}

/* ---- Falco's derived fields ---- */

/*
 * Falco's names for the syscall arguments bulwark fills (evt.arg.NAME),
 * per event type below. An argument an event type does not have is
 * absent on that event, as in Falco.
 */
enum evt_arg_id {
	ARG_RES, ARG_PATH, ARG_NAME, ARG_FLAGS, ARG_OLDPATH, ARG_NEWPATH, ARG_LENGTH, ARG_EXE,
	ARG_ARGS, ARG_TID, ARG_PID, ARG_PTID, ARG_COMM, ARG_TTY, ARG_LOGINUID, ARG_UID,
	ARG_FILENAME, ARG_TRUSTED_EXEPATH, ARG_VPGID, ARG_PGID, ARG_GID, ARG_STATUS,
	ARG_MODE, /* issue 11: fallocate's mode */
	ARG_REQUEST, ARG_CMD, /* ptrace's request, bpf's command */
	ARG_MAX_
};

static const char *const arg_names[ARG_MAX_] = {
	"res", "path", "name", "flags", "oldpath", "newpath", "length", "exe", "args", "tid",
	"pid", "ptid", "comm", "tty", "loginuid", "uid", "filename", "trusted_exepath", "vpgid",
	"pgid", "gid", "status", "mode", "request", "cmd",
};

int event_arg_lookup(const char *name, size_t len)
{
	for (int i = 0; i < ARG_MAX_; i++)
		if (strlen(arg_names[i]) == len && !memcmp(arg_names[i], name, len))
			return i;
	return -1;
}

enum bw_kind event_arg_kind(int id)
{
	switch (id) {
	case ARG_PATH: case ARG_NAME: case ARG_OLDPATH: case ARG_NEWPATH: case ARG_EXE:
	case ARG_ARGS: case ARG_COMM: case ARG_FILENAME: case ARG_TRUSTED_EXEPATH:
		return BW_K_STR;
	default:
		return BW_K_S64;
	}
}

const char *event_arg_name(int id)
{
	return id >= 0 && id < ARG_MAX_ ? arg_names[id] : "?";
}

int event_field_parse(const char *name, size_t len, int *idx)
{
	static const struct { const char *prefix; int field; } argp[] = {
		{ "evt.arg.", FLD_EVT_ARGNAMED }, { "evt.rawarg.", FLD_EVT_RAWARGNAMED },
	};
	const char *lb = memchr(name, '[', len);
	int f;

	*idx = -1;
	/*
	 * Fields stored under an evt.arg.* name (evt.arg.sig, .pid, .cmd of the
	 * signal events) are their own fields. evt.arg.flags and evt.arg.mode are
	 * stored for opens and fallocate only: they go through evt.arg.NAME, which
	 * also gives unlinkat's and renameat2's flags.
	 */
	f = event_field_lookup(name, len);
	if (f >= 0 && f != FLD_EVT_ARGNAMED && f != FLD_EVT_RAWARGNAMED && f != FLD_EVT_ARG_FLAGS &&
	    f != FLD_EVT_ARG_MODE && !strncmp(name, "evt.arg.", 8))
		return f;
	for (size_t i = 0; i < sizeof(argp) / sizeof(argp[0]); i++) {
		size_t pl = strlen(argp[i].prefix);
		if (len > pl && !memcmp(name, argp[i].prefix, pl)) {
			*idx = event_arg_lookup(name + pl, len - pl);
			return *idx < 0 ? -1 : argp[i].field;
		}
	}
	if (lb && len >= 3 && name[len - 1] == ']') {
		size_t nl = (size_t)(lb - name), dl = len - nl - 2;
		unsigned v = 0;

		f = event_field_lookup(name, nl);
		if (f < 0 || !(bw_fields[f].flags & BW_FF_INDEXED) || f == FLD_EVT_ARGNAMED ||
		    f == FLD_EVT_RAWARGNAMED || !dl || dl > 2)
			return -1;
		for (size_t i = 0; i < dl; i++) {
			if (lb[1 + i] < '0' || lb[1 + i] > '9')
				return -1;
			v = v * 10 + (unsigned)(lb[1 + i] - '0');
		}
		if (v > BW_ANC_MAX)
			return -1;
		*idx = (int)v;
		return f;
	}
	f = event_field_lookup(name, len);
	if (f == FLD_EVT_ARGNAMED || f == FLD_EVT_RAWARGNAMED)
		return -1; /* bare "evt.arg" is bulwark's own number below (FLD_EVT_ARG) */
	return f;
}

const char *event_errno_name(int64_t res)
{
	if (res >= 0 || res < -4095)
		return NULL;
	return strerrorname_np((int)-res);
}

void event_sync_parent(struct bw_event *e)
{
	struct bw_ancestor *a = &e->anc[0];

	if (!event_has(e, FLD_PROC_PPID) && !event_has(e, FLD_PROC_PNAME))
		return;
	a->pid = e->ppid;
	a->name = e->pname;
	a->exe = e->pargv0;
	a->exepath = e->pexe;
	if (!e->nanc)
		e->nanc = 1;
}

static bool is_rename(enum bw_evt t)
{
	return t == BW_EVT_RENAME || t == BW_EVT_RENAMEAT || t == BW_EVT_RENAMEAT2;
}

/* issue 11: open, openat, openat2, creat */
static bool is_open_op(enum bw_evt t)
{
	return t == BW_EVT_OPEN || t == BW_EVT_OPENAT || t == BW_EVT_OPENAT2 || t == BW_EVT_CREAT;
}

static bool is_file_op(enum bw_evt t)
{
	return t == BW_EVT_UNLINK || t == BW_EVT_UNLINKAT || t == BW_EVT_RMDIR ||
	       t == BW_EVT_TRUNCATE || t == BW_EVT_FTRUNCATE;
}

/* Capability names by bit (linux/capability.h), as Falco prints them. */
static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

/* "CAP_CHOWN CAP_KILL": the set bits by name; unnamed bits (newer kernels) as CAP_N. */
static const char *caps_text(uint64_t m, char *buf, size_t cap)
{
	size_t w = 0;

	if (!cap)
		return "";
	buf[0] = 0;
	for (unsigned i = 0; i < 64 && w + 1 < cap; i++) {
		char num[16];
		const char *n = num;
		int k;

		if (!(m & (1ull << i)))
			continue;
		if (i < sizeof(cap_names) / sizeof(cap_names[0]))
			n = cap_names[i];
		else
			snprintf(num, sizeof(num), "CAP_%u", i);
		k = snprintf(buf + w, cap - w, "%s%s", w ? " " : "", n);
		if (k < 0 || (size_t)k >= cap - w) {
			buf[w] = 0;
			break;
		}
		w += (size_t)k;
	}
	return buf;
}

#define FD_UNSEEN (-2)  /* an io_uring open: the submission is seen, not the fd */

/*
 * The fd an open returned, in *fd: -1 when it failed, FD_UNSEEN for
 * io_uring opens; false when e is not an open or has no result.
 */
static bool open_fd(const struct bw_event *e, int64_t *fd)
{
	struct bw_value r;

	if (!is_open_op(e->type) || !event_get(e, FLD_EVT_RAWRES, &r))
		return false;
	if (event_has(e, FLD_EVT_IS_IO_URING) && e->is_io_uring)
		*fd = FD_UNSEEN;
	else
		*fd = r.i >= 0 ? r.i : -1;
	return true;
}

/*
 * fd.typechar as Falco gives it: an open that returned an fd is a directory
 * with O_DIRECTORY, a file otherwise; a failed one has no fd-table entry, so
 * Falco falls back on the event type (openat, openat2, creat: f; open: o).
 * ftruncate and fallocate act on a file's fd. 0: the event has no fd.
 */
static char fd_typechar(const struct bw_event *e)
{
	int64_t fd;

	if (e->type == BW_EVT_FTRUNCATE || e->type == BW_EVT_FALLOCATE)
		return 'f';
	if (!open_fd(e, &fd))
		return 0;
	if (fd >= 0)
		/* O_TMPFILE carries the O_DIRECTORY bit but makes a file */
		return event_has(e, FLD_EVT_ARG) && (e->arg & 020200000) == 00200000 ? 'd' : 'f';
	return e->type == BW_EVT_OPEN ? 'o' : 'f';
}

/* "pts/3" -> the tty_nr the kernel reports (major 136.., minor), as Falco's proc.tty. */
static uint64_t tty_number(struct bw_str t)
{
	char buf[32];
	unsigned n;

	if (!t.len)
		return 0;
	snprintf(buf, sizeof(buf), "%.*s", (int)(t.len > 31 ? 31 : t.len), t.p);
	if (sscanf(buf, "pts/%u", &n) == 1)
		return (n & 0xff) | ((136u + n / 256) << 8);
	if (sscanf(buf, "ttyS%u", &n) == 1)
		return (4u << 8) | ((64 + n) & 0xff);
	if (sscanf(buf, "tty%u", &n) == 1)
		return (4u << 8) | (n & 0xff);
	if (!strcmp(buf, "console"))
		return (5u << 8) | 1;
	return 1u << 8; /* a terminal of a kind not decoded: still "has a tty" */
}

static bool set_s(struct bw_value *v, struct bw_str s)
{
	v->kind = BW_K_STR;
	v->s = s.p ? s : (struct bw_str){ "", 0 };
	return true;
}

static bool set_cs(struct bw_value *v, const char *s)
{
	return set_s(v, (struct bw_str){ s, (uint32_t)strlen(s) });
}

static bool set_u(struct bw_value *v, uint64_t u, enum bw_kind k)
{
	v->kind = k;
	v->u = u;
	v->i = (int64_t)u;
	return true;
}

static bool stored_str(const struct bw_event *e, int f, struct bw_value *v)
{
	return event_get(e, f, v);
}

/* proc.args: the command line after argv[0] and its space. */
static bool proc_args(const struct bw_event *e, struct bw_value *v)
{
	struct bw_str c = e->cmdline;
	uint32_t cut;

	if (!event_has(e, FLD_PROC_CMDLINE))
		return false;
	if (event_has(e, FLD_PROC_ARGV0) && c.len >= e->argv0.len &&
	    !memcmp(c.p, e->argv0.p, e->argv0.len) && (c.len == e->argv0.len || c.p[e->argv0.len] == ' '))
		cut = e->argv0.len;
	else
		for (cut = 0; cut < c.len && c.p[cut] != ' '; cut++)
			;
	if (cut < c.len)
		cut++;
	return set_s(v, (struct bw_str){ c.p + cut, c.len - cut });
}

/* Ancestor level lvl (0 the process, 1 the parent...) of the proc.a* fields. */
static bool ancestor(const struct bw_event *e, int f, int lvl, struct bw_value *v)
{
	const struct bw_ancestor *a;

	if (lvl < 0)
		lvl = 1;
	if (lvl == 0) {
		switch (f) {
		case FLD_PROC_ANAME: return stored_str(e, FLD_PROC_NAME, v);
		case FLD_PROC_APID: return event_get(e, FLD_PROC_PID, v);
		case FLD_PROC_AEXE: return stored_str(e, FLD_PROC_ARGV0, v);
		default: return stored_str(e, FLD_PROC_EXEPATH, v);
		}
	}
	if ((uint32_t)lvl > e->nanc)
		return false;
	a = &e->anc[lvl - 1];
	switch (f) {
	case FLD_PROC_ANAME: return a->name.p && set_s(v, a->name);
	case FLD_PROC_APID: return set_u(v, a->pid, BW_K_U64);
	case FLD_PROC_AEXE: return a->exe.p && set_s(v, a->exe);
	default: return a->exepath.p && set_s(v, a->exepath);
	}
}

static const char *flags_text(uint64_t fl, const char *const *names, const unsigned *bits, int n,
			      char *buf, size_t cap)
{
	size_t w = 0;

	if (!cap)
		return "";
	buf[0] = 0;
	for (int i = 0; i < n; i++)
		if (fl & bits[i]) {
			int k = snprintf(buf + w, cap - w, "%s%s", w ? "|" : "", names[i]);
			if (k < 0 || (size_t)k >= cap - w)
				break;
			w += (size_t)k;
		}
	if (!w)
		snprintf(buf, cap, "%" PRIu64, fl);
	return buf;
}

/* evt.arg.NAME (raw: evt.rawarg.NAME) of the event's syscall. */
static bool syscall_arg(const struct bw_event *e, int id, bool raw, struct bw_value *v, char *buf,
			size_t cap)
{
	static const char *const unl[] = { "AT_REMOVEDIR" };
	static const unsigned unl_b[] = { 0x200 };
	static const char *const ren[] = { "RENAME_NOREPLACE", "RENAME_EXCHANGE", "RENAME_WHITEOUT" };
	static const unsigned ren_b[] = { 1, 2, 4 };
	enum bw_evt t = e->type;
	struct bw_value n;
	bool num = false;

	switch (id) {
	case ARG_RES:
		if (!event_get(e, FLD_EVT_RAWRES, &n))
			return false;
		num = true;
		break;
	case ARG_PATH:
		if (!is_file_op(t) || t == BW_EVT_UNLINKAT || t == BW_EVT_FTRUNCATE)
			return false;
		return stored_str(e, FLD_FD_NAME, v);
	case ARG_NAME:
		return (t == BW_EVT_UNLINKAT || is_open_op(t)) && stored_str(e, FLD_FD_NAME, v);
	case ARG_OLDPATH:
		return is_rename(t) && stored_str(e, FLD_FD_NAME, v);
	case ARG_NEWPATH:
		return is_rename(t) && stored_str(e, FLD_FD_NEWNAME, v);
	case ARG_FLAGS:
		if (is_open_op(t) && !raw)  /* issue 11: the names the decoder gave them */
			return stored_str(e, FLD_EVT_ARG_FLAGS, v);
		if (is_open_op(t) && event_get(e, FLD_EVT_ARG, &n))
			return set_u(v, (uint64_t)n.i, BW_K_S64);
		if ((t != BW_EVT_UNLINKAT && t != BW_EVT_RENAMEAT2) || !event_get(e, FLD_EVT_ARG, &n))
			return false;
		if (raw)
			return set_u(v, (uint64_t)n.i, BW_K_S64);
		if (t == BW_EVT_UNLINKAT)
			return set_cs(v, flags_text((uint64_t)n.i, unl, unl_b, 1, buf, cap));
		return set_cs(v, flags_text((uint64_t)n.i, ren, ren_b, 3, buf, cap));
	case ARG_LENGTH:
		if ((t != BW_EVT_TRUNCATE && t != BW_EVT_FTRUNCATE) || !event_get(e, FLD_EVT_ARG, &n))
			return false;
		num = true;
		break;
	case ARG_MODE:
		if (t != BW_EVT_FALLOCATE)
			return false;
		if (!raw)
			return stored_str(e, FLD_EVT_ARG_MODE, v);
		if (!event_get(e, FLD_EVT_ARG, &n))
			return false;
		return set_u(v, (uint64_t)n.i, BW_K_S64);
	case ARG_REQUEST:
	case ARG_CMD:
		/* the name when bulwark knows it (PTRACE_ATTACH, BPF_PROG_LOAD), else the number */
		if (t != (id == ARG_REQUEST ? BW_EVT_PTRACE : BW_EVT_BPF) || !event_get(e, FLD_EVT_ARG, &n))
			return false;
		if (!raw && event_has(e, FLD_EVT_ARG_CMD))
			return stored_str(e, FLD_EVT_ARG_CMD, v);
		num = true;
		break;
	case ARG_STATUS:
		if (t != BW_EVT_EXIT || !event_get(e, FLD_EVT_ARG, &n))
			return false;
		num = true;
		break;
	default:
		if (t != BW_EVT_EXECVE)
			return false;
		switch (id) {
		case ARG_EXE: return stored_str(e, FLD_PROC_ARGV0, v);
		case ARG_ARGS: return proc_args(e, v);
		case ARG_COMM: return stored_str(e, FLD_PROC_NAME, v);
		case ARG_FILENAME: case ARG_TRUSTED_EXEPATH: return stored_str(e, FLD_PROC_EXEPATH, v);
		case ARG_TID: if (!event_get(e, FLD_PROC_TID, &n)) return false; break;
		case ARG_PID: if (!event_get(e, FLD_PROC_PID, &n)) return false; break;
		case ARG_PTID: if (!event_get(e, FLD_PROC_PPID, &n)) return false; break;
		case ARG_UID: if (!event_get(e, FLD_USER_UID, &n)) return false; break;
		case ARG_GID: if (!event_get(e, FLD_GROUP_GID, &n)) return false; break;
		case ARG_VPGID: case ARG_PGID: if (!event_get(e, FLD_PROC_VPGID, &n)) return false; break;
		case ARG_LOGINUID: if (!event_get(e, FLD_USER_LOGINUID, &n)) return false; break;
		case ARG_TTY:
			if (!event_value(e, FLD_PROC_TTY, -1, &n, buf, cap))
				return false;
			break;
		default: return false;
		}
		if (n.kind == BW_K_U64)
			n.i = (int64_t)n.u;
		num = true;
		break;
	}
	if (!num)
		return false;
	if (raw)
		return set_u(v, (uint64_t)n.i, BW_K_S64);
	snprintf(buf, cap, "%" PRId64, n.i);
	return set_cs(v, buf);
}

bool event_value(const struct bw_event *e, int f, int idx, struct bw_value *v, char *buf,
		 size_t cap)
{
	struct bw_value r;

	if ((unsigned)f >= FLD_MAX)
		return false;
	if (!(bw_fields[f].flags & BW_FF_DERIVED))
		return event_get(e, f, v);
	switch (f) {
	case FLD_EVT_RES_NAME: {
		const char *n;
		if (!event_get(e, FLD_EVT_RAWRES, &r))
			return false;
		if (r.i >= 0)
			return set_cs(v, "SUCCESS");
		n = event_errno_name(r.i);
		if (!n) {
			snprintf(buf, cap, "%" PRId64, r.i);
			n = buf;
		}
		return set_cs(v, n);
	}
	case FLD_EVT_FAILED:
		return event_get(e, FLD_EVT_RAWRES, &r) && set_u(v, r.i < 0, BW_K_BOOL);
	case FLD_EVT_DIR:
		if (!event_has(e, FLD_EVT_TYPE) || e->type == BW_EVT_DB_QUERY ||
		    e->type == BW_EVT_DB_CONNECT || e->type == BW_EVT_DB_TLS)
			return false;
		return set_cs(v, "<");
	case FLD_EVT_ARGNAMED:
	case FLD_EVT_RAWARGNAMED:
		return syscall_arg(e, idx, f == FLD_EVT_RAWARGNAMED, v, buf, cap);
	case FLD_PROC_ARGS:
		return proc_args(e, v);
	case FLD_PROC_TTY:
		if (event_has(e, FLD_SESSION_TTY))
			return set_u(v, tty_number(e->session_tty), BW_K_U64);
		return event_has(e, FLD_SESSION_ID) && set_u(v, 0, BW_K_U64);
	case FLD_PROC_VPID:
		return event_get(e, FLD_PROC_PID, v);
	case FLD_PROC_IS_SID_LEADER:
		return event_has(e, FLD_PROC_SID) && set_u(v, e->sid == e->pid, BW_K_BOOL);
	case FLD_PROC_IS_VPGID_LEADER:
		return event_has(e, FLD_PROC_VPGID) && set_u(v, e->vpgid == e->pid, BW_K_BOOL);
	case FLD_PROC_ANAME: case FLD_PROC_APID: case FLD_PROC_AEXE: case FLD_PROC_AEXEPATH:
		return ancestor(e, f, idx, v);
	case FLD_PROC_ANAMES: {
		size_t w = 0;
		if (!e->nanc || !cap)
			return false;
		buf[0] = 0;
		for (uint32_t i = 0; i < e->nanc; i++) {
			int k = snprintf(buf + w, cap - w, "%s%.*s", i ? "," : "(",
					 (int)e->anc[i].name.len, e->anc[i].name.p ? e->anc[i].name.p : "");
			if (k < 0 || (size_t)k >= cap - w)
				break;
			w += (size_t)k;
		}
		if (w + 1 < cap) {
			buf[w++] = ')';
			buf[w] = 0;
		}
		return set_cs(v, buf);
	}
	case FLD_FS_PATH_NAME: case FLD_FS_PATH_NAMERAW:
		return is_file_op(e->type) && stored_str(e, FLD_FD_NAME, v);
	case FLD_FS_PATH_SOURCE: case FLD_FS_PATH_SOURCERAW:
		return is_rename(e->type) && stored_str(e, FLD_FD_NAME, v);
	case FLD_FS_PATH_TARGET: case FLD_FS_PATH_TARGETRAW:
		return is_rename(e->type) && stored_str(e, FLD_FD_NEWNAME, v);
	case FLD_CONTAINER_ID: case FLD_CONTAINER_NAME:
		return event_has(e, FLD_EVT_TYPE) && set_cs(v, "host");
	case FLD_PROC_IS_EXE_FROM_MEMFD:
		return event_has(e, FLD_PROC_EXEPATH) &&
		       set_u(v, e->exe.len >= 7 && !memcmp(e->exe.p, "/memfd:", 7), BW_K_BOOL);
	case FLD_FD_NUM:
		/* Falco: the fd an open added to the table; -1 when none was */
		{
			int64_t fd;

			if (!open_fd(e, &fd) || fd == FD_UNSEEN)
				return false;
			return set_u(v, (uint64_t)fd, BW_K_S64);
		}
	case FLD_THREAD_CAP_PERMITTED:
	case FLD_THREAD_CAP_EFFECTIVE:
	case FLD_THREAD_CAP_INHERITABLE:
		if (!event_get(e, FLD_PROC_CAP_PERMITTED + (f - FLD_THREAD_CAP_PERMITTED), &r))
			return false;
		return set_cs(v, caps_text(r.u, buf, cap));
	case FLD_FD_TYPECHAR:
	case FLD_FD_TYPE: {
		char c = fd_typechar(e);
		if (!c || (f == FLD_FD_TYPE && c == 'o'))
			return false;
		if (f == FLD_FD_TYPE)
			return set_cs(v, c == 'd' ? "directory" : "file");
		buf[0] = c;
		buf[1] = 0;
		return cap >= 2 && set_cs(v, buf);
	}
	default:
		return false;
	}
}
