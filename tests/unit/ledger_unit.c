/* Unit tests for the signed log: formats, round trip, tamper detection, recovery.
 * Usage: ledger_unit <test> <scratch dir>; each test is registered separately. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/crc32c.h"
#include "core/ledger.h"
#include "core/ledger_fmt.h"
#include "core/ledger_verify.h"
#include "core/merkle.h"
#include "core/note.h"
#include "core/signer.h"
#include "util/fs.h"

static int failures;
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c);      \
			failures++;                                                                \
		}                                                                                  \
	} while (0)
#define CHECK_RC(expr, want)                                                                       \
	do {                                                                                       \
		ho_err e_ = HO_ERR_INIT;                                                           \
		int rc_ = (expr);                                                                  \
		(void)e_;                                                                          \
		if (rc_ != (want)) {                                                               \
			fprintf(stderr, "%s:%d: %s returned %d, want %d\n", __FILE__, __LINE__,    \
			        #expr, rc_, want);                                                 \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

static char *scratch;

static char *path_in(const char *name)
{
	return ho_strfmt("%s/%s", scratch, name);
}

static void hexs(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static int t_crc(void)
{
	CHECK(ho_crc32c(0, "123456789", 9) == 0xE3069283u);
	CHECK(ho_crc32c(ho_crc32c(0, "1234", 4), "56789", 5) == 0xE3069283u);
	{
		uint8_t z[32] = {0};
		CHECK(ho_crc32c(0, z, 32) == 0x8A9136AAu); /* RFC 3720 B.4 */
	}
	return 0;
}

