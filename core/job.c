#include "core/job.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "burn/burn.h"
#include "burn/manifest.h"
#include "core/atna.h"
#include "core/audit.h"
#include "core/escrow.h"
#include "core/ledger.h"
#include "core/media_text.h"
#include "core/pacs.h"
#include "core/password.h"
#include "core/pdi_html.h"
#include "core/seal.h"
#include "core/viewer.h"
#include "dicom/check.h"
#include "dicom/dicom.h"
#include "util/fs.h"

static const char *const STAGE_NAMES[HO_STAGE_COUNT] = {
    "find", "select", "pull",   "guard",  "shape",   "file-set",
    "seal", "write",  "verify", "record", "receipt", "wipe",
};

const char *ho_stage_name(int stage)
{
	return stage >= 0 && stage < HO_STAGE_COUNT ? STAGE_NAMES[stage] : "?";
}

struct sel_series {
	char study_uid[HO_DCM_UID_MAX];
	char series_uid[HO_DCM_UID_MAX];
	char modality[17];
	int series_number;
	unsigned study_idx;  /* 1-based S index on the medium */
	unsigned series_idx; /* 1-based SE index within its study */
	int expected;        /* instances the PACS announced, -1 = unknown */
	unsigned received;
};

struct inst {
	char *rel; /* path relative to the file-set root */
	char sop_instance_uid[HO_DCM_UID_MAX];
	char sop_class_uid[HO_DCM_UID_MAX];
	unsigned series; /* index into job.series */
};

struct study_info {
	char uid[HO_DCM_UID_MAX];
	char accession[HO_DCM_LO_MAX];
};

struct job {
	const ho_config *cfg;
	const ho_job_opts *o;
	ho_job_result *res;
	ho_err *err;
	ho_dcm_peer peer;
	char *dir;  /* this job's staging dir */
	char *in;   /* retrieve target */
	char *root; /* the medium tree */
	char *fs;   /* the DICOM file-set: = root, or a plain tree sealed into root/STUDY.ZIP */
	int encrypt;
	ho_ledger *ledger;
	ho_atna *atna; /* NULL when no audit record repository is configured */
	ho_password *pw;
	char *escrow_text;
	char patient_name[HO_DCM_PN_MAX];
	struct study_info *studies;
	size_t nstudies;
	char (*excluded)[HO_DCM_UID_MAX]; /* series of chosen studies left out */
	size_t nexcluded, excluded_cap;
	char patient_id[HO_DCM_LO_MAX];
	char issuer[HO_DCM_LO_MAX];
	int issuer_known;
	int profile;
	struct sel_series *series;
	size_t nseries, series_cap;
	unsigned cur; /* index of the series being pulled */
	struct inst *inst;
	size_t ninst, inst_cap;
	ho_progress prog;
	int stage;
};

static void report(struct job *j, const char *what)
{
	j->prog.stage = j->stage;
	j->prog.what = what;
	if (j->o->progress != NULL)
		j->o->progress(j->o->ud, &j->prog);
}

static void enter(struct job *j, int stage, const char *what)
{
	j->stage = stage;
	memset(&j->prog, 0, sizeof(j->prog));
	report(j, what);
}

static int cancelled(const struct job *j)
{
	return j->o->cancel != NULL && *j->o->cancel != 0;
}

static int copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return HO_EFORMAT;
	memcpy(dst, src, n + 1);
	return 0;
}

/* ---- find ------------------------------------------------------------------------ */

struct patient_scan {
	struct job *j;
	unsigned matches;
	char issuers[2][HO_DCM_LO_MAX];
	unsigned nissuers;
};

static int on_patient(void *ud, const ho_dcm_record *r)
{
	struct patient_scan *s = ud;

	/* C-FIND matching is wildcard-capable and case-insensitive on some PACS: insist on
	 * the exact ID, so "HO-1" never matches "HO-10". */
	if (strcmp(r->patient_id, s->j->patient_id) != 0)
		return 0;
	if (s->matches++ == 0)
		copy_field(s->j->patient_name, sizeof(s->j->patient_name), r->patient_name);
	for (unsigned i = 0; i < s->nissuers; i++)
		if (strcmp(s->issuers[i], r->issuer) == 0)
			return 0;
	if (s->nissuers < 2)
		copy_field(s->issuers[s->nissuers++], HO_DCM_LO_MAX, r->issuer);
	else
		s->nissuers++;
	return 0;
}

struct study_scan {
	struct job *j;
	size_t cap;
	int oom;
};

static int on_study(void *ud, const ho_dcm_record *r)
{
	struct study_scan *s = ud;
	struct job *j = s->j;

	if (strcmp(r->patient_id, j->patient_id) != 0)
		return 0;
	for (size_t i = 0; i < j->nstudies; i++)
		if (strcmp(j->studies[i].uid, r->study_uid) == 0)
			return 0;
	if (j->nstudies == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		void *p = realloc(j->studies, nc * sizeof(*j->studies));
		if (p == NULL) {
			s->oom = 1;
			return 1;
		}
		j->studies = p;
		s->cap = nc;
	}
	copy_field(j->studies[j->nstudies].uid, HO_DCM_UID_MAX, r->study_uid);
	copy_field(j->studies[j->nstudies].accession, HO_DCM_LO_MAX, r->accession);
	j->nstudies++;
	return 0;
}

static int wanted(const char *const *list, size_t n, const char *uid)
{
	if (list == NULL || n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], uid) == 0)
			return 1;
	return 0;
}

struct series_scan {
	struct job *j;
	const char *study_uid;
	unsigned study_idx;
	unsigned added;
	int oom;
};

