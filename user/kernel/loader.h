/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Loader: checks the host, mounts what is missing, loads and attaches the BPF programs. */
#ifndef BULWARK_LOADER_H
#define BULWARK_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "kernel/watchset.h"

struct bulwark_bpf;
struct bpf_object;

#define LOADER_MAX_PROGS 160
#define LOADER_MAX_FAMILIES 12

struct loader_prog {
	char name[64];       /* BPF program name */
	char hook[224];       /* section: tp/syscalls/sys_enter_unlinkat ... */
	bool attached;       /* attach succeeded */
	int err;             /* -errno of the failed attach */
};

/*
 * What serves one hook family on this kernel: the backend chosen (best
 * first: BPF-LSM, fentry/fexit or BTF tracepoints, syscall tracepoints)
 * and, when it is not the best one, what fell back and why.
 */
struct loader_family {
	char name[32];       /* "files", "db stream", ... */
	char backend[96];    /* "fentry/fexit __x64_sys_*", "off", ... */
	char fallback[256];  /* "" or "fentry: Operation not permitted" ... */
	bool on;             /* programs of this family are attached */
};

struct loader_opts {
	uint32_t ringbuf_bytes;  /* ring buffer size, power of two */
	bool capture_all;        /* file events of every process, not only sessions */
	bool verbose;            /* libbpf debug output */
	bool enforce_kill;       /* false with --no-kill: the kernel reports, never kills */
	/* Called after open, before load: a module sets its programs' autoload/autoattach
	 * and map sizes. Programs left with autoattach off are attached by that module. */
	void (*configure)(struct bpf_object *obj, void *arg);
	void *configure_arg;
};

/* Bits of a watched directory (the kernel's BW_WATCH_*). */
#define LOADER_WATCH_CAPTURE 1u
#define LOADER_WATCH_PROTECT 2u
#define LOADER_WATCH_PROTECT_SESSION 4u

struct loader {
	struct bulwark_bpf *skel;
	struct loader_prog progs[LOADER_MAX_PROGS];
	int nprogs;
	int nattached;
	struct loader_family fam[LOADER_MAX_FAMILIES];
	int nfam;
	char kernel[96];        /* uname release, for messages */
	bool lsm;               /* BPF-LSM deny path active */
	bool lsm_probed;        /* the probe ran */
	char lsm_why[256];      /* why BPF-LSM is not in use */
	bool fentry;            /* deletion family on fentry/fexit, no syscall tracepoint */
	bool protect;           /* protected trees configured */
	struct watchset trees;  /* what the watch_* maps are built from */
	uint32_t nwatch;        /* watched trees in the kernel maps */
	uint32_t nprotect;      /* of which protected */
	bool enforce_kill;      /* kills enabled */
};

/* "bpf-lsm (deny before the operation)", "tracepoint-sigkill (...)" or "none". */
const char *loader_enforcement(const struct loader *l);

/* One line for the ready message: "files fentry/fexit ..., db stream fexit ... (why)". */
void loader_backends(const struct loader *l, char *buf, size_t n);

/* fd of the kernel quarantine map (session ids being killed). */
int loader_quarantine_fd(struct loader *l);

/* Puts an executable (path or glob) on the kernel's allowlist. */
int loader_allow_exe(struct loader *l, const char *pattern);

/*
 * Checks root, BTF, that BPF is enabled and not locked down, and mounts
 * tracefs/bpffs if missing (telling log). 0 or -errno.
 */
int loader_check_host(FILE *log);

/* Opens, configures, loads and attaches. Errors say what to do. 0 or -errno. */
int loader_open(struct loader *l, const struct loader_opts *o, FILE *log);
void loader_close(struct loader *l);

/* The loaded BPF object, for modules that fill their own maps and attach their own programs. */
struct bpf_object *loader_object(struct loader *l);

/* fd of the events ring buffer. */
int loader_ringbuf_fd(struct loader *l);

/* Sums the per-CPU stats map into out[BW_STAT_MAX]. */
int loader_read_stats(struct loader *l, uint64_t *out);

/*
 * The watched/protected trees: begin (clears everything), watch_dir...,
 * commit (writes the kernel maps). watch_dir + commit without begin adds
 * to the set: directories created since, new mounts. Commit gives each
 * tree the bits of the trees around it and rebuilds the mount verdicts.
 */
void loader_trees_begin(struct loader *l);
int loader_trees_commit(struct loader *l);

/* Adds a directory (its real path and, if it exists, its inode) with bits. */
int loader_watch_dir(struct loader *l, const char *dir, uint32_t bits, FILE *log);

#endif /* BULWARK_LOADER_H */
