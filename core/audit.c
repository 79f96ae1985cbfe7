#include "core/audit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/note.h"
#include "util/utf8.h"

/* Growable output with a hard cap (HO_AUDIT_MAX_XML); the first failure sticks. */
typedef struct xb {
	char *p;
	size_t len, cap;
	int err;
} xb;

static void xb_raw(xb *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > HO_AUDIT_MAX_XML) {
		b->err = HO_ETOOBIG;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 2048;
		char *np;
		while (nc < b->len + n + 1)
			nc *= 2;
		if ((np = realloc(b->p, nc)) == NULL) {
			b->err = HO_ENOMEM;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void xb_str(xb *b, const char *s)
{
	xb_raw(b, s, strlen(s));
}

static void xb_fmt(xb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void xb_fmt(xb *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->err = HO_EINVAL;
	else
		xb_raw(b, tmp, (size_t)n);
}

/* Length of the valid UTF-8 sequence at s that is also an XML 1.0 Char (2.2
 * production: no C0 controls but tab/LF/CR, no U+FFFE/U+FFFF), 0 if not. */
static size_t utf8_ok(const unsigned char *s)
{
	uint32_t cp;
	size_t n = ho_utf8_next(s, &cp);

	if (n == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe ||
	    cp == 0xffff)
		return 0;
	return n;
}

static void xb_esc(xb *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_ok(p);
		switch (n ? *p : 0) {
		case '&':
			xb_str(b, "&amp;");
			break;
		case '<':
			xb_str(b, "&lt;");
			break;
		case '>':
			xb_str(b, "&gt;");
			break;
		case '"':
			xb_str(b, "&quot;");
			break;
		case '\'':
			xb_str(b, "&apos;");
			break;
		case '\t':
			xb_str(b, "&#9;");
			break;
		case '\n':
			xb_str(b, "&#10;");
			break;
		case '\r':
			xb_str(b, "&#13;");
			break;
		case 0:
			xb_str(b, "\xef\xbf\xbd"); /* U+FFFD for a bad byte */
			n = 1;
			break;
		default:
			xb_raw(b, (const char *)p, n);
			break;
		}
		p += n;
	}
}

static void xb_attr(xb *b, const char *name, const char *val)
{
	if (val == NULL)
		return;
	xb_fmt(b, " %s=\"", name);
	xb_esc(b, val);
	xb_str(b, "\"");
}

static void xb_code(xb *b, const char *elem, const char *code, const char *sys, const char *text)
{
	xb_fmt(b, "<%s", elem);
	xb_attr(b, "csd-code", code);
	xb_attr(b, "codeSystemName", sys);
	xb_attr(b, "originalText", text);
	xb_str(b, "/>");
}

static void xb_detail(xb *b, const char *type, const char *value)
{
	size_t n, cap;
	char *enc;

	if (type == NULL || value == NULL)
		return;
	n = strlen(value);
	if (n > HO_AUDIT_MAX_XML) {
		b->err = HO_ETOOBIG;
		return;
	}
	cap = (n + 2) / 3 * 4 + 1;
	if ((enc = malloc(cap)) == NULL) {
		b->err = HO_ENOMEM;
		return;
	}
	/* PS3.15 A.5.1: ValuePair values are xsd:base64Binary, which keeps PACS-supplied
	 * text from injecting XML. */
	ho_b64_encode(enc, cap, (const uint8_t *)value, n);
	xb_str(b, "<ParticipantObjectDetail");
	xb_attr(b, "type", type);
	xb_attr(b, "value", enc);
	xb_str(b, "/>");
	free(enc);
}

static void xb_begin(xb *b, const ho_audit_source *src, const char *action, int outcome,
                     const char *ev_code, const char *ev_text)
{
	struct timespec ts;
	struct tm tm;
	time_t t;
	long ms;
	char when[96];

	if (src->utc_ns != 0) {
		t = (time_t)(src->utc_ns / 1000000000);
		ms = (long)((src->utc_ns % 1000000000) / 1000000);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		t = ts.tv_sec;
		ms = ts.tv_nsec / 1000000;
	}
	gmtime_r(&t, &tm);
	snprintf(when, sizeof(when), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         (int)(ms < 0 ? 0 : ms % 1000));
	xb_str(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<AuditMessage>");
	xb_str(b, "<EventIdentification");
	xb_attr(b, "EventActionCode", action);
	xb_attr(b, "EventDateTime", when);
	xb_fmt(b, " EventOutcomeIndicator=\"%d\">", outcome);
	xb_code(b, "EventID", ev_code, "DCM", ev_text);
}

static void xb_outcome_desc(xb *b, const char *desc)
{
	if (desc == NULL)
		return;
	xb_str(b, "<EventOutcomeDescription>");
	xb_esc(b, desc);
	xb_str(b, "</EventOutcomeDescription>");
}

/* The kiosk itself as an active participant (PS3.15 A.5.3: the process that
 * performed the event). */
static void xb_kiosk(xb *b, const ho_audit_source *src, bool requestor, const char *role_code,
                     const char *role_text)
{
	xb_str(b, "<ActiveParticipant");
	xb_attr(b, "UserID", src->app_name ? src->app_name : "handoff");
	xb_attr(b, "AlternativeUserID", src->source_id);
	xb_attr(b, "UserIsRequestor", requestor ? "true" : "false");
	if (src->host != NULL) {
		xb_attr(b, "NetworkAccessPointID", src->host);
		xb_attr(b, "NetworkAccessPointTypeCode", "1");
	}
	xb_str(b, ">");
	if (role_code != NULL)
		xb_code(b, "RoleIDCode", role_code, "DCM", role_text);
	xb_str(b, "</ActiveParticipant>");
}

static void xb_person(xb *b, const ho_audit_person *p, bool requestor, const char *role_code,
                      const char *role_sys, const char *role_text)
{
	xb_str(b, "<ActiveParticipant");
	xb_attr(b, "UserID", p->user_id ? p->user_id : "unknown");
	xb_attr(b, "UserName", p->name);
	xb_attr(b, "UserIsRequestor", requestor ? "true" : "false");
	xb_str(b, ">");
	if (role_code != NULL)
		xb_code(b, "RoleIDCode", role_code, role_sys, role_text);
	if (p->role != NULL)
		xb_code(b, "RoleIDCode", p->role, "99HANDOFF", p->role);
	xb_str(b, "</ActiveParticipant>");
}

static void xb_medium(xb *b, enum ho_audit_medium_type t, const char *label)
{
	/* PS3.16 CID 405 Media Type Code. */
	const char *code = "110032", *text = "CD";

	if (t == HO_MEDIUM_DVD) {
		code = "110033";
		text = "DVD";
	} else if (t == HO_MEDIUM_USB) {
		code = "110030";
		text = "USB Disk Emulation";
	}
	xb_str(b, "<ActiveParticipant");
	xb_attr(b, "UserID", label ? label : "unlabelled");
	xb_attr(b, "UserIsRequestor", "false");
	xb_str(b, ">");
	xb_code(b, "RoleIDCode", "110154", "DCM", "Destination Media");
	xb_str(b, "<MediaIdentifier>");
	xb_code(b, "MediaType", code, "DCM", text);
	xb_str(b, "</MediaIdentifier></ActiveParticipant>");
}

static void xb_source(xb *b, const ho_audit_source *src)
{
	xb_str(b, "<AuditSourceIdentification");
	xb_attr(b, "AuditEnterpriseSiteID", src->site_id);
	xb_attr(b, "AuditSourceID", src->source_id ? src->source_id : "handoff");
	xb_str(b, ">");
	/* A.5.1.2.1: 1 = end-user interface (the kiosk is a front-desk device). */
	xb_str(b, "<AuditSourceTypeCode csd-code=\"1\"/>");
	xb_str(b, "</AuditSourceIdentification>");
}

static void xb_patient(xb *b, const char *id, const char *issuer, const char *name)
{
	char *full = NULL;

	if (id == NULL)
		return;
	/* PatientID^^^Issuer as IHE ITI uses for CX values. */
	if (issuer != NULL) {
		size_t n = strlen(id) + strlen(issuer) + 4;
		if ((full = malloc(n)) == NULL) {
			b->err = HO_ENOMEM;
			return;
		}
		snprintf(full, n, "%s^^^%s", id, issuer);
	}
	xb_str(b, "<ParticipantObjectIdentification");
	xb_attr(b, "ParticipantObjectID", full ? full : id);
	xb_attr(b, "ParticipantObjectTypeCode", "1");
	xb_attr(b, "ParticipantObjectTypeCodeRole", "1");
	xb_str(b, ">");
	xb_code(b, "ParticipantObjectIDTypeCode", "2", "RFC-3881", "Patient Number");
	xb_str(b, "<ParticipantObjectName>");
	xb_esc(b, name ? name : id);
	xb_str(b, "</ParticipantObjectName></ParticipantObjectIdentification>");
	free(full);
}

static void xb_study(xb *b, const ho_audit_study *s, const ho_audit_selection *sel, size_t nsel)
{
	xb_str(b, "<ParticipantObjectIdentification");
	xb_attr(b, "ParticipantObjectID", s->uid ? s->uid : "");
	xb_attr(b, "ParticipantObjectTypeCode", "2");
	xb_attr(b, "ParticipantObjectTypeCodeRole", "3");
	xb_attr(b, "ParticipantObjectDataLifeCycle", "10"); /* A.5.1.2.3: export */
	xb_str(b, ">");
	xb_code(b, "ParticipantObjectIDTypeCode", "110180", "DCM", "Study Instance UID");
	xb_str(b, "<ParticipantObjectName>");
	xb_esc(b, s->uid ? s->uid : "");
	xb_str(b, "</ParticipantObjectName>");
	for (size_t i = 0; i < s->n_series; i++)
		xb_detail(b, "SeriesInstanceUID", s->series_uids[i]);
	for (size_t i = 0; i < nsel; i++) {
		char *v;
		size_t n;
		if (sel[i].uid == NULL)
			continue;
		n = strlen(sel[i].uid) + (sel[i].reason ? strlen(sel[i].reason) : 0) + 16;
		if ((v = malloc(n)) == NULL) {
			b->err = HO_ENOMEM;
			return;
		}
		snprintf(v, n, "%s %s: %s", sel[i].included ? "include" : "exclude", sel[i].uid,
		         sel[i].reason ? sel[i].reason : "");
		xb_detail(b, "HandoffSelection", v);
		free(v);
	}
	xb_str(b, "<ParticipantObjectDescription>");
	if (s->accession != NULL) {
		xb_str(b, "<Accession");
		xb_attr(b, "Number", s->accession);
		xb_str(b, "/>");
	}
	for (size_t i = 0; i < s->n_sop_classes; i++) {
		xb_str(b, "<SOPClass");
		xb_attr(b, "UID", s->sop_classes[i]);
		xb_fmt(b, " NumberOfInstances=\"%" PRIu32 "\"/>",
		       s->sop_counts ? s->sop_counts[i] : (i == 0 ? s->n_instances : 0));
	}
	if (s->n_sop_classes == 0)
		xb_fmt(b, "<SOPClass NumberOfInstances=\"%" PRIu32 "\"/>", s->n_instances);
	xb_fmt(b, "<Encrypted>%s</Encrypted><Anonymized>%s</Anonymized>",
	       s->encrypted ? "true" : "false", s->anonymized ? "true" : "false");
	xb_str(b, "</ParticipantObjectDescription></ParticipantObjectIdentification>");
}

/* A system object that carries Handoff's own details (job, log, alert subject). */
static void xb_object(xb *b, const char *id, const char *role, const char *idcode,
                      const char *idsys, const char *idtext, const char *name,
                      const char *lifecycle, const ho_audit_detail *d, size_t nd)
{
	xb_str(b, "<ParticipantObjectIdentification");
	xb_attr(b, "ParticipantObjectID", id ? id : "-");
	xb_attr(b, "ParticipantObjectTypeCode", "2");
	xb_attr(b, "ParticipantObjectTypeCodeRole", role);
	xb_attr(b, "ParticipantObjectDataLifeCycle", lifecycle);
	xb_str(b, ">");
	xb_code(b, "ParticipantObjectIDTypeCode", idcode, idsys, idtext);
	xb_str(b, "<ParticipantObjectName>");
	xb_esc(b, name ? name : (id ? id : "-"));
	xb_str(b, "</ParticipantObjectName>");
	for (size_t i = 0; i < nd; i++)
		xb_detail(b, d[i].type, d[i].value);
	xb_str(b, "</ParticipantObjectIdentification>");
}

static int xb_finish(xb *b, char **out, size_t *len, ho_err *err)
{
	xb_str(b, "</AuditMessage>\n");
	if (b->err) {
		int rc = b->err;
		free(b->p);
		return ho_err_set(err, rc,
		                  rc == HO_ETOOBIG ? "the audit message is too large"
		                                   : "out of memory building an audit "
		                                     "message");
	}
	*out = b->p;
	*len = b->len;
	return 0;
}

int ho_audit_export_xml(char **out, size_t *len, const ho_audit_export *e, ho_err *err)
{
	xb b = {0};
	ho_audit_detail d[6];
	size_t nd = 0;

	*out = NULL;
	xb_begin(&b, &e->src, "R", (int)e->outcome, "110106", "Export");
	xb_outcome_desc(&b, e->outcome != HO_AUDIT_SUCCESS ? e->outcome_desc : NULL);
	xb_str(&b, "</EventIdentification>");
	xb_person(&b, &e->staff, true, NULL, NULL, NULL);
	xb_kiosk(&b, &e->src, false, "110153", "Source Role ID");
	if (e->recipient.user_id != NULL || e->recipient.name != NULL)
		xb_person(&b, &e->recipient, false, "110152", "DCM", "Destination Role ID");
	xb_medium(&b, e->medium_type, e->medium_label);
	xb_source(&b, &e->src);
	xb_patient(&b, e->patient_id, e->patient_issuer, e->patient_name);
	for (size_t i = 0; i < e->n_studies; i++) {
		const ho_audit_study *s = &e->studies[i];
		/* Each study carries the selection lines about it or its series. */
		ho_audit_selection *mine = NULL;
		size_t nm = 0;
		if (e->n_selection > 0 && (mine = calloc(e->n_selection, sizeof(*mine))) == NULL) {
			b.err = HO_ENOMEM;
			break;
		}
		for (size_t k = 0; k < e->n_selection; k++) {
			bool ours = s->uid && e->selection[k].uid &&
			            strcmp(s->uid, e->selection[k].uid) == 0;
			for (size_t j = 0; !ours && j < s->n_series; j++)
				ours = e->selection[k].uid &&
				       strcmp(s->series_uids[j], e->selection[k].uid) == 0;
			if (ours)
				mine[nm++] = e->selection[k];
		}
		xb_study(&b, s, mine, nm);
		free(mine);
	}
	if (e->purpose)
		d[nd++] = (ho_audit_detail){"HandoffPurpose", e->purpose};
	if (e->recipient_kind)
		d[nd++] = (ho_audit_detail){"HandoffRecipientKind", e->recipient_kind};
	if (e->identity_method)
		d[nd++] = (ho_audit_detail){"HandoffIdentityCheck", e->identity_method};
	if (e->manifest_digest)
		d[nd++] = (ho_audit_detail){"HandoffManifestSHA256", e->manifest_digest};
	if (e->escrow_blob)
		d[nd++] = (ho_audit_detail){"HandoffEscrowedPassword", e->escrow_blob};
	xb_object(&b, e->job_id ? e->job_id : e->medium_label, "20", "HO-JOB", "99HANDOFF",
	          "Handoff job", e->medium_label, "11", d, nd);
	/* Selection lines naming something that is not in any exported study (excluded
	 * studies) go on the job object so that no reason is lost. */
	for (size_t k = 0; k < e->n_selection; k++) {
		bool found = false;
		for (size_t i = 0; !found && i < e->n_studies; i++) {
			const ho_audit_study *s = &e->studies[i];
			found = s->uid && e->selection[k].uid &&
			        strcmp(s->uid, e->selection[k].uid) == 0;
			for (size_t j = 0; !found && j < s->n_series; j++)
				found = e->selection[k].uid &&
				        strcmp(s->series_uids[j], e->selection[k].uid) == 0;
		}
		if (!found && e->selection[k].uid != NULL) {
			ho_audit_detail sd = {"HandoffSelection", NULL};
			char *v;
			size_t n = strlen(e->selection[k].uid) +
			           (e->selection[k].reason ? strlen(e->selection[k].reason) : 0) +
			           16;
			if ((v = malloc(n)) == NULL) {
				b.err = HO_ENOMEM;
				break;
			}
			snprintf(v, n, "%s %s: %s",
			         e->selection[k].included ? "include" : "exclude",
			         e->selection[k].uid,
			         e->selection[k].reason ? e->selection[k].reason : "");
			sd.value = v;
			xb_object(&b, e->selection[k].uid, "3", "110180", "DCM",
			          "Study Instance UID", NULL, NULL, &sd, 1);
			free(v);
		}
	}
	return xb_finish(&b, out, len, err);
}

int ho_audit_auth_xml(char **out, size_t *len, const ho_audit_auth *a, ho_err *err)
{
	xb b = {0};
	int outcome = a->event == HO_AUTH_FAILURE   ? HO_AUDIT_MINOR_FAILURE
	              : a->event == HO_AUTH_LOCKOUT ? HO_AUDIT_SERIOUS_FAILURE
	                                            : HO_AUDIT_SUCCESS;
	bool logout = a->event == HO_AUTH_LOGOUT;

	*out = NULL;
	xb_begin(&b, &a->src, "E", outcome, "110114", "User Authentication");
	/* PS3.16 CID 454: Login 110122 / Logout 110123; failures are Logins that failed. */
	xb_code(&b, "EventTypeCode", logout ? "110123" : "110122", "DCM",
	        logout ? "Logout" : "Login");
	if (a->reason != NULL)
		xb_outcome_desc(&b, a->reason);
	xb_str(&b, "</EventIdentification>");
	xb_person(&b, &a->user, true, NULL, NULL, NULL);
	xb_kiosk(&b, &a->src, false, NULL, NULL);
	xb_source(&b, &a->src);
	return xb_finish(&b, out, len, err);
}

int ho_audit_alert_xml(char **out, size_t *len, const ho_audit_alert *a, ho_err *err)
{
	xb b = {0};
	const char *code, *sys = "DCM", *text;

	*out = NULL;
	switch (a->type) {
	case HO_ALERT_GUARD:
		code = "HO-GUARD";
		sys = "99HANDOFF";
		text = "Instance of another patient received";
		break;
	case HO_ALERT_TAMPER:
		code = "HO-TAMPER";
		sys = "99HANDOFF";
		text = "Signed log tamper detected";
		break;
	case HO_ALERT_TORN_TAIL:
		code = "HO-TORN-TAIL";
		sys = "99HANDOFF";
		text = "Torn log tail quarantined";
		break;
	case HO_ALERT_KEY_ROTATION:
		code = "110129";
		text = "Security Configuration";
		break;
	case HO_ALERT_CONFIG:
		code = "110129";
		text = "Security Configuration";
		break;
	case HO_ALERT_OVERRIDE:
		code = "110132";
		text = "Use of Restricted Function";
		break;
	case HO_ALERT_ACCOUNT:
		code = "110137";
		text = "User Security Attributes Changed";
		break;
	default:
		return ho_err_set(err, HO_EINVAL, "unknown security alert type");
	}
	xb_begin(&b, &a->src, "E", (int)a->outcome, "110113", "Security Alert");
	xb_code(&b, "EventTypeCode", code, sys, text);
	xb_outcome_desc(&b, a->description);
	xb_str(&b, "</EventIdentification>");
	if (a->user.user_id != NULL)
		xb_person(&b, &a->user, true, NULL, NULL, NULL);
	xb_kiosk(&b, &a->src, a->user.user_id == NULL, NULL, NULL);
	xb_source(&b, &a->src);
	xb_object(&b, a->object_id ? a->object_id : a->src.source_id, "13", "12", "RFC-3881", "URI",
	          a->description, NULL, a->details, a->n_details);
	return xb_finish(&b, out, len, err);
}

int ho_audit_app_xml(char **out, size_t *len, const ho_audit_app *a, ho_err *err)
{
	xb b = {0};
	bool stop = a->event == HO_APP_STOP;

	*out = NULL;
	xb_begin(&b, &a->src, "E", HO_AUDIT_SUCCESS, "110100", "Application Activity");
	xb_code(&b, "EventTypeCode", stop ? "110121" : "110120", "DCM",
	        stop ? "Application Stop" : "Application Start");
	xb_str(&b, "</EventIdentification>");
	xb_kiosk(&b, &a->src, a->user.user_id == NULL, "110150", "Application");
	if (a->user.user_id != NULL)
		xb_person(&b, &a->user, true, "110151", "DCM", "Application Launcher");
	xb_source(&b, &a->src);
	if (a->n_details > 0)
		xb_object(&b, a->src.source_id, "4", "HO-APP", "99HANDOFF", "Handoff kiosk", NULL,
		          NULL, a->details, a->n_details);
	return xb_finish(&b, out, len, err);
}

int ho_audit_log_used_xml(char **out, size_t *len, const ho_audit_log_used *u, ho_err *err)
{
	xb b = {0};
	ho_audit_detail d = {"HandoffPurpose", u->purpose};

	*out = NULL;
	xb_begin(&b, &u->src, "R", (int)u->outcome, "110101", "Audit Log Used");
	xb_str(&b, "</EventIdentification>");
	xb_person(&b, &u->user, true, NULL, NULL, NULL);
	xb_kiosk(&b, &u->src, false, NULL, NULL);
	xb_source(&b, &u->src);
	/* A.5.3.2: the audit log as a Security Resource identified by URI. */
	xb_object(&b, u->log_uri ? u->log_uri : "file:///var/lib/handoff/log", "13", "12",
	          "RFC-3881", "URI", "Security Audit Log", NULL, &d, u->purpose ? 1 : 0);
	return xb_finish(&b, out, len, err);
}

int ho_audit_medium_xml(char **out, size_t *len, const ho_audit_medium *m, ho_err *err)
{
	xb b = {0};
	bool destroyed = m->event == HO_MEDIUM_EVT_DESTROYED;
	ho_audit_detail d[2];
	char seq[32];
	size_t nd = 0;

	*out = NULL;
	xb_begin(&b, &m->src, destroyed ? "D" : "C",
	         destroyed ? HO_AUDIT_SUCCESS : HO_AUDIT_SERIOUS_FAILURE, "110106", "Export");
	xb_code(&b, "EventTypeCode", destroyed ? "HO-MEDIUM-DESTROYED" : "HO-MEDIUM-SPOILED",
	        "99HANDOFF", destroyed ? "Spoiled medium destroyed" : "Medium spoiled");
	xb_outcome_desc(&b, m->reason);
	xb_str(&b, "</EventIdentification>");
	xb_person(&b, &m->staff, true, NULL, NULL, NULL);
	xb_kiosk(&b, &m->src, false, "110153", "Source Role ID");
	xb_medium(&b, m->medium_type, m->medium_label);
	xb_source(&b, &m->src);
	xb_patient(&b, m->patient_id, m->patient_issuer, NULL);
	if (m->reason)
		d[nd++] = (ho_audit_detail){"HandoffReason", m->reason};
	if (destroyed && m->spoiled_seq != 0) {
		snprintf(seq, sizeof(seq), "%" PRIu64, m->spoiled_seq);
		d[nd++] = (ho_audit_detail){"HandoffSpoiledSeq", seq};
	}
	/* A.5.1.2.3 life cycle 15: permanent erasure / physical destruction. */
	xb_object(&b, m->medium_label, "3", "HO-MEDIUM", "99HANDOFF", "Handoff medium", NULL,
	          destroyed ? "15" : "10", d, nd);
	return xb_finish(&b, out, len, err);
}
