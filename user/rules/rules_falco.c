// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What Falco's rule language names that bulwark does not fill: Falco's
 * fields beyond bulwark's table, and the syscall names Falco knows. A
 * rule naming one loads disabled with a warning, where a name in neither
 * list (a typo) is an error. The syscall names are Linux's (x86-64 and
 * the generic table, as in <asm/unistd_64.h> and <asm-generic/unistd.h>)
 * plus Falco's own meta events (procexit, switch, container...).
 */
#include <stdlib.h>
#include <string.h>
#include "rules/rules_int.h"

/* Sorted for bsearch. */
static const char *const syscall_names[] = {
	"_llseek", "_sysctl", "accept", "accept4", "access", "acct", "add_key", "adjtimex",
	"afs_syscall", "alarm", "arch_prctl", "asyncevent", "bind", "bpf", "brk", "capget", "capset",
	"chdir", "chmod", "chown", "chown32", "chroot", "clock_adjtime", "clock_getres",
	"clock_gettime", "clock_nanosleep", "clock_settime", "clone", "clone3", "close",
	"close_range", "connect", "container", "container_json", "copy_file_range", "cpu_hotplug",
	"creat", "create_module", "delete_module", "dup", "dup2", "dup3", "epoll_create",
	"epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait",
	"epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group",
	"faccessat", "faccessat2", "fadvise64", "fallocate", "fanotify_init", "fanotify_mark",
	"fchdir", "fchmod", "fchmodat", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64",
	"fdatasync", "fgetxattr", "finit_module", "flistxattr", "flock", "fork", "fremovexattr",
	"fsconfig", "fsetxattr", "fsmount", "fsopen", "fspick", "fstat", "fstat64", "fstatat64",
	"fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex", "futex_waitv",
	"futimesat", "get_kernel_syms", "get_mempolicy", "get_robust_list", "get_thread_area",
	"getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid", "geteuid32",
	"getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername", "getpgid",
	"getpgrp", "getpid", "getpmsg", "getppid", "getpriority", "getrandom", "getresgid",
	"getresgid32", "getresuid", "getresuid32", "getrlimit", "getrusage", "getsid", "getsockname",
	"getsockopt", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr", "groupadded",
	"groupdeleted", "infra", "init_module", "inotify_add_watch", "inotify_init", "inotify_init1",
	"inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup",
	"io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ioctl", "ioperm",
	"iopl", "ioprio_get", "ioprio_set", "ipc", "k8s", "kcmp", "kexec_file_load", "kexec_load",
	"keyctl", "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	"lchown", "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr",
	"lookup_dcookie", "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise",
	"mbind", "membarrier", "memfd_create", "memfd_secret", "mesos", "migrate_pages", "mincore",
	"mkdir", "mkdirat", "mknod", "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2",
	"modify_ldt", "mount", "mount_setattr", "move_mount", "move_pages", "mprotect",
	"mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend", "mq_unlink",
	"mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall", "munmap",
	"name_to_handle_at", "nanosleep", "newfstatat", "nfsservctl", "nice", "notification",
	"old_select", "oldumount", "open", "open_by_handle_at", "open_tree", "openat", "openat2",
	"page_fault", "pause", "perf_event_open", "personality", "pidfd_getfd", "pidfd_open",
	"pidfd_send_signal", "pipe", "pipe2", "pivot_root", "pkey_alloc", "pkey_free",
	"pkey_mprotect", "pluginevent", "poll", "ppoll", "prctl", "pread64", "preadv", "preadv2",
	"prlimit64", "process_madvise", "process_mrelease", "process_vm_readv", "process_vm_writev",
	"procexit", "procinfo", "pselect6", "ptrace", "putpmsg", "pwrite64", "pwritev", "pwritev2",
	"query_module", "quotactl", "quotactl_fd", "read", "readahead", "readlink", "readlinkat",
	"readv", "reboot", "recv", "recvfrom", "recvmmsg", "recvmsg", "remap_file_pages",
	"removexattr", "rename", "renameat", "renameat2", "request_key", "restart_syscall", "rmdir",
	"rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn",
	"rt_sigsuspend", "rt_sigtimedwait", "rt_tgsigqueueinfo", "scapevent",
	"sched_get_priority_max", "sched_get_priority_min", "sched_getaffinity", "sched_getattr",
	"sched_getparam", "sched_getscheduler", "sched_rr_get_interval", "sched_setaffinity",
	"sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "security",
	"select", "semctl", "semget", "semop", "semtimedop", "send", "sendfile", "sendfile64",
	"sendmmsg", "sendmsg", "sendto", "set_mempolicy", "set_mempolicy_home_node",
	"set_robust_list", "set_thread_area", "set_tid_address", "setdomainname", "setfsgid",
	"setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32",
	"sethostname", "setitimer", "setns", "setpgid", "setpriority", "setregid", "setregid32",
	"setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
	"setsid", "setsockopt", "settimeofday", "setuid", "setuid32", "setxattr", "shmat", "shmctl",
	"shmdt", "shmget", "shutdown", "sigaction", "sigaltstack", "signal", "signaldeliver",
	"signalfd", "signalfd4", "sigpending", "sigprocmask", "sigreturn", "sigsuspend", "socket",
	"socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx",
	"swapoff", "swapon", "switch", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
	"sysdigevent", "sysfs", "sysinfo", "syslog", "tee", "tgkill", "time", "timer_create",
	"timer_delete", "timer_getoverrun", "timer_gettime", "timer_settime", "timerfd_create",
	"timerfd_gettime", "timerfd_settime", "times", "tkill", "tracer", "truncate", "truncate64",
	"tuxcall", "ugetrlimit", "umask", "umount", "umount2", "uname", "unlink", "unlinkat",
	"unshare", "uselib", "useradded", "userdeleted", "userfaultfd", "ustat", "utime", "utimensat",
	"utimes", "vfork", "vhangup", "vmsplice", "vserver", "wait4", "waitid", "waitpid", "write",
	"writev",
};

