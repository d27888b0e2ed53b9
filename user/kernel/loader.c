// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Loader: host checks, tracefs/bpffs mounts, skeleton open -> configure -> load -> attach. */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <linux/bpf.h>
#include <bpf/btf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bulwark_abi.h"
#include "bulwark.skel.h"
#include "kernel/loader.h"
#include "kernel/watchset.h"
#include "kernel/pins.h"

#define TRACEFS_MAGIC 0x74726163
#define BPF_FS_MAGIC 0xcafe4a11

/* st_dev as the kernel keys it (super_block->s_dev, the kernel's dev_t encoding). */
static uint32_t kernel_dev(dev_t d)
{
	return (uint32_t)((major(d) << 20) | minor(d));
}

struct lpm_key_u {
	uint32_t prefixlen;
	char path[256];
};

struct watch_key_u {
	uint64_t ino;
	uint32_t dev;
	uint32_t pad;
};

static bool verbose_libbpf;
static void guard_configure(struct loader *l);

/*
 * libbpf's warnings while a load is attempted: they name the program the
 * kernel refused and carry the verifier's log, from which the fallback
 * reason is taken. Printed only with --verbose.
 */
static struct {
	bool on;       /* capturing */
	char *buf;     /* the messages, NUL terminated */
	size_t len, cap;
} capture;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (capture.on && level != LIBBPF_DEBUG) {
		va_list a2;
		int n;

		va_copy(a2, args);
		n = vsnprintf(NULL, 0, fmt, a2);
		va_end(a2);
		if (n > 0 && capture.len + (size_t)n + 1 > capture.cap && capture.cap < (4u << 20)) {
			size_t nc = (capture.len + (size_t)n + 1) * 2;
			char *nb = realloc(capture.buf, nc);

			if (nb) {
				capture.buf = nb;
				capture.cap = nc;
			}
		}
		if (n > 0 && capture.len + (size_t)n + 1 <= capture.cap) {
			va_copy(a2, args);
			vsnprintf(capture.buf + capture.len, (size_t)n + 1, fmt, a2);
			va_end(a2);
			capture.len += (size_t)n;
		}
	}
	if (level == LIBBPF_DEBUG ? !verbose_libbpf : (capture.on && !verbose_libbpf))
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void capture_start(void)
{
	capture.on = true;
	capture.len = 0;
	if (capture.buf)
		capture.buf[0] = 0;
}

static void capture_stop(void)
{
	capture.on = false;
}

static int ensure_mount(const char *dir, const char *type, long magic, FILE *log)
{
	struct statfs st;

	if (!statfs(dir, &st) && st.f_type == magic)
		return 0;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		fprintf(log, "bulwark: cannot create %s: %s\n", dir, strerror(errno));
		return -errno;
	}
	if (mount(type, dir, type, 0, NULL)) {
		fprintf(log, "bulwark: cannot mount %s on %s: %s; mount it by hand: mount -t %s %s %s\n",
			type, dir, strerror(errno), type, type, dir);
		return -errno;
	}
	fprintf(log, "bulwark: mounted %s on %s (it was not mounted)\n", type, dir);
	return 0;
}

static void kernel_release(char *buf, size_t n)
{
	struct utsname u;

	snprintf(buf, n, "%s", uname(&u) ? "unknown" : u.release);
}

/* The bracketed mode of /sys/kernel/security/lockdown ("none" when absent). */
static void lockdown_mode(char *buf, size_t n)
{
	char line[128] = "", *a, *b;
	FILE *f = fopen("/sys/kernel/security/lockdown", "re");

	snprintf(buf, n, "none");
	if (!f)
		return;
	if (fgets(line, sizeof(line), f) && (a = strchr(line, '[')) && (b = strchr(a, ']'))) {
		*b = 0;
		snprintf(buf, n, "%s", a + 1);
	}
	fclose(f);
}

int loader_check_host(FILE *log)
{
	char rel[96], mode[32];
	int err, fd;

	kernel_release(rel, sizeof(rel));
	if (geteuid() != 0) {
		fprintf(log, "bulwark: run needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN); "
			     "run it as root, e.g. sudo bulwark run\n");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(log, "bulwark: the kernel (Linux %s) has no BTF (/sys/kernel/btf/vmlinux: %s); "
			     "bulwark needs a kernel built with CONFIG_DEBUG_INFO_BTF=y "
			     "(every Debian kernel from 11 on has it)\n", rel, strerror(errno));
		return -ENOTSUP;
	}
	/* BPF itself: a kernel without CONFIG_BPF_SYSCALL answers ENOSYS */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOSYS)
			fprintf(log, "bulwark: the kernel (Linux %s) has BPF disabled (bpf(): %s); "
				     "bulwark needs a kernel built with CONFIG_BPF_SYSCALL=y\n",
				rel, strerror(-err));
		else
			fprintf(log, "bulwark: the kernel (Linux %s) refused a BPF map (bpf(): %s); "
				     "run as root with CAP_BPF and CAP_SYS_ADMIN (in a container: "
				     "a privileged one)\n", rel, strerror(-err));
		return err;
	}
	close(fd);
	/* lockdown=confidentiality takes bpf_probe_read_kernel away: nothing could load */
	lockdown_mode(mode, sizeof(mode));
	if (!strcmp(mode, "confidentiality")) {
		fprintf(log, "bulwark: the kernel (Linux %s) is locked down in confidentiality mode "
			     "(/sys/kernel/security/lockdown), which forbids BPF programs to read "
			     "kernel memory; boot with lockdown=integrity (or without lockdown=) to "
			     "run bulwark\n", rel);
		return -EPERM;
	}
	err = ensure_mount("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC, log);
	if (err)
		return err;
	return ensure_mount("/sys/fs/bpf", "bpf", BPF_FS_MAGIC, log);
}

/* SEC("uprobe") without a target: the binary is chosen at run time by its module. */
static bool is_manual_prog(struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return !strcmp(sec, "uprobe") || !strcmp(sec, "uretprobe");
}

/*
 * Hook families and their backends, best first. A slot is one job with
 * interchangeable backends whose programs are parallel lists: program i
 * of every backend plays the same role, and a role is wanted when the
 * canonical backend's program i is still set to load after the modules'
 * configure (dbcapture turns its programs off with --no-db...). A family
 * also has fixed programs that load with it. Everything else in the
 * object is core: it must load, or bulwark does not start.
 */
#define NB 3  /* backends per slot */

enum { F_PROCESS, F_FILES, F_LSM, F_DB, F_GUARD, NFAM };

struct slot_def {
	int family;
	const char *name;               /* status label */
	bool optional;                  /* the family works without this slot */
	int canon;                      /* backend whose program names the configure sees */
	const char *backend[NB];        /* short name: "fentry", "tracepoint" */
	const char *desc[NB];           /* for status: the hooks it uses */
	const char *const *progs[NB];   /* NULL-terminated, parallel */
};

struct family_def {
	const char *name;
	bool required;                  /* no backend: bulwark does not start */
	const char *const *fixed;       /* NULL-terminated */
};

#define FILE_SC(pfx_in, pfx_out)                                                            \
	pfx_in "unlink", pfx_in "unlinkat", pfx_in "rmdir", pfx_in "rename", pfx_in "renameat", \
	pfx_in "renameat2", pfx_in "truncate", pfx_in "ftruncate", pfx_out "unlink",            \
	pfx_out "unlinkat", pfx_out "rmdir", pfx_out "rename", pfx_out "renameat",              \
	pfx_out "renameat2", pfx_out "truncate", pfx_out "ftruncate", NULL
