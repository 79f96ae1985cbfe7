/*
 * core/ledger_export.h - the auditor's copy of the signed log and its review report.
 *
 * Export copies, under the log's lock so the copy is consistent: every segment, the
 * latest checkpoint, the key history, docs/LOG-FORMAT.md and docs/AUDITOR.md, the
 * verifier's source and (when built) its statically linked binary, and a MANIFEST of
 * SHA-256 digests signed with the log key as a C2SP note. Every file is fsync'ed so the
 * stick can be pulled right after. The export is itself recorded first as an Audit Log
 * Used entry (DCM 110101), so the copy contains the record of its own making.
 *
 * The report walks the log (structure checked, no key needed) and writes one
 * self-contained HTML page with inline SVG charts: handoffs per day and per staff member,
 * after-hours and bulk exports, failures and spoiled media, security alerts. It names
 * staff and sequence numbers, never patients. Nothing returned needs freeing.
 */
#ifndef HO_CORE_LEDGER_EXPORT_H
#define HO_CORE_LEDGER_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "core/ledger.h"
#include "util/err.h"

#define HO_LEDGER_EXPORT_OPTS_VERSION 1

typedef struct ho_ledger_export_opts {
	unsigned version;
	const char *staff_id;     /* who asked for the export (required) */
	const char *source_root;  /* tree holding docs/ and the verifier source (repo or
	                             /usr/share/handoff); NULL = built-in default */
	const char *verifier_bin; /* static handoff-verify binary; NULL = built-in default */
	const char *site_id;      /* AuditEnterpriseSiteID for the Audit Log Used entry */
} ho_ledger_export_opts;

#define HO_LEDGER_EXPORT_OPTS_INIT                                                                 \
	{                                                                                          \
		HO_LEDGER_EXPORT_OPTS_VERSION, NULL, NULL, NULL, NULL                              \
	}

/* Exports into the directory `to` (created; must be empty or absent). */
int ho_ledger_export(ho_ledger *l, const char *to, const ho_ledger_export_opts *opts, ho_err *err)
    __attribute__((warn_unused_result));

#define HO_LEDGER_REPORT_OPTS_VERSION 1

typedef struct ho_ledger_report_opts {
	unsigned version;
	int day_start_hour;    /* local time; exports before it are after-hours (7) */
	int day_end_hour;      /* exports at or after it are after-hours (19) */
	unsigned bulk_studies; /* an export with at least this many studies is bulk (5) */
	int64_t from_utc_ns;   /* 0 = from the start */
	int64_t to_utc_ns;     /* 0 = to the end */
	const char *title;
} ho_ledger_report_opts;

#define HO_LEDGER_REPORT_OPTS_INIT                                                                 \
	{                                                                                          \
		HO_LEDGER_REPORT_OPTS_VERSION, 7, 19, 5, 0, 0, NULL                                \
	}

int ho_ledger_report_html(FILE *out, const char *dir, const ho_ledger_report_opts *opts,
                          ho_err *err) __attribute__((warn_unused_result));

#endif
