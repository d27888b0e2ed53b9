// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Decoder: kernel records to events; keeps the process table in step with fork/exec/exit. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/decode.h"

_Static_assert(sizeof(struct bw_event_hdr) == 72, "bw_event_hdr layout changed");
_Static_assert(offsetof(struct bw_event_hdr, cgroup_id) == 40, "bw_event_hdr layout changed");
_Static_assert(offsetof(struct bw_event_hdr, comm) == 56, "bw_event_hdr layout changed");
_Static_assert(offsetof(struct bw_file_event, data) == 96, "bw_file_event layout changed");
_Static_assert(offsetof(struct bw_exec_event, data) == 80, "bw_exec_event layout changed");
_Static_assert(sizeof(struct bw_proc_event) == 80, "bw_proc_event layout changed");
_Static_assert(sizeof(struct bw_kill_event) == 80, "bw_kill_event layout changed");
_Static_assert(offsetof(struct bw_ctl_event, data) == 120, "bw_ctl_event layout changed");

static const enum bw_evt kernel_types[BW_EV_TYPE_MAX] = {
	[BW_EV_EXEC] = BW_EVT_EXECVE,
	[BW_EV_FORK] = BW_EVT_FORK,
	[BW_EV_EXIT] = BW_EVT_EXIT,
	[BW_EV_UNLINK] = BW_EVT_UNLINK,
	[BW_EV_UNLINKAT] = BW_EVT_UNLINKAT,
	[BW_EV_RMDIR] = BW_EVT_RMDIR,
	[BW_EV_RENAME] = BW_EVT_RENAME,
	[BW_EV_RENAMEAT] = BW_EVT_RENAMEAT,
	[BW_EV_RENAMEAT2] = BW_EVT_RENAMEAT2,
	[BW_EV_TRUNCATE] = BW_EVT_TRUNCATE,
	[BW_EV_FTRUNCATE] = BW_EVT_FTRUNCATE,
	[BW_EV_KILL] = BW_EVT_KERNEL_KILL,
	[BW_EV_SIG_KILL] = BW_EVT_KILL,
	[BW_EV_SIG_TKILL] = BW_EVT_TKILL,
	[BW_EV_SIG_TGKILL] = BW_EVT_TGKILL,
	[BW_EV_SIG_PIDFD] = BW_EVT_PIDFD_SEND_SIGNAL,
	[BW_EV_SIG_QUEUE] = BW_EVT_RT_SIGQUEUEINFO,
	[BW_EV_SIG_TGQUEUE] = BW_EVT_RT_TGSIGQUEUEINFO,
	[BW_EV_PTRACE] = BW_EVT_PTRACE,
	[BW_EV_BPF] = BW_EVT_BPF,
	[BW_EV_UMOUNT2] = BW_EVT_UMOUNT2,
	[BW_EV_INIT_MODULE] = BW_EVT_INIT_MODULE,
	[BW_EV_FINIT_MODULE] = BW_EVT_FINIT_MODULE,
	[BW_EV_OPEN] = BW_EVT_OPEN,
	[BW_EV_OPENAT] = BW_EVT_OPENAT,
	[BW_EV_OPENAT2] = BW_EVT_OPENAT2,
	[BW_EV_CREAT] = BW_EVT_CREAT,
	[BW_EV_FALLOCATE] = BW_EVT_FALLOCATE,
	[BW_EV_IO_URING_SETUP] = BW_EVT_IO_URING_SETUP,
};

static void set_str(struct bw_event *e, enum bw_field f, struct bw_str *dst, const char *s,
		    size_t n);

