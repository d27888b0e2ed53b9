// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The journal's on-disk format: type codes, Bloom bits, segment/block/record headers, segment names. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "journal/journal.h"
#include "journal/journal_format.h"

/*
 * Stable type codes written in record headers. They equal the enum bw_evt
 * values of today, but are a separate table on purpose: the enum is free to
 * change, the file format is not. Append only; never reuse a code.
 */
static const char *const type_codes[] = {
	[0] = NULL, /* not in this table: look at the JSON "evt.type" */
	[1] = "execve", [2] = "fork", [3] = "exit", [4] = "unlink", [5] = "unlinkat",
	[6] = "rmdir", [7] = "rename", [8] = "renameat", [9] = "renameat2",
	[10] = "truncate", [11] = "ftruncate", [12] = "db_query", [13] = "db_connect",
	[14] = "db_tls", [15] = "kernel_kill", [16] = "drop",
	/* signals and attempts on bulwark; 15 was written as "kill" before (see journal_compat_type) */
	[17] = "kill", [18] = "tkill", [19] = "tgkill", [20] = "pidfd_send_signal",
	[21] = "rt_sigqueueinfo", [22] = "rt_tgsigqueueinfo", [23] = "ptrace", [24] = "bpf",
	[25] = "umount2", [26] = "init_module", [27] = "finit_module", [28] = "bulwark",
	/* issue 11 */
	[29] = "open", [30] = "openat", [31] = "openat2", [32] = "creat", [33] = "fallocate",
	[34] = "io_uring_setup",
};
#define NCODES (sizeof(type_codes) / sizeof(type_codes[0]))

uint8_t journal_type_code(enum bw_evt t)
{
	/* Filled on first use; racing first uses write the same bytes. */
	static uint8_t map[BW_EVT_MAX];
	static volatile int ready;

	if ((unsigned)t >= BW_EVT_MAX)
		return 0;
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < BW_EVT_MAX; i++) {
			const char *n = event_type_name(i);

			map[i] = 0;
			for (unsigned c = 1; c < NCODES; c++)
				if (!strcmp(n, type_codes[c]))
					map[i] = (uint8_t)c;
		}
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	return map[t];
}

/*
 * Journals written before the signal events name the kernel's kills
 * "kill" (code 15); that name now means kill(2). A record of code 15 whose
 * JSON says "kill" is shown as "kernel_kill". Returns the JSON to use:
 * json itself, or buf (cap bytes) holding the rewritten copy.
 */
const char *journal_compat_json(uint8_t code, const char *json, uint32_t *len, char *buf, size_t cap)
{
	static const char old[] = "\"evt.type\":\"kill\"", neu[] = "\"evt.type\":\"kernel_kill\"";
	const char *p;
	size_t off;

	if (code != 15 || *len + sizeof(neu) > cap)
		return json;
	p = memmem(json, *len, old, sizeof(old) - 1);
	if (!p)
		return json;
	off = (size_t)(p - json);
	memcpy(buf, json, off);
	memcpy(buf + off, neu, sizeof(neu) - 1);
	memcpy(buf + off + sizeof(neu) - 1, p + sizeof(old) - 1, *len - off - (sizeof(old) - 1));
	*len += (uint32_t)(sizeof(neu) - sizeof(old));
	return buf;
}

const char *journal_type_code_name(uint8_t code)
{
	return code < NCODES ? type_codes[code] : NULL;
}

uint64_t journal_bloom_bit(uint64_t session)
{
	uint64_t h = session * 0x9E3779B97F4A7C15ull;

	return 1ull << (h >> 58) | 1ull << ((h >> 52) & 63);
}

bool journal_bloom_may_have(uint64_t bloom, uint64_t session)
{
	uint64_t b = journal_bloom_bit(session);

	return (bloom & b) == b;
}

void journal_block_header_write(uint8_t *p, const struct journal_block_info *bi)
{
	memcpy(p, JOURNAL_BLK_MAGIC, 4);
	journal_put_le16(p + 4, JOURNAL_VERSION);
	journal_put_le16(p + 6, JOURNAL_BLK_HDR_LEN);
	journal_put_le32(p + 8, bi->nrec);
	journal_put_le32(p + 12, bi->raw_len);
	journal_put_le32(p + 16, bi->comp_len);
	journal_put_le32(p + 20, bi->type_mask);
	journal_put_le64(p + 24, bi->min_time_ns);
	journal_put_le64(p + 32, bi->max_time_ns);
	journal_put_le64(p + 40, bi->session_bloom);
	journal_put_le16(p + 48, bi->kind_mask);
	journal_put_le16(p + 50, bi->flags);
	journal_put_le32(p + 52, 0);
	journal_put_le32(p + 56, bi->payload_crc);
	journal_put_le32(p + 60, (uint32_t)crc32(0, p, 60));
}

