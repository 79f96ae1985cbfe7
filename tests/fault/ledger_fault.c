/* Fault tests for the signed log.
 *   ledger_fault powerloss DIR [ROUNDS]   a child appends in a loop and is SIGKILLed at
 *       random moments; half the time the unsynced tail is also cut or garbled as a power
 *       loss would. After each round: recover, verify, every acknowledged entry present.
 *   ledger_fault diskfull DIR             a full filesystem (tmpfs of 64 KiB in a private
 *       mount namespace, else RLIMIT_FSIZE): the append fails, the ledger refuses further
 *       appends with a clear message, and after a restart everything acknowledged
 *       verifies. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/ledger.h"
#include "core/ledger_fmt.h"
#include "core/ledger_verify.h"
#include "core/note.h"
#include "util/fs.h"

typedef struct ack {
	uint64_t seq;
	uint8_t hash[32];
} ack;

static ack *acks;
static size_t nacks, capacks;
static const char *origin = "fault.kiosk/test";

static int open_log(ho_ledger **l, const char *dir, uint64_t segmax, ho_err *err)
{
	ho_ledger_opts o = HO_LEDGER_OPTS_INIT;

	o.origin = origin;
	o.segment_max = segmax;
	return ho_ledger_open(l, dir, &o, err);
}

static void child(const char *dir, int fd)
{
	ho_ledger *l = NULL;
	ho_err err = HO_ERR_INIT;
	char xml[256];

	if (open_log(&l, dir, 16384, &err) != 0) {
		fprintf(stderr, "child open: %s\n", err.msg);
		_exit(3);
	}
	for (unsigned i = 0;; i++) {
		ho_ledger_receipt r;
		ack a;
		int n = snprintf(xml, sizeof(xml),
		                 "<AuditMessage i=\"%u\" pid=\"%d\">%*s</AuditMessage>", i,
		                 (int)getpid(), (int)(i * 37 % 200), "");
		if (ho_ledger_append(l, HO_LEDGER_AUTH, xml, (size_t)n, &r, &err) != 0) {
			fprintf(stderr, "child append: %s\n", err.msg);
			_exit(4);
		}
		a.seq = r.seq;
		memcpy(a.hash, r.leaf_hash, 32);
		/* The ack is sent only after append returned: entry and checkpoint are durable. */
		if (write(fd, &a, sizeof(a)) != (ssize_t)sizeof(a))
			_exit(5);
	}
}

typedef struct chk {
	size_t found;
	uint64_t prev;
	int bad;
} chk;

static int cmp_ack(const void *a, const void *b)
{
	uint64_t x = ((const ack *)a)->seq, y = ((const ack *)b)->seq;
	return x < y ? -1 : x > y;
}

static int on_entry(void *ctx, const ho_ledger_entry *e)
{
	chk *c = ctx;
	ack key, *hit;

	if (e->seq <= c->prev)
		c->bad = 1;
	c->prev = e->seq;
	key.seq = e->seq;
	hit = nacks ? bsearch(&key, acks, nacks, sizeof(ack), cmp_ack) : NULL;
	if (hit != NULL) {
		if (memcmp(hit->hash, e->leaf_hash, 32) != 0) {
			fprintf(stderr,
			        "seq %" PRIu64 ": entry differs from the acknowledged one\n",
			        e->seq);
			c->bad = 1;
		}
		c->found++;
	}
	return 0;
}

/* Simulates losing unsynced data: the last segment is cut somewhere after the end of
 * the last acknowledged append, and sometimes garbage or zeros follow. */
static void power_cut(const char *dir, uint64_t last_acked)
{
	char **segs = NULL, *path = NULL;
	size_t n = 0, off, durable = 0;
	uint8_t *buf = NULL;
	size_t len = 0;
	ho_seg_hdr h;
	bool seen = false;

	if (ho_seg_list(&segs, &n, dir, NULL) != 0 || n == 0)
		goto out;
	path = ho_strfmt("%s/%s", dir, segs[n - 1]);
	if (ho_fs_read_all(path, 1 << 26, &buf, &len, NULL) != 0 ||
	    ho_seg_hdr_parse(&h, buf, len) != 0)
		goto out;
	off = h.hdr_len;
	durable = h.first_seq > last_acked ? h.hdr_len : 0;
	while (off < len) {
		ho_frame f;
		if (ho_frame_parse(&f, buf + off, len - off) != HO_FRAME_OK)
			break;
		off += f.total;
		if (f.type == HO_FRAME_ENTRY) {
			ho_envelope e;
			if (ho_env_parse(&e, f.payload, f.len) == 0 && e.seq == last_acked)
				seen = true;
		} else if (seen) {
			durable = off; /* checkpoint after the last acked entry */
			seen = false;
		}
	}
	if (durable == 0 || durable >= len)
		goto out;
	if (rand() % 4 == 0) {
		/* Blocks written out of order: a hole of zeros inside the unsynced part while
		 * its end survived. */
		size_t a = durable + (size_t)(rand() % (int)(len - durable));
		size_t b = a + 1 + (size_t)(rand() % (int)(len - a));
		uint8_t zeros[4096] = {0};
		int fd = open(path, O_WRONLY);
		if (fd < 0)
			goto out;
		for (size_t o = a; o < b; o += sizeof(zeros)) {
			size_t n = b - o < sizeof(zeros) ? b - o : sizeof(zeros);
			if (pwrite(fd, zeros, n, (off_t)o) < 0)
				perror("pwrite");
		}
		close(fd);
		goto out;
	}
	{
		size_t cut = durable + (size_t)(rand() % (int)(len - durable));
		int fd = open(path, O_WRONLY);
		if (fd < 0)
			goto out;
		if (ftruncate(fd, (off_t)cut) != 0) {
			close(fd);
			goto out;
		}
		if (rand() % 3 == 0) { /* a half-written sector: zeros or junk */
			uint8_t junk[700];
			size_t jl = 1 + (size_t)(rand() % (int)sizeof(junk));
			int zero = rand() % 2;
			for (size_t i = 0; i < jl; i++)
				junk[i] = zero ? 0 : (uint8_t)rand();
			if (pwrite(fd, junk, jl, (off_t)cut) < 0)
				perror("pwrite");
		}
		close(fd);
	}
out:
	free(buf);
	free(path);
	ho_seg_list_free(segs, n);
}

