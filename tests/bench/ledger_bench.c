/* Benchmarks of the signed log (label bench; figures, not pass/fail thresholds, except
 * the 10 s verification target of issue 4).
 *   ledger_bench append DIR [N]    append latency incl. entry+checkpoint fdatasync:
 *                                  p50/p99/max over N realistic export entries
 *   ledger_bench verify DIR [N]    builds an N-entry log once (bulk mode) and times a
 *                                  full verification (CRCs, tree, checkpoints, signature) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/audit.h"
#include "core/ledger.h"
#include "core/ledger_verify.h"
#include "core/note.h"
#include "util/fs.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int export_xml(char **xml, size_t *len, unsigned long long i)
{
	static const char *sops[] = {"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"};
	static const uint32_t counts[] = {300, 40};
	char uid[2][64], ser[2][2][80], label[32];
	const char *series[2][2];
	ho_audit_study st[2];
	ho_audit_export e;
	ho_err err = HO_ERR_INIT;

	memset(&e, 0, sizeof(e));
	for (int k = 0; k < 2; k++) {
		snprintf(uid[k], 64, "1.2.826.0.1.3680043.9.7%llu.%d", i, k);
		for (int s = 0; s < 2; s++) {
			snprintf(ser[k][s], sizeof(ser[k][s]), "%.64s.%d", uid[k], s + 1);
			series[k][s] = ser[k][s];
		}
		st[k] = (ho_audit_study){uid[k], "ACC12345", sops, counts, 2,
		                         340,    series[k],  2,    true,   false};
	}
	snprintf(label, sizeof(label), "HO%08llu", i);
	e.src = (ho_audit_source){"Clinic", "bench.kiosk/b", "kiosk-1", NULL, 0};
	e.staff = (ho_audit_person){"jdoe", "Jane Doe", "front desk"};
	e.recipient = (ho_audit_person){"patient", NULL, NULL};
	e.medium_type = HO_MEDIUM_CD;
	e.medium_label = label;
	e.patient_id = "PID000123";
	e.patient_issuer = "CLINIC";
	e.studies = st;
	e.n_studies = 2;
	e.purpose = "right of access";
	e.manifest_digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	e.identity_method = "photo ID";
	e.escrow_blob = "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
	return ho_audit_export_xml(xml, len, &e, &err);
}

static int bench_append(const char *dir, unsigned long long n)
{
	ho_ledger_opts o = HO_LEDGER_OPTS_INIT;
	ho_ledger *l = NULL;
	ho_err err = HO_ERR_INIT;
	double *lat = calloc(n, sizeof(double)), t0;
	size_t bytes = 0;

	if (lat == NULL || ho_fs_rm_rf(dir) != 0)
		return 1;
	o.origin = "bench.kiosk/b";
	if (ho_ledger_open(&l, dir, &o, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	t0 = now();
	for (unsigned long long i = 0; i < n; i++) {
		char *xml = NULL;
		size_t len = 0;
		double a;
		if (export_xml(&xml, &len, i) != 0)
			return 1;
		a = now();
		if (ho_ledger_append(l, HO_LEDGER_EXPORT, xml, len, NULL, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		lat[i] = now() - a;
		bytes += len;
		free(xml);
	}
	t0 = now() - t0;
	ho_ledger_close(l);
	qsort(lat, n, sizeof(double), cmp_d);
	printf("append (entry %zu bytes avg, entry+checkpoint fdatasync'ed): n=%llu p50=%.2f ms "
	       "p99=%.2f ms max=%.2f ms, %.0f appends/s\n",
	       bytes / (size_t)n, n, lat[n / 2] * 1e3, lat[n * 99 / 100] * 1e3, lat[n - 1] * 1e3,
	       (double)n / t0);
	free(lat);
	return 0;
}

static int bench_verify(const char *dir, unsigned long long n)
{
	ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
	ho_ledger_verify_result r;
	ho_note_verifier v;
	ho_err err = HO_ERR_INIT;
	char vk[HO_NOTE_VKEY_MAX], *stamp = ho_strfmt("%s.%llu.done", dir, n);
	double t0;
	int rc;
	struct stat st;

	if (stamp == NULL)
		return 1;
	if (stat(stamp, &st) != 0) {
		ho_ledger_opts lo = HO_LEDGER_OPTS_INIT;
		ho_ledger *l = NULL;
		char *xml = NULL;
		size_t len = 0;
		if (ho_fs_rm_rf(dir) != 0)
			return 1;
		lo.origin = "bench.kiosk/b";
		lo.no_sync = true;
		lo.checkpoint_every = 4096;
		lo.fixed_utc_ns = 1767225600LL * 1000000000LL;
		if (ho_ledger_open(&l, dir, &lo, &err) != 0 || export_xml(&xml, &len, 1) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t0 = now();
		for (unsigned long long i = 1; i < n; i++)
			if (ho_ledger_append(l, HO_LEDGER_EXPORT, xml, len, NULL, &err) != 0) {
				fprintf(stderr, "%s\n", err.msg);
				return 1;
			}
		ho_ledger_close(l);
		free(xml);
		printf("generated %llu entries in %.1f s (bulk mode)\n", n, now() - t0);
		if (ho_fs_write_atomic(stamp, "", 0, 0644, NULL) != 0)
			return 1;
	}
	{
		ho_ledger_opts lo = HO_LEDGER_OPTS_INIT;
		ho_ledger *l = NULL;
		lo.read_only = true;
		if (ho_ledger_open(&l, dir, &lo, &err) != 0 ||
		    ho_ledger_vkey(l, vk, sizeof(vk)) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		ho_ledger_close(l);
		if (ho_note_vkey_parse(&v, vk, strlen(vk), &err) != 0)
			return 1;
	}
	o.keys = &v;
	o.n_keys = 1;
	t0 = now();
	rc = ho_ledger_verify(&r, dir, &o, &err);
	t0 = now() - t0;
	if (rc != 0) {
		fprintf(stderr, "%s\n", r.problem);
		return 1;
	}
	printf("verify: %" PRIu64 " entries, %" PRIu64 " segments, %.2f GB in %.2f s = %.0f "
	       "entries/s, %.0f MB/s (target: 1,000,000 entries <= 10 s)\n",
	       r.entries, r.segments, (double)r.bytes / 1e9, t0, (double)r.entries / t0,
	       (double)r.bytes / 1e6 / t0);
	ho_ledger_verify_result_free(&r);
	free(stamp);
	return r.entries >= 1000000 && t0 > 10.0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	unsigned long long n;

	if (argc < 3) {
		fputs("usage: ledger_bench append|verify DIR [N]\n", stderr);
		return 2;
	}
	n = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	if (strcmp(argv[1], "append") == 0)
		return bench_append(argv[2], n ? n : 2000);
	if (strcmp(argv[1], "verify") == 0)
		return bench_verify(argv[2], n ? n : 1000000);
	return 2;
}