/* bpf(2) commands and ptrace(2) requests by name, for evt.arg.cmd. */
static const char *ctl_cmd_name(uint32_t type, uint32_t v)
{
	static const char *const bpf_cmds[] = {
		[2] = "BPF_MAP_UPDATE_ELEM", [3] = "BPF_MAP_DELETE_ELEM", [5] = "BPF_PROG_LOAD",
		[7] = "BPF_OBJ_GET",
		[21] = "BPF_MAP_LOOKUP_AND_DELETE_ELEM", [22] = "BPF_MAP_FREEZE",
		[25] = "BPF_MAP_LOOKUP_AND_DELETE_BATCH", [26] = "BPF_MAP_UPDATE_BATCH",
		[27] = "BPF_MAP_DELETE_BATCH", [29] = "BPF_LINK_UPDATE", [34] = "BPF_LINK_DETACH",
	};
	static const struct { uint32_t v; const char *n; } ptrace_reqs[] = {
		{ 16, "PTRACE_ATTACH" }, { 0x4206, "PTRACE_SEIZE" }, { 17, "PTRACE_DETACH" },
		{ 1, "PTRACE_PEEKTEXT" }, { 2, "PTRACE_PEEKDATA" }, { 4, "PTRACE_POKETEXT" },
		{ 5, "PTRACE_POKEDATA" }, { 7, "PTRACE_CONT" }, { 8, "PTRACE_KILL" },
		{ 12, "PTRACE_GETREGS" }, { 13, "PTRACE_SETREGS" }, { 0x4207, "PTRACE_INTERRUPT" },
		{ 0, "PTRACE_TRACEME" }, { 3, "PTRACE_PEEKUSR" }, { 6, "PTRACE_POKEUSR" },
		{ 9, "PTRACE_SINGLESTEP" }, { 14, "PTRACE_GETFPREGS" }, { 15, "PTRACE_SETFPREGS" },
		{ 24, "PTRACE_SYSCALL" }, { 0x4200, "PTRACE_SETOPTIONS" }, { 0x4201, "PTRACE_GETEVENTMSG" },
		{ 0x4202, "PTRACE_GETSIGINFO" }, { 0x4203, "PTRACE_SETSIGINFO" },
		{ 0x4204, "PTRACE_GETREGSET" }, { 0x4205, "PTRACE_SETREGSET" }, { 0x4208, "PTRACE_LISTEN" },
	};

	if (type == BW_EV_BPF)
		return v < sizeof(bpf_cmds) / sizeof(bpf_cmds[0]) ? bpf_cmds[v] : NULL;
	for (size_t i = 0; i < sizeof(ptrace_reqs) / sizeof(ptrace_reqs[0]); i++)
		if (ptrace_reqs[i].v == v)
			return ptrace_reqs[i].n;
	return NULL;
}

