/*
 * burn/burn.c - mastering with libisofs straight into libburn, and reading the medium back
 * through libburn (burn/burn.h, docs/MEDIA.md).
 *
 * Threads: libburn and libisofs are initialised once (pthread_once). Both keep global
 * state that is not thread-safe (one message queue, the drive list, libisofs' shared local
 * file system object with a plain reference count), so every public function here that
 * uses them holds g_lock for the whole operation: two jobs never interleave on the one
 * drive a kiosk has, and the messages we read after a failure are the ones our call
 * caused. Only the threads libburn and libisofs start themselves run in parallel. Messages are queued, never printed: the user sees them only inside ho_err.
 */
#include "burn/burn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libburn/libburn.h>
#include <libisofs/libisofs.h>
#include <openssl/evp.h>

#include "burn/sim.h"
#include "util/fs.h"

#define SECTOR 2048
/* Read-back in runs of 32 sectors (64 KiB), what MMC drives transfer per READ(10) anyway. */
#define READ_RUN 32
#define VERIFY_MAX_DEPTH 32
#define VERIFY_MAX_FILES 1000000
#define POLL_NS 100000000L

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_rc;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void lib_init(void)
{
	if (iso_init() < 0 || !burn_initialize()) {
		g_init_rc = HO_EDEVICE;
		return;
	}
	/* One queue for both libraries; nothing goes to stderr (the kiosk has no console). */
	burn_set_messenger(iso_get_messenger());
	burn_msgs_set_severities("SORRY", "NEVER", "handoff: ");
	iso_set_msgs_severities("SORRY", "NEVER", "handoff: ");
}

static int lib_ready(ho_err *err)
{
	pthread_once(&g_once, lib_init);
	if (g_init_rc != 0)
		return ho_err_set(err, g_init_rc,
				  "the disc writing library could not start; restart the kiosk and "
				  "call support if it happens again");
	return 0;
}

static void msgs_drain(void)
{
	char text[BURN_MSGS_MESSAGE_LEN], sev[80];
	int code, os_errno;

	/* "NEVER" discards the whole queue (libburn.h, burn_msgs_obtain). */
	burn_msgs_obtain("NEVER", &code, text, &os_errno, sev);
}

/* Sets err to the formatted message, followed by the first queued library message at
 * SORRY or above (the cause; later ones are usually consequences). */
