#include "core/escrow.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "util/fs.h"

/*
 * Blob v1 (docs/ENCRYPTION.md "Escrow blob"):
 *   0  8  magic "HOESCROW"
 *   8  1  version = 1
 *   9  1  algorithm (enum ho_escrow_alg)
 *  10 32  key id = SHA-256(DER SubjectPublicKeyInfo of the escrow key)
 *  42  2  body length, big-endian
 *  44  .  body
 * RSA:    body = RSA-OAEP(SHA-256, MGF1-SHA-256, label = bytes 0..41) of the password
 * X25519: body = ephemeral public (32) | nonce (12) | ciphertext (16) | GCM tag (16),
 *         key = HKDF-SHA256(ikm = X25519(eph, escrow), salt = eph_pub | escrow_pub,
 *               info = HKDF_INFO), AAD = bytes 0..41.
 * The plaintext is the 16-character ZIP password, ASCII.
 */
#define MAGIC "HOESCROW"
#define HDR_LEN 42
#define BODY_OFF 44
#define X_BODY (32 + 12 + HO_PASSWORD_CHARS + 16)
#define HKDF_INFO "handoff escrow v1 X25519-HKDF-SHA256-AES-256-GCM"
#define RSA_MIN_BITS 2048

struct ho_escrow_key {
	EVP_PKEY *pkey;
	int alg;
	uint8_t id[32];
};

static int spki_id(EVP_PKEY *pk, uint8_t id[static 32])
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(pk, &der);

	if (len <= 0)
		return HO_ECRYPTO;
	SHA256(der, (size_t)len, id);
	OPENSSL_free(der);
	return 0;
}

static int alg_of(EVP_PKEY *pk)
{
	if (EVP_PKEY_is_a(pk, "RSA"))
		return EVP_PKEY_get_bits(pk) >= RSA_MIN_BITS ? HO_ESCROW_RSA_OAEP_SHA256 : -1;
	if (EVP_PKEY_is_a(pk, "X25519"))
		return HO_ESCROW_X25519_HKDF_SHA256_AES256GCM;
	return 0;
}

int ho_escrow_key_from_pem(ho_escrow_key **out, const void *pem, size_t len, ho_err *err)
{
	ho_escrow_key *k = NULL;
	BIO *bio = NULL;
	int rc = HO_ECONFIG;

	*out = NULL;
	if (pem == NULL || len == 0 || len > HO_ESCROW_PEM_MAX) {
		rc = ho_err_set(err, HO_ECONFIG, "the escrow key is empty or larger than %d bytes; "
			"configure the clinic's escrow PUBLIC key (PEM)", HO_ESCROW_PEM_MAX);
		goto out;
	}
	/* A private key has no place on the kiosk: refuse it loudly rather than use it. */
	if (memmem(pem, len, "PRIVATE KEY", 11) != NULL) {
		rc = ho_err_set(err, HO_ECONFIG, "the configured escrow key is a PRIVATE key; "
			"remove it from the kiosk now and configure the PUBLIC key only");
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory loading the escrow key");
		goto out;
	}
	if ((k->pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL)) == NULL) {
		rc = ho_err_set(err, HO_ECONFIG, "the escrow key is not a PEM public key "
			"(\"BEGIN PUBLIC KEY\"); check the kiosk configuration");
		goto out;
	}
	k->alg = alg_of(k->pkey);
	if (k->alg <= 0) {
		rc = ho_err_set(err, HO_ECONFIG, "the escrow key must be RSA of at least %d bits "
			"or X25519; configure a suitable key", RSA_MIN_BITS);
		goto out;
	}
	if (spki_id(k->pkey, k->id) != 0) {
		rc = ho_err_set(err, HO_ECRYPTO, "cannot encode the escrow key");
		goto out;
	}
	*out = k;
	k = NULL;
	rc = 0;
out:
	BIO_free(bio);
	ho_escrow_key_free(k);
	return rc;
}

