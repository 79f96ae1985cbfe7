/* Fuzz target for everything the signed log reads from outside (an auditor's stick, a
 * kept checkpoint, a public key file). The first byte picks the parser:
 *   0  segment bytes scanned in memory (header, frames, envelopes, checkpoint notes)
 *   1  a signed note / tlog-checkpoint
 *   2  a verifier key line, and audit-message field extraction
 *   3  segment bytes written to a file and run through the full verifier and walker */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ledger_fmt.h"
#include "core/ledger_verify.h"
#include "core/note.h"
#include "util/fs.h"

/* Results are discarded on purpose: the fuzzer looks for crashes, not verdicts. */
static volatile int sink;

static void scan(const uint8_t *p, size_t len)
{
	ho_seg_hdr h;
	size_t off;

	if (ho_seg_hdr_parse(&h, p, len) != 0)
		return;
	off = h.hdr_len;
	while (off < len) {
		ho_frame f;
		if (ho_frame_parse(&f, p + off, len - off) != HO_FRAME_OK)
			break;
		if (f.type == HO_FRAME_ENTRY) {
			ho_envelope e;
			ho_ledger_summary s;
			if (ho_env_parse(&e, f.payload, f.len) == 0)
				ho_ledger_summarize(&s, e.body, e.body_len);
		} else {
			ho_note n;
			ho_checkpoint c;
			if (ho_note_parse(&n, (const char *)f.payload, f.len, NULL) == 0)
				sink = ho_checkpoint_parse(&c, n.text, n.text_len, NULL);
		}
		off += f.total;
	}
}

static int count(void *ctx, const ho_ledger_entry *e)
{
	(void)e;
	(*(unsigned *)ctx)++;
	return 0;
}

static void full(const uint8_t *p, size_t len)
{
	static char dir[64];
	char path[128];
	unsigned n = 0;
	ho_note_verifier v;
	uint8_t pub[32];
	ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
	ho_ledger_verify_result r;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/ho-ledger-fuzz-%d", (int)getpid());
		if (ho_fs_mkdir_p(dir, 0700) != 0)
			return;
	}
	snprintf(path, sizeof(path), "%s/00000000000000000001.seg", dir);
	if (ho_fs_write_atomic(path, p, len, 0600, NULL) != 0)
		return;
	sink = ho_ledger_walk(dir, count, &n, NULL);
	memset(pub, 7, sizeof(pub));
	if (ho_note_verifier_make(&v, "bench.kiosk/gen", pub) == 0) {
		o.keys = &v;
		o.n_keys = 1;
		sink = ho_ledger_verify(&r, dir, &o, NULL);
		ho_ledger_verify_result_free(&r);
	}
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (4u << 20))
		return 0;
	switch (data[0] % 4) {
	case 0:
		scan(data + 1, size - 1);
		break;
	case 1: {
		ho_note n;
		ho_checkpoint c;
		if (ho_note_parse(&n, (const char *)data + 1, size - 1, NULL) == 0)
			sink = ho_checkpoint_parse(&c, n.text, n.text_len, NULL);
		sink = ho_checkpoint_parse(&c, (const char *)data + 1, size - 1, NULL);
		break;
	}
	case 2: {
		ho_note_verifier v;
		ho_ledger_summary s;
		char out[256];
		(void)ho_note_vkey_parse(&v, (const char *)data + 1, size - 1, NULL);
		ho_ledger_summarize(&s, data + 1, size - 1);
		(void)ho_ledger_xml_detail(out, sizeof(out), data + 1, size - 1,
		                           "HandoffNewVerifierKey");
		break;
	}
	default:
		full(data + 1, size - 1);
		break;
	}
	return 0;
}
