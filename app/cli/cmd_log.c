/* `handoff log ...` - the signed handoff log from the command line. Uses only the public
 * headers of core/ (ledger, ledger_verify, ledger_export, note, signer). */
#include "app/cli/cli.h"
#include "app/cli/cmd_log.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ledger.h"
#include "core/ledger_export.h"
#include "core/ledger_verify.h"
#include "core/note.h"
#include "core/signer.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"

#define DEFAULT_LOG_DIR "/var/lib/handoff/log"
#define KEPT_MAX 65536

static const char LOG_USAGE[] =
    "usage: handoff log COMMAND [--log-dir DIR] [OPTIONS]\n"
    "  show [--json] [--from SEQ] [--limit N]    list entries\n"
    "  verify --key PUBKEY [--checkpoint KEPT] [--save-checkpoint FILE] [--all-signatures]\n"
    "                                            check the log; prints the checkpoint to keep\n"
    "  export --to DIR --staff ID [--source-root DIR] [--verifier BIN]\n"
    "                                            copy the log for an auditor\n"
    "  report [--out FILE] [--hours 7-19] [--bulk N] [--since YYYY-MM-DD]\n"
    "                                            HTML review report\n"
    "  fingerprint [--out PUBKEY]                the public key for the asset register\n"
    "  keygen --key-file PATH [--origin NAME]    create a signing key (refuses to overwrite)\n"
    "  rotate-key --staff ID                     replace the signing key (logged)\n"
    "The log directory is --log-dir, else $HANDOFF_LOG_DIR, else " DEFAULT_LOG_DIR ".\n";

/* Exit codes shared with the rest of the CLI (docs/CLI.md); for the log commands a
 * damaged, unreadable or badly signed log is "log unusable" (10). */
static int code_of(int rc)
{
	switch (rc) {
	case HO_ESTATE:
	case HO_EIO:
	case HO_EFORMAT:
	case HO_ECRYPTO:
		return 10;
	default:
		return ho_cli_exit_code(rc);
	}
}

static int fail(const ho_err *err, int rc)
{
	fprintf(stderr, "handoff log: %s\n", err->msg[0] ? err->msg : ho_err_name(rc));
	return code_of(rc);
}

typedef struct args {
	const char *log_dir, *key, *checkpoint, *save, *to, *staff, *out, *source_root, *verifier,
	    *key_file, *origin, *hours, *since;
	bool json, all_sigs;
	uint64_t from, limit;
	unsigned bulk;
} args;

static int parse(args *a, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"log-dir", required_argument, NULL, 'd'},
	    {"key", required_argument, NULL, 'k'},
	    {"checkpoint", required_argument, NULL, 'c'},
	    {"save-checkpoint", required_argument, NULL, 's'},
	    {"all-signatures", no_argument, NULL, 'A'},
	    {"to", required_argument, NULL, 't'},
	    {"staff", required_argument, NULL, 'u'},
	    {"out", required_argument, NULL, 'o'},
	    {"json", no_argument, NULL, 'j'},
	    {"from", required_argument, NULL, 'f'},
	    {"limit", required_argument, NULL, 'n'},
	    {"source-root", required_argument, NULL, 'r'},
	    {"verifier", required_argument, NULL, 'v'},
	    {"key-file", required_argument, NULL, 'K'},
	    {"origin", required_argument, NULL, 'O'},
	    {"hours", required_argument, NULL, 'H'},
	    {"bulk", required_argument, NULL, 'b'},
	    {"since", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	memset(a, 0, sizeof(*a));
	a->bulk = 5;
	optind = 0; /* GNU: full re-initialisation, scanning from argv[1] */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			a->log_dir = optarg;
			break;
		case 'k':
			a->key = optarg;
			break;
		case 'c':
			a->checkpoint = optarg;
			break;
		case 's':
			a->save = optarg;
			break;
		case 'A':
			a->all_sigs = true;
			break;
		case 't':
			a->to = optarg;
			break;
		case 'u':
			a->staff = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'r':
			a->source_root = optarg;
			break;
		case 'v':
			a->verifier = optarg;
			break;
		case 'K':
			a->key_file = optarg;
			break;
		case 'O':
			a->origin = optarg;
			break;
		case 'H':
			a->hours = optarg;
			break;
		case 'S':
			a->since = optarg;
			break;
		case 'f':
		case 'n':
		case 'b': {
			unsigned long long v;
			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg) {
				fprintf(stderr, "handoff log: '%s' is not a number\n", optarg);
				return -1;
			}
			if (c == 'f')
				a->from = v;
			else if (c == 'n')
				a->limit = v;
			else
				a->bulk = v > 1000 ? 1000 : (unsigned)v;
			break;
		}
		case 'h':
			fputs(LOG_USAGE, stdout);
			return 1;
		default:
			fputs(LOG_USAGE, stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "handoff log: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (a->log_dir == NULL)
		a->log_dir = getenv("HANDOFF_LOG_DIR");
	if (a->log_dir == NULL)
		a->log_dir = DEFAULT_LOG_DIR;
	return 0;
}

