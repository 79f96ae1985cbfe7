/*
 * burn/manifest.c - the list of files that belong on a medium (see burn/manifest.h and
 * docs/MEDIA.md for the canonical text form).
 *
 * The walk uses openat()/O_NOFOLLOW all the way down so that a symlink planted in staging
 * (by a bug or by anyone who can write there) can never pull a file from elsewhere onto a
 * patient's medium: a symlink, device, FIFO or socket is an error, not something skipped.
 */
#include "burn/manifest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "util/fs.h"

/* Caps on what we accept from a staging tree or a manifest file. PS3.10 8.2 allows at most
 * 8 levels of 8-character components; the medium also holds VIEWER/ and IHE_PDI/, so the
 * caps are generous but finite. */
#define MAN_MAX_DEPTH 32
#define MAN_MAX_PATH 1024
#define MAN_MAX_ENTRIES 1000000
#define MAN_MAX_TEXT ((size_t)256 * 1024 * 1024)

struct ho_manifest {
	ho_manifest_entry *e;
	size_t n, cap;
	uint64_t total;
};

size_t ho_manifest_count(const ho_manifest *m)
{
	return m == NULL ? 0 : m->n;
}

const ho_manifest_entry *ho_manifest_get(const ho_manifest *m, size_t i)
{
	return (m == NULL || i >= m->n) ? NULL : &m->e[i];
}

uint64_t ho_manifest_total_bytes(const ho_manifest *m)
{
	return m == NULL ? 0 : m->total;
}

void ho_manifest_free(ho_manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n; i++)
		free((char *)m->e[i].path);
	free(m->e);
	free(m);
}

static int entry_cmp(const void *a, const void *b)
{
	const ho_manifest_entry *x = a, *y = b;

	/* Bytewise order: strcmp compares as unsigned char (C17 7.24.4). */
	return strcmp(x->path, y->path);
}

const ho_manifest_entry *ho_manifest_find(const ho_manifest *m, const char *path)
{
	ho_manifest_entry key = {.path = path};

	if (m == NULL || m->n == 0 || path == NULL)
		return NULL;
	return bsearch(&key, m->e, m->n, sizeof(m->e[0]), entry_cmp);
}

/* A path component must keep the text form unambiguous: no control bytes (LF ends a line),
 * no '/', not "." or "..", not empty. */
static int name_ok(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '/')
			return 0;
	return 1;
}

static int path_ok(const char *p)
{
	char name[MAN_MAX_PATH + 1];
	size_t len = strlen(p), start = 0;

	if (len == 0 || len > MAN_MAX_PATH)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		/* Empty components catch a leading, trailing or doubled '/'. */
		memcpy(name, p + start, i - start);
		name[i - start] = '\0';
		if (!name_ok(name))
			return 0;
		start = i + 1;
	}
	return 1;
}

static int push(ho_manifest *m, const char *path, uint64_t size, const uint8_t sha[32])
{
	ho_manifest_entry *e;

	if (m->n == MAN_MAX_ENTRIES)
		return HO_ETOOBIG;
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 64;
		ho_manifest_entry *ne = realloc(m->e, nc * sizeof(*ne));
		if (ne == NULL)
			return HO_ENOMEM;
		m->e = ne;
		m->cap = nc;
	}
	e = &m->e[m->n];
	if ((e->path = strdup(path)) == NULL)
		return HO_ENOMEM;
	e->size = size;
	memcpy(e->sha256, sha, 32);
	m->n++;
	m->total += size;
	return 0;
}

/* Hashes an open file descriptor to EOF; *size gets the byte count actually read (which is
 * what goes on the medium, even if the file changed since fstat). */
static int hash_fd(int fd, uint8_t out[32], uint64_t *size, const char *what, ho_err *err)
{
	EVP_MD_CTX *ctx = NULL;
	uint8_t *buf = NULL;
	uint64_t total = 0;
	unsigned int len = 0;
	int rc = HO_ECRYPTO;

	if ((buf = malloc(1 << 16)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory hashing %s", what);
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		ho_err_set(err, HO_ECRYPTO, "cannot start SHA-256 for %s (OpenSSL failure)", what);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf, 1 << 16);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = ho_err_set(err, HO_EIO, "cannot read %s: %s", what, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1) {
			ho_err_set(err, HO_ECRYPTO, "SHA-256 failed on %s (OpenSSL failure)", what);
			goto out;
		}
		total += (uint64_t)r;
	}
	if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32) {
		ho_err_set(err, HO_ECRYPTO, "SHA-256 failed on %s (OpenSSL failure)", what);
		goto out;
	}
	*size = total;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(buf);
	return rc;
}

