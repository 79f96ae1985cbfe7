/*
 * seal_tool - drives core/seal, core/escrow and core/pdi_html from shell tests.
 *
 *   seal_tool zip SRC_ROOT ZIP_PATH store|deflate|auto [LEVEL] < LIST
 *       seals the '\n'-separated relative paths of LIST; prints the password
 *       (grouped form) on stdout - tests only: the kiosk never prints it.
 *   seal_tool zip-pw PASSWORD SRC_ROOT ZIP_PATH store|deflate [LEVEL] < LIST
 *       same with a given password (for benchmarks against 7z with the same password)
 *   seal_tool escrow PUBLIC.pem           new password; prints it, then the escrow text
 *   seal_tool pdi ROOT [MAX_PER_SERIES] < LIST
 *   seal_tool render IN.dcm OUT.jpg [MAX_DIM]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/escrow.h"
#include "core/pdi_html.h"
#include "core/seal.h"
#include "dicom/render.h"

static char **read_list(size_t *n)
{
	char **v = NULL, *line = NULL;
	size_t cap = 0, len = 0, k = 0;
	ssize_t r;

	while ((r = getline(&line, &len, stdin)) > 0) {
		while (r > 0 && (line[r - 1] == '\n' || line[r - 1] == '\r'))
			line[--r] = '\0';
		if (r == 0)
			continue;
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			if ((v = realloc(v, cap * sizeof(*v))) == NULL)
				exit(3);
		}
		if ((v[k++] = strdup(line)) == NULL)
			exit(3);
	}
	free(line);
	*n = k;
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int last_pct = -1;

static int progress(void *ud, double fraction, uint64_t done, uint64_t total)
{
	(void)ud;
	(void)done;
	(void)total;
	if (getenv("SEAL_CANCEL_AT") != NULL && fraction * 100 >= strtod(getenv("SEAL_CANCEL_AT"), NULL))
		return 1;
	if ((int)(fraction * 10) != last_pct) {
		last_pct = (int)(fraction * 10);
		fprintf(stderr, "progress %.0f%%\n", fraction * 100);
	}
	return 0;
}

static int method_of(const char *s)
{
	if (strcmp(s, "store") == 0)
		return HO_SEAL_STORE;
	if (strcmp(s, "deflate") == 0)
		return HO_SEAL_DEFLATE;
	return HO_SEAL_AUTO;
}

static int do_zip(ho_password *pw, const char *root, const char *zip, int argc, char **argv)
{
	ho_seal_opts o = HO_SEAL_OPTS_INIT;
	ho_err err = HO_ERR_INIT;
	struct timespec t0, t1;
	struct rusage ru;
	size_t n;
	char **list = read_list(&n);
	int rc;

	o.method = method_of(argv[0]);
	if (argc > 1)
		o.deflate_level = (int)strtol(argv[1], NULL, 10);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = ho_seal_zip(root, (const char *const *)list, n, zip, pw, &o, progress, NULL, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr, "seal: rc=%d files=%zu seconds=%.3f maxrss_kb=%ld %s\n", rc, n,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		ru.ru_maxrss, err.msg);
	free_list(list, n);
	return rc;
}

int main(int argc, char **argv)
{
	ho_password *pw = NULL;
	ho_err err = HO_ERR_INIT;
	int rc = 2;

	if (argc < 2)
		goto usage;
	if (strcmp(argv[1], "zip") == 0 && argc >= 5) {
		if (ho_password_new(&pw, &err) != 0)
			goto fail;
		printf("%s\n", ho_password_display(pw));
		fflush(stdout);
		rc = do_zip(pw, argv[2], argv[3], argc - 4, argv + 4) == 0 ? 0 : 1;
	} else if (strcmp(argv[1], "zip-pw") == 0 && argc >= 6) {
		if (ho_password_parse(&pw, argv[2], strlen(argv[2]), &err) != 0)
			goto fail;
		rc = do_zip(pw, argv[3], argv[4], argc - 5, argv + 5) == 0 ? 0 : 1;
	} else if (strcmp(argv[1], "escrow") == 0 && argc == 3) {
		ho_escrow_key *k = NULL;
		uint8_t *blob = NULL;
		size_t len = 0;
		char *text = NULL;

		if (ho_password_new(&pw, &err) != 0 || ho_escrow_key_load(&k, argv[2], &err) != 0 ||
		    ho_escrow_seal(&blob, &len, k, pw, &err) != 0 ||
		    ho_escrow_to_text(&text, blob, len, &err) != 0) {
			ho_escrow_key_free(k);
			free(blob);
			goto fail;
		}
		printf("%s\n%s\n", ho_password_display(pw), text);
		free(text);
		free(blob);
		ho_escrow_key_free(k);
		rc = 0;
	} else if (strcmp(argv[1], "pdi") == 0 && argc >= 3) {
		ho_pdi_html_opts o = HO_PDI_HTML_OPTS_INIT;
		size_t n;
		char **list = read_list(&n);

		o.institution = "Test Clinic & <Imaging>";
		if (argc > 3)
			o.max_per_series = (unsigned)strtoul(argv[3], NULL, 10);
		rc = ho_pdi_html_write(argv[2], (const char *const *)list, n, &o, NULL, NULL, &err);
		free_list(list, n);
		if (rc != 0)
			goto fail;
	} else if (strcmp(argv[1], "render") == 0 && argc >= 4) {
		ho_dcm_render_info info;

		rc = ho_dcm_render_jpeg(argv[2], argv[3], argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 0, 0,
					&info, &err);
		if (rc != 0)
			goto fail;
		printf("%ux%u -> %ux%u %s\n", info.cols, info.rows, info.jpeg_w, info.jpeg_h,
		       info.patient_name);
	} else {
		goto usage;
	}
	ho_password_free(pw);
	return rc;
fail:
	fprintf(stderr, "seal_tool: %s\n", err.msg);
	ho_password_free(pw);
	return 1;
usage:
	fputs("usage: see the comment at the top of tests/integration/seal_tool.c\n", stderr);
	return 2;
}
