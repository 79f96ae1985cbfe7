/*
 * core/crc32c.h - CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78).
 *
 * The signed log frames every record with a CRC-32C so that a torn write after power
 * loss is told apart from a complete record (RFC 3720 B.4 uses the same polynomial).
 * It is an integrity check against accidents only; tampering is caught by the Merkle
 * tree and the signatures. Uses the SSE4.2 CRC32 instruction when the CPU has it and
 * a table otherwise. No memory is allocated; safe to call from any thread.
 */
#ifndef HO_CORE_CRC32C_H
#define HO_CORE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 for a fresh start) over len bytes and returns the new value; the
 * pre- and post-inversion are done inside, so calls chain:
 * ho_crc32c(ho_crc32c(0, a, n), b, m) == ho_crc32c(0, a||b, n+m).
 * ho_crc32c(0, "123456789", 9) == 0xE3069283. */
uint32_t ho_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
