#include "core/ledger_fmt.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/crc32c.h"

int ho_seg_hdr_parse(ho_seg_hdr *h, const uint8_t *buf, size_t len)
{
	uint32_t np;

	memset(h, 0, sizeof(*h));
	if (len < HO_SEG_HDR_FIXED + 4 || memcmp(buf, HO_SEG_MAGIC, 8) != 0)
		return HO_EFORMAT;
	h->version = ho_le32(buf + 8);
	h->hdr_len = ho_le32(buf + 12);
	np = ho_le32(buf + 36);
	if (h->version != HO_SEG_VERSION || np > 64 ||
	    h->hdr_len != HO_SEG_HDR_FIXED + 32 * np + 4 || h->hdr_len > len)
		return HO_EFORMAT;
	if (ho_crc32c(0, buf, h->hdr_len - 4) != ho_le32(buf + h->hdr_len - 4))
		return HO_EFORMAT;
	h->first_seq = ho_le64(buf + 16);
	h->tree_size = ho_le64(buf + 24);
	memcpy(h->keyid, buf + 32, 4);
	if (ho_merkle_set(&h->tree, h->tree_size, np,
	                  (const uint8_t(*)[32])(buf + HO_SEG_HDR_FIXED)) != 0)
		return HO_EFORMAT;
	return 0;
}

size_t ho_seg_hdr_encode(uint8_t *out, size_t cap, const ho_seg_hdr *h)
{
	size_t n = HO_SEG_HDR_FIXED + 32 * (size_t)h->tree.npeaks + 4;

	if (cap < n)
		return 0;
	memcpy(out, HO_SEG_MAGIC, 8);
	ho_put32(out + 8, HO_SEG_VERSION);
	ho_put32(out + 12, (uint32_t)n);
	ho_put64(out + 16, h->first_seq);
	ho_put64(out + 24, h->tree.size);
	memcpy(out + 32, h->keyid, 4);
	ho_put32(out + 36, h->tree.npeaks);
	if (h->tree.npeaks > 0)
		memcpy(out + HO_SEG_HDR_FIXED, h->tree.peaks, 32 * (size_t)h->tree.npeaks);
	ho_put32(out + n - 4, ho_crc32c(0, out, n - 4));
	return n;
}

enum ho_frame_status ho_frame_parse(ho_frame *f, const uint8_t *buf, size_t avail)
{
	uint32_t len;

	memset(f, 0, sizeof(*f));
	if (avail < HO_FRAME_OVERHEAD)
		return HO_FRAME_SHORT;
	len = ho_le32(buf);
	if (len == 0 || len > HO_FRAME_MAX)
		return HO_FRAME_BADLEN;
	if (avail - HO_FRAME_OVERHEAD < len)
		return HO_FRAME_SHORT;
	if (ho_crc32c(0, buf, 5 + (size_t)len) != ho_le32(buf + 5 + len))
		return HO_FRAME_BADCRC;
	f->type = buf[4];
	f->payload = buf + 5;
	f->len = len;
	f->total = (size_t)len + HO_FRAME_OVERHEAD;
	if (f->type != HO_FRAME_ENTRY && f->type != HO_FRAME_CHECKPOINT)
		return HO_FRAME_BADTYPE;
	return HO_FRAME_OK;
}

size_t ho_frame_encode(uint8_t *out, uint8_t type, const void *payload, uint32_t len)
{
	ho_put32(out, len);
	out[4] = type;
	memcpy(out + 5, payload, len);
	ho_put32(out + 5 + len, ho_crc32c(0, out, 5 + (size_t)len));
	return (size_t)len + HO_FRAME_OVERHEAD;
}

int ho_env_parse(ho_envelope *e, const uint8_t *p, size_t len)
{
	memset(e, 0, sizeof(*e));
	if (len < HO_ENV_LEN)
		return HO_EFORMAT;
	e->version = p[0];
	e->kind = p[1];
	e->time_source = p[2];
	memcpy(e->keyid, p + 4, 4);
	e->seq = ho_le64(p + 8);
	e->boot = ho_le32(p + 16);
	e->body_len = ho_le32(p + 20);
	e->mono_ns = ho_le64(p + 24);
	e->utc_ns = (int64_t)ho_le64(p + 32);
	e->body = p + HO_ENV_LEN;
	if (e->version != HO_ENV_VERSION || p[3] != 0 || e->kind == 0 ||
	    e->kind > HO_LEDGER_KIND_MAX || e->time_source > HO_LEDGER_TIME_TEST || e->seq == 0 ||
	    (size_t)e->body_len != len - HO_ENV_LEN || e->body_len > HO_LEDGER_BODY_MAX)
		return HO_EFORMAT;
	return 0;
}

void ho_env_encode(uint8_t out[static HO_ENV_LEN], const ho_envelope *e)
{
	out[0] = HO_ENV_VERSION;
	out[1] = e->kind;
	out[2] = e->time_source;
	out[3] = 0;
	memcpy(out + 4, e->keyid, 4);
	ho_put64(out + 8, e->seq);
	ho_put32(out + 16, e->boot);
	ho_put32(out + 20, e->body_len);
	ho_put64(out + 24, e->mono_ns);
	ho_put64(out + 32, (uint64_t)e->utc_ns);
}

void ho_seg_name(char out[static HO_SEG_NAME_LEN + 1], uint64_t first_seq)
{
	snprintf(out, HO_SEG_NAME_LEN + 1, "%020" PRIu64 ".seg", first_seq);
}

int ho_seg_name_ok(const char *name)
{
	if (strlen(name) != HO_SEG_NAME_LEN || strcmp(name + 20, ".seg") != 0)
		return 0;
	for (int i = 0; i < 20; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ho_seg_list_free(char **names, size_t n)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int ho_seg_list(char ***names, size_t *n, const char *dir, ho_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	int rc = 0;

	*names = NULL;
	*n = 0;
	if (d == NULL)
		return ho_err_set(err, errno == ENOENT ? HO_ENOTFOUND : HO_EIO,
		                  "cannot open the log directory %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (!ho_seg_name_ok(de->d_name))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nv = realloc(v, nc * sizeof(*nv));
			if (nv == NULL) {
				rc = ho_err_set(err, HO_ENOMEM, "out of memory listing the log");
				goto out;
			}
			v = nv;
			cap = nc;
		}
		if ((v[cnt] = strdup(de->d_name)) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory listing the log");
			goto out;
		}
		cnt++;
	}
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_str);
out:
	closedir(d);
	if (rc != 0) {
		ho_seg_list_free(v, cnt);
		return rc;
	}
	*names = v;
	*n = cnt;
	return 0;
}
