/*
 * handoff - the headless front end. Same pipeline as the kiosk, driven from a shell.
 * Exit codes are documented in docs/CLI.md and by `handoff --help`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "app/cli/cli.h"
#include "core/config.h"
#include "core/job.h"
#include "core/pacs.h"
#include "util/json.h"

static const char USAGE[] =
	"usage: handoff [--config FILE] [--set SECTION.KEY=VALUE]... COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  find [--patient ID | --name PATTERN] [--study UID] [--json]\n"
	"        patients; with --patient the patient's studies; with --study its series\n"
	"  export --patient ID [--issuer ISSUER] [--study UID]... [--series UID]...\n"
	"         [--drive ADDR] [--manifest PATH] [--json]\n"
	"         [--encrypt | --no-encrypt] [--password-fd N]\n"
	"         [--staff ID] [--staff-name NAME] [--role ROLE]\n"
	"         [--recipient NAME] [--recipient-kind patient|representative|provider]\n"
	"         [--identity-check METHOD] [--purpose TEXT]\n"
	"        pull, check, write, verify and record one patient's images\n"
	"  config\n"
	"        print the effective configuration\n"
	"  log ...\n"
	"        the signed handoff log (see `handoff log --help`)\n"
	"\n"
	"exit codes: 0 done, 1 usage or bad input, 2 configuration, 3 PACS unreachable or\n"
	"refused, 4 not found, 5 security stop (another patient's data), 6 drive or medium,\n"
	"7 verification failed, 8 cancelled, 9 corrupt data from the PACS, 10 log unusable,\n"
	"11 patient data could not be removed from the kiosk, 12 internal error\n";

static int fail(const ho_err *err, int rc)
{
	fprintf(stderr, "handoff: %s\n", err->msg[0] ? err->msg : ho_err_name(rc));
	return ho_cli_exit_code(rc);
}

/* ---- find -------------------------------------------------------------------------- */

struct find_out {
	int json;
	int level;
	unsigned n;
};

static void json_field(FILE *f, int *first, const char *k, const char *v)
{
	fprintf(f, "%s", *first ? "" : ",");
	*first = 0;
	ho_json_str(f, k);
	fputc(':', f);
	ho_json_str(f, v);
}

static int on_record(void *ud, const ho_dcm_record *r)
{
	struct find_out *o = ud;
	char num[32];

	if (o->json) {
		int first = 1;
		printf("%s{", o->n ? ",\n " : "");
		if (o->level == HO_DCM_LEVEL_PATIENT) {
			json_field(stdout, &first, "patient_id", r->patient_id);
			json_field(stdout, &first, "issuer", r->issuer);
			json_field(stdout, &first, "name", r->patient_name);
			json_field(stdout, &first, "birth_date", r->birth_date);
			json_field(stdout, &first, "sex", r->sex);
		} else if (o->level == HO_DCM_LEVEL_STUDY) {
			json_field(stdout, &first, "study_uid", r->study_uid);
			json_field(stdout, &first, "date", r->study_date);
			json_field(stdout, &first, "accession", r->accession);
			json_field(stdout, &first, "modalities", r->modalities);
			json_field(stdout, &first, "description", r->study_desc);
			snprintf(num, sizeof(num), "%d", r->num_instances);
			printf(",\"instances\":%s", num);
		} else {
			json_field(stdout, &first, "series_uid", r->series_uid);
			json_field(stdout, &first, "modality", r->modality);
			json_field(stdout, &first, "description", r->series_desc);
			printf(",\"number\":%d,\"instances\":%d", r->series_number, r->num_instances);
		}
		putchar('}');
	} else if (o->level == HO_DCM_LEVEL_PATIENT) {
		printf("%-16s %-12s %-30s %-8s %s\n", r->patient_id, r->issuer, r->patient_name,
		       r->birth_date, r->sex);
	} else if (o->level == HO_DCM_LEVEL_STUDY) {
		printf("%-8s %-8s %-12s %5d  %-30s %s\n", r->study_date, r->modalities,
		       r->accession, r->num_instances, r->study_desc, r->study_uid);
	} else {
		printf("%6d %-4s %5d  %-30s %s\n", r->series_number, r->modality,
		       r->num_instances, r->series_desc, r->series_uid);
	}
	o->n++;
	return 0;
}

