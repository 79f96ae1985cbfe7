/*
 * burn/manifest.h - the list of files that belong on a medium, with sizes and SHA-256.
 *
 * Built from the staging tree before writing, checked against the medium after. Its
 * canonical text form (docs/MEDIA.md) is
 *     <sha256 hex> SP <size decimal> SP <path> LF
 * sorted by path (bytewise), paths relative to the medium root, '/'-separated. The
 * manifest digest is SHA-256 over that text; it goes into the log and the receipt QR.
 *
 * Memory: entries are owned by the manifest and valid until ho_manifest_free.
 */
#ifndef HO_BURN_MANIFEST_H
#define HO_BURN_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ho_manifest ho_manifest;

typedef struct ho_manifest_entry {
	const char *path; /* relative, '/'-separated */
	uint64_t size;
	uint8_t sha256[32];
} ho_manifest_entry;

/* Walks root (no symlinks followed; a symlink is an error) and hashes every file. */
int ho_manifest_from_dir(ho_manifest **out, const char *root, ho_err *err)
	__attribute__((warn_unused_result));

size_t ho_manifest_count(const ho_manifest *m);
const ho_manifest_entry *ho_manifest_get(const ho_manifest *m, size_t i);
/* Entry with this path, or NULL. */
const ho_manifest_entry *ho_manifest_find(const ho_manifest *m, const char *path);
uint64_t ho_manifest_total_bytes(const ho_manifest *m);

/* Canonical text (see above), atomically written. */
int ho_manifest_write(const ho_manifest *m, const char *path, ho_err *err)
	__attribute__((warn_unused_result));

/* SHA-256 of the canonical text. */
int ho_manifest_digest(const ho_manifest *m, uint8_t out[static 32])
	__attribute__((warn_unused_result));

/* The canonical text in a fresh malloc'ed buffer (NUL-terminated; *len excludes the NUL),
 * owned by the caller. */
int ho_manifest_text(const ho_manifest *m, char **out, size_t *len)
	__attribute__((warn_unused_result));

/* Parses canonical text (at most 256 MiB; input from outside, e.g. an auditor's copy).
 * Anything that is not exactly the canonical form (sorted, unique, lower-case hex,
 * plain decimal, LF endings, no control characters in paths) fails with HO_EFORMAT, so
 * a parsed manifest always re-emits to the same bytes and the same digest. */
int ho_manifest_parse(ho_manifest **out, const char *text, size_t len, ho_err *err)
	__attribute__((warn_unused_result));

/* ho_manifest_parse of a file. */
int ho_manifest_read(ho_manifest **out, const char *path, ho_err *err)
	__attribute__((warn_unused_result));

void ho_manifest_free(ho_manifest *m);

#ifdef __cplusplus
}
#endif

#endif