/* guard.target: the BW_GUARD_* bits as words. */
static size_t guard_words(uint32_t g, char *buf, size_t n)
{
	static const struct { uint32_t bit; const char *w; } words[] = {
		{ BW_GUARD_DAEMON, "daemon" }, { BW_GUARD_PINS, "pins" }, { BW_GUARD_LINKS, "links" },
		{ BW_GUARD_MAPS, "maps" }, { BW_GUARD_FS, "fs" }, { BW_GUARD_MODULE, "module" },
	};
	size_t len = 0;

	buf[0] = 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((g & words[i].bit) && len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", words[i].w);
	return len < n ? len : n - 1;
}

/*
 * proc.env of an exec: /proc/PID/environ, read as the record is decoded
 * (the program has just started; when it is already gone the field is
 * absent). NULs become spaces, as Falco joins them.
 */
static void decode_env(struct decoder *d, struct bw_event *e, uint32_t pid)
{
	char path[48];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/environ", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, d->env, sizeof(d->env));
	close(fd);
	if (n <= 0)
		return;
	while (n > 0 && !d->env[n - 1])
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (!d->env[i])
			d->env[i] = ' ';
	set_str(e, FLD_PROC_ENV, &e->env, d->env, (size_t)n);
}

/* Signals and attempts on bulwark (bw_ctl_event). */
static int decode_ctl(struct decoder *d, const struct bw_event_hdr *h, const void *data,
		      struct bw_event *e)
{
	const struct bw_ctl_event *x = data;
	uint32_t tgid;
	struct proc *tp;
	const char *cmd;
	size_t n;

	if (h->size < offsetof(struct bw_ctl_event, data) ||
	    offsetof(struct bw_ctl_event, data) + (size_t)x->path_len > h->size ||
	    x->path_len >= BW_PATH_MAX)
		return -EINVAL;
	e->res = x->res;
	event_set_present(e, FLD_EVT_RAWRES);
	if (h->type <= BW_EV_SIG_TGQUEUE) {
		e->sig = x->arg;
		event_set_present(e, FLD_EVT_ARG_SIG);
	} else {
		e->arg = x->arg;
		event_set_present(e, FLD_EVT_ARG);
	}
	if (h->type <= BW_EV_PTRACE) {
		e->arg_pid = x->target;
		event_set_present(e, FLD_EVT_ARG_PID);
		tgid = x->target_tgid ? x->target_tgid : (x->target > 0 ? (uint32_t)x->target : 0);
		if (tgid) {
			e->target_pid = tgid;
			event_set_present(e, FLD_TARGET_PID);
			/* the table knows every live process; a pid that already exited has no entry */
			tp = proctable_get(&d->pt, tgid);
			if (tp && (!tp->exit_ns || tp->exit_ns >= e->time_ns)) {
				set_str(e, FLD_TARGET_NAME, &e->target_name, tp->comm, strlen(tp->comm));
				if (tp->exe_len)
					set_str(e, FLD_TARGET_EXE, &e->target_exe, tp->exe, tp->exe_len);
			}
		}
	}
	if (h->type == BW_EV_BPF || h->type == BW_EV_PTRACE) {
		cmd = ctl_cmd_name(h->type, x->arg);
		if (cmd) {
			snprintf(d->cmd_buf, sizeof(d->cmd_buf), "%s", cmd);
			set_str(e, FLD_EVT_ARG_CMD, &e->arg_cmd, d->cmd_buf, strlen(d->cmd_buf));
		}
	}
	if (x->path_len) {
		memcpy(d->ctl_path, x->data, x->path_len);
		n = path_normalize(d->ctl_path, x->path_len);
		set_str(e, FLD_FD_NAME, &e->path, d->ctl_path, n);
		event_split_path(e);
	}
	if (x->guard & ~BW_GUARD_DENIED) {
		n = guard_words(x->guard, d->guard_buf, sizeof(d->guard_buf));
		set_str(e, FLD_GUARD_TARGET, &e->guard_target, d->guard_buf, n);
		e->guard_denied = (x->guard & BW_GUARD_DENIED) != 0;
		event_set_present(e, FLD_GUARD_DENIED);
	}
	if (h->flags & BW_F_SESSION_KILL)
		set_str(e, FLD_EVT_KILL, &e->kill, "guard_session", 13);
	return 0;
}

/* Flag names, as Falco prints them. Values are x86-64/arm64 UAPI. */
struct flag_name {
	uint64_t bit;
	const char *name;
};
static const struct flag_name open_flag_names[] = {
	{ 00000100, "O_CREAT" }, { 00000200, "O_EXCL" }, { 00000400, "O_NOCTTY" },
	{ 00001000, "O_TRUNC" }, { 00002000, "O_APPEND" }, { 00004000, "O_NONBLOCK" },
	{ 00010000, "O_DSYNC" }, { 00040000, "O_DIRECT" }, { 00200000, "O_DIRECTORY" },
	{ 00400000, "O_NOFOLLOW" }, { 01000000, "O_NOATIME" }, { 02000000, "O_CLOEXEC" },
	{ 010000000, "O_PATH" }, { 020000000, "O_TMPFILE" },
};
static const struct flag_name falloc_mode_names[] = {
	{ 0x01, "FALLOC_FL_KEEP_SIZE" }, { 0x02, "FALLOC_FL_PUNCH_HOLE" },
	{ 0x04, "FALLOC_FL_NO_HIDE_STALE" }, { 0x08, "FALLOC_FL_COLLAPSE_RANGE" },
	{ 0x10, "FALLOC_FL_ZERO_RANGE" }, { 0x20, "FALLOC_FL_INSERT_RANGE" },
	{ 0x40, "FALLOC_FL_UNSHARE_RANGE" },
};

/* Appends "|name" (or "name" first) to buf of n bytes holding len; returns the new len. */
static size_t names_add(char *buf, size_t n, size_t len, const char *name)
{
	int w = snprintf(buf + len, n - len, "%s%s", len ? "|" : "", name);

	return w < 0 || (size_t)w >= n - len ? len : len + (size_t)w;
}

/*
 * "O_WRONLY|O_CREAT|O_TRUNC" for open flags (O_RDONLY when neither access
 * bit is set, O_F_CREATED when the open made the file, as Falco does), or
 * the FALLOC_FL_* names of a fallocate mode. Unknown bits are kept as hex.
 */
size_t decode_flag_names(uint64_t v, bool open_flags, bool created, char *buf, size_t n)
{
	const struct flag_name *t = open_flags ? open_flag_names : falloc_mode_names;
	size_t cnt = open_flags ? sizeof(open_flag_names) / sizeof(open_flag_names[0])
				: sizeof(falloc_mode_names) / sizeof(falloc_mode_names[0]);
	size_t len = 0;
	char hex[24];

	buf[0] = 0;
	if (open_flags) {
		len = names_add(buf, n, len, (v & 3) == 1 ? "O_WRONLY" : (v & 3) == 2 ? "O_RDWR"
						: (v & 3) == 3 ? "O_ACCMODE" : "O_RDONLY");
		v &= ~3ull;
		if (v & 020000000)  /* O_TMPFILE includes O_DIRECTORY */
			v &= ~00200000ull;
	}
	for (size_t i = 0; i < cnt; i++) {
		if (!(v & t[i].bit))
			continue;
		len = names_add(buf, n, len, t[i].name);
		v &= ~t[i].bit;
	}
	if (open_flags && created)
		len = names_add(buf, n, len, "O_F_CREATED");
	if (v) {
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)v);
		len = names_add(buf, n, len, hex);
	}
	return len;
}

