#include "core/ledger_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ledger_fmt.h"
#include "core/merkle.h"
#include "util/fs.h"

#define SEGMENT_READ_CAP (4ull << 30)
#define MAX_KNOWN_KEYS 64

typedef struct known_key {
	ho_note_verifier v;
	bool trusted;
} known_key;

typedef struct vstate {
	ho_ledger_verify_result *res;
	const ho_ledger_verify_opts *o;
	ho_merkle_hasher *h;
	ho_merkle tree;
	known_key keys[MAX_KNOWN_KEYS];
	size_t nkeys;
	uint8_t cur_keyid[4];
	bool have_keyid;
	uint64_t last_seq;
	bool have_kept;
	ho_checkpoint kept;
	bool kept_matched;
	bool pending_rot;
	uint8_t rot_old[4], rot_new[4];
	char *cp; /* last checkpoint bytes */
	size_t cp_len;
	uint64_t cp_size;
	bool last_was_cp;
	const char *seg;
	uint64_t off, frame;
} vstate;

static int bad(vstate *s, uint64_t seq, ho_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(vstate *s, uint64_t seq, ho_err *err, const char *fmt, ...)
{
	ho_ledger_verify_result *r = s->res;
	va_list ap;
	char what[300];

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	r->ok = false;
	snprintf(r->bad_segment, sizeof(r->bad_segment), "%s", s->seg ? s->seg : "-");
	r->bad_offset = s->off;
	r->bad_frame = s->frame;
	r->bad_seq = seq;
	if (s->seg != NULL) {
		if (seq != 0)
			snprintf(r->problem, sizeof(r->problem),
			         "segment %s, frame %" PRIu64 " at byte %" PRIu64
			         " (entry seq %" PRIu64 "): %s",
			         s->seg, s->frame, s->off, seq, what);
		else
			snprintf(r->problem, sizeof(r->problem),
			         "segment %s, frame %" PRIu64 " at byte %" PRIu64 ": %s", s->seg,
			         s->frame, s->off, what);
	} else {
		snprintf(r->problem, sizeof(r->problem), "%s", what);
	}
	return ho_err_set(err, HO_EVERIFY, "log verification FAILED: %s", r->problem);
}

static known_key *key_by_id(vstate *s, const uint8_t id[4])
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (memcmp(s->keys[i].v.keyhash, id, 4) == 0)
			return &s->keys[i];
	return NULL;
}

static known_key *learn_key(vstate *s, const ho_note_verifier *v, bool trusted)
{
	known_key *k = key_by_id(s, v->keyhash);

	if (k != NULL && memcmp(k->v.pub, v->pub, 32) == 0 && strcmp(k->v.name, v->name) == 0) {
		k->trusted |= trusted;
		return k;
	}
	if (k != NULL || s->nkeys == MAX_KNOWN_KEYS)
		return NULL; /* key-id collision or too many rotations: treat as unknown */
	k = &s->keys[s->nkeys++];
	k->v = *v;
	k->trusted = trusted;
	return k;
}

int ho_ledger_xml_detail(char *out, size_t outlen, const uint8_t *xml, size_t len, const char *type)
{
	char pat[96];
	const uint8_t *p, *v, *q;
	int n = snprintf(pat, sizeof(pat), "type=\"%s\" value=\"", type);
	long dl;

	if (n <= 0 || (size_t)n >= sizeof(pat) || outlen == 0)
		return HO_EINVAL;
	p = memmem(xml, len, pat, (size_t)n);
	if (p == NULL)
		return HO_ENOTFOUND;
	v = p + n;
	q = memchr(v, '"', len - (size_t)(v - xml));
	if (q == NULL)
		return HO_EFORMAT;
	dl = ho_b64_decode((uint8_t *)out, outlen - 1, (const char *)v, (size_t)(q - v));
	if (dl < 0)
		return HO_EFORMAT;
	out[dl] = '\0';
	return 0;
}