/* rel is the path of dfd relative to the root ("" for the root itself). Takes ownership
 * of dfd. */
static int walk(ho_manifest *m, int dfd, const char *rel, int depth, const char *root,
		ho_err *err)
{
	DIR *d = NULL;
	struct dirent *de;
	char *child = NULL;
	int rc = 0, fd = -1;

	if (depth > MAN_MAX_DEPTH) {
		close(dfd);
		return ho_err_set(err, HO_ETOOBIG,
				  "the folder %s/%s is nested more than %d levels deep; the medium "
				  "cannot hold it",
				  root, rel, MAN_MAX_DEPTH);
	}
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return ho_err_set(err, HO_EIO, "cannot read the folder %s/%s: %s", root, rel,
				  strerror(errno));
	}
	for (;;) {
		struct stat st;
		uint8_t sha[32];
		uint64_t size = 0;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = ho_err_set(err, HO_EIO, "cannot read the folder %s/%s: %s", root,
						rel, strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		free(child);
		child = rel[0] ? ho_strfmt("%s/%s", rel, de->d_name) : strdup(de->d_name);
		if (child == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory listing %s", root);
			break;
		}
		if (!name_ok(de->d_name) || strlen(child) > MAN_MAX_PATH) {
			rc = ho_err_set(err, HO_EINVAL,
					"the staging file name \"%s\" cannot go on a medium (control "
					"characters or too long); rebuild the file-set",
					child);
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = ho_err_set(err, HO_EIO, "cannot inspect %s/%s: %s", root, child,
					strerror(errno));
			break;
		}
		if (S_ISLNK(st.st_mode)) {
			rc = ho_err_set(err, HO_EINVAL,
					"%s/%s is a symbolic link; staging must hold only real files, "
					"so the export was stopped",
					root, child);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0) {
				rc = ho_err_set(err, HO_EIO, "cannot open the folder %s/%s: %s", root,
						child, strerror(errno));
				break;
			}
			if ((rc = walk(m, sub, child, depth + 1, root, err)) < 0)
				break;
			continue;
		}
		if (!S_ISREG(st.st_mode)) {
			rc = ho_err_set(err, HO_EINVAL,
					"%s/%s is not a regular file (device, pipe or socket); it cannot "
					"go on a medium",
					root, child);
			break;
		}
		fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = ho_err_set(err, HO_EIO, "cannot open %s/%s: %s", root, child,
					strerror(errno));
			break;
		}
		if ((rc = hash_fd(fd, sha, &size, child, err)) < 0)
			break;
		close(fd);
		fd = -1;
		if ((rc = push(m, child, size, sha)) < 0) {
			ho_err_set(err, rc,
				   rc == HO_ETOOBIG ? "the file-set in %s has too many files"
						    : "out of memory listing %s",
				   root);
			break;
		}
	}
	if (fd >= 0)
		close(fd);
	free(child);
	closedir(d);
	return rc;
}

int ho_manifest_from_dir(ho_manifest **out, const char *root, ho_err *err)
{
	ho_manifest *m = NULL;
	int fd = -1, rc;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory building the manifest");
	fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = ho_err_set(err, errno == ENOENT ? HO_ENOTFOUND : HO_EIO,
				"cannot open the staging folder %s: %s", root, strerror(errno));
		goto out;
	}
	rc = walk(m, fd, "", 0, root, err);
	if (rc < 0)
		goto out;
	qsort(m->e, m->n, sizeof(m->e[0]), entry_cmp);
	*out = m;
	m = NULL;
out:
	ho_manifest_free(m);
	return rc;
}

static void hex(char *dst, const uint8_t *src, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = digits[src[i] >> 4];
		dst[2 * i + 1] = digits[src[i] & 15];
	}
}

/* The canonical text, malloc'ed. */
static int emit(const ho_manifest *m, char **out, size_t *len)
{
	size_t cap = 0, off = 0;
	char *buf;

	for (size_t i = 0; i < m->n; i++)
		cap += 64 + 1 + 20 + 1 + strlen(m->e[i].path) + 1;
	if ((buf = malloc(cap + 1)) == NULL)
		return HO_ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		int k;
		hex(buf + off, m->e[i].sha256, 32);
		off += 64;
		k = snprintf(buf + off, cap + 1 - off, " %llu %s\n",
			     (unsigned long long)m->e[i].size, m->e[i].path);
		if (k < 0 || (size_t)k > cap - off) {
			free(buf);
			return HO_EINVAL;
		}
		off += (size_t)k;
	}
	buf[off] = '\0';
	*out = buf;
	*len = off;
	return 0;
}

int ho_manifest_text(const ho_manifest *m, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	if (m == NULL)
		return HO_EINVAL;
	return emit(m, out, len);
}

