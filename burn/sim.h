/*
 * burn/sim.h - drive addresses, including the simulated optical drive of hw-sim.
 *
 * The kiosk names its drive by an address string (docs/MEDIA.md, "Drive addresses"):
 *     /dev/sr0                         a real MMC drive through libburn
 *     stdio:/path/img.iso              libburn's pseudo-drive on a file, unthrottled
 *     sim:/path/img.iso?media=cd&speed=52&fault=write-error
 *                                      the same file drive, but behaving like a medium
 *                                      of the given size and speed, with fault switches
 * The simulator is chosen by the address (configuration), never by #ifdef TEST: the
 * same firmware code burns, paces and verifies in both cases.
 *
 * ho_drive_addr is a plain value parsed from the string; it owns no memory.
 */
#ifndef HO_BURN_SIM_H
#define HO_BURN_SIM_H

#include <stdint.h>

#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HO_DRIVE_ADDR_MAX 4096

/* Bytes per second at 1x: CD (Red Book 75 sectors/s of 2048 user bytes), DVD (ECMA-267). */
#define HO_SIM_CD_1X 153600u
#define HO_SIM_DVD_1X 1385000u
#define HO_SIM_BD_1X 4495500u

typedef enum ho_sim_fault {
	HO_SIM_FAULT_NONE = 0,
	HO_SIM_FAULT_TRAY_OPEN,   /* tray open: every operation fails before touching media */
	HO_SIM_FAULT_NO_DISC,     /* tray closed, nothing in it */
	HO_SIM_FAULT_TOO_SMALL,   /* the blank has almost no room (64 KiB): write is refused */
	HO_SIM_FAULT_WRITE_ERROR, /* the write fails half-way (or at fault_at bytes) */
	HO_SIM_FAULT_READ_ERROR,  /* writing works, reading back fails half-way */
} ho_sim_fault;

typedef struct ho_drive_addr {
	char adr[HO_DRIVE_ADDR_MAX]; /* what libburn is given: "/dev/sr0" or "stdio:/..." */
	char path[HO_DRIVE_ADDR_MAX]; /* stdio:/sim: the file path, else "" */
	int is_file;                  /* stdio: or sim: (the medium is a file on the kiosk) */
	int is_sim;                   /* sim: */
	char media[8];                /* sim: "cd", "dvd", "bd" or "bytes" */
	uint64_t capacity;            /* sim: bytes on the blank medium; 0 = ask libburn */
	uint64_t rate;                /* sim: bytes per second; 0 = not throttled */
	ho_sim_fault fault;
	uint64_t fault_at; /* write-error/read-error: byte offset; 0 = half of the data */
} ho_drive_addr;

/* Parses a drive address (at most HO_DRIVE_ADDR_MAX - 1 bytes). Anything else than the
 * forms above fails with HO_EDEVICE and a message saying which forms are accepted. */
int ho_drive_addr_parse(ho_drive_addr *out, const char *drive, ho_err *err)
	__attribute__((warn_unused_result));

/* For tray-open / no-disc: the error a real drive would give, else 0. */
int ho_drive_addr_check_loaded(const ho_drive_addr *a, ho_err *err)
	__attribute__((warn_unused_result));

/* Sleeps as needed so that `done` bytes since `start_ns` (CLOCK_MONOTONIC) do not arrive
 * faster than rate bytes per second. No-op for rate 0. */
void ho_sim_pace(uint64_t rate, uint64_t start_ns, uint64_t done);

uint64_t ho_sim_now_ns(void);

#ifdef __cplusplus
}
#endif

#endif