static int check_root(vstate *s, const uint8_t want[32], bool *eq)
{
	uint8_t root[32];

	if (ho_merkle_root(s->h, &s->tree, root) != 0)
		return HO_ECRYPTO;
	*eq = memcmp(root, want, 32) == 0;
	return 0;
}

static int on_entry(vstate *s, const ho_frame *f, ho_err *err)
{
	ho_envelope e;
	ho_ledger_entry info;
	uint64_t want = s->last_seq + 1;
	int rc;

	if (s->pending_rot)
		return bad(s, s->last_seq, err,
		           "a key rotation entry is not followed by its "
		           "checkpoint signed by both keys");
	if (ho_env_parse(&e, f->payload, f->len) != 0)
		return bad(s, 0, err, "the entry envelope is malformed");
	if (e.seq != want && !(e.kind == HO_LEDGER_RECOVERY && e.seq > want))
		return bad(s, e.seq, err,
		           "sequence number %" PRIu64 " where %" PRIu64
		           " was expected (entries removed, inserted or reordered)",
		           e.seq, want);
	if (e.kind == HO_LEDGER_KEY_ROTATION) {
		char vk[HO_NOTE_VKEY_MAX + 8];
		ho_note_verifier nv, ov;
		if (ho_ledger_xml_detail(vk, sizeof(vk), e.body, e.body_len,
		                         "HandoffNewVerifierKey") != 0 ||
		    ho_note_vkey_parse(&nv, vk, strlen(vk), NULL) != 0 ||
		    ho_ledger_xml_detail(vk, sizeof(vk), e.body, e.body_len,
		                         "HandoffOldVerifierKey") != 0 ||
		    ho_note_vkey_parse(&ov, vk, strlen(vk), NULL) != 0)
			return bad(s, e.seq, err, "the key rotation entry does not name both keys");
		if (memcmp(ov.keyhash, s->cur_keyid, 4) != 0 || memcmp(nv.keyhash, e.keyid, 4) != 0)
			return bad(s, e.seq, err,
			           "the key rotation entry names keys that do not "
			           "match the log's key ids");
		if (learn_key(s, &ov, false) == NULL || learn_key(s, &nv, false) == NULL)
			return bad(s, e.seq, err, "too many or colliding signing keys");
		memcpy(s->rot_old, ov.keyhash, 4);
		memcpy(s->rot_new, nv.keyhash, 4);
		s->pending_rot = true;
		s->res->rotations++;
	} else if (memcmp(e.keyid, s->cur_keyid, 4) != 0) {
		return bad(s, e.seq, err,
		           "the entry names signing key %02x%02x%02x%02x, but the "
		           "log's current key is %02x%02x%02x%02x",
		           e.keyid[0], e.keyid[1], e.keyid[2], e.keyid[3], s->cur_keyid[0],
		           s->cur_keyid[1], s->cur_keyid[2], s->cur_keyid[3]);
	}
	if (s->tree.size == 0 && e.kind == HO_LEDGER_APP_ACTIVITY) {
		/* The first entry names the first key: learn it (not trusted by itself). */
		char vk[HO_NOTE_VKEY_MAX + 8];
		ho_note_verifier v0;
		if (ho_ledger_xml_detail(vk, sizeof(vk), e.body, e.body_len, "HandoffLogCreated") ==
		        0 &&
		    ho_note_vkey_parse(&v0, vk, strlen(vk), NULL) == 0 &&
		    memcmp(v0.keyhash, e.keyid, 4) == 0)
			(void)learn_key(s, &v0, false);
	}
	memset(&info, 0, sizeof(info));
	if (ho_merkle_leaf_hash(s->h, info.leaf_hash, f->payload, f->len) != 0 ||
	    ho_merkle_push(s->h, &s->tree, info.leaf_hash) != 0)
		return ho_err_set(err, HO_ECRYPTO, "SHA-256 failed (OpenSSL)");
	if (s->res->entries == 0)
		s->res->first_seq = e.seq;
	s->res->entries++;
	s->res->last_seq = e.seq;
	s->last_seq = e.seq;
	memcpy(s->cur_keyid, e.keyid, 4);
	if (s->have_kept && s->tree.size == s->kept.size) {
		bool eq;
		if ((rc = check_root(s, s->kept.root, &eq)) != 0)
			return ho_err_set(err, rc, "SHA-256 failed (OpenSSL)");
		if (!eq)
			return bad(s, e.seq, err,
			           "the first %" PRIu64
			           " entries no longer match the checkpoint kept "
			           "from the last audit: the log was rewritten at or before this "
			           "entry",
			           s->kept.size);
		s->kept_matched = true;
	}
	if (s->o->fn != NULL) {
		info.segment = s->seg;
		info.offset = s->off;
		info.index = s->tree.size - 1;
		info.kind = e.kind;
		info.time_source = e.time_source;
		memcpy(info.keyid, e.keyid, 4);
		info.seq = e.seq;
		info.boot = e.boot;
		info.mono_ns = e.mono_ns;
		info.utc_ns = e.utc_ns;
		info.body = e.body;
		info.body_len = e.body_len;
		if ((rc = s->o->fn(s->o->ctx, &info)) != 0)
			return rc;
	}
	s->last_was_cp = false;
	return 0;
}

