/*
 * util/fs.h - file-system helpers that the durability rules in STYLE.md need.
 *
 * Files that must survive power loss are written to a temporary name, fsync'ed,
 * renamed and the directory fsync'ed (ho_fs_write_atomic). Staging trees are removed
 * with ho_fs_rm_rf, which never follows symlinks and overwrites nothing it did not
 * create. Returned strings are malloc'ed and owned by the caller.
 */
#ifndef HO_UTIL_FS_H
#define HO_UTIL_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes len bytes to path atomically (tmp + fsync + rename + fsync dir), mode 0600
 * unless mode says otherwise. */
int ho_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
		       ho_err *err) __attribute__((warn_unused_result));

/* fsync the directory containing path (or path itself if it is a directory). */
int ho_fs_fsync_dir(const char *dir) __attribute__((warn_unused_result));

/* mkdir -p with the given mode for created components. */
int ho_fs_mkdir_p(const char *path, mode_t mode) __attribute__((warn_unused_result));

/* rm -rf without following symlinks. Missing path is success. */
int ho_fs_rm_rf(const char *path) __attribute__((warn_unused_result));

/* Reads a whole file of at most cap bytes into a malloc'ed buffer (NUL-terminated
 * for convenience; *len excludes the NUL). Larger files fail with HO_ETOOBIG. */
int ho_fs_read_all(const char *path, size_t cap, uint8_t **out, size_t *len, ho_err *err)
	__attribute__((warn_unused_result));

/* write(2) until done or error. */
int ho_fs_write_full(int fd, const void *data, size_t len) __attribute__((warn_unused_result));

/* snprintf into a fresh malloc'ed string; NULL on allocation failure. */
char *ho_strfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Counts regular files under dir (recursively); -1 on error. Used to prove staging is
 * empty after a job. */
long ho_fs_count_files(const char *dir);

#ifdef __cplusplus
}
#endif

#endif