/* opens that destroy and fallocate (issue 11): their own slot, so a kernel
 * refusing one of them keeps the deletion family */
#define OPEN_SC(pfx_in, pfx_out)                                                            \
	pfx_in "open", pfx_in "openat", pfx_in "openat2", pfx_in "creat", pfx_in "fallocate",   \
	pfx_out "open", pfx_out "openat", pfx_out "openat2", pfx_out "creat", pfx_out "fallocate", NULL
static const char *const opens_fentry[] = { OPEN_SC("fentry_", "fexit_") };
static const char *const opens_fentry_nl[] = { OPEN_SC("fentry_nl_", "fexit_nl_") };
static const char *const opens_tp[] = { OPEN_SC("tp_enter_", "tp_exit_") };
static const char *const uring_tpbtf[] = { "tp_btf_io_uring_submit_req", "tp_btf_io_uring_create", NULL };
/* the tracepoint's name before 6.4 (6.1: its request argument; 5.10: Debian 11's backport) */
static const char *const uring_sqe[] = { "tp_btf_io_uring_submit_sqe", "tp_btf_io_uring_create_sqe", NULL };
static const char *const uring_sqe_nl[] = { "tp_btf_nl_io_uring_submit_sqe", "tp_btf_nl_io_uring_create",
					    NULL };
static const char *const files_fentry[] = { FILE_SC("fentry_", "fexit_") };
static const char *const files_fentry_nl[] = { FILE_SC("fentry_nl_", "fexit_nl_") };
static const char *const files_tp[] = { FILE_SC("tp_enter_", "tp_exit_") };
static const char *const lsm_base[] = { "lsm_path_unlink", "lsm_path_rmdir", "lsm_path_rename",
					"lsm_path_truncate", "lsm_file_open", NULL };
static const char *const lsm_ftrunc[] = { "lsm_file_truncate", NULL };
static const char *const dbsock_fentry[] = { "fentry_connect", "fexit_connect", "fexit_accept",
					     "fexit_accept4", "fentry_close", NULL };
/* on __sys_connect and __sys_accept4; that one serves accept4 too: "" holds its role's place */
static const char *const dbsock_fentry_legacy[] = { "fentry_connect_legacy", "fexit_connect_legacy",
						    "fexit_accept_legacy", "", "fentry_close_legacy",
						    NULL };
static const char *const dbsock_tp[] = { "tp_enter_connect", "tp_exit_connect", "tp_exit_accept",
					 "tp_exit_accept4", "tp_enter_close", NULL };
static const char *const dbstream_tpbtf[] = { "tp_btf_sock_send_length",
					      "tp_btf_sock_recv_length", NULL };
/* send, receive per protocol: roles 0 and 1 again (see place_of) */
static const char *const dbstream_fexit[] = { "fexit_inet_sendmsg", "fexit_inet_recvmsg",
					      "fexit_inet6_sendmsg", "fexit_inet6_recvmsg",
					      "fexit_unix_stream_sendmsg",
					      "fexit_unix_stream_recvmsg", NULL };
static const char *const dbstream_fexit_legacy[] = { "fexit_inet_sendmsg_legacy",
						     "fexit_inet_recvmsg_legacy",
						     "fexit_inet6_sendmsg_legacy",
						     "fexit_inet6_recvmsg_legacy",
						     "fexit_unix_stream_sendmsg_legacy",
						     "fexit_unix_stream_recvmsg_legacy", NULL };
/* TCP state and the server uprobes (lib/db_progs.bpf.h), and their 5.10 build */
static const char *const db_probes[] = { "tp_btf_inet_sock_set_state", "uprobe_pg_parse_query",
					 "uprobe_InitPostgres", "uprobe_dispatch_command",
					 "uprobe_mysql_change_db", "uprobe_tls_read",
					 "uretprobe_tls_read", NULL };
static const char *const db_probes_legacy[] = { "tp_btf_inet_sock_set_state_legacy",
						"uprobe_pg_parse_query_legacy",
						"uprobe_InitPostgres_legacy",
						"uprobe_dispatch_command_legacy",
						"uprobe_mysql_change_db_legacy", "uprobe_tls_read_legacy",
						"uretprobe_tls_read_legacy", NULL };

static const char *const process_tp[] = { "tp_btf_sched_process_exec",
					  "tp_btf_sched_process_fork",
					  "tp_btf_sched_process_exit", NULL };
static const char *const process_tp_nl[] = { "tp_btf_sched_process_exec_nl",
					     "tp_btf_sched_process_fork_nl",
					     "tp_btf_sched_process_exit_nl", NULL };
/* no task, loop or register helper: these load on every kernel from 5.10 */
static const char *const db_fixed[] = { "tp_btf_sched_process_fork_db",
					"tp_btf_sched_process_exit_db", NULL };
static const char *const none[] = { NULL };

/* Signals and attempts on bulwark (bpf/guard.bpf.c, guard_lsm.bpf.c). */
#define GUARD_SIG(pfx, sfx) pfx "kill" sfx, pfx "tkill" sfx, pfx "tgkill" sfx,                 \
	pfx "pidfd_send_signal" sfx, pfx "rt_sigqueueinfo" sfx, pfx "rt_tgsigqueueinfo" sfx
static const char *const sig_fentry[] = { GUARD_SIG("fentry_guard_", ""), GUARD_SIG("fexit_guard_", ""),
					  NULL };
static const char *const sig_tp[] = { GUARD_SIG("tp_enter_", "_g"), GUARD_SIG("tp_exit_", "_g"), NULL };
static const char *const guard_fentry[] = { "fentry_guard_ptrace", "fentry_guard_bpf",
					    "fentry_guard_umount", "fexit_guard_ptrace",
					    "fexit_guard_bpf", "fexit_guard_umount", NULL };
/* the same, reading the registers from the kernel stack (5.10: BTF without struct pt_regs there) */
static const char *const guard_fentry_sr[] = { "fentry_sr_guard_ptrace", "fentry_sr_guard_bpf",
					       "fentry_sr_guard_umount", "fexit_sr_guard_ptrace",
					       "fexit_sr_guard_bpf", "fexit_sr_guard_umount", NULL };
static const char *const mod_fentry_sr[] = { "fentry_sr_guard_init_module", "fentry_sr_guard_finit_module",
					     "fexit_sr_guard_init_module", "fexit_sr_guard_finit_module",
					     NULL };
static const char *const guard_tp[] = { "tp_enter_ptrace_g", "tp_enter_bpf_g", "tp_enter_umount_g",
					"tp_exit_ptrace_g", "tp_exit_bpf_g", "tp_exit_umount_g", NULL };
static const char *const mod_fentry[] = { "fentry_guard_init_module", "fentry_guard_finit_module",
					  "fexit_guard_init_module", "fexit_guard_finit_module", NULL };
static const char *const mod_tp[] = { "tp_enter_init_module_g", "tp_enter_finit_module_g",
				      "tp_exit_init_module_g", "tp_exit_finit_module_g", NULL };
static const char *const guard_lsm[] = { "lsm_task_kill_g", "lsm_ptrace_access_check_g", "lsm_bpf_g",
					 "lsm_sb_umount_g", NULL };

static const struct family_def families[NFAM] = {
	[F_PROCESS] = { "process", true, none },
	[F_FILES] = { "files", true, none },
	[F_LSM] = { "enforcement", false, none },
	[F_DB] = { "db", false, db_fixed },
	[F_GUARD] = { "guard", false, none },
};

