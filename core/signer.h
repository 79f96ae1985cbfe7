/*
 * core/signer.h - the Ed25519 key that signs the log's checkpoints (RFC 8032).
 *
 * Signing sits behind a small table of operations so that a PKCS#11 token or a secure
 * element can replace the key file later without touching the log: the log only asks
 * for the public key and for signatures. The file implementation keeps the private key
 * as PKCS#8 PEM in a file of mode 0600, created on first use and always opened with
 * O_NOFOLLOW (a symlink planted in the log directory must not redirect it). The private
 * key bytes are wiped with OPENSSL_cleanse as soon as OpenSSL has parsed them.
 *
 * A ho_signer is owned by whoever created it and freed with ho_signer_free (NULL is a
 * no-op). Strings returned by the fingerprint/vkey helpers are written into caller
 * buffers.
 */
#ifndef HO_CORE_SIGNER_H
#define HO_CORE_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HO_ED25519_PUB_LEN 32
#define HO_ED25519_SIG_LEN 64

typedef struct ho_signer ho_signer;

/* What a key store must provide. impl is the store's own state. */
typedef struct ho_signer_ops {
	int (*sign)(void *impl, uint8_t sig[static HO_ED25519_SIG_LEN], const void *msg, size_t len,
	            ho_err *err);
	void (*free)(void *impl);
} ho_signer_ops;

/* Wraps a key store (e.g. PKCS#11). pub is the store's public key. On success the
 * signer owns impl and calls ops->free on it. */
int ho_signer_new(ho_signer **out, const ho_signer_ops *ops, void *impl,
                  const uint8_t pub[static HO_ED25519_PUB_LEN], ho_err *err)
    __attribute__((warn_unused_result));

/* Opens the key file at path; if it does not exist and create is true, generates a new
 * key and writes it (0600, tmp + fsync + rename + fsync dir). Refuses a key file that is
 * a symlink, not a regular file, or readable by group/others. */
int ho_signer_open_file(ho_signer **out, const char *path, bool create, ho_err *err)
    __attribute__((warn_unused_result));

/* Generates a fresh key into path, which must not exist yet. */
int ho_signer_generate_file(ho_signer **out, const char *path, ho_err *err)
    __attribute__((warn_unused_result));

int ho_signer_sign(ho_signer *s, uint8_t sig[static HO_ED25519_SIG_LEN], const void *msg,
                   size_t len, ho_err *err) __attribute__((warn_unused_result));

const uint8_t *ho_signer_public(const ho_signer *s); /* 32 bytes, valid while s lives */

void ho_signer_free(ho_signer *s);

/* 0 if sig is a valid Ed25519 signature of msg by pub, HO_ECRYPTO otherwise. */
int ho_ed25519_verify(const uint8_t pub[static HO_ED25519_PUB_LEN],
                      const uint8_t sig[static HO_ED25519_SIG_LEN], const void *msg, size_t len);

/* Human fingerprint for the asset register: "SHA256:" then the SHA-256 of the raw public
 * key in hex, groups of four ("SHA256:3f2a 9c1b ..."). Needs out of at least
 * HO_FINGERPRINT_LEN bytes. */
#define HO_FINGERPRINT_LEN 88
int ho_signer_fingerprint(char *out, size_t outlen, const uint8_t pub[static HO_ED25519_PUB_LEN]);

#endif
