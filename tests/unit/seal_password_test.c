/* Unit tests for core/password: format, alphabet, distribution, parsing, wipe. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/password.h"

static int failures;
#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c)) {                                                                \
			fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c);     \
			failures++;                                                        \
		}                                                                          \
	} while (0)

static const char *alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void test_format(void)
{
	for (int k = 0; k < 200; k++) {
		ho_password *pw = NULL;
		const char *z, *d;

		CHECK(ho_password_new(&pw, NULL) == 0);
		z = ho_password_zip(pw);
		d = ho_password_display(pw);
		CHECK(strlen(z) == HO_PASSWORD_CHARS);
		CHECK(strlen(d) == HO_PASSWORD_DISPLAY);
		for (int i = 0; i < HO_PASSWORD_CHARS; i++)
			CHECK(z[i] != '\0' && strchr(alphabet, z[i]) != NULL);
		/* display = groups of 4 of the zip form */
		for (int i = 0, j = 0; i < HO_PASSWORD_DISPLAY; i++) {
			if (i % 5 == 4)
				CHECK(d[i] == '-');
			else
				CHECK(d[i] == z[j++]);
		}
		ho_password_free(pw);
	}
}

/* 80 bits over 16 symbols: each of the 32 symbols should appear 1/32 of the time at
 * every position. Chi-square over all positions with 4000 samples (64000 symbols,
 * 31 degrees of freedom): 99.99th percentile is about 70. */
static void test_distribution(void)
{
	static long count[HO_PASSWORD_CHARS][32];
	const int samples = 4000;
	double chi_total = 0, chi_worst = 0;

	memset(count, 0, sizeof(count));
	for (int k = 0; k < samples; k++) {
		ho_password *pw = NULL;

		if (ho_password_new(&pw, NULL) != 0) {
			CHECK(0);
			return;
		}
		for (int i = 0; i < HO_PASSWORD_CHARS; i++)
			count[i][strchr(alphabet, ho_password_zip(pw)[i]) - alphabet]++;
		ho_password_free(pw);
	}
	for (int i = 0; i < HO_PASSWORD_CHARS; i++) {
		double e = samples / 32.0, chi = 0;

		for (int s = 0; s < 32; s++)
			chi += (count[i][s] - e) * (count[i][s] - e) / e;
		if (chi > chi_worst)
			chi_worst = chi;
	}
	{
		double e = samples * HO_PASSWORD_CHARS / 32.0;

		for (int s = 0; s < 32; s++) {
			long c = 0;

			for (int i = 0; i < HO_PASSWORD_CHARS; i++)
				c += count[i][s];
			chi_total += (c - e) * (c - e) / e;
		}
	}
	printf("chi-square all positions %.1f, worst single position %.1f (31 dof)\n",
	       chi_total, chi_worst);
	CHECK(chi_total < 70.0);
	/* per position 250 samples/symbol... 125 each: the 99.999th percentile ~ 80 */
	CHECK(chi_worst < 80.0);
}

static void test_unique(void)
{
	enum { N = 2000 };
	static char seen[N][HO_PASSWORD_CHARS + 1];

	for (int k = 0; k < N; k++) {
		ho_password *pw = NULL;

		CHECK(ho_password_new(&pw, NULL) == 0);
		memcpy(seen[k], ho_password_zip(pw), HO_PASSWORD_CHARS + 1);
		ho_password_free(pw);
		for (int j = 0; j < k; j++)
			CHECK(strcmp(seen[j], seen[k]) != 0);
	}
}

static void test_parse(void)
{
	static const struct {
		const char *in;
		const char *want; /* NULL = must fail */
	} cases[] = {
		{"ABCD-EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS"},
		{"abcd efgh jkmn pqrs", "ABCDEFGHJKMNPQRS"},
		{"0123456789ABCDEF", "0123456789ABCDEF"},
		{"oiL1-OOOO-IIII-llll", "0111000011111111"},
		{"ABCD-EFGH-JKMN-PQR", NULL},    /* 15 */
		{"ABCD-EFGH-JKMN-PQRST", NULL},  /* 17 */
		{"ABCD-EFGH-JKMN-PQRU", NULL},   /* U is not Crockford */
		{"ABCD_EFGH-JKMN-PQRS", NULL},
		{"", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ho_password *pw = NULL;
		ho_err err = HO_ERR_INIT;
		int rc = ho_password_parse(&pw, cases[i].in, strlen(cases[i].in), &err);

		if (cases[i].want == NULL) {
			CHECK(rc == HO_EINVAL && pw == NULL && err.msg[0] != '\0');
		} else {
			CHECK(rc == 0);
			if (rc == 0)
				CHECK(strcmp(ho_password_zip(pw), cases[i].want) == 0);
		}
		ho_password_free(pw);
	}
	/* round trip of the display form */
	ho_password *a = NULL, *b = NULL;
	CHECK(ho_password_new(&a, NULL) == 0);
	CHECK(ho_password_parse(&b, ho_password_display(a), HO_PASSWORD_DISPLAY, NULL) == 0);
	CHECK(strcmp(ho_password_zip(a), ho_password_zip(b)) == 0);
	ho_password_free(a);
	ho_password_free(b);
	ho_password_free(NULL);
}

/* Wipe: this executable defines munmap, which takes precedence over libc's for the
 * static ho_seal library, so we see the page in the instant before it is unmapped and
 * check that every byte is already zero (OPENSSL_cleanse ran). */
static void *watched;
static int watched_seen, watched_dirty;

int munmap(void *addr, size_t len)
{
	if (watched != NULL && addr == watched) {
		const unsigned char *b = addr;

		watched_seen = 1;
		for (size_t i = 0; i < len; i++)
			watched_dirty |= b[i] != 0;
	}
	return (int)syscall(SYS_munmap, addr, len);
}

static void test_locked_and_wipe(void)
{
	ho_password *pw = NULL;

	CHECK(ho_password_new(&pw, NULL) == 0);
	/* tests run as root; one page also fits the default 8 MiB RLIMIT_MEMLOCK */
	CHECK(ho_password_is_locked(pw) == 1);
	watched = pw;
	ho_password_free(pw);
	watched = NULL;
	CHECK(watched_seen == 1);
	CHECK(watched_dirty == 0);

	/* negative control: a page that was not wiped is detected */
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	memset(p, 'A', 16);
	watched = p;
	watched_seen = watched_dirty = 0;
	munmap(p, 4096);
	watched = NULL;
	CHECK(watched_seen == 1 && watched_dirty == 1);
}

int main(void)
{
	test_format();
	test_distribution();
	test_unique();
	test_parse();
	test_locked_and_wipe();
	if (failures == 0)
		puts("seal_password_test: ok");
	return failures == 0 ? 0 : 1;
}
