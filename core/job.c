#include "core/job.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "burn/burn.h"
#include "burn/manifest.h"
#include "core/media_text.h"
#include "core/pacs.h"
#include "dicom/check.h"
#include "dicom/dicom.h"
#include "util/fs.h"

static const char *const STAGE_NAMES[HO_STAGE_COUNT] = {
	"find", "select", "pull", "guard", "shape", "file-set",
	"seal", "write", "verify", "record", "receipt", "wipe",
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
	s->matches++;
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
	char (*uids)[HO_DCM_UID_MAX];
	size_t n, cap;
	int oom;
};

static int on_study(void *ud, const ho_dcm_record *r)
{
	struct study_scan *s = ud;

	if (strcmp(r->patient_id, s->j->patient_id) != 0)
		return 0;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->uids[i], r->study_uid) == 0)
			return 0;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		void *p = realloc(s->uids, nc * sizeof(*s->uids));
		if (p == NULL) {
			s->oom = 1;
			return 1;
		}
		s->uids = p;
		s->cap = nc;
	}
	copy_field(s->uids[s->n++], HO_DCM_UID_MAX, r->study_uid);
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

	if (r->series_uid[0] == '\0' || !wanted(j->o->series_uids, j->o->n_series, r->series_uid))
		return 0;
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
		for (size_t k = 0; k < ss.n; k++)
			found |= strcmp(ss.uids[k], j->o->study_uids[i]) == 0;
		if (!found) {
			rc = ho_err_set(j->err, HO_ENOTFOUND,
					"Study %s is not a study of patient '%s' on the PACS. Nothing "
					"was exported.",
					j->o->study_uids[i], j->patient_id);
			goto out;
		}
	}

	enter(j, HO_STAGE_SELECT, "Selecting series");
	{
		unsigned idx = 0;
		for (size_t k = 0; k < ss.n; k++) {
			struct series_scan sc = {.j = j, .study_uid = ss.uids[k]};
			ho_dcm_query sq = {0};
			if (!wanted(j->o->study_uids, j->o->n_studies, ss.uids[k]))
				continue;
			sc.study_idx = ++idx;
			sq.patient_id = j->patient_id;
			sq.study_uid = ss.uids[k];
			rc = ho_dcm_find(&j->peer, HO_DCM_LEVEL_SERIES, &sq, on_series, &sc, j->err);
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
			rc = ho_err_set(j->err, HO_ENOTFOUND,
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
	free(ss.uids);
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
		rc = ho_err_set(j->err, HO_ECANCEL, "The export was cancelled. Nothing was written.");
		goto out;
	}
	/* The guard: every instance must belong to the selected patient (ID and issuer).
	 * A misfiled object is the one way another patient's images could reach this
	 * medium, so it stops the whole job, not just this file. The other patient's
	 * identifiers are not repeated in the message (staff do not need them). */
	if (strcmp(in->patient_id, j->patient_id) != 0 || strcmp(in->issuer, j->issuer) != 0) {
		j->stage = HO_STAGE_GUARD;
		rc = ho_err_set(j->err, HO_EGUARD,
				"Security stop: the PACS sent an image that belongs to another patient "
				"(study %s, series %s, image %s). Nothing was written and the images "
				"pulled were deleted. Report this to the PACS administrator so the "
				"study can be corrected.",
				s->study_uid, s->series_uid, in->sop_instance_uid);
		goto out;
	}
	if (strcmp(in->study_uid, s->study_uid) != 0 || strcmp(in->series_uid, s->series_uid) != 0) {
		j->stage = HO_STAGE_GUARD;
		rc = ho_err_set(j->err, HO_EGUARD,
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
	dir = ho_strfmt("%s/DICOM/P0000001/S%07u/SE%06u", j->root, s->study_idx, s->series_idx);
	if (rel == NULL || dir == NULL || (dst = ho_strfmt("%s/%s", j->root, rel)) == NULL) {
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

static int stage_fileset(struct job *j)
{
	const char **paths = NULL;
	int rc;

	enter(j, HO_STAGE_FILESET, "Building the DICOM file-set");
	if ((paths = calloc(j->ninst ? j->ninst : 1, sizeof(*paths))) == NULL)
		return ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
	for (size_t i = 0; i < j->ninst; i++)
		paths[i] = j->inst[i].rel;
	rc = ho_dcm_dicomdir_write(j->root, j->res->fileset_id, j->profile, paths, j->ninst, j->err);
	free(paths);
	if (rc < 0)
		return rc;
	if ((rc = ho_media_text_write(j->root, 0, j->err)) < 0)
		return rc;
	return 0;
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
	j->dir = ho_strfmt("%s/job-%02x%02x%02x%02x%02x%02x", staging, r[0], r[1], r[2], r[3],
			   r[4], r[5]);
	if (j->dir == NULL || (j->in = ho_strfmt("%s/in", j->dir)) == NULL ||
	    (j->root = ho_strfmt("%s/medium", j->dir)) == NULL)
		return ho_err_set(j->err, HO_ENOMEM, "Out of memory.");
	if (mkdir(j->dir, 0700) < 0 || mkdir(j->in, 0700) < 0 || mkdir(j->root, 0700) < 0)
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
	j.cfg = cfg;
	j.o = o;
	j.res = res;
	j.err = err;
	ho_pacs_peer(cfg, &j.peer);
	drive = o->drive != NULL ? o->drive : ho_config_get(cfg, "drive.address");
	j.profile = profile_for_media(ho_config_get(cfg, "drive.media"));
	snprintf(res->profile, sizeof(res->profile), "%s", ho_dcm_profile_name(j.profile));
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
out:
	if (rc < 0)
		res->failed_stage = j.stage;
	enter(&j, HO_STAGE_WIPE, "Removing patient data from the kiosk");
	wrc = j.dir != NULL ? ho_fs_rm_rf(j.dir) : 0;
	if (wrc < 0 || (j.dir != NULL && ho_fs_count_files(j.dir) > 0)) {
		/* PHI left behind outranks whatever else went wrong. */
		ho_err_reset(err, HO_EIO,
			     "Patient data could not be removed from the staging area %s. Call the "
			     "administrator.",
			     j.dir);
		rc = HO_EIO;
		res->failed_stage = HO_STAGE_WIPE;
	}
	for (size_t i = 0; i < j.ninst; i++)
		free(j.inst[i].rel);
	free(j.inst);
	free(j.series);
	free(j.dir);
	free(j.in);
	free(j.root);
	return rc;
}