/* Fields of Falco's syscall source that bulwark does not capture. */
static const char *const falco_unavailable[] = {
	"evt.abspath", "evt.abspath.dst", "evt.abspath.src", "evt.args", "evt.around",
	"evt.asynctype", "evt.buffer", "evt.buflen", "evt.category", "evt.count", "evt.count.error",
	"evt.count.error.file", "evt.count.error.memory", "evt.count.error.net",
	"evt.count.error.other", "evt.count.exit", "evt.cpu", "evt.datetime", "evt.datetime.s",
	"evt.deltatime", "evt.deltatime.ns", "evt.deltatime.s", "evt.hostname", "evt.info",
	"evt.io_dir", "evt.is_async", "evt.is_io", "evt.is_io_read", "evt.is_io_write",
	"evt.is_open_create", "evt.is_open_exec", "evt.is_open_read", "evt.is_open_write",
	"evt.is_syslog", "evt.is_wait", "evt.latency", "evt.latency.human", "evt.latency.ns",
	"evt.latency.s", "evt.outputtime", "evt.plugininfo", "evt.pluginname", "evt.rawtime",
	"evt.rawtime.ns", "evt.rawtime.s", "evt.reltime", "evt.reltime.ns", "evt.reltime.s",
	"evt.source", "evt.time.iso8601", "evt.time.s", "evt.type.is", "evt.wait_latency",
	"evtin.span.arg", "evtin.span.args", "evtin.span.id", "evtin.span.m.args", "evtin.span.m.id",
	"evtin.span.m.tags", "evtin.span.p.args", "evtin.span.p.id", "evtin.span.p.tags",
	"evtin.span.s.args", "evtin.span.s.id", "evtin.span.s.tags", "evtin.span.tag",
	"evtin.span.tags", "evtin.span.time", "fd.cip", "fd.cip.name", "fd.cnet", "fd.connected",
	"fd.containerdirectory", "fd.containername", "fd.cport", "fd.cproto", "fd.dev",
	"fd.dev.major", "fd.dev.minor", "fd.ino", "fd.ip", "fd.is_lower_layer", "fd.is_server",
	"fd.is_upper_layer", "fd.l4proto", "fd.lip", "fd.lip.name", "fd.lnet", "fd.lport",
	"fd.lproto", "fd.name_changed", "fd.nameraw", "fd.net", "fd.port", "fd.proto",
	"fd.rip", "fd.rip.name", "fd.rnet", "fd.rport", "fd.rproto", "fd.sip", "fd.sip.name",
	"fd.snet", "fd.sockfamily", "fd.sport", "fd.sproto", "fd.types",
	"fd.uid", "fdlist.cips", "fdlist.cports", "fdlist.names", "fdlist.nums", "fdlist.sips",
	"fdlist.sports", "proc.acmdline", "proc.aenv", "proc.cmdlenargs", "proc.cmdnargs",
	"proc.duration", "proc.exe_ino", "proc.exe_ino.ctime",
	"proc.exe_ino.ctime_duration_pidns_start", "proc.exe_ino.ctime_duration_proc_start",
	"proc.exe_ino.mtime", "proc.exeline", "proc.fdlimit", "proc.fdopencount", "proc.fdusage",
	"proc.is_container_healthcheck", "proc.is_container_liveness_probe",
	"proc.is_container_readiness_probe", "proc.is_exe_lower_layer",
	"proc.is_exe_writable", "proc.loginshellid", "proc.nchilds",
	"proc.nthreads", "proc.pfmajor", "proc.pfminor", "proc.pid.ts", "proc.pidns_init_start_ts",
	"proc.ppid.duration", "proc.ppid.ts", "proc.pvpid", "proc.sid.exe", "proc.sid.exepath",
	"proc.sname", "proc.stderr.name", "proc.stderr.type", "proc.stdin.name", "proc.stdin.type",
	"proc.stdout.name", "proc.stdout.type", "proc.vmrss", "proc.vmsize", "proc.vmswap",
	"proc.vpgid.exe", "proc.vpgid.exepath", "proc.vpgid.name", "span.arg", "span.args",
	"span.duration", "span.duration.human", "span.enterarg", "span.enterargs", "span.id",
	"span.parentid", "span.tag", "span.tags", "span.time", "syscall.type", "thread.cgroup", "thread.cgroups",
	"thread.cpu", "thread.cpu.system", "thread.cpu.user", "thread.exectime", "thread.ismain",
	"thread.nametid", "thread.pfmajor", "thread.pfminor", "thread.tid", "thread.totexectime",
	"thread.vmrss", "thread.vmrss.b", "thread.vmsize", "thread.vmsize.b", "thread.vtid",
	"user.homedir", "user.shell",
};

