/*
 * core/merkle.h - RFC 9162 Merkle tree hashing (SHA-256) kept as a compact range.
 *
 * The signed log's entries are the leaves of one tree across all segments. The tree
 * head is MTH(D[n]) from RFC 9162 2.1.1: a leaf hashes as SHA-256(0x00 || entry), an
 * interior node as SHA-256(0x01 || left || right), and the empty tree as SHA-256("").
 * To append in O(log n) time and memory, the tree is kept as its compact range: the
 * roots of the perfect subtrees that make up the first n leaves, largest first (one per
 * set bit of n). ho_merkle is a plain value (no heap memory), so it can be copied to
 * remember the tree at some size. The hash context lives in ho_merkle_hasher, which the
 * caller creates once and frees.
 */
#ifndef HO_CORE_MERKLE_H
#define HO_CORE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define HO_MERKLE_HASH_LEN 32
#define HO_MERKLE_MAX_PEAKS 64

typedef struct ho_merkle {
	uint64_t size;                                          /* leaves so far */
	unsigned npeaks;                                        /* == popcount(size) */
	uint8_t peaks[HO_MERKLE_MAX_PEAKS][HO_MERKLE_HASH_LEN]; /* largest subtree first */
} ho_merkle;

/* A reusable SHA-256 context (OpenSSL EVP), so hashing millions of nodes does not
 * fetch the algorithm each time. Not thread-safe; one per thread. */
typedef struct ho_merkle_hasher ho_merkle_hasher;

int ho_merkle_hasher_new(ho_merkle_hasher **out) __attribute__((warn_unused_result));
void ho_merkle_hasher_free(ho_merkle_hasher *h);

/* SHA-256 of the concatenation of a and b (b may be NULL). */
int ho_merkle_sha256(ho_merkle_hasher *h, uint8_t out[static HO_MERKLE_HASH_LEN], const void *a,
                     size_t alen, const void *b, size_t blen);

/* RFC 9162 2.1.1: SHA-256(0x00 || data). */
int ho_merkle_leaf_hash(ho_merkle_hasher *h, uint8_t out[static HO_MERKLE_HASH_LEN],
                        const void *data, size_t len);

/* SHA-256(0x01 || left || right). */
int ho_merkle_node_hash(ho_merkle_hasher *h, uint8_t out[static HO_MERKLE_HASH_LEN],
                        const uint8_t left[static HO_MERKLE_HASH_LEN],
                        const uint8_t right[static HO_MERKLE_HASH_LEN]);

void ho_merkle_init(ho_merkle *m);

/* Sets m from a stored compact range; fails with HO_EFORMAT if npeaks does not equal
 * popcount(size). */
int ho_merkle_set(ho_merkle *m, uint64_t size, unsigned npeaks,
                  const uint8_t (*peaks)[HO_MERKLE_HASH_LEN]);

/* Adds the leaf whose leaf hash is given (amortised one node hash). */
int ho_merkle_push(ho_merkle_hasher *h, ho_merkle *m,
                   const uint8_t leaf_hash[static HO_MERKLE_HASH_LEN]);

/* The tree head of the current size (npeaks - 1 node hashes). */
int ho_merkle_root(ho_merkle_hasher *h, const ho_merkle *m, uint8_t out[static HO_MERKLE_HASH_LEN]);

#endif
