#include "core/pdi_html.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dicom/render.h"
#include "util/fs.h"

#define PDI_MAX_FILES 1000000u
#define PDI_MAX_ID 999999u /* ST/SE/IM + 6 digits = 8 characters (ISO 9660 level 1) */

enum { ITEM_IMAGE = 0, ITEM_NO_IMAGE = 1, ITEM_FAILED = 2, ITEM_SKIPPED = 3 };

struct study {
	char *uid, *date, *time, *desc, *pname, *pid, *birth;
	size_t ord; /* 1-based after sorting */
};

struct series {
	size_t study;
	char *uid, *desc, *modality;
	int number;
	size_t ord;   /* 1-based within its study */
	size_t count; /* files */
	size_t first; /* index of its first item after sorting */
};

struct item {
	size_t file, series;
	int instance;
	int state;
	unsigned w, h;
	size_t ord; /* 1-based within the series */
};

struct pdi {
	const char *root;
	const char *const *rel;
	struct study *st;
	size_t nst, capst;
	struct series *se;
	size_t nse, capse;
	struct item *it;
	size_t nit;
	size_t *rank; /* series index -> rank in page order */
	const ho_pdi_html_opts *opts;
};

static char *dup0(const char *s)
{
	return strdup(s != NULL ? s : "");
}

/* ---- text for XHTML ---------------------------------------------------------------- */

/* Writes s escaped for XML character data and attribute values (XML 1.0 2.4, 3.3.3).
 * Bytes that are not valid UTF-8 or not XML characters become U+FFFD, so a corrupt
 * name cannot make a page unreadable. */
static void esc(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned c = *p;
		size_t len = 0, i;

		if (c < 0x80) {
			if (c == '&')
				fputs("&amp;", f);
			else if (c == '<')
				fputs("&lt;", f);
			else if (c == '>')
				fputs("&gt;", f);
			else if (c == '"')
				fputs("&quot;", f);
			else if (c == '\'')
				fputs("&#39;", f);
			else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				fputs("\xEF\xBF\xBD", f);
			else
				fputc((int)c, f);
			p++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			len = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			len = 3;
		else if (c >= 0xF0 && c <= 0xF4)
			len = 4;
		for (i = 1; i < len; i++)
			if ((p[i] & 0xC0) != 0x80)
				break;
		/* reject overlongs / surrogates / > U+10FFFF at the second byte */
		if (len == 0 || i != len || (c == 0xE0 && p[1] < 0xA0) ||
		    (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
		    (c == 0xF4 && p[1] > 0x8F)) {
			fputs("\xEF\xBF\xBD", f);
			p++;
			continue;
		}
		fwrite(p, 1, len, f);
		p += len;
	}
}

/* PS3.5 6.2.1.1 PN: groups separated by '=', components by '^' (family, given, middle,
 * prefix, suffix). Shown as "Family, Given Middle Prefix Suffix", groups " = ". */
static void esc_pn(FILE *f, const char *pn)
{
	const char *g = pn;
	int first_group = 1;

	while (*g != '\0' || first_group) {
		const char *ge = strchr(g, '=');
		size_t glen = ge ? (size_t)(ge - g) : strlen(g);
		char comp[5][HO_RENDER_TEXT_MAX];
		size_t k = 0, i;
		const char *c = g;
		int any = 0;

		memset(comp, 0, sizeof(comp));
		while (k < 5 && c <= g + glen) {
			const char *ce = memchr(c, '^', (size_t)(g + glen - c));
			size_t cl = ce ? (size_t)(ce - c) : (size_t)(g + glen - c);

			if (cl >= HO_RENDER_TEXT_MAX)
				cl = HO_RENDER_TEXT_MAX - 1;
			memcpy(comp[k], c, cl);
			comp[k][cl] = '\0';
			k++;
			if (ce == NULL)
				break;
			c = ce + 1;
		}
		if (glen > 0) {
			if (!first_group)
				fputs(" = ", f);
			if (comp[0][0] != '\0') {
				esc(f, comp[0]);
				any = 1;
			}
			for (i = 1; i < 5; i++) {
				if (comp[i][0] == '\0')
					continue;
				fputs(any ? (i == 1 ? ", " : " ") : "", f);
				esc(f, comp[i]);
				any = 1;
			}
		}
		first_group = 0;
		if (ge == NULL)
			break;
		g = ge + 1;
	}
}

/* DA YYYYMMDD -> YYYY-MM-DD (ISO 8601, unambiguous in every country). */
static void esc_date(FILE *f, const char *da)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (da[i] < '0' || da[i] > '9')
			break;
	if (i == 8 && da[8] == '\0')
		fprintf(f, "%.4s-%.2s-%.2s", da, da + 4, da + 6);
	else if (da[0] == '\0')
		fputs("unknown date", f);
	else
		esc(f, da);
}

