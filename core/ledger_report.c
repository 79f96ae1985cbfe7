#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ledger_export.h"
#include "core/ledger_verify.h"

#define MAX_DAYS 4000 /* ~11 years of days */
#define MAX_STAFF 512
#define MAX_ROWS 500 /* rows listed per table; counts stay exact */

typedef struct row {
	uint64_t seq;
	int64_t utc_ns;
	char user[64];
	char what[160];
} row;

typedef struct rows {
	row r[MAX_ROWS];
	uint64_t total;
} rows;

typedef struct staff {
	char id[64];
	uint64_t exports, failures;
} staff;

typedef struct report {
	const ho_ledger_report_opts *o;
	int64_t day0; /* first day number seen */
	uint32_t per_day[MAX_DAYS];
	uint32_t fail_day[MAX_DAYS];
	int64_t last_day;
	staff st[MAX_STAFF];
	size_t nst;
	uint64_t other_staff;
	uint64_t entries, exports, failures, spoiled, destroyed, alerts, logins, login_fail;
	rows after, bulk, fails, sec;
	int64_t first_ns, last_ns;
} report;

static void add_row(rows *t, const ho_ledger_entry *e, const ho_ledger_summary *s, const char *what)
{
	row *r;

	if (t->total++ >= MAX_ROWS)
		return;
	r = &t->r[t->total - 1];
	r->seq = e->seq;
	r->utc_ns = e->utc_ns;
	snprintf(r->user, sizeof(r->user), "%s", s->user[0] ? s->user : "-");
	snprintf(r->what, sizeof(r->what), "%s", what);
}

static staff *staff_of(report *rp, const char *id)
{
	for (size_t i = 0; i < rp->nst; i++)
		if (strcmp(rp->st[i].id, id) == 0)
			return &rp->st[i];
	if (rp->nst == MAX_STAFF)
		return NULL;
	snprintf(rp->st[rp->nst].id, sizeof(rp->st[0].id), "%s", id);
	return &rp->st[rp->nst++];
}

static int on_entry(void *ctx, const ho_ledger_entry *e)
{
	report *rp = ctx;
	ho_ledger_summary s;
	time_t t = (time_t)(e->utc_ns / 1000000000);
	struct tm lt;
	int64_t day = (int64_t)(e->utc_ns / 1000000000 / 86400);
	char what[160];

	if ((rp->o->from_utc_ns && e->utc_ns < rp->o->from_utc_ns) ||
	    (rp->o->to_utc_ns && e->utc_ns >= rp->o->to_utc_ns))
		return 0;
	ho_ledger_summarize(&s, e->body, e->body_len);
	localtime_r(&t, &lt);
	if (rp->entries == 0) {
		rp->day0 = day;
		rp->first_ns = e->utc_ns;
	}
	rp->entries++;
	rp->last_ns = e->utc_ns;
	if (day >= rp->day0 && day - rp->day0 < MAX_DAYS && day > rp->last_day)
		rp->last_day = day;
	switch (e->kind) {
	case HO_LEDGER_EXPORT: {
		staff *sp = staff_of(rp, s.user[0] ? s.user : "-");
		rp->exports++;
		if (day >= rp->day0 && day - rp->day0 < MAX_DAYS)
			rp->per_day[day - rp->day0]++;
		if (sp)
			sp->exports++;
		else
			rp->other_staff++;
		if (lt.tm_hour < rp->o->day_start_hour || lt.tm_hour >= rp->o->day_end_hour ||
		    lt.tm_wday == 0 || lt.tm_wday == 6) {
			snprintf(what, sizeof(what), "export of %u stud%s to %s", s.studies,
			         s.studies == 1 ? "y" : "ies", s.medium[0] ? s.medium : "medium");
			add_row(&rp->after, e, &s, what);
		}
		if (s.studies >= rp->o->bulk_studies) {
			snprintf(what, sizeof(what), "%u studies on %s", s.studies,
			         s.medium[0] ? s.medium : "one medium");
			add_row(&rp->bulk, e, &s, what);
		}
		break;
	}
	case HO_LEDGER_EXPORT_FAILED:
	case HO_LEDGER_MEDIUM_SPOILED:
	case HO_LEDGER_MEDIUM_DESTROYED: {
		staff *sp = staff_of(rp, s.user[0] ? s.user : "-");
		if (e->kind == HO_LEDGER_EXPORT_FAILED)
			rp->failures++;
		else if (e->kind == HO_LEDGER_MEDIUM_SPOILED)
			rp->spoiled++;
		else
			rp->destroyed++;
		if (sp && e->kind != HO_LEDGER_MEDIUM_DESTROYED)
			sp->failures++;
		if (day >= rp->day0 && day - rp->day0 < MAX_DAYS &&
		    e->kind != HO_LEDGER_MEDIUM_DESTROYED)
			rp->fail_day[day - rp->day0]++;
		snprintf(what, sizeof(what), "%.20s: %.120s", ho_ledger_kind_name(e->kind),
		         s.desc[0] ? s.desc : s.type);
		add_row(&rp->fails, e, &s, what);
		break;
	}
	case HO_LEDGER_SECURITY_ALERT:
	case HO_LEDGER_RECOVERY:
	case HO_LEDGER_KEY_ROTATION:
		rp->alerts++;
		snprintf(what, sizeof(what), "%.60s: %.90s", s.type, s.desc);
		add_row(&rp->sec, e, &s, what);
		break;
	case HO_LEDGER_AUTH:
		if (s.outcome != 0) {
			rp->login_fail++;
			snprintf(what, sizeof(what), "sign-in failed: %.120s", s.desc);
			add_row(&rp->sec, e, &s, what);
		} else {
			rp->logins++;
		}
		break;
	default:
		break;
	}
	return 0;
}

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void fmt_time(char *out, size_t n, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm lt;

	localtime_r(&t, &lt);
	strftime(out, n, "%Y-%m-%d %H:%M", &lt);
}