/* ---- show ---- */

typedef struct show_ctx {
	const args *a;
	uint64_t shown;
} show_ctx;

static const char *tsrc(uint8_t s)
{
	static const char *const n[] = {"unknown", "ntp", "unsynced", "test"};
	return s < 4 ? n[s] : "?";
}

static int show_one(void *ctx, const ho_ledger_entry *e)
{
	show_ctx *sc = ctx;
	ho_ledger_summary s;
	char when[40], hash[65];
	time_t t = (time_t)(e->utc_ns / 1000000000);
	struct tm tm;

	if (e->seq < sc->a->from)
		return 0;
	if (sc->a->limit && sc->shown >= sc->a->limit)
		return 0;
	ho_ledger_summarize(&s, e->body, e->body_len);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (int i = 0; i < 32; i++)
		snprintf(hash + 2 * i, 3, "%02x", e->leaf_hash[i]);
	if (sc->a->json) {
		printf("%s{\"seq\":%" PRIu64
		       ",\"time\":\"%s\",\"time_source\":\"%s\",\"boot\":%" PRIu32
		       ",\"kind\":\"%s\",\"outcome\":%d,\"event\":",
		       sc->shown ? ",\n" : "", e->seq, when, tsrc(e->time_source), e->boot,
		       ho_ledger_kind_name(e->kind), s.outcome);
		ho_json_str(stdout, s.event);
		fputs(",\"type\":", stdout);
		ho_json_str(stdout, s.type);
		fputs(",\"user\":", stdout);
		ho_json_str(stdout, s.user);
		fputs(",\"patient\":", stdout);
		ho_json_str(stdout, s.patient);
		printf(",\"studies\":%u,\"medium\":", s.studies);
		ho_json_str(stdout, s.medium);
		fputs(",\"description\":", stdout);
		ho_json_str(stdout, s.desc);
		printf(",\"entry_hash\":\"%s\",\"segment\":\"%s\",\"offset\":%" PRIu64 "}", hash,
		       e->segment, e->offset);
	} else {
		printf("%8" PRIu64 "  %s  %-16s %-3s %-12.12s %-14.14s %s%s%s\n", e->seq, when,
		       ho_ledger_kind_name(e->kind), s.outcome ? "ERR" : "ok",
		       s.user[0] ? s.user : "-", s.patient[0] ? s.patient : "-",
		       s.type[0] ? s.type : s.event, s.desc[0] ? ": " : "", s.desc);
	}
	sc->shown++;
	return 0;
}

static int cmd_show(const args *a)
{
	ho_err err = HO_ERR_INIT;
	show_ctx sc = {a, 0};
	int rc;

	if (a->json)
		fputs("[", stdout);
	else
		printf("%8s  %-20s  %-16s %-3s %-12s %-14s %s\n", "seq", "time (UTC)", "kind",
		       "res", "staff", "patient", "event");
	rc = ho_ledger_walk(a->log_dir, show_one, &sc, &err);
	if (a->json)
		fputs("]\n", stdout);
	if (rc != 0)
		return fail(&err, rc);
	return 0;
}

/* ---- verify ---- */