int ho_manifest_write(const ho_manifest *m, const char *path, ho_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (m == NULL)
		return ho_err_set(err, HO_EINVAL, "no manifest to write");
	if ((rc = emit(m, &text, &len)) < 0)
		return ho_err_set(err, rc, "out of memory writing the manifest %s", path);
	rc = ho_fs_write_atomic(path, text, len, 0644, err);
	free(text);
	return rc;
}

int ho_manifest_digest(const ho_manifest *m, uint8_t out[static 32])
{
	char *text = NULL;
	size_t len = 0;
	unsigned int dlen = 0;
	int rc;

	if (m == NULL)
		return HO_EINVAL;
	if ((rc = emit(m, &text, &len)) < 0)
		return rc;
	rc = EVP_Digest(text, len, out, &dlen, EVP_sha256(), NULL) == 1 && dlen == 32 ? 0
										    : HO_ECRYPTO;
	free(text);
	return rc;
}

static int unhex(uint8_t *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		char c = src[i];
		int v;
		/* Lower-case only: one canonical spelling per digest. */
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			dst[i / 2] = (uint8_t)(v << 4);
		else
			dst[i / 2] |= (uint8_t)v;
	}
	return 0;
}

int ho_manifest_parse(ho_manifest **out, const char *text, size_t len, ho_err *err)
{
	ho_manifest *m = NULL;
	size_t off = 0, line = 0;
	char path[MAN_MAX_PATH + 1];
	int rc = HO_EFORMAT;

	*out = NULL;
	if (len > MAN_MAX_TEXT)
		return ho_err_set(err, HO_ETOOBIG, "the manifest is larger than %zu bytes",
				  MAN_MAX_TEXT);
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory reading the manifest");
	while (off < len) {
		const char *l = text + off, *nl, *sp;
		size_t llen, plen;
		uint64_t size = 0;
		uint8_t sha[32];
		const char *p;

		line++;
		if ((nl = memchr(l, '\n', len - off)) == NULL) {
			ho_err_set(err, HO_EFORMAT, "manifest line %zu does not end with a newline",
				   line);
			goto out;
		}
		llen = (size_t)(nl - l);
		off += llen + 1;
		if (llen < 64 + 1 + 1 + 1 + 1 || l[64] != ' ' || unhex(sha, l, 32) < 0) {
			ho_err_set(err, HO_EFORMAT, "manifest line %zu: bad SHA-256 field", line);
			goto out;
		}
		p = l + 65;
		sp = memchr(p, ' ', (size_t)(nl - p));
		/* Canonical decimal: digits only, no leading zero unless "0", fits in 64 bits. */
		if (sp == NULL || sp == p || sp - p > 20 || (p[0] == '0' && sp - p > 1)) {
			ho_err_set(err, HO_EFORMAT, "manifest line %zu: bad size field", line);
			goto out;
		}
		for (const char *q = p; q < sp; q++) {
			if (*q < '0' || *q > '9' ||
			    size > (UINT64_MAX - (uint64_t)(*q - '0')) / 10) {
				ho_err_set(err, HO_EFORMAT, "manifest line %zu: bad size field", line);
				goto out;
			}
			size = size * 10 + (uint64_t)(*q - '0');
		}
		plen = (size_t)(nl - sp - 1);
		if (plen == 0 || plen > MAN_MAX_PATH || memchr(sp + 1, '\0', plen) != NULL) {
			ho_err_set(err, HO_EFORMAT, "manifest line %zu: bad path", line);
			goto out;
		}
		memcpy(path, sp + 1, plen);
		path[plen] = '\0';
		if (!path_ok(path)) {
			ho_err_set(err, HO_EFORMAT, "manifest line %zu: bad path", line);
			goto out;
		}
		/* Sorted and unique, or it is not the canonical form whose digest we sign. */
		if (m->n > 0 && strcmp(m->e[m->n - 1].path, path) >= 0) {
			ho_err_set(err, HO_EFORMAT,
				   "manifest line %zu: paths are not sorted or not unique", line);
			goto out;
		}
		if ((rc = push(m, path, size, sha)) < 0) {
			ho_err_set(err, rc, rc == HO_ETOOBIG ? "the manifest has too many entries"
							     : "out of memory reading the manifest");
			goto out;
		}
		rc = HO_EFORMAT;
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	ho_manifest_free(m);
	return rc;
}

int ho_manifest_read(ho_manifest **out, const char *path, ho_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = ho_fs_read_all(path, MAN_MAX_TEXT, &buf, &len, err)) < 0)
		return rc;
	rc = ho_manifest_parse(out, (const char *)buf, len, err);
	free(buf);
	return rc;
}
