/*
 * core/ledger_verify.h - reading and verifying the signed log, for `handoff log verify`,
 * the auditor's standalone `handoff-verify`, and the show/report/export commands.
 *
 * Verification needs only the kiosk's public key (from the asset register, not from the
 * medium being audited) and optionally the checkpoint the auditor kept from the last
 * audit. It checks every frame's CRC, every envelope, sequence continuity, the segment
 * headers, the key id of every entry, every checkpoint's tree size and root against the
 * recomputed RFC 9162 tree, the signature of the latest checkpoint (and both signatures
 * of every key rotation), and the consistency of the log with the kept checkpoint, which
 * detects truncation and rewrites. It reads each segment once through mmap and hashes
 * each entry once.
 *
 * The walker and verifier never write. The result's strings are owned by the result and
 * freed by ho_ledger_verify_result_free. Entry pointers given to callbacks are valid only
 * during the call.
 */
#ifndef HO_CORE_LEDGER_VERIFY_H
#define HO_CORE_LEDGER_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/note.h"
#include "util/err.h"

typedef struct ho_ledger_entry {
	const char *segment; /* file name of the segment */
	uint64_t offset;     /* byte offset of the frame in the segment */
	uint64_t index;      /* leaf index (0-based) */
	uint8_t kind, time_source;
	uint8_t keyid[4];
	uint64_t seq;
	uint32_t boot;
	uint64_t mono_ns;
	int64_t utc_ns;
	const uint8_t *body; /* the audit message XML, not NUL-terminated */
	size_t body_len;
	uint8_t leaf_hash[32];
} ho_ledger_entry;

/* Return non-zero to stop the walk (that value is returned). */
typedef int (*ho_ledger_walk_fn)(void *ctx, const ho_ledger_entry *e);

#define HO_LEDGER_VERIFY_OPTS_VERSION 1

typedef struct ho_ledger_verify_opts {
	unsigned version;
	const ho_note_verifier *keys; /* trusted verifier keys (at least one to verify) */
	size_t n_keys;
	const char *kept; /* checkpoint kept from the last audit, or NULL */
	size_t kept_len;
	bool all_signatures;  /* verify the signature of every checkpoint (slow) */
	bool structure_only;  /* walk: no signature needed (show/report) */
	ho_ledger_walk_fn fn; /* called for every entry, in order */
	void *ctx;
} ho_ledger_verify_opts;

#define HO_LEDGER_VERIFY_OPTS_INIT                                                                 \
	{                                                                                          \
		HO_LEDGER_VERIFY_OPTS_VERSION, NULL, 0, NULL, 0, false, false, NULL, NULL          \
	}

typedef struct ho_ledger_verify_result {
	bool ok;
	uint64_t segments, entries, checkpoints, rotations, bytes;
	uint64_t first_seq, last_seq;
	uint64_t tree_size;
	uint8_t root[32];
	char origin[HO_NOTE_NAME_MAX];
	char *checkpoint; /* latest signed checkpoint note (keep it for next audit) */
	size_t checkpoint_len;
	char signer[HO_NOTE_VKEY_MAX]; /* vkey that signed the latest checkpoint */
	/* Where the first problem is (when !ok). */
	char bad_segment[64];
	uint64_t bad_offset;
	uint64_t bad_frame; /* frame number within the segment, from 0 */
	uint64_t bad_seq;   /* sequence number of the entry concerned, 0 if none */
	char problem[640];
} ho_ledger_verify_result;

/* 0 if the log verifies; HO_EVERIFY if it does not (res->problem and err say where and
 * what); other HO_E* codes for I/O errors. */
int ho_ledger_verify(ho_ledger_verify_result *res, const char *dir,
                     const ho_ledger_verify_opts *opts, ho_err *err)
    __attribute__((warn_unused_result));

void ho_ledger_verify_result_free(ho_ledger_verify_result *res);

/* Structure-only walk over all entries (CRCs, envelopes, sequence), no keys needed. */
int ho_ledger_walk(const char *dir, ho_ledger_walk_fn fn, void *ctx, ho_err *err)
    __attribute__((warn_unused_result));

/* Finds ParticipantObjectDetail@type == type in an audit message and decodes its
 * base64 value into out (NUL-terminated). 0 if found. */
int ho_ledger_xml_detail(char *out, size_t outlen, const uint8_t *xml, size_t len,
                         const char *type);

/* A few fields of an audit message for tables and reports, found by plain string search
 * in the bytes our own builders produce (not a general XML parser). Values are
 * unescaped and truncated to fit. */
typedef struct ho_ledger_summary {
	char event_code[16]; /* EventID csd-code, "110106" */
	char event[48];      /* EventID originalText */
	char type[64];       /* first EventTypeCode originalText */
	int outcome;         /* EventOutcomeIndicator */
	char user[64];       /* UserID of the requesting participant */
	char patient[80];    /* ParticipantObjectID of the patient (role 1) */
	unsigned studies;    /* participant objects that are studies */
	char medium[64];     /* destination media UserID */
	char desc[160];      /* EventOutcomeDescription */
} ho_ledger_summary;

void ho_ledger_summarize(ho_ledger_summary *s, const uint8_t *xml, size_t len);

/* Reads a verifier key file (one vkey line) with a size cap. */
int ho_ledger_read_vkey(ho_note_verifier *v, const char *path, ho_err *err)
    __attribute__((warn_unused_result));

#endif
