/*
 * core/ledger.h - the signed handoff log: append-only, crash-safe, tamper-evident.
 *
 * Every handoff, failed export, sign-in and security event is appended as one entry: a
 * small binary envelope (format version, sequence number, kind, boot counter, monotonic
 * and UTC time with its source, signing key id) around the exact bytes of a DICOM audit
 * message (PS3.15 A.5, built by core/audit.h). Entries are the leaves of one RFC 9162
 * Merkle tree across all segment files; after each entry a C2SP tlog-checkpoint signed
 * with Ed25519 is written, and both are fdatasync'ed before ho_ledger_append returns,
 * so a printed receipt always refers to a durable, signed entry. docs/LOG-FORMAT.md
 * describes the bytes precisely.
 *
 * Ownership: ho_ledger is opaque, created by ho_ledger_open and freed by
 * ho_ledger_close (NULL is a no-op). It is not thread-safe: the job worker owns it.
 * Strings returned by accessors live as long as the ledger. A write or fsync failure
 * puts the ledger in a failed state: every later append fails with HO_ESTATE and a
 * message for the front end; the job must then refuse exports.
 *
 * Typical use by the job: build the audit message with core/audit.h, call
 * ho_ledger_append, and only on success print the receipt (its QR code carries
 * receipt.origin, receipt.seq and receipt.leaf_hash); then ho_atna_enqueue the same
 * bytes and ho_atna_flush (core/atna.h). Before starting an export, ho_ledger_status
 * tells whether the log can take the entry at all.
 */
#ifndef HO_CORE_LEDGER_H
#define HO_CORE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/signer.h"
#include "util/err.h"

/* Entry kinds (envelope byte 1). The audit message says the rest. */
enum ho_ledger_kind {
	HO_LEDGER_EXPORT = 1,           /* DCM 110106 Export, success */
	HO_LEDGER_EXPORT_FAILED = 2,    /* DCM 110106 Export, outcome != 0 */
	HO_LEDGER_AUTH = 3,             /* DCM 110114 User Authentication */
	HO_LEDGER_AUDIT_LOG_USED = 4,   /* DCM 110101 Audit Log Used */
	HO_LEDGER_SECURITY_ALERT = 5,   /* DCM 110113 Security Alert */
	HO_LEDGER_APP_ACTIVITY = 6,     /* DCM 110100 Application Activity */
	HO_LEDGER_MEDIUM_SPOILED = 7,   /* a written medium failed: holds PHI, must go */
	HO_LEDGER_MEDIUM_DESTROYED = 8, /* staff confirmed destruction of a spoiled medium */
	HO_LEDGER_KEY_ROTATION = 9,     /* checkpoint after it is signed by old and new key */
	HO_LEDGER_RECOVERY = 10,        /* torn tail quarantined at start (Security Alert) */
	HO_LEDGER_KIND_MAX = 10,
};

/* Where the UTC time came from (envelope byte 2). */
enum ho_ledger_time_source {
	HO_LEDGER_TIME_UNKNOWN = 0,
	HO_LEDGER_TIME_NTP = 1,      /* kernel clock synchronised (adjtimex: not STA_UNSYNC) */
	HO_LEDGER_TIME_UNSYNCED = 2, /* kernel clock free-running from the RTC */
	HO_LEDGER_TIME_TEST = 3,     /* supplied by the caller (tests, imports) */
};

#define HO_LEDGER_OPTS_VERSION 1

typedef struct ho_ledger_opts {
	unsigned version;     /* HO_LEDGER_OPTS_VERSION */
	const char *origin;   /* checkpoint origin and key name; default
	                         "handoff.kiosk/<hostname>" */
	const char *key_path; /* default <dir>/signing.key */
	ho_signer *signer;    /* external key store instead of key_path; not owned */
	uint64_t segment_max; /* bytes per segment before a new one; default 64 MiB */
	bool read_only;       /* no recovery, no appends (show/report/export) */
	/* For bulk generation in benchmarks only: sign a checkpoint every n entries (and
	 * always at close) and skip fdatasync. A kiosk never sets these. */
	unsigned checkpoint_every;
	bool no_sync;
	/* Test and benchmark hook: entry n is stamped fixed_utc_ns + n * utc_step_ns (step
	 * default 1 s) instead of the system clock. 0 = the system clock. */
	int64_t fixed_utc_ns;
	int64_t utc_step_ns;
} ho_ledger_opts;

