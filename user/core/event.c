// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The field table: names, kinds and offsets of every event field. */
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
	[BW_EVT_KILL] = "kill",
	[BW_EVT_DROP] = "drop",
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

const struct bw_field_info bw_fields[FLD_MAX] = {
	F(FLD_EVT_TIME, "evt.time", BW_K_U64, time_ns, "event time, ns since the epoch"),
	F(FLD_EVT_TYPE, "evt.type", BW_K_STR, type_name, "syscall name (unlinkat, openat, execve...), db_query, fork, exit, kill, drop"),
	F(FLD_EVT_RES, "evt.res", BW_K_S64, res, "syscall result: 0 or -errno"),
	F(FLD_EVT_FLAGS, "evt.flags", BW_K_U64, flags, "truncation bits: 1 path, 2 newpath, 4 argv, 8 payload, 16 relative path"),
	F(FLD_PROC_PID, "proc.pid", BW_K_U64, pid, "process id (thread-group id)"),
	F(FLD_PROC_TID, "proc.tid", BW_K_U64, tid, "thread id"),
	F(FLD_PROC_PPID, "proc.ppid", BW_K_U64, ppid, "parent process id"),
	F(FLD_PROC_NAME, "proc.name", BW_K_STR, name, "process name (comm, at most 15 bytes)"),
	F(FLD_PROC_EXE, "proc.exe", BW_K_STR, exe, "absolute path of the executable"),
	F(FLD_PROC_CMDLINE, "proc.cmdline", BW_K_STR, cmdline, "argv joined by spaces"),
	F(FLD_PROC_PNAME, "proc.pname", BW_K_STR, pname, "parent's process name"),
	F(FLD_PROC_PEXE, "proc.pexe", BW_K_STR, pexe, "parent's executable"),
	F(FLD_PROC_PCMDLINE, "proc.pcmdline", BW_K_STR, pcmdline, "parent's command line"),
	F(FLD_PROC_CGROUP, "proc.cgroup", BW_K_U64, cgroup, "cgroup v2 id"),
	F(FLD_USER_UID, "user.uid", BW_K_U64, uid, "real user id"),
	F(FLD_USER_NAME, "user.name", BW_K_STR, user_name, "name of user.uid"),
	F(FLD_USER_LOGINUID, "user.loginuid", BW_K_U64, loginuid, "audit login uid: who logged in, survives sudo and su"),
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
	F(FLD_EVT_ARG_FLAGS, "evt.arg.flags", BW_K_STR, arg_flags, "open, openat, openat2, creat: the open flags by name, O_WRONLY|O_CREAT|O_TRUNC, plus O_F_CREATED when the open made the file (evt.arg holds the number)"),
	F(FLD_EVT_ARG_MODE, "evt.arg.mode", BW_K_STR, arg_mode, "fallocate: the mode by name, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE (only modes that destroy data are reported)"),
	F(FLD_EVT_IS_OPEN_WRITE, "evt.is_open_write", BW_K_BOOL, is_open_write, "an open for writing (O_WRONLY or O_RDWR)"),
	F(FLD_EVT_IS_OPEN_CREATE, "evt.is_open_create", BW_K_BOOL, is_open_create, "the open created the file: an O_TRUNC open of a new file truncated nothing"),
	F(FLD_EVT_IS_IO_URING, "evt.is_io_uring", BW_K_BOOL, is_io_uring, "the operation came as an io_uring request, seen at submission (evt.res is then 0)"),
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
		break;
	case BW_K_BOOL:
		v->u = *(const bool *)(base + fi->offset);
		break;
	}
	return true;
}