int ho_escrow_key_load(ho_escrow_key **out, const char *pem_path, ho_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = ho_fs_read_all(pem_path, HO_ESCROW_PEM_MAX, &buf, &len, err)) != 0)
		return ho_err_set(err, HO_ECONFIG, "cannot read the escrow key %s", pem_path);
	rc = ho_escrow_key_from_pem(out, buf, len, err);
	free(buf);
	return rc;
}

void ho_escrow_key_free(ho_escrow_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

int ho_escrow_key_alg(const ho_escrow_key *key)
{
	return key->alg;
}

void ho_escrow_key_id(const ho_escrow_key *key, uint8_t id[static 32])
{
	memcpy(id, key->id, 32);
}

static void put_header(uint8_t *b, int alg, const uint8_t id[static 32], size_t body_len)
{
	memcpy(b, MAGIC, 8);
	b[8] = 1;
	b[9] = (uint8_t)alg;
	memcpy(b + 10, id, 32);
	b[42] = (uint8_t)(body_len >> 8);
	b[43] = (uint8_t)body_len;
}

static int rsa_ctx_setup(EVP_PKEY_CTX *ctx, const uint8_t *hdr)
{
	unsigned char *label;

	if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) <= 0)
		return -1;
	/* The label binds the header (algorithm, key id) to the ciphertext. */
	if ((label = OPENSSL_memdup(hdr, HDR_LEN)) == NULL)
		return -1;
	if (EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label, HDR_LEN) <= 0) {
		OPENSSL_free(label);
		return -1;
	}
	return 0;
}

/* HKDF-SHA256 -> 32-byte AES key (RFC 5869). */
static int hkdf(uint8_t key[static 32], const uint8_t *ikm, size_t ikm_len,
		const uint8_t salt[static 64])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
	size_t out_len = 32;
	int ok;

	ok = ctx != NULL && EVP_PKEY_derive_init(ctx) > 0 &&
	     EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_salt(ctx, salt, 64) > 0 &&
	     EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikm_len) > 0 &&
	     EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)HKDF_INFO,
					 (int)strlen(HKDF_INFO)) > 0 &&
	     EVP_PKEY_derive(ctx, key, &out_len) > 0 && out_len == 32;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* X25519(priv, peer) then HKDF with salt = eph_pub | escrow_pub. */
static int x_derive(uint8_t key[static 32], EVP_PKEY *priv, EVP_PKEY *peer,
		    const uint8_t eph_pub[static 32], const uint8_t escrow_pub[static 32])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	uint8_t shared[32], salt[64];
	size_t slen = sizeof(shared);
	int rc = -1;

	if (ctx == NULL || EVP_PKEY_derive_init(ctx) <= 0 ||
	    EVP_PKEY_derive_set_peer(ctx, peer) <= 0 ||
	    EVP_PKEY_derive(ctx, shared, &slen) <= 0 || slen != sizeof(shared))
		goto out;
	memcpy(salt, eph_pub, 32);
	memcpy(salt + 32, escrow_pub, 32);
	rc = hkdf(key, shared, slen, salt);
