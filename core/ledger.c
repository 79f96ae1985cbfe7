#include "core/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/crc32c.h"
#include "core/ledger_fmt.h"
#include "core/merkle.h"
#include "core/note.h"
#include "util/fs.h"

#define SEGMENT_MAX_DEFAULT (64ull << 20)
#define SEGMENT_MAX_CAP (1ull << 30) /* a segment is mapped whole at open */

struct ho_ledger {
	char *dir;
	char *key_path;
	char origin[HO_LEDGER_ORIGIN_MAX];
	ho_ledger_opts opts;
	ho_signer *signer;
	bool own_signer;
	ho_note_verifier vk;
	int lock_fd;
	int seg_fd;
	char seg_name[HO_SEG_NAME_LEN + 1];
	uint64_t seg_size; /* bytes of the current segment that are valid */
	uint64_t seg_hdr_len;
	ho_merkle tree;
	ho_merkle_hasher *h;
	uint64_t next_seq;
	uint32_t boot;
	uint64_t cp_size; /* tree size of the last checkpoint written */
	char *cp;         /* last signed checkpoint note */
	size_t cp_len;
	unsigned since_cp;
	uint8_t last_keyid[4];
	uint8_t last_kind;
	bool failed;
	ho_err fail;
	ho_ledger_recovery rec;
	uint8_t *buf;
	size_t bufcap;
};

const char *ho_ledger_kind_name(unsigned kind)
{
	static const char *const names[] = {
	    "?",
	    "export",
	    "export-failed",
	    "auth",
	    "audit-log-used",
	    "security-alert",
	    "app-activity",
	    "medium-spoiled",
	    "medium-destroyed",
	    "key-rotation",
	    "recovery",
	};
	return kind <= HO_LEDGER_KIND_MAX ? names[kind] : "?";
}

static int fail(ho_ledger *l, ho_err *err, const char *what, int e)
{
	/* One failure is enough: an fsync error may have dropped data the kernel will
	 * never report again (fsyncgate), so nothing is retried in this process. */
	if (!l->failed) {
		l->failed = true;
		ho_err_reset(&l->fail, HO_ESTATE,
		             "The signed log could not be written (%s: %s). Exports are stopped "
		             "until this is fixed: free space on the log disk or call the "
		             "administrator, then restart the kiosk.",
		             what, strerror(e));
	}
	return ho_err_set(err, HO_ESTATE, "%s", l->fail.msg);
}

int ho_ledger_status(const ho_ledger *l, ho_err *err)
{
	if (l->failed)
		return ho_err_set(err, HO_ESTATE, "%s", l->fail.msg);
	return 0;
}

const char *ho_ledger_origin(const ho_ledger *l)
{
	return l->origin;
}

uint64_t ho_ledger_size(const ho_ledger *l)
{
	return l->tree.size;
}

uint64_t ho_ledger_next_seq(const ho_ledger *l)
{
	return l->next_seq;
}

const ho_ledger_recovery *ho_ledger_recovery_info(const ho_ledger *l)
{
	return &l->rec;
}

const char *ho_ledger_dir(const ho_ledger *l)
{
	return l->dir;
}

int ho_ledger_vkey(const ho_ledger *l, char *out, size_t outlen)
{
	return ho_note_vkey(out, outlen, &l->vk);
}

