/*
 * burn/usb.c - USB stick writing with mtools (burn/usb.h).
 *
 * mtools is run with posix_spawn, an explicit argument vector and a fixed environment:
 * no shell ever sees a path, and the user's mtools configuration cannot change the result.
 * Its stderr is captured (capped) so that a failure reaches the user in ho_err.
 */
#include "burn/usb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util/fs.h"

#define MT_MFORMAT "/usr/bin/mformat"
#define MT_MCOPY "/usr/bin/mcopy"
#define MT_MDIR "/usr/bin/mdir"
#define USB_MIN_BYTES ((uint64_t)64 * 1024 * 1024)
#define USB_ERR_CAP 2048
#define USB_LIST_CAP ((size_t)64 * 1024 * 1024)
#define USB_MAX_ARGS 4096

/* mtools reads ~/.mtoolsrc and /etc/mtools.conf; MTOOLSRC pointing at /dev/null and
 * SKIP_CHECK (image files have no real geometry) make every run behave the same. */
static char *const mt_env[] = {"MTOOLS_SKIP_CHECK=1", "MTOOLSRC=/dev/null",
			       "MTOOLS_NO_VFAT=0", "LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin", NULL};

typedef int (*sink_fn)(void *ctx, const uint8_t *data, size_t len);

/* Reads the rchar line of /proc/PID/io: bytes the child has read so far, our progress
 * estimate while mcopy copies (it reads each source file exactly once). */
static uint64_t proc_rchar(pid_t pid)
{
	char path[64], buf[512];
	int fd;
	ssize_t n;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "/proc/%ld/io", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "rchar: %llu", &v) != 1)
		return 0;
	return (uint64_t)v;
}

/* Runs argv[0] with argv; stdout goes to sink (or /dev/null), stderr is kept (capped) in
 * errbuf. Returns 0 if the tool exited 0. */