/* Reference RFC 9162 MTH by recursion, to check the compact range. */
static void mth(ho_merkle_hasher *h, uint8_t (*leaves)[32], size_t n, uint8_t out[32])
{
	size_t k = 1;
	uint8_t l[32], r[32];

	if (n == 1) {
		memcpy(out, leaves[0], 32);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	mth(h, leaves, k, l);
	mth(h, leaves + k, n - k, r);
	if (ho_merkle_node_hash(h, out, l, r) != 0)
		abort();
}

static int t_merkle(void)
{
	ho_merkle_hasher *h;
	ho_merkle m;
	uint8_t leaves[70][32], a[32], b[32];
	char hx[65];

	CHECK(ho_merkle_hasher_new(&h) == 0);
	ho_merkle_init(&m);
	CHECK(ho_merkle_root(h, &m, a) == 0);
	hexs(hx, a, 32);
	CHECK(strcmp(hx, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
	/* RFC 9162 2.1.1: leaf hash of the empty string. */
	CHECK(ho_merkle_leaf_hash(h, a, "", 0) == 0);
	hexs(hx, a, 32);
	CHECK(strcmp(hx, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d") == 0);
	for (int i = 0; i < 70; i++) {
		uint8_t d = (uint8_t)i;
		CHECK(ho_merkle_leaf_hash(h, leaves[i], &d, 1) == 0);
		CHECK(ho_merkle_push(h, &m, leaves[i]) == 0);
		CHECK(ho_merkle_root(h, &m, a) == 0);
		mth(h, leaves, (size_t)i + 1, b);
		CHECK(memcmp(a, b, 32) == 0);
		CHECK(m.npeaks == (unsigned)__builtin_popcountll(m.size));
	}
	ho_merkle_hasher_free(h);
	return 0;
}

static int t_note(void)
{
	ho_signer *s = NULL;
	char *kp = path_in("note.key"), *note = NULL, vk[HO_NOTE_VKEY_MAX];
	size_t nl = 0;
	ho_note n;
	ho_note_verifier v, v2;
	ho_checkpoint c;
	uint8_t root[32];
	ho_err err = HO_ERR_INIT;
	const char *name = "example.com/log";
	char text[256];
	size_t tl;

	memset(root, 0xab, 32);
	unlink(kp);
	CHECK(ho_signer_open_file(&s, kp, true, &err) == 0);
	{
		struct stat st;
		CHECK(stat(kp, &st) == 0 && (st.st_mode & 0777) == 0600);
	}
	CHECK(ho_checkpoint_format(text, sizeof(text), &tl, name, 42, root) == 0);
	{
		ho_signer *ss[1] = {s};
		const char *nn[1] = {name};
		CHECK(ho_note_sign(&note, &nl, text, tl, ss, nn, 1, &err) == 0);
	}
	CHECK(ho_note_parse(&n, note, nl, &err) == 0);
	CHECK(n.nsigs == 1 && n.text_len == tl);
	CHECK(ho_checkpoint_parse(&c, n.text, n.text_len, &err) == 0);
	CHECK(c.size == 42 && strcmp(c.origin, name) == 0 && memcmp(c.root, root, 32) == 0);
	CHECK(ho_note_verifier_make(&v, name, ho_signer_public(s)) == 0);
	CHECK(ho_note_verify(&n, &v) == 0);
	CHECK(ho_note_vkey(vk, sizeof(vk), &v) == 0);
	CHECK(ho_note_vkey_parse(&v2, vk, strlen(vk), &err) == 0);
	CHECK(memcmp(&v, &v2, sizeof(v)) == 0);
	/* Forgery: change the tree size in the text; the signature must fail. */
	note[strlen(name) + 1] = '9';
	CHECK(ho_note_parse(&n, note, nl, &err) == 0);
	CHECK(ho_note_verify(&n, &v) == HO_ECRYPTO);
	/* Malformed notes. */
	CHECK(ho_note_parse(&n, "abc\n", 4, NULL) != 0);
	CHECK(ho_note_parse(&n, "abc\n\n", 5, NULL) != 0);
	CHECK(ho_checkpoint_parse(&c, "o\n01\nAAAA\n", 10, NULL) != 0);
	/* Key file permissions: a group-readable key is refused. */
	ho_signer_free(s);
	s = NULL;
	CHECK(chmod(kp, 0640) == 0);
	CHECK(ho_signer_open_file(&s, kp, false, NULL) == HO_ESTATE);
	/* A symlink is refused. */
	{
		char *ln = path_in("note.key.link");
		unlink(ln);
		CHECK(symlink(kp, ln) == 0);
		CHECK(ho_signer_open_file(&s, ln, false, NULL) == HO_ESTATE);
		unlink(ln);
		free(ln);
	}
	free(note);
	free(kp);
	return 0;
}

/* ---- log helpers ---- */

static char *logdir(const char *name)
{
	char *d = path_in(name);
	CHECK(ho_fs_rm_rf(d) == 0);
	return d;
}

static ho_ledger *open_log(const char *dir)
{
	ho_ledger_opts o = HO_LEDGER_OPTS_INIT;
	ho_ledger *l = NULL;
	ho_err err = HO_ERR_INIT;

	o.origin = "test.kiosk/unit";
	o.fixed_utc_ns = 1767225600000000000LL; /* 2026-01-01 */
	if (ho_ledger_open(&l, dir, &o, &err) != 0) {
		fprintf(stderr, "open %s: %s\n", dir, err.msg);
		failures++;
	}
	return l;
}

static int append_n(ho_ledger *l, int n, int base)
{
	for (int i = 0; i < n; i++) {
		char xml[200];
		ho_err err = HO_ERR_INIT;
		int len = snprintf(xml, sizeof(xml), "<AuditMessage n=\"%d\"/>", base + i);
		if (ho_ledger_append(l, HO_LEDGER_AUTH, xml, (size_t)len, NULL, &err) != 0) {
			fprintf(stderr, "append: %s\n", err.msg);
			failures++;
			return -1;
		}
	}
	return 0;
}

static int verify(const char *dir, const ho_note_verifier *v, const char *kept, size_t kept_len,
                  ho_ledger_verify_result *r)
{
	ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
	ho_err err = HO_ERR_INIT;

	o.keys = v;
	o.n_keys = 1;
	o.kept = kept;
	o.kept_len = kept_len;
	return ho_ledger_verify(r, dir, &o, &err);
}

static void get_vk(ho_ledger *l, ho_note_verifier *v)
{
	char vk[HO_NOTE_VKEY_MAX];
	CHECK(ho_ledger_vkey(l, vk, sizeof(vk)) == 0);
	CHECK(ho_note_vkey_parse(v, vk, strlen(vk), NULL) == 0);
}

static int t_roundtrip(void)
{
	char *d = logdir("rt");
	ho_ledger *l = open_log(d);
	ho_note_verifier v;
	ho_ledger_verify_result r;
	ho_ledger_receipt rc;
	ho_err err = HO_ERR_INIT;

	if (l == NULL)
		return 1;
	get_vk(l, &v);
	CHECK(ho_ledger_size(l) == 1); /* genesis */
	CHECK(append_n(l, 10, 0) == 0);
	CHECK(ho_ledger_append(l, HO_LEDGER_EXPORT, "<x/>", 4, &rc, &err) == 0);
	CHECK(rc.seq == 12 && rc.tree_size == 12);
	CHECK(strcmp(rc.origin, "test.kiosk/unit") == 0);
	ho_ledger_close(l);
	l = open_log(d);
	CHECK(ho_ledger_next_seq(l) == 13);
	CHECK(!ho_ledger_recovery_info(l)->torn_tail);
	CHECK(append_n(l, 5, 100) == 0);
	ho_ledger_close(l);
	CHECK(verify(d, &v, NULL, 0, &r) == 0);
	CHECK(r.ok && r.entries == 17 && r.last_seq == 17 && r.tree_size == 17);
	ho_ledger_verify_result_free(&r);
	/* Wrong key: must fail. */
	{
		ho_note_verifier w = v;
		w.pub[0] ^= 1;
		ho_note_keyhash(w.keyhash, w.name, w.pub);
		CHECK(verify(d, &w, NULL, 0, &r) == HO_EVERIFY);
		ho_ledger_verify_result_free(&r);
	}
	free(d);
	return 0;
}

static int read_seg(const char *dir, char **path, uint8_t **buf, size_t *len)
{
	char **segs;
	size_t n;
	int rc;

	if (ho_seg_list(&segs, &n, dir, NULL) != 0 || n == 0)
		return -1;
	*path = ho_strfmt("%s/%s", dir, segs[n - 1]);
	ho_seg_list_free(segs, n);
	rc = ho_fs_read_all(*path, 1 << 24, buf, len, NULL);
	return rc;
}

static int write_file(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600), rc;

	if (fd < 0)
		return -1;
	rc = ho_fs_write_full(fd, buf, len);
	close(fd);
	return rc;
}

/* Every single-byte change of a small log must be detected. */
static int t_bitflip(void)
{
	char *d = logdir("flip"), *seg = NULL;
	ho_ledger *l = open_log(d);
	ho_note_verifier v;
	ho_ledger_verify_result r;
	uint8_t *buf = NULL;
	size_t len = 0, undetected = 0;

	if (l == NULL)
		return 1;
	get_vk(l, &v);
	CHECK(append_n(l, 4, 0) == 0);
	ho_ledger_close(l);
	CHECK(read_seg(d, &seg, &buf, &len) == 0);
	CHECK(verify(d, &v, NULL, 0, &r) == 0);
	ho_ledger_verify_result_free(&r);
	for (size_t i = 0; i < len; i++) {
		for (int delta = 1; delta <= 0x80; delta <<= 7) { /* low and high bit */
			buf[i] ^= (uint8_t)delta;
			CHECK(write_file(seg, buf, len) == 0);
			if (verify(d, &v, NULL, 0, &r) != HO_EVERIFY) {
				fprintf(stderr, "byte %zu ^%02x not detected\n", i, delta);
				undetected++;
			}
			ho_ledger_verify_result_free(&r);
			buf[i] ^= (uint8_t)delta;
		}
	}
	CHECK(undetected == 0);
	printf("bitflip: %zu bytes x 2 changes, %zu undetected\n", len, undetected);
	CHECK(write_file(seg, buf, len) == 0);
	CHECK(verify(d, &v, NULL, 0, &r) == 0);
	ho_ledger_verify_result_free(&r);
	free(buf);
	free(seg);
	free(d);
	return 0;
}

/* Truncation, rewrite and reordering against a kept checkpoint. */
static int t_kept(void)
{
	char *d = logdir("kept"), *seg = NULL, *kept = NULL;
	ho_ledger *l = open_log(d);
	ho_note_verifier v;
	ho_ledger_verify_result r;
	uint8_t *buf = NULL;
	size_t len = 0, kl = 0;
	ho_err err = HO_ERR_INIT;

	if (l == NULL)
		return 1;
	get_vk(l, &v);
	CHECK(append_n(l, 6, 0) == 0);
	CHECK(ho_ledger_checkpoint(l, &kept, &kl, &err) == 0); /* the auditor keeps this */
	CHECK(append_n(l, 3, 50) == 0);
	ho_ledger_close(l);
	CHECK(verify(d, &v, kept, kl, &r) == 0);
	ho_ledger_verify_result_free(&r);
	CHECK(read_seg(d, &seg, &buf, &len) == 0);

	/* Truncation to a consistent earlier state: the attacker cuts the log after entry 4
	 * and its checkpoint. Without the kept checkpoint it verifies (it is a valid older
	 * log); with it, truncation is reported. */
	{
		ho_seg_hdr h;
		size_t off, cut = 0;
		int entries = 0;
		CHECK(ho_seg_hdr_parse(&h, buf, len) == 0);
		off = h.hdr_len;
		while (off < len) {
			ho_frame f;
			CHECK(ho_frame_parse(&f, buf + off, len - off) == HO_FRAME_OK);
			off += f.total;
			if (f.type == HO_FRAME_ENTRY)
				entries++;
			if (f.type == HO_FRAME_CHECKPOINT && entries == 4)
				cut = off;
		}
		CHECK(cut > 0);
		CHECK(write_file(seg, buf, cut) == 0);
		CHECK(verify(d, &v, NULL, 0, &r) == 0);
		ho_ledger_verify_result_free(&r);
		CHECK(verify(d, &v, kept, kl, &r) == HO_EVERIFY);
		CHECK(strstr(r.problem, "truncated") != NULL);
		printf("truncation: %s\n", r.problem);
		ho_ledger_verify_result_free(&r);
	}
	/* Rewrite: rebuild a log from scratch with the same key and origin but different
	 * content (an insider with the key file); the kept checkpoint exposes it. */
	{
		char *kp = ho_strfmt("%s/signing.key", d), *kp2 = path_in("kept.key");
		uint8_t *kb = NULL;
		size_t kbl = 0;
		CHECK(ho_fs_read_all(kp, 4096, &kb, &kbl, NULL) == 0);
		CHECK(ho_fs_rm_rf(d) == 0);
		CHECK(ho_fs_mkdir_p(d, 0700) == 0);
		CHECK(ho_fs_write_atomic(kp, kb, kbl, 0600, NULL) == 0);
		l = open_log(d);
		CHECK(append_n(l, 5, 0) == 0);
		CHECK(ho_ledger_append(l, HO_LEDGER_AUTH, "<forged/>", 9, NULL, &err) == 0);
		CHECK(append_n(l, 3, 50) == 0);
		ho_ledger_close(l);
		CHECK(verify(d, &v, NULL, 0, &r) == 0); /* signed by the real key... */
		ho_ledger_verify_result_free(&r);
		CHECK(verify(d, &v, kept, kl, &r) == HO_EVERIFY); /* ...but not the same log */
		CHECK(strstr(r.problem, "rewritten") != NULL);
		printf("rewrite: %s\n", r.problem);
		ho_ledger_verify_result_free(&r);
		free(kb);
		free(kp);
		free(kp2);
	}
	/* Reordering: swap two entry frames (with their checkpoints) in the original. */
	{
		ho_seg_hdr h;
		size_t off, starts[32], sizes[32];
		int n = 0;
		uint8_t *tmp = malloc(len);
		CHECK(ho_seg_hdr_parse(&h, buf, len) == 0);
		off = h.hdr_len;
		while (off < len && n < 32) {
			ho_frame f;
			CHECK(ho_frame_parse(&f, buf + off, len - off) == HO_FRAME_OK);
			if (f.type == HO_FRAME_ENTRY) {
				starts[n] = off;
				sizes[n] = f.total;
				n++;
			}
			off += f.total;
		}
		/* Swap entry frames 2 and 3 (same sizes: both "<AuditMessage n=.../>"). */
		CHECK(sizes[2] == sizes[3]);
		memcpy(tmp, buf, len);
		memcpy(tmp + starts[2], buf + starts[3], sizes[3]);
		memcpy(tmp + starts[3], buf + starts[2], sizes[2]);
		CHECK(ho_fs_rm_rf(d) == 0);
		CHECK(ho_fs_mkdir_p(d, 0700) == 0);
		CHECK(write_file(seg, tmp, len) == 0);
		CHECK(verify(d, &v, NULL, 0, &r) == HO_EVERIFY);
		printf("reorder: %s\n", r.problem);
		CHECK(strstr(r.problem, "sequence") != NULL || strstr(r.problem, "root") != NULL);
		ho_ledger_verify_result_free(&r);
		free(tmp);
	}
	free(kept);
	free(buf);
	free(seg);
	free(d);
	return 0;
}

/* Torn tails at every cut point of the last append are recovered, quarantined and
 * recorded; nothing before them is lost. */
static int t_torn(void)
{
	char *d = logdir("torn"), *seg = NULL;
	ho_ledger *l = open_log(d);
	ho_note_verifier v;
	ho_ledger_verify_result r;
	uint8_t *full = NULL, *base = NULL;
	size_t flen = 0, blen = 0;

	if (l == NULL)
		return 1;
	get_vk(l, &v);
	CHECK(append_n(l, 3, 0) == 0);
	ho_ledger_close(l);
	CHECK(read_seg(d, &seg, &base, &blen) == 0);
	l = open_log(d);
	CHECK(append_n(l, 1, 9) == 0);
	ho_ledger_close(l);
	free(seg);
	CHECK(read_seg(d, &seg, &full, &flen) == 0);
	CHECK(flen > blen);
	for (size_t cut = blen; cut < flen; cut += 7) {
		ho_err err = HO_ERR_INIT;
		const ho_ledger_recovery *rec;
		CHECK(write_file(seg, full, cut) == 0);
		{
			char *q = ho_strfmt("%s/quarantine", d);
			CHECK(ho_fs_rm_rf(q) == 0);
			free(q);
		}
		l = open_log(d);
		if (l == NULL) {
			fprintf(stderr, "cut %zu: %s\n", cut, err.msg);
			continue;
		}
		rec = ho_ledger_recovery_info(l);
		if (cut == blen) {
			CHECK(!rec->torn_tail);
		} else {
			/* Either the entry survived (checkpoint re-signed) or it was cut. */
			CHECK(rec->torn_tail || rec->checkpoint_signed);
			if (rec->torn_tail) {
				CHECK(rec->recovery_seq == 5 || rec->recovery_seq == 6);
				CHECK(access(rec->quarantine, R_OK) == 0);
			}
		}
		ho_ledger_close(l);
		CHECK(verify(d, &v, NULL, 0, &r) == 0);
		if (!r.ok)
			fprintf(stderr, "cut %zu: %s\n", cut, r.problem);
		CHECK(r.entries >= 4);
		ho_ledger_verify_result_free(&r);
	}
	/* Damage in the middle is not a torn tail: open refuses. */
	{
		ho_ledger_opts o = HO_LEDGER_OPTS_INIT;
		ho_err err = HO_ERR_INIT;
		full[blen - 40] ^= 0x55;
		CHECK(write_file(seg, full, flen) == 0);
		o.origin = "test.kiosk/unit";
		CHECK(ho_ledger_open(&l, d, &o, &err) == HO_EFORMAT);
		printf("mid-log damage: %s\n", err.msg);
	}
	free(full);
	free(base);
	free(seg);
	free(d);
	return 0;
}

static int t_rotate(void)
{
	char *d = logdir("rot");
	ho_ledger *l = open_log(d);
	ho_note_verifier v0, v1;
	ho_ledger_verify_result r;
	ho_err err = HO_ERR_INIT;

	if (l == NULL)
		return 1;
	get_vk(l, &v0);
	CHECK(append_n(l, 3, 0) == 0);
	CHECK(ho_ledger_rotate_key(l, "admin1", NULL, &err) == 0);
	get_vk(l, &v1);
	CHECK(memcmp(v0.pub, v1.pub, 32) != 0);
	CHECK(append_n(l, 3, 10) == 0);
	ho_ledger_close(l);
	l = open_log(d);
	CHECK(append_n(l, 1, 20) == 0);
	ho_ledger_close(l);
	/* The auditor may hold the old key (chain of custody through the rotation) or the
	 * new one (the whole tree is under the new key's signature). */
	CHECK(verify(d, &v0, NULL, 0, &r) == 0);
	CHECK(r.rotations == 1);
	ho_ledger_verify_result_free(&r);
	CHECK(verify(d, &v1, NULL, 0, &r) == 0);
	ho_ledger_verify_result_free(&r);
	{
		char *kh = ho_strfmt("%s/keys", d);
		uint8_t *b = NULL;
		size_t bl = 0;
		CHECK(ho_fs_read_all(kh, 4096, &b, &bl, NULL) == 0);
		CHECK(b != NULL && strchr((char *)b, '\n') != strrchr((char *)b, '\n'));
		free(b);
		free(kh);
	}
	free(d);
	return 0;
}

static int copy_path(const char *from, const char *to)
{
	uint8_t *b = NULL;
	size_t bl = 0;
	int rc = ho_fs_read_all(from, 1 << 24, &b, &bl, NULL);
	if (rc == 0)
		rc = ho_fs_write_atomic(to, b, bl, 0600, NULL);
	free(b);
	return rc;
}

/* Crashes inside a key rotation: after the entry is durable but before the key file is
 * replaced (rolled forward), and before the rotation's checkpoint (rolled back). */
static int t_rotate_crash(void)
{
	char *d = logdir("rotcrash"), *key = NULL, *old = NULL, *nw = NULL, *seg = NULL;
	ho_ledger *l = open_log(d);
	ho_note_verifier v0, v1, v2;
	ho_ledger_verify_result r;
	ho_err err = HO_ERR_INIT;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (l == NULL)
		return 1;
	key = ho_strfmt("%s/signing.key", d);
	old = ho_strfmt("%s/old.key", d);
	nw = ho_strfmt("%s/signing.key.new", d);
	get_vk(l, &v0);
	CHECK(append_n(l, 2, 0) == 0);
	ho_ledger_close(l);
	CHECK(copy_path(key, old) == 0);
	l = open_log(d);
	CHECK(ho_ledger_rotate_key(l, "admin1", NULL, &err) == 0);
	get_vk(l, &v1);
	ho_ledger_close(l);
	/* Roll forward: pretend the rename never happened. */
	CHECK(rename(key, nw) == 0);
	CHECK(copy_path(old, key) == 0);
	l = open_log(d);
	CHECK(l != NULL && ho_ledger_recovery_info(l)->rotation_completed);
	{
		ho_note_verifier cur;
		get_vk(l, &cur);
		CHECK(memcmp(cur.pub, v1.pub, 32) == 0);
	}
	CHECK(append_n(l, 1, 5) == 0);
	ho_ledger_close(l);
	CHECK(verify(d, &v0, NULL, 0, &r) == 0);
	ho_ledger_verify_result_free(&r);
	/* Roll back: a second rotation whose checkpoint frame never reached the disk. In
	 * that crash the key file was not replaced yet and the new key sits in .new. */
	CHECK(copy_path(key, old) == 0); /* v1 */
	l = open_log(d);
	CHECK(ho_ledger_rotate_key(l, "admin1", NULL, &err) == 0);
	get_vk(l, &v2);
	ho_ledger_close(l);
	CHECK(copy_path(key, nw) == 0);  /* v2 back to .new */
	CHECK(copy_path(old, key) == 0); /* v1 in place */
	CHECK(read_seg(d, &seg, &buf, &len) == 0);
	{
		ho_seg_hdr h;
		size_t off, last_cp = 0;
		CHECK(ho_seg_hdr_parse(&h, buf, len) == 0);
		off = h.hdr_len;
		while (off < len) {
			ho_frame f;
			if (ho_frame_parse(&f, buf + off, len - off) != HO_FRAME_OK)
				break;
			if (f.type == HO_FRAME_CHECKPOINT)
				last_cp = off;
			off += f.total;
		}
		CHECK(last_cp > 0 && write_file(seg, buf, last_cp) == 0);
	}
	l = open_log(d);
	CHECK(l != NULL);
	if (l != NULL) {
		ho_note_verifier cur;
		CHECK(ho_ledger_recovery_info(l)->torn_tail);
		get_vk(l, &cur);
		CHECK(memcmp(cur.pub, v1.pub, 32) == 0);
		CHECK(access(nw, F_OK) != 0); /* the unused new key is gone */
		CHECK(append_n(l, 2, 9) == 0);
		ho_ledger_close(l);
	}
	CHECK(verify(d, &v0, NULL, 0, &r) == 0);
	CHECK(r.rotations == 1);
	ho_ledger_verify_result_free(&r);
	{
		ho_note_verifier w = v2;
		CHECK(verify(d, &w, NULL, 0, &r) == HO_EVERIFY); /* v2 never took over */
		ho_ledger_verify_result_free(&r);
	}
	free(buf);
	free(seg);
	free(key);
	free(old);
	free(nw);
	free(d);
	return 0;
}

/* Each event builder's XML is written to <scratch>/audit-<name>.xml for the schema test. */
static int t_audit(void)
{
	const char *sops[] = {"1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"};
	const uint32_t counts[] = {120, 30};
	const char *series[] = {"1.2.3.4.5.1", "1.2.3.4.5.2"};
	ho_audit_study st[2] = {
	    {"1.2.3.4", "ACC<&>\"1", sops, counts, 2, 150, series, 2, true, false},
	    {"1.2.3.9", NULL, NULL, NULL, 0, 12, NULL, 0, true, false},
	};
	ho_audit_selection sel[] = {
	    {"1.2.3.4", true, "requested by patient"},
	    {"1.2.3.4.5.2", true, "policy: all series"},
	    {"1.2.3.7", false, "older than 10 years: not requested"},
	};
	ho_audit_export e = {0};
	ho_audit_detail dd[] = {{"HandoffNote", "bad \x01\xff bytes & <tags>"}};
	char *xml = NULL;
	size_t len = 0;
	ho_err err = HO_ERR_INIT;
	int n = 0;

#define SAVE(nm)                                                                                   \
	do {                                                                                       \
		char *p_ = ho_strfmt("%s/audit-%s.xml", scratch, nm);                              \
		CHECK(xml != NULL && write_file(p_, (uint8_t *)xml, len) == 0);                    \
		free(p_);                                                                          \
		free(xml);                                                                         \
		xml = NULL;                                                                        \
		n++;                                                                               \
	} while (0)

	e.src = (ho_audit_source){"Clinic <North>", "handoff.kiosk/front-1", "kiosk-1", NULL,
	                          1767225600123000000LL};
	e.staff = (ho_audit_person){"jdoe", "Jane Doe", "front desk"};
	e.recipient = (ho_audit_person){"patient", "Zoë Ünïcode-Test", NULL};
	e.recipient_kind = "patient";
	e.medium_type = HO_MEDIUM_CD;
	e.medium_label = "HO20260101A";
	e.patient_id = "PID-001";
	e.patient_issuer = "CLINIC";
	e.patient_name = "Müller^Zoë";
	e.studies = st;
	e.n_studies = 2;
	e.selection = sel;
	e.n_selection = 3;
	e.purpose = "right of access (45 CFR 164.524)";
	e.manifest_digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	e.identity_method = "photo ID compared by staff";
	e.escrow_blob = "v1:QUJDREVGRw==";
	e.job_id = "job-42";
	CHECK(ho_audit_export_xml(&xml, &len, &e, &err) == 0);
	CHECK(strstr(xml, "ACC&lt;&amp;&gt;&quot;1") != NULL);
	CHECK(strstr(xml, "Zoë") != NULL);
	SAVE("export");
	e.outcome = HO_AUDIT_SERIOUS_FAILURE;
	e.outcome_desc = "the disc failed read-back verification";
	CHECK(ho_audit_export_xml(&xml, &len, &e, &err) == 0);
	CHECK(strstr(xml, "EventOutcomeIndicator=\"8\"") != NULL);
	SAVE("export-failed");
	{
		ho_audit_auth a = {e.src, HO_AUTH_LOGIN, {"jdoe", "Jane Doe", "front desk"}, NULL};
		CHECK(ho_audit_auth_xml(&xml, &len, &a, &err) == 0);
		SAVE("login");
		a.event = HO_AUTH_LOGOUT;
		a.reason = "idle lock";
		CHECK(ho_audit_auth_xml(&xml, &len, &a, &err) == 0);
		SAVE("logout");
		a.event = HO_AUTH_FAILURE;
		a.reason = "wrong PIN";
		CHECK(ho_audit_auth_xml(&xml, &len, &a, &err) == 0);
		SAVE("login-failure");
	}
	{
		ho_audit_alert a = {0};
		a.src = e.src;
		a.description = "Instance of another patient received";
		a.object_id = "PID-002";
		a.details = dd;
		a.n_details = 1;
		for (int t = HO_ALERT_GUARD; t <= HO_ALERT_ACCOUNT; t++) {
			static const char *names[] = {"",
			                              "alert-guard",
			                              "alert-tamper",
			                              "alert-torn",
			                              "alert-keyrot",
			                              "alert-config",
			                              "alert-override",
			                              "alert-account"};
			a.type = (enum ho_audit_alert_type)t;
			CHECK(ho_audit_alert_xml(&xml, &len, &a, &err) == 0);
			SAVE(names[t]);
		}
	}
	{
		ho_audit_app a = {e.src, HO_APP_START, {NULL, NULL, NULL}, dd, 1};
		CHECK(ho_audit_app_xml(&xml, &len, &a, &err) == 0);
		SAVE("app-start");
		a.event = HO_APP_STOP;
		a.user = e.staff;
		CHECK(ho_audit_app_xml(&xml, &len, &a, &err) == 0);
		SAVE("app-stop");
	}
	{
		ho_audit_log_used u = {e.src,
		                       {"auditor1", "A. Uditor", "auditor"},
		                       "file:///var/lib/handoff/log",
		                       "export to USB",
		                       0};
		CHECK(ho_audit_log_used_xml(&xml, &len, &u, &err) == 0);
		SAVE("log-used");
	}
	{
		ho_audit_medium m = {e.src,         HO_MEDIUM_EVT_SPOILED, e.staff,
		                     HO_MEDIUM_DVD, "HO20260101B",         "PID-001",
		                     "CLINIC",      "read-back mismatch",  0};
		CHECK(ho_audit_medium_xml(&xml, &len, &m, &err) == 0);
		SAVE("medium-spoiled");
		m.event = HO_MEDIUM_EVT_DESTROYED;
		m.reason = "shredded";
		m.spoiled_seq = 77;
		CHECK(ho_audit_medium_xml(&xml, &len, &m, &err) == 0);
		SAVE("medium-destroyed");
	}
	printf("wrote %d audit messages\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
	} tests[] = {
	    {"crc", t_crc},
	    {"merkle", t_merkle},
	    {"note", t_note},
	    {"roundtrip", t_roundtrip},
	    {"bitflip", t_bitflip},
	    {"kept", t_kept},
	    {"torn", t_torn},
	    {"rotate", t_rotate},
	    {"rotate_crash", t_rotate_crash},
	    {"audit", t_audit},
	};
	int ran = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s TEST|all SCRATCHDIR\n", argv[0]);
		return 2;
	}
	scratch = argv[2];
	if (ho_fs_mkdir_p(scratch, 0700) != 0)
		return 2;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (strcmp(argv[1], "all") != 0 && strcmp(argv[1], tests[i].name) != 0)
			continue;
		ran++;
		if (tests[i].fn() != 0)
			failures++;
	}
	if (ran == 0) {
		fprintf(stderr, "no test named %s\n", argv[1]);
		return 2;
	}
	if (failures)
		fprintf(stderr, "%d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