static int on_series(void *ud, const ho_dcm_record *r)
{
	struct series_scan *s = ud;
	struct job *j = s->j;
	struct sel_series *e;

	if (r->series_uid[0] == '\0')
		return 0;
	if (!wanted(j->o->series_uids, j->o->n_series, r->series_uid)) {
		/* Left out by the staff member's choice: the log keeps that too. */
		if (j->nexcluded == j->excluded_cap) {
			size_t nc = j->excluded_cap ? j->excluded_cap * 2 : 8;
			void *p = realloc(j->excluded, nc * sizeof(*j->excluded));
			if (p == NULL) {
				s->oom = 1;
				return 1;
			}
			j->excluded = p;
			j->excluded_cap = nc;
		}
		copy_field(j->excluded[j->nexcluded++], HO_DCM_UID_MAX, r->series_uid);
		return 0;
	}
	for (size_t i = 0; i < j->nseries; i++)
		if (strcmp(j->series[i].series_uid, r->series_uid) == 0)
			return 0;
	if (j->nseries == j->series_cap) {
		size_t nc = j->series_cap ? j->series_cap * 2 : 8;
		void *p = realloc(j->series, nc * sizeof(*j->series));
		if (p == NULL) {
			s->oom = 1;
			return 1;
		}
		j->series = p;
		j->series_cap = nc;
	}
	e = &j->series[j->nseries++];
	memset(e, 0, sizeof(*e));
	copy_field(e->study_uid, sizeof(e->study_uid), s->study_uid);
	copy_field(e->series_uid, sizeof(e->series_uid), r->series_uid);
	copy_field(e->modality, sizeof(e->modality), r->modality);
	e->series_number = r->series_number;
	e->study_idx = s->study_idx;
	e->expected = r->num_instances;
	s->added++;
	return 0;
}

static int cmp_series(const void *a, const void *b)
{
	const struct sel_series *x = a, *y = b;

	if (x->study_idx != y->study_idx)
		return x->study_idx < y->study_idx ? -1 : 1;
	if (x->series_number != y->series_number)
		return x->series_number < y->series_number ? -1 : 1;
	return strcmp(x->series_uid, y->series_uid);
}

static int stage_find(struct job *j)
{
	struct patient_scan ps = {.j = j};
	struct study_scan ss = {.j = j};
	ho_dcm_query q = {0};
	int rc;

	enter(j, HO_STAGE_FIND, "Looking up the patient on the PACS");
	q.patient_id = j->patient_id;
	if ((rc = ho_dcm_find(&j->peer, HO_DCM_LEVEL_PATIENT, &q, on_patient, &ps, j->err)) < 0)
		goto out;
	if (ps.matches == 0) {
		rc = ho_err_set(j->err, HO_ENOTFOUND,
		                "There is no patient with ID '%s' on the PACS. Check the ID and "
		                "search again.",
		                j->patient_id);
		goto out;
	}
	if (j->o->issuer != NULL) {
		rc = copy_field(j->issuer, sizeof(j->issuer), j->o->issuer);
		if (rc < 0) {
			ho_err_set(j->err, HO_EINVAL, "The issuer of the patient ID is too long.");
			goto out;
		}
	} else if (ps.nissuers > 1) {
		/* Two patients share the ID under different issuers: the ID alone does not say
		 * whose images these are, so refuse rather than guess. */
		rc = ho_err_set(j->err, HO_EINVAL,
		                "The PACS has more than one patient with ID '%s' (issuers '%s' and "
		                "'%s'). Choose the issuer of the patient ID and start again.",
		                j->patient_id, ps.issuers[0], ps.issuers[1]);
		goto out;
	} else {
		copy_field(j->issuer, sizeof(j->issuer), ps.issuers[0]);
	}
	j->issuer_known = 1;

	if ((rc = ho_dcm_find(&j->peer, HO_DCM_LEVEL_STUDY, &q, on_study, &ss, j->err)) < 0)
		goto out;
	if (ss.oom) {
		rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory while listing studies.");
		goto out;
	}
	for (size_t i = 0; i < j->o->n_studies; i++) {
		int found = 0;
		for (size_t k = 0; k < j->nstudies; k++)
			found |= strcmp(j->studies[k].uid, j->o->study_uids[i]) == 0;
		if (!found) {
			rc = ho_err_set(
			    j->err, HO_ENOTFOUND,
			    "Study %s is not a study of patient '%s' on the PACS. Nothing "
			    "was exported.",
			    j->o->study_uids[i], j->patient_id);
			goto out;
		}
	}

	enter(j, HO_STAGE_SELECT, "Selecting series");
	{
		unsigned idx = 0;
		for (size_t k = 0; k < j->nstudies; k++) {
			struct series_scan sc = {.j = j, .study_uid = j->studies[k].uid};
			ho_dcm_query sq = {0};
			if (!wanted(j->o->study_uids, j->o->n_studies, j->studies[k].uid))
				continue;
			sc.study_idx = ++idx;
			sq.patient_id = j->patient_id;
			sq.study_uid = j->studies[k].uid;
			rc =
			    ho_dcm_find(&j->peer, HO_DCM_LEVEL_SERIES, &sq, on_series, &sc, j->err);
			if (rc < 0)
				goto out;
			if (sc.oom) {
				rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory listing series.");
				goto out;
			}
			if (sc.added == 0)
				idx--;
		}
	}
	for (size_t i = 0; i < j->o->n_series; i++) {
		int found = 0;
		for (size_t k = 0; k < j->nseries; k++)
			found |= strcmp(j->series[k].series_uid, j->o->series_uids[i]) == 0;
		if (!found) {
			rc = ho_err_set(
			    j->err, HO_ENOTFOUND,
			    "Series %s was not found in the chosen studies of patient '%s'. "
			    "Nothing was exported.",
			    j->o->series_uids[i], j->patient_id);
			goto out;
		}
	}
	if (j->nseries == 0) {
		rc = ho_err_set(j->err, HO_ENOTFOUND,
		                "Patient '%s' has no images to export on the PACS.", j->patient_id);
		goto out;
	}
	qsort(j->series, j->nseries, sizeof(*j->series), cmp_series);
	{
		unsigned last_study = 0, n = 0;
		for (size_t k = 0; k < j->nseries; k++) {
			if (j->series[k].study_idx != last_study) {
				last_study = j->series[k].study_idx;
				n = 0;
				j->res->studies++;
			}
			j->series[k].series_idx = ++n;
			if (j->series[k].expected > 0)
				j->prog.items_total += (uint64_t)j->series[k].expected;
		}
	}
	j->res->series = j->nseries;
	rc = 0;
out:
	return rc;
}

