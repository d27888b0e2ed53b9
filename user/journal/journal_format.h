/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Journal folder only: the on-disk layout (docs/journal.md) and the encoders and decoders of its headers. */
#ifndef BULWARK_JOURNAL_FORMAT_H
#define BULWARK_JOURNAL_FORMAT_H

#include <stdint.h>
#include "journal/journal.h"

/* Format version 1. All integers little-endian. */

#define JOURNAL_VERSION        1
#define JOURNAL_SEG_MAGIC      "BWJ1"
#define JOURNAL_SEG_HDR_LEN    128
#define JOURNAL_BLK_MAGIC      "BWB1"
#define JOURNAL_BLK_HDR_LEN    64
/* block flags: the payload is raw deflate (RFC 1951) without the zlib wrapper */
#define JOURNAL_BLK_F_RAW      0x0001u
#define JOURNAL_REC_HDR_LEN    32
#define JOURNAL_MAX_BLOCK_RAW  (64u << 20)  /* readers reject larger lengths */

/* Validates a block header (magic, CRC, version, lengths). 0, -EINVAL, or -EPROTO (newer version). */
int journal_block_header_parse(const uint8_t *p, struct journal_block_info *bi);
/* Writes the 64-byte block header for bi (including its payload_crc). */
void journal_block_header_write(uint8_t *p, const struct journal_block_info *bi);
/* Writes a segment header; host is cut to 63 bytes. */
void journal_seg_header_write(uint8_t *p, uint64_t created_ns, uint64_t seq, uint32_t pid,
			      const char *host);

static inline void journal_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}

static inline void journal_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void journal_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t journal_get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t journal_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t journal_get_le64(const uint8_t *p)
{
	return (uint64_t)journal_get_le32(p) | (uint64_t)journal_get_le32(p + 4) << 32;
}

/* Checks a segment header (magic, CRC, length). 0, -EINVAL, or -EPROTO (newer version). */
int journal_seg_header_check(const uint8_t *p);

/* Writes the 32-byte header of a record that carries r->len bytes of JSON. */
void journal_rec_header_write(uint8_t *p, const struct journal_rec *r);
/* Reads a record header into r (kind, type, time, session, pid, ppid, len); json follows it. */
void journal_rec_header_parse(const uint8_t *p, struct journal_rec *r);

/* Segment file name: seg-<20-digit start ns>-<6+ digit seq>.bwj (name order = time order). */
int journal_seg_name(char *buf, size_t n, uint64_t start_ns, uint64_t seq);
/* The sequence number of a segment file name; false if it is not one. */
bool journal_seg_name_seq(const char *name, uint64_t *seq);

/* Old journals' "kill" (code 15) shown as "kernel_kill": json, or buf holding a rewritten copy. */
const char *journal_compat_json(uint8_t code, const char *json, uint32_t *len, char *buf, size_t cap);

#endif /* BULWARK_JOURNAL_FORMAT_H */