static int on_checkpoint(vstate *s, const ho_frame *f, ho_err *err)
{
	ho_note n;
	ho_checkpoint c;
	bool eq;
	char *copy;
	int rc;

	if (ho_note_parse(&n, (const char *)f->payload, f->len, NULL) != 0 ||
	    ho_checkpoint_parse(&c, n.text, n.text_len, NULL) != 0)
		return bad(s, 0, err, "the checkpoint is not a well-formed signed note");
	if (s->res->origin[0] == '\0')
		memcpy(s->res->origin, c.origin, sizeof(s->res->origin));
	else if (strcmp(s->res->origin, c.origin) != 0)
		return bad(s, 0, err, "the checkpoint origin '%s' differs from the log's '%s'",
		           c.origin, s->res->origin);
	if (c.size != s->tree.size)
		return bad(s, 0, err,
		           "the checkpoint claims %" PRIu64 " entries but %" PRIu64 " precede it",
		           c.size, s->tree.size);
	/* Every checkpoint's root is checked (cheap: popcount(size) - 1 hashes), so a
	 * forged intermediate checkpoint with a fixed-up CRC is still caught. */
	if ((rc = check_root(s, c.root, &eq)) != 0)
		return ho_err_set(err, rc, "SHA-256 failed (OpenSSL)");
	if (!eq)
		return bad(s, s->last_seq, err,
		           "the checkpoint's root hash does not match the "
		           "entries before it (an entry was altered)");
	if (s->pending_rot) {
		known_key *ko = key_by_id(s, s->rot_old), *kn = key_by_id(s, s->rot_new);
		if (ko == NULL || kn == NULL || ho_note_verify(&n, &ko->v) != 0 ||
		    ho_note_verify(&n, &kn->v) != 0)
			return bad(s, s->last_seq, err,
			           "the key rotation checkpoint is not validly "
			           "signed by both the old and the new key");
		/* Both keys vouch for the same tree: trust flows either way. */
		if (ko->trusted || kn->trusted)
			ko->trusted = kn->trusted = true;
		s->pending_rot = false;
	} else if (s->o->all_signatures) {
		known_key *k = key_by_id(s, s->cur_keyid);
		if (k != NULL && ho_note_verify(&n, &k->v) != 0)
			return bad(s, s->last_seq, err, "the checkpoint signature is not valid");
	}
	if ((copy = malloc(f->len)) == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	memcpy(copy, f->payload, f->len);
	free(s->cp);
	s->cp = copy;
	s->cp_len = f->len;
	s->cp_size = c.size;
	s->res->checkpoints++;
	s->last_was_cp = true;
	return 0;
}

static const char *frame_problem(enum ho_frame_status st, bool at_end)
{
	switch (st) {
	case HO_FRAME_SHORT:
		return at_end ? "the last frame is cut short (torn write or truncated copy)"
		              : "the frame is cut short";
	case HO_FRAME_BADLEN:
		return "the frame length is invalid (bytes altered)";
	case HO_FRAME_BADCRC:
		return "the frame's CRC-32C does not match (bytes altered)";
	case HO_FRAME_BADTYPE:
		return "the frame type is unknown";
	default:
		return "bad frame";
	}
}

static int verify_segment(vstate *s, const char *dir, const char *name, bool is_last, bool is_first,
                          ho_err *err)
{
	char *path = ho_strfmt("%s/%s", dir, name), expect[HO_SEG_NAME_LEN + 1];
	int fd = -1, rc = 0;
	struct stat st;
	uint8_t *p = NULL;
	size_t len = 0, off;
	ho_seg_hdr hdr;

	s->seg = name;
	s->off = 0;
	s->frame = 0;
	if (path == NULL)
		return ho_err_set(err, HO_ENOMEM, "out of memory");
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
		rc = ho_err_set(err, HO_EIO, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > SEGMENT_READ_CAP) {
		rc = bad(s, 0, err, "the segment is not a regular file or is too large");
		goto out;
	}
	len = (size_t)st.st_size;
	if (len > 0) {
		p = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (p == MAP_FAILED) {
			p = NULL;
			rc = ho_err_set(err, HO_EIO, "cannot map %s: %s", path, strerror(errno));
			goto out;
		}
		(void)madvise(p, len, MADV_SEQUENTIAL);
	}
	s->res->bytes += len;
	if (ho_seg_hdr_parse(&hdr, p, len) != 0) {
		rc = bad(s, 0, err, "the segment header is damaged");
		goto out;
	}
	ho_seg_name(expect, hdr.first_seq);
	if (strcmp(expect, name) != 0 || hdr.first_seq <= s->last_seq ||
	    (is_first && hdr.first_seq != 1)) {
		rc = bad(s, 0, err,
		         "the segment header says it starts at entry seq %" PRIu64
		         ", which does not fit its name or the previous segment",
		         hdr.first_seq);
		goto out;
	}
	if (hdr.tree_size != s->tree.size || hdr.tree.npeaks != s->tree.npeaks ||
	    (hdr.tree.npeaks > 0 &&
	     memcmp(hdr.tree.peaks, s->tree.peaks, 32 * (size_t)hdr.tree.npeaks) != 0)) {
		rc = bad(s, 0, err,
		         "the segment header's tree state does not match the entries "
		         "before it (a segment is missing, extra or altered)");
		goto out;
	}
	if (is_first)
		memcpy(s->cur_keyid, hdr.keyid, 4);
	else if (memcmp(hdr.keyid, s->cur_keyid, 4) != 0) {
		rc = bad(s, 0, err, "the segment header names a different signing key");
		goto out;
	}
	off = hdr.hdr_len;
	{
		bool first_entry = true;
		while (off < len) {
			ho_frame f;
			enum ho_frame_status fs = ho_frame_parse(&f, p + off, len - off);
			s->off = off;
			/* show/report may run while the kiosk appends: an append in progress
			 * at the very end is not damage for them (verify still insists). */
			if (fs == HO_FRAME_SHORT && is_last && s->o->structure_only)
				break;
			if (fs != HO_FRAME_OK) {
				rc = bad(s, 0, err, "%s", frame_problem(fs, is_last));
				goto out;
			}
			if (f.type == HO_FRAME_ENTRY) {
				if (first_entry && f.len >= 16 &&
				    ho_le64(f.payload + 8) != hdr.first_seq) {
					rc = bad(
					    s, ho_le64(f.payload + 8), err,
					    "the first entry's sequence number does not match the "
					    "segment header");
					goto out;
				}
				first_entry = false;
				rc = on_entry(s, &f, err);
			} else {
				rc = on_checkpoint(s, &f, err);
			}
			if (rc != 0)
				goto out;
			off += f.total;
			s->frame++;
		}
	}
	s->off = off;
	s->res->segments++;
out:
	if (p != NULL)
		munmap(p, len);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int ho_ledger_verify(ho_ledger_verify_result *res, const char *dir,
                     const ho_ledger_verify_opts *opts, ho_err *err)
{
	vstate s;
	char **segs = NULL;
	size_t nsegs = 0;
	int rc;
	ho_note kn;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	s.res = res;
	s.o = opts;
	if (opts == NULL || opts->version != HO_LEDGER_VERIFY_OPTS_VERSION)
		return ho_err_set(err, HO_EINVAL, "verify options of an unknown version");
	if (!opts->structure_only && opts->n_keys == 0)
		return ho_err_set(err, HO_EINVAL,
		                  "verification needs the kiosk's public key (from "
		                  "the asset register): --key FILE");
	if (ho_merkle_hasher_new(&s.h) != 0)
		return ho_err_set(err, HO_ECRYPTO, "cannot set up SHA-256 (OpenSSL)");
	ho_merkle_init(&s.tree);
	for (size_t i = 0; i < opts->n_keys; i++)
		(void)learn_key(&s, &opts->keys[i], true);
	if (opts->kept != NULL) {
		if (ho_note_parse(&kn, opts->kept, opts->kept_len, NULL) != 0 ||
		    ho_checkpoint_parse(&s.kept, kn.text, kn.text_len, NULL) != 0) {
			rc = ho_err_set(err, HO_EFORMAT,
			                "the kept checkpoint is not a valid signed "
			                "checkpoint");
			goto out;
		}
		s.have_kept = true;
	}
	if ((rc = ho_seg_list(&segs, &nsegs, dir, err)) != 0)
		goto out;
	if (nsegs == 0) {
		rc = bad(&s, 0, err, "there are no log segments in %s", dir);
		goto out;
	}
	for (size_t i = 0; i < nsegs; i++)
		if ((rc = verify_segment(&s, dir, segs[i], i + 1 == nsegs, i == 0, err)) != 0)
			goto out;
	res->tree_size = s.tree.size;
	if (ho_merkle_root(s.h, &s.tree, res->root) != 0) {
		rc = ho_err_set(err, HO_ECRYPTO, "SHA-256 failed");
		goto out;
	}
	s.seg = NULL;
	if (s.tree.size == 0) {
		rc = bad(&s, 0, err, "the log has no entries");
		goto out;
	}
	if ((!s.last_was_cp || s.cp_size != s.tree.size) && !opts->structure_only) {
		rc = bad(&s, s.last_seq, err,
		         "the log ends with entries not covered by a signed checkpoint (entry seq "
		         "%" PRIu64 " is the last one; the kiosk signs a missing checkpoint at its "
		         "next start)",
		         s.last_seq);
		goto out;
	}
	if (s.have_kept) {
		if (strcmp(s.kept.origin, res->origin) != 0) {
			rc = bad(&s, 0, err,
			         "the kept checkpoint is for another log ('%s', this "
			         "log is '%s')",
			         s.kept.origin, res->origin);
			goto out;
		}
		if (s.kept.size > s.tree.size) {
			rc = bad(&s, 0, err,
			         "the log was truncated: the kept checkpoint covers %" PRIu64
			         " entries but the log now has only %" PRIu64,
			         s.kept.size, s.tree.size);
			goto out;
		}
		if (s.kept.size == 0)
			s.kept_matched = true;
		if (!s.kept_matched) {
			rc = bad(&s, 0, err, "the log does not contain the kept checkpoint's tree");
			goto out;
		}
		/* The kept checkpoint must carry a valid signature by a key of this log. */
		{
			bool ok = false;
			for (size_t i = 0; i < s.nkeys && !ok; i++)
				ok = ho_note_verify(&kn, &s.keys[i].v) == 0;
			if (!ok) {
				rc = bad(&s, 0, err,
				         "the kept checkpoint is not signed by any key "
				         "of this log");
				goto out;
			}
		}
	}
	res->checkpoint = s.cp;
	res->checkpoint_len = s.cp_len;
	s.cp = NULL;
	if (!opts->structure_only) {
		ho_note n;
		bool ok = false;
		if (ho_note_parse(&n, res->checkpoint, res->checkpoint_len, NULL) != 0) {
			rc = bad(&s, 0, err, "the latest checkpoint is malformed");
			goto out;
		}
		for (size_t i = 0; i < s.nkeys && !ok; i++) {
			if (!s.keys[i].trusted)
				continue;
			if (ho_note_verify(&n, &s.keys[i].v) == 0) {
				ok = true;
				ho_note_vkey(res->signer, sizeof(res->signer), &s.keys[i].v);
			}
		}
		if (!ok) {
			rc =
			    bad(&s, s.last_seq, err,
			        "the latest checkpoint (%" PRIu64 " entries) is not validly signed "
			        "by the given public key (or by a key it handed over to); the log "
			        "is forged or the wrong key was given",
			        s.tree.size);
			goto out;
		}
	}
	res->ok = true;
	rc = 0;
out:
	if (rc != 0 && rc != HO_EVERIFY && res->problem[0] == '\0')
		snprintf(res->problem, sizeof(res->problem), "%s", err ? err->msg : "error");
	free(s.cp);
	ho_seg_list_free(segs, nsegs);
	ho_merkle_hasher_free(s.h);
	return rc;
}

void ho_ledger_verify_result_free(ho_ledger_verify_result *res)
{
	if (res == NULL)
		return;
	free(res->checkpoint);
	res->checkpoint = NULL;
}

int ho_ledger_walk(const char *dir, ho_ledger_walk_fn fn, void *ctx, ho_err *err)
{
	ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
	ho_ledger_verify_result r;
	int rc;

	o.structure_only = true;
	o.fn = fn;
	o.ctx = ctx;
	rc = ho_ledger_verify(&r, dir, &o, err);
	ho_ledger_verify_result_free(&r);
	return rc;
}

int ho_ledger_read_vkey(ho_note_verifier *v, const char *path, ho_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = ho_fs_read_all(path, 4096, &buf, &len, err)) != 0)
		return rc;
	rc = ho_note_vkey_parse(v, (const char *)buf, len, err);
	free(buf);
	return rc;
}

