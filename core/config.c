#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

enum kind { K_STR, K_INT, K_BOOL };

struct key {
	const char *name; /* section.key */
	enum kind kind;
	long min, max;
	const char *def;
	const char *help;
};

/* The whole schema. docs/CONFIG.md mirrors this table. */
static const struct key KEYS[] = {
	{"pacs.host", K_STR, 0, 0, "127.0.0.1", "PACS host name or address"},
	{"pacs.port", K_INT, 1, 65535, "4242", "PACS DICOM port"},
	{"pacs.called_ae", K_STR, 0, 0, "ORTHANC", "the PACS's AE title"},
	{"pacs.calling_ae", K_STR, 0, 0, "HANDOFF", "the kiosk's AE title"},
	{"pacs.connect_timeout", K_INT, 1, 600, "10", "seconds to connect and negotiate"},
	{"pacs.dimse_timeout", K_INT, 1, 3600, "60", "seconds to wait for each DICOM message"},
	{"pacs.retrieve", K_STR, 0, 0, "get", "get (C-GET) or move (C-MOVE to our own SCP)"},
	{"pacs.move_port", K_INT, 1, 65535, "11112", "our storage SCP port for C-MOVE"},
	{"pacs.tls_ca", K_STR, 0, 0, "", "PEM CA bundle; non-empty turns DICOM TLS on"},
	{"pacs.tls_cert", K_STR, 0, 0, "", "our TLS certificate (PEM)"},
	{"pacs.tls_key", K_STR, 0, 0, "", "our TLS private key (PEM)"},
	{"kiosk.name", K_STR, 0, 0, "HANDOFF-SIM", "this kiosk's name in the log"},
	{"kiosk.site", K_STR, 0, 0, "SIM-CLINIC", "the clinic (AuditEnterpriseSiteID)"},
	{"kiosk.staging", K_STR, 0, 0, "/run/handoff/staging", "staging dir (tmpfs), wiped"},
	{"kiosk.state", K_STR, 0, 0, "/var/lib/handoff", "log, keys and manifests"},
	{"kiosk.log", K_STR, 0, 0, "", "signed log directory; empty = <kiosk.state>/log"},
	{"kiosk.viewer_dist", K_STR, 0, 0, "", "built viewer; empty = the one built with handoff"},
	{"drive.address", K_STR, 0, 0, "stdio:/var/lib/handoff/sim/disc.iso", "optical drive"},
	{"drive.media", K_STR, 0, 0, "cd", "cd, dvd or usb: picks the DICOMDIR profile"},
	{"export.encrypt", K_BOOL, 0, 1, "no", "seal the file-set in an AES-256 STUDY.ZIP"},
	{"atna.host", K_STR, 0, 0, "", "audit record repository (RFC 5425); empty = off"},
	{"atna.port", K_INT, 1, 65535, "6514", "its syslog-over-TLS port"},
	{"atna.ca", K_STR, 0, 0, "", "PEM CA the repository's certificate must chain to"},
	{"atna.cert", K_STR, 0, 0, "", "our client certificate (PEM), optional"},
	{"atna.key", K_STR, 0, 0, "", "our client key (PEM), optional"},
	{"export.max_instances", K_INT, 1, 1000000, "20000", "refuse larger exports"},
	{"export.escrow_key", K_STR, 0, 0, "", "clinic escrow public key (PEM); empty = none"},
	{"export.pdi_html", K_BOOL, 0, 1, "yes", "IHE_PDI/ pages on unencrypted media"},
	{"export.pdi_html_per_series", K_INT, 0, 100000, "16",
	 "pictures per series on the IHE_PDI pages, evenly spread; 0 = every image"},
	{"export.viewer_payload_max", K_INT, 0, 2000000000, "67108864",
	 "largest study (bytes) the viewer reads without the user picking a file"},
};

#define NKEYS (sizeof(KEYS) / sizeof(KEYS[0]))

struct ho_config {
	char *val[NKEYS];
};