static int powerloss(const char *dir, int rounds)
{
	ho_note_verifier v;
	char vk[HO_NOTE_VKEY_MAX];
	ho_ledger *l = NULL;
	ho_err err = HO_ERR_INIT;
	int failures = 0, torn = 0, resigned = 0;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (ho_fs_rm_rf(dir) != 0 || open_log(&l, dir, 16384, &err) != 0) {
		fprintf(stderr, "setup: %s\n", err.msg);
		return 1;
	}
	ho_ledger_vkey(l, vk, sizeof(vk));
	ho_note_vkey_parse(&v, vk, strlen(vk), NULL);
	ho_ledger_close(l);
	for (int round = 0; round < rounds; round++) {
		int p[2], status;
		pid_t pid;
		ack a;
		uint64_t last = 0;
		ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
		ho_ledger_verify_result r;
		chk c = {0, 0, 0};
		size_t before = nacks;

		if (pipe(p) != 0)
			return 1;
		if ((pid = fork()) == 0) {
			close(p[0]);
			child(dir, p[1]);
		}
		close(p[1]);
		usleep((useconds_t)(rand() % 15000));
		kill(pid, SIGKILL);
		while (read(p[0], &a, sizeof(a)) == (ssize_t)sizeof(a)) {
			if (nacks == capacks) {
				capacks = capacks ? capacks * 2 : 1024;
				acks = realloc(acks, capacks * sizeof(ack));
			}
			acks[nacks++] = a;
			last = a.seq;
		}
		close(p[0]);
		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
			fprintf(stderr, "round %d: child failed with %d\n", round,
			        WEXITSTATUS(status));
			failures++;
			break;
		}
		if (nacks > before && rand() % 2)
			power_cut(dir, last);
		if (nacks > 1)
			qsort(acks, nacks, sizeof(ack), cmp_ack);
		/* Recover as the kiosk does at start. */
		if (open_log(&l, dir, 16384, &err) != 0) {
			fprintf(stderr, "round %d: recovery failed: %s\n", round, err.msg);
			failures++;
			break;
		}
		torn += ho_ledger_recovery_info(l)->torn_tail;
		resigned += ho_ledger_recovery_info(l)->checkpoint_signed;
		ho_ledger_close(l);
		o.keys = &v;
		o.n_keys = 1;
		o.fn = on_entry;
		o.ctx = &c;
		if (ho_ledger_verify(&r, dir, &o, &err) != 0) {
			fprintf(stderr, "round %d: %s\n", round, r.problem);
			failures++;
		}
		ho_ledger_verify_result_free(&r);
		if (c.found != nacks || c.bad) {
			fprintf(stderr, "round %d: %zu of %zu acknowledged entries present%s\n",
			        round, c.found, nacks, c.bad ? ", order/content wrong" : "");
			failures++;
		}
		if (failures)
			break;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("powerloss: %d rounds, %zu acknowledged entries all present, %d torn tails "
	       "quarantined, %d checkpoints re-signed, %.1f s\n",
	       rounds, nacks, torn, resigned,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(acks);
	return failures ? 1 : 0;
}

static int fill_until_failure(const char *dir, const char *how)
{
	ho_ledger *l = NULL;
	ho_err err = HO_ERR_INIT;
	char xml[600];
	uint64_t acked = 0;
	int rc = 0, failures = 0;
	ho_note_verifier v;
	char vk[HO_NOTE_VKEY_MAX];

	memset(xml, 'x', sizeof(xml));
	if (open_log(&l, dir, 1 << 20, &err) != 0) {
		fprintf(stderr, "%s: open: %s\n", how, err.msg);
		return 1;
	}
	ho_ledger_vkey(l, vk, sizeof(vk));
	ho_note_vkey_parse(&v, vk, strlen(vk), NULL);
	for (int i = 0; i < 100000; i++) {
		ho_err e2 = HO_ERR_INIT;
		if ((rc = ho_ledger_append(l, HO_LEDGER_AUTH, xml, sizeof(xml), NULL, &e2)) != 0) {
			printf("%s: append %d refused: %s\n", how, i, e2.msg);
			if (rc != HO_ESTATE || strstr(e2.msg, "Exports are stopped") == NULL)
				failures++;
			break;
		}
		acked++;
	}
	if (rc == 0) {
		fprintf(stderr, "%s: the filesystem never filled\n", how);
		failures++;
	}
	/* Every later append is refused with the same message, and status says so. */
	{
		ho_err e3 = HO_ERR_INIT, e4 = HO_ERR_INIT;
		if (ho_ledger_append(l, HO_LEDGER_AUTH, "<a/>", 4, NULL, &e3) != HO_ESTATE ||
		    ho_ledger_status(l, &e4) != HO_ESTATE || strstr(e4.msg, "log disk") == NULL)
			failures++;
	}
	ho_ledger_close(l);
	printf("%s: %" PRIu64 " entries acknowledged before the disk filled\n", how, acked);
	return failures ? 1 : 0;
}

static int recover_and_verify(const char *dir, const char *how)
{
	ho_ledger *l = NULL;
	ho_err err = HO_ERR_INIT;
	ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
	ho_ledger_verify_result r;
	ho_note_verifier v;
	char vk[HO_NOTE_VKEY_MAX];
	int rc;

	if (open_log(&l, dir, 1 << 20, &err) != 0) {
		fprintf(stderr, "%s: reopen after freeing space: %s\n", how, err.msg);
		return 1;
	}
	ho_ledger_vkey(l, vk, sizeof(vk));
	ho_note_vkey_parse(&v, vk, strlen(vk), NULL);
	printf("%s: after restart: torn tail %s, checkpoint re-signed %s\n", how,
	       ho_ledger_recovery_info(l)->torn_tail ? "quarantined" : "none",
	       ho_ledger_recovery_info(l)->checkpoint_signed ? "yes" : "no");
	ho_ledger_close(l);
	o.keys = &v;
	o.n_keys = 1;
	rc = ho_ledger_verify(&r, dir, &o, &err);
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", how, r.problem);
	else
		printf("%s: verifies, %" PRIu64 " entries\n", how, r.entries);
	ho_ledger_verify_result_free(&r);
	return rc != 0;
}

static int diskfull(const char *base)
{
	char *mnt = ho_strfmt("%s/tmpfs", base), *dir = ho_strfmt("%s/tmpfs/log", base);
	char *dir2 = ho_strfmt("%s/fsize", base);
	int failures = 0;

	if (ho_fs_rm_rf(base) != 0 || ho_fs_mkdir_p(mnt, 0700) != 0)
		return 1;
	/* 1. A genuinely full filesystem: tmpfs of 64 KiB in a private mount namespace. */
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") == 0) {
		failures += fill_until_failure(dir, "tmpfs-64k");
		/* Free space as an administrator would (remount bigger), then restart. */
		if (mount("tmpfs", mnt, "tmpfs", MS_REMOUNT, "size=1m") != 0) {
			perror("remount");
			failures++;
		} else {
			failures += recover_and_verify(dir, "tmpfs-64k");
		}
		umount2(mnt, MNT_DETACH);
	} else {
		printf("tmpfs-64k: mount not permitted here (%s); skipped\n", strerror(errno));
	}
	/* 2. RLIMIT_FSIZE (works unprivileged): writes beyond 48 KiB fail with EFBIG. */
	{
		struct rlimit rl = {48 * 1024, 48 * 1024}, old;
		pid_t pid;
		int status;
		signal(SIGXFSZ, SIG_IGN);
		if ((pid = fork()) == 0) {
			getrlimit(RLIMIT_FSIZE, &old);
			if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
				_exit(9);
			{
				int r_ = fill_until_failure(dir2, "rlimit-fsize");
				fflush(stdout);
				_exit(r_);
			}
		}
		waitpid(pid, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failures++;
		failures += recover_and_verify(dir2, "rlimit-fsize");
	}
	free(mnt);
	free(dir);
	free(dir2);
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "powerloss") == 0) {
		unsigned seed =
		    argc >= 5 ? (unsigned)strtoul(argv[4], NULL, 10) : (unsigned)time(NULL);
		printf("seed %u\n", seed);
		srand(seed);
		return powerloss(argv[2], argc >= 4 ? (int)strtol(argv[3], NULL, 10) : 1000);
	}
	if (argc >= 3 && strcmp(argv[1], "diskfull") == 0)
		return diskfull(argv[2]);
	fputs("usage: ledger_fault powerloss DIR [ROUNDS [SEED]] | diskfull DIR\n", stderr);
	return 2;
}