enum { S_PROC, S_FILES, S_LSM, S_OTRUNC, S_DBSOCK, S_DBSTREAM, S_DBPROBES,
       S_SIGNAL, S_GUARD, S_GUARD_MOD, S_GUARD_LSM, S_OPENS, S_URING, NSLOT };

static const struct slot_def slots[NSLOT] = {
	/* the *_nl builds: no bpf_loop (5.17) nor bpf_get_current_task_btf (5.11), for 5.10 */
	[S_PROC] = { F_PROCESS, "process", false, 0, { "tp_btf", "tp_btf (5.10 build)" },
		     { "tp_btf sched_process_{exec,fork,exit}",
		       "tp_btf sched_process_{exec,fork,exit}, bounded-loop build" },
		     { process_tp, process_tp_nl } },
	[S_FILES] = { F_FILES, "files", false, 2, { "fentry", "fentry (5.10 build)", "tracepoint" },
		      { "fentry/fexit on the syscall functions",
			"fentry/fexit on the syscall functions, bounded-loop build",
			"syscall tracepoints sys_{enter,exit}_*" },
		      { files_fentry, files_fentry_nl, files_tp } },
	[S_LSM] = { F_LSM, "enforcement", false, 0, { "bpf-lsm", NULL },
		    { "bpf-lsm path_{unlink,rmdir,rename,truncate}: denied before the operation", NULL },
		    { lsm_base, NULL } },
	/* before 6.2, handle_truncate() and ftruncate call path_truncate: nothing more to load */
	[S_OTRUNC] = { F_LSM, "open(O_TRUNC)", true, 0, { "lsm/file_truncate", "path_truncate" },
		       { "bpf-lsm file_truncate", "bpf-lsm path_truncate (called for it before 6.2)" },
		       { lsm_ftrunc, none } },
	/* the *_legacy builds (db_fentry_legacy.bpf.c): also no bpf_task_pt_regs (5.15), for 5.10 */
	[S_DBSOCK] = { F_DB, "db sockets", false, 2, { "fentry", "fentry (5.10 build)", "tracepoint" },
		       { "fentry/fexit connect, accept, accept4, close",
			 "fentry/fexit __sys_connect, __sys_accept4, close, 5.10 build",
			 "syscall tracepoints connect, accept, accept4, close" },
		       { dbsock_fentry, dbsock_fentry_legacy, dbsock_tp } },
	[S_DBSTREAM] = { F_DB, "db stream", false, 0, { "tp_btf", "fexit", "fexit (5.10 build)" },
			 { "tp_btf sock_send_length, sock_recv_length", "fexit {inet,inet6,unix_stream}_{sendmsg,recvmsg}",
			   "fexit {inet,inet6,unix_stream}_{sendmsg,recvmsg}, 5.10 build" },
			 { dbstream_tpbtf, dbstream_fexit, dbstream_fexit_legacy } },
	[S_DBPROBES] = { F_DB, "db probes", false, 0, { "tp_btf+uprobes", "tp_btf+uprobes (5.10 build)" },
			 { "tp_btf inet_sock_set_state, server uprobes",
			   "tp_btf inet_sock_set_state, server uprobes, 5.10 build" },
			 { db_probes, db_probes_legacy } },
	/* signals and attempts on bulwark: rare syscalls, every slot optional */
	[S_SIGNAL] = { F_GUARD, "signals", true, 1, { "fentry", "tracepoint" },
		       { "fentry/fexit kill, tkill, tgkill, pidfd_send_signal, rt_(tg)sigqueueinfo",
			 "syscall tracepoints kill, tkill, tgkill, pidfd_send_signal, rt_(tg)sigqueueinfo" },
		       { sig_fentry, sig_tp } },
	[S_GUARD] = { F_GUARD, "self-protection", true, 2, { "fentry", "fentry (stack regs)", "tracepoint" },
		      { "fentry/fexit ptrace, bpf, umount2",
			"fentry/fexit ptrace, bpf, umount2, registers from the kernel stack",
			"syscall tracepoints ptrace, bpf, umount2" },
		      { guard_fentry, guard_fentry_sr, guard_tp } },
	[S_GUARD_MOD] = { F_GUARD, "module loads", true, 2, { "fentry", "fentry (stack regs)", "tracepoint" },
			  { "fentry/fexit init_module, finit_module",
			    "fentry/fexit init_module, finit_module, registers from the kernel stack",
			    "syscall tracepoints init_module, finit_module" },
			  { mod_fentry, mod_fentry_sr, mod_tp } },
	[S_GUARD_LSM] = { F_GUARD, "self-protection deny", true, 0, { "bpf-lsm", NULL },
			  { "bpf-lsm task_kill, ptrace_access_check, bpf, sb_umount: denied", NULL },
			  { guard_lsm, NULL } },
	/* issue 11: the same three backends as the deletion family */
	[S_OPENS] = { F_FILES, "opens", true, 2, { "fentry", "fentry (5.10 build)", "tracepoint" },
		      { "fentry/fexit open, openat, openat2, creat, fallocate",
			"fentry/fexit open, openat, openat2, creat, fallocate, bounded-loop build",
			"syscall tracepoints open, openat, openat2, creat, fallocate" },
		      { opens_fentry, opens_fentry_nl, opens_tp } },
	/* not a syscall tracepoint: loads beside any capture backend */
	[S_URING] = { F_FILES, "io_uring", true, 0,
		      { "tp_btf", "tp_btf (submit_sqe)", "tp_btf (5.10 build)" },
		      { "tp_btf io_uring_submit_req, io_uring_create",
			"tp_btf io_uring_submit_sqe, io_uring_create",
			"tp_btf io_uring_submit_sqe, io_uring_create, 5.10 build" },
		      { uring_tpbtf, uring_sqe, uring_sqe_nl } },
};

/* Where a program sits in the tables above. */
struct prog_place {
	int family;   /* -1: core */
	int slot;     /* -1: a fixed program of the family */
	int backend;
	int role;
};

static struct prog_place place_of(const char *name)
{
	struct prog_place p = { -1, -1, -1, -1 };

	for (int s = 0; s < NSLOT; s++) {
		int ncanon = 0;

		while (slots[s].progs[slots[s].canon][ncanon])
			ncanon++;
		/*
		 * A backend may need several programs for one role (one per
		 * protocol): its program i plays role i modulo the number of
		 * the canonical backend's programs.
		 */
		for (int b = 0; b < NB; b++)
			for (int i = 0; slots[s].progs[b] && slots[s].progs[b][i]; i++)
				if (!strcmp(slots[s].progs[b][i], name))
					return (struct prog_place){ slots[s].family, s, b,
								    ncanon ? i % ncanon : i };
	}
	for (int f = 0; f < NFAM; f++)
		for (int i = 0; families[f].fixed[i]; i++)
			if (!strcmp(families[f].fixed[i], name))
				return (struct prog_place){ f, -1, -1, i };
	return p;
}

/* The choices made so far; refined after every refused attempt. */
struct plan {
	uint64_t roles[NSLOT];       /* bit i: role i wanted */
	bool fixed_on[NFAM][16];     /* fixed program i wanted (configure) */
	bool failed[NSLOT][NB];
	char why[NSLOT][NB][192];    /* why that backend cannot serve */
	int chosen[NSLOT];           /* backend, -1 none */
	bool fam_off[NFAM];
	char fam_why[NFAM][224];
};