static void page_head(FILE *f, const char *title_plain, const char *pname)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
	      "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n"
	      "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
	      "<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\" />\n"
	      "<title>", f);
	esc(f, title_plain);
	if (pname != NULL && pname[0] != '\0') {
		fputs(" - ", f);
		esc_pn(f, pname);
	}
	fputs("</title>\n<style type=\"text/css\">\n"
	      "body{font-family:sans-serif;margin:1em;color:#111;background:#fff}\n"
	      "table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px;"
	      "text-align:left;vertical-align:top}\n"
	      "img{border:1px solid #999;margin:2px;background:#000}\n"
	      ".note{color:#555}\n</style>\n</head>\n<body>\n", f);
}

static void page_foot(FILE *f, const ho_pdi_html_opts *o)
{
	fputs("<hr />\n<p class=\"note\">These pictures are previews for reading on any "
	      "computer. They are not for diagnosis: the original DICOM images are in the "
	      "DICOM folder of this medium", f);
	if (o != NULL && o->institution != NULL && o->institution[0] != '\0') {
		fputs(", written by ", f);
		esc(f, o->institution);
	}
	fputs(".</p>\n</body>\n</html>\n", f);
}

/* ---- grouping ---------------------------------------------------------------------- */

static int find_study(struct pdi *p, const ho_dcm_render_info *in, size_t *out)
{
	size_t i;

	for (i = 0; i < p->nst; i++)
		if (strcmp(p->st[i].uid, in->study_uid) == 0) {
			*out = i;
			return 0;
		}
	if (p->nst == p->capst) {
		size_t cap = p->capst ? p->capst * 2 : 8;
		struct study *n = realloc(p->st, cap * sizeof(*n));

		if (n == NULL)
			return HO_ENOMEM;
		p->st = n;
		p->capst = cap;
	}
	struct study *s = &p->st[p->nst];
	memset(s, 0, sizeof(*s));
	p->nst++;
	s->uid = dup0(in->study_uid);
	s->date = dup0(in->study_date);
	s->time = dup0(in->study_time);
	s->desc = dup0(in->study_desc);
	s->pname = dup0(in->patient_name);
	s->pid = dup0(in->patient_id);
	s->birth = dup0(in->birth_date);
	if (!s->uid || !s->date || !s->time || !s->desc || !s->pname || !s->pid || !s->birth)
		return HO_ENOMEM;
	*out = i;
	return 0;
}

static int find_series(struct pdi *p, size_t study, const ho_dcm_render_info *in, size_t *out)
{
	size_t i;

	for (i = 0; i < p->nse; i++)
		if (p->se[i].study == study && strcmp(p->se[i].uid, in->series_uid) == 0) {
			*out = i;
			return 0;
		}
	if (p->nse == p->capse) {
		size_t cap = p->capse ? p->capse * 2 : 16;
		struct series *n = realloc(p->se, cap * sizeof(*n));

		if (n == NULL)
			return HO_ENOMEM;
		p->se = n;
		p->capse = cap;
	}
	struct series *s = &p->se[p->nse];
	memset(s, 0, sizeof(*s));
	p->nse++;
	s->study = study;
	s->number = in->series_number;
	s->uid = dup0(in->series_uid);
	s->desc = dup0(in->series_desc);
	s->modality = dup0(in->modality);
	if (!s->uid || !s->desc || !s->modality)
		return HO_ENOMEM;
	*out = i;
	return 0;
}


static int cmp_study(const void *a, const void *b)
{
	const struct study *x = a, *y = b;
	int c = strcmp(x->date, y->date);

	if (c == 0)
		c = strcmp(x->time, y->time);
	return c != 0 ? c : strcmp(x->uid, y->uid);
}