static void bar_chart(FILE *f, const char *title, const uint32_t *a, const uint32_t *b, size_t n,
                      int64_t day0)
{
	uint32_t mx = 1;
	const int W = 900, H = 200, L = 40;
	double bw;

	for (size_t i = 0; i < n; i++) {
		if (a[i] + (b ? b[i] : 0) > mx)
			mx = a[i] + (b ? b[i] : 0);
	}
	bw = n ? (double)(W - L - 10) / (double)n : 1;
	fprintf(f, "<h2>");
	html_esc(f, title);
	fprintf(f,
	        "</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	        "role=\"img\">\n",
	        W, H + 30);
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", L, H, W, H);
	fprintf(f, "<text x=\"2\" y=\"12\" font-size=\"11\">%" PRIu32 "</text>\n", mx);
	for (size_t i = 0; i < n; i++) {
		double h1 = (double)a[i] * (H - 20) / mx, h2 = b ? (double)b[i] * (H - 20) / mx : 0;
		double x = L + (double)i * bw;
		if (a[i])
			fprintf(f,
			        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			        "fill=\"#2b6cb0\"><title>%" PRIu32 "</title></rect>\n",
			        x, H - h1, bw > 2 ? bw - 1 : bw, h1, a[i]);
		if (b && b[i])
			fprintf(f,
			        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			        "fill=\"#c53030\"><title>%" PRIu32 " failed</title></rect>\n",
			        x, H - h1 - h2, bw > 2 ? bw - 1 : bw, h2, b[i]);
	}
	if (n > 0) {
		char d0[16], d1[16];
		time_t t0 = (time_t)(day0 * 86400), t1 = (time_t)((day0 + (int64_t)n - 1) * 86400);
		struct tm tm0, tm1;
		gmtime_r(&t0, &tm0);
		gmtime_r(&t1, &tm1);
		strftime(d0, sizeof(d0), "%Y-%m-%d", &tm0);
		strftime(d1, sizeof(d1), "%Y-%m-%d", &tm1);
		fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\">%s</text>\n", L, H + 15, d0);
		fprintf(f,
		        "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>\n",
		        W, H + 15, d1);
	}
	fputs("</svg>\n", f);
}

static void staff_chart(FILE *f, const report *rp)
{
	uint64_t mx = 1;
	const int W = 900, RH = 18, L = 160;
	int H = (int)rp->nst * RH + 10;

	for (size_t i = 0; i < rp->nst; i++)
		if (rp->st[i].exports + rp->st[i].failures > mx)
			mx = rp->st[i].exports + rp->st[i].failures;
	fprintf(f,
	        "<h2>Handoffs per staff member</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
	        "width=\"%d\" height=\"%d\" role=\"img\">\n",
	        W, H);
	for (size_t i = 0; i < rp->nst; i++) {
		double w1 = (double)rp->st[i].exports * (W - L - 60) / (double)mx;
		double w2 = (double)rp->st[i].failures * (W - L - 60) / (double)mx;
		int y = (int)i * RH + 4;
		fprintf(f, "<text x=\"0\" y=\"%d\" font-size=\"12\">", y + 12);
		html_esc(f, rp->st[i].id);
		fprintf(f,
		        "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		        "fill=\"#2b6cb0\"/><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		        "fill=\"#c53030\"/><text x=\"%.1f\" y=\"%d\" font-size=\"12\">%" PRIu64
		        " / %" PRIu64 "</text>\n",
		        L, y, w1, RH - 4, L + w1, y, w2, RH - 4, L + w1 + w2 + 4, y + 12,
		        rp->st[i].exports, rp->st[i].failures);
	}
	fputs("</svg>\n", f);
}

