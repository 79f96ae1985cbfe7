#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *ho_strfmt(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int ho_fs_write_full(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return HO_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ho_fs_fsync_dir(const char *path)
{
	struct stat st;
	char *dir = NULL;
	int fd = -1, rc = HO_EIO;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		dir = strdup(path);
	} else {
		const char *slash = strrchr(path, '/');
		dir = slash == NULL ? strdup(".")
				    : (slash == path ? strdup("/") : strndup(path, (size_t)(slash - path)));
	}
	if (dir == NULL)
		return HO_ENOMEM;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto out;
	if (fsync(fd) < 0)
		goto out;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

int ho_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, ho_err *err)
{
	int fd = -1, rc = HO_EIO;
	char *tmp = NULL;

	if ((tmp = ho_strfmt("%s.tmp.%ld", path, (long)getpid())) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory writing %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode ? mode : 0600);
	if (fd < 0) {
		ho_err_set(err, HO_EIO, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (ho_fs_write_full(fd, data, len) < 0 || fsync(fd) < 0) {
		ho_err_set(err, HO_EIO, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		ho_err_set(err, HO_EIO, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ho_err_set(err, HO_EIO, "cannot rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (ho_fs_fsync_dir(path) < 0) {
		ho_err_set(err, HO_EIO, "cannot sync the directory of %s", path);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

int ho_fs_mkdir_p(const char *path, mode_t mode)
{
	char *p = strdup(path);
	int rc = 0;

	if (p == NULL)
		return HO_ENOMEM;
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			rc = HO_EIO;
		*s = '/';
		if (rc != 0)
			goto out;
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		rc = HO_EIO;
out:
	free(p);
	return rc;
}

static int rm_at(int at, const char *name)
{
	struct stat st;
	int fd, rc = 0;
	DIR *d;
	struct dirent *de;

	if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : HO_EIO;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(at, name, 0) < 0 && errno != ENOENT ? HO_EIO : 0;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return HO_EIO;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return HO_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (rm_at(dirfd(d), de->d_name) < 0)
			rc = HO_EIO;
	}
	closedir(d);
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = HO_EIO;
	return rc;
}

int ho_fs_rm_rf(const char *path)
{
	return rm_at(AT_FDCWD, path);
}

int ho_fs_read_all(const char *path, size_t cap, uint8_t **out, size_t *len, ho_err *err)
{
	int fd = -1, rc = HO_EIO;
	uint8_t *buf = NULL;
	size_t n = 0, alloc = 0;

	*out = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = ho_err_set(err, errno == ENOENT ? HO_ENOTFOUND : HO_EIO, "cannot open %s: %s",
				path, strerror(errno));
		goto out;
	}
	for (;;) {
		ssize_t r;
		if (n + 1 >= alloc) {
			size_t na = alloc ? alloc * 2 : 4096;
			uint8_t *nb;
			if (na > cap + 1)
				na = cap + 2;
			if (na <= n + 1) {
				rc = ho_err_set(err, HO_ETOOBIG, "%s is larger than %zu bytes", path, cap);
				goto out;
			}
			if ((nb = realloc(buf, na)) == NULL) {
				rc = ho_err_set(err, HO_ENOMEM, "out of memory reading %s", path);
				goto out;
			}
			buf = nb;
			alloc = na;
		}
		r = read(fd, buf + n, alloc - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = ho_err_set(err, HO_EIO, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > cap) {
			rc = ho_err_set(err, HO_ETOOBIG, "%s is larger than %zu bytes", path, cap);
			goto out;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

long ho_fs_count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long count = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		char *p;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((p = ho_strfmt("%s/%s", dir, de->d_name)) == NULL) {
			count = -1;
			break;
		}
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			long sub = ho_fs_count_files(p);
			count = sub < 0 ? -1 : count + sub;
		} else {
			count++;
		}
		free(p);
		if (count < 0)
			break;
	}
	closedir(d);
	return count;
}