static int cmd_verify(const args *a)
{
	ho_err err = HO_ERR_INIT;
	ho_note_verifier v;
	ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
	ho_ledger_verify_result r;
	uint8_t *kept = NULL;
	size_t kl = 0;
	int rc;

	if (a->key == NULL) {
		fputs("handoff log verify: --key PUBKEY is required (the kiosk's public key from "
		      "the asset register)\n",
		      stderr);
		return 1;
	}
	if ((rc = ho_ledger_read_vkey(&v, a->key, &err)) != 0)
		return fail(&err, rc);
	if (a->checkpoint != NULL &&
	    (rc = ho_fs_read_all(a->checkpoint, KEPT_MAX, &kept, &kl, &err)) != 0)
		return fail(&err, rc);
	o.keys = &v;
	o.n_keys = 1;
	o.kept = (const char *)kept;
	o.kept_len = kl;
	o.all_signatures = a->all_sigs;
	rc = ho_ledger_verify(&r, a->log_dir, &o, &err);
	if (rc == 0) {
		printf("OK: %" PRIu64 " entries (seq %" PRIu64 "-%" PRIu64 ") in %" PRIu64
		       " segment(s), %" PRIu64 " key rotation(s), origin %s\n",
		       r.entries, r.first_seq, r.last_seq, r.segments, r.rotations, r.origin);
		if (kept != NULL)
			printf("consistent with the kept checkpoint\n");
		printf("signed by %s\n", r.signer);
		printf("checkpoint to keep for the next audit:\n");
		fwrite(r.checkpoint, 1, r.checkpoint_len, stdout);
		if (a->save != NULL &&
		    (rc = ho_fs_write_atomic(a->save, r.checkpoint, r.checkpoint_len, 0644,
		                             &err)) != 0) {
			ho_ledger_verify_result_free(&r);
			free(kept);
			return fail(&err, rc);
		}
	} else if (rc == HO_EVERIFY) {
		printf("FAILED: %s\n", r.problem);
	}
	ho_ledger_verify_result_free(&r);
	free(kept);
	return rc == 0 ? 0 : fail(&err, rc);
}

/* ---- writer-side commands ---- */

static int open_rw(ho_ledger **l, const args *a, ho_err *err)
{
	ho_ledger_opts o = HO_LEDGER_OPTS_INIT;

	o.key_path = a->key_file;
	o.origin = a->origin;
	return ho_ledger_open(l, a->log_dir, &o, err);
}

static int cmd_export(const args *a)
{
	ho_err err = HO_ERR_INIT;
	ho_ledger *l = NULL;
	ho_ledger_export_opts o = HO_LEDGER_EXPORT_OPTS_INIT;
	int rc;

	if (a->to == NULL || a->staff == NULL) {
		fputs("handoff log export: --to DIR and --staff ID are required\n", stderr);
		return 1;
	}
	if ((rc = open_rw(&l, a, &err)) != 0)
		return fail(&err, rc);
	o.staff_id = a->staff;
	o.source_root = a->source_root;
	o.verifier_bin = a->verifier;
	rc = ho_ledger_export(l, a->to, &o, &err);
	if (rc == 0)
		printf("exported %" PRIu64 " entries of %s to %s\n", ho_ledger_size(l),
		       ho_ledger_origin(l), a->to);
	ho_ledger_close(l);
	return rc == 0 ? 0 : fail(&err, rc);
}

static int64_t parse_day(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm) * 1000000000;
}

static int cmd_report(const args *a)
{
	ho_err err = HO_ERR_INIT;
	ho_ledger_report_opts o = HO_LEDGER_REPORT_OPTS_INIT;
	FILE *f = stdout;
	int rc;

	if (a->hours != NULL &&
	    sscanf(a->hours, "%d-%d", &o.day_start_hour, &o.day_end_hour) != 2) {
		fputs("handoff log report: --hours wants START-END, e.g. 7-19\n", stderr);
		return 1;
	}
	if (a->since != NULL && (o.from_utc_ns = parse_day(a->since)) < 0) {
		fputs("handoff log report: --since wants YYYY-MM-DD\n", stderr);
		return 1;
	}
	o.bulk_studies = a->bulk;
	if (a->out != NULL && (f = fopen(a->out, "w")) == NULL) {
		fprintf(stderr, "handoff log report: cannot write %s: %s\n", a->out,
		        strerror(errno));
		return 10;
	}
	rc = ho_ledger_report_html(f, a->log_dir, &o, &err);
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = ho_err_set(&err, HO_EIO, "cannot write %s", a->out);
	return rc == 0 ? 0 : fail(&err, rc);
}

