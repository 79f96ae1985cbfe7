/*
 * core/viewer.c - viewer installation and payload scripts (see viewer.h).
 */
#include "core/viewer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

#ifndef HO_VIEWER_DIST
#define HO_VIEWER_DIST "/usr/share/handoff/viewer"
#endif

#define COPY_BUF (256U * 1024)
#define MAX_DEPTH 8          /* PS3.10 8.2 allows 8 levels; the viewer needs 2 */
#define MAX_CHUNKS 9999999UL /* D + 7 digits */
#define MAX_FILES 1000000UL  /* more DICOM files than any CD/DVD holds */
#define MAX_REL_PATH 256

const char *ho_viewer_dist_default(void)
{
	return HO_VIEWER_DIST;
}

/* ISO 9660 level 1 (ECMA-119 7.5.1 d-characters): 1-8 of A-Z 0-9 _, optional dot and
 * 1-3 more. */
static int name_is_83(const char *s)
{
	size_t base = 0, ext = 0;
	int dot = 0;

	for (; *s != '\0'; s++) {
		char c = *s;
		if (c == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
		if (dot)
			ext++;
		else
			base++;
	}
	return base >= 1 && base <= 8 && ext <= 3 && (!dot || ext >= 1);
}

/* Streams src to a new file dst (O_EXCL: the caller removed what was there, so an
 * existing file means a second writer and is an error, not something to overwrite). */
static int copy_file(const char *src, const char *dst, uint8_t *buf, ho_err *err)
{
	int in = -1, out = -1, rc = HO_EIO;
	struct stat st;

	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ho_err_set(err, HO_EIO, "cannot read the viewer file %s (%s); rebuild the viewer",
		           src, strerror(errno));
		goto out;
	}
	if (fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		ho_err_set(err, HO_EINVAL, "viewer file %s is not a regular file", src);
		goto out;
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0) {
		ho_err_set(err, HO_EIO, "cannot create %s on the medium (%s)", dst,
		           strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(in, buf, COPY_BUF);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ho_err_set(err, HO_EIO, "reading %s failed (%s)", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (ho_fs_write_full(out, buf, (size_t)n) < 0) {
			ho_err_set(err, HO_EIO, "writing %s failed (%s); is the staging area full?",
			           dst, strerror(errno));
			goto out;
		}
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = ho_err_set(err, HO_EIO, "writing %s failed (%s)", dst, strerror(errno));
	return rc;
}

static int copy_tree(const char *src, const char *dst, int depth, uint8_t *buf, ho_err *err)
{
	DIR *d = NULL;
	struct dirent *de;
	int rc = HO_EIO;

	if (depth > MAX_DEPTH)
		return ho_err_set(err, HO_EINVAL, "viewer tree %s is nested too deep", src);
	if (mkdir(dst, 0755) < 0 && errno != EEXIST)
		return ho_err_set(err, HO_EIO, "cannot create %s (%s)", dst, strerror(errno));
	if ((d = opendir(src)) == NULL)
		return ho_err_set(err, HO_EIO,
		                  "cannot open the viewer folder %s (%s); rebuild "
		                  "the viewer",
		                  src, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char *s = NULL, *t = NULL;
		struct stat st;
		int r;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!name_is_83(de->d_name)) {
			rc = ho_err_set(err, HO_EINVAL,
			                "viewer file name %s/%s is not 8.3 upper "
			                "case; fix the viewer build",
			                src, de->d_name);
			goto out;
		}
		s = ho_strfmt("%s/%s", src, de->d_name);
		t = ho_strfmt("%s/%s", dst, de->d_name);
		if (s == NULL || t == NULL) {
			free(s);
			free(t);
			rc = ho_err_set(err, HO_ENOMEM, "out of memory copying the viewer");
			goto out;
		}
		if (lstat(s, &st) < 0)
			r = ho_err_set(err, HO_EIO, "cannot read %s (%s)", s, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			r = copy_tree(s, t, depth + 1, buf, err);
		else if (S_ISREG(st.st_mode))
			r = copy_file(s, t, buf, err);
		else
			r = ho_err_set(err, HO_EINVAL, "viewer file %s is not a regular file", s);
		free(s);
		free(t);
		if (r < 0) {
			rc = r;
			goto out;
		}
	}
	rc = 0;
out:
	closedir(d);
	return rc;
}

int ho_viewer_install(const char *dist_dir, const char *medium_root, ho_err *err)
{
	char *src = NULL, *dst = NULL;
	uint8_t *buf = NULL;
	int rc = HO_ENOMEM;

	if (dist_dir == NULL)
		dist_dir = ho_viewer_dist_default();
	if (medium_root == NULL)
		return ho_err_set(err, HO_EINVAL, "no medium folder given for the viewer");
	if ((buf = malloc(COPY_BUF)) == NULL)
		goto nomem;
	if ((src = ho_strfmt("%s/INDEX.HTM", dist_dir)) == NULL ||
	    (dst = ho_strfmt("%s/INDEX.HTM", medium_root)) == NULL)
		goto nomem;
	/* core/media_text writes a minimal INDEX.HTM that the viewer's replaces. */
	if (unlink(dst) < 0 && errno != ENOENT) {
		rc = ho_err_set(err, HO_EIO, "cannot replace %s (%s)", dst, strerror(errno));
		goto out;
	}
	if ((rc = copy_file(src, dst, buf, err)) < 0)
		goto out;
	free(src);
	free(dst);
	dst = NULL;
	if ((src = ho_strfmt("%s/VIEWER", dist_dir)) == NULL ||
	    (dst = ho_strfmt("%s/VIEWER", medium_root)) == NULL)
		goto nomem;
	/* A fresh tree: nothing of an earlier install (or payload) survives. */
	if (ho_fs_rm_rf(dst) < 0) {
		rc = ho_err_set(err, HO_EIO, "cannot replace %s (%s)", dst, strerror(errno));
		goto out;
	}
	rc = copy_tree(src, dst, 1, buf, err);
	goto out;
nomem:
	rc = ho_err_set(err, HO_ENOMEM, "out of memory installing the viewer");
out:
	free(src);
	free(dst);
	free(buf);
	return rc;
}

static int tree_size(const char *path, int depth, uint64_t *sum, ho_err *err)
{
	struct stat st;
	DIR *d = NULL;
	struct dirent *de;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return ho_err_set(err, HO_EINVAL, "viewer tree %s is nested too deep", path);
	if (lstat(path, &st) < 0)
		return ho_err_set(err, HO_EIO, "cannot read %s (%s); rebuild the viewer", path,
		                  strerror(errno));
	if (S_ISREG(st.st_mode)) {
		*sum += (uint64_t)st.st_size;
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return ho_err_set(err, HO_EINVAL, "viewer file %s is not a regular file", path);
	if ((d = opendir(path)) == NULL)
		return ho_err_set(err, HO_EIO, "cannot open %s (%s)", path, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((sub = ho_strfmt("%s/%s", path, de->d_name)) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory sizing the viewer");
			break;
		}
		rc = tree_size(sub, depth + 1, sum, err);
		free(sub);
	}
	closedir(d);
	return rc;
}

int ho_viewer_dist_size(uint64_t *out, const char *dist_dir, ho_err *err)
{
	char *index = NULL, *tree = NULL;
	uint64_t sum = 0;
	int rc;

	*out = 0;
	if (dist_dir == NULL)
		dist_dir = ho_viewer_dist_default();
	if ((index = ho_strfmt("%s/INDEX.HTM", dist_dir)) == NULL ||
	    (tree = ho_strfmt("%s/VIEWER", dist_dir)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory sizing the viewer");
		goto out;
	}
	if ((rc = tree_size(index, 0, &sum, err)) < 0 || (rc = tree_size(tree, 0, &sum, err)) < 0)
		goto out;
	*out = sum;
out:
	free(index);
	free(tree);
	return rc;
}

/* Relative paths come from the job (PS3.10 file IDs or STUDY.ZIP); they end up inside
 * a JavaScript string, so only characters that need no escaping are accepted. */
static int rel_path_ok(const char *p)
{
	size_t len = strlen(p);
	const char *c;

	if (len == 0 || len > MAX_REL_PATH || p[0] == '/' || p[len - 1] == '/')
		return 0;
	for (c = p; *c != '\0'; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '/'))
			return 0;
	/* no empty, "." or ".." component */
	for (c = p; *c != '\0';) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		if (*c == '/')
			c++;
	}
	return 1;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 4648 section 4 base64 with padding; out must hold 4 * ceil(n / 3) bytes. */
static size_t b64_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = B64[v >> 18 & 63];
		out[o++] = B64[v >> 12 & 63];
		out[o++] = B64[v >> 6 & 63];
		out[o++] = B64[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		out[o++] = B64[v >> 18 & 63];
		out[o++] = B64[v >> 12 & 63];
		out[o++] = i + 1 < n ? B64[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	return o;
}

uint64_t ho_viewer_payload_bytes(uint64_t total, size_t nfiles)
{
	uint64_t chunks = total / HO_VIEWER_CHUNK_RAW + 1 + nfiles;
	uint64_t pushes = chunks + nfiles;

	/* base64 4/3, per push call ~48 bytes of JS, INDEX.JS ~ 300 bytes per file name */
	return (total + 2) / 3 * 4 + pushes * 48 + 512 + (uint64_t)nfiles * 300;
}

/* Writer state for the payload scripts: one D file open at a time. */
struct pw {
	const char *dir; /* VIEWER/DATA */
	int fd;          /* current D file or -1 */
	unsigned long n; /* number of the current / last D file */
	size_t used;     /* raw bytes in the current D file */
	char *enc;       /* base64 buffer */
};

static int pw_close(struct pw *w, ho_err *err)
{
	int rc = 0;

	if (w->fd < 0)
		return 0;
	if (close(w->fd) < 0)
		rc = ho_err_set(err, HO_EIO, "writing the viewer payload failed (%s)",
		                strerror(errno));
	w->fd = -1;
	w->used = 0;
	return rc;
}

static int pw_open_next(struct pw *w, ho_err *err)
{
	char *path = NULL;
	int rc = 0;

	if (w->n >= MAX_CHUNKS)
		return ho_err_set(
		    err, HO_ETOOBIG,
		    "the study is too large for viewer payload "
		    "scripts; pass a smaller limit so the viewer asks for the file instead");
	w->n++;
	if ((path = ho_strfmt("%s/D%07lu.JS", w->dir, w->n)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the viewer payload");
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (w->fd < 0)
		rc = ho_err_set(err, HO_EIO, "cannot create %s (%s)", path, strerror(errno));
	w->used = 0;
	free(path);
	return rc;
}

/* Appends `HANDOFF_DATA.push(fi,off,"...");\n` for len raw bytes. */
static int pw_push(struct pw *w, size_t fi, uint64_t off, const uint8_t *data, size_t len,
                   ho_err *err)
{
	char head[64];
	size_t elen;
	int hl;

	hl = snprintf(head, sizeof(head), "HANDOFF_DATA.push(%zu,%llu,\"", fi,
	              (unsigned long long)off);
	if (hl < 0 || (size_t)hl >= sizeof(head))
		return ho_err_set(err, HO_EINVAL, "payload header overflow");
	elen = b64_encode(w->enc, data, len);
	if (ho_fs_write_full(w->fd, head, (size_t)hl) < 0 ||
	    ho_fs_write_full(w->fd, w->enc, elen) < 0 || ho_fs_write_full(w->fd, "\");\n", 4) < 0)
		return ho_err_set(err, HO_EIO,
		                  "writing the viewer payload failed (%s); is the "
		                  "staging area full?",
		                  strerror(errno));
	w->used += len;
	return 0;
}

static int stream_file(struct pw *w, size_t fi, int fd, uint64_t size, uint8_t *buf,
                       const char *name, ho_err *err)
{
	uint64_t off = 0;
	int rc;

	while (off < size) {
		size_t room, want, got = 0;

		if (w->fd < 0 && (rc = pw_open_next(w, err)) < 0)
			return rc;
		room = HO_VIEWER_CHUNK_RAW - w->used;
		want = size - off < room ? (size_t)(size - off) : room;
		while (got < want) {
			ssize_t r = read(fd, buf + got, want - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				return ho_err_set(err, HO_EIO,
				                  "reading %s for the viewer failed (%s)", name,
				                  r < 0 ? strerror(errno) : "file shrank");
			got += (size_t)r;
		}
		if ((rc = pw_push(w, fi, off, buf, want, err)) < 0)
			return rc;
		off += want;
		if (w->used >= HO_VIEWER_CHUNK_RAW && (rc = pw_close(w, err)) < 0)
			return rc;
	}
	return 0;
}

/* INDEX.JS: the only file whose presence the viewer probes. */
static int write_index(const char *dir, const char *const *rel, const uint64_t *sizes, size_t n,
                       int complete, unsigned long chunks, uint64_t total, ho_err *err)
{
	char *path = NULL, line[MAX_REL_PATH + 64];
	int fd = -1, rc = HO_EIO;
	size_t i;
	int l;

	if ((path = ho_strfmt("%s/INDEX.JS", dir)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the viewer payload");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		ho_err_set(err, HO_EIO, "cannot create %s (%s)", path, strerror(errno));
		goto out;
	}
	l = snprintf(line, sizeof(line),
	             "HANDOFF_PAYLOAD={\"version\":1,\"complete\":%s,\"reason\":\"%s\","
	             "\"total\":%llu,\"chunks\":%lu,\"files\":[",
	             complete ? "true" : "false", complete ? "" : "too-large",
	             (unsigned long long)total, chunks);
	if (l < 0 || (size_t)l >= sizeof(line) || ho_fs_write_full(fd, line, (size_t)l) < 0)
		goto werr;
	for (i = 0; complete && i < n; i++) {
		l = snprintf(line, sizeof(line), "%s\n{\"name\":\"%s\",\"size\":%llu}",
		             i ? "," : "", rel[i], (unsigned long long)sizes[i]);
		if (l < 0 || (size_t)l >= sizeof(line) || ho_fs_write_full(fd, line, (size_t)l) < 0)
			goto werr;
	}
	if (ho_fs_write_full(fd, "]};\n", 4) < 0)
		goto werr;
	rc = close(fd) < 0 ? HO_EIO : 0;
	fd = -1;
	if (rc == 0)
		goto out;
werr:
	rc = ho_err_set(err, HO_EIO, "writing %s failed (%s)", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int ho_viewer_payload_write(const char *medium_root, const char *const *rel_paths, size_t n,
                            uint64_t max_total, ho_err *err)
{
	struct pw w = {.dir = NULL, .fd = -1, .n = 0, .used = 0, .enc = NULL};
	uint64_t *sizes = NULL, total = 0;
	uint8_t *buf = NULL;
	char *dir = NULL, *path = NULL;
	int rc = HO_ENOMEM, fd = -1, complete;
	size_t i;

	if (medium_root == NULL || (n > 0 && rel_paths == NULL))
		return ho_err_set(err, HO_EINVAL, "no medium folder given for the viewer payload");
	if (n > MAX_FILES)
		return ho_err_set(err, HO_ETOOBIG, "too many files (%zu) for the viewer payload",
		                  n);
	if ((sizes = calloc(n ? n : 1, sizeof(*sizes))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		struct stat st;

		if (rel_paths[i] == NULL || !rel_path_ok(rel_paths[i])) {
			rc = ho_err_set(err, HO_EINVAL,
			                "file name \"%s\" cannot go into the viewer "
			                "payload (only A-Z a-z 0-9 _ . / allowed)",
			                rel_paths[i] ? rel_paths[i] : "(null)");
			goto out;
		}
		free(path);
		if ((path = ho_strfmt("%s/%s", medium_root, rel_paths[i])) == NULL)
			goto nomem;
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
			rc = ho_err_set(err, HO_ENOTFOUND,
			                "%s is not a regular file on the medium; "
			                "the viewer payload cannot include it",
			                rel_paths[i]);
			goto out;
		}
		sizes[i] = (uint64_t)st.st_size;
		total += sizes[i];
	}
	complete = total <= max_total;

	if ((dir = ho_strfmt("%s/VIEWER/DATA", medium_root)) == NULL)
		goto nomem;
	if (ho_fs_rm_rf(dir) < 0 || ho_fs_mkdir_p(dir, 0755) < 0) {
		rc = ho_err_set(err, HO_EIO, "cannot prepare %s (%s)", dir, strerror(errno));
		goto out;
	}
	w.dir = dir;
	if (complete) {
		if ((buf = malloc(HO_VIEWER_CHUNK_RAW)) == NULL ||
		    (w.enc = malloc(HO_VIEWER_CHUNK_RAW / 3 * 4 + 4)) == NULL)
			goto nomem;
		for (i = 0; i < n; i++) {
			free(path);
			if ((path = ho_strfmt("%s/%s", medium_root, rel_paths[i])) == NULL)
				goto nomem;
			fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				rc = ho_err_set(err, HO_EIO, "cannot read %s (%s)", path,
				                strerror(errno));
				goto out;
			}
			if ((rc = stream_file(&w, i, fd, sizes[i], buf, rel_paths[i], err)) < 0)
				goto out;
			close(fd);
			fd = -1;
		}
		if ((rc = pw_close(&w, err)) < 0)
			goto out;
	}
	rc = write_index(dir, rel_paths, sizes, n, complete, w.n, total, err);
	goto out;
nomem:
	rc = ho_err_set(err, HO_ENOMEM, "out of memory writing the viewer payload");
out:
	if (fd >= 0)
		close(fd);
	if (w.fd >= 0)
		close(w.fd);
	if (rc < 0 && dir != NULL && ho_fs_rm_rf(dir) < 0) {
		/* The caller wipes the whole staging tree after a failed job anyway. */
	}
	free(w.enc);
	free(buf);
	free(sizes);
	free(dir);
	free(path);
	return rc;
}
