// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The words of the gap alert: when the monitor was down and what is known of who stopped it. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "kernel/pins.h"

static void when(uint64_t boot_ns, uint64_t boot_to_real_ns, char *buf, size_t n)
{
	time_t t = (time_t)((boot_ns + boot_to_real_ns) / 1000000000ull);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, n, "?");
}

static const char *sig_name(uint32_t s)
{
	static const char *const names[] = { [1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT",
		[6] = "SIGABRT", [9] = "SIGKILL", [15] = "SIGTERM", [19] = "SIGSTOP", [10] = "SIGUSR1",
		[12] = "SIGUSR2", [11] = "SIGSEGV", [18] = "SIGCONT", [20] = "SIGTSTP" };

	return s < sizeof(names) / sizeof(names[0]) && names[s] ? names[s] : "signal";
}

void pins_gap_text(const struct bw_guard_state *old, uint64_t now_boot_ns, uint64_t boot_to_real_ns,
		   uint64_t lost, char *buf, size_t n)
{
	char t1[32], t2[32], t3[32], comm[BW_COMM_LEN + 1];
	uint64_t secs = now_boot_ns > old->alive_ns ? (now_boot_ns - old->alive_ns) / 1000000000ull : 0;
	size_t len;

	when(old->alive_ns, boot_to_real_ns, t1, sizeof(t1));
	when(now_boot_ns, boot_to_real_ns, t2, sizeof(t2));
	len = (size_t)snprintf(buf, n, "monitor was down from %s to %s (%llus); the daemon was pid %u; ",
			       t1, t2, (unsigned long long)secs, old->daemon_tgid);
	if (len >= n)
		return;
	memcpy(comm, old->last_sig_comm, BW_COMM_LEN);
	comm[BW_COMM_LEN] = 0;
	for (char *c = comm; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')
			*c = '?';
	/* a signal noted by the kernel within 2 s of the last heartbeat is what stopped it */
	if (old->last_sig && old->last_sig_ns + 2000000000ull >= old->alive_ns) {
		when(old->last_sig_ns, boot_to_real_ns, t3, sizeof(t3));
		len += (size_t)snprintf(buf + len, n - len,
					"stopped by %s (%u) from %s (pid %u, uid %u, loginuid %d, session %d) at %s",
					sig_name(old->last_sig), old->last_sig, comm, old->last_sig_pid,
					old->last_sig_uid, (int)old->last_sig_loginuid,
					(int)old->last_sig_session, t3);
	} else if (old->stop_sig) {
		len += (size_t)snprintf(buf + len, n - len, "it stopped cleanly on %s from pid %u",
					sig_name(old->stop_sig), old->stop_pid);
	} else {
		len += (size_t)snprintf(buf + len, n - len, "no signal to it was seen: it crashed, was "
					"killed by the kernel (OOM) or hung");
	}
	if (len < n)
		snprintf(buf + len, n - len, "%s; kernel enforcement stayed pinned; %llu records lost "
			 "to a full ring buffer while down", old->stop_sig && old->last_sig &&
			 old->last_sig_ns + 2000000000ull >= old->alive_ns ? " (clean stop)" : "",
			 (unsigned long long)lost);
}