/* ---- pull + guard ------------------------------------------------------------------ */

static int on_instance(void *ud, const ho_dcm_instance *in)
{
	struct job *j = ud;
	struct sel_series *s = &j->series[j->cur];
	char *rel = NULL, *dst = NULL, *dir = NULL;
	int rc = 0;

	if (cancelled(j)) {
		rc = ho_err_set(j->err, HO_ECANCEL,
		                "The export was cancelled. Nothing was written.");
		goto out;
	}
	/* The guard: every instance must belong to the selected patient (ID and issuer).
	 * A misfiled object is the one way another patient's images could reach this
	 * medium, so it stops the whole job, not just this file. The other patient's
	 * identifiers are not repeated in the message (staff do not need them). */
	if (strcmp(in->patient_id, j->patient_id) != 0 || strcmp(in->issuer, j->issuer) != 0) {
		j->stage = HO_STAGE_GUARD;
		rc = ho_err_set(
		    j->err, HO_EGUARD,
		    "Security stop: the PACS sent an image that belongs to another patient "
		    "(study %s, series %s, image %s). Nothing was written and the images "
		    "pulled were deleted. Report this to the PACS administrator so the "
		    "study can be corrected.",
		    s->study_uid, s->series_uid, in->sop_instance_uid);
		goto out;
	}
	if (strcmp(in->study_uid, s->study_uid) != 0 ||
	    strcmp(in->series_uid, s->series_uid) != 0) {
		j->stage = HO_STAGE_GUARD;
		rc = ho_err_set(
		    j->err, HO_EGUARD,
		    "Security stop: the PACS sent image %s from study %s series %s while "
		    "series %s was asked for. Nothing was written.",
		    in->sop_instance_uid, in->study_uid, in->series_uid, s->series_uid);
		goto out;
	}
	{
		ho_err why = HO_ERR_INIT;
		if (ho_dcm_check_instance(in->path, &why) < 0) {
			rc = ho_err_set(j->err, HO_EFORMAT,
			                "The PACS sent a damaged image (study %s, series %s, image "
			                "%s): %s. Nothing was written; report it to the PACS "
			                "administrator.",
			                s->study_uid, s->series_uid, in->sop_instance_uid, why.msg);
			goto out;
		}
	}
	for (size_t i = 0; i < j->ninst; i++) {
		if (strcmp(j->inst[i].sop_instance_uid, in->sop_instance_uid) == 0) {
			rc = ho_err_set(j->err, HO_EFORMAT,
			                "The PACS sent image %s twice. Nothing was written.",
			                in->sop_instance_uid);
			goto out;
		}
	}
	if (j->ninst == j->inst_cap) {
		size_t nc = j->inst_cap ? j->inst_cap * 2 : 64;
		void *p = realloc(j->inst, nc * sizeof(*j->inst));
		if (p == NULL) {
			rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
			goto out;
		}
		j->inst = p;
		j->inst_cap = nc;
	}
	if ((long)j->ninst >= ho_config_get_int(j->cfg, "export.max_instances")) {
		rc = ho_err_set(j->err, HO_ETOOBIG,
		                "The selection holds more than %ld images, the most one export may "
		                "hold (export.max_instances). Select fewer series.",
		                ho_config_get_int(j->cfg, "export.max_instances"));
		goto out;
	}
	/* PS3.10 8.2 / PS3.12: file IDs of 1-8 characters A-Z 0-9 _, at most 8 levels. */
	rel = ho_strfmt("DICOM/P0000001/S%07u/SE%06u/I%07u", s->study_idx, s->series_idx,
	                s->received + 1);
	dir = ho_strfmt("%s/DICOM/P0000001/S%07u/SE%06u", j->fs, s->study_idx, s->series_idx);
	if (rel == NULL || dir == NULL || (dst = ho_strfmt("%s/%s", j->fs, rel)) == NULL) {
		rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
		goto out;
	}
	if (s->received == 0 && ho_fs_mkdir_p(dir, 0700) < 0) {
		rc = ho_err_set(j->err, HO_EIO, "Cannot create %s in the staging area: %s", dir,
		                strerror(errno));
		goto out;
	}
	if (!ho_dcm_profile_allows(j->profile, in->transfer_syntax)) {
		/* STD-GEN-CD only allows Explicit VR Little Endian: decompress rather than let
		 * the DICOMDIR silently leave the object out (PS3.11 / PS3.12). */
		j->stage = HO_STAGE_SHAPE;
		if ((rc = ho_dcm_transcode_explicit_le(in->path, dst, j->err)) < 0)
			goto out;
		j->stage = HO_STAGE_PULL;
		unlink(in->path);
		j->res->transcoded++;
	} else if (rename(in->path, dst) < 0) {
		rc = ho_err_set(j->err, HO_EIO, "Cannot move a received image into place: %s",
		                strerror(errno));
		goto out;
	}
	j->inst[j->ninst].rel = rel;
	copy_field(j->inst[j->ninst].sop_instance_uid, HO_DCM_UID_MAX, in->sop_instance_uid);
	copy_field(j->inst[j->ninst].sop_class_uid, HO_DCM_UID_MAX, in->sop_class_uid);
	j->inst[j->ninst].series = j->cur;
	j->ninst++;
	rel = NULL;
	s->received++;
	j->prog.items_done++;
	j->prog.bytes_done += in->size;
	report(j, "Receiving images");
out:
	if (rc < 0)
		unlink(in->path);
	free(rel);
	free(dir);
	free(dst);
	return rc;
}

