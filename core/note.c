#include "core/note.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t ho_b64_encode(char *out, size_t outlen, const uint8_t *in, size_t len)
{
	size_t need = (len + 2) / 3 * 4, o = 0;

	if (outlen < need + 1)
		return 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long ho_b64_decode(uint8_t *out, size_t outlen, const char *in, size_t len)
{
	size_t o = 0;

	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
			} else if (pad > 0 || (v[k] = b64_val(in[i + k])) < 0) {
				return -1;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		             (uint32_t)v[3];
		/* Canonical encodings only: bits under the padding must be zero. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		if (o + 3 - (size_t)pad > outlen)
			return -1;
		out[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			out[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			out[o++] = (uint8_t)w;
	}
	return (long)o;
}

int ho_note_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= HO_NOTE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f || name[i] == '+')
			return 0;
	return 1;
}

void ho_note_keyhash(uint8_t out[static 4], const char *name, const uint8_t pub[static 32])
{
	uint8_t d[32];
	unsigned int dl = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	static const uint8_t sep[2] = {'\n', HO_NOTE_ALG_ED25519};

	/* C2SP signed-note: key hash = SHA-256(name || 0x0A || type || key)[:4]. */
	memset(d, 0, sizeof(d));
	if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, name, strlen(name)) == 1 && EVP_DigestUpdate(ctx, sep, 2) == 1 &&
	    EVP_DigestUpdate(ctx, pub, 32) == 1)
		EVP_DigestFinal_ex(ctx, d, &dl);
	EVP_MD_CTX_free(ctx);
	memcpy(out, d, 4);
}

int ho_note_verifier_make(ho_note_verifier *v, const char *name, const uint8_t pub[static 32])
{
	memset(v, 0, sizeof(*v));
	if (!ho_note_name_ok(name))
		return HO_EINVAL;
	memcpy(v->name, name, strlen(name) + 1);
	memcpy(v->pub, pub, 32);
	ho_note_keyhash(v->keyhash, name, pub);
	return 0;
}

