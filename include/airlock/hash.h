/* airlock/hash.h - BLAKE2b-512, the one content hash of airlock (equal to
 * `b2sum`'s default output). */
#ifndef AIRLOCK_HASH_H
#define AIRLOCK_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <sodium.h>

#include "airlock/error.h"
#include "airlock/io.h"

#define AIRLOCK_HASH_BYTES 64
#define AIRLOCK_HASH_HEX_LEN 128          /* without the NUL */

/* Incremental hashing; the struct may live on the stack. */
struct airlock_hasher {
	crypto_generichash_state state;
};
void airlock_hasher_init(struct airlock_hasher *h);
void airlock_hasher_update(struct airlock_hasher *h, const void *buf, size_t len);
void airlock_hasher_final(struct airlock_hasher *h, uint8_t out[AIRLOCK_HASH_BYTES]);

/* One-shot hash of a buffer. */
void airlock_hash_buffer(uint8_t out[AIRLOCK_HASH_BYTES], const void *buf, size_t len);

/* Hashes everything readable from fd (from its current offset); the byte
 * count goes to *size if size is not NULL. */
enum airlock_code airlock_hash_fd(int fd, uint8_t out[AIRLOCK_HASH_BYTES], uint64_t *size,
    const char *what, struct airlock_err *err);

/* Hex form (129 bytes with NUL) and back; from_hex returns 0 or -1. */
void airlock_hash_to_hex(char out[AIRLOCK_HASH_HEX_LEN + 1], const uint8_t h[AIRLOCK_HASH_BYTES]);
int airlock_hash_from_hex(uint8_t out[AIRLOCK_HASH_BYTES], const char *hex)
    __attribute__((warn_unused_result));

/* A sink that hashes what passes through and forwards it to next (which may
 * have write == NULL to only hash). Caller owns the struct. */
struct airlock_hashing_sink {
	struct airlock_hasher hasher;
	struct airlock_sink next;
	uint64_t bytes;
};
void airlock_hashing_sink_init(struct airlock_hashing_sink *hs, struct airlock_sink next);
struct airlock_sink airlock_hashing_sink(struct airlock_hashing_sink *hs);

#endif