static int stage_pull(struct job *j)
{
	int rc = 0;

	enter(j, HO_STAGE_PULL, "Receiving images");
	for (size_t k = 0; k < j->nseries; k++) {
		if (cancelled(j))
			return ho_err_set(j->err, HO_ECANCEL,
			                  "The export was cancelled. Nothing was written.");
		j->prog.items_total = 0;
		for (size_t m = 0; m < j->nseries; m++)
			if (j->series[m].expected > 0)
				j->prog.items_total += (uint64_t)j->series[m].expected;
		j->cur = (unsigned)k;
		rc = ho_dcm_retrieve_series(&j->peer, j->patient_id, j->series[k].study_uid,
		                            j->series[k].series_uid, j->in, on_instance, j, j->err);
		if (rc < 0)
			return rc;
		if (j->series[k].received == 0)
			return ho_err_set(j->err, HO_ENOTFOUND,
			                  "The PACS sent no images for series %s. Nothing was "
			                  "written; try again or ask the PACS administrator.",
			                  j->series[k].series_uid);
		if (j->series[k].expected > 0 &&
		    j->series[k].received != (unsigned)j->series[k].expected)
			return ho_err_set(j->err, HO_ENET,
			                  "The PACS sent %u of the %d images of series %s. Nothing "
			                  "was written; try again.",
			                  j->series[k].received, j->series[k].expected,
			                  j->series[k].series_uid);
	}
	j->res->instances = j->ninst;
	return 0;
}

/* ---- file-set ---------------------------------------------------------------------- */

static int make_fileset_id(char out[static 17])
{
	/* PS3.3 File-set ID (CS, <= 16) doubles as the ISO volume ID (d-characters): no PHI,
	 * unique enough to tell discs apart on a shelf. */
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char r[8];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return HO_ECRYPTO;
	memcpy(out, "HANDOFF_", 8);
	for (int i = 0; i < 8; i++)
		out[8 + i] = alphabet[r[i] & 31];
	out[16] = '\0';
	return 0;
}

/* Paths of the file-set's files relative to its root: DICOMDIR first, then the
 * instances. The array is malloc'ed; the strings belong to the job. */
static const char **fileset_paths(struct job *j, size_t *n)
{
	const char **paths = calloc(j->ninst + 1, sizeof(*paths));

	if (paths == NULL)
		return NULL;
	paths[0] = "DICOMDIR";
	for (size_t i = 0; i < j->ninst; i++)
		paths[i + 1] = j->inst[i].rel;
	*n = j->ninst + 1;
	return paths;
}

static int on_seal_progress(void *ud, double fraction, uint64_t done, uint64_t total)
{
	struct job *j = ud;

	(void)fraction;
	j->prog.bytes_done = done;
	j->prog.bytes_total = total;
	report(j, "Encrypting");
	return cancelled(j);
}

static int stage_seal(struct job *j, const char **paths, size_t n)
{
	ho_seal_opts so = HO_SEAL_OPTS_INIT;
	const char *keypath = ho_config_get(j->cfg, "export.escrow_key");
	ho_escrow_key *key = NULL;
	uint8_t *blob = NULL;
	size_t blen = 0;
	char *zip = NULL;
	int rc;

	enter(j, HO_STAGE_SEAL, "Encrypting");
	if ((rc = ho_password_new(&j->pw, j->err)) < 0)
		goto out;
	if ((zip = ho_strfmt("%s/STUDY.ZIP", j->root)) == NULL) {
		rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
		goto out;
	}
	if ((rc = ho_seal_zip(j->fs, paths, n, zip, j->pw, &so, on_seal_progress, j, j->err)) < 0)
		goto out;
	/* The plain file-set is PHI in the clear: gone as soon as the ZIP holds it. */
	if (ho_fs_rm_rf(j->fs) < 0) {
		rc = ho_err_set(j->err, HO_EIO, "Cannot remove the unencrypted copy in %s.", j->fs);
		goto out;
	}
	if (keypath[0] != '\0') {
		/* The kiosk can encrypt to the clinic's escrow key but never decrypt: only an
		 * authorised recovery with the private key, elsewhere, reads it back. */
		if ((rc = ho_escrow_key_load(&key, keypath, j->err)) < 0 ||
		    (rc = ho_escrow_seal(&blob, &blen, key, j->pw, j->err)) < 0 ||
		    (rc = ho_escrow_to_text(&j->escrow_text, blob, blen, j->err)) < 0)
			goto out;
		j->res->escrowed = 1;
	}
	j->res->encrypted = 1;
out:
	free(blob);
	ho_escrow_key_free(key);
	free(zip);
	return rc;
}

static int on_html_progress(void *ud, size_t done, size_t total)
{
	struct job *j = ud;

	j->prog.items_done = done;
	j->prog.items_total = total;
	report(j, "Making the picture pages");
	return cancelled(j);
}

static int stage_fileset(struct job *j)
{
	const char **paths = NULL;
	const char *dist = ho_config_get(j->cfg, "kiosk.viewer_dist");
	uint64_t payload_max = (uint64_t)ho_config_get_int(j->cfg, "export.viewer_payload_max");
	size_t n = 0;
	int rc;

	enter(j, HO_STAGE_FILESET, "Building the DICOM file-set");
	if ((paths = fileset_paths(j, &n)) == NULL)
		return ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
	rc = ho_dcm_dicomdir_write(j->fs, j->res->fileset_id, j->profile, paths + 1, n - 1, j->err);
	if (rc < 0)
		goto out;
	if (j->encrypt) {
		if ((rc = stage_seal(j, paths, n)) < 0)
			goto out;
		enter(j, HO_STAGE_FILESET, "Adding the viewer");
	} else if (ho_config_get_int(j->cfg, "export.pdi_html")) {
		ho_pdi_html_opts ho = HO_PDI_HTML_OPTS_INIT;
		ho.institution = ho_config_get(j->cfg, "kiosk.site");
		/* The pages are a preview for a browser without scripts, not the study: a few
		 * pictures per series say what is there (the viewer and DICOM hold it all),
		 * and rendering every slice of a CT cost more than pulling it. */
		ho.max_per_series = (unsigned)ho_config_get_int(j->cfg, "export.pdi_html_per_series");
		if ((rc = ho_pdi_html_write(j->root, paths + 1, n - 1, &ho, on_html_progress, j,
		                            j->err)) < 0)
			goto out;
	}
	if ((rc = ho_media_text_write(j->root, j->encrypt, j->err)) < 0)
		goto out;
	if ((rc = ho_viewer_install(dist[0] ? dist : NULL, j->root, j->err)) < 0)
		goto out;
	/* Small studies ride along as script payloads so that the viewer opens them from
	 * file:// without asking; larger ones are picked by the patient (viewer/README.md). */
	if (j->encrypt) {
		const char *zip[] = {"STUDY.ZIP"};
		rc = ho_viewer_payload_write(j->root, zip, 1, payload_max, j->err);
	} else {
		rc = ho_viewer_payload_write(j->root, paths, n, payload_max, j->err);
	}
	if (rc < 0)
		goto out;
	{
		char *marker = ho_strfmt("%s/VIEWER/DATA", j->root);
		struct stat st;
		j->res->viewer_payload = marker != NULL && stat(marker, &st) == 0;
		free(marker);
	}
out:
	free(paths);
	return rc;
}