static int key_index(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(KEYS[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int validate(int i, const char *value, ho_err *err, const char *where)
{
	const struct key *k = &KEYS[i];

	for (const unsigned char *p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return ho_err_set(err, HO_ECONFIG, "%s: %s holds a control character",
					  where, k->name);
	if (k->kind == K_INT) {
		char *end = NULL;
		long v;
		errno = 0;
		v = strtol(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || v < k->min || v > k->max)
			return ho_err_set(err, HO_ECONFIG,
					  "%s: %s must be a whole number from %ld to %ld, not '%s'",
					  where, k->name, k->min, k->max, value);
	} else if (k->kind == K_BOOL) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			return ho_err_set(err, HO_ECONFIG, "%s: %s must be yes or no, not '%s'",
					  where, k->name, value);
	} else if (strcmp(k->name, "pacs.called_ae") == 0 ||
		   strcmp(k->name, "pacs.calling_ae") == 0) {
		/* PS3.5 6.2: AE titles are 1-16 characters, no backslash or control chars. */
		size_t n = strlen(value);
		if (n == 0 || n > 16 || strchr(value, '\\') != NULL)
			return ho_err_set(err, HO_ECONFIG,
					  "%s: %s must be 1 to 16 characters without '\\'", where,
					  k->name);
	} else if (strcmp(k->name, "pacs.retrieve") == 0) {
		if (strcmp(value, "get") != 0 && strcmp(value, "move") != 0)
			return ho_err_set(err, HO_ECONFIG, "%s: pacs.retrieve must be get or move",
					  where);
	} else if (strcmp(k->name, "drive.media") == 0) {
		if (strcmp(value, "cd") != 0 && strcmp(value, "dvd") != 0 &&
		    strcmp(value, "usb") != 0)
			return ho_err_set(err, HO_ECONFIG, "%s: drive.media must be cd, dvd or usb",
					  where);
	}
	return 0;
}

int ho_config_new(ho_config **out)
{
	ho_config *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return HO_ENOMEM;
	for (size_t i = 0; i < NKEYS; i++) {
		if ((c->val[i] = strdup(KEYS[i].def)) == NULL) {
			ho_config_free(c);
			return HO_ENOMEM;
		}
	}
	*out = c;
	return 0;
}

void ho_config_free(ho_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < NKEYS; i++)
		free(cfg->val[i]);
	free(cfg);
}

static int set_index(ho_config *cfg, int i, const char *value, ho_err *err, const char *where)
{
	char *v;
	int rc;

	if ((rc = validate(i, value, err, where)) < 0)
		return rc;
	if ((v = strdup(value)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	free(cfg->val[i]);
	cfg->val[i] = v;
	return 0;
}

int ho_config_set(ho_config *cfg, const char *name, const char *value, ho_err *err)
{
	int i = key_index(name);

	if (i < 0)
		return ho_err_set(err, HO_ECONFIG, "unknown setting '%s'", name);
	return set_index(cfg, i, value, err, "setting");
}

static char *trim(char *s, char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	*e = '\0';
	return s;
}

int ho_config_parse(ho_config *cfg, const char *buf, size_t len, const char *origin, ho_err *err)
{
	char *copy = NULL, *line, *next;
	char section[64] = "";
	char where[PATH_MAX + 32];
	int rc = 0;
	unsigned lineno = 0;

	if (len > HO_CONFIG_MAX_BYTES)
		return ho_err_set(err, HO_ETOOBIG, "%s is larger than %d bytes", origin,
				  HO_CONFIG_MAX_BYTES);
	if (memchr(buf, '\0', len) != NULL)
		return ho_err_set(err, HO_ECONFIG, "%s: holds a NUL byte; not a text file", origin);
	if ((copy = malloc(len + 1)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	memcpy(copy, buf, len);
	copy[len] = '\0';
	for (line = copy; line != NULL; line = next) {
		char *nl = strchr(line, '\n'), *s, *eq;
		next = nl ? nl + 1 : NULL;
		s = trim(line, nl ? nl : line + strlen(line));
		lineno++;
		snprintf(where, sizeof(where), "%s line %u", origin, lineno);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			size_t n = strlen(s);
			if (n < 3 || s[n - 1] != ']' || n - 2 >= sizeof(section)) {
				rc = ho_err_set(err, HO_ECONFIG, "%s: malformed section header", where);
				goto out;
			}
			memcpy(section, s + 1, n - 2);
			section[n - 2] = '\0';
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			rc = ho_err_set(err, HO_ECONFIG, "%s: expected 'key = value'", where);
			goto out;
		}
		{
			char *k = trim(s, eq), *v = trim(eq + 1, eq + 1 + strlen(eq + 1));
			char name[160];
			int i;
			if (section[0] == '\0') {
				rc = ho_err_set(err, HO_ECONFIG, "%s: '%s' is outside any [section]",
						where, k);
				goto out;
			}
			if (snprintf(name, sizeof(name), "%s.%s", section, k) >= (int)sizeof(name) ||
			    (i = key_index(name)) < 0) {
				rc = ho_err_set(err, HO_ECONFIG, "%s: unknown setting '%s.%s'", where,
						section, k);
				goto out;
			}
			if ((rc = set_index(cfg, i, v, err, where)) < 0)
				goto out;
		}
	}
out:
	free(copy);
	return rc;
}

int ho_config_load(ho_config **out, const char *path, ho_err *err)
{
	ho_config *c = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = ho_config_new(&c)) < 0)
		return ho_err_set(err, rc, "out of memory");
	if (path != NULL) {
		if ((rc = ho_fs_read_all(path, HO_CONFIG_MAX_BYTES, &buf, &len, err)) < 0)
			goto out;
		if ((rc = ho_config_parse(c, (const char *)buf, len, path, err)) < 0)
			goto out;
	}
	*out = c;
	c = NULL;
out:
	free(buf);
	ho_config_free(c);
	return rc;
}

const char *ho_config_get(const ho_config *cfg, const char *name)
{
	int i = key_index(name);

	return i < 0 ? NULL : cfg->val[i];
}

long ho_config_get_int(const ho_config *cfg, const char *name)
{
	const char *v = ho_config_get(cfg, name);

	if (v == NULL)
		return -1;
	if (strcmp(v, "yes") == 0)
		return 1;
	if (strcmp(v, "no") == 0)
		return 0;
	return strtol(v, NULL, 10);
}

int ho_config_dump(const ho_config *cfg, char **out, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	const char *prev = "";
	size_t plen = 0;

	*out = NULL;
	if (f == NULL)
		return HO_ENOMEM;
	for (size_t i = 0; i < NKEYS; i++) {
		const char *dot = strchr(KEYS[i].name, '.');
		size_t slen = (size_t)(dot - KEYS[i].name);
		if (slen != plen || strncmp(prev, KEYS[i].name, slen) != 0) {
			fprintf(f, "%s[%.*s]\n", i ? "\n" : "", (int)slen, KEYS[i].name);
			prev = KEYS[i].name;
			plen = slen;
		}
		fprintf(f, "# %s\n%s = %s\n", KEYS[i].help, dot + 1, cfg->val[i]);
	}
	if (fclose(f) != 0) {
		free(buf);
		return HO_ENOMEM;
	}
	*out = buf;
	*len = size;
	return 0;
}