static int run(char *const argv[], sink_fn sink, void *ctx, char *errbuf, size_t errcap,
	       ho_burn_progress_cb progress, void *ud, uint64_t total)
{
	posix_spawn_file_actions_t fa;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, rc = HO_EIO, status = 0, fa_ok = 0;
	size_t elen = 0;
	pid_t pid = -1;
	uint8_t buf[65536];

	errbuf[0] = '\0';
	if (pipe2(errp, O_CLOEXEC) < 0 || (sink != NULL && pipe2(outp, O_CLOEXEC) < 0))
		goto out;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	fa_ok = 1;
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_adddup2(&fa, errp[1], 2) != 0)
		goto out;
	if (sink != NULL) {
		if (posix_spawn_file_actions_adddup2(&fa, outp[1], 1) != 0)
			goto out;
	} else if (posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0) {
		goto out;
	}
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, mt_env) != 0) {
		pid = -1;
		snprintf(errbuf, errcap, "cannot start %s (is mtools installed?)", argv[0]);
		goto out;
	}
	close(errp[1]);
	errp[1] = -1;
	if (sink != NULL) {
		close(outp[1]);
		outp[1] = -1;
	}
	rc = 0;
	while (errp[0] >= 0 || outp[0] >= 0) {
		struct pollfd pf[2];
		int nf = 0, r;

		if (errp[0] >= 0)
			pf[nf++] = (struct pollfd){.fd = errp[0], .events = POLLIN};
		if (outp[0] >= 0)
			pf[nf++] = (struct pollfd){.fd = outp[0], .events = POLLIN};
		r = poll(pf, (nfds_t)nf, 100);
		if (r < 0 && errno != EINTR) {
			rc = HO_EIO;
			break;
		}
		if (progress != NULL && sink == NULL) {
			uint64_t d = proc_rchar(pid);
			progress(ud, d > total ? total : d, total);
		}
		for (int i = 0; i < nf && r > 0; i++) {
			ssize_t n;
			if (pf[i].revents == 0)
				continue;
			n = read(pf[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (pf[i].fd == errp[0]) {
					close(errp[0]);
					errp[0] = -1;
				} else {
					close(outp[0]);
					outp[0] = -1;
				}
				continue;
			}
			if (pf[i].fd == errp[0]) {
				size_t k = (size_t)n;
				if (k > errcap - 1 - elen)
					k = errcap - 1 - elen;
				memcpy(errbuf + elen, buf, k);
				elen += k;
				errbuf[elen] = '\0';
			} else if (rc == 0 && sink(ctx, buf, (size_t)n) < 0) {
				/* Keep draining so the child is not stuck on a full pipe. */
				rc = HO_ECRYPTO;
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			rc = HO_EIO;
			break;
		}
	}
	pid = -1;
	if (rc == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		rc = HO_EIO;
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	if (fa_ok)
		posix_spawn_file_actions_destroy(&fa);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	/* One line is enough for the user. */
	char *nl = strchr(errbuf, '\n');
	if (nl != NULL)
		*nl = '\0';
	return rc;
}

static int target_size(const char *target, uint64_t *out, ho_err *err)
{
	struct stat st;
	int fd = -1, rc = 0;

	*out = 0;
	if (target == NULL || stat(target, &st) < 0)
		return ho_err_set(err, HO_EDEVICE,
				  "the USB stick %s is not there; plug it in and try again",
				  target ? target : "(none)");
	if (S_ISREG(st.st_mode)) {
		*out = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		uint64_t sz = 0;
		if ((fd = open(target, O_RDONLY | O_CLOEXEC)) < 0 ||
		    ioctl(fd, BLKGETSIZE64, &sz) < 0)
			rc = ho_err_set(err, HO_EDEVICE, "cannot open the USB stick %s: %s", target,
					strerror(errno));
		*out = sz;
	} else {
		rc = ho_err_set(err, HO_EDEVICE,
				"%s is not a USB stick or stick image; check the USB setting", target);
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0 && *out < USB_MIN_BYTES)
		rc = ho_err_set(err, HO_ETOOBIG,
				"the USB stick %s is smaller than 64 MB; use a larger stick", target);
	return rc;
}

int ho_usb_capacity(const char *target, uint64_t *out, ho_err *err)
{
	uint64_t size = 0;
	int rc;

	*out = 0;
	if ((rc = target_size(target, &size, err)) < 0)
		return rc;
	/* Partition minus reserved sectors and two FATs of 4 bytes per 512-byte cluster at
	 * most (the smallest FAT32 cluster): a safe lower bound of the room for files. */
	size -= HO_USB_PART_OFFSET;
	*out = size - 32 * 512 - 2 * (size / 512) * 4;
	return 0;
}

/* PS3.12 R.2: one partition. MBR (sector 0): partition 1 type 0x0C (FAT32, LBA) from
 * sector 2048 to the end; CHS fields at their "use LBA" maximum. The rest of the first MiB
 * is zeroed so that no stale GPT header makes an OS prefer an old layout. */
static int write_mbr(const char *target, uint64_t size, ho_err *err)
{
	uint8_t *buf = NULL;
	uint64_t sectors = size / 512 - 2048;
	int fd = -1, rc = HO_EIO;

	if (sectors > UINT32_MAX)
		return ho_err_set(err, HO_ETOOBIG, "the USB stick is larger than 2 TB; MBR "
				  "cannot describe it");
	if ((buf = calloc(1, (size_t)HO_USB_PART_OFFSET)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	/* Disk signature: any non-zero value; random so two sticks differ. */
	if (RAND_bytes(buf + 440, 4) != 1)
		memcpy(buf + 440, "HOFF", 4);
	uint8_t *e = buf + 446;
	e[0] = 0x00;
	e[1] = 0xfe;
	e[2] = 0xff;
	e[3] = 0xff;
	e[4] = 0x0c;
	e[5] = 0xfe;
	e[6] = 0xff;
	e[7] = 0xff;
	for (int i = 0; i < 4; i++) {
		e[8 + i] = (uint8_t)(2048u >> (8 * i));
		e[12 + i] = (uint8_t)(sectors >> (8 * i));
	}
	buf[510] = 0x55;
	buf[511] = 0xaa;
	/* No O_NOFOLLOW: kiosks name sticks by /dev/disk/by-id/ links. */
	if ((fd = open(target, O_WRONLY | O_CLOEXEC)) < 0) {
		rc = ho_err_set(err, HO_EDEVICE, "cannot open the USB stick %s: %s", target,
				strerror(errno));
		goto out;
	}
	if (ho_fs_write_full(fd, buf, (size_t)HO_USB_PART_OFFSET) < 0 || fsync(fd) < 0) {
		rc = ho_err_set(err, HO_EIO, "cannot write to the USB stick %s: %s; try another "
				"stick", target, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = ho_err_set(err, HO_EIO, "cannot write to the USB stick %s", target);
	free(buf);
	return rc;
}

static int label_ok(const char *l)
{
	size_t n = l ? strlen(l) : 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((l[i] >= 'A' && l[i] <= 'Z') || (l[i] >= '0' && l[i] <= '9') || l[i] == '_'))
			return 0;
	return 1;
}

/* Sums the file bytes under dir and refuses what cannot go on a medium: a symlink would
 * let mcopy pull a file from outside staging, a device or FIFO would hang it. */
static int scan_tree(const char *dir, int depth, uint64_t *total, ho_err *err)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > 32)
		return ho_err_set(err, HO_ETOOBIG, "the folder %s is nested too deep", dir);
	if ((d = opendir(dir)) == NULL)
		return ho_err_set(err, errno == ENOENT ? HO_ENOTFOUND : HO_EIO,
				  "cannot read the file-set folder %s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		char *p;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((p = ho_strfmt("%s/%s", dir, de->d_name)) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory");
			break;
		}
		if (lstat(p, &st) < 0)
			rc = ho_err_set(err, HO_EIO, "cannot inspect %s: %s", p, strerror(errno));
		else if (S_ISREG(st.st_mode))
			*total += (uint64_t)st.st_size;
		else if (S_ISDIR(st.st_mode))
			rc = scan_tree(p, depth + 1, total, err);
		else
			rc = ho_err_set(err, HO_EINVAL,
					"%s is a symbolic link or special file; staging must hold only "
					"real files, so nothing was written",
					p);
		free(p);
	}
	closedir(d);
	return rc;
}

int ho_usb_write(const char *target, const char *src_dir, const char *label,
		 ho_burn_progress_cb progress, void *ud, ho_err *err)
{
	char spec[4200], lab[12], nsect[32], errbuf[USB_ERR_CAP];
	char *argv[USB_MAX_ARGS + 16];
	char *own[USB_MAX_ARGS];
	size_t nown = 0;
	uint64_t size = 0, total = 0;
	DIR *d = NULL;
	struct dirent *de;
	int rc, argc = 0, fd;

	if (!label_ok(label))
		return ho_err_set(err, HO_EINVAL,
				  "the stick label \"%s\" is not made of A-Z, 0-9 and _",
				  label ? label : "");
	/* FAT volume labels are 11 bytes (Microsoft FAT spec, BS_VolLab). */
	snprintf(lab, sizeof(lab), "%.11s", label);
	if ((rc = target_size(target, &size, err)) < 0)
		return rc;
	if (src_dir == NULL)
		return ho_err_set(err, HO_EINVAL, "nothing to write: no file-set folder given");
	if ((rc = scan_tree(src_dir, 0, &total, err)) < 0)
		return rc;
	if (snprintf(spec, sizeof(spec), "%s@@%llu", target,
		     (unsigned long long)HO_USB_PART_OFFSET) >= (int)sizeof(spec))
		return ho_err_set(err, HO_EINVAL, "the USB stick path is too long");
	{
		uint64_t cap = 0;
		if ((rc = ho_usb_capacity(target, &cap, err)) < 0)
			return rc;
		if (total > cap)
			return ho_err_set(err, HO_ETOOBIG,
					  "the file-set needs %llu bytes but the USB stick holds "
					  "only about %llu; use a larger stick or split the export",
					  (unsigned long long)total, (unsigned long long)cap);
	}
	if ((rc = write_mbr(target, size, err)) < 0)
		return rc;
	snprintf(nsect, sizeof(nsect), "%llu",
		 (unsigned long long)((size - HO_USB_PART_OFFSET) / 512));
	{
		char *fargv[] = {MT_MFORMAT, "-i", spec, "-F", "-v", lab, "-T", nsect, "-h", "64",
				 "-s", "32", "-H", "2048", "::", NULL};
		if (run(fargv, NULL, NULL, errbuf, sizeof(errbuf), NULL, NULL, 0) < 0) {
			rc = ho_err_set(err, HO_EDEVICE,
					"cannot create the FAT32 file system on %s (%s); try another "
					"stick",
					target, errbuf);
			goto out;
		}
	}
	if (progress != NULL)
		progress(ud, 0, total);
	argv[argc++] = MT_MCOPY;
	argv[argc++] = "-i";
	argv[argc++] = spec;
	argv[argc++] = "-s"; /* recursive */
	argv[argc++] = "-Q"; /* stop at the first error */
	argv[argc++] = "-m"; /* keep modification times */
	if ((d = opendir(src_dir)) == NULL) {
		rc = ho_err_set(err, HO_EIO, "cannot read the file-set folder %s: %s", src_dir,
				strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (nown == USB_MAX_ARGS) {
			rc = ho_err_set(err, HO_ETOOBIG,
					"the file-set has more than %d entries at its top level",
					USB_MAX_ARGS);
			goto out;
		}
		if ((own[nown] = ho_strfmt("%s/%s", src_dir, de->d_name)) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory");
			goto out;
		}
		argv[argc++] = own[nown++];
	}
	argv[argc++] = "::/";
	argv[argc] = NULL;
	if (nown > 0 && run(argv, NULL, NULL, errbuf, sizeof(errbuf), progress, ud, total) < 0) {
		rc = ho_err_set(err, HO_EIO,
				"copying to the USB stick %s failed (%s); the stick may hold part "
				"of the patient's data: wipe or destroy it and try another stick",
				target, errbuf);
		goto out;
	}
	/* mtools does not sync; the stick may be pulled right after we say "done". */
	if ((fd = open(target, O_RDONLY | O_CLOEXEC)) < 0 || fsync(fd) < 0) {
		rc = ho_err_set(err, HO_EIO, "cannot flush the USB stick %s: %s", target,
				strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (progress != NULL)
		progress(ud, total, total);
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	for (size_t i = 0; i < nown; i++)
		free(own[i]);
	return rc;
}

typedef struct buf_sink {
	char *data;
	size_t len, cap, limit;
} buf_sink;

static int buf_put(void *ctx, const uint8_t *data, size_t len)
{
	buf_sink *b = ctx;

	if (len > b->limit - b->len)
		return -1;
	if (b->len + len + 1 > b->cap) {
		size_t nc = b->cap ? b->cap : 65536;
		char *nd;
		while (nc < b->len + len + 1)
			nc *= 2;
		if ((nd = realloc(b->data, nc)) == NULL)
			return -1;
		b->data = nd;
		b->cap = nc;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

typedef struct hash_sink {
	EVP_MD_CTX *ctx;
	uint64_t n, *done, total;
	ho_burn_progress_cb progress;
	void *ud;
} hash_sink;

static int hash_put(void *ctx, const uint8_t *data, size_t len)
{
	hash_sink *h = ctx;

	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return -1;
	h->n += len;
	*h->done += len;
	if (h->progress != NULL)
		h->progress(h->ud, *h->done, h->total);
	return 0;
}

static int ci_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int ci_entry_cmp(const void *a, const void *b)
{
	const ho_manifest_entry *x = *(const ho_manifest_entry *const *)a;
	const ho_manifest_entry *y = *(const ho_manifest_entry *const *)b;

	return strcasecmp(x->path, y->path);
}

int ho_usb_verify(const char *target, const ho_manifest *m, ho_burn_progress_cb progress,
		  void *ud, ho_err *err)
{
	static const char tail[] = "the stick does not match what was staged and must not be "
				   "handed out; wipe it and write it again";
	char spec[4200], errbuf[USB_ERR_CAP];
	buf_sink list = {.limit = USB_LIST_CAP};
	char **files = NULL;
	const ho_manifest_entry **ents = NULL;
	size_t nfiles = 0, cfiles = 0, mn = ho_manifest_count(m), i, j;
	uint64_t size = 0, done = 0, total = ho_manifest_total_bytes(m);
	EVP_MD_CTX *ctx = NULL;
	int rc;

	if (m == NULL)
		return ho_err_set(err, HO_EINVAL, "no manifest to verify against");
	if ((rc = target_size(target, &size, err)) < 0)
		return rc;
	if (snprintf(spec, sizeof(spec), "%s@@%llu", target,
		     (unsigned long long)HO_USB_PART_OFFSET) >= (int)sizeof(spec))
		return ho_err_set(err, HO_EINVAL, "the USB stick path is too long");
	{
		/* -/ recursive, -b bare "::/path" lines (directories end in '/'), -a hidden too */
		char *largv[] = {MT_MDIR, "-i", spec, "-/", "-b", "-a", "::/", NULL};
		if (run(largv, buf_put, &list, errbuf, sizeof(errbuf), NULL, NULL, 0) < 0) {
			rc = ho_err_set(err, HO_EVERIFY,
					"cannot read the USB stick's file system (%s): %s", errbuf,
					tail);
			goto out;
		}
	}
	for (char *l = list.data, *nl; l != NULL && *l != '\0'; l = nl) {
		if ((nl = strchr(l, '\n')) != NULL)
			*nl++ = '\0';
		if (strncmp(l, "::/", 3) != 0 || l[3] == '\0' || l[strlen(l) - 1] == '/')
			continue;
		if (nfiles == cfiles) {
			size_t nc = cfiles ? cfiles * 2 : 256;
			char **nf = realloc(files, nc * sizeof(*nf));
			if (nf == NULL) {
				rc = ho_err_set(err, HO_ENOMEM, "out of memory");
				goto out;
			}
			files = nf;
			cfiles = nc;
		}
		files[nfiles++] = l + 3;
	}
	if (mn > 0 && (ents = malloc(mn * sizeof(*ents))) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < mn; i++)
		ents[i] = ho_manifest_get(m, i);
	if (nfiles > 0)
		qsort(files, nfiles, sizeof(*files), ci_cmp);
	if (mn > 0)
		qsort(ents, mn, sizeof(*ents), ci_entry_cmp);
	for (i = 0, j = 0; i < nfiles || j < mn;) {
		int c = i == nfiles ? 1 : j == mn ? -1 : strcasecmp(files[i], ents[j]->path);
		if (c < 0) {
			rc = ho_err_set(err, HO_EVERIFY, "%s is on the stick but not in the "
					"file-set: %s", files[i], tail);
			goto out;
		}
		if (c > 0) {
			rc = ho_err_set(err, HO_EVERIFY, "%s is missing from the stick: %s",
					ents[j]->path, tail);
			goto out;
		}
		i++;
		j++;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		rc = ho_err_set(err, HO_ECRYPTO, "cannot start SHA-256 (OpenSSL failure)");
		goto out;
	}
	for (j = 0; j < mn; j++) {
		const ho_manifest_entry *e = ho_manifest_get(m, j);
		char *src = ho_strfmt("::/%s", e->path);
		uint8_t sha[32];
		unsigned int dl = 0;
		hash_sink h = {.ctx = ctx, .done = &done, .total = total, .progress = progress,
			       .ud = ud};
		char *cargv[] = {MT_MCOPY, "-i", spec, "-n", src, "-", NULL};

		if (src == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory");
			goto out;
		}
		if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
			free(src);
			rc = ho_err_set(err, HO_ECRYPTO, "cannot start SHA-256 (OpenSSL failure)");
			goto out;
		}
		rc = run(cargv, hash_put, &h, errbuf, sizeof(errbuf), NULL, NULL, 0);
		free(src);
		if (rc < 0 || EVP_DigestFinal_ex(ctx, sha, &dl) != 1) {
			rc = ho_err_set(err, HO_EVERIFY, "cannot read %s back from the stick (%s): "
					"%s", e->path, errbuf, tail);
			goto out;
		}
		if (h.n != e->size) {
			rc = ho_err_set(err, HO_EVERIFY,
					"%s has %llu bytes on the stick but %llu in the file-set: %s",
					e->path, (unsigned long long)h.n,
					(unsigned long long)e->size, tail);
			goto out;
		}
		if (memcmp(sha, e->sha256, 32) != 0) {
			rc = ho_err_set(err, HO_EVERIFY,
					"%s on the stick differs from the file-set (SHA-256 mismatch): "
					"%s",
					e->path, tail);
			goto out;
		}
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	free(ents);
	free(files);
	free(list.data);
	return rc;
}
