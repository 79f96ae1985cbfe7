/*
 * dicom/dicom.h - the C face of the DCMTK shim (the only C++ in the tree).
 *
 * Query (C-FIND), retrieve (C-GET, or C-MOVE to our own storage SCP), header reading,
 * transcoding and DICOMDIR creation. Nothing here knows about jobs, policy or the log:
 * core/ decides, this module talks DICOM.
 *
 * Memory: records and instances passed to callbacks are valid only for the duration of
 * the callback; copy what you keep. Strings are UTF-8 (converted from the dataset's
 * Specific Character Set) and NUL-terminated; over-long values are an error, never
 * silently truncated. No function keeps a pointer to caller memory after it returns.
 */
#ifndef HO_DICOM_DICOM_H
#define HO_DICOM_DICOM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One-time process set-up (decoders, DCMTK logging, TCP_NODELAY=1 in the environment,
 * which DCMTK reads at every connect). Every function below calls it on first use; a
 * program with threads should call it from main() before starting them, because it
 * calls setenv(3). Idempotent. */
int ho_dcm_global_init(ho_err *err) __attribute__((warn_unused_result));

/* A remote application entity and how to reach it. */
typedef struct ho_dcm_peer {
	const char *host;       /* "127.0.0.1" */
	int port;               /* 4242 */
	const char *called_ae;  /* the PACS's AE title */
	const char *calling_ae; /* ours */
	int connect_timeout_s;  /* TCP connect + association negotiation; 0 = 10 s */
	int dimse_timeout_s;    /* each DIMSE message; 0 = 30 s */
	/* DICOM TLS (PS3.15 B.1): all NULL = plain TCP. */
	const char *tls_ca_file;   /* PEM bundle the peer's certificate must chain to */
	const char *tls_cert_file; /* our certificate (PEM), optional */
	const char *tls_key_file;  /* our private key (PEM), optional */
	/* Retrieval: 0 = C-GET. Otherwise C-MOVE with ourselves (calling_ae) as the move
	 * destination and a storage SCP listening on this port for the duration of the
	 * retrieve. The PACS must know calling_ae -> our host:move_port. */
	int move_port;
} ho_dcm_peer;

enum ho_dcm_level {
	HO_DCM_LEVEL_PATIENT = 1,
	HO_DCM_LEVEL_STUDY = 2,
	HO_DCM_LEVEL_SERIES = 3,
};

/* What to match. NULL or "" = universal match. Wildcards (* ?) allowed in name. */
typedef struct ho_dcm_query {
	const char *patient_id;
	const char *patient_name;
	const char *study_uid;  /* required for SERIES level */
	const char *birth_date; /* YYYYMMDD */
} ho_dcm_query;

#define HO_DCM_UID_MAX 65   /* 64 + NUL (PS3.5 9.1) */
#define HO_DCM_LO_MAX 257   /* LO 64 chars, up to 4 UTF-8 bytes each */
#define HO_DCM_PN_MAX 1300  /* PN 3 groups x 64 chars, up to 4 UTF-8 bytes each */

/* One C-FIND response. Fields not returned by the PACS at that level are "". */
typedef struct ho_dcm_record {
	int level;
	char patient_id[HO_DCM_LO_MAX];
	char issuer[HO_DCM_LO_MAX]; /* IssuerOfPatientID (0010,0021) */
	char patient_name[HO_DCM_PN_MAX];
	char birth_date[9];
	char sex[17];
	char study_uid[HO_DCM_UID_MAX];
	char study_date[9];
	char study_time[17];
	char accession[HO_DCM_LO_MAX];
	char study_desc[HO_DCM_LO_MAX];
	char modalities[HO_DCM_LO_MAX]; /* ModalitiesInStudy, backslash-separated */
	char series_uid[HO_DCM_UID_MAX];
	char modality[17];
	char series_desc[HO_DCM_LO_MAX];
	int series_number;   /* -1 if absent */
	int num_instances;   /* NumberOfStudy/SeriesRelatedInstances; -1 if absent */
} ho_dcm_record;

/* Return 0 to continue, non-zero to stop (that value is returned by ho_dcm_find). */
typedef int (*ho_dcm_record_cb)(void *ud, const ho_dcm_record *rec);

