/*
 * core/audit.h - DICOM audit messages (PS3.15 A.5, RFC 3881 lineage) as XML bytes.
 *
 * The signed log stores the exact bytes these builders produce, and the ATNA forwarder
 * sends the same bytes, so what the repository and the auditor see is identical. Each
 * builder takes plain C structs (all strings UTF-8, NULL = absent) and returns a
 * malloc'ed, NUL-terminated XML document in *out (owned by the caller, free()) and its
 * length without the NUL in *len. Every string is escaped for XML; bytes that are not
 * valid UTF-8 or are XML-forbidden control characters are replaced by U+FFFD so a
 * hostile PACS value cannot break the document. ParticipantObjectDetail values are
 * base64 as the schema requires (xsd:base64Binary).
 *
 * Codes are DICOM's (codeSystemName "DCM", PS3.16 CID 400-405) where one exists; the
 * few Handoff-specific event types use codeSystemName "99HANDOFF" and are listed in
 * docs/LOG-FORMAT.md. Nothing here names the identity document of a recipient: only the
 * method used to check it.
 */
#ifndef HO_CORE_AUDIT_H
#define HO_CORE_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* EventOutcomeIndicator (PS3.15 A.5.1, RFC 3881 5.1.4). */
enum ho_audit_outcome {
	HO_AUDIT_SUCCESS = 0,
	HO_AUDIT_MINOR_FAILURE = 4,
	HO_AUDIT_SERIOUS_FAILURE = 8,
	HO_AUDIT_MAJOR_FAILURE = 12,
};

/* Who is writing the audit record (AuditSourceIdentification + the kiosk's own active
 * participant). */
typedef struct ho_audit_source {
	const char *site_id;   /* AuditEnterpriseSiteID, e.g. the clinic */
	const char *source_id; /* AuditSourceID, the kiosk's id (log origin) */
	const char *host;      /* NetworkAccessPointID of the kiosk (hostname or IP) */
	const char *app_name;  /* process name, default "handoff" */
	int64_t utc_ns;        /* EventDateTime; 0 = now */
} ho_audit_source;

typedef struct ho_audit_person {
	const char *user_id; /* staff account id / recipient id */
	const char *name;    /* UserName */
	const char *role;    /* staff role ("front desk", "supervisor"...) */
} ho_audit_person;

typedef struct ho_audit_detail {
	const char *type;  /* ParticipantObjectDetail@type */
	const char *value; /* raw value; base64-encoded by the builder */
} ho_audit_detail;

enum ho_audit_medium_type { HO_MEDIUM_CD = 1, HO_MEDIUM_DVD = 2, HO_MEDIUM_USB = 3 };

typedef struct ho_audit_study {
	const char *uid;                /* Study Instance UID */
	const char *accession;          /* may be NULL */
	const char *const *sop_classes; /* SOP Class UIDs present */
	const uint32_t *sop_counts;     /* instances per SOP class (may be NULL) */
	size_t n_sop_classes;
	uint32_t n_instances;
	const char *const *series_uids;
	size_t n_series;
	bool encrypted;
	bool anonymized;
} ho_audit_study;

typedef struct ho_audit_selection {
	const char *uid; /* study or series UID */
	bool included;
	const char *reason; /* why it is in or out (policy rule or staff choice) */
} ho_audit_selection;

typedef struct ho_audit_export {
	ho_audit_source src;
	enum ho_audit_outcome outcome;
	const char *outcome_desc;   /* plain words when outcome != success */
	ho_audit_person staff;      /* requestor */
	ho_audit_person recipient;  /* patient or provider receiving the medium */
	const char *recipient_kind; /* "patient", "representative", "provider" */
	enum ho_audit_medium_type medium_type;
	const char *medium_label; /* medium / file-set id printed on it */
	const char *patient_id;
	const char *patient_issuer;
	const char *patient_name;
	const ho_audit_study *studies;
	size_t n_studies;
	const ho_audit_selection *selection;
	size_t n_selection;
	const char *purpose;         /* policy purpose (right of access, referral...) */
	const char *manifest_digest; /* hex SHA-256 of the medium manifest */
	const char *identity_method; /* how identity was checked; never a document number */
	const char *escrow_blob;     /* escrowed medium password (already encrypted), text */
	const char *job_id;
} ho_audit_export;

