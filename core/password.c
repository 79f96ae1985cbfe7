#include "core/password.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

/* Crockford base32 (https://www.crockford.com/base32.html): no I L O U, so a password
 * read aloud or from paper has no look-alike pairs. */
static const char alphabet[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* The whole object lives in one mmap'ed page so that it can be locked and kept out of
 * core dumps as a unit; nothing of the password is ever on the ordinary heap. */
struct ho_password {
	size_t map_len;
	int locked;
	char zip[HO_PASSWORD_CHARS + 1];
	char display[HO_PASSWORD_DISPLAY + 1];
};

static int page_new(ho_password **out, ho_err *err)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = page > 0 ? (size_t)page : 4096;
	ho_password *pw;
	void *p;

	if (len < sizeof(*pw))
		len = sizeof(*pw);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return ho_err_set(err, HO_ENOMEM, "no memory for the medium's password; "
			"restart the kiosk and try again");
	pw = p;
	/* MADV_DONTDUMP: a crash dump of the kiosk must not contain a live password. */
	(void)madvise(p, len, MADV_DONTDUMP);
	pw->map_len = len;
	pw->locked = mlock(p, len) == 0;
	*out = pw;
	return 0;
}

void ho_password_free(ho_password *pw)
{
	size_t len;

	if (pw == NULL)
		return;
	len = pw->map_len;
	if (pw->locked)
		(void)munlock(pw, len);
	OPENSSL_cleanse(pw, len);
	munmap(pw, len);
}

/* Fills display from zip: groups of four joined by '-'. */
static void make_display(ho_password *pw)
{
	size_t i, j = 0;

	for (i = 0; i < HO_PASSWORD_CHARS; i++) {
		if (i > 0 && i % 4 == 0)
			pw->display[j++] = '-';
		pw->display[j++] = pw->zip[i];
	}
	pw->display[j] = '\0';
}

int ho_password_new(ho_password **out, ho_err *err)
{
	ho_password *pw = NULL;
	uint8_t raw[HO_PASSWORD_BITS / 8];
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = page_new(&pw, err)) != 0)
		return rc;
	if (RAND_bytes(raw, sizeof(raw)) != 1) {
		rc = ho_err_set(err, HO_ECRYPTO, "the random number generator failed; "
			"the medium cannot be encrypted. Restart the kiosk and try again");
		goto out;
	}
	/* 80 bits = 16 x 5 bits exactly: symbol i is bits [5i, 5i+5) big-endian, so every
	 * symbol is uniform over the 32 letters (no modulo bias). */
	for (i = 0; i < HO_PASSWORD_CHARS; i++) {
		size_t bit = i * 5, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)raw[byte] << 8;

		if (byte + 1 < sizeof(raw))
			v |= raw[byte + 1];
		v = (v >> (11 - shift)) & 0x1f;
		pw->zip[i] = alphabet[v];
	}
	pw->zip[HO_PASSWORD_CHARS] = '\0';
	make_display(pw);
	*out = pw;
	pw = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	ho_password_free(pw);
	return rc;
}

/* Crockford decoding: case-insensitive, I/L -> 1, O -> 0. U is not a symbol. */
static int decode_symbol(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	if (c == 'I' || c == 'L')
		c = '1';
	else if (c == 'O')
		c = '0';
	for (int i = 0; i < 32; i++)
		if (alphabet[i] == c)
			return i;
	return -1;
}

int ho_password_parse(ho_password **out, const char *text, size_t len, ho_err *err)
{
	ho_password *pw = NULL;
	size_t i, n = 0;
	int rc;

	*out = NULL;
	if (text == NULL || len > 64)
		return ho_err_set(err, HO_EINVAL, "that is not a medium password: it should be "
			"16 letters and digits, like XXXX-XXXX-XXXX-XXXX");
	if ((rc = page_new(&pw, err)) != 0)
		return rc;
	rc = HO_EINVAL;
	for (i = 0; i < len; i++) {
		int v;

		if (text[i] == '-' || text[i] == ' ')
			continue;
		if ((v = decode_symbol(text[i])) < 0 || n >= HO_PASSWORD_CHARS)
			goto bad;
		pw->zip[n++] = alphabet[v];
	}
	if (n != HO_PASSWORD_CHARS)
		goto bad;
	pw->zip[n] = '\0';
	make_display(pw);
	*out = pw;
	return 0;
bad:
	ho_password_free(pw);
	return ho_err_set(err, rc, "that is not a medium password: it should be 16 letters "
		"and digits, like XXXX-XXXX-XXXX-XXXX; check what was typed");
}

const char *ho_password_zip(const ho_password *pw)
{
	return pw->zip;
}

const char *ho_password_display(const ho_password *pw)
{
	return pw->display;
}

int ho_password_is_locked(const ho_password *pw)
{
	return pw->locked;
}