void decode_sync_clock(struct decoder *d)
{
	d->boot_to_epoch_ns = (int64_t)(clock_realtime_ns() - clock_boottime_ns());
}

int decode_init(struct decoder *d)
{
	memset(d, 0, sizeof(*d));
	decode_sync_clock(d);
	return proctable_init(&d->pt, 16384);
}

void decode_free(struct decoder *d)
{
	proctable_free(&d->pt);
}

const char *decode_user_name(struct decoder *d, uint32_t uid)
{
	struct usercache_ent *u = &d->users[(uid * 2654435761u) % USERCACHE_SIZE];
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (uid == 4294967295u)
		return NULL;
	if (u->used && u->uid == uid)
		return u->found ? u->name : NULL;
	u->used = true;
	u->uid = uid;
	u->found = !getpwuid_r(uid, &pw, buf, sizeof(buf), &res) && res;
	if (u->found)
		snprintf(u->name, sizeof(u->name), "%s", pw.pw_name);
	return u->found ? u->name : NULL;
}

const char *decode_group_name(struct decoder *d, uint32_t gid)
{
	struct usercache_ent *u = &d->groups[(gid * 2654435761u) % USERCACHE_SIZE];
	struct group gr, *res = NULL;
	char buf[4096];

	if (u->used && u->uid == gid)
		return u->found ? u->name : NULL;
	u->used = true;
	u->uid = gid;
	u->found = !getgrgid_r(gid, &gr, buf, sizeof(buf), &res) && res;
	if (u->found)
		snprintf(u->name, sizeof(u->name), "%s", gr.gr_name);
	return u->found ? u->name : NULL;
}