int ho_dcm_find(const ho_dcm_peer *peer, int level, const ho_dcm_query *q, ho_dcm_record_cb cb,
		void *ud, ho_err *err) __attribute__((warn_unused_result));

/* Header facts of one instance file, enough for the guard and the file-set. */
typedef struct ho_dcm_instance {
	const char *path; /* the file (in the caller's staging dir) */
	uint64_t size;    /* bytes on disk */
	char patient_id[HO_DCM_LO_MAX];
	char issuer[HO_DCM_LO_MAX];
	char study_uid[HO_DCM_UID_MAX];
	char series_uid[HO_DCM_UID_MAX];
	char sop_class_uid[HO_DCM_UID_MAX];
	char sop_instance_uid[HO_DCM_UID_MAX];
	char transfer_syntax[HO_DCM_UID_MAX];
	char modality[17];
} ho_dcm_instance;

/* Called once per received instance, after it is completely on disk at inst->path.
 * The callback owns the file from then on (may rename or delete it). The facts are the
 * file's own: the callback must check patient, study and series against what it asked for
 * (a PACS can send misfiled objects; core's guard does this). Return 0 to go
 * on; non-zero cancels the retrieve (C-CANCEL, association aborted) and that value is
 * returned by ho_dcm_retrieve_series. Calls are never concurrent and all are over when
 * ho_dcm_retrieve_series returns; with C-MOVE they run on the storage SCP's thread while
 * the calling thread waits inside ho_dcm_retrieve_series. */
typedef int (*ho_dcm_instance_cb)(void *ud, const ho_dcm_instance *inst);

/* Retrieves one series (SERIES-level C-GET or C-MOVE), writing each instance straight to
 * a file in dest_dir (the object is never held whole in memory) and calling cb for it.
 * Fails with HO_ENET (unreachable, timeout), HO_EREFUSED (association rejected,
 * retrieve refused), HO_ENOTFOUND (nothing matched), HO_EFORMAT (corrupt object). */
int ho_dcm_retrieve_series(const ho_dcm_peer *peer, const char *patient_id,
			   const char *study_uid, const char *series_uid, const char *dest_dir,
			   ho_dcm_instance_cb cb, void *ud, ho_err *err)
	__attribute__((warn_unused_result));

/* Reads the header facts of a DICOM file (Part 10). */
int ho_dcm_file_info(const char *path, ho_dcm_instance *out, ho_err *err)
	__attribute__((warn_unused_result));

/* Reads the patient, study and series attributes of a DICOM file (Part 10) into a record
 * (level HO_DCM_LEVEL_SERIES; modalities = the file's Modality; num_instances -1), strings
 * converted to UTF-8 like ho_dcm_find's. For README/INDEX text and the file-set. */
int ho_dcm_file_record(const char *path, ho_dcm_record *out, ho_err *err)
	__attribute__((warn_unused_result));

/* Writes a copy of in as out in Explicit VR Little Endian (decompressing JPEG baseline,
 * JPEG lossless and RLE). Pixel data is never altered beyond decompression. */
int ho_dcm_transcode_explicit_le(const char *in, const char *out, ho_err *err)
	__attribute__((warn_unused_result));

/* DICOMDIR application profiles (PS3.11). */
enum ho_dcm_profile {
	HO_DCM_PROFILE_GEN_CD = 1,       /* STD-GEN-CD: Explicit VR LE only */
	HO_DCM_PROFILE_GEN_DVD_JPEG = 2, /* STD-GEN-DVD-JPEG */
	HO_DCM_PROFILE_GEN_USB_JPEG = 3, /* STD-GEN-USB-JPEG */
};

/* "STD-GEN-CD" etc. */
const char *ho_dcm_profile_name(int profile);

/* 1 if a file with this transfer syntax may be referenced under profile. */
int ho_dcm_profile_allows(int profile, const char *ts_uid);

/* Creates root/DICOMDIR for the given files (paths relative to root, '/'-separated,
 * PS3.10 file IDs). Every file must be accepted: any file the profile would leave out
 * is an error naming it (HO_EFORMAT), never a silent omission. */
int ho_dcm_dicomdir_write(const char *root, const char *fileset_id, int profile,
			  const char *const *rel_paths, size_t n, ho_err *err)
	__attribute__((warn_unused_result));

#ifdef __cplusplus
}
#endif

#endif