/* container.* fields other than id and name: absent for a host process in
 * Falco, and bulwark reports every process as the host's. */
static const char *const falco_host_absent[] = {
	"container.cni.json", "container.duration", "container.full_id", "container.healthcheck",
	"container.host_ipc", "container.host_network", "container.host_pid", "container.image",
	"container.image.digest", "container.image.id", "container.image.repository",
	"container.image.tag", "container.ip", "container.label", "container.labels",
	"container.liveness_probe", "container.mount", "container.mount.dest", "container.mount.mode",
	"container.mount.propagation", "container.mount.rdwr", "container.mount.source",
	"container.mounts", "container.privileged", "container.readiness_probe", "container.start_ts",
	"container.type", "container.user",
};

struct key { const char *s; size_t n; };

static int key_cmp(const void *k, const void *e)
{
	const struct key *a = k;
	const char *b = *(const char *const *)e;
	size_t bl = strlen(b);
	int c = memcmp(a->s, b, a->n < bl ? a->n : bl);

	return c ? c : (a->n > bl) - (a->n < bl);
}

static const char *find(const char *const *tab, size_t n, const char *s, size_t len)
{
	struct key k = { s, len };
	const char *const *hit = bsearch(&k, tab, n, sizeof(*tab), key_cmp);

	return hit ? *hit : NULL;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *rl_syscall_known(const char *name, size_t len)
{
	return find(syscall_names, NELEM(syscall_names), name, len);
}

int rl_falco_field_class(const char *name, size_t len)
{
	const char *lb = memchr(name, '[', len);
	size_t base = lb ? (size_t)(lb - name) : len;

	if (base > 8 && !memcmp(name, "evt.arg.", 8))
		return RL_FALCO_UNAVAILABLE;  /* an argument bulwark does not fill */
	if (base > 11 && !memcmp(name, "evt.rawarg.", 11))
		return RL_FALCO_UNAVAILABLE;
	if ((base > 4 && !memcmp(name, "k8s.", 4)) || (base > 8 && !memcmp(name, "k8smeta.", 8)))
		return RL_FALCO_HOST_ABSENT;  /* Kubernetes metadata: none on a host */
	if (find(falco_host_absent, NELEM(falco_host_absent), name, base))
		return RL_FALCO_HOST_ABSENT;
	if (find(falco_unavailable, NELEM(falco_unavailable), name, base))
		return RL_FALCO_UNAVAILABLE;
	/* indexed forms of fields bulwark has, past what it keeps: proc.aname[20], evt.arg[0] */
	if (lb && (!strncmp(name, "proc.a", 6) || !strncmp(name, "evt.arg", 7) ||
		   !strncmp(name, "evt.rawarg", 10)))
		return RL_FALCO_UNAVAILABLE;
	return 0;
}