static int cmd_find(ho_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{"patient", required_argument, NULL, 'p'}, {"name", required_argument, NULL, 'n'},
		{"study", required_argument, NULL, 's'},   {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},	   {NULL, 0, NULL, 0},
	};
	ho_dcm_query q = {0};
	struct find_out out = {0};
	ho_err err = HO_ERR_INIT;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			q.patient_id = optarg;
			break;
		case 'n':
			q.patient_name = optarg;
			break;
		case 's':
			q.study_uid = optarg;
			break;
		case 'j':
			out.json = 1;
			break;
		default:
			fputs(USAGE, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 1;
		}
	}
	if (optind != argc) {
		fputs(USAGE, stderr);
		return 1;
	}
	out.level = q.study_uid ? HO_DCM_LEVEL_SERIES
		    : q.patient_id ? HO_DCM_LEVEL_STUDY
				   : HO_DCM_LEVEL_PATIENT;
	if (!out.json) {
		if (out.level == HO_DCM_LEVEL_PATIENT)
			printf("%-16s %-12s %-30s %-8s %s\n", "PATIENT ID", "ISSUER", "NAME", "BORN",
			       "SEX");
		else if (out.level == HO_DCM_LEVEL_STUDY)
			printf("%-8s %-8s %-12s %5s  %-30s %s\n", "DATE", "MODALITY", "ACCESSION",
			       "IMGS", "DESCRIPTION", "STUDY UID");
		else
			printf("%6s %-4s %5s  %-30s %s\n", "SERIES", "MOD", "IMGS", "DESCRIPTION",
			       "SERIES UID");
	} else {
		putchar('[');
	}
	rc = ho_pacs_find(cfg, out.level, &q, on_record, &out, &err);
	if (out.json)
		puts("]");
	if (rc < 0)
		return fail(&err, rc);
	if (out.n == 0 && !out.json)
		fprintf(stderr, "handoff: nothing found\n");
	return 0;
}

/* ---- export ------------------------------------------------------------------------ */

struct pw_out {
	int fd;  /* --password-fd, or -1 */
	int tty; /* stdout is a terminal */
};

struct bar {
	struct timespec t0;
	int tty;
	int last_stage;
	int drawn;
	struct pw_out *pw;
};

static double elapsed(const struct bar *b)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - b->t0.tv_sec) + (double)(t.tv_nsec - b->t0.tv_nsec) / 1e9;
}

/* On the kiosk the password goes to the receipt's tear-off part; the headless front end
 * hands it to the descriptor the caller opened for it, or to the operator's terminal. */
static void on_password(void *ud, const char *display)
{
	struct bar *b = ud;

	if (b->pw->fd >= 0) {
		dprintf(b->pw->fd, "%s\n", display);
	} else if (b->pw->tty) {
		if (b->drawn)
			fputc('\n', stderr);
		b->drawn = 0;
		printf("Password for the patient (give it on paper, apart from the disc): %s\n",
		       display);
		fflush(stdout);
	}
}

static void on_progress(void *ud, const ho_progress *p)
{
	struct bar *b = ud;

	if (!b->tty) {
		if (p->stage != b->last_stage)
			fprintf(stderr, "[%8.3f s] [%s] %s\n", elapsed(b), ho_stage_name(p->stage),
				p->what);
		b->last_stage = p->stage;
		return;
	}
	{
		double frac = 0;
		char line[160];
		int width = 30, fill;
		if (p->bytes_total > 0)
			frac = (double)p->bytes_done / (double)p->bytes_total;
		else if (p->items_total > 0)
			frac = (double)p->items_done / (double)p->items_total;
		if (frac > 1)
			frac = 1;
		fill = (int)(frac * width);
		snprintf(line, sizeof(line), "%-8s [%.*s%.*s] %3d%%  %s", ho_stage_name(p->stage),
			 fill, "##############################", width - fill,
			 "------------------------------", (int)(frac * 100), p->what);
		fprintf(stderr, "\r%-100.100s", line);
		if (p->items_total > 0 && p->stage == HO_STAGE_PULL)
			fprintf(stderr, "\r\033[80C %llu/%llu", (unsigned long long)p->items_done,
				(unsigned long long)p->items_total);
		b->drawn = 1;
		b->last_stage = p->stage;
	}
}

static void hex(char *out, const uint8_t *in, size_t n)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

#define MAX_UIDS 256

