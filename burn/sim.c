/*
 * burn/sim.c - drive address parsing and the pacing of the simulated drive (burn/sim.h).
 */
#include "burn/sim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Blank capacities in 2048-byte sectors: 80 min CD-R (360000 sectors, "700 MB"),
 * single-layer DVD-R (2298496 sectors, "4.7 GB"), single-layer BD-R (12219392). */
#define SIM_CD_BYTES ((uint64_t)360000 * 2048)
#define SIM_DVD_BYTES ((uint64_t)2298496 * 2048)
#define SIM_BD_BYTES ((uint64_t)12219392 * 2048)
/* fault=too-small: less than any ISO image libisofs can produce (the system area alone is
 * 32 KiB and the volume descriptors follow it). */
#define SIM_TOO_SMALL_BYTES ((uint64_t)64 * 1024)

static const char accepted[] =
	"use /dev/srN for a real drive, stdio:/absolute/path for an image file, or "
	"sim:/absolute/path?media=cd|dvd|bd|BYTES&speed=N&fault=NAME for the simulator";

uint64_t ho_sim_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ho_sim_pace(uint64_t rate, uint64_t start_ns, uint64_t done)
{
	uint64_t due, now;
	struct timespec ts;

	if (rate == 0)
		return;
	/* done * 1e9 / rate without overflow for any medium up to 2^64 / 1e9 bytes (18 GB);
	 * split the division to stay exact beyond that. */
	due = start_ns + (done / rate) * 1000000000u + (done % rate) * 1000000000u / rate;
	now = ho_sim_now_ns();
	/* Sleep only when more than 2 ms ahead: many tiny sleeps would cost more than the
	 * precision they buy. */
	if (due <= now + 2000000u)
		return;
	ts.tv_sec = (time_t)((due - now) / 1000000000u);
	ts.tv_nsec = (long)((due - now) % 1000000000u);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int kv_is(const char *k, size_t kn, const char *name)
{
	return strlen(name) == kn && memcmp(k, name, kn) == 0;
}

static int parse_query(ho_drive_addr *a, const char *q, const char *drive, ho_err *err)
{
	uint64_t speed = 0, base = HO_SIM_CD_1X;
	int have_speed = 0;

	a->capacity = SIM_CD_BYTES;
	memcpy(a->media, "cd", 3);
	while (q != NULL && *q != '\0') {
		const char *amp = strchr(q, '&'), *eq;
		size_t len = amp ? (size_t)(amp - q) : strlen(q), kn, vn;
		const char *v;

		eq = memchr(q, '=', len);
		if (eq == NULL)
			goto bad;
		kn = (size_t)(eq - q);
		v = eq + 1;
		vn = len - kn - 1;
		if (kv_is(q, kn, "media")) {
			if (kv_is(v, vn, "cd")) {
				a->capacity = SIM_CD_BYTES;
				memcpy(a->media, "cd", 3);
			} else if (kv_is(v, vn, "dvd")) {
				a->capacity = SIM_DVD_BYTES;
				memcpy(a->media, "dvd", 4);
			} else if (kv_is(v, vn, "bd")) {
				a->capacity = SIM_BD_BYTES;
				memcpy(a->media, "bd", 3);
			} else if (parse_u64(v, vn, &a->capacity) == 0 && a->capacity > 0) {
				memcpy(a->media, "bytes", 6);
			} else {
				goto bad;
			}
		} else if (kv_is(q, kn, "speed")) {
			if (parse_u64(v, vn, &speed) < 0 || speed > 1000)
				goto bad;
			have_speed = 1;
		} else if (kv_is(q, kn, "fault")) {
			if (kv_is(v, vn, "none"))
				a->fault = HO_SIM_FAULT_NONE;
			else if (kv_is(v, vn, "tray-open"))
				a->fault = HO_SIM_FAULT_TRAY_OPEN;
			else if (kv_is(v, vn, "no-disc"))
				a->fault = HO_SIM_FAULT_NO_DISC;
			else if (kv_is(v, vn, "too-small"))
				a->fault = HO_SIM_FAULT_TOO_SMALL;
			else if (kv_is(v, vn, "write-error"))
				a->fault = HO_SIM_FAULT_WRITE_ERROR;
			else if (kv_is(v, vn, "read-error"))
				a->fault = HO_SIM_FAULT_READ_ERROR;
			else
				goto bad;
		} else if (kv_is(q, kn, "fault_at")) {
			if (parse_u64(v, vn, &a->fault_at) < 0)
				goto bad;
		} else {
			goto bad;
		}
		q = amp ? amp + 1 : NULL;
	}
	if (strcmp(a->media, "dvd") == 0)
		base = HO_SIM_DVD_1X;
	else if (strcmp(a->media, "bd") == 0)
		base = HO_SIM_BD_1X;
	/* Without speed= the drive runs at the medium's usual top speed. */
	if (!have_speed)
		speed = strcmp(a->media, "dvd") == 0 ? 16 : strcmp(a->media, "bd") == 0 ? 6 : 52;
	a->rate = speed * base;
	if (a->fault == HO_SIM_FAULT_TOO_SMALL)
		a->capacity = SIM_TOO_SMALL_BYTES;
	return 0;
bad:
	return ho_err_set(err, HO_EDEVICE, "the drive address \"%s\" has a setting we do not "
			  "know; %s (faults: tray-open, no-disc, too-small, write-error, "
			  "read-error)", drive, accepted);
}

int ho_drive_addr_parse(ho_drive_addr *out, const char *drive, ho_err *err)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	if (drive == NULL || drive[0] == '\0')
		return ho_err_set(err, HO_EDEVICE, "no drive is configured; %s", accepted);
	len = strlen(drive);
	if (len >= HO_DRIVE_ADDR_MAX)
		return ho_err_set(err, HO_EDEVICE, "the drive address is too long; %s", accepted);
	if (strncmp(drive, "/dev/", 5) == 0 && len > 5) {
		memcpy(out->adr, drive, len + 1);
		return 0;
	}
	if (strncmp(drive, "stdio:/", 7) == 0 && len > 7) {
		memcpy(out->adr, drive, len + 1);
		memcpy(out->path, drive + 6, len - 6 + 1);
		out->is_file = 1;
		return 0;
	}
	if (strncmp(drive, "sim:/", 5) == 0 && len > 5) {
		const char *q = strchr(drive, '?');
		size_t plen = q ? (size_t)(q - drive - 4) : len - 4;

		if (plen < 2)
			goto bad;
		memcpy(out->path, drive + 4, plen);
		out->path[plen] = '\0';
		if (snprintf(out->adr, sizeof(out->adr), "stdio:%s", out->path) >=
		    (int)sizeof(out->adr))
			goto bad;
		out->is_file = 1;
		out->is_sim = 1;
		return parse_query(out, q ? q + 1 : NULL, drive, err);
	}
bad:
	return ho_err_set(err, HO_EDEVICE, "\"%s\" is not a drive address we can use; %s", drive,
			  accepted);
}

int ho_drive_addr_check_loaded(const ho_drive_addr *a, ho_err *err)
{
	if (a->fault == HO_SIM_FAULT_TRAY_OPEN)
		return ho_err_set(err, HO_EDEVICE,
				  "the drive's tray is open; close it with a blank disc inside and "
				  "try again");
	if (a->fault == HO_SIM_FAULT_NO_DISC)
		return ho_err_set(err, HO_EDEVICE,
				  "there is no disc in the drive; insert a blank CD or DVD and try "
				  "again");
	return 0;
}