out:
	OPENSSL_cleanse(shared, sizeof(shared));
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static int gcm(int enc, const uint8_t key[static 32], const uint8_t nonce[static 12],
	       const uint8_t *aad, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) > 0 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, HDR_LEN) > 0 &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) > 0 && (size_t)n == len;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) > 0;
	/* Decrypt: Final fails when the tag does not match (tampering or wrong key). */
	ok = ok && EVP_CipherFinal_ex(c, out + len, &n) > 0;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int ho_escrow_seal(uint8_t **out, size_t *out_len, const ho_escrow_key *key,
		   const ho_password *pw, ho_err *err)
{
	const uint8_t *plain = (const uint8_t *)ho_password_zip(pw);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *eph = NULL;
	uint8_t *b = NULL, aes[32];
	size_t body = 0, cl = 0;
	int rc = HO_ECRYPTO;

	*out = NULL;
	*out_len = 0;
	if (key->alg == HO_ESCROW_RSA_OAEP_SHA256)
		body = (size_t)EVP_PKEY_get_size(key->pkey);
	else
		body = X_BODY;
	if ((b = calloc(1, BODY_OFF + body)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory escrowing the password");
		goto out;
	}
	put_header(b, key->alg, key->id, body);
	if (key->alg == HO_ESCROW_RSA_OAEP_SHA256) {
		cl = body;
		if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL)) == NULL ||
		    EVP_PKEY_encrypt_init(ctx) <= 0 || rsa_ctx_setup(ctx, b) != 0 ||
		    EVP_PKEY_encrypt(ctx, b + BODY_OFF, &cl, plain, HO_PASSWORD_CHARS) <= 0 ||
		    cl != body)
			goto fail;
	} else {
		uint8_t *eph_pub = b + BODY_OFF, *nonce = eph_pub + 32, *ct = nonce + 12;
		uint8_t escrow_pub[32];
		size_t pl = 32, el = 32;

		if ((eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519")) == NULL ||
		    EVP_PKEY_get_raw_public_key(eph, eph_pub, &pl) <= 0 || pl != 32 ||
		    EVP_PKEY_get_raw_public_key(key->pkey, escrow_pub, &el) <= 0 || el != 32 ||
		    RAND_bytes(nonce, 12) != 1 ||
		    x_derive(aes, eph, key->pkey, eph_pub, escrow_pub) != 0 ||
		    gcm(1, aes, nonce, b, plain, HO_PASSWORD_CHARS, ct,
			ct + HO_PASSWORD_CHARS) != 0)
			goto fail;
	}
	*out = b;
	*out_len = BODY_OFF + body;
	b = NULL;
	rc = 0;
	goto out;
fail:
	rc = ho_err_set(err, HO_ECRYPTO, "encrypting the password to the escrow key failed; "
		"the export stops because the password could not be escrowed");
out:
	OPENSSL_cleanse(aes, sizeof(aes));
	EVP_PKEY_free(eph); /* the ephemeral private key is freed (and cleared) by OpenSSL */
	EVP_PKEY_CTX_free(ctx);
	free(b);
	return rc;
}

int ho_escrow_recover(ho_password **out, const uint8_t *blob, size_t len,
		      const void *priv_pem, size_t pem_len, const char *pem_pass, ho_err *err)
{
	EVP_PKEY *priv = NULL, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	BIO *bio = NULL;
	uint8_t id[32], plain[512], aes[32];
	size_t body, pl = sizeof(plain);
	int rc = HO_EFORMAT, alg;

	*out = NULL;
	if (blob == NULL || len < BODY_OFF || len > HO_ESCROW_BLOB_MAX ||
	    memcmp(blob, MAGIC, 8) != 0 || blob[8] != 1) {
		rc = ho_err_set(err, HO_EFORMAT, "this is not a Handoff escrow blob of version 1");
		goto out;
	}
	alg = blob[9];
	body = (size_t)blob[42] << 8 | blob[43];
	if (BODY_OFF + body != len ||
	    (alg == HO_ESCROW_X25519_HKDF_SHA256_AES256GCM && body != X_BODY) ||
	    (alg != HO_ESCROW_X25519_HKDF_SHA256_AES256GCM && alg != HO_ESCROW_RSA_OAEP_SHA256)) {
		rc = ho_err_set(err, HO_EFORMAT, "the escrow blob is truncated or of an unknown "
			"kind; copy it again from the log");
		goto out;
	}
	if (priv_pem == NULL || pem_len == 0 || pem_len > HO_ESCROW_PEM_MAX ||
	    (bio = BIO_new_mem_buf(priv_pem, (int)pem_len)) == NULL ||
	    (priv = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)pem_pass)) == NULL) {
		rc = ho_err_set(err, HO_EAUTH, "cannot read the escrow private key (wrong file or "
			"wrong passphrase)");
		goto out;
	}
	if (alg_of(priv) != alg || spki_id(priv, id) != 0 || CRYPTO_memcmp(id, blob + 10, 32)) {
		rc = ho_err_set(err, HO_EAUTH, "this escrow blob was made for a different key; use "
			"the private key that matches the kiosk's configured escrow key");
		goto out;
	}
	rc = HO_ECRYPTO;
	if (alg == HO_ESCROW_RSA_OAEP_SHA256) {
		if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL)) == NULL ||
		    EVP_PKEY_decrypt_init(ctx) <= 0 || rsa_ctx_setup(ctx, blob) != 0 ||
		    EVP_PKEY_decrypt(ctx, plain, &pl, blob + BODY_OFF, body) <= 0)
			goto fail;
	} else {
		const uint8_t *eph_pub = blob + BODY_OFF, *nonce = eph_pub + 32, *ct = nonce + 12;
		uint8_t escrow_pub[32], tag[16];
		size_t el = 32;

		memcpy(tag, ct + HO_PASSWORD_CHARS, 16);
		if ((peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, eph_pub, 32)) == NULL ||
		    EVP_PKEY_get_raw_public_key(priv, escrow_pub, &el) <= 0 || el != 32 ||
		    x_derive(aes, priv, peer, eph_pub, escrow_pub) != 0 ||
		    gcm(0, aes, nonce, blob, ct, HO_PASSWORD_CHARS, plain, tag) != 0)
			goto fail;
		pl = HO_PASSWORD_CHARS;
	}
	if (pl != HO_PASSWORD_CHARS ||
	    (rc = ho_password_parse(out, (const char *)plain, pl, err)) != 0) {
		rc = ho_err_set(err, HO_ECRYPTO, "the escrow blob decrypted to something that is "
			"not a password");
		goto out;
	}
	rc = 0;
	goto out;