#define HO_LEDGER_OPTS_INIT                                                                        \
	{                                                                                          \
		HO_LEDGER_OPTS_VERSION, NULL, NULL, NULL, 0, false, 0, false, 0, 0                 \
	}

#define HO_LEDGER_ORIGIN_MAX 128

/* What an append gives the receipt: enough to find the entry again (QR code). */
typedef struct ho_ledger_receipt {
	uint64_t seq;
	uint64_t tree_size;    /* leaves after this entry */
	uint8_t leaf_hash[32]; /* RFC 9162 leaf hash of the entry: the "entry hash" */
	uint8_t root[32];      /* tree head signed in the checkpoint */
	char origin[HO_LEDGER_ORIGIN_MAX];
} ho_ledger_receipt;

/* What recovery at open found and did. */
typedef struct ho_ledger_recovery {
	bool torn_tail; /* bytes quarantined and cut */
	uint64_t torn_bytes;
	char quarantine[256];    /* file the bytes were copied to */
	bool checkpoint_signed;  /* the last entry had no checkpoint: one was signed */
	bool rotation_completed; /* an interrupted key rotation was finished */
	uint64_t recovery_seq;   /* seq of the recovery entry, 0 if none */
} ho_ledger_recovery;

typedef struct ho_ledger ho_ledger;

/* Opens (creating if needed) the log in dir. A writable open takes an exclusive lock,
 * recovers a torn tail, signs a missing last checkpoint and appends a recovery entry;
 * a new log starts with an Application Activity entry carrying the public key. */
int ho_ledger_open(ho_ledger **out, const char *dir, const ho_ledger_opts *opts, ho_err *err)
    __attribute__((warn_unused_result));

/* Appends one entry whose body is the audit message xml (len bytes, at most
 * HO_LEDGER_BODY_MAX). Returns once entry and checkpoint are on disk. */
#define HO_LEDGER_BODY_MAX (512u * 1024u)
int ho_ledger_append(ho_ledger *l, enum ho_ledger_kind kind, const void *xml, size_t len,
                     ho_ledger_receipt *out, ho_err *err) __attribute__((warn_unused_result));

/* Key rotation: generates a new key (file store) at the configured key path, appends a
 * rotation entry whose checkpoint carries both signatures, then replaces the key file
 * and records the new key in the key history. staff_id names who asked for it. */
int ho_ledger_rotate_key(ho_ledger *l, const char *staff_id, ho_ledger_receipt *out, ho_err *err)
    __attribute__((warn_unused_result));

/* 0 if appends are possible; otherwise HO_ESTATE with the reason in err. */
int ho_ledger_status(const ho_ledger *l, ho_err *err);

const char *ho_ledger_origin(const ho_ledger *l);
uint64_t ho_ledger_size(const ho_ledger *l); /* entries (tree size) */
uint64_t ho_ledger_next_seq(const ho_ledger *l);
const ho_ledger_recovery *ho_ledger_recovery_info(const ho_ledger *l);
const char *ho_ledger_dir(const ho_ledger *l);

/* The verifier key line (C2SP vkey) of the current signing key, for the asset register
 * and `handoff log fingerprint`. */
int ho_ledger_vkey(const ho_ledger *l, char *out, size_t outlen);

/* Writes the latest signed checkpoint to <dir>/checkpoint (atomic) and returns a
 * malloc'ed copy if out is not NULL. */
int ho_ledger_checkpoint(ho_ledger *l, char **out, size_t *outlen, ho_err *err)
    __attribute__((warn_unused_result));

/* Signs arbitrary text (ending in '\n') as a C2SP note with the log key, e.g. the export
 * manifest. *out is malloc'ed. */
int ho_ledger_sign_note(ho_ledger *l, char **out, size_t *outlen, const char *text, size_t len,
                        ho_err *err) __attribute__((warn_unused_result));

void ho_ledger_close(ho_ledger *l);

/* Name of a kind ("export", "auth", ...), static storage. */
const char *ho_ledger_kind_name(unsigned kind);

#endif