/* The hook a section name attaches to, for messages ("tp_btf/sock_send_length"). */
static const char *hook_hint(const char *sec)
{
	if (!strncmp(sec, "tp/syscalls/", 12))
		return "syscall tracepoints need CONFIG_FTRACE_SYSCALLS=y";
	if (!strncmp(sec, "tp_btf/", 7))
		return "BTF tracepoints need CONFIG_DEBUG_INFO_BTF=y and that tracepoint";
	if (!strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6))
		return "fentry/fexit need BPF trampolines (CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS=y)";
	if (!strncmp(sec, "lsm/", 4))
		return "BPF-LSM needs CONFIG_BPF_LSM=y and 'bpf' in the lsm= boot parameter";
	if (!strncmp(sec, "uprobe", 6))
		return "uprobes need CONFIG_UPROBE_EVENTS=y";
	return "see --verbose for the verifier log";
}

static struct btf *vmlinux_btf;

/* The kernel has the attach target of sec in its BTF (or tracefs for tp/). */
static bool hook_exists(const char *sec)
{
	char name[160], path[256];
	const char *t = strchr(sec, '/');

	if (!t)
		return true;
	t++;
	if (!strncmp(sec, "tp/", 3)) {
		snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s", t);
		return !access(path, F_OK);
	}
	if (!vmlinux_btf)
		return true; /* cannot tell: let the load decide */
	if (!strncmp(sec, "tp_btf/", 7)) {
		snprintf(name, sizeof(name), "btf_trace_%s", t);
		return btf__find_by_name_kind(vmlinux_btf, name, BTF_KIND_TYPEDEF) > 0;
	}
	if (!strncmp(sec, "lsm/", 4)) {
		snprintf(name, sizeof(name), "bpf_lsm_%s", t);
		return btf__find_by_name_kind(vmlinux_btf, name, BTF_KIND_FUNC) > 0;
	}
	if (!strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6))
		return btf__find_by_name_kind(vmlinux_btf, t, BTF_KIND_FUNC) > 0;
	return true;
}

/*
 * Can this kernel load and attach a program of this kind at all? A
 * two-instruction program on a function every kernel has: fentry is
 * refused outright on some kernels (ours: EPERM), BPF-LSM where 'bpf' is
 * not in lsm= (Debian 11). 0 or -errno.
 */
static int probe_kind(enum bpf_prog_type type, enum bpf_attach_type at, const char *func)
{
	struct bpf_insn insns[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po);
	int id, fd, lfd, err = 0;

	if (!vmlinux_btf)
		return -ENOENT;
	id = btf__find_by_name_kind(vmlinux_btf, func, BTF_KIND_FUNC);
	if (id <= 0)
		return -ENOENT;
	po.expected_attach_type = at;
	po.attach_btf_id = (uint32_t)id;
	fd = bpf_prog_load(type, "bw_probe", "GPL", insns, 2, &po);
	if (fd < 0)
		return -errno;
	lfd = bpf_raw_tracepoint_open(NULL, fd);
	if (lfd < 0)
		err = -errno;
	else
		close(lfd);
	close(fd);
	return err;
}

/* "BPF-LSM: 'bpf' is not in lsm= (...)" or the probe's error. */
static void lsm_reason(int err, char *buf, size_t n)
{
	char lsms[160] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "re");

	if (f) {
		if (!fgets(lsms, sizeof(lsms), f))
			lsms[0] = 0;
		fclose(f);
		lsms[strcspn(lsms, "\n")] = 0;
	}
	if (lsms[0] && !strstr(lsms, "bpf"))
		snprintf(buf, n, "BPF-LSM unavailable: 'bpf' is not in the active LSMs (%s); "
				 "boot with lsm=%s,bpf", lsms, lsms);
	else if (err == -ENOENT)
		snprintf(buf, n, "BPF-LSM unavailable: the kernel has no BPF-LSM hooks "
				 "(CONFIG_BPF_LSM)");
	else
		snprintf(buf, n, "BPF-LSM unavailable: %s", strerror(-err));
}

/* The refused program and a one-line reason, from libbpf's messages. */
static bool blame(char *prog, size_t pn, char *why, size_t wn, int err)
{
	const char *b = capture.buf ? capture.buf : "", *p, *q, *log, *end;

	p = strstr(b, "prog '");
	if (!p)
		return false;
	p += 6;
	q = strchr(p, '\'');
	if (!q)
		return false;
	snprintf(prog, pn, "%.*s", (int)(q - p), p);
	if ((p = strstr(b, "failed to find kernel BTF type ID of '"))) {
		p += strlen("failed to find kernel BTF type ID of '");
		q = strchr(p, '\'');
		snprintf(why, wn, "%.*s not in this kernel", q ? (int)(q - p) : 0, p);
		return true;
	}
	log = strstr(b, "-- BEGIN PROG LOAD LOG --");
	end = log ? strstr(log, "-- END PROG LOAD LOG --") : NULL;
	if (log && end) {
		/* the verifier's verdict: the last line before "processed N insns" */
		const char *stop = end, *ls = NULL, *le = NULL;

		for (const char *x = log; x && x < end; x = strchr(x, '\n') ? strchr(x, '\n') + 1 : NULL)
			if (!strncmp(x, "processed ", 10)) {
				stop = x;
				break;
			}
		for (const char *x = log; x && x < stop; x = strchr(x, '\n') ? strchr(x, '\n') + 1 : NULL) {
			const char *nl = strchr(x, '\n');

			if (nl && nl < stop && nl > x && strncmp(x, "-- BEGIN", 8)) {
				ls = x;
				le = nl;
			}
		}
		if (ls) {
			snprintf(why, wn, "verifier: %.*s", (int)(le - ls), ls);
			return true;
		}
	}
	if ((p = strstr(b, "BPF program load failed: "))) {
		p += strlen("BPF program load failed: ");
		snprintf(why, wn, "%.*s", (int)strcspn(p, "\n"), p);
		return true;
	}
	snprintf(why, wn, "%s", strerror(-err));
	return true;
}

/* The first backend of s not known to fail, or -1. */
static int choose(struct plan *pl, int s)
{
	for (int b = 0; b < NB; b++)
		if (slots[s].progs[b] && !pl->failed[s][b])
			return b;
	return -1;
}

/* A slot without a backend: the slot goes, or its family, or the start. */
static int slot_lost(struct plan *pl, int s, const char *rel, FILE *log)
{
	int f = slots[s].family;

	pl->chosen[s] = -1;
	if (slots[s].optional)
		return 0;
	if (families[f].required) {
		fprintf(log, "bulwark: the kernel (Linux %s) cannot run any backend of the %s hooks, "
			     "which bulwark needs:\n", rel, slots[s].name);
		for (int b = 0; b < NB; b++)
			if (slots[s].progs[b])
				fprintf(log, "  %s: %s\n", slots[s].backend[b], pl->why[s][b]);
		fprintf(log, "bulwark: run with --verbose for the verifier log\n");
		return -ENOTSUP;
	}
	pl->fam_off[f] = true;
	snprintf(pl->fam_why[f], sizeof(pl->fam_why[f]), "%s: %s", slots[s].name,
		 pl->why[s][NB - 1][0] ? pl->why[s][NB - 1] : pl->why[s][0]);
	return 0;
}