fail:
	rc = ho_err_set(err, HO_ECRYPTO, "the escrow blob does not decrypt with this key (it "
		"was altered or the key is wrong)");
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(aes, sizeof(aes));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(priv);
	BIO_free(bio);
	return rc;
}

int ho_escrow_to_text(char **out, const uint8_t *blob, size_t len, ho_err *err)
{
	size_t plen = strlen(HO_ESCROW_TEXT_PREFIX);
	char *s;

	*out = NULL;
	if (len == 0 || len > HO_ESCROW_BLOB_MAX)
		return ho_err_set(err, HO_EINVAL, "escrow blob of %zu bytes is out of range", len);
	if ((s = malloc(plen + 4 * ((len + 2) / 3) + 1)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory encoding the escrow blob");
	memcpy(s, HO_ESCROW_TEXT_PREFIX, plen);
	EVP_EncodeBlock((unsigned char *)s + plen, blob, (int)len);
	*out = s;
	return 0;
}

int ho_escrow_from_text(uint8_t **out, size_t *out_len, const char *text, size_t len,
			ho_err *err)
{
	size_t plen = strlen(HO_ESCROW_TEXT_PREFIX), b64;
	uint8_t *b = NULL;
	int n;

	*out = NULL;
	*out_len = 0;
	while (len > 0 && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r'))
		text++, len--;
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' ||
			   text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	if (len < plen || memcmp(text, HO_ESCROW_TEXT_PREFIX, plen) != 0)
		goto bad;
	b64 = len - plen;
	if (b64 == 0 || b64 % 4 != 0 || b64 / 4 * 3 > HO_ESCROW_BLOB_MAX)
		goto bad;
	for (size_t i = plen; i < len; i++) {
		char c = text[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/' || c == '='))
			goto bad;
	}
	if ((b = malloc(b64 / 4 * 3)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory decoding the escrow blob");
	if ((n = EVP_DecodeBlock(b, (const unsigned char *)text + plen, (int)b64)) < 0) {
		free(b);
		goto bad;
	}
	/* EVP_DecodeBlock counts the padding bytes as data; take them off. */
	if (text[len - 1] == '=')
		n--;
	if (text[len - 2] == '=')
		n--;
	*out = b;
	*out_len = (size_t)n;
	return 0;
bad:
	return ho_err_set(err, HO_EFORMAT, "this is not an escrow blob in text form (it should "
		"start with %s followed by base64)", HO_ESCROW_TEXT_PREFIX);
}
