/*
 * core/job.h - one export: from the PACS to a verified medium.
 *
 * A job is a value that flows through fixed stages (DESIGN.md "The job"):
 *     find -> pull -> guard -> file-set -> write -> verify -> wipe
 * (select, shape, seal, record and receipt are added by their modules). Every stage
 * reports through one progress callback that both front ends use. ho_job_run is
 * synchronous; a front end that must stay responsive runs it on a worker thread and
 * copies what the callback gives it (the pointers in ho_progress are valid only during
 * the call).
 *
 * Whatever happens, the job's staging directory is removed before ho_job_run returns;
 * if even that fails, the error says so first, because PHI would be left behind.
 */
#ifndef HO_CORE_JOB_H
#define HO_CORE_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "util/err.h"

enum ho_stage {
	HO_STAGE_FIND = 0,
	HO_STAGE_SELECT,
	HO_STAGE_PULL,
	HO_STAGE_GUARD,
	HO_STAGE_SHAPE,
	HO_STAGE_FILESET,
	HO_STAGE_SEAL,
	HO_STAGE_WRITE,
	HO_STAGE_VERIFY,
	HO_STAGE_RECORD,
	HO_STAGE_RECEIPT,
	HO_STAGE_WIPE,
	HO_STAGE_COUNT
};

/* "find", "pull", ... (static storage). */
const char *ho_stage_name(int stage);

typedef struct ho_progress {
	int stage;              /* enum ho_stage */
	uint64_t bytes_done;
	uint64_t bytes_total;   /* 0 = not known yet */
	uint64_t items_done;
	uint64_t items_total;   /* 0 = not known yet */
	const char *what;       /* short plain-words description; valid during the call */
} ho_progress;

typedef void (*ho_progress_cb)(void *ud, const ho_progress *p);

#define HO_JOB_OPTS_VERSION 1

typedef struct ho_job_opts {
	unsigned version;          /* HO_JOB_OPTS_VERSION */
	const char *patient_id;    /* required */
	const char *issuer;        /* IssuerOfPatientID; NULL = as the PACS reports it */
	const char *const *study_uids; /* NULL/0 = every study of the patient */
	size_t n_studies;
	const char *const *series_uids; /* NULL/0 = every series of the chosen studies */
	size_t n_series;
	const char *drive;         /* NULL = drive.address from the configuration */
	const char *manifest_path; /* where to keep the manifest; NULL = state/manifests/ */
	ho_progress_cb progress;
	void *ud;
	volatile int *cancel;      /* set non-zero from another thread to cancel */
	/* Who hands what to whom, for the log (DESIGN.md "Signed handoff log"). */
	const char *staff_id;       /* signed-in staff member; required */
	const char *staff_name;
	const char *staff_role;
	const char *recipient_name; /* who takes the medium; NULL = the patient */
	const char *recipient_kind; /* "patient", "representative", "provider"; NULL = patient */
	const char *identity_method;/* how identity was checked (method only, never a number) */
	const char *purpose;        /* e.g. "right of access"; NULL = "right of access" */
	int encrypt;                /* -1 = export.encrypt from the configuration, 0 no, 1 yes */
	/* Encrypted media: called once, after the medium is verified and the handoff is in
	 * the log, with the password as the patient must type it (XXXX-XXXX-XXXX-XXXX). It
	 * goes to the receipt's tear-off part and nowhere else; the string is wiped when the
	 * call returns. */
	void (*password)(void *ud, const char *display);
} ho_job_opts;

#define HO_JOB_OPTS_INIT                                                                    \
	{HO_JOB_OPTS_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, NULL, NULL, NULL,     \
	 NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, NULL}

#define HO_JOB_PATH_MAX 4096

typedef struct ho_job_result {
	char fileset_id[17];         /* = ISO volume ID */
	char profile[24];            /* DICOMDIR profile used, e.g. "STD-GEN-CD" */
	char manifest_path[HO_JOB_PATH_MAX];
	uint8_t manifest_digest[32];
	uint64_t studies, series, instances;
	uint64_t transcoded;         /* instances converted to Explicit VR LE for the profile */
	uint64_t bytes;              /* bytes on the medium */
	int failed_stage;            /* stage that failed, or -1 */
	int medium_touched;          /* 1 if writing began: a failed medium may hold PHI */
	int encrypted;               /* 1 if the file-set is sealed in STUDY.ZIP */
	int escrowed;                /* 1 if the password went to the log, escrow-encrypted */
	int viewer_payload;          /* 1 if the viewer reads the study without a file pick */
	int logged;                  /* 1 if the outcome is in the signed log */
	uint64_t log_seq;            /* the entry for this job (export or failure) */
	uint8_t log_entry_hash[32];  /* RFC 9162 leaf hash of that entry */
	char log_origin[128];
} ho_job_result;

/* Runs the whole export. On failure err says what happened and what to do, and
 * res->failed_stage / res->medium_touched tell the front end what to show. */
int ho_job_run(const ho_config *cfg, const ho_job_opts *opts, ho_job_result *res, ho_err *err)
	__attribute__((warn_unused_result));

/* Process set-up the pipeline needs before any thread starts (DCMTK codecs and its
 * TCP_NODELAY environment switch). Call once from main(); idempotent. */
int ho_job_global_init(ho_err *err) __attribute__((warn_unused_result));

/* Removes everything left in the staging area (a crash, a power cut). Called at start. */
int ho_job_wipe_staging(const ho_config *cfg, ho_err *err) __attribute__((warn_unused_result));

#endif
