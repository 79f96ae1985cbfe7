/* Generates a signed log of realistic entries for tests and benchmarks.
 * Usage: ledger_gen DIR N [--fast] [--step-min M] [--origin O]
 *   --fast      no fdatasync and one checkpoint per 4096 entries (bulk generation only)
 * Prints the verifier key line on stdout. Entry mix: ~60% exports (1-8 studies),
 * sign-ins/outs, some failures, spoiled/destroyed media and security alerts. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/ledger.h"
#include "core/note.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

int main(int argc, char **argv)
{
	ho_ledger_opts o = HO_LEDGER_OPTS_INIT;
	ho_ledger *l = NULL;
	ho_err err = HO_ERR_INIT;
	unsigned long long n;
	char vk[HO_NOTE_VKEY_MAX];
	static const char *staff[] = {"jdoe", "asmith", "bwong", "cmeyer", "dlopez", "nightshift"};
	static const char *sops[] = {"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4",
	                             "1.2.840.10008.5.1.4.1.1.1.1"};

	if (argc < 3) {
		fputs("usage: ledger_gen DIR N [--fast] [--step-min M] [--segmax B] [--origin O]\n",
		      stderr);
		return 1;
	}
	n = strtoull(argv[2], NULL, 10);
	o.origin = "bench.kiosk/gen";
	o.fixed_utc_ns = 1767261600LL * 1000000000LL; /* 2026-01-01 10:00 UTC */
	o.utc_step_ns = 60LL * 1000000000LL;
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--fast") == 0) {
			o.no_sync = true;
			o.checkpoint_every = 4096;
		} else if (strcmp(argv[i], "--step-min") == 0 && i + 1 < argc) {
			o.utc_step_ns = strtoll(argv[++i], NULL, 10) * 60LL * 1000000000LL;
		} else if (strcmp(argv[i], "--segmax") == 0 && i + 1 < argc) {
			o.segment_max = strtoull(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--origin") == 0 && i + 1 < argc) {
			o.origin = argv[++i];
		}
	}
	if (ho_ledger_open(&l, argv[1], &o, &err) != 0) {
		fprintf(stderr, "ledger_gen: %s\n", err.msg);
		return 1;
	}
	for (unsigned long long i = 0; i < n; i++) {
		char *xml = NULL, uid[8][64], pid[32], label[32], ser[8][2][80];
		const char *series[8][2];
		size_t len = 0;
		uint32_t r = rnd(100);
		int rc;
		enum ho_ledger_kind kind;
		ho_audit_source src = {"Clinic", "bench.kiosk/gen", "kiosk-1", NULL,
		                       o.fixed_utc_ns + (int64_t)i * o.utc_step_ns};
		ho_audit_person who = {staff[rnd(6)], NULL, "front desk"};

		snprintf(pid, sizeof(pid), "PID%06" PRIu32, rnd(50000));
		snprintf(label, sizeof(label), "HO%08llu", i);
		if (r < 62) {
			ho_audit_study st[8];
			uint32_t ns = 1 + rnd(r < 3 ? 8 : 3), counts[3] = {100, 20, 4};
			ho_audit_export e;
			memset(&e, 0, sizeof(e));
			for (uint32_t k = 0; k < ns; k++) {
				snprintf(uid[k], 64, "1.2.826.0.1.3680043.9.7%llu.%" PRIu32, i, k);
				for (int s = 0; s < 2; s++) {
					snprintf(ser[k][s], sizeof(ser[k][s]), "%.64s.%d", uid[k],
					         s + 1);
					series[k][s] = ser[k][s];
				}
				st[k] = (ho_audit_study){uid[k], "ACC12345", sops, counts, 3,
				                         124,    series[k],  2,    true,   false};
			}
			e.src = src;
			e.staff = who;
			e.recipient = (ho_audit_person){"patient", NULL, NULL};
			e.recipient_kind = "patient";
			e.medium_type = HO_MEDIUM_CD;
			e.medium_label = label;
			e.patient_id = pid;
			e.patient_issuer = "CLINIC";
			e.studies = st;
			e.n_studies = ns;
			e.purpose = "right of access";
			e.manifest_digest =
			    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
			e.identity_method = "photo ID";
			e.escrow_blob =
			    "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
			if (r < 5) {
				e.outcome = HO_AUDIT_SERIOUS_FAILURE;
				e.outcome_desc = "write error on the disc";
				kind = HO_LEDGER_EXPORT_FAILED;
			} else {
				kind = HO_LEDGER_EXPORT;
			}
			rc = ho_audit_export_xml(&xml, &len, &e, &err);
		} else if (r < 92) {
			ho_audit_auth a = {src,
			                   r < 77   ? HO_AUTH_LOGIN
			                   : r < 90 ? HO_AUTH_LOGOUT
			                            : HO_AUTH_FAILURE,
			                   who, r >= 90 ? "wrong PIN" : NULL};
			kind = HO_LEDGER_AUTH;
			rc = ho_audit_auth_xml(&xml, &len, &a, &err);
		} else if (r < 96) {
			ho_audit_medium m = {
			    src,      r < 94 ? HO_MEDIUM_EVT_SPOILED : HO_MEDIUM_EVT_DESTROYED,
			    who,      HO_MEDIUM_DVD,
			    label,    pid,
			    "CLINIC", r < 94 ? "read-back mismatch" : "shredded",
			    0};
			kind = r < 94 ? HO_LEDGER_MEDIUM_SPOILED : HO_LEDGER_MEDIUM_DESTROYED;
			rc = ho_audit_medium_xml(&xml, &len, &m, &err);
		} else {
			ho_audit_alert a;
			memset(&a, 0, sizeof(a));
			a.src = src;
			a.type = HO_ALERT_GUARD;
			a.outcome = HO_AUDIT_SERIOUS_FAILURE;
			a.description = "instance of another patient received; job stopped";
			a.object_id = pid;
			kind = HO_LEDGER_SECURITY_ALERT;
			rc = ho_audit_alert_xml(&xml, &len, &a, &err);
		}
		if (rc == 0)
			rc = ho_ledger_append(l, kind, xml, len, NULL, &err);
		free(xml);
		if (rc != 0) {
			fprintf(stderr, "ledger_gen: %s\n", err.msg);
			ho_ledger_close(l);
			return 1;
		}
	}
	if (ho_ledger_vkey(l, vk, sizeof(vk)) == 0)
		printf("%s\n", vk);
	ho_ledger_close(l);
	return 0;
}