int ho_note_vkey(char *out, size_t outlen, const ho_note_verifier *v)
{
	uint8_t raw[33];
	char enc[64];
	int n;

	raw[0] = HO_NOTE_ALG_ED25519;
	memcpy(raw + 1, v->pub, 32);
	ho_b64_encode(enc, sizeof(enc), raw, sizeof(raw));
	n = snprintf(out, outlen, "%s+%02x%02x%02x%02x+%s", v->name, v->keyhash[0], v->keyhash[1],
	             v->keyhash[2], v->keyhash[3], enc);
	return n > 0 && (size_t)n < outlen ? 0 : HO_ETOOBIG;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int ho_note_vkey_parse(ho_note_verifier *v, const char *s, size_t len, ho_err *err)
{
	const char *p1, *p2;
	char name[HO_NOTE_NAME_MAX];
	uint8_t raw[34], kh[4];
	size_t nl;
	long dl;

	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	p1 = memchr(s, '+', len);
	p2 = p1 ? memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - s)) : NULL;
	if (p1 == NULL || p2 == NULL || p2 - p1 != 9)
		goto bad;
	nl = (size_t)(p1 - s);
	if (nl == 0 || nl >= sizeof(name))
		goto bad;
	memcpy(name, s, nl);
	name[nl] = '\0';
	for (int i = 0; i < 4; i++) {
		int hi = hexval(p1[1 + 2 * i]), lo = hexval(p1[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			goto bad;
		kh[i] = (uint8_t)(hi << 4 | lo);
	}
	dl = ho_b64_decode(raw, sizeof(raw), p2 + 1, len - (size_t)(p2 + 1 - s));
	if (dl != 33 || raw[0] != HO_NOTE_ALG_ED25519)
		goto bad;
	if (ho_note_verifier_make(v, name, raw + 1) != 0 || memcmp(v->keyhash, kh, 4) != 0)
		goto bad;
	return 0;
bad:
	return ho_err_set(err, HO_EFORMAT,
	                  "the public key is not a valid Ed25519 verifier key "
	                  "(expected name+hash+base64 as printed by "
	                  "'handoff log fingerprint')");
}

#define EMDASH "\xe2\x80\x94"

int ho_note_sign(char **out, size_t *outlen, const char *text, size_t len,
                 ho_signer *const *signers, const char *const *names, size_t n, ho_err *err)
{
	size_t cap = len + 1 + n * (HO_NOTE_NAME_MAX + 128), o;
	char *buf;
	int rc = 0;

	*out = NULL;
	if (len == 0 || text[len - 1] != '\n' || len > HO_NOTE_MAX_LEN)
		return ho_err_set(err, HO_EINVAL, "note text must end with a newline");
	if ((buf = malloc(cap)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory signing a checkpoint");
	memcpy(buf, text, len);
	o = len;
	buf[o++] = '\n';
	for (size_t i = 0; i < n; i++) {
		uint8_t blob[4 + HO_ED25519_SIG_LEN];
		char enc[128];
		int w;
		if (!ho_note_name_ok(names[i])) {
			rc = ho_err_set(err, HO_EINVAL, "bad key name for a note signature");
			goto out;
		}
		ho_note_keyhash(blob, names[i], ho_signer_public(signers[i]));
		if ((rc = ho_signer_sign(signers[i], blob + 4, text, len, err)) != 0)
			goto out;
		ho_b64_encode(enc, sizeof(enc), blob, sizeof(blob));
		w = snprintf(buf + o, cap - o, EMDASH " %s %s\n", names[i], enc);
		if (w < 0 || (size_t)w >= cap - o) {
			rc = ho_err_set(err, HO_ETOOBIG, "note signature does not fit");
			goto out;
		}
		o += (size_t)w;
	}
	*out = buf;
	*outlen = o;
	buf = NULL;
out:
	free(buf);
	return rc;
}

int ho_note_parse(ho_note *n, const char *buf, size_t len, ho_err *err)
{
	size_t sep = 0, p;
	int found = 0;

	memset(n, 0, sizeof(*n));
	if (len < 2 || len > HO_NOTE_MAX_LEN || buf[len - 1] != '\n')
		goto bad;
	/* Text is valid UTF-8 without control characters other than newline; we only ever
	 * write ASCII checkpoints, so anything else is refused here. */
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			sep = i + 1; /* the last blank line separates text and signatures */
			found = 1;
		}
	}
	if (!found || sep < 1)
		goto bad;
	n->text = buf;
	n->text_len = sep;
	for (size_t i = 0; i < sep; i++)
		if ((buf[i] < 0x20 && buf[i] != '\n') || buf[i] == 0x7f)
			goto bad;
	p = sep + 1;
	if (p >= len)
		goto bad; /* a note carries at least one signature */
	while (p < len) {
		const char *line = buf + p, *nl = memchr(line, '\n', len - p), *sp;
		size_t ll;
		uint8_t blob[4 + HO_ED25519_SIG_LEN + 8];
		long dl;
		ho_note_sig *s;

		if (nl == NULL)
			goto bad;
		ll = (size_t)(nl - line);
		if (ll < 4 || memcmp(line, EMDASH " ", 4) != 0)
			goto bad;
		sp = memchr(line + 4, ' ', ll - 4);
		if (sp == NULL || sp == line + 4)
			goto bad;
		if (n->nsigs == HO_NOTE_MAX_SIGS)
			goto bad;
		s = &n->sigs[n->nsigs++];
		s->name = line + 4;
		s->name_len = (size_t)(sp - (line + 4));
		if (s->name_len >= HO_NOTE_NAME_MAX)
			goto bad;
		for (size_t i = 0; i < s->name_len; i++)
			if (s->name[i] <= 0x20 || s->name[i] >= 0x7f || s->name[i] == '+')
				goto bad;
		dl = ho_b64_decode(blob, sizeof(blob), sp + 1, (size_t)(nl - sp - 1));
		if (dl < 5)
			goto bad;
		memcpy(s->keyhash, blob, 4);
		if (dl == 4 + HO_ED25519_SIG_LEN) {
			memcpy(s->sig, blob + 4, HO_ED25519_SIG_LEN);
			s->sig_ok_len = 1;
		}
		p += ll + 1;
	}
	return 0;
bad:
	return ho_err_set(err, HO_EFORMAT, "the checkpoint is not a well-formed signed note");
}

int ho_note_verify(const ho_note *n, const ho_note_verifier *v)
{
	size_t nl = strlen(v->name);
	int rc = HO_ENOTFOUND;

	for (size_t i = 0; i < n->nsigs; i++) {
		const ho_note_sig *s = &n->sigs[i];
		if (s->name_len != nl || memcmp(s->name, v->name, nl) != 0 ||
		    memcmp(s->keyhash, v->keyhash, 4) != 0)
			continue;
		if (!s->sig_ok_len || ho_ed25519_verify(v->pub, s->sig, n->text, n->text_len) != 0)
			return HO_ECRYPTO;
		rc = 0;
	}
	return rc;
}

int ho_checkpoint_format(char *out, size_t outlen, size_t *len, const char *origin, uint64_t size,
                         const uint8_t root[static 32])
{
	char enc[48];
	int n;

	ho_b64_encode(enc, sizeof(enc), root, 32);
	n = snprintf(out, outlen, "%s\n%" PRIu64 "\n%s\n", origin, size, enc);
	if (n < 0 || (size_t)n >= outlen)
		return HO_ETOOBIG;
	*len = (size_t)n;
	return 0;
}

int ho_checkpoint_parse(ho_checkpoint *c, const char *text, size_t len, ho_err *err)
{
	const char *l1, *l2, *l3;
	size_t ol;
	uint64_t v = 0;

	memset(c, 0, sizeof(*c));
	l1 = memchr(text, '\n', len);
	if (l1 == NULL)
		goto bad;
	ol = (size_t)(l1 - text);
	if (ol == 0 || ol >= sizeof(c->origin))
		goto bad;
	memcpy(c->origin, text, ol);
	l2 = memchr(l1 + 1, '\n', len - (size_t)(l1 + 1 - text));
	if (l2 == NULL || l2 == l1 + 1 || l2 - l1 - 1 > 20)
		goto bad;
	/* tlog-checkpoint: tree size is ASCII decimal without leading zeros. */
	if (l1[1] == '0' && l2 - l1 - 1 > 1)
		goto bad;
	for (const char *p = l1 + 1; p < l2; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	c->size = v;
	l3 = memchr(l2 + 1, '\n', len - (size_t)(l2 + 1 - text));
	if (l3 == NULL || ho_b64_decode(c->root, 32, l2 + 1, (size_t)(l3 - l2 - 1)) != 32)
		goto bad;
	/* Extension lines may follow (tlog-checkpoint); we write none and ignore them. */
	return 0;
bad:
	return ho_err_set(err, HO_EFORMAT,
	                  "the checkpoint text is malformed (expected origin, "
	                  "tree size and root hash lines)");
}
