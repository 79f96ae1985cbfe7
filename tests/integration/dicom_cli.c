/*
 * tests/integration/dicom_cli.c - a thin command line over dicom/dicom.h for the
 * integration tests (tests/integration/dicom_net.py) and for measuring.
 *
 *   dicom_cli [peer options] find patient|study|series [--pid X] [--name N] [--study UID]
 *   dicom_cli [peer options] get --pid X --study UID --series UID --dest DIR
 *             [--stop-after N] [--delete]
 *   peer options: --host H --port P --aec AE --aet AE --move-port N --ca F --cert F --key F
 *                 --connect-timeout S --dimse-timeout S
 *
 * find prints one tab-separated line per record:
 *   level pid issuer name birth sex study date accession modalities series modality
 *   series_number num_instances study_desc series_desc
 * get prints one line per instance: sop_instance ts size series patient_id path issuer
 * Both end with "rc=<HO_E name>" on stdout and the message on stderr; exit status is 0 on
 * success, else -rc (the HO_E code), or 100 + callback value for a stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dicom/dicom.h"

static int num(const char *s)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);

	if (end == s || *end != '\0' || v < -1000000 || v > 1000000) {
		fprintf(stderr, "bad number '%s'\n", s);
		exit(2);
	}
	return (int)v;
}

static int print_rec(void *ud, const ho_dcm_record *r)
{
	(void)ud;
	printf("%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", r->level,
	       r->patient_id, r->issuer, r->patient_name, r->birth_date, r->sex, r->study_uid,
	       r->study_date, r->accession, r->modalities, r->series_uid, r->modality,
	       r->series_number, r->num_instances, r->study_desc, r->series_desc);
	return 0;
}

struct get_ctx {
	int stop_after;
	int n;
	int del;
};

static int print_inst(void *ud, const ho_dcm_instance *i)
{
	struct get_ctx *g = ud;

	printf("%s\t%s\t%llu\t%s\t%s\t%s\t%s\n", i->sop_instance_uid, i->transfer_syntax,
	       (unsigned long long)i->size, i->series_uid, i->patient_id, i->path, i->issuer);
	if (g->del)
		unlink(i->path);
	g->n++;
	if (g->stop_after > 0 && g->n >= g->stop_after)
		return 42;
	return 0;
}

int main(int argc, char **argv)
{
	ho_dcm_peer peer = {.host = "127.0.0.1",
			    .port = 4242,
			    .called_ae = "ORTHANC",
			    .calling_ae = "HANDOFF"};
	ho_dcm_query q = {0};
	const char *cmd = NULL, *level = NULL, *dest = NULL, *pid = NULL, *study = NULL,
		   *series = NULL;
	struct get_ctx g = {0, 0, 0};
	ho_err err = HO_ERR_INIT;
	struct timespec t0, t1;
	int rc, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int has = v != NULL;
		if (!strcmp(a, "--host") && has)
			peer.host = argv[++i];
		else if (!strcmp(a, "--port") && has)
			peer.port = num(argv[++i]);
		else if (!strcmp(a, "--aec") && has)
			peer.called_ae = argv[++i];
		else if (!strcmp(a, "--aet") && has)
			peer.calling_ae = argv[++i];
		else if (!strcmp(a, "--move-port") && has)
			peer.move_port = num(argv[++i]);
		else if (!strcmp(a, "--ca") && has)
			peer.tls_ca_file = argv[++i];
		else if (!strcmp(a, "--cert") && has)
			peer.tls_cert_file = argv[++i];
		else if (!strcmp(a, "--key") && has)
			peer.tls_key_file = argv[++i];
		else if (!strcmp(a, "--connect-timeout") && has)
			peer.connect_timeout_s = num(argv[++i]);
		else if (!strcmp(a, "--dimse-timeout") && has)
			peer.dimse_timeout_s = num(argv[++i]);
		else if (!strcmp(a, "--pid") && has)
			pid = argv[++i];
		else if (!strcmp(a, "--name") && has)
			q.patient_name = argv[++i];
		else if (!strcmp(a, "--birth") && has)
			q.birth_date = argv[++i];
		else if (!strcmp(a, "--study") && has)
			study = argv[++i];
		else if (!strcmp(a, "--series") && has)
			series = argv[++i];
		else if (!strcmp(a, "--dest") && has)
			dest = argv[++i];
		else if (!strcmp(a, "--stop-after") && has)
			g.stop_after = num(argv[++i]);
		else if (!strcmp(a, "--delete"))
			g.del = 1;
		else if (cmd == NULL)
			cmd = a;
		else if (level == NULL)
			level = a;
		else {
			fprintf(stderr, "usage: see the comment at the top of dicom_cli.c\n");
			return 2;
		}
	}
	if (cmd == NULL)
		return 2;
	if ((rc = ho_dcm_global_init(&err)) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(cmd, "find")) {
		int lv = level == NULL ? 0
			 : !strcmp(level, "patient") ? HO_DCM_LEVEL_PATIENT
			 : !strcmp(level, "study")   ? HO_DCM_LEVEL_STUDY
			 : !strcmp(level, "series")  ? HO_DCM_LEVEL_SERIES
						     : 0;
		q.patient_id = pid;
		q.study_uid = study;
		rc = ho_dcm_find(&peer, lv, &q, print_rec, NULL, &err);
	} else if (!strcmp(cmd, "get")) {
		rc = ho_dcm_retrieve_series(&peer, pid, study, series, dest, print_inst, &g, &err);
	} else {
		fprintf(stderr, "unknown command %s\n", cmd);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("rc=%s\n", rc > 0 ? "STOP" : ho_err_name(rc));
	fprintf(stderr, "seconds=%.3f\n",
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", ho_err_name(err.code), err.msg);
	fflush(stdout);
	return rc > 0 ? 100 + rc % 100 : -rc;
}