static int cmd_export(ho_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{"patient", required_argument, NULL, 'p'},
		{"issuer", required_argument, NULL, 'i'},
		{"study", required_argument, NULL, 's'},
		{"series", required_argument, NULL, 'S'},
		{"drive", required_argument, NULL, 'd'},
		{"manifest", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{"encrypt", no_argument, NULL, 'E'},
		{"no-encrypt", no_argument, NULL, 'N'},
		{"password-fd", required_argument, NULL, 'P'},
		{"staff", required_argument, NULL, 'u'},
		{"staff-name", required_argument, NULL, 'U'},
		{"role", required_argument, NULL, 'r'},
		{"recipient", required_argument, NULL, 'R'},
		{"recipient-kind", required_argument, NULL, 'K'},
		{"identity-check", required_argument, NULL, 'I'},
		{"purpose", required_argument, NULL, 'o'},
		{NULL, 0, NULL, 0},
	};
	const char *studies[MAX_UIDS], *series[MAX_UIDS];
	struct pw_out pw = {.fd = -1};
	char staff[128];
	ho_job_opts o = HO_JOB_OPTS_INIT;
	ho_job_result res;
	ho_err err = HO_ERR_INIT;
	struct bar bar = {.tty = isatty(STDERR_FILENO), .last_stage = -1};
	char digest[65], entry[65];
	int c, rc, json = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.patient_id = optarg;
			break;
		case 'i':
			o.issuer = optarg;
			break;
		case 's':
			if (o.n_studies == MAX_UIDS) {
				fprintf(stderr, "handoff: at most %d --study options\n", MAX_UIDS);
				return 1;
			}
			studies[o.n_studies++] = optarg;
			break;
		case 'S':
			if (o.n_series == MAX_UIDS) {
				fprintf(stderr, "handoff: at most %d --series options\n", MAX_UIDS);
				return 1;
			}
			series[o.n_series++] = optarg;
			break;
		case 'd':
			o.drive = optarg;
			break;
		case 'm':
			o.manifest_path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'E':
			o.encrypt = 1;
			break;
		case 'N':
			o.encrypt = 0;
			break;
		case 'P': {
			char *end = NULL;
			long fd = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || fd < 3 || fd > 1023) {
				fprintf(stderr, "handoff: --password-fd wants a descriptor >= 3\n");
				return 1;
			}
			pw.fd = (int)fd;
			break;
		}
		case 'u':
			o.staff_id = optarg;
			break;
		case 'U':
			o.staff_name = optarg;
			break;
		case 'r':
			o.staff_role = optarg;
			break;
		case 'R':
			o.recipient_name = optarg;
			break;
		case 'K':
			o.recipient_kind = optarg;
			break;
		case 'I':
			o.identity_method = optarg;
			break;
		case 'o':
			o.purpose = optarg;
			break;
		default:
			fputs(USAGE, c == 'h' ? stdout : stderr);
			return c == 'h' ? 0 : 1;
		}
	}
	if (o.staff_id == NULL) {
		/* Headless use: the signed-in Unix account stands for the staff member. */
		const char *u = getenv("SUDO_USER") ? getenv("SUDO_USER") : getenv("USER");
		snprintf(staff, sizeof(staff), "cli:%s", u ? u : "unknown");
		o.staff_id = staff;
	}
	{
		int enc = o.encrypt >= 0 ? o.encrypt : ho_config_get_int(cfg, "export.encrypt") != 0;
		pw.tty = isatty(STDOUT_FILENO);
		if (enc && pw.fd < 0 && !pw.tty) {
			/* The password must reach a person, not a log file that captures stdout. */
			fprintf(stderr, "handoff: an encrypted export needs a terminal or "
					"--password-fd N to hand over the password\n");
			return 1;
		}
		o.password = on_password;
	}
	if (optind != argc || o.patient_id == NULL) {
		fprintf(stderr, "handoff: export needs --patient ID\n%s", USAGE);
		return 1;
	}
	o.study_uids = studies;
	o.series_uids = series;
	o.progress = on_progress;
	clock_gettime(CLOCK_MONOTONIC, &bar.t0);
	bar.pw = &pw;
	o.ud = &bar;
	rc = ho_job_run(cfg, &o, &res, &err);
	if (bar.drawn)
		fputc('\n', stderr);
	if (rc < 0) {
		if (res.medium_touched)
			fprintf(stderr,
				"handoff: the medium was written in part and may hold patient data: "
				"do not hand it out; destroy it.\n");
		if (res.failed_stage == HO_STAGE_WIPE) {
			fail(&err, rc);
			return 11;
		}
		if (rc == HO_EIO && (res.failed_stage == HO_STAGE_WRITE ||
				     res.failed_stage == HO_STAGE_VERIFY)) {
			fail(&err, rc);
			return 6;
		}
		return fail(&err, rc);
	}
	hex(digest, res.manifest_digest, 32);
	if (json) {
		printf("{\"fileset_id\":");
		ho_json_str(stdout, res.fileset_id);
		printf(",\"profile\":");
		ho_json_str(stdout, res.profile);
		printf(",\"drive\":");
		ho_json_str(stdout, o.drive ? o.drive : ho_config_get(cfg, "drive.address"));
		printf(",\"manifest\":");
		ho_json_str(stdout, res.manifest_path);
		hex(entry, res.log_entry_hash, 32);
		printf(",\"manifest_sha256\":\"%s\",\"studies\":%llu,\"series\":%llu,"
		       "\"instances\":%llu,\"transcoded\":%llu,\"bytes\":%llu,"
		       "\"encrypted\":%s,\"escrowed\":%s,\"viewer_payload\":%s,"
		       "\"log_seq\":%llu,\"log_entry_hash\":\"%s\",\"log_origin\":",
		       digest, (unsigned long long)res.studies, (unsigned long long)res.series,
		       (unsigned long long)res.instances, (unsigned long long)res.transcoded,
		       (unsigned long long)res.bytes, res.encrypted ? "true" : "false",
		       res.escrowed ? "true" : "false", res.viewer_payload ? "true" : "false",
		       (unsigned long long)res.log_seq, entry);
		ho_json_str(stdout, res.log_origin);
		puts("}");
	} else {
		printf("Exported %llu images (%llu series, %llu studies) as %s, profile %s.\n"
		       "Medium:   %s (written and verified)\n"
		       "Manifest: %s\n"
		       "Manifest SHA-256: %s\n"
		       "Encrypted: %s%s\n"
		       "Log entry: %s #%llu\n",
		       (unsigned long long)res.instances, (unsigned long long)res.series,
		       (unsigned long long)res.studies, res.fileset_id, res.profile,
		       o.drive ? o.drive : ho_config_get(cfg, "drive.address"), res.manifest_path,
		       digest, res.encrypted ? "yes (STUDY.ZIP, AES-256)" : "no",
		       res.escrowed ? ", password escrowed in the log" : "", res.log_origin,
		       (unsigned long long)res.log_seq);
	}
	return 0;
}