/* Marks the backend of prog failed (or its family off). 0, or -errno: cannot start. */
static int plan_refuse(struct plan *pl, const char *prog, const char *sec, const char *why,
		       const char *rel, FILE *log)
{
	struct prog_place p = place_of(prog);

	if (p.slot >= 0) {
		snprintf(pl->why[p.slot][p.backend], sizeof(pl->why[0][0]), "%s: %s", sec, why);
		pl->failed[p.slot][p.backend] = true;
		pl->chosen[p.slot] = choose(pl, p.slot);
		return pl->chosen[p.slot] < 0 ? slot_lost(pl, p.slot, rel, log) : 0;
	}
	if (p.family >= 0 && !families[p.family].required) {
		pl->fam_off[p.family] = true;
		snprintf(pl->fam_why[p.family], sizeof(pl->fam_why[0]), "%s: %s", sec, why);
		return 0;
	}
	fprintf(log, "bulwark: the kernel (Linux %s) refused %s (%s): %s; %s\n", rel, prog, sec, why,
		hook_hint(sec));
	return -ENOTSUP;
}

/* Sets every program's autoload from the plan (after the modules' configure). */
static void plan_apply(struct plan *pl, struct bpf_object *obj, bool first)
{
	struct bpf_program *prog;

	/* roles wanted: the canonical programs the configure left on (first attempt only) */
	if (first)
		bpf_object__for_each_program(prog, obj) {
			struct prog_place p = place_of(bpf_program__name(prog));

			if (p.slot >= 0 && p.backend == slots[p.slot].canon && bpf_program__autoload(prog))
				pl->roles[p.slot] |= 1ull << p.role;
			if (p.slot < 0 && p.family >= 0 && p.role < 16)
				pl->fixed_on[p.family][p.role] = bpf_program__autoload(prog);
		}
	bpf_object__for_each_program(prog, obj) {
		struct prog_place p = place_of(bpf_program__name(prog));

		if (p.family < 0)
			continue;
		if (p.slot < 0)
			bpf_program__set_autoload(prog, !pl->fam_off[p.family] && p.role < 16 &&
							  pl->fixed_on[p.family][p.role]);
		else
			bpf_program__set_autoload(prog, !pl->fam_off[p.family] &&
							  pl->chosen[p.slot] == p.backend &&
							  (pl->roles[p.slot] >> p.role & 1));
	}
}

/*
 * Helpers by kernel. A program that calls a helper the kernel lacks is
 * refused with a verifier message that does not say so on old kernels:
 * 5.10 reports a bpf_loop callback as "number of funcs in func_info
 * doesn't match number of subprogs" and bpf_get_current_task_btf as
 * "invalid func unknown#158". So every helper a program calls is probed
 * once, before any load, with a tiny BTF-tracepoint program; a backend
 * whose program calls a missing one is marked failed with the helper's
 * name and the kernel it came with, and the next backend is tried.
 */
static const struct helper_name {
	int id;
	const char *name;
	const char *since;  /* mainline release that added it */
} helper_names[] = {
	{ BPF_FUNC_get_current_task_btf, "bpf_get_current_task_btf", "5.11" },
	{ BPF_FUNC_task_pt_regs, "bpf_task_pt_regs", "5.15" },
	{ BPF_FUNC_loop, "bpf_loop", "5.17" },
	{ BPF_FUNC_ringbuf_output, "bpf_ringbuf_output", "5.8" },
	{ BPF_FUNC_ringbuf_query, "bpf_ringbuf_query", "5.8" },
	{ BPF_FUNC_send_signal_thread, "bpf_send_signal_thread", "5.5" },
	{ BPF_FUNC_get_current_ancestor_cgroup_id, "bpf_get_current_ancestor_cgroup_id", "5.7" },
	{ BPF_FUNC_ktime_get_boot_ns, "bpf_ktime_get_boot_ns", "5.8" },
	{ BPF_FUNC_d_path, "bpf_d_path", "5.10" },
};

#define HELPER_MAX 256
static int8_t helper_ok[HELPER_MAX]; /* 0 unknown, 1 there, -1 missing */

static void helper_label(int id, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof(helper_names) / sizeof(helper_names[0]); i++)
		if (helper_names[i].id == id) {
			snprintf(buf, n, "%s (%s+)", helper_names[i].name, helper_names[i].since);
			return;
		}
	snprintf(buf, n, "BPF helper #%d", id);
}

/* Does this kernel have helper id for tracing programs? Probed once. */
static bool helper_present(int id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_4, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_5, .imm = 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, po);
	static char vlog[4096];
	int tid, fd;

	if (id <= 0 || id >= HELPER_MAX || !vmlinux_btf)
		return true;
	if (helper_ok[id])
		return helper_ok[id] > 0;
	tid = btf__find_by_name_kind(vmlinux_btf, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
	if (tid <= 0)
		return true; /* cannot tell: let the load decide */
	po.expected_attach_type = BPF_TRACE_RAW_TP;
	po.attach_btf_id = (uint32_t)tid;
	po.log_buf = vlog;
	po.log_size = sizeof(vlog);
	po.log_level = 1;
	vlog[0] = 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "bw_helper", "GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), &po);
	if (fd >= 0) {
		close(fd);
		helper_ok[id] = 1;
	} else {
		/* only "no such helper" counts; a refusal of the probe's zero arguments means it is there */
		helper_ok[id] = strstr(vlog, "unknown func") || strstr(vlog, "invalid func") ||
				strstr(vlog, "cannot use helper") ? -1 : 1;
	}
	return helper_ok[id] > 0;
}

/* "bpf_loop (5.17+), bpf_task_pt_regs (5.15+)": the helpers prog calls that are missing, or "". */
static void missing_helpers(struct bpf_program *prog, char *buf, size_t n)
{
	const struct bpf_insn *in = bpf_program__insns(prog);
	size_t cnt = bpf_program__insn_cnt(prog), len = 0;
	enum bpf_prog_type t = bpf_program__type(prog);
	char label[80];

	buf[0] = 0;
	if (t != BPF_PROG_TYPE_TRACING && t != BPF_PROG_TYPE_KPROBE && t != BPF_PROG_TYPE_LSM &&
	    t != BPF_PROG_TYPE_TRACEPOINT && t != BPF_PROG_TYPE_RAW_TRACEPOINT)
		return;
	/* before load, the instructions are the program's own; its static helpers are inlined */
	for (size_t i = 0; in && i < cnt && len + 1 < n; i++) {
		if (in[i].code != (BPF_JMP | BPF_CALL) || in[i].src_reg != 0 || helper_present(in[i].imm))
			continue;
		helper_label(in[i].imm, label, sizeof(label));
		if (!strstr(buf, label))
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", label);
	}
}

/* true when 'bpf' is in the active LSM list, or the list cannot be read */
static bool bpf_lsm_listed(void)
{
	char lsms[256] = "";
	FILE *f = fopen("/sys/kernel/security/lsm", "re");

	if (!f)
		return true;
	if (!fgets(lsms, sizeof(lsms), f))
		lsms[0] = 0;
	fclose(f);
	for (char *t = strtok(lsms, ",\n"); t; t = strtok(NULL, ",\n"))
		if (!strcmp(t, "bpf"))
			return true;
	return !lsms[0];
}