/* ---- write + verify ---------------------------------------------------------------- */

static void on_burn_progress(void *ud, uint64_t done, uint64_t total)
{
	struct job *j = ud;

	j->prog.bytes_done = done;
	j->prog.bytes_total = total;
	report(j, j->stage == HO_STAGE_WRITE ? "Writing the disc" : "Checking the disc");
}

static int stage_write_verify(struct job *j, const char *drive)
{
	ho_manifest *m = NULL;
	ho_burn_opts bo = {0};
	char *mpath = NULL;
	int rc;

	{
		uint64_t cap = 0, need = 0;
		if ((rc = ho_burn_capacity(drive, &cap, j->err)) < 0 ||
		    (rc = ho_burn_iso_size(j->root, j->res->fileset_id, &need, j->err)) < 0)
			goto out;
		if (cap > 0 && need > cap) {
			rc = ho_err_set(j->err, HO_ETOOBIG,
			                "The selection needs %llu MB but the medium holds %llu MB. "
			                "Select fewer series or use a larger medium.",
			                (unsigned long long)(need >> 20),
			                (unsigned long long)(cap >> 20));
			goto out;
		}
	}
	if ((rc = ho_manifest_from_dir(&m, j->root, j->err)) < 0)
		goto out;
	j->res->bytes = ho_manifest_total_bytes(m);
	if ((rc = ho_manifest_digest(m, j->res->manifest_digest)) < 0) {
		ho_err_set(j->err, rc, "Cannot compute the manifest digest.");
		goto out;
	}
	if (j->o->manifest_path != NULL) {
		mpath = strdup(j->o->manifest_path);
	} else {
		char *mdir = ho_strfmt("%s/manifests", ho_config_get(j->cfg, "kiosk.state"));
		if (mdir != NULL && ho_fs_mkdir_p(mdir, 0700) == 0)
			mpath = ho_strfmt("%s/%s.txt", mdir, j->res->fileset_id);
		free(mdir);
	}
	if (mpath == NULL || strlen(mpath) >= sizeof(j->res->manifest_path)) {
		rc = ho_err_set(j->err, HO_EIO, "Cannot prepare the manifest location.");
		goto out;
	}
	if ((rc = ho_manifest_write(m, mpath, j->err)) < 0)
		goto out;
	memcpy(j->res->manifest_path, mpath, strlen(mpath) + 1);

	enter(j, HO_STAGE_WRITE, "Writing the disc");
	j->res->medium_touched = 1;
	bo.drive = drive;
	bo.src_dir = j->root;
	bo.volume_id = j->res->fileset_id;
	bo.progress = on_burn_progress;
	bo.ud = j;
	if ((rc = ho_burn_write(&bo, j->err)) < 0)
		goto out;

	enter(j, HO_STAGE_VERIFY, "Checking the disc");
	if ((rc = ho_burn_verify(drive, m, on_burn_progress, j, j->err)) < 0)
		goto out;
out:
	free(mpath);
	ho_manifest_free(m);
	return rc;
}

/* ---- staging ----------------------------------------------------------------------- */

int ho_job_global_init(ho_err *err)
{
	return ho_dcm_global_init(err);
}

int ho_job_wipe_staging(const ho_config *cfg, ho_err *err)
{
	const char *staging = ho_config_get(cfg, "kiosk.staging");

	if (ho_fs_rm_rf(staging) < 0 || ho_fs_count_files(staging) > 0)
		return ho_err_set(err, HO_EIO,
		                  "The staging area %s could not be emptied; it may hold patient "
		                  "data. Call the administrator.",
		                  staging);
	return 0;
}

static int staging_new(struct job *j)
{
	const char *staging = ho_config_get(j->cfg, "kiosk.staging");
	unsigned char r[6];

	if (ho_fs_mkdir_p(staging, 0700) < 0)
		return ho_err_set(j->err, HO_EIO, "Cannot create the staging area %s: %s", staging,
		                  strerror(errno));
	if (RAND_bytes(r, sizeof(r)) != 1)
		return ho_err_set(j->err, HO_ECRYPTO, "The random number generator failed.");
	j->dir = ho_strfmt("%s/job-%02x%02x%02x%02x%02x%02x", staging, r[0], r[1], r[2], r[3], r[4],
	                   r[5]);
	if (j->dir == NULL || (j->in = ho_strfmt("%s/in", j->dir)) == NULL ||
	    (j->root = ho_strfmt("%s/medium", j->dir)) == NULL ||
	    (j->fs = ho_strfmt("%s/%s", j->dir, j->encrypt ? "plain" : "medium")) == NULL)
		return ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
	if (mkdir(j->dir, 0700) < 0 || mkdir(j->in, 0700) < 0 || mkdir(j->root, 0700) < 0 ||
	    (j->encrypt && mkdir(j->fs, 0700) < 0))
		return ho_err_set(j->err, HO_EIO, "Cannot create the staging directory %s: %s",
		                  j->dir, strerror(errno));
	return 0;
}