static int print_key(const ho_note_verifier *v, const char *out)
{
	char vk[HO_NOTE_VKEY_MAX], fp[HO_FINGERPRINT_LEN], *line;
	ho_err err = HO_ERR_INIT;
	int rc = 0;

	if (ho_note_vkey(vk, sizeof(vk), v) != 0 ||
	    ho_signer_fingerprint(fp, sizeof(fp), v->pub) != 0)
		return 12;
	printf("public key (give this line to auditors, file it in the asset register):\n%s\n"
	       "fingerprint: %s\n",
	       vk, fp);
	if (out != NULL) {
		if ((line = ho_strfmt("%s\n", vk)) == NULL)
			return 12;
		rc = ho_fs_write_atomic(out, line, strlen(line), 0644, &err);
		free(line);
		if (rc != 0)
			return fail(&err, rc);
	}
	return 0;
}

static int cmd_fingerprint(const args *a)
{
	ho_err err = HO_ERR_INIT;
	ho_ledger_opts o = HO_LEDGER_OPTS_INIT;
	ho_ledger *l = NULL;
	ho_note_verifier v;
	char vk[HO_NOTE_VKEY_MAX];
	int rc;

	o.read_only = true;
	o.key_path = a->key_file;
	o.origin = a->origin;
	if ((rc = ho_ledger_open(&l, a->log_dir, &o, &err)) != 0)
		return fail(&err, rc);
	rc = ho_ledger_vkey(l, vk, sizeof(vk));
	ho_ledger_close(l);
	if (rc != 0 || ho_note_vkey_parse(&v, vk, strlen(vk), &err) != 0)
		return 12;
	return print_key(&v, a->out);
}

static int cmd_keygen(const args *a)
{
	ho_err err = HO_ERR_INIT;
	ho_signer *s = NULL;
	ho_note_verifier v;
	int rc;

	if (a->key_file == NULL) {
		fputs("handoff log keygen: --key-file PATH is required\n", stderr);
		return 1;
	}
	if ((rc = ho_signer_generate_file(&s, a->key_file, &err)) != 0)
		return fail(&err, rc);
	rc = ho_note_verifier_make(&v, a->origin ? a->origin : "handoff.kiosk/kiosk",
	                           ho_signer_public(s));
	ho_signer_free(s);
	if (rc != 0) {
		fputs("handoff log keygen: bad --origin\n", stderr);
		return 1;
	}
	return print_key(&v, a->out);
}

static int cmd_rotate(const args *a)
{
	ho_err err = HO_ERR_INIT;
	ho_ledger *l = NULL;
	ho_ledger_receipt r;
	ho_note_verifier v;
	char vk[HO_NOTE_VKEY_MAX];
	int rc;

	if (a->staff == NULL) {
		fputs("handoff log rotate-key: --staff ID is required\n", stderr);
		return 1;
	}
	if ((rc = open_rw(&l, a, &err)) != 0)
		return fail(&err, rc);
	rc = ho_ledger_rotate_key(l, a->staff, &r, &err);
	if (rc == 0 && (rc = ho_ledger_vkey(l, vk, sizeof(vk))) == 0)
		rc = ho_note_vkey_parse(&v, vk, strlen(vk), &err);
	ho_ledger_close(l);
	if (rc != 0)
		return fail(&err, rc);
	printf("key rotated at entry %" PRIu64 "; update the asset register:\n", r.seq);
	return print_key(&v, a->out);
}

int ho_cli_log(int argc, char **argv)
{
	args a;
	int p;

	if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "help") == 0) {
		fputs(LOG_USAGE, argc < 1 ? stderr : stdout);
		return argc < 1 ? 1 : 0;
	}
	if ((p = parse(&a, argc, argv)) != 0)
		return p < 0 ? 1 : 0;
	if (strcmp(argv[0], "show") == 0)
		return cmd_show(&a);
	if (strcmp(argv[0], "verify") == 0)
		return cmd_verify(&a);
	if (strcmp(argv[0], "export") == 0)
		return cmd_export(&a);
	if (strcmp(argv[0], "report") == 0)
		return cmd_report(&a);
	if (strcmp(argv[0], "fingerprint") == 0)
		return cmd_fingerprint(&a);
	if (strcmp(argv[0], "keygen") == 0)
		return cmd_keygen(&a);
	if (strcmp(argv[0], "rotate-key") == 0)
		return cmd_rotate(&a);
	fprintf(stderr, "handoff log: unknown command '%s'\n%s", argv[0], LOG_USAGE);
	return 1;
}