/* qsort_r (glibc): the comparisons need the tables, and a global would not be
 * thread-safe. */
static int cmp_series_idx(const void *a, const void *b, void *ctx)
{
	const struct pdi *p = ctx;
	const struct series *x = &p->se[*(const size_t *)a];
	const struct series *y = &p->se[*(const size_t *)b];

	if (p->st[x->study].ord != p->st[y->study].ord)
		return p->st[x->study].ord < p->st[y->study].ord ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return strcmp(x->uid, y->uid);
}

static int cmp_item(const void *a, const void *b, void *ctx)
{
	const struct pdi *p = ctx;
	const struct item *x = a, *y = b;

	if (p->rank[x->series] != p->rank[y->series])
		return p->rank[x->series] < p->rank[y->series] ? -1 : 1;
	if (x->instance != y->instance)
		return x->instance < y->instance ? -1 : 1;
	return strcmp(p->rel[x->file], p->rel[y->file]);
}

/* ---- pages ------------------------------------------------------------------------- */

static int write_page(const char *path, char *buf, size_t len, ho_err *err)
{
	return ho_fs_write_atomic(path, buf, len, 0644, err);
}

static size_t series_thumb(const struct pdi *p, const struct series *s)
{
	/* middle rendered image of the series, for its thumbnail; SIZE_MAX = none */
	size_t i, best = SIZE_MAX, mid = s->first + s->count / 2, bestd = SIZE_MAX;

	for (i = s->first; i < s->first + s->count; i++) {
		size_t d = i > mid ? i - mid : mid - i;

		if (p->it[i].state == ITEM_IMAGE && d < bestd) {
			best = i;
			bestd = d;
		}
	}
	return best;
}

static int write_index(struct pdi *p, const char *dir, ho_err *err)
{
	char *buf = NULL, *path = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	page_head(f, "Images on this medium", NULL);
	fputs("<h1>Images on this medium</h1>\n<table>\n<tr><th>Patient</th><th>Patient ID</th>"
	      "<th>Study date</th><th>Study</th><th>Series</th></tr>\n", f);
	for (size_t k = 1; k <= p->nst; k++) {
		struct study *s = NULL;
		size_t nse = 0;

		for (i = 0; i < p->nst; i++)
			if (p->st[i].ord == k)
				s = &p->st[i];
		for (i = 0; i < p->nse; i++)
			nse += p->se[i].study == (size_t)(s - p->st);
		fputs("<tr><td>", f);
		esc_pn(f, s->pname);
		fputs("</td><td>", f);
		esc(f, s->pid);
		fputs("</td><td>", f);
		esc_date(f, s->date);
		fprintf(f, "</td><td><a href=\"ST%06zu.HTM\">", k);
		esc(f, s->desc[0] != '\0' ? s->desc : "(no description)");
		fprintf(f, "</a></td><td>%zu</td></tr>\n", nse);
	}
	fputs("</table>\n", f);
	page_foot(f, p->opts);
	if (fclose(f) != 0) {
		free(buf);
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	}
	if ((path = ho_strfmt("%s/INDEX.HTM", dir)) == NULL)
		rc = ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	else
		rc = write_page(path, buf, len, err);
	free(path);
	free(buf);
	return rc;
}