static int profile_for_media(const char *media)
{
	if (strcmp(media, "dvd") == 0)
		return HO_DCM_PROFILE_GEN_DVD_JPEG;
	if (strcmp(media, "usb") == 0)
		return HO_DCM_PROFILE_GEN_USB_JPEG;
	return HO_DCM_PROFILE_GEN_CD;
}

static int medium_type(const ho_config *cfg)
{
	const char *m = ho_config_get(cfg, "drive.media");

	return strcmp(m, "dvd") == 0   ? HO_MEDIUM_DVD
	       : strcmp(m, "usb") == 0 ? HO_MEDIUM_USB
	                               : HO_MEDIUM_CD;
}

/* ---- record ------------------------------------------------------------------------ */

static void audit_source(struct job *j, ho_audit_source *src)
{
	memset(src, 0, sizeof(*src));
	src->site_id = ho_config_get(j->cfg, "kiosk.site");
	src->source_id = ho_ledger_origin(j->ledger);
	src->host = ho_config_get(j->cfg, "kiosk.name");
	src->app_name = "handoff";
}

static int append(struct job *j, int kind, char *xml, size_t len, ho_ledger_receipt *rcpt)
{
	ho_err e = HO_ERR_INIT;
	ho_ledger_receipt local;
	int rc;

	if (rcpt == NULL)
		rcpt = &local;
	rc = ho_ledger_append(j->ledger, kind, xml, len, rcpt, &e);
	/* The local log is the record of truth; the repository gets a copy when it can
	 * (the queue is on disk and survives restarts). */
	if (rc == 0 && j->atna != NULL && ho_atna_enqueue(j->atna, rcpt->seq, xml, len, NULL) < 0)
		fprintf(stderr, "handoff: could not queue entry %llu for the audit repository\n",
		        (unsigned long long)rcpt->seq);
	free(xml);
	if (rc < 0)
		ho_err_set(j->err, HO_ESTATE,
		           "The handoff could not be recorded in the signed log (%s). Exports are "
		           "stopped until the administrator fixes the log.",
		           e.msg);
	return rc < 0 ? HO_ESTATE : 0;
}

/* Per-study facts for the Export message: built from what was actually pulled. */
struct study_facts {
	ho_audit_study st;
	const char **classes;
	uint32_t *counts;
	const char **series;
};

static int build_export(struct job *j, struct study_facts **out_facts, ho_audit_selection **out_sel,
                        size_t *out_nsel)
{
	struct study_facts *f = calloc(j->nstudies ? j->nstudies : 1, sizeof(*f));
	ho_audit_selection *sel = calloc(j->nseries + j->nexcluded + 1, sizeof(*sel));
	size_t nf = 0, nsel = 0;

	*out_facts = f;
	*out_sel = sel;
	if (f == NULL || sel == NULL)
		return HO_ENOMEM;
	for (size_t k = 0; k < j->nstudies; k++) {
		struct study_facts *x = &f[nf];
		int used = 0;
		for (size_t m = 0; m < j->nseries; m++)
			used |= strcmp(j->series[m].study_uid, j->studies[k].uid) == 0;
		if (!used)
			continue;
		x->classes = calloc(j->ninst + 1, sizeof(*x->classes));
		x->counts = calloc(j->ninst + 1, sizeof(*x->counts));
		x->series = calloc(j->nseries + 1, sizeof(*x->series));
		if (x->classes == NULL || x->counts == NULL || x->series == NULL)
			return HO_ENOMEM;
		x->st.uid = j->studies[k].uid;
		x->st.accession = j->studies[k].accession[0] ? j->studies[k].accession : NULL;
		x->st.encrypted = j->encrypt != 0;
		for (size_t m = 0; m < j->nseries; m++)
			if (strcmp(j->series[m].study_uid, x->st.uid) == 0)
				x->series[x->st.n_series++] = j->series[m].series_uid;
		for (size_t i = 0; i < j->ninst; i++) {
			size_t c;
			if (strcmp(j->series[j->inst[i].series].study_uid, x->st.uid) != 0)
				continue;
			x->st.n_instances++;
			for (c = 0; c < x->st.n_sop_classes; c++)
				if (strcmp(x->classes[c], j->inst[i].sop_class_uid) == 0)
					break;
			if (c == x->st.n_sop_classes)
				x->classes[x->st.n_sop_classes++] = j->inst[i].sop_class_uid;
			x->counts[c]++;
		}
		x->st.sop_classes = x->classes;
		x->st.sop_counts = x->counts;
		x->st.series_uids = x->series;
		nf++;
	}
	for (size_t m = 0; m < j->nseries; m++) {
		sel[nsel].uid = j->series[m].series_uid;
		sel[nsel].included = true;
		sel[nsel++].reason = j->o->n_series    ? "chosen by staff"
		                     : j->o->n_studies ? "every series of a chosen study"
		                                       : "every series of the patient";
	}
	for (size_t m = 0; m < j->nexcluded; m++) {
		sel[nsel].uid = j->excluded[m];
		sel[nsel].included = false;
		sel[nsel++].reason = "not chosen by staff";
	}
	*out_nsel = nsel;
	return (int)nf;
}

static void free_facts(struct study_facts *f, size_t n)
{
	if (f == NULL)
		return;
	for (size_t k = 0; k < n; k++) {
		free(f[k].classes);
		free(f[k].counts);
		free(f[k].series);
	}
	free(f);
}

static void fill_people(struct job *j, ho_audit_export *ev)
{
	const ho_job_opts *o = j->o;

	audit_source(j, &ev->src);
	ev->staff.user_id = o->staff_id;
	ev->staff.name = o->staff_name;
	ev->staff.role = o->staff_role;
	ev->recipient_kind = o->recipient_kind ? o->recipient_kind : "patient";
	ev->recipient.user_id = o->recipient_name ? o->recipient_name : j->patient_name;
	ev->recipient.name = o->recipient_name ? o->recipient_name : j->patient_name;
	ev->medium_type = medium_type(j->cfg);
	ev->medium_label = j->res->fileset_id;
	ev->patient_id = j->patient_id;
	ev->patient_issuer = j->issuer;
	ev->patient_name = j->patient_name[0] ? j->patient_name : NULL;
	ev->purpose = o->purpose ? o->purpose : "right of access";
	ev->identity_method = o->identity_method ? o->identity_method : "not recorded";
	ev->job_id = j->res->fileset_id;
}