size_t path_normalize(char *p, size_t n)
{
	size_t r = 0, w = 0;

	if (!n || p[0] != '/')
		return n;
	while (r < n) {
		size_t s;

		while (r < n && p[r] == '/')
			r++;
		s = r;
		while (r < n && p[r] != '/')
			r++;
		if (r - s == 0 || (r - s == 1 && p[s] == '.'))
			continue;
		if (r - s == 2 && p[s] == '.' && p[s + 1] == '.') {
			while (w > 0 && p[w - 1] != '/')
				w--;
			if (w > 0)
				w--; /* drop the '/' too; "/.." stays "/" */
			continue;
		}
		p[w++] = '/';
		memmove(p + w, p + s, r - s);
		w += r - s;
	}
	if (!w)
		p[w++] = '/';
	return w;
}

static void set_str(struct bw_event *e, enum bw_field f, struct bw_str *dst, const char *s,
		    size_t n)
{
	if (!s)
		return;
	*dst = (struct bw_str){ s, (uint32_t)n };
	event_set_present(e, f);
}

void decode_attribute(struct decoder *d, struct bw_event *e, uint32_t pid)
{
	struct proc *p = proctable_lookup(&d->pt, pid), *pp;
	const char *name;

	if (p) {
		const struct proc *anc[BW_ANC_MAX];
		int n;

		set_str(e, FLD_PROC_EXEPATH, &e->exe, p->exe, p->exe_len);
		set_str(e, FLD_PROC_CMDLINE, &e->cmdline, p->cmdline, p->cmd_len);
		if (p->cmd_len)
			set_str(e, FLD_PROC_ARGV0, &e->argv0, p->cmdline, p->argv0_len);
		if (p->has_ids) {
			e->sid = p->sid;
			e->vpgid = p->pgid;
			e->gid = p->gid;
			event_set_present(e, FLD_PROC_SID);
			event_set_present(e, FLD_PROC_VPGID);
			event_set_present(e, FLD_GROUP_GID);
			if (p->cwd_len)
				set_str(e, FLD_PROC_CWD, &e->cwd, p->cwd, p->cwd_len);
			if (p->exe_upper == 0) {
				e->exe_upper = false;
				event_set_present(e, FLD_PROC_IS_EXE_UPPER_LAYER);
			}
			/* Falco's thread.cap_*: on the events its rules ask them of */
			if (e->type == BW_EVT_EXECVE || e->type == BW_EVT_INIT_MODULE ||
			    e->type == BW_EVT_FINIT_MODULE) {
				e->cap_prm = p->cap_prm;
				e->cap_eff = p->cap_eff;
				e->cap_inh = p->cap_inh;
				event_set_present(e, FLD_PROC_CAP_PERMITTED);
				event_set_present(e, FLD_PROC_CAP_EFFECTIVE);
				event_set_present(e, FLD_PROC_CAP_INHERITABLE);
			}
			name = decode_group_name(d, p->gid);
			if (name)
				set_str(e, FLD_GROUP_NAME, &e->group_name, name, strlen(name));
		}
		pp = p->ppid ? proctable_get(&d->pt, p->ppid) : NULL;
		if (pp) {
			set_str(e, FLD_PROC_PNAME, &e->pname, pp->comm, strlen(pp->comm));
			set_str(e, FLD_PROC_PEXEPATH, &e->pexe, pp->exe, pp->exe_len);
			set_str(e, FLD_PROC_PCMDLINE, &e->pcmdline, pp->cmdline, pp->cmd_len);
			if (pp->cmd_len)
				set_str(e, FLD_PROC_PARGV0, &e->pargv0, pp->cmdline, pp->argv0_len);
		}
		/* the ancestors, for proc.aname[N]: pointers into the table, like the rest */
		n = proctable_ancestors(&d->pt, p, anc, BW_ANC_MAX);
		for (int i = 0; i < n; i++) {
			struct bw_ancestor *a = &e->anc[i];
			a->pid = anc[i]->pid;
			a->name = (struct bw_str){ anc[i]->comm, (uint32_t)strlen(anc[i]->comm) };
			a->exe = (struct bw_str){ anc[i]->cmdline, anc[i]->argv0_len };
			a->exepath = (struct bw_str){ anc[i]->exe, anc[i]->exe_len };
		}
		e->nanc = (uint32_t)n;
	}
	name = decode_user_name(d, (uint32_t)e->uid);
	if (name)
		set_str(e, FLD_USER_NAME, &e->user_name, name, strlen(name));
	name = decode_user_name(d, (uint32_t)e->loginuid);
	if (name)
		set_str(e, FLD_USER_LOGINNAME, &e->login_name, name, strlen(name));
}