/* Copies the value of attr="..." found inside [tag, tag end) into out, unescaping the
 * five XML entities. */
static void copy_attr(char *out, size_t outlen, const char *tag, const char *end, const char *attr)
{
	char pat[64];
	const char *p, *q;
	size_t o = 0;
	int n = snprintf(pat, sizeof(pat), " %s=\"", attr);

	out[0] = '\0';
	if (n <= 0 || (size_t)n >= sizeof(pat))
		return;
	p = memmem(tag, (size_t)(end - tag), pat, (size_t)n);
	if (p == NULL)
		return;
	p += n;
	q = memchr(p, '"', (size_t)(end - p));
	if (q == NULL)
		return;
	while (p < q && o + 1 < outlen) {
		static const struct {
			const char *ent;
			char c;
		} ents[] = {{"&amp;", '&'},
		            {"&lt;", '<'},
		            {"&gt;", '>'},
		            {"&quot;", '"'},
		            {"&apos;", '\''}};
		bool done = false;
		if (*p == '&') {
			for (size_t i = 0; i < 5 && !done; i++) {
				size_t el = strlen(ents[i].ent);
				if ((size_t)(q - p) >= el && memcmp(p, ents[i].ent, el) == 0) {
					out[o++] = ents[i].c;
					p += el;
					done = true;
				}
			}
		}
		if (!done)
			out[o++] = *p++;
	}
	out[o] = '\0';
}

