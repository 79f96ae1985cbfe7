/*
 * core/ledger_fmt.h - byte layout of the signed log (internal to core/ledger*).
 *
 * Shared by the writer (ledger.c), the verifier (ledger_verify.c) and the fuzz target,
 * so that the format is parsed in exactly one place. Every parser takes the number of
 * bytes available and checks each length before use. docs/LOG-FORMAT.md is the prose
 * version of this file; keep them in step. All integers are little-endian.
 */
#ifndef HO_CORE_LEDGER_FMT_H
#define HO_CORE_LEDGER_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/ledger.h"
#include "core/merkle.h"

#define HO_SEG_MAGIC "HOLOGSG1"
#define HO_SEG_VERSION 1
#define HO_SEG_HDR_FIXED 40 /* bytes before the peaks */
#define HO_SEG_HDR_MAX (HO_SEG_HDR_FIXED + 64 * 32 + 4)
#define HO_SEG_NAME_LEN 24 /* 20 digits + ".seg" */

#define HO_FRAME_OVERHEAD 9 /* u32 length, u8 type, ..., u32 crc */
#define HO_FRAME_ENTRY 1
#define HO_FRAME_CHECKPOINT 2
#define HO_ENV_LEN 40
#define HO_ENV_VERSION 1
#define HO_FRAME_MAX (HO_ENV_LEN + HO_LEDGER_BODY_MAX) /* largest payload */

typedef struct ho_seg_hdr {
	uint32_t version;
	uint32_t hdr_len;
	uint64_t first_seq;
	uint64_t tree_size;
	uint8_t keyid[4];
	ho_merkle tree; /* compact range at segment start (size == tree_size) */
} ho_seg_hdr;

typedef struct ho_envelope {
	uint8_t version, kind, time_source;
	uint8_t keyid[4];
	uint64_t seq;
	uint32_t boot;
	uint32_t body_len;
	uint64_t mono_ns;
	int64_t utc_ns;
	const uint8_t *body; /* points into the frame */
} ho_envelope;

enum ho_frame_status {
	HO_FRAME_OK = 0,
	HO_FRAME_SHORT = 1,  /* fewer bytes than the frame claims: torn or truncated */
	HO_FRAME_BADLEN = 2, /* length 0 or above the cap */
	HO_FRAME_BADCRC = 3,
	HO_FRAME_BADTYPE = 4,
};

typedef struct ho_frame {
	uint8_t type;
	const uint8_t *payload;
	uint32_t len;
	size_t total; /* bytes the frame occupies */
} ho_frame;

static inline uint32_t ho_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t ho_le64(const uint8_t *p)
{
	return (uint64_t)ho_le32(p) | (uint64_t)ho_le32(p + 4) << 32;
}

static inline void ho_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline void ho_put64(uint8_t *p, uint64_t v)
{
	ho_put32(p, (uint32_t)v);
	ho_put32(p + 4, (uint32_t)(v >> 32));
}

/* Segment header: HO_EFORMAT if bad magic/version/length/CRC or peaks inconsistent. */
int ho_seg_hdr_parse(ho_seg_hdr *h, const uint8_t *buf, size_t len);
size_t ho_seg_hdr_encode(uint8_t *out, size_t cap, const ho_seg_hdr *h);

/* Frame at buf[0..avail). */
enum ho_frame_status ho_frame_parse(ho_frame *f, const uint8_t *buf, size_t avail);
/* Writes a frame around payload into out (cap >= len + HO_FRAME_OVERHEAD). */
size_t ho_frame_encode(uint8_t *out, uint8_t type, const void *payload, uint32_t len);

int ho_env_parse(ho_envelope *e, const uint8_t *p, size_t len);
void ho_env_encode(uint8_t out[static HO_ENV_LEN], const ho_envelope *e);

/* Segment file name for a first sequence number: "%020llu.seg". */
void ho_seg_name(char out[static HO_SEG_NAME_LEN + 1], uint64_t first_seq);
int ho_seg_name_ok(const char *name);

/* Sorted list of segment names in dir (malloc'ed array of malloc'ed strings). */
int ho_seg_list(char ***names, size_t *n, const char *dir, ho_err *err)
    __attribute__((warn_unused_result));
void ho_seg_list_free(char **names, size_t n);

#endif