static void decode_hdr(struct decoder *d, const struct bw_event_hdr *h, struct bw_event *e)
{
	static const enum bw_field common[] = {
		FLD_EVT_TIME, FLD_EVT_TYPE, FLD_EVT_FLAGS, FLD_PROC_PID, FLD_PROC_TID, FLD_PROC_PPID,
		FLD_PROC_NAME, FLD_PROC_CGROUP, FLD_USER_UID, FLD_USER_LOGINUID, FLD_SESSION_ID,
		FLD_EVT_NUM,
	};

	event_reset(e);
	e->time_ns = h->ts_ns + (uint64_t)d->boot_to_epoch_ns;
	e->evt_num = ++d->nevents;
	e->type = kernel_types[h->type];
	e->type_name.p = event_type_name(e->type);
	e->type_name.len = (uint32_t)strlen(e->type_name.p);
	e->flags = h->flags;
	e->pid = h->pid;
	e->tid = h->tid;
	e->ppid = h->ppid;
	e->name = (struct bw_str){ h->comm, (uint32_t)strnlen(h->comm, sizeof(h->comm)) };
	e->cgroup = h->cgroup_id;
	e->uid = h->uid;
	e->loginuid = h->loginuid;
	e->sessionid = h->sessionid;
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		event_set_present(e, common[i]);
}