static void table(FILE *f, const char *title, const rows *t)
{
	char when[32];

	fprintf(f, "<h2>");
	html_esc(f, title);
	fprintf(f, " (%" PRIu64 ")</h2>\n", t->total);
	if (t->total == 0) {
		fputs("<p>None.</p>\n", f);
		return;
	}
	fputs("<table><tr><th>seq</th><th>time</th><th>staff</th><th>what</th></tr>\n", f);
	for (uint64_t i = 0; i < t->total && i < MAX_ROWS; i++) {
		fmt_time(when, sizeof(when), t->r[i].utc_ns);
		fprintf(f, "<tr><td>%" PRIu64 "</td><td>%s</td><td>", t->r[i].seq, when);
		html_esc(f, t->r[i].user);
		fputs("</td><td>", f);
		html_esc(f, t->r[i].what);
		fputs("</td></tr>\n", f);
	}
	if (t->total > MAX_ROWS)
		fprintf(f,
		        "<tr><td colspan=\"4\">... and %" PRIu64 " more (see 'handoff log "
		        "show')</td></tr>\n",
		        t->total - MAX_ROWS);
	fputs("</table>\n", f);
}

int ho_ledger_report_html(FILE *out, const char *dir, const ho_ledger_report_opts *opts,
                          ho_err *err)
{
	ho_ledger_report_opts def = HO_LEDGER_REPORT_OPTS_INIT;
	report *rp = calloc(1, sizeof(*rp));
	char a[32], b[32];
	int rc, wrc;
	size_t ndays;

	if (rp == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory building the report");
	rp->o = opts ? opts : &def;
	rc = ho_ledger_walk(dir, on_entry, rp, err);
	if (rc != 0 && rc != HO_EVERIFY)
		goto out;
	ndays = rp->entries ? (size_t)(rp->last_day - rp->day0 + 1) : 0;
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	             "<title>Handoff log review</title><style>body{font-family:sans-serif;"
	             "margin:2em;max-width:60em}table{border-collapse:collapse}td,th{border:1px "
	             "solid #ccc;padding:2px 6px;font-size:13px}.bad{color:#c53030}</style>"
	             "</head><body>\n<h1>");
	html_esc(out, rp->o->title ? rp->o->title : "Handoff signed log: review report");
	fputs("</h1>\n", out);
	if (rc == HO_EVERIFY)
		fprintf(out,
		        "<p class=\"bad\"><b>The log is damaged; the figures below stop at the "
		        "damage.</b> ");
	else
		fputs("<p>", out);
	fputs("Structure checked (CRCs, sequence numbers, tree). Authenticity needs the kiosk's "
	      "public key: run <code>handoff-verify --key KEY LOG</code>.</p>\n",
	      out);
	if (rp->entries) {
		fmt_time(a, sizeof(a), rp->first_ns);
		fmt_time(b, sizeof(b), rp->last_ns);
	} else {
		a[0] = b[0] = '\0';
	}
	fprintf(out,
	        "<table><tr><th>period</th><td>%s &ndash; %s</td></tr>"
	        "<tr><th>entries</th><td>%" PRIu64 "</td></tr>"
	        "<tr><th>handoffs</th><td>%" PRIu64 "</td></tr>"
	        "<tr><th>failed exports</th><td>%" PRIu64 "</td></tr>"
	        "<tr><th>spoiled media / confirmed destroyed</th><td>%" PRIu64 " / %" PRIu64
	        "</td></tr><tr><th>sign-ins / failed sign-ins</th><td>%" PRIu64 " / %" PRIu64
	        "</td></tr><tr><th>security alerts</th><td>%" PRIu64 "</td></tr>"
	        "<tr><th>after-hours exports (before %02d:00, from %02d:00, weekends)</th>"
	        "<td>%" PRIu64 "</td></tr><tr><th>bulk exports (&ge; %u studies)</th><td>%" PRIu64
	        "</td></tr></table>\n",
	        a, b, rp->entries, rp->exports, rp->failures, rp->spoiled, rp->destroyed,
	        rp->logins, rp->login_fail, rp->alerts, rp->o->day_start_hour, rp->o->day_end_hour,
	        rp->after.total, rp->o->bulk_studies, rp->bulk.total);
	if (rp->spoiled > rp->destroyed)
		fprintf(out,
		        "<p class=\"bad\">%" PRIu64 " spoiled medium/media without a confirmed "
		        "destruction.</p>\n",
		        rp->spoiled - rp->destroyed);
	bar_chart(out, "Handoffs per day (blue) and failures (red)", rp->per_day, rp->fail_day,
	          ndays, rp->day0);
	staff_chart(out, rp);
	if (rp->other_staff)
		fprintf(out, "<p>%" PRIu64 " handoffs by further staff not charted.</p>\n",
		        rp->other_staff);
	table(out, "After-hours exports", &rp->after);
	table(out, "Bulk exports", &rp->bulk);
	table(out, "Failures and spoiled media", &rp->fails);
	table(out, "Security alerts and failed sign-ins", &rp->sec);
	fputs("</body></html>\n", out);
	wrc = fflush(out);
	if (rc == 0 && (wrc != 0 || ferror(out)))
		rc = ho_err_set(err, HO_EIO, "cannot write the report");
out:
	free(rp);
	return rc;
}