static void now_times(const ho_ledger *l, ho_envelope *e)
{
	struct timespec ts;
	struct timex tx;
	int st;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	e->mono_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (l->opts.fixed_utc_ns != 0) {
		e->utc_ns = l->opts.fixed_utc_ns +
		            (int64_t)l->next_seq *
		                (l->opts.utc_step_ns ? l->opts.utc_step_ns : 1000000000LL);
		e->time_source = HO_LEDGER_TIME_TEST;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	e->utc_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	memset(&tx, 0, sizeof(tx));
	st = adjtimex(&tx); /* modes == 0: read only, allowed unprivileged */
	if (st < 0)
		e->time_source = HO_LEDGER_TIME_UNKNOWN;
	else if (st == TIME_ERROR || (tx.status & STA_UNSYNC))
		e->time_source = HO_LEDGER_TIME_UNSYNCED;
	else
		e->time_source = HO_LEDGER_TIME_NTP;
}

static int ensure_buf(ho_ledger *l, size_t need, ho_err *err)
{
	uint8_t *nb;

	if (need <= l->bufcap)
		return 0;
	if ((nb = realloc(l->buf, need)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory writing the log");
	l->buf = nb;
	l->bufcap = need;
	return 0;
}

static int do_sync(ho_ledger *l, int fd)
{
	return l->opts.no_sync ? 0 : fdatasync(fd);
}

/* Creates a segment whose first entry will have first_seq, starting at tree t. The
 * header is written to a temporary name, synced and renamed, so a segment file never
 * exists without a complete header. */
static int segment_create(ho_ledger *l, uint64_t first_seq, ho_err *err)
{
	uint8_t hdr[HO_SEG_HDR_MAX];
	ho_seg_hdr h;
	char name[HO_SEG_NAME_LEN + 1];
	char *path = NULL;
	size_t n;
	int fd = -1, rc;

	memset(&h, 0, sizeof(h));
	h.first_seq = first_seq;
	h.tree = l->tree;
	memcpy(h.keyid, l->vk.keyhash, 4);
	n = ho_seg_hdr_encode(hdr, sizeof(hdr), &h);
	ho_seg_name(name, first_seq);
	if ((path = ho_strfmt("%s/%s", l->dir, name)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory creating a log segment");
		goto out;
	}
	if ((rc = ho_fs_write_atomic(path, hdr, n, 0600, err)) != 0) {
		rc = fail(l, err, "new segment", errno ? errno : EIO);
		goto out;
	}
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = fail(l, err, "open segment", errno);
		goto out;
	}
	if (l->seg_fd >= 0)
		close(l->seg_fd);
	l->seg_fd = fd;
	fd = -1;
	memcpy(l->seg_name, name, sizeof(name));
	l->seg_size = n;
	l->seg_hdr_len = n;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

static int pwrite_full(int fd, const uint8_t *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Signs a checkpoint for tree t with the current signer (and extra, if not NULL). */
static int sign_checkpoint(ho_ledger *l, const ho_merkle *t, ho_signer *extra,
                           uint8_t root[static 32], char **note, size_t *note_len, ho_err *err)
{
	char text[HO_LEDGER_ORIGIN_MAX + 80];
	size_t tl;
	ho_signer *signers[2] = {l->signer, extra};
	const char *names[2] = {l->origin, l->origin};

	if (ho_merkle_root(l->h, t, root) != 0)
		return ho_err_set(err, HO_ECRYPTO, "hashing the log failed (OpenSSL)");
	if (ho_checkpoint_format(text, sizeof(text), &tl, l->origin, t->size, root) != 0)
		return ho_err_set(err, HO_EINVAL, "log origin too long");
	return ho_note_sign(note, note_len, text, tl, signers, names, extra ? 2 : 1, err);
}

/* Writes a lone checkpoint frame for the current tree (recovery, close). */
static int write_checkpoint(ho_ledger *l, ho_signer *extra, ho_err *err)
{
	uint8_t root[32];
	char *note = NULL;
	size_t nl = 0, n;
	int rc;

	if ((rc = sign_checkpoint(l, &l->tree, extra, root, &note, &nl, err)) != 0)
		goto out;
	if ((rc = ensure_buf(l, nl + HO_FRAME_OVERHEAD, err)) != 0)
		goto out;
	n = ho_frame_encode(l->buf, HO_FRAME_CHECKPOINT, note, (uint32_t)nl);
	if (pwrite_full(l->seg_fd, l->buf, n, l->seg_size) != 0 || do_sync(l, l->seg_fd) != 0) {
		rc = fail(l, err, "checkpoint", errno);
		goto out;
	}
	l->seg_size += n;
	free(l->cp);
	l->cp = note;
	l->cp_len = nl;
	note = NULL;
	l->cp_size = l->tree.size;
	l->since_cp = 0;
out:
	free(note);
	return rc;
}

static int append_entry(ho_ledger *l, enum ho_ledger_kind kind, const void *body, size_t len,
                        const uint8_t keyid[static 4], ho_signer *extra, uint64_t seq,
                        ho_ledger_receipt *out, ho_err *err)
{
	ho_envelope e;
	ho_merkle t;
	uint8_t leaf[32], root[32];
	char *note = NULL;
	size_t nl = 0, need, n = 0, elen = HO_ENV_LEN + len;
	bool want_cp;
	int rc;

	if (l->failed)
		return ho_err_set(err, HO_ESTATE, "%s", l->fail.msg);
	if (l->opts.read_only)
		return ho_err_set(err, HO_ESTATE, "the log was opened read-only");
	if (kind < 1 || kind > HO_LEDGER_KIND_MAX || (len > 0 && body == NULL))
		return ho_err_set(err, HO_EINVAL, "bad log entry kind");
	if (len > HO_LEDGER_BODY_MAX)
		return ho_err_set(err, HO_ETOOBIG,
		                  "audit message of %zu bytes exceeds the log's "
		                  "limit of %u",
		                  len, HO_LEDGER_BODY_MAX);
	memset(&e, 0, sizeof(e));
	e.kind = (uint8_t)kind;
	memcpy(e.keyid, keyid, 4);
	e.seq = seq;
	e.boot = l->boot;
	e.body_len = (uint32_t)len;
	now_times(l, &e);

	need = 2 * HO_FRAME_OVERHEAD + elen + 1024;
	if ((rc = ensure_buf(l, need, err)) != 0)
		return rc;
	/* The envelope is built in place inside the frame so the leaf hash covers exactly
	 * the bytes that go to disk. */
	ho_env_encode(l->buf + 5, &e);
	if (len > 0)
		memcpy(l->buf + 5 + HO_ENV_LEN, body, len);
	ho_put32(l->buf, (uint32_t)elen);
	l->buf[4] = HO_FRAME_ENTRY;
	ho_put32(l->buf + 5 + elen, ho_crc32c(0, l->buf, 5 + elen));
	n = elen + HO_FRAME_OVERHEAD;

	t = l->tree;
	if (ho_merkle_leaf_hash(l->h, leaf, l->buf + 5, elen) != 0 ||
	    ho_merkle_push(l->h, &t, leaf) != 0)
		return ho_err_set(err, HO_ECRYPTO, "hashing the log failed (OpenSSL)");
	want_cp = extra != NULL || l->opts.checkpoint_every <= 1 ||
	          l->since_cp + 1 >= l->opts.checkpoint_every;
	if (want_cp) {
		if ((rc = sign_checkpoint(l, &t, extra, root, &note, &nl, err)) != 0)
			goto out;
		if ((rc = ensure_buf(l, n + nl + HO_FRAME_OVERHEAD, err)) != 0)
			goto out;
		n += ho_frame_encode(l->buf + n, HO_FRAME_CHECKPOINT, note, (uint32_t)nl);
	} else if (ho_merkle_root(l->h, &t, root) != 0) {
		rc = ho_err_set(err, HO_ECRYPTO, "hashing the log failed (OpenSSL)");
		goto out;
	}
	/* A segment holds at least one entry, so a huge entry still goes somewhere. */
	if (l->seg_size + n > l->opts.segment_max && l->seg_size > l->seg_hdr_len) {
		if ((rc = segment_create(l, seq, err)) != 0)
			goto out;
	}
	/* Entry and checkpoint go down in one write and one fdatasync: the receipt may be
	 * printed only after both are durable (DESIGN.md, record before receipt). */
	if (pwrite_full(l->seg_fd, l->buf, n, l->seg_size) != 0) {
		rc = fail(l, err, "write", errno);
		goto out;
	}
	if (do_sync(l, l->seg_fd) != 0) {
		rc = fail(l, err, "fdatasync", errno);
		goto out;
	}
	l->seg_size += n;
	l->tree = t;
	l->next_seq = seq + 1;
	memcpy(l->last_keyid, keyid, 4);
	l->last_kind = (uint8_t)kind;
	if (want_cp) {
		free(l->cp);
		l->cp = note;
		l->cp_len = nl;
		note = NULL;
		l->cp_size = t.size;
		l->since_cp = 0;
	} else {
		l->since_cp++;
	}
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->seq = seq;
		out->tree_size = t.size;
		memcpy(out->leaf_hash, leaf, 32);
		memcpy(out->root, root, 32);
		memcpy(out->origin, l->origin, sizeof(out->origin));
	}
	rc = 0;
out:
	free(note);
	return rc;
}

int ho_ledger_append(ho_ledger *l, enum ho_ledger_kind kind, const void *xml, size_t len,
                     ho_ledger_receipt *out, ho_err *err)
{
	if (kind == HO_LEDGER_KEY_ROTATION)
		return ho_err_set(err, HO_EINVAL,
		                  "key rotation entries are written by "
		                  "ho_ledger_rotate_key only");
	return append_entry(l, kind, xml, len, l->vk.keyhash, NULL, l->next_seq, out, err);
}

static void src_for(const ho_ledger *l, ho_audit_source *s)
{
	memset(s, 0, sizeof(*s));
	s->source_id = l->origin;
	s->app_name = "handoff";
	if (l->opts.fixed_utc_ns != 0)
		s->utc_ns = l->opts.fixed_utc_ns;
}

static int write_key_history(ho_ledger *l, uint64_t seq, bool fresh, ho_err *err)
{
	char vkey[HO_NOTE_VKEY_MAX], *path = NULL, *line = NULL;
	uint8_t *old = NULL;
	size_t oldlen = 0, nl;
	int rc;

	if (ho_note_vkey(vkey, sizeof(vkey), &l->vk) != 0)
		return ho_err_set(err, HO_EINVAL, "bad verifier key");
	if ((path = ho_strfmt("%s/keys", l->dir)) == NULL ||
	    (line = ho_strfmt("%" PRIu64 " %s\n", seq, vkey)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory writing the key history");
		goto out;
	}
	if (!fresh && ho_fs_read_all(path, 1 << 20, &old, &oldlen, NULL) != 0)
		oldlen = 0;
	nl = strlen(line);
	{
		uint8_t *all = malloc(oldlen + nl + 1);
		if (all == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory writing the key history");
			goto out;
		}
		if (oldlen > 0)
			memcpy(all, old, oldlen);
		memcpy(all + oldlen, line, nl);
		rc = ho_fs_write_atomic(path, all, oldlen + nl, 0644, err);
		free(all);
	}
out:
	free(old);
	free(path);
	free(line);
	return rc;
}

/* A brand-new log starts with an Application Activity entry that names the key. */
static int append_genesis(ho_ledger *l, ho_err *err)
{
	char vkey[HO_NOTE_VKEY_MAX], fp[HO_FINGERPRINT_LEN];
	ho_audit_detail d[2];
	ho_audit_app a;
	char *xml = NULL;
	size_t xl = 0;
	int rc;

	ho_note_vkey(vkey, sizeof(vkey), &l->vk);
	ho_signer_fingerprint(fp, sizeof(fp), l->vk.pub);
	d[0] = (ho_audit_detail){"HandoffLogCreated", vkey};
	d[1] = (ho_audit_detail){"HandoffKeyFingerprint", fp};
	memset(&a, 0, sizeof(a));
	src_for(l, &a.src);
	a.event = HO_APP_START;
	a.details = d;
	a.n_details = 2;
	if ((rc = ho_audit_app_xml(&xml, &xl, &a, err)) != 0)
		return rc;
	rc = append_entry(l, HO_LEDGER_APP_ACTIVITY, xml, xl, l->vk.keyhash, NULL, l->next_seq,
	                  NULL, err);
	free(xml);
	if (rc == 0)
		rc = write_key_history(l, 1, true, err);
	return rc;
}

/* ---- open and recovery ---- */

static int map_file(int fd, uint8_t **p, size_t *len)
{
	struct stat st;

	*p = NULL;
	*len = 0;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return HO_EIO;
	if ((uint64_t)st.st_size > SEGMENT_MAX_CAP + HO_FRAME_MAX * 4ull)
		return HO_ETOOBIG;
	if (st.st_size == 0)
		return 0;
	*p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (*p == MAP_FAILED) {
		*p = NULL;
		return HO_EIO;
	}
	*len = (size_t)st.st_size;
	return 0;
}

/* Is the damage at off the tail of an interrupted append, rather than something in
 * the middle of the log? An append writes at most two frames (entry, checkpoint) in one
 * write, so a torn tail is short. Blocks of that write may reach the disk out of order,
 * so the checkpoint of the lost entry (tree size + 1, ending at EOF) may survive intact;
 * any other complete frame after the damage means the damage is not a torn tail. */
static bool is_torn_tail(const uint8_t *p, size_t len, size_t off, uint64_t tree_size)
{
	ho_frame f;

	if (len - off > 2 * (HO_FRAME_MAX + HO_FRAME_OVERHEAD) + HO_NOTE_MAX_LEN)
		return false;
	for (size_t y = off + 1; y + HO_FRAME_OVERHEAD <= len; y++) {
		ho_note n;
		ho_checkpoint c;
		if (ho_frame_parse(&f, p + y, len - y) != HO_FRAME_OK)
			continue;
		if (f.type == HO_FRAME_CHECKPOINT && y + f.total == len &&
		    ho_note_parse(&n, (const char *)f.payload, f.len, NULL) == 0 &&
		    ho_checkpoint_parse(&c, n.text, n.text_len, NULL) == 0 &&
		    c.size == tree_size + 1)
			continue;
		return false;
	}
	return true;
}

typedef struct scan_state {
	size_t end; /* offset after the last good frame */
	size_t last_entry_off, last_entry_end;
	bool last_is_entry; /* last good frame is an entry (no checkpoint after it) */
	uint8_t last_kind;
	uint8_t last_keyid[4];
	uint64_t last_seq;
	uint64_t cp_size;
	char *cp;
	size_t cp_len;
	uint64_t torn_seq; /* seq visible in a torn entry, 0 if none */
	char origin[HO_LEDGER_ORIGIN_MAX];
} scan_state;

static int scan_segment(ho_ledger *l, const uint8_t *p, size_t len, const ho_seg_hdr *hdr,
                        scan_state *s, const char *segname, ho_err *err)
{
	size_t off = hdr->hdr_len;
	ho_frame f;
	enum ho_frame_status st;

	l->tree = hdr->tree;
	s->end = off;
	s->last_seq = hdr->first_seq - 1;
	memcpy(s->last_keyid, hdr->keyid, 4);
	while (off < len) {
		st = ho_frame_parse(&f, p + off, len - off);
		if (st != HO_FRAME_OK) {
			if (st != HO_FRAME_BADTYPE && is_torn_tail(p, len, off, l->tree.size)) {
				/* The tail might carry the sequence number it was about to use;
				 * it must not be used again. */
				if (len - off >= 5 + 16 && p[off + 4] == HO_FRAME_ENTRY)
					s->torn_seq = ho_le64(p + off + 5 + 8);
				return 0;
			}
			return ho_err_set(err, HO_EFORMAT,
			                  "the signed log is damaged in %s at byte %zu (not at the "
			                  "end, so it is not an interrupted write). Exports are "
			                  "stopped: keep the log as evidence, run 'handoff log "
			                  "verify' and call the administrator.",
			                  segname, off);
		}
		if (f.type == HO_FRAME_ENTRY) {
			ho_envelope e;
			uint8_t leaf[32];
			if (ho_env_parse(&e, f.payload, f.len) != 0 ||
			    (e.seq != s->last_seq + 1 &&
			     !(e.kind == HO_LEDGER_RECOVERY && e.seq > s->last_seq)))
				return ho_err_set(
				    err, HO_EFORMAT,
				    "the signed log has a bad entry in %s at byte %zu; "
				    "exports are stopped: run 'handoff log verify' and "
				    "call the administrator",
				    segname, off);
			if (ho_merkle_leaf_hash(l->h, leaf, f.payload, f.len) != 0 ||
			    ho_merkle_push(l->h, &l->tree, leaf) != 0)
				return ho_err_set(err, HO_ECRYPTO, "hashing the log failed");
			s->last_seq = e.seq;
			s->last_kind = e.kind;
			memcpy(s->last_keyid, e.keyid, 4);
			s->last_is_entry = true;
			s->last_entry_off = off;
			s->last_entry_end = off + f.total;
		} else {
			ho_note n;
			ho_checkpoint c;
			uint8_t root[32];
			if (ho_note_parse(&n, (const char *)f.payload, f.len, NULL) != 0 ||
			    ho_checkpoint_parse(&c, n.text, n.text_len, NULL) != 0 ||
			    c.size != l->tree.size || ho_merkle_root(l->h, &l->tree, root) != 0 ||
			    memcmp(root, c.root, 32) != 0)
				return ho_err_set(
				    err, HO_EFORMAT,
				    "a checkpoint in %s at byte %zu does not match the "
				    "log; exports are stopped: run 'handoff log verify' "
				    "and call the administrator",
				    segname, off);
			free(s->cp);
			if ((s->cp = malloc(f.len)) == NULL)
				return ho_err_set(err, HO_ENOMEM, "out of memory opening the log");
			memcpy(s->cp, f.payload, f.len);
			s->cp_len = f.len;
			s->cp_size = c.size;
			memcpy(s->origin, c.origin, sizeof(s->origin));
			s->last_is_entry = false;
		}
		off += f.total;
		s->end = off;
	}
	return 0;
}

static int quarantine(ho_ledger *l, const uint8_t *p, size_t len, size_t off, ho_err *err)
{
	char *qdir = NULL, *qpath = NULL;
	int rc;

	if ((qdir = ho_strfmt("%s/quarantine", l->dir)) == NULL ||
	    (qpath = ho_strfmt("%s/%s@%zu.%lld.torn", qdir, l->seg_name, off,
	                       (long long)time(NULL))) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory during log recovery");
		goto out;
	}
	if (ho_fs_mkdir_p(qdir, 0700) != 0) {
		rc = ho_err_set(err, HO_EIO, "cannot create %s: %s", qdir, strerror(errno));
		goto out;
	}
	if ((rc = ho_fs_write_atomic(qpath, p + off, len - off, 0600, err)) != 0)
		goto out;
	/* Only once the copy is durable is the tail cut. */
	if (ftruncate(l->seg_fd, (off_t)off) != 0 || fsync(l->seg_fd) != 0) {
		rc = ho_err_set(err, HO_EIO, "cannot cut the torn log tail: %s", strerror(errno));
		goto out;
	}
	l->rec.torn_tail = true;
	l->rec.torn_bytes += len - off;
	snprintf(l->rec.quarantine, sizeof(l->rec.quarantine), "%s", qpath);
out:
	free(qdir);
	free(qpath);
	return rc;
}

static int read_boot(ho_ledger *l, ho_err *err)
{
	char *path = ho_strfmt("%s/boot", l->dir), cur[64] = "", stored[64] = "", *line = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	unsigned long long cnt = 0;
	int rc = 0, fd;

	if (path == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	/* The kernel's boot_id changes at every boot; the counter counts changes of it. */
	if ((fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC)) >= 0) {
		ssize_t n = read(fd, cur, sizeof(cur) - 1);
		cur[n > 0 ? n : 0] = '\0';
		cur[strcspn(cur, "\n ")] = '\0';
		close(fd);
	}
	if (ho_fs_read_all(path, 256, &buf, &len, NULL) == 0) {
		char *sp = memchr(buf, ' ', len), *end = NULL;
		if (sp != NULL && (size_t)(sp - (char *)buf) < sizeof(stored)) {
			memcpy(stored, buf, (size_t)(sp - (char *)buf));
			cnt = strtoull(sp + 1, &end, 10);
		}
	}
	if (strcmp(stored, cur) != 0 || cnt == 0) {
		cnt++;
		if (!l->opts.read_only) {
			if ((line = ho_strfmt("%s %llu\n", cur[0] ? cur : "-", cnt)) == NULL) {
				rc = ho_err_set(err, HO_ENOMEM, "out of memory");
				goto out;
			}
			rc = ho_fs_write_atomic(path, line, strlen(line), 0600, err);
		}
	}
	l->boot = (uint32_t)cnt;
out:
	free(line);
	free(buf);
	free(path);
	return rc;
}

static void default_origin(char *out, size_t n)
{
	char host[64] = "kiosk";
	size_t o;

	if (gethostname(host, sizeof(host) - 1) != 0)
		memcpy(host, "kiosk", 6);
	host[sizeof(host) - 1] = '\0';
	snprintf(out, n, "handoff.kiosk/");
	o = strlen(out);
	for (size_t i = 0; host[i] && o + 1 < n; i++) {
		char c = host[i];
		out[o++] = (c > 0x20 && c < 0x7f && c != '+') ? c : '-';
	}
	out[o] = '\0';
}

/* Rolls a pending key rotation forward (entry durable, key file not yet replaced) or
 * reports a key that does not belong to the log. */
static int settle_key(ho_ledger *l, const uint8_t log_keyid[static 4], uint64_t rot_seq,
                      ho_err *err)
{
	char *newp = NULL;
	ho_signer *ns = NULL;
	ho_note_verifier nv;
	int rc = 0;

	if (memcmp(log_keyid, l->vk.keyhash, 4) == 0)
		return 0;
	if (!l->own_signer)
		return ho_err_set(err, HO_ESTATE,
		                  "the external signing key does not match the "
		                  "log's current key; exports are stopped");
	if ((newp = ho_strfmt("%s.new", l->key_path)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	if (ho_signer_open_file(&ns, newp, false, NULL) == 0 &&
	    ho_note_verifier_make(&nv, l->origin, ho_signer_public(ns)) == 0 &&
	    memcmp(nv.keyhash, log_keyid, 4) == 0) {
		if (rename(newp, l->key_path) != 0 || ho_fs_fsync_dir(l->key_path) != 0) {
			rc = ho_err_set(err, HO_EIO, "cannot finish the key rotation: %s",
			                strerror(errno));
			goto out;
		}
		ho_signer_free(l->signer);
		l->signer = ns;
		ns = NULL;
		l->vk = nv;
		l->rec.rotation_completed = true;
		rc = write_key_history(l, rot_seq, false, err);
		goto out;
	}
	rc = ho_err_set(err, HO_ESTATE,
	                "the signing key %s does not belong to this log (the log "
	                "was last signed by another key); exports are stopped. "
	                "Restore the right key file or call the administrator.",
	                l->key_path);
out:
	ho_signer_free(ns);
	free(newp);
	return rc;
}

static int open_existing(ho_ledger *l, char **segs, size_t nsegs, ho_err *err)
{
	scan_state s;
	uint8_t *p = NULL;
	size_t len = 0;
	ho_seg_hdr hdr;
	char *path = NULL;
	int rc = 0;
	bool torn = false;
	uint64_t torn_seq = 0;

	memset(&s, 0, sizeof(s));
	for (;;) {
		const char *name = segs[nsegs - 1];
		free(s.cp);
		memset(&s, 0, sizeof(s));
		free(path);
		if ((path = ho_strfmt("%s/%s", l->dir, name)) == NULL)
			return ho_err_set(err, HO_ENOMEM, "out of memory opening the log");
		if (l->seg_fd >= 0)
			close(l->seg_fd);
		l->seg_fd =
		    open(path, (l->opts.read_only ? O_RDONLY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC);
		if (l->seg_fd < 0) {
			rc = ho_err_set(err, HO_EIO, "cannot open %s: %s", path, strerror(errno));
			goto out;
		}
		memcpy(l->seg_name, name, HO_SEG_NAME_LEN + 1);
		if ((rc = map_file(l->seg_fd, &p, &len)) != 0 ||
		    ho_seg_hdr_parse(&hdr, p, len) != 0) {
			rc = ho_err_set(err, HO_EFORMAT,
			                "the log segment %s has a damaged header; "
			                "exports are stopped: run 'handoff log "
			                "verify' and call the administrator",
			                path);
			goto out;
		}
		if ((rc = scan_segment(l, p, len, &hdr, &s, name, err)) != 0)
			goto out;
		/* An entry without its checkpoint when it is a key rotation is part of the
		 * torn append: the rotation was never acknowledged, so it is rolled back. */
		if (s.end < len || (s.last_is_entry && s.last_kind == HO_LEDGER_KEY_ROTATION)) {
			size_t cut = s.end;
			if (s.last_is_entry && s.last_kind == HO_LEDGER_KEY_ROTATION) {
				cut = s.last_entry_off;
				if (s.torn_seq == 0)
					s.torn_seq = s.last_seq;
			}
			if (l->opts.read_only) {
				rc = ho_err_set(err, HO_ESTATE,
				                "the log has an unfinished write at "
				                "its end; open it read-write once");
				goto out;
			}
			if ((rc = quarantine(l, p, len, cut, err)) != 0)
				goto out;
			torn = true;
			if (s.torn_seq > torn_seq)
				torn_seq = s.torn_seq;
			if (cut != s.end) {
				/* The new key of a rolled-back rotation never signed anything
				 * that counts: remove it. */
				char *np = ho_strfmt("%s.new", l->key_path);
				if (np != NULL)
					(void)unlink(np);
				free(np);
				munmap(p, len);
				p = NULL;
				continue; /* rescan the shortened segment */
			}
			s.end = cut;
		}
		/* A segment left with no entry by the cut held nothing acknowledged. */
		if (s.end == hdr.hdr_len && nsegs > 1 && !l->opts.read_only) {
			if (unlink(path) != 0 || ho_fs_fsync_dir(l->dir) != 0) {
				rc =
				    ho_err_set(err, HO_EIO, "cannot remove empty segment %s", path);
				goto out;
			}
			munmap(p, len);
			p = NULL;
			nsegs--;
			continue;
		}
		break;
	}
	l->seg_size = s.end;
	l->seg_hdr_len = hdr.hdr_len;
	l->next_seq = s.last_seq + 1;
	if (torn_seq >= l->next_seq && torn_seq - l->next_seq < (1u << 20))
		l->next_seq = torn_seq + 1; /* never reuse a number a torn entry carried */
	l->cp = s.cp;
	l->cp_len = s.cp_len;
	l->cp_size = s.cp_size;
	s.cp = NULL;
	memcpy(l->last_keyid, s.last_keyid, 4);
	l->last_kind = s.last_kind;
	if (l->cp != NULL && s.origin[0] != '\0' && strcmp(s.origin, l->origin) != 0) {
		/* The log's own origin wins over the configuration: checkpoints of one log
		 * never change origin. */
		memcpy(l->origin, s.origin, sizeof(l->origin));
		if (ho_note_verifier_make(&l->vk, l->origin, ho_signer_public(l->signer)) != 0) {
			rc = ho_err_set(err, HO_EFORMAT, "bad origin in the log");
			goto out;
		}
	}
	if (l->opts.read_only)
		goto out;
	if ((rc = settle_key(l, s.last_keyid, s.last_seq, err)) != 0)
		goto out;
	if (l->tree.size == 0) {
		rc = append_genesis(l, err);
	} else if (l->cp_size != l->tree.size) {
		if ((rc = write_checkpoint(l, NULL, err)) != 0)
			goto out;
		l->rec.checkpoint_signed = true;
	}
	if (rc == 0 && torn) {
		ho_audit_alert a;
		ho_audit_detail d[3];
		char bytes[32], seqs[32];
		char *xml = NULL;
		size_t xl = 0;
		ho_ledger_receipt r;

		snprintf(bytes, sizeof(bytes), "%" PRIu64, l->rec.torn_bytes);
		snprintf(seqs, sizeof(seqs), "%" PRIu64, torn_seq);
		d[0] = (ho_audit_detail){"HandoffQuarantineFile", l->rec.quarantine};
		d[1] = (ho_audit_detail){"HandoffTornBytes", bytes};
		d[2] = (ho_audit_detail){"HandoffTornSeq", seqs};
		memset(&a, 0, sizeof(a));
		src_for(l, &a.src);
		a.type = HO_ALERT_TORN_TAIL;
		a.outcome = HO_AUDIT_MINOR_FAILURE;
		a.description = "Unfinished write at the end of the signed log (power loss or "
		                "crash); the bytes were copied to quarantine and cut.";
		a.object_id = l->seg_name;
		a.details = d;
		a.n_details = 3;
		if ((rc = ho_audit_alert_xml(&xml, &xl, &a, err)) != 0)
			goto out;
		rc = append_entry(l, HO_LEDGER_RECOVERY, xml, xl, l->vk.keyhash, NULL, l->next_seq,
		                  &r, err);
		free(xml);
		if (rc == 0)
			l->rec.recovery_seq = r.seq;
	}
out:
	if (p != NULL)
		munmap(p, len);
	free(s.cp);
	free(path);
	return rc;
}

int ho_ledger_open(ho_ledger **out, const char *dir, const ho_ledger_opts *opts, ho_err *err)
{
	ho_ledger_opts defaults = HO_LEDGER_OPTS_INIT;
	ho_ledger *l = NULL;
	char **segs = NULL, *lockp = NULL;
	size_t nsegs = 0;
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &defaults;
	if (opts->version != HO_LEDGER_OPTS_VERSION)
		return ho_err_set(err, HO_EINVAL, "ledger options of an unknown version");
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory opening the log");
	l->lock_fd = -1;
	l->seg_fd = -1;
	l->opts = *opts;
	if (l->opts.segment_max == 0)
		l->opts.segment_max = SEGMENT_MAX_DEFAULT;
	if (l->opts.segment_max > SEGMENT_MAX_CAP)
		l->opts.segment_max = SEGMENT_MAX_CAP;
	if ((l->dir = strdup(dir)) == NULL ||
	    (l->key_path = opts->key_path ? strdup(opts->key_path)
	                                  : ho_strfmt("%s/signing.key", dir)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory opening the log");
		goto out;
	}
	if (opts->origin != NULL) {
		if (!ho_note_name_ok(opts->origin) ||
		    strlen(opts->origin) >= HO_LEDGER_ORIGIN_MAX) {
			rc = ho_err_set(err, HO_ECONFIG,
			                "the log origin '%s' is not valid (no spaces "
			                "or '+', at most 127 characters)",
			                opts->origin);
			goto out;
		}
		memcpy(l->origin, opts->origin, strlen(opts->origin) + 1);
	} else {
		default_origin(l->origin, sizeof(l->origin));
	}
	if ((rc = ho_merkle_hasher_new(&l->h)) != 0) {
		ho_err_set(err, rc, "cannot set up SHA-256 (OpenSSL)");
		goto out;
	}
	ho_merkle_init(&l->tree);
	l->next_seq = 1;
	if (!l->opts.read_only) {
		if (ho_fs_mkdir_p(dir, 0700) != 0) {
			rc = ho_err_set(err, HO_EIO, "cannot create the log directory %s: %s", dir,
			                strerror(errno));
			goto out;
		}
		if ((lockp = ho_strfmt("%s/lock", dir)) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory");
			goto out;
		}
		l->lock_fd = open(lockp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (l->lock_fd < 0 || flock(l->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			rc = ho_err_set(err, HO_ESTATE,
			                "the log in %s is in use by another handoff "
			                "process (%s)",
			                dir, strerror(errno));
			goto out;
		}
	}
	if (opts->signer != NULL) {
		l->signer = opts->signer;
	} else {
		if ((rc = ho_signer_open_file(&l->signer, l->key_path, !l->opts.read_only, err)) !=
		    0)
			goto out;
		l->own_signer = true;
	}
	if (ho_note_verifier_make(&l->vk, l->origin, ho_signer_public(l->signer)) != 0) {
		rc = ho_err_set(err, HO_ECONFIG, "bad log origin");
		goto out;
	}
	if ((rc = read_boot(l, err)) != 0)
		goto out;
	if ((rc = ho_seg_list(&segs, &nsegs, dir, err)) != 0)
		goto out;
	if (nsegs == 0) {
		if (l->opts.read_only) {
			rc = ho_err_set(err, HO_ENOTFOUND, "there is no log in %s", dir);
			goto out;
		}
		if ((rc = segment_create(l, 1, err)) != 0 || (rc = append_genesis(l, err)) != 0)
			goto out;
	} else if ((rc = open_existing(l, segs, nsegs, err)) != 0) {
		goto out;
	}
	*out = l;
	l = NULL;
out:
	ho_seg_list_free(segs, nsegs);
	free(lockp);
	ho_ledger_close(l);
	return rc;
}

int ho_ledger_checkpoint(ho_ledger *l, char **out, size_t *outlen, ho_err *err)
{
	char *path;
	int rc = 0;

	if (out != NULL)
		*out = NULL;
	if (l->cp == NULL || l->cp_size != l->tree.size) {
		if (l->opts.read_only)
			return ho_err_set(err, HO_ESTATE,
			                  "the log has no checkpoint of its last entry");
		if ((rc = write_checkpoint(l, NULL, err)) != 0)
			return rc;
	}
	if (!l->opts.read_only) {
		if ((path = ho_strfmt("%s/checkpoint", l->dir)) == NULL)
			return ho_err_set(err, HO_ENOMEM, "out of memory");
		rc = ho_fs_write_atomic(path, l->cp, l->cp_len, 0644, err);
		free(path);
		if (rc != 0)
			return rc;
	}
	if (out != NULL) {
		if ((*out = malloc(l->cp_len + 1)) == NULL)
			return ho_err_set(err, HO_ENOMEM, "out of memory");
		memcpy(*out, l->cp, l->cp_len);
		(*out)[l->cp_len] = '\0';
		*outlen = l->cp_len;
	}
	return 0;
}

int ho_ledger_rotate_key(ho_ledger *l, const char *staff_id, ho_ledger_receipt *out, ho_err *err)
{
	char *newp = NULL, oldv[HO_NOTE_VKEY_MAX], newv[HO_NOTE_VKEY_MAX];
	char fp[HO_FINGERPRINT_LEN];
	ho_signer *ns = NULL;
	ho_note_verifier nv;
	ho_audit_alert a;
	ho_audit_detail d[3];
	char *xml = NULL;
	size_t xl = 0;
	uint64_t seq;
	bool appended = false;
	int rc;

	if ((rc = ho_ledger_status(l, err)) != 0)
		return rc;
	if (!l->own_signer)
		return ho_err_set(err, HO_ESTATE,
		                  "the key is held by an external store; rotate it "
		                  "there");
	if ((newp = ho_strfmt("%s.new", l->key_path)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	/* A leftover from an interrupted rotation that was rolled back. */
	if (unlink(newp) != 0 && errno != ENOENT) {
		rc = ho_err_set(err, HO_EIO, "cannot remove %s: %s", newp, strerror(errno));
		goto out;
	}
	if ((rc = ho_signer_generate_file(&ns, newp, err)) != 0)
		goto out;
	if ((rc = ho_note_verifier_make(&nv, l->origin, ho_signer_public(ns))) != 0)
		goto out;
	ho_note_vkey(oldv, sizeof(oldv), &l->vk);
	ho_note_vkey(newv, sizeof(newv), &nv);
	ho_signer_fingerprint(fp, sizeof(fp), nv.pub);
	d[0] = (ho_audit_detail){"HandoffOldVerifierKey", oldv};
	d[1] = (ho_audit_detail){"HandoffNewVerifierKey", newv};
	d[2] = (ho_audit_detail){"HandoffNewKeyFingerprint", fp};
	memset(&a, 0, sizeof(a));
	src_for(l, &a.src);
	a.type = HO_ALERT_KEY_ROTATION;
	a.description = "The log signing key was replaced; this entry's checkpoint is signed by "
	                "the old and the new key.";
	a.user.user_id = staff_id;
	a.details = d;
	a.n_details = 3;
	if ((rc = ho_audit_alert_xml(&xml, &xl, &a, err)) != 0)
		goto out;
	seq = l->next_seq;
	/* The checkpoint names the old key first (it vouches for the new one). The envelope
	 * carries the new key's id: it signs from this entry on. */
	{
		ho_signer *old = l->signer;
		rc =
		    append_entry(l, HO_LEDGER_KEY_ROTATION, xml, xl, nv.keyhash, ns, seq, out, err);
		if (rc != 0)
			goto out;
		/* From here the log belongs to the new key: if the rename fails, the next
		 * start finds <key>.new and finishes it (settle_key). */
		appended = true;
		if (rename(newp, l->key_path) != 0 || ho_fs_fsync_dir(l->key_path) != 0) {
			rc = fail(l, err, "key rename", errno);
			goto out;
		}
		l->signer = ns;
		l->vk = nv;
		ns = old;
	}
	rc = write_key_history(l, seq, false, err);
out:
	if (rc != 0 && !appended && ns != NULL)
		unlink(newp);
	ho_signer_free(ns);
	free(xml);
	free(newp);
	return rc;
}

int ho_ledger_sign_note(ho_ledger *l, char **out, size_t *outlen, const char *text, size_t len,
                        ho_err *err)
{
	ho_signer *signers[1] = {l->signer};
	const char *names[1] = {l->origin};

	return ho_note_sign(out, outlen, text, len, signers, names, 1, err);
}

void ho_ledger_close(ho_ledger *l)
{
	if (l == NULL)
		return;
	if (!l->opts.read_only && !l->failed && l->seg_fd >= 0 && l->tree.size > 0 &&
	    l->cp_size != l->tree.size)
		(void)write_checkpoint(l, NULL, NULL); /* bench mode: sign what is there */
	if (!l->opts.read_only && !l->failed && l->cp != NULL && l->lock_fd >= 0) {
		char *path = ho_strfmt("%s/checkpoint", l->dir);
		if (path != NULL && ho_fs_write_atomic(path, l->cp, l->cp_len, 0644, NULL) != 0)
			l->failed = true; /* best effort: the checkpoint frame is the record */
		free(path);
	}
	if (l->seg_fd >= 0)
		close(l->seg_fd);
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	if (l->own_signer)
		ho_signer_free(l->signer);
	ho_merkle_hasher_free(l->h);
	free(l->cp);
	free(l->buf);
	free(l->dir);
	free(l->key_path);
	free(l);
}
