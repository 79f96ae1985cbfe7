/*
 * core/escrow.h - password escrow: the medium's password encrypted to the clinic.
 *
 * A patient who loses the receipt loses the password. So that an authorised person can
 * recover it, the job encrypts the password to the clinic's escrow PUBLIC key (set in
 * the kiosk configuration, PEM) and the signed log stores the result. The kiosk holds
 * no private key and can never read a blob back; recovery happens offline with
 * ho_escrow_recover (app/escrow, `handoff-escrow-recover`) on a machine that has the
 * private key.
 *
 * Two key types, chosen by the key: RSA (>= 2048 bits) uses RSA-OAEP with SHA-256;
 * X25519 uses an ephemeral X25519 exchange, HKDF-SHA256 and AES-256-GCM. The blob is
 * self-describing (magic, version, algorithm, key id); docs/ENCRYPTION.md gives the
 * byte layout so that an independent tool can decrypt it.
 *
 * Memory: ho_escrow_key is opaque and owned by the caller (ho_escrow_key_free(NULL) is a
 * no-op). Blobs and text forms are malloc'ed and owned by the caller. The recovered
 * password is an ho_password (locked page, wiped on free).
 */
#ifndef HO_CORE_ESCROW_H
#define HO_CORE_ESCROW_H

#include <stddef.h>
#include <stdint.h>

#include "core/password.h"
#include "util/err.h"

#define HO_ESCROW_PEM_MAX 65536  /* cap on a key file read from configuration */
#define HO_ESCROW_BLOB_MAX 2048  /* RSA-8192 ciphertext + header fits */
#define HO_ESCROW_TEXT_PREFIX "ho-escrow-v1:"

enum ho_escrow_alg {
	HO_ESCROW_RSA_OAEP_SHA256 = 1,
	HO_ESCROW_X25519_HKDF_SHA256_AES256GCM = 2,
};

typedef struct ho_escrow_key ho_escrow_key;

/* Loads the escrow public key ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo).
 * Refuses private keys (they must never be on the kiosk), RSA under 2048 bits and other
 * key types, with HO_ECONFIG. */
int ho_escrow_key_load(ho_escrow_key **out, const char *pem_path, ho_err *err)
	__attribute__((warn_unused_result));
int ho_escrow_key_from_pem(ho_escrow_key **out, const void *pem, size_t len, ho_err *err)
	__attribute__((warn_unused_result));
void ho_escrow_key_free(ho_escrow_key *key);

/* enum ho_escrow_alg of the key. */
int ho_escrow_key_alg(const ho_escrow_key *key);

/* SHA-256 of the key's DER SubjectPublicKeyInfo (the key id inside blobs). */
void ho_escrow_key_id(const ho_escrow_key *key, uint8_t id[static 32]);

/* Encrypts pw (its 16-character ZIP form) to key. *out is malloc'ed, *out_len bytes. */
int ho_escrow_seal(uint8_t **out, size_t *out_len, const ho_escrow_key *key,
		   const ho_password *pw, ho_err *err) __attribute__((warn_unused_result));

/* Recovers the password from a blob with the escrow PRIVATE key (PEM, optionally
 * encrypted with pem_pass; pem_pass NULL = not encrypted). Wrong key, tampered blob or
 * unknown format fail (HO_EAUTH for "not this key", HO_ECRYPTO for "does not decrypt",
 * HO_EFORMAT for "not a blob"). */
int ho_escrow_recover(ho_password **out, const uint8_t *blob, size_t len,
		      const void *priv_pem, size_t pem_len, const char *pem_pass, ho_err *err)
	__attribute__((warn_unused_result));

/* Text form for logs and paper: HO_ESCROW_TEXT_PREFIX + base64 (RFC 4648, padded, no
 * line breaks). *out is malloc'ed and NUL-terminated. */
int ho_escrow_to_text(char **out, const uint8_t *blob, size_t len, ho_err *err)
	__attribute__((warn_unused_result));
/* Parses the text form (surrounding white space allowed). *out is malloc'ed. */
int ho_escrow_from_text(uint8_t **out, size_t *out_len, const char *text, size_t len,
			ho_err *err) __attribute__((warn_unused_result));

#endif
