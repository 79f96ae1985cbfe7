/* Unit tests for core/escrow: round trip for RSA-OAEP and X25519 with keys made here,
 * wrong key, tampering, truncation, refused keys, text form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "core/escrow.h"

static int failures;
#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c)) {                                                                \
			fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c);     \
			failures++;                                                        \
		}                                                                          \
	} while (0)

struct pem {
	char *pub, *priv;
	size_t pub_len, priv_len;
};

static char *bio_str(BIO *b, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = malloc((size_t)n + 1);

	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	*len = (size_t)n;
	return s;
}

static struct pem make_key(const char *type, size_t bits)
{
	struct pem p = {0};
	EVP_PKEY *k = bits ? EVP_PKEY_Q_keygen(NULL, NULL, type, bits)
			   : EVP_PKEY_Q_keygen(NULL, NULL, type);
	BIO *a = BIO_new(BIO_s_mem()), *b = BIO_new(BIO_s_mem());

	if (k == NULL || !PEM_write_bio_PUBKEY(a, k) ||
	    !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		fprintf(stderr, "key generation failed\n");
		exit(1);
	}
	p.pub = bio_str(a, &p.pub_len);
	p.priv = bio_str(b, &p.priv_len);
	BIO_free(a);
	BIO_free(b);
	EVP_PKEY_free(k);
	return p;
}

static void free_pem(struct pem *p)
{
	free(p->pub);
	free(p->priv);
}

static void round_trip(const char *type, size_t bits, int alg)
{
	struct pem p = make_key(type, bits), other = make_key(type, bits);
	ho_escrow_key *k = NULL;
	ho_password *pw = NULL, *back = NULL;
	uint8_t *blob = NULL, *blob2 = NULL, *copy;
	size_t len = 0, len2 = 0;
	char *text = NULL;
	ho_err err = HO_ERR_INIT;

	CHECK(ho_escrow_key_from_pem(&k, p.pub, p.pub_len, &err) == 0);
	CHECK(k != NULL && ho_escrow_key_alg(k) == alg);
	CHECK(ho_password_new(&pw, NULL) == 0);
	CHECK(ho_escrow_seal(&blob, &len, k, pw, &err) == 0);
	printf("%s: blob %zu bytes\n", type, len);
	CHECK(memcmp(blob, "HOESCROW", 8) == 0 && blob[8] == 1 && blob[9] == alg);
	/* the password does not appear in clear */
	CHECK(memmem(blob, len, ho_password_zip(pw), HO_PASSWORD_CHARS) == NULL);

	/* right key: same password */
	CHECK(ho_escrow_recover(&back, blob, len, p.priv, p.priv_len, NULL, &err) == 0);
	CHECK(back != NULL && strcmp(ho_password_zip(back), ho_password_zip(pw)) == 0);
	ho_password_free(back);
	back = NULL;

	/* two seals of one password differ (randomised encryption) */
	CHECK(ho_escrow_seal(&blob2, &len2, k, pw, &err) == 0);
	CHECK(len2 == len && memcmp(blob, blob2, len) != 0);

	/* wrong key: refused by key id */
	ho_err_clear(&err);
	CHECK(ho_escrow_recover(&back, blob, len, other.priv, other.priv_len, NULL, &err) ==
	      HO_EAUTH);
	CHECK(back == NULL && err.msg[0] != '\0');

	/* wrong key even when the key id is forged to match: decryption fails */
	copy = malloc(len);
	{
		ho_escrow_key *ok = NULL;
		uint8_t id[32];

		CHECK(ho_escrow_key_from_pem(&ok, other.pub, other.pub_len, NULL) == 0);
		ho_escrow_key_id(ok, id);
		memcpy(copy, blob, len);
		memcpy(copy + 10, id, 32);
		CHECK(ho_escrow_recover(&back, copy, len, other.priv, other.priv_len, NULL, NULL) ==
		      HO_ECRYPTO);
		ho_escrow_key_free(ok);
	}

	/* every single-bit flip anywhere after the magic is detected */
	for (size_t i = 8; i < len; i++) {
		int rc;

		memcpy(copy, blob, len);
		copy[i] ^= 0x01;
		rc = ho_escrow_recover(&back, copy, len, p.priv, p.priv_len, NULL, NULL);
		CHECK(rc != 0 && back == NULL);
		ho_password_free(back);
		back = NULL;
	}
	/* truncated */
	CHECK(ho_escrow_recover(&back, blob, len - 1, p.priv, p.priv_len, NULL, NULL) ==
	      HO_EFORMAT);
	CHECK(ho_escrow_recover(&back, blob, 20, p.priv, p.priv_len, NULL, NULL) == HO_EFORMAT);
	free(copy);

	/* text form round trip, and a damaged text is refused */
	CHECK(ho_escrow_to_text(&text, blob, len, NULL) == 0);
	CHECK(strncmp(text, HO_ESCROW_TEXT_PREFIX, strlen(HO_ESCROW_TEXT_PREFIX)) == 0);
	free(blob2);
	blob2 = NULL;
	CHECK(ho_escrow_from_text(&blob2, &len2, text, strlen(text), NULL) == 0);
	CHECK(len2 == len && memcmp(blob2, blob, len) == 0);
	free(blob2);
	blob2 = NULL;
	text[strlen(text) - 3] = '*';
	CHECK(ho_escrow_from_text(&blob2, &len2, text, strlen(text), NULL) == HO_EFORMAT);
	CHECK(ho_escrow_from_text(&blob2, &len2, "ho-escrow-v2:AAAA", 17, NULL) == HO_EFORMAT);

	free(text);
	free(blob);
	free(blob2);
	ho_password_free(pw);
	ho_escrow_key_free(k);
	free_pem(&p);
	free_pem(&other);
}

static void refused_keys(void)
{
	struct pem rsa1024 = make_key("RSA", 1024), ed = make_key("ED25519", 0),
		   x = make_key("X25519", 0);
	ho_escrow_key *k = NULL;
	ho_err err = HO_ERR_INIT;

	CHECK(ho_escrow_key_from_pem(&k, rsa1024.pub, rsa1024.pub_len, &err) == HO_ECONFIG);
	CHECK(k == NULL);
	CHECK(ho_escrow_key_from_pem(&k, ed.pub, ed.pub_len, NULL) == HO_ECONFIG);
	/* a private key is refused, loudly */
	ho_err_clear(&err);
	CHECK(ho_escrow_key_from_pem(&k, x.priv, x.priv_len, &err) == HO_ECONFIG);
	CHECK(strstr(err.msg, "PRIVATE") != NULL);
	CHECK(ho_escrow_key_from_pem(&k, "garbage", 7, NULL) == HO_ECONFIG);
	CHECK(ho_escrow_key_load(&k, "/nonexistent/escrow.pem", NULL) == HO_ECONFIG);
	ho_escrow_key_free(NULL);
	free_pem(&rsa1024);
	free_pem(&ed);
	free_pem(&x);
}

int main(void)
{
	round_trip("X25519", 0, HO_ESCROW_X25519_HKDF_SHA256_AES256GCM);
	round_trip("RSA", 2048, HO_ESCROW_RSA_OAEP_SHA256);
	refused_keys();
	if (failures == 0)
		puts("seal_escrow_test: ok");
	return failures == 0 ? 0 : 1;
}
