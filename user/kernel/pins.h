/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Pins: bulwark's links and enforcing maps in bpffs, so enforcement outlives the daemon; takeover and unload. */
#ifndef BULWARK_PINS_H
#define BULWARK_PINS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "bulwark_abi.h"

struct bpf_object;
struct bpf_link;

/* What a generation pins: its object (maps) and its attached links. */
struct pins_objs {
	struct bpf_object *obj;
	struct bpf_link **links;   /* attached links */
	const char **names;        /* their programs' names */
	int n;
};

#define PINS_DEFAULT_DIR "/sys/fs/bpf/bulwark"

/*
 * The pin dir of one daemon. Layout: DIR/links/<program>, DIR/maps/<map>.
 * The daemon holds an exclusive flock on DIR for its whole life: a second
 * daemon on the same DIR fails at once, `bulwark unload` knows whether a
 * daemon is there.
 */
struct pins {
	char dir[PATH_MAX];        /* "" when pinning is off (--no-pin) */
	int dirfd;                 /* open and flocked, -1 when off */
	bool found;                /* DIR held pins when we started */
	bool compatible;           /* ... of this ABI: their maps are reused (takeover) */
	char why[320];             /* found && !compatible: what was wrong with them */
	bool have_old;             /* old holds the previous daemon's state */
	struct bw_guard_state old; /* the guard state the previous daemon left */
	uint64_t took_over_ns;     /* boot ns of the takeover (the end of the gap) */
	int nlinks, nmaps;         /* pinned by pins_commit */
	bool lost;                 /* the pins vanished (unmounted, removed) and could not be restored */
	char mnt[PATH_MAX];        /* mount point of the bpffs holding dir */
	uint64_t started_ns;       /* boot ns this daemon started */
};

/*
 * Opens (creates) DIR, which must be on a bpf filesystem, and locks it.
 * -EBUSY: another daemon holds it (the message names its pid). Reads what
 * an earlier daemon left and whether it can be reused. 0 or -errno.
 */
int pins_open(struct pins *p, const char *dir, FILE *log);
void pins_close(struct pins *p);

/* Before load: reuse the pinned ring, stats, quarantine and guard state (takeover). */
void pins_reuse(struct pins *p, struct bpf_object *obj, FILE *log);

/*
 * After every program is attached and the maps are filled: pins this
 * generation's links and maps, replacing the old ones atomically (rename
 * over them), and removes pins of programs this build does not have. The
 * old links detach as their last pin goes: enforcement never stops.
 * Fills the guard maps (daemon pids, object ids, paths). 0 or -errno.
 */
int pins_commit(struct pins *p, const struct pins_objs *o, FILE *log);

/*
 * Each second: the daemon's heartbeat into the guard state; re-pins what
 * was removed. 0, 1 when the pins had vanished and were pinned again, or
 * -errno when they could not be (p->lost).
 */
int pins_tick(struct pins *p, const struct pins_objs *o, uint64_t drops_reported, FILE *log);

/* Reads the live guard state (pid of `bulwark unload` asking, last signal...). 0 or -errno. */
int pins_state(struct bpf_object *obj, struct bw_guard_state *st);

/* The daemon stops on a signal: keep the pins, note who stopped it. */
void pins_note_stop(struct bpf_object *obj, uint32_t sig, uint32_t pid);

/*
 * Removes every pin under dir and the dirs: the links detach, the maps go
 * with them. Counts in *nlinks, *nmaps. 0 or -errno (message in err).
 */
int pins_remove(const char *dir, int *nlinks, int *nmaps, char *err, size_t errlen);

/*
 * `bulwark unload` with a daemon running: asks it through the pinned
 * guard state, then waits up to timeout_ms for it to let go of DIR.
 * 0 when the daemon released it, -ETIMEDOUT, or -errno.
 */
int pins_request_unload(const char *dir, uint32_t pid, int timeout_ms, char *err, size_t errlen);

/* Reads the pinned guard state of dir (no daemon needed). 0 or -errno. */
int pins_read_state(const char *dir, struct bw_guard_state *st);

/*
 * The text of the gap alert: "monitor was down from T1 to T2 (N s); ..."
 * with what is known of who stopped it. Pure: unit tested.
 */
void pins_gap_text(const struct bw_guard_state *old, uint64_t now_boot_ns, uint64_t boot_to_real_ns,
		   uint64_t lost, char *buf, size_t n);

#endif /* BULWARK_PINS_H */