/* Before any load: hooks and helpers missing from this kernel, and fentry/LSM refused outright. */
static void plan_init(struct loader *l, struct plan *pl, struct bpf_object *obj)
{
	struct bpf_program *prog;
	int fentry_err, lsm_err;

	memset(pl, 0, sizeof(*pl));
	fentry_err = probe_kind(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "__x64_sys_close");
	if (fentry_err == -ENOENT)
		fentry_err = probe_kind(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "__arm64_sys_close");
	/*
	 * Where 'bpf' is not an active LSM (Debian 11's default lsm=), the
	 * probe loads and attaches, but the hook is never called.
	 */
	lsm_err = bpf_lsm_listed() ? probe_kind(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_path_unlink")
				   : -EPERM;
	l->lsm_probed = true;
	if (lsm_err)
		lsm_reason(lsm_err, l->lsm_why, sizeof(l->lsm_why));
	bpf_object__for_each_program(prog, obj) {
		const char *sec = bpf_program__section_name(prog);
		struct prog_place p = place_of(bpf_program__name(prog));
		char *why, miss[160];

		if (p.slot < 0 || pl->failed[p.slot][p.backend])
			continue;
		why = pl->why[p.slot][p.backend];
		if (!hook_exists(sec)) {
			snprintf(why, sizeof(pl->why[0][0]), "%s missing: kernel %s", sec, l->kernel);
		} else if ((!strncmp(sec, "fentry/", 7) || !strncmp(sec, "fexit/", 6)) && fentry_err) {
			snprintf(why, sizeof(pl->why[0][0]), "fentry/fexit refused: %s",
				 strerror(-fentry_err));
		} else if (!strncmp(sec, "lsm/", 4) && lsm_err) {
			snprintf(why, sizeof(pl->why[0][0]), "%.180s", l->lsm_why);
		} else if (missing_helpers(prog, miss, sizeof(miss)), miss[0]) {
			snprintf(why, sizeof(pl->why[0][0]), "%s: needs %s, not in kernel %s", sec, miss,
				 l->kernel);
		} else {
			continue;
		}
		pl->failed[p.slot][p.backend] = true;
	}
	for (int s = 0; s < NSLOT; s++)
		pl->chosen[s] = choose(pl, s);
}

/* Appends "; why" to a fallback text unless it is there already. */
static void add_reason(char *buf, size_t n, const char *why)
{
	size_t len = strlen(buf);

	if (!why[0] || strstr(buf, why))
		return;
	snprintf(buf + len, n - len, "%s%s", len ? "; " : "", why);
}

/* One status entry: a slot's backend and the better ones it fell back from. */
static void report_slot(struct loader *l, struct plan *pl, int s)
{
	struct loader_family *lf = &l->fam[l->nfam++];
	int f = slots[s].family, c = pl->chosen[s];

	snprintf(lf->name, sizeof(lf->name), "%s", slots[s].name);
	lf->on = false;
	if (!pl->roles[s]) {
		snprintf(lf->backend, sizeof(lf->backend), "off (not requested)");
		return;
	}
	if (pl->fam_off[f]) {
		snprintf(lf->backend, sizeof(lf->backend), "off");
		add_reason(lf->fallback, sizeof(lf->fallback), pl->fam_why[f]);
		return;
	}
	snprintf(lf->backend, sizeof(lf->backend), "%s", c >= 0 ? slots[s].desc[c] : "none");
	for (int b = 0; b < NB && (c < 0 || b < c); b++)
		if (pl->failed[s][b])
			add_reason(lf->fallback, sizeof(lf->fallback), pl->why[s][b]);
	lf->on = c >= 0;
}

/* The families as status shows them, one entry per slot. */
static void plan_report(struct loader *l, struct plan *pl)
{
	struct loader_family *lf;

	l->lsm = !pl->fam_off[F_LSM] && pl->chosen[S_LSM] == 0 && pl->roles[S_LSM];
	l->fentry = pl->chosen[S_FILES] == 0 || pl->chosen[S_FILES] == 1;
	if (!l->lsm && !l->lsm_why[0])
		snprintf(l->lsm_why, sizeof(l->lsm_why), "BPF-LSM unavailable: %.200s",
			 pl->fam_why[F_LSM][0] ? pl->fam_why[F_LSM] : pl->why[S_LSM][0]);
	l->nfam = 0;
	report_slot(l, pl, S_PROC);
	report_slot(l, pl, S_FILES);
	if (l->lsm) {
		report_slot(l, pl, S_LSM);
		report_slot(l, pl, S_OTRUNC);
	} else {
		/* without BPF-LSM the capture backend kills at syscall entry */
		lf = &l->fam[l->nfam++];
		snprintf(lf->name, sizeof(lf->name), "enforcement");
		snprintf(lf->backend, sizeof(lf->backend), "SIGKILL at syscall entry (%s)",
			 l->fentry ? "fentry" : "tracepoint");
		snprintf(lf->fallback, sizeof(lf->fallback), "%s", l->lsm_why);
		lf->on = true;
		lf = &l->fam[l->nfam++];
		snprintf(lf->name, sizeof(lf->name), "open(O_TRUNC)");
		snprintf(lf->backend, sizeof(lf->backend), "SIGKILL at open entry (%s; the one file "
			 "in flight is truncated)", l->fentry ? "fentry" : "tracepoint");
		lf->fallback[0] = 0;
		lf->on = pl->chosen[S_OPENS] >= 0 && pl->roles[S_OPENS];
	}
	report_slot(l, pl, S_OPENS);
	report_slot(l, pl, S_URING);
	report_slot(l, pl, S_DBSOCK);
	report_slot(l, pl, S_DBSTREAM);
	report_slot(l, pl, S_DBPROBES);
	report_slot(l, pl, S_SIGNAL);
	report_slot(l, pl, S_GUARD);
	report_slot(l, pl, S_GUARD_MOD);
	report_slot(l, pl, S_GUARD_LSM);
	l->guard_lsm = pl->chosen[S_GUARD_LSM] == 0 && pl->roles[S_GUARD_LSM] && !pl->fam_off[F_GUARD];
}

/* Attaches every loaded program that attaches by itself. 0, or the refused one's -errno. */
static int attach_all(struct loader *l, struct plan *pl, char *bad, size_t bn)
{
	struct bpf_program *prog;

	l->nprogs = l->nattached = 0;
	bpf_object__for_each_program(prog, l->skel->obj) {
		struct loader_prog *lp;
		struct bpf_link *link;

		if (l->nprogs >= LOADER_MAX_PROGS)
			break;
		lp = &l->progs[l->nprogs++];
		snprintf(lp->name, sizeof(lp->name), "%s", bpf_program__name(prog));
		snprintf(lp->hook, sizeof(lp->hook), "%s", bpf_program__section_name(prog));
		if (!bpf_program__autoattach(prog) || !bpf_program__autoload(prog) ||
		    is_manual_prog(prog)) {
			struct prog_place p = place_of(lp->name);
			bool loaded = bpf_program__autoload(prog);
			char why[200];

			if (loaded)
				snprintf(why, sizeof(why), "attached by its module");
			else if (p.family >= 0 && pl->fam_off[p.family])
				snprintf(why, sizeof(why), "%s", pl->fam_why[p.family]);
			else if (p.slot >= 0 && pl->failed[p.slot][p.backend])
				snprintf(why, sizeof(why), "%s", pl->why[p.slot][p.backend]);
			else if (p.slot >= 0 && pl->chosen[p.slot] >= 0 && pl->chosen[p.slot] != p.backend)
				snprintf(why, sizeof(why), "%s serves it", slots[p.slot].backend[pl->chosen[p.slot]]);
			else
				snprintf(why, sizeof(why), "disabled");
			snprintf(lp->hook + strlen(lp->hook), sizeof(lp->hook) - strlen(lp->hook),
				 loaded ? " (%s)" : " (not loaded: %s)", why);
			continue;
		}
		link = bpf_program__attach(prog);
		if (!link) {
			lp->err = -errno;
			snprintf(bad, bn, "%s", lp->name);
			return lp->err;
		}
		/* the skeleton's links array owns it; record for cleanup */
		bpf_program__set_autoattach(prog, false);
		lp->attached = true;
		l->nattached++;
		for (int i = 0; i < l->skel->skeleton->prog_cnt; i++)
			if (*l->skel->skeleton->progs[i].prog == prog)
				*l->skel->skeleton->progs[i].link = link;
	}
	return 0;
}

/*
 * Open -> configure -> load -> attach, as often as the kernel refuses a
 * program: each refusal marks that program's backend failed (with the
 * verifier's reason) and the next attempt uses the family's next backend,
 * or leaves an optional family out. A refused core program, or a required
 * family with no backend left, stops the start with the hook, the kernel
 * release and the config option to look at.
 */
int loader_open(struct loader *l, const struct loader_opts *o, FILE *log)
{
	struct plan *pl = calloc(1, sizeof(*pl));
	int err = -EINVAL;

	memset(l, 0, sizeof(*l));
	if (!pl) {
		fprintf(log, "bulwark: out of memory\n");
		return -ENOMEM;
	}
	verbose_libbpf = o->verbose;
	libbpf_set_print(libbpf_print);
	kernel_release(l->kernel, sizeof(l->kernel));
	vmlinux_btf = btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		vmlinux_btf = NULL;

	for (int attempt = 0; attempt < 3 * NSLOT + NFAM + 2; attempt++) {
		struct bpf_program *prog;
		char bad[64] = "", why[192] = "", sec[160] = "";

		/* Open BPF application */
		l->skel = bulwark_bpf__open();
		if (!l->skel) {
			err = -errno;
			fprintf(log, "bulwark: cannot open the BPF object: %s\n", strerror(-err));
			goto out;
		}
		if (l->skel->rodata->bw_abi_version != BW_ABI_VERSION) {
			fprintf(log, "bulwark: the BPF object speaks event ABI %u, this program %u; "
				     "rebuild both (make clean all)\n",
				l->skel->rodata->bw_abi_version, BW_ABI_VERSION);
			err = -EPROTO;
			goto fail;
		}
		if (!attempt)
			plan_init(l, pl, l->skel->obj);

		/* Configure before load */
		l->skel->rodata->self_tgid = (uint32_t)getpid();
		l->skel->rodata->capture_all = o->capture_all;
		l->skel->rodata->enforce_kill = o->enforce_kill;
		l->enforce_kill = o->enforce_kill;
		if (o->ringbuf_bytes)
			bpf_map__set_max_entries(l->skel->maps.rb, o->ringbuf_bytes);
		if (o->configure)
			o->configure(l->skel->obj, o->configure_arg);
		plan_apply(pl, l->skel->obj, !attempt);
		plan_report(l, pl);
		guard_configure(l);
		pins_reuse(o->pins, l->skel->obj, log);

		/* Load & verify BPF programs */
		capture_start();
		err = bulwark_bpf__load(l->skel);
		capture_stop();
		if (!err) {
			/* Attach each program on its own, so status can say what is on */
			err = attach_all(l, pl, bad, sizeof(bad));
			if (!err)
				goto out;
			snprintf(why, sizeof(why), "attach: %s", strerror(-err));
		} else if (!blame(bad, sizeof(bad), why, sizeof(why), err)) {
			fprintf(log, "bulwark: the kernel (Linux %s) refused the BPF programs: %s; "
				     "run with --verbose for the verifier log\n", l->kernel, strerror(-err));
			goto fail;
		}
		bpf_object__for_each_program(prog, l->skel->obj)
			if (!strcmp(bpf_program__name(prog), bad))
				snprintf(sec, sizeof(sec), "%s", bpf_program__section_name(prog));
		if (o->verbose)
			fprintf(log, "bulwark: %s (%s) refused: %s; trying without it\n", bad, sec, why);
		err = plan_refuse(pl, bad, sec[0] ? sec : bad, why, l->kernel, log);
		if (err)
			goto fail;
		bulwark_bpf__destroy(l->skel);
		l->skel = NULL;
	}
	fprintf(log, "bulwark: the kernel (Linux %s) kept refusing the BPF programs; "
		     "run with --verbose for the verifier log\n", l->kernel);
	err = -ENOTSUP;
fail:
	loader_close(l);
out:
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
	free(pl);
	return err;
}

/* bulwark's own executable (rodata): processes running it are bulwark to the guard (unload, status). */
static void guard_configure(struct loader *l)
{
	struct stat st;

	if (stat("/proc/self/exe", &st))
		return;
	l->skel->rodata->guard_exe_ino = st.st_ino;
	l->skel->rodata->guard_exe_dev = kernel_dev(st.st_dev);
}

int loader_allow_self(struct loader *l)
{
	struct watch_key_u k = { 0 };
	uint32_t one = 1;

	/* learned by the guard programs from the daemon's own bpf() calls (guard.bpf.h) */
	if (!l->skel->bss->guard_self_ino)
		return -ENOENT;
	k.ino = l->skel->bss->guard_self_ino;
	k.dev = l->skel->bss->guard_self_dev;
	return bpf_map_update_elem(bpf_map__fd(l->skel->maps.allow_exe), &k, &one, BPF_ANY) ? -errno : 0;
}

int loader_pins_objs(struct loader *l, struct pins_objs *po)
{
	struct bpf_object_skeleton *sk = l->skel->skeleton;

	po->obj = l->skel->obj;
	po->n = 0;
	po->links = l->pin_links;
	po->names = l->pin_names;
	for (int i = 0; i < sk->prog_cnt && po->n < LOADER_MAX_PROGS; i++) {
		if (!*sk->progs[i].link)
			continue;
		l->pin_links[po->n] = *sk->progs[i].link;
		l->pin_names[po->n] = sk->progs[i].name;
		po->n++;
	}
	return po->n;
}

void loader_close(struct loader *l)
{
	watchset_clear(&l->trees);
	/* pinned links stay attached: closing our fds must not detach them */
	if (l->skel && l->keep_links) {
		struct bpf_object_skeleton *sk = l->skel->skeleton;

		for (int i = 0; i < sk->prog_cnt; i++)
			if (*sk->progs[i].link)
				bpf_link__disconnect(*sk->progs[i].link);
	}
	if (l->skel)
		bulwark_bpf__destroy(l->skel);
	l->skel = NULL;
}

const char *loader_enforcement(const struct loader *l)
{
	if (!l->protect)
		return "user space only (no --protect trees)";
	if (l->lsm)
		return "bpf-lsm: denied before the operation";
	if (l->fentry)
		return l->enforce_kill ? "fentry: SIGKILL at syscall entry (at most 1 file in flight lost)"
				       : "fentry: report only (--no-kill)";
	return l->enforce_kill ? "tracepoint: SIGKILL at sys_enter (at most 1 file in flight lost)"
			       : "tracepoint: report only (--no-kill)";
}

void loader_backends(const struct loader *l, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < l->nfam && len < n; i++) {
		const struct loader_family *f = &l->fam[i];

		len += (size_t)snprintf(buf + len, n - len, "%s%s: %s%s%s%s", i ? ", " : "", f->name,
					f->backend, f->fallback[0] ? " (" : "", f->fallback,
					f->fallback[0] ? ")" : "");
	}
}