/* The export (or its failure) as one entry; the receipt may only follow a success. */
static int record_export(struct job *j, int ok, const char *failure)
{
	ho_audit_export ev;
	struct study_facts *facts = NULL;
	ho_audit_study *packed = NULL;
	ho_audit_selection *sel = NULL;
	ho_ledger_receipt rcpt;
	char digest[65], *xml = NULL;
	size_t nsel = 0, len = 0;
	int nf, rc;

	memset(&ev, 0, sizeof(ev));
	fill_people(j, &ev);
	if ((nf = build_export(j, &facts, &sel, &nsel)) < 0) {
		rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
		goto out;
	}
	if ((packed = calloc((size_t)nf + 1, sizeof(*packed))) == NULL) {
		rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
		goto out;
	}
	for (int k = 0; k < nf; k++)
		packed[k] = facts[k].st;
	ev.studies = packed;
	ev.n_studies = (size_t)nf;
	ev.selection = sel;
	ev.n_selection = nsel;
	ev.outcome = ok ? HO_AUDIT_SUCCESS : HO_AUDIT_SERIOUS_FAILURE;
	ev.outcome_desc = ok ? NULL : failure;
	if (ok) {
		static const char hx[] = "0123456789abcdef";
		for (int i = 0; i < 32; i++) {
			digest[2 * i] = hx[j->res->manifest_digest[i] >> 4];
			digest[2 * i + 1] = hx[j->res->manifest_digest[i] & 15];
		}
		digest[64] = '\0';
		ev.manifest_digest = digest;
		ev.escrow_blob = j->escrow_text;
	}
	if ((rc = ho_audit_export_xml(&xml, &len, &ev, j->err)) < 0)
		goto out;
	rc = append(j, ok ? HO_LEDGER_EXPORT : HO_LEDGER_EXPORT_FAILED, xml, len, &rcpt);
	if (rc == 0) {
		j->res->logged = 1;
		j->res->log_seq = rcpt.seq;
		memcpy(j->res->log_entry_hash, rcpt.leaf_hash, 32);
		snprintf(j->res->log_origin, sizeof(j->res->log_origin), "%s", rcpt.origin);
	}
out:
	free(packed);
	free_facts(facts, nf > 0 ? (size_t)nf : 0);
	free(sel);
	return rc;
}

static int record_alert(struct job *j, int type, const char *what)
{
	ho_audit_alert a;
	char *xml = NULL;
	size_t len = 0;
	int rc;

	memset(&a, 0, sizeof(a));
	audit_source(j, &a.src);
	a.type = type;
	a.outcome = HO_AUDIT_MAJOR_FAILURE;
	a.description = what;
	a.user.user_id = j->o->staff_id;
	a.user.name = j->o->staff_name;
	a.object_id = j->patient_id;
	if ((rc = ho_audit_alert_xml(&xml, &len, &a, j->err)) < 0)
		return rc;
	return append(j, HO_LEDGER_SECURITY_ALERT, xml, len, NULL);
}

static int record_spoiled(struct job *j, const char *why)
{
	ho_audit_medium m;
	char *xml = NULL;
	size_t len = 0;
	int rc;

	memset(&m, 0, sizeof(m));
	audit_source(j, &m.src);
	m.event = HO_MEDIUM_EVT_SPOILED;
	m.staff.user_id = j->o->staff_id;
	m.staff.name = j->o->staff_name;
	m.medium_type = medium_type(j->cfg);
	m.medium_label = j->res->fileset_id;
	m.patient_id = j->patient_id;
	m.patient_issuer = j->issuer;
	m.reason = why;
	if ((rc = ho_audit_medium_xml(&xml, &len, &m, j->err)) < 0)
		return rc;
	return append(j, HO_LEDGER_MEDIUM_SPOILED, xml, len, NULL);
}

/* Records a failed job. Called after the wipe, so the entry also covers that. A
 * failure to log is added to the message, never hides the first error. */
static void record_failure(struct job *j, int rc)
{
	ho_err saved = *j->err;
	ho_err lerr = HO_ERR_INIT;
	ho_err *keep = j->err;

	j->err = &lerr;
	if (record_export(j, 0, saved.msg) < 0 ||
	    (rc == HO_EGUARD && record_alert(j, HO_ALERT_GUARD, saved.msg) < 0) ||
	    (j->res->medium_touched && record_spoiled(j, saved.msg) < 0)) {
		j->err = keep;
		ho_err_reset(keep, saved.code,
		             "%.200s The failure could not be recorded in the signed log either: "
		             "%.200s",
		             saved.msg, lerr.msg);
		return;
	}
	j->err = keep;
}

