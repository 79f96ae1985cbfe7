/*
 * core/note.h - C2SP signed notes and tlog-checkpoints (https://c2sp.org/signed-note,
 * https://c2sp.org/tlog-checkpoint), the formats the log's checkpoints are written in,
 * so that any transparency-log tool can read them.
 *
 * A note is UTF-8 text ending in a newline, a blank line, then signature lines
 * "— <key name> <base64(key hash[4] || signature[64])>\n". For Ed25519 the key hash
 * is the first 4 bytes of SHA-256(name || "\n" || 0x01 || public key[32]) and the
 * signature covers the text including its final newline. A checkpoint is a note whose
 * text is "<origin>\n<tree size in decimal>\n<base64 root hash>\n".
 *
 * Parsed notes point into the caller's buffer (valid while it lives); verifier keys and
 * checkpoints are plain values. Formatted notes are malloc'ed, freed by the caller.
 */
#ifndef HO_CORE_NOTE_H
#define HO_CORE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/signer.h"
#include "util/err.h"

#define HO_NOTE_MAX_LEN 65536 /* a checkpoint is ~200 bytes; far more is an attack */
#define HO_NOTE_NAME_MAX 128
#define HO_NOTE_MAX_SIGS 16
#define HO_NOTE_ALG_ED25519 0x01 /* C2SP signed-note signature type for Ed25519 */

typedef struct ho_note_verifier {
	char name[HO_NOTE_NAME_MAX];
	uint8_t keyhash[4];
	uint8_t pub[HO_ED25519_PUB_LEN];
} ho_note_verifier;

typedef struct ho_note_sig {
	const char *name; /* points into the parsed buffer, not NUL-terminated */
	size_t name_len;
	uint8_t keyhash[4];
	uint8_t sig[HO_ED25519_SIG_LEN];
	int sig_ok_len; /* 1 if the decoded signature had the Ed25519 length */
} ho_note_sig;

typedef struct ho_note {
	const char *text; /* the signed text, ending in '\n' */
	size_t text_len;
	size_t nsigs;
	ho_note_sig sigs[HO_NOTE_MAX_SIGS];
} ho_note;

typedef struct ho_checkpoint {
	char origin[HO_NOTE_NAME_MAX];
	uint64_t size;
	uint8_t root[32];
} ho_checkpoint;

/* Key names: 1..127 bytes of printable ASCII without space or '+'. */
int ho_note_name_ok(const char *name);

void ho_note_keyhash(uint8_t out[static 4], const char *name, const uint8_t pub[static 32]);
int ho_note_verifier_make(ho_note_verifier *v, const char *name, const uint8_t pub[static 32]);

/* Verifier key text "<name>+<8 hex key hash>+<base64(0x01 || pub)>" (C2SP vkey). */
#define HO_NOTE_VKEY_MAX (HO_NOTE_NAME_MAX + 64)
int ho_note_vkey(char *out, size_t outlen, const ho_note_verifier *v);
int ho_note_vkey_parse(ho_note_verifier *v, const char *s, size_t len, ho_err *err);

/* Signs text (must end with '\n') with each of n signers under its name. */
int ho_note_sign(char **out, size_t *outlen, const char *text, size_t len,
                 ho_signer *const *signers, const char *const *names, size_t n, ho_err *err)
    __attribute__((warn_unused_result));

/* Splits a note into text and signature lines; rejects anything malformed. */
int ho_note_parse(ho_note *n, const char *buf, size_t len, ho_err *err)
    __attribute__((warn_unused_result));

/* 0 if some signature line of n is by v and verifies; HO_ENOTFOUND if none is by v;
 * HO_ECRYPTO if the line by v does not verify. */
int ho_note_verify(const ho_note *n, const ho_note_verifier *v);

/* Checkpoint text (no signatures). */
int ho_checkpoint_format(char *out, size_t outlen, size_t *len, const char *origin, uint64_t size,
                         const uint8_t root[static 32]);
int ho_checkpoint_parse(ho_checkpoint *c, const char *text, size_t len, ho_err *err)
    __attribute__((warn_unused_result));

/* Standard base64 with padding (RFC 4648 4). decode rejects bad characters, bad padding
 * and non-canonical trailing bits; returns decoded length or -1. */
size_t ho_b64_encode(char *out, size_t outlen, const uint8_t *in, size_t len);
long ho_b64_decode(uint8_t *out, size_t outlen, const char *in, size_t len);

#endif