/* Keeps the table's identity fields current: they change with setuid, su, new sessions. */
static void refresh_identity(struct proc *p, const struct bw_event_hdr *h)
{
	p->uid = h->uid;
	p->loginuid = h->loginuid;
	p->sessionid = h->sessionid;
	memcpy(p->comm, h->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = 0;
}

int decode_record(struct decoder *d, const void *data, size_t len, struct bw_event *e)
{
	const struct bw_event_hdr *h = data;
	struct proc *p;
	uint64_t now;

	if (len < sizeof(*h) || h->size > len || h->size < sizeof(*h) || !h->type ||
	    h->type >= BW_EV_TYPE_MAX || !kernel_types[h->type]) {
		d->bad_records++;
		return -EINVAL;
	}
	decode_hdr(d, h, e);
	now = e->time_ns;

	switch (h->type) {
	case BW_EV_EXEC: {
		const struct bw_exec_event *x = data;

		if (h->size < offsetof(struct bw_exec_event, data) ||
		    offsetof(struct bw_exec_event, data) + (size_t)x->exe_len + x->args_len > h->size)
			goto bad;
		p = proctable_add(&d->pt, h->pid);
		if (p) {
			if (!p->start_ns)
				p->start_ns = now;
			p->ppid = h->ppid;
			p->exit_ns = 0;
			refresh_identity(p, h);
			proctable_exec(&d->pt, p, x->data, x->exe_len, x->data + x->exe_len,
				       x->args_len);
			/* proc.sid, proc.vpgid, group.gid: setsid and setgid come before exec */
			proctable_read_ids(p);
		}
		if (d->want_env)
			decode_env(d, e, h->pid);
		e->res = 0;
		event_set_present(e, FLD_EVT_RAWRES);
		break;
	}
	case BW_EV_FORK:
		if (h->size < sizeof(struct bw_proc_event))
			goto bad;
		p = proctable_fork(&d->pt, h->pid, h->ppid, now);
		if (p)
			refresh_identity(p, h);
		break;
	case BW_EV_EXIT: {
		const struct bw_proc_event *x = data;

		if (h->size < sizeof(*x))
			goto bad;
		e->arg = x->exit_code;
		event_set_present(e, FLD_EVT_ARG);
		break;
	}
	case BW_EV_KILL: {
		const struct bw_kill_event *x = data;

		if (h->size < sizeof(*x))
			goto bad;
		e->arg = x->reason;
		event_set_present(e, FLD_EVT_ARG);
		if (x->reason == 2)
			set_str(e, FLD_EVT_KILL, &e->kill, "protect", 7);
		else if (x->reason == BW_KILL_GUARD_REASON)
			set_str(e, FLD_EVT_KILL, &e->kill, "guard", 5);
		else
			set_str(e, FLD_EVT_KILL, &e->kill, "quarantine", 10);
		break;
	}
	case BW_EV_SIG_KILL ... BW_EV_FINIT_MODULE:
		if (decode_ctl(d, h, data, e))
			goto bad;
		p = proctable_get(&d->pt, h->pid);
		if (p)
			refresh_identity(p, h);
		break;
	default: { /* the deletion family */
		const struct bw_file_event *x = data;
		size_t n;

		if (h->size < offsetof(struct bw_file_event, data) ||
		    offsetof(struct bw_file_event, data) + (size_t)x->path_len + x->newpath_len > h->size ||
		    x->path_len > BW_PATH_MAX || x->newpath_len > BW_PATH_MAX)
			goto bad;
		e->res = x->res;
		e->arg = x->arg;
		event_set_present(e, FLD_EVT_RAWRES);
		event_set_present(e, FLD_EVT_ARG);
		memcpy(d->path, x->data, x->path_len);
		n = path_normalize(d->path, x->path_len);
		if (h->type != BW_EV_IO_URING_SETUP) {  /* a ring has no file name */
			set_str(e, FLD_FD_NAME, &e->path, d->path, n);
			event_split_path(e);
		}
		if (h->type == BW_EV_RENAME || h->type == BW_EV_RENAMEAT || h->type == BW_EV_RENAMEAT2) {
			memcpy(d->newpath, x->data + x->path_len, x->newpath_len);
			n = path_normalize(d->newpath, x->newpath_len);
			set_str(e, FLD_FD_NEWNAME, &e->newpath, d->newpath, n);
		}
		if (h->type >= BW_EV_OPEN && h->type <= BW_EV_CREAT) {
			bool created = h->flags & BW_F_CREATED;

			n = decode_flag_names((uint64_t)x->arg, true, created, d->arg_names,
					      sizeof(d->arg_names));
			set_str(e, FLD_EVT_ARG_FLAGS, &e->arg_flags, d->arg_names, n);
			e->is_open_write = (x->arg & 3) != 0;
			e->is_open_create = created;
			event_set_present(e, FLD_EVT_IS_OPEN_WRITE);
			event_set_present(e, FLD_EVT_IS_OPEN_CREATE);
		} else if (h->type == BW_EV_FALLOCATE) {
			n = decode_flag_names((uint64_t)x->arg, false, false, d->arg_names,
					      sizeof(d->arg_names));
			set_str(e, FLD_EVT_ARG_MODE, &e->arg_mode, d->arg_names, n);
		}
		if (h->type != BW_EV_IO_URING_SETUP) {
			e->is_io_uring = h->flags & BW_F_IO_URING;
			event_set_present(e, FLD_EVT_IS_IO_URING);
		}
		if ((h->flags & BW_F_PROTECTED) && (h->flags & BW_F_SESSION_KILL))
			set_str(e, FLD_EVT_KILL, &e->kill, "protect_session", 15);
		else if (h->flags & BW_F_PROTECTED)
			set_str(e, FLD_EVT_KILL, &e->kill, "protect", 7);
		else if (h->flags & BW_F_KILLED)
			set_str(e, FLD_EVT_KILL, &e->kill, "quarantine", 10);
		p = proctable_get(&d->pt, h->pid);
		if (p)
			refresh_identity(p, h);
		break;
	}
	}
	decode_attribute(d, e, h->pid);
	if (h->type == BW_EV_EXIT)
		proctable_exit(&d->pt, h->pid, now);
	return 0;
bad:
	d->bad_records++;
	return -EINVAL;
}