int journal_block_header_parse(const uint8_t *p, struct journal_block_info *bi)
{
	if (memcmp(p, JOURNAL_BLK_MAGIC, 4) || journal_get_le32(p + 60) != (uint32_t)crc32(0, p, 60))
		return -EINVAL;
	bi->nrec = journal_get_le32(p + 8);
	bi->raw_len = journal_get_le32(p + 12);
	bi->comp_len = journal_get_le32(p + 16);
	bi->type_mask = journal_get_le32(p + 20);
	bi->min_time_ns = journal_get_le64(p + 24);
	bi->max_time_ns = journal_get_le64(p + 32);
	bi->session_bloom = journal_get_le64(p + 40);
	bi->kind_mask = journal_get_le16(p + 48);
	bi->flags = journal_get_le16(p + 50);
	bi->payload_crc = journal_get_le32(p + 56);
	if (journal_get_le16(p + 6) != JOURNAL_BLK_HDR_LEN || bi->comp_len > JOURNAL_MAX_BLOCK_RAW)
		return -EINVAL;
	/* Newer blocks keep this header, so they can be skipped by comp_len. */
	if (journal_get_le16(p + 4) > JOURNAL_VERSION)
		return -EPROTO;
	if (bi->raw_len > JOURNAL_MAX_BLOCK_RAW || (uint64_t)bi->nrec * JOURNAL_REC_HDR_LEN > bi->raw_len)
		return -EINVAL;
	return 0;
}

void journal_seg_header_write(uint8_t *p, uint64_t created_ns, uint64_t seq, uint32_t pid,
			      const char *host)
{
	size_t hl = host ? strnlen(host, 63) : 0;

	memset(p, 0, JOURNAL_SEG_HDR_LEN);
	memcpy(p, JOURNAL_SEG_MAGIC, 4);
	journal_put_le16(p + 4, JOURNAL_VERSION);
	journal_put_le16(p + 6, JOURNAL_SEG_HDR_LEN);
	journal_put_le64(p + 8, created_ns);
	journal_put_le64(p + 16, seq);
	journal_put_le32(p + 24, pid);
	if (hl)
		memcpy(p + 32, host, hl);
	journal_put_le32(p + 124, (uint32_t)crc32(0, p, 124));
}

static bool is_segment_name(const char *n)
{
	size_t l = strlen(n);

	return l > 8 && !strncmp(n, "seg-", 4) && !strcmp(n + l - 4, ".bwj");
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void journal_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int journal_list_segments(const char *dir, char ***names, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL, **nv;
	size_t cnt = 0, cap = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_segment_name(de->d_name))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				rc = -ENOMEM;
				goto out;
			}
			v = nv;
		}
		if (!(v[cnt] = strdup(de->d_name))) {
			rc = -ENOMEM;
			goto out;
		}
		cnt++;
	}
	/* Names carry a zero-padded start time, so name order is time order. */
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_names);
out:
	closedir(d);
	if (rc) {
		journal_free_names(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}

int journal_seg_header_check(const uint8_t *p)
{
	if (memcmp(p, JOURNAL_SEG_MAGIC, 4) || journal_get_le32(p + 124) != (uint32_t)crc32(0, p, 124) ||
	    journal_get_le16(p + 6) != JOURNAL_SEG_HDR_LEN)
		return -EINVAL;
	return journal_get_le16(p + 4) > JOURNAL_VERSION ? -EPROTO : 0;
}

void journal_rec_header_write(uint8_t *p, const struct journal_rec *r)
{
	journal_put_le32(p, r->len);
	p[4] = (uint8_t)r->kind;
	p[5] = r->type;
	journal_put_le16(p + 6, 0);
	journal_put_le64(p + 8, r->time_ns);
	journal_put_le64(p + 16, r->session);
	journal_put_le32(p + 24, r->pid);
	journal_put_le32(p + 28, r->ppid);
}

void journal_rec_header_parse(const uint8_t *p, struct journal_rec *r)
{
	r->len = journal_get_le32(p);
	r->kind = p[4];
	r->type = p[5];
	r->time_ns = journal_get_le64(p + 8);
	r->session = journal_get_le64(p + 16);
	r->pid = journal_get_le32(p + 24);
	r->ppid = journal_get_le32(p + 28);
}

int journal_seg_name(char *buf, size_t n, uint64_t start_ns, uint64_t seq)
{
	return snprintf(buf, n, "seg-%020llu-%06llu.bwj", (unsigned long long)start_ns,
			(unsigned long long)seq);
}

bool journal_seg_name_seq(const char *name, uint64_t *seq)
{
	unsigned long long t, q;

	if (sscanf(name, "seg-%llu-%llu.bwj", &t, &q) != 2)
		return false;
	*seq = q;
	return true;
}