static int write_study(struct pdi *p, const char *dir, const struct study *s,
		       const size_t *order, ho_err *err)
{
	char *buf = NULL, *path = NULL;
	size_t len = 0, i, sidx = (size_t)(s - p->st);
	FILE *f;
	int rc;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	page_head(f, "Study", s->pname);
	fputs("<p><a href=\"INDEX.HTM\">All studies</a></p>\n<h1>", f);
	esc(f, s->desc[0] != '\0' ? s->desc : "Study");
	fputs("</h1>\n<table>\n<tr><th>Patient</th><td>", f);
	esc_pn(f, s->pname);
	fputs("</td></tr>\n<tr><th>Patient ID</th><td>", f);
	esc(f, s->pid);
	fputs("</td></tr>\n<tr><th>Birth date</th><td>", f);
	esc_date(f, s->birth);
	fputs("</td></tr>\n<tr><th>Study date</th><td>", f);
	esc_date(f, s->date);
	fputs("</td></tr>\n</table>\n<h2>Series</h2>\n<table>\n<tr><th>No.</th><th>Modality"
	      "</th><th>Description</th><th>Images</th><th>Preview</th></tr>\n", f);
	for (i = 0; i < p->nse; i++) {
		const struct series *se = &p->se[order[i]];
		size_t th;

		if (se->study != sidx)
			continue;
		fputs("<tr><td>", f);
		if (se->number >= 0)
			fprintf(f, "%d", se->number);
		fputs("</td><td>", f);
		esc(f, se->modality);
		fprintf(f, "</td><td><a href=\"ST%06zu/SE%06zu.HTM\">", s->ord, se->ord);
		esc(f, se->desc[0] != '\0' ? se->desc : "(no description)");
		fprintf(f, "</a></td><td>%zu</td><td>", se->count);
		if ((th = series_thumb(p, se)) != SIZE_MAX) {
			const struct item *it = &p->it[th];
			unsigned w = it->w, h = it->h;

			/* thumbnails reuse the series' middle image at 128 px */
			if (w >= h && w > 128) {
				h = h * 128 / w;
				w = 128;
			} else if (h > 128) {
				w = w * 128 / h;
				h = 128;
			}
			fprintf(f, "<a href=\"ST%06zu/SE%06zu.HTM\"><img src=\"ST%06zu/SE%06zu/"
				"IM%06zu.JPG\" width=\"%u\" height=\"%u\" alt=\"preview\" /></a>",
				s->ord, se->ord, s->ord, se->ord, it->ord, w ? w : 1, h ? h : 1);
		} else {
			fputs("<span class=\"note\">no picture</span>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	page_foot(f, p->opts);
	if (fclose(f) != 0) {
		free(buf);
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	}
	if ((path = ho_strfmt("%s/ST%06zu.HTM", dir, s->ord)) == NULL)
		rc = ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	else
		rc = write_page(path, buf, len, err);
	free(path);
	free(buf);
	return rc;
}

static int write_series(struct pdi *p, const char *dir, const struct series *se, ho_err *err)
{
	const struct study *s = &p->st[se->study];
	char *buf = NULL, *path = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	page_head(f, "Series", s->pname);
	fputs("<p><a href=\"../INDEX.HTM\">All studies</a> | ", f);
	fprintf(f, "<a href=\"../ST%06zu.HTM\">", s->ord);
	esc(f, s->desc[0] != '\0' ? s->desc : "Study");
	fputs("</a></p>\n<h1>", f);
	esc(f, se->modality);
	if (se->number >= 0)
		fprintf(f, " %d", se->number);
	fputs(": ", f);
	esc(f, se->desc[0] != '\0' ? se->desc : "(no description)");
	fputs("</h1>\n<p>", f);
	esc_pn(f, s->pname);
	fputs(", ", f);
	esc_date(f, s->date);
	fprintf(f, ", %zu object(s)</p>\n<div>\n", se->count);
	for (i = se->first; i < se->first + se->count; i++) {
		const struct item *it = &p->it[i];

		if (it->state == ITEM_IMAGE)
			fprintf(f, "<img src=\"SE%06zu/IM%06zu.JPG\" width=\"%u\" height=\"%u\" "
				"alt=\"image %zu\" />\n", se->ord, it->ord, it->w, it->h, it->ord);
		else if (it->state == ITEM_FAILED)
			fprintf(f, "<p class=\"note\">Object %zu: this picture cannot be shown here; "
				"open it with the viewer (INDEX.HTM at the top of the medium).</p>\n",
				it->ord);
		else if (it->state == ITEM_NO_IMAGE)
			fprintf(f, "<p class=\"note\">Object %zu is not a picture (for example a "
				"report); open it with the viewer.</p>\n", it->ord);
	}
	fputs("</div>\n", f);
	page_foot(f, p->opts);
	if (fclose(f) != 0) {
		free(buf);
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	}
	if ((path = ho_strfmt("%s/ST%06zu/SE%06zu.HTM", dir, s->ord, se->ord)) == NULL)
		rc = ho_err_set(err, HO_ENOMEM, "out of memory writing the web pages");
	else
		rc = write_page(path, buf, len, err);
	free(path);
	free(buf);
	return rc;
}

/* ---- main -------------------------------------------------------------------------- */

int ho_pdi_html_write(const char *root, const char *const *rel_paths, size_t n,
		      const ho_pdi_html_opts *opts, ho_pdi_html_progress_cb progress, void *ud,
		      ho_err *err)
{
	static const ho_pdi_html_opts defaults = HO_PDI_HTML_OPTS_INIT;
	struct pdi p;
	ho_dcm_render_info *info = NULL;
	char *dir = NULL, *path = NULL, *out = NULL;
	size_t *order = NULL, i, done = 0;
	int rc = HO_EINVAL, made_dir = 0;
	struct stat sb;

	memset(&p, 0, sizeof(p));
	p.root = root;
	p.rel = rel_paths;
	p.opts = opts != NULL ? opts : &defaults;
	if (root == NULL || (n > 0 && rel_paths == NULL) || n == 0 || n > PDI_MAX_FILES ||
	    p.opts->version != HO_PDI_HTML_OPTS_VERSION) {
		rc = ho_err_set(err, HO_EINVAL, "the web pages were asked for %zu files; there must "
			"be between 1 and %u (program error)", n, PDI_MAX_FILES);
		goto out;
	}
	if ((dir = ho_strfmt("%s/IHE_PDI", root)) == NULL ||
	    (info = malloc(sizeof(*info))) == NULL ||
	    (p.it = calloc(n, sizeof(*p.it))) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the web pages");
		goto out;
	}
	if (lstat(dir, &sb) == 0 || errno != ENOENT) {
		rc = ho_err_set(err, HO_ESTATE, "%s already exists; the staging area was not "
			"cleaned, start the export again", dir);
		goto out;
	}
	/* Pass 1: header facts, grouped by study and series. */
	for (i = 0; i < n; i++) {
		size_t st, se;

		free(path);
		if ((path = ho_strfmt("%s/%s", root, rel_paths[i])) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the web pages");
			goto out;
		}
		if ((rc = ho_dcm_render_info_read(path, info, err)) != 0)
			goto out;
		if ((rc = find_study(&p, info, &st)) != 0 ||
		    (rc = find_series(&p, st, info, &se)) != 0) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the web pages");
			goto out;
		}
		p.it[i].file = i;
		p.it[i].series = se;
		p.it[i].instance = info->instance_number;
		p.se[se].count++;
	}
	p.nit = n;
	if (p.nst > PDI_MAX_ID || p.nse > PDI_MAX_ID) {
		rc = ho_err_set(err, HO_ETOOBIG, "too many studies or series for the web pages");
		goto out;
	}
	/* Order: studies by date, series by number, images by instance number. */
	{
		/* series refer to studies by index, so studies get a rank, not a new place */
		struct study *copy = malloc(p.nst * sizeof(*copy));

		if (copy == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the web pages");
			goto out;
		}
		memcpy(copy, p.st, p.nst * sizeof(*copy));
		qsort(copy, p.nst, sizeof(*copy), cmp_study);
		for (i = 0; i < p.nst; i++)
			for (size_t j = 0; j < p.nst; j++)
				if (copy[i].uid == p.st[j].uid)
					p.st[j].ord = i + 1;
		free(copy);
	}
	if ((order = calloc(p.nse, sizeof(*order))) == NULL ||
	    (p.rank = calloc(p.nse, sizeof(*p.rank))) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the web pages");
		goto out;
	}
	for (i = 0; i < p.nse; i++)
		order[i] = i;
	qsort_r(order, p.nse, sizeof(*order), cmp_series_idx, &p);
	for (i = 0; i < p.nse; i++) {
		size_t k, ord = 1;

		p.rank[order[i]] = i;
		for (k = 0; k < i; k++)
			ord += p.se[order[k]].study == p.se[order[i]].study;
		p.se[order[i]].ord = ord;
	}
	qsort_r(p.it, n, sizeof(*p.it), cmp_item, &p);
	for (i = 0; i < n; i++) {
		struct series *se = &p.se[p.it[i].series];

		if (i == 0 || p.it[i - 1].series != p.it[i].series) {
			se->first = i;
			p.it[i].ord = 1;
		} else {
			p.it[i].ord = p.it[i - 1].ord + 1;
		}
	}

	/* Pass 2: render. */
	if (mkdir(dir, 0755) != 0) {
		rc = ho_err_set(err, HO_EIO, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	made_dir = 1;
	for (i = 0; i < n; i++) {
		struct item *it = &p.it[i];
		struct series *se = &p.se[it->series];
		size_t st_ord = p.st[se->study].ord, k = it->ord - 1;
		ho_err rerr = HO_ERR_INIT;

		if (progress != NULL && progress(ud, done, n) != 0) {
			rc = ho_err_set(err, HO_ECANCEL, "making the web pages was cancelled");
			goto out;
		}
		done++;
		/* evenly spread subset: keep index k when it starts a new bucket */
		if (p.opts->max_per_series > 0 && se->count > p.opts->max_per_series &&
		    (k * p.opts->max_per_series) / se->count ==
			    (k == 0 ? SIZE_MAX : ((k - 1) * p.opts->max_per_series) / se->count)) {
			it->state = ITEM_SKIPPED;
			continue;
		}
		free(path);
		free(out);
		path = ho_strfmt("%s/%s", root, rel_paths[it->file]);
		out = ho_strfmt("%s/ST%06zu/SE%06zu", dir, st_ord, se->ord);
		if (path == NULL || out == NULL || ho_fs_mkdir_p(out, 0755) != 0) {
			rc = ho_err_set(err, HO_EIO, "cannot create the folder for the web pages");
			goto out;
		}
		free(out);
		if ((out = ho_strfmt("%s/ST%06zu/SE%06zu/IM%06zu.JPG", dir, st_ord, se->ord,
				     it->ord)) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the web pages");
			goto out;
		}
		rc = ho_dcm_render_jpeg(path, out, p.opts->max_dim, p.opts->quality, info, &rerr);
		if (rc == 0) {
			it->state = ITEM_IMAGE;
			it->w = info->jpeg_w;
			it->h = info->jpeg_h;
		} else if (rc == HO_EFORMAT) {
			/* not an image, or one DCMTK cannot decode: listed with a note */
			it->state = info->rows == 0 ? ITEM_NO_IMAGE : ITEM_FAILED;
		} else {
			rc = ho_err_set(err, rc, "%s", rerr.msg);
			goto out;
		}
	}
	for (i = 0; i < p.nse; i++) {
		char *sd = ho_strfmt("%s/ST%06zu", dir, p.st[p.se[i].study].ord);

		if (sd == NULL || ho_fs_mkdir_p(sd, 0755) != 0) {
			free(sd);
			rc = ho_err_set(err, HO_EIO, "cannot create the folder for the web pages");
			goto out;
		}
		free(sd);
		if ((rc = write_series(&p, dir, &p.se[i], err)) != 0)
			goto out;
	}
	for (i = 0; i < p.nst; i++)
		if ((rc = write_study(&p, dir, &p.st[i], order, err)) != 0)
			goto out;
	if ((rc = write_index(&p, dir, err)) != 0)
		goto out;
	if (progress != NULL)
		(void)progress(ud, n, n);
	rc = 0;
out:
	/* A half-written IHE_PDI/ must not reach a medium; if even removing it fails, the
	 * job's staging wipe removes it, and the job has failed anyway. */
	if (rc != 0 && made_dir && ho_fs_rm_rf(dir) != 0)
		ho_err_set(err, HO_EIO, "cannot remove the unfinished %s", dir);
	for (i = 0; i < p.nst; i++) {
		free(p.st[i].uid);
		free(p.st[i].date);
		free(p.st[i].time);
		free(p.st[i].desc);
		free(p.st[i].pname);
		free(p.st[i].pid);
		free(p.st[i].birth);
	}
	for (i = 0; i < p.nse; i++) {
		free(p.se[i].uid);
		free(p.se[i].desc);
		free(p.se[i].modality);
	}
	free(p.st);
	free(p.se);
	free(p.it);
	free(p.rank);
	free(order);
	free(info);
	free(path);
	free(out);
	free(dir);
	return rc;
}
