/* hash.c - BLAKE2b-512 (libsodium generichash with a 64-byte digest), the
 * content hash b2sum prints by default. */
#include "airlock/hash.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "airlock/encoding.h"

/* Reads of this size keep the stack modest and syscalls few. */
#define HASH_READ_CHUNK 65536

void airlock_hasher_init(struct airlock_hasher *h)
{
	/* Cannot fail for an unkeyed 64-byte digest. */
	(void)crypto_generichash_init(&h->state, NULL, 0, AIRLOCK_HASH_BYTES);
}

void airlock_hasher_update(struct airlock_hasher *h, const void *buf, size_t len)
{
	if (len > 0)
		(void)crypto_generichash_update(&h->state, buf, len);
}

void airlock_hasher_final(struct airlock_hasher *h, uint8_t out[AIRLOCK_HASH_BYTES])
{
	(void)crypto_generichash_final(&h->state, out, AIRLOCK_HASH_BYTES);
	sodium_memzero(&h->state, sizeof h->state);
}

void airlock_hash_buffer(uint8_t out[AIRLOCK_HASH_BYTES], const void *buf, size_t len)
{
	struct airlock_hasher h;
	airlock_hasher_init(&h);
	airlock_hasher_update(&h, buf, len);
	airlock_hasher_final(&h, out);
}

enum airlock_code airlock_hash_fd(int fd, uint8_t out[AIRLOCK_HASH_BYTES], uint64_t *size,
    const char *what, struct airlock_err *err)
{
	_Static_assert(HASH_READ_CHUNK <= 1 << 20, "read buffer lives on the stack");
	unsigned char buf[HASH_READ_CHUNK];
	struct airlock_hasher h;
	uint64_t total = 0;

	airlock_hasher_init(&h);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return airlock_fail_errno(err, AIRLOCK_E_FAILED, errno, "cannot read '%s'",
			    what);
		if (n == 0)
			break;
		airlock_hasher_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	airlock_hasher_final(&h, out);
	if (size != NULL)
		*size = total;
	return AIRLOCK_OK;
}

void airlock_hash_to_hex(char out[AIRLOCK_HASH_HEX_LEN + 1], const uint8_t h[AIRLOCK_HASH_BYTES])
{
	airlock_hex_encode(out, h, AIRLOCK_HASH_BYTES);
}

int airlock_hash_from_hex(uint8_t out[AIRLOCK_HASH_BYTES], const char *hex)
{
	size_t len = strnlen(hex, AIRLOCK_HASH_HEX_LEN + 1);
	if (len != AIRLOCK_HASH_HEX_LEN)
		return -1;
	return airlock_hex_decode(out, AIRLOCK_HASH_BYTES, hex, len);
}

static enum airlock_code hashing_sink_write(void *ctx, const void *buf, size_t len,
    struct airlock_err *err)
{
	struct airlock_hashing_sink *hs = ctx;
	airlock_hasher_update(&hs->hasher, buf, len);
	hs->bytes += len;
	if (hs->next.write == NULL)
		return AIRLOCK_OK;
	return hs->next.write(hs->next.ctx, buf, len, err);
}

void airlock_hashing_sink_init(struct airlock_hashing_sink *hs, struct airlock_sink next)
{
	airlock_hasher_init(&hs->hasher);
	hs->next = next;
	hs->bytes = 0;
}

struct airlock_sink airlock_hashing_sink(struct airlock_hashing_sink *hs)
{
	return (struct airlock_sink){ hashing_sink_write, hs };
}