static int fail(ho_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(ho_err *err, int code, const char *fmt, ...)
{
	char msg[HO_ERR_MSG_MAX], text[BURN_MSGS_MESSAGE_LEN], sev[80];
	int lcode = 0, os_errno = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text[0] = '\0';
	if (burn_msgs_obtain("SORRY", &lcode, text, &os_errno, sev) == 1 && text[0] != '\0')
		return ho_err_set(err, code, "%s (drive: %.200s)", msg, text);
	return ho_err_set(err, code, "%s", msg);
}

/* ---- mastering ------------------------------------------------------------------------ */

/* iso_tree_set_report_callback has no user pointer; the walk runs on the calling thread. */
static _Thread_local char *t_bad_path;

static int report_cb(IsoImage *img, IsoFileSource *src)
{
	struct stat st;

	(void)img;
	if (iso_file_source_lstat(src, &st) >= 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
		return 1;
	if (t_bad_path == NULL)
		t_bad_path = iso_file_source_get_path(src);
	return (int)ISO_CANCELED;
}

/* PS3.12 Annex F / ECMA-119 7.4.1: the volume ID is the file-set ID in d-characters. */
static int volid_ok(const char *v)
{
	size_t n = v ? strlen(v) : 0;

	if (n == 0 || n > 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return 0;
	return 1;
}

static int master(IsoImage **img_out, IsoWriteOpts **wo_out, const char *src_dir,
		  const char *volid, int size_only, ho_err *err)
{
	IsoImage *img = NULL;
	IsoWriteOpts *wo = NULL;
	struct stat st;
	char *abs = NULL;
	int r, rc = HO_EIO;

	*img_out = NULL;
	*wo_out = NULL;
	if (!volid_ok(volid))
		return ho_err_set(err, HO_EINVAL,
				  "the volume label \"%s\" is not 1-16 characters of A-Z, 0-9 and _",
				  volid ? volid : "");
	if (src_dir == NULL || lstat(src_dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return ho_err_set(err, HO_ENOTFOUND, "the file-set folder %s does not exist",
				  src_dir ? src_dir : "(none)");
	/* libisofs resolves the tree by absolute path. */
	if ((abs = realpath(src_dir, NULL)) == NULL) {
		rc = ho_err_set(err, HO_EIO, "cannot resolve the file-set folder %s: %s", src_dir,
				strerror(errno));
		goto out;
	}
	if (iso_image_new(volid, &img) < 0) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the disc image");
		goto out;
	}
	iso_image_set_application_id(img, "HANDOFF");
	iso_tree_set_follow_symlinks(img, 0);
	iso_tree_set_ignore_hidden(img, 0);
	iso_tree_set_ignore_special(img, 0);
	/* Staging ACLs and xattrs are kiosk internals; they do not belong on the medium. */
	iso_image_set_ignore_aclea(img, 3);
	iso_tree_set_report_callback(img, report_cb);
	t_bad_path = NULL;
	r = iso_tree_add_dir_rec(img, iso_image_get_root(img), abs);
	if (r < 0) {
		if (t_bad_path != NULL)
			rc = ho_err_set(err, HO_EINVAL,
					"%s is a symbolic link or special file; staging must hold only "
					"real files, so nothing was written",
					t_bad_path);
		else
			rc = fail(err, HO_EIO, "cannot read the file-set in %s: %s", src_dir,
				  iso_error_to_msg(r));
		free(t_bad_path);
		t_bad_path = NULL;
		goto out;
	}
	if (iso_write_opts_new(&wo, 0) < 0) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the disc image");
		goto out;
	}
	/* PS3.12 F.3 (STD-GEN-CD): ISO 9660 level 1 names; Joliet and Rock Ridge for readers
	 * that want the names as staged. Level 1 keeps the ";1" version and the "." separator
	 * of ECMA-119 7.5.1, so DICOMDIR is recorded as "DICOMDIR.;1". */
	iso_write_opts_set_iso_level(wo, 1);
	iso_write_opts_set_rockridge(wo, 1);
	iso_write_opts_set_joliet(wo, 1);
	/* The forced dot is an ECMA-119 rule only; Joliet readers (Windows) would show
	 * "DICOMDIR." for it. */
	iso_write_opts_set_no_force_dots(wo, 2);
	/* AAIP carries the per-file MD5 references; session + file MD5 tags let
	 * `xorriso -check_md5` check the medium without us. */
	iso_write_opts_set_aaip(wo, 1);
	iso_write_opts_set_record_md5(wo, 1, 1);
	/* Files on the medium are world-readable and owned by root whatever staging used
	 * (0600 files would be unreadable for the patient's own account on Linux/macOS). */
	iso_write_opts_set_replace_mode(wo, 1, 1, 1, 1);
	iso_write_opts_set_always_gmt(wo, 1);
	if (size_only)
		iso_write_opts_set_will_cancel(wo, 1);
	*img_out = img;
	*wo_out = wo;
	img = NULL;
	wo = NULL;
	rc = 0;
out:
	free(abs);
	iso_write_opts_free(wo);
	if (img != NULL)
		iso_image_unref(img);
	return rc;
}

int ho_burn_iso_size(const char *src_dir, const char *volume_id, uint64_t *out, ho_err *err)
{
	IsoImage *img = NULL;
	IsoWriteOpts *wo = NULL;
	struct burn_source *src = NULL;
	off_t size;
	int rc;

	*out = 0;
	if ((rc = lib_ready(err)) < 0)
		return rc;
	pthread_mutex_lock(&g_lock);
	if ((rc = master(&img, &wo, src_dir, volume_id, 1, err)) < 0)
		goto out;
	if (iso_image_create_burn_source(img, wo, &src) < 0) {
		rc = fail(err, HO_EIO, "cannot lay out the disc image of %s", src_dir);
		goto out;
	}
	size = src->get_size(src);
	if (size <= 0) {
		rc = ho_err_set(err, HO_EIO, "cannot compute the disc image size of %s", src_dir);
		goto out;
	}
	*out = (uint64_t)size;
	rc = 0;
out:
	if (src != NULL) {
		/* will_cancel: no writer thread runs; cancel() is the documented way to end. */
		if (src->version > 0 && src->cancel != NULL)
			src->cancel(src);
		burn_source_free(src);
	}
	iso_write_opts_free(wo);
	if (img != NULL)
		iso_image_unref(img);
	msgs_drain();
	pthread_mutex_unlock(&g_lock);
	return rc;
}

/* ---- the pacing source: counts bytes, throttles and injects the write fault --------- */

typedef struct pace {
	struct burn_source *in;
	uint64_t rate, start_ns, fail_at;
	_Atomic uint64_t done;
	_Atomic int failed;
} pace;

static int pace_read(struct burn_source *s, unsigned char *buf, int size)
{
	pace *p = s->data;
	uint64_t done = atomic_load(&p->done);
	int n;

	if (p->start_ns == 0)
		p->start_ns = ho_sim_now_ns();
	if (done + (uint64_t)size > p->fail_at) {
		atomic_store(&p->failed, 1);
		return -1;
	}
	n = p->in->read != NULL ? p->in->read(p->in, buf, size) : p->in->read_xt(p->in, buf, size);
	if (n > 0) {
		done += (uint64_t)n;
		atomic_store(&p->done, done);
		ho_sim_pace(p->rate, p->start_ns, done);
	}
	return n;
}

static off_t pace_get_size(struct burn_source *s)
{
	pace *p = s->data;

	return p->in->get_size(p->in);
}

static int pace_set_size(struct burn_source *s, off_t size)
{
	pace *p = s->data;

	return p->in->set_size != NULL ? p->in->set_size(p->in, size) : 0;
}

static int pace_cancel(struct burn_source *s)
{
	pace *p = s->data;

	if (p->in->read == NULL && p->in->cancel != NULL)
		return p->in->cancel(p->in);
	return 1;
}

static void pace_free(struct burn_source *s)
{
	pace *p = s->data;

	burn_source_free(p->in);
	free(p);
}

/* Takes over the caller's reference to in (also on failure). */
static struct burn_source *pace_new(struct burn_source *in, uint64_t rate, uint64_t fail_at)
{
	struct burn_source *s = calloc(1, sizeof(*s));
	pace *p = calloc(1, sizeof(*p));

	if (s == NULL || p == NULL) {
		free(s);
		free(p);
		burn_source_free(in);
		return NULL;
	}
	p->in = in;
	p->rate = rate;
	p->fail_at = fail_at;
	s->refcount = 1;
	s->version = 1;
	s->read = NULL;
	s->read_xt = pace_read;
	s->read_sub = NULL;
	s->get_size = pace_get_size;
	s->set_size = pace_set_size;
	s->free_data = pace_free;
	s->cancel = pace_cancel;
	s->data = p;
	return s;
}

/* ---- drive handling -------------------------------------------------------------------- */

static void human(char *buf, size_t n, uint64_t bytes)
{
	if (bytes >= 1000000000u)
		snprintf(buf, n, "%.2f GB", (double)bytes / 1e9);
	else if (bytes >= 1000000u)
		snprintf(buf, n, "%.1f MB", (double)bytes / 1e6);
	else
		snprintf(buf, n, "%llu bytes", (unsigned long long)bytes);
}

/* stdio:/sim: the medium is a file on the kiosk. Only a regular file (or a block device
 * standing in for a disc) makes sense: libburn would happily "burn" into /dev/null or a
 * FIFO and we could then never read it back. */
static int file_medium_check(const ho_drive_addr *a, int *existed, ho_err *err)
{
	struct stat st;
	char *dir = NULL;
	int rc = 0;

	*existed = 0;
	if (lstat(a->path, &st) == 0) {
		if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
			*existed = S_ISREG(st.st_mode);
			return 0;
		}
		return ho_err_set(err, HO_EDEVICE,
				  "%s is not an image file or disc device; check the drive setting",
				  a->path);
	}
	if (errno != ENOENT)
		return ho_err_set(err, HO_EDEVICE, "cannot use %s as a drive: %s", a->path,
				  strerror(errno));
	const char *slash = strrchr(a->path, '/');
	dir = slash == a->path ? strdup("/") : strndup(a->path, (size_t)(slash - a->path));
	if (dir == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		rc = ho_err_set(err, HO_EDEVICE,
				"cannot create the disc image %s: the folder %s does not exist; "
				"check the drive setting",
				a->path, dir);
	free(dir);
	return rc;
}

static int grab(struct burn_drive_info **dinfo, const ho_drive_addr *a, ho_err *err)
{
	char adr[HO_DRIVE_ADDR_MAX];

	memcpy(adr, a->adr, sizeof(adr));
	if (burn_drive_scan_and_grab(dinfo, adr, 1) != 1) {
		*dinfo = NULL;
		return fail(err, HO_EDEVICE,
			    "cannot open the drive %s; check that it is connected and not in use",
			    a->adr);
	}
	return 0;
}

static void release(struct burn_drive_info *dinfo)
{
	if (dinfo == NULL)
		return;
	burn_drive_release(dinfo[0].drive, 0);
	burn_drive_info_free(dinfo);
}

static void sleep_ns(long ns)
{
	struct timespec ts = {0, ns};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int ho_burn_capacity(const char *drive, uint64_t *out, ho_err *err)
{
	ho_drive_addr a;
	struct burn_drive_info *dinfo = NULL;
	struct burn_write_opts *bo = NULL;
	enum burn_disc_status ds;
	int rc, locked = 0, existed = 0;

	*out = 0;
	if ((rc = ho_drive_addr_parse(&a, drive, err)) < 0 ||
	    (rc = ho_drive_addr_check_loaded(&a, err)) < 0)
		return rc;
	/* An unusable address must show up here, before the job pulls any PHI. */
	if (a.is_file && (rc = file_medium_check(&a, &existed, err)) < 0)
		return rc;
	if (a.is_sim) {
		*out = a.capacity;
		return 0;
	}
	if ((rc = lib_ready(err)) < 0)
		return rc;
	pthread_mutex_lock(&g_lock);
	locked = 1;
	msgs_drain();
	if ((rc = grab(&dinfo, &a, err)) < 0)
		goto out;
	ds = burn_disc_get_status(dinfo[0].drive);
	if (ds == BURN_DISC_EMPTY) {
		rc = ho_err_set(err, HO_EDEVICE,
				"there is no disc in the drive; insert a blank CD or DVD and try "
				"again");
		goto out;
	}
	if (!a.is_file && ds != BURN_DISC_BLANK) {
		rc = ho_err_set(err, HO_EDEVICE,
				"the disc in the drive is not blank; insert a new blank CD or DVD");
		goto out;
	}
	if ((bo = burn_write_opts_new(dinfo[0].drive)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	*out = (uint64_t)burn_disc_available_space(dinfo[0].drive, bo);
	rc = 0;
out:
	if (bo != NULL)
		burn_write_opts_free(bo);
	release(dinfo);
	if (locked)
		pthread_mutex_unlock(&g_lock);
	return rc;
}

int ho_burn_write(const ho_burn_opts *o, ho_err *err)
{
	ho_drive_addr a;
	IsoImage *img = NULL;
	IsoWriteOpts *wo = NULL;
	struct burn_source *isrc = NULL, *src = NULL;
	struct burn_drive_info *dinfo = NULL;
	struct burn_drive *drive = NULL;
	struct burn_disc *disc = NULL;
	struct burn_session *sess = NULL;
	struct burn_track *track = NULL;
	struct burn_write_opts *bo = NULL;
	struct burn_progress prog;
	char reasons[BURN_REASONS_LEN], need[32], have[32];
	pace *pc = NULL;
	uint64_t size = 0, fail_at = UINT64_MAX, last = UINT64_MAX;
	int rc, locked = 0, existed = 0, touched = 0, cancelled = 0;
	off_t avail;

	if (o == NULL || o->src_dir == NULL)
		return ho_err_set(err, HO_EINVAL, "nothing to write: no file-set folder given");
	if ((rc = ho_drive_addr_parse(&a, o->drive, err)) < 0 ||
	    (rc = ho_drive_addr_check_loaded(&a, err)) < 0)
		return rc;
	if (a.is_file && (rc = file_medium_check(&a, &existed, err)) < 0)
		return rc;
	if ((rc = lib_ready(err)) < 0)
		return rc;
	pthread_mutex_lock(&g_lock);
	locked = 1;
	msgs_drain();
	if ((rc = master(&img, &wo, o->src_dir, o->volume_id, 0, err)) < 0)
		goto out;
	if (iso_image_create_burn_source(img, wo, &isrc) < 0) {
		rc = fail(err, HO_EIO, "cannot start mastering the disc image of %s", o->src_dir);
		goto out;
	}
	size = (uint64_t)isrc->get_size(isrc);
	if (a.is_sim && size > a.capacity) {
		human(need, sizeof(need), size);
		human(have, sizeof(have), a.capacity);
		rc = ho_err_set(err, HO_ETOOBIG,
				"the file-set needs %s but the disc in the drive holds only %s; use "
				"a larger disc (DVD) or split the export",
				need, have);
		goto out;
	}
	if (a.fault == HO_SIM_FAULT_WRITE_ERROR)
		fail_at = a.fault_at ? a.fault_at : size / 2;
	if ((src = pace_new(isrc, a.is_sim ? a.rate : 0, fail_at)) == NULL) {
		isrc = NULL;
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	isrc = NULL;
	pc = src->data;
	if (a.is_file && existed) {
		/* The simulated tray gets a fresh blank: a file medium is rewritten whole. */
		if (truncate(a.path, 0) < 0) {
			rc = ho_err_set(err, HO_EDEVICE, "cannot use %s as a drive: %s", a.path,
					strerror(errno));
			goto out;
		}
	}
	touched = 1;
	if ((rc = grab(&dinfo, &a, err)) < 0)
		goto out;
	drive = dinfo[0].drive;
	switch (burn_disc_get_status(drive)) {
	case BURN_DISC_BLANK:
		break;
	case BURN_DISC_EMPTY:
		rc = ho_err_set(err, HO_EDEVICE,
				"there is no disc in the drive; insert a blank CD or DVD and try "
				"again");
		goto out;
	case BURN_DISC_APPENDABLE:
	case BURN_DISC_FULL:
		rc = ho_err_set(err, HO_EDEVICE,
				"the disc in the drive is not blank; insert a new blank CD or DVD");
		goto out;
	default:
		rc = fail(err, HO_EDEVICE,
			  "the disc in the drive cannot be written; insert a new blank CD or DVD");
		goto out;
	}
	if ((disc = burn_disc_create()) == NULL || (sess = burn_session_create()) == NULL ||
	    (track = burn_track_create()) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	burn_track_define_data(track, 0, 0, 1, BURN_MODE1);
	if (burn_track_set_source(track, src) != BURN_SOURCE_OK ||
	    !burn_session_add_track(sess, track, BURN_POS_END) ||
	    !burn_disc_add_session(disc, sess, BURN_POS_END)) {
		rc = fail(err, HO_EIO, "cannot prepare the disc layout");
		goto out;
	}
	if ((bo = burn_write_opts_new(drive)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	burn_write_opts_set_perform_opc(bo, 0);
	/* One closed session: a patient's reader must not be offered to append (PS3.12 F). */
	burn_write_opts_set_multi(bo, 0);
	burn_write_opts_set_underrun_proof(bo, 1);
	burn_write_opts_set_simulate(bo, 0);
	if (burn_write_opts_auto_write_type(bo, disc, reasons, 0) == BURN_WRITE_NONE) {
		rc = ho_err_set(err, HO_EDEVICE,
				"this disc cannot be written in one session (%.200s); insert a "
				"blank CD-R or DVD-R",
				reasons);
		goto out;
	}
	avail = burn_disc_available_space(drive, bo);
	if (!a.is_sim && avail >= 0 && (uint64_t)avail < size) {
		human(need, sizeof(need), size);
		human(have, sizeof(have), (uint64_t)avail);
		rc = ho_err_set(err, HO_ETOOBIG,
				"the file-set needs %s but the disc in the drive holds only %s; use "
				"a larger disc (DVD) or split the export",
				need, have);
		goto out;
	}
	burn_drive_set_speed(drive, 0, 0);
	msgs_drain();
	burn_disc_write(bo, disc);
	while (burn_drive_get_status(drive, NULL) == BURN_DRIVE_SPAWNING)
		sleep_ns(POLL_NS / 10);
	while (burn_drive_get_status(drive, &prog) != BURN_DRIVE_IDLE) {
		uint64_t done = atomic_load(&pc->done);
		if (atomic_load(&pc->failed) && !cancelled) {
			burn_drive_cancel(drive);
			cancelled = 1;
		}
		if (o->progress != NULL && done != last) {
			o->progress(o->ud, done > size ? size : done, size);
			last = done;
		}
		sleep_ns(POLL_NS);
	}
	if (atomic_load(&pc->failed)) {
		human(need, sizeof(need), atomic_load(&pc->done));
		rc = ho_err_set(err, HO_EIO,
				"the drive failed while writing (after %s); the disc is unusable "
				"and may hold patient data: destroy it and try again with a new "
				"blank",
				need);
		goto out;
	}
	if (!burn_drive_wrote_well(drive)) {
		rc = fail(err, HO_EIO,
			  "the drive reported an error while writing; the disc is unusable and may "
			  "hold patient data: destroy it and try again with a new blank");
		goto out;
	}
	if (o->progress != NULL)
		o->progress(o->ud, size, size);
	rc = 0;
out:
	if (bo != NULL)
		burn_write_opts_free(bo);
	if (track != NULL)
		burn_track_free(track);
	if (sess != NULL)
		burn_session_free(sess);
	if (disc != NULL)
		burn_disc_free(disc);
	release(dinfo);
	if (src != NULL)
		burn_source_free(src);
	if (isrc != NULL)
		burn_source_free(isrc);
	iso_write_opts_free(wo);
	if (img != NULL)
		iso_image_unref(img);
	if (locked) {
		msgs_drain();
		pthread_mutex_unlock(&g_lock);
	}
	/* A half-written image file is patient data on the kiosk's own disk: remove it (or
	 * put the blank back if the file was the configured medium already). */
	if (rc != 0 && touched && a.is_file) {
		struct stat st;
		if (lstat(a.path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (existed) {
				if (truncate(a.path, 0) < 0)
					ho_err_set(err, HO_EIO, "cannot clear %s", a.path);
			} else {
				unlink(a.path);
			}
		}
	}
	return rc;
}

/* ---- read-back ------------------------------------------------------------------------ */

typedef struct reader {
	struct burn_drive *drive;
	uint8_t *cache;
	uint32_t cache_lba, cache_n, capacity;
	uint64_t rate, start_ns, done, fail_at;
	int failed;
} reader;

static int ds_open(IsoDataSource *s)
{
	(void)s;
	return 1;
}

static int ds_close(IsoDataSource *s)
{
	(void)s;
	return 1;
}

static void ds_free(IsoDataSource *s)
{
	(void)s;
}

static int ds_read(IsoDataSource *s, uint32_t lba, uint8_t *buf)
{
	reader *r = s->data;
	off_t count = 0;
	uint32_t n = READ_RUN;

	if (r->cache_n > 0 && lba >= r->cache_lba && lba - r->cache_lba < r->cache_n) {
		memcpy(buf, r->cache + (size_t)(lba - r->cache_lba) * SECTOR, SECTOR);
		return 1;
	}
	if (r->done >= r->fail_at) {
		r->failed = 1;
		return (int)ISO_DATA_SOURCE_FAILURE;
	}
	if (r->capacity > 0) {
		if (lba >= r->capacity)
			return (int)ISO_DATA_SOURCE_FAILURE;
		if (r->capacity - lba < n)
			n = r->capacity - lba;
	}
	r->cache_n = 0;
	/* bit1: no message for a failing run; bit2: we retry single blocks ourselves. */
	if (burn_read_data(r->drive, (off_t)lba * SECTOR, (char *)r->cache, (off_t)n * SECTOR,
			   &count, 2 | 4) <= 0) {
		count = 0;
		if (burn_read_data(r->drive, (off_t)lba * SECTOR, (char *)r->cache, SECTOR, &count,
				   0) <= 0 ||
		    count < SECTOR)
			return (int)ISO_DATA_SOURCE_FAILURE;
	}
	if (count < SECTOR)
		return (int)ISO_DATA_SOURCE_FAILURE;
	r->cache_lba = lba;
	r->cache_n = (uint32_t)(count / SECTOR);
	if (r->start_ns == 0)
		r->start_ns = ho_sim_now_ns();
	r->done += (uint64_t)count;
	ho_sim_pace(r->rate, r->start_ns, r->done);
	memcpy(buf, r->cache, SECTOR);
	return 1;
}

typedef struct item {
	char *path;
	IsoFile *file;
	uint32_t lba;
	uint64_t size;
	uint8_t sha[32];
} item;

typedef struct items {
	item *v;
	size_t n, cap;
} items;

static int collect(items *it, IsoDir *dir, const char *prefix, int depth, ho_err *err)
{
	IsoDirIter *iter = NULL;
	IsoNode *node;
	char *path = NULL;
	int rc = 0;

	if (depth > VERIFY_MAX_DEPTH)
		return ho_err_set(err, HO_EVERIFY, "the disc's folder %s is nested too deep",
				  prefix);
	if (iso_dir_get_children(dir, &iter) < 0)
		return ho_err_set(err, HO_ENOMEM, "out of memory reading the disc");
	while (iso_dir_iter_next(iter, &node) == 1) {
		const char *name = iso_node_get_name(node);
		enum IsoNodeType t = iso_node_get_type(node);

		free(path);
		path = prefix[0] ? ho_strfmt("%s/%s", prefix, name) : strdup(name);
		if (path == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory reading the disc");
			break;
		}
		if (t == LIBISO_DIR) {
			if ((rc = collect(it, (IsoDir *)node, path, depth + 1, err)) < 0)
				break;
			continue;
		}
		if (t != LIBISO_FILE) {
			rc = ho_err_set(err, HO_EVERIFY,
					"the disc holds %s, which is not a plain file and not in the "
					"file-set; do not hand this disc out",
					path);
			break;
		}
		if (it->n == VERIFY_MAX_FILES) {
			rc = ho_err_set(err, HO_EVERIFY, "the disc holds too many files");
			break;
		}
		if (it->n == it->cap) {
			size_t nc = it->cap ? it->cap * 2 : 64;
			item *nv = realloc(it->v, nc * sizeof(*nv));
			if (nv == NULL) {
				rc = ho_err_set(err, HO_ENOMEM, "out of memory reading the disc");
				break;
			}
			it->v = nv;
			it->cap = nc;
		}
		item *e = &it->v[it->n++];
		memset(e, 0, sizeof(*e));
		e->path = path;
		path = NULL;
		e->file = (IsoFile *)node;
		e->size = (uint64_t)iso_file_get_size(e->file);
		if (iso_file_get_old_image_lba(e->file, &e->lba, 0) < 0)
			e->lba = 0;
	}
	free(path);
	iso_dir_iter_free(iter);
	return rc;
}

static int by_lba(const void *a, const void *b)
{
	const item *x = a, *y = b;

	return x->lba < y->lba ? -1 : x->lba > y->lba;
}

static int by_path(const void *a, const void *b)
{
	const item *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static int hash_item(item *e, uint8_t *buf, size_t bufsz, uint64_t *done, uint64_t total,
		     ho_burn_progress_cb progress, void *ud, ho_err *err)
{
	IsoStream *st = iso_file_get_stream(e->file);
	EVP_MD_CTX *ctx = NULL;
	uint64_t got = 0;
	unsigned int len = 0;
	int rc = HO_EIO, opened = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		rc = ho_err_set(err, HO_ECRYPTO, "cannot start SHA-256 (OpenSSL failure)");
		goto out;
	}
	if (st == NULL || iso_stream_open(st) < 0) {
		rc = fail(err, HO_EIO, "cannot read %s from the disc", e->path);
		goto out;
	}
	opened = 1;
	for (;;) {
		int n = iso_stream_read(st, buf, bufsz);
		if (n < 0) {
			rc = fail(err, HO_EIO,
				  "cannot read %s from the disc; the disc is unreadable and must not "
				  "be handed out",
				  e->path);
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			rc = ho_err_set(err, HO_ECRYPTO, "SHA-256 failed (OpenSSL failure)");
			goto out;
		}
		got += (uint64_t)n;
		*done += (uint64_t)n;
		if (progress != NULL)
			progress(ud, *done, total);
	}
	if (EVP_DigestFinal_ex(ctx, e->sha, &len) != 1) {
		rc = ho_err_set(err, HO_ECRYPTO, "SHA-256 failed (OpenSSL failure)");
		goto out;
	}
	e->size = got;
	rc = 0;
out:
	if (opened)
		iso_stream_close(st);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int compare(items *it, const ho_manifest *m, ho_err *err)
{
	size_t i = 0, j = 0, mn = ho_manifest_count(m);
	static const char tail[] = "the disc does not match what was staged and must not be "
				   "handed out; destroy it and burn again";

	qsort(it->v, it->n, sizeof(it->v[0]), by_path);
	while (i < it->n || j < mn) {
		const ho_manifest_entry *me = j < mn ? ho_manifest_get(m, j) : NULL;
		int c = i == it->n ? 1 : me == NULL ? -1 : strcmp(it->v[i].path, me->path);

		if (c < 0)
			return ho_err_set(err, HO_EVERIFY, "%s is on the disc but not in the "
					  "file-set: %s", it->v[i].path, tail);
		if (c > 0)
			return ho_err_set(err, HO_EVERIFY, "%s is missing from the disc: %s",
					  me->path, tail);
		if (it->v[i].size != me->size)
			return ho_err_set(err, HO_EVERIFY,
					  "%s has %llu bytes on the disc but %llu in the file-set: %s",
					  me->path, (unsigned long long)it->v[i].size,
					  (unsigned long long)me->size, tail);
		if (memcmp(it->v[i].sha, me->sha256, 32) != 0)
			return ho_err_set(err, HO_EVERIFY,
					  "%s on the disc differs from the file-set (SHA-256 "
					  "mismatch): %s",
					  me->path, tail);
		i++;
		j++;
	}
	return 0;
}

int ho_burn_verify(const char *drive, const ho_manifest *m, ho_burn_progress_cb progress,
		   void *ud, ho_err *err)
{
	ho_drive_addr a;
	struct burn_drive_info *dinfo = NULL;
	IsoDataSource *ds = NULL;
	IsoReadOpts *ro = NULL;
	IsoReadImageFeatures *feat = NULL;
	IsoImage *img = NULL;
	reader rd;
	items it = {0};
	uint8_t *buf = NULL;
	uint64_t done = 0, total = ho_manifest_total_bytes(m);
	int rc, r, locked = 0, cap = 0;
	enum burn_disc_status st;

	memset(&rd, 0, sizeof(rd));
	if (m == NULL)
		return ho_err_set(err, HO_EINVAL, "no manifest to verify against");
	if ((rc = ho_drive_addr_parse(&a, drive, err)) < 0 ||
	    (rc = ho_drive_addr_check_loaded(&a, err)) < 0)
		return rc;
	if (a.is_file) {
		struct stat sst;
		if (lstat(a.path, &sst) < 0 || !(S_ISREG(sst.st_mode) || S_ISBLK(sst.st_mode)))
			return ho_err_set(err, HO_EDEVICE,
					  "there is no written disc at %s; check the drive setting",
					  a.path);
	}
	if ((rc = lib_ready(err)) < 0)
		return rc;
	if ((rd.cache = malloc((size_t)READ_RUN * SECTOR)) == NULL ||
	    (buf = malloc(1 << 16)) == NULL || (ds = calloc(1, sizeof(*ds))) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	ds->version = 0;
	ds->refcount = 1;
	ds->open = ds_open;
	ds->close = ds_close;
	ds->read_block = ds_read;
	ds->free_data = ds_free;
	ds->data = &rd;
	pthread_mutex_lock(&g_lock);
	locked = 1;
	msgs_drain();
	if ((rc = grab(&dinfo, &a, err)) < 0)
		goto out;
	rd.drive = dinfo[0].drive;
	st = burn_disc_get_status(rd.drive);
	if (st == BURN_DISC_EMPTY) {
		rc = ho_err_set(err, HO_EDEVICE, "there is no disc in the drive to check");
		goto out;
	}
	/* libburn calls a file drive (like any overwritable medium) blank whatever it holds;
	 * there the ISO import below is the judge. */
	if (st == BURN_DISC_BLANK && !a.is_file) {
		rc = ho_err_set(err, HO_EVERIFY,
				"the disc in the drive is blank; nothing was written to it");
		goto out;
	}
	if (burn_get_read_capacity(rd.drive, &cap, 0) == 1 && cap > 0)
		rd.capacity = (uint32_t)cap;
	rd.rate = a.is_sim ? a.rate : 0;
	rd.fail_at = UINT64_MAX;
	if (a.fault == HO_SIM_FAULT_READ_ERROR)
		rd.fail_at = a.fault_at ? a.fault_at : (uint64_t)rd.capacity * SECTOR / 2;
	if (iso_read_opts_new(&ro, 0) < 0 || iso_image_new("VERIFY", &img) < 0) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	r = iso_image_import(img, ds, ro, &feat);
	if (r < 0) {
		rc = rd.failed ? fail(err, HO_EIO,
				      "the drive failed while reading the disc back; the disc "
				      "must not be handed out: destroy it and burn again")
			       : fail(err, HO_EVERIFY,
				      "the disc cannot be read as ISO 9660 (%s); it must not be "
				      "handed out: destroy it and burn again",
				      iso_error_to_msg(r));
		goto out;
	}
	if (!iso_read_image_features_has_rockridge(feat)) {
		rc = ho_err_set(err, HO_EVERIFY,
				"the disc has no Rock Ridge names, so it was not written by this "
				"kiosk's current software; destroy it and burn again");
		goto out;
	}
	if ((rc = collect(&it, iso_image_get_root(img), "", 0, err)) < 0)
		goto out;
	/* In disc order: one pass from the inside out instead of seeking per file. */
	qsort(it.v, it.n, sizeof(it.v[0]), by_lba);
	for (size_t i = 0; i < it.n; i++) {
		if ((rc = hash_item(&it.v[i], buf, 1 << 16, &done, total, progress, ud, err)) < 0) {
			if (rd.failed) {
				ho_err_reset(err, HO_EIO,
					     "the drive failed while reading %s back; the disc must "
					     "not be handed out: destroy it and burn again",
					     it.v[i].path);
				rc = HO_EIO;
			}
			goto out;
		}
	}
	rc = compare(&it, m, err);
out:
	for (size_t i = 0; i < it.n; i++)
		free(it.v[i].path);
	free(it.v);
	if (feat != NULL)
		iso_read_image_features_destroy(feat);
	if (img != NULL)
		iso_image_unref(img);
	if (ro != NULL)
		iso_read_opts_free(ro);
	/* The image dropped its references; ours is the last and frees ds. */
	if (ds != NULL)
		iso_data_source_unref(ds);
	release(dinfo);
	if (locked) {
		msgs_drain();
		pthread_mutex_unlock(&g_lock);
	}
	free(rd.cache);
	free(buf);
	return rc;
}