/* Finds the next "<name" tag at or after p; returns its start and sets *end to '>'. */
static const char *find_tag(const char *p, const char *lim, const char *name, const char **end)
{
	size_t nl = strlen(name);

	while (p < lim) {
		const char *t = memchr(p, '<', (size_t)(lim - p));
		if (t == NULL)
			return NULL;
		if ((size_t)(lim - t) > nl + 1 && memcmp(t + 1, name, nl) == 0 &&
		    (t[nl + 1] == ' ' || t[nl + 1] == '>' || t[nl + 1] == '/')) {
			const char *e = memchr(t, '>', (size_t)(lim - t));
			if (e == NULL)
				return NULL;
			*end = e;
			return t;
		}
		p = t + 1;
	}
	return NULL;
}

void ho_ledger_summarize(ho_ledger_summary *s, const uint8_t *xml, size_t len)
{
	const char *b = (const char *)xml, *lim = b + len, *t, *e, *p;
	char tmp[16];

	memset(s, 0, sizeof(*s));
	if ((t = find_tag(b, lim, "EventIdentification", &e)) != NULL) {
		copy_attr(tmp, sizeof(tmp), t, e, "EventOutcomeIndicator");
		s->outcome = (int)strtol(tmp, NULL, 10);
	}
	if ((t = find_tag(b, lim, "EventID", &e)) != NULL) {
		copy_attr(s->event_code, sizeof(s->event_code), t, e, "csd-code");
		copy_attr(s->event, sizeof(s->event), t, e, "originalText");
	}
	if ((t = find_tag(b, lim, "EventTypeCode", &e)) != NULL)
		copy_attr(s->type, sizeof(s->type), t, e, "originalText");
	if ((t = find_tag(b, lim, "EventOutcomeDescription", &e)) != NULL) {
		const char *q = memmem(e, (size_t)(lim - e), "</", 2);
		size_t n = q ? (size_t)(q - e - 1) : 0;
		if (n >= sizeof(s->desc))
			n = sizeof(s->desc) - 1;
		memcpy(s->desc, e + 1, n);
		s->desc[n] = '\0';
	}
	for (p = b; (t = find_tag(p, lim, "ActiveParticipant", &e)) != NULL; p = e) {
		const char *close = memmem(e, (size_t)(lim - e), "</ActiveParticipant>", 20);
		if (s->user[0] == '\0' &&
		    memmem(t, (size_t)(e - t), "UserIsRequestor=\"true\"", 22))
			copy_attr(s->user, sizeof(s->user), t, e, "UserID");
		if (s->medium[0] == '\0' && close != NULL &&
		    memmem(e, (size_t)(close - e), "<MediaIdentifier>", 17) != NULL)
			copy_attr(s->medium, sizeof(s->medium), t, e, "UserID");
	}
	for (p = b; (t = find_tag(p, lim, "ParticipantObjectIdentification", &e)) != NULL; p = e) {
		const char *nx =
		    memmem(e, (size_t)(lim - e), "</ParticipantObjectIdentification>", 34);
		if (nx == NULL)
			break;
		if (memmem(t, (size_t)(e - t), "ParticipantObjectTypeCodeRole=\"1\"", 33) &&
		    s->patient[0] == '\0')
			copy_attr(s->patient, sizeof(s->patient), t, e, "ParticipantObjectID");
		if (memmem(e, (size_t)(nx - e), "csd-code=\"110180\"", 17) &&
		    memmem(t, (size_t)(e - t), "ParticipantObjectDataLifeCycle=\"10\"", 35))
			s->studies++;
	}
}
