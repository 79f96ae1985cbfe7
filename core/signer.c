#include "core/signer.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

#define KEY_FILE_MAX 4096

struct ho_signer {
	const ho_signer_ops *ops;
	void *impl;
	uint8_t pub[HO_ED25519_PUB_LEN];
};

int ho_signer_new(ho_signer **out, const ho_signer_ops *ops, void *impl,
                  const uint8_t pub[static HO_ED25519_PUB_LEN], ho_err *err)
{
	ho_signer *s;

	*out = NULL;
	if (ops == NULL || ops->sign == NULL)
		return ho_err_set(err, HO_EINVAL, "signer: no sign operation given");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory creating the log signer");
	s->ops = ops;
	s->impl = impl;
	memcpy(s->pub, pub, HO_ED25519_PUB_LEN);
	*out = s;
	return 0;
}

void ho_signer_free(ho_signer *s)
{
	if (s == NULL)
		return;
	if (s->ops->free != NULL)
		s->ops->free(s->impl);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

const uint8_t *ho_signer_public(const ho_signer *s)
{
	return s->pub;
}

int ho_signer_sign(ho_signer *s, uint8_t sig[static HO_ED25519_SIG_LEN], const void *msg,
                   size_t len, ho_err *err)
{
	return s->ops->sign(s->impl, sig, msg, len, err);
}

/* ---- the key-file store ---- */

static int file_sign(void *impl, uint8_t sig[static HO_ED25519_SIG_LEN], const void *msg,
                     size_t len, ho_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = HO_ED25519_SIG_LEN;
	int rc = HO_ECRYPTO;

	/* Ed25519 is "pure" EdDSA: no digest is named (RFC 8032 5.1). */
	if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, impl) == 1 &&
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) == 1 && siglen == HO_ED25519_SIG_LEN)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	if (rc != 0)
		ho_err_set(err, rc,
		           "signing the log checkpoint failed (OpenSSL); the log key may be "
		           "damaged: call the administrator");
	return rc;
}

static void file_free(void *impl)
{
	EVP_PKEY_free(impl);
}

static const ho_signer_ops file_ops = {file_sign, file_free};

static int wrap_pkey(ho_signer **out, EVP_PKEY *pk, ho_err *err)
{
	uint8_t pub[HO_ED25519_PUB_LEN];
	size_t publen = sizeof(pub);
	int rc;

	if (EVP_PKEY_get_raw_public_key(pk, pub, &publen) != 1 || publen != sizeof(pub)) {
		EVP_PKEY_free(pk);
		return ho_err_set(err, HO_ECRYPTO, "the log key is not an Ed25519 key");
	}
	if ((rc = ho_signer_new(out, &file_ops, pk, pub, err)) != 0)
		EVP_PKEY_free(pk);
	return rc;
}

int ho_signer_generate_file(ho_signer **out, const char *path, ho_err *err)
{
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	char *pem = NULL;
	long pemlen;
	int rc = HO_ECRYPTO;
	struct stat st;

	*out = NULL;
	if (lstat(path, &st) == 0)
		return ho_err_set(err, HO_ESTATE,
		                  "a key file already exists at %s; it is not "
		                  "overwritten",
		                  path);
	if ((pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		ho_err_set(err, rc, "could not generate the log signing key (OpenSSL)");
		goto out;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		ho_err_set(err, rc, "could not encode the log signing key");
		goto out;
	}
	if ((rc = ho_fs_write_atomic(path, pem, (size_t)pemlen, 0600, err)) != 0)
		goto out;
	rc = wrap_pkey(out, pk, err);
	pk = NULL;
out:
	BIO_free(bio); /* secure-heap BIO: cleansed on free */
	EVP_PKEY_free(pk);
	return rc;
}

static int read_key(ho_signer **out, const char *path, int fd, ho_err *err)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;
	ssize_t n;
	BIO *bio = NULL;
	EVP_PKEY *pk = NULL;
	int rc = HO_EIO;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		ho_err_set(err, HO_EINVAL, "the log key %s is not a regular file", path);
		goto out;
	}
	/* A key others can read is already compromised: refuse rather than sign with it. */
	if ((st.st_mode & 077) != 0 || st.st_uid != geteuid()) {
		ho_err_set(err, HO_ESTATE,
		           "the log key %s is readable by others or owned by "
		           "someone else (mode %o); treat it as leaked and rotate it",
		           path, (unsigned)(st.st_mode & 0777));
		rc = HO_ESTATE;
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
		ho_err_set(err, HO_EFORMAT, "the log key %s has an unexpected size", path);
		goto out;
	}
	if ((buf = OPENSSL_secure_malloc(KEY_FILE_MAX)) == NULL &&
	    (buf = OPENSSL_malloc(KEY_FILE_MAX)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory reading the log key");
		goto out;
	}
	while (len < KEY_FILE_MAX && (n = read(fd, buf + len, KEY_FILE_MAX - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ho_err_set(err, HO_EIO, "cannot read the log key %s: %s", path,
			           strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL ||
	    EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519) {
		rc = ho_err_set(err, HO_EFORMAT, "the log key %s is not a valid Ed25519 PEM key",
		                path);
		goto out;
	}
	rc = wrap_pkey(out, pk, err);
	pk = NULL;
out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	if (buf != NULL) {
		OPENSSL_cleanse(buf, KEY_FILE_MAX);
		if (CRYPTO_secure_allocated(buf))
			OPENSSL_secure_free(buf);
		else
			OPENSSL_free(buf);
	}
	return rc;
}

int ho_signer_open_file(ho_signer **out, const char *path, bool create, ho_err *err)
{
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create)
		return ho_signer_generate_file(out, path, err);
	if (fd < 0)
		return ho_err_set(err, errno == ELOOP ? HO_ESTATE : HO_EIO,
		                  "cannot open the log key %s: %s", path,
		                  errno == ELOOP ? "it is a symbolic link, which is refused"
		                                 : strerror(errno));
	rc = read_key(out, path, fd, err);
	close(fd);
	return rc;
}

int ho_ed25519_verify(const uint8_t pub[static HO_ED25519_PUB_LEN],
                      const uint8_t sig[static HO_ED25519_SIG_LEN], const void *msg, size_t len)
{
	EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, HO_ED25519_PUB_LEN);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = HO_ECRYPTO;

	if (pk != NULL && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pk) == 1 &&
	    EVP_DigestVerify(ctx, sig, HO_ED25519_SIG_LEN, msg, len) == 1)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

int ho_signer_fingerprint(char *out, size_t outlen, const uint8_t pub[static HO_ED25519_PUB_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[32];
	unsigned int dl = 0;
	size_t o = 0;

	if (outlen < HO_FINGERPRINT_LEN ||
	    EVP_Digest(pub, HO_ED25519_PUB_LEN, d, &dl, EVP_sha256(), NULL) != 1)
		return HO_EINVAL;
	memcpy(out, "SHA256:", 7);
	o = 7;
	for (unsigned i = 0; i < 32; i++) {
		if (i > 0 && i % 2 == 0)
			out[o++] = ' ';
		out[o++] = hex[d[i] >> 4];
		out[o++] = hex[d[i] & 15];
	}
	out[o] = '\0';
	return 0;
}