static int cmd_config(ho_config *cfg)
{
	char *text = NULL;
	size_t len = 0;

	if (ho_config_dump(cfg, &text, &len) < 0)
		return 12;
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = getenv("HANDOFF_CONFIG");
	const char *sets[64];
	size_t nsets = 0;
	ho_config *cfg = NULL;
	ho_err err = HO_ERR_INIT;
	int c, rc = 1;

	/* '+': stop at the command; its own options are parsed by the command. */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 's':
			if (nsets == sizeof(sets) / sizeof(sets[0])) {
				fputs("handoff: too many --set options\n", stderr);
				return 1;
			}
			sets[nsets++] = optarg;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			fputs(USAGE, stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		fputs(USAGE, stderr);
		return 1;
	}
	/* STYLE.md 5: the medium password must never reach a core dump. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		fputs("handoff: cannot turn core dumps off; refusing to run\n", stderr);
		return 12;
	}
	if ((rc = ho_job_global_init(&err)) < 0)
		return fail(&err, rc);
	if (path == NULL && access("/etc/handoff/handoff.conf", R_OK) == 0)
		path = "/etc/handoff/handoff.conf";
	if ((rc = ho_config_load(&cfg, path, &err)) < 0)
		return fail(&err, rc);
	for (size_t i = 0; i < nsets; i++) {
		char key[128];
		const char *eq = strchr(sets[i], '=');
		if (eq == NULL || (size_t)(eq - sets[i]) >= sizeof(key)) {
			fprintf(stderr, "handoff: --set wants SECTION.KEY=VALUE, not '%s'\n", sets[i]);
			rc = 1;
			goto out;
		}
		memcpy(key, sets[i], (size_t)(eq - sets[i]));
		key[eq - sets[i]] = '\0';
		if ((rc = ho_config_set(cfg, key, eq + 1, &err)) < 0) {
			rc = fail(&err, rc);
			goto out;
		}
	}
	argc -= optind;
	argv += optind;
	if (strcmp(argv[0], "find") == 0)
		rc = cmd_find(cfg, argc, argv);
	else if (strcmp(argv[0], "export") == 0)
		rc = cmd_export(cfg, argc, argv);
	else if (strcmp(argv[0], "config") == 0)
		rc = cmd_config(cfg);
	else if (strcmp(argv[0], "log") == 0)
		rc = ho_cli_log_main(cfg, argc, argv);
	else {
		fprintf(stderr, "handoff: unknown command '%s'\n%s", argv[0], USAGE);
		rc = 1;
	}
out:
	ho_config_free(cfg);
	return rc;
}