/* Removes every key of a hash or LPM map (next_key walk). */
static void map_clear(int fd, size_t key_size)
{
	char key[512], next[512];

	if (key_size > sizeof(key))
		return;
	while (!bpf_map_get_next_key(fd, NULL, next)) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

void loader_trees_begin(struct loader *l)
{
	/* stop the kernel from using the maps while they are rebuilt */
	l->skel->bss->watch_count = 0;
	l->skel->bss->protect_count = 0;
	map_clear(bpf_map__fd(l->skel->maps.watch_inodes), sizeof(struct watch_key_u));
	map_clear(bpf_map__fd(l->skel->maps.watch_prefixes), sizeof(struct lpm_key_u));
	map_clear(bpf_map__fd(l->skel->maps.watch_devs), sizeof(uint32_t));
	watchset_clear(&l->trees);
	l->nwatch = l->nprotect = 0;
}

#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U
#endif

/*
 * A network or FUSE filesystem: statx of its mount point could block the
 * daemon on a dead server, so such mounts get no verdict (walked through).
 */
static bool remote_fs(const char *line)
{
	static const char *const types[] = { "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph",
					     "9p", "afs", "glusterfs", "lustre", "gfs2", "ocfs2" };
	const char *t = strstr(line, " - ");
	size_t n;

	if (!t)
		return true;
	t += 3;
	n = strcspn(t, " \n");
	if (!strncmp(t, "fuse", 4))
		return true;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i]) == n && !strncmp(t, types[i], n))
			return true;
	return false;
}