enum ho_audit_auth_event {
	HO_AUTH_LOGIN = 1,
	HO_AUTH_LOGOUT = 2,
	HO_AUTH_FAILURE = 3,
	HO_AUTH_LOCKOUT = 4
};

typedef struct ho_audit_auth {
	ho_audit_source src;
	enum ho_audit_auth_event event;
	ho_audit_person user;
	const char *reason; /* failure reason, idle-lock, ... */
} ho_audit_auth;

enum ho_audit_alert_type {
	HO_ALERT_GUARD = 1,        /* an instance of another patient was seen */
	HO_ALERT_TAMPER = 2,       /* log verification failed / tamper found */
	HO_ALERT_TORN_TAIL = 3,    /* torn log tail quarantined at start */
	HO_ALERT_KEY_ROTATION = 4, /* log signing key replaced */
	HO_ALERT_CONFIG = 5,       /* security configuration changed */
	HO_ALERT_OVERRIDE = 6,     /* supervisor override of a policy */
	HO_ALERT_ACCOUNT = 7,      /* staff account changed */
};

typedef struct ho_audit_alert {
	ho_audit_source src;
	enum ho_audit_alert_type type;
	enum ho_audit_outcome outcome;
	const char *description; /* plain words */
	ho_audit_person user;    /* who triggered it, if anyone (user_id may be NULL) */
	const char *object_id;   /* alerting object: file, patient id, account...; may be NULL */
	const ho_audit_detail *details;
	size_t n_details;
} ho_audit_alert;

enum ho_audit_app_event { HO_APP_START = 1, HO_APP_STOP = 2 };

typedef struct ho_audit_app {
	ho_audit_source src;
	enum ho_audit_app_event event;
	ho_audit_person user; /* who started/stopped it; user_id may be NULL (system) */
	const ho_audit_detail *details;
	size_t n_details;
} ho_audit_app;

typedef struct ho_audit_log_used {
	ho_audit_source src;
	ho_audit_person user; /* auditor */
	const char *log_uri;  /* what was read / exported (e.g. "file:///var/lib/handoff/log") */
	const char *purpose;  /* "export to USB", "report", ... */
	enum ho_audit_outcome outcome;
} ho_audit_log_used;

enum ho_audit_medium_event { HO_MEDIUM_EVT_SPOILED = 1, HO_MEDIUM_EVT_DESTROYED = 2 };

typedef struct ho_audit_medium {
	ho_audit_source src;
	enum ho_audit_medium_event event;
	ho_audit_person staff; /* who reported / confirmed */
	enum ho_audit_medium_type medium_type;
	const char *medium_label;
	const char *patient_id; /* whose data the medium holds */
	const char *patient_issuer;
	const char *reason;   /* "read-back mismatch", "shredded", ... */
	uint64_t spoiled_seq; /* for DESTROYED: seq of the SPOILED entry */
} ho_audit_medium;

int ho_audit_export_xml(char **out, size_t *len, const ho_audit_export *e, ho_err *err)
    __attribute__((warn_unused_result));
int ho_audit_auth_xml(char **out, size_t *len, const ho_audit_auth *a, ho_err *err)
    __attribute__((warn_unused_result));
int ho_audit_alert_xml(char **out, size_t *len, const ho_audit_alert *a, ho_err *err)
    __attribute__((warn_unused_result));
int ho_audit_app_xml(char **out, size_t *len, const ho_audit_app *a, ho_err *err)
    __attribute__((warn_unused_result));
int ho_audit_log_used_xml(char **out, size_t *len, const ho_audit_log_used *u, ho_err *err)
    __attribute__((warn_unused_result));
int ho_audit_medium_xml(char **out, size_t *len, const ho_audit_medium *m, ho_err *err)
    __attribute__((warn_unused_result));

/* Caps what a builder will produce (the log's body cap). */
#define HO_AUDIT_MAX_XML (512u * 1024u)

#endif