static int ledger_open(struct job *j)
{
	const char *dir = ho_config_get(j->cfg, "kiosk.log");
	char *def = NULL, *origin = NULL;
	ho_ledger_opts lo = HO_LEDGER_OPTS_INIT;
	ho_err e = HO_ERR_INIT;
	int rc = 0;

	if (dir[0] == '\0') {
		if ((def = ho_strfmt("%s/log", ho_config_get(j->cfg, "kiosk.state"))) == NULL)
			return ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
		dir = def;
	}
	if ((origin = ho_strfmt("handoff.kiosk/%s", ho_config_get(j->cfg, "kiosk.name"))) == NULL) {
		rc = ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
		goto out;
	}
	lo.origin = origin;
	if (ho_fs_mkdir_p(dir, 0700) < 0 || ho_ledger_open(&j->ledger, dir, &lo, &e) < 0 ||
	    ho_ledger_status(j->ledger, &e) < 0) {
		rc =
		    ho_err_set(j->err, HO_ESTATE,
		               "The signed handoff log in %s cannot be written (%s). No export can "
		               "be made until the administrator fixes it.",
		               dir, e.msg[0] ? e.msg : strerror(errno));
		goto out;
	}
	if (ho_config_get(j->cfg, "atna.host")[0] != '\0') {
		ho_atna_opts ao = HO_ATNA_OPTS_INIT;
		char *q = ho_strfmt("%s/atna-queue", ho_config_get(j->cfg, "kiosk.state"));
		ho_err ae = HO_ERR_INIT;
		ao.host = ho_config_get(j->cfg, "atna.host");
		ao.port = (unsigned)ho_config_get_int(j->cfg, "atna.port");
		ao.ca_file = ho_config_get(j->cfg, "atna.ca");
		ao.cert_file = ho_config_get(j->cfg, "atna.cert")[0]
		                   ? ho_config_get(j->cfg, "atna.cert")
		                   : NULL;
		ao.key_file =
		    ho_config_get(j->cfg, "atna.key")[0] ? ho_config_get(j->cfg, "atna.key") : NULL;
		ao.queue_dir = q;
		ao.hostname = ho_config_get(j->cfg, "kiosk.name");
		if (q == NULL || ho_atna_new(&j->atna, &ao, &ae) < 0)
			fprintf(stderr, "handoff: audit forwarding is off for this job: %s\n",
			        ae.msg[0] ? ae.msg : "out of memory");
		free(q);
	}
out:
	free(def);
	free(origin);
	return rc;
}

int ho_job_run(const ho_config *cfg, const ho_job_opts *o, ho_job_result *res, ho_err *err)
{
	struct job j = {0};
	const char *drive;
	int rc, wrc;

	memset(res, 0, sizeof(*res));
	res->failed_stage = -1;
	if (o == NULL || o->version != HO_JOB_OPTS_VERSION || o->patient_id == NULL ||
	    o->patient_id[0] == '\0')
		return ho_err_set(err, HO_EINVAL, "A patient ID is required.");
	if (o->staff_id == NULL || o->staff_id[0] == '\0')
		return ho_err_set(err, HO_EINVAL,
		                  "The staff member handing out the medium must be named.");
	j.cfg = cfg;
	j.o = o;
	j.res = res;
	j.err = err;
	j.encrypt =
	    o->encrypt >= 0 ? o->encrypt != 0 : ho_config_get_int(cfg, "export.encrypt") != 0;
	ho_pacs_peer(cfg, &j.peer);
	drive = o->drive != NULL ? o->drive : ho_config_get(cfg, "drive.address");
	j.profile = profile_for_media(ho_config_get(cfg, "drive.media"));
	snprintf(res->profile, sizeof(res->profile), "%s", ho_dcm_profile_name(j.profile));
	/* The log first: an export that cannot be recorded must not start at all, and it
	 * holds the lock that keeps this the only job on the kiosk. */
	if ((rc = ledger_open(&j)) < 0)
		goto done;
	if (copy_field(j.patient_id, sizeof(j.patient_id), o->patient_id) < 0) {
		rc = ho_err_set(err, HO_EINVAL, "The patient ID is too long.");
		goto out;
	}
	if ((rc = make_fileset_id(res->fileset_id)) < 0) {
		ho_err_set(err, rc, "The random number generator failed.");
		goto out;
	}
	/* An unusable drive must be found before any PHI is pulled onto the kiosk. */
	{
		uint64_t cap = 0;
		if ((rc = ho_burn_capacity(drive, &cap, err)) < 0)
			goto out;
	}
	/* Nothing from an earlier, interrupted job may end up on this medium. */
	if ((rc = ho_job_wipe_staging(cfg, err)) < 0)
		goto out;
	if ((rc = staging_new(&j)) < 0)
		goto out;
	if ((rc = stage_find(&j)) < 0)
		goto out;
	if ((rc = stage_pull(&j)) < 0)
		goto out;
	if ((rc = stage_fileset(&j)) < 0)
		goto out;
	if ((rc = stage_write_verify(&j, drive)) < 0)
		goto out;
	enter(&j, HO_STAGE_RECORD, "Recording the handoff in the signed log");
	if ((rc = record_export(&j, 1, NULL)) < 0)
		goto out;
	if (j.pw != NULL && o->password != NULL) {
		enter(&j, HO_STAGE_RECEIPT, "Handing over the password");
		o->password(o->ud, ho_password_display(j.pw));
	}
out:
	if (rc < 0)
		res->failed_stage = j.stage;
	enter(&j, HO_STAGE_WIPE, "Removing patient data from the kiosk");
	ho_password_free(j.pw);
	j.pw = NULL;
	wrc = j.dir != NULL ? ho_fs_rm_rf(j.dir) : 0;
	if (wrc < 0 || (j.dir != NULL && ho_fs_count_files(j.dir) > 0)) {
		/* PHI left behind outranks whatever else went wrong. */
		ho_err_reset(err, HO_EIO,
		             "Patient data could not be removed from the staging area %s. Call the "
		             "administrator.",
		             j.dir);
		if (rc == 0)
			(void)record_alert(&j, HO_ALERT_CONFIG, err->msg);
		rc = HO_EIO;
		res->failed_stage = HO_STAGE_WIPE;
	}
	if (rc < 0 && rc != HO_ESTATE && j.ledger != NULL && !res->logged)
		record_failure(&j, rc);
	if (rc == HO_ESTATE && res->medium_touched)
		ho_err_reset(err, HO_ESTATE,
		             "%.300s The medium was written but the handoff is not on record: do "
		             "not hand it out; destroy it.",
		             err->msg);
	if (j.atna != NULL) {
		ho_err ae = HO_ERR_INIT;
		if (ho_atna_flush(j.atna, true, NULL, &ae) < 0)
			fprintf(stderr, "handoff: the audit repository will get this later (%s)\n",
			        ae.msg);
	}
done:
	for (size_t i = 0; i < j.ninst; i++)
		free(j.inst[i].rel);
	ho_atna_free(j.atna);
	ho_ledger_close(j.ledger);
	free(j.escrow_text);
	free(j.inst);
	free(j.series);
	free(j.studies);
	free(j.excluded);
	free(j.dir);
	free(j.in);
	free(j.root);
	free(j.fs);
	return rc;
}