/*
 * watch_mounts from this namespace's mount table: for each mount, the bits
 * of the trees that contain its mount point. Mounts that went away are
 * deleted; a shadowed mount is left out (the kernel walks through it).
 */
static int sync_mounts(struct loader *l)
{
	int fd = bpf_map__fd(l->skel->maps.watch_mounts), n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	uint64_t *ids = NULL, key, next;
	size_t nids = 0, cap = 0;
	char *line = NULL, mp[PATH_MAX];
	size_t lcap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &lcap, f) > 0) {
		struct statx stx;
		uint32_t bits;

		if (!watchset_mountinfo_point(line, mp, sizeof(mp)) || remote_fs(line))
			continue;
		if (statx(AT_FDCWD, mp, AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT | AT_SYMLINK_NOFOLLOW,
			  STATX_MNT_ID_UNIQUE, &stx) || !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
			continue;
		bits = watchset_bits(&l->trees, mp);
		if (bpf_map_update_elem(fd, &stx.stx_mnt_id, &bits, BPF_ANY))
			continue; /* full: that mount is walked through */
		if (nids == cap) {
			uint64_t *ni = realloc(ids, (cap = cap ? cap * 2 : 256) * sizeof(*ni));

			if (!ni)
				break;
			ids = ni;
		}
		ids[nids++] = stx.stx_mnt_id;
		n++;
	}
	free(line);
	fclose(f);
	/* drop the mounts that are gone (their ids are never reused) */
	for (int more = !bpf_map_get_next_key(fd, NULL, &key); more;) {
		bool live = false;

		more = !bpf_map_get_next_key(fd, &key, &next);
		for (size_t i = 0; i < nids && !live; i++)
			live = ids[i] == key;
		if (!live)
			bpf_map_delete_elem(fd, &key);
		key = next;
	}
	free(ids);
	return n;
}

int loader_trees_commit(struct loader *l)
{
	int fd_ino = bpf_map__fd(l->skel->maps.watch_inodes);
	int fd_lpm = bpf_map__fd(l->skel->maps.watch_prefixes);
	int fd_dev = bpf_map__fd(l->skel->maps.watch_devs);
	uint32_t nprotect = 0, one = 1;
	int err = 0;

	for (int i = 0; i < l->trees.n; i++) {
		const struct watch_entry *e = &l->trees.e[i];
		uint32_t bits = watchset_bits(&l->trees, e->path);
		struct watch_key_u wk = { .ino = e->ino, .dev = e->dev };
		struct lpm_key_u lk = { 0 };
		size_t n = strlen(e->path);

		if (bits & (LOADER_WATCH_PROTECT | LOADER_WATCH_PROTECT_SESSION))
			nprotect++;
		if (e->has_key && (bpf_map_update_elem(fd_ino, &wk, &bits, BPF_ANY) ||
				   bpf_map_update_elem(fd_dev, &wk.dev, &one, BPF_ANY)))
			err = -errno;
		if (n >= sizeof(lk.path))
			continue; /* by inode only (said when it was added) */
		memcpy(lk.path, e->path, n);
		lk.prefixlen = (uint32_t)n * 8;
		if (bpf_map_update_elem(fd_lpm, &lk, &bits, BPF_ANY))
			err = -errno;
	}
	sync_mounts(l);
	l->nwatch = (uint32_t)l->trees.n;
	l->nprotect = nprotect;
	l->skel->bss->watch_count = l->nwatch;
	l->skel->bss->protect_count = l->nprotect;
	l->protect = l->nprotect > 0;
	return err;
}

int loader_quarantine_fd(struct loader *l)
{
	return bpf_map__fd(l->skel->maps.quarantine);
}

int loader_allow_exe(struct loader *l, const char *pattern)
{
	struct watch_key_u k = { 0 };
	uint32_t one = 1;
	glob_t g;
	int n = 0;

	if (glob(pattern, 0, NULL, &g))
		return 0; /* not installed here */
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct stat st;

		if (stat(g.gl_pathv[i], &st))
			continue;
		k.ino = st.st_ino;
		k.dev = kernel_dev(st.st_dev);
		if (!bpf_map_update_elem(bpf_map__fd(l->skel->maps.allow_exe), &k, &one, BPF_ANY))
			n++;
	}
	globfree(&g);
	return n;
}

struct bpf_object *loader_object(struct loader *l)
{
	return l->skel ? l->skel->obj : NULL;
}

int loader_ringbuf_fd(struct loader *l)
{
	return bpf_map__fd(l->skel->maps.rb);
}

int loader_read_stats(struct loader *l, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->skel->maps.stats);
	uint64_t vals[512];

	if (ncpu <= 0 || ncpu > 512)
		return -EINVAL;
	for (uint32_t i = 0; i < BW_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			return -errno;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

int loader_watch_dir(struct loader *l, const char *dir, uint32_t bits, FILE *log)
{
	char real[PATH_MAX];
	struct stat st = { 0 };
	bool exists = !stat(dir, &st);

	if (!exists) {
		/* a directory that does not exist yet is watched by prefix only */
		if (errno != ENOENT) {
			fprintf(log, "bulwark: cannot watch %s: %s\n", dir, strerror(errno));
			return -errno;
		}
		snprintf(real, sizeof(real), "%s", dir);
	} else if (!realpath(dir, real)) {
		snprintf(real, sizeof(real), "%s", dir);
	}
	if (strlen(real) >= sizeof(((struct lpm_key_u *)0)->path) &&
	    !watchset_has(&l->trees, real) /* said once, not every 2 s */)
		fprintf(log, "bulwark: %s: path longer than %zu bytes is watched by inode only\n",
			real, sizeof(((struct lpm_key_u *)0)->path) - 1);
	return watchset_add(&l->trees, real, exists, st.st_ino, kernel_dev(st.st_dev), bits);
}
